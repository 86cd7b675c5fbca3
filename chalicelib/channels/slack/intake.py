"""Slack events to ticket operations (the worker side of ``POST /slack/events``).

Rules (see README "How Slack conversations become tickets"):

* community channels: a team member's ``:ticket:`` reaction opens a ticket from
  the message; anyone else's reaction does nothing;
* a customer's dedicated channel: every top-level message from someone outside
  the team opens a ticket, priority from the customer's tier;
* replies in a ticket's thread join it (team member -> agent, else customer);
* edits and deletions update the ticket; bots, joins and other noise are ignored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackClientError

from chalicelib.channels.slack.api import SlackApi, ts_to_datetime
from chalicelib.channels.slack.blocks import ticket_blocks
from chalicelib.channels.slack.mrkdwn import md, mention, readable
from chalicelib.channels.slack.refs import message_source_id, ticket_id_for
from chalicelib.desk.directory import Customer, Directory, TeamMember
from chalicelib.desk.directory_store import DirectoryStore
from chalicelib.desk.events import QuestionAsked, TeamReplied
from chalicelib.desk.outbox import Attempt, PermanentFailure, Step, step_id
from chalicelib.desk.people import Identity, customer_of
from chalicelib.desk.tickets import (
    AGENT,
    CUSTOMER,
    INTERNAL,
    NewMessage,
    OpenTicket,
    TicketService,
    number_of,
    subject_from,
)
from chalicelib.models.tickets import Ticket
from chalicelib.platform.observability import logger

NOISE_SUBTYPES = frozenset(
    {
        "bot_message", "channel_join", "channel_leave", "channel_topic", "channel_purpose",
        "channel_name", "channel_archive", "channel_unarchive", "group_join", "group_leave",
        "pinned_item", "unpinned_item", "ekm_access_denied", "me_message", "reminder_add",
        "bot_add", "bot_remove", "tombstone", "assistant_app_thread",
    }
)
MESSAGE_SUBTYPES = frozenset({None, "file_share", "thread_broadcast"})
CONFIRMATION_EVENT = "support_hero_ticket"
CONFIRM = "ticket.confirm"


@dataclass(frozen=True)
class Outcome:
    """What the worker did with an event (logged, and asserted on in tests)."""

    action: str
    ticket_number: int | None = None


class SlackIntake:
    def __init__(self, *, tickets: TicketService, directory: DirectoryStore, slack: SlackApi,
                 home: Callable[[dict[str, Any]], str] | None = None) -> None:
        self.tickets = tickets
        self.directory = directory
        self.slack = slack
        self.home = home

    # -- dispatch -----------------------------------------------------------
    def handle(self, payload: dict[str, Any]) -> Outcome:
        event = payload.get("event")
        if not isinstance(event, dict):
            return Outcome("ignored:no-event")
        directory = self.directory.load()
        team_id = str(payload.get("team_id") or "")
        etype = event.get("type")
        if etype == "app_home_opened" and self.home is not None:
            return Outcome(self.home(event))
        if etype == "reaction_added":
            return self._on_reaction(event, directory, team_id)
        if etype == "message":
            subtype = event.get("subtype")
            if subtype == "message_changed":
                return self._on_edit(event, directory, team_id)
            if subtype == "message_deleted":
                return self._on_delete(event, directory)
            if subtype in MESSAGE_SUBTYPES:
                return self._on_message(event, directory, team_id)
            return Outcome(f"ignored:subtype:{subtype}")
        return Outcome(f"ignored:event:{etype}")

    # -- helpers ------------------------------------------------------------
    def _is_noise(self, msg: dict[str, Any]) -> bool:
        if msg.get("subtype") in NOISE_SUBTYPES or msg.get("bot_id") or msg.get("bot_profile"):
            return True
        user = msg.get("user")
        if not user:
            return True
        try:
            return bool(user == self.slack.identity().user_id)
        except (SlackClientError, OSError):  # Slack is down: our own posts carry a bot_id, checked above
            logger.warning("could not read the bot's identity; judged by bot_id alone")
            return False

    @staticmethod
    def _watched(directory: Directory, channel: str) -> tuple[bool, Customer | None]:
        customer = directory.customer_for_channel(channel)
        return (customer is not None or directory.is_community_channel(channel)), customer

    def _name_of(self, directory: Directory, user_id: str) -> str | None:
        """A mentioned user's name for :func:`readable` (the team's name, else Slack's; None on an error)."""
        member = directory.member_by_slack(user_id)
        if member is not None:
            return member.name
        try:
            return self.slack.user(user_id).name
        except (SlackClientError, OSError):  # a name is a nicety (and Slack may be down): the id reads well enough
            logger.warning("could not look up a mentioned Slack user")
            return None

    def _profile(self, user_id: str) -> tuple[bool, Identity | None]:
        """Whether the user is an app, and their Slack profile's email (scope ``users:read.email``): a fact
        that links the person's mail.  Neither when Slack cannot say (the ticket opens all the same)."""
        try:
            user = self.slack.user(user_id)
        except (SlackClientError, OSError):
            logger.warning("could not look up a requester's Slack profile")
            return False, None
        return user.is_bot, None if user.is_bot else Identity.of("email", user.email)

    def _readable(self, text: str, directory: Directory) -> str:
        """A Slack message as the plain text we store and show: mentions as names, links as text, so a
        customer's ``<!channel>`` or ``<@U…>`` is never re-posted live (the Slack boundary escapes it)."""
        return readable(text, lambda user_id: self._name_of(directory, user_id))

    def _new_message(
        self, channel: str, msg: dict[str, Any], directory: Directory, *, edit_version: str | None = None
    ) -> NewMessage:
        user = str(msg.get("user") or "")
        member = directory.member_by_slack(user)
        name = member.name if member else self._name_of(directory, user) or user if user else None
        files = tuple(str(f.get("name") or f.get("title") or f.get("id")) for f in msg.get("files") or [])
        return NewMessage(
            source_id=message_source_id(channel, str(msg["ts"])),
            at=ts_to_datetime(str(msg["ts"])),
            role=AGENT if member else CUSTOMER,
            text=self._readable(str(msg.get("text") or ""), directory),
            channel="slack",
            author_id=member.id if member else user,
            author_name=name,
            files=files,
            edit_version=edit_version,
        )

    def _open(
        self,
        channel: str,
        root: dict[str, Any],
        directory: Directory,
        customer: Customer | None,
        team_id: str,
        *,
        history: list[dict[str, Any]] | None = None,
        opened_by: TeamMember | None = None,
        edit_version: str | None = None,
    ) -> Outcome:
        ts = str(root["ts"])
        first = self._new_message(channel, root, directory, edit_version=edit_version)
        first = NewMessage(**{**first.__dict__, "role": CUSTOMER})  # the request, whoever typed it
        thread_root = str(root.get("thread_ts") or ts)
        requester = str(root.get("user") or "")
        identity = Identity.of("slack", requester)
        requester_key = identity.key if identity else None
        person = None
        if identity is not None and directory.member_by_slack(requester) is None:
            is_bot, email = self._profile(requester)
            if is_bot or root.get("bot_id") or root.get("bot_profile"):
                requester_key = f"bot:{requester}"  # an app, not a person: no history, never surveyed
            else:
                person = self.tickets.people.requester(directory, identity, facts=[email], name=first.author_name,
                                                       hint=customer.id if customer else None)
                customer = customer or customer_of(directory, person)
        tier = customer.tier if customer else "community"
        imported = tuple(
            self._new_message(channel, m, directory)
            for m in history or []
            if m.get("ts") != ts and not self._is_noise(m)
        )
        cmd = OpenTicket(
            ticket_id=ticket_id_for(channel, ts),
            channel="slack",
            origin={
                "type": "slack", "channel": channel, "thread_ts": thread_root, "ts": ts, "team_id": team_id,
                "opened_by": opened_by.id if opened_by else None,
                "opened_by_slack": opened_by.slack_user_id if opened_by else None,
            },
            subject=subject_from(first.text),
            requester_id=requester,
            requester_key=requester_key,
            requester=person,
            requester_name=first.author_name,
            customer_id=customer.id if customer else None,
            tier=tier,
            priority=directory.settings.priority_for(tier),
            first=first,
            history=imported,
        )
        result = self.tickets.open(cmd)
        if result.ticket.kind != "ticket":
            return Outcome("ignored:deleted-before-ticket")
        return Outcome("opened" if result.created else "duplicate", number_of(result.ticket))

    # -- the confirmation in the thread: an outbox step written with the ticket ---------------
    def opened_effects(self, ticket: Ticket) -> list[Step]:
        """"Ticket opened" (a Slack ticket): confirm it in its thread, with the triage controls."""
        if ticket.channel != "slack":
            return []
        return [Step(step_id(CONFIRM, ticket.ticket_id), CONFIRM, {"ticket_id": ticket.ticket_id},
                     ticket_id=ticket.ticket_id, ticket_number=number_of(ticket),
                     summary=f"confirmation of #{ticket.number} in Slack")]

    def confirm_step(self, attempt: Attempt) -> str:
        ticket = self.tickets.find(str(attempt.payload["ticket_id"]))
        if ticket is None or ticket.kind != "ticket":
            raise PermanentFailure("the ticket no longer exists")
        if ticket.confirmation_ref:
            return ticket.confirmation_ref
        origin = ticket.origin or {}
        channel, thread_ts = str(origin["channel"]), str(origin["thread_ts"])
        ref = None
        if attempt.maybe_sent:  # an earlier try may have posted before it timed out or died
            ref = self.slack.find_own_post(channel, thread_ts, CONFIRMATION_EVENT, "ticket_id", ticket.ticket_id)
        if ref is None:
            who = md(" by {}", mention(origin["opened_by_slack"])) if origin.get("opened_by_slack") else ""
            text = md(":ticket: Ticket *#{}* opened{}: {}\nThe team will reply in this thread.",
                      ticket.number, who, ticket.subject)
            ref = self.slack.post(
                channel=channel, thread_ts=thread_ts, text=text, blocks=ticket_blocks(ticket, None),
                metadata={"event_type": CONFIRMATION_EVENT,
                          "event_payload": {"ticket_id": ticket.ticket_id, "number": ticket.number}},
            )
        self.tickets.set_confirmation(ticket, ref)
        logger.info("ticket confirmation posted", extra={"ticket_number": ticket.number, "source": "slack"})
        return ref

    # -- events -------------------------------------------------------------
    def _on_reaction(self, event: dict[str, Any], directory: Directory, team_id: str) -> Outcome:
        reaction = str(event.get("reaction") or "").split("::", 1)[0]
        if reaction != directory.settings.ticket_emoji:
            return Outcome("ignored:other-reaction")
        item = event.get("item") or {}
        if item.get("type") != "message":
            return Outcome("ignored:not-a-message")
        member = directory.member_by_slack(event.get("user"))
        if member is None:
            return Outcome("ignored:reaction-by-outsider")
        channel, ts = str(item.get("channel")), str(item.get("ts"))
        watched, customer = self._watched(directory, channel)
        if not watched:
            return Outcome("ignored:channel-not-watched")
        existing = self.tickets.find(ticket_id_for(channel, ts))
        if existing is not None:
            if existing.kind != "ticket":
                return Outcome("ignored:deleted-before-ticket")
            return Outcome("duplicate", number_of(existing))
        msg = self.slack.message(channel, ts)
        if msg is None:
            return Outcome("ignored:message-gone")
        if msg.get("subtype") in NOISE_SUBTYPES or msg.get("bot_id"):
            return Outcome("ignored:bot-message")
        history: list[dict[str, Any]] = []
        is_root = not msg.get("thread_ts") or msg.get("thread_ts") == ts
        if is_root and int(msg.get("reply_count") or 0) > 0:
            history = list(self.slack.thread(channel, ts))
        return self._open(channel, msg, directory, customer, team_id, history=history, opened_by=member)

    def _on_message(self, event: dict[str, Any], directory: Directory, team_id: str) -> Outcome:
        if self._is_noise(event):
            return Outcome("ignored:noise")
        channel = str(event.get("channel") or "")
        if channel and channel == directory.settings.triage_channel:
            return self._triage_note(event, directory)
        watched, customer = self._watched(directory, channel)
        if not watched:
            return Outcome("ignored:channel-not-watched")
        ts = str(event["ts"])
        thread_ts = event.get("thread_ts")
        member = directory.member_by_slack(event.get("user"))
        if not thread_ts or thread_ts == ts:
            if customer is not None and member is None:
                return self._open(channel, event, directory, customer, team_id)
            if member is None:
                self.tickets.events.publish(QuestionAsked(channel, ts, str(event.get("user")),
                                                          self._readable(str(event.get("text") or ""), directory)))
                return Outcome("watched:community-question")
            return Outcome("ignored:top-level-not-ticketed")
        ticket = self.tickets.find(ticket_id_for(channel, str(thread_ts)))
        if ticket is None:
            if customer is None and member is not None:
                self.tickets.events.publish(TeamReplied(channel, str(thread_ts)))  # somebody answered: not missed
                return Outcome("noted:team-replied")
            return self._open_from_reply(channel, str(thread_ts), directory, customer, team_id)
        if ticket.kind != "ticket":
            return Outcome("ignored:deleted-before-ticket")
        result = self.tickets.append(ticket, self._new_message(channel, event, directory))
        logger.info(
            "thread reply added" if result.appended else "thread reply was a duplicate",
            extra={"ticket_number": ticket.number, "source": "slack"},
        )
        return Outcome("appended" if result.appended else "duplicate", number_of(ticket))

    def _triage_note(self, event: dict[str, Any], directory: Directory) -> Outcome:
        """A team member's reply in the thread of an email/GitHub ticket's triage post: an internal note."""
        ts, thread_ts = str(event["ts"]), event.get("thread_ts")
        member = directory.member_by_slack(event.get("user"))
        if not thread_ts or thread_ts == ts or member is None:
            return Outcome("ignored:triage-channel")
        channel = str(event["channel"])
        refs = self.tickets.resolve_refs([f"slack-triage:{channel}:{thread_ts}"])
        ref = next(iter(refs.values()), None)
        ticket = self.tickets.find(ref.ticket_id) if ref else None
        if ticket is None:
            return Outcome("ignored:triage-thread-not-a-ticket")
        note = NewMessage(**{**self._new_message(channel, event, directory).__dict__, "role": INTERNAL})
        result = self.tickets.append(ticket, note)
        return Outcome("noted" if result.appended else "duplicate", number_of(ticket))

    def _open_from_reply(
        self, channel: str, thread_ts: str, directory: Directory, customer: Customer | None, team_id: str
    ) -> Outcome:
        """A reply arrived before its parent's ticket (out of order): open from the parent first."""
        if customer is None:
            return Outcome("ignored:thread-not-ticketed")
        thread = list(self.slack.thread(channel, thread_ts))
        if not thread or thread[0].get("ts") != thread_ts:
            return Outcome("ignored:parent-gone")
        root = thread[0]
        if self._is_noise(root) or directory.member_by_slack(root.get("user")):
            return Outcome("ignored:thread-not-ticketed")
        return self._open(channel, root, directory, customer, team_id, history=thread[1:])

    def _on_edit(self, event: dict[str, Any], directory: Directory, team_id: str) -> Outcome:
        inner = event.get("message")
        if not isinstance(inner, dict) or not inner.get("ts"):
            return Outcome("ignored:malformed-edit")
        edited = inner.get("edited")
        if not isinstance(edited, dict) or not edited.get("ts"):
            # Slack also sends message_changed when a thread gains replies; not an edit.
            return Outcome("ignored:not-an-edit")
        if self._is_noise(inner):
            return Outcome("ignored:noise")
        channel = str(event.get("channel") or "")
        watched, customer = self._watched(directory, channel)
        if not watched:
            return Outcome("ignored:channel-not-watched")
        ts = str(inner["ts"])
        root = str(inner.get("thread_ts") or ts)
        ticket = self.tickets.find(ticket_id_for(channel, root))
        version = str(edited["ts"])
        if ticket is None:
            if root == ts and customer is not None and directory.member_by_slack(inner.get("user")) is None:
                # The edit overtook its message: open from the edited text.
                return self._open(channel, inner, directory, customer, team_id, edit_version=version)
            return Outcome("ignored:not-ticketed")
        if ticket.kind != "ticket":
            return Outcome("ignored:deleted-before-ticket")
        changed = self.tickets.edit(ticket, self._new_message(channel, inner, directory, edit_version=version))
        return Outcome("edited" if changed else "stale-edit", number_of(ticket))

    def _on_delete(self, event: dict[str, Any], directory: Directory) -> Outcome:
        prev = event.get("previous_message") if isinstance(event.get("previous_message"), dict) else {}
        assert isinstance(prev, dict)
        ts = str(event.get("deleted_ts") or prev.get("ts") or "")
        if not ts:
            return Outcome("ignored:malformed-delete")
        if prev and self._is_noise(prev):
            return Outcome("ignored:noise")
        channel = str(event.get("channel") or "")
        watched, customer = self._watched(directory, channel)
        if not watched:
            return Outcome("ignored:channel-not-watched")
        root = str(prev.get("thread_ts") or ts)
        ticket = self.tickets.find(ticket_id_for(channel, root))
        if ticket is None:
            if root == ts and customer is not None:
                self.tickets.tombstone(ticket_id_for(channel, ts))
                return Outcome("tombstoned")
            return Outcome("ignored:not-ticketed")
        if ticket.kind != "ticket":
            return Outcome("ignored:deleted-before-ticket")
        msg = {**prev, "ts": ts, "user": prev.get("user") or ""}
        gone = self.tickets.delete_message(
            ticket, NewMessage(**{**self._new_message(channel, msg, directory).__dict__, "deleted": True})
        )
        return Outcome("deleted" if gone else "duplicate", number_of(ticket))
