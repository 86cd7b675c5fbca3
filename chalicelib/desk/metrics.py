"""The analytics' figures, pure: what a ticket change adds to the daily aggregates (:func:`changes_for`,
:func:`rating_changes`, :class:`Deltas`), duration histograms, and the sums a report is made of (:class:`Bucket`).

Reading and writing the aggregate items (``MetricItem``) is :mod:`chalicelib.desk.metrics_store`'s;
reports and the leaderboard are :mod:`chalicelib.desk.analytics`'.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from chalicelib.desk import sla
from chalicelib.desk.calendar import BusinessCalendar
from chalicelib.desk.directory import TeamSettings
from chalicelib.models.metrics import COUNTERS, DURATIONS
from chalicelib.models.tickets import Ticket

UNSOLVED = ("new", "open", "pending")
DONE = ("solved", "closed")
TOTAL_PARTITION, BACKLOG_KEY = "TOTAL", "backlog"
NOT_PEOPLE = frozenset({"rotation", "system"})
RATINGS = ("good", "bad")  # a ticket's satisfaction rating (``Ticket.csat``)


@dataclass(frozen=True)
class Snapshot:
    """What :func:`changes_for` needs of a ticket before a change."""

    status: str | None
    first_response_at: dt.datetime | None
    due_kind: str | None
    due_at: dt.datetime | None
    triaged_by: frozenset[str]

    @classmethod
    def of(cls, ticket: Ticket) -> Snapshot:
        return cls(ticket.status, ticket.first_response_at, ticket.due_kind, ticket.due_at,
                   frozenset(ticket.triaged_by or ()))


@dataclass(frozen=True)
class Response:
    """An agent's message in this change: who answered, when."""

    author: str | None
    at: dt.datetime


@dataclass
class Delta:
    """Increments of one aggregate item."""

    month: str
    key: str
    counts: dict[str, int] = field(default_factory=dict)
    durations: dict[str, list[int]] = field(default_factory=dict)

    def add(self, name: str, n: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n

    def append(self, name: str, seconds: float) -> None:
        self.durations.setdefault(name, []).append(round(seconds))


class Deltas:
    """Increments keyed by item (a transaction may touch each item once)."""

    def __init__(self, calendar: BusinessCalendar) -> None:
        self.calendar = calendar
        self.items: dict[tuple[str, str], Delta] = {}

    def _item(self, month: str, key: str) -> Delta:
        return self.items.setdefault((month, key), Delta(month, key))

    def day_item(self, at: dt.datetime, dim: str) -> Delta:
        day = self.calendar.local_date(at)
        self._item(rollup_partition(day.year), day.isoformat()).add("writes")  # the day's summary is now stale
        return self._item(day.strftime("%Y-%m"), f"{day.isoformat()}#{dim}")

    def backlog(self, n: int) -> None:
        if n:
            self._item(TOTAL_PARTITION, BACKLOG_KEY).add("value", n)

    def merge(self, other: Deltas) -> None:
        for d in other:
            item = self._item(d.month, d.key)
            for name, n in d.counts.items():
                item.add(name, n)
            for name, values in d.durations.items():
                item.durations.setdefault(name, []).extend(values)

    def __iter__(self) -> Iterator[Delta]:
        return iter(self.items.values())

    def __bool__(self) -> bool:
        return bool(self.items)


DAY_HISTOGRAMS = "hist#day"  # a rolled-up day's durations, all channels and tiers together


def rollup_partition(year: int) -> str:
    """Where a year's daily rollup items live (sort key: the date)."""
    return f"ROLLUP#{year}"


def cell(ticket: Ticket) -> str:
    return f"cell#{ticket.channel or 'unknown'}#{ticket.tier or 'community'}"


def business_seconds(calendar: BusinessCalendar, start: dt.datetime, end: dt.datetime) -> float:
    return calendar.business_duration(start, end).total_seconds()


def changes_for(before: Snapshot | None, after: Ticket, *, settings: TeamSettings, at: dt.datetime,
                responses: Sequence[Response] = (), actor: str | None = None, triage: bool = False) -> Deltas:
    """The aggregate increments of one change of ``after`` (``before`` None: it was just opened)."""
    calendar = settings.calendar()
    out = Deltas(calendar)
    if after.kind != "ticket" or after.created_at is None:
        return out
    where = cell(after)
    if before is None:
        out.day_item(after.created_at, where).add("opened")
    for r in responses:
        out.day_item(r.at, where).add("replies")
        if r.author and r.author not in NOT_PEOPLE:
            out.day_item(r.at, f"agent#{r.author}").add("replies")
    # The first response: when first_response_at appears.
    first_before = before.first_response_at if before else None
    if first_before is None and after.first_response_at is not None:
        took = business_seconds(calendar, after.created_at, after.first_response_at)
        met = sla.first_response_met(after.created_at, after.first_response_at, after.tier, settings, calendar)
        who = next((r.author for r in responses if r.at == after.first_response_at), None) or after.assignee
        targets = [out.day_item(after.first_response_at, where)]
        if who and who not in NOT_PEOPLE:
            targets.append(out.day_item(after.first_response_at, f"agent#{who}"))
        for d in targets:
            d.add("first_responses")
            d.append("frt", took)
            d.add("first_met" if met else "first_missed")
    # A next response: an answer that ends a running "next" target.
    if (before is not None and before.due_kind == "next" and before.due_at is not None and responses
            and after.due_kind != "next"):
        answer = min(responses, key=lambda r: r.at)
        met = answer.at <= before.due_at
        for dim in (where, f"agent#{answer.author}" if answer.author and answer.author not in NOT_PEOPLE else None):
            if dim:
                out.day_item(answer.at, dim).add("next_met" if met else "next_missed")
    # Status: the backlog is every ticket not solved or closed.
    was, now = (before.status if before else None), after.status
    if before is None and now in UNSOLVED:
        out.backlog(1)
        out.day_item(after.created_at, where).add("backlog_delta")
    elif was in UNSOLVED and now in DONE:
        out.backlog(-1)
        change = out.day_item(at, where)
        change.add("backlog_delta", -1)
        if now == "solved":
            change.add("solved")
            change.append("resolution", business_seconds(calendar, after.created_at, at))
            if actor and actor not in NOT_PEOPLE:
                out.day_item(at, f"agent#{actor}").add("solved")
        else:
            change.add("closed")
    elif was in DONE and now in UNSOLVED:
        out.backlog(1)
        change = out.day_item(at, where)
        change.add("backlog_delta")
        change.add("reopened")
    if triage and actor and actor not in NOT_PEOPLE and (before is None or actor not in before.triaged_by):
        out.day_item(at, f"agent#{actor}").add("triaged")
    return out


def rating_changes(ticket: Ticket, rating: str, at: dt.datetime, settings: TeamSettings) -> Deltas:
    """The increments of one satisfaction rating: ``csat_good`` or ``csat_bad`` on the team-local day of ``at``,
    in the ticket's channel x tier cell and, when ``ticket.csat_owner`` is a person, in that agent's.

    Written in the transaction that records the rating on the ticket, as :func:`changes_for`'s are; the
    rebuild replays the stored rating (``csat``, ``csat_at``, ``csat_owner``) through this same function.
    One rating per ticket is counted: this adds, it never takes an earlier rating back.
    """
    if rating not in RATINGS:
        raise ValueError(f"a rating is one of {', '.join(RATINGS)}, not {rating!r}")
    out = Deltas(settings.calendar())
    if ticket.kind != "ticket" or ticket.created_at is None:  # as changes_for: only tickets count
        return out
    name = f"csat_{rating}"
    out.day_item(at, cell(ticket)).add(name)
    owner = ticket.csat_owner
    if owner and owner not in NOT_PEOPLE:
        out.day_item(at, f"agent#{owner}").add(name)
    return out


# Durations are kept as histograms, so an item's size does not grow with the number of tickets:
# to the second under 2 minutes, to the minute under 24 hours, to 1 % beyond; sums (so means) exact.
EXACT_SECONDS, MINUTE_LIMIT, LOG_BASE, LOG_STEP = 120, 86400, 2000, 1.01


def bucket_of(seconds: float) -> int:
    s = max(0.0, seconds)
    if s < EXACT_SECONDS - 0.5:
        return round(s)
    if s < MINUTE_LIMIT:
        return EXACT_SECONDS + round(s / 60) - 2
    return LOG_BASE + int(math.log(s / MINUTE_LIMIT) / math.log(LOG_STEP))


def bucket_value(index: int) -> float:
    """The duration a bucket stands for (exact below 2 minutes, the minute below 24 hours)."""
    if index < EXACT_SECONDS:
        return float(index)
    if index < LOG_BASE:
        return float((index - EXACT_SECONDS + 2) * 60)
    return round(float(MINUTE_LIMIT * LOG_STEP ** (index - LOG_BASE + 0.5)), 1)


# -- reading -----------------------------------------------------------------------------------
@dataclass
class Histogram:
    """Counts per duration bucket, and the exact sum of the durations."""

    buckets: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    total: float = 0.0

    def merge(self, other: Histogram) -> None:
        for b, n in other.buckets.items():
            self.buckets[b] += n
        self.total += other.total

    def summary(self) -> dict[str, Any]:
        """count, median, mean and 90th percentile (nearest rank); None without values."""
        n = sum(self.buckets.values())
        if not n:
            return {"count": 0, "median": None, "mean": None, "p90": None}
        order = sorted(self.buckets.items())

        def nth(rank: int) -> float:  # the rank-th smallest value, 1-based
            seen = 0
            for b, count in order:
                seen += count
                if seen >= rank:
                    return bucket_value(b)
            raise AssertionError("rank beyond the count")

        median = nth(n // 2 + 1) if n % 2 else (nth(n // 2) + nth(n // 2 + 1)) / 2
        return {"count": n, "median": median, "mean": round(self.total / n, 1), "p90": nth(math.ceil(0.9 * n))}


def read_item(raw: dict[str, Any]) -> tuple[dict[str, int], dict[str, Histogram]]:
    """A stored aggregate (DynamoDB JSON) as counters and histograms."""
    counts: dict[str, int] = {}
    hists: dict[str, Histogram] = {name: Histogram() for name in DURATIONS}
    for attr, value in raw.items():
        if "N" not in value:
            continue
        number = float(value["N"])
        if attr in COUNTERS or attr == "value":
            counts[attr] = int(number)
            continue
        name, _, suffix = attr.rpartition("_")
        if name in hists:
            if suffix == "sum":
                hists[name].total += number
            elif suffix.isdigit():
                hists[name].buckets[int(suffix)] += int(number)
    return counts, hists


def _rate(met: int, missed: int) -> float | None:
    return round(met / (met + missed), 4) if met + missed else None


def csat_figures(good: int, bad: int) -> dict[str, Any]:
    """Satisfaction as the answers show it: counts, and the share of good ratings (None: nothing rated)."""
    return {"good": good, "bad": bad, "rated": good + bad, "rate": _rate(good, bad)}


@dataclass
class Bucket:
    """The sum of some aggregate items."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    durations: dict[str, Histogram] = field(default_factory=lambda: {d: Histogram() for d in DURATIONS})
    by_channel: dict[str, int] = field(default_factory=dict)
    by_tier: dict[str, int] = field(default_factory=dict)
    csat_by_channel: dict[str, tuple[int, int]] = field(default_factory=dict)  # (good, bad)
    csat_by_tier: dict[str, tuple[int, int]] = field(default_factory=dict)

    def add(self, counts: dict[str, int], hists: dict[str, Histogram], channel: str | None = None,
            tier: str | None = None) -> None:
        for name in COUNTERS:
            self.counts[name] += counts.get(name, 0)
        for name in DURATIONS:
            self.durations[name].merge(hists[name])
        opened = counts.get("opened", 0)
        if channel is not None and opened:
            self.by_channel[channel] = self.by_channel.get(channel, 0) + opened
        if tier is not None and opened:
            self.by_tier[tier] = self.by_tier.get(tier, 0) + opened
        good, bad = counts.get("csat_good", 0), counts.get("csat_bad", 0)
        if good or bad:
            for key, ratings in ((channel, self.csat_by_channel), (tier, self.csat_by_tier)):
                if key is not None:
                    g, b = ratings.get(key, (0, 0))
                    ratings[key] = (g + good, b + bad)

    def figures(self) -> dict[str, Any]:
        c = self.counts
        met, missed = c["first_met"] + c["next_met"], c["first_missed"] + c["next_missed"]
        return {
            "opened": c["opened"], "solved": c["solved"], "reopened": c["reopened"], "replies": c["replies"],
            "first_responses": c["first_responses"],
            "first_response": self.durations["frt"].summary(),
            "resolution": self.durations["resolution"].summary(),
            "targets": {"met": met, "missed": missed, "rate": _rate(met, missed),
                        "first": {"met": c["first_met"], "missed": c["first_missed"],
                                  "rate": _rate(c["first_met"], c["first_missed"])},
                        "next": {"met": c["next_met"], "missed": c["next_missed"],
                                 "rate": _rate(c["next_met"], c["next_missed"])}},
            "by_channel": dict(sorted(self.by_channel.items())), "by_tier": dict(sorted(self.by_tier.items())),
            "csat": self.csat(),
            "csat_by_channel": {k: csat_figures(*v) for k, v in sorted(self.csat_by_channel.items())},
            "csat_by_tier": {k: csat_figures(*v) for k, v in sorted(self.csat_by_tier.items())},
        }

    def csat(self) -> dict[str, Any]:
        return csat_figures(self.counts["csat_good"], self.counts["csat_bad"])


def months_between(first: dt.date, last: dt.date) -> list[str]:
    out, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def runs(days: list[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Consecutive days as (first, last) runs: one Query per run and month."""
    runs: list[tuple[dt.date, dt.date]] = []
    for day in sorted(days):
        if runs and day == runs[-1][1] + dt.timedelta(days=1):
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def encode_summary(dims: dict[str, tuple[dict[str, int], dict[str, Histogram]]]) -> str:
    return json.dumps({dim: {"c": {k: v for k, v in counts.items() if v},
                             "h": {name: [h.total, [[b, n] for b, n in sorted(h.buckets.items()) if n]]
                                   for name, h in hists.items() if h.buckets}}
                       for dim, (counts, hists) in dims.items()}, separators=(",", ":"), sort_keys=True)


def decode_summary(text: str) -> dict[str, tuple[dict[str, int], dict[str, Histogram]]]:
    out = {}
    for dim, data in json.loads(text).items():
        hists = {name: Histogram() for name in DURATIONS}
        for name, (total, pairs) in data.get("h", {}).items():
            hists[name].total = float(total)
            hists[name].buckets.update(pairs)
        out[dim] = (dict(data.get("c", {})), hists)
    return out


