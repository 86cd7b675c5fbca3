"""The team dashboard: one self-contained HTML page rendered on the server.

:func:`render_dashboard` turns a period report and a stint leaderboard into a
complete HTML5 document: summary tiles, two inline SVG charts (volume by channel,
first-response times against the tier targets), the leaderboard and the totals.
The page needs nothing else: no script, no external stylesheet, font or image, so
it can be served by a Lambda, attached to an email or saved to disk as it is.

Every string that comes from the data is escaped; every number is formatted here.
The chart elements carry ``data-series``, ``data-period`` and ``data-value``
attributes so that tests (and curious people) can read the data back from the page.

First-response chart scale: the y axis covers the data (medians and p90s) and the
tier targets that fall within 1.5 x the largest data value; a target above that
(typically the community tier's day-long one) would squash the data into the
bottom of the chart, so it gets no line and is named in the legend as "above the
scale" instead.  With no data at all, every target is drawn.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

__all__ = [
    "TARGET_SCALE_CAP",
    "channel_order",
    "format_duration",
    "format_rate",
    "nice_ceiling",
    "render_dashboard",
    "time_step",
]

# Volume chart geometry (SVG user units; the SVG scales to its container's width).
VOL_W, VOL_H = 480, 280
# First-response chart geometry.
FR_W, FR_H = 480, 280
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 64, 12, 18, 40
ROTATE_LABELS_OVER = 10  # more periods than this: slanted x labels
TARGET_SCALE_CAP = 1.5  # targets above cap x max(data) are listed, not drawn

KNOWN_CHANNELS = ("slack", "email", "github", "api")
KNOWN_TIERS = ("enterprise", "scale", "community")
# Okabe-Ito: distinct for the common colour-vision deficiencies.
CHANNEL_COLOURS = {"slack": "#0072b2", "email": "#e69f00", "github": "#009e73", "api": "#cc79a7"}
EXTRA_COLOURS = ("#56b4e9", "#d55e00", "#7f7f7f", "#f0e442", "#1b2a49", "#8c564b")
MEDIAN_COLOUR, P90_COLOUR, TARGET_COLOUR = "#0072b2", "#d55e00", "#5b6474"
DASH = "—"
GROUP_WORDS = {"day": "day", "week": "week", "month": "month"}
TIME_STEPS = (1, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600, 7200, 10800, 14400, 21600, 43200, 86400)


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _number(value: object) -> float | None:
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


def _count(value: object) -> int:
    number = _number(value)
    return round(number) if number is not None and number > 0 else 0


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _fmt(x: float) -> str:
    """A coordinate: two decimals at most, no trailing zeros."""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def format_duration(seconds: object) -> str:
    """Business seconds as "1h 05m", "12m" or "45s"; None (no data) as an em dash."""
    number = _number(seconds)
    if number is None:
        return DASH
    total = max(0, round(number))
    if total < 60:
        return f"{total}s"
    if total < 3600:
        return f"{total // 60}m"
    hours, rest = divmod(total, 3600)
    return f"{hours}h {rest // 60:02d}m"


def axis_duration(seconds: float) -> str:
    """A y-axis tick, short enough for the margin: "0", "45s", "30m", "4h", "1h 30m"."""
    total = round(seconds)
    if total == 0:
        return "0"
    if total % 3600 == 0:
        return f"{total // 3600}h"
    return format_duration(total) if total >= 3600 else (f"{total // 60}m" if total % 60 == 0 else f"{total}s")


def format_rate(rate: object) -> str:
    """A 0..1 rate as "83 %"; None (nothing to rate) as an em dash."""
    number = _number(rate)
    return DASH if number is None else f"{round(number * 100)} %"


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


def channel_order(keys: Iterable[str]) -> list[str]:
    """Known channels in their usual order, then any others alphabetically: stable across reports."""
    seen = set(keys)
    return [c for c in KNOWN_CHANNELS if c in seen] + sorted(seen - set(KNOWN_CHANNELS))


def _tier_order(keys: Iterable[str], targets: Mapping[str, float]) -> list[str]:
    seen = set(keys) | set(targets)
    known = [t for t in KNOWN_TIERS if t in seen]
    rest = sorted(seen - set(KNOWN_TIERS), key=lambda t: (targets.get(t, math.inf), t))
    return known + rest


def _channel_colours(channels: Sequence[str]) -> dict[str, str]:
    colours: dict[str, str] = {}
    extra = 0
    for channel in channels:
        if channel in CHANNEL_COLOURS:
            colours[channel] = CHANNEL_COLOURS[channel]
        else:
            colours[channel] = EXTRA_COLOURS[extra % len(EXTRA_COLOURS)]
            extra += 1
    return colours


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
        f'<svg id="{chart_id}" class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{_esc(label)}"'
        f' preserveAspectRatio="xMidYMid meet"{extra}>',
        f"<title>{_esc(title)}</title>",
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
            f' text-anchor="end" dominant-baseline="middle">{_esc(label(tick))}</text>'
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
            f'<text class="x-label" data-period="{_esc(start)}" x="{_fmt(x)}" y="{_fmt(y)}"'
            f' text-anchor="{anchor}"{transform}>{_esc(_period_label(start, group))}</text>'
        )
    out.append("</g>")
    return out


def _empty_text(plot: _Plot, text: str) -> str:
    x = (plot.left + plot.right) / 2
    y = MARGIN_TOP + plot.inner_height / 2
    return f'<text class="empty" x="{_fmt(x)}" y="{_fmt(y)}" text-anchor="middle">{_esc(text)}</text>'


def _volume_chart(periods: Sequence[Mapping[str, Any]], channels: Sequence[str], colours: Mapping[str, str],
                  group: str) -> str:
    totals = [sum(_count(v) for v in _mapping(p.get("by_channel")).values()) for p in periods]
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
        by_channel = _mapping(period.get("by_channel"))
        x = plot.centre(index, count) - bar_width / 2
        stacked = 0
        for channel in channels:
            value = _count(by_channel.get(channel))
            if not value:
                continue
            y_top, y_bottom = plot.y(stacked + value), plot.y(stacked)
            stacked += value
            out.append(
                f'<rect class="bar" data-series="{_esc(channel)}" data-period="{_esc(start)}" data-value="{value}"'
                f' x="{_fmt(x)}" y="{_fmt(y_top)}" width="{_fmt(bar_width)}" height="{_fmt(y_bottom - y_top)}"'
                f' fill="{colours[channel]}"><title>{_esc(f"{channel}, {start}: {value}")}</title></rect>'
            )
    out.append("</g>")
    out += _x_labels(plot, periods, group)
    if not sum(totals):
        out.append(_empty_text(plot, "No tickets in this period"))
    out.append("</svg>")
    return "\n".join(out)


def _first_response_chart(periods: Sequence[Mapping[str, Any]], targets: Mapping[str, float],
                          tiers: Sequence[str], group: str) -> tuple[str, list[tuple[str, float, bool]]]:
    """The chart, and the targets as (tier, seconds, drawn) for the legend."""
    series: dict[str, list[float | None]] = {"median": [], "p90": []}
    for period in periods:
        first = _mapping(period.get("first_response"))
        none = "count" in first and _count(first.get("count")) == 0
        for name, values in series.items():
            values.append(None if none else _number(first.get(name)))
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
            f'<line class="target" data-series="target" data-tier="{_esc(tier)}" data-value="{_fmt(seconds)}"'
            f' x1="{_fmt(plot.left)}" x2="{_fmt(plot.right)}" y1="{y}" y2="{y}" stroke="{TARGET_COLOUR}"'
            f' stroke-dasharray="6 4"/>'
        )
        out.append(
            f'<text class="target-label" data-tier="{_esc(tier)}" x="{_fmt(plot.right - 4)}"'
            f' y="{_fmt(plot.y(seconds) - 5)}" text-anchor="end">{_esc(f"{tier} {format_duration(seconds)}")}</text>'
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
                f'<circle class="point" data-series="{name}" data-period="{_esc(start)}"'
                f' data-value="{round(value)}" cx="{_fmt(plot.centre(index, count))}" cy="{_fmt(plot.y(value))}"'
                f' r="4.5" fill="{colour}"><title>{_esc(f"{name}, {start}: {format_duration(value)}")}</title>'
                "</circle>"
            )
        out.append("</g>")
    out += _x_labels(plot, periods, group)
    if not data:
        out.append(_empty_text(plot, "No first responses in this period"))
    out.append("</svg>")
    return "\n".join(out), shown


def _tile(metric: str, label: str, value: str, note: str = "") -> str:
    note_html = f'<span class="note">{_esc(note)}</span>' if note else ""
    return (f'<div class="tile" data-metric="{metric}"><span class="label">{_esc(label)}</span>'
            f'<span class="value">{_esc(value)}</span>{note_html}</div>')


def _tiles(totals: Mapping[str, Any]) -> str:
    first = _mapping(totals.get("first_response"))
    resolution = _mapping(totals.get("resolution"))
    targets = _mapping(totals.get("targets"))
    met, missed = _count(targets.get("met")), _count(targets.get("missed"))
    tiles = [
        _tile("opened", "Opened", str(_count(totals.get("opened")))),
        _tile("solved", "Solved", str(_count(totals.get("solved")))),
        _tile("backlog", "Backlog", str(_count(totals.get("backlog"))), "open at the end"),
        _tile("first-response-median", "First response, median", format_duration(first.get("median")),
              f"{_count(first.get('count'))} first responses"),
        _tile("first-response-mean", "First response, mean", format_duration(first.get("mean"))),
        _tile("first-response-p90", "First response, p90", format_duration(first.get("p90"))),
        _tile("resolution-median", "Resolution, median", format_duration(resolution.get("median")),
              f"{_count(resolution.get('count'))} solved"),
        _tile("targets-rate", "Targets met", format_rate(targets.get("rate")), f"{met} met, {missed} missed"),
    ]
    return '<section class="tiles" aria-label="Summary">\n' + "\n".join(tiles) + "\n</section>"


def _legend(items: Iterable[tuple[str, str, str, str]]) -> str:
    """(data attributes, swatch class, colour, text) per item."""
    lis = [f'<li {attrs}><span class="swatch {kind}" style="--c:{colour}"></span>{_esc(text)}</li>'
           for attrs, kind, colour, text in items]
    return '<ul class="legend">' + "".join(lis) + "</ul>"


def _leaderboard(leaderboard: Mapping[str, Any]) -> str:
    rows = [r for r in leaderboard.get("rows") or [] if isinstance(r, Mapping)]
    parts = []
    if leaderboard.get("stint") is not None:
        parts.append(f"Stint {leaderboard.get('stint')}")
    hero = leaderboard.get("hero_name") or leaderboard.get("hero")
    if hero:
        parts.append(f"hero {hero}")
    if leaderboard.get("start") or leaderboard.get("end"):
        parts.append(f"{leaderboard.get('start', '?')} to {leaderboard.get('end', '?')}")
    caption = " · ".join(parts) or "No stint yet"
    head = ("<tr><th scope=\"col\">Name</th><th scope=\"col\">Triaged</th><th scope=\"col\">First responses</th>"
            "<th scope=\"col\">Replies</th><th scope=\"col\">Median first response</th><th scope=\"col\">Solved</th>"
            "<th scope=\"col\">Targets met</th></tr>")
    body = []
    for row in rows:
        met, missed = _count(row.get("targets_met")), _count(row.get("targets_missed"))
        targets = f"{met} / {met + missed}" if met + missed else "0"
        name = row.get("name") or row.get("member_id") or ""
        cells = [
            f'<th scope="row">{_esc(name)}</th>',
            *(f'<td class="num">{_count(row.get(key))}</td>' for key in ("triaged", "first_responses", "replies")),
            f'<td class="num">{_esc(format_duration(row.get("median_first_response")))}</td>',
            f'<td class="num">{_count(row.get("solved"))}</td>',
            f'<td class="num">{_esc(targets)}</td>',
        ]
        body.append(f'<tr data-member="{_esc(row.get("member_id", ""))}">{"".join(cells)}</tr>')
    if not body:
        body.append('<tr class="empty"><td colspan="7">No activity in this stint yet.</td></tr>')
    return (
        '<section class="card" aria-labelledby="leaderboard-heading">'
        '<h2 id="leaderboard-heading">Leaderboard</h2>'
        '<div class="table-scroll" id="leaderboard-scroll">'
        f'<table id="leaderboard"><caption><span>{_esc(caption)}</span></caption><thead>{head}</thead>'
        f'<tbody>{"".join(body)}</tbody></table></div></section>'
    )


def _totals_table(table_id: str, title: str, keys: Sequence[str], counts: Mapping[str, Any],
                  colours: Mapping[str, str] | None = None) -> str:
    total = sum(_count(counts.get(k)) for k in keys)
    rows = []
    for key in keys:
        value = _count(counts.get(key))
        share = f"{round(100 * value / total)} %" if total else DASH
        swatch = f'<span class="swatch" style="--c:{colours[key]}"></span>' if colours and key in colours else ""
        rows.append(f'<tr data-key="{_esc(key)}"><th scope="row">{swatch}{_esc(key)}</th>'
                    f'<td class="num">{value}</td><td class="num">{share}</td></tr>')
    if not rows:
        rows.append(f'<tr class="empty"><td colspan="3">{DASH}</td></tr>')
    return (f'<table id="{table_id}" class="totals"><caption>{_esc(title)}</caption>'
            '<thead><tr><th scope="col"></th><th scope="col">Tickets</th><th scope="col">Share</th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody>'
            f'<tfoot><tr><th scope="row">Total</th><td class="num">{total}</td><td></td></tr></tfoot></table>')


STYLE = """
:root{color-scheme:light;--fg:#1d2330;--muted:#5b6474;--bg:#f4f5f7;--card:#fff;--line:#dde1e8;--grid:#e9ecf1}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);line-height:1.45;
font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans","Liberation Sans",sans-serif}
main{max-width:72rem;margin:0 auto;padding:1rem}
header{margin-bottom:1rem}
h1{font-size:1.6rem;margin:0 0 .25rem;overflow-wrap:anywhere}
h2{font-size:1.1rem;margin:0 0 .5rem}
.meta{display:flex;flex-wrap:wrap;gap:.25rem 1.25rem;margin:0;padding:0;list-style:none;color:var(--muted)}
.meta b{color:var(--fg);font-weight:600}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(10rem,1fr));gap:.75rem;margin-bottom:1rem}
.tile{background:var(--card);border:1px solid var(--line);border-radius:.5rem;padding:.7rem .8rem;min-width:0}
.tile .label{display:block;color:var(--muted);font-size:.85rem}
.tile .value{display:block;font-size:1.6rem;font-weight:650;font-variant-numeric:tabular-nums}
.tile .note{display:block;color:var(--muted);font-size:.8rem}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,30rem),1fr));gap:1rem;margin-bottom:1rem}
.card{background:var(--card);border:1px solid var(--line);border-radius:.5rem;padding:1rem;min-width:0;
margin-bottom:1rem}
.charts .card{margin-bottom:0}
svg.chart{display:block;width:100%;height:auto;max-width:100%}
svg.chart text{font-size:15px;fill:var(--muted)}
svg.chart text.empty{font-size:18px;fill:var(--fg)}
svg.chart text.target-label{font-size:14px;fill:var(--fg)}
svg.chart line.grid{stroke:var(--grid);stroke-width:1}
svg.chart line.grid.baseline{stroke:#9aa3b2}
.legend{display:flex;flex-wrap:wrap;gap:.25rem 1rem;list-style:none;margin:.5rem 0 0;padding:0;font-size:.9rem}
.legend li{display:flex;align-items:center;gap:.35rem}
.swatch{display:inline-block;width:.8rem;height:.8rem;border-radius:.15rem;background:var(--c);margin-right:.35rem;
vertical-align:-.05rem}
.legend .swatch{margin-right:0}
.swatch.line{height:.2rem;border-radius:0}
.swatch.dashed{height:0;background:none;border-top:.15rem dashed var(--c);border-radius:0}
.off-scale{color:var(--muted)}
.table-scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;max-width:100%}
table{border-collapse:collapse;font-variant-numeric:tabular-nums}
caption{text-align:left;color:var(--muted);padding-bottom:.4rem;caption-side:top}
th,td{padding:.4rem .6rem;border-bottom:1px solid var(--line);text-align:left;white-space:nowrap}
thead th{font-size:.85rem;color:var(--muted);font-weight:600}
td.num{text-align:right}
#leaderboard{width:100%;min-width:44rem}
#leaderboard caption>span{position:sticky;left:0;display:inline-block;max-width:calc(100vw - 3rem)}
#leaderboard tbody th{position:sticky;left:0;background:var(--card)}
.totals-grid{display:flex;flex-wrap:wrap;align-items:flex-start;gap:1rem 2rem}
.totals{min-width:14rem}
footer{color:var(--muted);font-size:.85rem;padding:0 0 2rem}
@media (max-width:30rem){main{padding:.6rem}h1{font-size:1.3rem}.tile .value{font-size:1.3rem}.card{padding:.7rem}}
"""


def render_dashboard(report: Mapping[str, Any], leaderboard: Mapping[str, Any], *, team_name: str,
                     generated_at: str) -> str:
    """The whole dashboard page as one self-contained HTML5 document (no scripts, no external resources)."""
    report, leaderboard = _mapping(report), _mapping(leaderboard)
    totals = _mapping(report.get("totals"))
    periods = [p for p in report.get("periods") or [] if isinstance(p, Mapping)]
    group = str(report.get("group") or "")
    targets = {str(t): s for t, v in _mapping(report.get("target_seconds")).items()
               if (s := _number(v)) is not None and s > 0}
    by_channel = _mapping(report.get("by_channel"))
    channels = channel_order([str(k) for k in by_channel] +
                             [str(k) for p in periods for k in _mapping(p.get("by_channel"))])
    colours = _channel_colours(channels)
    by_tier = _mapping(report.get("by_tier"))
    tiers = _tier_order([str(k) for k in by_tier], targets)

    volume = _volume_chart(periods, channels, colours, group)
    volume_legend = _legend((f'data-series="{_esc(c)}"', "", colours[c], c) for c in channels)
    first_response, shown = _first_response_chart(periods, targets, tiers, group)
    fr_items = [
        ('data-series="median"', "line", MEDIAN_COLOUR, "median"),
        ('data-series="p90"', "line", P90_COLOUR, "90th percentile"),
    ]
    for tier, seconds, drawn in shown:
        text = f"{tier} target {format_duration(seconds)}" + ("" if drawn else " (above the scale)")
        off = "" if drawn else ' class="off-scale" data-off-scale="true"'
        fr_items.append((f'data-series="target" data-tier="{_esc(tier)}"{off}', "dashed", TARGET_COLOUR, text))
    fr_legend = _legend(fr_items)

    group_text = GROUP_WORDS.get(group, group) or DASH
    meta = [
        ("Period", f"{report.get('from', DASH)} to {report.get('to', DASH)}"),
        ("Grouped by", group_text),
        ("Time zone", report.get("timezone") or DASH),
        ("Generated", generated_at),
    ]
    meta_html = "".join(f"<li>{_esc(k)}: <b>{_esc(v)}</b></li>" for k, v in meta)
    title = f"{team_name} · Support Hero dashboard"
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="color-scheme" content="light">',
        f"<title>{_esc(title)}</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        "<main>",
        f'<header><h1 id="team-name">{_esc(team_name)}</h1><ul class="meta">{meta_html}</ul></header>',
        _tiles(totals),
        '<div class="charts">',
        f'<section class="card" aria-labelledby="volume-heading"><h2 id="volume-heading">Volume by channel</h2>'
        f"{volume}{volume_legend}</section>",
        '<section class="card" aria-labelledby="first-response-heading">'
        f'<h2 id="first-response-heading">First response (business time)</h2>{first_response}{fr_legend}</section>',
        "</div>",
        _leaderboard(leaderboard),
        '<section class="card" aria-labelledby="totals-heading"><h2 id="totals-heading">Totals</h2>'
        '<div class="totals-grid">'
        + _totals_table("totals-channel", "By channel", channels, by_channel, colours)
        + _totals_table("totals-tier", "By tier", tiers, by_tier)
        + "</div></section>",
        f"<footer>Support Hero · generated {_esc(generated_at)}</footer>",
        "</main>",
        "</body>",
        "</html>",
        "",
    ])
