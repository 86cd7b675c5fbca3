"""Support Hero: routes and triggers.  Each body calls one handler; nothing runs at import."""

from __future__ import annotations

import os
from collections.abc import Callable

from chalice.app import Chalice, CloudWatchEvent, Rate, SNSEvent, SQSEvent

from chalicelib import bootstrap
from chalicelib.config import events_queue_name, inbound_mail_topic_name
from chalicelib.handlers import api, github_events, mail_pages, slack_events
from chalicelib.jobs import JOBS, Job
from chalicelib.observability import lambda_middleware

app = Chalice(app_name="support-hero")
# Every Lambda (API, worker, email, each scheduled job): Lambda context in the logs, metrics flushed.
app.register_middleware(lambda_middleware, "all")
app.register_blueprint(slack_events.bp)
app.register_blueprint(github_events.bp)
app.register_blueprint(api.bp)
app.register_blueprint(mail_pages.bp)
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


def _schedule(job: Job) -> Callable[..., None]:
    """One scheduled Lambda per job of ``chalicelib.jobs.JOBS``, at its rate (each body runs that job)."""

    def handler(event: CloudWatchEvent) -> None:
        from chalicelib import jobs
        from chalicelib.observability import logger

        logger.info("scheduled job finished", extra=jobs.run(job.name, bootstrap.services()))

    handler.__name__ = handler.__qualname__ = job.name
    handler.__doc__ = job.description
    minutes = job.every_minutes
    rate = (Rate(minutes // 1440, unit=Rate.DAYS) if minutes % 1440 == 0
            else Rate(minutes // 60, unit=Rate.HOURS) if minutes % 60 == 0 else Rate(minutes, unit=Rate.MINUTES))
    registered: Callable[..., None] = app.schedule(rate, name=job.name)(handler)
    return registered  # Chalice's wrapper: what Lambda calls as app.<job name>


# rotation, targets, opening_digest, community, weekly_digest, metrics_rollup, reconcile_github
for _job in JOBS.values():
    globals()[_job.name] = _schedule(_job)
