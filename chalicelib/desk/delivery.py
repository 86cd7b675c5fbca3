"""Delivering agent replies and notices back through the channel the customer wrote in.

A reply is written with its ``reply.deliver`` outbox step (see :mod:`chalicelib.desk.outbox`); the step
sends it through the ticket's channel, one implementation of :class:`ReplyChannel` per channel:

* ``send`` posts it and returns the channel's id for it (Slack ``ts``, SES message id, GitHub
  comment id);
* ``find_sent`` looks for it when an earlier attempt's outcome is unknown (a timeout once the
  request left): Slack message metadata carrying the message key, read back from the thread; a
  marker in the GitHub comment.  Email cannot be looked up; its Message-ID is derived from the
  message key, so a resend after an unknown outcome is the same mail to the mail clients that
  collapse duplicates by Message-ID.

The message shows the step's state: ``queued``, ``retrying`` (with the last error), ``sent`` or
``failed``.  A reply is never silently dropped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Protocol

from pynamodb.exceptions import PutError

from chalicelib.channels.email.mailer import Mailer, reply_address, reply_subject
from chalicelib.channels.github.api import GitHubApi
from chalicelib.channels.slack.api import SlackApi
from chalicelib.channels.slack.mrkdwn import md, quote, readable
from chalicelib.desk.directory_store import DirectoryStore
from chalicelib.desk.outbox import Attempt, Outbox, PermanentFailure, Step, Verdict, step_id
from chalicelib.desk.tickets import CUSTOMER, DELIVER, FAILED, RETRYING, SENT, SYSTEM, TicketService
from chalicelib.models.outbox import OutboxItem
from chalicelib.models.tickets import ExternalRef, Message, Ticket
from chalicelib.platform.observability import count, logger

REPLY_EVENT = "support_hero_reply"
MAX_REFERENCES = 10
GITHUB_MARKER = "<!-- support-hero:{} -->"


class ReplyChannel(Protocol):
    """What a channel implements to carry replies back to the customer."""

    def send(self, ticket: Ticket, message: Message) -> str: ...

    def find_sent(self, ticket: Ticket, message: Message) -> str | None: ...


class SlackReplies:
    def __init__(self, *, slack: SlackApi, directory: DirectoryStore) -> None:
        self.slack = slack
        self.directory = directory

    def send(self, ticket: Ticket, message: Message) -> str:
        origin = ticket.origin or {}
        member = self.directory.load().member(message.author_id or "")
        # Replies and notices are plain text (they go out by email and GitHub too): the Slack boundary
        # escapes them, so what an agent typed, or a notice quoting an issue title, shows literally.
        return self.slack.post(
            channel=str(origin["channel"]), thread_ts=str(origin["thread_ts"]), text=message.text or "",
            username=member.name if member else message.author_name,
            icon_url=member.avatar_url if member else None,
            metadata={"event_type": REPLY_EVENT, "event_payload": {"message_key": message.message_key}},
        )

    def find_sent(self, ticket: Ticket, message: Message) -> str | None:
        origin = ticket.origin or {}
        return self.slack.find_own_post(str(origin["channel"]), str(origin["thread_ts"]), REPLY_EVENT,
                                        "message_key", message.message_key)


class GitHubReplies:
    def __init__(self, github: Callable[[], GitHubApi]) -> None:
        self.github = github

    def send(self, ticket: Ticket, message: Message) -> str:
        """An issue comment that mentions the requester (the comment itself is the reply)."""
        origin = ticket.origin or {}
        marker = GITHUB_MARKER.format(message.message_key)
        comment = self.github().create_comment(str(origin["repo"]), int(origin["number"]),
                                               f"@{origin['login']} {message.text or ''}\n\n{marker}")
        return f"github-comment:{comment.get('id')}"

    def find_sent(self, ticket: Ticket, message: Message) -> str | None:
        origin = ticket.origin or {}
        marker = GITHUB_MARKER.format(message.message_key)
        for comment in self.github().comments(str(origin["repo"]), int(origin["number"])):
            if marker in str(comment.get("body") or ""):
                return f"github-comment:{comment.get('id')}"
        return None


class EmailReplies:
    def __init__(self, *, tickets: TicketService, directory: DirectoryStore, mailer: Callable[[], Mailer]) -> None:
        self.tickets = tickets
        self.directory = directory
        self.mailer = mailer

    def send(self, ticket: Ticket, message: Message) -> str:
        """An email in the customer's thread: In-Reply-To their latest mail, References the chain."""
        origin = ticket.origin or {}
        directory = self.directory.load()
        team = directory.settings.team_name
        member = directory.member(message.author_id or "")
        automatic = message.role == SYSTEM
        sender = team if automatic else f"{member.name if member else (message.author_name or 'Support')} at {team}"
        inbound = [m.email_message_id for m in self.tickets.conversation(ticket)
                   if m.role == CUSTOMER and m.email_message_id]
        root = origin.get("root_message_id")
        chain = list(dict.fromkeys([r for r in [root, *inbound] if r]))
        references = chain[:1] + chain[1:][-(MAX_REFERENCES - 1):]
        mailer = self.mailer()
        domain = mailer.support_address.partition("@")[2] or "localhost"
        mail = mailer.build(
            to=str(origin["address"]), to_name=origin.get("name"),
            subject=reply_subject(str(origin.get("subject") or ticket.subject or "")), text=message.text or "",
            from_name=sender, reply_to=reply_address(mailer.support_address, str(origin["reply_token"])),
            in_reply_to=chain[-1] if chain else None, references=references, auto_reply=automatic,
            message_id=f"{hashlib.sha256(message.message_key.encode()).hexdigest()[:32]}@{domain}",
        )
        sent = mailer.send(mail)
        self.tickets.add_refs(ticket, [f"email-msgid:{i}" for i in sent.ids])
        message.update(actions=[Message.email_message_id.set(sent.message_id)])
        return f"ses:{sent.ses_message_id}"

    def find_sent(self, ticket: Ticket, message: Message) -> str | None:
        return None  # SES keeps no searchable record; the Message-ID is stable instead (see module doc)


class ReplyDelivery:
    def __init__(self, *, tickets: TicketService, channels: dict[str, ReplyChannel]) -> None:
        self.tickets = tickets
        self.channels = channels

    def step(self, attempt: Attempt) -> str:
        """The ``reply.deliver`` step: send once, record the channel's id on the message."""
        ticket_id, key = str(attempt.payload["ticket_id"]), str(attempt.payload["message_key"])
        ticket = self.tickets.find(ticket_id)
        message = self.tickets.find_message(ticket_id, key)
        if ticket is None or message is None:
            raise PermanentFailure("the ticket or the reply no longer exists")
        if message.delivery_status == SENT and message.delivered_ref:
            return message.delivered_ref
        kind = str((ticket.origin or {}).get("type"))
        channel = self.channels.get(kind)
        if channel is None:
            raise PermanentFailure(f"no delivery channel for {kind!r}")
        try:
            ref = channel.find_sent(ticket, message) if attempt.maybe_sent else None
            if ref is None:
                ref = channel.send(ticket, message)
        except Exception as exc:
            from chalicelib.desk.outbox import classify

            verdict = classify(exc)
            status = FAILED if verdict.permanent else RETRYING
            self.tickets.record_delivery(message, status, attempts=attempt.number, error=verdict.reason)
            count("ReplyDeliveryFailed")
            raise
        self.tickets.record_delivery(message, SENT, attempts=attempt.number, ref=ref)
        count("RepliesDelivered")
        logger.info("reply delivered", extra={"ticket_number": ticket.number, "source": kind})
        return ref

    def failed_for_good(self, item: OutboxItem, verdict: Verdict) -> None:
        """A delivery step that exhausted its retries shows ``failed`` on its message."""
        if item.kind != DELIVER:
            return
        payload = dict(item.payload or {})
        message = self.tickets.find_message(str(payload.get("ticket_id")), str(payload.get("message_key")))
        if message is not None:
            self.tickets.record_delivery(message, FAILED, attempts=int(item.attempts or 0), error=item.last_error)


NOTICE_WINDOW_SECONDS = 3600
OWNER_NOTICE = "owner.notice"


def owner_notice_step(ticket: Ticket, member_id: str, note: str | None) -> Step:
    """Tell a ticket's new owner (written with the triage change that made them the owner)."""
    return Step(step_id(OWNER_NOTICE, ticket.ticket_id, int(ticket.version or 0) + 1, member_id), OWNER_NOTICE,
                {"ticket_id": ticket.ticket_id, "member_id": member_id, "note": note},
                ticket_id=ticket.ticket_id, ticket_number=int(ticket.number) if ticket.number is not None else None,
                summary=f"tell {member_id} about #{ticket.number}")


class OwnerNotices:
    """Tell a ticket's new owner by Slack DM: hand-overs always, plain assignments at most once
    an hour per ticket (the claim is a conditional write, so retries and races send one)."""

    def __init__(self, *, tickets: TicketService, directory: DirectoryStore, outbox: Outbox) -> None:
        self.tickets = tickets
        self.directory = directory
        self.outbox = outbox

    def step(self, attempt: Attempt) -> str:
        """The ``owner.notice`` step: decide (throttle), then write the DM and App Home steps."""
        from chalicelib.channels.slack.effects import tell
        from chalicelib.channels.slack.triage import home_step

        payload = attempt.payload
        ticket_id, member_id, note = str(payload["ticket_id"]), str(payload["member_id"]), payload.get("note")
        ticket = self.tickets.find(ticket_id)
        member = self.directory.load().member(member_id)
        if ticket is None or member is None or not member.slack_user_id:
            return "ignored:no-slack-user"
        now = self.tickets.clock.now()
        key = f"owner-notice:{ticket_id}:{member_id}" + (f":handover:{attempt.step_id}" if note else "")
        condition = (ExternalRef.ref.does_not_exist() | (ExternalRef.target == attempt.step_id))
        if not note:
            condition = condition | (ExternalRef.created_at < now - dt.timedelta(seconds=NOTICE_WINDOW_SECONDS))
        try:
            ExternalRef(key, ticket_id=ticket_id, number=ticket.number, created_at=now,
                        target=attempt.step_id).save(condition=condition)
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                self.outbox.add(home_step(member_id))
                return "throttled"
            raise
        summary = md("*#{}* {} ({}, {})", ticket.number, ticket.subject, ticket.channel, ticket.priority)
        # The note may come from a Slack command: its markup is shown as names, never re-posted live.
        text = (md(":handshake: Ticket {} was handed over to you.\n{}", summary, quote(readable(note))) if note
                else md(":ticket: Ticket {} is now yours.", summary))
        self.outbox.add(tell(f"notice:{attempt.step_id}", member_id, text, ticket_id=ticket_id,
                             ticket_number=int(ticket.number) if ticket.number is not None else None,
                             summary=f"tell {member_id} about #{ticket.number}"),
                        home_step(member_id))
        return "notified"
