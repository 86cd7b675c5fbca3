"""The business calendar: opening hours in the team's zone, across weekends, holidays and DST.

Every expected instant below is worked out by hand and written as UTC.  Europe/London is on GMT
(UTC+0) until 01:00 UTC on Sunday 29 March 2026 and from 01:00 UTC on Sunday 25 October 2026, and
on BST (UTC+1) in between.  Asia/Tokyo is UTC+9 all year; America/Los_Angeles is on PST (UTC-8)
from Sunday 1 November 2026.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from chalicelib.desk.calendar import WEEKDAY_NAMES, BusinessCalendar, CalendarError

LONDON = ZoneInfo("Europe/London")
HOUR = timedelta(hours=1)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def london(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A London wall-clock instant (inputs may be in any zone; results are always UTC)."""
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


CAL = BusinessCalendar(timezone="Europe/London")  # Mon-Fri 09:00-17:00
XMAS = BusinessCalendar(timezone="Europe/London", holidays=frozenset({date(2026, 12, 25), date(2026, 12, 28)}))
# Every day 00:00-04:00 London time: the DST changes happen during business hours.
NIGHTS = BusinessCalendar("Europe/London", frozenset(range(7)), time(0, 0), time(4, 0))
TOKYO = BusinessCalendar(timezone="Asia/Tokyo")
LOS_ANGELES = BusinessCalendar(timezone="America/Los_Angeles")


def assert_utc(value: datetime, expected: datetime) -> None:
    assert value == expected
    assert value.tzinfo is UTC


# -- construction and configuration --------------------------------------------------------------


def test_defaults_are_utc_weekdays_nine_to_five() -> None:
    cal = BusinessCalendar()
    assert cal.timezone == "UTC"
    assert cal.workdays == frozenset({0, 1, 2, 3, 4})
    assert (cal.opens, cal.closes) == (time(9, 0), time(17, 0))
    assert cal.holidays == frozenset()
    assert WEEKDAY_NAMES == ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    assert cal == BusinessCalendar() and hash(cal) == hash(BusinessCalendar())


def test_calendar_is_immutable_and_hashable_even_from_plain_sets() -> None:
    cal = BusinessCalendar(workdays={0, 1}, holidays={date(2026, 12, 25)})  # type: ignore[arg-type]
    assert cal.workdays == frozenset({0, 1}) and isinstance(cal.workdays, frozenset)
    assert isinstance(cal.holidays, frozenset)
    assert {cal: 1}[cal] == 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        cal.timezone = "Europe/London"  # type: ignore[misc]


def test_from_config_and_back() -> None:
    cal = BusinessCalendar.from_config(
        "Europe/London", ["fri", "Mon", " TUE ", "wednesday", "thu"], "09:00", "17:30", ["2026-12-28", "2026-12-25"]
    )
    assert cal == BusinessCalendar(
        "Europe/London",
        frozenset({0, 1, 2, 3, 4}),
        time(9, 0),
        time(17, 30),
        frozenset({date(2026, 12, 25), date(2026, 12, 28)}),
    )
    config = cal.to_config()
    assert config == {
        "timezone": "Europe/London",
        "days": ["mon", "tue", "wed", "thu", "fri"],
        "opens": "09:00",
        "closes": "17:30",
        "holidays": ["2026-12-25", "2026-12-28"],
    }
    assert json.loads(json.dumps(config)) == config
    assert BusinessCalendar.from_config(**config) == cal


def test_to_config_keeps_seconds_when_there_are_any() -> None:
    cal = BusinessCalendar("Asia/Tokyo", frozenset({6, 5}), time(0, 0), time(23, 59, 59))
    assert cal.to_config() == {
        "timezone": "Asia/Tokyo",
        "days": ["sat", "sun"],
        "opens": "00:00",
        "closes": "23:59:59",
        "holidays": [],
    }
    assert BusinessCalendar.from_config(**cal.to_config()) == cal


GOOD_CONFIG: dict[str, Any] = {
    "timezone": "Europe/London",
    "days": ["mon", "tue", "wed", "thu", "fri"],
    "opens": "09:00",
    "closes": "17:00",
    "holidays": [],
}


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"timezone": "Mars/Olympus"}, r"unknown time zone 'Mars/Olympus'"),
        ({"timezone": ""}, r"timezone must be an IANA name"),
        ({"timezone": "../../etc/passwd"}, r"unknown time zone"),
        ({"days": ["mon", "funday"]}, r"unknown day name 'funday'"),
        ({"days": "mon,tue"}, r"days must be a list"),
        ({"days": []}, r"at least one working day"),
        ({"opens": "17:00", "closes": "09:00"}, r"closes \(09:00\) must be later than opens \(17:00\)"),
        ({"opens": "09:00", "closes": "09:00"}, r"closes \(09:00\) must be later than opens \(09:00\)"),
        ({"opens": "9am"}, r"opens must be a 24-hour time like '09:00', got '9am'"),
        ({"closes": "24:00"}, r"closes must be a 24-hour time between 00:00 and 23:59, got '24:00'"),
        ({"holidays": ["2026-13-01"]}, r"holiday '2026-13-01' is not a date"),
        ({"holidays": ["2026-02-30"]}, r"holiday '2026-02-30' is not a date"),
        ({"holidays": ["25/12/2026"]}, r"holiday '25/12/2026' is not a date"),
        ({"holidays": "2026-12-25"}, r"holidays must be a list"),
    ],
)
def test_from_config_rejects_bad_settings_clearly(override: dict[str, Any], message: str) -> None:
    with pytest.raises(CalendarError, match=message):
        BusinessCalendar.from_config(**(GOOD_CONFIG | override))


def test_calendar_error_is_a_value_error_and_the_constructor_validates_too() -> None:
    assert issubclass(CalendarError, ValueError)
    with pytest.raises(CalendarError, match="unknown time zone 'Nowhere/City'"):
        BusinessCalendar(timezone="Nowhere/City")
    with pytest.raises(CalendarError, match="must be later than opens"):
        BusinessCalendar(opens=time(17, 0), closes=time(9, 0))
    with pytest.raises(CalendarError, match="workdays"):
        BusinessCalendar(workdays=frozenset({7}))
    with pytest.raises(CalendarError, match="holidays must be dates"):
        BusinessCalendar(holidays=frozenset({datetime(2026, 12, 25, tzinfo=UTC)}))


# -- naive datetimes -------------------------------------------------------------------------------

NAIVE = datetime(2026, 11, 30, 10, 0)
AWARE = utc(2026, 11, 30, 10, 0)


@pytest.mark.parametrize(
    "call",
    [
        lambda: CAL.is_open(NAIVE),
        lambda: CAL.next_opening(NAIVE),
        lambda: CAL.previous_closing(NAIVE),
        lambda: CAL.local(NAIVE),
        lambda: CAL.local_date(NAIVE),
        lambda: CAL.describe(NAIVE),
        lambda: CAL.closed_stretch(NAIVE),
        lambda: CAL.business_duration(NAIVE, AWARE),
        lambda: CAL.business_duration(AWARE - HOUR, NAIVE),
        lambda: CAL.add_business(NAIVE, HOUR),
    ],
)
def test_naive_datetimes_are_refused(call: Any) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        call()


def test_days_must_be_dates_not_datetimes() -> None:
    with pytest.raises(TypeError, match="local_date"):
        CAL.is_business_day(AWARE)
    with pytest.raises(TypeError):
        CAL.opening_on(AWARE)


# -- London, Mon-Fri 09:00-17:00 ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        # Monday 30 November 2026, GMT: wall clock == UTC.
        (utc(2026, 11, 30, 8, 59), False),
        (utc(2026, 11, 30, 9, 0), True),
        (utc(2026, 11, 30, 16, 59), True),
        (utc(2026, 11, 30, 17, 0), False),
        (utc(2026, 11, 28, 12, 0), False),  # Saturday
        (utc(2026, 11, 29, 12, 0), False),  # Sunday
        # Monday 1 June 2026, BST: 09:00-17:00 local is 08:00-16:00 UTC.
        (utc(2026, 6, 1, 7, 59), False),
        (utc(2026, 6, 1, 8, 0), True),
        (utc(2026, 6, 1, 15, 59), True),
        (utc(2026, 6, 1, 16, 0), False),
        (london(2026, 6, 1, 9, 0), True),
        (london(2026, 6, 1, 17, 0), False),
    ],
)
def test_is_open(instant: datetime, expected: bool) -> None:
    assert CAL.is_open(instant) is expected


def test_business_days_and_hours_on_a_date() -> None:
    assert CAL.is_business_day(date(2026, 11, 27))  # Friday
    assert not CAL.is_business_day(date(2026, 11, 28))  # Saturday
    opening, closing = CAL.opening_on(date(2026, 11, 30)), CAL.closing_on(date(2026, 11, 30))
    assert opening is not None and closing is not None
    assert_utc(opening, utc(2026, 11, 30, 9, 0))
    assert_utc(closing, utc(2026, 11, 30, 17, 0))
    assert CAL.opening_on(date(2026, 11, 28)) is None
    assert CAL.closing_on(date(2026, 11, 28)) is None
    # Summer: the same wall-clock hours are an hour earlier in UTC.
    assert CAL.opening_on(date(2026, 6, 1)) == utc(2026, 6, 1, 8, 0)
    assert CAL.closing_on(date(2026, 6, 1)) == utc(2026, 6, 1, 16, 0)


def test_local_time() -> None:
    local = CAL.local(utc(2026, 6, 1, 8, 0))
    assert local == datetime(2026, 6, 1, 9, 0, tzinfo=LONDON)
    assert (local.hour, local.utcoffset()) == (9, HOUR)
    assert CAL.local_date(utc(2026, 6, 1, 23, 30)) == date(2026, 6, 2)  # 00:30 BST on the 2nd


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        (utc(2026, 11, 27, 17, 30), utc(2026, 11, 30, 9, 0)),  # Friday evening -> Monday 09:00 GMT
        (london(2026, 6, 5, 17, 30), utc(2026, 6, 8, 8, 0)),  # Friday evening -> Monday 09:00 BST
        (utc(2026, 11, 28, 12, 0), utc(2026, 11, 30, 9, 0)),  # Saturday
        (utc(2026, 11, 30, 7, 0), utc(2026, 11, 30, 9, 0)),  # early Monday: later today
        (utc(2026, 11, 30, 17, 0), utc(2026, 12, 1, 9, 0)),  # at closing: tomorrow
        (london(2026, 11, 30, 10, 15), utc(2026, 11, 30, 10, 15)),  # open: the instant itself
        (utc(2026, 11, 30, 9, 0), utc(2026, 11, 30, 9, 0)),  # at opening: open
    ],
)
def test_next_opening(instant: datetime, expected: datetime) -> None:
    assert_utc(CAL.next_opening(instant), expected)


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        (utc(2026, 11, 30, 10, 0), utc(2026, 11, 27, 17, 0)),  # open Monday: Friday's closing
        (utc(2026, 11, 30, 8, 0), utc(2026, 11, 27, 17, 0)),  # before Monday opening
        (utc(2026, 11, 29, 12, 0), utc(2026, 11, 27, 17, 0)),  # Sunday
        (utc(2026, 11, 30, 17, 0), utc(2026, 11, 30, 17, 0)),  # exactly at closing
        (utc(2026, 12, 1, 8, 0), utc(2026, 11, 30, 17, 0)),  # Tuesday early
        (london(2026, 6, 8, 8, 0), utc(2026, 6, 5, 16, 0)),  # summer: Friday 17:00 BST
    ],
)
def test_previous_closing(instant: datetime, expected: datetime) -> None:
    assert_utc(CAL.previous_closing(instant), expected)


def test_business_duration() -> None:
    # Friday 16:00 -> Monday 10:00: one hour on Friday, one on Monday.
    assert CAL.business_duration(utc(2026, 11, 27, 16, 0), utc(2026, 11, 30, 10, 0)) == 2 * HOUR
    assert CAL.business_duration(london(2026, 6, 5, 16, 0), london(2026, 6, 8, 10, 0)) == 2 * HOUR
    assert CAL.business_duration(utc(2026, 11, 30, 10, 0), utc(2026, 11, 30, 12, 30)) == timedelta(hours=2, minutes=30)
    assert CAL.business_duration(utc(2026, 11, 30, 0, 0), utc(2026, 12, 7, 0, 0)) == 40 * HOUR  # one week
    # Empty or backwards ranges.
    assert CAL.business_duration(utc(2026, 11, 30, 10, 0), utc(2026, 11, 30, 10, 0)) == timedelta(0)
    assert CAL.business_duration(utc(2026, 11, 30, 10, 0), utc(2026, 11, 27, 16, 0)) == timedelta(0)
    assert CAL.business_duration(utc(2026, 11, 28, 0, 0), utc(2026, 11, 30, 9, 0)) == timedelta(0)  # weekend


def test_add_business() -> None:
    assert_utc(CAL.add_business(utc(2026, 11, 27, 16, 30), HOUR), utc(2026, 11, 30, 9, 30))  # Fri -> Mon
    assert_utc(CAL.add_business(london(2026, 11, 27, 16, 30), HOUR), utc(2026, 11, 30, 9, 30))
    # Using up a period exactly ends at its closing, not at the next opening.
    assert_utc(CAL.add_business(utc(2026, 11, 27, 16, 0), HOUR), utc(2026, 11, 27, 17, 0))
    assert_utc(CAL.add_business(utc(2026, 11, 30, 9, 0), 8 * HOUR), utc(2026, 11, 30, 17, 0))
    assert_utc(CAL.add_business(utc(2026, 11, 30, 9, 0), timedelta(hours=8, minutes=1)), utc(2026, 12, 1, 9, 1))
    # Zero: now if open, else the next opening.
    assert_utc(CAL.add_business(london(2026, 11, 30, 11, 0), timedelta(0)), utc(2026, 11, 30, 11, 0))
    assert_utc(CAL.add_business(utc(2026, 11, 28, 11, 0), timedelta(0)), utc(2026, 11, 30, 9, 0))
    with pytest.raises(ValueError, match="negative"):
        CAL.add_business(utc(2026, 11, 30, 11, 0), -HOUR)


# -- DST in Europe/London ---------------------------------------------------------------------------


def test_autumn_clock_change_between_friday_and_monday() -> None:
    # Friday 23 October: BST, open 08:00-16:00 UTC.  Monday 26 October: GMT, open 09:00-17:00 UTC.
    assert CAL.opening_on(date(2026, 10, 23)) == utc(2026, 10, 23, 8, 0)
    assert CAL.closing_on(date(2026, 10, 23)) == utc(2026, 10, 23, 16, 0)
    assert CAL.opening_on(date(2026, 10, 26)) == utc(2026, 10, 26, 9, 0)
    assert CAL.closing_on(date(2026, 10, 26)) == utc(2026, 10, 26, 17, 0)
    # Friday 16:00 BST (15:00 UTC) + 2h business = Monday 10:00 GMT (10:00 UTC).
    assert_utc(CAL.add_business(london(2026, 10, 23, 16, 0), 2 * HOUR), utc(2026, 10, 26, 10, 0))
    assert_utc(CAL.add_business(utc(2026, 10, 23, 15, 0), 2 * HOUR), utc(2026, 10, 26, 10, 0))
    assert CAL.business_duration(utc(2026, 10, 23, 15, 0), utc(2026, 10, 26, 10, 0)) == 2 * HOUR
    assert_utc(CAL.next_opening(utc(2026, 10, 23, 16, 30)), utc(2026, 10, 26, 9, 0))
    assert_utc(CAL.previous_closing(utc(2026, 10, 26, 9, 30)), utc(2026, 10, 23, 16, 0))


def test_spring_clock_change_between_friday_and_monday() -> None:
    # Friday 27 March: GMT.  Monday 30 March: BST, 09:00 local = 08:00 UTC.
    assert CAL.opening_on(date(2026, 3, 30)) == utc(2026, 3, 30, 8, 0)
    # Friday 16:00 GMT (16:00 UTC) + 2h = Monday 10:00 BST (09:00 UTC).
    assert_utc(CAL.add_business(utc(2026, 3, 27, 16, 0), 2 * HOUR), utc(2026, 3, 30, 9, 0))
    assert CAL.business_duration(utc(2026, 3, 27, 16, 0), utc(2026, 3, 30, 9, 0)) == 2 * HOUR
    assert_utc(CAL.next_opening(utc(2026, 3, 28, 12, 0)), utc(2026, 3, 30, 8, 0))


def test_spring_forward_during_business_hours_has_three_real_hours() -> None:
    # Sunday 29 March, 00:00-04:00 local: opens 00:00 GMT (00:00 UTC), closes 04:00 BST (03:00 UTC).
    assert NIGHTS.opening_on(date(2026, 3, 29)) == utc(2026, 3, 29, 0, 0)
    assert NIGHTS.closing_on(date(2026, 3, 29)) == utc(2026, 3, 29, 3, 0)
    assert NIGHTS.business_duration(utc(2026, 3, 29, 0, 0), utc(2026, 3, 29, 12, 0)) == 3 * HOUR
    # The day before is an ordinary four hours (GMT); the day after opens 00:00 BST = 23:00 UTC the 29th.
    assert NIGHTS.business_duration(utc(2026, 3, 28, 0, 0), utc(2026, 3, 28, 12, 0)) == 4 * HOUR
    assert NIGHTS.opening_on(date(2026, 3, 30)) == utc(2026, 3, 29, 23, 0)
    assert NIGHTS.is_open(utc(2026, 3, 29, 0, 59))  # 00:59 GMT
    assert NIGHTS.is_open(utc(2026, 3, 29, 2, 30))  # 03:30 BST
    assert not NIGHTS.is_open(utc(2026, 3, 29, 3, 0))  # 04:00 BST
    # 2h30 left on the short day, then 30 minutes from 23:00 UTC.
    assert_utc(NIGHTS.add_business(utc(2026, 3, 29, 0, 30), 3 * HOUR), utc(2026, 3, 29, 23, 30))
    assert_utc(NIGHTS.add_business(utc(2026, 3, 29, 0, 0), 3 * HOUR), utc(2026, 3, 29, 3, 0))


def test_fall_back_during_business_hours_has_five_real_hours() -> None:
    # Sunday 25 October, 00:00-04:00 local: opens 00:00 BST (23:00 UTC on the 24th), closes 04:00 GMT.
    assert NIGHTS.opening_on(date(2026, 10, 25)) == utc(2026, 10, 24, 23, 0)
    assert NIGHTS.closing_on(date(2026, 10, 25)) == utc(2026, 10, 25, 4, 0)
    # From noon on the 24th (after that day's 23:00-03:00 UTC period) to noon on the 25th.
    assert NIGHTS.business_duration(utc(2026, 10, 24, 12, 0), utc(2026, 10, 25, 12, 0)) == 5 * HOUR
    assert NIGHTS.is_open(utc(2026, 10, 25, 0, 30))  # the first 01:30 (BST)
    assert NIGHTS.is_open(utc(2026, 10, 25, 1, 30))  # the second 01:30 (GMT)
    assert_utc(NIGHTS.add_business(utc(2026, 10, 24, 23, 0), timedelta(hours=4, minutes=30)), utc(2026, 10, 25, 3, 30))


def test_wall_times_in_the_gap_move_forward_and_in_the_fold_take_the_first() -> None:
    cal = BusinessCalendar("Europe/London", frozenset(range(7)), time(1, 30), time(5, 0))
    # 01:30 does not exist on 29 March: read as GMT, i.e. 01:30 UTC (= 02:30 BST).  Closes 05:00 BST.
    assert cal.opening_on(date(2026, 3, 29)) == utc(2026, 3, 29, 1, 30)
    assert cal.closing_on(date(2026, 3, 29)) == utc(2026, 3, 29, 4, 0)
    assert cal.business_duration(utc(2026, 3, 29, 0, 0), utc(2026, 3, 29, 12, 0)) == timedelta(hours=2, minutes=30)
    # 01:30 happens twice on 25 October: the first (BST, 00:30 UTC).  Closes 05:00 GMT.
    assert cal.opening_on(date(2026, 10, 25)) == utc(2026, 10, 25, 0, 30)
    assert cal.closing_on(date(2026, 10, 25)) == utc(2026, 10, 25, 5, 0)


def test_business_hours_swallowed_by_the_gap_are_empty_not_inverted() -> None:
    # 01:30-02:15: the opening moves to 02:30 BST, past the 02:15 BST (01:15 UTC) closing.
    cal = BusinessCalendar("Europe/London", frozenset(range(7)), time(1, 30), time(2, 15))
    assert cal.is_business_day(date(2026, 3, 29))
    assert cal.opening_on(date(2026, 3, 29)) == utc(2026, 3, 29, 1, 30)
    assert cal.closing_on(date(2026, 3, 29)) == utc(2026, 3, 29, 1, 30)
    assert not cal.is_open(utc(2026, 3, 29, 1, 30))
    assert cal.business_duration(utc(2026, 3, 29, 0, 0), utc(2026, 3, 30, 0, 0)) == timedelta(0)
    # Next: Monday 30 March 01:30 BST = 00:30 UTC.
    assert_utc(cal.next_opening(utc(2026, 3, 29, 0, 0)), utc(2026, 3, 30, 0, 30))


# -- holidays and closed stretches ----------------------------------------------------------------


def test_holidays() -> None:
    assert XMAS.is_business_day(date(2026, 12, 24))
    assert not XMAS.is_business_day(date(2026, 12, 25))  # Friday, holiday
    assert not XMAS.is_business_day(date(2026, 12, 26))  # Saturday
    assert not XMAS.is_business_day(date(2026, 12, 28))  # Monday, holiday
    assert XMAS.is_business_day(date(2026, 12, 29))
    assert XMAS.opening_on(date(2026, 12, 25)) is None
    # Thursday 24 December 17:00 -> Tuesday 29 December 09:00 (GMT, so UTC).
    assert_utc(XMAS.next_opening(utc(2026, 12, 24, 17, 0)), utc(2026, 12, 29, 9, 0))
    assert_utc(XMAS.add_business(utc(2026, 12, 24, 16, 0), 2 * HOUR), utc(2026, 12, 29, 10, 0))
    assert XMAS.business_duration(utc(2026, 12, 24, 0, 0), utc(2026, 12, 30, 0, 0)) == 16 * HOUR
    assert_utc(XMAS.previous_closing(utc(2026, 12, 29, 8, 0)), utc(2026, 12, 24, 17, 0))


def test_closed_stretch() -> None:
    # Monday morning after a weekend.
    assert CAL.closed_stretch(utc(2026, 11, 30, 9, 0)) == (utc(2026, 11, 27, 17, 0), utc(2026, 11, 30, 9, 0))
    # Tuesday morning: a plain overnight.
    assert CAL.closed_stretch(utc(2026, 12, 1, 9, 0)) is None
    # Thursday morning after a Wednesday holiday; Tuesday before it is still plain.
    wednesday_off = BusinessCalendar("Europe/London", holidays=frozenset({date(2026, 12, 2)}))
    assert wednesday_off.closed_stretch(utc(2026, 12, 3, 9, 0)) == (utc(2026, 12, 1, 17, 0), utc(2026, 12, 3, 9, 0))
    assert wednesday_off.closed_stretch(utc(2026, 12, 1, 9, 0)) is None
    # Christmas: Thursday 17:00 -> Tuesday 09:00.
    assert XMAS.closed_stretch(utc(2026, 12, 29, 9, 0)) == (utc(2026, 12, 24, 17, 0), utc(2026, 12, 29, 9, 0))
    # Across the autumn change, and in summer with a London-zoned argument.
    assert CAL.closed_stretch(utc(2026, 10, 26, 9, 0)) == (utc(2026, 10, 23, 16, 0), utc(2026, 10, 26, 9, 0))
    assert CAL.closed_stretch(london(2026, 6, 8, 9, 0)) == (utc(2026, 6, 5, 16, 0), utc(2026, 6, 8, 8, 0))


def test_closed_stretch_for_instants_that_are_not_openings() -> None:
    # Mid-morning: the stretch before the current period, with that period's real opening.
    assert CAL.closed_stretch(utc(2026, 11, 30, 11, 0)) == (utc(2026, 11, 27, 17, 0), utc(2026, 11, 30, 9, 0))
    # While closed: the stretch before the next opening.
    assert CAL.closed_stretch(utc(2026, 11, 28, 12, 0)) == (utc(2026, 11, 27, 17, 0), utc(2026, 11, 30, 9, 0))
    assert CAL.closed_stretch(utc(2026, 12, 1, 7, 0)) is None


# -- zones far from UTC ------------------------------------------------------------------------------


def test_tokyo_local_date_is_ahead_of_utc() -> None:
    # Sunday 29 November 23:30 UTC is Monday 30 November 08:30 in Tokyo.
    sunday_night_utc = utc(2026, 11, 29, 23, 30)
    assert TOKYO.local_date(sunday_night_utc) == date(2026, 11, 30)
    assert not TOKYO.is_open(sunday_night_utc)
    assert_utc(TOKYO.next_opening(sunday_night_utc), utc(2026, 11, 30, 0, 0))  # Monday 09:00 JST
    assert TOKYO.opening_on(date(2026, 11, 30)) == utc(2026, 11, 30, 0, 0)
    assert TOKYO.closing_on(date(2026, 11, 30)) == utc(2026, 11, 30, 8, 0)
    assert TOKYO.is_open(utc(2026, 11, 30, 0, 0))
    # Friday 17:00 JST is 08:00 UTC; Friday 16:00-17:00 plus Monday 09:00-10:00 JST.
    assert TOKYO.closed_stretch(utc(2026, 11, 30, 0, 0)) == (utc(2026, 11, 27, 8, 0), utc(2026, 11, 30, 0, 0))
    assert TOKYO.business_duration(utc(2026, 11, 27, 7, 0), utc(2026, 11, 30, 1, 0)) == 2 * HOUR


def test_los_angeles_local_date_is_behind_utc() -> None:
    # Saturday 28 November 00:30 UTC is Friday 27 November 16:30 PST: still open.
    assert LOS_ANGELES.local_date(utc(2026, 11, 28, 0, 30)) == date(2026, 11, 27)
    assert LOS_ANGELES.is_open(utc(2026, 11, 28, 0, 30))
    # 01:30 UTC is 17:30 PST: closed since 01:00 UTC; opens Monday 09:00 PST = 17:00 UTC.
    assert not LOS_ANGELES.is_open(utc(2026, 11, 28, 1, 30))
    assert_utc(LOS_ANGELES.previous_closing(utc(2026, 11, 28, 1, 30)), utc(2026, 11, 28, 1, 0))
    assert_utc(LOS_ANGELES.next_opening(utc(2026, 11, 28, 1, 30)), utc(2026, 11, 30, 17, 0))
    assert_utc(LOS_ANGELES.add_business(utc(2026, 11, 28, 0, 30), HOUR), utc(2026, 11, 30, 17, 30))


# -- describe ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cal", "instant", "text"),
    [
        (CAL, utc(2026, 11, 30, 9, 0), "Monday 30 November 2026 at 09:00 (Europe/London time)"),
        (CAL, utc(2026, 6, 1, 8, 0), "Monday 1 June 2026 at 09:00 (Europe/London time)"),
        (TOKYO, utc(2026, 11, 29, 23, 30), "Monday 30 November 2026 at 08:30 (Asia/Tokyo time)"),
        (LOS_ANGELES, utc(2027, 1, 1, 1, 5), "Thursday 31 December 2026 at 17:05 (America/Los_Angeles time)"),
        (BusinessCalendar(), london(2026, 6, 1, 9, 0), "Monday 1 June 2026 at 08:00 (UTC time)"),
    ],
)
def test_describe(cal: BusinessCalendar, instant: datetime, text: str) -> None:
    assert cal.describe(instant) == text


# -- calendars that never open, and efficiency --------------------------------------------------------


def test_a_calendar_without_business_days_raises_instead_of_looping() -> None:
    never = BusinessCalendar(workdays=frozenset())
    start = utc(2026, 11, 30, 9, 0)
    for call in (
        lambda: never.next_opening(start),
        lambda: never.previous_closing(start),
        lambda: never.add_business(start, HOUR),
        lambda: never.closed_stretch(start),
    ):
        with pytest.raises(CalendarError, match="no business hours"):
            call()
    # A bounded question has an answer: no business time at all.
    assert never.business_duration(start, utc(2031, 11, 30, 9, 0)) == timedelta(0)
    assert not never.is_open(start)


def test_holidays_on_every_workday_for_years() -> None:
    # Mondays only (UTC), with every Monday from 30 November 2026 a holiday.
    def mondays_off(weeks: int) -> BusinessCalendar:
        first = date(2026, 11, 30)
        return BusinessCalendar(
            workdays=frozenset({0}), holidays=frozenset(first + timedelta(weeks=k) for k in range(weeks))
        )

    with pytest.raises(CalendarError):
        mondays_off(4 * 53).next_opening(utc(2026, 11, 28, 0, 0))
    # 104 weeks of holidays: the first open Monday is 27 November 2028 (728 days later).
    assert_utc(mondays_off(104).next_opening(utc(2026, 11, 28, 0, 0)), utc(2028, 11, 27, 9, 0))


def test_long_targets_are_computed_per_day_not_per_minute(monkeypatch: pytest.MonkeyPatch) -> None:
    # A two-week break: Monday 21 December 2026 to Sunday 3 January 2027.
    cal = BusinessCalendar(
        "Europe/London", holidays=frozenset(date(2026, 12, 21) + timedelta(days=k) for k in range(14))
    )
    days_examined = 0
    hours_on = BusinessCalendar._hours_on

    def counting(self: BusinessCalendar, day: date) -> tuple[datetime, datetime] | None:
        nonlocal days_examined
        days_examined += 1
        return hours_on(self, day)

    monkeypatch.setattr(BusinessCalendar, "_hours_on", counting)
    # 24 business hours from Friday 18 December 09:00: 8h that Friday, then Monday 4 and
    # Tuesday 5 January 09:00-17:00, using up Tuesday exactly.
    assert_utc(cal.add_business(utc(2026, 12, 18, 9, 0), 24 * HOUR), utc(2027, 1, 5, 17, 0))
    assert days_examined <= 25  # 20 local days from Thursday 17 December, not ~27,000 minutes
    assert cal.business_duration(utc(2026, 12, 18, 9, 0), utc(2027, 1, 5, 17, 0)) == 24 * HOUR
