"""One queue message -> one service call, from one table keyed by the message's type.

When the work needs an outside service that is down (a ``:ticket:`` reaction needs Slack to read
the message; a reply that arrived before its parent needs the thread), the message is **parked**:
recorded at once as an ``event.retry`` outbox step and retried on the outbox's schedule (backoff
from seconds to an hour, for a day, honouring ``Retry-After``) instead of burning the queue's few
receives in minutes.  The intent is kept the moment it arrives; its ticket opens as soon as the
service answers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chalicelib.desk.outbox import Attempt, PermanentFailure, Step, classify
from chalicelib.ingress import messages as m
from chalicelib.ingress import shapes
from chalicelib.platform.observability import count, logger

if TYPE_CHECKING:
    from chalicelib.services import Services

EVENT_RETRY = "event.retry"


class PoisonMessage(Exception):
    """A queue message this worker cannot understand (recorded as a failure, never retried)."""


def _tag(action: str, number: int | None) -> str:
    return action + (f" #{number}" if number else "")


def _slack_event(msg: m.SlackEvent, s: Services) -> str:
    outcome = s.slack_intake.handle(msg.payload)
    return _tag(outcome.action, outcome.ticket_number)


def _slack_command(msg: m.SlackCommand, s: Services) -> str:
    return s.slack_triage.command(msg.payload, delivery_id=msg.delivery_id or None).action


def _slack_interaction(msg: m.SlackInteraction, s: Services) -> str:
    return s.slack_triage.action(msg.payload).action


def _reply_modal(msg: m.ReplyModal, s: Services) -> str:
    return s.slack_triage.reply_modal(msg.payload).action


def _github(msg: m.GitHubWebhook, s: Services) -> str:
    gh = s.github_intake.handle(msg.event, msg.payload)
    return _tag(gh.action, gh.ticket_number)


def _email(msg: m.EmailReceived, s: Services) -> str:
    mail = s.email_intake.handle(m.encode(msg))
    return _tag(mail.action, mail.ticket_number)


def _feedback(msg: m.EmailFeedback, s: Services) -> str:
    fb = s.email_intake.feedback(m.encode(msg))
    return _tag(fb.action, fb.ticket_number)


def _run_step(msg: m.RunStep, s: Services) -> str:
    return s.outbox.run(msg.step_id)


HANDLERS: dict[type, Callable[[Any, Services], str]] = {
    m.SlackEvent: _slack_event,
    m.SlackCommand: _slack_command,
    m.SlackInteraction: _slack_interaction,
    m.ReplyModal: _reply_modal,
    m.GitHubWebhook: _github,
    m.EmailReceived: _email,
    m.EmailFeedback: _feedback,
    m.RunStep: _run_step,
}


def read(body: str) -> m.QueueMessage:
    """The message, its payload checked by the parser the ingress used (else :class:`PoisonMessage`)."""
    try:
        msg = m.decode(json.loads(body))
    except ValueError as exc:  # not JSON, or not one of our messages
        raise PoisonMessage(str(exc) if isinstance(exc, m.UnreadableMessage) else "queue message is not JSON") from exc
    try:
        if isinstance(msg, m.SlackEvent):
            shapes.parse_slack_envelope(msg.payload)
        elif isinstance(msg, m.SlackInteraction | m.ReplyModal):
            interaction = shapes.parse_slack_interaction(msg.payload)
            if isinstance(msg, m.ReplyModal):
                shapes.parse_reply_target(interaction.private_metadata)
        elif isinstance(msg, m.SlackCommand):
            shapes.parse_slash_command(msg.payload)
        elif isinstance(msg, m.GitHubWebhook):
            shapes.parse_github_delivery(msg.event, msg.payload)
    except shapes.ShapeError as exc:
        source, kind = m.encode(msg)["source"], m.encode(msg)["kind"]
        raise PoisonMessage(f"{source}/{kind} payload: {exc.reason}") from exc
    return msg


def process_message(body: str, services: Services) -> str:
    """Run one queue message; its side effects are written as outbox steps and run right after."""
    msg = read(body)
    try:
        return HANDLERS[type(msg)](msg, services)
    finally:
        services.outbox.flush()


def park(body: str, exc: BaseException, services: Services) -> str:
    """Keep a message whose work needs an outside service that failed: an outbox step retries it."""
    verdict = classify(exc)
    digest = hashlib.sha256(body.encode()).hexdigest()[:40]
    try:
        source = json.loads(body)
        what = f"{source.get('source')}/{source.get('kind')}"
    except (ValueError, AttributeError):
        what = "message"
    step = Step(f"{EVENT_RETRY}:{digest}", EVENT_RETRY, {"body": body},
                summary=f"process a {what} (waiting for {verdict.reason})")
    services.outbox.add(step, delay=max(5.0, verdict.retry_after or 0.0))
    count("EventsParked")
    logger.info("event parked until the outside service answers", extra={"reason": verdict.reason[:200]})
    return f"parked: {verdict.reason}"


def record_failure(body: str, reason: str, services: Services) -> str:
    """A message that can never succeed (unreadable, or failed every receive): listed, replayable."""
    digest = hashlib.sha256(body.encode()).hexdigest()[:40]
    step = Step(f"{EVENT_RETRY}:{digest}", EVENT_RETRY, {"body": body, "failed": reason[:500]},
                summary=f"a queue message that failed: {reason[:150]}")
    services.outbox.add(step)  # run at once: a message that fails again is then listed as failed
    return f"recorded: {reason[:200]}"


def rerun_event(attempt: Attempt, services: Services) -> str:
    """The ``event.retry`` step: the parked message again (its own writes are idempotent)."""
    body = str(attempt.payload["body"])
    try:
        msg = read(body)
    except PoisonMessage as exc:
        raise PermanentFailure(str(exc)) from exc
    return HANDLERS[type(msg)](msg, services)
