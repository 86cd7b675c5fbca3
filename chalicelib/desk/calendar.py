"""The team's business calendar: when the support desk is open, in the team's own time zone.

Business hours are *wall-clock* times in the team's IANA zone (``Europe/London`` opens at
09:00 local whether that is 08:00 or 09:00 UTC).  Every method converts them per local date::

    datetime.combine(day, opens, tzinfo=zone).astimezone(UTC)

and does all arithmetic on aware UTC instants, so durations are real elapsed time (a 00:00-04:00
day on which the clocks spring forward holds only three hours of business time).

Conventions:

* Every instant passed in must be timezone-aware (``ValueError`` otherwise); any zone is fine.
  Every instant returned is an aware UTC datetime (``tzinfo is datetime.UTC``).
* A business period is the half-open interval ``[opening, closing)`` on a business day
  (a workday that is not a holiday): open at the opening instant, closed at the closing instant.
* DST (we use ``fold=0``, which is what zoneinfo does by default):

  - a wall time that occurs twice (the autumn fall-back fold) means its *first* occurrence;
  - a wall time that does not exist (the spring-forward gap) is read with the offset in force
    before the transition, i.e. it is pushed forward by the length of the gap: 01:30 in London
    on 29 March 2026 means 01:30 UTC, which is 02:30 BST.

  In the pathological case where that pushes the opening past the closing (opens 01:30, closes
  02:15 on a spring-forward day in London), the closing is clamped to the opening: the day still
  counts as a business day but has no business time, and is skipped when looking for openings.
* Searches go one local day at a time (never per minute).  A search that finds no business hours
  in ``MAX_CLOSED_DAYS`` consecutive days raises ``CalendarError`` rather than looping forever
  (a calendar with no workdays, or with holidays covering every workday).

Note: the module is ``chalicelib.desk.calendar``; it does not shadow the standard library ``calendar``
for absolute imports, and it deliberately does not use it (day and month names are spelled out
in :mod:`chalicelib.desk.calendar_config`, with the configuration's parsers, so that ``describe`` does
not depend on the process locale).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chalicelib.desk.calendar_config import (
    WEEKDAY_NAMES,
    CalendarError,
    as_utc,
    check_day,
    describe_day,
    format_time,
    parse_days,
    parse_holidays,
    parse_time,
)

__all__ = ["MAX_CLOSED_DAYS", "WEEKDAY_NAMES", "BusinessCalendar", "CalendarError"]

# The longest run of consecutive local days without business hours that a search will cross
# before deciding the calendar never opens (about three years).
MAX_CLOSED_DAYS = 3 * 366

_ONE_DAY = dt.timedelta(days=1)
_ZERO = dt.timedelta(0)

# (local date, opening UTC, closing UTC) of one non-empty business period.
_Period = tuple[dt.date, dt.datetime, dt.datetime]


@dataclass(frozen=True)
class BusinessCalendar:
    """When the team is open.  Immutable and hashable; build from stored settings with `from_config`."""

    timezone: str = "UTC"  # IANA name, e.g. "Europe/London"
    workdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})  # Monday = 0 ... Sunday = 6
    opens: dt.time = dt.time(9, 0)  # wall-clock, in `timezone`
    closes: dt.time = dt.time(17, 0)  # wall-clock, same local day; must be later than `opens`
    holidays: frozenset[dt.date] = frozenset()  # local dates on which the team is closed

    def __post_init__(self) -> None:
        # Accept any iterable (a set or list typed by hand) but store frozensets so the calendar hashes.
        object.__setattr__(self, "workdays", frozenset(self.workdays))
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        if not isinstance(self.timezone, str) or not self.timezone:
            raise CalendarError(f"timezone must be an IANA name like 'Europe/London', got {self.timezone!r}")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
            raise CalendarError(
                f"unknown time zone {self.timezone!r}; expected an IANA name like 'Europe/London'"
            ) from exc
        for day in self.workdays:
            if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
                raise CalendarError(f"workdays must be integers 0 (Monday) to 6 (Sunday), got {day!r}")
        for name, value in (("opens", self.opens), ("closes", self.closes)):
            if not isinstance(value, dt.time) or value.tzinfo is not None:
                raise CalendarError(f"{name} must be a naive datetime.time (wall-clock in the team's zone)")
        if self.closes <= self.opens:
            raise CalendarError(
                f"closes ({format_time(self.closes)}) must be later than opens ({format_time(self.opens)})"
            )
        for holiday in self.holidays:
            if isinstance(holiday, dt.datetime) or not isinstance(holiday, dt.date):
                raise CalendarError(f"holidays must be dates, got {holiday!r}")

    # -- configuration --------------------------------------------------------------------------

    @classmethod
    def from_config(
        cls,
        timezone: str,
        days: list[str] | tuple[str, ...],
        opens: str,
        closes: str,
        holidays: list[str] | tuple[str, ...],
    ) -> BusinessCalendar:
        """Build from stored/JSON settings: days ``["mon", ...]``, times ``"HH:MM"``, holidays ``"YYYY-MM-DD"``.

        Day names are case-insensitive and may be spelled out ("Monday").  Raises `CalendarError`
        with a message naming the offending value.
        """
        return cls(
            timezone=timezone,
            workdays=parse_days(days),
            opens=parse_time("opens", opens),
            closes=parse_time("closes", closes),
            holidays=parse_holidays(holidays),
        )

    def to_config(self) -> dict[str, Any]:
        """The inverse of `from_config`: JSON-able, days in week order, holidays in date order."""
        return {
            "timezone": self.timezone,
            "days": [WEEKDAY_NAMES[day] for day in sorted(self.workdays)],
            "opens": format_time(self.opens),
            "closes": format_time(self.closes),
            "holidays": [day.isoformat() for day in sorted(self.holidays)],
        }

    # -- local time ---------------------------------------------------------------------------

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)  # ZoneInfo caches instances per key

    def local(self, instant: dt.datetime) -> dt.datetime:
        """`instant` expressed in the team's zone."""
        return as_utc(instant).astimezone(self.zone)

    def local_date(self, instant: dt.datetime) -> dt.date:
        """The team's calendar date at `instant` (may differ from the UTC date)."""
        return self.local(instant).date()

    def describe(self, instant: dt.datetime) -> str:
        """Customer-readable, in the team's zone: "Monday 30 November 2026 at 09:00 (Europe/London time)"."""
        at = self.local(instant)
        return f"{describe_day(at)} at {at:%H:%M} ({self.timezone} time)"

    # -- single days --------------------------------------------------------------------------

    def is_business_day(self, day: dt.date) -> bool:
        """A workday that is not a holiday (`day` is a local date)."""
        check_day(day)
        return day.weekday() in self.workdays and day not in self.holidays

    def _wall_to_utc(self, day: dt.date, wall: dt.time) -> dt.datetime:
        # fold=0: first occurrence of an ambiguous time; a time in a spring-forward gap is read with
        # the pre-transition offset, i.e. moved forward by the gap (see the module docstring).
        local = dt.datetime.combine(day, wall.replace(fold=0), tzinfo=self.zone)
        return local.astimezone(dt.UTC)

    def _hours_on(self, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
        """(opening, closing) in UTC on local date `day`, or None if not a business day."""
        if not self.is_business_day(day):
            return None
        opening = self._wall_to_utc(day, self.opens)
        # Only a spring-forward gap can put the closing before the opening; clamp to "no time".
        return opening, max(opening, self._wall_to_utc(day, self.closes))

    def opening_on(self, day: dt.date) -> dt.datetime | None:
        """UTC instant at which the team opens on local date `day`; None if `day` is not a business day."""
        hours = self._hours_on(day)
        return None if hours is None else hours[0]

    def closing_on(self, day: dt.date) -> dt.datetime | None:
        """UTC instant at which the team closes on local date `day`; None if `day` is not a business day."""
        hours = self._hours_on(day)
        return None if hours is None else hours[1]

    # -- searching day by day -----------------------------------------------------------------

    def _periods(self, day: dt.date, step: int, until: dt.date | None = None) -> Iterator[_Period]:
        """Non-empty business periods on local date `day`, then `day + step`, `day + 2 * step`, ...

        Without `until` this never ends on its own: after `MAX_CLOSED_DAYS` consecutive days with no
        business time it raises `CalendarError`.  With `until` it stops after that date (forward only).
        Periods never overlap: should a zone map two local days onto the same instants (a day skipped
        by a date-line change), the later one is trimmed.
        """
        delta = dt.timedelta(days=step)
        closed_run = 0  # consecutive days without business time, starting at run_start
        run_start = day
        boundary: dt.datetime | None = None  # end of the last period yielded (forward) / start (backward)
        while until is None or day <= until:
            try:
                hours = self._hours_on(day)
                following = day + delta
            except OverflowError as exc:
                raise CalendarError(f"searched past the end of the calendar from {day.isoformat()}") from exc
            if hours is not None:
                opening, closing = hours
                if boundary is not None:
                    if step > 0:
                        opening = max(opening, boundary)
                    else:
                        closing = min(closing, boundary)
                if closing > opening:
                    closed_run = 0
                    boundary = closing if step > 0 else opening
                    yield day, opening, closing
                    day = following
                    continue
            if closed_run == 0:
                run_start = day
            closed_run += 1
            if until is None and closed_run > MAX_CLOSED_DAYS:
                first, last = sorted((run_start, day))
                raise CalendarError(
                    f"no business hours between {first.isoformat()} and {last.isoformat()}: check the "
                    f"calendar's days and holidays"
                )
            day = following

    def _period_from(self, at: dt.datetime) -> _Period:
        """The business period open at UTC `at` or, if closed then, the next one."""
        # Start a day early so a period that began on the previous local date is not missed.
        for period in self._periods(self.local_date(at) - _ONE_DAY, +1):
            if period[2] > at:
                return period
        raise AssertionError("unreachable: _periods only ends by raising")

    def _period_before(self, day: dt.date) -> _Period:
        """The last business period on a local date before `day`."""
        for period in self._periods(day - _ONE_DAY, -1):
            return period
        raise AssertionError("unreachable: _periods only ends by raising")

    # -- instants -----------------------------------------------------------------------------

    def is_open(self, instant: dt.datetime) -> bool:
        """True iff opening <= instant < closing on a business day."""
        at = as_utc(instant)
        hours = self._hours_on(self.local_date(at))
        return hours is not None and hours[0] <= at < hours[1]

    def next_opening(self, instant: dt.datetime) -> dt.datetime:
        """`instant` itself (in UTC) if the team is open then, else the start of the next business period."""
        at = as_utc(instant)
        _day, opening, _closing = self._period_from(at)
        return max(opening, at)

    def previous_closing(self, instant: dt.datetime) -> dt.datetime:
        """The most recent closing instant <= `instant`.

        If the team is open at `instant` this is the closing of the previous business period; at the
        closing instant itself it is that instant.
        """
        at = as_utc(instant)
        # Start a day late for symmetry with _period_from; periods ending after `at` are skipped.
        for _day, _opening, closing in self._periods(self.local_date(at) + _ONE_DAY, -1):
            if closing <= at:
                return closing
        raise AssertionError("unreachable: _periods only ends by raising")

    def business_duration(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Real elapsed business time within [start, end); timedelta(0) if end <= start.

        Never raises for a calendar without business days: the search is bounded by the range.
        """
        begin, finish = as_utc(start, "start"), as_utc(end, "end")
        total = _ZERO
        if finish <= begin:
            return total
        for _day, opening, closing in self._periods(self.local_date(begin) - _ONE_DAY, +1, self.local_date(finish)):
            if opening >= finish:
                break
            overlap = min(closing, finish) - max(opening, begin)
            if overlap > _ZERO:
                total += overlap
        return total

    def add_business(self, start: dt.datetime, duration: dt.timedelta) -> dt.datetime:
        """The instant at which `duration` of business time has elapsed since `start`.

        A duration that exactly uses up a period ends at that period's closing instant (an SLA of one
        business hour from 16:00 is due at 17:00 the same day, not at the next opening).  A zero
        duration gives `next_opening(start)`: `start` if open, else the next opening.
        """
        if not isinstance(duration, dt.timedelta):
            raise TypeError(f"duration must be a timedelta, got {type(duration).__name__}")
        if duration < _ZERO:
            raise ValueError(f"duration must not be negative, got {duration}")
        at = as_utc(start, "start")
        remaining = duration
        for _day, opening, closing in self._periods(self.local_date(at) - _ONE_DAY, +1):
            if closing <= at:
                continue
            begin = max(opening, at)
            available = closing - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
        raise AssertionError("unreachable: _periods only ends by raising")

    def closed_stretch(self, opening: dt.datetime) -> tuple[dt.datetime, dt.datetime] | None:
        """(previous closing, opening) if at least one whole non-business day separates them, else None.

        Answers "is this the first business morning after a weekend or holiday?": for Monday's
        09:00 opening it returns (Friday 17:00, Monday 09:00); for Tuesday's it returns None (a plain
        overnight).  `opening` should be an opening instant (e.g. from `next_opening`); any other
        instant is taken to mean the business period open at that instant or, if closed, the next
        one, and the tuple then carries that period's actual opening.
        """
        day, period_opening, _closing = self._period_from(as_utc(opening, "opening"))
        previous_day, _previous_opening, previous_closing = self._period_before(day)
        if (day - previous_day).days > 1:
            return previous_closing, period_opening
        return None
