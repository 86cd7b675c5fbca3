"""Builders of Slack Events API payloads shaped like the real ones in the corpus."""

from __future__ import annotations

import itertools
from typing import Any

_ids = itertools.count(1)


def envelope(event: dict[str, Any], event_id: str | None = None, team_id: str = "T0DEV") -> dict[str, Any]:
    return {
        "token": "verification-token",
        "team_id": team_id,
        "api_app_id": "A0SUPPORT",
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_ids):08d}",
        "event_time": 1700000000,
        "authorizations": [{"team_id": team_id, "user_id": "U0BOT", "is_bot": True}],
    }


def reaction(user: str, channel: str, ts: str, name: str = "ticket", **kw: Any) -> dict[str, Any]:
    return envelope(
        {
            "type": "reaction_added",
            "user": user,
            "item": {"type": "message", "channel": channel, "ts": ts},
            "reaction": name,
            "item_user": "U0CUST1",
            "event_ts": "1700000100.000100",
        },
        **kw,
    )


def message(user: str, channel: str, ts: str, text: str, thread_ts: str | None = None, **kw: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "message", "user": user, "text": text, "ts": ts, "channel": channel,
        "event_ts": ts, "channel_type": "channel", "team": "T0DEV",
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
        event["parent_user_id"] = "U0CUST1"
    return envelope(event, **kw)


def edited(user: str, channel: str, ts: str, text: str, edit_ts: str, thread_ts: str | None = None) -> dict[str, Any]:
    inner: dict[str, Any] = {"type": "message", "user": user, "text": text, "ts": ts,
                             "edited": {"user": user, "ts": edit_ts}}
    if thread_ts:
        inner["thread_ts"] = thread_ts
    return envelope({
        "type": "message", "subtype": "message_changed", "hidden": True, "channel": channel,
        "message": inner, "previous_message": {"type": "message", "user": user, "text": "old", "ts": ts},
        "ts": edit_ts, "event_ts": edit_ts, "channel_type": "channel",
    })


def deleted(
    user: str, channel: str, ts: str, thread_ts: str | None = None, at: str = "1700009999.000100"
) -> dict[str, Any]:
    prev: dict[str, Any] = {"type": "message", "user": user, "text": "gone", "ts": ts}
    if thread_ts:
        prev["thread_ts"] = thread_ts
    return envelope({
        "type": "message", "subtype": "message_deleted", "hidden": True, "channel": channel,
        "deleted_ts": ts, "previous_message": prev, "ts": at, "event_ts": at, "channel_type": "channel",
    })


def rate(services: Any, number: int, rating: str, at: Any, owner: str | None = None) -> None:
    """A customer's satisfaction rating recorded the way the survey records it: the ticket's ``csat`` fields
    and the analytics' increments (:func:`chalicelib.desk.analytics.rating_changes`) in one transaction,
    under the ticket's version.  ``owner``: the member who owned the ticket then (default: its assignee)."""
    from chalicelib.desk import analytics

    store = services.tickets.store
    found = store.by_number(number)
    assert found is not None, f"no ticket #{number}"
    ticket = store.get(found.ticket_id)
    assert ticket is not None
    ticket.csat_owner = owner if owner is not None else ticket.assignee
    metrics = analytics.rating_changes(ticket, rating, at, services.directory.load().settings)
    with store.transaction() as write:
        write.update_ticket(ticket, {"csat": rating, "csat_at": at, "csat_owner": ticket.csat_owner})
        analytics.add_to_transaction(write.tx, metrics)
