"""Count DynamoDB requests with botocore's event hooks (tests and ``make bench``)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from chalicelib.models import ALL_MODELS


class DynamoRequestCounter:
    """Registers a ``before-call.dynamodb`` hook on every botocore client the app uses."""

    def __init__(self, services: Any) -> None:
        self.calls: Counter[str] = Counter()
        self.transact_items: Counter[str] = Counter()  # items written in transactions, by table
        clients = [model._get_connection().connection.client for model in ALL_MODELS]
        clients.append(services.tickets._connection.client)
        clients.append(services.triage._connection.client)
        seen: set[int] = set()
        for client in clients:
            if id(client) in seen:
                continue
            seen.add(id(client))
            client.meta.events.register("before-call.dynamodb", self._hook)

    def _hook(self, model: Any, params: Any = None, **_: Any) -> None:
        self.calls[model.name] += 1
        if model.name == "TransactWriteItems" and params is not None:
            import json

            body = params.get("body")
            request = json.loads(body) if isinstance(body, bytes | str) and body else {}
            for item in request.get("TransactItems", []):
                for operation in item.values():
                    self.transact_items[str(operation.get("TableName", "?")).rsplit("-", 1)[-1]] += 1

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def reset(self) -> None:
        self.calls.clear()
        self.transact_items.clear()
