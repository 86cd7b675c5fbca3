"""Customer satisfaction (CSAT) in the analytics: ratings counted in the transaction that records them, by
channel, tier, agent and Hero stint; the same after a rollup and after a rebuild; and how they read.

The tickets are test_analytics' fixture (sprint 2, Hero Bo, Mon 30 Nov - Sun 13 Dec 2026, Europe/London):

  #1 Slack, enterprise    rated good Mon 30 Nov 14:00, owner Bo
  #2 Slack, enterprise    rated bad  Wed 2 Dec 10:00, owner Ada
  #3 email, enterprise    rated good Mon 7 Dec 10:00, owner Ada        (week 2)
  #4 GitHub, community    rated good Sat 5 Dec 12:00, nobody owned it  (counted for the team, no agent)
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from tests.conftest import Stack
from tests.helpers import rate
from tests.test_analytics import WEEK1, analytics, run_job, scenario
from tests.test_rotation import at


def csat(good: int, bad: int) -> dict[str, Any]:
    rated = good + bad
    return {"good": good, "bad": bad, "rated": rated, "rate": round(good / rated, 4) if rated else None}


NONE = csat(0, 0)


def rated_scenario(stack: Stack, clock: Any) -> None:
    scenario(stack, clock)
    rate(stack.services, 1, "good", at("2026-11-30T14:00:00+00:00"), owner="bo")
    rate(stack.services, 2, "bad", at("2026-12-02T10:00:00+00:00"), owner="ada")
    rate(stack.services, 3, "good", at("2026-12-07T10:00:00+00:00"), owner="ada")
    rate(stack.services, 4, "good", at("2026-12-05T12:00:00+00:00"), owner="")  # nobody owned it
    clock.set(at("2026-12-14T12:00:00+00:00"))


def board(stack: Stack, stint: int = 2) -> dict[str, Any]:
    response = stack.api("GET", f"/api/analytics/leaderboard?stint={stint}")
    assert response.status_code == 200, response.body
    return dict(json.loads(response.body))


# ---------------------------------------------------------------------------------------------- pure


def test_rating_changes_counts_the_cell_and_the_owner_on_the_team_local_day() -> None:
    from chalicelib.desk.analytics import rating_changes, rollup_partition
    from chalicelib.desk.directory import TeamSettings
    from chalicelib.models.tickets import Ticket

    settings = TeamSettings(timezone="Pacific/Auckland")  # UTC+13 in December
    ticket = Ticket("t1", kind="ticket", channel="email", tier="scale", created_at=at("2026-11-30T10:00:00+00:00"),
                    csat_owner="bo")
    late = at("2026-12-01T20:00:00+00:00")  # Wednesday 2 Dec 09:00 in Auckland
    deltas = {(d.month, d.key): d.counts for d in rating_changes(ticket, "good", late, settings)}
    assert deltas == {
        ("2026-12", "2026-12-02#cell#email#scale"): {"csat_good": 1},
        ("2026-12", "2026-12-02#agent#bo"): {"csat_good": 1},
        (rollup_partition(2026), "2026-12-02"): {"writes": 2},  # the day's rollup is stale now
    }

    for owner in (None, "", "rotation", "system"):  # no person owned it: the team's figure only
        ticket.csat_owner = owner
        keys = {d.key: d.counts for d in rating_changes(ticket, "bad", late, settings)}
        assert keys == {"2026-12-02#cell#email#scale": {"csat_bad": 1}, "2026-12-02": {"writes": 1}}, owner
    unknown = Ticket("t2", kind="ticket", created_at=late)  # no channel or tier known: as changes_for's cell
    assert [d.key for d in rating_changes(unknown, "good", late, settings)] == ["2026-12-02",
                                                                                "2026-12-02#cell#unknown#community"]
    assert not rating_changes(Ticket("t3", kind="tombstone", created_at=late), "good", late, settings)
    with pytest.raises(ValueError, match="good, bad"):
        rating_changes(ticket, "meh", late, settings)


def test_bucket_and_summary_carry_the_ratings() -> None:
    from chalicelib.desk.analytics import Bucket, Histogram, decode_summary, encode_summary, read_item
    from chalicelib.models.metrics import DURATIONS

    counts, hists = read_item({"month": {"S": "2026-12"}, "key": {"S": "2026-12-02#cell#email#scale"},
                               "csat_good": {"N": "3"}, "csat_bad": {"N": "1"}, "opened": {"N": "2"}})
    assert counts == {"csat_good": 3, "csat_bad": 1, "opened": 2}
    decoded = decode_summary(encode_summary({"cell#email#scale": (counts, hists)}))
    assert decoded["cell#email#scale"][0] == counts
    bucket = Bucket()
    bucket.add(counts, hists, "email", "scale")
    bucket.add({"csat_bad": 1}, {d: Histogram() for d in DURATIONS}, "slack", "scale")
    figures = bucket.figures()
    assert figures["csat"] == csat(3, 2)
    assert figures["csat_by_channel"] == {"email": csat(3, 1), "slack": csat(0, 1)}
    assert figures["csat_by_tier"] == {"scale": csat(3, 2)}
    assert figures["by_channel"] == {"email": 2}  # volume is still opened tickets only


# ---------------------------------------------------------------------------------------------- stack


def test_ratings_by_channel_tier_period_agent_and_stint(timed: tuple[Stack, Any]) -> None:
    stack, clock = timed
    rated_scenario(stack, clock)

    week = analytics(stack, f"from={WEEK1[0]}&to={WEEK1[1]}&group=day")
    assert week["totals"]["csat"] == csat(2, 1)  # #1 good, #2 bad, #4 good; #3 is rated in week 2
    assert week["csat_by_channel"] == {"github": csat(1, 0), "slack": csat(1, 1)}
    assert week["csat_by_tier"] == {"community": csat(1, 0), "enterprise": csat(1, 1)}
    assert week["totals"]["csat_by_channel"] == week["csat_by_channel"]
    days = {p["start"]: p["csat"] for p in week["periods"]}
    assert days == {"2026-11-30": csat(1, 0), "2026-12-01": NONE, "2026-12-02": csat(0, 1), "2026-12-03": NONE,
                    "2026-12-04": NONE, "2026-12-05": csat(1, 0), "2026-12-06": NONE}
    assert days["2026-12-02"]["rate"] == 0.0 and days["2026-12-01"]["rate"] is None  # all bad is not no ratings
    # The other figures are untouched by ratings.
    assert (week["totals"]["opened"], week["totals"]["solved"], week["totals"]["backlog"]) == (4, 1, 3)

    weeks = analytics(stack, "from=2026-11-30&to=2026-12-13&group=week")
    assert [p["csat"] for p in weeks["periods"]] == [csat(2, 1), csat(1, 0)]
    assert weeks["periods"][1]["csat_by_channel"] == {"email": csat(1, 0)}
    assert weeks["totals"]["csat"] == csat(3, 1) and weeks["totals"]["csat"]["rate"] == 0.75
    assert weeks["csat_by_tier"] == {"community": csat(1, 0), "enterprise": csat(2, 1)}

    stint = board(stack)
    assert stint["csat"] == csat(3, 1)  # every rating of the stint's days, owned or not
    rows = {r["member_id"]: r for r in stint["rows"]}
    assert rows["bo"]["csat"] == csat(1, 0)
    assert rows["ada"]["csat"] == csat(1, 1)
    assert [r["member_id"] for r in stint["rows"]] == ["ada", "bo"]  # ratings do not reorder the board

    # Outside every rating: nothing rated, no rate (not 0 %).
    empty = analytics(stack, "from=2026-12-08&to=2026-12-13&group=week")
    assert empty["totals"]["csat"] == NONE and empty["csat_by_channel"] == {} and empty["csat_by_tier"] == {}
    earlier = board(stack, 1)
    assert earlier["csat"] == NONE and all(r["csat"] == NONE for r in earlier["rows"])


def test_rolled_up_and_rebuilt_ratings_read_the_same(timed: tuple[Stack, Any]) -> None:
    from chalicelib.desk.analytics import raw_items
    from chalicelib.desk.metrics_rebuild import rebuild

    stack, clock = timed
    rated_scenario(stack, clock)
    query = "from=2026-11-30&to=2026-12-13&group=day"
    raw, raw_board = analytics(stack, query), board(stack)
    assert raw["totals"]["csat"] == csat(3, 1)

    did = run_job(stack, "metrics_rollup")["did"]
    assert "2026-12-02" in did  # a day with a rating and nothing else
    assert analytics(stack, query) == raw and board(stack) == raw_board
    assert stack.services.analytics.reads == 1  # the leaderboard's read: one Query of the rolled-up days

    def items() -> dict[tuple[str, str], Any]:
        return {(month, r["key"]["S"]): r for month in ("2026-11", "2026-12") for r in raw_items(month)}

    live = items()
    assert live[("2026-12", "2026-12-02#agent#ada")]["csat_bad"] == {"N": "1"}
    rebuilt = rebuild(stack.services.directory.load().settings, today=dt.date(2026, 12, 14))
    assert rebuilt["tickets"] == 4
    assert items() == live  # the stored ratings replayed give the live path's items exactly
    assert analytics(stack, query) == raw and board(stack) == raw_board


def test_a_rebuild_counts_a_rating_the_live_path_missed(timed: tuple[Stack, Any]) -> None:
    """The rebuild counts ratings from the tickets themselves, not from what the aggregates hold."""
    from chalicelib.desk.metrics_rebuild import rebuild

    stack, clock = timed
    scenario(stack, clock)
    store = stack.services.tickets.store
    found = store.by_number(3)
    ticket = store.get(found.ticket_id)
    store.update(ticket, {"csat": "bad", "csat_at": at("2026-12-08T11:00:00+00:00"), "csat_owner": "ada"})
    clock.set(at("2026-12-14T12:00:00+00:00"))
    query = "from=2026-12-07&to=2026-12-13&group=week"
    assert analytics(stack, query)["totals"]["csat"] == NONE
    rebuild(stack.services.directory.load().settings, today=dt.date(2026, 12, 14))
    after = analytics(stack, query)
    assert after["totals"]["csat"] == csat(0, 1) and after["csat_by_channel"] == {"email": csat(0, 1)}
    assert {r["member_id"]: r["csat"] for r in board(stack)["rows"]}["ada"] == csat(0, 1)


def test_digest_blocks_show_the_ratings(timed: tuple[Stack, Any]) -> None:
    from chalicelib.jobs.digests import digest_blocks

    stack, clock = timed
    rated_scenario(stack, clock)

    def texts(report: dict[str, Any], stint: dict[str, Any] | None) -> tuple[list[str], str]:
        _, blocks = digest_blocks("Support week", report, stint)
        fields = [f["text"] for b in blocks if b["type"] == "section" and "fields" in b for f in b["fields"]]
        lines = "\n".join(str(b["text"]["text"]) for b in blocks if b["type"] == "section" and "text" in b)
        return [str(f) for f in fields], lines

    fields, lines = texts(analytics(stack, f"from={WEEK1[0]}&to={WEEK1[1]}"), board(stack))
    assert "*CSAT*\n67 % (3 rated)" in fields
    assert "Hero Bo Agent · CSAT 75 % (4 rated)" in lines.splitlines()[0]
    ada, bo = lines.splitlines()[1:3]
    assert ada.startswith("1. Ada Hero:") and ada.endswith(", CSAT 50 % (2 rated)")
    assert bo.startswith("2. Bo Agent:") and bo.endswith(", CSAT 100 % (1 rated)")

    fields, lines = texts(analytics(stack, "from=2026-12-08&to=2026-12-13"), board(stack, 1))
    assert "*CSAT*\nno ratings" in fields
    assert all(line.endswith(", no ratings") for line in lines.splitlines()[1:]), lines
