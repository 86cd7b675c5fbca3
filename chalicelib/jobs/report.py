"""What a scheduled job did (its report), and its bounded paging through a Query."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from chalicelib.platform.observability import logger

PAGE = 100
MAX_PAGES = 5  # bounded work per run: the rest waits for the next run


@dataclass
class JobReport:
    """What one run did (returned to the caller, logged, asserted on in tests)."""

    job: str
    did: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"job": self.job, "did": self.did, "skipped": self.skipped}


def paged(query: Callable[[dict[str, Any] | None], Any]) -> Iterator[Any]:
    """The items of at most ``MAX_PAGES`` pages of ``query(start)`` (a PynamoDB result iterator)."""
    start: dict[str, Any] | None = None
    for _ in range(MAX_PAGES):
        results = query(start)
        yield from results
        start = results.last_evaluated_key
        if not start:
            return
    logger.info("page limit reached; the rest waits for the next run")
