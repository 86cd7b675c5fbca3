"""Response-time targets: the due time a ticket carries while its customer waits.

A target runs while the ticket is new or open and the customer's last word is
unanswered.  The first one starts when the ticket opens ("first response"); after
an agent has answered, the next customer message starts a "next response" target.
Both are business hours of the team's calendar, per customer tier (configuration).

The fields are derived from the ticket's state by :func:`target_fields` and
written in the same update as the change that caused them, so they can never
disagree with the ticket.  The sweeper (:mod:`chalicelib.jobs.followups`) reads the
sparse ``by_sla_check`` index and warns once at 75 % of the time and once at the
breach; ``sla_stage`` records which warnings went out for *this* target.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from chalicelib.desk.calendar import BusinessCalendar
from chalicelib.desk.directory import TeamSettings
from chalicelib.models.tickets import Ticket

WARN_FRACTION = 0.75
FIELDS = ("due_kind", "due_since", "due_at", "warn_at", "sla_stage", "sla_due", "sla_check", "sla_check_at")
WARNED, BREACHED = "warned", "breached"


def waiting(ticket: Ticket) -> bool:
    """The customer waits for the team: open, and their last word is unanswered."""
    last_customer, last_agent = ticket.last_customer_message_at, ticket.last_agent_message_at
    return (ticket.status in ("new", "open") and last_customer is not None
            and (last_agent is None or last_customer > last_agent))


def target_key(kind: str, since: dt.datetime) -> str:
    return f"{kind}:{since.astimezone(dt.UTC).isoformat()}"


def stage_of(ticket: Ticket) -> str | None:
    """The warnings already sent for the ticket's current target (None, "warned" or "breached")."""
    if not ticket.sla_stage or not ticket.due_kind or not ticket.due_since:
        return None
    key, _, stage = ticket.sla_stage.rpartition(":")
    return stage if key == target_key(ticket.due_kind, ticket.due_since) else None


def target_fields(ticket: Ticket, settings: TeamSettings, calendar: BusinessCalendar | None = None) -> dict[str, Any]:
    """The target fields the ticket should carry now (``None`` = remove the attribute)."""
    if ticket.kind != "ticket" or not waiting(ticket):
        return dict.fromkeys(FIELDS)
    kind = "first" if ticket.first_response_at is None else "next"
    since: dt.datetime | None
    if kind == "first":
        since = ticket.created_at
    elif (ticket.due_kind == "next" and ticket.due_since is not None and ticket.last_agent_message_at is not None
          and ticket.due_since > ticket.last_agent_message_at):
        since = ticket.due_since  # still the same wait: the clock started at its first message
    else:
        since = ticket.last_customer_message_at
    if since is None:
        return dict.fromkeys(FIELDS)
    calendar = calendar or settings.calendar()
    hours = settings.target_hours(ticket.tier, kind)
    due = (first_response_due(since, ticket.tier, settings, calendar) if kind == "first"
           else calendar.add_business(since, dt.timedelta(hours=hours)))
    warn = calendar.add_business(since, dt.timedelta(hours=hours * WARN_FRACTION))
    key = target_key(kind, since)
    stage = None
    if ticket.sla_stage and ticket.sla_stage.rpartition(":")[0] == key:
        stage = ticket.sla_stage.rpartition(":")[2]
    return {
        "due_kind": kind,
        "due_since": since,
        "due_at": due,
        "warn_at": warn,
        "sla_stage": f"{key}:{stage}" if stage else None,
        "sla_due": "DUE",
        "sla_check": None if stage == BREACHED else "CHECK",
        "sla_check_at": None if stage == BREACHED else (due if stage == WARNED else warn),
    }


def first_response_due(created_at: dt.datetime, tier: str | None, settings: TeamSettings,
                       calendar: BusinessCalendar | None = None) -> dt.datetime:
    """When the first response to a ticket opened at ``created_at`` is due: the one rule, used by the
    target the sweeper warns on and by the analytics' "first response met"."""
    calendar = calendar or settings.calendar()
    return calendar.add_business(created_at, dt.timedelta(hours=settings.target_hours(tier, "first")))


def first_response_met(created_at: dt.datetime, first_response_at: dt.datetime, tier: str | None,
                       settings: TeamSettings, calendar: BusinessCalendar | None = None) -> bool:
    return first_response_at <= first_response_due(created_at, tier, settings, calendar)


def refresh(ticket: Ticket, settings: TeamSettings) -> dict[str, Any]:
    """Set the target fields on ``ticket``; return those that changed (name -> new value)."""
    changed: dict[str, Any] = {}
    for name, value in target_fields(ticket, settings).items():
        if getattr(ticket, name) != value:
            setattr(ticket, name, value)
            changed[name] = value
    return changed
