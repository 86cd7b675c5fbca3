"""The events queue: what ingress hands to the worker.

One FIFO queue.  ``MessageDeduplicationId`` comes from the source's delivery id
(Slack ``event_id``), so SQS itself drops redeliveries within five minutes, and
``MessageGroupId`` is the conversation thread, so one thread's events reach the
worker in order (the worker is still correct out of order: see tickets.py).
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from typing import Any, Protocol

from chalicelib.platform.awslite import JsonProtocolClient, sqs_client


@dataclass(frozen=True)
class QueuedMessage:
    body: dict[str, Any]
    dedupe_key: str
    group: str


MAX_MESSAGE_BYTES = 256 * 1024  # SQS's limit for one message


class MessageTooLarge(ValueError):
    """The message would exceed SQS's size limit once encoded (the ingress answers 413)."""


def encode_message(body: dict[str, Any]) -> str:
    text = json.dumps(body, separators=(",", ":"))
    if len(text) > MAX_MESSAGE_BYTES:  # ASCII (json.dumps escapes the rest): characters are bytes
        raise MessageTooLarge(f"queue message of {len(text)} bytes exceeds {MAX_MESSAGE_BYTES}")
    return text


class EventQueue(Protocol):
    def send(self, body: dict[str, Any], *, dedupe_key: str, group: str) -> None: ...


def _sqs_id(value: str) -> str:
    """SQS ids allow 128 chars of [A-Za-z0-9!-~]; hash anything else."""
    if len(value) <= 128 and all(33 <= ord(c) <= 126 for c in value):
        return value
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


class SqsEventQueue:
    def __init__(self, *, queue_name: str, region: str, queue_url: str | None = None,
                 client: JsonProtocolClient | None = None) -> None:
        self._queue_name = queue_name
        self._queue_url = queue_url
        self.client = client or sqs_client(region)

    @property
    def queue_url(self) -> str:
        if self._queue_url is None:
            result = self.client.call("GetQueueUrl", {"QueueName": self._queue_name})
            self._queue_url = str(result["QueueUrl"])
        return self._queue_url

    def send(self, body: dict[str, Any], *, dedupe_key: str, group: str) -> None:
        self.client.call(
            "SendMessage",
            {
                "QueueUrl": self.queue_url,
                "MessageBody": encode_message(body),
                "MessageDeduplicationId": _sqs_id(dedupe_key),
                "MessageGroupId": _sqs_id(group),
            },
        )


@dataclass
class InMemoryEventQueue:
    """A fake with SQS FIFO's deduplication, for unit tests and the warm benchmark."""

    messages: list[QueuedMessage] = field(default_factory=list)
    _seen: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, body: dict[str, Any], *, dedupe_key: str, group: str) -> None:
        encode_message(body)  # the same size limit as SQS
        with self._lock:
            if dedupe_key in self._seen:
                return
            self._seen.add(dedupe_key)
            self.messages.append(QueuedMessage(body, dedupe_key, group))


def delete_processed(queue: EventQueue, receipt_handles: list[str]) -> None:
    """Delete records that succeeded when a later record of the same batch failed.

    Chalice cannot enable ``ReportBatchItemFailures`` on the event source mapping,
    so a raised error returns the whole batch to the queue; deleting the records
    that did succeed keeps them from running twice.
    """
    if not receipt_handles or not isinstance(queue, SqsEventQueue):
        return
    for start in range(0, len(receipt_handles), 10):
        chunk = receipt_handles[start : start + 10]
        queue.client.call(
            "DeleteMessageBatch",
            {
                "QueueUrl": queue.queue_url,
                "Entries": [{"Id": str(i), "ReceiptHandle": h} for i, h in enumerate(chunk)],
            },
        )
