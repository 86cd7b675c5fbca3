"""The dashboard's inline SVG charts: volume by channel (stacked bars), first-response
times (median and p90 lines) against the tier targets, and customer satisfaction (the share of
good ratings per period; a period nobody rated has no bar, which is not 0 %).

The chart elements carry ``data-series``, ``data-period`` and ``data-value`` attributes so that
tests (and curious people) can read the data back from the page.

First-response chart scale: the y axis covers the data (medians and p90s) and the
tier targets that fall within 1.5 x the largest data value; a target above that
(typically the community tier's day-long one) would squash the data into the
bottom of the chart, so it gets no line and is named in the legend as "above the
scale" instead.  With no data at all, every target is drawn.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from chalicelib.web.formats import as_count, as_mapping, as_number, esc, format_duration, format_rate

# Volume chart geometry (SVG user units; the SVG scales to its container's width).
VOL_W, VOL_H = 480, 280
# First-response chart geometry.
FR_W, FR_H = 480, 280
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 64, 12, 18, 40
ROTATE_LABELS_OVER = 10  # more periods than this: slanted x labels
TARGET_SCALE_CAP = 1.5  # targets above cap x max(data) are listed, not drawn
MEDIAN_COLOUR, P90_COLOUR, TARGET_COLOUR = "#0072b2", "#d55e00", "#5b6474"
# Customer satisfaction chart geometry and colours (Okabe-Ito bluish green and vermillion).
CSAT_W, CSAT_H = 480, 280
GOOD_COLOUR, BAD_COLOUR = "#009e73", "#d55e00"
COUNT_CHAR_WIDTH = 9  # about one digit of a count label (13px), to tell whether the labels fit their bars
GROUP_WORDS = {"day": "day", "week": "week", "month": "month"}
TIME_STEPS = (1, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600, 7200, 10800, 14400, 21600, 43200, 86400)


def _fmt(x: float) -> str:
    """A coordinate: two decimals at most, no trailing zeros."""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text



def axis_duration(seconds: float) -> str:
    """A y-axis tick, short enough for the margin: "0", "45s", "30m", "4h", "1h 30m"."""
    total = round(seconds)
    if total == 0:
        return "0"
    if total % 3600 == 0:
        return f"{total // 3600}h"
    return format_duration(total) if total >= 3600 else (f"{total // 60}m" if total % 60 == 0 else f"{total}s")



def nice_ceiling(value: float, max_intervals: int = 5) -> tuple[int, int]:
    """The axis top and tick step for counts: the smallest 1/2/5 x 10^k step that
    covers ``value`` in at most ``max_intervals`` intervals; (0, 1) for nothing."""
    if value <= 0:
        return 0, 1
    exponent = 0
    while True:
        for multiple in (1, 2, 5):
            step = multiple * 10**exponent
            intervals = math.ceil(value / step)
            if intervals <= max_intervals:
                return intervals * step, step
        exponent += 1


def time_step(top: float, max_intervals: int = 5) -> int:
    """A tick step in seconds (1m, 15m, 1h, 4h, 1d, ...) giving at most ``max_intervals`` ticks up to ``top``."""
    for step in TIME_STEPS:
        if top / step <= max_intervals:
            return step
    _, day_step = nice_ceiling(math.ceil(top / 86400 / max_intervals), 1)
    return day_step * 86400



def _period_label(start: str, group: str) -> str:
    try:
        day = date.fromisoformat(start[:10])
    except ValueError:
        return start
    if group == "month":
        return day.strftime("%b %Y")
    return f"{day.day} {day.strftime('%b')}"


@dataclass(frozen=True)
class _Plot:
    """The plot area of a chart inside its viewBox, and its y scale (0..top)."""

    width: int
    height: int
    top: float
    bottom: float = MARGIN_BOTTOM  # room for the x labels (more when they are slanted)

    @property
    def left(self) -> float:
        return MARGIN_LEFT

    @property
    def right(self) -> float:
        return self.width - MARGIN_RIGHT

    @property
    def y0(self) -> float:
        return self.height - self.bottom

    @property
    def inner_height(self) -> float:
        return self.y0 - MARGIN_TOP

    def y(self, value: float) -> float:
        return self.y0 - (value / self.top) * self.inner_height if self.top > 0 else self.y0

    def band(self, count: int) -> float:
        return (self.right - self.left) / max(count, 1)

    def centre(self, index: int, count: int) -> float:
        return self.left + (index + 0.5) * self.band(count)


def _bottom_margin(periods: int) -> float:
    return MARGIN_BOTTOM + 24 if periods > ROTATE_LABELS_OVER else MARGIN_BOTTOM


def _svg_open(chart_id: str, width: int, height: int, title: str, label: str, extra: str = "") -> list[str]:
    return [
        f'<svg id="{chart_id}" class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{esc(label)}"'
        f' preserveAspectRatio="xMidYMid meet"{extra}>',
        f"<title>{esc(title)}</title>",
    ]


def _y_axis(plot: _Plot, ticks: Sequence[float], label: Callable[[float], str]) -> list[str]:
    out = ['<g class="y-axis">']
    for tick in ticks:
        y = _fmt(plot.y(tick))
        baseline = " baseline" if tick == 0 else ""
        out.append(
            f'<line class="grid{baseline}" data-value="{_fmt(tick)}" x1="{_fmt(plot.left)}" x2="{_fmt(plot.right)}"'
            f' y1="{y}" y2="{y}"/>'
        )
        out.append(
            f'<text class="tick" data-value="{_fmt(tick)}" x="{_fmt(plot.left - 8)}" y="{y}"'
            f' text-anchor="end" dominant-baseline="middle">{esc(label(tick))}</text>'
        )
    out.append("</g>")
    return out


def _x_labels(plot: _Plot, periods: Sequence[Mapping[str, Any]], group: str) -> list[str]:
    count = len(periods)
    every = max(1, math.ceil(count / 24))
    rotate = count > ROTATE_LABELS_OVER
    out = ['<g class="x-axis">']
    for index, period in enumerate(periods):
        if index % every:
            continue
        start = str(period.get("start", ""))
        x, y = plot.centre(index, count), plot.y0 + 18
        transform = f' transform="rotate(-40 {_fmt(x)} {_fmt(y)})"' if rotate else ""
        anchor = "end" if rotate else "middle"
        out.append(
            f'<text class="x-label" data-period="{esc(start)}" x="{_fmt(x)}" y="{_fmt(y)}"'
            f' text-anchor="{anchor}"{transform}>{esc(_period_label(start, group))}</text>'
        )
    out.append("</g>")
    return out


def _empty_text(plot: _Plot, text: str) -> str:
    x = (plot.left + plot.right) / 2
    y = MARGIN_TOP + plot.inner_height / 2
    return f'<text class="empty" x="{_fmt(x)}" y="{_fmt(y)}" text-anchor="middle">{esc(text)}</text>'


def volume_chart(periods: Sequence[Mapping[str, Any]], channels: Sequence[str], colours: Mapping[str, str],
                  group: str) -> str:
    totals = [sum(as_count(v) for v in as_mapping(p.get("by_channel")).values()) for p in periods]
    top, step = nice_ceiling(max(totals, default=0))
    plot = _Plot(VOL_W, VOL_H, top, _bottom_margin(len(periods)))
    word = GROUP_WORDS.get(group, group or "period")
    label = (f"Tickets opened per {word} by channel: {sum(totals)} tickets in {len(periods)} periods"
             if sum(totals) else "Volume by channel: no tickets in this period")
    out = _svg_open("chart-volume", VOL_W, VOL_H, "Volume by channel", label, f' data-y-max="{top}"')
    out += _y_axis(plot, range(0, top + 1, step) if top else [0], lambda t: f"{int(t)}")
    out.append('<g class="bars">')
    count = len(periods)
    bar_width = min(plot.band(count) * 0.64, 64.0)
    for index, period in enumerate(periods):
        start = str(period.get("start", ""))
        by_channel = as_mapping(period.get("by_channel"))
        x = plot.centre(index, count) - bar_width / 2
        stacked = 0
        for channel in channels:
            value = as_count(by_channel.get(channel))
            if not value:
                continue
            y_top, y_bottom = plot.y(stacked + value), plot.y(stacked)
            stacked += value
            out.append(
                f'<rect class="bar" data-series="{esc(channel)}" data-period="{esc(start)}" data-value="{value}"'
                f' x="{_fmt(x)}" y="{_fmt(y_top)}" width="{_fmt(bar_width)}" height="{_fmt(y_bottom - y_top)}"'
                f' fill="{colours[channel]}"><title>{esc(f"{channel}, {start}: {value}")}</title></rect>'
            )
    out.append("</g>")
    out += _x_labels(plot, periods, group)
    if not sum(totals):
        out.append(_empty_text(plot, "No tickets in this period"))
    out.append("</svg>")
    return "\n".join(out)


def first_response_chart(periods: Sequence[Mapping[str, Any]], targets: Mapping[str, float],
                          tiers: Sequence[str], group: str) -> tuple[str, list[tuple[str, float, bool]]]:
    """The chart, and the targets as (tier, seconds, drawn) for the legend."""
    series: dict[str, list[float | None]] = {"median": [], "p90": []}
    for period in periods:
        first = as_mapping(period.get("first_response"))
        none = "count" in first and as_count(first.get("count")) == 0
        for name, values in series.items():
            values.append(None if none else as_number(first.get(name)))
    data = [v for values in series.values() for v in values if v is not None]
    data_max = max(data, default=0.0)
    ordered = [(t, targets[t]) for t in tiers if t in targets]
    if data_max > 0:
        shown = [(t, s, s <= data_max * TARGET_SCALE_CAP) for t, s in ordered]
    else:
        shown = [(t, s, True) for t, s in ordered]
    scale_values = [data_max] + [s for _, s, drawn in shown if drawn]
    top = max(scale_values) * 1.1
    plot = _Plot(FR_W, FR_H, top, _bottom_margin(len(periods)))
    label = ("First response in business time per period: median and 90th percentile against the tier targets"
             if data else "First response: no first responses in this period")
    out = _svg_open("chart-first-response", FR_W, FR_H, "First response (business time)", label,
                    f' data-y-max="{_fmt(top)}"')
    if top > 0:
        step = time_step(top)
        ticks = [k * step for k in range(int(top // step) + 1)]
    else:
        ticks = [0]
    out += _y_axis(plot, ticks, axis_duration)
    out.append('<g class="targets">')
    for tier, seconds, drawn in shown:
        if not drawn:
            continue
        y = _fmt(plot.y(seconds))
        out.append(
            f'<line class="target" data-series="target" data-tier="{esc(tier)}" data-value="{_fmt(seconds)}"'
            f' x1="{_fmt(plot.left)}" x2="{_fmt(plot.right)}" y1="{y}" y2="{y}" stroke="{TARGET_COLOUR}"'
            f' stroke-dasharray="6 4"/>'
        )
        out.append(
            f'<text class="target-label" data-tier="{esc(tier)}" x="{_fmt(plot.right - 4)}"'
            f' y="{_fmt(plot.y(seconds) - 5)}" text-anchor="end">{esc(f"{tier} {format_duration(seconds)}")}</text>'
        )
    out.append("</g>")
    count = len(periods)
    for name, colour in (("p90", P90_COLOUR), ("median", MEDIAN_COLOUR)):
        values = series[name]
        points = [
            (index, value) for index, value in enumerate(values) if value is not None
        ]
        out.append(f'<g class="series" data-series="{name}">')
        # One polyline per run of consecutive periods: a period without first responses breaks the line.
        runs: list[list[tuple[int, float]]] = []
        for index, value in points:
            if runs and runs[-1][-1][0] == index - 1:
                runs[-1].append((index, value))
            else:
                runs.append([(index, value)])
        for run in runs:
            if len(run) < 2:
                continue
            coords = " ".join(f"{_fmt(plot.centre(i, count))},{_fmt(plot.y(v))}" for i, v in run)
            out.append(f'<polyline class="line" data-series="{name}" points="{coords}" fill="none"'
                       f' stroke="{colour}" stroke-width="2.5" stroke-linejoin="round"/>')
        for index, value in points:
            start = str(periods[index].get("start", ""))
            out.append(
                f'<circle class="point" data-series="{name}" data-period="{esc(start)}"'
                f' data-value="{round(value)}" cx="{_fmt(plot.centre(index, count))}" cy="{_fmt(plot.y(value))}"'
                f' r="4.5" fill="{colour}"><title>{esc(f"{name}, {start}: {format_duration(value)}")}</title>'
                "</circle>"
            )
        out.append("</g>")
    out += _x_labels(plot, periods, group)
    if not data:
        out.append(_empty_text(plot, "No first responses in this period"))
    out.append("</svg>")
    return "\n".join(out), shown


def csat_ratings(csat: object) -> tuple[int, int]:
    """(good, bad) of a report's ``csat`` figure; junk or nothing is no ratings."""
    figure = as_mapping(csat)
    return as_count(figure.get("good")), as_count(figure.get("bad"))


def csat_chart(periods: Sequence[Mapping[str, Any]], group: str) -> str:
    """Per period, a bar to 100 %: good ratings from the axis up (the share good), bad ones above them, and
    the number of ratings over it.  A period without ratings has no bar at all."""
    ratings = [csat_ratings(p.get("csat")) for p in periods]
    good_total, rated_total = sum(g for g, _ in ratings), sum(g + b for g, b in ratings)
    count = len(periods)
    plot = _Plot(CSAT_W, CSAT_H, 100, _bottom_margin(count))
    word = GROUP_WORDS.get(group, group or "period")
    unrated = sum(1 for g, b in ratings if not g + b)
    label = (f"Customer satisfaction per {word}: share of good ratings, {good_total} good of {rated_total} "
             f"ratings in all ({format_rate(good_total / rated_total)}); {unrated} of {count} periods without "
             "ratings" if rated_total else "Customer satisfaction: no ratings in this period")
    out = _svg_open("chart-csat", CSAT_W, CSAT_H, "Customer satisfaction", label, ' data-y-max="100"')
    out += _y_axis(plot, range(0, 101, 25), lambda t: f"{int(t)} %")
    bar_width = min(plot.band(count) * 0.64, 64.0)
    widest = max((len(str(g + b)) for g, b in ratings), default=1)
    show_counts = widest * COUNT_CHAR_WIDTH <= plot.band(count)  # else the counts are in the bars' titles only
    out.append('<g class="bars">')
    labels = []
    for index, ((good, bad), period) in enumerate(zip(ratings, periods, strict=True)):
        rated = good + bad
        if not rated:
            continue  # no ratings: a gap, not 0 %
        start = str(period.get("start", ""))
        rate = round(good / rated, 4)
        title = esc(f"{start}: {format_rate(rate)} good ({good} of {rated} rated)")
        centre = plot.centre(index, count)
        x, share = centre - bar_width / 2, 100 * good / rated
        for series, value, top, bottom, colour in (("good", good, share, 0.0, GOOD_COLOUR),
                                                    ("bad", bad, 100.0, share, BAD_COLOUR)):
            if not value:
                continue
            y_top, y_bottom = plot.y(top), plot.y(bottom)
            out.append(
                f'<rect class="bar" data-series="{series}" data-period="{esc(start)}" data-value="{value}"'
                f' data-rate="{rate}" x="{_fmt(x)}" y="{_fmt(y_top)}" width="{_fmt(bar_width)}"'
                f' height="{_fmt(y_bottom - y_top)}" fill="{colour}"><title>{title}</title></rect>'
            )
        if show_counts:
            labels.append(
                f'<text class="count" data-period="{esc(start)}" data-value="{rated}" x="{_fmt(centre)}"'
                f' y="{_fmt(plot.y(100) - 4)}" text-anchor="middle">{rated}</text>'
            )
    out.append("</g>")
    out += ['<g class="counts">', *labels, "</g>"]
    out += _x_labels(plot, periods, group)
    if not rated_total:
        out.append(_empty_text(plot, "No ratings in this period"))
    out.append("</svg>")
    return "\n".join(out)
