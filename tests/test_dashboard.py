"""The dashboard page: its HTML (escaping, self-containment, contents) and, in headless
Chromium, the charts as drawn: bar heights against the y axis, stacking, line points,
target lines, the leaderboard and the layout on a phone.

Every expected number below is worked out by hand from REPORT and LEADERBOARD.
"""

from __future__ import annotations

import html
import re
import struct
import zlib
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, ClassVar

import pytest

from chalicelib.web.dashboard import MARGIN_TOP, format_duration, format_rate, nice_ceiling, render_dashboard, time_step
from tests.browser import Browser, Page, chromium, serve_html

REPORT: dict[str, Any] = {
    "from": "2026-11-02",
    "to": "2026-11-29",
    "group": "week",
    "timezone": "Europe/London",
    "totals": {
        "opened": 14, "solved": 9, "first_responses": 10, "replies": 25, "backlog": 5,
        "first_response": {"count": 10, "median": 1800, "mean": 2400.0, "p90": 7200},
        "resolution": {"count": 9, "median": 14400, "mean": 20000.0, "p90": 50000},
        "targets": {"met": 8, "missed": 2, "rate": 0.8},
        "csat": {"good": 5, "bad": 2, "rated": 7, "rate": 0.7143},
    },
    # Deliberately not in display order: the page shows slack, email, github, api.
    "by_channel": {"github": 2, "slack": 7, "api": 1, "email": 4},
    "by_tier": {"community": 9, "enterprise": 3, "scale": 2},
    "target_seconds": {"enterprise": 3600, "scale": 14400, "community": 86400},
    "periods": [
        {"start": "2026-11-02", "end": "2026-11-08", "opened": 7, "solved": 3, "replies": 9, "backlog": 4,
         "by_channel": {"slack": 4, "email": 3}, "by_tier": {"enterprise": 2, "community": 5},
         "first_response": {"count": 4, "median": 1200, "mean": 1500.0, "p90": 3000},
         "resolution": {"count": 3, "median": 10800, "mean": 12000.0, "p90": 20000},
         "targets": {"met": 3, "missed": 1, "rate": 0.75},
         "csat": {"good": 3, "bad": 1, "rated": 4, "rate": 0.75}},
        {"start": "2026-11-09", "end": "2026-11-15", "opened": 4, "solved": 4, "replies": 10, "backlog": 4,
         "by_channel": {"slack": 2, "email": 1, "github": 1}, "by_tier": {"scale": 2, "community": 2},
         "first_response": {"count": 3, "median": 2400, "mean": 4000.0, "p90": 10800},
         "resolution": {"count": 4, "median": 14400, "mean": 18000.0, "p90": 40000},
         "targets": {"met": 2, "missed": 1, "rate": 2 / 3},
         "csat": {"good": 2, "bad": 0, "rated": 2, "rate": 1.0}},
        {"start": "2026-11-16", "end": "2026-11-22", "opened": 0, "solved": 1, "replies": 2, "backlog": 3,
         "by_channel": {"slack": 0}, "by_tier": {},
         "first_response": {"count": 0, "median": None, "mean": None, "p90": None},
         "resolution": {"count": 1, "median": 30000, "mean": 30000.0, "p90": 30000},
         "targets": {"met": 0, "missed": 0, "rate": None},
         "csat": {"good": 0, "bad": 0, "rated": 0, "rate": None}},
        {"start": "2026-11-23", "end": "2026-11-29", "opened": 3, "solved": 1, "replies": 4, "backlog": 5,
         "by_channel": {"slack": 1, "github": 1, "api": 1}, "by_tier": {"enterprise": 1, "community": 2},
         "first_response": {"count": 3, "median": 3000, "mean": 3200.0, "p90": 6000},
         "resolution": {"count": 1, "median": 50000, "mean": 50000.0, "p90": 50000},
         "targets": {"met": 3, "missed": 0, "rate": 1.0},
         "csat": {"good": 0, "bad": 1, "rated": 1, "rate": 0.0}},
    ],
}
LEADERBOARD: dict[str, Any] = {
    "stint": 42, "hero": "ada", "hero_name": "Ada Hero", "start": "2026-11-16", "end": "2026-11-29",
    "csat": {"good": 6, "bad": 1, "rated": 7, "rate": 0.8571},  # the whole stint's, owned or not
    "rows": [
        {"member_id": "ada", "name": "Ada Hero", "triaged": 7, "first_responses": 6, "replies": 14,
         "median_first_response": 1500, "solved": 5, "targets_met": 5, "targets_missed": 1,
         "csat": {"good": 4, "bad": 1, "rated": 5, "rate": 0.8}},
        {"member_id": "bob", "name": "Bob O'Brien", "triaged": 2, "first_responses": 3, "replies": 8,
         "median_first_response": 3900, "solved": 3, "targets_met": 3, "targets_missed": 0,
         "csat": {"good": 1, "bad": 0, "rated": 1, "rate": 1.0}},
        {"member_id": "cy", "name": "Cy Ng", "triaged": 0, "first_responses": 0, "replies": 3,
         "median_first_response": None, "solved": 1, "targets_met": 0, "targets_missed": 0,
         "csat": {"good": 0, "bad": 0, "rated": 0, "rate": None}},
    ],
}
GENERATED_AT = "2026-11-29 18:00 GMT"
CHANNELS = ["slack", "email", "github", "api"]  # the display order
PERIODS = ["2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23"]
# The non-zero (channel, period) pairs: 2 + 3 + 0 + 3 = 8 bar segments.
SEGMENTS = {
    ("slack", "2026-11-02", 4), ("email", "2026-11-02", 3),
    ("slack", "2026-11-09", 2), ("email", "2026-11-09", 1), ("github", "2026-11-09", 1),
    ("slack", "2026-11-23", 1), ("github", "2026-11-23", 1), ("api", "2026-11-23", 1),
}
VOLUME_TICKS = [0, 2, 4, 6, 8]  # period totals 7, 4, 0, 3: max 7 -> step 2 -> axis top 8
# Medians/p90s up to 10800 s; targets within 1.5 x 10800 = 16200 are drawn (enterprise 3600, scale 14400),
# community's 86400 is listed as above the scale.  Top = 14400 x 1.1 = 15840; ticks every hour.
FR_TOP = 15840
FR_TICKS = [0, 3600, 7200, 10800, 14400]
MEDIANS = {"2026-11-02": 1200, "2026-11-09": 2400, "2026-11-23": 3000}
P90S = {"2026-11-02": 3000, "2026-11-09": 10800, "2026-11-23": 6000}
LEADERBOARD_CELLS = {
    "ada": ["Ada Hero", "7", "6", "14", "25m", "5", "5 / 6", "80 % (5)"],
    "bob": ["Bob O'Brien", "2", "3", "8", "1h 05m", "3", "3 / 3", "100 % (1)"],
    "cy": ["Cy Ng", "0", "0", "3", "—", "1", "0", "—"],
}
# Satisfaction per period: 3 good 1 bad (75 %), 2 good (100 %), nobody rated (no bar), 1 bad (0 %: a bad bar).
CSAT_SEGMENTS = {
    ("good", "2026-11-02", 3), ("bad", "2026-11-02", 1), ("good", "2026-11-09", 2), ("bad", "2026-11-23", 1)}
CSAT_SHARES = {"2026-11-02": 75, "2026-11-09": 100, "2026-11-23": 0}  # the good bar's top, in %
CSAT_COUNTS = {"2026-11-02": "4", "2026-11-09": "2", "2026-11-23": "1"}


# What stint 42 turned up (shown under the leaderboard): long names wrap, nothing is clipped.
FEEDBACK: dict[str, Any] = {
    "stint": 42, "start": "2026-11-16", "end": "2026-11-29", "hero": "ada", "hero_name": "Ada Hero", "tickets": 31,
    "truncated": False,
    "tags": [{"tag": "billing", "count": 9}, {"tag": "feature-request", "count": 4}, {"tag": "bug", "count": 3},
             {"tag": "a-very-long-tag-name-that-has-to-wrap-on-a-phone", "count": 1}],
    "issues": [{"issue": "Codertocat/Hello-World#1", "url": "https://github.com/Codertocat/Hello-World/issues/1",
                "tickets": [3, 7, 12], "people": 3, "tiers": {"enterprise": 1, "community": 2}}],
    "requests": [{"number": 12, "subject": "Exports time out for workspaces with more than ten thousand projects",
                  "status": "open", "tags": ["bug"], "company": "Acme", "tier": "enterprise",
                  "created_at": "2026-11-20T10:00:00+00:00"}],
}


def page_html(report: dict[str, Any] = REPORT, leaderboard: dict[str, Any] = LEADERBOARD,
              team_name: str = "Platform Support", feedback: dict[str, Any] | None = FEEDBACK) -> str:
    return render_dashboard(report, leaderboard, team_name=team_name, generated_at=GENERATED_AT, feedback=feedback)


class Elements(HTMLParser):
    """Every element of a page: tag, attributes (unescaped), text content and its ancestors."""

    VOID: ClassVar[set[str]] = {"meta", "link", "br", "hr", "img", "input", "source", "wbr", "col", "area", "base",
                                "embed"}

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.all: list[dict[str, Any]] = []
        self._open: list[dict[str, Any]] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = {"tag": tag, "attrs": {k: v or "" for k, v in attrs}, "text": "", "parents": list(self._open)}
        self.all.append(element)
        if tag not in self.VOID:
            self._open.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID:
            self._open.pop()

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index]["tag"] == tag:
                del self._open[index:]
                break

    def handle_data(self, data: str) -> None:
        for element in self._open:
            element["text"] += data

    def find(self, tag: str | None = None, within: str | dict[str, Any] | None = None,
             **attrs: str) -> list[dict[str, Any]]:
        """Elements by tag and attributes (``class_`` for class, ``data_x`` for data-x), optionally inside
        an element given by id or as found."""
        def inside(element: dict[str, Any]) -> bool:
            if within is None:
                return True
            if isinstance(within, str):
                return any(p["attrs"].get("id") == within for p in element["parents"])
            return any(p is within for p in element["parents"])

        return [e for e in self.all
                if (tag is None or e["tag"] == tag) and inside(e)
                and all(e["attrs"].get(k.rstrip("_").replace("_", "-")) == v for k, v in attrs.items())]

    def cells(self, table_id: str) -> list[list[str]]:
        """The cells' text of each body row that has a data-key."""
        return [[c["text"] for c in self.find(within=row) if c["tag"] in ("th", "td")]
                for row in self.find("tr", within=table_id) if "data-key" in row["attrs"]]


# ---------------------------------------------------------------------------------------------- pure


def test_format_duration_and_rate() -> None:
    assert format_duration(3900) == "1h 05m"
    assert format_duration(720) == "12m"
    assert format_duration(45) == "45s"
    assert format_duration(0) == "0s"
    assert format_duration(59.6) == "1m"
    assert format_duration(86400) == "24h 00m"
    assert format_duration(None) == "—"
    assert format_rate(5 / 6) == "83 %"
    assert format_rate(1.0) == "100 %"
    assert format_rate(None) == "—"


def test_axis_steps() -> None:
    assert nice_ceiling(7) == (8, 2)
    assert nice_ceiling(5) == (5, 1)
    assert nice_ceiling(12) == (15, 5)
    assert nice_ceiling(37) == (40, 10)
    assert nice_ceiling(101) == (150, 50)
    assert nice_ceiling(0) == (0, 1)
    assert time_step(FR_TOP) == 3600
    assert time_step(600) == 120
    assert time_step(30 * 86400) == 10 * 86400


def test_page_is_self_contained() -> None:
    # The feedback card links each GitHub issue (a link the reader may follow, nothing the page loads).
    with_feedback = page_html()
    links = re.findall(r'href="([^"]*)"', with_feedback)
    assert links == ["https://github.com/Codertocat/Hello-World/issues/1"]
    assert "<script" not in with_feedback.lower() and "src=" not in with_feedback.lower()
    text = page_html(feedback=None)
    lower = text.lower()
    assert lower.startswith("<!doctype html>")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in text
    for forbidden in ("<script", "http://", "https://", "src=", "href=", "url(", "@import", "<link", "<img",
                      "<iframe", "javascript:", "@font-face"):
        assert forbidden not in lower, forbidden
    assert Elements(text).find("style"), "the styles are inline"


def test_data_strings_are_escaped() -> None:
    team = '<script>alert(1)</script> & "Co"'
    report = {**REPORT, "by_channel": {'<img src=x onerror="alert(1)">': 1},
              "periods": [{**REPORT["periods"][0], "start": '"><script>x</script>',
                           "by_channel": {'<img src=x onerror="alert(1)">': 1}}],
              "target_seconds": {"<b>gold</b>": 3600}, "timezone": "<i>tz</i>"}
    leaderboard = {**LEADERBOARD, "hero_name": "<u>Ada</u>",
                   "rows": [{**LEADERBOARD["rows"][0], "member_id": 'a" onclick="x', "name": "<b>Ada</b>"}]}
    text = render_dashboard(report, leaderboard, team_name=team, generated_at="<now>")
    lower = text.lower()
    for raw in ("<script", "<img", "<b>gold", "<u>ada", "<i>tz", "<b>ada", "<now>", 'onclick="x'):
        assert raw not in lower, raw
    assert html.escape(team) in text
    page = Elements(text)
    # The parser gives back exactly the original strings: they were escaped, not mangled or dropped.
    assert page.find("h1", id="team-name")[0]["text"] == team
    assert page.find("title")[0]["text"].startswith(team)
    assert [r["attrs"]["data-series"] for r in page.find("rect", within="chart-volume")] == [
        '<img src=x onerror="alert(1)">']
    assert page.find("rect")[0]["attrs"]["data-period"] == '"><script>x</script>'
    assert page.find("line", data_series="target")[0]["attrs"]["data-tier"] == "<b>gold</b>"
    assert page.find("tr", data_member='a" onclick="x')[0]["text"].startswith("<b>Ada</b>")
    assert "<u>Ada</u>" in page.find("caption")[0]["text"]


def test_header_tiles_and_totals() -> None:
    page = Elements(page_html())
    header = page.find("header")[0]["text"]
    for part in ("Platform Support", "2026-11-02 to 2026-11-29", "week", "Europe/London", GENERATED_AT):
        assert part in header
    tiles = {t["attrs"]["data-metric"]: t for t in page.find("div", class_="tile")}
    values = {metric: page.find("span", within=tile, class_="value")[0]["text"] for metric, tile in tiles.items()}
    assert values == {
        "opened": "14", "solved": "9", "backlog": "5",
        "first-response-median": "30m", "first-response-mean": "40m", "first-response-p90": "2h 00m",
        "resolution-median": "4h 00m", "targets-rate": "80 %", "csat-rate": "71 %",
    }
    assert "5 good, 2 bad" in tiles["csat-rate"]["text"]
    assert "8 met, 2 missed" in tiles["targets-rate"]["text"]
    assert "10 first responses" in tiles["first-response-median"]["text"]
    assert page.cells("totals-channel") == [
        ["slack", "7", "50 %"], ["email", "4", "29 %"], ["github", "2", "14 %"], ["api", "1", "7 %"]]
    assert page.cells("totals-tier") == [
        ["enterprise", "3", "21 %"], ["scale", "2", "14 %"], ["community", "9", "64 %"]]
    assert "Total14" in page.find("table", id="totals-channel")[0]["text"]


def test_chart_markup_carries_the_data() -> None:
    page = Elements(page_html())
    volume, first = page.find("svg", id="chart-volume")[0], page.find("svg", id="chart-first-response")[0]
    for svg, title in ((volume, "Volume by channel"), (first, "First response (business time)")):
        assert svg["attrs"]["viewbox"].startswith("0 0 ")
        assert svg["attrs"]["role"] == "img" and svg["attrs"]["aria-label"]
        assert svg["text"].lstrip().startswith(title)  # <title> is the first child
        assert page.find("title", within=svg)[0]["text"] == title
    rects = page.find("rect", within="chart-volume")
    assert {(r["attrs"]["data-series"], r["attrs"]["data-period"], int(r["attrs"]["data-value"])) for r in rects} \
        == SEGMENTS
    assert len(rects) == len(SEGMENTS)
    assert [t["attrs"]["data-period"] for t in page.find("text", within="chart-volume", class_="x-label")] == PERIODS
    assert [t["text"] for t in page.find("text", within="chart-volume", class_="tick")] == ["0", "2", "4", "6", "8"]
    assert "No tickets" not in volume["text"]
    legend = [li["attrs"]["data-series"] for li in page.all
              if li["tag"] == "li" and "data-series" in li["attrs"] and li["attrs"]["data-series"] in CHANNELS]
    assert legend == CHANNELS
    median = {c["attrs"]["data-period"]: int(c["attrs"]["data-value"])
              for c in page.find("circle", within="chart-first-response", data_series="median")}
    assert median == MEDIANS
    targets = {t["attrs"]["data-tier"]: int(t["attrs"]["data-value"])
               for t in page.find("line", within="chart-first-response", data_series="target")}
    assert targets == {"enterprise": 3600, "scale": 14400}
    off = page.find("li", data_tier="community")
    assert off and off[0]["attrs"].get("data-off-scale") == "true" and "24h 00m" in off[0]["text"]


def test_empty_report_says_no_tickets() -> None:
    zero_period = {"start": "2026-11-02", "end": "2026-11-08", "opened": 0, "by_channel": {"slack": 0},
                   "first_response": {"count": 0, "median": None, "mean": None, "p90": None}}
    periods = [zero_period, {**zero_period, "start": "2026-11-09"}]
    report = {**REPORT, "by_channel": {}, "by_tier": {}, "periods": periods,
              "totals": {"opened": 0, "solved": 0, "backlog": 0,
                         "first_response": {"count": 0, "median": None, "mean": None, "p90": None},
                         "resolution": {"count": 0, "median": None, "mean": None, "p90": None},
                         "targets": {"met": 0, "missed": 0, "rate": None}}}
    for text in (page_html(report, {"rows": []}), render_dashboard({}, {}, team_name="T", generated_at="now")):
        page = Elements(text)
        assert [t["text"] for t in page.find("text", within="chart-volume", class_="empty")] == [
            "No tickets in this period"]
        assert not page.find("rect", within="chart-volume")
        assert not page.find("circle", within="chart-first-response")
        assert "No activity" in page.find("table", id="leaderboard")[0]["text"]
    page = Elements(page_html(report, {"rows": []}))
    assert [t["attrs"]["data-period"] for t in page.find("text", within="chart-volume", class_="x-label")] == [
        "2026-11-02", "2026-11-09"]
    assert page.find("div", data_metric="first-response-median")[0]["text"].startswith("First response, median—")
    assert page.find("div", data_metric="targets-rate")[0]["text"].startswith("Targets met—")
    # No data: every target line is drawn, on a scale that reaches the largest one.
    assert len(page.find("line", within="chart-first-response", data_series="target")) == 3
    # No ratings: the satisfaction chart says so, and nothing reads as 0 %.
    for text in (page_html(report, {"rows": []}), render_dashboard({}, {}, team_name="T", generated_at="now")):
        page = Elements(text)
        assert [t["text"] for t in page.find("text", within="chart-csat", class_="empty")] == [
            "No ratings in this period"]
        assert not page.find("rect", within="chart-csat") and not page.find("text", within="chart-csat",
                                                                                 class_="count")
        tile = page.find("div", data_metric="csat-rate")[0]["text"]
        assert tile.startswith("Satisfaction (CSAT)—") and "no ratings" in tile


def test_csat_chart_markup_carries_the_ratings() -> None:
    page = Elements(page_html())
    svg = page.find("svg", id="chart-csat")[0]
    assert svg["attrs"]["role"] == "img" and page.find("title", within=svg)[0]["text"] == "Customer satisfaction"
    assert svg["attrs"]["aria-label"] == ("Customer satisfaction per week: share of good ratings, 5 good of 7 "
                                          "ratings in all (71 %); 1 of 4 periods without ratings")
    rects = page.find("rect", within="chart-csat")
    assert {(r["attrs"]["data-series"], r["attrs"]["data-period"], int(r["attrs"]["data-value"])) for r in rects} \
        == CSAT_SEGMENTS
    assert len(rects) == len(CSAT_SEGMENTS)  # 2026-11-16: no ratings, no bar (and no 0 % bar)
    titles = {r["attrs"]["data-period"]: page.find("title", within=r)[0]["text"] for r in rects}
    assert titles == {"2026-11-02": "2026-11-02: 75 % good (3 of 4 rated)",
                      "2026-11-09": "2026-11-09: 100 % good (2 of 2 rated)",
                      "2026-11-23": "2026-11-23: 0 % good (0 of 1 rated)"}
    counts = page.find("text", within="chart-csat", class_="count")
    assert {t["attrs"]["data-period"]: t["text"] for t in counts} == CSAT_COUNTS
    assert [t["text"] for t in page.find("text", within="chart-csat", class_="tick")] == [
        "0 %", "25 %", "50 %", "75 %", "100 %"]
    assert not page.find("text", within="chart-csat", class_="empty")
    legend = [li["attrs"]["data-series"] for li in page.find("li") if li["attrs"].get("data-series") in ("good", "bad")]
    assert legend == ["good", "bad"]
    # A stint nobody rated: no CSAT in the caption, an em dash per row.
    unrated = {**LEADERBOARD, "csat": {"good": 0, "bad": 0, "rated": 0, "rate": None},
               "rows": [{k: v for k, v in row.items() if k != "csat"} for row in LEADERBOARD["rows"]]}
    page = Elements(page_html(leaderboard=unrated))
    assert "CSAT" not in page.find("caption")[0]["text"]
    assert [page.find("td", within=row)[-1]["text"] for row in page.find("tr", within="leaderboard")
            if "data-member" in row["attrs"]] == ["—", "—", "—"]


def test_csat_counts_are_left_to_the_titles_when_they_do_not_fit() -> None:
    from chalicelib.web.charts import csat_chart

    days = [{"start": f"2026-11-{d:02d}", "csat": {"good": 9, "bad": 0}} for d in range(1, 29)]
    one_digit = Elements(csat_chart(days, "day"))
    assert len(one_digit.find("text", class_="count")) == 28  # 9: fits a day's bar
    days[5]["csat"] = {"good": 10, "bad": 2}
    two_digits = Elements(csat_chart(days, "day"))
    assert not two_digits.find("text", class_="count")  # 12 would not: none shown, rather than some
    assert "2026-11-06: 83 % good (10 of 12 rated)" in [t["text"] for t in two_digits.find("title")]
    assert len(Elements(csat_chart(days[:7], "day")).find("text", class_="count")) == 7  # a week's bars are wide


# ---------------------------------------------------------------------------------------------- browser


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    empty = {**REPORT, "by_channel": {}, "periods": [{"start": "2026-11-02", "by_channel": {}}]}
    with serve_html({"/": page_html(), "/empty": page_html(empty, {"rows": []})}) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as running:
        yield running


@pytest.fixture(scope="module")
def desktop(browser: Browser, site: str) -> Page:
    page = browser.new_page(1280, 900)
    page.goto(site + "/")
    return page


def _scale(grid: list[dict[str, float]]) -> tuple[float, float]:
    """(y of 0, pixels per unit) read from the gridlines, checking that they are evenly spaced."""
    y0 = next(g["y"] for g in grid if g["value"] == 0)
    top = max(grid, key=lambda g: g["value"])
    per_unit = (y0 - top["y"]) / top["value"]
    assert per_unit > 0
    for g in grid:
        assert g["y"] == pytest.approx(y0 - g["value"] * per_unit, abs=0.05)
    return y0, per_unit


def test_volume_bars_are_drawn_to_scale(desktop: Page) -> None:
    chart = desktop.evaluate("""(() => {
      const svg = document.getElementById('chart-volume');
      const box = svg.getBoundingClientRect();
      return {
        width: box.width, height: box.height,
        grid: [...svg.querySelectorAll('line.grid')].map(l => ({value: +l.dataset.value,
                                                                 y: l.getBBox().y})),
        ticks: [...svg.querySelectorAll('text.tick')].map(t => +t.dataset.value),
        rects: [...svg.querySelectorAll('rect')].map(r => {
          const b = r.getBBox(), s = getComputedStyle(r);
          return {series: r.dataset.series, period: r.dataset.period, value: +r.dataset.value,
                  x: b.x, y: b.y, width: b.width, height: b.height, fill: s.fill, shown: s.display !== 'none'};
        }),
        labels: [...svg.querySelectorAll('text.x-label')].map(t => {
          const b = t.getBBox(); return {period: t.dataset.period, centre: b.x + b.width / 2, width: b.width};
        }),
      };
    })()""")
    assert chart["width"] > 400 and chart["height"] > 200
    assert sorted(g["value"] for g in chart["grid"]) == VOLUME_TICKS
    assert sorted(chart["ticks"]) == VOLUME_TICKS
    y0, per_unit = _scale(chart["grid"])
    assert y0 - VOLUME_TICKS[-1] * per_unit == pytest.approx(MARGIN_TOP, abs=0.05)  # the top tick tops the plot
    rects = chart["rects"]
    assert len(rects) == len(SEGMENTS)
    assert {(r["series"], r["period"], r["value"]) for r in rects} == SEGMENTS
    for rect in rects:
        assert rect["shown"] and rect["width"] > 10
        assert rect["height"] == pytest.approx(rect["value"] * per_unit, abs=0.05), rect
    # One colour per channel, the same in every bar.
    fills = {r["series"]: r["fill"] for r in rects}
    assert len(set(fills.values())) == len(fills) == len(CHANNELS)
    assert all(r["fill"] == fills[r["series"]] for r in rects)
    labels = {label["period"]: label for label in chart["labels"]}
    assert list(labels) == PERIODS and all(label["width"] > 0 for label in labels.values())
    bar_x = []
    for period in PERIODS:
        segments = sorted((r for r in rects if r["period"] == period), key=lambda r: CHANNELS.index(r["series"]))
        if not segments:
            assert period == "2026-11-16"
            continue
        bottom = y0
        for segment in segments:  # stacked from the axis up, in channel order, without gaps or overlaps
            assert segment["y"] + segment["height"] == pytest.approx(bottom, abs=0.05), segment
            assert segment["x"] == pytest.approx(segments[0]["x"]) and segment["width"] == pytest.approx(
                segments[0]["width"])
            bottom = segment["y"]
        total = sum(s["value"] for s in segments)
        assert bottom == pytest.approx(y0 - total * per_unit, abs=0.1)
        centre = segments[0]["x"] + segments[0]["width"] / 2
        assert centre == pytest.approx(labels[period]["centre"], abs=1.0)
        bar_x.append(centre)
    assert bar_x == sorted(bar_x)  # periods left to right


def test_first_response_chart_is_drawn_to_scale(desktop: Page) -> None:
    chart = desktop.evaluate("""(() => {
      const svg = document.getElementById('chart-first-response');
      const centre = b => [b.x + b.width / 2, b.y + b.height / 2];
      return {
        grid: [...svg.querySelectorAll('line.grid')].map(l => ({value: +l.dataset.value,
                                                                 y: l.getBBox().y})),
        yMax: +svg.dataset.yMax,
        ticks: [...svg.querySelectorAll('text.tick')].map(t => [+t.dataset.value, t.textContent]),
        points: [...svg.querySelectorAll('circle')].map(c => {
          const [x, y] = centre(c.getBBox());
          return {series: c.dataset.series, period: c.dataset.period, value: +c.dataset.value, x, y};
        }),
        lines: [...svg.querySelectorAll('polyline')].map(p => ({
          series: p.dataset.series, points: [...p.points].map(pt => [pt.x, pt.y])})),
        targets: [...svg.querySelectorAll('line[data-series="target"]')].map(l => {
          const b = l.getBBox();
          return {tier: l.dataset.tier, value: +l.dataset.value, y: b.y, height: b.height, width: b.width,
                  dash: getComputedStyle(l).strokeDasharray};
        }),
        targetLabels: [...svg.querySelectorAll('text.target-label')].map(t => [t.dataset.tier, t.textContent]),
        legend: [...svg.parentElement.querySelectorAll('.legend li')].map(li => ({
          series: li.dataset.series, tier: li.dataset.tier || null, off: li.dataset.offScale === 'true',
          text: li.textContent})),
      };
    })()""")
    assert chart["yMax"] == FR_TOP
    assert chart["ticks"] == [[0, "0"], [3600, "1h"], [7200, "2h"], [10800, "3h"], [14400, "4h"]]
    y0, per_unit = _scale(chart["grid"])
    series = {
        name: {p["period"]: p for p in chart["points"] if p["series"] == name} for name in ("median", "p90")
    }
    assert {k: v["value"] for k, v in series["median"].items()} == MEDIANS
    assert {k: v["value"] for k, v in series["p90"].items()} == P90S
    assert len(chart["points"]) == len(MEDIANS) + len(P90S)  # nothing for the week without first responses
    for point in chart["points"]:
        assert point["y"] == pytest.approx(y0 - point["value"] * per_unit, abs=0.05), point
    # Higher median, higher on the page (smaller y).
    by_value = sorted(series["median"].values(), key=lambda p: p["value"])
    assert [p["y"] for p in by_value] == sorted((p["y"] for p in by_value), reverse=True)
    assert len({p["y"] for p in by_value}) == len(by_value)
    # Points in period order, left to right; the line breaks at the empty week, so 11-23 stands alone.
    for name, points in series.items():
        xs = [points[p]["x"] for p in PERIODS if p in points]
        assert xs == sorted(xs) and len(set(xs)) == len(xs)
        lines = [line["points"] for line in chart["lines"] if line["series"] == name]
        expected = [[points[p]["x"], points[p]["y"]] for p in ("2026-11-02", "2026-11-09")]
        assert len(lines) == 1 and len(lines[0]) == 2, lines
        for got, want in zip(lines[0], expected, strict=True):
            assert got == pytest.approx(want, abs=0.05)
    targets = {t["tier"]: t for t in chart["targets"]}
    assert set(targets) == {"enterprise", "scale"}
    for target in targets.values():
        assert target["height"] == pytest.approx(0, abs=0.01) and target["width"] > 300  # horizontal, full width
        assert target["y"] == pytest.approx(y0 - target["value"] * per_unit, abs=0.05), target
        assert target["dash"] not in ("", "none")
    assert targets["enterprise"]["value"] == 3600 and targets["scale"]["value"] == 14400
    assert targets["scale"]["y"] < targets["enterprise"]["y"]
    assert dict(chart["targetLabels"]) == {"enterprise": "enterprise 1h 00m", "scale": "scale 4h 00m"}
    off_scale = [item for item in chart["legend"] if item["off"]]
    assert [(i["tier"], i["text"]) for i in off_scale] == [("community", "community target 24h 00m (above the scale)")]
    # The axis runs up to 1.1 x the largest drawn value (the scale target) at the top of the plot area.
    assert y0 - FR_TOP * per_unit == pytest.approx(MARGIN_TOP, abs=0.05)


def test_csat_chart_is_drawn_to_scale(desktop: Page) -> None:
    chart = desktop.evaluate("""(() => {
      const svg = document.getElementById('chart-csat');
      return {
        grid: [...svg.querySelectorAll('line.grid')].map(l => ({value: +l.dataset.value, y: l.getBBox().y})),
        rects: [...svg.querySelectorAll('rect')].map(r => {
          const b = r.getBBox();
          return {series: r.dataset.series, period: r.dataset.period, x: b.x, y: b.y, width: b.width,
                  height: b.height, fill: getComputedStyle(r).fill};
        }),
        counts: [...svg.querySelectorAll('text.count')].map(t => {
          const b = t.getBBox(); return {period: t.dataset.period, text: t.textContent, centre: b.x + b.width / 2,
                                         bottom: b.y + b.height, width: b.width};
        }),
        labels: [...svg.querySelectorAll('text.x-label')].map(t => {
          const b = t.getBBox(); return {period: t.dataset.period, centre: b.x + b.width / 2};
        }),
      };
    })()""")
    assert sorted(g["value"] for g in chart["grid"]) == [0, 25, 50, 75, 100]
    y0, per_unit = _scale(chart["grid"])
    top = y0 - 100 * per_unit
    assert top == pytest.approx(MARGIN_TOP, abs=0.05)
    bars: dict[str, dict[str, Any]] = {}
    for rect in chart["rects"]:
        bars.setdefault(rect["period"], {})[rect["series"]] = rect
    assert set(bars) == set(CSAT_SHARES)  # 2026-11-16 was not rated: a gap
    labels = {label["period"]: label["centre"] for label in chart["labels"]}
    for period, share in CSAT_SHARES.items():
        good, bad = bars[period].get("good"), bars[period].get("bad")
        if good:  # the good part stands on the axis, as tall as the share
            assert good["y"] + good["height"] == pytest.approx(y0, abs=0.05)
            assert good["height"] == pytest.approx(share * per_unit, abs=0.05), period
        if bad:  # the bad part sits on it, up to 100 %
            assert bad["y"] == pytest.approx(top, abs=0.05)
            assert bad["y"] + bad["height"] == pytest.approx(y0 - share * per_unit, abs=0.05), period
        assert (good is None) == (share == 0) and (bad is None) == (share == 100)
        some = good or bad
        assert some is not None and some["x"] + some["width"] / 2 == pytest.approx(labels[period], abs=1.0)
    fills = {r["series"]: r["fill"] for r in chart["rects"]}
    assert len(set(fills.values())) == 2 and all(r["fill"] == fills[r["series"]] for r in chart["rects"])
    counts = {c["period"]: c for c in chart["counts"]}
    assert {p: c["text"] for p, c in counts.items()} == CSAT_COUNTS
    for period, count in counts.items():  # over its bar, clear of it
        assert count["centre"] == pytest.approx(labels[period], abs=1.0) and count["width"] > 0
        assert count["bottom"] <= top + 0.5


def test_leaderboard_rows(desktop: Page) -> None:
    table = desktop.evaluate("""(() => {
      const table = document.getElementById('leaderboard');
      const scroll = table.parentElement;
      return {
        caption: table.caption.textContent,
        head: [...table.tHead.rows[0].cells].map(c => c.textContent),
        rows: [...table.tBodies[0].rows].map(tr => ({member: tr.dataset.member,
                                                      cells: [...tr.cells].map(c => c.textContent.trim())})),
        overflows: scroll.scrollWidth > scroll.clientWidth,
      };
    })()""")
    assert table["caption"] == "Stint 42 · hero Ada Hero · 2026-11-16 to 2026-11-29 · CSAT 86 % (7)"
    assert table["head"] == ["Name", "Triaged", "First responses", "Replies", "Median first response", "Solved",
                             "Targets met", "CSAT"]
    assert {row["member"]: row["cells"] for row in table["rows"]} == LEADERBOARD_CELLS
    assert [row["member"] for row in table["rows"]] == ["ada", "bob", "cy"]
    assert not table["overflows"]  # on a laptop the whole table fits


def test_phone_layout_has_no_horizontal_overflow(browser: Browser, site: str, tmp_path: Path) -> None:
    phone = browser.new_page(390, 844, mobile=True)
    phone.goto(site + "/")
    layout = phone.evaluate("""(() => {
      const scroll = document.getElementById('leaderboard').parentElement;
      const before = scroll.scrollLeft;
      scroll.scrollLeft = 120;
      return {
        innerWidth, docWidth: document.documentElement.scrollWidth, bodyWidth: document.body.scrollWidth,
        overflowX: getComputedStyle(scroll).overflowX, tableScroll: [scroll.scrollWidth, scroll.clientWidth],
        scrolled: [before, scroll.scrollLeft],
        charts: [...document.querySelectorAll('svg.chart')].map(s => {
          const b = s.getBoundingClientRect(); return [b.left, b.right, b.width];
        }),
        tiles: [...document.querySelectorAll('.tile')].map(t => t.getBoundingClientRect().right),
        caption: document.querySelector('#leaderboard caption span').getBoundingClientRect().right,
        fontSize: parseFloat(getComputedStyle(document.body).fontSize),
      };
    })()""")
    assert layout["innerWidth"] == 390  # the viewport meta tag is honoured, not a 980 px desktop layout
    assert layout["docWidth"] <= layout["innerWidth"] and layout["bodyWidth"] <= layout["innerWidth"], layout
    assert layout["overflowX"] in ("auto", "scroll")
    scroll_width, client_width = layout["tableScroll"]
    assert scroll_width > client_width  # the leaderboard scrolls inside its box instead
    assert layout["scrolled"][0] == 0 and layout["scrolled"][1] > 0
    assert len(layout["charts"]) == 3
    for left, right, width in layout["charts"]:
        assert left >= 0 and right <= 390 and width > 300  # scaled to the phone, not cut off
    assert max(layout["tiles"]) <= 390
    assert 0 < layout["caption"] <= 390  # the stint caption wraps in view rather than scrolling away
    assert layout["fontSize"] >= 14
    phone.screenshot(tmp_path / "phone.png", full_page=True)


def _png_pixels(path: Path) -> tuple[int, int, bytes]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    chunks, offset = [], 8
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset:offset + 8])
        if kind == b"IDAT":
            chunks.append(data[offset + 8:offset + 8 + length])
        offset += 12 + length
    return width, height, zlib.decompress(b"".join(chunks))


def test_screenshot_is_not_blank(desktop: Page, tmp_path: Path) -> None:
    shot = desktop.screenshot(tmp_path / "dashboard.png")
    width, height, raw = _png_pixels(shot)
    assert (width, height) == (1280, 900)
    assert len(set(raw)) > 64  # text, bars and lines: far from a blank or one-colour page


def test_page_loads_nothing_else(browser: Browser, site: str) -> None:
    page = browser.new_page(1280, 900)
    page.goto(site + "/")
    assert page.requested_urls() == [site + "/"]


def test_empty_chart_message_is_visible(browser: Browser, site: str) -> None:
    page = browser.new_page(1280, 900)
    page.goto(site + "/empty")
    message = page.evaluate("""(() => {
      const svg = document.getElementById('chart-volume');
      const text = svg.querySelector('text.empty'), b = text.getBBox(), view = svg.viewBox.baseVal;
      return {text: text.textContent, rects: svg.querySelectorAll('rect').length, box: [b.x, b.y, b.width, b.height],
              view: [view.width, view.height]};
    })()""")
    assert message["text"] == "No tickets in this period" and message["rects"] == 0
    x, y, w, h = message["box"]
    assert w > 100 and h > 0 and x >= 0 and y >= 0 and x + w <= message["view"][0] and y + h <= message["view"][1]


@pytest.mark.parametrize("path", ["/", "/empty"])
def test_every_label_sits_inside_its_chart(browser: Browser, site: str, path: str) -> None:
    """No tick or target label is clipped by the viewBox (with no data every target is drawn, up to 24 h)."""
    page = browser.new_page(1280, 900)
    page.goto(site + path)
    outside = page.evaluate("""(() => {
      const out = [];
      for (const svg of document.querySelectorAll('svg.chart')) {
        const view = svg.viewBox.baseVal;
        for (const t of svg.querySelectorAll('text')) {
          const b = t.getBBox();
          if (b.x < 0 || b.y < 0 || b.x + b.width > view.width + 0.5 || b.y + b.height > view.height + 0.5)
            out.push([svg.id, t.textContent, b.x, b.width]);
        }
      }
      return out;
    })()""")
    assert outside == []
