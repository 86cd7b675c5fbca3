"""Shared fixtures: the embedded AWS (moto's server, over real HTTP), the fake Slack
Web API, a bootstrapped stage with the sample directory, and helpers that sign
requests for real and pump the queue into the worker through Chalice's test client.
"""

from __future__ import annotations

import datetime
import itertools
import json
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
logging.getLogger("werkzeug").setLevel(logging.WARNING)
SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test"

# Set before anything imports boto3/pynamodb: every AWS call goes to the embedded AWS.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "SUPPORT_HERO_STAGE": "test",
        "TABLE_PREFIX": "support-hero-test-",
        "EVENTS_QUEUE_NAME": "support-hero-test-events.fifo",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "POWERTOOLS_METRICS_NAMESPACE": "SupportHeroTest",
        "SUPPORT_ADDRESS": "hey@example.com",
        "GITHUB_WEBHOOK_SECRET": "test-github-secret",
        "GITHUB_TOKEN": "ghp-test",
        "MAIL_BUCKET": "support-hero-test-mail",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
)
for _var in ("AWS_PROFILE", "EVENTS_QUEUE_URL", "SLACK_SIGNING_SECRET_PARAM", "SLACK_BOT_TOKEN_PARAM"):
    os.environ.pop(_var, None)


# -- corpus scores in the terminal summary -----------------------------------------------------------
# A corpus test records its score line with the ``corpus_score`` fixture; the line travels with the test's
# report (``user_properties``), so it reaches the summary from an xdist worker too.
_SCORES: list[str] = []


@pytest.fixture
def corpus_score(record_property: Any) -> Any:
    def record(line: str) -> None:
        record_property("corpus_score", line)
    return record


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call":
        _SCORES.extend(str(value) for name, value in report.user_properties if name == "corpus_score")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _SCORES:
        terminalreporter.section("corpus scores")
        for line in _SCORES:
            terminalreporter.write_line(line)


def corpus_dir(kind: str) -> Path:
    path = CORPUS / kind
    if not path.is_dir():
        pytest.skip(f"shared corpus not found at {path} (it sits beside the project in CI and dev sessions)")
    return path


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    yield endpoint
    server.stop()


@pytest.fixture(scope="session")
def fake_slack_server() -> Iterator[Any]:
    from devstack.fake_slack import FakeSlack

    fake = FakeSlack(bot_token=BOT_TOKEN).start()
    os.environ["SLACK_API_URL"] = fake.base_url
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
def fake_github_server() -> Iterator[Any]:
    from devstack.fake_github import FakeGitHub

    fake = FakeGitHub(token="ghp-test").start()
    os.environ["GITHUB_API_URL"] = fake.base_url
    yield fake
    fake.stop()


def sign(body: bytes, timestamp: int | None = None, secret: str = SIGNING_SECRET) -> dict[str, str]:
    from chalicelib.platform.security import slack_signature

    ts = str(timestamp if timestamp is not None else int(time.time()))
    return {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": slack_signature(secret, ts, body),
    }


@dataclass
class Stack:
    """One bootstrapped stage on the embedded AWS, the app, and the fake Slack."""

    client: Any
    slack: Any
    github: Any
    services: Any
    pump: Any
    queue_url: str
    dlq_url: str
    moto_endpoint: str

    def post_event(self, payload: dict[str, Any] | bytes, headers: dict[str, str] | None = None) -> Any:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        return self.client.http.post("/slack/events", headers=headers or sign(body), body=body)

    def github_delivery(self, event: str, payload: dict[str, Any] | bytes, delivery: str | None = None,
                        headers: dict[str, str] | None = None) -> Any:
        import uuid

        from chalicelib.platform.security import github_signature

        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        h = {"Content-Type": "application/json", "X-GitHub-Event": event,
             "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
             "X-Hub-Signature-256": github_signature("test-github-secret", body)}
        return self.client.http.post("/github/webhook", headers=headers if headers is not None else h, body=body)

    def drain(self) -> int:
        return int(self.pump.drain())

    def api(self, method: str, path: str, token: str = "dev-token-ada", body: Any = None,
            headers: dict[str, str] | None = None) -> Any:
        h = {"Authorization": f"Bearer {token}", "Content-Type": "application/json", **(headers or {})}
        raw = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else b"")
        return getattr(self.client.http, method.lower())(path, headers=h, body=raw)

    def email(self, raw: bytes, *, verdicts: dict[str, str] | None = None, form: str = "s3",
              recipients: list[str] | None = None, at: datetime.datetime | None = None,
              source: str | None = None) -> str:
        """Deliver a raw email the way SES does: stored in S3 (or inline), notified through SNS
        to the email Lambda, then the worker. Returns the SES message id."""
        import uuid

        from chalicelib.platform.config import get_settings

        settings = get_settings()
        ses_id = uuid.uuid4().hex
        notification = ses_notification(ses_id, raw, settings.mail_bucket, verdicts=verdicts, form=form,
                                        recipients=recipients or ["hey@example.com"])
        # When SES received it: the services' clock (never the wall clock: the tests pass at any hour).
        notification["mail"]["timestamp"] = (at or self.services.clock.now()).isoformat(timespec="milliseconds")
        if source is not None:  # the envelope sender (MAIL FROM), which SPF vouches for
            notification["mail"]["source"] = source
        if form == "s3":
            self.services.aws.put_object(settings.mail_bucket, f"inbound/{ses_id}", raw)
        event = self.client.events.generate_sns_event(message=json.dumps(notification))
        self.client.lambda_.invoke("on_inbound_email", event)
        self.drain()
        return ses_id

    def sent_mail(self) -> list[Any]:
        """What the embedded SES sent (moto runs in this process), as parsed messages."""
        from email import policy
        from email.parser import Parser

        from moto.backends import get_backend

        backend = get_backend("ses")["123456789012"]["us-east-1"]
        return [Parser(policy=policy.default).parsestr(m.raw_data) for m in backend.sent_messages]

    def settle(self, clock: Any, until: datetime.datetime, *, every: datetime.timedelta | None = None,
               jobs: tuple[str, ...] = ()) -> None:
        """Let dev-clock time pass until ``until``: the queue drained, every outbox step run when it is
        due (the clock jumps to the next due step), and ``jobs`` run every ``every`` on the way."""
        from chalicelib.jobs import registry

        tick = every or datetime.timedelta(days=365)
        next_jobs = clock.now()
        for _ in range(20000):
            self.drain()
            if jobs and clock.now() >= next_jobs:
                for name in jobs:
                    registry.run(name, self.services)
                self.drain()
                next_jobs = clock.now() + tick
            due = self.services.outbox.next_due()
            wake = min(t for t in (due, next_jobs.timestamp() if jobs else None, until.timestamp()) if t is not None)
            if wake > clock.time():
                clock.set(datetime.datetime.fromtimestamp(wake, datetime.UTC))
            if not self.services.outbox.run_due().did:
                clock.advance(seconds=1)  # what is due is held elsewhere (a lease): let time pass
            if clock.now() >= until and (self.services.outbox.next_due() or float("inf")) > until.timestamp():
                self.drain()
                return
        raise AssertionError("the outbox did not settle")

    def failures(self) -> list[dict[str, Any]]:
        response = self.api("GET", "/api/failures?limit=100")
        assert response.status_code == 200, response.body
        return list(json.loads(response.body)["failures"])

    def queue_depth(self, url: str | None = None) -> int:
        attrs = self.pump.sqs.get_queue_attributes(
            QueueUrl=url or self.queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])


def truncate_tables() -> None:
    """Empty the stage's tables between tests (a Scan is fine here: this is test set-up)."""
    from chalicelib.models import ALL_MODELS

    for model in ALL_MODELS:
        with model.batch_write() as batch:
            for item in model.scan():
                batch.delete(item)


_queue_ids = itertools.count(1)


@pytest.fixture(scope="session")
def stage_tables(moto_endpoint: str) -> None:
    from chalicelib.platform.config import get_settings, reset_settings
    from chalicelib.platform.infra import ensure_mail, ensure_tables

    reset_settings()
    ensure_tables(get_settings())
    ensure_mail(get_settings())
    import boto3

    boto3.client("ses").verify_email_identity(EmailAddress="hey@example.com")  # moto sends only from verified


def team_directory(**settings: Any) -> Any:
    """The local stack's directory, made independent of the day the tests run on: no rotation and no
    after-hours acknowledgements unless a test asks (the rotation tests load their own settings)."""
    import dataclasses

    from chalicelib.desk.directory import parse_directory

    directory = parse_directory((ROOT / "devstack" / "directory.toml").read_text())
    changed = dataclasses.replace(directory.settings,
                                  **{"rotation_roster": (), "after_hours_ack": False, **settings})
    return dataclasses.replace(directory, settings=changed)


@pytest.fixture
def stack(moto_endpoint: str, fake_slack_server: Any, fake_github_server: Any, stage_tables: None,
          monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    from chalice.test import Client

    import app as app_module
    from chalicelib import bootstrap
    from chalicelib.platform.config import get_settings, reset_settings
    from chalicelib.platform.infra import ensure_queues
    from chalicelib.services import build_services
    from devstack.pump import Pump

    # A fresh queue pair per test (SQS FIFO remembers dedupe ids for 5 minutes); emptied tables.
    monkeypatch.setenv("EVENTS_QUEUE_NAME", f"support-hero-test-{os.getpid()}-{next(_queue_ids)}.fifo")
    fake_slack_server.reset()
    fake_github_server.reset()
    reset_settings()
    bootstrap.override_ingress(None)
    from moto.backends import get_backend

    get_backend("ses")["123456789012"]["us-east-1"].sent_messages.clear()
    settings = get_settings()
    services = build_services(settings)
    truncate_tables()
    queues = ensure_queues(settings)
    services.directory.replace(team_directory())
    directory = services.directory.load()
    for member_id, token in (("ada", "dev-token-ada"), ("bo", "dev-token-bo")):
        member = directory.member(member_id)
        assert member is not None
        services.directory.create_token(member, "test", token=token)
    bootstrap.override_services(services)
    with Client(app_module.app, stage_name="dev") as client:
        pump = Pump(
            queue_url=queues.url,
            invoke=lambda event: client.lambda_.invoke("on_event", event),
            endpoint_url=moto_endpoint,
        )
        yield Stack(client, fake_slack_server, fake_github_server, services, pump, queues.url, queues.dlq_url,
                    moto_endpoint)
    bootstrap.override_services(None)
    bootstrap.override_ingress(None)
    reset_settings()


@pytest.fixture
def timed(stack: Stack) -> Iterator[tuple[Stack, Any]]:
    """The stack with a frozen clock and the dev seed's rotation switched on."""
    from chalicelib import bootstrap
    from chalicelib.platform.clock import FixedClock
    from chalicelib.platform.config import get_settings
    from chalicelib.services import build_services

    clock = FixedClock(datetime.datetime(2026, 12, 2, 10, 0, tzinfo=datetime.UTC))  # a Wednesday, open
    services = build_services(get_settings(), clock=clock)
    services.directory.replace(team_directory(rotation_roster=("ada", "bo"), after_hours_ack=True))
    bootstrap.override_services(services)
    stack.services = services
    yield stack, clock
    bootstrap.override_services(None)


@pytest.fixture
def clocked(stack: Stack) -> Iterator[tuple[Stack, Any]]:
    """The stack on a clock the test moves (the fakes answer by it too), without the rotation."""
    from chalicelib import bootstrap
    from chalicelib.platform.clock import FixedClock
    from chalicelib.platform.config import get_settings
    from chalicelib.services import build_services

    clock = FixedClock(datetime.datetime(2026, 12, 2, 10, 0, tzinfo=datetime.UTC))  # a Wednesday, open
    services = build_services(get_settings(), clock=clock)
    services.directory.replace(team_directory())
    bootstrap.override_services(services)
    stack.services = services
    previous = (stack.slack.now, stack.github.now)
    stack.slack.now, stack.github.now = clock.now, clock.now
    yield stack, clock
    stack.slack.now, stack.github.now = previous
    bootstrap.override_services(None)


def ses_notification(ses_id: str, raw: bytes, bucket: str, *, verdicts: dict[str, str] | None = None,
                     form: str = "s3", recipients: list[str] | None = None) -> dict[str, Any]:
    import base64

    v = {"spam": "PASS", "virus": "PASS", "spf": "PASS", "dkim": "PASS", "dmarc": "PASS", **(verdicts or {})}
    action: dict[str, Any] = (
        {"type": "S3", "topicArn": "arn:aws:sns:us-east-1:123456789012:t", "bucketName": bucket,
         "objectKey": f"inbound/{ses_id}"}
        if form == "s3" else {"type": "SNS", "topicArn": "arn:aws:sns:us-east-1:123456789012:t", "encoding": "BASE64"}
    )
    notification: dict[str, Any] = {
        "notificationType": "Received",
        "mail": {"timestamp": None,  # set by the caller from its clock
                 "source": "sender@example.net",
                 "messageId": ses_id, "destination": recipients or ["hey@example.com"]},
        "receipt": {"recipients": recipients or ["hey@example.com"], "action": action,
                    **{f"{k}Verdict": {"status": s} for k, s in v.items()}},
    }
    if form != "s3":
        notification["content"] = base64.b64encode(raw).decode()
    return notification


def load_json(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text())
    assert isinstance(data, dict)
    return data
