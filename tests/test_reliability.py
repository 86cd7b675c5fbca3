"""Nothing lost, nothing doubled: retries, the dead-letter queue, crash recovery,
and the DynamoDB request budget of the worker."""

from __future__ import annotations

import datetime as dt
import json

from tests.conftest import Stack
from tests.helpers import message, reaction

ASK_TS = "1700000000.000100"


def confirmations(stack: Stack) -> list[dict[str, str]]:
    """Confirmations that Slack accepted (failed attempts are recorded as calls, not messages)."""
    return [m for m in stack.slack.messages() if m.get("bot_id") and "opened" in m.get("text", "")]


def test_slack_failure_is_retried_and_confirms_once(stack: Stack) -> None:
    stack.slack.fail_next("chat.postMessage", status=500, count=2)
    stack.post_event(message("U0ACME1", "C0ACME", ASK_TS, "Help"))
    stack.drain()
    assert stack.pump.failures >= 1
    assert len(confirmations(stack)) == 1
    detail = json.loads(stack.api("GET", "/api/tickets/1").body)
    assert detail["confirmed"] is True
    assert stack.queue_depth() == 0 and stack.queue_depth(stack.dlq_url) == 0


def test_rate_limit_is_waited_out_by_the_retry_handler(stack: Stack) -> None:
    stack.slack.fail_next("chat.postMessage", status=429, retry_after=1, count=1)
    stack.post_event(message("U0ACME1", "C0ACME", ASK_TS, "Help"))
    stack.drain()
    assert stack.pump.failures == 0  # slack-sdk's RateLimitErrorRetryHandler waited and retried
    assert len(confirmations(stack)) == 1


def test_persistent_failure_ends_in_the_dead_letter_queue(stack: Stack) -> None:
    stack.slack.fail_next("chat.postMessage", status=500, count=100)
    stack.post_event(message("U0ACME1", "C0ACME", ASK_TS, "Help"))
    stack.drain()
    assert stack.queue_depth() == 0
    dead = stack.pump.sqs.receive_message(QueueUrl=stack.dlq_url, MaxNumberOfMessages=10)["Messages"]
    assert len(dead) == 1 and json.loads(dead[0]["Body"])["delivery_id"]
    # The ticket exists and is visible, unconfirmed: the work is kept, not lost.
    detail = json.loads(stack.api("GET", "/api/tickets/1").body)
    assert detail["confirmed"] is False
    # Redriving the dead letter once Slack is back confirms it exactly once.
    stack.slack.reset()
    stack.pump.sqs.send_message(QueueUrl=stack.queue_url, MessageBody=dead[0]["Body"],
                                MessageGroupId="redrive", MessageDeduplicationId="redrive-1")
    stack.drain()
    assert len(confirmations(stack)) == 1


def test_reply_delivery_failure_is_marked_failed_before_the_dlq(stack: Stack) -> None:
    stack.post_event(message("U0ACME1", "C0ACME", ASK_TS, "Help"))
    stack.drain()
    stack.slack.fail_next("chat.postMessage", status=200, error="channel_not_found", count=100)
    assert stack.api("POST", "/api/tickets/1/replies", body={"text": "hello"}).status_code == 202
    stack.drain()
    detail = json.loads(stack.api("GET", "/api/tickets/1").body)
    delivery = detail["messages"][-1]["delivery"]
    assert delivery["status"] == "failed" and "channel_not_found" in delivery["error"]
    assert delivery["attempts"] == 5
    assert stack.queue_depth(stack.dlq_url) == 1


def test_crash_after_posting_does_not_post_twice(stack: Stack) -> None:
    """A worker posts the confirmation and dies before recording it; its lease expires;
    the retry finds the tagged post in the thread instead of posting again."""
    from chalicelib.clock import FixedClock
    from chalicelib.config import get_settings
    from chalicelib.services import build_services
    from chalicelib.slack_intake import CONFIRMATION_EVENT

    stack.slack.add_message("C0COMMUNITY", ASK_TS, "U0CUST1", "Question")
    clock = FixedClock(dt.datetime.now(dt.UTC))
    services = build_services(get_settings(), clock=clock)
    crashed = services.slack_intake
    # Simulate the crash: open, post, but never record.
    original_complete = services.tickets.complete_confirmation
    services.tickets.complete_confirmation = lambda *a, **k: (_ for _ in ()).throw(RuntimeError("killed"))  # type: ignore[method-assign]
    payload = reaction("U0HERO1", "C0COMMUNITY", ASK_TS)
    try:
        crashed.handle(payload)
    except RuntimeError:
        pass
    services.tickets.complete_confirmation = original_complete  # type: ignore[method-assign]
    assert len(confirmations(stack)) == 1
    posted = stack.slack.calls("chat.postMessage")[0]["params"]
    assert CONFIRMATION_EVENT in json.dumps(posted.get("metadata"))

    # Within the lease another delivery must wait (retry later), not post.
    from chalicelib.tickets import WorkInProgress

    try:
        services.slack_intake.handle(payload)
        raise AssertionError("expected WorkInProgress")
    except WorkInProgress:
        pass
    clock.advance(seconds=61)
    assert services.slack_intake.handle(payload).action == "duplicate"
    assert len(confirmations(stack)) == 1
    detail = json.loads(stack.api("GET", "/api/tickets/1").body)
    assert detail["confirmed"] is True


def test_worker_request_budget(stack: Stack) -> None:
    """At most 4 DynamoDB requests per new ticket and 2 per thread reply (warm worker)."""
    from devstack.dbcount import DynamoRequestCounter

    services = stack.services
    services.directory.load()  # warm the per-container directory cache
    services.slack.identity()
    counter = DynamoRequestCounter(services)
    from tests.helpers import envelope  # noqa: F401 - payload shapes live there

    outcome = services.slack_intake.handle(message("U0ACME1", "C0ACME", ASK_TS, "Help"))
    assert outcome.action == "opened"
    new_ticket = dict(counter.calls)
    assert counter.total <= 4, new_ticket
    counter.reset()
    outcome = services.slack_intake.handle(message("U0HERO1", "C0ACME", "1700000100.000100", "hi", thread_ts=ASK_TS))
    assert outcome.action == "appended"
    assert counter.total <= 2, dict(counter.calls)


def test_poison_message_goes_to_the_dlq_without_blocking_others(stack: Stack) -> None:
    stack.pump.sqs.send_message(QueueUrl=stack.queue_url, MessageBody="not json",
                                MessageGroupId="g1", MessageDeduplicationId="p1")
    stack.post_event(message("U0ACME1", "C0ACME", ASK_TS, "Help"))
    stack.drain()
    assert stack.queue_depth(stack.dlq_url) == 1
    assert json.loads(stack.api("GET", "/api/tickets/1").body)["number"] == 1
