"""Delivering agent replies back through the channel the customer wrote in.

The agent API records a reply as ``queued`` and enqueues a delivery job; the
worker claims the message (a lease), posts it, and records the channel's id for
it.  A failure releases the lease and raises, so SQS retries; on the last
receive the message is marked ``failed`` on the ticket before it goes to the DLQ.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.channels.slack import SlackApi
from chalicelib.directory_store import DirectoryStore
from chalicelib.observability import count, logger
from chalicelib.tickets import TicketService, number_of

REPLY_EVENT = "support_hero_reply"


@dataclass(frozen=True)
class DeliveryOutcome:
    action: str
    ticket_number: int | None = None


class UnsupportedChannel(Exception):
    pass


class ReplyDelivery:
    def __init__(self, *, tickets: TicketService, directory: DirectoryStore, slack: SlackApi,
                 max_receives: int = 5) -> None:
        self.tickets = tickets
        self.directory = directory
        self.slack = slack
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
        origin = ticket.origin or {}
        try:
            if origin.get("type") != "slack":
                raise UnsupportedChannel(f"no delivery adapter for {origin.get('type')!r}")
            channel, thread_ts = str(origin["channel"]), str(origin["thread_ts"])
            ref = None
            if was_sending:
                # The previous holder's lease expired: it may have posted before dying.
                ref = self.slack.find_own_post(channel, thread_ts, REPLY_EVENT, "message_key", message_key)
            if ref is None:
                member = self.directory.load().member(message.author_id or "")
                ref = self.slack.post(
                    channel=channel,
                    thread_ts=thread_ts,
                    text=message.text or "",
                    username=member.name if member else message.author_name,
                    icon_url=member.avatar_url if member else None,
                    metadata={"event_type": REPLY_EVENT, "event_payload": {"message_key": message_key}},
                )
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
        logger.info("reply delivered", extra={"ticket_number": ticket.number, "source": "slack"})
        return DeliveryOutcome("sent", number_of(ticket))
