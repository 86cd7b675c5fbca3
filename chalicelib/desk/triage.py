"""Triage: status, priority, owner, tags and hand-over, with optimistic locking and an audit trail.

Every change is one transaction: the ticket update, conditioned on the version the agent
saw (a stale version is a :class:`Conflict`, nothing is overwritten), and one audit entry
per changed field (a ``Message`` with role ``audit``: who changed what, when).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError

from chalicelib.desk import analytics, sla
from chalicelib.desk.directory import PRIORITIES, Directory, TeamMember
from chalicelib.desk.events import Events, TicketChanged
from chalicelib.desk.outbox import Outbox
from chalicelib.desk.survey_schedule import schedule_fields
from chalicelib.desk.ticket_store import TicketStore, reasons
from chalicelib.desk.tickets import (
    CLOSED,
    SOLVED,
    STATUSES,
    UNSOLVED,
    InvalidInput,
    TicketError,
    awaiting_of,
    message_key,
)
from chalicelib.models.outbox import OutboxItem
from chalicelib.models.tickets import Ticket
from chalicelib.platform.clock import Clock

AUDIT = "audit"
MAX_TAGS = 20


class Conflict(TicketError):
    """The ticket changed since the agent read it (HTTP 409)."""


@dataclass(frozen=True)
class Change:
    status: str | None = None
    priority: str | None = None
    assignee: str | None = None  # a member id; "" to unassign
    tags: tuple[str, ...] | None = None
    note: str | None = None  # hand-over note

    def validate(self, directory: Directory) -> None:
        if self.status is not None and self.status not in STATUSES:
            raise InvalidInput(f"status must be one of {', '.join(STATUSES)}")
        if self.priority is not None and self.priority not in PRIORITIES:
            raise InvalidInput(f"priority must be one of {', '.join(PRIORITIES)}")
        if self.assignee and directory.member(self.assignee) is None:
            raise InvalidInput(f"no team member '{self.assignee}'")
        if self.tags is not None:
            if len(self.tags) > MAX_TAGS or any(not t or len(t) > 50 or " " in t for t in self.tags):
                raise InvalidInput(f"tags: at most {MAX_TAGS}, each 1-50 characters without spaces")


class TriageService:
    def __init__(self, *, clock: Clock, connection: Connection, outbox: Outbox | None = None,
                 events: Events | None = None) -> None:
        self.clock = clock
        self.events = events or Events()
        self._connection = connection  # the store's (devstack/dbcount.py counts its requests)
        self.store = TicketStore(connection)
        self.outbox = outbox or Outbox(clock)

    def apply(self, ticket: Ticket, actor: TeamMember, change: Change, directory: Directory, *,
              expected_version: int | None, announce: bool = True) -> tuple[Ticket, list[str]]:
        """Apply ``change`` in one transaction with the side effects it causes (``announce``: the steps of
        every :class:`TicketChanged` subscriber, such as refreshing the ticket's Slack message and telling
        a new owner); returns the updated ticket and what changed (empty: nothing to do, no side effect)."""
        change.validate(directory)
        if expected_version is not None and int(ticket.version or 0) != expected_version:
            raise Conflict(f"ticket #{ticket.number} is at version {ticket.version}, not {expected_version}")
        now = self.clock.now()
        fields: dict[str, Any] = {}  # written: SET, or REMOVE for None, "" and an empty set
        changes: list[str] = []
        snapshot = analytics.Snapshot.of(ticket)

        def put(name: str, new: Any) -> None:
            """Set an attribute (``None``, ``""`` or an empty set remove it)."""
            if new == getattr(ticket, name):
                return
            fields[name] = new
            setattr(ticket, name, new if new not in ("", set()) else None)

        def field(name: str, new: Any, label: str | None = None) -> None:
            """Set an attribute the agent changed, and say so in the audit trail."""
            old = getattr(ticket, name)
            if new != old:
                put(name, new)
                changes.append(label or f"{name}: {old or '—'} → {new or '—'}")

        status = change.status if change.status is not None else ticket.status
        assignee = (change.assignee or None) if change.assignee is not None else ticket.assignee
        if change.status is not None and change.status != ticket.status:
            field("status", change.status)
            put("status_changed_at", now)
            put("solved_at",
                now if change.status == SOLVED else (ticket.solved_at if change.status == CLOSED else None))
        if change.priority is not None:
            field("priority", change.priority)
        if change.assignee is not None:
            label = f"owner: {ticket.assignee or '—'} → {assignee or '—'}"
            if change.note:
                label = f"handed over from {ticket.assignee or '—'} to {assignee or '—'}: {change.note}"
            field("assignee", assignee, label=label)
        if change.tags is not None:
            new_tags, old_tags = set(change.tags), set(ticket.tags or ())
            if new_tags != old_tags:
                added, removed = sorted(new_tags - old_tags), sorted(old_tags - new_tags)
                field("tags", new_tags or None,
                      label="tags: " + " ".join([f"+{t}" for t in added] + [f"-{t}" for t in removed]))
        put("unassigned", "OPEN" if status in UNSOLVED and not assignee else None)
        put("awaiting", awaiting_of(ticket))
        for name, value in sla.target_fields(ticket, directory.settings).items():
            put(name, value)  # solving stops the clock; reopening starts one
        if "status" in fields:
            for name, value in schedule_fields(ticket, directory.settings, now).items():
                put(name, value)  # solved: "How did we do?" after the grace period; reopened: not now
        if not changes:
            return ticket, []
        fields["updated_at"] = now
        metrics = analytics.changes_for(snapshot, ticket, settings=directory.settings, at=now, actor=actor.id,
                                        triage=True)
        counted = actor.id not in snapshot.triaged_by and actor.id not in analytics.NOT_PEOPLE
        steps = self.events.steps(TicketChanged(ticket, actor, change)) if announce else []
        try:
            with self.store.transaction() as write:
                write.update_ticket(ticket, fields, add={"triaged_by": {actor.id}} if counted else None)
                analytics.add_to_transaction(write.tx, metrics)  # once: conditioned on the version we read
                for i, text in enumerate(changes):
                    at = now + dt.timedelta(milliseconds=i)  # keys sort by ms: keep the order
                    write.audit(ticket.ticket_id, message_key(at, f"audit:{uuid.uuid4().hex}"), author_id=actor.id,
                                author_name=actor.name, text=text, at=at)
                for step in steps:
                    write.tx.save(self.outbox.item(step), condition=OutboxItem.step_id.does_not_exist())
        except TransactWriteError as exc:
            if "ConditionalCheckFailed" in reasons(exc):
                raise Conflict(f"ticket #{ticket.number} changed meanwhile; reload and try again") from exc
            raise
        self.outbox.written(steps)
        ticket.version = int(ticket.version or 0) + 1
        ticket.updated_at = now
        if actor.id not in analytics.NOT_PEOPLE:
            ticket.triaged_by = set(ticket.triaged_by or ()) | {actor.id}
        return ticket, changes
