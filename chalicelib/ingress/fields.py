"""The edge's field readers (stdlib only): JSON with bounds, and typed reads of one field that raise
:class:`ShapeError` naming it.  The parsers of each source are :mod:`chalicelib.ingress.slack_shapes`
and :mod:`chalicelib.ingress.github_shapes`; :mod:`chalicelib.ingress.shapes` re-exports them all.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

MAX_DEPTH = 64
MAX_TEXT = 40_000  # Slack truncates a message longer than this
MAX_REPLY = 30_000  # what one ticket message holds (TicketService.add_reply)
MAX_BODY_TEXT = 262_144  # a GitHub issue or comment body (GitHub's own limit is 65,536)

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_BRACKET = re.compile(r"[\[\]{}]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
# Slack ids (C0ACME, U0HERO1, W222, T111, Ev08...): short, ASCII letters and digits.
SLACK_ID = re.compile(r"(?:[A-Za-z0-9][A-Za-z0-9._-]{0,63})?", re.ASCII)
# Slack timestamps: "1700000000.000100" (seconds fit a datetime until the year 2286).
SLACK_TS = re.compile(r"(?:\d{1,10}(?:\.\d{1,9})?)?", re.ASCII)
TOKEN = re.compile(r"[\x21-\x7e]{1,255}", re.ASCII)  # printable ASCII: event ids, versions, trigger ids
REPO = re.compile(r"[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}", re.ASCII)
_DIGITS = re.compile(r"\d+", re.ASCII)


class ShapeError(ValueError):
    """The payload does not have the declared shape; ``reason`` says which field (answer 400)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# -- JSON with bounds ------------------------------------------------------------------------------
def load_json(data: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads`` that refuses nesting deeper than ``max_depth`` (checked on the text first,
    so no RecursionError) and strings that are not valid Unicode (``"\\ud800"``: DynamoDB, SQS
    and every hash of the text would fail on them later)."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ShapeError("body is not valid UTF-8") from exc
    else:
        text = data
        if not _encodable(text):
            raise ShapeError("body is not valid Unicode")
    if nesting_exceeds(text, max_depth):
        raise ShapeError(f"JSON nested deeper than {max_depth} levels")
    try:
        value = json.loads(text)
    except RecursionError as exc:
        raise ShapeError(f"JSON nested deeper than {max_depth} levels") from exc
    except ValueError as exc:  # also int("9" * 5000) and a bad \u escape
        raise ShapeError("body is not valid JSON") from exc
    if _SURROGATE_ESCAPE.search(text) and not _all_encodable(value):
        raise ShapeError("JSON text holds a lone surrogate (not valid Unicode)")
    return value


def nesting_exceeds(text: str, max_depth: int) -> bool:
    """True if the JSON text opens more than ``max_depth`` brackets at once (strings skipped)."""
    depth = 0
    for match in _BRACKET.finditer(_STRING.sub('""', text)):
        if match.group() in "[{":
            depth += 1
            if depth > max_depth:
                return True
        else:
            depth -= 1
    return False


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _all_encodable(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if not _encodable(item):
                return False
        elif isinstance(item, dict):
            for key, inner in item.items():
                if not _encodable(key):
                    return False
                stack.append(inner)
        elif isinstance(item, list):
            stack.extend(item)
    return True


def ascii_int(value: str, *, low: int, high: int) -> int | None:
    """``value`` as an int if it is 1-18 ASCII digits within ``low..high``, else None.

    Never ``int()`` on raw input: ``"²".isdigit()`` is True but ``int("²")`` raises, and 5,000
    nines exceed Python's digit limit."""
    if not 0 < len(value) <= 18 or not _DIGITS.fullmatch(value):
        return None
    number = int(value)
    return number if low <= number <= high else None


# -- field readers ---------------------------------------------------------------------------------
def as_object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ShapeError(f"{where} must be an object")
    return value


def opt_object(obj: dict[str, Any], key: str, where: str) -> dict[str, Any] | None:
    value = obj.get(key)
    return None if value is None else as_object(value, f"{where}.{key}")


def string(obj: dict[str, Any], key: str, where: str, *, max_len: int = 255, pattern: re.Pattern[str] | None = None,
         required: bool = False) -> str | None:
    value = obj.get(key)
    if value is None or (required and value == ""):
        if required:
            raise ShapeError(f"{where}.{key} is required")
        return None
    if not isinstance(value, str):
        raise ShapeError(f"{where}.{key} must be a string")
    if len(value) > max_len:
        raise ShapeError(f"{where}.{key} is longer than {max_len} characters")
    if pattern is not None and not pattern.fullmatch(value):
        raise ShapeError(f"{where}.{key} is not well formed")
    return value


def need(value: str | None, where: str) -> str:
    if not value:
        raise ShapeError(f"{where} is required")
    return value


def list_field(obj: dict[str, Any], key: str, where: str, *, max_len: int) -> list[Any]:
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ShapeError(f"{where}.{key} must be a list")
    if len(value) > max_len:
        raise ShapeError(f"{where}.{key} has more than {max_len} entries")
    return value


def iso_time(obj: dict[str, Any], key: str, where: str) -> str | None:
    """An ISO 8601 time with its offset (GitHub's ``2024-01-02T03:04:05Z``), between 1970 and 2200."""
    value = string(obj, key, where, max_len=64)
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ShapeError(f"{where}.{key} is not an ISO 8601 time") from exc
    if parsed.tzinfo is None or not 1970 <= parsed.year <= 2200:
        raise ShapeError(f"{where}.{key} must be an ISO 8601 time with an offset, 1970-2200")
    return value


def slack_id(obj: dict[str, Any], key: str, where: str) -> str | None:
    """A Slack id (``C0ACME``, ``U0HERO1``): short, ASCII letters and digits."""
    return string(obj, key, where, max_len=64, pattern=SLACK_ID)


def slack_ts(obj: dict[str, Any], key: str, where: str) -> str | None:
    """A Slack timestamp (``1700000000.000100``)."""
    return string(obj, key, where, max_len=24, pattern=SLACK_TS)
