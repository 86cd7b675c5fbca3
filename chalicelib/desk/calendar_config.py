"""The business calendar's vocabulary: day and month names (spelled out, so no locale matters), the
configuration's parsers (times, workdays, holidays) and the checks every instant and day goes through.

:mod:`chalicelib.desk.calendar` is the calendar itself.
"""

from __future__ import annotations

import datetime as dt
import re

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_LONG_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
# Day names accepted by from_config (case-insensitive): "mon" and "monday" alike.
_DAY_LOOKUP = {name: index for index, name in enumerate(WEEKDAY_NAMES)} | {
    name.lower(): index for index, name in enumerate(_LONG_DAY_NAMES)
}
# "HH:MM", optionally with seconds and microseconds so that to_config round-trips any time.
_TIME_RE = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{6}))?)?")
# Strict ISO calendar date; date.fromisoformat alone would also accept "20261225" and "2026-W52-5".
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")

def describe_day(day: dt.date) -> str:
    """"Monday 30 November 2026", whatever the process locale."""
    return f"{_LONG_DAY_NAMES[day.weekday()]} {day.day} {_MONTH_NAMES[day.month - 1]} {day.year}"


class CalendarError(ValueError):
    """The calendar is misconfigured, or it has no business hours to offer."""


def as_utc(instant: dt.datetime, name: str = "instant") -> dt.datetime:
    """`instant` as aware UTC; naive datetimes are refused (we would have to guess their zone)."""
    if not isinstance(instant, dt.datetime):
        raise TypeError(f"{name} must be a datetime, got {type(instant).__name__}")
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {instant.isoformat()}")
    return instant.astimezone(dt.UTC)


def check_day(day: dt.date) -> dt.date:
    # datetime is a subclass of date; accepting one here would silently drop its time and zone.
    if isinstance(day, dt.datetime) or not isinstance(day, dt.date):
        raise TypeError(f"expected a date (use local_date() for an instant), got {type(day).__name__}")
    return day


def format_time(value: dt.time) -> str:
    if value.second == 0 and value.microsecond == 0:
        return value.isoformat(timespec="minutes")
    return value.isoformat()


def parse_time(name: str, text: str) -> dt.time:
    match = _TIME_RE.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise CalendarError(f"{name} must be a 24-hour time like '09:00', got {text!r}")
    hour, minute, second, micro = (int(part) if part else 0 for part in match.groups())
    if hour > 23 or minute > 59 or second > 59:
        raise CalendarError(f"{name} must be a 24-hour time between 00:00 and 23:59, got {text!r}")
    return dt.time(hour, minute, second, micro)


def parse_days(days: list[str] | tuple[str, ...]) -> frozenset[int]:
    if isinstance(days, str) or not isinstance(days, list | tuple):
        raise CalendarError(f"days must be a list of day names like ['mon', 'tue'], got {days!r}")
    if not days:
        raise CalendarError("days must name at least one working day")
    workdays: set[int] = set()
    for name in days:
        index = _DAY_LOOKUP.get(name.strip().lower()) if isinstance(name, str) else None
        if index is None:
            raise CalendarError(f"unknown day name {name!r}; expected one of {', '.join(WEEKDAY_NAMES)}")
        workdays.add(index)
    return frozenset(workdays)


def parse_holidays(holidays: list[str] | tuple[str, ...]) -> frozenset[dt.date]:
    if isinstance(holidays, str) or not isinstance(holidays, list | tuple):
        raise CalendarError(f"holidays must be a list of dates like ['2026-12-25'], got {holidays!r}")
    parsed: set[dt.date] = set()
    for text in holidays:
        try:
            if not isinstance(text, str) or _DATE_RE.fullmatch(text) is None:
                raise ValueError(text)
            parsed.add(dt.date.fromisoformat(text))
        except ValueError as exc:  # also "2026-02-30": right shape, not a real date
            raise CalendarError(f"holiday {text!r} is not a date like '2026-12-25'") from exc
    return frozenset(parsed)
