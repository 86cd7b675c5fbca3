"""The SQS worker: one queue message -> one service call (:mod:`chalicelib.dispatch`).

Batch semantics without ``ReportBatchItemFailures``: records run in order; on the
first failure the records that already succeeded are deleted and the error is
raised, so the failed record and those after it (same FIFO group order) return
to the queue and are retried.  Nothing ends in the dead-letter queue by design:

* an outside service that fails (Slack, GitHub, SES) parks the message as an outbox step,
  retried for a day on the outbox's schedule;
* a message that cannot be read, or fails its last receive, is recorded as a failed step:
  listed at ``GET /api/failures`` and replayable.  (The DLQ still catches a worker that dies
  outright; its depth has an alarm.)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chalicelib.desk.outbox import is_external
from chalicelib.desk.tickets import WorkInProgress
from chalicelib.dispatch import PoisonMessage, park, process_message, record_failure
from chalicelib.platform.infra import MAX_RECEIVE_COUNT
from chalicelib.platform.observability import count, logger
from chalicelib.platform.queue import delete_processed
from chalicelib.services import Services

__all__ = ["PoisonMessage", "Record", "handle_sqs_event", "process_message", "records_from_event"]


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


def handle_sqs_event(event: Any, services: Services) -> list[str]:
    done: list[str] = []
    outcomes: list[str] = []
    try:
        for record in records_from_event(event):
            delivery_id = _delivery_id(record.body)
            logger.append_keys(delivery_id=delivery_id, sqs_message_id=record.message_id)
            try:
                outcome = process_message(record.body, services)
            except PoisonMessage as exc:
                # Never retried (the same bytes never parse): listed at GET /api/failures instead.
                outcome = record_failure(record.body, str(exc), services)
                services.outbox.flush()
            except WorkInProgress as exc:
                # Another worker holds the lease (an Idempotency-Key still running): not a failure.
                logger.info("deferred: work in progress elsewhere", extra={"reason": str(exc)})
                delete_processed(services.queue, done)
                raise
            except Exception as exc:
                if is_external(exc):
                    # Slack, GitHub or SES failed: keep the intent, retry on the outbox's schedule (hours).
                    outcome = park(record.body, exc, services)
                elif record.receive_count >= MAX_RECEIVE_COUNT:
                    count("WorkerFailures")
                    logger.exception("queue message failed on its last receive; recorded for replay")
                    outcome = record_failure(record.body, f"{type(exc).__name__}: {exc}", services)
                else:
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
    value = message.get("delivery_id") or message.get("step_id")
    return str(value) if value else None
