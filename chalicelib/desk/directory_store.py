"""Directory persistence: one Query loads the roster; tokens by hash; the ticket counter."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass

from pynamodb.exceptions import DoesNotExist

from chalicelib.desk.directory import Directory, TeamMember
from chalicelib.models.directory import COUNTER_PARTITION, DIRECTORY_PARTITION, TOKEN_PARTITION, DirectoryItem
from chalicelib.platform.clock import Clock
from chalicelib.platform.security import hash_token


@dataclass(frozen=True)
class TokenInfo:
    member_id: str
    label: str
    token_hash: str


class DirectoryStore:
    def __init__(self, clock: Clock, cache_seconds: int = 60) -> None:
        self._clock = clock
        self._cache_seconds = cache_seconds
        self._cached: tuple[float, Directory] | None = None
        self._lock = threading.Lock()

    # -- roster -----------------------------------------------------------
    def load(self) -> Directory:
        """The directory, from a per-container cache of at most ``cache_seconds``."""
        now = time.monotonic()
        with self._lock:
            if self._cached and now - self._cached[0] < self._cache_seconds:
                return self._cached[1]
        items = {
            item.sk: dict(item.data or {})
            for item in DirectoryItem.query(DIRECTORY_PARTITION, consistent_read=True)
        }
        directory = Directory.from_items(items)
        with self._lock:
            self._cached = (now, directory)
        return directory

    def invalidate(self) -> None:
        with self._lock:
            self._cached = None

    def replace(self, directory: Directory) -> tuple[int, int]:
        """Make the ``DIR`` partition exactly ``directory``; returns (written, removed)."""
        wanted = directory.to_items()
        existing = {item.sk for item in DirectoryItem.query(DIRECTORY_PARTITION, consistent_read=True)}
        now = self._clock.now()
        with DirectoryItem.batch_write() as batch:
            for sk, data in wanted.items():
                batch.save(DirectoryItem(DIRECTORY_PARTITION, sk, data=data, updated_at=now))
            for sk in existing - set(wanted):
                batch.delete(DirectoryItem(DIRECTORY_PARTITION, sk))
        self.invalidate()
        return len(wanted), len(existing - set(wanted))

    # -- agent tokens -----------------------------------------------------
    def create_token(self, member: TeamMember, label: str = "", token: str | None = None) -> str:
        """Store a new token for ``member`` (hashed) and return it; it is shown once."""
        value = token or "sh_" + secrets.token_urlsafe(32)
        digest = hash_token(value)
        DirectoryItem(
            TOKEN_PARTITION, digest,
            data={"member_id": member.id, "label": label}, updated_at=self._clock.now(),
        ).save()
        return value

    def token_owner(self, token: str) -> TokenInfo | None:
        digest = hash_token(token)
        try:
            item = DirectoryItem.get(TOKEN_PARTITION, digest)
        except DoesNotExist:
            return None
        data = item.data or {}
        return TokenInfo(member_id=str(data.get("member_id")), label=str(data.get("label", "")), token_hash=digest)

    def revoke_token(self, token_hash: str) -> bool:
        try:
            DirectoryItem.get(TOKEN_PARTITION, token_hash).delete()
        except DoesNotExist:
            return False
        return True

    def tokens(self) -> list[TokenInfo]:
        return [
            TokenInfo(str((i.data or {}).get("member_id")), str((i.data or {}).get("label", "")), i.sk)
            for i in DirectoryItem.query(TOKEN_PARTITION)
        ]

    # -- ticket numbers ---------------------------------------------------
    def next_ticket_number(self) -> int:
        """Atomic counter: one UpdateItem, ADD 1, returns the new value."""
        item = DirectoryItem(COUNTER_PARTITION, "ticket")
        item.update(actions=[DirectoryItem.value.add(1)])
        return int(item.value or 0)
