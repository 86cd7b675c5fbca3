"""Feeds the SQS events queue to the worker function the way Lambda's event source
mapping does: receive, invoke with an SQS event, delete on success, leave the
message for a retry on failure (SQS moves it to the DLQ after maxReceiveCount).

Locally a failed message is made visible again after ``retry_delay`` seconds
instead of the queue's full visibility timeout, so retries are quick to watch.

One receive may take up to ``receive_max`` messages (SQS's limit is 10), which are
still handed to the function ``batch_size`` records per invoke (1, like the
deployed mapping), in the order SQS gave them; after a failure the rest of that
message group waits for its retry too, so a FIFO group stays in order.

The pump survives its own errors: a failed receive, delete or visibility change is
logged (``devstack`` logger) and the loop goes on after a short pause; a message
whose delete failed is simply received again later (the worker is idempotent).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import boto3

Invoke = Callable[[dict[str, Any]], Any]


def pause(stop: threading.Event, seconds: float) -> bool:
    """``stop.wait(seconds)`` made of short sleeps; True once ``stop`` is set.  A timed ``Event.wait``
    never returns under libfaketime's offset clock (``make test-any-hour``): its deadline is taken on
    the faked monotonic clock and waited for on the real one.  ``time.sleep`` is faked consistently."""
    deadline = time.monotonic() + seconds
    while not stop.is_set():
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(0.05, left))
    return True

log = logging.getLogger("devstack")


def lambda_record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    attributes = dict(message.get("Attributes") or {})
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": attributes,
        "messageAttributes": {},
        "md5OfBody": message.get("MD5OfBody") or hashlib.md5(message["Body"].encode()).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


class Pump:
    def __init__(
        self,
        *,
        queue_url: str,
        invoke: Invoke,
        region: str = "us-east-1",
        endpoint_url: str | None = None,
        batch_size: int = 1,
        receive_max: int | None = None,
        retry_delay: int | None = 0,
        on_error: Callable[[BaseException], None] | None = None,
        error_pause: float = 0.5,
    ) -> None:
        self.sqs = boto3.client("sqs", region_name=region, endpoint_url=endpoint_url)
        self.queue_url = queue_url
        self.queue_arn = self.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self.region = region
        self.invoke = invoke
        self.batch_size = batch_size
        self.receive_max = min(max(receive_max or batch_size, batch_size), 10)
        self.retry_delay = retry_delay
        self.on_error = on_error
        self.error_pause = error_pause
        self.failures = 0
        self.processed = 0
        self.pump_errors = 0  # the pump's own failures (receive, delete, visibility), not the function's

    def run_once(self, wait_seconds: int = 0) -> int:
        """One receive, then invoke batch by batch; returns how many messages were received.

        A failed receive raises (``run_forever`` logs it and goes on); a failed delete or
        visibility change is logged here and the other messages are still handled.
        """
        response = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=self.receive_max,
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"],
            MessageSystemAttributeNames=["All"],
        )
        messages = response.get("Messages") or []
        held: set[str] = set()  # FIFO groups with a failed message in this receive: the rest waits too
        for start in range(0, len(messages), self.batch_size):
            batch = messages[start:start + self.batch_size]
            groups = {str((m.get("Attributes") or {}).get("MessageGroupId", "")) for m in batch} - {""}
            if groups & held:
                self._release(batch)
                held |= groups
                continue
            event = {"Records": [lambda_record(m, self.queue_arn, self.region) for m in batch]}
            try:
                self.invoke(event)
            except Exception as exc:  # noqa: BLE001 - any worker failure: leave the batch for a retry
                self.failures += 1
                held |= groups
                if self.on_error:
                    self.on_error(exc)
                self._release(batch)
                continue
            for m in batch:
                try:
                    self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"])
                except Exception as exc:  # noqa: BLE001 - received again later; the worker is idempotent
                    self.pump_errors += 1
                    log.warning("pump: delete of %s failed (it will be received again): %s: %s",
                                m.get("MessageId"), type(exc).__name__, exc)
            self.processed += len(batch)
        return len(messages)

    def _release(self, batch: list[dict[str, Any]]) -> None:
        """Make a failed (or held back) batch visible again after ``retry_delay`` seconds."""
        if self.retry_delay is None:
            return  # as Lambda does: the message waits out its visibility timeout
        for m in batch:
            try:
                self.sqs.change_message_visibility(
                    QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=self.retry_delay
                )
            except self.sqs.exceptions.ClientError:
                pass  # already deleted by the worker (partial batch success)
            except Exception as exc:  # noqa: BLE001 - it then waits out the queue's visibility timeout
                self.pump_errors += 1
                log.warning("pump: visibility change of %s failed: %s: %s", m.get("MessageId"),
                            type(exc).__name__, exc)

    def drain(self, max_rounds: int = 100) -> int:
        """Process until the queue is empty (tests); returns messages received."""
        total = 0
        for _ in range(max_rounds):
            got = self.run_once()
            if not got:
                return total
            total += got
        raise RuntimeError(f"queue not drained after {max_rounds} rounds")

    def run_forever(self, stop: threading.Event, idle: float = 0.2) -> None:
        """Receive and invoke until ``stop`` is set; the pump's own errors never end the loop.

        Short polls with a pause when the queue is empty, not SQS long polls: the embedded AWS serves a
        long poll with a timed ``Condition.wait``, which never times out under faketime (the tests at
        any hour), so a pump in a long poll could neither see the stack stop nor stop itself."""
        while not stop.is_set():
            try:
                if not self.run_once(wait_seconds=0):
                    pause(stop, idle)
            except Exception as exc:  # noqa: BLE001 - the loop must outlive any error of its own
                self.pump_errors += 1
                log.warning("pump: %s: %s (going on in %.1fs)", type(exc).__name__, exc, self.error_pause)
                pause(stop, self.error_pause)
