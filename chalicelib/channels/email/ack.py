"""The acknowledgement of a new email ticket: once per ticket, at most once per sender per 24 hours,
never to a sender a loop guard names.  Decided as the ticket opens (its step is written in the ticket's
transaction), sent by the ``email.ack`` outbox step."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable

from chalicelib.channels.email.mailer import Mailer, reply_address, reply_subject
from chalicelib.channels.email.parse import ParsedEmail
from chalicelib.desk.directory import Directory
from chalicelib.desk.directory_store import DirectoryStore
from chalicelib.desk.outbox import Attempt, PermanentFailure, Step, step_id
from chalicelib.desk.tickets import SYSTEM, NewMessage, TicketService, number_of
from chalicelib.models.tickets import Ticket
from chalicelib.platform.clock import Clock
from chalicelib.platform.observability import count, logger

ACK_WINDOW = dt.timedelta(hours=24)
ACK = "email.ack"


def msgid_ref(message_id: str) -> str:
    return f"email-msgid:{message_id}"


class Acknowledgements:
    def __init__(self, *, tickets: TicketService, directory: DirectoryStore, clock: Clock,
                 mailer: Callable[[], Mailer], support_address: str | None, enabled: bool) -> None:
        self.tickets = tickets
        self.directory = directory
        self.clock = clock
        self.mailer = mailer
        self.support_address = support_address
        self.enabled = enabled

    def effects(self, ticket: Ticket, parsed: ParsedEmail, directory: Directory) -> list[Step]:
        """Decided as the ticket opens, written in its transaction: the acknowledgement step, or why none
        (``confirmation_ref = none:<why>``)."""
        origin = ticket.origin or {}
        reason = origin.get("loop_guard")
        if not self.enabled:
            reason = "acknowledgements-off"
        elif reason is None and not self._claim_sender(str(parsed.from_address), ticket):
            reason = "sender-acknowledged-in-last-24h"
        if reason or not self.support_address:
            ticket.confirmation_ref = f"none:{reason or 'no-support-address'}"
            logger.info("no acknowledgement", extra={"ticket_number": ticket.number, "reason": reason})
            return []
        team = directory.settings.team_name
        text = (
            f"Hello,\n\nThanks for writing to {team}. Your request is ticket #{ticket.number}; "
            "we will answer in this thread.\n\nReplies to this email go to the same ticket."
        )
        calendar, now = directory.settings.calendar(), self.clock.now()
        if (directory.settings.after_hours_ack and ticket.created_at is not None
                and not calendar.is_open(ticket.created_at) and not calendar.is_open(now)):
            back = calendar.describe(calendar.next_opening(now))  # from now: the mail may have waited
            text += f"\n\nOur team is away right now; we are back on {back}."
        payload = {"ticket_id": ticket.ticket_id, "text": text, "to": parsed.from_address, "to_name": parsed.from_name,
                   "subject": reply_subject(parsed.subject), "in_reply_to": parsed.message_id,
                   "reply_token": origin["reply_token"], "at": now.isoformat()}
        return [Step(step_id(ACK, ticket.ticket_id), ACK, payload, ticket_id=ticket.ticket_id,
                     ticket_number=number_of(ticket), summary=f"acknowledgement of #{ticket.number} by email")]

    def step(self, attempt: Attempt) -> str:
        """The ``email.ack`` step: send it, then record it on the ticket and in its conversation."""
        p = attempt.payload
        ticket = self.tickets.find(str(p["ticket_id"]))
        if ticket is None or ticket.kind != "ticket":
            raise PermanentFailure("the ticket no longer exists")
        if ticket.confirmation_ref:
            return ticket.confirmation_ref
        team = self.directory.load().settings.team_name
        mailer = self.mailer()
        domain = mailer.support_address.partition("@")[2] or "localhost"
        in_reply_to = p.get("in_reply_to")
        sent = mailer.send(mailer.build(
            to=str(p["to"]), to_name=p.get("to_name"), subject=str(p["subject"]), text=str(p["text"]),
            from_name=team, reply_to=reply_address(mailer.support_address, str(p["reply_token"])),
            in_reply_to=in_reply_to, references=[in_reply_to] if in_reply_to else [], auto_reply=True,
            message_id=f"ack-{hashlib.sha256(attempt.step_id.encode()).hexdigest()[:32]}@{domain}",
        ))
        self.tickets.add_refs(ticket, [msgid_ref(i) for i in sent.ids])
        ref = f"ses:{sent.ses_message_id}"
        self.tickets.append(ticket, NewMessage(
            source_id=f"email:{sent.message_id}", at=dt.datetime.fromisoformat(str(p["at"])), role=SYSTEM,
            text=str(p["text"]), channel="email", author_id="system", author_name=team,
        ))
        self.tickets.set_confirmation(ticket, ref)
        count("EmailAcknowledgementsSent")
        return ref

    def _claim_sender(self, address: str, ticket: Ticket) -> bool:
        """The sender's one acknowledgement per ``ACK_WINDOW`` (kept by the same ticket on a retry)."""
        return self.tickets.store.claim_ref(f"email-ack:{address.lower()}", ticket_id=ticket.ticket_id,
                                            now=self.clock.now(), window=ACK_WINDOW)
