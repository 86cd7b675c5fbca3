"""The ticket service: open, append, edit, delete, reply, deliver, list.

Every write that comes from an event is idempotent by construction:

* a ticket's key is its source item, created with ``attribute_not_exists``;
* a message's key is derived from its source item (a Slack ts), created the same way;
* ticket fields that depend on the current state (status, first response,
  last-message times) are computed from a consistent read and written with the
  ticket's version as a condition (PynamoDB ``VersionAttribute``); a lost race is
  re-read and retried.

Operations commute: a reply processed before its parent opens the ticket from
the parent first, an edit before its message creates the message with the edited
text, a delete before its message leaves a tombstone.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, PutError, QueryError, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from chalicelib.desk import analytics, sla
from chalicelib.desk.directory import TeamMember
from chalicelib.desk.directory_store import DirectoryStore
from chalicelib.desk.events import Events, MessageAdded, TicketOpened
from chalicelib.desk.links import LinkStore, issues_in
from chalicelib.desk.outbox import Outbox, Step
from chalicelib.models.outbox import OutboxItem
from chalicelib.models.tickets import ExternalRef, Message, Ticket
from chalicelib.platform.clock import Clock
from chalicelib.platform.observability import count, logger

NEW, OPEN, PENDING, SOLVED, CLOSED = "new", "open", "pending", "solved", "closed"
STATUSES = (NEW, OPEN, PENDING, SOLVED, CLOSED)
CUSTOMER, AGENT, INTERNAL, SYSTEM = "customer", "agent", "internal", "system"
UNSOLVED = (NEW, OPEN, PENDING)
MAX_ATTEMPTS = 5
IMPORT_IN_TRANSACTION = 20  # thread history written with the ticket; the rest in a batch


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


@dataclass
class OpenResult:
    ticket: Ticket
    created: bool


# "Ticket opened": each subscriber names the side effects a new ticket causes (a confirmation, the
# Hero's DM, a triage post); they are written in the transaction that opens it.
OpenedEffects = Callable[[Ticket], Sequence[Step]]


@dataclass
class AppendResult:
    ticket: Ticket
    message: Message | None
    appended: bool


@dataclass
class Page:
    tickets: list[Ticket]
    cursor: str | None


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def message_key(at: dt.datetime, source_id: str) -> str:
    """``<epoch milliseconds>#<source id>``, computed in integers (no float rounding)."""
    return f"{(at - _EPOCH) // dt.timedelta(milliseconds=1):013d}#{source_id}"


def subject_from(text: str, limit: int = 120) -> str:
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if not first:
        return "(no text)"
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "…"


def _reasons(exc: TransactWriteError) -> list[str | None]:
    return [r.code if r is not None else None for r in exc.cancellation_reasons]


def _conditional_failed(exc: PutError | UpdateError) -> bool:
    return exc.cause_response_code == "ConditionalCheckFailedException"


def encode_cursor(key: dict[str, Any] | None) -> str | None:
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError) as exc:
        raise InvalidInput("cursor is not valid") from exc
    if not isinstance(value, dict):
        raise InvalidInput("cursor is not valid")
    return value


VIEWS = ("unassigned", "mine", "all", "awaiting-reply", "due")
FILTERS = ("status", "priority", "channel", "customer", "tag")


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


def awaiting_of(ticket: Ticket) -> str | None:
    """The owner, while the customer's last word has not been answered."""
    last_customer, last_agent = ticket.last_customer_message_at, ticket.last_agent_message_at
    waiting = last_customer is not None and (last_agent is None or last_customer > last_agent)
    return ticket.assignee if waiting and ticket.assignee and ticket.status in (NEW, OPEN) else None


class TicketService:
    def __init__(self, *, clock: Clock, directory: DirectoryStore, connection: Connection,
                 links: LinkStore | None = None, outbox: Outbox | None = None, events: Events | None = None) -> None:
        self.clock = clock
        self.events = events or Events()
        self.directory = directory
        self._connection = connection
        self.links = links
        self.outbox = outbox or Outbox(clock)

    def _save_steps(self, tx: TransactWrite, steps: Sequence[Step]) -> None:
        for step in steps:
            tx.save(self.outbox.item(step), condition=OutboxItem.step_id.does_not_exist())

    def _autolink(self, ticket: Ticket, text: str | None) -> None:
        """A message naming an issue URL of a watched repository links the ticket to it."""
        if self.links is None or not text or "github.com/" not in text:
            return
        settings = self.directory.load().settings
        for issue in issues_in(text):
            if settings.watches(issue.repo):
                self.links.link(ticket, issue)

    def _tx(self) -> TransactWrite:
        return TransactWrite(connection=self._connection)

    # -- reads ------------------------------------------------------------
    def find(self, ticket_id: str) -> Ticket | None:
        try:
            return Ticket.get(ticket_id, consistent_read=True)
        except DoesNotExist:
            return None

    def by_number(self, number: int) -> Ticket:
        for ticket in Ticket.by_number.query(number, limit=1):
            return ticket
        raise TicketNotFound(f"ticket #{number} does not exist")

    def conversation(self, ticket: Ticket) -> list[Message]:
        return list(Message.query(ticket.ticket_id))

    def list_view(self, view: str, member_id: str | None, limit: int, cursor: str | None,
                  filters: dict[str, str] | None = None) -> Page:
        filters = {k: v for k, v in (filters or {}).items() if v}
        unknown = set(filters) - set(FILTERS)
        if unknown:
            raise InvalidInput(f"unknown filter(s): {', '.join(sorted(unknown))}")
        plan = _plan(view, member_id, filters)
        start = decode_cursor(cursor) if cursor else None
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
        return Page(tickets, encode_cursor(results.last_evaluated_key))

    # -- opening ----------------------------------------------------------
    def open(self, cmd: OpenTicket, effects: OpenedEffects | None = None) -> OpenResult:
        """Open the ticket for ``cmd.ticket_id`` unless it (or its tombstone) exists, in one transaction
        with the side effects it causes (``effects`` and every "ticket opened" subscriber's).

        DynamoDB requests: GetItem + UpdateItem (number) + TransactWriteItems.
        """
        existing = self.find(cmd.ticket_id)
        if existing is not None:
            self.events.publish(TicketOpened(existing, created=False, first_key=cmd.first.key))
            return OpenResult(existing, created=False)
        number = self.directory.next_ticket_number()
        now = self.clock.now()
        ticket = Ticket(
            cmd.ticket_id,
            kind="ticket",
            number=number,
            status=NEW,
            priority=cmd.priority,
            subject=cmd.subject,
            channel=cmd.channel,
            origin=cmd.origin,
            requester_id=cmd.requester_id,
            requester_name=cmd.requester_name,
            customer_id=cmd.customer_id,
            tier=cmd.tier,
            tags=set(cmd.tags) or None,
            created_at=cmd.first.at,
            status_changed_at=cmd.first.at,
            updated_at=now,
            listing="ALL",
            unassigned="OPEN",
            message_count=0,
        )
        messages = [cmd.first, *sorted(cmd.history, key=lambda m: m.at)]
        settings = self.directory.load().settings
        metrics = analytics.Deltas(settings.calendar())
        for i, m in enumerate(messages):  # the thread so far, one message at a time, as a rebuild replays it
            metrics.merge(evolve(ticket, m, settings, opening=i == 0)[0])
        ticket.awaiting = awaiting_of(ticket)
        ticket.updated_at = now
        ticket.message_count = len(messages)
        in_tx, later = messages[:IMPORT_IN_TRANSACTION], messages[IMPORT_IN_TRANSACTION:]
        steps = [*self.events.steps(TicketOpened(ticket, first_key=cmd.first.key)),
                 *(effects(ticket) if effects else [])]
        try:
            with self._tx() as tx:
                tx.save(ticket, condition=Ticket.ticket_id.does_not_exist())
                tx.save(
                    ExternalRef(cmd.ticket_id, ticket_id=cmd.ticket_id, number=number, created_at=now),
                    condition=ExternalRef.ref.does_not_exist(),
                )
                for ref in cmd.refs:
                    tx.save(
                        ExternalRef(ref, ticket_id=cmd.ticket_id, number=number, created_at=now),
                        condition=ExternalRef.ref.does_not_exist(),
                    )
                for m in in_tx:
                    tx.save(self._message_item(cmd.ticket_id, m), condition=Message.message_key.does_not_exist())
                analytics.add_to_transaction(tx, metrics)  # counted once: the ticket did not exist
                self._save_steps(tx, steps)
        except TransactWriteError as exc:
            if "ConditionalCheckFailed" in _reasons(exc):
                count("TicketOpenRaceLost")
                logger.info("ticket already opened by another worker", extra={"ticket_id": cmd.ticket_id})
                winner = self.find(cmd.ticket_id)
                if winner is not None:
                    self.events.publish(TicketOpened(winner, created=False, first_key=cmd.first.key))
                    return OpenResult(winner, created=False)
            raise
        if later:
            with Message.batch_write() as batch:
                for m in later:
                    batch.save(self._message_item(cmd.ticket_id, m))
        self.outbox.written(steps)
        count("TicketsOpened")
        logger.info("ticket opened", extra={"ticket_number": number, "source": cmd.channel})
        for m in messages:
            self._autolink(ticket, m.text)
        self.events.publish(TicketOpened(ticket, created=True, first_key=cmd.first.key))
        return OpenResult(ticket, created=True)

    def tombstone(self, ticket_id: str) -> bool:
        """Mark a source item as deleted before its ticket opened; no ticket will open from it."""
        try:
            Ticket(ticket_id, kind="tombstone", updated_at=self.clock.now()).save(
                condition=Ticket.ticket_id.does_not_exist()
            )
        except PutError as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    # -- appending --------------------------------------------------------
    def _message_item(self, ticket_id: str, m: NewMessage) -> Message:
        return Message(
            ticket_id,
            m.key,
            role=m.role,
            author_id=m.author_id,
            author_name=m.author_name,
            text=None if m.deleted else m.text,
            full_text=None if m.deleted or m.full_text == m.text else m.full_text,
            channel=m.channel,
            external_id=m.source_id,
            created_at=m.at,
            edited_at=self.clock.now() if m.edit_version else None,
            edit_version=m.edit_version,
            deleted_at=self.clock.now() if m.deleted else None,
            files=list(m.files) or None,
            delivery_status=m.delivery_status,
        )

    @staticmethod
    def _apply(ticket: Ticket, m: NewMessage) -> None:
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

    def append(self, ticket: Ticket, m: NewMessage, *, idempotency_ref: str | None = None,
               effects: Sequence[Step] = ()) -> AppendResult:
        """Add ``m`` to ``ticket`` once, in one transaction with the side effects it causes (``effects``,
        e.g. delivering an agent's reply).  DynamoDB requests: one TransactWriteItems (plus a re-read
        per lost race)."""
        for _ in range(MAX_ATTEMPTS):
            if ticket.status == CLOSED and m.role == CUSTOMER:
                logger.info("message on a closed ticket recorded without reopening",
                            extra={"ticket_number": ticket.number})
            before = {
                "status": ticket.status,
                "first": ticket.first_response_at,
                "lc": ticket.last_customer_message_at,
                "la": ticket.last_agent_message_at,
                "solved": ticket.solved_at,
                "changed": ticket.status_changed_at,
                "unassigned": ticket.unassigned,
                "assignee": ticket.assignee,
                "awaiting": ticket.awaiting,
            }
            now = self.clock.now()
            settings = self.directory.load().settings
            metrics, targets = evolve(ticket, m, settings)
            ticket.awaiting = awaiting_of(ticket)
            actions: list[Action] = [
                Ticket.message_count.add(1),
                Ticket.updated_at.set(now),
                *sla.actions_for(targets),
            ]
            for name, attr in (
                ("status", Ticket.status),
                ("first", Ticket.first_response_at),
                ("lc", Ticket.last_customer_message_at),
                ("la", Ticket.last_agent_message_at),
                ("solved", Ticket.solved_at),
                ("changed", Ticket.status_changed_at),
                ("unassigned", Ticket.unassigned),
                ("assignee", Ticket.assignee),
                ("awaiting", Ticket.awaiting),
            ):
                value = getattr(ticket, attr.attr_name)
                if value != before[name]:
                    actions.append(attr.set(value) if value is not None else attr.remove())
            item = self._message_item(ticket.ticket_id, m)
            steps = [*effects, *self.events.steps(MessageAdded(ticket, m.key, m.role, m.channel))]
            try:
                with self._tx() as tx:
                    if idempotency_ref:
                        tx.save(
                            ExternalRef(idempotency_ref, ticket_id=ticket.ticket_id, number=ticket.number,
                                        created_at=now, target=m.key),
                            condition=ExternalRef.ref.does_not_exist(),
                        )
                    tx.save(item, condition=Message.message_key.does_not_exist())
                    tx.update(ticket, actions=actions)
                    analytics.add_to_transaction(tx, metrics)  # once: the message is new, the version ours
                    self._save_steps(tx, steps)
            except TransactWriteError as exc:
                reasons = _reasons(exc)
                n_puts = 2 if idempotency_ref else 1  # then the ticket's update, then the metrics (no condition)
                puts = reasons[:n_puts]
                if "ConditionalCheckFailed" in puts:
                    fresh = self.find(ticket.ticket_id)
                    return AppendResult(fresh or ticket, None, appended=False)
                if len(reasons) > n_puts and reasons[n_puts] == "ConditionalCheckFailed":
                    fresh = self.find(ticket.ticket_id)
                    if fresh is None:
                        raise TicketNotFound(ticket.ticket_id) from exc
                    ticket = fresh
                    continue
                raise
            self.outbox.written(steps)
            ticket.message_count = int(ticket.message_count or 0) + 1
            ticket.version = int(ticket.version or 0) + 1
            ticket.updated_at = now
            if m.role in (CUSTOMER, AGENT, INTERNAL):
                self._autolink(ticket, m.text)
            return AppendResult(ticket, item, appended=True)
        raise Contention(f"ticket {ticket.number} changed {MAX_ATTEMPTS} times while appending")

    def resolve_refs(self, refs: list[str]) -> dict[str, ExternalRef]:
        """Which of these source keys already map to a ticket (one BatchGetItem)."""
        unique = list(dict.fromkeys(r for r in refs if r))[:100]
        if not unique:
            return {}
        return {item.ref: item for item in ExternalRef.batch_get(unique, consistent_read=True)}

    def add_refs(self, ticket: Ticket, refs: list[str]) -> None:
        """Aliases of a ticket (ids of mail we sent); rewriting one is harmless."""
        now = self.clock.now()
        with ExternalRef.batch_write() as batch:
            for ref in dict.fromkeys(refs):
                batch.save(ExternalRef(ref, ticket_id=ticket.ticket_id, number=ticket.number, created_at=now))

    def find_message(self, ticket_id: str, key: str) -> Message | None:
        try:
            return Message.get(ticket_id, key, consistent_read=True)
        except DoesNotExist:
            return None

    def edit(self, ticket: Ticket, m: NewMessage) -> bool:
        """Apply an edit (``m.edit_version`` is the edit's ts); an older edit never wins."""
        assert m.edit_version
        try:
            Message(ticket.ticket_id, m.key).update(
                actions=[
                    Message.text.set(m.text),
                    Message.edited_at.set(self.clock.now()),
                    Message.edit_version.set(m.edit_version),
                ],
                condition=Message.message_key.exists()
                & Message.deleted_at.does_not_exist()
                & (Message.edit_version.does_not_exist() | (Message.edit_version < m.edit_version)),
            )
        except UpdateError as exc:
            if not _conditional_failed(exc):
                raise
            if self.find_message(ticket.ticket_id, m.key) is not None:
                return False  # a newer edit, or a deletion, already won
            return self.append(ticket, m).appended  # edit before the message: create it edited
        if m.source_id == ticket.ticket_id and ticket.kind == "ticket":
            self._set_fields(ticket, subject=subject_from(m.text))
        return True

    def delete_message(self, ticket: Ticket, m: NewMessage) -> bool:
        try:
            Message(ticket.ticket_id, m.key).update(
                actions=[Message.text.remove(), Message.files.remove(), Message.deleted_at.set(self.clock.now())],
                condition=Message.message_key.exists() & Message.deleted_at.does_not_exist(),
            )
        except UpdateError as exc:
            if not _conditional_failed(exc):
                raise
            if self.find_message(ticket.ticket_id, m.key) is not None:
                return False
            # Deleted before it arrived: record it deleted so the late original is a duplicate.
            return self.append(ticket, NewMessage(**{**m.__dict__, "deleted": True})).appended
        return True

    def _set_fields(self, ticket: Ticket, **fields: Any) -> None:
        for _ in range(MAX_ATTEMPTS):
            actions = [getattr(Ticket, k).set(v) if v is not None else getattr(Ticket, k).remove()
                       for k, v in fields.items()]
            actions.append(Ticket.updated_at.set(self.clock.now()))
            try:
                ticket.update(actions=actions)
                return
            except UpdateError as exc:
                if not _conditional_failed(exc):
                    raise
                fresh = self.find(ticket.ticket_id)
                if fresh is None:
                    raise TicketNotFound(ticket.ticket_id) from exc
                ticket = fresh
        raise Contention(f"ticket {ticket.number} changed {MAX_ATTEMPTS} times")

    def set_confirmation(self, ticket: Ticket, ref: str) -> None:
        """Record the confirmation (its Slack ts, the acknowledgement's SES id, or ``none:<why>``)."""
        ticket.update(actions=[Ticket.confirmation_ref.set(ref)], add_version_condition=False)

    # -- agent replies ------------------------------------------------------
    def add_reply(
        self, ticket: Ticket, member: TeamMember, text: str, *, internal: bool, idempotency_key: str | None
    ) -> tuple[Message, bool]:
        """Record an agent's reply or internal note; a reply is written with the outbox step that
        delivers it.  Returns (message, created)."""
        text = text.strip()
        if not text:
            raise InvalidInput("text must not be empty")
        if len(text) > 30000:
            raise InvalidInput("text is longer than 30000 characters")
        idem_ref = f"api-reply:{member.id}:{idempotency_key}" if idempotency_key else None
        if idem_ref:
            previous = self._replayed(idem_ref, ticket)
            if previous is not None:
                return previous, False
        m = NewMessage(
            source_id=f"api:{uuid.uuid4().hex}",
            at=self.clock.now(),
            role=INTERNAL if internal else AGENT,
            text=text,
            channel="api",
            author_id=member.id,
            author_name=member.name,
            delivery_status=None if internal else QUEUED,
        )
        effects = [] if internal else [delivery_step(ticket, m.key, f"reply by {member.id}", notify=member.id)]
        result = self.append(ticket, m, idempotency_ref=idem_ref, effects=effects)
        if not result.appended:
            if idem_ref:
                previous = self._replayed(idem_ref, ticket)
                if previous is not None:
                    return previous, False
            raise Contention("reply was not recorded")
        assert result.message is not None
        return result.message, True

    def add_notice(self, ticket: Ticket, text: str, *, key: str, author_name: str) -> tuple[Message | None, bool]:
        """An automatic message to the requester (e.g. "the issue was closed"), delivered through the
        ticket's channel like a reply, once per ``key`` whatever the redeliveries."""
        ref = f"notice:{key}:{ticket.ticket_id}"
        m = NewMessage(source_id=f"notice:{uuid.uuid4().hex}", at=self.clock.now(), role=SYSTEM, text=text,
                       channel="system", author_id="system", author_name=author_name, delivery_status=QUEUED)
        result = self.append(ticket, m, idempotency_ref=ref,
                             effects=[delivery_step(ticket, m.key, f"notice ({key.split(':')[0]})")])
        if not result.appended:
            return (self._replayed(ref, ticket) if self._ref_target(ref) else None), False
        assert result.message is not None
        return result.message, True

    def _ref_target(self, ref: str) -> str | None:
        try:
            return ExternalRef.get(ref, consistent_read=True).target
        except DoesNotExist:
            return None

    def set_pending(self, ticket: Ticket) -> None:
        """Waiting on something outside the ticket (e.g. the customer, after an issue closed)."""
        if ticket.status in (NEW, OPEN):
            ticket.status = PENDING
            targets = sla.refresh(ticket, self.directory.load().settings)  # nobody waits on us now
            self._set_fields(ticket, status=PENDING, status_changed_at=self.clock.now(), **targets)

    def _replayed(self, idem_ref: str, ticket: Ticket) -> Message | None:
        try:
            ref = ExternalRef.get(idem_ref, consistent_read=True)
        except DoesNotExist:
            return None
        if ref.ticket_id != ticket.ticket_id:
            raise InvalidInput("Idempotency-Key was already used for another ticket")
        if not ref.target:
            raise WorkInProgress("the first request with this Idempotency-Key is still running")
        return self.find_message(ticket.ticket_id, ref.target)

    def record_delivery(self, message: Message, status: str, *, attempts: int, ref: str | None = None,
                        error: str | None = None) -> None:
        """The delivery state shown with a reply: ``sent`` (with the channel's id), ``retrying`` or
        ``failed`` (with the reason).  The outbox step is the source of truth; this is its echo."""
        actions: list[Action] = [Message.delivery_status.set(status), Message.delivery_attempts.set(attempts)]
        actions.append(Message.delivered_ref.set(ref) if ref else Message.delivered_ref.remove())
        actions.append(Message.delivery_error.set(error[:500]) if error else Message.delivery_error.remove())
        try:
            message.update(actions=actions, condition=Message.delivery_status != SENT)
        except UpdateError as exc:
            if not _conditional_failed(exc):
                raise


QUEUED, RETRYING, SENT, FAILED = "queued", "retrying", "sent", "failed"
DELIVER = "reply.deliver"


def delivery_step(ticket: Ticket, message_key: str, summary: str, notify: str | None = None) -> Step:
    """The outbox step that sends a reply or notice through the ticket's own channel."""
    return Step(f"{DELIVER}:{ticket.ticket_id}:{message_key}"[:400], DELIVER,
                {"ticket_id": ticket.ticket_id, "message_key": message_key},
                ticket_id=ticket.ticket_id, ticket_number=number_of(ticket),
                summary=f"{summary} on #{ticket.number} by {ticket.channel}", notify=notify)


def evolve(ticket: Ticket, m: NewMessage, settings: Any, *, opening: bool = False
           ) -> tuple[analytics.Deltas, dict[str, Any]]:
    """What one message does to a ticket, decided in one place for the live path (open, append) and the
    metrics rebuild: its state (:meth:`TicketService._apply`), its response target (:func:`sla.refresh`)
    and the analytics increments it causes.  Returns (increments, the target fields that changed)."""
    before = None if opening else analytics.Snapshot.of(ticket)
    TicketService._apply(ticket, m)
    targets = sla.refresh(ticket, settings)
    deltas = analytics.changes_for(before, ticket, settings=settings, at=m.at, actor=m.author_id,
                                   responses=[analytics.Response(m.author_id, m.at)] if m.role == AGENT else [])
    return deltas, targets


def number_of(ticket: Ticket) -> int | None:
    return int(ticket.number) if ticket.number is not None else None


def ticket_summary(ticket: Ticket) -> dict[str, Any]:
    def iso(value: dt.datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "number": number_of(ticket),
        "id": ticket.ticket_id,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "assignee": ticket.assignee,
        "tags": sorted(ticket.tags or ()),
        "links": sorted(ticket.links or ()),
        "channel": ticket.channel,
        "requester": {"id": ticket.requester_id, "name": ticket.requester_name},
        "customer": ticket.customer_id,
        "tier": ticket.tier,
        "created_at": iso(ticket.created_at),
        "updated_at": iso(ticket.updated_at),
        "first_response_at": iso(ticket.first_response_at),
        "last_customer_message_at": iso(ticket.last_customer_message_at),
        "last_agent_message_at": iso(ticket.last_agent_message_at),
        "solved_at": iso(ticket.solved_at),
        "response_due": ({"kind": ticket.due_kind, "since": iso(ticket.due_since), "due_at": iso(ticket.due_at),
                          "warn_at": iso(ticket.warn_at)} if ticket.sla_due else None),
        "message_count": ticket.message_count,
        "confirmed": bool(ticket.confirmation_ref),
        "version": ticket.version,
    }


def audit_view(m: Message) -> dict[str, Any]:
    return {"at": m.created_at.isoformat(), "by": {"id": m.author_id, "name": m.author_name}, "change": m.text}


def message_view(m: Message, number: int | None = None) -> dict[str, Any]:
    return {
        "key": m.message_key,
        "role": m.role,
        "author": {"id": m.author_id, "name": m.author_name},
        "text": m.text,
        # An email's whole text (the quoted history included) beside its reply, and where its raw .eml is.
        "full_text": m.full_text or m.text,
        "raw_email": (f"/api/tickets/{number}/raw-email?key={quote(m.message_key, safe='')}"
                      if m.raw_ref and number is not None else None),
        "channel": m.channel,
        "created_at": m.created_at.isoformat(),
        "edited_at": m.edited_at.isoformat() if m.edited_at else None,
        "deleted": m.deleted_at is not None,
        "files": list(m.files or []),
        "attachments": list(m.attachments or []),
        "delivery": (
            {"status": m.delivery_status, "attempts": m.delivery_attempts, "error": m.delivery_error}
            if m.delivery_status
            else None
        ),
    }

