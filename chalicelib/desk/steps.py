"""What the outbox delivers: a :class:`Step` (one side effect, named once), the :class:`Attempt` a
handler gets, and step ids fit for a URL path segment and a DynamoDB key."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_UNSAFE = re.compile(r"[^A-Za-z0-9._:@+=,~-]")


def safe_id(raw: str) -> str:
    """A step id fit for a URL path segment and a DynamoDB key: as it is when it already is (at most 200
    of ``[A-Za-z0-9._:@+=,~-]``), else those characters kept and a hash of the whole appended (no
    ``/``, ``#``, ``?`` or ``%`` that a router would split or decode)."""
    if len(raw) <= 200 and not _UNSAFE.search(raw):
        return raw
    return f"{_UNSAFE.sub('_', raw)[:150]}~{hashlib.sha256(raw.encode()).hexdigest()[:24]}"


def step_id(*parts: object) -> str:
    """A step id from what names the effect once."""
    return safe_id(":".join(str(p) for p in parts))


@dataclass(frozen=True)
class Step:
    """One side effect to deliver.  ``id`` names it once: writing the same id again is a no-op."""

    id: str
    kind: str
    payload: dict[str, Any]
    ticket_id: str | None = None
    ticket_number: int | None = None
    summary: str = ""
    notify: str | None = None  # a member id: told by DM if the step fails for good

    def __post_init__(self) -> None:
        object.__setattr__(self, "id", safe_id(self.id))

    @staticmethod
    def new(kind: str, payload: dict[str, Any], **kw: Any) -> Step:
        return Step(f"{kind}:{uuid.uuid4().hex}", kind, payload, **kw)


@dataclass(frozen=True)
class Attempt:
    """What a handler gets: the step, which try this is, and whether a previous try may have sent."""

    step_id: str
    kind: str
    payload: dict[str, Any]
    number: int
    maybe_sent: bool
    ticket_id: str | None


Handler = Callable[[Attempt], "str | None"]
