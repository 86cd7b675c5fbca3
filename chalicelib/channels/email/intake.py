"""Inbound email to ticket operations (the worker side of the SES notification).

Order of decisions, each recorded:

1. SES spam or virus verdict FAIL -> quarantined (no ticket, no reply);
2. mail from our own support address -> turned away (a loop);
3. a delivery report -> recorded on the ticket whose mail bounced, else turned away;
4. threading: In-Reply-To / References naming a Message-ID seen or sent on a ticket,
   or the ticket's reply address (``hey+<token>@``) -> appended to that ticket;
   never by subject;
5. otherwise a new ticket (customer and priority from the sender's domain), and one
   acknowledgement unless a loop guard says no.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.channels.email.ack import ACK, ACK_WINDOW, Acknowledgements, msgid_ref
from chalicelib.channels.email.held import QUARANTINED, HeldMail
from chalicelib.channels.email.mailer import Mailer
from chalicelib.channels.email.parse import ParsedEmail, parse_email
from chalicelib.desk.directory import Directory
from chalicelib.desk.directory_store import DirectoryStore
from chalicelib.desk.events import UnverifiedTeamMail
from chalicelib.desk.outbox import Attempt
from chalicelib.desk.people import Identity, customer_of
from chalicelib.desk.tickets import (
    AGENT,
    CUSTOMER,
    SYSTEM,
    NewMessage,
    OpenTicket,
    TicketService,
    number_of,
    subject_from,
)
from chalicelib.models.tickets import Message, Ticket
from chalicelib.platform.clock import Clock
from chalicelib.platform.observability import count, logger

__all__ = ["ACK", "ACK_WINDOW", "EmailIntake", "EmailOutcome", "loop_guard", "msgid_ref", "sender_authenticated"]
_TOKEN = re.compile(r"^[a-z2-7]{16}$")
UNVERIFIED_TEAM_TAG = "unverified-team-address"


def _domain(address: str | None) -> str:
    return (address or "").strip().strip("<>").rpartition("@")[2].lower().rstrip(".")


def _aligned(a: str, b: str) -> bool:
    """Relaxed DMARC-style alignment: the same domain, or one a subdomain of the other."""
    return bool(a and b) and (a == b or a.endswith("." + b) or b.endswith("." + a))


def sender_authenticated(verdicts: dict[str, Any], envelope_sender: str | None, from_address: str | None) -> bool:
    """Do SES's verdicts show that the ``From`` address is really the sender's?

    DMARC must not FAIL, and DKIM must PASS, or SPF must PASS for an envelope sender aligned with
    the ``From`` domain (SPF vouches for the envelope, not for the header a person reads). A missing
    verdict counts as not passed: fail closed.
    """
    verdict = {k: str(verdicts.get(k) or "").upper() for k in ("spf", "dkim", "dmarc")}
    if verdict["dmarc"] == "FAIL":
        return False
    if verdict["dkim"] == "PASS" or verdict["dmarc"] == "PASS":
        return True
    return verdict["spf"] == "PASS" and _aligned(_domain(envelope_sender), _domain(from_address))


@dataclass(frozen=True)
class EmailOutcome:
    action: str
    ticket_number: int | None = None
    reason: str | None = None


def new_token() -> str:
    """16 base32 characters (80 random bits): the reply address cannot be guessed."""
    return base64.b32encode(os.urandom(10)).decode().lower()


def loop_guard(parsed: ParsedEmail, envelope_sender: str | None, own: set[str]) -> str | None:
    """Why no automatic mail may go to this sender (None: an acknowledgement is fine)."""
    auto = (parsed.auto_submitted or "").strip().lower()
    if auto and auto != "no":
        return "auto-submitted"
    if (parsed.precedence or "").strip().lower() in ("bulk", "junk", "list"):
        return f"precedence-{(parsed.precedence or '').strip().lower()}"
    if parsed.list_id:
        return "mailing-list"
    return_path = parsed.return_path if parsed.return_path is not None else envelope_sender
    if return_path is not None and return_path.strip() in ("", "<>"):
        return "empty-return-path"
    if parsed.x_autoreply:
        return "x-autoreply"
    if parsed.is_delivery_report:
        return "delivery-report"
    local = (parsed.from_address or "").split("@", 1)[0]
    if local in ("mailer-daemon", "postmaster") or local.startswith(("noreply", "no-reply", "donotreply")):
        return "robot-sender"
    if _own(parsed.from_address, own):
        return "own-address"
    if parsed.from_address and not parsed.from_address.isascii():
        return "internationalised-address"  # SES cannot send to SMTPUTF8 addresses
    return None


def _own(address: str | None, own: set[str]) -> bool:
    if not address:
        return False
    local, _, domain = address.lower().partition("@")
    return f"{local.split('+', 1)[0]}@{domain}" in own


class EmailIntake:
    def __init__(
        self,
        *,
        tickets: TicketService,
        directory: DirectoryStore,
        clock: Clock,
        get_object: Callable[[str, str], bytes],
        put_object: Callable[[str, str, bytes, str], None],
        mailer: Callable[[], Mailer],
        support_address: str | None,
        mail_bucket: str,
        ack_enabled: bool,
    ) -> None:
        self.tickets = tickets
        self.directory = directory
        self.clock = clock
        self.get_object = get_object
        self.put_object = put_object
        self.mailer = mailer
        self.support_address = support_address
        self.mail_bucket = mail_bucket
        self.ack_enabled = ack_enabled
        self.held_mail = HeldMail(clock)
        self.acks = Acknowledgements(tickets=tickets, directory=directory, clock=clock, mailer=mailer,
                                     support_address=support_address, enabled=ack_enabled)

    # -- records of mail that did not become a ticket (channels/email/held.py) ----
    def _log(self, kind: str, message: dict[str, Any], reason: str, parsed: ParsedEmail | None) -> EmailOutcome:
        self.held_mail.record(kind, message, reason, parsed)
        return EmailOutcome(kind, reason=reason)

    def held(self, kind: str, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
        """A page of quarantined or turned-away mail, newest first (a Query, never a Scan)."""
        return self.held_mail.page(kind, limit, cursor)

    def ack_step(self, attempt: Attempt) -> str:
        """The ``email.ack`` outbox step (channels/email/ack.py)."""
        return self.acks.step(attempt)

    def feedback(self, message: dict[str, Any]) -> EmailOutcome:
        """An SES bounce or complaint about mail we sent: a system note on that mail's ticket."""
        fb = message["feedback"]
        region_id = f"{fb['sent_message_id']}@{self.mailer().region}.amazonses.com" if self.support_address else ""
        refs = self.tickets.resolve_refs([msgid_ref(region_id)] if region_id else [])
        ref = next(iter(refs.values()), None)
        ticket = self.tickets.find(ref.ticket_id) if ref else None
        if ticket is None:
            logger.info("ses feedback about mail we have no ticket for", extra={"delivery_id": message["delivery_id"]})
            return EmailOutcome("ignored", reason="feedback-not-about-a-ticket")
        stamp = str(fb.get("timestamp") or self.clock.now().isoformat())
        note = f"{fb['type']} ({fb.get('subtype') or 'unspecified'}) for {', '.join(fb.get('recipients') or [])}"
        self.tickets.append(ticket, NewMessage(
            source_id=f"ses-feedback:{message['delivery_id']}",
            at=dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")),
            role=SYSTEM, text=note, channel="email", author_id="ses", author_name="Amazon SES",
        ))
        return EmailOutcome("bounce-recorded", number_of(ticket))

    # -- entry point -----------------------------------------------------------
    def handle(self, message: dict[str, Any]) -> EmailOutcome:
        verdicts = message.get("verdicts") or {}
        for name in ("spam", "virus"):
            if str(verdicts.get(name, "")).upper() == "FAIL":
                return self._log(QUARANTINED, message, f"{name}-verdict-fail", None)
        location = message["s3"]
        raw = self.get_object(location["bucket"], location["key"])
        parsed = parse_email(raw)
        directory = self.directory.load()
        own = {self.support_address} if self.support_address else set()
        if not parsed.from_address:
            return self._log("turned-away", message, "no-sender", parsed)
        if _own(parsed.from_address, own):
            return self._log("turned-away", message, "from-our-own-address", parsed)

        ses_id = str(message["delivery_id"])
        own_ref = msgid_ref(parsed.message_id) if parsed.message_id else f"ses:{ses_id}"
        tokens = [self._token(r) for r in (message.get("mail") or {}).get("recipients", []) + parsed.to + parsed.cc]
        thread_ids = parsed.in_reply_to + parsed.references
        if parsed.is_delivery_report:
            thread_ids = parsed.reported_message_ids + thread_ids
        wanted = [own_ref] + [msgid_ref(i) for i in thread_ids] + [f"email-token:{t}" for t in tokens if t]
        refs = self.tickets.resolve_refs(wanted)
        if own_ref in refs and not parsed.is_delivery_report:
            ticket = self.tickets.find(refs[own_ref].ticket_id)  # its acknowledgement was written with it
            return EmailOutcome("duplicate", number_of(ticket) if ticket else None)
        target = next((refs[r] for r in wanted[1:] if r in refs), None)
        ticket = self.tickets.find(target.ticket_id) if target else None

        if parsed.is_delivery_report:
            if ticket is None:
                return self._log("turned-away", message, "delivery-report-not-about-our-mail", parsed)
            note = f"Delivery report from {parsed.from_address}: {parsed.subject or '(no subject)'}"
            self.tickets.append(ticket, self._message(parsed, message, SYSTEM, note, ses_id), idempotency_ref=own_ref)
            return EmailOutcome("bounce-recorded", number_of(ticket))

        claimed = directory.member_by_email(parsed.from_address)
        envelope = (message.get("mail") or {}).get("source")
        proven = claimed is not None and parsed.from_unambiguous and sender_authenticated(
            verdicts, envelope, parsed.from_address)
        member = claimed if proven else None
        unverified = claimed is not None and not proven  # a team address SES could not vouch for: a stranger's words
        if ticket is not None:
            role = AGENT if member else CUSTOMER
            new = self._message(parsed, message, role, parsed.reply_text, ses_id)
            if member:
                new = NewMessage(**{**new.__dict__, "author_id": member.id, "author_name": member.name})
            elif unverified:
                new = NewMessage(**{**new.__dict__, "moves_state": False})
            result = self.tickets.append(ticket, new, idempotency_ref=own_ref)
            if result.message is not None:
                self._attach(ticket.ticket_id, result.message, parsed, message, ses_id)
            self._flag_auth(result.ticket, verdicts, unverified)
            if unverified:
                self._tell_unverified(result.ticket, parsed, verdicts, ses_id)
            return EmailOutcome("appended" if result.appended else "duplicate", number_of(ticket))
        return self._open(parsed, message, directory, own_ref, ses_id, unverified)

    def _tell_unverified(self, ticket: Ticket, parsed: ParsedEmail, verdicts: dict[str, Any], ses_id: str) -> None:
        """The Hero hears of mail that claimed a team address without proof (once per mail)."""
        count("InboundEmailsUnverifiedTeamAddress")
        logger.warning("mail claims a team address but is not authenticated",
                       extra={"ticket_number": ticket.number, "delivery_id": ses_id})
        self.tickets.events.publish(UnverifiedTeamMail(ticket, str(parsed.from_address), verdicts, ses_id))

    def _token(self, address: str) -> str | None:
        if not self.support_address or "@" not in address:
            return None
        local, _, domain = address.lower().partition("@")
        base, plus, token = local.partition("+")
        support_local, _, support_domain = self.support_address.partition("@")
        if plus and base == support_local and domain == support_domain and _TOKEN.match(token):
            return token
        return None

    def _message(self, parsed: ParsedEmail, message: dict[str, Any], role: str, text: str, ses_id: str) -> NewMessage:
        stamp = (message.get("mail") or {}).get("timestamp")
        at = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")) if stamp else (parsed.date or self.clock.now())
        full = parsed.text if role != SYSTEM and parsed.text != text else None
        if parsed.truncated:
            text += "\n\n[Truncated: the full message is kept with the original email.]"
            full = (full or parsed.text) + "\n\n[Truncated: the full message is kept with the original email.]"
        return NewMessage(
            source_id=f"email:{parsed.message_id or 'ses-' + ses_id}",
            at=at,
            role=role,
            text=text,
            channel="email",
            author_id=parsed.from_address,
            author_name=parsed.from_name or parsed.from_address,
            files=tuple(a.filename for a in parsed.attachments),
            full_text=full,
        )

    def _store_attachments(self, ticket_id: str, ses_id: str, parsed: ParsedEmail) -> list[dict[str, Any]]:
        stored = []
        for i, attachment in enumerate(parsed.attachments):
            safe = re.sub(r"[^A-Za-z0-9._-]+", "_", attachment.filename)[:100] or "attachment"
            key = f"attachments/{ticket_id.replace(':', '_')}/{ses_id}/{i}-{safe}"
            self.put_object(self.mail_bucket, key, attachment.payload, attachment.content_type)
            stored.append({"name": attachment.filename, "type": attachment.content_type, "size": attachment.size,
                           "key": key})
        return stored

    def _attach(self, ticket_id: str, item: Message, parsed: ParsedEmail, message: dict[str, Any],
                ses_id: str) -> None:
        """Attachments to S3, listed on the message; the raw email's key kept for the full text."""
        stored = self._store_attachments(ticket_id, ses_id, parsed)
        self.tickets.store.attach(item, attachments=stored or None,
                                  raw_ref=f"s3://{message['s3']['bucket']}/{message['s3']['key']}",
                                  email_message_id=parsed.message_id or None)

    def raw_location(self, ticket: Ticket, message_key: str) -> tuple[str, str] | None:
        """Where the raw mail behind one message of ``ticket`` is kept: (bucket, key), or None."""
        if not message_key or len(message_key) > 1200:
            return None
        item = self.tickets.store.message(ticket.ticket_id, message_key, consistent_read=False)
        if item is None:
            return None
        bucket, _, key = (item.raw_ref or "").removeprefix("s3://").partition("/")
        if not item.raw_ref or bucket != self.mail_bucket or not key:
            return None
        return bucket, key

    def _flag_auth(self, ticket: Ticket, verdicts: dict[str, Any], unverified: bool = False) -> None:
        failed = {f"{k}-fail" for k in ("spf", "dkim", "dmarc") if str(verdicts.get(k, "")).upper() == "FAIL"}
        if unverified:
            failed.add(UNVERIFIED_TEAM_TAG)
        if failed and not failed <= set(ticket.tags or ()):
            self.tickets.store.add_tags(ticket, failed)

    def _open(self, parsed: ParsedEmail, message: dict[str, Any], directory: Directory, own_ref: str,
              ses_id: str, unverified: bool = False) -> EmailOutcome:
        verdicts = message.get("verdicts") or {}
        authentic = not unverified and not any(str(verdicts.get(k, "")).upper() == "FAIL"
                                               for k in ("spf", "dkim", "dmarc"))
        # Only mail that passed authentication speaks for its address: a forged From joins nobody's history.
        identity = Identity.of("email", parsed.from_address) if authentic else None
        person = (self.tickets.people.requester(directory, identity, name=parsed.from_name)
                  if not directory.member_by_email(parsed.from_address) else None)
        customer = directory.customer_for_email(parsed.from_address) or customer_of(directory, person)
        tier = customer.tier if customer else "community"
        token = new_token()
        ticket_id = f"email:{parsed.message_id or 'ses-' + ses_id}"
        first = self._message(parsed, message, CUSTOMER, parsed.reply_text, ses_id)
        flags = tuple(f"{k}-fail" for k in ("spf", "dkim", "dmarc") if str(verdicts.get(k, "")).upper() == "FAIL")
        auto = loop_guard(parsed, (message.get("mail") or {}).get("source"), {self.support_address or ""})
        if unverified:
            flags += (UNVERIFIED_TEAM_TAG,)
        guard = auto or (UNVERIFIED_TEAM_TAG if unverified else None)  # no mail from us to a forged team address
        cmd = OpenTicket(
            ticket_id=ticket_id,
            channel="email",
            origin={
                "type": "email",
                "address": parsed.from_address,
                "name": parsed.from_name,
                "reply_token": token,
                "root_message_id": parsed.message_id,
                "subject": parsed.subject,
                "raw": message.get("s3"),
                "loop_guard": guard,
            },
            subject=subject_from(parsed.subject or parsed.text),
            requester_id=parsed.from_address,
            requester_name=parsed.from_name or parsed.from_address,
            customer_id=customer.id if customer else None,
            tier=tier,
            priority=directory.settings.priority_for(tier),
            first=first,
            tags=(("auto-submitted",) if auto else ()) + flags,
            refs=tuple(r for r in (own_ref if own_ref != ticket_id else None, f"email-token:{token}") if r),
            # Unauthenticated mail is kept under a key no person has (never under the address it claims).
            requester_key=identity.key if identity else f"unverified:{parsed.from_address}"[:300],
            requester=person,
        )
        result = self.tickets.open(cmd, effects=lambda t: self.acks.effects(t, parsed, directory))
        ticket = result.ticket
        if result.created:
            for m in self.tickets.conversation(ticket)[:1]:
                self._attach(ticket_id, m, parsed, message, ses_id)
        if unverified:
            self._tell_unverified(ticket, parsed, verdicts, ses_id)
        return EmailOutcome("opened" if result.created else "duplicate", number_of(ticket))
