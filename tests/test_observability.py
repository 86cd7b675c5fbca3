"""Every Lambda flushes its metrics (one EMF record on stdout) and logs with its Lambda context.

Through Chalice's test client, so the middleware ``app.py`` registers runs as in Lambda: without it
the counts below stay in memory and these tests fail.
"""

from __future__ import annotations

import io
import json
import logging
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import Stack, ses_notification, sign


@pytest.fixture(autouse=True)
def fresh_metrics(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Metrics enabled, and no count left over from another test (Powertools' metric set is process-wide)."""
    from chalicelib.platform.observability import metrics

    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    monkeypatch.delenv("POWERTOOLS_DEV", raising=False)
    metrics.clear_metrics()
    yield
    metrics.clear_metrics()


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    """What the Powertools logger writes, formatted as in Lambda (its own handler is bound to the stdout of
    its import, which pytest's capsys does not see)."""
    from chalicelib.platform.observability import SERVICE, logger

    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logger.registered_formatter)
    logging.getLogger(SERVICE).addHandler(handler)
    yield buffer
    logging.getLogger(SERVICE).removeHandler(handler)


def stdout_records(printed: str) -> list[dict[str, Any]]:
    records = []
    for line in printed.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def emf_records(printed: str) -> list[dict[str, Any]]:
    """The EMF records printed: the metric names each declares, with their values and dimensions."""
    return [r for r in stdout_records(printed) if "_aws" in r]


def metric_names(record: dict[str, Any]) -> set[str]:
    return {m["Name"] for d in record["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]}


def value(record: dict[str, Any], name: str) -> float:
    """A metric's total in one EMF record (Powertools writes a list of values, one per ``count``)."""
    raw = record[name]
    return float(sum(raw)) if isinstance(raw, list) else float(raw)


def the_record_with(printed: str, name: str) -> dict[str, Any]:
    found = [r for r in emf_records(printed) if name in metric_names(r)]
    assert len(found) == 1, f"{name} not flushed once: {emf_records(printed)}"
    record = found[0]
    directive = record["_aws"]["CloudWatchMetrics"][0]
    # What the CloudWatch alarms in infra/alarms.json select on: namespace and the service dimension.
    assert directive["Namespace"] == "SupportHero"
    assert directive["Dimensions"] == [["service"]]
    assert record["service"] == "support-hero"
    return record


def run_job_as(stack: Stack, job: str, monkeypatch: pytest.MonkeyPatch, *, fail: bool = False) -> None:
    """Invoke a scheduled Lambda the way EventBridge does, with a job body that counts (and maybe fails)."""
    from chalicelib.jobs import registry as jobs
    from chalicelib.platform.observability import count, logger

    def run(name: str, services: Any) -> dict[str, Any]:
        count("TestJobRan")
        logger.warning("test job ran", extra={"job": name})
        if fail:
            raise RuntimeError("job failed")
        return {"job": name, "did": 0}

    monkeypatch.setattr(jobs, "run", run)
    stack.client.lambda_.invoke(job, scheduled_event(stack, job))


def scheduled_event(stack: Stack, job: str) -> dict[str, Any]:
    event: dict[str, Any] = stack.client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={},
        resources=[f"arn:aws:events:us-east-1:123456789012:rule/{job}"])
    return event


def test_a_bad_slack_signature_is_counted_by_the_api_lambda(
        stack: Stack, capsys: pytest.CaptureFixture[str], logs: io.StringIO) -> None:
    body = json.dumps({"type": "event_callback", "event": {"type": "message"}}).encode()
    response = stack.post_event(body, headers=sign(body, secret="not-the-signing-secret"))
    assert response.status_code == 401
    printed = capsys.readouterr().out
    record = the_record_with(printed, "SlackSignatureRejected")
    assert value(record, "SlackSignatureRejected") == 1
    # The warning carries the API Lambda's context (the middleware found it on Chalice's Request).
    warning = next(r for r in stdout_records(logs.getvalue()) if r.get("message") == "slack signature rejected")
    assert warning["function_name"] == "api_handler"
    assert warning["function_request_id"]
    from chalicelib.platform.observability import metrics

    assert not metrics.metric_set  # flushed, not carried into the next invocation


def test_an_inbound_email_notification_is_counted_by_the_email_lambda(
        stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    from chalicelib.platform.config import get_settings

    settings = get_settings()
    notification = ses_notification("obs-1", b"Subject: hi\r\n\r\nhello\r\n", settings.mail_bucket, form="inline")
    notification["mail"]["timestamp"] = stack.services.clock.now().isoformat(timespec="milliseconds")
    stack.client.lambda_.invoke("on_inbound_email",
                                stack.client.events.generate_sns_event(message=json.dumps(notification)))
    record = the_record_with(capsys.readouterr().out, "InboundEmailsQueued")
    assert value(record, "InboundEmailsQueued") == 1
    assert stack.queue_depth() == 1  # queued, not yet worked: the email Lambda flushed its own count


def test_a_scheduled_job_flushes_and_logs_with_its_context(
        stack: Stack, capsys: pytest.CaptureFixture[str], logs: io.StringIO, monkeypatch: pytest.MonkeyPatch) -> None:
    run_job_as(stack, "targets", monkeypatch)
    printed = capsys.readouterr().out
    assert value(the_record_with(printed, "TestJobRan"), "TestJobRan") == 1
    log = next(r for r in stdout_records(logs.getvalue()) if r.get("message") == "test job ran")
    assert log["function_name"] == "targets" and log["function_request_id"] and "cold_start" in log


def test_metrics_are_flushed_when_the_handler_raises(
        stack: Stack, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(RuntimeError, match="job failed"):
        run_job_as(stack, "community", monkeypatch, fail=True)
    assert value(the_record_with(capsys.readouterr().out, "TestJobRan"), "TestJobRan") == 1


def test_the_worker_flushes_through_the_middleware(
        stack: Stack, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """A message the worker fails on: WorkerFailures, flushed although it raised (it has no flush of its own)."""
    from chalicelib import worker

    def fail(*args: Any, **kwargs: Any) -> str:
        raise RuntimeError("a bug")

    monkeypatch.setattr(worker, "process_message", fail)
    event = stack.client.events.generate_sqs_event(queue_name="events", message_bodies=['{"source": "x"}'])
    with pytest.raises(RuntimeError, match="a bug"):
        stack.client.lambda_.invoke("on_event", event)
    assert value(the_record_with(capsys.readouterr().out, "WorkerFailures"), "WorkerFailures") == 1


def test_nothing_counted_prints_nothing_and_does_not_warn(
        stack: Stack, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.jobs import registry as jobs

    monkeypatch.setattr(jobs, "run", lambda name, services: {"job": name, "did": 0})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Powertools warns "No application metrics to publish" on an empty flush
        stack.client.lambda_.invoke("community", scheduled_event(stack, "community"))
    assert emf_records(capsys.readouterr().out) == []


def test_powertools_metrics_disabled_is_respected(
        stack: Stack, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.platform.observability import metrics

    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")  # the local stack and the benchmark
    run_job_as(stack, "community", monkeypatch)
    assert emf_records(capsys.readouterr().out) == []
    assert not metrics.metric_set  # dropped: a disabled set would otherwise grow in a warm process


def test_a_failing_flush_neither_fails_the_invocation_nor_keeps_the_counts(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.platform import observability

    def broken(raise_on_empty_metrics: bool = False) -> None:
        raise ValueError("serialisation failed")

    monkeypatch.setattr(observability.metrics, "flush_metrics", broken)
    observability.count("Anything")
    assert observability.lambda_middleware(object(), lambda event: "done") == "done"  # no Lambda context: fine
    assert not observability.metrics.metric_set
