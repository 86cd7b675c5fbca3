"""Structured logs and metrics (Powertools).

Log keys carry ids only: ticket number, source, delivery id.  Never message
bodies, email addresses or secrets.
"""

from __future__ import annotations

from aws_lambda_powertools.logging import Logger
from aws_lambda_powertools.metrics import Metrics, MetricUnit

SERVICE = "support-hero"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace="SupportHero", service=SERVICE)

__all__ = ["MetricUnit", "count", "logger", "metrics"]


def count(name: str, value: int = 1) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
