"""How often the contact form may open tickets: per address and per client IP, per hour, in DynamoDB.

Counters live in the directory table under partition keys that only this module writes:
``CONTACT#RATE#addr#<sha256 of the address>`` and ``CONTACT#RATE#ip#<sha256 of the IP>``, with the
hour (``2026-12-02T10``, UTC) as the sort key and a TTL (``expires_at``) an hour after the window ends.
Only hashes are stored, never an address or an IP. Both counters move in one transaction, each only
while under its limit: over either limit, nothing is written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.models.directory import DirectoryItem
from chalicelib.platform.clock import Clock

PREFIX = "CONTACT#RATE#"
WINDOW = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Limits:
    per_address: int = 5  # tickets one address may open through the form in an hour
    per_ip: int = 20  # tickets one client IP may open in an hour (offices and schools share one)


class RateLimited(Exception):
    def __init__(self, which: str) -> None:
        super().__init__(f"over the contact form's limit per {which}")
        self.which = which  # "address" or "ip"


def _hash(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}:{value.strip().lower()}".encode()).hexdigest()


class ContactLimits:
    def __init__(self, *, clock: Clock, connection: Connection, limits: Limits | None = None) -> None:
        self.clock = clock
        self.connection = connection
        self.limits = limits or Limits()

    def key(self, kind: str, value: str, at: dt.datetime | None = None) -> tuple[str, str]:
        """(pk, sk) of the counter for ``kind`` ("addr" or "ip") and ``value`` in the hour of ``at``."""
        at = (at or self.clock.now()).astimezone(dt.UTC)
        return f"{PREFIX}{kind}#{_hash(kind, value)}", at.strftime("%Y-%m-%dT%H")

    def used(self, kind: str, value: str) -> int:
        """How many this hour (for tests and operators)."""
        pk, sk = self.key(kind, value)
        try:
            return int(DirectoryItem.get(pk, sk, consistent_read=True).value or 0)
        except DirectoryItem.DoesNotExist:
            return 0

    def consume(self, address: str, ip: str) -> None:
        """Count one ticket for ``address`` and ``ip`` this hour, or raise :class:`RateLimited` (nothing written)."""
        now = self.clock.now().astimezone(dt.UTC)
        start = now.replace(minute=0, second=0, microsecond=0)
        expires = int((start + 2 * WINDOW).timestamp())
        counters = (("address", "addr", address, self.limits.per_address), ("ip", "ip", ip, self.limits.per_ip))
        try:
            with TransactWrite(connection=self.connection) as tx:
                for _, kind, value, limit in counters:
                    pk, sk = self.key(kind, value, now)
                    tx.update(
                        DirectoryItem(pk, sk),
                        actions=[DirectoryItem.value.add(1), DirectoryItem.expires_at.set(expires),
                                 DirectoryItem.updated_at.set(now)],
                        condition=DirectoryItem.value.does_not_exist() | (DirectoryItem.value < limit),
                    )
        except TransactWriteError as exc:
            codes = [r.code if r is not None else None for r in exc.cancellation_reasons]
            for (which, *_), code in zip(counters, codes, strict=False):
                if code == "ConditionalCheckFailed":
                    raise RateLimited(which) from None
            raise
