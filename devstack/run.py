"""The whole system on this machine, no AWS account, no internet: ``make run``.

  embedded AWS (moto server) ... http://127.0.0.1:5050  (DynamoDB, SQS, S3, SNS, SES, SSM)
  fake Slack Web API ........... http://127.0.0.1:9001/api/  (unless SLACK_API_URL is set)
  the API (chalice local) ...... http://127.0.0.1:8000
  SMTP ingress (plays SES) ..... 127.0.0.1:2525 -> S3 + SNS notification -> the email function
  queue pump ................... SQS events queue -> the worker function, like Lambda's mapping

Every setting has a documented dev default and can be overridden by environment variable.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

DEFAULTS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "SUPPORT_HERO_STAGE": "dev",
    "SLACK_SIGNING_SECRET": "dev-slack-signing-secret",
    "SLACK_BOT_TOKEN": "xoxb-dev",
    "MOTO_PORT": "5050",
    "FAKE_SLACK_PORT": "9001",
    "API_PORT": "8000",
    "SMTP_PORT": "2525",
    "FAKE_GITHUB_PORT": "9002",
    "GITHUB_WEBHOOK_SECRET": "dev-github-webhook-secret",
    "GITHUB_TOKEN": "ghp-dev",
    "SUPPORT_ADDRESS": "hey@example.com",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    "POWERTOOLS_METRICS_DISABLED": "true",
}
DEV_TOKENS = {"ada": "dev-token-ada", "bo": "dev-token-bo"}
SAMPLE_CHANNEL, SAMPLE_TS = "C0COMMUNITY", "1700000000.000100"

log = logging.getLogger("devstack")


def configure_environment() -> dict[str, str]:
    for key, value in DEFAULTS.items():
        os.environ.setdefault(key, value)
    os.environ.setdefault("AWS_ENDPOINT_URL", f"http://127.0.0.1:{os.environ['MOTO_PORT']}")
    # The dev clock (POST /_local/clock): one file every process of the stack reads; real time at start.
    os.environ.setdefault("SUPPORT_HERO_DEV_CLOCK", str(ROOT / ".devstack" / f"clock-{os.environ['API_PORT']}.json"))
    Path(os.environ["SUPPORT_HERO_DEV_CLOCK"]).parent.mkdir(parents=True, exist_ok=True)
    Path(os.environ["SUPPORT_HERO_DEV_CLOCK"]).unlink(missing_ok=True)
    for var in ("AWS_PROFILE", "SLACK_SIGNING_SECRET_PARAM", "SLACK_BOT_TOKEN_PARAM", "GITHUB_WEBHOOK_SECRET_PARAM",
                "GITHUB_TOKEN_PARAM"):
        os.environ.pop(var, None)
    return dict(os.environ)


def wait_http(url: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except urllib.error.HTTPError:
            return  # it answered (a 401 from the API is an answer)
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not come up within {seconds}s") from None
            time.sleep(0.2)


def seed_fake_slack(fake: object) -> None:
    add_user = fake.add_user
    add_message = fake.add_message
    add_user("U0HERO1", "ada", real_name="Ada Hero", image_72="https://avatars.example.com/ada.png")
    add_user("U0HERO2", "bo", real_name="Bo Agent", image_72="https://avatars.example.com/bo.png")
    add_user("U0CUST1", "casey", real_name="Casey Community")
    add_user("U0ACME1", "wile", real_name="Wile E. (Acme)")
    add_message(SAMPLE_CHANNEL, SAMPLE_TS, "U0CUST1", "How do I rotate my API key without downtime?")


def run_schedules(services: object, stop: threading.Event) -> None:
    """Like EventBridge: each job at its rate (``POST /_local/schedules/<name>`` runs one at once)."""
    from chalicelib import jobs

    last = dict.fromkeys(jobs.JOBS, time.monotonic())  # like a rate schedule: the first run after one period
    while not stop.wait(5):
        for job in jobs.JOBS.values():
            if time.monotonic() - last.get(job.name, 0.0) < job.every_minutes * 60:
                continue
            last[job.name] = time.monotonic()
            try:
                jobs.run(job.name, services)  # type: ignore[arg-type]
            except Exception as exc:  # noqa: BLE001 - a failed run is retried at the next tick, like Lambda
                log.warning("schedule %s failed (will run again): %s: %s", job.name, type(exc).__name__, exc)


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's request log
    env = configure_environment()
    sys.path.insert(0, str(ROOT))

    from moto.server import ThreadedMotoServer

    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=int(env["MOTO_PORT"]), verbose=False)
    moto.start()
    wait_http(f"{os.environ['AWS_ENDPOINT_URL']}/moto-api/")

    fake = None
    if not os.environ.get("SLACK_API_URL"):
        from devstack.fake_slack import FakeSlack

        fake = FakeSlack(bot_token=env["SLACK_BOT_TOKEN"]).start(port=int(env["FAKE_SLACK_PORT"]))
        os.environ["SLACK_API_URL"] = fake.base_url
        seed_fake_slack(fake)

    fake_github = None
    if not os.environ.get("GITHUB_API_URL"):
        from devstack.fake_github import FakeGitHub

        fake_github = FakeGitHub(token=env["GITHUB_TOKEN"]).start(port=int(env["FAKE_GITHUB_PORT"]))
        os.environ["GITHUB_API_URL"] = fake_github.base_url
        fake_github.set_issue("Codertocat/Hello-World", 1, title="Spelling error in the README file")

    from chalicelib.config import get_settings
    from chalicelib.directory import parse_directory
    from chalicelib.infra import bootstrap
    from chalicelib.services import build_services

    settings = get_settings()
    info = bootstrap(settings)
    import boto3

    boto3.client("ses").verify_email_identity(EmailAddress=str(settings.support_address))  # moto: verified senders
    services = build_services(settings)
    directory_file = Path(os.environ.get("DIRECTORY_FILE", ROOT / "devstack" / "directory.toml"))
    services.directory.replace(parse_directory(directory_file.read_text()))
    directory = services.directory.load()
    for member_id, token in DEV_TOKENS.items():
        member = directory.member(member_id)
        if member is not None:
            services.directory.create_token(member, "local stack", token=token)

    api = subprocess.Popen(
        [str(Path(sys.executable).parent / "chalice"), "local", "--host", "127.0.0.1",
         "--port", env["API_PORT"], "--stage", "dev", "--no-autoreload"],
        cwd=ROOT,
        env=dict(os.environ),
    )

    import app as app_module
    from chalicelib import bootstrap as roots
    from devstack.apigw import LambdaContext
    from devstack.pump import Pump

    roots.override_services(services)
    stop = threading.Event()

    def invoke(event: dict[str, object]) -> None:
        app_module.on_event(event, LambdaContext())

    pump = Pump(
        queue_url=info["queue"],
        invoke=invoke,
        endpoint_url=os.environ["AWS_ENDPOINT_URL"],
        retry_delay=2,
        on_error=lambda exc: log.warning("worker failed (will retry): %s: %s", type(exc).__name__, exc),
    )
    pump_thread = threading.Thread(target=pump.run_forever, args=(stop,), daemon=True)
    pump_thread.start()
    threading.Thread(target=run_schedules, args=(services, stop), daemon=True).start()

    from devstack.smtp import sns_invoker, start_smtp, subscribe_tap

    tap_url = subscribe_tap(topic_arn=info["inbound_topic"], queue_name=f"support-hero-{settings.stage}-sns-tap",
                            region=settings.region, endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    sns_pump = Pump(
        queue_url=tap_url,
        invoke=sns_invoker(app_module.on_inbound_email, LambdaContext()),
        endpoint_url=os.environ["AWS_ENDPOINT_URL"],
        retry_delay=2,
        on_error=lambda exc: log.warning("email function failed (will retry): %s: %s", type(exc).__name__, exc),
    )
    threading.Thread(target=sns_pump.run_forever, args=(stop,), daemon=True).start()
    smtp = start_smtp(host="127.0.0.1", port=int(env["SMTP_PORT"]), bucket=settings.mail_bucket,
                      topic_arn=info["inbound_topic"], region=settings.region,
                      endpoint_url=os.environ["AWS_ENDPOINT_URL"])

    try:
        wait_http(f"http://127.0.0.1:{env['API_PORT']}/api/tickets", seconds=30)
    except RuntimeError:
        log.error("chalice local did not start; see its output above")

    print(
        f"""
Support Hero local stack is running.

  API (chalice local)     http://127.0.0.1:{env['API_PORT']}
  embedded AWS (moto)     {os.environ['AWS_ENDPOINT_URL']}   tables: {', '.join(info['tables'])}
  events queue            {info['queue']}
  fake Slack Web API      {os.environ['SLACK_API_URL']}{'' if fake else '  (yours: SLACK_API_URL)'}
  SMTP ingress (as SES)   127.0.0.1:{env['SMTP_PORT']}  support address {settings.support_address}
  fake GitHub API         {os.environ['GITHUB_API_URL']}{'' if fake_github else '  (yours: GITHUB_API_URL)'}  \
webhook secret {env['GITHUB_WEBHOOK_SECRET']}, watching Codertocat/Hello-World
  dev clock               POST /_local/clock {{"now": "2026-11-28T10:00:00Z"}}; \
schedules: GET /_local/schedules, POST /_local/schedules/<name>
  outbound email          the embedded SES ({os.environ['AWS_ENDPOINT_URL']}/moto-api/ lists what was sent)
  Slack signing secret    {env['SLACK_SIGNING_SECRET']}
  agent API tokens        ada: {DEV_TOKENS['ada']}   bo: {DEV_TOKENS['bo']}

Try it (in another terminal):
  .venv/bin/python -m devstack.send reaction        # Ada reacts :ticket: on the sample community message
  curl -s -H 'Authorization: Bearer {DEV_TOKENS['ada']}' http://127.0.0.1:{env['API_PORT']}/api/tickets/1
  curl -s http://127.0.0.1:{env['FAKE_SLACK_PORT']}/_fake/calls?method=chat.postMessage
  .venv/bin/python -m devstack.mail --from someone@acme.example --subject "Builds fail"   # an email ticket
  .venv/bin/python -m devstack.send github-comment  # an outsider asks on Codertocat/Hello-World#1
  .venv/bin/python -m devstack.send github-close    # the issue closes: everyone linked hears about it

Ctrl-C stops everything.""",
        flush=True,
    )

    def shutdown(*_: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    try:
        while not stop.is_set() and api.poll() is None:
            stop.wait(0.5)
    finally:
        stop.set()
        api.terminate()
        try:
            api.wait(timeout=5)
        except subprocess.TimeoutExpired:
            api.kill()
        smtp.stop()
        if fake_github is not None:
            fake_github.stop()
        if fake is not None:
            fake.stop()
        moto.stop()
    return 0 if api.returncode in (0, -signal.SIGTERM, None) else int(api.returncode or 1)


if __name__ == "__main__":
    sys.exit(main())
