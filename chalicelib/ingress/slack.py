"""``POST /slack/events``: verify, enqueue, answer.  Nothing heavy is imported here."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

from chalice.app import Blueprint, Request, Response

from chalicelib import bootstrap
from chalicelib.bootstrap import Ingress
from chalicelib.channels.slack.commands import HERO_USAGE, USAGE, CommandError, parse, parse_hero
from chalicelib.channels.slack.refs import group_for
from chalicelib.ingress import messages
from chalicelib.ingress.http import body_and_secret, error, ok
from chalicelib.ingress.shapes import (
    MAX_REPLY,
    ShapeError,
    SlackInteraction,
    load_json,
    parse_reply_target,
    parse_slack_envelope,
    parse_slack_interaction,
    parse_slash_command,
)
from chalicelib.platform.awslite import AwsError
from chalicelib.platform.observability import count, logger
from chalicelib.platform.queue import MessageTooLarge
from chalicelib.platform.secrets import SecretMissing
from chalicelib.platform.security import SignatureError, verify_slack_signature

bp = Blueprint(__name__)


@bp.route("/slack/events", methods=["POST"], content_types=["application/json"])
def slack_events() -> Response:
    request = bp.current_request
    assert request is not None
    return handle_slack_event(request, bootstrap.ingress())


def verified_body(request: Request, ingress: Ingress) -> bytes | Response:
    """The raw body if Slack signed it (checked before anything is parsed), else the error to answer."""
    read = body_and_secret(request, ingress, "SLACK_SIGNING_SECRET")
    if isinstance(read, Response):
        return read
    body, secret = read
    try:
        verify_slack_signature(
            signing_secret=secret,
            body=body,
            timestamp=request.headers.get("x-slack-request-timestamp"),
            signature=request.headers.get("x-slack-signature"),
            now=ingress.clock.time(),
            tolerance=ingress.settings.slack_timestamp_tolerance,
        )
    except SignatureError as exc:
        logger.warning("slack signature rejected", extra={"reason": str(exc)})
        count("SlackSignatureRejected")
        return error(401, "invalid signature")
    return body


def handle_slack_event(request: Request, ingress: Ingress) -> Response:
    body = verified_body(request, ingress)
    if isinstance(body, Response):
        return body
    try:
        payload: Any = load_json(body)
        envelope = parse_slack_envelope(payload)  # every field the worker reads, typed (400 otherwise)
    except ShapeError as exc:
        return error(400, exc.reason)

    if envelope.type == "url_verification":
        return ok({"challenge": envelope.challenge})
    if envelope.type != "event_callback" or envelope.event is None or envelope.event_id is None:
        # app_rate_limited and future envelope types: acknowledged, nothing to do.
        logger.info("slack envelope ignored", extra={"envelope_type": envelope.type})
        return ok()

    event_id = envelope.event_id
    event = payload["event"]
    retry_num = request.headers.get("x-slack-retry-num")
    failed = _enqueue(ingress, "event", payload, event_id, group_for(payload))
    if failed is not None:
        return failed  # 503: Slack retries the delivery; nothing was written
    logger.info(
        "slack event enqueued",
        extra={"source": "slack", "delivery_id": event_id, "event_type": event["type"], "retry_num": retry_num},
    )
    return ok()


@bp.route("/slack/commands", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
def slack_commands() -> Response:
    request = bp.current_request
    assert request is not None
    return handle_slack_command(request, bootstrap.ingress())


@bp.route("/slack/interactions", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
def slack_interactions() -> Response:
    request = bp.current_request
    assert request is not None
    return handle_slack_interaction(request, bootstrap.ingress())


def _verified_form(request: Request, ingress: Ingress) -> dict[str, str] | Response:
    """A Slack form post (slash command, interaction): signature checked, fields decoded, or the error."""
    body = verified_body(request, ingress)
    return body if isinstance(body, Response) else _form(body)


def _form(body: bytes) -> dict[str, str] | Response:
    try:
        return {k: v[0] for k, v in urllib.parse.parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}
    except (UnicodeDecodeError, ValueError):
        return error(400, "body is not a valid form")


_MESSAGES: dict[str, type[messages.SlackEvent | messages.SlackCommand | messages.SlackInteraction
                          | messages.ReplyModal]] = {"event": messages.SlackEvent, "command": messages.SlackCommand,
             "interaction": messages.SlackInteraction, "reply-modal": messages.ReplyModal}


def _enqueue(ingress: Ingress, kind: str, payload: dict[str, Any], delivery: str, group: str) -> Response | None:
    try:
        message = _MESSAGES[kind](payload=payload, delivery_id=delivery)
        ingress.queue.send(messages.encode(message), dedupe_key=f"slack-{kind}:{delivery}", group=group[:128])
    except MessageTooLarge:
        return error(413, "request body too large to queue")
    except AwsError:
        logger.exception("enqueue failed", extra={"source": "slack", "delivery_id": delivery})
        return error(503, "could not enqueue, retry later")
    return None


def public_base_url(request: Request) -> str:
    """Where this API is reachable: ``PUBLIC_API_URL``, else what the request came to."""
    import os

    configured = os.environ.get("PUBLIC_API_URL")
    if configured:
        return configured.rstrip("/")
    host = request.headers.get("host") or "localhost"
    stage = (request.context or {}).get("stage")
    local = host.split(":")[0] in ("localhost", "127.0.0.1") or not stage
    return f"http://{host}" if local else f"https://{host}/{stage}"


def handle_slack_command(request: Request, ingress: Ingress) -> Response:
    """``/ticket``: syntax is checked here (a typo gets the usage line at once); the work runs later."""
    form = _verified_form(request, ingress)
    if isinstance(form, Response):
        return form
    try:
        slash = parse_slash_command(form)
    except ShapeError as exc:
        return error(400, exc.reason)
    if slash.command not in COMMANDS:
        return _ephemeral(f"Unknown command {slash.command}: Support Hero answers {' and '.join(COMMANDS)}.")
    hero = slash.command == "/hero"
    usage = HERO_USAGE if hero else USAGE
    try:
        command = (parse_hero if hero else parse)(slash.text)
    except CommandError as exc:
        return _ephemeral(f"{exc}.\n{usage}")
    if command.verb == "help":
        return _ephemeral(usage)
    if command.verb in ("dashboard", "inbox"):  # the worker makes a link to this API for the member
        form["api_base"] = public_base_url(request)
    delivery = slash.trigger_id or f"{slash.user_id}:{ingress.clock.time()}"
    failed = _enqueue(ingress, "command", form, delivery, f"slack-user:{slash.user_id}")
    return failed or _ephemeral("On it…")


COMMANDS = ("/ticket", "/hero")


def _ephemeral(text: str) -> Response:
    """A private answer to a slash command; what the member typed is echoed as text, never as markup."""
    from chalicelib.channels.slack.mrkdwn import escape

    return ok({"response_type": "ephemeral", "text": escape(text)})


def handle_slack_interaction(request: Request, ingress: Ingress) -> Response:
    """Controls on a ticket's message: acknowledged at once, applied by the worker."""
    form = _verified_form(request, ingress)
    if isinstance(form, Response):
        return form
    try:
        payload = load_json(form.get("payload", ""))
        interaction = parse_slack_interaction(payload)  # every field the worker reads, typed (400 otherwise)
    except ShapeError as exc:
        return error(400, exc.reason if exc.reason.startswith("payload") else f"payload: {exc.reason}")
    if interaction.type == "message_action" and interaction.callback_id == REPLY_SHORTCUT:
        return _open_reply_modal(interaction, ingress)
    if interaction.type == "view_submission" and interaction.callback_id == REPLY_SHORTCUT:
        try:
            parse_reply_target(interaction.private_metadata)
        except ShapeError as exc:
            return error(400, exc.reason)
        text = (interaction.reply_text or "").strip()
        if not text or len(text) > MAX_REPLY:  # shown under the field; the modal stays open
            problem = "Write a reply first." if not text else f"A reply holds at most {MAX_REPLY:,} characters."
            return ok({"response_action": "errors", "errors": {"reply": problem}})
        delivery = str(interaction.view_id or interaction.trigger_id)
        failed = _enqueue(ingress, "reply-modal", payload, delivery, f"slack-modal:{delivery}")
        return failed or ok({"response_action": "clear"})
    if interaction.type != "block_actions":
        return ok()
    first = interaction.actions[0] if interaction.actions else None
    payload["api_base"] = public_base_url(request)  # for a link the worker makes ("Show full email")
    delivery = f"{interaction.user_id}:{(first.action_ts if first else None) or interaction.trigger_id}"
    failed = _enqueue(ingress, "interaction", payload, delivery,
                      f"slack:{interaction.channel_id}:{interaction.message_ts}")
    return failed or Response(body="", status_code=200)


REPLY_SHORTCUT = "reply_to_customer"


NOT_ON_THE_TEAM = "Only the support team can triage tickets."  # SlackTriage.action's refusal, word for word


def _open_reply_modal(interaction: SlackInteraction, ingress: Ingress) -> Response:
    """The "Reply to customer" message shortcut: a modal whose text goes out through the ticket's channel.

    Only for the team: anyone else gets the buttons' private refusal and no modal opens."""
    from chalicelib.ingress.slack_call import SlackCallError, call

    message, channel, trigger = interaction.message, interaction.channel_id, interaction.trigger_id
    if not channel or message is None or not message.ts or not trigger or not interaction.user_id:
        return error(400, "message_action without channel, message or trigger_id")
    try:
        token = ingress.secrets.get("SLACK_BOT_TOKEN")
        if interaction.user_id not in ingress.team_reader().slack_ids():
            call(ingress.settings.slack_api_url, token, "chat.postEphemeral",
                 {"channel": channel, "user": interaction.user_id, "text": NOT_ON_THE_TEAM})
            logger.info("reply shortcut refused: not on the team", extra={"channel": channel})
            return Response(body="", status_code=200)
    except (SlackCallError, SecretMissing, AwsError):
        logger.exception("could not check the team for the reply shortcut")
        return error(503, "could not check the team, try again")
    where = {"channel": channel, "thread_ts": message.thread_ts or message.ts}
    view = {
        "type": "modal", "callback_id": REPLY_SHORTCUT, "private_metadata": json.dumps(where),
        "title": {"type": "plain_text", "text": "Reply to customer"},
        "submit": {"type": "plain_text", "text": "Send"},
        "blocks": [{"type": "input", "block_id": "reply", "label": {"type": "plain_text", "text": "Your reply"},
                    "element": {"type": "plain_text_input", "action_id": "text", "multiline": True}}],
    }
    try:
        call(ingress.settings.slack_api_url, token, "views.open", {"trigger_id": trigger, "view": view})
    except (SlackCallError, SecretMissing, AwsError):
        logger.exception("could not open the reply modal")
        return error(503, "could not open the modal, try again")
    return Response(body="", status_code=200)
