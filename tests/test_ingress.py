"""``POST /slack/events`` through Chalice's test client: every bad input gets a clear
4xx and writes nothing; good events are enqueued once; the corpus goes through whole."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, Stack, corpus_dir, load_json, sign
from tests.helpers import message, reaction


def body_of(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload).encode()


def test_url_verification_answers_the_challenge(stack: Stack) -> None:
    payload = load_json(corpus_dir("slack") / "slackeventsapi__url_challenge.json")
    response = stack.post_event(payload)
    assert response.status_code == 200
    assert json.loads(response.body) == {"challenge": payload["challenge"]}
    assert stack.queue_depth() == 0


Headers = Callable[[], dict[str, str]]


def _bad_requests() -> list[tuple[str, bytes, Headers, int]]:
    """(case, body, headers made at request time, expected status)."""
    good = body_of(message("U0ACME1", "C0ACME", "1700000000.000100", "hi"))
    not_event = body_of({"type": "event_callback", "event_id": "Ev1"})
    no_id = body_of({"type": "event_callback", "event": {"type": "message"}})
    no_challenge = body_of({"type": "url_verification"})
    huge = b"{" + b" " * 210_000 + b"}"

    def without(name: str) -> Headers:
        return lambda: {k: v for k, v in sign(good).items() if k != name}

    return [
        ("no signature headers", good, lambda: {"Content-Type": "application/json"}, 401),
        ("missing timestamp", good, without("X-Slack-Request-Timestamp"), 401),
        ("missing signature", good, without("X-Slack-Signature"), 401),
        ("malformed timestamp", good, lambda: {**sign(good), "X-Slack-Request-Timestamp": "yesterday"}, 401),
        ("stale timestamp", good, lambda: sign(good, timestamp=int(time.time()) - 301), 401),
        ("future timestamp", good, lambda: sign(good, timestamp=int(time.time()) + 301), 401),
        ("wrong secret", good, lambda: sign(good, secret="not-the-secret"), 401),
        ("garbage signature", good, lambda: {**sign(good), "X-Slack-Signature": "v0=zz"}, 401),
        ("tampered body", good.replace(b"hi", b"ho"), lambda: sign(good), 401),
        ("signed, not JSON", b"{not json", lambda: sign(b"{not json"), 400),
        ("signed, not UTF-8", b"\xff\xfe", lambda: sign(b"\xff\xfe"), 400),
        ("signed, JSON array", b"[1]", lambda: sign(b"[1]"), 400),
        ("event_callback without event_id", no_id, lambda: sign(no_id), 400),
        ("event_callback without event", not_event, lambda: sign(not_event), 400),
        ("url_verification without challenge", no_challenge, lambda: sign(no_challenge), 400),
        ("oversized", huge, lambda: sign(huge), 413),
    ]


@pytest.mark.parametrize(
    ("case", "body", "headers", "status"), _bad_requests(), ids=[case[0] for case in _bad_requests()]
)
def test_bad_input_is_rejected_and_writes_nothing(stack: Stack, case: str, body: bytes, headers: Headers,
                                                 status: int) -> None:
    response = stack.post_event(body, headers=headers())
    assert response.status_code == status, (case, response.body)
    assert "error" in json.loads(response.body)
    assert stack.queue_depth() == 0


def test_wrong_content_type_is_a_client_error(stack: Stack) -> None:
    body = b"payload=x"
    response = stack.post_event(body, headers={**sign(body), "Content-Type": "text/plain"})
    assert 400 <= response.status_code < 500


def test_retried_delivery_is_enqueued_once(stack: Stack) -> None:
    payload = reaction("U0HERO1", "C0COMMUNITY", "1700000000.000100")
    body = body_of(payload)
    for retry in ("", "1", "2"):
        headers = sign(body)
        if retry:
            headers.update({"X-Slack-Retry-Num": retry, "X-Slack-Retry-Reason": "http_timeout"})
        assert stack.post_event(body, headers=headers).status_code == 200
    assert stack.queue_depth() == 1


def test_unknown_envelope_is_acknowledged_without_work(stack: Stack) -> None:
    response = stack.post_event({"type": "app_rate_limited", "team_id": "T0DEV", "minute_rate_limited": 1})
    assert response.status_code == 200 and stack.queue_depth() == 0


def test_queue_outage_is_a_503_so_slack_retries(stack: Stack) -> None:
    from chalicelib import bootstrap
    from chalicelib.platform.awslite import JsonProtocolClient
    from chalicelib.platform.config import get_settings
    from chalicelib.platform.queue import SqsEventQueue

    ingress = bootstrap.ingress()
    ingress.queue = SqsEventQueue(
        queue_name="x.fifo", region="us-east-1", queue_url="http://127.0.0.1:9/q",
        client=JsonProtocolClient(service="sqs", target_prefix="AmazonSQS", json_version="1.0",
                                  region=get_settings().region, endpoint="http://127.0.0.1:9",
                                  timeout=0.2, max_attempts=1),
    )
    try:
        response = stack.post_event(reaction("U0HERO1", "C0COMMUNITY", "1700000000.000100"))
    finally:
        bootstrap.override_ingress(None)
    assert response.status_code == 503


def corpus_events() -> list[Path]:
    try:
        folder = corpus_dir("slack")
    except pytest.skip.Exception:
        return []
    return sorted(p for p in folder.glob("*.json"))


@pytest.mark.parametrize("path", corpus_events(), ids=lambda p: p.name)
def test_every_corpus_payload_is_answered_and_processed(stack: Stack, path: Path) -> None:
    """Real payloads, byte for byte: signed and posted; the worker takes each without failing."""
    body = path.read_bytes()
    payload = json.loads(body)
    response = stack.post_event(body, headers=sign(body))
    kind = payload.get("type")
    if kind == "event_callback" and payload.get("event_id") and isinstance(payload.get("event"), dict):
        assert response.status_code == 200
        assert stack.drain() == 1
        assert stack.pump.failures == 0
    elif kind == "event_callback":
        assert response.status_code == 400  # e.g. slackeventsapi's sample has no event_id
    elif kind == "url_verification":
        assert json.loads(response.body)["challenge"] == payload["challenge"]
    else:
        # Interactivity/command bodies and bare event payloads are not Events API envelopes.
        assert response.status_code in (200, 400)
    assert response.status_code < 500


def test_corpus_events_retargeted_to_a_customer_channel(stack: Stack) -> None:
    """The corpus's message events moved into Acme's channel drive the real rules."""
    folder = corpus_dir("slack")

    def load(name: str) -> dict[str, Any]:
        payload = load_json(folder / name)
        payload["event"]["channel"] = "C0ACME"
        return payload

    user_msg = load("boltpy__user_message_event_payload.json")
    user_msg["event"].pop("thread_ts", None)
    stack.post_event(user_msg)
    bot_msg = load("boltpy__bot_message_event_payload.json")
    stack.post_event(bot_msg)
    stack.drain()
    listed = json.loads(stack.api("GET", "/api/tickets?view=all").body)["tickets"]
    assert len(listed) == 1  # the user's message opened a ticket; the bot's did not
    assert listed[0]["subject"] == (user_msg["event"]["text"] or "(no text)").splitlines()[0][:120]


def test_ingress_imports_nothing_heavy() -> None:
    """The ack path, driven as Lambda drives it, loads no PynamoDB, slack_sdk or boto3."""
    script = f"""
import json, os, sys, time
sys.path.insert(0, {str(ROOT)!r})
os.environ.update(SLACK_SIGNING_SECRET="s", AWS_ACCESS_KEY_ID="a", AWS_SECRET_ACCESS_KEY="b")
import app
from chalicelib import bootstrap
from chalicelib.platform.queue import InMemoryEventQueue
from chalicelib.platform.security import slack_signature
from devstack.apigw import LambdaContext, proxy_event
bootstrap.ingress().queue = q = InMemoryEventQueue()
body = json.dumps({{"type": "event_callback", "event_id": "Ev1", "team_id": "T1",
                   "event": {{"type": "message", "channel": "C1", "ts": "1.000001", "user": "U1"}}}}).encode()
ts = str(int(time.time()))
headers = {{"Content-Type": "application/json", "X-Slack-Request-Timestamp": ts,
           "X-Slack-Signature": slack_signature("s", ts, body)}}
r = app.app(proxy_event("/slack/events", body, headers), LambdaContext())
heavy = sorted(m for m in ("pynamodb", "slack_sdk", "boto3", "botocore.session", "botocore.client") if m in sys.modules)
print(json.dumps({{"status": r["statusCode"], "queued": len(q.messages), "heavy": heavy}}))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"status": 200, "queued": 1, "heavy": []}
