"""What one message does to a ticket: its state, its response target and the analytics it counts
(pure: no storage; the live path and the metrics rebuild both go through :func:`evolve`)."""

from __future__ import annotations

from typing import Any

from chalicelib.desk import analytics, sla
from chalicelib.desk.ticket_types import AGENT, CUSTOMER, NEW, OPEN, PENDING, SOLVED, UNSOLVED, NewMessage
from chalicelib.models.tickets import Ticket


def apply(ticket: Ticket, m: NewMessage) -> None:
    """The effect of one message on the ticket's state (pure; order-independent)."""
    if not m.moves_state:
        return
    if m.role == CUSTOMER:
        if ticket.last_customer_message_at is None or m.at > ticket.last_customer_message_at:
            ticket.last_customer_message_at = m.at
        changed = ticket.status_changed_at
        if ticket.status in (PENDING, SOLVED) and (changed is None or m.at > changed):
            ticket.status = OPEN
            ticket.status_changed_at = m.at
            ticket.solved_at = None
            if not ticket.assignee:
                ticket.unassigned = "OPEN"
    elif m.role == AGENT:
        if ticket.last_agent_message_at is None or m.at > ticket.last_agent_message_at:
            ticket.last_agent_message_at = m.at
        if ticket.first_response_at is None or m.at < ticket.first_response_at:
            ticket.first_response_at = m.at
        if ticket.status == NEW:
            ticket.status = OPEN
            ticket.status_changed_at = m.at
        if not ticket.assignee and m.author_id and ticket.status in UNSOLVED:
            # Whoever first answers an unassigned ticket owns it (until solved or handed over).
            ticket.assignee = m.author_id
            ticket.unassigned = None


def evolve(ticket: Ticket, m: NewMessage, settings: Any, *, opening: bool = False
           ) -> tuple[analytics.Deltas, dict[str, Any]]:
    """What one message does to a ticket, decided in one place for the live path (open, append) and the
    metrics rebuild: its state (:func:`apply`), its response target (:func:`sla.refresh`)
    and the analytics increments it causes.  Returns (increments, the target fields that changed)."""
    before = None if opening else analytics.Snapshot.of(ticket)
    apply(ticket, m)
    targets = sla.refresh(ticket, settings)
    deltas = analytics.changes_for(before, ticket, settings=settings, at=m.at, actor=m.author_id,
                                   responses=[analytics.Response(m.author_id, m.at)] if m.role == AGENT else [])
    return deltas, targets
