"""The team dashboard: one self-contained HTML page rendered on the server.

:func:`render_dashboard` turns a period report and a stint leaderboard into a
complete HTML5 document: summary tiles, three inline SVG charts (volume by channel,
first-response times against the tier targets, customer satisfaction), the leaderboard and the totals.
The page needs nothing else: no script, no external stylesheet, font or image, so
it can be served by a Lambda, attached to an email or saved to disk as it is. Every string
that comes from the data is escaped; every number is formatted here.

The charts are drawn by :mod:`chalicelib.web.charts`, numbers are written by
:mod:`chalicelib.web.formats` and the stylesheet is :mod:`chalicelib.web.dashboard_style`.
Channels, their order and colours come from the installed channels
(:func:`chalicelib.channels.installed`), plus ``api`` for messages agents wrote through the API.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from chalicelib.web.charts import (
    BAD_COLOUR,
    GOOD_COLOUR,
    GROUP_WORDS,
    MARGIN_TOP,
    MEDIAN_COLOUR,
    P90_COLOUR,
    TARGET_COLOUR,
    TARGET_SCALE_CAP,
    csat_chart,
    csat_ratings,
    first_response_chart,
    nice_ceiling,
    time_step,
    volume_chart,
)
from chalicelib.web.dashboard_style import STYLE
from chalicelib.web.feedback_view import feedback_html
from chalicelib.web.formats import DASH, as_count, as_mapping, as_number, esc, format_duration, format_rate

__all__ = [
    "MARGIN_TOP",
    "TARGET_SCALE_CAP",
    "channel_order",
    "format_duration",
    "format_rate",
    "nice_ceiling",
    "render_dashboard",
    "time_step",
]

KNOWN_TIERS = ("enterprise", "scale", "community")
API_CHANNEL, API_COLOUR = "api", "#cc79a7"  # a pseudo-channel: messages agents wrote through the API
# Okabe-Ito: distinct for the common colour-vision deficiencies.
EXTRA_COLOURS = ("#56b4e9", "#d55e00", "#7f7f7f", "#f0e442", "#1b2a49", "#8c564b")


def _known_colours() -> dict[str, str]:
    """The installed channels' colours, in their order, then the API's."""
    from chalicelib.channels import installed

    return {**{spec.name: spec.colour for spec in installed()}, API_CHANNEL: API_COLOUR}


def channel_order(keys: Iterable[str]) -> list[str]:
    """Known channels in their usual order, then any others alphabetically: stable across reports."""
    seen, known = set(keys), list(_known_colours())
    return [c for c in known if c in seen] + sorted(seen - set(known))


def _tier_order(keys: Iterable[str], targets: Mapping[str, float]) -> list[str]:
    seen = set(keys) | set(targets)
    known = [t for t in KNOWN_TIERS if t in seen]
    rest = sorted(seen - set(KNOWN_TIERS), key=lambda t: (targets.get(t, math.inf), t))
    return known + rest


def _channel_colours(channels: Sequence[str]) -> dict[str, str]:
    colours: dict[str, str] = {}
    known = _known_colours()
    extra = 0
    for channel in channels:
        if channel in known:
            colours[channel] = known[channel]
        else:
            colours[channel] = EXTRA_COLOURS[extra % len(EXTRA_COLOURS)]
            extra += 1
    return colours


def _tile(metric: str, label: str, value: str, note: str = "") -> str:
    note_html = f'<span class="note">{esc(note)}</span>' if note else ""
    return (f'<div class="tile" data-metric="{metric}"><span class="label">{esc(label)}</span>'
            f'<span class="value">{esc(value)}</span>{note_html}</div>')


def _tiles(totals: Mapping[str, Any]) -> str:
    first = as_mapping(totals.get("first_response"))
    resolution = as_mapping(totals.get("resolution"))
    targets = as_mapping(totals.get("targets"))
    met, missed = as_count(targets.get("met")), as_count(targets.get("missed"))
    tiles = [
        _tile("opened", "Opened", str(as_count(totals.get("opened")))),
        _tile("solved", "Solved", str(as_count(totals.get("solved")))),
        _tile("backlog", "Backlog", str(as_count(totals.get("backlog"))), "open at the end"),
        _tile("first-response-median", "First response, median", format_duration(first.get("median")),
              f"{as_count(first.get('count'))} first responses"),
        _tile("first-response-mean", "First response, mean", format_duration(first.get("mean"))),
        _tile("first-response-p90", "First response, p90", format_duration(first.get("p90"))),
        _tile("resolution-median", "Resolution, median", format_duration(resolution.get("median")),
              f"{as_count(resolution.get('count'))} solved"),
        _tile("targets-rate", "Targets met", format_rate(targets.get("rate")), f"{met} met, {missed} missed"),
        _tile("csat-rate", "Satisfaction (CSAT)", *_csat_tile(totals.get("csat"))),
    ]
    return '<section class="tiles" aria-label="Summary">\n' + "\n".join(tiles) + "\n</section>"


def _csat_tile(csat: object) -> tuple[str, str]:
    good, bad = csat_ratings(csat)
    return (format_rate(good / (good + bad)), f"{good} good, {bad} bad") if good + bad else (DASH, "no ratings")


def _csat_cell(csat: object) -> str:
    """A leaderboard cell: "80 % (5)", the share of good ratings and how many; an em dash for none."""
    good, bad = csat_ratings(csat)
    return f"{format_rate(good / (good + bad))} ({good + bad})" if good + bad else DASH


def _legend(items: Iterable[tuple[str, str, str, str]]) -> str:
    """(data attributes, swatch class, colour, text) per item."""
    lis = [f'<li {attrs}><span class="swatch {kind}" style="--c:{colour}"></span>{esc(text)}</li>'
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
    if sum(csat_ratings(leaderboard.get("csat"))):
        parts.append(f"CSAT {_csat_cell(leaderboard.get('csat'))}")
    caption = " · ".join(parts) or "No stint yet"
    head = ("<tr><th scope=\"col\">Name</th><th scope=\"col\">Triaged</th><th scope=\"col\">First responses</th>"
            "<th scope=\"col\">Replies</th><th scope=\"col\">Median first response</th><th scope=\"col\">Solved</th>"
            "<th scope=\"col\">Targets met</th><th scope=\"col\">CSAT</th></tr>")
    body = []
    for row in rows:
        met, missed = as_count(row.get("targets_met")), as_count(row.get("targets_missed"))
        targets = f"{met} / {met + missed}" if met + missed else "0"
        name = row.get("name") or row.get("member_id") or ""
        cells = [
            f'<th scope="row">{esc(name)}</th>',
            *(f'<td class="num">{as_count(row.get(key))}</td>' for key in ("triaged", "first_responses", "replies")),
            f'<td class="num">{esc(format_duration(row.get("median_first_response")))}</td>',
            f'<td class="num">{as_count(row.get("solved"))}</td>',
            f'<td class="num">{esc(targets)}</td>',
            f'<td class="num">{esc(_csat_cell(row.get("csat")))}</td>',
        ]
        body.append(f'<tr data-member="{esc(row.get("member_id", ""))}">{"".join(cells)}</tr>')
    if not body:
        body.append('<tr class="empty"><td colspan="8">No activity in this stint yet.</td></tr>')
    return (
        '<section class="card" aria-labelledby="leaderboard-heading">'
        '<h2 id="leaderboard-heading">Leaderboard</h2>'
        '<div class="table-scroll" id="leaderboard-scroll">'
        f'<table id="leaderboard"><caption><span>{esc(caption)}</span></caption><thead>{head}</thead>'
        f'<tbody>{"".join(body)}</tbody></table></div></section>'
    )


def _totals_table(table_id: str, title: str, keys: Sequence[str], counts: Mapping[str, Any],
                  colours: Mapping[str, str] | None = None) -> str:
    total = sum(as_count(counts.get(k)) for k in keys)
    rows = []
    for key in keys:
        value = as_count(counts.get(key))
        share = f"{round(100 * value / total)} %" if total else DASH
        swatch = f'<span class="swatch" style="--c:{colours[key]}"></span>' if colours and key in colours else ""
        rows.append(f'<tr data-key="{esc(key)}"><th scope="row">{swatch}{esc(key)}</th>'
                    f'<td class="num">{value}</td><td class="num">{share}</td></tr>')
    if not rows:
        rows.append(f'<tr class="empty"><td colspan="3">{DASH}</td></tr>')
    return (f'<table id="{table_id}" class="totals"><caption>{esc(title)}</caption>'
            '<thead><tr><th scope="col"></th><th scope="col">Tickets</th><th scope="col">Share</th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody>'
            f'<tfoot><tr><th scope="row">Total</th><td class="num">{total}</td><td></td></tr></tfoot></table>')


def render_dashboard(report: Mapping[str, Any], leaderboard: Mapping[str, Any], *, team_name: str,
                     generated_at: str, feedback: Mapping[str, Any] | None = None) -> str:
    """The whole dashboard page as one self-contained HTML5 document (no scripts, no external resources)."""
    report, leaderboard = as_mapping(report), as_mapping(leaderboard)
    totals = as_mapping(report.get("totals"))
    periods = [p for p in report.get("periods") or [] if isinstance(p, Mapping)]
    group = str(report.get("group") or "")
    targets = {str(t): s for t, v in as_mapping(report.get("target_seconds")).items()
               if (s := as_number(v)) is not None and s > 0}
    by_channel = as_mapping(report.get("by_channel"))
    channels = channel_order([str(k) for k in by_channel] +
                             [str(k) for p in periods for k in as_mapping(p.get("by_channel"))])
    colours = _channel_colours(channels)
    by_tier = as_mapping(report.get("by_tier"))
    tiers = _tier_order([str(k) for k in by_tier], targets)

    volume = volume_chart(periods, channels, colours, group)
    volume_legend = _legend((f'data-series="{esc(c)}"', "", colours[c], c) for c in channels)
    first_response, shown = first_response_chart(periods, targets, tiers, group)
    fr_items = [
        ('data-series="median"', "line", MEDIAN_COLOUR, "median"),
        ('data-series="p90"', "line", P90_COLOUR, "90th percentile"),
    ]
    for tier, seconds, drawn in shown:
        text = f"{tier} target {format_duration(seconds)}" + ("" if drawn else " (above the scale)")
        off = "" if drawn else ' class="off-scale" data-off-scale="true"'
        fr_items.append((f'data-series="target" data-tier="{esc(tier)}"{off}', "dashed", TARGET_COLOUR, text))
    fr_legend = _legend(fr_items)
    csat = csat_chart(periods, group)
    csat_legend = _legend([('data-series="good"', "", GOOD_COLOUR, "good (the share on the axis)"),
                           ('data-series="bad"', "", BAD_COLOUR, "bad")])
    csat_note = '<p class="chart-note">Over each bar: how many rated. No bar: no ratings.</p>'

    group_text = GROUP_WORDS.get(group, group) or DASH
    meta = [
        ("Period", f"{report.get('from', DASH)} to {report.get('to', DASH)}"),
        ("Grouped by", group_text),
        ("Time zone", report.get("timezone") or DASH),
        ("Generated", generated_at),
    ]
    meta_html = "".join(f"<li>{esc(k)}: <b>{esc(v)}</b></li>" for k, v in meta)
    title = f"{team_name} · Support Hero dashboard"
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="color-scheme" content="light">',
        f"<title>{esc(title)}</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        "<main>",
        f'<header><h1 id="team-name">{esc(team_name)}</h1><ul class="meta">{meta_html}</ul></header>',
        _tiles(totals),
        '<div class="charts">',
        f'<section class="card" aria-labelledby="volume-heading"><h2 id="volume-heading">Volume by channel</h2>'
        f"{volume}{volume_legend}</section>",
        '<section class="card" aria-labelledby="first-response-heading">'
        f'<h2 id="first-response-heading">First response (business time)</h2>{first_response}{fr_legend}</section>',
        '<section class="card" aria-labelledby="csat-heading">'
        f'<h2 id="csat-heading">Customer satisfaction</h2>{csat}{csat_legend}{csat_note}</section>',
        "</div>",
        _leaderboard(leaderboard),
        feedback_html(feedback) if feedback else "",
        '<section class="card" aria-labelledby="totals-heading"><h2 id="totals-heading">Totals</h2>'
        '<div class="totals-grid">'
        + _totals_table("totals-channel", "By channel", channels, by_channel, colours)
        + _totals_table("totals-tier", "By tier", tiers, by_tier)
        + "</div></section>",
        f"<footer>Support Hero · generated {esc(generated_at)}</footer>",
        "</main>",
        "</body>",
        "</html>",
        "",
    ])
