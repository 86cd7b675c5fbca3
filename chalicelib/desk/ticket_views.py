"""How tickets and messages are shown (the agent API's JSON) and how a page of a list is named (cursors)."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any
from urllib.parse import quote

from chalicelib.desk.ticket_types import InvalidInput, number_of
from chalicelib.models.tickets import Message, Ticket

VIEWS = ("unassigned", "mine", "all", "awaiting-reply", "due")
FILTERS = ("status", "priority", "channel", "customer", "tag")


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


def iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def ticket_summary(ticket: Ticket) -> dict[str, Any]:
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
        "requester": {"id": ticket.requester_id, "name": ticket.requester_name, "identity": ticket.requester_key},
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
        "satisfaction": ({"rating": ticket.csat, "at": iso(ticket.csat_at), "comment": ticket.csat_comment}
                         if ticket.csat else {"survey": ticket.survey_state} if ticket.survey_state else None),
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
