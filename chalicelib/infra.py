"""Create (or bring up to date) the tables and queues of a stage.  Idempotent.

Used the same way against a real AWS account and against the embedded AWS of the
local stack: ``python -m chalicelib.cli bootstrap``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import boto3

from chalicelib.config import Settings, endpoint_url
from chalicelib.models import ALL_MODELS, bind_models

MAX_RECEIVE_COUNT = 5
VISIBILITY_FACTOR = 6  # AWS: visibility timeout >= 6x the function timeout


@dataclass(frozen=True)
class QueueInfo:
    url: str
    arn: str
    dlq_url: str
    dlq_arn: str


def dlq_name(queue_name: str) -> str:
    base = queue_name[: -len(".fifo")] if queue_name.endswith(".fifo") else queue_name
    return f"{base}-dlq.fifo" if queue_name.endswith(".fifo") else f"{base}-dlq"


def ensure_tables(settings: Settings) -> list[str]:
    bind_models(table_prefix=settings.table_prefix, region=settings.region, host=endpoint_url("dynamodb"))
    dynamodb = boto3.client("dynamodb", region_name=settings.region, endpoint_url=endpoint_url("dynamodb"))
    names = []
    for model in ALL_MODELS:
        if not model.exists():
            model.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
        name = model.Meta.table_name
        # Tickets are the team's record of every customer conversation: keep 35 days of restore points.
        dynamodb.update_continuous_backups(
            TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
        names.append(name)
    return names


def _ensure_queue(sqs: Any, name: str, attributes: dict[str, str]) -> tuple[str, str]:
    try:
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    except sqs.exceptions.QueueDoesNotExist:
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    else:
        mutable = {k: v for k, v in attributes.items() if k not in ("FifoQueue",)}
        sqs.set_queue_attributes(QueueUrl=url, Attributes=mutable)
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def ensure_queues(settings: Settings) -> QueueInfo:
    sqs = boto3.client("sqs", region_name=settings.region, endpoint_url=endpoint_url("sqs"))
    fifo = settings.events_queue_name.endswith(".fifo")
    base: dict[str, str] = {"SqsManagedSseEnabled": "true"}  # message bodies are customer text
    if fifo:
        base["FifoQueue"] = "true"
    dlq_url, dlq_arn = _ensure_queue(
        sqs, dlq_name(settings.events_queue_name), {**base, "MessageRetentionPeriod": str(14 * 24 * 3600)}
    )
    url, arn = _ensure_queue(
        sqs,
        settings.events_queue_name,
        {
            **base,
            "VisibilityTimeout": str(VISIBILITY_FACTOR * settings.worker_timeout_seconds),
            "MessageRetentionPeriod": str(4 * 24 * 3600),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVE_COUNT}),
        },
    )
    return QueueInfo(url, arn, dlq_url, dlq_arn)


def bootstrap(settings: Settings) -> dict[str, Any]:
    tables = ensure_tables(settings)
    queues = ensure_queues(settings)
    return {"tables": tables, "queue": queues.url, "dead_letter_queue": queues.dlq_url}
