"""Analytics: daily aggregates kept as tickets change, and the figures read from them.

**Writing.** Every change that moves a figure (a ticket opens, an agent answers, a
triage change solves or reopens it, a customer rates it) already runs as one DynamoDB
transaction conditioned on the ticket (it does not exist yet, or its version / the message's
key is unchanged).  :func:`changes_for` turns the ticket's state before and after into
increments of a few aggregate items (:func:`rating_changes`: a satisfaction rating's), and
:func:`add_to_transaction` writes them *in that same transaction*: a retried or redelivered
event either finds its condition failed and counts nothing, or counts exactly once.  No extra
request per event.

**Reading.** A period of N days reads the aggregates of those days (one Query per
month touched), whatever the number of tickets: :class:`Analytics`.

The pure rules are :mod:`chalicelib.desk.metrics`; every read and write of the aggregate items is
:mod:`chalicelib.desk.metrics_store`'s; this module answers questions (reports, the leaderboard), and
re-exports the other two's names.

**Rebuilding.** ``python -m chalicelib.cli rebuild-metrics`` replays every ticket's
conversation and audit trail through the same :func:`changes_for` and rewrites the
aggregates (under the current calendar and targets).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from chalicelib.desk import metrics_store
from chalicelib.desk.directory import Directory, TeamSettings
from chalicelib.desk.metrics import (
    BACKLOG_KEY,
    DAY_HISTOGRAMS,
    DONE,
    NOT_PEOPLE,
    RATINGS,
    TOTAL_PARTITION,
    UNSOLVED,
    Bucket,
    Delta,
    Deltas,
    Histogram,
    Response,
    Snapshot,
    bucket_of,
    bucket_value,
    business_seconds,
    cell,
    changes_for,
    csat_figures,
    decode_summary,
    encode_summary,
    months_between,
    rating_changes,
    read_item,
    rollup_partition,
    runs,
)
from chalicelib.desk.metrics_store import add_to_transaction, raw_items, roll_up, stale_days, update_actions

__all__ = [
    "BACKLOG_KEY", "DAY_HISTOGRAMS", "DONE", "MAX_DAYS", "NOT_PEOPLE", "RATINGS", "TOTAL_PARTITION", "UNSOLVED",
    "Analytics", "AnalyticsError", "Bucket", "Delta", "Deltas", "Histogram", "Response", "Snapshot",
    "add_to_transaction", "bucket_of", "bucket_value", "business_seconds", "cell", "changes_for", "csat_figures",
    "decode_summary", "encode_summary", "months_between", "rating_changes", "raw_items", "read_item", "roll_up",
    "rollup_partition", "stale_days", "update_actions",
]


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
            for item in metrics_store.rollups(year, first, last):
                self.items_read += 1
                if item.summary and item.rolled_writes == item.writes:
                    for dim, (counts, hists) in decode_summary(item.summary).items():
                        yield item.key, dim.split("#"), counts, hists
                else:
                    stale.append(dt.date.fromisoformat(item.key))
        for run_first, run_last in runs(stale):
            for month in months_between(run_first, run_last):
                self.reads += 1
                for raw in metrics_store.raw_items(month, run_first.isoformat(), run_last.isoformat()):
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
            "csat_by_channel": totals["csat_by_channel"], "csat_by_tier": totals["csat_by_tier"],
            "target_seconds": {tier: int(hours[0] * 3600) for tier, hours in settings.response_targets.items()},
            "periods": out_periods,
        }

    def backlog(self) -> int:
        return metrics_store.backlog()

    def leaderboard(self, directory: Directory, sprint: Any) -> dict[str, Any]:
        """Per person over one stint: triaged, first responses, replies, median first response, solved,
        targets met (first and next responses within their targets), satisfaction (ratings given while the
        person owned the ticket); and the stint's satisfaction, every rating of its days."""
        people: dict[str, Bucket] = {m: Bucket() for m in directory.settings.rotation_roster}
        good = bad = 0
        for _, parts, counts, hists in self._days(sprint.start, sprint.end):
            if parts[0] == "agent":
                people.setdefault(parts[1], Bucket()).add(counts, hists)
            elif parts[0] == "cell":
                good, bad = good + counts.get("csat_good", 0), bad + counts.get("csat_bad", 0)
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
                "csat": bucket.csat(),
            })
        rows.sort(key=lambda r: (-r["first_responses"], -r["solved"], -r["replies"], r["name"]))
        hero = directory.member(sprint.hero) if sprint.hero else None
        return {"stint": sprint.number, "hero": sprint.hero, "hero_name": hero.name if hero else None,
                "start": sprint.start.isoformat(), "end": sprint.end.isoformat(), "csat": csat_figures(good, bad),
                "rows": rows}
