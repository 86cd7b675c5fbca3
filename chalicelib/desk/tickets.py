"""The ticket service: open, append, edit, delete, reply, notices, list (persisted by ``ticket_store``).

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

import uuid
from collections.abc import Sequence
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError

from chalicelib.desk import analytics, sla
from chalicelib.desk.directory import TeamMember
from chalicelib.desk.directory_store import DirectoryStore
from chalicelib.desk.events import Events, MessageAdded, TicketOpened
from chalicelib.desk.links import LinkStore, issues_in
from chalicelib.desk.outbox import Outbox, Step
from chalicelib.desk.people import Identity, PeopleStore
from chalicelib.desk.ticket_rules import evolve
from chalicelib.desk.ticket_store import TicketStore, TicketWrite, reasons
from chalicelib.desk.ticket_types import (  # re-exported: the desk's vocabulary, imported from here
    AGENT,
    CLOSED,
    CUSTOMER,
    DELIVER,
    FAILED,
    INTERNAL,
    NEW,
    OPEN,
    PENDING,
    QUEUED,
    RETRYING,
    SENT,
    SOLVED,
    STATUSES,
    SYSTEM,
    UNSOLVED,
    AppendResult,
    Contention,
    InvalidInput,
    NewMessage,
    OpenedEffects,
    OpenResult,
    OpenTicket,
    Page,
    TicketError,
    TicketNotFound,
    WorkInProgress,
    awaiting_of,
    message_key,
    number_of,
    subject_from,
)
from chalicelib.desk.ticket_views import (  # re-exported
    FILTERS,
    VIEWS,
    audit_view,
    decode_cursor,
    encode_cursor,
    message_view,
    ticket_summary,
)
from chalicelib.models.outbox import OutboxItem
from chalicelib.models.tickets import ExternalRef, Message, Ticket
from chalicelib.platform.clock import Clock
from chalicelib.platform.observability import count, logger

__all__ = [
    "AGENT", "CLOSED", "CUSTOMER", "DELIVER", "FAILED", "FILTERS", "INTERNAL", "NEW", "OPEN", "PENDING", "QUEUED",
    "RETRYING", "SENT", "SOLVED", "STATUSES", "SYSTEM", "UNSOLVED", "VIEWS", "AppendResult", "Contention",
    "InvalidInput", "NewMessage", "OpenResult", "OpenTicket", "OpenedEffects", "Page", "TicketError",
    "TicketNotFound", "TicketService", "WorkInProgress", "audit_view", "awaiting_of", "decode_cursor",
    "delivery_step", "encode_cursor", "evolve", "message_key", "message_view", "number_of", "subject_from",
    "ticket_summary",
]

MAX_ATTEMPTS = 5
IMPORT_IN_TRANSACTION = 20  # thread history written with the ticket; the rest in a batch
# The ticket fields a message can move (see TicketService._apply), written when they changed.
STATE_FIELDS = ("status", "first_response_at", "last_customer_message_at", "last_agent_message_at", "solved_at",
                "status_changed_at", "unassigned", "assignee", "awaiting")


class TicketService:
    def __init__(self, *, clock: Clock, directory: DirectoryStore, connection: Connection,
                 links: LinkStore | None = None, outbox: Outbox | None = None, events: Events | None = None) -> None:
        self.clock = clock
        self.events = events or Events()
        self.directory = directory
        self._connection = connection  # the store's (devstack/dbcount.py counts its requests)
        self.store = TicketStore(connection)
        self.links = links
        self.outbox = outbox or Outbox(clock)
        self.people = PeopleStore(clock, connection, self.store)

    def _save_steps(self, write: TicketWrite, steps: Sequence[Step]) -> None:
        for step in steps:
            write.tx.save(self.outbox.item(step), condition=OutboxItem.step_id.does_not_exist())

    def _autolink(self, ticket: Ticket, text: str | None) -> None:
        """A message naming an issue URL of a watched repository links the ticket to it."""
        if self.links is None or not text or "github.com/" not in text:
            return
        settings = self.directory.load().settings
        for issue in issues_in(text):
            if settings.watches(issue.repo):
                self.links.link(ticket, issue)

    # -- reads ------------------------------------------------------------
    def find(self, ticket_id: str) -> Ticket | None:
        return self.store.get(ticket_id)

    def by_number(self, number: int) -> Ticket:
        ticket = self.store.by_number(number)
        if ticket is None:
            raise TicketNotFound(f"ticket #{number} does not exist")
        return ticket

    def conversation(self, ticket: Ticket) -> list[Message]:
        return self.store.messages(ticket.ticket_id)

    def list_view(self, view: str, member_id: str | None, limit: int, cursor: str | None,
                  filters: dict[str, str] | None = None) -> Page:
        filters = {k: v for k, v in (filters or {}).items() if v}
        start = decode_cursor(cursor) if cursor else None
        tickets, last = self.store.page(view, member_id, limit, start, filters)
        return Page(tickets, encode_cursor(last))

    def find_message(self, ticket_id: str, key: str) -> Message | None:
        return self.store.message(ticket_id, key)

    def resolve_refs(self, refs: list[str]) -> dict[str, ExternalRef]:
        """Which of these source keys already map to a ticket (one BatchGetItem)."""
        return self.store.refs(refs)

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
        ticket = self.store.new_ticket(cmd, number=number, now=now)
        ticket.earlier = self._earlier(cmd)
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
            with self.store.transaction() as write:
                write.create_ticket(ticket)
                for ref in (cmd.ticket_id, *cmd.refs):
                    write.create_ref(ref, ticket_id=cmd.ticket_id, number=number, at=now)
                for m in in_tx:
                    write.create_message(self.store.message_item(cmd.ticket_id, m, self.clock.now()))
                analytics.add_to_transaction(write.tx, metrics)  # counted once: the ticket did not exist
                self._save_steps(write, steps)
        except TransactWriteError as exc:
            if "ConditionalCheckFailed" in reasons(exc):
                count("TicketOpenRaceLost")
                logger.info("ticket already opened by another worker", extra={"ticket_id": cmd.ticket_id})
                winner = self.find(cmd.ticket_id)
                if winner is not None:
                    self.events.publish(TicketOpened(winner, created=False, first_key=cmd.first.key))
                    return OpenResult(winner, created=False)
            raise
        if later:
            self.store.save_messages(self.store.message_item(cmd.ticket_id, m, self.clock.now()) for m in later)
        self.outbox.written(steps)
        count("TicketsOpened")
        logger.info("ticket opened", extra={"ticket_number": number, "source": cmd.channel})
        for m in messages:
            self._autolink(ticket, m.text)
        self.events.publish(TicketOpened(ticket, created=True, first_key=cmd.first.key))
        return OpenResult(ticket, created=True)

    def _earlier(self, cmd: OpenTicket) -> dict[str, Any] | None:
        """The requester's tickets before this one, as it opens (shown with it in Slack and App Home)."""
        kind, _, value = (cmd.requester_key or "").partition(":")
        identity = Identity.of(kind, value)
        if identity is None:
            return None
        try:
            person = cmd.requester if cmd.requester is not None else self.people.find(identity)
            if person is not None and person.new:
                return None  # identities nobody had until now: nothing earlier to read
            earlier = self.people.earlier(person, before=cmd.first.at, exclude=cmd.ticket_id)
        except Exception:  # noqa: BLE001 - a nicety: the ticket opens without it
            logger.warning("could not read the requester's earlier tickets", exc_info=True)
            return None
        return earlier if earlier["count"] else None

    def tombstone(self, ticket_id: str) -> bool:
        """Mark a source item as deleted before its ticket opened; no ticket will open from it."""
        return self.store.tombstone(ticket_id, self.clock.now())

    # -- appending --------------------------------------------------------
    def append(self, ticket: Ticket, m: NewMessage, *, idempotency_ref: str | None = None,
               effects: Sequence[Step] = ()) -> AppendResult:
        """Add ``m`` to ``ticket`` once, in one transaction with the side effects it causes (``effects``,
        e.g. delivering an agent's reply).  DynamoDB requests: one TransactWriteItems (plus a re-read
        per lost race)."""
        for _ in range(MAX_ATTEMPTS):
            if ticket.status == CLOSED and m.role == CUSTOMER:
                logger.info("message on a closed ticket recorded without reopening",
                            extra={"ticket_number": ticket.number})
            before = {name: getattr(ticket, name) for name in STATE_FIELDS}
            now = self.clock.now()
            settings = self.directory.load().settings
            metrics, targets = evolve(ticket, m, settings)
            ticket.awaiting = awaiting_of(ticket)
            fields: dict[str, Any] = {"updated_at": now, **targets}
            fields.update({name: getattr(ticket, name) for name in STATE_FIELDS
                           if getattr(ticket, name) != before[name]})
            item = self.store.message_item(ticket.ticket_id, m, self.clock.now())
            steps = [*effects, *self.events.steps(MessageAdded(ticket, m.key, m.role, m.channel))]
            try:
                with self.store.transaction() as write:
                    if idempotency_ref:
                        write.create_ref(idempotency_ref, ticket_id=ticket.ticket_id, number=ticket.number, at=now,
                                         target=m.key)
                    write.create_message(item)
                    write.update_ticket(ticket, fields, add={"message_count": 1})
                    analytics.add_to_transaction(write.tx, metrics)  # once: the message is new, the version ours
                    self._save_steps(write, steps)
            except TransactWriteError as exc:
                why = reasons(exc)
                n_puts = 2 if idempotency_ref else 1  # then the ticket's update, then the metrics (no condition)
                puts = why[:n_puts]
                if "ConditionalCheckFailed" in puts:
                    fresh = self.find(ticket.ticket_id)
                    return AppendResult(fresh or ticket, None, appended=False)
                if len(why) > n_puts and why[n_puts] == "ConditionalCheckFailed":
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

    def add_refs(self, ticket: Ticket, refs: list[str]) -> None:
        """Aliases of a ticket (ids of mail we sent); rewriting one is harmless."""
        self.store.save_refs(ticket, refs, self.clock.now())

    def edit(self, ticket: Ticket, m: NewMessage) -> bool:
        """Apply an edit (``m.edit_version`` is the edit's ts); an older edit never wins."""
        assert m.edit_version
        if not self.store.edit_message(ticket.ticket_id, m.key, m.text, at=self.clock.now(),
                                       edit_version=m.edit_version):
            if self.find_message(ticket.ticket_id, m.key) is not None:
                return False  # a newer edit, or a deletion, already won
            return self.append(ticket, m).appended  # edit before the message: create it edited
        if m.source_id == ticket.ticket_id and ticket.kind == "ticket":
            self._set_fields(ticket, subject=subject_from(m.text))
        return True

    def delete_message(self, ticket: Ticket, m: NewMessage) -> bool:
        if not self.store.delete_message(ticket.ticket_id, m.key, at=self.clock.now()):
            if self.find_message(ticket.ticket_id, m.key) is not None:
                return False
            # Deleted before it arrived: record it deleted so the late original is a duplicate.
            return self.append(ticket, NewMessage(**{**m.__dict__, "deleted": True})).appended
        return True

    def _set_fields(self, ticket: Ticket, **fields: Any) -> None:
        for _ in range(MAX_ATTEMPTS):
            if self.store.update(ticket, {**fields, "updated_at": self.clock.now()}):
                return
            fresh = self.find(ticket.ticket_id)
            if fresh is None:
                raise TicketNotFound(ticket.ticket_id)
            ticket = fresh
        raise Contention(f"ticket {ticket.number} changed {MAX_ATTEMPTS} times")

    def set_confirmation(self, ticket: Ticket, ref: str) -> None:
        """Record the confirmation (its Slack ts, the acknowledgement's SES id, or ``none:<why>``)."""
        self.store.update(ticket, {"confirmation_ref": ref}, versioned=False)

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
        item = self.store.ref(ref)
        return item.target if item is not None else None

    def set_pending(self, ticket: Ticket) -> None:
        """Waiting on something outside the ticket (e.g. the customer, after an issue closed)."""
        if ticket.status in (NEW, OPEN):
            ticket.status = PENDING
            targets = sla.refresh(ticket, self.directory.load().settings)  # nobody waits on us now
            self._set_fields(ticket, status=PENDING, status_changed_at=self.clock.now(), **targets)

    def _replayed(self, idem_ref: str, ticket: Ticket) -> Message | None:
        ref = self.store.ref(idem_ref)
        if ref is None:
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
        self.store.record_delivery(message, status, attempts=attempts, ref=ref, error=error, unless=SENT)


def delivery_step(ticket: Ticket, message_key: str, summary: str, notify: str | None = None) -> Step:
    """The outbox step that sends a reply or notice through the ticket's own channel."""
    return Step(f"{DELIVER}:{ticket.ticket_id}:{message_key}"[:400], DELIVER,
                {"ticket_id": ticket.ticket_id, "message_key": message_key},
                ticket_id=ticket.ticket_id, ticket_number=number_of(ticket),
                summary=f"{summary} on #{ticket.number} by {ticket.channel}", notify=notify)
