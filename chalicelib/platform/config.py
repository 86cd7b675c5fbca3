"""Settings from the environment, read in one place and loaded once.

Nothing here touches the network: secrets are *named* here and fetched lazily by
:mod:`chalicelib.platform.secrets`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_GITHUB_API_URL = "https://api.github.com"


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value


def stage_name() -> str:
    return _env("SUPPORT_HERO_STAGE", "dev") or "dev"


def events_queue_name() -> str:
    """Name of the FIFO events queue.

    Chalice needs it when ``app.py`` registers the SQS trigger, so it is read at
    deploy time from the same variables the stage config sets for the Lambdas
    (``make deploy STAGE=...`` exports ``SUPPORT_HERO_STAGE``).
    """
    return _env("EVENTS_QUEUE_NAME") or f"support-hero-{stage_name()}-events.fifo"


def inbound_mail_topic_name() -> str:
    """SNS topic SES notifies for inbound mail (named in ``app.py``'s trigger, like the queue)."""
    return _env("INBOUND_MAIL_TOPIC") or f"support-hero-{stage_name()}-inbound-mail"


def endpoint_url(service: str) -> str | None:
    """An endpoint override the way boto3 reads it (service-specific first)."""
    specific = _env(f"AWS_ENDPOINT_URL_{service.upper()}")
    return specific or _env("AWS_ENDPOINT_URL")


@dataclass(frozen=True)
class Settings:
    stage: str
    region: str
    table_prefix: str
    events_queue_name: str
    events_queue_url: str | None
    slack_api_url: str
    team_name: str
    # Secrets: either the value itself (local stack) or an SSM parameter name.
    slack_signing_secret: str | None
    slack_signing_secret_param: str | None
    slack_bot_token: str | None
    slack_bot_token_param: str | None
    secrets_max_age: int
    slack_timestamp_tolerance: int
    max_body_bytes: int
    directory_cache_seconds: int
    worker_timeout_seconds: int
    support_address: str | None
    github_api_url: str
    mail_bucket: str
    inbound_mail_topic: str
    email_ack_enabled: bool

    def table_name(self, base: str) -> str:
        return f"{self.table_prefix}{base}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    stage = stage_name()
    slack_api = _env("SLACK_API_URL", DEFAULT_SLACK_API_URL) or DEFAULT_SLACK_API_URL
    if not slack_api.endswith("/"):
        slack_api += "/"
    return Settings(
        stage=stage,
        region=_env("AWS_REGION") or _env("AWS_DEFAULT_REGION") or "us-east-1",
        table_prefix=_env("TABLE_PREFIX") or f"support-hero-{stage}-",
        events_queue_name=events_queue_name(),
        events_queue_url=_env("EVENTS_QUEUE_URL"),
        slack_api_url=slack_api,
        team_name=_env("TEAM_NAME", "Support") or "Support",
        slack_signing_secret=_env("SLACK_SIGNING_SECRET"),
        slack_signing_secret_param=_env("SLACK_SIGNING_SECRET_PARAM"),
        slack_bot_token=_env("SLACK_BOT_TOKEN"),
        slack_bot_token_param=_env("SLACK_BOT_TOKEN_PARAM"),
        secrets_max_age=int(_env("SECRETS_MAX_AGE", "300") or 300),
        slack_timestamp_tolerance=int(_env("SLACK_TIMESTAMP_TOLERANCE", "300") or 300),
        max_body_bytes=int(_env("MAX_BODY_BYTES", str(200 * 1024)) or 200 * 1024),
        directory_cache_seconds=int(_env("DIRECTORY_CACHE_SECONDS", "60") or 60),
        worker_timeout_seconds=int(_env("WORKER_TIMEOUT_SECONDS", "30") or 30),
        support_address=(_env("SUPPORT_ADDRESS") or "").lower() or None,
        github_api_url=(_env("GITHUB_API_URL") or DEFAULT_GITHUB_API_URL).rstrip("/"),
        mail_bucket=_env("MAIL_BUCKET") or f"support-hero-{stage}-mail",
        inbound_mail_topic=inbound_mail_topic_name(),
        email_ack_enabled=(_env("EMAIL_ACK", "true") or "true").lower() in ("1", "true", "yes", "on"),
    )


def reset_settings() -> None:
    """Forget the loaded settings (tests change the environment between cases)."""
    get_settings.cache_clear()
