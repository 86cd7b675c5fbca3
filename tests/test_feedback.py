"""Feedback the stint turned up: tags, linked GitHub issues (people and tiers asking), bugs and feature
requests, from the tickets created during one Support Hero stint.

Team: Europe/London (GMT = UTC in winter); sprints of 14 days from Mon 16 Nov 2026 with the roster
Ada, Bo: stint 1 is 16-29 Nov (Ada), stint 2 is 30 Nov - 13 Dec (Bo), stint 3 starts 14 Dec (Ada).

  #1 Slack U0ACME1      Sun 29 Nov 23:30   stint 1   bug, linked #1
  #2 Slack U0ACME1      Mon 30 Nov 00:00   stint 2   bug, linked #1           (its first instant)
  #3 email sam@acme     Tue  1 Dec 10:00   stint 2   bug billing, linked #1   (same person as #2)
  #4 GitHub curious     Wed  2 Dec 11:00   stint 2   feature-request, #1 (its own issue) and #2
  #5 Slack U0ACME2      Thu  3 Dec 12:00   stint 2   question, linked #2
  #6 email eve@acme     Sun 13 Dec 23:59:59 stint 2  feature-request <!here>, a hostile subject
  #7 Slack U0ACME1      Mon 14 Dec 00:00   stint 3   bug, linked #1
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Sequence
from html.parser import HTMLParser
from typing import Any

import pytest

from tests.conftest import Stack
from tests.test_github import comment_payload
from tests.test_rotation import api_ticket, at, say

ISSUE_1, ISSUE_2 = "Codertocat/Hello-World#1", "Codertocat/Hello-World#2"
URL_1 = "https://github.com/Codertocat/Hello-World/issues/1"
HOSTILE_SUBJECT = "<!channel> <b>Crash</b> & <https://evil.example|click> <script>alert(1)</script>"
HOSTILE_TAG = '"><img/src=x/onerror=alert(1)><!here>'


def triage(stack: Stack, number: int, tags: list[str], links: Sequence[str] = ()) -> None:
    version = api_ticket(stack, number)["version"]
    response = stack.api("PATCH", f"/api/tickets/{number}", body={"version": version, "tags": tags})
    assert response.status_code == 200, response.body
    for issue in links:
        response = stack.api("POST", f"/api/tickets/{number}/links", body={"issue": issue})
        assert response.status_code in (200, 201), response.body


def newest(stack: Stack) -> int:
    response = stack.api("GET", "/api/tickets?view=all&limit=1")
    assert response.status_code == 200, response.body
    return int(json.loads(response.body)["tickets"][0]["number"])


def email(stack: Stack, clock: Any, sender: str, subject: str, message_id: str) -> int:
    raw = (f"From: {sender}\r\nTo: hey@example.com\r\nSubject: {subject}\r\nMessage-ID: <{message_id}>\r\n\r\n"
           "It happened again.\r\n").encode()
    stack.email(raw, at=clock.now())
    return newest(stack)


def scenario(stack: Stack, clock: Any) -> dict[str, int]:
    """The tickets of the module docstring, through the real routes; their numbers by name."""
    n: dict[str, int] = {}
    clock.set(at("2026-11-29T23:30:00+00:00"))
    say(stack, clock, "Old crash")
    n["out"] = newest(stack)
    triage(stack, n["out"], ["bug"], [ISSUE_1])

    clock.set(at("2026-11-30T00:00:00+00:00"))
    say(stack, clock, "Export crashes")
    n["a"] = newest(stack)
    triage(stack, n["a"], ["bug"], [ISSUE_1])

    clock.set(at("2026-12-01T10:00:00+00:00"))
    n["b"] = email(stack, clock, "Sam <sam@acme.example>", "Export crashed again", "exp-1@acme.example")
    triage(stack, n["b"], ["bug", "billing"], [URL_1])  # linked by its URL: the same issue

    clock.set(at("2026-12-02T11:00:00+00:00"))
    payload = comment_payload(comment_id=91, number=1)
    payload["comment"]["created_at"] = "2026-12-02T11:00:00Z"
    stack.github_delivery("issue_comment", payload, delivery="gh-feedback-1")
    stack.drain()
    n["c"] = newest(stack)
    triage(stack, n["c"], ["feature-request"], [ISSUE_2])

    clock.set(at("2026-12-03T12:00:00+00:00"))
    say(stack, clock, "How do I export?", user="U0ACME2")
    n["d"] = newest(stack)
    triage(stack, n["d"], ["question"], [ISSUE_2])

    clock.set(at("2026-12-13T23:59:59+00:00"))
    n["e"] = email(stack, clock, "Eve <eve@acme.example>", HOSTILE_SUBJECT, "hostile-1@acme.example")
    triage(stack, n["e"], ["feature-request", HOSTILE_TAG])

    clock.set(at("2026-12-14T00:00:00+00:00"))
    say(stack, clock, "Crash after")
    n["after"] = newest(stack)
    triage(stack, n["after"], ["bug"], [ISSUE_1])
    assert len(set(n.values())) == 7
    return n


class People:
    """A people store's answer: Sam's address and U0ACME1 are one person; other keys are not answered."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, keys: Sequence[str]) -> dict[str, str]:
        self.calls.append(list(keys))
        known = {"slack:U0ACME1": "P000000000001", "email:sam@acme.example": "P000000000001"}
        return {k: known[k] for k in keys if k in known}


def test_the_stint_feedback_against_the_hand_built_fixture(timed: tuple[Stack, Any],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.desk.feedback import Feedback
    from chalicelib.models.tickets import Ticket

    stack, clock = timed
    n = scenario(stack, clock)
    services = stack.services
    directory = services.directory.load()
    sprint = services.rotation.sprint(directory.settings, 2)
    people = People()

    def no_scan(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("feedback must Query, never Scan")

    monkeypatch.setattr(Ticket, "scan", no_scan)
    feedback = Feedback(clock=services.clock, tickets=services.tickets.store, people_of=people)
    answer = feedback.for_stint(directory, sprint)

    assert json.loads(json.dumps(answer)) == answer  # JSON-ready as it is
    assert {k: answer[k] for k in ("stint", "start", "end", "hero", "hero_name", "tickets", "truncated")} == {
        "stint": 2, "start": "2026-11-30", "end": "2026-12-13", "hero": "bo", "hero_name": "Bo Agent",
        "tickets": 5, "truncated": False}
    assert answer["tags"] == [{"tag": "bug", "count": 2}, {"tag": "feature-request", "count": 2},
                              {"tag": HOSTILE_TAG.lower(), "count": 1}, {"tag": "billing", "count": 1},
                              {"tag": "question", "count": 1}]
    # #1: Slack and email from one person, and the GitHub commenter: two people over three tickets.
    assert answer["issues"] == [
        {"issue": ISSUE_1, "url": URL_1, "tickets": sorted([n["a"], n["b"], n["c"]]), "people": 2,
         "tiers": {"community": 1, "enterprise": 1}},
        {"issue": ISSUE_2, "url": "https://github.com/Codertocat/Hello-World/issues/2",
         "tickets": sorted([n["c"], n["d"]]), "people": 2, "tiers": {"community": 1, "enterprise": 1}},
    ]
    # One call, with the requesters of the linked tickets only (older tickets: channel and requester).
    assert people.calls == [["email:sam@acme.example", "github:curious-user", "slack:U0ACME1", "slack:U0ACME2"]]
    requests = answer["requests"]
    assert [r["number"] for r in requests] == [n["e"], n["c"], n["b"], n["a"]]  # newest first
    assert requests[0] == {"number": n["e"], "subject": HOSTILE_SUBJECT, "status": "new",
                           "tags": ["feature-request"], "company": "Acme", "tier": "enterprise",
                           "created_at": "2026-12-13T23:59:59+00:00"}
    assert {r["number"]: (r["tags"], r["company"], r["tier"]) for r in requests[1:]} == {
        n["c"]: (["feature-request"], "community", "community"),
        n["b"]: (["bug"], "Acme", "enterprise"),
        n["a"]: (["bug"], "Acme", "enterprise")}

    # Without a people store's answer every identity is its own person: #1 then has three.
    alone = Feedback(clock=services.clock, tickets=services.tickets.store, people_of=lambda keys: {})
    assert [i["people"] for i in alone.for_stint(directory, sprint)["issues"]] == [3, 2]

    # A ticket's own requester_key wins over its channel: #2 (Slack U0ACME1) kept as Sam's address.
    ticket = services.tickets.store.by_number(n["a"])
    assert services.tickets.store.update(ticket, {"requester_key": "email:sam@acme.example"}, versioned=False)
    assert [i["people"] for i in alone.for_stint(directory, sprint)["issues"]] == [2, 2]
    assert feedback.for_stint(directory, sprint)["issues"] == answer["issues"]
    assert people.calls[-1] == ["email:sam@acme.example", "github:curious-user", "slack:U0ACME2"]

    # Stints 1 and 3 each see only their own ticket.
    first = feedback.for_stint(directory, services.rotation.sprint(directory.settings, 1))
    assert (first["tickets"], first["hero"], [i["tickets"] for i in first["issues"]]) == (1, "ada", [[n["out"]]])
    third = feedback.for_stint(directory, services.rotation.sprint(directory.settings, 3))
    assert (third["tickets"], [r["number"] for r in third["requests"]]) == (1, [n["after"]])

    # Bounded: the newest tickets are kept and the answer says the rest was left out.
    capped = Feedback(clock=services.clock, tickets=services.tickets.store, people_of=people, max_tickets=2)
    short = capped.for_stint(directory, sprint)
    assert (short["tickets"], short["truncated"]) == (2, True)
    assert [r["number"] for r in short["requests"]] == [n["e"]]
    assert [i["tickets"] for i in short["issues"]] == [[n["d"]]]


def test_the_feedback_route(timed: tuple[Stack, Any]) -> None:
    stack, clock = timed
    n = scenario(stack, clock)
    clock.set(at("2026-12-15T10:00:00+00:00"))  # stint 3 is the current one

    assert stack.api("GET", "/api/feedback", token="").status_code == 401
    assert stack.api("GET", "/api/feedback?stint=2", token="not-a-token").status_code == 401

    response = stack.api("GET", "/api/feedback")
    assert response.status_code == 200, response.body
    current = json.loads(response.body)
    assert (current["stint"], current["hero"], current["tickets"]) == (3, "ada", 1)
    assert [r["number"] for r in current["requests"]] == [n["after"]]

    two = json.loads(stack.api("GET", "/api/feedback?stint=2").body)
    assert (two["stint"], two["tickets"], two["start"], two["end"]) == (2, 5, "2026-11-30", "2026-12-13")
    # Nothing says Sam and U0ACME1 are one person here: #1 has three people.
    assert [(i["issue"], i["people"]) for i in two["issues"]] == [(ISSUE_1, 3), (ISSUE_2, 2)]

    for query, message in (("stint=abc", "stint must be"), ("stint=-1", "stint must be"), ("stint=0", "stint must be"),
                           ("stint=2.5", "stint must be"), ("stint=", "stint must be"),
                           ("stint=4", "has not started"), ("stint=99999999999999999999", "stint must be"),
                           ("stint=2&colour=red", "unknown query parameter")):
        response = stack.api("GET", f"/api/feedback?{query}")
        assert response.status_code == 400, query
        assert message in json.loads(response.body)["error"], (query, response.body)

    from chalicelib.web.openapi import document

    assert "/api/feedback" in document()["paths"]


def test_the_route_without_a_rotation(stack: Stack) -> None:
    response = stack.api("GET", "/api/feedback")
    assert response.status_code == 400
    assert "no Support Hero rotation is configured" in json.loads(response.body)["error"]
    assert stack.api("GET", "/api/feedback?stint=1").status_code == 400


def test_requester_keys_and_stint_bounds() -> None:
    from chalicelib.desk.feedback import requester_key, stint_bounds
    from chalicelib.desk.rotation import hero_of
    from chalicelib.models.tickets import Ticket
    from tests.conftest import team_directory

    assert requester_key(Ticket("t1", channel="slack", requester_id="U0ACME1")) == "slack:U0ACME1"
    assert requester_key(Ticket("t2", channel="email", requester_id="Sam@Acme.Example")) == "email:sam@acme.example"
    assert requester_key(Ticket("t3", channel="contact", requester_id="Sam@Acme.Example")) == "email:sam@acme.example"
    assert requester_key(Ticket("t4", channel="github", requester_id="OctoCat")) == "github:octocat"
    assert requester_key(Ticket("t5", channel="email", requester_id="x@y.example",
                                requester_key="slack:U0ACME1")) == "slack:U0ACME1"
    assert requester_key(Ticket("t6", channel="slack", requester_id="")) == "ticket:t6"  # its own person

    settings = team_directory(rotation_roster=("ada", "bo")).settings  # Europe/London
    winter = hero_of(settings, 2, {})
    assert stint_bounds(settings, winter) == (dt.datetime(2026, 11, 30, tzinfo=dt.UTC),
                                              dt.datetime(2026, 12, 14, tzinfo=dt.UTC))
    summer = hero_of(settings, 16, {})  # 14-27 June 2027, British Summer Time (UTC+1)
    assert (summer.start, summer.end) == (dt.date(2027, 6, 14), dt.date(2027, 6, 27))
    assert stint_bounds(settings, summer) == (dt.datetime(2027, 6, 13, 23, tzinfo=dt.UTC),
                                              dt.datetime(2027, 6, 27, 23, tzinfo=dt.UTC))
    tokyo = dataclasses.replace(settings, timezone="Asia/Tokyo")
    assert stint_bounds(tokyo, winter)[0] == dt.datetime(2026, 11, 29, 15, tzinfo=dt.UTC)
    # One stint ends where the next begins: nothing falls between them, nothing is counted twice.
    assert stint_bounds(settings, hero_of(settings, 3, {}))[0] == stint_bounds(settings, winter)[1]


# -- rendering ------------------------------------------------------------------------------------------
HOSTILE: dict[str, Any] = {
    "stint": 2, "start": "2026-11-30", "end": "2026-12-13", "hero": "bo", "hero_name": "<@U0HERO1> & <b>Bo</b>",
    "tickets": 3, "truncated": True,
    "tags": [{"tag": HOSTILE_TAG, "count": 2}, {"tag": "bug", "count": 1}],
    "issues": [{"issue": ISSUE_1, "url": URL_1, "tickets": [2, 3], "people": 2,
                "tiers": {"<!channel>": 1, "enterprise": 1}},
               {"issue": "<script>x</script>", "url": "javascript:alert(1)", "tickets": [4], "people": 1,
                "tiers": {}}],
    "requests": [{"number": 6, "subject": HOSTILE_SUBJECT, "status": "new", "tags": ["feature-request"],
                  "company": "<!subteam^S1|@eng> Evil & Co", "tier": "enterprise"},
                 {"number": 2, "subject": "Export crashes", "status": "open", "tags": ["bug"],
                  "company": "community", "tier": "community"}],
}


def mrkdwn_texts(blocks: list[dict[str, Any]]) -> list[str]:
    texts = []
    for block in blocks:
        for obj in [block.get("text"), *block.get("elements", []), *block.get("fields", [])]:
            if isinstance(obj, dict) and obj.get("type") == "mrkdwn":
                texts.append(obj["text"])
    return texts


def test_slack_blocks_keep_customer_text_as_text() -> None:
    from chalicelib.channels.slack.mrkdwn import Mrkdwn, render_payload
    from chalicelib.jobs.feedback_blocks import feedback_blocks

    blocks = feedback_blocks(HOSTILE)
    texts = mrkdwn_texts(blocks)
    assert texts and all(isinstance(t, Mrkdwn) for t in texts)  # ours: the boundary sends them as they are
    assert render_payload({"channel": "C1", "blocks": blocks}) == {"channel": "C1", "blocks": blocks}
    whole = "\n".join(texts)
    # The one live link is ours; every angle bracket from the data is escaped, nothing else is markup.
    assert whole.count("<") == 1 and f"<{URL_1}|{ISSUE_1}>" in whole
    for escaped in ("&lt;!channel&gt;", "&lt;b&gt;Crash&lt;/b&gt; &amp;", "&lt;https://evil.example|click&gt;",
                    "&lt;@U0HERO1&gt; &amp; &lt;b&gt;Bo&lt;/b&gt;", "&lt;!here&gt;",
                    "&lt;!subteam^S1|@eng&gt; Evil &amp; Co",
                    "&lt;script&gt;x&lt;/script&gt;", "enterprise 1"):
        assert escaped in whole, escaped
    assert "javascript:" not in whole
    assert "Only the newest 3 tickets" in whole
    assert blocks[0] == {"type": "header", "text": {"type": "plain_text", "text": "Feedback from stint 2"}}
    assert all(len(t) <= 3000 for t in texts)


def test_slack_blocks_stay_within_slacks_limits() -> None:
    from chalicelib.jobs.feedback_blocks import MAX_REQUESTS, feedback_blocks

    many = {**HOSTILE, "truncated": False,
            "requests": [{**HOSTILE["requests"][0], "number": i, "subject": "<&>" * 400} for i in range(200)],
            "issues": [{**HOSTILE["issues"][0], "issue": f"o/r#{i}"} for i in range(40)]}
    blocks = feedback_blocks(many)
    texts = mrkdwn_texts(blocks)
    assert len(blocks) <= 50 and all(len(t) <= 3000 for t in texts)
    whole = "\n".join(texts)
    assert f"…and {200 - MAX_REQUESTS} more" in whole and "…and 30 more" in whole
    empty = feedback_blocks({"stint": 1, "start": "2026-11-16", "end": "2026-11-29", "hero": None,
                             "hero_name": None, "tickets": 0, "tags": [], "issues": [], "requests": []})
    assert "No linked issues." in "\n".join(mrkdwn_texts(empty))


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_dashboard_html_keeps_customer_text_as_text() -> None:
    from chalicelib.web.feedback_view import feedback_html

    page = feedback_html(HOSTILE)
    parsed = _Page()
    parsed.feed(page)
    parsed.close()
    # Only our own elements; the hostile strings are back as text once parsed.
    assert set(parsed.tags) <= {"section", "h2", "ul", "li", "b", "div", "table", "caption", "thead", "tbody",
                                "tr", "th", "td", "a"}
    assert "script" not in parsed.tags and "img" not in parsed.tags
    assert parsed.tags.count("a") == 1 and ("href", URL_1) in parsed.attrs  # javascript: is not linked
    assert parsed.tags.count("b") == 2  # the Hero's name and the ticket count, both ours
    text = "".join(parsed.text)
    for raw in (HOSTILE_SUBJECT, HOSTILE_TAG, "<!subteam^S1|@eng> Evil & Co", "<@U0HERO1> & <b>Bo</b>",
                "<script>x</script>"):
        assert raw in text, raw
    assert ("data-tag", HOSTILE_TAG) in parsed.attrs
    for table in ("feedback-tags", "feedback-issues", "feedback-requests"):
        assert f'<table id="{table}">' in page
    assert page.startswith('<section class="card" id="feedback"') and page.endswith("</section>")
    empty = feedback_html({"stint": 1, "tags": [], "issues": [], "requests": []})
    assert "No linked issues in this stint." in empty and "No bugs or feature requests in this stint." in empty


def test_renderers_on_a_real_answer(timed: tuple[Stack, Any]) -> None:
    from chalicelib.jobs.feedback_blocks import feedback_blocks
    from chalicelib.web.feedback_view import feedback_html

    stack, clock = timed
    scenario(stack, clock)
    answer = json.loads(stack.api("GET", "/api/feedback?stint=2").body)
    whole = "\n".join(mrkdwn_texts(feedback_blocks(answer)))
    assert "&lt;!channel&gt;" in whole and "<!" not in whole and "<script" not in whole
    assert whole.count("<") == 2  # the two issue links
    page = feedback_html(answer)
    assert "<script" not in page and "<img" not in page and "&lt;!here&gt;" in page
