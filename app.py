"""Support Hero: routes and triggers.  Each body calls one handler; nothing runs at import."""

from __future__ import annotations

import os

from chalice.app import Chalice, CloudWatchEvent, Rate, SNSEvent, SQSEvent

from chalicelib import bootstrap
from chalicelib.config import events_queue_name, inbound_mail_topic_name
from chalicelib.handlers import api, github_events, slack_events

app = Chalice(app_name="support-hero")
app.register_blueprint(slack_events.bp)
app.register_blueprint(github_events.bp)
app.register_blueprint(api.bp)
if os.environ.get("SUPPORT_HERO_DEV_CLOCK"):  # `make run` only: the dev clock and schedules on demand
    from chalicelib.handlers import local

    app.register_blueprint(local.bp)


@app.on_sqs_message(queue=events_queue_name(), batch_size=1)
def on_event(event: SQSEvent) -> None:
    from chalicelib.handlers.worker import handle_sqs_event

    handle_sqs_event(event, bootstrap.services())


@app.on_sns_message(topic=inbound_mail_topic_name())
def on_inbound_email(event: SNSEvent) -> None:
    from chalicelib.handlers.email_events import handle_sns_event

    handle_sns_event(event, bootstrap.ingress())


def _run_job(name: str) -> None:
    from chalicelib import jobs
    from chalicelib.observability import logger

    logger.info("scheduled job finished", extra=jobs.run(name, bootstrap.services()))


@app.schedule(Rate(1, unit=Rate.HOURS), name="rotation")
def rotation(event: CloudWatchEvent) -> None:
    """Daily work, looked at hourly: the sprint boundary falls at the team's midnight, in any zone."""
    _run_job("rotation")


@app.schedule(Rate(5, unit=Rate.MINUTES), name="targets")
def targets(event: CloudWatchEvent) -> None:
    """Response-target warnings at 75 % and at the breach."""
    _run_job("targets")


@app.schedule(Rate(15, unit=Rate.MINUTES), name="opening_digest")
def opening_digest(event: CloudWatchEvent) -> None:
    """The first business morning after a weekend or holiday."""
    _run_job("opening_digest")


@app.schedule(Rate(15, unit=Rate.MINUTES), name="community")
def community(event: CloudWatchEvent) -> None:
    """Community questions nobody from the team answered."""
    _run_job("community")


@app.schedule(Rate(1, unit=Rate.HOURS), name="weekly_digest")
def weekly_digest(event: CloudWatchEvent) -> None:
    """Last week's figures, once, from the team's first opening of the week."""
    _run_job("weekly_digest")


@app.schedule(Rate(15, unit=Rate.MINUTES), name="metrics_rollup")
def metrics_rollup(event: CloudWatchEvent) -> None:
    """Each day's analytics as one summary item, so a period reads O(days) small items."""
    _run_job("metrics_rollup")


@app.schedule(Rate(1, unit=Rate.DAYS), name="reconcile_github")
def reconcile_github(event: CloudWatchEvent) -> None:
    """Nightly: linked issues closed while a webhook was lost still reach their requesters."""
    _run_job("reconcile_github")
