"""Issue #7: the figures, against a fixture computed by hand.

Team: Europe/London (GMT = UTC in December), Monday-Friday 09:00-17:00; enterprise
targets 1 h, community 24 h; sprint 2 (Bo) runs Mon 30 Nov - Sun 13 Dec 2026.

  #1 Slack, Acme (enterprise)   opened Mon 30 Nov 10:00; Bo answers 10:30 (first response 1800 s,
                                 met); Bo solves it 12:00 (resolution 7200 s)
  #4 Slack, Acme (enterprise)   opened Tue 1 Dec 09:00; Ada answers 09:20 (1200 s, met); the customer
                                 writes 10:00 (next response due 11:00); Bo answers 11:30 (next: missed)
  #2 email, Acme (enterprise)   opened Fri 4 Dec 16:30; Ada answers Mon 7 Dec 09:45: 30 min on Friday +
                                 45 min on Monday = 4500 s (the weekend does not count): missed
  #3 GitHub (community)         opened Sat 5 Dec 11:00; no answer

(Numbers are the order tickets open: #1, #4 is ticket 2 ... see ``scenario``.)
"""

from __future__ import annotations

import datetime as dt
import json
from html import unescape
from typing import Any

import pytest

from tests.conftest import Stack
from tests.test_github import comment_payload
from tests.test_rotation import ADA, BO, api_ticket, at, say

WEEK1 = ("2026-11-30", "2026-12-06")
NO_RATINGS = {"good": 0, "bad": 0, "rated": 0, "rate": None}


def analytics(stack: Stack, query: str) -> dict[str, Any]:
    response = stack.api("GET", f"/api/analytics?{query}")
    assert response.status_code == 200, response.body
    return dict(json.loads(response.body))


def scenario(stack: Stack, clock: Any, *, retries: bool = False) -> dict[str, int]:
    """Run the fixture through the real routes; returns ticket numbers by name."""
    numbers = {}
    clock.set(at("2026-11-30T10:00:00+00:00"))
    t1 = say(stack, clock, "Checkout broken", event_id="EvA1")
    numbers["t1"] = 1
    clock.set(at("2026-11-30T10:30:00+00:00"))
    reply1 = say(stack, clock, "Fix deployed", user=BO, thread=t1, event_id="EvA2")
    if retries:  # Slack redelivers both events (same and new event ids): nothing is counted twice
        from tests.helpers import message

        stack.post_event(message("U0ACME1", "C0ACME", t1, "Checkout broken", event_id="EvA1"))
        stack.post_event(message(BO, "C0ACME", reply1, "Fix deployed", thread_ts=t1, event_id="EvA2-retry"))
        stack.drain()
    clock.set(at("2026-11-30T12:00:00+00:00"))
    ticket = api_ticket(stack, 1)
    assert stack.api("PATCH", "/api/tickets/1", token="dev-token-bo",
                     body={"version": ticket["version"], "status": "solved"}).status_code == 200
    if retries:  # the same change again: no change, nothing counted
        again = api_ticket(stack, 1)
        stack.api("PATCH", "/api/tickets/1", token="dev-token-bo", body={"version": again["version"],
                                                                          "status": "solved"})

    clock.set(at("2026-12-01T09:00:00+00:00"))
    t4 = say(stack, clock, "Search is slow")
    numbers["t4"] = 2
    clock.set(at("2026-12-01T09:20:00+00:00"))
    say(stack, clock, "Looking", user=ADA, thread=t4)
    clock.set(at("2026-12-01T10:00:00+00:00"))
    say(stack, clock, "Still slow", thread=t4)
    clock.set(at("2026-12-01T11:30:00+00:00"))
    say(stack, clock, "Index rebuilt", user=BO, thread=t4)

    clock.set(at("2026-12-04T16:30:00+00:00"))
    stack.email(b"From: Sam <sam@acme.example>\r\nTo: hey@example.com\r\nSubject: Invoice\r\n"
                b"Message-ID: <inv-1@acme.example>\r\n\r\nWrong VAT.\r\n", at=clock.now())
    numbers["t2"] = 3
    if retries:  # SES redelivers the notification
        stack.email(b"From: Sam <sam@acme.example>\r\nTo: hey@example.com\r\nSubject: Invoice\r\n"
                    b"Message-ID: <inv-1@acme.example>\r\n\r\nWrong VAT.\r\n", at=clock.now())

    clock.set(at("2026-12-05T11:00:00+00:00"))
    payload = comment_payload(comment_id=77, number=1)
    payload["comment"]["created_at"] = "2026-12-05T11:00:00Z"
    stack.github_delivery("issue_comment", payload, delivery="gh-1")
    if retries:
        stack.github_delivery("issue_comment", payload, delivery="gh-1")
    stack.drain()
    numbers["t3"] = 4

    clock.set(at("2026-12-07T09:45:00+00:00"))
    headers = {"Idempotency-Key": "reply-inv-1"}
    for _ in range(2 if retries else 1):
        response = stack.api("POST", "/api/tickets/3/replies", body={"text": "Corrected invoice attached"},
                             headers=headers)
        assert response.status_code in (200, 201, 202), response.body
    stack.drain()
    return numbers


EXPECTED_WEEK1 = {
    "opened": 4, "solved": 1, "reopened": 0, "replies": 3, "first_responses": 2,
    "first_response": {"count": 2, "median": 1500.0, "mean": 1500.0, "p90": 1800},
    "resolution": {"count": 1, "median": 7200, "mean": 7200.0, "p90": 7200},
    "targets": {"met": 2, "missed": 1, "rate": 0.6667, "first": {"met": 2, "missed": 0, "rate": 1.0},
                "next": {"met": 0, "missed": 1, "rate": 0.0}},
    "by_channel": {"email": 1, "github": 1, "slack": 2}, "by_tier": {"community": 1, "enterprise": 3},
}


@pytest.mark.parametrize("retries", [False, True], ids=["once", "every-event-redelivered"])
def test_every_figure_against_the_hand_computed_fixture(timed: tuple[Stack, Any], retries: bool) -> None:
    stack, clock = timed
    scenario(stack, clock, retries=retries)
    clock.set(at("2026-12-14T12:00:00+00:00"))

    week = analytics(stack, f"from={WEEK1[0]}&to={WEEK1[1]}&group=day")
    totals = week["totals"]
    assert {k: totals[k] for k in EXPECTED_WEEK1} == EXPECTED_WEEK1
    assert totals["backlog"] == 3  # four opened, one solved
    assert week["by_channel"] == EXPECTED_WEEK1["by_channel"]
    assert week["target_seconds"] == {"enterprise": 3600, "scale": 14400, "community": 86400}
    days = {p["start"]: p for p in week["periods"]}
    assert list(days) == ["2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04", "2026-12-05",
                          "2026-12-06"]
    assert [days[d]["backlog"] for d in days] == [0, 1, 1, 1, 2, 3, 3]
    assert [days[d]["opened"] for d in days] == [1, 1, 0, 0, 1, 1, 0]
    assert days["2026-11-30"]["first_response"]["median"] == 1800
    assert days["2026-12-01"]["first_response"]["median"] == 1200
    assert days["2026-12-01"]["targets"]["next"] == {"met": 0, "missed": 1, "rate": 0.0}
    assert days["2026-12-02"]["first_response"] == {"count": 0, "median": None, "mean": None, "p90": None}

    # Two weeks by week: the email's first response (4500 s across the weekend) is in week 2.
    weeks = analytics(stack, "from=2026-11-30&to=2026-12-13&group=week")
    assert [(p["start"], p["end"]) for p in weeks["periods"]] == [("2026-11-30", "2026-12-06"),
                                                                 ("2026-12-07", "2026-12-13")]
    second = weeks["periods"][1]
    assert second["first_response"] == {"count": 1, "median": 4500, "mean": 4500.0, "p90": 4500}
    assert second["targets"]["first"] == {"met": 0, "missed": 1, "rate": 0.0}
    assert (second["opened"], second["replies"], second["backlog"]) == (0, 1, 3)
    assert weeks["totals"]["first_response"] == {"count": 3, "median": 1800, "mean": 2500.0, "p90": 4500}

    board = json.loads(stack.api("GET", "/api/analytics/leaderboard?stint=2").body)
    assert (board["stint"], board["hero"], board["start"], board["end"]) == (2, "bo", "2026-11-30", "2026-12-13")
    rows = {r["member_id"]: r for r in board["rows"]}
    assert [r["member_id"] for r in board["rows"]] == ["ada", "bo"]
    assert rows["ada"] == {"member_id": "ada", "name": "Ada Hero", "hero": False, "triaged": 0,
                           "first_responses": 2, "replies": 2, "median_first_response": 2850.0, "solved": 0,
                           "targets_met": 1, "targets_missed": 1, "csat": NO_RATINGS}
    assert rows["bo"] == {"member_id": "bo", "name": "Bo Agent", "hero": True, "triaged": 1,
                          "first_responses": 1, "replies": 2, "median_first_response": 1800, "solved": 1,
                          "targets_met": 1, "targets_missed": 1, "csat": NO_RATINGS}
    assert board["csat"] == NO_RATINGS  # satisfaction: tests/test_csat_analytics.py


def test_an_empty_period_and_bad_questions(timed: tuple[Stack, Any]) -> None:
    stack, clock = timed
    say(stack, clock, "One ticket on Wednesday")
    empty = analytics(stack, "from=2026-12-14&to=2026-12-20&group=week")
    assert empty["totals"]["opened"] == 0 and empty["totals"]["first_response"]["median"] is None
    assert empty["totals"]["targets"]["rate"] is None
    assert empty["totals"]["backlog"] == 1  # the backlog carries over
    assert [p["opened"] for p in empty["periods"]] == [0]
    for query in ("from=2026-13-01", "from=2026-12-10&to=2026-12-01", "group=month", "from=2020-01-01&to=2026-01-01",
                  "colour=red", "group=week&to=0318-11-24", "from=2027-12-30&to=2028-01-02"):
        assert stack.api("GET", f"/api/analytics?{query}").status_code == 400, query
    assert stack.api("GET", "/api/analytics", token="nope").status_code == 401
    assert stack.api("GET", "/api/analytics/leaderboard?stint=99").status_code == 400
    assert stack.api("GET", "/api/analytics/leaderboard?stint=zero").status_code == 400


def test_metrics_are_rebuilt_from_the_tickets_exactly(timed: tuple[Stack, Any]) -> None:
    from chalicelib.desk.metrics_rebuild import rebuild
    from chalicelib.models import MetricItem

    stack, clock = timed
    scenario(stack, clock)
    clock.set(at("2026-12-14T12:00:00+00:00"))
    query = "from=2026-11-30&to=2026-12-13&group=week"
    before = analytics(stack, query)

    def items() -> dict[tuple[str, Any], dict[str, Any]]:
        from chalicelib.desk.analytics import raw_items

        out = {(month, raw["key"]["S"]): raw for month in ("2026-11", "2026-12", "TOTAL")
               for raw in raw_items(month)}
        for raw in raw_items("ROLLUP#2026"):  # every day written, and how often
            out[("ROLLUP#2026", raw["key"]["S"])] = {"writes": raw["writes"]}
        return out

    live = items()
    assert live[("TOTAL", "backlog")]["value"] == {"N": "3"}
    assert live[("2026-11", "2026-11-30#cell#slack#enterprise")]["frt_148"] == {"N": "1"}  # 30 min: 120 + 30 - 2
    settings = stack.services.directory.load().settings
    MetricItem("2026-12", "2026-12-02#cell#slack#enterprise", opened=5).save()  # junk a rebuild must remove
    report = rebuild(settings, today=dt.date(2026, 12, 14))
    assert report["tickets"] == 4 and report["days_rolled_up"] == len([k for k in live if k[0] == "ROLLUP#2026"])
    assert items() == live
    assert analytics(stack, query) == before  # read from the rolled-up days now: the same figures


def test_rollups_answer_the_same_and_a_late_write_is_never_missed(timed: tuple[Stack, Any]) -> None:
    stack, clock = timed
    scenario(stack, clock)
    clock.set(at("2026-12-14T12:00:00+00:00"))
    query = f"from={WEEK1[0]}&to={WEEK1[1]}&group=day"
    raw = analytics(stack, query)
    first = run_job(stack, "metrics_rollup")
    assert first["did"] == ["2026-11-30", "2026-12-01", "2026-12-04", "2026-12-05", "2026-12-07"]
    assert run_job(stack, "metrics_rollup")["did"] == []  # nothing written since
    assert analytics(stack, query) == raw
    reads = stack.services.analytics.reads
    assert reads == 1  # one Query: the rolled-up days of 2026
    assert stack.services.analytics.items_read == 5  # the five days with tickets (Nov 30 to Dec 7), one item each

    # A Saturday message imported late (a :ticket: reaction on an old message): Sat 5 Dec is stale again.
    ts = f"{at('2026-12-05T15:00:00+00:00').timestamp():.6f}"
    stack.slack.add_message("C0COMMUNITY", ts, "U0CUST1", "Old question")
    from tests.helpers import reaction

    stack.post_event(reaction(ADA, "C0COMMUNITY", ts))
    stack.drain()
    late = analytics(stack, query)
    assert late["totals"]["opened"] == raw["totals"]["opened"] + 1
    assert late["by_tier"]["community"] == raw["by_tier"]["community"] + 1
    assert run_job(stack, "metrics_rollup")["did"] == ["2026-12-05"]
    assert analytics(stack, query) == late


def test_keeping_metrics_costs_no_extra_request(timed: tuple[Stack, Any]) -> None:
    """The aggregates ride in the transaction each change already makes."""
    from devstack.dbcount import DynamoRequestCounter
    from tests.helpers import message

    stack, clock = timed
    services = stack.services
    services.directory.load()
    services.slack.identity()
    ts = f"{clock.time():.6f}"
    stack.slack.add_message("C0ACME", ts, "U0ACME1", "Help")
    services.slack_intake.handle(message("U0ACME1", "C0ACME", ts, "Help"))  # warm caches (rotation etc.)
    clock.advance(minutes=1)
    ts2 = f"{clock.time():.6f}"
    counter = DynamoRequestCounter(services)
    services.slack_intake.handle(message(BO, "C0ACME", ts2, "On it", thread_ts=ts))
    assert dict(counter.calls) == {"TransactWriteItems": 1, "GetItem": 1}


def slash(stack: Stack, text: str, user: str = BO) -> str:
    import time
    import urllib.parse

    from tests.conftest import sign

    body = urllib.parse.urlencode({"team_id": "T0DEV", "channel_id": "C0TRIAGE", "user_id": user,
                                   "command": "/ticket", "text": text, "trigger_id": f"t-{time.monotonic_ns()}"
                                   }).encode()
    response = stack.client.http.post("/slack/commands", body=body, headers={
        **sign(body), "Content-Type": "application/x-www-form-urlencoded", "Host": "127.0.0.1:8000"})
    assert response.status_code == 200, response.body
    stack.drain()
    return str(stack.slack.calls("chat.postEphemeral")[-1]["params"]["text"])


def test_dashboard_by_signed_link_or_token_and_nothing_else(timed: tuple[Stack, Any]) -> None:
    import re

    stack, clock = timed
    say(stack, clock, "Checkout broken")
    answer = slash(stack, "dashboard")
    link = re.search(r"<http://127\.0\.0\.1:8000(/dashboard\?[^|>]+)", answer)  # Slack's <url> or <url|label>
    assert link is not None, answer
    path = unescape(link.group(1))  # Slack escapes & < > inside mrkdwn, URLs included
    page = stack.client.http.get(path)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    html = page.body.decode()
    assert 'id="chart-volume"' in html and 'data-series="slack"' in html and "Example Co" in html

    tampered = path.replace("member=bo", "member=ada")
    assert stack.client.http.get(tampered).status_code == 401
    assert stack.client.http.get(path[:-1] + ("0" if path[-1] != "0" else "1")).status_code == 401
    assert stack.client.http.get("/dashboard").status_code == 401
    assert stack.client.http.get("/dashboard", headers={"Authorization": "Bearer dev-token-ada"}).status_code == 200
    assert stack.client.http.get(path + "&group=month").status_code == 401  # not the view it was signed for
    assert stack.client.http.get("/dashboard?group=month",
                                 headers={"Authorization": "Bearer dev-token-ada"}).status_code == 400
    # The link grants its own view and no other: the period and the stint it was signed for.
    assert "from=2026-11-05" in path and "to=2026-12-02" in path and "group=day" in path and "stint=2" in path
    for changed in (path.replace("from=2026-11-05", "from=2025-01-01"), path.replace("to=2026-12-02", "to=2026-12-01"),
                    path.replace("group=day", "group=week"), path.replace("stint=2", "stint=1"),
                    re.sub(r"&stint=\d+", "", path)):
        assert changed != path and stack.client.http.get(changed).status_code == 401, changed
    clock.advance(minutes=61)
    assert stack.client.http.get(path).status_code == 401  # an hour has passed

    # Only the team gets a link.
    assert "Only the support team" in slash(stack, "dashboard", user="U0CUST1")


def test_a_dashboard_link_for_a_chosen_period_grants_that_period_only(timed: tuple[Stack, Any]) -> None:
    import re

    from chalicelib.channels.slack.commands import CommandError, parse

    stack, _clock = timed
    answer = slash(stack, "dashboard 2026-11-23 2026-11-29 week")
    link = re.search(r"<http://127\.0\.0\.1:8000(/dashboard\?[^|>]+)", answer)
    assert link is not None, answer
    path = unescape(link.group(1))
    assert "from=2026-11-23" in path and "to=2026-11-29" in path and "group=week" in path
    page = stack.client.http.get(path)
    assert page.status_code == 200 and "23 Nov" in page.body.decode()
    assert stack.client.http.get(path.replace("2026-11-23", "2026-11-16")).status_code == 401

    assert parse("dashboard").arg is None and parse("dashboard week").arg == "week"
    assert parse("dashboard 2026-11-02 2026-11-29").arg == "2026-11-02 2026-11-29 day"
    for bad in ("dashboard 2026-11-02", "dashboard yesterday today", "dashboard 2026-11-02 2026-11-29 month",
                "dashboard ２０２６-11-02 2026-11-29"):
        with pytest.raises(CommandError):
            parse(bad)


def test_weekly_digest_once_with_the_apis_figures(timed: tuple[Stack, Any]) -> None:
    stack, clock = timed
    scenario(stack, clock)
    clock.set(at("2026-12-07T08:30:00+00:00"))  # Monday before the opening
    assert run_job(stack, "weekly_digest")["skipped"] == ["waiting for this week's first opening"]
    clock.set(at("2026-12-07T09:10:00+00:00"))
    assert run_job(stack, "weekly_digest")["did"] == ["week of 2026-11-30"]
    assert run_job(stack, "weekly_digest")["did"] == []
    posted = [c["params"] for c in stack.slack.calls("chat.postMessage")
              if c["params"]["channel"] == "C0TRIAGE" and str(c["params"]["text"]).startswith("Support week")]
    assert len(posted) == 1
    figures = analytics(stack, f"from={WEEK1[0]}&to={WEEK1[1]}")["totals"]
    assert posted[0]["text"] == (f"Support week of 30 Nov 2026: {figures['opened']} opened, {figures['solved']} "
                                 f"solved, backlog {figures['backlog']}, first response median 25m, "
                                 "targets met 67 %")
    blocks = json.loads(posted[0]["blocks"]) if isinstance(posted[0]["blocks"], str) else posted[0]["blocks"]
    fields = [f["text"] for b in blocks if b["type"] == "section" and "fields" in b for f in b["fields"]]
    assert "*Opened*\n4" in fields and "*Backlog*\n3" in fields and "*Targets met*\n67 % (2 of 3)" in fields


def run_job(stack: Stack, name: str) -> dict[str, Any]:
    from chalicelib.jobs import registry as jobs

    return jobs.run(name, stack.services)


def test_rebuild_metrics_command(timed: tuple[Stack, Any], capsys: pytest.CaptureFixture[str]) -> None:
    from chalicelib.cli import main

    stack, clock = timed
    say(stack, clock, "Counted by the command")
    assert main(["rebuild-metrics"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])  # the last line: the report
    assert out["tickets"] == 1 and out["items_written"] >= 2


def test_a_ticket_opened_from_a_thread_counts_its_history_like_a_rebuild(timed: tuple[Stack, Any]) -> None:
    """A :ticket: reaction on a thread that already has answers: first response, replies and a missed
    next-response target are counted when it opens, exactly as rebuild-metrics replays them."""
    from chalicelib.desk.analytics import raw_items
    from chalicelib.desk.metrics_rebuild import rebuild
    from tests.conftest import team_directory
    from tests.helpers import reaction

    stack, clock = timed
    stack.services.directory.replace(team_directory(rotation_roster=("ada", "bo"), response_targets={
        "enterprise": (1.0, 1.0), "scale": (4.0, 4.0), "community": (1.0, 1.0)}))
    root = at("2026-12-02T10:00:00+00:00").timestamp()
    thread = [(0, "U0CUST1", "How do I export?"), (600, ADA, "Settings > Export"),
              (1200, "U0CUST1", "It times out"), (10800, BO, "Fixed the timeout")]  # next due 11:20, answered 13:00
    for offset, user, text in thread:
        stack.slack.add_message("C0COMMUNITY", f"{root + offset:.6f}", user, text,
                                thread_ts=None if offset == 0 else f"{root:.6f}")
    clock.set(at("2026-12-02T14:00:00+00:00"))
    stack.post_event(reaction(ADA, "C0COMMUNITY", f"{root:.6f}"))
    stack.drain()
    day = analytics(stack, "from=2026-12-02&to=2026-12-02")["totals"]
    assert (day["opened"], day["replies"], day["first_responses"]) == (1, 2, 1)
    assert day["first_response"]["median"] == 600
    assert day["targets"]["first"] == {"met": 1, "missed": 0, "rate": 1.0}
    assert day["targets"]["next"] == {"met": 0, "missed": 1, "rate": 0.0}

    def items() -> dict[str, Any]:
        return {raw["key"]["S"]: raw for raw in raw_items("2026-12")}

    live = items()
    rebuild(stack.services.directory.load().settings, today=dt.date(2026, 12, 2))
    assert items() == live
