"""The store of tickets, their messages and their external references: the one module that reads and
writes the ``Ticket``, ``Message`` and ``ExternalRef`` models (the desk decides, the store persists).

Reads are consistent where a decision follows them; every Query names its index (never a Scan).
Writes that must happen once carry their condition here (``attribute_not_exists``, the ticket's
version, a stale target); a condition that fails is an answer (``False``), not an error.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, PutError, QueryError, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.pagination import ResultIterator
from pynamodb.transactions import TransactWrite

from chalicelib.desk.ticket_types import NEW, InvalidInput, NewMessage, OpenTicket
from chalicelib.desk.ticket_views import FILTERS, VIEWS
from chalicelib.models.conditions import conditional_failed
from chalicelib.models.tickets import ExternalRef, Message, Ticket


def reasons(exc: TransactWriteError) -> list[str | None]:
    """Why each item of a cancelled transaction failed, in the order they were written."""
    return [r.code if r is not None else None for r in exc.cancellation_reasons]


def _removes(value: Any) -> bool:
    return value is None or (isinstance(value, (str, set, frozenset)) and not value)


def field_actions(fields: Mapping[str, Any], add: Mapping[str, Any] | None = None) -> list[Action]:
    """SET each ticket field to its value (REMOVE it for ``None``, ``""`` or an empty set); ADD ``add``."""
    actions: list[Action] = [getattr(Ticket, k).add(v) for k, v in (add or {}).items()]
    for name, value in fields.items():
        attr = getattr(Ticket, name)
        actions.append(attr.remove() if _removes(value) else attr.set(value))
    return actions


class TicketWrite:
    """One transaction on tickets, messages and refs; ``tx`` is there for the items that join it
    (analytics increments, outbox steps).  Items fail in the order they were added (see :func:`reasons`)."""

    def __init__(self, tx: TransactWrite) -> None:
        self.tx = tx

    def create_ticket(self, ticket: Ticket) -> None:
        self.tx.save(ticket, condition=Ticket.ticket_id.does_not_exist())

    def create_ref(self, ref: str, *, ticket_id: str, number: float | None, at: dt.datetime,
                   target: str | None = None) -> None:
        self.tx.save(ExternalRef(ref, ticket_id=ticket_id, number=number, created_at=at, target=target),
                     condition=ExternalRef.ref.does_not_exist())

    def create_message(self, item: Message) -> None:
        self.tx.save(item, condition=Message.message_key.does_not_exist())

    def audit(self, ticket_id: str, key: str, *, author_id: str, author_name: str, text: str,
              at: dt.datetime) -> None:
        """One line of a ticket's audit trail (role ``audit``)."""
        self.tx.save(Message(ticket_id, key, role="audit", author_id=author_id, author_name=author_name, text=text,
                             channel="system", created_at=at))

    def update_ticket(self, ticket: Ticket, fields: Mapping[str, Any], add: Mapping[str, Any] | None = None) -> None:
        """Under the ticket's version (a lost race cancels the transaction)."""
        self.tx.update(ticket, actions=field_actions(fields, add))


@dataclass(frozen=True)
class _Plan:
    index: Any
    hash_attr: str
    hash_value: str
    range_attr: str
    forward: bool


def _plan(view: str, member_id: str | None, filters: dict[str, str]) -> _Plan:
    """Which index answers a view (and which filters ride on it as a Query's filter)."""
    if view not in VIEWS:
        raise InvalidInput(f"view must be one of: {', '.join(VIEWS)}")
    if view in ("mine", "awaiting-reply") and not member_id:
        raise InvalidInput(f"view={view} needs an agent")
    if view == "awaiting-reply":
        return _Plan(Ticket.by_awaiting, "awaiting", str(member_id), "last_customer_message_at", True)
    if view == "due":  # every ticket with a running response target, soonest due first
        return _Plan(Ticket.by_due, "sla_due", "DUE", "due_at", True)
    if view == "mine":
        return _Plan(Ticket.by_assignee, "assignee", str(member_id), "created_at", False)
    if view == "unassigned":
        return _Plan(Ticket.by_unassigned, "unassigned", "OPEN", "created_at", False)
    for key, index, attr in (("customer", Ticket.by_customer, "customer_id"), ("status", Ticket.by_status, "status"),
                             ("priority", Ticket.by_priority, "priority"), ("channel", Ticket.by_channel, "channel")):
        if key in filters:
            return _Plan(index, attr, filters[key], "created_at", False)
    return _Plan(Ticket.by_listing, "listing", "ALL", "created_at", False)


def _check_cursor(start: dict[str, Any], plan: _Plan) -> None:
    """A cursor is the last key of the previous page of *this* view; anything else is a 400."""
    expected = {"ticket_id", plan.range_attr, plan.hash_attr}
    if set(start) != expected or not all(
        isinstance(v, dict) and set(v) == {"S"} and isinstance(v["S"], str) for v in start.values()
    ):
        raise InvalidInput("cursor is not valid for this view")
    if start[plan.hash_attr]["S"] != plan.hash_value:
        raise InvalidInput("cursor is not valid for this view")


Start = dict[str, Any] | None


class TicketStore:
    """Tickets, messages and external references in DynamoDB.  ``connection`` is needed for transactions only."""

    def __init__(self, connection: Connection | None = None) -> None:
        self._connection = connection

    @contextmanager
    def transaction(self) -> Iterator[TicketWrite]:
        """Raises :class:`TransactWriteError` when it is cancelled (see :func:`reasons`)."""
        if self._connection is None:
            raise RuntimeError("this TicketStore has no connection for transactions")
        with TransactWrite(connection=self._connection) as tx:
            yield TicketWrite(tx)

    # -- tickets: reads ----------------------------------------------------------------------------
    def get(self, ticket_id: str) -> Ticket | None:
        try:
            return Ticket.get(ticket_id, consistent_read=True)
        except DoesNotExist:
            return None

    def by_number(self, number: int) -> Ticket | None:
        return next(iter(Ticket.by_number.query(number, limit=1)), None)

    def page(self, view: str, member_id: str | None, limit: int, start: Start,
             filters: dict[str, str]) -> tuple[list[Ticket], Start]:
        """One page of a view (``VIEWS``), with ``filters`` (``FILTERS``) riding on its Query."""
        unknown = set(filters) - set(FILTERS)
        if unknown:
            raise InvalidInput(f"unknown filter(s): {', '.join(sorted(unknown))}")
        plan = _plan(view, member_id, filters)
        if start is not None:
            _check_cursor(start, plan)
        condition: Condition | None = None
        for key, attr in (("status", Ticket.status), ("priority", Ticket.priority), ("channel", Ticket.channel),
                          ("customer", Ticket.customer_id)):
            if key in filters and plan.hash_attr != attr.attr_name:
                condition = attr == filters[key] if condition is None else condition & (attr == filters[key])
        if "tag" in filters:
            tag = Ticket.tags.contains(filters["tag"].lower())
            condition = tag if condition is None else condition & tag
        results = plan.index.query(plan.hash_value, scan_index_forward=plan.forward, limit=limit,
                                   last_evaluated_key=start, filter_condition=condition)
        try:
            tickets = list(results)
        except QueryError as exc:
            if exc.cause_response_code == "ValidationException":
                raise InvalidInput("cursor is not valid for this view") from exc
            raise
        return tickets, results.last_evaluated_key

    def with_status(self, status: str, *, limit: int, start: Start) -> ResultIterator[Ticket]:
        return Ticket.by_status.query(status, limit=limit, last_evaluated_key=start)

    def of_assignee(self, member_id: str, *, limit: int, start: Start) -> ResultIterator[Ticket]:
        """Oldest first."""
        return Ticket.by_assignee.query(member_id, limit=limit, last_evaluated_key=start, scan_index_forward=True)

    def to_check(self, now: dt.datetime, *, limit: int, start: Start) -> ResultIterator[Ticket]:
        """Tickets whose response-target warning is due by ``now`` (the sparse ``by_sla_check``)."""
        return Ticket.by_sla_check.query("CHECK", Ticket.sla_check_at <= now, limit=limit, last_evaluated_key=start)

    def created_between(self, first: dt.datetime, last: dt.datetime, *, limit: int, start: Start,
                        newest_first: bool = False, page_size: int | None = None) -> ResultIterator[Ticket]:
        """Oldest first (``newest_first``: the other way); ``first`` and ``last`` both included."""
        return Ticket.by_listing.query("ALL", Ticket.created_at.between(first, last),
                                       scan_index_forward=not newest_first, limit=limit, last_evaluated_key=start,
                                       page_size=page_size)

    def created_in(self, first: dt.datetime, before: dt.datetime, *, limit: int,
                   page_size: int = 200) -> tuple[list[Ticket], bool]:
        """Tickets created from ``first`` up to (not including) ``before``, newest first: at most ``limit``
        of them, read in Queries of ``page_size`` on ``by_listing``.  True when more were left out (the
        oldest ones)."""
        found = list(self.created_between(first, before - dt.timedelta(microseconds=1), limit=limit + 1,
                                          start=None, newest_first=True, page_size=min(page_size, limit + 1)))
        return found[:limit], len(found) > limit

    def view_counts(self, member_id: str, cap: int = 1000) -> dict[str, int | None]:
        """How many tickets each inbox view holds (a COUNT Query each, at most ``cap`` counted)."""
        return {"awaiting-reply": Ticket.by_awaiting.count(member_id, limit=cap),
                "unassigned": Ticket.by_unassigned.count("OPEN", limit=cap),
                "due": Ticket.by_due.count("DUE", limit=cap),
                "all": Ticket.by_listing.count("ALL", limit=cap)}

    def surveys_due(self, now: dt.datetime, *, limit: int) -> list[Ticket]:
        """Solved tickets whose satisfaction survey is due by ``now`` (the sparse ``by_survey``)."""
        return list(Ticket.by_survey.query("SURVEY", Ticket.survey_at <= now, limit=limit))

    def of_requester(self, key: str, *, limit: int, before: dt.datetime | None = None) -> list[Ticket]:
        """One identity's tickets (``requester_key``), newest first, opened before ``before``."""
        condition = Ticket.created_at < before if before is not None else None
        return list(Ticket.by_requester.query(key, condition, limit=limit, scan_index_forward=False))

    def count_of_requester(self, key: str, *, before: dt.datetime | None = None) -> int:
        condition = Ticket.created_at < before if before is not None else None
        return Ticket.by_requester.count(key, condition)

    def listing(self, *, limit: int, start: Start) -> ResultIterator[Ticket]:
        """Every ticket, newest first."""
        return Ticket.by_listing.query("ALL", limit=limit, last_evaluated_key=start)

    # -- tickets: writes ----------------------------------------------------------------------------
    @staticmethod
    def new_ticket(cmd: OpenTicket, *, number: int, now: dt.datetime) -> Ticket:
        """The item a new ticket starts as (written by :meth:`TicketWrite.create_ticket`)."""
        return Ticket(
            cmd.ticket_id, kind="ticket", number=number, status=NEW, priority=cmd.priority, subject=cmd.subject,
            channel=cmd.channel, origin=cmd.origin, requester_id=cmd.requester_id,
            requester_name=cmd.requester_name, customer_id=cmd.customer_id, tier=cmd.tier,
            requester_key=cmd.requester_key,
            tags=set(cmd.tags) or None, created_at=cmd.first.at, status_changed_at=cmd.first.at, updated_at=now,
            listing="ALL", unassigned="OPEN", message_count=0,
        )

    def tombstone(self, ticket_id: str, now: dt.datetime) -> bool:
        """False when the ticket (or a tombstone) is already there."""
        try:
            Ticket(ticket_id, kind="tombstone", updated_at=now).save(condition=Ticket.ticket_id.does_not_exist())
        except PutError as exc:
            if conditional_failed(exc):
                return False
            raise
        return True

    def update(self, ticket: Ticket, fields: Mapping[str, Any], *, versioned: bool = True) -> bool:
        """Set fields (``None`` removes); ``versioned``: under the ticket's version, False when it changed."""
        try:
            ticket.update(actions=field_actions(fields), add_version_condition=versioned)
        except UpdateError as exc:
            if not versioned or not conditional_failed(exc):
                raise
            return False
        return True

    def add_tags(self, ticket: Ticket, tags: set[str]) -> None:
        ticket.update(actions=[Ticket.tags.add(tags)], add_version_condition=False)

    def add_links(self, ticket: Ticket, issues: set[str]) -> None:
        """GitHub issues (``owner/repo#12``) the ticket is linked to."""
        ticket.update(actions=[Ticket.links.add(issues)], add_version_condition=False)

    def record_stage(self, ticket: Ticket, stage: str, check_at: dt.datetime | None) -> bool:
        """Move the ticket along the sweeper's index (``check_at`` None: off it); False when a new target
        started meanwhile."""
        actions: list[Action] = [Ticket.sla_stage.set(stage)]
        if check_at is None:
            actions += [Ticket.sla_check.remove(), Ticket.sla_check_at.remove()]
        else:
            actions.append(Ticket.sla_check_at.set(check_at))
        try:
            ticket.update(actions=actions, condition=Ticket.due_since == ticket.due_since,
                          add_version_condition=False)
        except UpdateError as exc:
            if not conditional_failed(exc):
                raise
            return False
        return True

    # -- messages --------------------------------------------------------------------------------------
    @staticmethod
    def message_item(ticket_id: str, m: NewMessage, now: dt.datetime) -> Message:
        return Message(
            ticket_id, m.key, role=m.role, author_id=m.author_id, author_name=m.author_name,
            text=None if m.deleted else m.text,
            full_text=None if m.deleted or m.full_text == m.text else m.full_text,
            channel=m.channel, external_id=m.source_id, created_at=m.at,
            edited_at=now if m.edit_version else None, edit_version=m.edit_version,
            deleted_at=now if m.deleted else None, files=list(m.files) or None, delivery_status=m.delivery_status,
        )

    def messages(self, ticket_id: str) -> list[Message]:
        """A ticket's conversation and audit trail, oldest first."""
        return list(Message.query(ticket_id))

    def message(self, ticket_id: str, key: str, *, consistent_read: bool = True) -> Message | None:
        try:
            return Message.get(ticket_id, key, consistent_read=consistent_read)
        except DoesNotExist:
            return None

    def save_messages(self, items: Iterable[Message]) -> None:
        """Unconditional (a batch): for history that follows a ticket's opening transaction."""
        with Message.batch_write() as batch:
            for item in items:
                batch.save(item)

    def edit_message(self, ticket_id: str, key: str, text: str, *, at: dt.datetime, edit_version: str) -> bool:
        """False when the message is missing, deleted, or has a newer edit."""
        return self._update_message(Message(ticket_id, key), [
            Message.text.set(text), Message.edited_at.set(at), Message.edit_version.set(edit_version),
        ], Message.message_key.exists() & Message.deleted_at.does_not_exist()
            & (Message.edit_version.does_not_exist() | (Message.edit_version < edit_version)))

    def delete_message(self, ticket_id: str, key: str, *, at: dt.datetime) -> bool:
        """False when the message is missing or already deleted."""
        return self._update_message(Message(ticket_id, key), [
            Message.text.remove(), Message.files.remove(), Message.deleted_at.set(at),
        ], Message.message_key.exists() & Message.deleted_at.does_not_exist())

    def record_delivery(self, message: Message, status: str, *, attempts: int, ref: str | None,
                        error: str | None, unless: str) -> bool:
        """The delivery state of a reply, unless it already reached ``unless`` (False then)."""
        actions: list[Action] = [Message.delivery_status.set(status), Message.delivery_attempts.set(attempts)]
        actions.append(Message.delivered_ref.set(ref) if ref else Message.delivered_ref.remove())
        actions.append(Message.delivery_error.set(error[:500]) if error else Message.delivery_error.remove())
        return self._update_message(message, actions, Message.delivery_status != unless)

    def set_email_id(self, message: Message, email_message_id: str) -> None:
        """The Message-ID the mail that carried this message went out with."""
        message.update(actions=[Message.email_message_id.set(email_message_id)])

    def attach(self, message: Message, *, attachments: list[dict[str, Any]] | None, raw_ref: str,
               email_message_id: str | None) -> None:
        """An email's attachments, where its raw mail is kept, and its Message-ID."""
        message.update(actions=[
            Message.attachments.set(attachments) if attachments else Message.attachments.remove(),
            Message.raw_ref.set(raw_ref),
            Message.email_message_id.set(email_message_id) if email_message_id else Message.email_message_id.remove(),
        ])

    @staticmethod
    def _update_message(item: Message, actions: list[Action], condition: Condition) -> bool:
        try:
            item.update(actions=actions, condition=condition)
        except UpdateError as exc:
            if not conditional_failed(exc):
                raise
            return False
        return True

    # -- external references -------------------------------------------------------------------------
    def ref(self, ref: str) -> ExternalRef | None:
        try:
            return ExternalRef.get(ref, consistent_read=True)
        except DoesNotExist:
            return None

    def refs(self, refs: list[str]) -> dict[str, ExternalRef]:
        """Which of these source keys already map to a ticket (one BatchGetItem, at most 100 keys)."""
        unique = list(dict.fromkeys(r for r in refs if r))[:100]
        if not unique:
            return {}
        return {item.ref: item for item in ExternalRef.batch_get(unique, consistent_read=True)}

    def save_refs(self, ticket: Ticket, refs: Iterable[str], now: dt.datetime) -> None:
        """Aliases of a ticket (a batch; rewriting one is harmless)."""
        with ExternalRef.batch_write() as batch:
            for ref in dict.fromkeys(refs):
                batch.save(ExternalRef(ref, ticket_id=ticket.ticket_id, number=ticket.number, created_at=now))

    def claim_ref(self, ref: str, *, ticket_id: str, now: dt.datetime, window: dt.timedelta | None,
                  number: float | None = None, target: str | None = None) -> bool:
        """Take ``ref`` (a conditional put): free when it does not exist, is older than ``window`` (None:
        never expires), or is ours already (the same ``target`` when one is given, else the same ticket).
        False when someone else holds it."""
        ours = (ExternalRef.target == target) if target is not None else (ExternalRef.ticket_id == ticket_id)
        condition = ExternalRef.ref.does_not_exist() | ours
        if window is not None:
            condition = condition | (ExternalRef.created_at < now - window)
        try:
            ExternalRef(ref, ticket_id=ticket_id, number=number, created_at=now, target=target).save(
                condition=condition)
        except PutError as exc:
            if conditional_failed(exc):
                return False
            raise
        return True
