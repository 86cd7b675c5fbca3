"""Feeds the SQS events queue to the worker function the way Lambda's event source
mapping does: receive, invoke with an SQS event, delete on success, leave the
message for a retry on failure (SQS moves it to the DLQ after maxReceiveCount).

Locally a failed message is made visible again after ``retry_delay`` seconds
instead of the queue's full visibility timeout, so retries are quick to watch.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from typing import Any

import boto3

Invoke = Callable[[dict[str, Any]], Any]


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
        retry_delay: int | None = 0,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        self.sqs = boto3.client("sqs", region_name=region, endpoint_url=endpoint_url)
        self.queue_url = queue_url
        self.queue_arn = self.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self.region = region
        self.invoke = invoke
        self.batch_size = batch_size
        self.retry_delay = retry_delay
        self.on_error = on_error
        self.failures = 0
        self.processed = 0

    def run_once(self, wait_seconds: int = 0) -> int:
        """One receive and invoke; returns how many messages were received."""
        response = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=self.batch_size,
            WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"],
            MessageSystemAttributeNames=["All"],
        )
        messages = response.get("Messages") or []
        if not messages:
            return 0
        event = {"Records": [lambda_record(m, self.queue_arn, self.region) for m in messages]}
        try:
            self.invoke(event)
        except Exception as exc:  # noqa: BLE001 - any worker failure: leave the batch: leave the batch for a retry
            self.failures += 1
            if self.on_error:
                self.on_error(exc)
            if self.retry_delay is None:
                return len(messages)  # as Lambda does: the message waits out its visibility timeout
            for m in messages:
                try:
                    self.sqs.change_message_visibility(
                        QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=self.retry_delay
                    )
                except self.sqs.exceptions.ClientError:
                    pass  # already deleted by the worker (partial batch success)
            return len(messages)
        for m in messages:
            self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"])
        self.processed += len(messages)
        return len(messages)

    def drain(self, max_rounds: int = 100) -> int:
        """Process until the queue is empty (tests); returns messages received."""
        total = 0
        for _ in range(max_rounds):
            got = self.run_once()
            if not got:
                return total
            total += got
        raise RuntimeError(f"queue not drained after {max_rounds} rounds")

    def run_forever(self, stop: threading.Event) -> None:
        while not stop.is_set():
            self.run_once(wait_seconds=1)
