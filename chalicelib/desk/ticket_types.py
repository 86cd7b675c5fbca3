"""The ticket desk's vocabulary: statuses, roles, delivery states, errors, and the commands and results
of :class:`~chalicelib.desk.tickets.TicketService` (no storage here: see ``ticket_store``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalicelib.desk.outbox import Step
    from chalicelib.models.tickets import Message, Ticket

NEW, OPEN, PENDING, SOLVED, CLOSED = "new", "open", "pending", "solved", "closed"
STATUSES = (NEW, OPEN, PENDING, SOLVED, CLOSED)
CUSTOMER, AGENT, INTERNAL, SYSTEM = "customer", "agent", "internal", "system"
UNSOLVED = (NEW, OPEN, PENDING)
QUEUED, RETRYING, SENT, FAILED = "queued", "retrying", "sent", "failed"
DELIVER = "reply.deliver"


class TicketError(Exception):
    """Base class of the ticket service's domain errors."""


class TicketNotFound(TicketError):
    pass


class InvalidInput(TicketError):
    pass


class WorkInProgress(TicketError):
    """Another worker holds the lease on this piece of work; retry later."""


class Contention(TicketError):
    """Too many concurrent writers on one ticket; the message is retried."""


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def message_key(at: dt.datetime, source_id: str) -> str:
    """``<epoch milliseconds>#<source id>``, computed in integers (no float rounding)."""
    return f"{(at - _EPOCH) // dt.timedelta(milliseconds=1):013d}#{source_id}"


def subject_from(text: str, limit: int = 120) -> str:
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if not first:
        return "(no text)"
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "…"


def number_of(ticket: Ticket) -> int | None:
    return int(ticket.number) if ticket.number is not None else None


def awaiting_of(ticket: Ticket) -> str | None:
    """The owner, while the customer's last word has not been answered."""
    last_customer, last_agent = ticket.last_customer_message_at, ticket.last_agent_message_at
    waiting = last_customer is not None and (last_agent is None or last_customer > last_agent)
    return ticket.assignee if waiting and ticket.assignee and ticket.status in (NEW, OPEN) else None


@dataclass(frozen=True)
class NewMessage:
    source_id: str
    at: dt.datetime
    role: str
    text: str
    channel: str
    author_id: str | None = None
    author_name: str | None = None
    files: tuple[str, ...] = ()
    edit_version: str | None = None
    deleted: bool = False
    delivery_status: str | None = None
    full_text: str | None = None  # an email's whole text when ``text`` is its reply without the quoted part
    # False: recorded in the conversation only; the ticket's status, owner and response clocks
    # stay as they were (mail that claims a team address but failed authentication).
    moves_state: bool = True

    @property
    def key(self) -> str:
        return message_key(self.at, self.source_id)


@dataclass(frozen=True)
class OpenTicket:
    ticket_id: str
    channel: str
    origin: dict[str, Any]
    subject: str
    requester_id: str | None
    requester_name: str | None
    customer_id: str | None
    tier: str | None
    priority: str
    first: NewMessage
    history: tuple[NewMessage, ...] = ()
    tags: tuple[str, ...] = ()
    refs: tuple[str, ...] = ()  # more source keys that must map to this ticket (email Message-IDs, tokens)
    requester_key: str | None = None  # the requester as an identity (chalicelib.desk.people.Identity.key)
    requester: Any = None  # their chalicelib.desk.people.Person when the intake identified them (saves reads)


@dataclass
class OpenResult:
    ticket: Ticket
    created: bool


# "Ticket opened": each subscriber names the side effects a new ticket causes (a confirmation, the
# Hero's DM, a triage post); they are written in the transaction that opens it.
OpenedEffects = Callable[["Ticket"], Sequence["Step"]]


@dataclass
class AppendResult:
    ticket: Ticket
    message: Message | None
    appended: bool


@dataclass
class Page:
    tickets: list[Ticket]
    cursor: str | None
