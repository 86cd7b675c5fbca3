"""An agent's reply to an email ticket: a mail in the customer's thread (In-Reply-To their latest mail,
References the chain, Reply-To the ticket's reply address); its Message-ID derived from the message key."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from chalicelib.channels.email.mailer import Mailer, reply_address, reply_subject
from chalicelib.desk.directory_store import DirectoryStore
from chalicelib.desk.tickets import CUSTOMER, SYSTEM, TicketService
from chalicelib.models.tickets import Message, Ticket

MAX_REFERENCES = 10


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
        self.tickets.store.set_email_id(message, sent.message_id)
        return f"ses:{sent.ses_message_id}"

    def find_sent(self, ticket: Ticket, message: Message) -> str | None:
        return None  # SES keeps no searchable record; the Message-ID is stable instead (see module doc)
