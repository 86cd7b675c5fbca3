"""Payload shapes, declared once and checked at the edge (stdlib only).

Every inbound body is read with :func:`load_json` (bounded nesting, text that is valid Unicode)
and then by the small typed parser of its kind.  What does not fit is refused with a 400 and a
short reason before anything is enqueued or written, so the worker only ever sees payloads it
can handle.  Unknown extra fields are tolerated: real Slack and GitHub payloads carry many.

Each parser raises :class:`ShapeError` naming the field (``event.item must be an object``).

This module gathers the names: the field readers are :mod:`chalicelib.ingress.fields`, Slack's shapes
:mod:`chalicelib.ingress.slack_shapes`, GitHub's :mod:`chalicelib.ingress.github_shapes`.
"""

from __future__ import annotations

from chalicelib.ingress.fields import (
    MAX_BODY_TEXT,
    MAX_DEPTH,
    MAX_REPLY,
    MAX_TEXT,
    ShapeError,
    ascii_int,
    load_json,
    nesting_exceeds,
)
from chalicelib.ingress.github_shapes import (
    GITHUB_HANDLED,
    GitHubComment,
    GitHubDelivery,
    GitHubIssue,
    GitHubUser,
    parse_github_delivery,
)
from chalicelib.ingress.slack_shapes import (
    MESSAGE_SUBTYPES,
    ReplyTarget,
    SlackAction,
    SlackEnvelope,
    SlackEvent,
    SlackInteraction,
    SlackItem,
    SlackMessage,
    SlashCommand,
    parse_reply_target,
    parse_slack_envelope,
    parse_slack_event,
    parse_slack_interaction,
    parse_slash_command,
)

__all__ = [
    "GITHUB_HANDLED",
    "MAX_BODY_TEXT",
    "MAX_DEPTH",
    "MAX_REPLY",
    "MAX_TEXT",
    "MESSAGE_SUBTYPES",
    "GitHubComment",
    "GitHubDelivery",
    "GitHubIssue",
    "GitHubUser",
    "ReplyTarget",
    "ShapeError",
    "SlackAction",
    "SlackEnvelope",
    "SlackEvent",
    "SlackInteraction",
    "SlackItem",
    "SlackMessage",
    "SlashCommand",
    "ascii_int",
    "load_json",
    "nesting_exceeds",
    "parse_github_delivery",
    "parse_reply_target",
    "parse_slack_envelope",
    "parse_slack_event",
    "parse_slack_interaction",
    "parse_slash_command",
]
