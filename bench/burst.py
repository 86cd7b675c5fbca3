"""(f) burst: `make run` as a subprocess takes 1,000 signed Slack ``message`` events from 8 threads.

Each event is a customer's top-level message in Acme's dedicated channel (``C0ACME``, user
``U0ACME1``, a distinct ts each), so each must become one ticket. Reported: how many were
acknowledged 200, the max and p99 ack latency (Slack's limit: 3 s), the seconds until all are
tickets (read through the agent API with the dev token), and the worker's events per second.

Run: .venv/bin/python -m bench.burst [--events 1000 --threads 8]   (also the last part of make bench)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIGNING_SECRET = "dev-slack-signing-secret"
TOKEN = "dev-token-ada"
ACK_LIMIT_S = 3.0
WEDNESDAY_MORNING = "2026-12-02T11:00:00Z"  # business hours: no after-hours acknowledgements in the way


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def request(url: str, body: bytes | None = None, headers: dict[str, str] | None = None,
            timeout: float = 10) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=body, headers=headers or {}, method="POST" if body is not None else "GET")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@contextlib.contextmanager
def local_stack(log_path: Path) -> Iterator[dict[str, int]]:
    """``python -m devstack.run`` on free ports with a user's environment (as tests/test_local_stack.py)."""
    ports = {"API_PORT": free_port(), "MOTO_PORT": free_port(), "FAKE_SLACK_PORT": free_port(),
             "SMTP_PORT": free_port(), "FAKE_GITHUB_PORT": free_port()}
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TERM", "TZ")}
    env.update({k: str(v) for k, v in ports.items()})
    with log_path.open("w") as log:
        stack = subprocess.Popen([sys.executable, "-m", "devstack.run"], cwd=ROOT, env=env, stdout=log,
                                 stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while "local stack is running" not in log_path.read_text():
            if stack.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the local stack did not start; see {log_path}")
            time.sleep(0.3)
        yield ports
    finally:
        os.killpg(stack.pid, signal.SIGINT)
        try:
            stack.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(stack.pid, signal.SIGKILL)
            stack.wait()


def signed_message(n: int, base_ts: int) -> tuple[bytes, dict[str, str]]:
    from chalicelib.platform.security import slack_signature

    ts = f"{base_ts}.{n:06d}"
    event = {"type": "message", "user": "U0ACME1", "text": f"Burst question {n}", "ts": ts, "channel": "C0ACME",
             "channel_type": "channel", "event_ts": ts}
    body = json.dumps({"type": "event_callback", "team_id": "T0DEV", "api_app_id": "A0SUPPORT",
                       "event_id": f"EvBURST{base_ts}{n:06d}", "event_time": base_ts, "event": event}).encode()
    stamp = str(int(time.time()))
    return body, {"Content-Type": "application/json", "X-Slack-Request-Timestamp": stamp,
                  "X-Slack-Signature": slack_signature(SIGNING_SECRET, stamp, body)}


@dataclass
class BurstResult:
    events: int
    threads: int
    statuses: dict[int, int]
    latencies: list[float]
    send_seconds: float
    all_tickets_seconds: float | None
    tickets: int
    worker_events_per_second: float | None

    def report(self) -> list[str]:
        ok = self.statuses.get(200, 0)
        lat = sorted(self.latencies)
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] if lat else 0.0
        others = ", ".join(f"{code}: {n}" for code, n in sorted(self.statuses.items()) if code != 200) or "none"
        verdict = "OK" if ok == self.events and lat and lat[-1] <= ACK_LIMIT_S else "MISSED"
        done = (f"{self.all_tickets_seconds:.1f} s after the first send"
                if self.all_tickets_seconds is not None else f"NOT within the wait ({self.tickets} tickets)")
        rate = f"{self.worker_events_per_second:.1f}" if self.worker_events_per_second else "-"
        return [
            f"(f) burst: {self.events} signed Slack messages to make run from {self.threads} threads "
            f"(sent in {self.send_seconds:.1f} s)",
            f"    answered 200: {ok}/{self.events}   others: {others}",
            f"    ack latency  median {statistics.median(lat) * 1000:.0f} ms   p99 {p99 * 1000:.0f} ms   "
            f"max {lat[-1] * 1000:.0f} ms   limit {ACK_LIMIT_S:.0f} s   {verdict}",
            f"    all {self.events} tickets: {done}   worker {rate} events/s",
        ]


def count_tickets(api: str) -> int:
    total, cursor = 0, None
    while True:
        url = f"{api}/api/tickets?view=all&limit=100" + (f"&cursor={cursor}" if cursor else "")
        status, body = request(url, headers={"Authorization": f"Bearer {TOKEN}"})
        if status != 200:
            raise RuntimeError(f"GET {url}: {status} {body[:200]!r}")
        page = json.loads(body)
        total += len(page["tickets"])
        cursor = page.get("next_cursor")
        if not cursor:
            return total


def burst(api: str, events: int = 1000, threads: int = 8, wait_seconds: float = 900) -> BurstResult:
    """Send the burst, then wait until every event is a ticket (probing ticket numbers in order)."""
    base_ts = int(time.time())
    prepared = [signed_message(n, base_ts) for n in range(events)]
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(threads + 1)

    def sender(offset: int) -> None:
        start.wait()
        for n in range(offset, events, threads):
            body, headers = prepared[n]
            t0 = time.perf_counter()
            try:
                status, _ = request(f"{api}/slack/events", body, headers, timeout=10)
            except OSError:
                status = 0  # no answer at all
            elapsed = time.perf_counter() - t0
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
                latencies.append(elapsed)

    workers = [threading.Thread(target=sender, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    start.wait()
    began = time.monotonic()
    for w in workers:
        w.join()
    send_seconds = time.monotonic() - began

    # Ticket numbers are given in order: the highest existing number is the count so far.
    seen, done_at = 0, None
    progress: list[tuple[float, int]] = [(0.0, 0)]
    deadline = began + wait_seconds
    while time.monotonic() < deadline:
        while seen < events:
            status, _ = request(f"{api}/api/tickets/{seen + 1}", headers={"Authorization": f"Bearer {TOKEN}"})
            if status != 200:
                break
            seen += 1
        progress.append((time.monotonic() - began, seen))
        if seen >= events:
            done_at = time.monotonic() - began
            break
        time.sleep(0.5)
    tickets = count_tickets(api)
    rate = None
    if done_at is not None:
        rate = events / done_at
    elif progress[-1][0] > 0:
        rate = progress[-1][1] / progress[-1][0]
    return BurstResult(events, threads, statuses, latencies, send_seconds,
                       done_at if tickets >= events else None, tickets, rate)


def run(events: int = 1000, threads: int = 8, log_dir: Path | None = None) -> BurstResult:
    log_path = (log_dir or ROOT / ".devstack") / "bench-burst.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with local_stack(log_path) as ports:
        api = f"http://127.0.0.1:{ports['API_PORT']}"
        status, body = request(f"{api}/_local/clock", json.dumps({"now": WEDNESDAY_MORNING}).encode(),
                               {"Content-Type": "application/json"})
        if status != 200:
            raise RuntimeError(f"could not set the dev clock: {status} {body[:200]!r}")
        return burst(api, events, threads)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    for line in run(args.events, args.threads).report():
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
