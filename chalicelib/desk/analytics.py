"""Analytics: daily aggregates kept as tickets change, and the figures read from them.

**Writing.** Every change that moves a figure (a ticket opens, an agent answers, a
triage change solves or reopens it) already runs as one DynamoDB transaction
conditioned on the ticket (it does not exist yet, or its version / the message's key
is unchanged).  :func:`changes_for` turns the ticket's state before and after into
increments of a few aggregate items, and :func:`add_to_transaction` writes them *in
that same transaction*: a retried or redelivered event either finds its condition
failed and counts nothing, or counts exactly once.  No extra request per event.

**Reading.** A period of N days reads the aggregates of those days (one Query per
month touched), whatever the number of tickets: :class:`Analytics`.

**Rebuilding.** ``python -m chalicelib.cli rebuild-metrics`` replays every ticket's
conversation and audit trail through the same :func:`changes_for` and rewrites the
aggregates (under the current calendar and targets).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from chalicelib.desk import sla
from chalicelib.desk.calendar import BusinessCalendar
from chalicelib.desk.directory import Directory, TeamSettings
from chalicelib.models.metrics import COUNTERS, DURATIONS, MetricItem
from chalicelib.models.tickets import Ticket

UNSOLVED = ("new", "open", "pending")
DONE = ("solved", "closed")
TOTAL_PARTITION, BACKLOG_KEY = "TOTAL", "backlog"
NOT_PEOPLE = frozenset({"rotation", "system"})


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


def update_actions(delta: Delta) -> list[Any]:
    """ADDs only: commutative, so concurrent transactions on one day's item never conflict."""
    from pynamodb.expressions.operand import Path

    actions: list[Any] = []
    for name, n in delta.counts.items():
        actions.append(getattr(MetricItem, name).add(n))
    for name, values in delta.durations.items():
        buckets: dict[int, int] = defaultdict(int)
        for v in values:
            buckets[bucket_of(v)] += 1
        actions.append(Path(f"{name}_sum").add({"N": str(sum(values))}))
        actions.extend(Path(f"{name}_{b}").add({"N": str(n)}) for b, n in sorted(buckets.items()))
    return actions


def add_to_transaction(tx: Any, deltas: Deltas) -> None:
    """Write the increments in the caller's transaction (exactly once with the change itself)."""
    for delta in deltas:
        tx.update(MetricItem(delta.month, delta.key), actions=update_actions(delta))


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


def raw_items(month: str, first: str | None = None, last: str | None = None, *,
              consistent: bool = False) -> Iterator[dict[str, Any]]:
    """Every aggregate of a month partition (between two days), as DynamoDB JSON: paged Queries."""
    connection = MetricItem._get_connection()
    condition = MetricItem.key.between(f"{first}#", f"{last}#~") if first and last else None
    start: dict[str, Any] | None = None
    while True:
        page = connection.query(month, range_key_condition=condition, exclusive_start_key=start,
                                consistent_read=consistent)
        yield from page.get("Items", [])
        start = page.get("LastEvaluatedKey")
        if not start:
            return


def _rate(met: int, missed: int) -> float | None:
    return round(met / (met + missed), 4) if met + missed else None


@dataclass
class Bucket:
    """The sum of some aggregate items."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    durations: dict[str, Histogram] = field(default_factory=lambda: {d: Histogram() for d in DURATIONS})
    by_channel: dict[str, int] = field(default_factory=dict)
    by_tier: dict[str, int] = field(default_factory=dict)

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
        }


def months_between(first: dt.date, last: dt.date) -> list[str]:
    out, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _runs(days: list[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Consecutive days as (first, last) runs: one Query per run and month."""
    runs: list[tuple[dt.date, dt.date]] = []
    for day in sorted(days):
        if runs and day == runs[-1][1] + dt.timedelta(days=1):
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def encode_summary(dims: dict[str, tuple[dict[str, int], dict[str, Histogram]]]) -> str:
    import json

    return json.dumps({dim: {"c": {k: v for k, v in counts.items() if v},
                             "h": {name: [h.total, [[b, n] for b, n in sorted(h.buckets.items()) if n]]
                                   for name, h in hists.items() if h.buckets}}
                       for dim, (counts, hists) in dims.items()}, separators=(",", ":"), sort_keys=True)


def decode_summary(text: str) -> dict[str, tuple[dict[str, int], dict[str, Histogram]]]:
    import json

    out = {}
    for dim, data in json.loads(text).items():
        hists = {name: Histogram() for name in DURATIONS}
        for name, (total, pairs) in data.get("h", {}).items():
            hists[name].total = float(total)
            hists[name].buckets.update(pairs)
        out[dim] = (dict(data.get("c", {})), hists)
    return out


def roll_up(day: dt.date) -> bool:
    """Store ``day``'s figures as one summary, unless a write lands meanwhile (then the next run does)."""
    from pynamodb.exceptions import UpdateError

    try:
        marker = MetricItem.get(rollup_partition(day.year), day.isoformat(), consistent_read=True)
    except MetricItem.DoesNotExist:
        return False
    seen = marker.writes
    # Counters per dimension; durations as one histogram for the whole day (what the periods need)
    # and the first-response histogram per agent (the leaderboard's medians).
    dims: dict[str, tuple[dict[str, int], dict[str, Histogram]]] = {}
    day_hists = {name: Histogram() for name in DURATIONS}
    month = day.strftime("%Y-%m")
    for raw in raw_items(month, day.isoformat(), day.isoformat(), consistent=True):
        dim = str(raw["key"]["S"]).partition("#")[2]
        counts, hists = read_item(raw)
        if dim.startswith("cell#"):
            for name, h in hists.items():
                day_hists[name].merge(h)
            hists = {}
        else:
            hists = {"frt": hists["frt"]}
        dims[dim] = (counts, hists)
    dims[DAY_HISTOGRAMS] = ({}, day_hists)
    try:
        marker.update(actions=[MetricItem.summary.set(encode_summary(dims)), MetricItem.rolled_writes.set(seen)],
                      condition=MetricItem.writes == seen)
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False  # written meanwhile: still stale, rolled up next time
        raise
    return True


def stale_days(today: dt.date, years: int = 2) -> list[dt.date]:
    """Days written since their last rollup, this year and last (one Query per year)."""
    out = []
    for year in range(today.year - years + 1, today.year + 1):
        for item in MetricItem.query(rollup_partition(year)):
            if item.rolled_writes != item.writes:
                out.append(dt.date.fromisoformat(item.key))
    return out


class AnalyticsError(ValueError):
    """A question the analytics cannot answer as asked (HTTP 400)."""


MAX_DAYS = 731


class Analytics:
    def __init__(self, *, clock: Any) -> None:
        self.clock = clock
        self.reads = 0  # Queries made by the last answer
        self.items_read = 0  # items those Queries returned

    def _days(self, first: dt.date, last: dt.date) -> Iterator[tuple[str, list[str], dict[str, int],
                                                                       dict[str, Histogram]]]:
        """(day, dimension parts, counters, histograms) of every aggregate from ``first`` to ``last``.

        A day whose rollup is current is one small item; a day written since its last rollup (today,
        mostly) is read raw; a day with no rollup item had no writes at all.
        """
        self.reads = self.items_read = 0
        stale: list[dt.date] = []
        for year in range(first.year, last.year + 1):
            self.reads += 1
            days = MetricItem.key.between(first.isoformat(), last.isoformat())
            for item in MetricItem.query(rollup_partition(year), days):
                self.items_read += 1
                if item.summary and item.rolled_writes == item.writes:
                    for dim, (counts, hists) in decode_summary(item.summary).items():
                        yield item.key, dim.split("#"), counts, hists
                else:
                    stale.append(dt.date.fromisoformat(item.key))
        for run_first, run_last in _runs(stale):
            for month in months_between(run_first, run_last):
                self.reads += 1
                for raw in raw_items(month, run_first.isoformat(), run_last.isoformat()):
                    self.items_read += 1
                    day, _, rest = str(raw["key"]["S"]).partition("#")
                    counts, hists = read_item(raw)
                    yield day, rest.split("#"), counts, hists

    def report(self, settings: TeamSettings, first: dt.date, last: dt.date, group: str) -> dict[str, Any]:
        if group not in ("day", "week"):
            raise AnalyticsError("group must be day or week")
        if last < first:
            raise AnalyticsError("'to' is before 'from'")
        calendar = settings.calendar()
        today = calendar.local_date(self.clock.now())
        earliest, latest = today - dt.timedelta(days=MAX_DAYS - 1), today + dt.timedelta(days=366)
        if first < earliest or last > latest:
            # The backlog at a period's end is today's minus the changes since: read at most two years.
            raise AnalyticsError(f"the period must lie between {earliest} (two years ago) and {latest}")
        periods: dict[dt.date, Bucket] = {}
        starts: list[dt.date] = []
        day = first
        while day <= last:
            start = day if group == "day" else max(first, day - dt.timedelta(days=day.weekday()))
            if start not in periods:
                periods[start] = Bucket()
                starts.append(start)
            day += dt.timedelta(days=1)
        total = Bucket()
        after: dict[dt.date, int] = defaultdict(int)  # backlog deltas by day, for days up to today
        for day_text, parts, counts, hists in self._days(first, max(last, today)):
            day = dt.date.fromisoformat(day_text)
            if parts[0] == "hist" and day <= last:  # a rolled-up day's durations
                start = day if group == "day" else max(first, day - dt.timedelta(days=day.weekday()))
                periods[start].add({}, hists)
                total.add({}, hists)
                continue
            if parts[0] != "cell" or len(parts) != 3:
                continue
            after[day] += counts.get("backlog_delta", 0)
            if day > last:
                continue
            start = day if group == "day" else max(first, day - dt.timedelta(days=day.weekday()))
            periods[start].add(counts, hists, parts[1], parts[2])
            total.add(counts, hists, parts[1], parts[2])
        backlog_now = self.backlog()

        def backlog_at(end: dt.date) -> int:
            return backlog_now - sum(n for d, n in after.items() if d > end)

        out_periods = []
        for i, start in enumerate(starts):
            end = (starts[i + 1] - dt.timedelta(days=1)) if i + 1 < len(starts) else last
            out_periods.append({"start": start.isoformat(), "end": end.isoformat(), **periods[start].figures(),
                                "backlog": backlog_at(end)})
        totals = total.figures()
        return {
            "from": first.isoformat(), "to": last.isoformat(), "group": group, "timezone": settings.timezone,
            "totals": {**totals, "backlog": backlog_at(last)},
            "by_channel": totals["by_channel"], "by_tier": totals["by_tier"],
            "target_seconds": {tier: int(hours[0] * 3600) for tier, hours in settings.response_targets.items()},
            "periods": out_periods,
        }

    def backlog(self) -> int:
        try:
            return int(MetricItem.get(TOTAL_PARTITION, BACKLOG_KEY, consistent_read=True).value or 0)
        except MetricItem.DoesNotExist:
            return 0

    def leaderboard(self, directory: Directory, sprint: Any) -> dict[str, Any]:
        """Per person over one stint: triaged, first responses, replies, median first response, solved,
        targets met (first and next responses within their targets)."""
        people: dict[str, Bucket] = {m: Bucket() for m in directory.settings.rotation_roster}
        for _, parts, counts, hists in self._days(sprint.start, sprint.end):
            if parts[0] == "agent":
                people.setdefault(parts[1], Bucket()).add(counts, hists)
        rows = []
        for member_id, bucket in people.items():
            member = directory.member(member_id)
            c = bucket.counts
            rows.append({
                "member_id": member_id, "name": member.name if member else member_id,
                "hero": member_id == sprint.hero,
                "triaged": c["triaged"], "first_responses": c["first_responses"], "replies": c["replies"],
                "median_first_response": bucket.durations["frt"].summary()["median"], "solved": c["solved"],
                "targets_met": c["first_met"] + c["next_met"], "targets_missed": c["first_missed"] + c["next_missed"],
            })
        rows.sort(key=lambda r: (-r["first_responses"], -r["solved"], -r["replies"], r["name"]))
        hero = directory.member(sprint.hero) if sprint.hero else None
        return {"stint": sprint.number, "hero": sprint.hero, "hero_name": hero.name if hero else None,
                "start": sprint.start.isoformat(), "end": sprint.end.isoformat(), "rows": rows}
