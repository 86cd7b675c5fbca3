"""Side by side on the same signed Slack events: Support Hero's ack path vs slack-bolt's
AWS Lambda adapter, plus the worker's DynamoDB requests per event.

(a) cold start  a new process imports the handler and acks its first event with its real
                hand-off: ours enqueues to the embedded SQS; bolt runs a lazy listener, whose
                Lambda runner invokes a dummy function on the embedded AWS (and bolt's first
                request calls auth.test on the fake Slack).
(b) warm        per-request latency in one process, hand-offs replaced by in-memory fakes
                (our queue client; bolt with an ack-only listener): the same verify-parse-ack work.
(c) DynamoDB    requests the worker makes per new ticket and per thread reply (botocore hooks),
                without the Support Hero rotation (its routing is part of (e)).
(d) analytics   GET /api/analytics's work over 90 days at 1 000 and 50 000 tickets (bench/analytics.py).
(e) metrics     what keeping the analytics costs per ticket event: requests, transaction items.
(f) burst       `make run` as a subprocess takes 1 000 signed Slack messages from 8 threads: acks within
                3 s, seconds until all are tickets, worker events per second (bench/burst.py; --no-burst skips).
(g) replies     reply extraction over tests/replies/ (+ the shared corpus's talon fixtures): ours vs
                mail-parser-reply vs email-reply-parser, cases right and cases where customer text was lost
                (bench/replies.py; --no-replies skips).
(h) charsets    unlabelled bodies in 12 legacy charsets: the fallback chain with charset-normalizer vs
                UTF-8 then cp1252 only (bench/charsets.py).

Run: make bench   (or .venv/bin/python -m bench.run --cold-runs 15 --warm-requests 3000)
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench"
FUNCTION = "support-hero-dev"  # the name devstack.apigw.LambdaContext carries

OURS_COLD = """
import json, os, sys, time
t0 = time.perf_counter()
import app
from devstack.apigw import LambdaContext, proxy_event
event = proxy_event("/slack/events", os.environb[b"BENCH_BODY"], json.loads(os.environ["BENCH_HEADERS"]))
response = app.app(event, LambdaContext())
elapsed = time.perf_counter() - t0
print(json.dumps({"ms": elapsed * 1000, "status": response["statusCode"]}))
"""

BOLT_COLD = """
import json, os, sys, time
t0 = time.perf_counter()
from slack_bolt import App
from slack_bolt.adapter.aws_lambda import SlackRequestHandler
from slack_sdk import WebClient
from devstack.apigw import LambdaContext, proxy_event
app = App(process_before_response=True, signing_secret=os.environ["SLACK_SIGNING_SECRET"],
          client=WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"]))
def ack_now(ack):
    ack()
def work_later(body):
    pass
app.event("reaction_added")(ack=ack_now, lazy=[work_later])
event = proxy_event("/slack/events", os.environb[b"BENCH_BODY"], json.loads(os.environ["BENCH_HEADERS"]))
response = SlackRequestHandler(app).handle(event, LambdaContext())
elapsed = time.perf_counter() - t0
print(json.dumps({"ms": elapsed * 1000, "status": response["statusCode"]}))
"""


def signed(body: bytes) -> dict[str, str]:
    from chalicelib.platform.security import slack_signature

    ts = str(int(time.time()))
    return {"Content-Type": "application/json", "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": slack_signature(SECRET, ts, body)}


def event_body(i: int) -> bytes:
    return json.dumps({
        "token": "x", "team_id": "T0DEV", "api_app_id": "A0SUPPORT", "type": "event_callback",
        "event_id": f"EvBENCH{i:06d}", "event_time": 1700000000,
        "event": {"type": "reaction_added", "user": "U0HERO1", "reaction": "ticket", "item_user": "U0CUST1",
                  "item": {"type": "message", "channel": "C0COMMUNITY", "ts": "1700000000.000100"},
                  "event_ts": "1700000100.000100"},
    }).encode()


def start_peers() -> tuple[Any, Any, str]:
    os.environ.update({
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1", "SUPPORT_HERO_STAGE": "bench", "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_BOT_TOKEN": TOKEN, "POWERTOOLS_LOG_LEVEL": "ERROR", "POWERTOOLS_METRICS_DISABLED": "true",
    })
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    logging.getLogger("moto").setLevel(logging.CRITICAL)  # the dummy function's async run needs Docker: moot
    from moto.server import ThreadedMotoServer

    from devstack.fake_slack import FakeSlack

    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    os.environ["AWS_ENDPOINT_URL"] = f"http://{host}:{port}"
    fake = FakeSlack(bot_token=TOKEN).start()
    os.environ["SLACK_API_URL"] = fake.base_url
    return moto, fake, os.environ["AWS_ENDPOINT_URL"]


def create_bolt_dummy_function() -> None:
    import boto3

    iam = boto3.client("iam")
    role = iam.create_role(RoleName="bolt-lazy", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as z:
        z.writestr("handler.py", "def handler(event, context):\n    return None\n")
    boto3.client("lambda").create_function(FunctionName=FUNCTION, Runtime="python3.11", Role=role,
                                           Handler="handler.handler", Code={"ZipFile": code.getvalue()})


def cold_runs(runs: int) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {"ours": [], "bolt": []}
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": ""}
    for i in range(runs):
        for side, script in (("ours", OURS_COLD), ("bolt", BOLT_COLD)):
            body = event_body(10_000 + i * 2 + (side == "bolt"))
            env_i = {**env, "BENCH_BODY": body.decode(), "BENCH_HEADERS": json.dumps(signed(body))}
            out = subprocess.run([sys.executable, "-c", script], env=env_i, cwd=ROOT, capture_output=True,
                                 text=True, timeout=60)
            lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{\"ms\"")]
            if out.returncode != 0 or not lines:
                raise RuntimeError(f"{side} cold run failed:\n{out.stdout}\n{out.stderr}")
            result = json.loads(lines[-1])
            if result["status"] != 200:
                raise RuntimeError(f"{side} answered {result['status']}:\n{out.stderr[-3000:]}")
            results[side].append(result["ms"])
    return results


def warm_runs(requests: int) -> dict[str, list[float]]:
    import logging

    from slack_bolt import App
    from slack_bolt.adapter.aws_lambda import SlackRequestHandler
    from slack_sdk import WebClient

    import app as ours
    from chalicelib import bootstrap
    from chalicelib.platform.config import reset_settings
    from chalicelib.platform.queue import InMemoryEventQueue
    from devstack.apigw import LambdaContext, proxy_event

    logging.getLogger("slack_bolt").setLevel(logging.ERROR)
    reset_settings()
    bootstrap.override_ingress(None)
    queue = InMemoryEventQueue()
    bootstrap.ingress().queue = queue
    bolt = App(process_before_response=True, signing_secret=SECRET,
               client=WebClient(token=TOKEN, base_url=os.environ["SLACK_API_URL"]))

    def ack_only(ack: Any) -> None:
        ack()

    bolt.event("reaction_added")(ack_only)
    bolt_handler = SlackRequestHandler(bolt)
    ctx = LambdaContext()
    bodies = [event_body(i) for i in range(requests)]
    headers = [signed(b) for b in bodies]
    results: dict[str, list[float]] = {"ours": [], "bolt": []}
    # Warm both up, then interleave in blocks so machine noise hits both alike.
    for side_call in (
        lambda b, h: ours.app(proxy_event("/slack/events", b, dict(h)), ctx),
        lambda b, h: bolt_handler.handle(proxy_event("/slack/events", b, dict(h)), ctx),
    ):
        for i in range(50):
            assert side_call(bodies[i], headers[i])["statusCode"] == 200
    block = 100
    for start in range(0, requests, block):
        for side in ("ours", "bolt"):
            for i in range(start, min(start + block, requests)):
                event = proxy_event("/slack/events", bodies[i], dict(headers[i]))
                t0 = time.perf_counter()
                response = ours.app(event, ctx) if side == "ours" else bolt_handler.handle(event, ctx)
                results[side].append((time.perf_counter() - t0) * 1e6)
                assert response["statusCode"] == 200
    assert len(queue.messages) == requests  # every event really was handed off (dedupe by event_id)
    return results


def dynamodb_requests() -> dict[str, int]:
    from chalicelib.desk.directory import parse_directory
    from chalicelib.platform.config import get_settings, reset_settings
    from chalicelib.platform.infra import bootstrap as bootstrap_stage
    from chalicelib.services import build_services
    from devstack.dbcount import DynamoRequestCounter

    reset_settings()
    settings = get_settings()
    bootstrap_stage(settings)
    services = build_services(settings)
    import dataclasses

    directory = parse_directory((ROOT / "devstack" / "directory.toml").read_text())
    directory = dataclasses.replace(directory, settings=dataclasses.replace(
        directory.settings, rotation_roster=(), after_hours_ack=False))  # routing and after-hours: see (e)
    services.directory.replace(directory)
    services.directory.invalidate()

    counter = DynamoRequestCounter(services)
    intake = services.slack_intake

    def message(ts: str, user: str, text: str, thread_ts: str | None = None) -> dict[str, Any]:
        event: dict[str, Any] = {"type": "message", "channel": "C0ACME", "user": user, "ts": ts, "text": text}
        if thread_ts:
            event["thread_ts"] = thread_ts
        return {"type": "event_callback", "team_id": "T0DEV", "event_id": f"Ev{ts}", "event": event}

    figures: dict[str, int] = {}
    counter.reset()
    intake.handle(message("1700000000.000100", "U0ACME1", "first ticket of a cold container"))
    figures["new ticket, cold container (directory loaded)"] = counter.total
    services.outbox.flush()
    for n in range(1, 4):
        counter.reset()
        outcome = intake.handle(message(f"17000000{n:02d}.000100", "U0ACME1", f"question {n}"))
        assert outcome.action == "opened"
        figures["new ticket"] = counter.total
        items = dict(counter.transact_items)
        counter.reset()
        services.outbox.flush()  # its confirmation: claim, read the ticket, post, record on it, mark done
        figures["new ticket: its confirmation step (outbox)"] = counter.total
    figures["new ticket: transaction items " + ", ".join(f"{t} {n}" for t, n in sorted(items.items()))] = sum(
        items.values())
    counter.reset()
    outcome = intake.handle(message("1700000100.000100", "U0HERO1", "answer", thread_ts="1700000001.000100"))
    assert outcome.action == "appended"
    figures["thread reply"] = counter.total
    counter.reset()
    intake.handle(message("1700000001.000100", "U0ACME1", "question 1"))
    figures["duplicate delivery"] = counter.total
    ada = services.directory.load().member("ada")
    assert ada is not None
    ticket = services.tickets.by_number(2)
    counter.reset()
    services.tickets.add_reply(ticket, ada, "On it.", internal=False, idempotency_key=None)
    items = dict(counter.transact_items)
    figures["agent reply (API): recorded with its delivery step"] = counter.total
    figures["agent reply: transaction items " + ", ".join(f"{t} {n}" for t, n in sorted(items.items()))] = sum(
        items.values())
    counter.reset()
    services.outbox.flush()
    figures["agent reply: its delivery step (outbox)"] = counter.total
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cold-runs", type=int, default=11)
    parser.add_argument("--warm-requests", type=int, default=2000)
    parser.add_argument("--analytics-sizes", type=int, nargs=2, default=[1000, 50000])
    parser.add_argument("--no-burst", action="store_true", help="skip (f), the burst against make run")
    parser.add_argument("--burst-events", type=int, default=1000)
    parser.add_argument("--no-replies", action="store_true", help="skip (g), the reply-extraction comparison")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    moto, fake, endpoint = start_peers()
    try:
        from chalicelib.platform.config import get_settings
        from chalicelib.platform.infra import bootstrap as bootstrap_stage

        bootstrap_stage(get_settings())
        create_bolt_dummy_function()
        print(f"embedded AWS {endpoint}, fake Slack {fake.base_url}; python {sys.version.split()[0]}\n")

        cold = cold_runs(args.cold_runs)
        warm = warm_runs(args.warm_requests)
        db = dynamodb_requests()
        from bench.analytics import analytics_reads, cost_per_event

        events = cost_per_event()
        reads = analytics_reads(tuple(args.analytics_sizes))
    finally:
        fake.stop()
        moto.stop()

    def med(values: list[float]) -> float:
        return statistics.median(values)

    cold_ratio = med(cold["ours"]) / med(cold["bolt"])
    warm_ratio = med(warm["ours"]) / med(warm["bolt"])
    print("(a) cold start: import + first signed event acked with the real hand-off "
          f"({args.cold_runs} new processes each)")
    print(f"    support-hero  median {med(cold['ours']):8.1f} ms   (min {min(cold['ours']):.1f})")
    print(f"    slack-bolt    median {med(cold['bolt']):8.1f} ms   (min {min(cold['bolt']):.1f})")
    print(f"    ratio {cold_ratio:.2f}x bolt   target <= 0.60x   {'OK' if cold_ratio <= 0.6 else 'MISSED'}")
    print(f"(b) warm: verify + parse + ack, in-memory hand-off ({args.warm_requests} requests each)")
    print(f"    support-hero  median {med(warm['ours']):8.1f} us   p90 "
          f"{statistics.quantiles(warm['ours'], n=10)[-1]:.1f}")
    print(f"    slack-bolt    median {med(warm['bolt']):8.1f} us   p90 "
          f"{statistics.quantiles(warm['bolt'], n=10)[-1]:.1f}")
    print(f"    ratio {warm_ratio:.2f}x bolt   target <= 1.00x   {'OK' if warm_ratio <= 1.0 else 'MISSED'}")
    print("(c) DynamoDB requests made by the worker (warm container unless noted)")
    for name, value in db.items():
        target = {"new ticket": 6, "thread reply": 2, "new ticket: its confirmation step (outbox)": 5,
                  "agent reply: its delivery step (outbox)": 5}.get(name)
        verdict = "" if target is None else f"   target <= {target}   {'OK' if value <= target else 'MISSED'}"
        print(f"    {name:<48} {value}{verdict}")
    print("(d) analytics over 90 days (GET /api/analytics's work), aggregates seeded from synthetic tickets")
    small, large = (reads[n] for n in args.analytics_sizes)
    for n, r in reads.items():
        print(f"    {n:>6} tickets   median {r['median_ms']:7.1f} ms   (min {r['min_ms']:.1f})   "
              f"{r['queries']} Query, {r['items_read']} items read ({r['items']} aggregates kept)")
    ratio = large["median_ms"] / small["median_ms"]
    print(f"    ratio {ratio:.2f}x   target: near 1   {'OK' if ratio <= 1.5 else 'MISSED'}")
    print("(e) keeping the metrics: requests and transaction items per event (tables in brackets)")
    for name, e in events.items():
        items = ", ".join(f"{t} {n}" for t, n in sorted(e["transact_items"].items()))
        print(f"    {name:<32} {e['requests']} requests   transaction items: {items or '-'}")
    if not args.no_burst:
        from bench.burst import run as run_burst

        for line in run_burst(events=args.burst_events, threads=8).report():
            print(line, flush=True)
    if not args.no_replies:
        from bench.replies import run as run_replies

        for line in run_replies().report():
            print(line, flush=True)
    from bench.charsets import main as run_charsets

    print("(h) charsets", flush=True)
    run_charsets()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
