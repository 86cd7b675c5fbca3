"""``POST /github/webhook``: verify, enqueue, answer. Nothing heavy is imported here."""

from __future__ import annotations

import urllib.parse
from typing import Any

from chalice.app import Blueprint, Request, Response

from chalicelib import bootstrap
from chalicelib.bootstrap import Ingress
from chalicelib.ingress import messages
from chalicelib.ingress.http import body_and_secret, error, ok
from chalicelib.ingress.shapes import GITHUB_HANDLED, GitHubDelivery, ShapeError, load_json, parse_github_delivery
from chalicelib.platform.awslite import AwsError
from chalicelib.platform.observability import count, logger
from chalicelib.platform.queue import MessageTooLarge
from chalicelib.platform.security import SignatureError, verify_github_signature

bp = Blueprint(__name__)

HANDLED = GITHUB_HANDLED


@bp.route("/github/webhook", methods=["POST"],
          content_types=["application/json", "application/x-www-form-urlencoded"])
def github_webhook() -> Response:
    request = bp.current_request
    assert request is not None
    return handle_github_webhook(request, bootstrap.ingress())


def _group(delivery: GitHubDelivery) -> str:
    return f"github:{delivery.repo or '-'}#{delivery.issue.number if delivery.issue else '-'}"[:128]


def handle_github_webhook(request: Request, ingress: Ingress) -> Response:
    read = body_and_secret(request, ingress, "GITHUB_WEBHOOK_SECRET")
    if isinstance(read, Response):
        return read
    body, secret = read
    try:
        verify_github_signature(secret=secret, body=body,
                                signature_256=request.headers.get("x-hub-signature-256"))
    except SignatureError as exc:
        logger.warning("github signature rejected", extra={"reason": str(exc)})
        count("GitHubSignatureRejected")
        return error(401, "invalid signature")
    event = request.headers.get("x-github-event") or ""
    delivery = request.headers.get("x-github-delivery") or ""
    if not event or not delivery:
        return error(400, "X-GitHub-Event and X-GitHub-Delivery are required")
    if len(event) > 64 or len(delivery) > 200 or not (event + delivery).isprintable():
        return error(400, "X-GitHub-Event or X-GitHub-Delivery is not well formed")
    try:
        text = body.decode("utf-8")
        if (request.headers.get("content-type") or "").startswith("application/x-www-form-urlencoded"):
            text = urllib.parse.parse_qs(text).get("payload", [""])[0]
        payload: Any = load_json(text)
        shape = parse_github_delivery(event, payload)  # every field the worker reads, typed (400 otherwise)
    except UnicodeDecodeError:
        return error(400, "body is not valid UTF-8")
    except ShapeError as exc:
        return error(400, exc.reason)
    if event == "ping":
        zen = payload.get("zen")
        return ok({"ok": True, "zen": zen if isinstance(zen, str) else None})
    if shape.action not in HANDLED.get(event, set()):
        logger.info("github event ignored", extra={"event": event[:40], "action": str(shape.action)[:40],
                                                   "delivery_id": delivery})
        return ok({"ok": True, "ignored": True})
    message = messages.encode(messages.GitHubWebhook(event=event, payload=payload, delivery_id=delivery))
    try:
        ingress.queue.send(message, dedupe_key=f"github:{delivery}", group=_group(shape))
    except MessageTooLarge:
        return error(413, "request body too large to queue")
    except AwsError:
        logger.exception("enqueue failed", extra={"source": "github", "delivery_id": delivery})
        return error(503, "could not enqueue the delivery, retry later")
    logger.info("github delivery enqueued", extra={"source": "github", "delivery_id": delivery, "event": event})
    return ok(status=202)
