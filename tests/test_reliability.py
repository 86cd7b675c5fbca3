"""Nothing lost, nothing doubled: retries, the dead-letter queue, crash recovery,
and the DynamoDB request budget of the worker."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from tests.conftest import Stack
from tests.helpers import message, reaction

ASK_TS = "1700000000.000100"


def confirmations(stack: Stack) -> list[dict[str, str]]:
    """Confirmations that Slack accepted (failed attempts are recorded as calls, not messages)."""
    return [m for m in stack.slack.messages() if m.get("bot_id") and "opened" in m.get("text", "")]


def test_slack_failure_is_retried_and_confirms_once(clocked: tuple[Stack, Any]) -> None:
    stack, clock = clocked
    stack.slack.fail_next("chat.postMessage", status=500, count=2)
    stack.post_event(message("U0ACME1", "C0ACME", ASK_TS, "Help"))
    stack.drain()
    assert stack.pump.failures == 0  # the event is done: the ticket is open, its confirmation a step
    assert json.loads(stack.api("GET", "/api/tickets/1").body)["confirmed"] is False
    stack.settle(clock, clock.now() + dt.timedelta(minutes=5))
    assert len(confirmations(stack)) == 1
    detail = json.loads(stack.api("GET", "/api/tickets/1").body)
    assert detail["confirmed"] is True
    assert stack.queue_depth() == 0 and stack.queue_depth(stack.dlq_url) == 0
    assert stack.failures() == []


def test_rate_limit_is_waited_out_by_the_retry_handler(stack: Stack) -> None:
    stack.slack.fail_next("chat.postMessage", status=429, retry_after=1, count=1)
    stack.post_event(message("U0ACME1", "C0ACME", ASK_TS, "Help"))
    stack.drain()
    assert stack.pump.failures == 0  # a short Retry-After is waited out in-process
    assert len(confirmations(stack)) == 1


def test_a_long_retry_after_is_honoured_by_the_outbox_not_slept(clocked: tuple[Stack, Any]) -> None:
    stack, clock = clocked
    stack.slack.fail_next("chat.postMessage", status=429, retry_after=600, count=1)
    stack.post_event(message("U0ACME1", "C0ACME", ASK_TS, "Help"))
    stack.drain()
    assert confirmations(stack) == []
    due = stack.services.outbox.next_due()
    assert due is not None and due >= clock.time() + 600  # not before Slack said
    stack.settle(clock, clock.now() + dt.timedelta(minutes=11))
    assert len(confirmations(stack)) == 1


def test_persistent_failure_is_listed_and_replayed_once(clocked: tuple[Stack, Any]) -> None:
    stack, clock = clocked
    stack.slack.fail_next("chat.postMessage", status=500, count=10_000)
    stack.post_event(message("U0ACME1", "C0ACME", ASK_TS, "Help"))
    start = clock.now()
    stack.settle(clock, start + dt.timedelta(hours=23))
    assert stack.failures() == []  # still retrying after 23 hours
    detail = json.loads(stack.api("GET", "/api/tickets/1").body)
    assert detail["confirmed"] is False  # the ticket is there, visible, its confirmation on its way
    stack.settle(clock, start + dt.timedelta(hours=26))
    failures = stack.failures()
    confirmation = [f for f in failures if f["kind"] == "ticket.confirm"]
    assert len(confirmation) == 1 and confirmation[0]["error_kind"] == "exhausted"
    assert confirmation[0]["ticket"] == 1 and "HTTP 500" in confirmation[0]["error"]
    assert confirmation[0]["attempts"] >= 20
    assert stack.queue_depth(stack.dlq_url) == 0
    # Slack is back: replaying it confirms exactly once.
    stack.slack.reset()
    response = stack.api("POST", confirmation[0]["retry"])
    assert response.status_code == 200, response.body
    stack.drain()
    assert len(confirmations(stack)) == 1
    assert [f for f in stack.failures() if f["kind"] == "ticket.confirm"] == []
    assert stack.api("POST", confirmation[0]["retry"]).status_code == 404


def test_reply_to_a_missing_channel_fails_at_once_and_says_so(clocked: tuple[Stack, Any]) -> None:
    stack, _ = clocked
    stack.post_event(message("U0ACME1", "C0ACME", ASK_TS, "Help"))
    stack.drain()
    stack.slack.fail_next("chat.postMessage", status=200, error="channel_not_found", count=1)
    assert stack.api("POST", "/api/tickets/1/replies", body={"text": "hello"}).status_code == 202
    stack.drain()
    detail = json.loads(stack.api("GET", "/api/tickets/1").body)
    delivery = detail["messages"][-1]["delivery"]
    assert delivery["status"] == "failed" and "channel_not_found" in delivery["error"]
    assert delivery["attempts"] == 1  # permanent: no retry can fix it
    failure = stack.failures()[0]
    assert failure["kind"] == "reply.deliver" and failure["error_kind"] == "permanent"
    # Ada, who wrote the reply, is told by DM what failed and how to fix it.
    dms = [m for m in stack.slack.messages() if "Could not deliver" in m.get("text", "")]
    assert len(dms) == 1 and "GET /api/failures" in dms[0]["text"] and "channel" in dms[0]["text"]
    assert stack.queue_depth(stack.dlq_url) == 0
    # Fixed (Slack answers again): the replay delivers it once.
    assert stack.api("POST", failure["retry"]).status_code == 200
    detail = json.loads(stack.api("GET", "/api/tickets/1").body)
    assert detail["messages"][-1]["delivery"]["status"] == "sent"
    assert len([m for m in stack.slack.messages("C0ACME") if m.get("text") == "hello"]) == 1


def test_crash_after_posting_does_not_post_twice(clocked: tuple[Stack, Any]) -> None:
    """A worker posts the confirmation and dies before recording it; its lease expires; the retry
    finds the tagged post in the thread instead of posting again."""
    from chalicelib.channels.slack.intake import CONFIRMATION_EVENT

    stack, clock = clocked
    services = stack.services
    stack.slack.add_message("C0COMMUNITY", ASK_TS, "U0CUST1", "Question")
    real = services.tickets.set_confirmation

    def killed(*_: Any, **__: Any) -> None:
        raise KeyboardInterrupt("the Lambda was killed")  # not an Exception: nothing records it

    services.tickets.set_confirmation = killed  # type: ignore[method-assign]
    try:
        services.slack_intake.handle(reaction("U0HERO1", "C0COMMUNITY", ASK_TS))
        services.outbox.flush()
        raise AssertionError("expected the crash")
    except KeyboardInterrupt:
        pass
    finally:
        services.tickets.set_confirmation = real  # type: ignore[method-assign]
        services.outbox.take_fresh()
    assert len(confirmations(stack)) == 1
    assert CONFIRMATION_EVENT in json.dumps(stack.slack.calls("chat.postMessage")[0]["params"].get("metadata"))
    # Within the lease nobody else runs it; once it expires the retry looks first, finds, records.
    assert services.outbox.run_due().did == []
    stack.settle(clock, clock.now() + dt.timedelta(minutes=2))
    assert len(confirmations(stack)) == 1
    assert json.loads(stack.api("GET", "/api/tickets/1").body)["confirmed"] is True


def test_worker_request_budget(stack: Stack) -> None:
    """DynamoDB requests per new ticket (warm worker): 3 for the ticket, and knowing its requester: the
    identities' BatchGetItem plus, for a new person, the TransactWriteItems that makes them, or for a known
    one, their GetItem and a Query per identity (their earlier tickets). 2 per thread reply."""
    from devstack.dbcount import DynamoRequestCounter

    services = stack.services
    services.directory.load()  # warm the per-container directory cache
    services.slack.identity()
    counter = DynamoRequestCounter(services)
    from tests.helpers import envelope  # noqa: F401 - payload shapes live there

    outcome = services.slack_intake.handle(message("U0ACME1", "C0ACME", ASK_TS, "Help"))
    assert outcome.action == "opened"
    new_ticket = dict(counter.calls)
    assert counter.total <= 5, new_ticket  # a new person: BatchGetItem + TransactWriteItems
    counter.reset()
    outcome = services.slack_intake.handle(message("U0ACME1", "C0ACME", "1700000050.000100", "Again"))
    assert outcome.action == "opened"
    assert counter.total <= 6, dict(counter.calls)  # a known person: BatchGetItem + GetItem + Query (one identity)
    counter.reset()
    outcome = services.slack_intake.handle(message("U0HERO1", "C0ACME", "1700000100.000100", "hi", thread_ts=ASK_TS))
    assert outcome.action == "appended"
    assert counter.total <= 2, dict(counter.calls)


def test_poison_message_is_listed_without_blocking_others(stack: Stack) -> None:
    stack.pump.sqs.send_message(QueueUrl=stack.queue_url, MessageBody="not json",
                                MessageGroupId="g1", MessageDeduplicationId="p1")
    stack.post_event(message("U0ACME1", "C0ACME", ASK_TS, "Help"))
    stack.drain()
    assert stack.queue_depth() == 0 and stack.queue_depth(stack.dlq_url) == 0
    assert json.loads(stack.api("GET", "/api/tickets/1").body)["number"] == 1
    failures = stack.failures()
    assert [(f["kind"], f["error_kind"]) for f in failures] == [("event.retry", "permanent")]
    assert "not JSON" in failures[0]["error"]
