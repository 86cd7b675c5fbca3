"""Request authenticity checks, done on the raw bytes before anything is parsed."""

from __future__ import annotations

import hashlib
import hmac


class SignatureError(Exception):
    """The request is not provably from the sender it claims (answer 401)."""


def verify_slack_signature(
    *,
    signing_secret: str,
    body: bytes,
    timestamp: str | None,
    signature: str | None,
    now: float,
    tolerance: int = 300,
) -> None:
    """Check Slack's ``v0`` request signature; raise :class:`SignatureError` if it fails.

    https://api.slack.com/authentication/verifying-requests-from-slack
    """
    if not timestamp:
        raise SignatureError("missing X-Slack-Request-Timestamp")
    if not signature:
        raise SignatureError("missing X-Slack-Signature")
    try:
        sent_at = int(timestamp)
    except ValueError as exc:
        raise SignatureError("malformed X-Slack-Request-Timestamp") from exc
    if abs(now - sent_at) > tolerance:
        raise SignatureError("X-Slack-Request-Timestamp outside the replay window")
    if not signature.startswith("v0=") or len(signature) != 67:
        raise SignatureError("malformed X-Slack-Signature")
    basestring = b"v0:" + timestamp.encode("ascii") + b":" + body
    expected = "v0=" + hmac.new(signing_secret.encode("utf-8"), basestring, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode("ascii"), signature.encode("ascii", "replace")):
        raise SignatureError("X-Slack-Signature does not match")


def verify_github_signature(*, secret: str, body: bytes, signature_256: str | None) -> None:
    """Check GitHub's ``X-Hub-Signature-256`` (the SHA-1 ``X-Hub-Signature`` alone is not accepted).

    https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
    """
    if not signature_256:
        raise SignatureError("missing X-Hub-Signature-256")
    if not signature_256.startswith("sha256=") or len(signature_256) != 71:
        raise SignatureError("malformed X-Hub-Signature-256")
    expected = github_signature(secret, body)
    if not hmac.compare_digest(expected.encode("ascii"), signature_256.encode("ascii", "replace")):
        raise SignatureError("X-Hub-Signature-256 does not match")


def github_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def slack_signature(signing_secret: str, timestamp: str, body: bytes) -> str:
    """The signature Slack would send (for tests, the local stack and benchmarks)."""
    basestring = b"v0:" + timestamp.encode("ascii") + b":" + body
    return "v0=" + hmac.new(signing_secret.encode("utf-8"), basestring, hashlib.sha256).hexdigest()


def hash_token(token: str) -> str:
    """How an agent API token is stored: SHA-256 of a 256-bit random secret.

    A slow password hash buys nothing for random high-entropy tokens (GitHub and
    Stripe store API tokens the same way) and would cost every API request.
    """
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# -- signed dashboard links ---------------------------------------------------------------------
DASHBOARD_LINK_SECONDS = 3600


def dashboard_key(signing_secret: str) -> bytes:
    """A key of its own for dashboard links, derived from the Slack signing secret we already hold
    (HMAC with a fixed label: knowing a link's signature reveals nothing about the secret)."""
    return hmac.new(signing_secret.encode(), b"support-hero/dashboard-link/v1", hashlib.sha256).digest()


def sign_dashboard_link(key: bytes, member_id: str, expires: int) -> str:
    return hmac.new(key, f"{member_id}\n{expires}".encode(), hashlib.sha256).hexdigest()


def verify_dashboard_link(key: bytes, member_id: str, expires: str, signature: str, now: float) -> bool:
    """True for a link we signed for ``member_id`` that has not expired."""
    if not expires.isdigit() or int(expires) < now or int(expires) > now + DASHBOARD_LINK_SECONDS + 60:
        return False
    return hmac.compare_digest(sign_dashboard_link(key, member_id, int(expires)), signature)
