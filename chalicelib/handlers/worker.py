"""The SQS worker: one queue message -> one service call.

Batch semantics without ``ReportBatchItemFailures``: records run in order; on the
first failure the records that already succeeded are deleted and the error is
raised, so the failed record and those after it (same FIFO group order) return
to the queue and are retried; after ``maxReceiveCount`` (5) SQS moves a record
to the dead-letter queue.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chalicelib.ingress import shapes
from chalicelib.observability import count, logger
from chalicelib.queue import defer, delete_processed
from chalicelib.retry import RetryLater
from chalicelib.services import Services
from chalicelib.tickets import WorkInProgress


class PoisonMessage(Exception):
    """A queue message this worker cannot understand (it ends in the DLQ)."""


@dataclass(frozen=True)
class Record:
    body: str
    receipt_handle: str
    message_id: str
    receive_count: int


def records_from_event(event: Any) -> list[Record]:
    raw = event.to_dict() if hasattr(event, "to_dict") else event
    out = []
    for r in raw.get("Records", []):
        attributes = r.get("attributes") or {}
        out.append(
            Record(
                body=r.get("body", ""),
                receipt_handle=r.get("receiptHandle", ""),
                message_id=r.get("messageId", ""),
                receive_count=int(attributes.get("ApproximateReceiveCount") or 1),
            )
        )
    return out


def process_message(body: str, receive_count: int, services: Services) -> str:
    try:
        message = json.loads(body)
    except ValueError as exc:
        raise PoisonMessage("queue message is not JSON") from exc
    if not isinstance(message, dict):
        raise PoisonMessage("queue message is not an object")
    source, kind = message.get("source"), message.get("kind")
    _check_shape(source, kind, message)
    if source == "slack" and kind == "reply-modal" and isinstance(message.get("payload"), dict):
        return services.slack_triage.reply_modal(message["payload"]).action
    if source == "slack" and kind in ("command", "interaction") and isinstance(message.get("payload"), dict):
        triage = services.slack_triage
        done = triage.command(message["payload"]) if kind == "command" else triage.action(message["payload"])
        return done.action
    if source == "slack" and kind == "event" and isinstance(message.get("payload"), dict):
        outcome = services.slack_intake.handle(message["payload"])
        return f"{outcome.action}" + (f" #{outcome.ticket_number}" if outcome.ticket_number else "")
    if source == "github" and kind == "webhook" and isinstance(message.get("payload"), dict):
        gh = services.github_intake.handle(str(message.get("event")), message["payload"])
        return f"{gh.action}" + (f" #{gh.ticket_number}" if gh.ticket_number else "")
    if source == "email" and kind == "feedback":
        fb = services.email_intake.feedback(message)
        return f"{fb.action}" + (f" #{fb.ticket_number}" if fb.ticket_number else "")
    if source == "email" and kind == "received":
        mail = services.email_intake.handle(message)
        return f"{mail.action}" + (f" #{mail.ticket_number}" if mail.ticket_number else "")
    if source == "outbound" and kind == "notify-owner":
        notice = services.owner_notices.notify(str(message["ticket_id"]), str(message["member_id"]),
                                               message.get("note"), int(message.get("version") or 0))
        owner = services.directory.load().member(str(message["member_id"]))
        if owner is not None:
            services.slack_triage.publish_home(owner)  # the new owner's App Home shows the ticket
        return f"{notice.action}" + (f" #{notice.ticket_number}" if notice.ticket_number else "")
    if source == "outbound" and kind == "deliver":
        result = services.delivery.deliver(str(message["ticket_id"]), str(message["message_key"]), receive_count)
        return f"{result.action}" + (f" #{result.ticket_number}" if result.ticket_number else "")
    raise PoisonMessage(f"unknown queue message {source!r}/{kind!r}")


def _check_shape(source: Any, kind: Any, message: dict[str, Any]) -> None:
    """The payload passes the parser the ingress used (a message that does not is poison, not a retry)."""
    payload = message.get("payload")
    try:
        if source == "slack" and kind == "event":
            shapes.parse_slack_envelope(payload)
        elif source == "slack" and kind in ("interaction", "reply-modal"):
            interaction = shapes.parse_slack_interaction(payload)
            if kind == "reply-modal":
                shapes.parse_reply_target(interaction.private_metadata)
        elif source == "slack" and kind == "command" and isinstance(payload, dict):
            shapes.parse_slash_command(payload)
        elif source == "github" and kind == "webhook":
            shapes.parse_github_delivery(str(message.get("event")), payload)
    except shapes.ShapeError as exc:
        raise PoisonMessage(f"{source}/{kind} payload: {exc.reason}") from exc


def handle_sqs_event(event: Any, services: Services) -> list[str]:
    done: list[str] = []
    outcomes: list[str] = []
    try:
        for record in records_from_event(event):
            delivery_id = _delivery_id(record.body)
            logger.append_keys(delivery_id=delivery_id, sqs_message_id=record.message_id)
            try:
                outcome = process_message(record.body, record.receive_count, services)
            except RetryLater as exc:
                # Rate limited: wait as long as the peer asked, not the queue's default, never a hot loop.
                logger.info("deferred by the peer", extra={"reason": str(exc), "delay": exc.delay})
                defer(services.queue, record.receipt_handle, exc.delay)
                delete_processed(services.queue, done)
                raise
            except WorkInProgress as exc:
                # Another worker holds the lease (e.g. still posting the confirmation): not a failure.
                logger.info("deferred: work in progress elsewhere", extra={"reason": str(exc)})
                delete_processed(services.queue, done)
                raise
            except Exception:
                count("WorkerFailures")
                logger.exception("queue message failed; it will be retried",
                                 extra={"receive_count": record.receive_count})
                delete_processed(services.queue, done)
                raise
            logger.info("queue message processed", extra={"outcome": outcome})
            if outcome.startswith("duplicate"):
                count("EventsDeduplicated")
            outcomes.append(outcome)
            done.append(record.receipt_handle)
        return outcomes
    finally:
        logger.remove_keys(["delivery_id", "sqs_message_id"])  # metrics: flushed by the middleware


def _delivery_id(body: str) -> str | None:
    """The source's delivery id for log correlation (never the body itself)."""
    try:
        message = json.loads(body)
    except ValueError:
        return None
    if not isinstance(message, dict):
        return None
    value = message.get("delivery_id") or message.get("message_key")
    return str(value) if value else None
