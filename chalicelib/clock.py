"""The one source of "now".  Domain code receives a clock; it never calls datetime.now()."""

from __future__ import annotations

import datetime as dt
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> dt.datetime: ...

    def time(self) -> float: ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def time(self) -> float:
        return time.time()


class FixedClock:
    """A clock that only moves when told to (tests)."""

    def __init__(self, at: dt.datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._at = at

    def now(self) -> dt.datetime:
        return self._at

    def time(self) -> float:
        return self._at.timestamp()

    def advance(self, **delta: float) -> None:
        self._at = self._at + dt.timedelta(**delta)

    def set(self, at: dt.datetime) -> None:
        self._at = at
