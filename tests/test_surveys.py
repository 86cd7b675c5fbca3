"""Satisfaction, asked once: after a grace period of business time once solved, in the requester's channel."""

from __future__ import annotations

import datetime as dt
import json
import re
import urllib.parse
from typing import Any

import pytest

from tests.conftest import Stack
from tests.helpers import reaction
from tests.test_email import mail

ASK_TS = "1700000100.000100"


def api(stack: Stack, method: str, path: str, body: Any = None, status: int = 200, token: str = "dev-token-ada") -> Any:
    response = stack.api(method, path, body=body, token=token)
    assert response.status_code == status, response.body
    return json.loads(response.body) if response.body else None


def run_job(stack: Stack, name: str = "surveys") -> dict[str, Any]:
    from chalicelib.jobs import registry

    return registry.run(name, stack.services)


def slack_ticket(stack: Stack, user: str = "U0SAM1", ts: str = ASK_TS) -> int:
    stack.slack.add_user(user, "sam", real_name="Sam Example")
    stack.slack.add_message("C0COMMUNITY", ts, user, "Can I export my data?")
    assert stack.post_event(reaction("U0HERO1", "C0COMMUNITY", ts)).status_code == 200
    stack.drain()
    return int(api(stack, "GET", "/api/tickets?view=all")["tickets"][0]["number"])


def solve(stack: Stack, number: int, assignee: str | None = "ada") -> None:
    version = api(stack, "GET", f"/api/tickets/{number}")["version"]
    body: dict[str, Any] = {"version": version, "status": "solved"}
    if assignee:
        body["assignee"] = assignee
    api(stack, "PATCH", f"/api/tickets/{number}", body)
    stack.drain()


def surveys_posted(stack: Stack) -> list[dict[str, Any]]:
    return [c["params"] for c in stack.slack.calls("chat.postMessage") if "csat:" in json.dumps(c["params"])]


def click(stack: Stack, number: int, user: str, action: str = "csat_good") -> None:
    payload = {"type": "block_actions", "user": {"id": user}, "team": {"id": "T0DEV"},
               "channel": {"id": "C0COMMUNITY"}, "container": {"type": "message", "channel_id": "C0COMMUNITY",
                                                                "message_ts": "1700009999.000100"},
               "trigger_id": f"t{user}{action}", "api_app_id": "A0DEV",
               "actions": [{"type": "button", "action_id": action, "block_id": f"csat:{number}",
                            "value": action[5:], "action_ts": f"17000{len(user)}{len(action)}.1"}]}
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    from tests.conftest import sign

    response = stack.client.http.post("/slack/interactions", body=body,
                                      headers={**sign(body), "Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200, response.body
    stack.drain()


def test_a_solved_slack_ticket_is_surveyed_once_after_the_grace_period(clocked: tuple[Stack, Any]) -> None:
    stack, clock = clocked  # Wednesday 10:00 UTC: London business hours
    number = slack_ticket(stack)
    solve(stack, number)
    detail = api(stack, "GET", f"/api/tickets/{number}")
    assert detail["satisfaction"] is None
    clock.advance(minutes=59)
    assert run_job(stack)["did"] == [] and surveys_posted(stack) == []
    clock.advance(minutes=2)
    assert run_job(stack)["did"] == [f"#{number}: asked"]
    run_job(stack)
    [survey] = surveys_posted(stack)
    assert survey["channel"] == "C0COMMUNITY" and survey["thread_ts"] == ASK_TS and "<@U0SAM1>" in survey["text"]
    assert api(stack, "GET", f"/api/tickets/{number}")["satisfaction"] == {"survey": "asked"}

    click(stack, number, "U0CUST9")  # somebody else in the community channel
    assert api(stack, "GET", f"/api/tickets/{number}")["satisfaction"] == {"survey": "asked"}
    refusals = [c["params"] for c in stack.slack.calls("chat.postEphemeral") if c["params"]["user"] == "U0CUST9"]
    assert refusals and "Only the person who asked" in refusals[0]["text"]

    clock.advance(minutes=5)
    click(stack, number, "U0SAM1", "csat_good")
    click(stack, number, "U0SAM1", "csat_bad")  # the first answer stays
    rated = api(stack, "GET", f"/api/tickets/{number}")
    assert rated["satisfaction"]["rating"] == "good"
    assert [a["change"] for a in rated["audit"] if "satisfaction" in a["change"]] == [
        "satisfaction survey sent", "satisfaction: good"]
    today = clock.now().date().isoformat()
    figures = api(stack, "GET", f"/api/analytics?from={today}&to={today}")
    assert figures["totals"]["csat"] == {"good": 1, "bad": 0, "rated": 1, "rate": 1.0}
    assert figures["csat_by_channel"]["slack"]["rated"] == 1
    assert len(surveys_posted(stack)) == 1


def test_reopened_within_the_grace_period_is_not_surveyed(clocked: tuple[Stack, Any]) -> None:
    stack, clock = clocked
    number = slack_ticket(stack)
    solve(stack, number)
    clock.advance(minutes=30)
    version = api(stack, "GET", f"/api/tickets/{number}")["version"]
    api(stack, "PATCH", f"/api/tickets/{number}", {"version": version, "status": "open"})
    clock.advance(hours=3)
    assert run_job(stack)["did"] == []
    assert surveys_posted(stack) == []
    solve(stack, number)  # solved again: a new grace period
    clock.advance(hours=2)
    assert run_job(stack)["did"] == [f"#{number}: asked"]


def test_the_grace_period_is_business_time(clocked: tuple[Stack, Any]) -> None:
    stack, clock = clocked
    clock.set(dt.datetime(2026, 12, 4, 16, 30, tzinfo=dt.UTC))  # Friday 16:30 London: 30 minutes before closing
    number = slack_ticket(stack)
    solve(stack, number)
    clock.set(dt.datetime(2026, 12, 7, 9, 20, tzinfo=dt.UTC))  # Monday 09:20: 50 business minutes later
    assert run_job(stack)["did"] == []
    clock.set(dt.datetime(2026, 12, 7, 9, 31, tzinfo=dt.UTC))
    assert run_job(stack)["did"] == [f"#{number}: asked"]


def test_a_bad_rating_tells_the_owner_and_the_hero(timed: tuple[Stack, Any]) -> None:
    stack, clock = timed  # the rotation is on
    settings = stack.services.directory.load().settings
    hero = stack.services.rotation.current_hero(settings)
    owner = "ada" if hero == "bo" else "bo"
    number = slack_ticket(stack)
    solve(stack, number, assignee=owner)
    clock.advance(hours=2)
    run_job(stack)
    click(stack, number, "U0SAM1", "csat_bad")
    dms = [c["params"] for c in stack.slack.calls("chat.postMessage") if "rated *bad*" in c["params"].get("text", "")]
    assert sorted(d["channel"] for d in dms) == ["DU0HERO1", "DU0HERO2"]  # the owner and the Hero, once each
    assert api(stack, "GET", f"/api/tickets/{number}")["satisfaction"]["rating"] == "bad"


def _links(text: str) -> dict[str, str]:
    return dict(zip(("good", "bad", "comment"), re.findall(r"http://\S+/survey\?\S+", text), strict=True))


def test_an_email_ticket_is_surveyed_by_signed_links(clocked: tuple[Stack, Any],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    stack, clock = clocked
    monkeypatch.setenv("PUBLIC_API_URL", "http://127.0.0.1:8000")
    stack.email(mail(frm="Sam <sam@customer.example>", subject="Export <b>now</b>")[0])
    number = int(api(stack, "GET", "/api/tickets?view=all")["tickets"][0]["number"])
    solve(stack, number)
    before = len(stack.sent_mail())
    clock.advance(hours=2)
    run_job(stack)
    run_job(stack)
    [survey] = stack.sent_mail()[before:]
    assert str(survey["To"]).endswith("<sam@customer.example>") and survey["Auto-Submitted"] == "auto-replied"
    links = _links(survey.get_body(("plain",)).get_content())

    def get(url: str) -> Any:
        return stack.client.http.get(url.removeprefix("http://127.0.0.1:8000"))

    tampered = links["good"].replace("a=good", "a=bad")
    assert get(tampered).status_code == 401
    other = re.sub(r"n=\d+", f"n={number + 1}", links["good"])
    assert get(other).status_code == 401
    assert get(links["good"].replace("&s=", "&s=0")).status_code == 401
    first = get(links["good"])
    assert first.status_code == 200 and "we recorded" in first.body.decode()
    assert "default-src 'none'" in first.headers["Content-Security-Policy"]
    again = get(links["bad"])
    assert again.status_code == 200 and "already recorded" in again.body.decode()
    assert api(stack, "GET", f"/api/tickets/{number}")["satisfaction"]["rating"] == "good"

    page = get(links["comment"]).body.decode()
    assert "&lt;b&gt;now&lt;/b&gt;" in page and "<b>now" not in page
    form = dict(re.findall(r'name="(n|e|s)" value="([^"]*)"', page))
    body = urllib.parse.urlencode({**form, "comment": "Quick <script>x</script> and kind"}).encode()
    posted = stack.client.http.post("/survey", body=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert posted.status_code == 200
    forged = urllib.parse.urlencode({**form, "s": "0" * 64, "comment": "spam"}).encode()
    assert stack.client.http.post("/survey", body=forged, headers={
        "Content-Type": "application/x-www-form-urlencoded"}).status_code == 401
    detail = api(stack, "GET", f"/api/tickets/{number}")
    assert detail["satisfaction"]["comment"] == "Quick <script>x</script> and kind"
    assert any(a["change"].startswith("satisfaction comment:") for a in detail["audit"])


def test_who_is_never_asked(clocked: tuple[Stack, Any]) -> None:
    stack, clock = clocked
    import dataclasses

    from tests.conftest import team_directory

    directory = team_directory()
    acme = dataclasses.replace(directory.customers[0], surveys=False)
    stack.services.directory.replace(dataclasses.replace(directory, customers=(acme,)))
    # A team member's own request, an auto-submitted mail, an opted-out customer, a GitHub question.
    stack.email(mail(frm="Bo <bo@example.com>", subject="Internal")[0], verdicts={"spf": "PASS", "dkim": "PASS",
                                                                                 "dmarc": "PASS"})
    raw, _ = mail(frm="Robot <robot@vendor.example>", subject="Report")
    stack.email(raw.replace(b"Subject:", b"Auto-Submitted: auto-generated\nSubject:"))
    stack.email(mail(frm="Wile <wile@acme.example>", subject="Opted out")[0])
    from tests.test_github import comment_payload

    assert stack.github_delivery("issue_comment", comment_payload(login="curious-user")).status_code == 202
    stack.drain()
    numbers = [t["number"] for t in api(stack, "GET", "/api/tickets?view=all")["tickets"]]
    for number in numbers:
        solve(stack, number)
    clock.advance(hours=2)
    report = run_job(stack)
    assert report["did"] == []
    reasons = sorted(s.split(": ", 1)[1] for s in report["skipped"])
    assert reasons == ["skipped:auto-submitted", "skipped:channel-not-surveyed", "skipped:opted-out",
                       "skipped:team-member"]
    assert run_job(stack)["skipped"] == []  # settled: not looked at again


def test_one_person_is_asked_at_most_once_a_week(clocked: tuple[Stack, Any]) -> None:
    stack, clock = clocked
    first = slack_ticket(stack, ts="1700000100.000100")
    second = slack_ticket(stack, ts="1700000200.000100")
    solve(stack, first)
    solve(stack, second)
    clock.advance(hours=2)
    report = run_job(stack)
    assert (len(report["did"]) == 1 and report["skipped"] == [f"#{second}: skipped:asked-recently"]) or \
        report["skipped"] == [f"#{first}: skipped:asked-recently"]
    assert len(surveys_posted(stack)) == 1
    clock.advance(days=8)
    third = slack_ticket(stack, ts="1700000300.000100")
    solve(stack, third)
    clock.advance(hours=2)
    assert run_job(stack)["did"] == [f"#{third}: asked"]


def test_an_app_asking_in_slack_is_not_a_person_and_never_surveyed(clocked: tuple[Stack, Any]) -> None:
    stack, clock = clocked
    stack.slack.add_user("U0BOT77", "deploybot", real_name="Deploy Bot", is_bot=True, email="bot@acme.example")
    stack.slack.add_message("C0COMMUNITY", ASK_TS, "U0BOT77", "Deploy failed, please look")
    stack.post_event(reaction("U0HERO1", "C0COMMUNITY", ASK_TS))
    stack.drain()
    [ticket] = api(stack, "GET", "/api/tickets?view=all")["tickets"]
    assert ticket["requester"]["identity"] == "bot:U0BOT77" and ticket["tier"] == "community"
    api(stack, "GET", "/api/people?slack=U0BOT77", status=404)
    solve(stack, ticket["number"])
    clock.advance(hours=2)
    assert run_job(stack)["skipped"] == [f"#{ticket['number']}: skipped:no-verified-requester"]
    assert surveys_posted(stack) == []
