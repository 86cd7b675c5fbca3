"""How numbers from the analytics read, wherever they are shown (the dashboard, the digests): durations
and rates (stdlib only). Junk, booleans, NaN and infinities are no number.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

DASH = "—"


def as_number(value: object) -> float | None:
    """A finite number from the data, or None (booleans and junk are not numbers)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    else:
        try:
            number = float(str(value))
        except ValueError:
            return None
    return number if math.isfinite(number) else None


def as_count(value: object) -> int:
    number = as_number(value)
    return round(number) if number is not None and number > 0 else 0


def as_mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def format_duration(seconds: object) -> str:
    """Business seconds as "1h 05m", "12m" or "45s"; None (no data) as an em dash."""
    number = as_number(seconds)
    if number is None:
        return DASH
    total = max(0, round(number))
    if total < 60:
        return f"{total}s"
    if total < 3600:
        return f"{total // 60}m"
    hours, rest = divmod(total, 3600)
    return f"{hours}h {rest // 60:02d}m"


def format_rate(rate: object) -> str:
    """A 0..1 rate as "83 %"; None (nothing to rate) as an em dash."""
    number = as_number(rate)
    return DASH if number is None else f"{round(number * 100)} %"
