"""How the dashboard writes values: escaped text and coordinates; durations and rates come from
:mod:`chalicelib.desk.units` (the digests read them the same way).
"""

from __future__ import annotations

import html

from chalicelib.desk.units import DASH, as_count, as_mapping, as_number, format_duration, format_rate

__all__ = ["DASH", "as_count", "as_mapping", "as_number", "esc", "format_duration", "format_rate"]


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _fmt(x: float) -> str:
    """A coordinate: two decimals at most, no trailing zeros."""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text
