"""No input gets a 500 (#11 part 4): property-based tests of every HTTP route.

Each route gets at least 10,000 generated inputs across this module (derandomized, so CI sees
the same ones every run): valid payloads with one field replaced by a wrong type, a unicode
surprise (lone surrogates, unicode digits, NUL, RTL marks), a huge or deeply nested value, or
deleted; raw garbage bodies; broken signatures and timestamps.  Per input:

* the answer is one of 200, 201, 202, 400, 401, 404, 409, 413, 415 (never a 5xx), and a 4xx is a
  JSON object with a short ``error`` (the /dashboard page answers a short HTML page instead);
* a 4xx writes nothing: no queue message (and, through the real stack, no table change);
* what the ingress accepts, the worker handles: each message it enqueued is run through the
  worker's ``process_message`` at once and must not raise ("the ingress refuses what the
  worker cannot handle").

Two tiers per route.  The *fast* tier sends inputs through Chalice's test client with the
ingress and the services sharing an in-memory queue (the fake of chalicelib/queue.py's
EventQueue), the team as a fixed set for the ingress, and the agent tokens answered from a
dictionary (the real DynamoDB token lookup costs 3 ms a request); tables, the fake Slack and
the fake GitHub are real.  The *stack* tier sends fewer inputs through the real stack: SQS on
the embedded AWS, the queue pumped into the worker Lambda, the DynamoDB team reader and token
store, and checks that a 4xx changed no table item.

Inputs per route (fast + stack), for each of /slack/events, /slack/commands, /slack/interactions,
/github/webhook, POST replies, PATCH ticket, POST handover, POST links, GET /api/tickets,
/api/rotation, /api/analytics, /api/analytics/leaderboard and /dashboard; ``counted`` asserts
each test ran its quota:

* default (``make test``): 9,800 + 200 = 10,000 per route (an input costs 4-11 ms here, mostly
  Chalice's local gateway, hypothesis and the worker's calls: about 8 minutes on 2 cores);
* ``make test-any-hour`` (which is about the clock, not about inputs) and a quick local run:
  ``FUZZ_FAST_EXAMPLES=300 FUZZ_STACK_EXAMPLES=20``.
"""

from __future__ import annotations

import copy
import itertools
import json
import os
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Stack, sign
from tests.helpers import edited, envelope, message, reaction

# FUZZ_FAST_EXAMPLES / FUZZ_STACK_EXAMPLES shrink a local run; `make test` uses the full counts.
FAST_EXAMPLES = int(os.environ.get("FUZZ_FAST_EXAMPLES", "9800"))
STACK_EXAMPLES = int(os.environ.get("FUZZ_STACK_EXAMPLES", "200"))
ALLOWED = {200, 201, 202, 400, 401, 404, 409, 413, 415}
GITHUB_SECRET = "test-github-secret"
DEEP = "@@deep@@"  # a placeholder replaced by thousands of brackets once the body is JSON text


def fuzz_settings(examples: int) -> Any:
    return settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                    suppress_health_check=list(HealthCheck), print_blob=False)


# -- values that break things ----------------------------------------------------------------------
SURPRISES = [
    "²", "١٢", "１２", "\ud800", "a\udfffb", "\x00", "\u202eevil", "\xa0", "\x85", "", " ", "9" * 5000,
    "1700000000.000100", "99999999999999999999.1", "-1", "0", "1e309", "C0ACME", "C0COMMUNITY", "U0HERO1",
    "<!channel>", "&amp;<>", "ticket", "ticket:1", "ticket:²", "ticket:" + "9" * 30, "Codertocat/Hello-World",
    "x" * 70_000, DEEP,
]
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(alphabet=st.characters(exclude_categories=()), max_size=12),  # surrogates included
    st.sampled_from(SURPRISES),
)
nasty = st.one_of(
    scalars,
    st.lists(scalars, max_size=3),
    st.dictionaries(st.text(max_size=4), scalars, max_size=3),
)
DELETE = object()


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every position in a JSON value (objects and lists included), to mutate one at a time."""
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, inner in value.items():
            out += paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            out += paths(inner, (*prefix, i))
    return out


def mutate(template: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(template)
    target = out
    for key in path[:-1]:
        target = target[key]
    if value is DELETE and isinstance(target, dict):
        target.pop(path[-1], None)
    elif value is not DELETE:
        target[path[-1]] = value
    return out


UNIQUE = "@@unique@@"  # a placeholder for delivery ids, made unique per input (so no dedupe hides one)
_unique = itertools.count(1)


def to_json(payload: Any, depth: int) -> bytes:
    """JSON text, with the DEEP placeholder (if any) as ``depth`` nested arrays."""
    text = json.dumps(payload)  # ensure_ascii: lone surrogates arrive as "\\ud800", as on the wire
    text = text.replace(json.dumps(DEEP), "[" * depth + "]" * depth)
    return text.replace(UNIQUE, f"u{next(_unique)}").encode()


def mutated(templates: list[dict[str, Any]]) -> st.SearchStrategy[bytes]:
    """A template with one position replaced by a nasty value (or deleted), as JSON bytes.
    (Built once per route: strategies made inside a draw cost hypothesis milliseconds each.)"""
    positions = [(t, p) for t in templates for p in paths(t)]
    return st.builds(lambda where, value, depth: to_json(mutate(where[0], where[1], value), depth),
                     st.sampled_from(positions), st.one_of(nasty, st.just(DELETE)), st.sampled_from([65, 200, 5000]))


GARBAGE = st.one_of(
    st.binary(max_size=64),
    st.sampled_from([b"", b"[1]", b"null", b'"x"', b"{", b'{"a":' * 5000, b"[" * 5000 + b"]" * 5000,
                     b'{"type":"event_callback","event_id":"\\ud800","event":{"type":"message"}}',
                     b"{" + b" " * 210_000 + b"}", b"\xff\xfe", b'{"x": 1e999999}', b'{"n": ' + b"9" * 5000 + b"}"]),
)


def body_strategy(templates: list[dict[str, Any]]) -> st.SearchStrategy[bytes]:
    changed = mutated(templates)
    return st.one_of(changed, changed, changed, changed, st.sampled_from(templates).map(lambda t: to_json(t, 1)),
                     GARBAGE)


# -- bookkeeping -------------------------------------------------------------------------------------
@dataclass
class Harness:
    """Sends one input, checks the answer, runs the worker on what was enqueued."""

    stack: Stack
    queue: Any  # the in-memory queue both the ingress and the services use (fast tier), else None
    count: int = 0
    accepted: int = 0
    worker_outcomes: list[str] = field(default_factory=list)

    def check(self, response: Any, *, html: bool = False) -> None:
        self.count += 1
        status = response.status_code
        assert status in ALLOWED, (status, response.body[:300])
        if status >= 400:
            if html:
                assert response.body.startswith(b"<!doctype html>") and len(response.body) < 600
            else:
                reason = json.loads(response.body)
                assert isinstance(reason, dict) and isinstance(reason.get("error"), str), response.body[:200]
                assert 0 < len(reason["error"]) <= 300, reason

    def send(self, call: Callable[[], Any], *, html: bool = False) -> Any:
        from chalicelib.worker import process_message

        before = len(self.queue.messages)
        response = call()
        self.check(response, html=html)
        new = self.queue.messages[before:]
        if response.status_code >= 400:
            assert not new, ("a refused request enqueued", response.status_code, new[:1])
        else:
            self.accepted += 1
        for queued in new:  # the worker takes whatever the ingress accepted, without raising
            self.worker_outcomes.append(process_message(json.dumps(queued.body), self.stack.services))
        return response


@pytest.fixture
def fast(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:
    from chalicelib import bootstrap
    from chalicelib.ingress.team import StaticTeam
    from chalicelib.platform.config import get_settings
    from chalicelib.platform.queue import InMemoryEventQueue
    from chalicelib.services import build_services
    from tests.conftest import team_directory

    queue = InMemoryEventQueue()
    services = build_services(get_settings(), queue=queue)
    services.directory.replace(team_directory())
    real = {token: services.directory.token_owner(token) for token in ("dev-token-ada", "dev-token-bo")}
    # The token store as a dictionary of what the real one answered for the two agents (see the docstring).
    monkeypatch.setattr(services.directory, "token_owner", lambda token: real.get(token))
    bootstrap.override_services(services)
    ingress = bootstrap.ingress()
    ingress.queue = queue
    ingress.team = StaticTeam({"U0HERO1", "U0HERO2"})
    stack.services = services
    yield Harness(stack, queue)
    bootstrap.override_services(None)
    bootstrap.override_ingress(None)


def counted(harness: Harness, quota: int) -> None:
    assert harness.count >= quota, f"only {harness.count} inputs of {quota}"


# -- Slack -------------------------------------------------------------------------------------------


def slack_templates() -> list[dict[str, Any]]:
    ts = "1700000000.000100"
    return [
        message("U0CUST1", "C0OTHER1", ts, "Our builds fail"),
        message("U0CUST1", "C0OTHER2", "1700000001.000200", "a reply", thread_ts=ts),
        message("U0CUST1", "C0OTHER3", ts, "with a file") | {"files": [{"id": "F1", "name": "log.txt"}]},
        edited("U0CUST1", "C0OTHER4", ts, "new text", "1700000050.000100"),
        envelope({"type": "message", "subtype": "message_deleted", "channel": "C0OTHER5", "ts": "1700000060.0001",
                  "deleted_ts": ts, "previous_message": {"type": "message", "user": "U0CUST1", "ts": ts,
                                                         "text": "old"}}),
        reaction("U0HERO1", "C0OTHER6", ts),
        envelope({"type": "app_home_opened", "user": "U0CUST9", "channel": "D0X", "tab": "home"}),
        envelope({"type": "team_join", "user": {"id": "U0NEW", "name": "new"}}),
        {"type": "url_verification", "challenge": "abc", "token": "t"},
        {"type": "app_rate_limited", "team_id": "T0DEV", "minute_rate_limited": 1},
    ]


broken_headers = st.one_of(st.just(0), st.just(0), st.just(0), st.just(0), st.integers(1, 11))


def slack_headers(body: bytes, broken: int) -> dict[str, str]:
    headers = sign(body)
    now = headers["X-Slack-Request-Timestamp"]
    bad_ts = ["9" * 4000, now + "\xa0", now + "\x85", "²" * 10, " " + now, "-1", "", "1e9", now[:-1] + "٣"]
    if broken == 0:
        return headers
    if broken <= len(bad_ts):
        return {**headers, "X-Slack-Request-Timestamp": bad_ts[broken - 1]}
    if broken == len(bad_ts) + 1:
        return sign(body, secret="not-the-secret")
    return {**headers, "X-Slack-Signature": "v0=" + "é" * 64}




def _slack_event_templates() -> list[dict[str, Any]]:
    templates = slack_templates()
    for t in templates:  # (a watched channel, where a ticket opens, comes from SURPRISES now and then)
        if "event_id" in t:
            t["event_id"] = UNIQUE
    return templates


slack_event_input = st.tuples(body_strategy(_slack_event_templates()), broken_headers)


def _slack_events(harness: Harness, examples: int) -> None:
    @fuzz_settings(examples)
    @given(slack_event_input)
    def run(case: tuple[bytes, int]) -> None:
        body, broken = case
        harness.send(lambda: harness.stack.client.http.post("/slack/events", headers=slack_headers(body, broken),
                                                            body=body))

    run()
    counted(harness, examples)


def test_fuzz_slack_events(fast: Harness) -> None:
    _slack_events(fast, FAST_EXAMPLES)
    assert 0 < fast.accepted < fast.count  # both sides of the edge were exercised


COMMAND_TEXT = st.one_of(
    st.builds(lambda verb, n, rest: f"{verb} {n} {rest}".strip(),
              st.sampled_from(["show", "assign", "priority", "tag", "status", "solve", "handover", "note", "reply",
                               "mine", "queue", "help", "dashboard", "who", "schedule", "swap", "skip", "bogus"]),
              st.sampled_from(["1", "²", "#1", "0", "9" * 30, "١", "99", "", "<@U0HERO2>"]),
              st.sampled_from(["", "urgent", "<@U0HERO2>", "<@U0HERO2> note", "x" * 50_000, "<!channel> & co",
                               "\u202e", "\x00"])),
    st.text(max_size=30),
)


@st.composite
def command_input(draw: Any) -> tuple[bytes, int]:
    form = {
        "token": "x", "team_id": "T0DEV",
        "command": draw(st.sampled_from(["/ticket", "/hero", "/ticket", "/hello-world", "/x<y>&z", "", "ticket",
                                         "/" + "t" * 100])),
        "text": draw(COMMAND_TEXT),
        "user_id": draw(st.sampled_from(["U0HERO1", "U0CUST1", "U0CUST2", "", "U" * 80, "U0\u202e"])),
        "channel_id": draw(st.sampled_from(["C0TRIAGE", "C0OTHER1", "", "C" * 80])),
        "trigger_id": f"t-{draw(st.integers(0, 10**9))}",
    }
    if draw(st.integers(0, 9)) == 0:
        form.pop(draw(st.sampled_from(sorted(form))))
    # Mostly outsiders: a member's command reads tickets (fine, but slower).
    if form.get("user_id") == "U0HERO1" and draw(st.integers(0, 3)):
        form["user_id"] = "U0CUST3"
    body = urllib.parse.urlencode(form).encode()
    if draw(st.integers(0, 19)) == 0:
        body = draw(st.sampled_from([b"%ff%fe=1", b"\xff\xfe", b"a=" + b"%" * 10, b"x" * 210_000]))
    return body, draw(broken_headers)


def _slack_commands(harness: Harness, examples: int) -> None:
    @fuzz_settings(examples)
    @given(command_input())
    def run(case: tuple[bytes, int]) -> None:
        body, broken = case
        headers = {**slack_headers(body, broken), "Content-Type": "application/x-www-form-urlencoded"}
        response = harness.send(lambda: harness.stack.client.http.post("/slack/commands", headers=headers, body=body))
        if response.status_code == 200:
            text = json.loads(response.body)["text"]
            assert "<!channel>" not in text and "<y>" not in text  # echoed input is text, never markup

    run()
    counted(harness, examples)


def test_fuzz_slack_commands(fast: Harness) -> None:
    _slack_commands(fast, FAST_EXAMPLES)


def interaction_templates() -> list[dict[str, Any]]:
    action = {"action_id": "take", "block_id": "ticket:1", "type": "button", "action_ts": "1700000000.1",
              "selected_option": {"value": "high"}, "selected_user": "U0HERO2"}
    return [
        {"type": "block_actions", "user": {"id": "U0CUST1"}, "trigger_id": "1.2.x", "container":
            {"type": "message", "channel_id": "C0OTHER1", "message_ts": "1700000000.000100"},
         "channel": {"id": "C0OTHER1"}, "actions": [action]},
        {"type": "message_action", "callback_id": "reply_to_customer", "trigger_id": "1.2.y",
         "user": {"id": "U0CUST1"}, "channel": {"id": "C0OTHER1"},
         "message": {"type": "message", "ts": "1700000000.000100", "user": "U0CUST1", "text": "hi"}},
        {"type": "view_submission", "user": {"id": "U0CUST1"}, "trigger_id": "1.2.z",
         "view": {"id": "V0MODAL1", "callback_id": "reply_to_customer",
                  "private_metadata": json.dumps({"channel": "C0OTHER1", "thread_ts": "1700000000.000100"}),
                  "state": {"values": {"reply": {"text": {"type": "plain_text_input", "value": "Fixed"}}}}}},
        {"type": "shortcut", "callback_id": "other", "trigger_id": "1.2.w", "user": {"id": "U0CUST1"}},
    ]


def _interaction_templates() -> list[dict[str, Any]]:
    templates = interaction_templates()
    for t in templates[:3]:  # the same again from a team member (the worker does real work)
        member = copy.deepcopy(t)
        member["user"]["id"] = "U0HERO1"
        templates.append(member)
    for t in templates:
        t["trigger_id"] = UNIQUE
        if isinstance(t.get("view"), dict):
            t["view"]["id"] = UNIQUE
    return templates


interaction_payloads = body_strategy(_interaction_templates())


@st.composite
def interaction_input(draw: Any) -> tuple[bytes, int]:
    payload = draw(interaction_payloads)
    body = b"payload=" + urllib.parse.quote_from_bytes(payload).encode()
    if draw(st.integers(0, 19)) == 0:
        body = draw(st.sampled_from([b"payload=", b"x=1", b"\xff", b"payload=%ff%fe", b"payload=" + b"[" * 5000]))
    return body, draw(broken_headers)


def _slack_interactions(harness: Harness, examples: int) -> None:
    @fuzz_settings(examples)
    @given(interaction_input())
    def run(case: tuple[bytes, int]) -> None:
        body, broken = case
        headers = {**slack_headers(body, broken), "Content-Type": "application/x-www-form-urlencoded"}
        harness.send(lambda: harness.stack.client.http.post("/slack/interactions", headers=headers, body=body))

    run()
    counted(harness, examples)


def test_fuzz_slack_interactions(fast: Harness) -> None:
    _slack_interactions(fast, FAST_EXAMPLES)


# -- GitHub ------------------------------------------------------------------------------------------
def github_templates() -> list[dict[str, Any]]:
    repo = {"full_name": "octo/other", "name": "other", "owner": {"login": "octo"}}
    issue = {"number": 1, "title": "Crash", "state": "open", "body": "It crashes", "html_url": "https://x",
             "user": {"login": "curious", "type": "User"}, "labels": [{"name": "question"}],
             "created_at": "2026-11-01T10:00:00Z", "updated_at": "2026-11-01T10:00:00Z", "closed_at": None}
    comment = {"id": 11, "body": "Any news?", "user": {"login": "curious", "type": "User"},
               "created_at": "2026-11-02T10:00:00Z", "updated_at": "2026-11-02T10:00:00Z"}
    sender = {"login": "curious", "type": "User"}
    return [
        {"action": "created", "issue": issue, "comment": comment, "repository": repo, "sender": sender},
        {"action": "opened", "issue": issue, "repository": repo, "sender": sender},
        {"action": "closed", "issue": {**issue, "state": "closed", "closed_at": "2026-11-03T10:00:00Z"},
         "repository": repo, "sender": sender},
        {"zen": "Keep it logically awesome.", "hook_id": 1},
    ]


def _github_templates() -> list[dict[str, Any]]:
    templates = github_templates()
    watched = copy.deepcopy(templates[0])  # a watched repository: a ticket opens, then comments join it
    watched["repository"]["full_name"] = "Codertocat/Hello-World"
    return [*templates, watched]


github_bodies = body_strategy(_github_templates())


@st.composite
def github_input(draw: Any) -> tuple[bytes, dict[str, str]]:
    body = draw(github_bodies)
    event = draw(st.sampled_from(["issue_comment", "issues", "issues", "issue_comment", "ping", "push", "",
                                  "issues\x00", "é" * 70]))
    delivery = draw(st.sampled_from([str(uuid.UUID(int=draw(st.integers(0, 2**64)))), "", "\u202e", "d" * 300]))
    from chalicelib.platform.security import github_signature

    headers = {"Content-Type": "application/json", "X-GitHub-Event": event, "X-GitHub-Delivery": delivery,
               "X-Hub-Signature-256": github_signature(GITHUB_SECRET, body)}
    bad = draw(st.integers(0, 9))
    if bad == 1:
        headers["X-Hub-Signature-256"] = github_signature("wrong", body)
    elif bad == 2:
        headers["X-Hub-Signature-256"] = "sha256=" + "é" * 64
    elif bad == 3:
        headers.pop("X-Hub-Signature-256")
    return body, headers


def _github(harness: Harness, examples: int) -> None:
    @fuzz_settings(examples)
    @given(github_input())
    def run(case: tuple[bytes, dict[str, str]]) -> None:
        body, headers = case
        harness.send(lambda: harness.stack.client.http.post("/github/webhook", headers=headers, body=body))

    run()
    counted(harness, examples)


def test_fuzz_github_webhook(fast: Harness) -> None:
    _github(fast, FAST_EXAMPLES)


# -- the agent API -------------------------------------------------------------------------------------
NUMBERS = st.sampled_from(["1", "1", "2", "99", "0", "²", "١", "9" * 30, "-1", "abc", "%00", "1%20"])
TOKENS = st.sampled_from(["dev-token-ada"] * 8 + ["dev-token-bo", "nope", ""])


def api_headers(token: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json", **(extra or {})}


WRITE_ROUTES: dict[str, tuple[str, str, list[dict[str, Any]]]] = {
    "replies": ("POST", "/api/tickets/{n}/replies", [{"text": "Looking now", "internal": True},
                                                       {"text": "On it", "internal": False}]),
    "patch": ("PATCH", "/api/tickets/{n}", [{"version": 1, "status": "open", "priority": "high",
                                             "assignee": "bo", "tags": ["billing"]}]),
    "handover": ("POST", "/api/tickets/{n}/handover", [{"to": "bo", "note": "payment provider incident"}]),
    "links": ("POST", "/api/tickets/{n}/links", [{"issue": "Codertocat/Hello-World#1"},
                                                 {"issue": "https://github.com/Codertocat/Hello-World/issues/1"}]),
}


def open_ticket(harness: Harness) -> None:
    """Ticket #1 (Acme's channel), through the ingress and the worker, for the write routes to aim at."""
    body = json.dumps(message("U0CUST1", "C0ACME", "1700000000.000100", "Our builds fail")).encode()
    answer = harness.send(lambda: harness.stack.client.http.post("/slack/events", headers=sign(body), body=body))
    assert answer.status_code == 200
    assert harness.stack.services.tickets.by_number(1) is not None


def _open(stack: Stack) -> None:
    body = json.dumps(message("U0CUST1", "C0ACME", "1700000000.000100", "Our builds fail")).encode()
    assert stack.post_event(body).status_code == 200
    stack.drain()


def _api_write(harness: Harness, route: str, examples: int, check_tables: bool = False) -> None:
    method, template_path, templates = WRITE_ROUTES[route]

    @fuzz_settings(examples)
    @given(NUMBERS, TOKENS, body_strategy(templates),
           st.sampled_from([None, None, None, "k1", "", "k" * 300, "\u202e"]))
    def run(number: str, token: str, body: bytes, idempotency: str | None) -> None:
        path = template_path.format(n=number)
        headers = api_headers(token, {"Idempotency-Key": idempotency} if idempotency is not None else None)
        before = ticket_state(harness.stack) if check_tables else None
        response = harness.send(lambda: harness.stack.client.http.request(method, path, headers=headers, body=body))
        if check_tables and response.status_code >= 400:
            assert ticket_state(harness.stack) == before, (response.status_code, response.body[:200])

    run()
    counted(harness, examples)


def ticket_state(stack: Stack) -> Any:
    ticket = stack.services.tickets.by_number(1)
    return ticket.version, len(stack.services.tickets.conversation(ticket)), sorted(ticket.links or ())


@pytest.mark.parametrize("route", sorted(WRITE_ROUTES))
def test_fuzz_api_write_routes(fast: Harness, route: str) -> None:
    open_ticket(fast)
    _api_write(fast, route, FAST_EXAMPLES)


PARAM_VALUES = st.one_of(
    st.sampled_from(["1", "4", "26", "27", "0", "²", "١", "9" * 5000, "current", "day", "week", "month",
                     "2026-11-30", "0001-01-01", "9999-12-31", "2026-02-30", "20261130", "2026-W48-1", "",
                     "unassigned", "mine", "all", "due", "open", "high", "slack", "acme", "eyJ4IjoxfQ",
                     "W1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1td", "\x00", "\u202e", "é"]),
    st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=8),
)

GET_ROUTES: dict[str, tuple[str, list[str]]] = {
    "tickets": ("/api/tickets", ["view", "limit", "cursor", "status", "priority", "channel", "customer", "tag", "x"]),
    "rotation": ("/api/rotation", ["sprints", "x"]),
    "analytics": ("/api/analytics", ["from", "to", "group", "x"]),
    "leaderboard": ("/api/analytics/leaderboard", ["stint", "x"]),
    "failures": ("/api/failures", ["limit", "cursor", "x"]),
    "dashboard": ("/dashboard", ["from", "to", "group", "stint", "member", "expires", "sig", "x"]),
}


def _api_get(harness: Harness, route: str, examples: int) -> None:
    path, keys = GET_ROUTES[route]

    @fuzz_settings(examples)
    @given(st.dictionaries(st.sampled_from(keys), PARAM_VALUES, max_size=3), TOKENS)
    def run(params: dict[str, str], token: str) -> None:
        url = path + ("?" + urllib.parse.urlencode(params) if params else "")
        headers = {} if "sig" in params else api_headers(token)
        harness.send(lambda: harness.stack.client.http.get(url, headers=headers), html=route == "dashboard")

    run()
    counted(harness, examples)


@pytest.mark.parametrize("route", sorted(GET_ROUTES))
def test_fuzz_api_get_routes(fast: Harness, route: str) -> None:
    _api_get(fast, route, FAST_EXAMPLES)


# -- the same properties through the real stack (SQS, the worker Lambda, DynamoDB team and tokens) -----
@dataclass
class SqsQueueView:
    """Counts what reached the real SQS queue, so the harness can tell a 4xx enqueued nothing."""

    stack: Stack

    @property
    def messages(self) -> list[Any]:
        return [None] * self.stack.queue_depth()


class StackHarness(Harness):
    def send(self, call: Callable[[], Any], *, html: bool = False) -> Any:
        before = self.stack.queue_depth()
        response = call()
        self.check(response, html=html)
        if response.status_code >= 400:
            assert self.stack.queue_depth() == before, ("a refused request enqueued", response.status_code)
        self.stack.drain()  # the worker Lambda, through the queue
        assert self.stack.pump.failures == 0, "the worker failed on a message the ingress accepted"
        return response


def test_fuzz_every_route_through_the_real_stack(stack: Stack) -> None:
    from chalicelib import bootstrap

    bootstrap.override_ingress(None)
    harness = StackHarness(stack, SqsQueueView(stack))
    open_ticket(harness)
    started = time.monotonic()
    for run, quota in ((_slack_events, STACK_EXAMPLES), (_slack_commands, STACK_EXAMPLES),
                       (_slack_interactions, STACK_EXAMPLES), (_github, STACK_EXAMPLES)):
        harness.count = 0
        run(harness, quota)
    for route in sorted(WRITE_ROUTES):
        harness.count = 0
        _api_write(harness, route, STACK_EXAMPLES, check_tables=True)
    for route in sorted(GET_ROUTES):
        harness.count = 0
        _api_get(harness, route, STACK_EXAMPLES)
    assert stack.queue_depth(stack.dlq_url) == 0
    assert time.monotonic() - started < 600


# -- the reproductions from the issue, one by one ------------------------------------------------------
def _slack_body() -> bytes:
    return json.dumps(message("U0CUST1", "C0ACME", "1700000000.000100", "hi")).encode()


@pytest.mark.parametrize("timestamp", ["9" * 4000, str(int(time.time())) + "\xa0", str(int(time.time())) + "\x85",
                                       "²" * 10, "١٧٠٠٠٠٠٠٠٠"], ids=["4000-digits", "nbsp", "nel", "sup", "arabic"])
@pytest.mark.parametrize("route", ["/slack/events", "/slack/commands", "/slack/interactions"])
def test_bad_slack_timestamps_are_401_on_every_slack_route(stack: Stack, route: str, timestamp: str) -> None:
    body = _slack_body()
    kind = "application/json" if route == "/slack/events" else "application/x-www-form-urlencoded"
    headers = {**sign(body), "X-Slack-Request-Timestamp": timestamp, "Content-Type": kind}
    response = stack.client.http.post(route, headers=headers, body=body)
    assert response.status_code == 401 and json.loads(response.body) == {"error": "invalid signature"}
    assert stack.queue_depth() == 0


def deep(n: int) -> bytes:
    return b'{"type":"event_callback","event_id":"Ev1","event":{"type":"message","x":' + b"[" * n + b"]" * n + b"}}"


def test_deep_json_is_400_everywhere(stack: Stack) -> None:
    body = deep(5000)
    assert stack.post_event(body).status_code == 400
    form = b"payload=" + urllib.parse.quote_from_bytes(b'{"type":"block_actions","x":' + b"[" * 5000 + b"]" * 5000
                                                       + b"}").encode()
    headers = {**sign(form), "Content-Type": "application/x-www-form-urlencoded"}
    assert stack.client.http.post("/slack/interactions", headers=headers, body=form).status_code == 400
    assert stack.github_delivery("issues", b'{"action":"opened","issue":' + b"[" * 5000 + b"]" * 5000 + b"}"
                                 ).status_code == 400
    _open(stack)
    nested = b'{"text":' + b"[" * 5000 + b"]" * 5000 + b"}"
    for method, path in (("POST", "/api/tickets/1/replies"), ("PATCH", "/api/tickets/1"),
                         ("POST", "/api/tickets/1/handover"), ("POST", "/api/tickets/1/links")):
        answer = stack.api(method, path, body=nested)
        assert answer.status_code == 400 and "nested" in json.loads(answer.body)["error"], (path, answer.body)
    assert stack.queue_depth() == 0


def test_nesting_up_to_the_bound_is_fine(stack: Stack) -> None:
    from chalicelib.ingress.shapes import MAX_DEPTH, ShapeError, load_json

    assert load_json(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH) is not None
    assert load_json(b'"[[[[" ') == "[[[["  # brackets inside strings do not count
    with pytest.raises(ShapeError):
        load_json(b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1))


def test_lone_surrogates_are_400(stack: Stack) -> None:
    event = message("U0CUST1", "C0ACME", "1700000000.000100", "\ud800")
    assert stack.post_event(json.dumps(event).encode()).status_code == 400
    event_id = json.dumps(message("U0CUST1", "C0ACME", "1700000000.000100", "x", event_id="\ud800")).encode()
    assert stack.post_event(event_id).status_code == 400  # it used to fail hashing the dedupe key
    comment = {"action": "created", "issue": {"number": 1, "title": "\udfff"},
               "comment": {"id": 1, "body": "x", "user": {"login": "a"}},
               "repository": {"full_name": "Codertocat/Hello-World"}}
    assert stack.github_delivery("issue_comment", json.dumps(comment).encode()).status_code == 400
    assert stack.queue_depth() == 0
    _open(stack)
    answer = stack.api("POST", "/api/tickets/1/replies", body=b'{"text": "hi \\ud800"}')
    assert answer.status_code == 400 and "surrogate" in json.loads(answer.body)["error"]
    assert [m["text"] for m in json.loads(stack.api("GET", "/api/tickets/1").body)["messages"]] == ["Our builds fail"]


def _interaction(stack: Stack, payload: dict[str, Any]) -> Any:
    form = b"payload=" + urllib.parse.quote(json.dumps(payload)).encode()
    headers = {**sign(form), "Content-Type": "application/x-www-form-urlencoded"}
    return stack.client.http.post("/slack/interactions", headers=headers, body=form)


@pytest.mark.parametrize("field_name", ["container", "user", "view"])
@pytest.mark.parametrize("value", ["x", 1, ["a"], True])
def test_interaction_with_a_non_object_is_400(stack: Stack, field_name: str, value: Any) -> None:
    payload = {**interaction_templates()[0], "type": "view_submission" if field_name == "view" else "block_actions"}
    payload[field_name] = value
    answer = _interaction(stack, payload)
    assert answer.status_code == 400 and field_name in json.loads(answer.body)["error"]
    assert stack.queue_depth() == 0


@pytest.mark.parametrize(("field_name", "value"), [("repository", "x"), ("repository", ["a"]), ("issue", 1),
                                                   ("issue", "1"), ("action", ["created"]), ("action", {"a": 1})])
def test_github_payload_with_wrong_types_is_400(stack: Stack, field_name: str, value: Any) -> None:
    payload = {**github_templates()[0], field_name: value}
    answer = stack.github_delivery("issue_comment", json.dumps(payload).encode())
    assert answer.status_code == 400 and field_name in json.loads(answer.body)["error"]
    assert stack.queue_depth() == 0


def test_unicode_digits_and_far_dates_in_queries_are_400(timed: tuple[Stack, Any]) -> None:
    stack, _clock = timed
    for path in ("/api/rotation?sprints=²", "/api/analytics/leaderboard?stint=²", "/api/analytics?to=0001-01-01",
                 "/api/tickets?limit=²", "/api/tickets/²", "/api/rotation?sprints=" + "9" * 5000):
        answer = stack.api("GET", urllib.parse.quote(path, safe="/?=&"))
        assert answer.status_code == 400, (path, answer.body)
        assert json.loads(answer.body)["error"]
    for query in ("stint=²", "expires=²&member=ada&sig=00", "expires=" + "9" * 5000 + "&member=ada&sig=00"):
        page = stack.client.http.get("/dashboard?" + urllib.parse.quote(query, safe="=&"),
                                     headers={"Authorization": "Bearer dev-token-ada"})
        assert page.status_code in (400, 401), (query, page.body)


def test_ticket_show_with_a_unicode_digit_answers_the_usage(stack: Stack) -> None:
    form = urllib.parse.urlencode({"command": "/ticket", "text": "show ²", "user_id": "U0HERO1",
                                   "channel_id": "C0TRIAGE", "trigger_id": "t1"}).encode()
    headers = {**sign(form), "Content-Type": "application/x-www-form-urlencoded"}
    answer = stack.client.http.post("/slack/commands", headers=headers, body=form)
    assert answer.status_code == 200 and "needs a ticket number" in json.loads(answer.body)["text"]
    assert stack.queue_depth() == 0


def test_unknown_slash_command_is_answered_privately_and_escaped(stack: Stack) -> None:
    form = urllib.parse.urlencode({"command": "/deploy<!channel>", "text": "now", "user_id": "U0HERO1",
                                   "channel_id": "C0TRIAGE", "trigger_id": "t2"}).encode()
    headers = {**sign(form), "Content-Type": "application/x-www-form-urlencoded"}
    answer = json.loads(stack.client.http.post("/slack/commands", headers=headers, body=form).body)
    assert answer["response_type"] == "ephemeral"
    assert answer["text"].startswith("Unknown command /deploy&lt;!channel&gt;") and "Usage" not in answer["text"]
    assert stack.queue_depth() == 0


def _shortcut(user: str) -> dict[str, Any]:
    return {**interaction_templates()[1], "user": {"id": user}, "channel": {"id": "C0TRIAGE"}}


def test_reply_shortcut_refuses_outsiders_before_opening_anything(stack: Stack) -> None:
    """The team is read from the directory table (stdlib DynamoDB client), the refusal is the buttons'."""
    answer = _interaction(stack, _shortcut("U0CUST1"))
    assert answer.status_code == 200
    assert stack.slack.calls("views.open") == []
    refusals = [c["params"] for c in stack.slack.calls("chat.postEphemeral")]
    assert refusals == [{"channel": "C0TRIAGE", "user": "U0CUST1", "text": "Only the support team can triage tickets."}]
    assert _interaction(stack, _shortcut("U0HERO1")).status_code == 200
    assert len(stack.slack.calls("views.open")) == 1  # a member gets the modal
    assert stack.queue_depth() == 0


def test_team_reader_reads_the_directory_and_caches(stack: Stack) -> None:
    from chalicelib.ingress.team import DynamoTeamReader
    from chalicelib.platform.config import get_settings

    now = [0.0]
    settings = get_settings()
    reader = DynamoTeamReader(table_name=settings.table_name("directory"), region=settings.region,
                              cache_seconds=60, monotonic=lambda: now[0])
    assert reader.slack_ids() == {"U0HERO1", "U0HERO2"}
    import dataclasses

    from tests.conftest import team_directory
    directory = team_directory()
    stack.services.directory.replace(dataclasses.replace(directory, members=directory.members[:1]))
    assert reader.slack_ids() == {"U0HERO1", "U0HERO2"}  # cached
    now[0] = 61.0
    assert reader.slack_ids() == {"U0HERO1"}


def test_reply_modal_without_text_keeps_the_modal_open(stack: Stack) -> None:
    payload = copy.deepcopy(interaction_templates()[2])
    payload["user"]["id"] = "U0HERO1"
    payload["view"]["state"]["values"]["reply"]["text"]["value"] = "   "
    answer = json.loads(_interaction(stack, payload).body)
    assert answer["response_action"] == "errors" and "reply" in answer["errors"]
    assert stack.queue_depth() == 0


def test_queue_message_over_the_sqs_limit_is_413(stack: Stack) -> None:
    text = "\U0001f600" * 39_000  # 156 KB as UTF-8, 468 KB once JSON-escaped for SQS ("\\ud83d\\ude00")
    body = json.dumps(message("U0CUST1", "C0OTHER1", "1700000000.000100", text), ensure_ascii=False).encode()
    assert len(body) < 200 * 1024
    response = stack.post_event(body)
    assert response.status_code == 413 and "queue" in json.loads(response.body)["error"]
    assert stack.queue_depth() == 0

