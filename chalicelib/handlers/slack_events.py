"""``POST /slack/events``: verify, enqueue, answer.  Nothing heavy is imported here."""

from __future__ import annotations

import json
from typing import Any

from chalice.app import Blueprint, Request, Response

from chalicelib import bootstrap
from chalicelib.awslite import AwsError
from chalicelib.bootstrap import Ingress
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


def handle_slack_event(request: Request, ingress: Ingress) -> Response:
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
    message = {
        "v": 1,
        "source": "slack",
        "kind": "event",
        "delivery_id": event_id,
        "received_at": ingress.clock.time(),
        "payload": payload,
    }
    try:
        ingress.queue.send(message, dedupe_key=f"slack:{event_id}", group=group_for(payload))
    except AwsError:
        logger.exception("enqueue failed", extra={"source": "slack", "delivery_id": event_id})
        # 503: Slack retries the delivery; nothing was written.
        return error(503, "could not enqueue the event, retry later")
    logger.info(
        "slack event enqueued",
        extra={"source": "slack", "delivery_id": event_id, "event_type": event["type"], "retry_num": retry_num},
    )
    return ok()
