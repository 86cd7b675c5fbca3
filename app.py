"""Support Hero: routes and triggers.  Each body calls one handler; nothing runs at import."""

from __future__ import annotations

import os
from collections.abc import Callable

from chalice.app import Chalice, CloudWatchEvent, Rate, SNSEvent, SQSEvent

from chalicelib import bootstrap, channels
from chalicelib.ingress import github as github_events
from chalicelib.ingress import slack as slack_events
from chalicelib.jobs.registry import JOBS, Job
from chalicelib.platform.config import events_queue_name, inbound_mail_topic_name
from chalicelib.platform.observability import lambda_middleware
from chalicelib.web import api, api_admin, api_feedback, api_people, inbox, mail_pages, survey_pages

app = Chalice(app_name="support-hero")
# Every Lambda (API, worker, email, each scheduled job): Lambda context in the logs, metrics flushed.
app.register_middleware(lambda_middleware, "all")
app.register_blueprint(slack_events.bp)
app.register_blueprint(github_events.bp)
app.register_blueprint(api.bp)
app.register_blueprint(api_admin.bp)
app.register_blueprint(api_feedback.bp)
app.register_blueprint(api_people.bp)
app.register_blueprint(survey_pages.bp)
app.register_blueprint(inbox.bp)
app.register_blueprint(mail_pages.bp)
for channel_routes in channels.blueprints():  # a channel with web pages of its own (channels/<name>/spec.py)
    app.register_blueprint(channel_routes)
if os.environ.get("SUPPORT_HERO_DEV_CLOCK"):  # `make run` only: the dev clock and schedules on demand
    from chalicelib.web import local

    app.register_blueprint(local.bp)


@app.on_sqs_message(queue=events_queue_name(), batch_size=1)
def on_event(event: SQSEvent) -> None:
    from chalicelib.worker import handle_sqs_event

    handle_sqs_event(event, bootstrap.services())


@app.on_sns_message(topic=inbound_mail_topic_name())
def on_inbound_email(event: SNSEvent) -> None:
    from chalicelib.ingress.email import handle_sns_event

    handle_sns_event(event, bootstrap.ingress())


def _schedule(job: Job) -> Callable[..., None]:
    """One scheduled Lambda per job of ``chalicelib.jobs.registry.JOBS``, at its rate (each body runs that job)."""

    def handler(event: CloudWatchEvent) -> None:
        from chalicelib.jobs import registry as jobs
        from chalicelib.platform.observability import logger

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
