"""Triage from Slack: the ``/ticket`` command, the controls on a ticket's message, the App Home.

Both entry points answer Slack at once (ingress) and run here, in the worker; answers go
back as ephemeral messages, and the ticket's message and the actor's App Home are refreshed.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError

from chalicelib import channels
from chalicelib.channels.slack.api import SlackApi
from chalicelib.channels.slack.blocks import (
    ACTION_ASSIGNEE,
    ACTION_PRIORITY,
    ACTION_SOLVE,
    ACTION_STATUS,
    ACTION_TAKE,
    ticket_blocks,
    ticket_text,
)
from chalicelib.channels.slack.commands import HERO_USAGE, USAGE, Command, CommandError, parse, parse_hero
from chalicelib.channels.slack.effects import dm_user, ephemeral
from chalicelib.channels.slack.home import HOME, AppHome, home_step
from chalicelib.channels.slack.mirror import ACTION_FULL_EMAIL, EmailMirror
from chalicelib.channels.slack.mrkdwn import Mrkdwn, join, link, md, mention, quote
from chalicelib.channels.slack.owner_notices import owner_notice_step
from chalicelib.channels.slack.people import person_answer
from chalicelib.channels.slack.refs import ticket_id_for
from chalicelib.channels.slack.survey import SlackSurvey, is_survey_click
from chalicelib.desk.directory import Directory, TeamMember
from chalicelib.desk.directory_store import DirectoryStore
from chalicelib.desk.outbox import Attempt, Outbox, PermanentFailure, Step, step_id
from chalicelib.desk.rotation import RotationError, RotationStore, Sprint
from chalicelib.desk.sessions import Sessions
from chalicelib.desk.tickets import CUSTOMER, SOLVED, InvalidInput, TicketNotFound, TicketService
from chalicelib.desk.triage import Change, Conflict, TriageService
from chalicelib.models.tickets import Ticket
from chalicelib.platform.clock import Clock
from chalicelib.platform.observability import logger


@dataclass(frozen=True)
class TriageOutcome:
    action: str


REFRESH, ANNOUNCE = "ticket.refresh", "ticket.announce"
ANNOUNCE_EVENT = "support_hero_triage_post"
__all__ = ["ANNOUNCE", "HOME", "REFRESH", "SlackTriage", "TriageOutcome", "home_step", "refresh_step", "triage_effects"]


def refresh_step(ticket: Ticket) -> Step:
    """Show a ticket's new state on its Slack message (rendered when the step runs)."""
    return Step.new(REFRESH, {"ticket_id": ticket.ticket_id}, ticket_id=ticket.ticket_id,
                    ticket_number=int(ticket.number) if ticket.number is not None else None,
                    summary=f"update the Slack message of #{ticket.number}")


class SlackTriage:
    def __init__(self, *, tickets: TicketService, triage: TriageService, directory: DirectoryStore,
                 slack: SlackApi, outbox: Outbox, clock: Clock, rotation: RotationStore | None = None,
                 link_key: Callable[[], bytes] | None = None, mirror: EmailMirror | None = None) -> None:
        self.rotation = rotation
        self.mirror = mirror
        self.survey: SlackSurvey | None = None  # "How did we do?" buttons (set by the channel's wire)
        self.sessions: Sessions | None = None  # the inbox's sign-in links (set by the channel's wire)
        self.link_key = link_key
        self.tickets = tickets
        self.triage = triage
        self.directory = directory
        self.slack = slack
        self.outbox = outbox
        self.clock = clock
        self.home = AppHome(tickets=tickets, directory=directory, slack=slack, outbox=outbox, clock=clock,
                            rotation=rotation)

    # -- helpers ----------------------------------------------------------------
    def _slack_id(self, directory: Directory, member_id: str | None) -> str | None:
        member = directory.member(member_id) if member_id else None
        return member.slack_user_id if member else None

    def refresh_message(self, ticket: Ticket, directory: Directory) -> None:
        """Show the new state on the ticket's Slack message (its confirmation, or its triage post)."""
        origin = ticket.origin or {}
        if origin.get("type") == "slack":
            channel, ts = str(origin["channel"]), ticket.confirmation_ref or ""
        else:
            channel, _, ts = (ticket.triage_ref or "").partition(":")
        if not channel or not ts or ts.startswith("none:"):
            return
        slack_id = self._slack_id(directory, ticket.assignee)
        self.slack.update(channel=channel, ts=ts, text=ticket_text(ticket, slack_id),
                          blocks=ticket_blocks(ticket, slack_id))

    def register(self) -> None:
        self.outbox.register(HOME, self.home.step)
        self.outbox.register(REFRESH, self.refresh_step)
        self.outbox.register(ANNOUNCE, self.announce_step)

    def opened_effects(self, ticket: Ticket) -> list[Step]:
        """"Ticket opened" (email, GitHub): post it in the triage channel; its thread is for internal notes."""
        if ticket.channel == "slack" or not self.directory.load().settings.triage_channel:
            return []
        return [Step(step_id(ANNOUNCE, ticket.ticket_id), ANNOUNCE, {"ticket_id": ticket.ticket_id},
                     ticket_id=ticket.ticket_id, ticket_number=int(ticket.number) if ticket.number else None,
                     summary=f"post #{ticket.number} in the triage channel")]

    def announce_step(self, attempt: Attempt) -> str:
        ticket = self.tickets.find(str(attempt.payload["ticket_id"]))
        channel = self.directory.load().settings.triage_channel
        if ticket is None or ticket.kind != "ticket":
            raise PermanentFailure("the ticket no longer exists")
        if ticket.triage_ref or not channel:
            return ticket.triage_ref or "no-triage-channel"
        ts = None
        if attempt.maybe_sent:
            ts = self.slack.find_own_post(channel, None, ANNOUNCE_EVENT, "ticket_id", ticket.ticket_id)
        if ts is None:
            origin = ticket.origin or {}
            spec = channels.spec(ticket.channel)
            label = spec.label.lower() if spec else str(ticket.channel)
            where = (md("GitHub {}", link(str(origin["issue_url"]))) if origin.get("issue_url")
                     else md("{} from {}", label, origin.get("address") or ticket.requester_name or "someone"))
            ts = self.slack.post(channel=channel, text=md("New {}\n{}", where, ticket_text(ticket, None)),
                                 blocks=ticket_blocks(ticket, None),
                                 metadata={"event_type": ANNOUNCE_EVENT,
                                           "event_payload": {"ticket_id": ticket.ticket_id}})
        self.tickets.store.update(ticket, {"triage_ref": f"{channel}:{ts}"}, versioned=False)
        self.tickets.add_refs(ticket, [f"slack-triage:{channel}:{ts}"])
        return f"{channel}:{ts}"

    def refresh_step(self, attempt: Attempt) -> str:
        ticket = self.tickets.find(str(attempt.payload["ticket_id"]))
        if ticket is None:
            return "gone"
        try:
            self.refresh_message(ticket, self.directory.load())
        except SlackApiError as exc:
            if exc.response.get("error") in ("message_not_found", "cant_update_message", "edit_window_closed"):
                return f"skipped: {exc.response.get('error')}"  # the message is gone: nothing to show it on
            raise
        return "refreshed"

    def _say(self, channel: str, user: str, text: str, key: str | None = None) -> None:
        """A private answer, as an outbox step: a failure to show it never runs the command again."""
        self.outbox.add(ephemeral(f"answer:{key}" if key else f"answer:{uuid.uuid4().hex}", channel, user, text))

    def _change(self, ticket: Ticket, member: TeamMember, change: Change, directory: Directory) -> list[str]:
        fresh = self.tickets.find(ticket.ticket_id) or ticket
        _, changes = self.triage.apply(fresh, member, change, directory, expected_version=None)
        return changes

    # -- /ticket -----------------------------------------------------------------
    def command(self, payload: dict[str, Any], delivery_id: str | None = None) -> TriageOutcome:
        """``/ticket`` and ``/hero``.  ``delivery_id`` names this command once: run again (a redelivery),
        its reply or note is not written twice and its answer is not repeated."""
        key = delivery_id or uuid.uuid4().hex
        user, channel = str(payload.get("user_id") or ""), str(payload.get("channel_id") or "")
        directory = self.directory.load()
        member = directory.member_by_slack(user)
        if member is None:
            self._say(channel, user, "Only the support team can use `/ticket`.", key)
            return TriageOutcome("refused:not-on-the-team")
        hero = str(payload.get("command") or "").strip() == "/hero"
        try:
            if hero:
                answer = self._hero(parse_hero(str(payload.get("text") or "")), member, directory)
            else:
                answer = self._run(parse(str(payload.get("text") or "")), member, directory,
                                   base=str(payload.get("api_base") or ""), key=key)
        except CommandError as exc:
            answer = f"{exc}.\n{HERO_USAGE if hero else USAGE}"
        except RotationError as exc:
            answer = f"Could not do that: {exc}."
        except TicketNotFound as exc:
            answer = f"{exc}.\n{USAGE}"
        except (InvalidInput, Conflict) as exc:
            answer = f"Could not do that: {exc}."
        self._say(channel, user, answer, key)
        self.outbox.add(home_step(member.id))
        return TriageOutcome("answered")

    def _hero(self, cmd: Command, member: TeamMember, directory: Directory) -> str:
        """``/hero who|schedule|swap|skip``."""
        if self.rotation is None:
            raise RotationError("the rotation is not available here")
        settings = directory.settings

        def who(member_id: str | None) -> str:
            m = directory.member(member_id) if member_id else None
            return (mention(m.slack_user_id) if m and m.slack_user_id else m.name) if m else "nobody"

        def line(s: Sprint) -> Mrkdwn:
            note = f" ({s.note})" if s.note else ""
            return md("• Sprint {}, {:%a %d %b} – {:%a %d %b}: {}{}", s.number, s.start, s.end, who(s.hero), note)

        if cmd.verb == "help":
            return HERO_USAGE
        if cmd.verb == "who":
            current = self.rotation.current(settings)
            if current is None:
                return "No Support Hero rotation is configured yet ([rotation] in the directory)."
            return md(":superhero: {} is the Support Hero until {:%a %d %b}.", who(current.hero), current.end)
        if cmd.verb == "schedule":
            first = max(self.rotation.current_number(settings), 1)
            return Mrkdwn("*The next four sprints*\n") + join("\n", [line(s) for s in
                                                                     self.rotation.schedule(settings, first, 4)])
        people = [directory.member_by_slack(u) for u in (cmd.user, cmd.arg) if u]
        if any(p is None for p in people):
            raise RotationError("everyone named must be on the support team")
        ids = [p.id for p in people if p is not None]
        if cmd.verb == "swap":
            a, b = self.rotation.swap(settings, ids[0], ids[1], by=member.id)
            return md("Swapped:\n{}\n{}", line(a), line(b))
        return md("Skipped:\n{}", line(self.rotation.skip(settings, ids[0], by=member.id)))

    def _inbox(self, member: TeamMember, arg: str | None, base: str) -> str:
        """``/ticket inbox``: a sign-in link for this member only, once, for 10 minutes; ``signout``: end
        every session of theirs."""
        if self.sessions is None:
            return "The inbox is not available here."
        if arg == "signout":
            ended = self.sessions.revoke_all(member.id)
            return f"Signed out of the inbox everywhere ({ended} session{'s' if ended != 1 else ''} ended)."
        token = self.sessions.new_link(member.id)
        url = f"{base.rstrip('/')}/inbox/signin?t={token}"
        return md(":inbox_tray: Your inbox sign-in link (for you only; it works once, for 10 minutes): {}",
                  link(url))

    def _dashboard_view(self, asked: str | None) -> dict[str, str]:
        """What a link shows, fixed when it is made: the period asked for (default: the last 28 days)
        by day or week, and the current stint."""
        settings = self.directory.load().settings
        today = settings.calendar().local_date(self.clock.now())
        words = (asked or "day").split()
        first, last = (words[0], words[1]) if len(words) == 3 else ((today - dt.timedelta(days=27)).isoformat(),
                                                                     today.isoformat())
        view = {"from": first, "to": last, "group": words[-1]}
        sprint = self.rotation.current(settings, cached=True) if self.rotation and settings.rotation_roster else None
        if sprint is not None:
            view["stint"] = str(sprint.number)
        return view

    def dashboard_link(self, member: TeamMember, base: str, asked: str | None = None) -> str:
        from chalicelib.platform.security import DASHBOARD_LINK_SECONDS, sign_dashboard_link

        if self.link_key is None:
            return "The dashboard link cannot be signed here (no signing secret)."
        expires = int(self.clock.time()) + DASHBOARD_LINK_SECONDS
        view = self._dashboard_view(asked)
        sig = sign_dashboard_link(self.link_key(), member.id, expires, view)
        query = urllib.parse.urlencode({"member": member.id, **view, "expires": expires, "sig": sig})
        url = f"{base or ''}/dashboard?{query}"
        return md(":bar_chart: Your analytics dashboard (this link is yours and works for one hour): {}", link(url))

    def _run(self, cmd: Command, member: TeamMember, directory: Directory, base: str | None = None,
             key: str | None = None) -> str:
        if cmd.verb == "help":
            return USAGE
        if cmd.verb == "inbox":
            return self._inbox(member, cmd.arg, str(base or ""))
        if cmd.verb == "person":
            return person_answer(self.tickets, directory, str(cmd.arg))
        if cmd.verb == "dashboard":
            return self.dashboard_link(member, str(base or ""), cmd.arg)
        if cmd.verb in ("mine", "queue"):
            view = "mine" if cmd.verb == "mine" else "unassigned"
            tickets = self.tickets.list_view(view, member.id, 20, None).tickets
            if not tickets:
                return "Nothing here." if view == "mine" else "The queue is empty."
            return join("\n", [md("*#{}* {} ({}, {})", t.number, t.subject, t.status, t.priority) for t in tickets])
        assert cmd.number is not None
        ticket = self.tickets.by_number(cmd.number)
        if cmd.verb == "show":
            slack_id = self._slack_id(directory, ticket.assignee)
            last = [m for m in self.tickets.conversation(ticket) if m.role == CUSTOMER][-1:]
            return ticket_text(ticket, slack_id) + (md("\n{}", quote((last[0].text or "")[:300])) if last else "")
        if cmd.verb in ("assign", "handover"):
            target = directory.member_by_slack(cmd.user)
            if target is None:
                raise InvalidInput(f"{cmd.user} is not on the support team")
            changes = self._change(ticket, member, Change(assignee=target.id, note=cmd.arg), directory)
            return f"#{cmd.number}: " + ("; ".join(changes) or "no change")
        if cmd.verb in ("priority", "status", "solve"):
            change = (Change(priority=cmd.arg) if cmd.verb == "priority"
                      else Change(status=SOLVED if cmd.verb == "solve" else cmd.arg))
            changes = self._change(ticket, member, change, directory)
            return f"#{cmd.number}: " + ("; ".join(changes) or "no change")
        if cmd.verb == "tag":
            tags = tuple(sorted(set(ticket.tags or ()) | {str(cmd.arg).lower()}))
            changes = self._change(ticket, member, Change(tags=tags), directory)
            return f"#{cmd.number}: " + ("; ".join(changes) or "no change")
        # note / reply
        internal = cmd.verb == "note"
        self.tickets.add_reply(ticket, member, str(cmd.arg), internal=internal,
                               idempotency_key=f"command:{key}" if key else None)
        if not internal:
            return f"#{cmd.number}: reply queued to the customer through {ticket.channel}."
        return f"#{cmd.number}: internal note added."

    # -- controls on the ticket message -------------------------------------------
    def action(self, payload: dict[str, Any]) -> TriageOutcome:
        if self.survey is not None and is_survey_click(payload):  # the requester's answer, not a triage
            return TriageOutcome(self.survey.click(payload))
        user = str((payload.get("user") or {}).get("id") or "")
        channel = str((payload.get("channel") or {}).get("id") or (payload.get("container") or {}).get("channel_id")
                      or "")
        directory = self.directory.load()
        member = directory.member_by_slack(user)
        if member is None:
            self._say(channel, user, "Only the support team can triage tickets.")
            return TriageOutcome("refused:not-on-the-team")
        done = 0
        for act in payload.get("actions") or []:
            block = str(act.get("block_id") or "")
            number = block.partition(":")[2]
            if (block.startswith("email:") and self.mirror is not None and number.isascii() and number.isdigit()
                    and len(number) <= 12 and act.get("action_id") == ACTION_FULL_EMAIL):
                self.mirror.show_full(member, act, int(number), channel, user, str(payload.get("api_base") or ""))
                continue
            if not block.startswith("ticket:") or not (block[7:].isascii() and block[7:].isdigit()) or len(block) > 19:
                continue  # not one of our ticket controls (a number in ASCII digits, at most 12 of them)
            try:
                ticket = self.tickets.by_number(int(block[7:]))
            except TicketNotFound:
                self._say(channel, user, f"Ticket {block[7:]} no longer exists.")
                continue
            try:
                change = self._action_change(act, member, directory)
                if change is None:
                    continue
                self._change(ticket, member, change, directory)
                done += 1
            except (InvalidInput, Conflict) as exc:
                self._say(channel, user, f"Could not do that: {exc}.")
        self.outbox.add(home_step(member.id))
        return TriageOutcome(f"applied:{done}")

    @staticmethod
    def _action_change(act: dict[str, Any], member: TeamMember, directory: Directory) -> Change | None:
        action_id = act.get("action_id")
        selected = ((act.get("selected_option") or {}).get("value"))
        if action_id == ACTION_PRIORITY and selected:
            return Change(priority=str(selected))
        if action_id == ACTION_STATUS and selected:
            return Change(status=str(selected))
        if action_id == ACTION_TAKE:
            return Change(assignee=member.id)
        if action_id == ACTION_SOLVE:
            return Change(status=SOLVED)
        if action_id == ACTION_ASSIGNEE:
            target = directory.member_by_slack(act.get("selected_user"))
            if target is None:
                raise InvalidInput("that person is not on the support team")
            return Change(assignee=target.id)
        logger.info("unknown block action", extra={"action_id": str(action_id)[:60]})
        return None

    def reply_modal(self, payload: dict[str, Any]) -> TriageOutcome:
        """The submitted "Reply to customer" modal: sent through the ticket's own channel."""
        directory = self.directory.load()
        member = directory.member_by_slack((payload.get("user") or {}).get("id"))
        view = payload.get("view") or {}
        try:
            where = json.loads(view.get("private_metadata") or "{}")
        except ValueError:
            where = {}
        text = (((view.get("state") or {}).get("values") or {}).get("reply") or {}).get("text", {}).get("value")
        if member is None or not where.get("channel") or not text:
            return TriageOutcome("ignored:incomplete-modal")
        channel, thread_ts = str(where["channel"]), str(where["thread_ts"])
        ticket = self.tickets.find(ticket_id_for(channel, thread_ts))
        if ticket is None:
            refs = self.tickets.resolve_refs([f"slack-triage:{channel}:{thread_ts}"])
            ref = next(iter(refs.values()), None)
            ticket = self.tickets.find(ref.ticket_id) if ref else None
        if ticket is None or ticket.kind != "ticket":
            if member.slack_user_id:
                self.outbox.add(dm_user(f"modal-not-a-ticket:{view.get('id')}", member.slack_user_id,
                                        "That message is not part of a ticket: nothing sent."))
            return TriageOutcome("ignored:not-a-ticket")
        self.tickets.add_reply(ticket, member, str(text), internal=False, idempotency_key=f"modal:{view.get('id')}")
        return TriageOutcome("reply-queued")

    def home_opened(self, event: dict[str, Any]) -> TriageOutcome:
        member = self.directory.load().member_by_slack(event.get("user"))
        if member is None:
            return TriageOutcome("ignored:not-on-the-team")
        self.outbox.add(home_step(member.id))
        return TriageOutcome("published")


def triage_effects(ticket: Ticket, actor: TeamMember, change: Change) -> list[Step]:
    """What a triage change causes, written with it: the ticket's Slack message shows the new state,
    and a new owner (other than the actor) is told (their App Home is refreshed with it)."""
    steps = [refresh_step(ticket)]
    if change.assignee and change.assignee != actor.id:
        steps.append(owner_notice_step(ticket, change.assignee, change.note))
    return steps
