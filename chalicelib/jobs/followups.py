"""Nothing missed: the Hero's rotation, response-target warnings, after-hours care.

Every scheduled job here takes ``now`` from the clock it was given (a frozen one in
tests, the dev clock in the local stack), reads through paged Queries of sparse
indexes (never a Scan), does a bounded amount of work per run, and wraps each
side effect in a :class:`~chalicelib.jobs.claims.Claims` claim for its period, so an
invocation retried twice does it once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

from chalicelib import channels
from chalicelib.channels.slack.effects import post, tell, topic
from chalicelib.channels.slack.mrkdwn import Mrkdwn, join, md, mention
from chalicelib.desk import sla
from chalicelib.desk.directory import Directory, TeamMember
from chalicelib.desk.directory_store import DirectoryStore
from chalicelib.desk.outbox import Outbox, Step
from chalicelib.desk.rotation import RotationStore, Sprint
from chalicelib.desk.tickets import UNSOLVED, TicketService
from chalicelib.desk.triage import Change, Conflict, TriageService
from chalicelib.jobs.claims import Claims
from chalicelib.jobs.community import CommunityWatch
from chalicelib.jobs.report import PAGE, JobReport, paged
from chalicelib.models.tickets import Ticket
from chalicelib.platform.clock import Clock

__all__ = ["FollowUps", "JobReport", "ticket_line"]

ROTATION_ACTOR = TeamMember(id="rotation", name="Support Hero rotation", avatar_url="")


def ticket_line(ticket: Ticket, calendar: Any, directory: Directory | None = None) -> Mrkdwn:
    """``#12 [email, enterprise] Subject (Sat 28 Nov 10:02)`` for digests."""
    when = calendar.local(ticket.created_at).strftime("%a %d %b %H:%M") if ticket.created_at else "?"
    who = ""
    if directory is not None and ticket.assignee:
        member = directory.member(ticket.assignee)
        who = f" · {member.name if member else ticket.assignee}"
    return md("*#{}* [{}, {}] {} ({}){}", ticket.number, ticket.channel, ticket.tier or "community", ticket.subject,
              when, who)


class FollowUps:
    def __init__(self, *, tickets: TicketService, directory: DirectoryStore, clock: Clock,
                 rotation: RotationStore, claims: Claims, triage: TriageService, outbox: Outbox,
                 stint_summary: Callable[[Directory, Sprint], None] | None = None) -> None:
        self.stint_summary = stint_summary
        self.tickets = tickets
        self.directory = directory
        self.clock = clock
        self.rotation = rotation
        self.claims = claims
        self.triage = triage
        self.outbox = outbox
        self.community = CommunityWatch(tickets=tickets, directory=directory, clock=clock, rotation=rotation,
                                        outbox=outbox)

    # -- telling people ---------------------------------------------------------
    def _tell(self, key: str, member_id: str | None, text: str, ticket: Ticket | None = None) -> bool:
        """A DM to a team member (the Hero channel when they have no Slack id), as an outbox step named
        ``key``: sent once, retried through any outage.  False when ``key`` was already written."""
        step = tell(key, member_id, text, ticket_id=ticket.ticket_id if ticket else None,
                    ticket_number=int(ticket.number) if ticket and ticket.number is not None else None)
        return bool(self.outbox.add(step))

    @staticmethod
    def _mention(directory: Directory, member_id: str | None) -> str:
        member = directory.member(member_id) if member_id else None
        if member is None:
            return "nobody (the roster is empty)"
        return mention(member.slack_user_id) if member.slack_user_id else member.name

    @staticmethod
    def _paged(query: Callable[[dict[str, Any] | None], Any]) -> Iterator[Any]:
        return paged(query)

    # -- a new ticket -------------------------------------------------------------
    def after_open(self, ticket: Ticket) -> None:
        """Route a new ticket to the Hero and acknowledge one opened out of hours (each once)."""
        if ticket.kind != "ticket" or ticket.number is None:
            return
        directory = self.directory.load()
        settings = directory.settings
        if not ticket.assignee and ticket.status in UNSOLVED and settings.rotation_roster:
            hero = self.rotation.current_hero(settings, cached=True)
            if hero is not None:
                self.claims.once("new-ticket", ticket.ticket_id, lambda: self._route(ticket, directory, hero))
        calendar = settings.calendar()
        now = self.clock.now()
        spec = channels.spec(ticket.channel)
        if (settings.after_hours_ack and spec is not None and not spec.acknowledges_itself
                and ticket.created_at is not None
                and not calendar.is_open(ticket.created_at) and not calendar.is_open(now)
                and ticket.first_response_at is None and not self._from_team(ticket, directory)):
            # Written, and still nobody here to read it: say when we are back (email says it in its own
            # acknowledgement; see EmailIntake).
            back = calendar.describe(calendar.next_opening(now))  # from now: the message may be old
            text = (f"Thanks for your message. Our team is away right now; we are back on {back}, "
                    f"and your request (ticket #{ticket.number}) will be answered then.")
            self.tickets.add_notice(ticket, text, key="after-hours", author_name=settings.team_name)

    @staticmethod
    def _from_team(ticket: Ticket, directory: Directory) -> bool:
        who = ticket.requester_id
        return bool(directory.member_by_slack(who) or directory.member_by_github(who)
                    or directory.member_by_email(who))

    def _route(self, ticket: Ticket, directory: Directory, hero: str) -> str:
        assigned = False
        if directory.settings.assign_to_hero:
            fresh = self.tickets.find(ticket.ticket_id) or ticket
            if not fresh.assignee:
                # A Conflict propagates: the claim is released and the queue retries.
                self.triage.apply(fresh, ROTATION_ACTOR, Change(assignee=hero), directory, expected_version=None,
                                  announce=False)
                assigned = True
        verb = "is yours (you are the Support Hero)" if assigned else "is waiting for an owner"
        due = ""
        if ticket.due_at is not None:
            due = f"; first response due {directory.settings.calendar().describe(ticket.due_at)}"
        self._tell(f"new-ticket:{ticket.ticket_id}", hero, md(
            ":inbox_tray: New ticket {} {}{}.", ticket_line(ticket, directory.settings.calendar()), verb, due),
            ticket)
        return hero

    def bad_rating(self, ticket: Ticket, rating: str) -> list[Step]:
        """A bad satisfaction rating tells the ticket's owner and the Hero at once (steps written with it)."""
        if rating != "bad":
            return []
        directory = self.directory.load()
        hero = self.rotation.current_hero(directory.settings, cached=True) if directory.settings.rotation_roster \
            else None
        who = {m for m in (ticket.assignee, hero) if m}
        text = md(":thumbsdown: {} was rated *bad* by its requester{}. Worth a look while it is fresh.",
                  ticket_line(ticket, directory.settings.calendar(), directory),
                  md(" (owner {})", self._mention(directory, ticket.assignee)) if ticket.assignee else "")
        return [tell(f"bad-rating:{ticket.ticket_id}:{m}", m, text, ticket_id=ticket.ticket_id,
                     ticket_number=int(ticket.number) if ticket.number is not None else None,
                     summary=f"bad rating of #{ticket.number} to {m}") for m in sorted(who)] or \
            [tell(f"bad-rating:{ticket.ticket_id}:hero", None, text, ticket_id=ticket.ticket_id,
                  summary=f"bad rating of #{ticket.number} to the Hero channel")]

    def unverified_sender(self, ticket: Ticket, address: str, verdicts: dict[str, Any], mail_id: str) -> None:
        """Tell the Hero, once per mail, that a mail claimed a team address without passing authentication."""
        from chalicelib.channels.slack.mrkdwn import md

        directory = self.directory.load()
        hero = self.rotation.current_hero(directory.settings, cached=True)
        checks = ", ".join(f"{k.upper()} {str(verdicts.get(k) or 'missing').upper()}" for k in ("spf", "dkim", "dmarc"))
        text = md(":warning: Ticket *#{}* ({}): a mail from the team address {} did not prove it came from there "
                  "({}). It is recorded as a customer message, tagged `unverified-team-address`; nothing was sent "
                  "and the ticket did not change.", ticket.number, ticket.subject, address, checks)
        self._tell(f"unverified-sender:{mail_id}", hero, text, ticket)

    # -- the rotation ---------------------------------------------------------------
    def rotate(self) -> JobReport:
        """On a sprint boundary: announce, set the topic, hand-off digests (each once per sprint and Hero)."""
        report = JobReport("rotation")
        directory = self.directory.load()
        settings = directory.settings
        now = self.clock.now()
        sprint = self.rotation.current(settings, now)
        if sprint is None or sprint.hero is None:
            report.skipped.append("no rotation configured or before the first sprint")
            return report
        previous = self.rotation.sprint(settings, sprint.number - 1) if sprint.number > 1 else None
        period = f"{sprint.number:06d}#{sprint.hero}"
        key = f"rotation:{period}"
        steps: list[tuple[str, Callable[[], Any]]] = [
            ("announce", lambda: self._announce(directory, sprint, f"{key}#announce")),
            ("topic", lambda: self._topic(directory, sprint, f"{key}#topic")),
            ("handoff", lambda: self._handoff(directory, sprint, f"{key}#handoff")),
        ]
        if previous is not None and previous.hero and previous.hero != sprint.hero:
            steps.append(("outgoing", lambda: self._outgoing(directory, previous, sprint, f"{key}#outgoing")))
        if previous is not None and previous.hero and self.stint_summary is not None:
            summary = self.stint_summary
            steps.append(("stint-summary", lambda: summary(directory, previous)))
        for name, work in steps:
            ran, _ = self.claims.once("rotation", f"{period}#{name}", work)
            (report.did if ran else report.skipped).append(f"{name} sprint {sprint.number}")
        return report

    def _announce(self, directory: Directory, sprint: Sprint, key: str) -> None:
        channel = directory.settings.hero_channel
        if not channel:
            return
        nxt = self.rotation.sprint(directory.settings, sprint.number + 1)
        self.outbox.add(post(key, channel, md(
            ":superhero: {} is the Support Hero for sprint {} ({:%a %d %b} – {:%a %d %b}). New tickets land in "
            "their queue. Next up: {} from {:%a %d %b}.", self._mention(directory, sprint.hero), sprint.number,
            sprint.start, sprint.end, self._mention(directory, nxt.hero), nxt.start), summary="rotation announcement"))

    def _topic(self, directory: Directory, sprint: Sprint, key: str) -> None:
        settings = directory.settings
        channel = settings.topic_channel or next((c.id for c in directory.community_channels), None)
        member = directory.member(sprint.hero or "")
        if not channel or member is None:
            return
        who = md("{} ({})", member.name, mention(member.slack_user_id)) if member.slack_user_id else member.name
        self.outbox.add(topic(key, channel, md("Support Hero until {:%a %d %b}: {}", sprint.end, who)))

    def _handoff(self, directory: Directory, sprint: Sprint, key: str) -> None:
        """The new Hero's digest: open, unassigned, awaiting reply, due soonest."""
        calendar = directory.settings.calendar()
        unassigned = self.tickets.list_view("unassigned", None, 20, None).tickets
        awaiting = self.tickets.list_view("awaiting-reply", sprint.hero, 20, None).tickets
        due = self.tickets.list_view("due", None, 10, None).tickets
        store = self.tickets.store
        open_count = sum(1 for _ in self._paged(lambda start: store.with_status("open", limit=PAGE, start=start)))
        new_count = sum(1 for _ in self._paged(lambda start: store.with_status("new", limit=PAGE, start=start)))
        lines = [md(":wave: You are the Support Hero for sprint {} ({:%a %d %b} – {:%a %d %b}). "
                    "Here is where things stand:", sprint.number, sprint.start, sprint.end),
                 md("*{}* tickets open, *{}* unassigned.", new_count + open_count, len(unassigned))]

        def section(title: str, tickets: list[Ticket], extra: Callable[[Ticket], str] = lambda t: "") -> None:
            lines.append(md("\n*{}* ({})", title, len(tickets)))
            lines.extend(md("• {}{}", ticket_line(t, calendar, directory), extra(t)) for t in tickets)
            if not tickets:
                lines.append(Mrkdwn("• none"))

        section("Unassigned", unassigned)
        section("Waiting for your reply", awaiting)
        section("Response due soonest", due,
                lambda t: f" — due {calendar.describe(t.due_at)}" if t.due_at else "")
        self._tell(key, sprint.hero, join("\n", lines))

    def _outgoing(self, directory: Directory, previous: Sprint, sprint: Sprint, key: str) -> None:
        calendar = directory.settings.calendar()
        hero = str(previous.hero)
        held = [t for t in self._paged(lambda start: self.tickets.store.of_assignee(hero, limit=PAGE, start=start))
                if t.status in UNSOLVED]
        text = md(":relieved: Thanks for sprint {} as Support Hero! {} takes over today.", previous.number,
                  self._mention(directory, sprint.hero))
        if held:
            text += md("\nYou still own {} open ticket(s); please hand over what you can "
                       "(`/ticket handover {} @someone {}`):\n{}", len(held), "<n>", "<note>",
                       join("\n", [md("• {}", ticket_line(t, calendar)) for t in held]))
        else:
            text += Mrkdwn("\nYou hold no open tickets. Nicely done.")
        self._tell(key, previous.hero, text)

    # -- response targets --------------------------------------------------------------
    def sweep_targets(self) -> JobReport:
        """Warn the owner (or the Hero) once at 75 % of a target and once at its breach."""
        report = JobReport("targets")
        directory = self.directory.load()
        now = self.clock.now()
        calendar = directory.settings.calendar()
        tickets = self._paged(lambda start: self.tickets.store.to_check(now, limit=PAGE, start=start))
        for ticket in tickets:
            if ticket.due_at is None or ticket.warn_at is None or ticket.due_since is None or ticket.due_kind is None:
                continue
            stage = sla.stage_of(ticket)
            if now >= ticket.due_at and stage != sla.BREACHED:
                new_stage = sla.BREACHED
            elif now >= ticket.warn_at and stage is None:
                new_stage = sla.WARNED
            else:
                continue
            key = sla.target_key(ticket.due_kind, ticket.due_since)
            recipient = ticket.assignee or self.rotation.current_hero(directory.settings, now, cached=True)
            hours = directory.settings.target_hours(ticket.tier, ticket.due_kind)
            what = "first response" if ticket.due_kind == "first" else "next response"
            if new_stage == sla.WARNED:
                text = md(":hourglass_flowing_sand: {}: 75 % of its {:g} h {} target is used; due {}.",
                          ticket_line(ticket, calendar), hours, what, calendar.describe(ticket.due_at))
            else:
                text = md(":rotating_light: {} missed its {:g} h {} target (due {}).",
                          ticket_line(ticket, calendar), hours, what, calendar.describe(ticket.due_at))
            if not ticket.assignee:
                text += Mrkdwn(" It has no owner: take it or assign it.")
            warning_key = f"target-warning:{ticket.ticket_id}#{key}#{sla.WARNED}"
            if new_stage == sla.BREACHED and stage is not None and not self._delivered(warning_key):
                # The 75 % warning is still waiting out an outage: this notice says it all (the
                # warning is then dropped when its turn comes, see ``stale_after``).
                text += Mrkdwn(" (Its 75 % warning could not be delivered in time.)")
            ran = self.outbox.add(tell(f"target-warning:{ticket.ticket_id}#{key}#{new_stage}", recipient, text,
                                       ticket_id=ticket.ticket_id, ticket_number=ticket.number,
                                       stale_after=ticket.due_at if new_stage == sla.WARNED else None))
            (report.did if ran else report.skipped).append(f"{new_stage} #{ticket.number}")
            # Move the ticket along the sweeper's index (advisory: the claim already made it once); a new
            # target that started meanwhile carries its own stage.
            self.tickets.store.record_stage(ticket, f"{key}:{new_stage}",
                                            None if new_stage == sla.BREACHED else ticket.due_at)
        return report

    def _delivered(self, key: str) -> bool:
        from chalicelib.channels.slack.effects import MESSAGE
        from chalicelib.desk.outbox import DONE, step_id

        item = self.outbox.get(step_id(MESSAGE, key))
        return item is not None and item.state == DONE

    # -- after a weekend or holiday ---------------------------------------------------
    def opening_digest(self) -> JobReport:
        """First business day after a weekend or holiday: everything unanswered goes to the Hero."""
        report = JobReport("opening_digest")
        directory = self.directory.load()
        settings = directory.settings
        calendar = settings.calendar()
        now = self.clock.now()
        today = calendar.local_date(now)
        opening = calendar.opening_on(today)
        if opening is None or now < opening:
            report.skipped.append("not a business day yet")
            return report
        stretch = calendar.closed_stretch(opening)
        if stretch is None:
            report.skipped.append("no weekend or holiday before today")
            return report
        closed_from, reopened = stretch
        hero = self.rotation.current_hero(settings, now)
        ran, count = self.claims.once("opening-digest", today.isoformat(),
                                      lambda: self._opening_digest(directory, hero, closed_from, reopened))
        (report.did if ran else report.skipped).append(f"digest {today.isoformat()}" + (f": {count}" if ran else ""))
        return report

    def _opening_digest(self, directory: Directory, hero: str | None, closed_from: dt.datetime,
                        reopened: dt.datetime) -> int:
        calendar = directory.settings.calendar()
        waiting = [t for t in self._paged(lambda start: self.tickets.store.created_between(
                       closed_from, reopened, limit=PAGE, start=start))
                   if t.kind == "ticket" and t.status in UNSOLVED and t.first_response_at is None]
        lines = []
        for t in waiting:  # oldest first
            note = ""
            if not t.assignee and hero is not None:
                try:
                    t, _ = self.triage.apply(t, ROTATION_ACTOR, Change(assignee=hero), directory,
                                             expected_version=None, announce=False)
                    note = " → assigned to you"
                except Conflict:
                    note = " (changed meanwhile: check its owner)"
            lines.append(md("• {}{}", ticket_line(t, calendar, directory), note))
        head = md(":sunrise: Good morning! While the team was away ({:%a %d %b %H:%M} – {:%a %d %b %H:%M}), ",
                  calendar.local(closed_from), calendar.local(reopened))
        if lines:
            text = head + md("{} ticket(s) came in with no answer yet, oldest first:\n{}", len(lines),
                             join("\n", lines))
        else:
            text = head + Mrkdwn("nothing came in that still needs an answer.")
        self._tell(f"opening-digest:{calendar.local_date(reopened).isoformat()}", hero, text)
        return len(lines)
    # -- nobody missed in the community channel (see jobs/community.py) ---------------
    def watch_question(self, channel: str, ts: str, user: str, text: str, directory: Directory) -> None:
        self.community.watch_question(channel, ts, user, text, directory)

    def team_replied(self, channel: str, thread_ts: str) -> None:
        self.community.team_replied(channel, thread_ts)

    def sweep_community(self) -> JobReport:
        return self.community.sweep()
