"""``make bench`` part (d) and (e): analytics reads at 1 000 and 50 000 tickets, and what keeping
the metrics costs per ticket event.

(d) Synthetic tickets over 90 days (seeded, so every run builds the same data) are replayed
    through the real rules (:func:`chalicelib.desk.metrics_rebuild.replay`: the live path's
    ``changes_for``), their aggregates written to the embedded DynamoDB, one stage per size,
    and rolled up as the ``metrics_rollup`` job does.  Then ``Analytics.report`` over the 90
    days is timed: it reads one summary item per day, not the tickets, so the two sizes should
    take about the same time.
(e) The worker handles a new ticket, an agent reply and a triage "solve" while a counter
    watches its DynamoDB requests and the items of each transaction, by table.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time
from pathlib import Path
from typing import Any

from chalicelib.models.tickets import Message, Ticket

ROOT = Path(__file__).resolve().parent.parent

CHANNELS = ("slack", "email", "github")
TIERS = ("community", "scale", "enterprise")
AGENTS = ("ada", "bo")
LAST_DAY = dt.date(2026, 11, 27)
DAYS = 90


def synthetic(n: int, calendar: Any, seed: int = 7) -> list[tuple[Ticket, list[Message]]]:
    """``n`` tickets over the 90 days to LAST_DAY: most answered, many solved (deterministic)."""
    rng = random.Random(seed)
    start = dt.datetime.combine(LAST_DAY - dt.timedelta(days=DAYS - 1), dt.time(0), tzinfo=dt.UTC)
    span = DAYS * 86400 - 3 * 86400  # leave room for answers inside the window
    out = []
    for i in range(n):
        created = start + dt.timedelta(seconds=rng.randrange(span))
        ticket = Ticket(f"bench:{i}", kind="ticket", channel=rng.choice(CHANNELS), tier=rng.choice(TIERS),
                        created_at=created, status="new")
        conversation = [Message(ticket.ticket_id, f"{i}-0", role="customer", channel="slack", created_at=created,
                                author_id="customer")]
        if rng.random() < 0.9:
            answered = created + dt.timedelta(minutes=rng.randrange(5, 600))
            agent = rng.choice(AGENTS)
            conversation.append(Message(ticket.ticket_id, f"{i}-1", role="agent", channel="slack",
                                        created_at=answered, author_id=agent))
            if rng.random() < 0.7:
                solved = answered + dt.timedelta(minutes=rng.randrange(5, 1200))
                conversation.append(Message(ticket.ticket_id, f"{i}-2", role="audit", channel="system",
                                            created_at=solved, author_id=agent, text="status: open → solved"))
        out.append((ticket, conversation))
    return out


def seed(n: int, settings: Any) -> int:
    """Aggregate ``n`` synthetic tickets and write them; returns the number of aggregate items."""
    from chalicelib.desk.metrics_rebuild import aggregate, replay, write

    deltas = []
    for ticket, conversation in synthetic(n, settings.calendar()):
        deltas.extend(replay(ticket, conversation, settings))
    items = aggregate(deltas)
    write(items)
    from chalicelib.desk.analytics import roll_up, stale_days

    for day in stale_days(LAST_DAY):  # what the metrics_rollup job does every 15 minutes
        roll_up(day)
    return len(items)


def query_times(settings: Any, repeats: int) -> tuple[list[float], dict[str, Any]]:
    from chalicelib.desk.analytics import Analytics
    from chalicelib.platform.clock import FixedClock

    analytics = Analytics(clock=FixedClock(dt.datetime.combine(LAST_DAY, dt.time(18), tzinfo=dt.UTC)))
    first = LAST_DAY - dt.timedelta(days=DAYS - 1)
    times, report = [], {}
    for _ in range(repeats):
        t0 = time.perf_counter()
        report = analytics.report(settings, first, LAST_DAY, "day")
        times.append((time.perf_counter() - t0) * 1000)
    return times, {"queries": analytics.reads, "items_read": analytics.items_read,
                   "opened": report["totals"]["opened"]}


def analytics_reads(sizes: tuple[int, ...] = (1000, 50000), repeats: int = 15) -> dict[int, dict[str, Any]]:
    import os

    from chalicelib.desk.directory import parse_directory
    from chalicelib.models import bind_models
    from chalicelib.platform.config import get_settings, reset_settings
    from chalicelib.platform.infra import ensure_tables

    settings = parse_directory((ROOT / "devstack" / "directory.toml").read_text()).settings
    results: dict[int, dict[str, Any]] = {}
    for n in sizes:
        os.environ["TABLE_PREFIX"] = f"support-hero-bench{n}-"
        reset_settings()
        stage = get_settings()
        ensure_tables(stage)
        bind_models(table_prefix=stage.table_prefix, region=stage.region, host=os.environ["AWS_ENDPOINT_URL"])
        t0 = time.perf_counter()
        items = seed(n, settings)
        seeded = time.perf_counter() - t0
        times, info = query_times(settings, repeats)
        assert info["opened"] == n, info  # every ticket is counted, once
        results[n] = {"items": items, "seed_s": seeded, "median_ms": statistics.median(times),
                      "min_ms": min(times), **info}
    os.environ.pop("TABLE_PREFIX", None)
    reset_settings()
    return results


def cost_per_event() -> dict[str, dict[str, Any]]:
    """Requests and transaction items (by table) per ticket event, in a warm worker."""
    from chalicelib.desk.directory import parse_directory
    from chalicelib.desk.triage import Change
    from chalicelib.platform.clock import FixedClock
    from chalicelib.platform.config import get_settings, reset_settings
    from chalicelib.platform.infra import bootstrap as bootstrap_stage
    from chalicelib.services import build_services
    from devstack.dbcount import DynamoRequestCounter

    reset_settings()
    settings = get_settings()
    bootstrap_stage(settings)
    clock = FixedClock(dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.UTC))
    services = build_services(settings, clock=clock)
    directory = parse_directory((ROOT / "devstack" / "directory.toml").read_text())
    services.directory.replace(directory)
    counter = DynamoRequestCounter(services)

    def message(ts: str, user: str, thread: str | None = None) -> dict[str, Any]:
        event: dict[str, Any] = {"type": "message", "channel": "C0ACME", "user": user, "ts": ts, "text": "x"}
        if thread:
            event["thread_ts"] = thread
        return {"type": "event_callback", "team_id": "T0DEV", "event_id": f"Ev{ts}", "event": event}

    out: dict[str, dict[str, Any]] = {}
    services.slack_intake.handle(message("1796205000.000100", "U0ACME1"))  # warm every cache
    for name, run in (
        ("new ticket (routed to the Hero)",
         lambda: services.slack_intake.handle(message("1796205600.000100", "U0ACME1"))),
        ("agent reply (first response)",
         lambda: services.slack_intake.handle(message("1796205700.000100", "U0HERO1", "1796205600.000100"))),
        ("solve (triage change)", lambda: services.triage.apply(
            services.tickets.find("slack:C0ACME:1796205600.000100"), directory.member("ada"),  # type: ignore[arg-type]
            Change(status="solved"), directory, expected_version=None, announce=False)),
    ):
        counter.reset()
        run()
        out[name] = {"requests": counter.total, "transact_items": dict(counter.transact_items)}
    return out
