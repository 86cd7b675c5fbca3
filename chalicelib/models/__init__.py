"""PynamoDB models: plain records and their indexes.  No business rules here.

Table names, region and endpoint are bound at run time by :func:`bind_models`
(called from the composition root), never at import time.
"""

from __future__ import annotations

from typing import Any

from chalicelib.models.directory import DirectoryItem
from chalicelib.models.metrics import MetricItem
from chalicelib.models.outbox import OutboxItem
from chalicelib.models.tickets import ExternalRef, Message, Ticket

ALL_MODELS: tuple[Any, ...] = (Ticket, Message, ExternalRef, DirectoryItem, MetricItem, OutboxItem)

BASE_TABLE_NAMES = {
    Ticket: "tickets",
    Message: "messages",
    ExternalRef: "refs",
    DirectoryItem: "directory",
    MetricItem: "metrics",
    OutboxItem: "outbox",
}


def bind_models(*, table_prefix: str, region: str, host: str | None) -> None:
    for model, base in BASE_TABLE_NAMES.items():
        wanted = (f"{table_prefix}{base}", region, host)
        if (model.Meta.table_name, model.Meta.region, model.Meta.host) == wanted and model._connection is not None:
            continue  # already bound: keep the connection (and its botocore client)
        model.Meta.table_name, model.Meta.region, model.Meta.host = wanted
        model._connection = None


__all__ = ["ALL_MODELS", "DirectoryItem", "ExternalRef", "Message", "MetricItem", "OutboxItem", "Ticket", "bind_models"]
