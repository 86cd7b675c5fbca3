"""SES receipt notifications (via SNS) -> the events queue.

Two forms arrive: the S3 action's (raw MIME in the bucket) and the SNS action's
(content inline, up to 150 KB); the inline content is written to the same bucket
first, so the worker always reads the raw message from S3.  Dedupe id: SES messageId.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from chalicelib.bootstrap import Ingress
from chalicelib.ingress import messages
from chalicelib.platform.observability import count, logger


class NotificationError(ValueError):
    """Not an SES receipt notification we can use (logged and counted, never retried)."""


def parse_notification(message: str | dict[str, Any]) -> dict[str, Any]:
    """The SES notification from an SNS message, or from an SNS envelope that wraps it."""
    try:
        data = json.loads(message) if isinstance(message, str) else message
    except ValueError as exc:
        raise NotificationError("notification is not JSON") from exc
    if isinstance(data, dict) and data.get("Type") == "Notification" and isinstance(data.get("Message"), str):
        return parse_notification(data["Message"])
    if not isinstance(data, dict):
        raise NotificationError("notification is not an object")
    return data


def inbound_key(message_id: str) -> str:
    return f"inbound/{message_id}"


def handle_notification(notification: dict[str, Any], ingress: Ingress, put_object: Any) -> str:
    """Validate, stash inline content in S3 if needed, enqueue. Returns what it did."""
    kind = notification.get("notificationType") or notification.get("eventType")
    if kind in ("Bounce", "Complaint") and isinstance(notification.get("mail"), dict):
        return _enqueue_feedback(str(kind), notification, ingress)
    if kind != "Received":
        logger.info("ses notification ignored", extra={"notification_type": str(kind)[:40]})
        return f"ignored:{kind}"
    mail, receipt = notification.get("mail"), notification.get("receipt")
    if not isinstance(mail, dict) or not isinstance(receipt, dict) or not mail.get("messageId"):
        raise NotificationError("Received notification without mail.messageId or receipt")
    message_id = str(mail["messageId"])
    action = receipt.get("action") or {}
    settings = ingress.settings
    if action.get("type") == "S3" and action.get("bucketName") and action.get("objectKey"):
        location = {"bucket": str(action["bucketName"]), "key": str(action["objectKey"])}
    elif isinstance(notification.get("content"), str):
        content = notification["content"]
        raw = base64.b64decode(content) if action.get("encoding") == "BASE64" else content.encode("utf-8")
        location = {"bucket": settings.mail_bucket, "key": inbound_key(message_id)}
        put_object(location["bucket"], location["key"], raw)
    else:
        raise NotificationError("notification carries neither an S3 location nor the content")

    def verdict(name: str) -> str:
        value = receipt.get(name) or {}
        return str(value.get("status") or "PROCESSING_FAILED") if isinstance(value, dict) else "GRAY"

    body = messages.encode(messages.EmailReceived(
        delivery_id=message_id,
        s3=location,
        mail={
            "timestamp": mail.get("timestamp"),
            "source": mail.get("source"),
            "destination": list(mail.get("destination") or []),
            "recipients": list(receipt.get("recipients") or mail.get("destination") or []),
        },
        verdicts={k: verdict(f"{k}Verdict") for k in ("spam", "virus", "spf", "dkim", "dmarc")},
    ))
    sender = str(mail.get("source") or "").lower()
    ingress.queue.send(body, dedupe_key=f"ses:{message_id}", group=f"email:{sender or message_id}"[:128])
    count("InboundEmailsQueued")
    logger.info("inbound email enqueued", extra={"source": "email", "delivery_id": message_id})
    return "enqueued"


def _enqueue_feedback(kind: str, notification: dict[str, Any], ingress: Ingress) -> str:
    """SES feedback about mail *we* sent (bounces, complaints): recorded on its ticket by the worker."""
    mail = notification["mail"]
    detail = notification.get(kind.lower()) or {}
    recipients = [str(r.get("emailAddress")) for r in detail.get(
        "bouncedRecipients" if kind == "Bounce" else "complainedRecipients", []) if isinstance(r, dict)]
    feedback_id = str(detail.get("feedbackId") or mail.get("messageId"))
    body = messages.encode(messages.EmailFeedback(
        delivery_id=feedback_id,
        feedback={
            "type": kind,
            "subtype": " / ".join(str(detail.get(k)) for k in ("bounceType", "bounceSubType",
                                                              "complaintFeedbackType") if detail.get(k)),
            "sent_message_id": str(mail.get("messageId") or ""),
            "recipients": recipients,
            "timestamp": detail.get("timestamp") or mail.get("timestamp"),
        },
    ))
    ingress.queue.send(body, dedupe_key=f"ses-feedback:{feedback_id}", group=f"email-feedback:{feedback_id}"[:128])
    return "enqueued-feedback"


def handle_sns_event(event: Any, ingress: Ingress) -> str:
    """The ``on_sns_message`` trigger body: one SES notification per SNS record."""
    from chalicelib.platform.aws import AwsClients

    clients = AwsClients(ingress.settings.region)
    try:
        notification = parse_notification(event.message)
        return handle_notification(notification, ingress, clients.put_object)
    except NotificationError as exc:
        # Not retryable: the same bytes will never parse. Counted and logged (without content).
        count("InboundNotificationsRejected")
        logger.error("ses notification rejected", extra={"reason": str(exc)})
        return "rejected"
