"""Delivering agent replies and notices back through the channel the customer wrote in.

A reply is written with its ``reply.deliver`` outbox step (see :mod:`chalicelib.desk.outbox`); the step
sends it through the ticket's channel, one :class:`ReplyChannel` per channel (``channels/<name>/replies.py``):

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

from typing import Protocol

from chalicelib.desk.outbox import Attempt, PermanentFailure, Verdict
from chalicelib.desk.tickets import DELIVER, FAILED, RETRYING, SENT, TicketService
from chalicelib.models.outbox import OutboxItem
from chalicelib.models.tickets import Message, Ticket
from chalicelib.platform.observability import count, logger


class ReplyChannel(Protocol):
    """What a channel implements to carry replies back to the customer."""

    def send(self, ticket: Ticket, message: Message) -> str: ...

    def find_sent(self, ticket: Ticket, message: Message) -> str | None: ...


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
