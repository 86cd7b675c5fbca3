"""Support Hero: routes and triggers.  Each body calls one handler; nothing runs at import."""

from __future__ import annotations

from chalice.app import Chalice, CloudWatchEvent, Rate, SNSEvent, SQSEvent

from chalicelib import bootstrap
from chalicelib.config import events_queue_name, inbound_mail_topic_name
from chalicelib.handlers import api, github_events, slack_events

app = Chalice(app_name="support-hero")
app.register_blueprint(slack_events.bp)
app.register_blueprint(github_events.bp)
app.register_blueprint(api.bp)


@app.on_sqs_message(queue=events_queue_name(), batch_size=1)
def on_event(event: SQSEvent) -> None:
    from chalicelib.handlers.worker import handle_sqs_event

    handle_sqs_event(event, bootstrap.services())


@app.on_sns_message(topic=inbound_mail_topic_name())
def on_inbound_email(event: SNSEvent) -> None:
    from chalicelib.handlers.email_events import handle_sns_event

    handle_sns_event(event, bootstrap.ingress())


@app.schedule(Rate(1, unit=Rate.DAYS), name="reconcile_github")
def reconcile_github(event: CloudWatchEvent) -> None:
    """Nightly: linked issues closed while a webhook was lost still reach their requesters."""
    from chalicelib.observability import logger

    done = bootstrap.services().github_intake.reconcile()
    logger.info("github reconciler finished", extra={"caught_up": len(done)})
