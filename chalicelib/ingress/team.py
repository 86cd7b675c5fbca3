"""Who is on the team, read by the ingress without PynamoDB: one Query of the directory's ``DIR``
partition through :mod:`chalicelib.platform.awslite` (DynamoDB speaks the JSON 1.0 protocol), cached per
container like :class:`chalicelib.desk.directory_store.DirectoryStore` caches the whole directory."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from chalicelib.platform.awslite import JsonProtocolClient, dynamodb_client

DIRECTORY_PARTITION = "DIR"  # chalicelib.models.directory.DIRECTORY_PARTITION (not imported: PynamoDB)
MEMBER_PREFIX = "member#"  # the sort keys of team members (Directory.to_items)


class TeamReader(Protocol):
    def slack_ids(self) -> frozenset[str]:
        """The Slack user ids of the support team."""
        ...


class StaticTeam:
    """A fixed team (unit tests, and the in-memory fuzzing of the ingress)."""

    def __init__(self, slack_ids: frozenset[str] | set[str]) -> None:
        self._ids = frozenset(slack_ids)

    def slack_ids(self) -> frozenset[str]:
        return self._ids


class DynamoTeamReader:
    def __init__(self, *, table_name: str, region: str, cache_seconds: int,
                 client: JsonProtocolClient | None = None, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._table = table_name
        self._region = region
        self._cache_seconds = cache_seconds
        self._client = client
        self._monotonic = monotonic
        self._cached: tuple[float, frozenset[str]] | None = None
        self._lock = threading.Lock()

    @property
    def client(self) -> JsonProtocolClient:
        if self._client is None:
            self._client = dynamodb_client(self._region)
        return self._client

    def slack_ids(self) -> frozenset[str]:
        now = self._monotonic()
        with self._lock:
            if self._cached and now - self._cached[0] < self._cache_seconds:
                return self._cached[1]
        ids: set[str] = set()
        start: dict[str, Any] | None = None
        while True:
            params: dict[str, Any] = {
                "TableName": self._table, "ConsistentRead": True,
                "KeyConditionExpression": "pk = :pk AND begins_with(sk, :member)",
                "ExpressionAttributeValues": {":pk": {"S": DIRECTORY_PARTITION}, ":member": {"S": MEMBER_PREFIX}},
                "ProjectionExpression": "#data", "ExpressionAttributeNames": {"#data": "data"},
            }
            if start:
                params["ExclusiveStartKey"] = start
            page = self.client.call("Query", params)
            for item in page.get("Items") or []:
                raw = (item.get("data") or {}).get("S")
                data = json.loads(raw) if raw else {}
                slack_id = data.get("slack_user_id") if isinstance(data, dict) else None
                if isinstance(slack_id, str) and slack_id:
                    ids.add(slack_id)
            start = page.get("LastEvaluatedKey")
            if not start:
                break
        team = frozenset(ids)
        with self._lock:
            self._cached = (now, team)
        return team
