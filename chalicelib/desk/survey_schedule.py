"""When a solved ticket's satisfaction survey is due (pure; the asking is :mod:`chalicelib.desk.surveys`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from chalicelib.desk.directory import TeamSettings
from chalicelib.desk.ticket_types import SOLVED
from chalicelib.models.tickets import Ticket

DUE = "SURVEY"  # the sparse by_survey index's hash key while a survey waits for its time


def schedule_fields(ticket: Ticket, settings: TeamSettings, now: dt.datetime) -> dict[str, Any]:
    """The survey fields a status change sets: due a grace period after solving, none once reopened."""
    if ticket.status == SOLVED and settings.surveys and not ticket.survey_state and not ticket.csat:
        grace = dt.timedelta(hours=settings.survey_grace_hours)
        return {"survey_due": DUE, "survey_at": settings.calendar().add_business(now, grace)}
    if ticket.survey_due:
        return {"survey_due": None, "survey_at": None}
    return {}
