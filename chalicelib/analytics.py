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
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from chalicelib.calendar import BusinessCalendar
from chalicelib.directory import Directory, TeamSettings
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
        return self._item(day.strftime("%Y-%m"), f"{day.isoformat()}#{dim}")

    def backlog(self, n: int) -> None:
        if n:
            self._item(TOTAL_PARTITION, BACKLOG_KEY).add("value", n)

    def __iter__(self) -> Iterator[Delta]:
        return iter(self.items.values())

    def __bool__(self) -> bool:
        return bool(self.items)


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
        met = took <= settings.target_hours(after.tier, "first") * 3600
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


def update_actions(delta: Delta) -> list[Any]:
    actions: list[Any] = []
    for name, n in delta.counts.items():
        actions.append(getattr(MetricItem, name).add(n))
    for name, values in delta.durations.items():
        attr = getattr(MetricItem, name)
        actions.append(attr.set((attr | []).append(values)))
    return actions


def add_to_transaction(tx: Any, deltas: Deltas) -> None:
    """Write the increments in the caller's transaction (exactly once with the change itself)."""
    for delta in deltas:
        tx.update(MetricItem(delta.month, delta.key), actions=update_actions(delta))


# -- reading -----------------------------------------------------------------------------------
def summary(values: Iterable[float]) -> dict[str, Any]:
    """count, median, mean and 90th percentile (nearest rank); None without values."""
    data = sorted(values)
    n = len(data)
    if not n:
        return {"count": 0, "median": None, "mean": None, "p90": None}
    mid = n // 2
    median = data[mid] if n % 2 else (data[mid - 1] + data[mid]) / 2
    return {"count": n, "median": median, "mean": round(sum(data) / n, 1), "p90": data[math.ceil(0.9 * n) - 1]}


def _rate(met: int, missed: int) -> float | None:
    return round(met / (met + missed), 4) if met + missed else None


@dataclass
class Bucket:
    """The sum of some aggregate items."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    durations: dict[str, list[int]] = field(default_factory=lambda: {d: [] for d in DURATIONS})
    by_channel: dict[str, int] = field(default_factory=dict)
    by_tier: dict[str, int] = field(default_factory=dict)

    def add(self, item: MetricItem, channel: str | None = None, tier: str | None = None) -> None:
        for name in COUNTERS:
            self.counts[name] += int(getattr(item, name) or 0)
        for name in DURATIONS:
            self.durations[name].extend(int(v) for v in getattr(item, name) or [])
        opened = int(item.opened or 0)
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
            "first_response": summary(self.durations["frt"]),
            "resolution": summary(self.durations["resolution"]),
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


class AnalyticsError(ValueError):
    """A question the analytics cannot answer as asked (HTTP 400)."""


MAX_DAYS = 731


class Analytics:
    def __init__(self, *, clock: Any) -> None:
        self.clock = clock
        self.reads = 0  # Queries made by the last answer (one per month touched)

    def _days(self, first: dt.date, last: dt.date) -> Iterator[MetricItem]:
        months = months_between(first, last)
        self.reads = len(months)
        for month in months:
            yield from MetricItem.query(month, MetricItem.key.between(f"{first.isoformat()}#", f"{last.isoformat()}#~"))

    @staticmethod
    def _parse_key(key: str) -> tuple[str, list[str]]:
        day, _, rest = key.partition("#")
        return day, rest.split("#")

    def report(self, settings: TeamSettings, first: dt.date, last: dt.date, group: str) -> dict[str, Any]:
        if group not in ("day", "week"):
            raise AnalyticsError("group must be day or week")
        if last < first:
            raise AnalyticsError("'to' is before 'from'")
        if (last - first).days >= MAX_DAYS:
            raise AnalyticsError(f"a period is at most {MAX_DAYS} days")
        calendar = settings.calendar()
        today = calendar.local_date(self.clock.now())
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
        for item in self._days(first, max(last, today)):
            day_text, parts = self._parse_key(item.key)
            day = dt.date.fromisoformat(day_text)
            if parts[0] != "cell":
                continue
            after[day] += int(item.backlog_delta or 0)
            if day > last:
                continue
            start = day if group == "day" else max(first, day - dt.timedelta(days=day.weekday()))
            periods[start].add(item, parts[1], parts[2])
            total.add(item, parts[1], parts[2])
        backlog_now = self.backlog()

        def backlog_at(end: dt.date) -> int:
            return backlog_now - sum(n for d, n in after.items() if d > end)

        out_periods = []
        for i, start in enumerate(starts):
            end = (starts[i + 1] - dt.timedelta(days=1)) if i + 1 < len(starts) else last
            out_periods.append({"start": start.isoformat(), "end": end.isoformat(), **periods[start].figures(),
                                "backlog": backlog_at(end)})
        return {
            "from": first.isoformat(), "to": last.isoformat(), "group": group, "timezone": settings.timezone,
            "totals": {**total.figures(), "backlog": backlog_at(last)},
            "by_channel": total.figures()["by_channel"], "by_tier": total.figures()["by_tier"],
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
        for item in self._days(sprint.start, sprint.end):
            _, parts = self._parse_key(item.key)
            if parts[0] == "agent":
                people.setdefault(parts[1], Bucket()).add(item)
        rows = []
        for member_id, bucket in people.items():
            member = directory.member(member_id)
            c = bucket.counts
            rows.append({
                "member_id": member_id, "name": member.name if member else member_id,
                "hero": member_id == sprint.hero,
                "triaged": c["triaged"], "first_responses": c["first_responses"], "replies": c["replies"],
                "median_first_response": summary(bucket.durations["frt"])["median"], "solved": c["solved"],
                "targets_met": c["first_met"] + c["next_met"], "targets_missed": c["first_missed"] + c["next_missed"],
            })
        rows.sort(key=lambda r: (-r["first_responses"], -r["solved"], -r["replies"], r["name"]))
        hero = directory.member(sprint.hero) if sprint.hero else None
        return {"stint": sprint.number, "hero": sprint.hero, "hero_name": hero.name if hero else None,
                "start": sprint.start.isoformat(), "end": sprint.end.isoformat(), "rows": rows}
