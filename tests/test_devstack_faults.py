"""The local stack's own robustness: the queue pump outlives its errors, the schedules follow the
dev clock, and `make run` stops on Ctrl-C / SIGTERM whenever it gets one."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from chalicelib.platform.clock import FixedClock
from devstack.pump import Pump
from tests.conftest import ROOT
from tests.test_local_stack import free_port, wait_for


class FlakySqs:
    """Wraps a boto3 SQS client: the named operations raise a ClientError once each."""

    def __init__(self, client: Any, *failing: str) -> None:
        self._client = client
        self._failing = set(failing)
        self.failed: list[str] = []

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if name not in self._failing:
            return attr

        def once(**kwargs: Any) -> Any:
            if name in self._failing:
                self._failing.discard(name)
                self.failed.append(name)
                raise ClientError({"Error": {"Code": "InternalError", "Message": "injected"}}, name)
            return attr(**kwargs)

        return once


def fifo_queue(endpoint: str, name: str) -> tuple[Any, str]:
    sqs = boto3.client("sqs", region_name="us-east-1", endpoint_url=endpoint)
    url = sqs.create_queue(QueueName=name, Attributes={"FifoQueue": "true", "VisibilityTimeout": "1"})["QueueUrl"]
    return sqs, url


def send(sqs: Any, url: str, body: str, group: str = "g") -> None:
    sqs.send_message(QueueUrl=url, MessageBody=body, MessageDeduplicationId=body, MessageGroupId=group)


def bodies(seen: list[dict[str, Any]]) -> list[str]:
    return [str(r["body"]) for event in seen for r in event["Records"]]


def test_pump_survives_a_failed_delete_and_receive(moto_endpoint: str, caplog: pytest.LogCaptureFixture) -> None:
    sqs, url = fifo_queue(moto_endpoint, f"pump-faults-{os.getpid()}.fifo")
    seen: list[dict[str, Any]] = []
    pump = Pump(queue_url=url, invoke=seen.append, endpoint_url=moto_endpoint, error_pause=0.05)
    flaky = FlakySqs(pump.sqs, "delete_message", "receive_message")
    pump.sqs = flaky
    send(sqs, url, "first")
    stop = threading.Event()
    thread = threading.Thread(target=pump.run_forever, args=(stop,), kwargs={"idle": 0.05}, daemon=True)
    with caplog.at_level("WARNING", logger="devstack"):
        thread.start()
        try:
            wait_for(lambda: "first" in bodies(seen), seconds=10)
            send(sqs, url, "second")
            wait_for(lambda: "second" in bodies(seen), seconds=10)
        finally:
            stop.set()
            thread.join(timeout=5)
    assert not thread.is_alive()
    assert sorted(flaky.failed) == ["delete_message", "receive_message"]
    assert pump.pump_errors == 2
    messages = [r.getMessage() for r in caplog.records if r.name == "devstack"]
    assert any("delete" in m and "failed" in m for m in messages), messages
    assert any("ClientError" in m for m in messages), messages


def test_pump_receives_up_to_ten_and_invokes_one_record_at_a_time(moto_endpoint: str) -> None:
    sqs, url = fifo_queue(moto_endpoint, f"pump-batch-{os.getpid()}.fifo")
    for n in range(12):
        send(sqs, url, f"m{n:02d}", group=f"g{n % 3}")
    seen: list[dict[str, Any]] = []
    pump = Pump(queue_url=url, invoke=seen.append, endpoint_url=moto_endpoint, receive_max=10)
    assert pump.run_once() == 10
    assert all(len(event["Records"]) == 1 for event in seen)
    pump.drain()
    assert sorted(bodies(seen)) == [f"m{n:02d}" for n in range(12)]
    for group in range(3):  # each FIFO group in its order
        mine = [b for b in bodies(seen) if int(b[1:]) % 3 == group]
        assert mine == sorted(mine)


def test_pump_holds_back_the_rest_of_a_failed_group(moto_endpoint: str) -> None:
    sqs, url = fifo_queue(moto_endpoint, f"pump-hold-{os.getpid()}.fifo")
    for body in ("a1", "a2", "b1"):
        send(sqs, url, body, group=body[0])
    seen: list[str] = []

    def invoke(event: dict[str, Any]) -> None:
        body = str(event["Records"][0]["body"])
        seen.append(body)
        if body == "a1":
            raise RuntimeError("worker failed")

    pump = Pump(queue_url=url, invoke=invoke, endpoint_url=moto_endpoint, receive_max=10, retry_delay=0)
    pump.run_once()
    assert "a2" not in seen and "b1" in seen  # a2 waits for a1's retry; group b goes on


def test_schedules_run_when_the_dev_clock_jumps(monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.jobs import registry as jobs
    from devstack.run import run_schedules

    fake_jobs = {"hourly": jobs.Job("hourly", 60, "h"), "daily": jobs.Job("daily", 1440, "d"),
                 "minutely": jobs.Job("minutely", 1, "m")}
    ran: list[str] = []
    monkeypatch.setattr(jobs, "JOBS", fake_jobs)
    monkeypatch.setattr(jobs, "run", lambda name, services: ran.append(name) or {})
    clock = FixedClock(dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.UTC))
    stop = threading.Event()
    thread = threading.Thread(target=run_schedules, args=(object(), stop), kwargs={"tick": 0.05, "clock": clock},
                              daemon=True)
    thread.start()
    try:
        time.sleep(0.3)
        assert ran == []  # a rate schedule: the first run after one period
        clock.advance(minutes=1)
        wait_for(lambda: ran == ["minutely"], seconds=5)
        clock.advance(hours=2)
        wait_for(lambda: sorted(ran) == ["hourly", "minutely", "minutely"], seconds=5)
        clock.advance(days=1)
        wait_for(lambda: ran.count("daily") == 1 and ran.count("hourly") == 2, seconds=5)
        time.sleep(0.3)
        assert ran.count("daily") == 1 and ran.count("hourly") == 2  # once per jump, not every tick
        clock.set(dt.datetime(2026, 12, 1, tzinfo=dt.UTC))  # moved back: nothing runs, nothing breaks
        time.sleep(0.3)
        assert ran.count("daily") == 1
    finally:
        stop.set()
        thread.join(timeout=5)


def _stack_env() -> tuple[dict[str, str], dict[str, int]]:
    """A user's shell on free ports, as tests/test_local_stack.py's `running_stack` builds it."""
    ports = {"API_PORT": free_port(), "MOTO_PORT": free_port(), "FAKE_SLACK_PORT": free_port(),
             "SMTP_PORT": free_port(), "FAKE_GITHUB_PORT": free_port()}
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TERM", "TZ")}
    env.update({k: v for k, v in os.environ.items() if k == "LD_PRELOAD" or k.startswith("FAKETIME")})
    env.update({k: str(v) for k, v in ports.items()})
    return env, ports


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize("when", ["running", "starting"])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_make_run_stops_on_a_signal(tmp_path: Any, when: str, sig: signal.Signals) -> None:
    """Sent to `make run`'s process alone (a supervisor's SIGTERM, a Ctrl-C the terminal gave it):
    every part stops, chalice local included, within 15 s, whether it was running or still starting."""
    env, ports = _stack_env()
    log_path = tmp_path / "run.log"
    with log_path.open("w") as log:
        stack = subprocess.Popen([sys.executable, "-m", "devstack.run"], cwd=ROOT, env=env, stdout=log,
                                 stderr=subprocess.STDOUT, start_new_session=True)
    try:
        if when == "running":
            wait_for(lambda: "local stack is running" in log_path.read_text(), seconds=60)
        else:  # mid-start: the embedded AWS is up, the rest is on its way
            wait_for(lambda: _port_open(ports["MOTO_PORT"]), seconds=30)
            time.sleep(0.5)
        started = time.monotonic()
        stack.send_signal(sig)
        stack.wait(timeout=15)
        assert time.monotonic() - started < 15
        assert stack.returncode == 0, log_path.read_text()[-3000:]
        wait_for(lambda: not any(_port_open(p) for p in ports.values()), seconds=5)
    finally:
        if stack.poll() is None:
            os.killpg(stack.pid, signal.SIGKILL)
            stack.wait()
        else:  # nothing of it may stay behind (chalice local is in its process group)
            try:
                wait_for(lambda: not _group_alive(stack.pid), seconds=5)
            finally:
                if _group_alive(stack.pid):
                    os.killpg(stack.pid, signal.SIGKILL)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _github(url: str, method: str = "GET", body: Any = None, token: str | None = "ghp-faults",
            timeout: float = 5) -> tuple[int, dict[str, str], Any]:
    import json
    import urllib.error
    import urllib.request

    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), json.loads(exc.read())


def test_fake_github_outage_and_slow_answers() -> None:
    from devstack.fake_github import FakeGitHub

    at = [dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.UTC)]
    fake = FakeGitHub(token="ghp-faults", now=lambda: at[0]).start()
    comments = f"{fake.base_url}/repos/Codertocat/Hello-World/issues/1/comments"
    try:
        fake.set_issue("Codertocat/Hello-World", 1)
        fake.outage(status=503, retry_after=3, until=at[0] + dt.timedelta(minutes=2),
                    methods=["/repos/Codertocat/Hello-World/issues/1/comments"])
        status, headers, body = _github(comments, "POST", {"body": "hello"})
        assert (status, headers["Retry-After"], "message" in body) == (503, "3", True)
        assert _github(f"{fake.base_url}/repos/Codertocat/Hello-World/issues/1")[0] == 200  # another prefix
        assert fake.comments("Codertocat/Hello-World", 1) == []
        assert [c.get("failed") for c in fake.calls("POST")] == [True]
        at[0] += dt.timedelta(minutes=2)
        assert _github(comments, "POST", {"body": "hello"})[0] == 201
        # Over HTTP: a 429 for everything until an hour from the fake's clock, then DELETE ends it.
        until = (at[0] + dt.timedelta(hours=1)).isoformat()
        assert _github(f"{fake.base_url}/_fake/outage", "POST", {"status": 429, "until": until})[0] == 200
        status, headers, _ = _github(comments, "POST", {"body": "again"})
        assert status == 429 and headers["Retry-After"] == "1"
        assert _github(f"{fake.base_url}/_fake/outage", "DELETE")[0] == 200
        # A slow answer: the comment is created, the impatient client hears nothing in time.
        assert _github(f"{fake.base_url}/_fake/slow", "POST", {"path": "/comments", "delay": 2})[0] == 200
        with pytest.raises(TimeoutError):
            _github(comments, "POST", {"body": "did it go?"}, timeout=0.5)
        assert [c["body"] for c in fake.comments("Codertocat/Hello-World", 1)] == ["hello", "did it go?"]
        fake.outage(status=500)
        fake.reset()  # ends the outage too
        assert _github(f"{fake.base_url}/repos/Codertocat/Hello-World/issues/1")[0] == 404  # reset forgot it
    finally:
        fake.stop()
