"""The only module that reads and writes the analytics' aggregate items (:class:`MetricItem`).

Increments are ADDs written in the caller's ticket transaction (:func:`add_to_transaction`) or on their
own (:func:`apply`); a day's items are read raw (:func:`raw_items`) or as its rollup (:func:`rollups`),
which :func:`roll_up` keeps current.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from chalicelib.desk.metrics import (
    BACKLOG_KEY,
    DAY_HISTOGRAMS,
    TOTAL_PARTITION,
    Delta,
    Deltas,
    Histogram,
    bucket_of,
    encode_summary,
    read_item,
    rollup_partition,
)
from chalicelib.models.conditions import conditional_failed
from chalicelib.models.metrics import DURATIONS, MetricItem


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


def apply(delta: Delta) -> None:
    """Write one item's increments on their own (a rebuild)."""
    MetricItem(delta.month, delta.key).update(actions=update_actions(delta))


def delete_items(keys: Iterable[tuple[str, str]]) -> None:
    """Delete aggregate items by (partition, key), in batches (a rebuild clears what it rewrites)."""
    with MetricItem.batch_write() as batch:
        for month, key in keys:
            batch.delete(MetricItem(month, key))


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
        if conditional_failed(exc):
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


def rollups(year: int, first: dt.date, last: dt.date) -> Iterator[MetricItem]:
    """A year's rollup markers from ``first`` to ``last`` (one Query)."""
    yield from MetricItem.query(rollup_partition(year), MetricItem.key.between(first.isoformat(), last.isoformat()))


def backlog() -> int:
    """Unsolved tickets now (the running total every change adds to)."""
    try:
        return int(MetricItem.get(TOTAL_PARTITION, BACKLOG_KEY, consistent_read=True).value or 0)
    except MetricItem.DoesNotExist:
        return 0
