"""Names derived from Slack payloads, shared by the ingress and the worker (stdlib only)."""

from __future__ import annotations

from typing import Any


def ticket_id_for(channel: str, ts: str) -> str:
    """The ticket opened from the Slack message ``ts`` in ``channel``.

    The id is the source item itself, so creating it twice is impossible: the
    conditional put on this key is the "exactly one ticket" guarantee.
    """
    return f"slack:{channel}:{ts}"


def message_source_id(channel: str, ts: str) -> str:
    return f"slack:{channel}:{ts}"


def thread_of(event: dict[str, Any]) -> tuple[str, str] | None:
    """(channel, thread root ts) that an event concerns, if it concerns a message."""
    etype = event.get("type")
    if etype in ("reaction_added", "reaction_removed"):
        item = event.get("item") or {}
        if isinstance(item, dict) and item.get("channel") and item.get("ts"):
            return str(item["channel"]), str(item["ts"])
        return None
    if etype != "message":
        return None
    channel = event.get("channel")
    if not channel:
        return None
    subtype = event.get("subtype")
    inner: dict[str, Any] = event
    if subtype == "message_changed" and isinstance(event.get("message"), dict):
        inner = event["message"]
    elif subtype == "message_deleted" and isinstance(event.get("previous_message"), dict):
        inner = event["previous_message"]
    root = inner.get("thread_ts") or inner.get("ts") or event.get("deleted_ts") or event.get("ts")
    if not root:
        return None
    return str(channel), str(root)


def group_for(payload: dict[str, Any]) -> str:
    """FIFO message group: one per thread, so a thread's events stay in order."""
    event = payload.get("event")
    if isinstance(event, dict):
        thread = thread_of(event)
        if thread:
            return f"slack:{thread[0]}:{thread[1]}"
        kind = event.get("type") or "event"
        return f"slack:{payload.get('team_id') or '-'}:{kind}"
    return f"slack:{payload.get('team_id') or '-'}"
