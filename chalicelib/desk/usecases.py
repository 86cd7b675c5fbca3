"""What an agent can do with the desk, one function per use case.

The web routes (:mod:`chalicelib.web.api`, :mod:`chalicelib.web.api_admin`) parse a request, call
one of these and shape the answer; nothing here knows about HTTP. Each takes the
:class:`~chalicelib.services.Services` it needs and plain values, and fails with a domain exception
that the routes map to a status: :class:`~chalicelib.desk.tickets.InvalidInput` (400),
:class:`~chalicelib.desk.tickets.TicketNotFound` and :class:`NotFound` (404),
:class:`~chalicelib.desk.triage.Conflict` (409), :class:`~chalicelib.desk.analytics.AnalyticsError` (400).

Heavy modules load on the first call, like the services themselves.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalicelib.desk.directory import TeamMember
    from chalicelib.desk.links import IssueRef
    from chalicelib.desk.tickets import Page
    from chalicelib.desk.triage import Change
    from chalicelib.models.outbox import OutboxItem
    from chalicelib.models.tickets import Message, Ticket
    from chalicelib.services import Services

MAX_SPRINT = 10**12


class NotFound(LookupError):
    """Something other than a ticket the request names does not exist (HTTP 404)."""


def _invalid(message: str) -> Exception:
    from chalicelib.desk.tickets import InvalidInput

    return InvalidInput(message)


def run_steps_soon(services: Services) -> None:
    """Hand the outbox steps a use case wrote (a reply's delivery, a new owner's DM) to the worker at
    once, one queue message each; if that fails, the ``outbox`` schedule runs them within a minute.
    Whoever calls a use case that writes (a route, a form) calls this after it."""
    from chalicelib.ingress import messages
    from chalicelib.platform.awslite import AwsError
    from chalicelib.platform.observability import logger

    for sid in services.outbox.take_fresh():
        try:
            services.queue.send(messages.encode(messages.RunStep(sid)), dedupe_key=f"run-step:{sid}",
                                group=f"outbox:{sid}"[:128])
        except AwsError:
            logger.warning("could not hand a step to the worker; the outbox schedule will run it",
                           extra={"step_id": sid})


# Tickets


def ticket_page(services: Services, member: TeamMember, view: str, limit: int, cursor: str | None,
                filters: dict[str, str]) -> Page:
    """A page of a view (``unassigned``, ``mine``, ...), filtered."""
    return services.tickets.list_view(view, member.id, limit, cursor, filters)


def ticket_with_conversation(services: Services, number: int) -> tuple[Ticket, list[Message]]:
    """A ticket and every message of it, audit entries included."""
    ticket = services.tickets.by_number(number)
    return ticket, services.tickets.conversation(ticket)


def raw_email_url(services: Services, ticket: Ticket | int, key: str) -> str:
    """A five-minute download link of one email message's raw ``.eml`` (``key``: its message key)."""
    if isinstance(ticket, int):
        ticket = services.tickets.by_number(ticket)
    where = services.email_intake.raw_location(ticket, key)
    if where is None:
        raise NotFound("no raw email is kept for that message of this ticket")
    return services.aws.download_url(*where, filename=f"ticket-{int(ticket.number or 0)}.eml")


@dataclass(frozen=True)
class Replied:
    message: Message
    ticket: Ticket
    created: bool  # False: the Idempotency-Key was seen before, this is the first reply


def reply(services: Services, member: TeamMember, number: int, text: str, *, internal: bool,
          idempotency_key: str | None) -> Replied:
    """Reply to the customer through the ticket's channel (delivered by the outbox), or add a note."""
    ticket = services.tickets.by_number(number)
    message, created = services.tickets.add_reply(ticket, member, text, internal=internal,
                                                  idempotency_key=idempotency_key)
    return Replied(message, ticket, created)


def link_issue(services: Services, number: int, issue: str) -> tuple[Ticket, IssueRef, bool]:
    """Link a ticket to an issue (``owner/repo#12`` or its URL) of a watched repository; True if new."""
    from chalicelib.desk.links import IssueRef

    ref = IssueRef.parse(issue)
    if ref is None:
        raise _invalid("issue must look like owner/repo#12 or https://github.com/owner/repo/issues/12")
    if not services.directory.load().settings.watches(ref.repo):
        raise _invalid(f"{ref.repo} is not a watched repository (see [github] in the directory)")
    ticket = services.tickets.by_number(number)
    return ticket, ref, services.links.link(ticket, ref)


# Triage: one sequence for every change (load the item itself, apply with its effects)


@dataclass(frozen=True)
class Triaged:
    ticket: Ticket
    changes: list[str]  # what changed, as the audit trail says it (empty: nothing to do)


def _current(services: Services, number: int) -> Ticket:
    ticket = services.tickets.by_number(number)
    return services.tickets.find(ticket.ticket_id) or ticket  # the index may lag: read the item itself


def _apply(services: Services, member: TeamMember, ticket: Ticket, change: Change,
           expected_version: int | None) -> Triaged:
    # What a change causes elsewhere (the ticket's Slack message, the new owner's DM) subscribes to
    # TicketChanged: written in the change's transaction.
    updated, changes = services.triage.apply(ticket, member, change, services.directory.load(),
                                             expected_version=expected_version)
    return Triaged(updated, changes)


def change_ticket(services: Services, member: TeamMember, number: int, change: Change, *,
                  expected_version: int) -> Triaged:
    """Change status, priority, owner or tags; a ticket no longer at ``expected_version`` is a Conflict."""
    return _apply(services, member, _current(services, number), change, expected_version)


def hand_over(services: Services, member: TeamMember, number: int, to: str, note: str) -> Triaged:
    """Hand a ticket to another team member with a note (they are told by DM)."""
    from chalicelib.desk.triage import Change

    ticket = _current(services, number)
    if ticket.assignee == to:
        raise _invalid(f"ticket #{number} is already owned by {to}")
    return _apply(services, member, ticket, Change(assignee=to, note=note), None)


# Failed side effects


def failures(services: Services, limit: int, cursor: str | None) -> tuple[list[OutboxItem], str | None]:
    """Side effects that failed for good, newest first, and the cursor of the next page."""
    from chalicelib.desk.tickets import encode_cursor

    items, last = services.outbox.failures(limit, _failure_cursor(cursor))
    return items, encode_cursor(last)


def _failure_cursor(raw: str | None) -> dict[str, Any] | None:
    from chalicelib.desk.tickets import decode_cursor
    from chalicelib.ingress.shapes import ascii_int

    if not raw:
        return None
    value = decode_cursor(raw)
    shape = {"step_id": "S", "failed": "S", "failed_at": "N"}
    if set(value) != set(shape) or not all(
            isinstance(value[k], dict) and set(value[k]) == {t} and isinstance(value[k][t], str) and value[k][t]
            for k, t in shape.items()):
        raise _invalid("cursor is not valid")
    if value["failed"]["S"] != "FAILED" or ascii_int(value["failed_at"]["N"], low=0, high=10**12) is None:
        raise _invalid("cursor is not valid")
    return dict(value)


@dataclass(frozen=True)
class Retried:
    outcome: str | None  # what running it now did
    step: OutboxItem | None  # the step as it is now


def retry_failure(services: Services, step_id: str) -> Retried:
    """Replay one failed side effect now, with a fresh day of retries."""
    if not services.outbox.retry(step_id):
        raise NotFound(f"no failed side effect '{step_id[:80]}' (GET /api/failures lists them)")
    outcome = services.outbox.flush()
    return Retried(outcome[0] if outcome else None, services.outbox.get(step_id))


# Rotation and analytics


def rotation(services: Services, sprints: int) -> dict[str, Any]:
    """The Hero now and the next ``sprints`` sprints, with the calendar and response targets they use."""
    directory = services.directory.load()
    settings = directory.settings
    store = services.rotation
    current = store.current(settings)
    first = current.number if current else max(store.current_number(settings), 1)
    upcoming = store.schedule(settings, first, sprints) if settings.rotation_roster else []
    calendar = settings.calendar()
    now = services.clock.now()
    return {
        "now": now.isoformat(),
        "current": current.as_dict(directory) if current else None,
        "schedule": [s.as_dict(directory) for s in upcoming],
        "roster": list(settings.rotation_roster),
        "sprint_days": settings.sprint_days,
        "calendar": {**calendar.to_config(), "open_now": calendar.is_open(now),
                     "next_opening": calendar.next_opening(now).isoformat()},
        "response_targets_hours": {tier: {"first": first_h, "next": next_h}
                                   for tier, (first_h, next_h) in settings.response_targets.items()},
    }


def _date(value: str | None, name: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise _invalid(f"'{name}' must be a date like 2026-11-30") from exc


def _period(services: Services, start: str | None, end: str | None) -> tuple[dt.date, dt.date]:
    """``start``..``end`` (local dates, inclusive; default: the last 28 days)."""
    today = services.directory.load().settings.calendar().local_date(services.clock.now())
    last = _date(end, "to") or today
    try:
        first = _date(start, "from") or last - dt.timedelta(days=27)
    except OverflowError as exc:  # to=0001-01-01
        raise _invalid("'to' is too early: periods lie within the last two years") from exc
    return first, last


def _stint(services: Services, value: str) -> Any:
    from chalicelib.ingress.shapes import ascii_int

    settings = services.directory.load().settings
    if not settings.rotation_roster:
        raise _invalid("no Support Hero rotation is configured")
    if value == "current":
        current = services.rotation.current(settings)
        if current is None:
            raise _invalid("the first sprint has not started")
        return current
    number = ascii_int(value, low=1, high=MAX_SPRINT)
    if number is None:
        raise _invalid("stint must be 'current' or a sprint number from 1")
    if number > max(services.rotation.current_number(settings), 1):
        raise _invalid(f"stint {number} has not started")
    return services.rotation.sprint(settings, number)


def analytics(services: Services, start: str | None, end: str | None, group: str) -> dict[str, Any]:
    """Volume, response and resolution times, targets and backlog for a period, by day or week."""
    first, last = _period(services, start, end)
    return services.analytics.report(services.directory.load().settings, first, last, group)


def leaderboard(services: Services, stint: str) -> dict[str, Any]:
    """Per person over one Support Hero stint (``current`` or its number)."""
    return services.analytics.leaderboard(services.directory.load(), _stint(services, stint))


NO_STINT: dict[str, Any] = {"stint": None, "hero": None, "hero_name": None, "start": None, "end": None, "rows": []}


@dataclass(frozen=True)
class Dashboard:
    report: dict[str, Any]
    leaderboard: dict[str, Any]  # NO_STINT before the first sprint or without a rotation
    team_name: str
    generated_at: dt.datetime
    feedback: dict[str, Any] | None = None  # what the stint turned up (with a leaderboard)


def dashboard(services: Services, start: str | None, end: str | None, group: str, stint: str) -> Dashboard:
    """What the dashboard page shows: the period's report and, once a stint runs, its leaderboard."""
    directory = services.directory.load()
    report = analytics(services, start, end, group)
    board = found = None
    if directory.settings.rotation_roster and services.rotation.current(directory.settings) is not None:
        sprint = _stint(services, stint)
        board = services.analytics.leaderboard(directory, sprint)
        found = services.feedback.for_stint(directory, sprint)
    return Dashboard(report, board or NO_STINT, directory.settings.team_name, services.clock.now(), found)
