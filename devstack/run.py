"""The whole system on this machine, no AWS account, no internet: ``make run``.

  embedded AWS (moto server) ... http://127.0.0.1:5050  (DynamoDB, SQS, S3, SNS, SES, SSM)
  fake Slack Web API ........... http://127.0.0.1:9001/api/  (unless SLACK_API_URL is set)
  the API (chalice local) ...... http://127.0.0.1:8000
  SMTP ingress (plays SES) ..... 127.0.0.1:2525 -> S3 + SNS notification -> the email function
  queue pump ................... SQS events queue -> the worker function, like Lambda's mapping

Every setting has a documented dev default and can be overridden by environment variable.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chalicelib.platform.clock import Clock

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
    os.environ.setdefault("PUBLIC_API_URL", f"http://127.0.0.1:{os.environ['API_PORT']}")  # emailed survey links
    # The dev clock (POST /_local/clock): one file every process of the stack reads; real time at start.
    os.environ.setdefault("SUPPORT_HERO_DEV_CLOCK", str(ROOT / ".devstack" / f"clock-{os.environ['API_PORT']}.json"))
    Path(os.environ["SUPPORT_HERO_DEV_CLOCK"]).parent.mkdir(parents=True, exist_ok=True)
    Path(os.environ["SUPPORT_HERO_DEV_CLOCK"]).unlink(missing_ok=True)
    for var in ("AWS_PROFILE", "SLACK_SIGNING_SECRET_PARAM", "SLACK_BOT_TOKEN_PARAM", "GITHUB_WEBHOOK_SECRET_PARAM",
                "GITHUB_TOKEN_PARAM"):
        os.environ.pop(var, None)
    return dict(os.environ)


def wait_http(url: str, seconds: float = 20, stop: threading.Event | None = None) -> None:
    deadline = time.monotonic() + seconds
    while stop is None or not stop.is_set():
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
    add_user("U0ACME1", "wile", real_name="Wile E. (Acme)", email="wile@acme.example")
    add_user("U0SAM1", "sam", real_name="Sam Example", email="sam@acme.example")
    add_message(SAMPLE_CHANNEL, SAMPLE_TS, "U0CUST1", "How do I rotate my API key without downtime?")


def run_schedules(services: object, stop: threading.Event, *, tick: float = 2.0,
                  clock: Clock | None = None) -> None:
    """Like EventBridge: each job at its rate (``POST /_local/schedules/<name>`` runs one at once).

    A job is due when its period has passed on the wall clock or on the dev clock
    (``POST /_local/clock``), so moving the dev clock on two hours runs every job at
    the next tick. A dev clock moved back only restarts the dev-clock count.
    """
    from chalicelib.jobs import registry as jobs
    from chalicelib.platform.clock import clock_from_environment

    dev = clock or clock_from_environment()
    # Like a rate schedule: the first run comes after one period (on either clock).
    last: dict[str, tuple[float, float]] = {}
    started = (time.monotonic(), dev.time())
    from devstack.pump import pause

    while not pause(stop, tick):
        for job in list(jobs.JOBS.values()):
            period = job.every_minutes * 60
            wall_then, dev_then = last.get(job.name, started)
            wall_now, dev_now = time.monotonic(), dev.time()
            if dev_now < dev_then:  # the dev clock went back (e.g. reset): count from now
                dev_then = dev_now
                last[job.name] = (wall_then, dev_then)
            if wall_now - wall_then < period and dev_now - dev_then < period:
                continue
            last[job.name] = (wall_now, dev_now)
            try:
                jobs.run(job.name, services)  # type: ignore[arg-type]
            except Exception as exc:  # noqa: BLE001 - a failed run is retried at the next tick, like Lambda
                log.warning("schedule %s failed (will run again): %s: %s", job.name, type(exc).__name__, exc)


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", datefmt="%H:%M:%S")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's request log
    env = configure_environment()
    sys.path.insert(0, str(ROOT))
    stop = threading.Event()
    starting = True
    children: list[subprocess.Popen[bytes]] = []

    def on_signal(signum: int, _frame: object) -> None:
        """First Ctrl-C / SIGTERM: stop (aborting a start in progress); a second one: exit at once."""
        if stop.is_set():
            for child in children:
                child.kill()
            os._exit(128 + signum)
        log.info("%s: stopping", signal.Signals(signum).name)
        stop.set()
        if starting:
            raise KeyboardInterrupt  # some libraries swallow it: every start step checks `stop` as well

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    cleanup = contextlib.ExitStack()
    api_died: int | None = None
    try:
        api = _start(env, stop, cleanup, children)
        starting = False
        from devstack.pump import pause

        while not stop.is_set() and api.poll() is None:
            pause(stop, 0.5)
        if not stop.is_set():
            api_died = api.returncode
            log.error("chalice local exited (%s): stopping the stack", api_died)
    except KeyboardInterrupt:
        log.info("interrupted while starting: stopping what was started")
    finally:
        stop.set()
        # Whatever a part does when stopping, the process ends: a watchdog exits after 15 s.
        def watchdog() -> None:  # time.sleep, not threading.Timer: a Timer never fires under faketime
            time.sleep(15)
            os._exit(1)

        threading.Thread(target=watchdog, daemon=True).start()
        cleanup.close()
    return 0 if not api_died else (api_died if api_died > 0 else 1)


def _quietly(what: str, action: Callable[[], object]) -> Callable[[], None]:
    """A cleanup step that logs its failure and lets the next steps run."""

    def run() -> None:
        try:
            action()
        except Exception as exc:  # noqa: BLE001 - stopping goes on whatever one part does
            log.warning("stopping %s failed: %s: %s", what, type(exc).__name__, exc)

    return run


def _stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def _start(env: dict[str, str], stop: threading.Event, cleanup: contextlib.ExitStack,
           children: list[subprocess.Popen[bytes]]) -> subprocess.Popen[bytes]:
    """Start every part, registering how to stop it; answers the API's process (chalice local)."""

    def check() -> None:
        if stop.is_set():
            raise KeyboardInterrupt

    from moto.server import ThreadedMotoServer

    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=int(env["MOTO_PORT"]), verbose=False)
    moto.start()
    cleanup.callback(_quietly("the embedded AWS", moto.stop))
    wait_http(f"{os.environ['AWS_ENDPOINT_URL']}/moto-api/", stop=stop)
    check()

    fake = None
    if not os.environ.get("SLACK_API_URL"):
        from devstack.fake_slack import FakeSlack

        fake = FakeSlack(bot_token=env["SLACK_BOT_TOKEN"]).start(port=int(env["FAKE_SLACK_PORT"]))
        cleanup.callback(_quietly("the fake Slack", fake.stop))
        os.environ["SLACK_API_URL"] = fake.base_url
        seed_fake_slack(fake)

    fake_github = None
    if not os.environ.get("GITHUB_API_URL"):
        from devstack.fake_github import FakeGitHub

        fake_github = FakeGitHub(token=env["GITHUB_TOKEN"]).start(port=int(env["FAKE_GITHUB_PORT"]))
        cleanup.callback(_quietly("the fake GitHub", fake_github.stop))
        os.environ["GITHUB_API_URL"] = fake_github.base_url
        fake_github.set_issue("Codertocat/Hello-World", 1, title="Spelling error in the README file")

    from chalicelib.desk.directory import parse_directory
    from chalicelib.platform.config import get_settings
    from chalicelib.platform.infra import bootstrap
    from chalicelib.services import build_services

    check()
    settings = get_settings()
    info = bootstrap(settings)
    check()
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
    check()

    api = subprocess.Popen(
        [str(Path(sys.executable).parent / "chalice"), "local", "--host", "127.0.0.1",
         "--port", env["API_PORT"], "--stage", "dev", "--no-autoreload"],
        cwd=ROOT,
        env=dict(os.environ),
    )
    children.append(api)
    cleanup.callback(_quietly("chalice local", lambda: _stop_process(api)))

    import app as app_module
    from chalicelib import bootstrap as roots
    from devstack.apigw import LambdaContext
    from devstack.pump import Pump

    roots.override_services(services)
    check()

    def invoke(event: dict[str, object]) -> None:
        app_module.on_event(event, LambdaContext())

    pump = Pump(
        queue_url=info["queue"],
        invoke=invoke,
        endpoint_url=os.environ["AWS_ENDPOINT_URL"],
        receive_max=10,  # up to 10 a receive, still one record per invoke as deployed
        retry_delay=2,
        on_error=lambda exc: log.warning("worker failed (will retry): %s: %s", type(exc).__name__, exc),
    )
    threads = [threading.Thread(target=pump.run_forever, args=(stop,), name="pump", daemon=True),
               threading.Thread(target=run_schedules, args=(services, stop), name="schedules", daemon=True)]

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
    threads.append(threading.Thread(target=sns_pump.run_forever, args=(stop,), name="sns-pump", daemon=True))
    for thread in threads:
        thread.start()
    # Stopped after the servers they call: a pump in its long poll ends within a second.
    def join_threads() -> None:
        for thread in threads:
            thread.join(timeout=3)

    cleanup.callback(_quietly("the pumps", join_threads))
    check()
    smtp = start_smtp(host="127.0.0.1", port=int(env["SMTP_PORT"]), bucket=settings.mail_bucket,
                      topic_arn=info["inbound_topic"], region=settings.region,
                      endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    cleanup.callback(_quietly("the SMTP ingress", smtp.stop))

    try:
        wait_http(f"http://127.0.0.1:{env['API_PORT']}/api/tickets", seconds=30, stop=stop)
    except RuntimeError:
        log.error("chalice local did not start; see its output above")
    check()

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

    return api


if __name__ == "__main__":
    sys.exit(main())
