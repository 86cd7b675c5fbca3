"""Daily aggregates kept as tickets change (chalicelib.desk.analytics): no business rules here.

Partition ``month`` ("2026-11") holds that month's days; sort key ``key`` is
``<YYYY-MM-DD>#cell#<channel>#<tier>`` or ``<YYYY-MM-DD>#agent#<member id>``, so a
period of N days is ceil(N/31)+1 Queries whatever the number of tickets.  The
running backlog is the single item (``TOTAL``, ``backlog``).  Durations are business
seconds (the team's calendar), kept as lists so that medians and percentiles are exact.
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.models.base import TableMeta

COUNTERS = ("opened", "solved", "reopened", "closed", "replies", "first_responses", "first_met", "first_missed",
            "next_met", "next_missed", "triaged", "backlog_delta", "csat_good", "csat_bad")
DURATIONS = ("frt", "resolution")


class MetricItem(Model):
    class Meta(TableMeta):
        table_name = "metrics"

    month = UnicodeAttribute(hash_key=True)
    key = UnicodeAttribute(range_key=True)
    opened = NumberAttribute(null=True)
    solved = NumberAttribute(null=True)
    reopened = NumberAttribute(null=True)
    closed = NumberAttribute(null=True)  # closed without being solved first
    replies = NumberAttribute(null=True)
    first_responses = NumberAttribute(null=True)
    first_met = NumberAttribute(null=True)
    first_missed = NumberAttribute(null=True)
    next_met = NumberAttribute(null=True)
    next_missed = NumberAttribute(null=True)
    triaged = NumberAttribute(null=True)
    backlog_delta = NumberAttribute(null=True)
    csat_good = NumberAttribute(null=True)  # satisfaction ratings, on the day rated (chalicelib.desk.metrics)
    csat_bad = NumberAttribute(null=True)
    value = NumberAttribute(null=True)  # the running backlog (TOTAL/backlog)
    # A day's rollup (partition "ROLLUP#<year>", key the date): every transaction that touches the
    # day ADDs to ``writes``; the rollup job stores the day's figures as one JSON ``summary`` with the
    # ``rolled_writes`` it saw, so a reader knows the summary is current when the two are equal.
    writes = NumberAttribute(null=True)
    rolled_writes = NumberAttribute(null=True)
    summary = UnicodeAttribute(null=True)
    # Durations (business seconds) are histograms in attributes the model does not declare:
    # ``frt_<bucket>`` / ``resolution_<bucket>`` counts and ``frt_sum`` / ``resolution_sum``
    # (chalicelib.desk.analytics.bucket_of); chalicelib.desk.analytics reads them as raw items.
