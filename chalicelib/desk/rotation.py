"""The Support Hero rotation.

The Hero for any day is a pure function of the configuration (roster order, sprint
length, first sprint's first day) and the overrides stored in DynamoDB (a swap or
a skip replaces the Hero of one sprint): :func:`sprint_of`, :func:`base_hero`,
:func:`hero_of`.  Sprints (a Hero's "stint") are numbered from 1.

:class:`RotationStore` keeps the overrides (partition ``ROTATION``, one item per
overridden sprint) and answers the questions the rest of the app asks: who is the
Hero now, the next few sprints, swap, skip.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

from chalicelib.desk.directory import Directory, TeamSettings
from chalicelib.models.directory import ROTATION_PARTITION, DirectoryItem
from chalicelib.platform.clock import Clock


class RotationError(ValueError):
    """A rotation request that cannot be done (the message says why)."""


@dataclass(frozen=True)
class Sprint:
    number: int  # 1 = the sprint starting on [rotation] start
    start: dt.date
    end: dt.date  # inclusive
    hero: str | None  # member id
    planned: str | None  # the roster's choice, before overrides
    note: str | None = None  # why it was overridden

    def as_dict(self, directory: Directory | None = None) -> dict[str, Any]:
        member = directory.member(self.hero) if directory and self.hero else None
        return {"sprint": self.number, "start": self.start.isoformat(), "end": self.end.isoformat(),
                "hero": self.hero, "hero_name": member.name if member else None,
                "hero_slack_id": member.slack_user_id if member else None,
                "planned": self.planned, "note": self.note}


def _start(settings: TeamSettings) -> dt.date | None:
    return dt.date.fromisoformat(settings.sprint_start) if settings.sprint_start else None


def sprint_of(settings: TeamSettings, day: dt.date) -> int:
    """The sprint number containing ``day`` (0 or less before the first sprint)."""
    start = _start(settings)
    if start is None:
        return 0
    return (day - start).days // settings.sprint_days + 1


def sprint_dates(settings: TeamSettings, number: int) -> tuple[dt.date, dt.date]:
    start = _start(settings)
    if start is None:
        raise RotationError("no rotation is configured ([rotation] start)")
    first = start + dt.timedelta(days=(number - 1) * settings.sprint_days)
    return first, first + dt.timedelta(days=settings.sprint_days - 1)


def base_hero(settings: TeamSettings, number: int) -> str | None:
    roster = settings.rotation_roster
    if not roster or number < 1:
        return None
    return roster[(number - 1) % len(roster)]


def hero_of(settings: TeamSettings, number: int, overrides: dict[int, dict[str, Any]]) -> Sprint:
    """Sprint ``number`` with its Hero: the roster's choice unless an override replaces it."""
    start, end = sprint_dates(settings, number)
    planned = base_hero(settings, number)
    override = overrides.get(number)
    hero = str(override["hero"]) if override and override.get("hero") else planned
    return Sprint(number, start, end, hero, planned, str(override.get("note")) if override else None)


class RotationStore:
    def __init__(self, clock: Clock, cache_seconds: float = 60.0) -> None:
        self.clock = clock
        self.cache_seconds = cache_seconds
        self._cache: dict[int, tuple[float, Sprint]] = {}  # the sprint asked about on every new ticket

    # -- overrides ------------------------------------------------------------
    @staticmethod
    def _key(number: int) -> str:
        return f"sprint#{number:06d}"

    def overrides(self, first: int, last: int) -> dict[int, dict[str, Any]]:
        """Overrides of sprints ``first``..``last`` (one Query)."""
        if last < first:
            return {}
        items = DirectoryItem.query(
            ROTATION_PARTITION, DirectoryItem.sk.between(self._key(max(first, 0)), self._key(max(last, 0))),
            consistent_read=True,
        )
        return {int(i.sk.split("#", 1)[1]): dict(i.data or {}) for i in items}

    def _set(self, number: int, hero: str, note: str) -> None:
        DirectoryItem(ROTATION_PARTITION, self._key(number), data={"hero": hero, "note": note},
                      updated_at=self.clock.now()).save()

    # -- questions -------------------------------------------------------------
    def today(self, settings: TeamSettings, now: dt.datetime | None = None) -> dt.date:
        return settings.calendar().local_date(now or self.clock.now())

    def current_number(self, settings: TeamSettings, now: dt.datetime | None = None) -> int:
        return sprint_of(settings, self.today(settings, now))

    def sprint(self, settings: TeamSettings, number: int, *, cached: bool = False) -> Sprint:
        """Sprint ``number``; ``cached``: from a per-container cache of ``cache_seconds`` (routing)."""
        if cached:
            hit = self._cache.get(number)
            if hit and time.monotonic() - hit[0] < self.cache_seconds and hit[1].planned == base_hero(settings, number):
                return hit[1]
        sprint = hero_of(settings, number, self.overrides(number, number))
        self._cache = {number: (time.monotonic(), sprint)}
        return sprint

    def schedule(self, settings: TeamSettings, first: int, count: int) -> list[Sprint]:
        first = max(first, 1)
        found = self.overrides(first, first + count - 1)
        return [hero_of(settings, n, found) for n in range(first, first + count)]

    def current(self, settings: TeamSettings, now: dt.datetime | None = None, *,
                cached: bool = False) -> Sprint | None:
        """This sprint and its Hero (None before the first sprint or without a roster)."""
        number = self.current_number(settings, now)
        if number < 1 or not settings.rotation_roster:
            return None
        return self.sprint(settings, number, cached=cached)

    def current_hero(self, settings: TeamSettings, now: dt.datetime | None = None, *,
                     cached: bool = False) -> str | None:
        sprint = self.current(settings, now, cached=cached)
        return sprint.hero if sprint else None

    # -- changes ------------------------------------------------------------------
    def _horizon(self, settings: TeamSettings) -> list[Sprint]:
        if not settings.rotation_roster:
            raise RotationError("no rotation is configured ([rotation] roster)")
        return self.schedule(settings, self.current_number(settings), 2 * len(settings.rotation_roster) + 2)

    def swap(self, settings: TeamSettings, a: str, b: str, by: str) -> tuple[Sprint, Sprint]:
        """``a`` and ``b`` exchange their next turns (the current sprint counts)."""
        if a == b:
            raise RotationError("swap needs two different people")
        upcoming = self._horizon(settings)
        turn_a = next((s for s in upcoming if s.hero == a), None)
        turn_b = next((s for s in upcoming if s.hero == b), None)
        if turn_a is None or turn_b is None:
            missing = a if turn_a is None else b
            raise RotationError(f"'{missing}' has no turn in the next {len(upcoming)} sprints")
        self._cache.clear()
        self._set(turn_a.number, b, f"swapped with {a} by {by}")
        self._set(turn_b.number, a, f"swapped with {b} by {by}")
        return self.sprint(settings, turn_a.number), self.sprint(settings, turn_b.number)

    def skip(self, settings: TeamSettings, who: str, by: str) -> Sprint:
        """``who`` is away: their next turn goes to the next person on the roster."""
        roster = settings.rotation_roster
        if who not in roster:
            raise RotationError(f"'{who}' is not on the rotation roster")
        if len(roster) < 2:
            raise RotationError("nobody else is on the roster to take the turn")
        turn = next((s for s in self._horizon(settings) if s.hero == who), None)
        if turn is None:
            raise RotationError(f"'{who}' has no upcoming turn")
        replacement = roster[(roster.index(who) + 1) % len(roster)]
        self._cache.clear()
        self._set(turn.number, replacement, f"{who} skipped by {by}")
        return self.sprint(settings, turn.number)
