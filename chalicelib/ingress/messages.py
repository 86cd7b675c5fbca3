"""The events queue's messages, typed.  Stdlib only: the ingress builds them on its fast path.

Every message is one of the dataclasses below; :func:`encode` writes the wire form
(``{"v": 1, "source", "kind", ...}``, unchanged from before) and :func:`decode` reads it back,
so the worker dispatches on a type from one table (:mod:`chalicelib.dispatch`) instead of
comparing strings, and a message nobody can read is rejected in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

VERSION = 1


class UnreadableMessage(ValueError):
    """Not one of our messages (it is recorded as a failure, never retried)."""


@dataclass(frozen=True)
class SlackEvent:
    """``POST /slack/events``: an Events API envelope."""
    payload: dict[str, Any]
    delivery_id: str


@dataclass(frozen=True)
class SlackCommand:
    """``POST /slack/commands``: ``/ticket`` or ``/hero`` (the form's fields)."""
    payload: dict[str, Any]
    delivery_id: str


@dataclass(frozen=True)
class SlackInteraction:
    """``POST /slack/interactions``: a button or menu on a ticket's message."""
    payload: dict[str, Any]
    delivery_id: str


@dataclass(frozen=True)
class ReplyModal:
    """``POST /slack/interactions``: the submitted "Reply to customer" modal."""
    payload: dict[str, Any]
    delivery_id: str


@dataclass(frozen=True)
class GitHubWebhook:
    """``POST /github/webhook``: one delivery."""
    event: str
    payload: dict[str, Any]
    delivery_id: str


@dataclass(frozen=True)
class EmailReceived:
    """A mail SES received (stored in S3), with SES's verdicts."""
    delivery_id: str
    s3: dict[str, Any]
    mail: dict[str, Any]
    verdicts: dict[str, Any]


@dataclass(frozen=True)
class EmailFeedback:
    """A bounce or complaint about mail we sent."""
    delivery_id: str
    feedback: dict[str, Any]


@dataclass(frozen=True)
class RunStep:
    """Run one outbox step now (sent after an API request wrote it; the schedule is the safety net)."""
    step_id: str


QueueMessage = (SlackEvent | SlackCommand | SlackInteraction | ReplyModal | GitHubWebhook | EmailReceived
                | EmailFeedback | RunStep)

_WIRE: dict[type, tuple[str, str]] = {
    SlackEvent: ("slack", "event"),
    SlackCommand: ("slack", "command"),
    SlackInteraction: ("slack", "interaction"),
    ReplyModal: ("slack", "reply-modal"),
    GitHubWebhook: ("github", "webhook"),
    EmailReceived: ("email", "received"),
    EmailFeedback: ("email", "feedback"),
    RunStep: ("outbox", "run"),
}
_TYPES = {wire: cls for cls, wire in _WIRE.items()}


def encode(message: QueueMessage) -> dict[str, Any]:
    source, kind = _WIRE[type(message)]
    return {"v": VERSION, "source": source, "kind": kind, **message.__dict__}


def decode(body: Any) -> QueueMessage:
    if not isinstance(body, dict):
        raise UnreadableMessage("queue message is not an object")
    cls: Any = _TYPES.get((body.get("source"), body.get("kind")))  # type: ignore[arg-type]
    if cls is None:
        raise UnreadableMessage(f"unknown queue message {body.get('source')!r}/{body.get('kind')!r}")
    fields = cls.__dataclass_fields__
    values = {name: body.get(name) for name in fields}
    if values.get("delivery_id") is None and "delivery_id" in fields:
        values["delivery_id"] = ""
    for name, value in values.items():
        wanted = dict if "dict" in str(fields[name].type) else str
        if wanted is str and value is not None and not isinstance(value, str):
            value = values[name] = str(value)
        if not isinstance(value, wanted):
            raise UnreadableMessage(f"{body.get('source')}/{body.get('kind')}: '{name}' is missing or not a "
                                    f"{wanted.__name__}")
    message: QueueMessage = cls(**values)
    return message
