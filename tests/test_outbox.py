"""Nothing lost, nothing twice, through long outages: the outbox on the test's clock.

Slack, GitHub and SES fail the way they do in real incidents (hours of 500s, 429s with
Retry-After, throttling) while customers and agents keep writing; after recovery every
ticket, confirmation, acknowledgement, reply, Hero DM and target warning exists exactly once,
and nothing is left failed.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.desk.outbox import FIRST_DELAY, GIVE_UP_AFTER, MAX_DELAY, backoff
from tests.conftest import Stack, sign, team_directory
from tests.helpers import message, reaction
from tests.test_email import mail
from tests.test_github import REPO, comment_payload

ADA, BO = "U0HERO1", "U0HERO2"


# -- the retry schedule -----------------------------------------------------------------------------
def test_backoff_doubles_from_seconds_to_an_hour_with_jitter_and_spans_more_than_a_day() -> None:
    delays = [backoff(n, "step-a") for n in range(1, 40)]
    for n, delay in enumerate(delays, start=1):
        ceiling = min(MAX_DELAY, FIRST_DELAY * 2 ** (n - 1))
        assert ceiling / 2 <= delay <= ceiling
    assert delays[0] < 6 and max(delays) <= 3600
    assert backoff(3, "step-a") == backoff(3, "step-a") != backoff(3, "step-b")  # per step: no lockstep
    elapsed, attempts = 0.0, 0
    while elapsed <= GIVE_UP_AFTER:  # how the outbox decides to give up
        attempts += 1
        elapsed += backoff(attempts, "step-a")
    assert attempts >= 24 and elapsed > 24 * 3600  # retried for more than a day, at least hourly at the end


# -- a long, mixed outage -----------------------------------------------------------------------------
def slash(stack: Stack, text: str, user: str = ADA, channel: str = "C0TRIAGE") -> None:
    body = urllib.parse.urlencode({
        "token": "x", "team_id": "T0DEV", "channel_id": channel, "user_id": user, "command": "/ticket",
        "text": text, "response_url": "https://hooks.slack.com/commands/T0DEV/1/x",
        "trigger_id": f"trig-{time.monotonic_ns()}",
    }).encode()
    headers = {**sign(body), "Content-Type": "application/x-www-form-urlencoded"}
    assert stack.client.http.post("/slack/commands", headers=headers, body=body).status_code == 200


def reply(stack: Stack, number: int, text: str) -> None:
    response = stack.api("POST", f"/api/tickets/{number}/replies", body={"text": text})
    assert response.status_code == 202, response.body


def ticket(stack: Stack, number: int) -> dict[str, Any]:
    response = stack.api("GET", f"/api/tickets/{number}")
    assert response.status_code == 200, response.body
    return dict(json.loads(response.body))


def applied_posts(stack: Stack) -> list[dict[str, Any]]:
    """Every message Slack accepted (DMs included): failed attempts are calls marked failed."""
    return [c["params"] for c in stack.slack.calls("chat.postMessage") if not c.get("failed")]


def meta(post: dict[str, Any]) -> dict[str, Any]:
    value = post.get("metadata") or {}
    return dict(json.loads(value) if isinstance(value, str) else value)


def confirmations_of(stack: Stack, number: int) -> int:
    return sum(1 for p in applied_posts(stack) if meta(p).get("event_type") == "support_hero_ticket"
               and meta(p).get("event_payload", {}).get("number") == number)


class SesThrottle:
    """SES throttles every send until ``until`` (botocore's own event hook, as its Stubber uses)."""

    def __init__(self, client: Any, clock: Any, until: dt.datetime) -> None:
        self.clock, self.until, self.refused = clock, until, 0
        client.meta.events.register("before-call.ses.SendRawEmail", self)

    def __call__(self, **_: Any) -> Any:
        if self.clock.now() >= self.until:
            return None
        self.refused += 1
        http = type("Http", (), {"status_code": 400, "headers": {}})()
        return http, {"Error": {"Code": "Throttling", "Message": "Maximum sending rate exceeded."},
                      "ResponseMetadata": {"HTTPStatusCode": 400}}


@pytest.fixture
def outage(clocked: tuple[Stack, Any]) -> Iterator[tuple[Stack, Any]]:
    stack, clock = clocked
    stack.services.directory.replace(team_directory(rotation_roster=("ada", "bo")))
    yield stack, clock
    stack.slack.end_outage()
    stack.github.end_outage()


def test_hours_of_outage_lose_nothing_and_repeat_nothing(outage: tuple[Stack, Any]) -> None:
    stack, clock = outage
    start = clock.now()  # Wednesday 10:00 UTC, business hours
    services = stack.services
    # Customers already waiting before the outage: a community question, an open GitHub issue.
    stack.slack.add_message("C0COMMUNITY", "1796205000.000100", "U0CUST1", "How do I rotate keys?")
    stack.slack.outage(status=500, until=start + dt.timedelta(hours=6))
    stack.github.outage(status=500, until=start + dt.timedelta(hours=2))
    ses = SesThrottle(services.aws.client("ses"), clock, start + dt.timedelta(hours=1))

    # During the outage, everything keeps happening.
    stack.post_event(reaction(ADA, "C0COMMUNITY", "1796205000.000100"))  # needs Slack to read the message
    stack.post_event(message("U0ACME1", "C0ACME", "1796205600.000100", "Checkout is down"))  # opens at once
    stack.post_event(message("U0ACME1", "C0ACME", "1796205660.000100", "And exports time out"))  # nobody answers
    raw, _ = mail(subject="Invoices missing")
    stack.email(raw)
    stack.github_delivery("issue_comment", comment_payload())
    stack.drain()
    numbers = {t["subject"]: t["number"] for t in json.loads(stack.api("GET", "/api/tickets?view=all").body)["tickets"]}
    assert set(numbers) == {"Checkout is down", "And exports time out", "Invoices missing",
                            "Spelling error in the README file"}
    acme, late, email_no = numbers["Checkout is down"], numbers["And exports time out"], numbers["Invoices missing"]
    github_no = numbers["Spelling error in the README file"]
    clock.advance(minutes=2)  # the agents answer a couple of minutes later
    reply(stack, acme, "Looking at checkout now.")
    reply(stack, email_no, "Invoices are regenerated.")
    reply(stack, github_no, "Fix ships Friday.")
    slash(stack, f"reply {acme} We rolled back the deploy.")
    slash(stack, f"note {acme} Rollback done by Bo.")
    stack.settle(clock, start + dt.timedelta(hours=6), every=dt.timedelta(minutes=5), jobs=("targets",))

    # Then Slack rate-limits for two hours (Retry-After honoured, never slept).
    stack.slack.outage(status=429, retry_after=120, until=start + dt.timedelta(hours=8))
    stack.settle(clock, start + dt.timedelta(hours=8), every=dt.timedelta(minutes=5), jobs=("targets",))
    # Recovered: let the last retries (at most an hour apart) run.
    stack.settle(clock, start + dt.timedelta(hours=10), every=dt.timedelta(minutes=5), jobs=("targets",))

    assert ses.refused >= 1 and stack.failures() == []
    assert stack.queue_depth() == 0 and stack.queue_depth(stack.dlq_url) == 0
    listed = json.loads(stack.api("GET", "/api/tickets?view=all").body)["tickets"]
    assert len(listed) == 5  # the reaction's ticket opened once Slack could be read
    community = next(t for t in listed if t["subject"] == "How do I rotate keys?")
    posts = applied_posts(stack)
    # Every Slack ticket confirmed exactly once; every reply and note once.
    for number in (acme, late, community["number"]):
        assert ticket(stack, number)["confirmed"] is True
        assert confirmations_of(stack, number) == 1, number
    texts = Counter(p.get("text") for p in posts)
    assert texts["Looking at checkout now."] == 1 and texts["We rolled back the deploy."] == 1
    conversation = ticket(stack, acme)["messages"]
    assert [m["text"] for m in conversation if m["role"] == "internal"] == ["Rollback done by Bo."]
    assert all(m["delivery"]["status"] == "sent" for m in conversation if m["delivery"])
    # Email: one acknowledgement, one reply.
    subjects = Counter(str(m["Subject"]) for m in stack.sent_mail())
    assert subjects["Re: Invoices missing"] == 2  # the acknowledgement and the agent's reply
    assert sum("Invoices are regenerated." in m.get_body(("plain",)).get_content() for m in stack.sent_mail()) == 1
    # GitHub: one comment.
    assert [c["body"].split("\n")[0] for c in stack.github.comments(REPO, 1)] == ["@curious-user Fix ships Friday."]
    # The Hero (Ada in sprint 1) heard of each new ticket exactly once.
    new_ticket = Counter(p["text"].split("*#")[1].split("*")[0] for p in posts
                         if p.get("text", "").startswith(":inbox_tray: New ticket"))
    assert sorted(new_ticket.values()) == [1, 1, 1, 1, 1]
    # Response targets: the unanswered Acme ticket (enterprise, 1 h) reached 75 % at 10:46 and its breach at
    # 11:01, both while Slack was down. The breach notice is sent once and says the warning could not be
    # delivered in time; the stale warning is dropped, not sent hours late.
    about_late = [p["text"] for p in posts if f"*#{late}*" in p.get("text", "") and "target" in p["text"]]
    assert len(about_late) == 1 and "missed its 1 h first response target" in about_late[0]
    assert "75 % warning could not be delivered in time" in about_late[0]
    answered = [p["text"] for p in posts if f"*#{acme}*" in p.get("text", "") and "target" in p["text"]]
    assert answered == []  # answered at once (the reply counts when written, even while it waits to go out)


def test_a_slow_answer_does_not_become_a_second_post(clocked: tuple[Stack, Any]) -> None:
    """Slack applies the post but answers after the client gave up: the retry finds it instead."""
    stack, clock = clocked
    stack.services.slack._timeout = 1  # the client waits 1 s here (10 s deployed)
    stack.services.slack._client = None
    stack.slack.slow_next("chat.postMessage", delay=2.5)
    stack.post_event(message("U0ACME1", "C0ACME", "1796205600.000100", "Checkout is down"))
    stack.drain()
    assert ticket(stack, 1)["confirmed"] is False  # the outcome was unknown
    time.sleep(2)  # the fake finishes its late answer
    stack.settle(clock, clock.now() + dt.timedelta(minutes=5))
    assert confirmations_of(stack, 1) == 1
    assert ticket(stack, 1)["confirmed"] is True
    assert len(stack.slack.calls("chat.postMessage")) == 1  # looked up, not posted again


def test_a_failing_private_answer_never_repeats_the_reply(clocked: tuple[Stack, Any]) -> None:
    stack, clock = clocked
    stack.post_event(message("U0ACME1", "C0ACME", "1796205600.000100", "Checkout is down"))
    stack.drain()
    stack.slack.fail_next("chat.postEphemeral", status=500, count=1)
    slash(stack, "reply 1 Fixed on our side.")
    stack.settle(clock, clock.now() + dt.timedelta(minutes=5))
    assert [p["text"] for p in applied_posts(stack)].count("Fixed on our side.") == 1  # the customer: once
    answers = stack.slack.calls("chat.postEphemeral")
    assert [bool(c.get("failed")) for c in answers] == [True, False]  # the agent: told on the retry
    assert "reply queued" in answers[-1]["params"]["text"]
    # Typed where the bot is not a member: the answer comes by DM, once, and says why.
    stack.slack.fail_next("chat.postEphemeral", status=200, error="not_in_channel", count=5)
    slash(stack, "note 1 Customer confirmed.", channel="C0ELSEWHERE")
    stack.settle(clock, clock.now() + dt.timedelta(minutes=5))
    notes = [m for m in ticket(stack, 1)["messages"] if m["role"] == "internal"]
    assert [m["text"] for m in notes] == ["Customer confirmed."]
    dms = [p["text"] for p in applied_posts(stack) if "could not answer you" in p.get("text", "")]
    assert len(dms) == 1 and "not_in_channel" in dms[0] and "internal note added" in dms[0]
    assert stack.failures() == []


def test_a_permanent_failure_is_listed_and_replays_once_fixed(clocked: tuple[Stack, Any]) -> None:
    stack, _ = clocked
    stack.github_delivery("issue_comment", comment_payload())
    stack.drain()
    stack.github.fail_next(status=404)
    reply(stack, 1, "Fix ships Friday.")
    stack.drain()
    [failure] = stack.failures()
    assert failure["kind"] == "reply.deliver" and failure["ticket"] == 1 and "404" in failure["error"]
    assert ticket(stack, 1)["messages"][-1]["delivery"]["status"] == "failed"
    assert stack.api("POST", failure["retry"]).status_code == 200
    assert ticket(stack, 1)["messages"][-1]["delivery"]["status"] == "sent"
    assert len(stack.github.comments(REPO, 1)) == 1
    assert stack.failures() == []
    assert stack.api("GET", "/api/failures?cursor=nope").status_code == 400
    assert stack.api("GET", "/api/failures", token="wrong").status_code == 401


def test_redrive_replays_every_failure(clocked: tuple[Stack, Any]) -> None:
    stack, _ = clocked
    stack.slack.fail_next("chat.postMessage", status=200, error="not_in_channel", count=3)
    stack.post_event(message("U0ACME1", "C0ACME", "1796205600.000100", "A"))
    stack.post_event(message("U0ACME1", "C0ACME", "1796205700.000100", "B"))
    stack.drain()
    assert len(stack.failures()) >= 2
    replayed = stack.services.outbox.redrive()
    assert len(replayed) >= 2
    stack.services.outbox.flush()  # `cli redrive --now`; without it the outbox schedule runs them
    assert stack.failures() == []
    assert ticket(stack, 1)["confirmed"] and ticket(stack, 2)["confirmed"]


def test_the_heros_app_home_lists_what_could_not_be_delivered(clocked: tuple[Stack, Any]) -> None:
    from chalicelib.channels.slack.triage import home_step

    stack, _ = clocked
    services = stack.services
    services.directory.replace(team_directory(rotation_roster=("ada", "bo")))
    stack.slack.fail_next("chat.postMessage", status=200, error="channel_not_found", count=1)
    stack.post_event(message("U0ACME1", "C0ACME", "1796205600.000100", "Checkout is down"))
    stack.drain()
    directory = services.directory.load()
    hero = directory.member(str(services.rotation.current_hero(directory.settings)))
    other = next(m for m in directory.members if m.id != (hero.id if hero else None))
    assert hero is not None and hero.slack_user_id and other.slack_user_id
    services.outbox.add(home_step(hero.id), home_step(other.id))
    services.outbox.flush()

    def home_of(user: str) -> str:
        return json.dumps([c["params"] for c in stack.slack.calls("views.publish")
                           if c["params"].get("user_id") == user][-1])

    assert "Could not deliver" in home_of(hero.slack_user_id) and "channel_not_found" in home_of(hero.slack_user_id)
    assert "Could not deliver" not in home_of(other.slack_user_id)  # the Hero's, not everyone's


def test_failures_page_with_a_cursor_and_refuse_a_forged_one(clocked: tuple[Stack, Any]) -> None:
    import base64

    stack, _ = clocked
    stack.slack.fail_next("chat.postMessage", status=200, error="channel_not_found", count=6)
    for n in range(3):
        stack.post_event(message("U0ACME1", "C0ACME", f"17962056{n:02d}.000100", f"question {n}"))
    stack.drain()
    first = json.loads(stack.api("GET", "/api/failures?limit=2").body)
    assert len(first["failures"]) == 2 and first["cursor"]
    rest = json.loads(stack.api("GET", f"/api/failures?limit=100&cursor={first['cursor']}").body)
    ids = [f["id"] for f in first["failures"] + rest["failures"]]
    assert len(ids) == len(set(ids)) == len(stack.failures()) >= 3

    def forged(key: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")

    for key in ({"step_id": {"S": 1}, "failed": {"S": "FAILED"}, "failed_at": {"N": "1"}},
                {"step_id": {"S": "x"}, "failed": {"S": "OTHER"}, "failed_at": {"N": "1"}},
                {"step_id": {"S": "x"}, "failed": {"S": "FAILED"}, "failed_at": {"N": "١"}},
                {"step_id": {"N": "1"}, "failed": {"S": "FAILED"}, "failed_at": {"N": "1"}}):
        assert stack.api("GET", f"/api/failures?cursor={forged(key)}").status_code == 400, key
    assert stack.api("GET", "/api/failures?limit=0").status_code == 400
    assert stack.api("GET", "/api/failures?status=failed").status_code == 400
    assert stack.api("POST", "/api/failures/nope/retry").status_code == 404
