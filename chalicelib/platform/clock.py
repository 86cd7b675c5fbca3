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


class DevClock:
    """The local stack's adjustable clock: real time plus an offset kept in a file.

    ``POST /_local/clock`` writes the file; every process of ``make run`` (the API,
    the worker pump, the schedule runner, ``devstack.send``) reads it, so they all
    see the same "now", which then moves on in real time.  Never used outside the
    local stack: :func:`clock_from_environment` only builds it when
    ``SUPPORT_HERO_DEV_CLOCK`` names the file.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._cache: tuple[float, float] = (-1.0, 0.0)  # (file mtime, offset seconds)

    def offset(self) -> float:
        import json
        import os

        try:
            mtime = os.stat(self.path).st_mtime
        except FileNotFoundError:
            return 0.0
        if mtime != self._cache[0]:
            try:
                with open(self.path, encoding="utf-8") as f:
                    offset = float(json.load(f).get("offset_seconds", 0.0))
            except (OSError, ValueError, AttributeError):
                offset = 0.0
            self._cache = (mtime, offset)
        return self._cache[1]

    def time(self) -> float:
        return time.time() + self.offset()

    def now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.time(), dt.UTC)

    def set(self, at: dt.datetime) -> None:
        import json
        import os

        if at.tzinfo is None:
            raise ValueError("the dev clock needs a time with a UTC offset, e.g. 2026-11-28T10:00:00Z")
        tmp = f"{self.path}.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump({"offset_seconds": at.timestamp() - time.time(), "set_to": at.isoformat()}, f)
        os.replace(tmp, self.path)


def clock_from_environment() -> Clock:
    """The system clock, or the local stack's dev clock when ``SUPPORT_HERO_DEV_CLOCK`` is set."""
    import os

    path = os.environ.get("SUPPORT_HERO_DEV_CLOCK")
    return DevClock(path) if path else SystemClock()
