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
