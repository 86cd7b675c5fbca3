"""``POST /slack/events``: verify, enqueue, answer.  Nothing heavy is imported here."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

from chalice.app import Blueprint, Request, Response

from chalicelib import bootstrap
from chalicelib.awslite import AwsError
from chalicelib.bootstrap import Ingress
from chalicelib.commands import HERO_USAGE, USAGE, CommandError, parse, parse_hero
from chalicelib.handlers.http import error, ok
from chalicelib.observability import count, logger
from chalicelib.secrets import SecretMissing
from chalicelib.security import SignatureError, verify_slack_signature
from chalicelib.slackrefs import group_for

bp = Blueprint(__name__)


@bp.route("/slack/events", methods=["POST"], content_types=["application/json"])
def slack_events() -> Response:
    request = bp.current_request
    assert request is not None
    return handle_slack_event(request, bootstrap.ingress())


def verified_body(request: Request, ingress: Ingress) -> bytes | Response:
    """The raw body if Slack signed it (checked before anything is parsed), else the error to answer."""
    raw = request.raw_body or b""
    body = raw.encode("utf-8") if isinstance(raw, str) else raw
    if len(body) > ingress.settings.max_body_bytes:
        return error(413, "request body too large")
    try:
        secret = ingress.secrets.get("SLACK_SIGNING_SECRET")
    except (SecretMissing, AwsError):
        logger.exception("slack signing secret unavailable")
        return error(503, "signing secret unavailable")
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
        payload: Any = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        return error(400, "body is not valid JSON")
    if not isinstance(payload, dict):
        return error(400, "body must be a JSON object")

    kind = payload.get("type")
    if kind == "url_verification":
        challenge = payload.get("challenge")
        if not isinstance(challenge, str):
            return error(400, "url_verification without a challenge")
        return ok({"challenge": challenge})
    if kind != "event_callback":
        # app_rate_limited and future envelope types: acknowledged, nothing to do.
        logger.info("slack envelope ignored", extra={"envelope_type": str(kind)[:64]})
        return ok()

    event_id = payload.get("event_id")
    event = payload.get("event")
    if not isinstance(event_id, str) or not event_id:
        return error(400, "event_callback without event_id")
    if not isinstance(event, dict) or not isinstance(event.get("type"), str):
        return error(400, "event_callback without an event object")

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


def _enqueue(ingress: Ingress, kind: str, payload: dict[str, Any], delivery: str, group: str) -> Response | None:
    try:
        ingress.queue.send({"v": 1, "source": "slack", "kind": kind, "delivery_id": delivery, "payload": payload},
                           dedupe_key=f"slack-{kind}:{delivery}", group=group[:128])
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
    if not form.get("user_id") or not form.get("channel_id") or "command" not in form:
        return error(400, "not a slash command payload")
    hero = form["command"].strip() == "/hero"
    usage = HERO_USAGE if hero else USAGE
    try:
        command = (parse_hero if hero else parse)(form.get("text", ""))
    except CommandError as exc:
        return ok({"response_type": "ephemeral", "text": f"{exc}.\n{usage}"})
    if command.verb == "help":
        return ok({"response_type": "ephemeral", "text": usage})
    if command.verb == "dashboard":  # the worker signs a link to this API for the member
        form["api_base"] = public_base_url(request)
    delivery = form.get("trigger_id") or f"{form['user_id']}:{ingress.clock.time()}"
    failed = _enqueue(ingress, "command", form, delivery, f"slack-user:{form['user_id']}")
    return failed or ok({"response_type": "ephemeral", "text": "On it…"})


def handle_slack_interaction(request: Request, ingress: Ingress) -> Response:
    """Controls on a ticket's message: acknowledged at once, applied by the worker."""
    form = _verified_form(request, ingress)
    if isinstance(form, Response):
        return form
    try:
        payload = json.loads(form.get("payload", ""))
    except ValueError:
        return error(400, "payload is not valid JSON")
    if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
        return error(400, "payload must be a JSON object with a type")
    if payload["type"] == "message_action" and payload.get("callback_id") == REPLY_SHORTCUT:
        return _open_reply_modal(payload, ingress)
    if payload["type"] == "view_submission" and (payload.get("view") or {}).get("callback_id") == REPLY_SHORTCUT:
        view = payload["view"]
        delivery = str(view.get("id") or payload.get("trigger_id"))
        failed = _enqueue(ingress, "reply-modal", payload, delivery, f"slack-modal:{delivery}")
        return failed or ok({"response_action": "clear"})
    if payload["type"] != "block_actions":
        return ok()
    actions = payload.get("actions") or []
    action_ts = actions[0].get("action_ts") if actions and isinstance(actions[0], dict) else None
    delivery = f"{(payload.get('user') or {}).get('id')}:{action_ts or payload.get('trigger_id')}"
    container = payload.get("container") or {}
    failed = _enqueue(ingress, "interaction", payload, delivery,
                      f"slack:{container.get('channel_id')}:{container.get('message_ts')}")
    return failed or Response(body="", status_code=200)


REPLY_SHORTCUT = "reply_to_customer"


def _open_reply_modal(payload: dict[str, Any], ingress: Ingress) -> Response:
    """The "Reply to customer" message shortcut: a modal whose text goes out through the ticket's channel."""
    from chalicelib.slack_web_lite import SlackCallError, call

    message = payload.get("message") or {}
    channel = (payload.get("channel") or {}).get("id")
    if not channel or not message.get("ts") or not payload.get("trigger_id"):
        return error(400, "message_action without channel, message or trigger_id")
    where = {"channel": channel, "thread_ts": message.get("thread_ts") or message["ts"]}
    view = {
        "type": "modal", "callback_id": REPLY_SHORTCUT, "private_metadata": json.dumps(where),
        "title": {"type": "plain_text", "text": "Reply to customer"},
        "submit": {"type": "plain_text", "text": "Send"},
        "blocks": [{"type": "input", "block_id": "reply", "label": {"type": "plain_text", "text": "Your reply"},
                    "element": {"type": "plain_text_input", "action_id": "text", "multiline": True}}],
    }
    try:
        call(ingress.settings.slack_api_url, ingress.secrets.get("SLACK_BOT_TOKEN"), "views.open",
             {"trigger_id": payload["trigger_id"], "view": view})
    except (SlackCallError, SecretMissing, AwsError):
        logger.exception("could not open the reply modal")
        return error(503, "could not open the modal, try again")
    return Response(body="", status_code=200)
