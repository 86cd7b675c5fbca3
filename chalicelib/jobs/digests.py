"""The analytics in Slack: a weekly digest and an end-of-stint summary, each sent once per period.

Both are built from :meth:`chalicelib.desk.analytics.Analytics.report` and ``leaderboard``,
the same answers as ``GET /api/analytics`` and the dashboard, so the three agree.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from chalicelib.channels.slack import effects
from chalicelib.channels.slack.mrkdwn import Mrkdwn, join, link, md
from chalicelib.desk.analytics import Analytics
from chalicelib.desk.directory import Directory
from chalicelib.desk.directory_store import DirectoryStore
from chalicelib.desk.feedback import Feedback
from chalicelib.desk.outbox import Outbox
from chalicelib.desk.rotation import RotationStore, Sprint
from chalicelib.desk.units import format_duration, format_rate
from chalicelib.jobs.claims import Claims
from chalicelib.jobs.feedback_blocks import feedback_blocks, feedback_text
from chalicelib.jobs.followups import JobReport
from chalicelib.platform.clock import Clock


def csat_text(csat: dict[str, Any] | None) -> str:
    """A satisfaction figure as the digests read it: "75 % (4 rated)", or "no ratings"."""
    rated = int((csat or {}).get("rated") or 0)
    return f"{format_rate((csat or {}).get('rate'))} ({rated} rated)" if rated else "no ratings"


def digest_blocks(title: str, report: dict[str, Any], board: dict[str, Any] | None,
                  dashboard: str | None = None) -> tuple[str, list[dict[str, Any]]]:
    """Block Kit for a period's figures (and a stint's leaderboard); returns (fallback text, blocks)."""
    t = report["totals"]
    frt, res, targets = t["first_response"], t["resolution"], t["targets"]
    fields = [
        ("Opened", str(t["opened"])), ("Solved", str(t["solved"])), ("Backlog", str(t["backlog"])),
        ("First response (median)", format_duration(frt["median"])),
        ("First response (mean / p90)", f"{format_duration(frt['mean'])} / {format_duration(frt['p90'])}"),
        ("Resolution (median)", format_duration(res["median"])),
        ("Targets met", f"{format_rate(targets['rate'])} ({targets['met']} of {targets['met'] + targets['missed']})"),
        ("Replies", str(t["replies"])),
        ("CSAT", csat_text(t.get("csat"))),
    ]
    channels = ", ".join(f"{k} {v}" for k, v in report["by_channel"].items()) or "none"
    tiers = ", ".join(f"{k} {v}" for k, v in report["by_tier"].items()) or "none"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text":
            f"{report['from']} – {report['to']} · business hours, {report['timezone']}"}]},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": md("*{}*\n{}", k, v)} for k, v in fields]},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"By channel: {channels} · by tier: {tiers}"}]},
    ]
    if board and board.get("rows"):
        def phrase(csat: dict[str, Any] | None) -> str:
            return f"CSAT {csat_text(csat)}" if (csat or {}).get("rated") else "no ratings"

        lines = [md("*Stint {}* ({} – {}), Hero {} · {}", board["stint"], board["start"], board["end"],
                    board["hero_name"], phrase(board.get("csat")))]
        for i, row in enumerate(board["rows"], 1):
            lines.append(md("{}. {}: {} first responses (median {}), {} replies, {} solved, {} triaged, "
                            "{} targets met, {}", i, row["name"], row["first_responses"],
                            format_duration(row["median_first_response"]), row["replies"], row["solved"],
                            row["triaged"], row["targets_met"], phrase(row.get("csat"))))
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": join("\n", lines)}})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text":
        link(dashboard, "Open the dashboard") if dashboard
        else Mrkdwn("The charts: `/ticket dashboard` sends you a private link.")}]})
    text = (f"{title}: {t['opened']} opened, {t['solved']} solved, backlog {t['backlog']}, first response median "
            f"{format_duration(frt['median'])}, targets met {format_rate(targets['rate'])}")
    return text, blocks


class Digests:
    def __init__(self, *, analytics: Analytics, directory: DirectoryStore, clock: Clock,
                 rotation: RotationStore, claims: Claims, outbox: Outbox, feedback: Feedback | None = None) -> None:
        self.feedback = feedback
        self.outbox = outbox
        self.analytics = analytics
        self.directory = directory
        self.clock = clock
        self.rotation = rotation
        self.claims = claims

    def weekly(self) -> JobReport:
        """Last week (Monday to Sunday, team time), posted once, from this week's first opening."""
        report = JobReport("weekly_digest")
        directory = self.directory.load()
        settings = directory.settings
        channel = settings.analytics_channel
        if not channel:
            report.skipped.append("no digest channel configured")
            return report
        calendar = settings.calendar()
        now = self.clock.now()
        today = calendar.local_date(now)
        monday = today - dt.timedelta(days=today.weekday())
        midnight = dt.datetime.combine(monday, dt.time(0), tzinfo=calendar.zone)
        if now < calendar.next_opening(midnight):
            report.skipped.append("waiting for this week's first opening")
            return report
        first, last = monday - dt.timedelta(days=7), monday - dt.timedelta(days=1)

        def post() -> None:
            figures = self.analytics.report(settings, first, last, "day")
            sprint = self.rotation.current(settings, now)
            board = self.analytics.leaderboard(directory, sprint) if sprint else None
            text, blocks = digest_blocks(f"Support week of {first:%d %b %Y}", figures, board)
            self.outbox.add(effects.post(f"weekly-digest:{first.isoformat()}", channel, text, blocks=blocks,
                                         summary="weekly digest"))

        ran, _ = self.claims.once("weekly-digest", first.isoformat(), post)
        (report.did if ran else report.skipped).append(f"week of {first.isoformat()}")
        return report

    def roll_up(self, limit: int = 60) -> JobReport:
        """Fold each day written since its last rollup into one summary item (bounded per run)."""
        from chalicelib.desk.analytics import roll_up, stale_days

        report = JobReport("metrics_rollup")
        today = self.directory.load().settings.calendar().local_date(self.clock.now())
        for day in sorted(stale_days(today))[:limit]:
            (report.did if roll_up(day) else report.skipped).append(day.isoformat())
        return report

    def stint_summary(self, directory: Directory, stint: Sprint) -> None:
        """The outgoing Hero's stint in figures, by DM (called once per stint by the rotation job)."""
        member = directory.member(stint.hero or "")
        if member is None or not member.slack_user_id:
            return
        figures = self.analytics.report(directory.settings, stint.start, stint.end, "week")
        board = self.analytics.leaderboard(directory, stint)
        text, blocks = digest_blocks(f"Your stint as Support Hero: sprint {stint.number}", figures, board)
        if self.feedback is not None:  # what the stint turned up: tags, linked issues, bugs and requests
            found = self.feedback.for_stint(directory, stint)
            blocks = [*blocks[:-1], {"type": "divider"}, *feedback_blocks(found), blocks[-1]]
            text = f"{text}. {feedback_text(found)}"
        self.outbox.add(effects.tell(f"stint-summary:{stint.number}:{member.id}", member.id, text, blocks=blocks,
                                     summary=f"stint summary to {member.id}"))
