"""Nobody missed in the community channel: a top-level question no team member answers within the
configured business hours (and that has no ticket) is brought to the Hero, once.

It keeps two kinds of directory items: watches (``WATCH``, by due time) and answered-thread markers
(``ANSWERED``); both expire on their own after ``MARKER_SECONDS``.
"""

from __future__ import annotations

import datetime as dt

from pynamodb.exceptions import DeleteError

from chalicelib.channels.slack.api import ts_to_datetime
from chalicelib.channels.slack.effects import tell
from chalicelib.channels.slack.mrkdwn import link, md, quote
from chalicelib.desk.directory import Directory
from chalicelib.desk.directory_store import DirectoryStore
from chalicelib.desk.outbox import Outbox
from chalicelib.desk.rotation import RotationStore
from chalicelib.desk.tickets import TicketService
from chalicelib.jobs.report import PAGE, JobReport, paged
from chalicelib.models.directory import ANSWERED_PARTITION, WATCH_PARTITION, DirectoryItem
from chalicelib.platform.clock import Clock
from chalicelib.platform.observability import logger

MARKER_SECONDS = 30 * 86400  # watches and answered-thread markers outlive any follow-up they serve


def _iso(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def permalink(channel: str, ts: str) -> str:
    return f"https://slack.com/archives/{channel}/p{ts.replace('.', '')}"


class CommunityWatch:
    def __init__(self, *, tickets: TicketService, directory: DirectoryStore, clock: Clock,
                 rotation: RotationStore, outbox: Outbox) -> None:
        self.tickets = tickets
        self.directory = directory
        self.clock = clock
        self.rotation = rotation
        self.outbox = outbox

    def watch_question(self, channel: str, ts: str, user: str, text: str, directory: Directory) -> None:
        """A top-level question in a community channel: follow it up if nobody from the team answers."""
        settings = directory.settings
        asked = ts_to_datetime(ts)
        due = settings.calendar().add_business(asked, dt.timedelta(hours=settings.community_missed_hours))
        DirectoryItem(WATCH_PARTITION, f"{_iso(due)}#{channel}:{ts}",
                      data={"channel": channel, "ts": ts, "user": user, "text": text[:200]},
                      updated_at=self.clock.now(), expires_at=int(due.timestamp()) + MARKER_SECONDS).save()

    def team_replied(self, channel: str, thread_ts: str) -> None:
        now = self.clock.now()
        DirectoryItem(ANSWERED_PARTITION, f"{channel}:{thread_ts}", updated_at=now,
                      expires_at=int(now.timestamp()) + MARKER_SECONDS).save()

    def sweep(self) -> JobReport:
        report = JobReport("community")
        directory = self.directory.load()
        now = self.clock.now()
        hero = self.rotation.current_hero(directory.settings, now)
        watches = list(paged(lambda start: DirectoryItem.query(
            WATCH_PARTITION, DirectoryItem.sk < f"{_iso(now)}$", limit=PAGE, last_evaluated_key=start)))
        for item in watches:
            data = dict(item.data or {})
            channel, ts = str(data.get("channel")), str(data.get("ts"))
            answered = (self.tickets.find(f"slack:{channel}:{ts}") is not None
                        or DirectoryItem.count(ANSWERED_PARTITION, DirectoryItem.sk == f"{channel}:{ts}") > 0)
            if answered:
                report.skipped.append(f"answered {channel}:{ts}")
            else:
                hours = directory.settings.community_missed_hours
                text = md(":eyes: Nobody from the team has answered this community question for {:g} "
                          "business hour(s), and it has no ticket: {}\n{}", hours, link(permalink(channel, ts)),
                          quote(str(data.get("text") or "")))
                ran = bool(self.outbox.add(tell(f"community-missed:{channel}:{ts}", hero, text)))
                (report.did if ran else report.skipped).append(f"missed {channel}:{ts}")
            try:
                item.delete()
            except DeleteError:
                logger.warning("could not remove a community watch", extra={"channel": channel})
        return report
