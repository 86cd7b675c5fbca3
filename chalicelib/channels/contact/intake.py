"""A contact-form submission to a ticket.

The ticket's id is ``contact:<submission id>`` (one random id per page load), so a double submit or a
browser retry opens one ticket and counts once against the limits. Its origin is shaped like an email
ticket's, so the email channel answers it: To the address given, Reply-To the ticket's reply address
(``email-token:<token>`` is one of its refs), and the customer's email replies thread onto it.

No mail is sent when the ticket opens: the thank-you page is the receipt. Nothing the form's user
typed goes into a mail header: the subject of our answers is fixed, and the name stays on the ticket.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.channels.contact.form import FormError, Submission
from chalicelib.channels.contact.limits import ContactLimits, RateLimited
from chalicelib.channels.email.intake import new_token
from chalicelib.desk.directory_store import DirectoryStore
from chalicelib.desk.people import Identity, customer_of
from chalicelib.desk.tickets import CUSTOMER, NewMessage, OpenTicket, TicketService, number_of, subject_from
from chalicelib.platform.clock import Clock
from chalicelib.platform.observability import count, logger

CHANNEL = "contact"


@dataclass(frozen=True)
class ContactOutcome:
    action: str  # opened | duplicate | honeypot
    ticket_number: int | None = None


class ContactIntake:
    def __init__(self, *, tickets: TicketService, directory: DirectoryStore, clock: Clock, limits: ContactLimits,
                 support_address: str | None) -> None:
        self.tickets = tickets
        self.directory = directory
        self.clock = clock
        self.limits = limits
        self.support_address = (support_address or "").lower() or None

    def ticket_id(self, submission_id: str) -> str:
        return f"{CHANNEL}:{submission_id}"

    def _own(self, address: str) -> bool:
        if not self.support_address:
            return False
        local, _, domain = address.partition("@")
        return f"{local.split('+', 1)[0]}@{domain}" == self.support_address

    def submit(self, form: Submission, client_ip: str) -> ContactOutcome:
        """Open the ticket for ``form`` (or find the one it already opened).

        Raises :class:`FormError` (nothing written) and :class:`RateLimited` (nothing written)."""
        if form.honeypot:
            count("ContactHoneypot")
            logger.info("contact form honeypot filled: nothing written")
            return ContactOutcome("honeypot")
        ticket_id = self.ticket_id(form.submission_id)
        existing = self.tickets.find(ticket_id)
        if existing is not None:  # a double submit or a retry: the same ticket, counted once
            if existing.kind == "ticket" and (existing.requester_id or "") != form.email:
                raise FormError(400, "This form was already used to send another message. "
                                     "Please check your message and send it again.", form.values)
            return ContactOutcome("duplicate", number_of(existing) if existing.kind == "ticket" else None)
        if self._own(form.email):
            raise FormError(400, "That is our own address: please give yours, so that our answer reaches you.",
                            form.values)
        try:
            self.limits.consume(form.email, client_ip)
        except RateLimited as exc:
            count("ContactRateLimited")
            logger.info("contact form over its limit", extra={"limit": exc.which})
            raise
        directory = self.directory.load()
        identity = Identity.of("email", form.email)
        person = self.tickets.people.requester(directory, identity) if identity else None
        customer = directory.customer_for_email(form.email) or customer_of(directory, person)
        tier = customer.tier if customer else "community"
        token = new_token()
        first = NewMessage(source_id=ticket_id, at=self.clock.now(), role=CUSTOMER, text=form.message,
                           channel=CHANNEL, author_id=form.email, author_name=form.name)
        result = self.tickets.open(OpenTicket(
            ticket_id=ticket_id,
            channel=CHANNEL,
            origin={
                "type": CHANNEL,
                "address": form.email,
                "name": None,  # what they typed as a name never goes into a mail header
                "reply_token": token,
                "root_message_id": None,
                "subject": f"Your message to {directory.settings.team_name}",
            },
            subject=subject_from(form.message),
            requester_id=form.email,
            requester_name=form.name,
            customer_id=customer.id if customer else None,
            tier=tier,
            priority=directory.settings.priority_for(tier),
            first=first,
            refs=(f"email-token:{token}",),
            requester_key=identity.key if identity else None,
            requester=person,
        ))
        if result.created:
            count("ContactFormTicketsOpened")
            logger.info("contact form opened a ticket", extra={"ticket_number": number_of(result.ticket)})
        return ContactOutcome("opened" if result.created else "duplicate", number_of(result.ticket))
