"""Payload shapes, declared once and checked at the edge (stdlib only).

Every inbound body is read with :func:`load_json` (bounded nesting, text that is valid Unicode)
and then by the small typed parser of its kind.  What does not fit is refused with a 400 and a
short reason before anything is enqueued or written, so the worker only ever sees payloads it
can handle.  Unknown extra fields are tolerated: real Slack and GitHub payloads carry many.

Each parser raises :class:`ShapeError` naming the field (``event.item must be an object``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

MAX_DEPTH = 64
MAX_TEXT = 40_000  # Slack truncates a message longer than this
MAX_REPLY = 30_000  # what one ticket message holds (TicketService.add_reply)
MAX_BODY_TEXT = 262_144  # a GitHub issue or comment body (GitHub's own limit is 65,536)

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_BRACKET = re.compile(r"[\[\]{}]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
# Slack ids (C0ACME, U0HERO1, W222, T111, Ev08...): short, ASCII letters and digits.
_ID = re.compile(r"(?:[A-Za-z0-9][A-Za-z0-9._-]{0,63})?", re.ASCII)
# Slack timestamps: "1700000000.000100" (seconds fit a datetime until the year 2286).
_TS = re.compile(r"(?:\d{1,10}(?:\.\d{1,9})?)?", re.ASCII)
_TOKEN = re.compile(r"[\x21-\x7e]{1,255}", re.ASCII)  # printable ASCII: event ids, versions, trigger ids
_REPO = re.compile(r"[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}", re.ASCII)
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
def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ShapeError(f"{where} must be an object")
    return value


def _opt_object(obj: dict[str, Any], key: str, where: str) -> dict[str, Any] | None:
    value = obj.get(key)
    return None if value is None else _object(value, f"{where}.{key}")


def _str(obj: dict[str, Any], key: str, where: str, *, max_len: int = 255, pattern: re.Pattern[str] | None = None,
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


def _need(value: str | None, where: str) -> str:
    if not value:
        raise ShapeError(f"{where} is required")
    return value


def _list(obj: dict[str, Any], key: str, where: str, *, max_len: int) -> list[Any]:
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ShapeError(f"{where}.{key} must be a list")
    if len(value) > max_len:
        raise ShapeError(f"{where}.{key} has more than {max_len} entries")
    return value


def _time(obj: dict[str, Any], key: str, where: str) -> str | None:
    """An ISO 8601 time with its offset (GitHub's ``2024-01-02T03:04:05Z``), between 1970 and 2200."""
    value = _str(obj, key, where, max_len=64)
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ShapeError(f"{where}.{key} is not an ISO 8601 time") from exc
    if parsed.tzinfo is None or not 1970 <= parsed.year <= 2200:
        raise ShapeError(f"{where}.{key} must be an ISO 8601 time with an offset, 1970-2200")
    return value


# -- Slack Events API ------------------------------------------------------------------------------
MESSAGE_SUBTYPES = frozenset({None, "file_share", "thread_broadcast"})  # as SlackIntake handles them


@dataclass(frozen=True)
class SlackMessage:
    ts: str | None
    user: str | None
    text: str | None
    thread_ts: str | None
    subtype: str | None
    edited_ts: str | None


@dataclass(frozen=True)
class SlackItem:
    type: str | None
    channel: str | None
    ts: str | None


@dataclass(frozen=True)
class SlackEvent:
    type: str
    subtype: str | None = None
    user: str | None = None
    channel: str | None = None
    message: SlackMessage | None = None  # the message itself; for message_changed, the new version
    previous: SlackMessage | None = None  # message_changed / message_deleted: what it was
    deleted_ts: str | None = None
    item: SlackItem | None = None
    reaction: str | None = None


@dataclass(frozen=True)
class SlackEnvelope:
    type: str
    event_id: str | None = None
    team_id: str | None = None
    challenge: str | None = None
    event: SlackEvent | None = None


def _slack_message(obj: dict[str, Any], where: str, *, ts_required: bool = False) -> SlackMessage:
    ts = _str(obj, "ts", where, max_len=24, pattern=_TS)
    if ts_required:
        _need(ts, f"{where}.ts")
    edited = _opt_object(obj, "edited", where)
    for i, item in enumerate(_list(obj, "files", where, max_len=100)):
        file = _object(item, f"{where}.files[{i}]")
        for key in ("id", "name", "title"):
            _str(file, key, f"{where}.files[{i}]", max_len=2000)
    return SlackMessage(
        ts=ts,
        user=_str(obj, "user", where, max_len=64, pattern=_ID),
        text=_str(obj, "text", where, max_len=MAX_TEXT),
        thread_ts=_str(obj, "thread_ts", where, max_len=24, pattern=_TS),
        subtype=_str(obj, "subtype", where, max_len=64),
        edited_ts=_str(edited, "ts", f"{where}.edited", max_len=64, pattern=_TOKEN) if edited else None,
    )


def parse_slack_event(value: Any, where: str = "event") -> SlackEvent:
    """An Events API ``event``: the fields the worker reads, typed, for the types it handles."""
    obj = _object(value, where)
    etype = _need(_str(obj, "type", where, max_len=64), f"{where}.type")
    if etype == "message":
        subtype = _str(obj, "subtype", where, max_len=64)
        inner = _opt_object(obj, "message", where)
        previous = _opt_object(obj, "previous_message", where)
        return SlackEvent(
            type=etype, subtype=subtype,
            user=_str(obj, "user", where, max_len=64, pattern=_ID),
            channel=_str(obj, "channel", where, max_len=64, pattern=_ID),
            message=(_slack_message(inner, f"{where}.message") if subtype == "message_changed" and inner
                     else _slack_message(obj, where, ts_required=subtype in MESSAGE_SUBTYPES)),
            previous=_slack_message(previous, f"{where}.previous_message") if previous else None,
            deleted_ts=_str(obj, "deleted_ts", where, max_len=24, pattern=_TS),
        )
    if etype in ("reaction_added", "reaction_removed"):
        item = _opt_object(obj, "item", where)
        return SlackEvent(
            type=etype,
            user=_str(obj, "user", where, max_len=64, pattern=_ID),
            reaction=_str(obj, "reaction", where, max_len=255),
            item=SlackItem(
                type=_str(item, "type", f"{where}.item", max_len=64),
                channel=_str(item, "channel", f"{where}.item", max_len=64, pattern=_ID),
                ts=_str(item, "ts", f"{where}.item", max_len=24, pattern=_TS),
            ) if item is not None else None,
        )
    if etype == "app_home_opened":
        return SlackEvent(type=etype, user=_str(obj, "user", where, max_len=64, pattern=_ID))
    return SlackEvent(type=etype)  # acknowledged and ignored by the worker: nothing else is read


def parse_slack_envelope(value: Any) -> SlackEnvelope:
    """A ``POST /slack/events`` body: ``url_verification``, ``event_callback`` or another envelope."""
    obj = _object(value, "body")
    kind = _need(_str(obj, "type", "body", max_len=64), "body.type")
    if kind == "url_verification":
        challenge = _str(obj, "challenge", "body", max_len=1000)
        return SlackEnvelope(kind, challenge=_need(challenge, "url_verification's challenge"))
    if kind != "event_callback":
        return SlackEnvelope(kind)
    event_id = _need(_str(obj, "event_id", "body", pattern=_TOKEN), "event_callback's event_id")
    if not isinstance(obj.get("event"), dict):
        raise ShapeError("event_callback without an event object")
    return SlackEnvelope(kind, event_id=event_id, team_id=_str(obj, "team_id", "body", max_len=64, pattern=_ID),
                         event=parse_slack_event(obj["event"]))


# -- Slack interactivity ---------------------------------------------------------------------------
@dataclass(frozen=True)
class SlackAction:
    action_id: str | None
    block_id: str | None
    selected_value: str | None
    selected_user: str | None
    action_ts: str | None


@dataclass(frozen=True)
class SlackInteraction:
    type: str
    user_id: str | None
    channel_id: str | None  # channel.id, else container.channel_id
    message_ts: str | None  # container.message_ts
    trigger_id: str | None
    callback_id: str | None  # the shortcut's (message_action) or the view's (view_submission)
    response_url: str | None
    actions: tuple[SlackAction, ...] = ()
    message: SlackMessage | None = None
    view_id: str | None = None
    private_metadata: str | None = None
    reply_text: str | None = None  # view.state.values.reply.text.value


def _nested(obj: dict[str, Any] | None, keys: tuple[str, ...], where: str) -> dict[str, Any] | None:
    for key in keys:
        if obj is None:
            return None
        obj = _opt_object(obj, key, where)
        where = f"{where}.{key}"
    return obj


def parse_slack_interaction(value: Any) -> SlackInteraction:
    """An interactivity ``payload``: block actions, a message shortcut, a view submission."""
    obj = _object(value, "payload")
    kind = _need(_str(obj, "type", "payload", max_len=64), "payload.type")
    user = _opt_object(obj, "user", "payload")
    channel = _opt_object(obj, "channel", "payload")
    container = _opt_object(obj, "container", "payload")
    view = _opt_object(obj, "view", "payload")
    user_id = _str(user, "id", "payload.user", max_len=64, pattern=_ID) if user else None
    channel_id = (_str(channel, "id", "payload.channel", max_len=64, pattern=_ID) if channel else None) or (
        _str(container, "channel_id", "payload.container", max_len=64, pattern=_ID) if container else None)
    actions = []
    for i, item in enumerate(_list(obj, "actions", "payload", max_len=25)):
        act = _object(item, f"payload.actions[{i}]")
        option = _opt_object(act, "selected_option", f"payload.actions[{i}]")
        actions.append(SlackAction(
            action_id=_str(act, "action_id", f"payload.actions[{i}]"),
            block_id=_str(act, "block_id", f"payload.actions[{i}]"),
            selected_value=_str(option, "value", f"payload.actions[{i}].selected_option", max_len=2000)
            if option else None,
            selected_user=_str(act, "selected_user", f"payload.actions[{i}]", max_len=64, pattern=_ID),
            action_ts=_str(act, "action_ts", f"payload.actions[{i}]", max_len=64),
        ))
    message = _opt_object(obj, "message", "payload")
    text_field = _nested(view, ("state", "values", "reply", "text"), "payload.view")
    interaction = SlackInteraction(
        type=kind, user_id=user_id, channel_id=channel_id,
        message_ts=_str(container, "message_ts", "payload.container", max_len=64) if container else None,
        trigger_id=_str(obj, "trigger_id", "payload", pattern=_TOKEN),
        callback_id=(_str(view, "callback_id", "payload.view") if view else None) if kind == "view_submission"
        else _str(obj, "callback_id", "payload"),
        response_url=_str(obj, "response_url", "payload", max_len=2000),
        actions=tuple(actions),
        message=_slack_message(message, "payload.message") if message else None,
        view_id=_str(view, "id", "payload.view", pattern=_TOKEN) if view else None,
        private_metadata=_str(view, "private_metadata", "payload.view", max_len=3000) if view else None,
        reply_text=_str(text_field, "value", "payload.view.state.values.reply.text", max_len=10 * MAX_REPLY)
        if text_field else None,
    )
    if kind in ("block_actions", "message_action", "view_submission") and not user_id:
        raise ShapeError(f"{kind} without payload.user.id")
    if kind == "block_actions" and not channel_id:
        raise ShapeError("block_actions without a channel (payload.channel.id or payload.container.channel_id)")
    if kind == "view_submission" and view is None:
        raise ShapeError("view_submission without payload.view")
    return interaction


@dataclass(frozen=True)
class ReplyTarget:
    """Where a "Reply to customer" modal sends its text (its private_metadata)."""

    channel: str
    thread_ts: str


def parse_reply_target(private_metadata: str | None) -> ReplyTarget:
    where = "payload.view.private_metadata"
    obj = _object(load_json(private_metadata or "{}", max_depth=4), where)
    return ReplyTarget(channel=_need(_str(obj, "channel", where, max_len=64, pattern=_ID), f"{where}.channel"),
                       thread_ts=_need(_str(obj, "thread_ts", where, max_len=24, pattern=_TS), f"{where}.thread_ts"))


# -- Slack slash commands --------------------------------------------------------------------------
@dataclass(frozen=True)
class SlashCommand:
    command: str
    text: str
    user_id: str
    channel_id: str
    trigger_id: str | None


def parse_slash_command(form: dict[str, str]) -> SlashCommand:
    """A slash command's form fields (values are already text: the form decoder replaces bad bytes)."""
    command = _str(form, "command", "form", max_len=64)
    if not command or not command.startswith("/"):
        raise ShapeError("not a slash command payload (command)")
    return SlashCommand(
        command=command.strip(),
        text=_str(form, "text", "form", max_len=MAX_TEXT) or "",
        user_id=_need(_str(form, "user_id", "form", max_len=64, pattern=_ID), "form.user_id"),
        channel_id=_need(_str(form, "channel_id", "form", max_len=64, pattern=_ID), "form.channel_id"),
        trigger_id=_str(form, "trigger_id", "form", pattern=_TOKEN),
    )


# -- GitHub webhooks -------------------------------------------------------------------------------
@dataclass(frozen=True)
class GitHubUser:
    login: str | None
    type: str | None


@dataclass(frozen=True)
class GitHubIssue:
    number: int
    title: str | None
    state: str | None
    body: str | None
    user: GitHubUser | None
    labels: tuple[str, ...]
    created_at: str | None
    updated_at: str | None
    closed_at: str | None


@dataclass(frozen=True)
class GitHubComment:
    id: str
    body: str | None
    user: GitHubUser | None
    created_at: str | None
    updated_at: str | None


@dataclass(frozen=True)
class GitHubDelivery:
    event: str
    action: str | None
    repo: str | None = None
    issue: GitHubIssue | None = None
    comment: GitHubComment | None = None
    sender: GitHubUser | None = None


GITHUB_HANDLED = {"issue_comment": frozenset({"created", "edited", "deleted"}),
                  "issues": frozenset({"opened", "closed", "reopened", "edited"})}


def _github_user(obj: dict[str, Any], key: str, where: str) -> GitHubUser | None:
    user = _opt_object(obj, key, where)
    if user is None:
        return None
    return GitHubUser(login=_str(user, "login", f"{where}.{key}", max_len=100),
                      type=_str(user, "type", f"{where}.{key}", max_len=64))


def _positive_int(obj: dict[str, Any], key: str, where: str) -> int:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 2**53:
        raise ShapeError(f"{where}.{key} must be a positive integer")
    return value


def parse_github_delivery(event: str, value: Any) -> GitHubDelivery:
    """A webhook body: for the events the worker handles, every field it reads, typed."""
    obj = _object(value, "body")
    action = _str(obj, "action", "body", max_len=64)
    if action not in GITHUB_HANDLED.get(event, ()):
        return GitHubDelivery(event, action)  # acknowledged and ignored: nothing else is read
    repository = _object(obj.get("repository"), "body.repository")
    repo = _need(_str(repository, "full_name", "body.repository", max_len=201, pattern=_REPO),
                 "body.repository.full_name")
    raw_issue = _object(obj.get("issue"), "body.issue")
    labels = []
    for i, item in enumerate(_list(raw_issue, "labels", "body.issue", max_len=100)):
        labels.append(_str(_object(item, f"body.issue.labels[{i}]"), "name", f"body.issue.labels[{i}]") or "")
    issue = GitHubIssue(
        number=_positive_int(raw_issue, "number", "body.issue"),
        title=_str(raw_issue, "title", "body.issue", max_len=1024),
        state=_str(raw_issue, "state", "body.issue", max_len=64),
        body=_str(raw_issue, "body", "body.issue", max_len=MAX_BODY_TEXT),
        user=_github_user(raw_issue, "user", "body.issue"),
        labels=tuple(labels),
        created_at=_time(raw_issue, "created_at", "body.issue"),
        updated_at=_time(raw_issue, "updated_at", "body.issue"),
        closed_at=_time(raw_issue, "closed_at", "body.issue"),
    )
    _str(raw_issue, "html_url", "body.issue", max_len=2000)
    comment = None
    if event == "issue_comment":
        raw = _object(obj.get("comment"), "body.comment")
        ident = raw.get("id")
        if isinstance(ident, bool) or not isinstance(ident, int | str) or not str(ident) or len(str(ident)) > 64:
            raise ShapeError("body.comment.id must be an integer or a short string")
        comment = GitHubComment(
            id=str(ident), body=_str(raw, "body", "body.comment", max_len=MAX_BODY_TEXT),
            user=_github_user(raw, "user", "body.comment"),
            created_at=_time(raw, "created_at", "body.comment"), updated_at=_time(raw, "updated_at", "body.comment"),
        )
    return GitHubDelivery(event, action, repo=repo, issue=issue, comment=comment,
                          sender=_github_user(obj, "sender", "body"))
