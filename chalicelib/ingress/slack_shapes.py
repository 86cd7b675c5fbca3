"""Slack's payload shapes, checked at the edge (stdlib only): Events API envelopes and events,
interactivity payloads, the reply modal's metadata, slash commands."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.ingress.fields import (
    MAX_REPLY,
    MAX_TEXT,
    TOKEN,
    ShapeError,
    as_object,
    list_field,
    load_json,
    need,
    opt_object,
    slack_id,
    slack_ts,
    string,
)

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
    ts = slack_ts(obj, "ts", where)
    if ts_required:
        need(ts, f"{where}.ts")
    edited = opt_object(obj, "edited", where)
    for i, item in enumerate(list_field(obj, "files", where, max_len=100)):
        file = as_object(item, f"{where}.files[{i}]")
        for key in ("id", "name", "title"):
            string(file, key, f"{where}.files[{i}]", max_len=2000)
    return SlackMessage(
        ts=ts,
        user=slack_id(obj, "user", where),
        text=string(obj, "text", where, max_len=MAX_TEXT),
        thread_ts=slack_ts(obj, "thread_ts", where),
        subtype=string(obj, "subtype", where, max_len=64),
        edited_ts=string(edited, "ts", f"{where}.edited", max_len=64, pattern=TOKEN) if edited else None,
    )


def parse_slack_event(value: Any, where: str = "event") -> SlackEvent:
    """An Events API ``event``: the fields the worker reads, typed, for the types it handles."""
    obj = as_object(value, where)
    etype = need(string(obj, "type", where, max_len=64), f"{where}.type")
    if etype == "message":
        subtype = string(obj, "subtype", where, max_len=64)
        inner = opt_object(obj, "message", where)
        previous = opt_object(obj, "previous_message", where)
        return SlackEvent(
            type=etype, subtype=subtype,
            user=slack_id(obj, "user", where),
            channel=slack_id(obj, "channel", where),
            message=(_slack_message(inner, f"{where}.message") if subtype == "message_changed" and inner
                     else _slack_message(obj, where, ts_required=subtype in MESSAGE_SUBTYPES)),
            previous=_slack_message(previous, f"{where}.previous_message") if previous else None,
            deleted_ts=slack_ts(obj, "deleted_ts", where),
        )
    if etype in ("reaction_added", "reaction_removed"):
        item = opt_object(obj, "item", where)
        return SlackEvent(
            type=etype,
            user=slack_id(obj, "user", where),
            reaction=string(obj, "reaction", where, max_len=255),
            item=SlackItem(
                type=string(item, "type", f"{where}.item", max_len=64),
                channel=slack_id(item, "channel", f"{where}.item"),
                ts=slack_ts(item, "ts", f"{where}.item"),
            ) if item is not None else None,
        )
    if etype == "app_home_opened":
        return SlackEvent(type=etype, user=slack_id(obj, "user", where))
    return SlackEvent(type=etype)  # acknowledged and ignored by the worker: nothing else is read


def parse_slack_envelope(value: Any) -> SlackEnvelope:
    """A ``POST /slack/events`` body: ``url_verification``, ``event_callback`` or another envelope."""
    obj = as_object(value, "body")
    kind = need(string(obj, "type", "body", max_len=64), "body.type")
    if kind == "url_verification":
        challenge = string(obj, "challenge", "body", max_len=1000)
        return SlackEnvelope(kind, challenge=need(challenge, "url_verification's challenge"))
    if kind != "event_callback":
        return SlackEnvelope(kind)
    event_id = need(string(obj, "event_id", "body", pattern=TOKEN), "event_callback's event_id")
    if not isinstance(obj.get("event"), dict):
        raise ShapeError("event_callback without an event object")
    return SlackEnvelope(kind, event_id=event_id, team_id=slack_id(obj, "team_id", "body"),
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
        obj = opt_object(obj, key, where)
        where = f"{where}.{key}"
    return obj


def parse_slack_interaction(value: Any) -> SlackInteraction:
    """An interactivity ``payload``: block actions, a message shortcut, a view submission."""
    obj = as_object(value, "payload")
    kind = need(string(obj, "type", "payload", max_len=64), "payload.type")
    user = opt_object(obj, "user", "payload")
    channel = opt_object(obj, "channel", "payload")
    container = opt_object(obj, "container", "payload")
    view = opt_object(obj, "view", "payload")
    user_id = slack_id(user, "id", "payload.user") if user else None
    channel_id = (slack_id(channel, "id", "payload.channel") if channel else None) or (
        slack_id(container, "channel_id", "payload.container") if container else None)
    actions = []
    for i, item in enumerate(list_field(obj, "actions", "payload", max_len=25)):
        act = as_object(item, f"payload.actions[{i}]")
        option = opt_object(act, "selected_option", f"payload.actions[{i}]")
        actions.append(SlackAction(
            action_id=string(act, "action_id", f"payload.actions[{i}]"),
            block_id=string(act, "block_id", f"payload.actions[{i}]"),
            selected_value=string(option, "value", f"payload.actions[{i}].selected_option", max_len=2000)
            if option else None,
            selected_user=slack_id(act, "selected_user", f"payload.actions[{i}]"),
            action_ts=string(act, "action_ts", f"payload.actions[{i}]", max_len=64),
        ))
    message = opt_object(obj, "message", "payload")
    text_field = _nested(view, ("state", "values", "reply", "text"), "payload.view")
    interaction = SlackInteraction(
        type=kind, user_id=user_id, channel_id=channel_id,
        message_ts=string(container, "message_ts", "payload.container", max_len=64) if container else None,
        trigger_id=string(obj, "trigger_id", "payload", pattern=TOKEN),
        callback_id=(string(view, "callback_id", "payload.view") if view else None) if kind == "view_submission"
        else string(obj, "callback_id", "payload"),
        response_url=string(obj, "response_url", "payload", max_len=2000),
        actions=tuple(actions),
        message=_slack_message(message, "payload.message") if message else None,
        view_id=string(view, "id", "payload.view", pattern=TOKEN) if view else None,
        private_metadata=string(view, "private_metadata", "payload.view", max_len=3000) if view else None,
        reply_text=string(text_field, "value", "payload.view.state.values.reply.text", max_len=10 * MAX_REPLY)
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
    obj = as_object(load_json(private_metadata or "{}", max_depth=4), where)
    return ReplyTarget(channel=need(slack_id(obj, "channel", where), f"{where}.channel"),
                       thread_ts=need(slack_ts(obj, "thread_ts", where), f"{where}.thread_ts"))


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
    command = string(form, "command", "form", max_len=64)
    if not command or not command.startswith("/"):
        raise ShapeError("not a slash command payload (command)")
    return SlashCommand(
        command=command.strip(),
        text=string(form, "text", "form", max_len=MAX_TEXT) or "",
        user_id=need(slack_id(form, "user_id", "form"), "form.user_id"),
        channel_id=need(slack_id(form, "channel_id", "form"), "form.channel_id"),
        trigger_id=string(form, "trigger_id", "form", pattern=TOKEN),
    )
