"""Rebuild the analytics aggregates from the tickets (``python -m chalicelib.cli rebuild-metrics``).

Each ticket's conversation and audit trail are replayed in time order through the same
rule as the live path (:func:`chalicelib.desk.tickets.evolve`: state, response target and
analytics increments of one message), then its satisfaction rating, if it has one, through
:func:`chalicelib.desk.metrics.rating_changes` as the survey records it, so a rebuild gives
what the live path would have counted under the current calendar and targets.  Tickets are read through the
``by_listing`` index (paged Queries); run it when the desk is quiet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from chalicelib.desk import metrics_store, sla
from chalicelib.desk.analytics import (
    RATINGS,
    TOTAL_PARTITION,
    Delta,
    Deltas,
    Snapshot,
    changes_for,
    months_between,
    rating_changes,
    raw_items,
    roll_up,
    rollup_partition,
    stale_days,
)
from chalicelib.desk.directory import TeamSettings
from chalicelib.desk.ticket_store import TicketStore
from chalicelib.desk.tickets import AGENT, CUSTOMER, SOLVED, NewMessage, evolve
from chalicelib.models.tickets import Message, Ticket

AUDIT = "audit"


def replay(ticket: Ticket, conversation: Iterable[Message], settings: TeamSettings) -> list[Deltas]:
    """The increments the live path makes for this ticket, event by event."""
    if ticket.kind != "ticket" or ticket.created_at is None:
        return []
    sim = Ticket(ticket.ticket_id, kind="ticket", channel=ticket.channel, tier=ticket.tier,
                 created_at=ticket.created_at, status="new", message_count=0)
    out: list[Deltas] = []
    opened = False
    for m in sorted(conversation, key=lambda m: m.message_key):
        if m.role not in (CUSTOMER, AGENT, AUDIT) or (m.role == AUDIT and not opened):
            continue
        before = Snapshot.of(sim) if opened else None
        if m.role == AUDIT:
            _apply_audit(sim, m)
            sla.refresh(sim, settings)
            out.append(changes_for(before, sim, settings=settings, at=m.created_at, actor=m.author_id, triage=True))
            if m.author_id:
                sim.triaged_by = set(sim.triaged_by or ()) | {m.author_id}
        else:
            message = NewMessage(source_id=m.external_id or m.message_key, at=m.created_at, role=m.role, text="",
                                 channel=m.channel, author_id=m.author_id)
            out.append(evolve(sim, message, settings, opening=not opened)[0])
        opened = True
    if ticket.csat in RATINGS and ticket.csat_at is not None:  # the rating as stored, with its owner then
        out.append(rating_changes(ticket, ticket.csat, ticket.csat_at, settings))
    return out


def _apply_audit(sim: Ticket, m: Message) -> None:
    """Status and owner changes, from the audit trail's "status: open → solved" lines."""
    text = m.text or ""
    field, _, change = text.partition(": ")
    new = change.rpartition("→")[2].strip()
    new_value = None if new in ("", "—") else new
    if field == "status" and new_value:
        sim.status = new_value
        sim.status_changed_at = m.created_at
        sim.solved_at = m.created_at if new_value == SOLVED else (sim.solved_at if new_value == "closed" else None)
    elif field == "owner" or text.startswith("handed over from "):
        target = text.split(" to ", 1)[1].split(":", 1)[0].strip() if text.startswith("handed over") else new
        sim.assignee = None if target in ("", "—") else target


def aggregate(all_deltas: Iterable[Deltas]) -> dict[tuple[str, str], Delta]:
    merged: Deltas | None = None
    for deltas in all_deltas:
        if merged is None:
            merged = Deltas(deltas.calendar)
        merged.merge(deltas)
    return dict(merged.items) if merged is not None else {}


def write(items: dict[tuple[str, str], Delta]) -> None:
    """One UpdateItem of ADDs per aggregate: the same actions as the live path."""
    for delta in items.values():
        metrics_store.apply(delta)


def rebuild(settings: TeamSettings, *, today: dt.date, page: int = 200) -> dict[str, int]:
    """Replace every aggregate with the replay of every ticket.  Returns counts for the operator."""
    store = TicketStore()
    tickets = 0
    all_deltas: list[Deltas] = []
    first_day = today
    start: dict[str, Any] | None = None
    while True:
        results = store.listing(limit=page, start=start)
        for ticket in results:
            tickets += 1
            if ticket.created_at is not None:
                first_day = min(first_day, settings.calendar().local_date(ticket.created_at))
            all_deltas.extend(replay(ticket, store.messages(ticket.ticket_id), settings))
        start = results.last_evaluated_key
        if not start:
            break
    items = aggregate(all_deltas)
    partitions = [*months_between(first_day, today), TOTAL_PARTITION,
                  *(rollup_partition(year) for year in range(first_day.year, today.year + 1))]
    stale = [(month, str(raw["key"]["S"])) for month in partitions for raw in raw_items(month)]
    metrics_store.delete_items(stale)
    removed = len(stale)
    write(items)
    rolled = sum(roll_up(day) for day in stale_days(today, years=today.year - first_day.year + 1))
    return {"tickets": tickets, "items_written": len(items), "items_removed": removed, "days_rolled_up": rolled}
