"""How a failed side effect is retried (or not): verdicts, the classifier registry, backoff.

The desk knows its own failures (:class:`PermanentFailure`, :class:`TransientFailure`,
:class:`~chalicelib.platform.retry.RetryLater`), AWS errors (SES) and network errors.  A channel's
client errors (Slack, GitHub) are judged by rules the channel registers at start-up
(``chalicelib.channels.slack.errors.register()``, ``chalicelib.channels.github.errors.register()``,
called by :func:`chalicelib.services.build_services`): the desk never imports a channel.

* :data:`CLASSIFIERS` / :func:`register_classifier`: ``fn(exc) -> Verdict | None``, asked in
  registration order after the desk's own failures; the first verdict wins.
* :data:`EXTERNAL_CHECKS` / :func:`register_external`: ``fn(exc) -> bool``, true when ``exc`` is an
  outside service failing (as opposed to a bug or bad input).
"""

from __future__ import annotations

import http.client
import random
import urllib.error
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

FIRST_DELAY = 5.0  # seconds: the first retry
MAX_DELAY = 3600.0  # a retry at least every hour once backed off
MAX_ERROR = 500


class StepFailed(Exception):
    """Raised by a step handler to say how it failed."""


class PermanentFailure(StepFailed):
    """Retrying cannot help (``channel_not_found``, ``not_in_channel``, an invalid address)."""

    def __init__(self, reason: str, hint: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.hint = hint


class TransientFailure(StepFailed):
    """Try again later: after ``retry_after`` seconds when the peer said so."""

    def __init__(self, reason: str, *, retry_after: float | None = None, maybe_sent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after
        self.maybe_sent = maybe_sent


@dataclass(frozen=True)
class Verdict:
    permanent: bool
    reason: str
    retry_after: float | None = None
    maybe_sent: bool = False
    hint: str = ""


Classifier = Callable[[BaseException], "Verdict | None"]
ExternalCheck = Callable[[BaseException], bool]

CLASSIFIERS: list[Classifier] = []
EXTERNAL_CHECKS: list[ExternalCheck] = []


def register_classifier(fn: Classifier) -> None:
    """Add a channel's rules to :func:`classify` (once: registering the same function again is a no-op)."""
    if fn not in CLASSIFIERS:
        CLASSIFIERS.append(fn)


def register_external(fn: ExternalCheck) -> None:
    """Add a channel's "this is an outside service failing" test to :func:`is_external` (once)."""
    if fn not in EXTERNAL_CHECKS:
        EXTERNAL_CHECKS.append(fn)


SES_TRANSIENT = frozenset({"Throttling", "ThrottlingException", "ServiceUnavailable", "InternalFailure",
                           "RequestTimeout", "LimitExceededException", "TooManyRequestsException"})
SES_PERMANENT = frozenset({"MessageRejected", "MailFromDomainNotVerifiedException", "InvalidParameterValue",
                           "ConfigurationSetDoesNotExist", "AccountSendingPausedException"})


def retry_after(headers: Any) -> float | None:
    """A response's ``Retry-After`` in seconds, or None."""
    try:
        value = (headers or {}).get("Retry-After") or (headers or {}).get("retry-after")
    except AttributeError:
        return None
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def classify(exc: BaseException) -> Verdict:
    """How a failed call to an outside service should be retried (or not)."""
    from chalicelib.platform.retry import RetryLater

    if isinstance(exc, PermanentFailure):
        return Verdict(True, exc.reason, hint=exc.hint)
    if isinstance(exc, TransientFailure):
        return Verdict(False, exc.reason, exc.retry_after, exc.maybe_sent)
    if isinstance(exc, RetryLater):
        return Verdict(False, str(exc), float(exc.delay))
    for classifier in CLASSIFIERS:
        verdict = classifier(exc)
        if verdict is not None:
            return verdict
    code = _client_error_code(exc)
    if code is not None:
        if code in SES_PERMANENT:
            return Verdict(True, f"SES: {code}", hint="check the recipient address and the SES identity")
        return Verdict(False, f"AWS: {code}")
    # A network error, a timeout or anything else: the request may have left.
    return Verdict(False, f"{type(exc).__name__}: {exc}"[:MAX_ERROR], maybe_sent=True)


def _client_error_code(exc: BaseException) -> str | None:
    """An AWS error's code (boto3's modeled exceptions like ``MessageRejected`` are ClientErrors too)."""
    from botocore.exceptions import ClientError

    if not isinstance(exc, ClientError):
        return None
    code = (exc.response.get("Error") or {}).get("Code")
    return str(code) if code else None


def is_external(exc: BaseException) -> bool:
    """An outside service (Slack, GitHub, SES) failed or asked us to wait, as opposed to a bug or bad input."""
    from chalicelib.platform.retry import RetryLater

    return isinstance(exc, (RetryLater, StepFailed, urllib.error.URLError, TimeoutError,
                            ConnectionError, http.client.HTTPException)) or (
        _client_error_code(exc) in SES_PERMANENT | SES_TRANSIENT) or any(check(exc) for check in EXTERNAL_CHECKS)


def backoff(attempt: int, step_id: str) -> float:
    """Seconds before try ``attempt + 1``: 5 s doubling to an hour, with equal jitter (deterministic
    per step and attempt, so a test can predict it and two steps do not retry in lockstep)."""
    ceiling = min(MAX_DELAY, FIRST_DELAY * 2.0 ** max(0, attempt - 1))
    jitter: float = random.Random(f"{step_id}:{attempt}").random()
    return ceiling / 2 + ceiling / 2 * jitter
