"""Structured logs and metrics (Powertools).

Log keys carry ids only: ticket number, source, delivery id.  Never message
bodies, email addresses or secrets.

``lambda_middleware`` (registered once in ``app.py`` for every event type) wraps
each invocation of every Lambda: the API, the worker, the email function and the
scheduled jobs.  It adds the Lambda context to the log keys and flushes the
invocation's metrics as one EMF record on stdout, also when the handler raises.
It costs nothing at import: this module is already on the Slack ack path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.logging import Logger
from aws_lambda_powertools.metrics import Metrics, MetricUnit

SERVICE = "support-hero"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace="SupportHero", service=SERVICE)
_CONTEXT_FIELDS = ("function_name", "memory_limit_in_mb", "invoked_function_arn", "aws_request_id")

__all__ = ["MetricUnit", "count", "flush", "lambda_middleware", "logger", "metrics"]


def count(name: str, value: int = 1) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


def flush() -> None:
    """Publish the metrics counted so far as one EMF record; nothing at all when none were counted.

    With ``POWERTOOLS_METRICS_DISABLED`` (the local stack, the benchmark) nothing is printed and the
    counts are dropped (Powertools keeps a disabled set, which would grow in a warm process).  A
    failure is logged, never raised: losing a count must not fail a request or re-run a queue message.
    """
    if not metrics.metric_set:
        return  # no empty EMF blob, and no Powertools "No application metrics to publish" warning
    try:
        metrics.flush_metrics()
    except Exception:
        logger.exception("metrics flush failed; this invocation's counts are lost")
    finally:
        metrics.clear_metrics()


_cold_start = True


def lambda_middleware(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """Chalice middleware for every event type: the Lambda context in the log keys, metrics flushed after.

    Chalice hands HTTP middleware a ``Request`` (its Lambda context is ``lambda_context``; its ``context``
    is API Gateway's request context) and every other middleware an event object with ``context``.
    Keys a previous (warm) invocation of the worker or a job appended are cleared.  The event itself is
    never logged.  The keys are set directly (what Powertools' ``inject_lambda_context`` sets, at 2 µs
    instead of 13 µs a request: the Slack ack path is timed against slack-bolt).
    """
    global _cold_start
    http = hasattr(event, "lambda_context")
    context: Any = event.lambda_context if http else getattr(event, "context", None)
    try:
        if all(hasattr(context, a) for a in _CONTEXT_FIELDS):
            if not http:  # the worker and jobs append their own keys; an HTTP route appends none
                logger.clear_state()
            logger.append_keys(function_name=context.function_name,
                               function_memory_size=context.memory_limit_in_mb,
                               function_arn=context.invoked_function_arn,
                               function_request_id=context.aws_request_id, cold_start=_cold_start)
            _cold_start = False
        return get_response(event)
    finally:
        flush()
