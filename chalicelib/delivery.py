"""Delivering agent replies back through the channel the customer wrote in.

The agent API records a reply as ``queued`` and enqueues a delivery job; the
worker claims the message (a lease), sends it (Slack thread post, or email through
SES), and records the channel's id for it.  A failure releases the lease and
raises, so SQS retries; on the last receive the message is marked ``failed`` on
the ticket before it goes to the DLQ.  A reply is never silently dropped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from chalicelib.channels.email import Mailer, reply_address, reply_subject
from chalicelib.channels.github import GitHubApi
from chalicelib.channels.slack import SlackApi
from chalicelib.directory_store import DirectoryStore
from chalicelib.models.tickets import Message, Ticket
from chalicelib.mrkdwn import md, quote, readable
from chalicelib.observability import count, logger
from chalicelib.queue import EventQueue
from chalicelib.tickets import CUSTOMER, TicketService, number_of

REPLY_EVENT = "support_hero_reply"
MAX_REFERENCES = 10


@dataclass(frozen=True)
class DeliveryOutcome:
    action: str
    ticket_number: int | None = None


class UnsupportedChannel(Exception):
    pass


class ReplyDelivery:
    def __init__(self, *, tickets: TicketService, directory: DirectoryStore, slack: SlackApi,
                 mailer: Callable[[], Mailer], github: Callable[[], GitHubApi], max_receives: int = 5) -> None:
        self.tickets = tickets
        self.directory = directory
        self.slack = slack
        self.mailer = mailer
        self.github = github
        self.max_receives = max_receives

    def deliver(self, ticket_id: str, message_key: str, receive_count: int) -> DeliveryOutcome:
        ticket = self.tickets.find(ticket_id)
        message = self.tickets.find_message(ticket_id, message_key)
        if ticket is None or message is None:
            logger.warning("reply to deliver not found", extra={"ticket_id": ticket_id})
            return DeliveryOutcome("ignored:missing")
        was_sending = message.delivery_status == "sending"
        lease = self.tickets.claim_delivery(message)
        if lease is None:
            return DeliveryOutcome("already-sent", number_of(ticket))
        kind = (ticket.origin or {}).get("type")
        try:
            if kind == "slack":
                ref = self._slack(ticket, message, was_sending)
            elif kind == "email":
                ref = self._email(ticket, message)
            elif kind == "github":
                ref = self._github(ticket, message)
            else:
                raise UnsupportedChannel(f"no delivery adapter for {kind!r}")
        except Exception as exc:
            final = receive_count >= self.max_receives
            self.tickets.fail_delivery(message, lease, f"{type(exc).__name__}: {exc}", final=final)
            count("ReplyDeliveryFailed")
            logger.warning(
                "reply delivery failed",
                extra={"ticket_number": ticket.number, "receive_count": receive_count, "final": final},
            )
            raise
        self.tickets.complete_delivery(message, lease, ref)
        count("RepliesDelivered")
        logger.info("reply delivered", extra={"ticket_number": ticket.number, "source": kind})
        return DeliveryOutcome("sent", number_of(ticket))

    def _slack(self, ticket: Ticket, message: Message, was_sending: bool) -> str:
        origin = ticket.origin or {}
        channel, thread_ts = str(origin["channel"]), str(origin["thread_ts"])
        if was_sending:
            # The previous holder's lease expired: it may have posted before dying.
            found = self.slack.find_own_post(channel, thread_ts, REPLY_EVENT, "message_key", message.message_key)
            if found is not None:
                return found
        member = self.directory.load().member(message.author_id or "")
        # Replies and notices are plain text (they go out by email and GitHub too): the Slack boundary
        # escapes them, so what an agent typed, or a notice quoting an issue title, shows literally.
        return self.slack.post(
            channel=channel,
            thread_ts=thread_ts,
            text=message.text or "",
            username=member.name if member else message.author_name,
            icon_url=member.avatar_url if member else None,
            metadata={"event_type": REPLY_EVENT, "event_payload": {"message_key": message.message_key}},
        )

    def _github(self, ticket: Ticket, message: Message) -> str:
        """An issue comment that mentions the requester (the comment itself is the reply)."""
        origin = ticket.origin or {}
        comment = self.github().create_comment(str(origin["repo"]), int(origin["number"]),
                                               f"@{origin['login']} {message.text or ''}")
        return f"github-comment:{comment.get('id')}"

    def _email(self, ticket: Ticket, message: Message) -> str:
        """An email in the customer's thread: In-Reply-To their latest mail, References the chain."""
        origin = ticket.origin or {}
        directory = self.directory.load()
        member = directory.member(message.author_id or "")
        agent = member.name if member else (message.author_name or "Support")
        inbound = [
            m.email_message_id for m in self.tickets.conversation(ticket)
            if m.role == CUSTOMER and m.email_message_id
        ]
        root = origin.get("root_message_id")
        chain = list(dict.fromkeys([r for r in [root, *inbound] if r]))
        references = chain[:1] + chain[1:][-(MAX_REFERENCES - 1):]
        mailer = self.mailer()
        mail = mailer.build(
            to=str(origin["address"]),
            to_name=origin.get("name"),
            subject=reply_subject(str(origin.get("subject") or ticket.subject or "")),
            text=message.text or "",
            from_name=f"{agent} at {directory.settings.team_name}",
            reply_to=reply_address(mailer.support_address, str(origin["reply_token"])),
            in_reply_to=chain[-1] if chain else None,
            references=references,
        )
        sent = mailer.send(mail)
        self.tickets.add_refs(ticket, [f"email-msgid:{i}" for i in sent.ids])
        message.update(actions=[Message.email_message_id.set(sent.message_id)])
        return f"ses:{sent.ses_message_id}"


NOTICE_WINDOW_SECONDS = 3600


class OwnerNotices:
    """Tell a ticket's new owner by Slack DM: hand-overs always, plain assignments at most once
    an hour per ticket (the claim is a conditional write, so retries and races send one)."""

    def __init__(self, *, tickets: TicketService, directory: DirectoryStore, slack: SlackApi) -> None:
        self.tickets = tickets
        self.directory = directory
        self.slack = slack

    def notify(self, ticket_id: str, member_id: str, note: str | None, version: int) -> DeliveryOutcome:
        from pynamodb.exceptions import PutError

        from chalicelib.models.tickets import ExternalRef

        ticket = self.tickets.find(ticket_id)
        member = self.directory.load().member(member_id)
        if ticket is None or member is None or not member.slack_user_id:
            return DeliveryOutcome("ignored:no-slack-user")
        now = self.tickets.clock.now()
        key = f"owner-notice:{ticket_id}:{member_id}" + (f":handover:{version}" if note else "")
        condition = ExternalRef.ref.does_not_exist()
        if not note:
            condition = condition | (ExternalRef.created_at < now - dt.timedelta(seconds=NOTICE_WINDOW_SECONDS))
        try:
            ExternalRef(key, ticket_id=ticket_id, number=ticket.number, created_at=now).save(condition=condition)
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return DeliveryOutcome("throttled", number_of(ticket))
            raise
        summary = md("*#{}* {} ({}, {})", ticket.number, ticket.subject, ticket.channel, ticket.priority)
        # The note may come from a Slack command: its markup is shown as names, never re-posted live.
        text = (md(":handshake: Ticket {} was handed over to you.\n{}", summary, quote(readable(note))) if note
                else md(":ticket: Ticket {} is now yours.", summary))
        try:
            self.slack.direct_message(member.slack_user_id, text)
        except Exception:
            ExternalRef(key).delete()  # let the retry send it
            raise
        return DeliveryOutcome("notified", number_of(ticket))


def enqueue_delivery(queue: EventQueue, ticket: Ticket, message: Message) -> None:
    """Hand a recorded reply or notice to the worker for delivery (idempotent by message key)."""
    origin = ticket.origin or {}
    group = (f"slack:{origin.get('channel')}:{origin.get('thread_ts')}" if origin.get("type") == "slack"
             else f"{origin.get('type')}:{ticket.ticket_id}")
    queue.send(
        {"v": 1, "source": "outbound", "kind": "deliver", "ticket_id": ticket.ticket_id,
         "message_key": message.message_key},
        dedupe_key=f"deliver:{message.message_key}", group=group[:128],
    )
