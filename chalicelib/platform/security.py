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
    # ASCII digits only, and short: int() would take "²" or " 12" and overflow on 4,000 digits.
    if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 12:
        raise SignatureError("malformed X-Slack-Request-Timestamp")
    sent_at = int(timestamp)
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


# What a dashboard link grants: one view of the dashboard (exactly these query parameters, as signed),
# to one member, until it expires. Another period or stint needs another link (or an agent token).
DASHBOARD_VIEW = ("from", "to", "group", "stint")


def _dashboard_message(member_id: str, expires: int, view: dict[str, str]) -> bytes:
    fields = [f"{name}={view.get(name, '')}" for name in DASHBOARD_VIEW]
    return "\n".join(["dashboard-view/v2", member_id, str(expires), *fields]).encode("utf-8", "surrogatepass")


def sign_dashboard_link(key: bytes, member_id: str, expires: int, view: dict[str, str]) -> str:
    """The signature over member, expiry and the view (``from``, ``to``, ``group``, ``stint``)."""
    return hmac.new(key, _dashboard_message(member_id, expires, view), hashlib.sha256).hexdigest()


def verify_dashboard_link(key: bytes, member_id: str, expires: str, signature: str, now: float,
                          view: dict[str, str]) -> bool:
    """True for a link we signed for ``member_id`` and exactly this view, that has not expired."""
    if not (expires.isascii() and expires.isdigit()) or len(expires) > 12:  # never int() on "²" or 5,000 nines
        return False
    if not signature.isascii():  # compare_digest refuses non-ASCII str
        return False
    if int(expires) < now or int(expires) > now + DASHBOARD_LINK_SECONDS + 60:
        return False
    return hmac.compare_digest(sign_dashboard_link(key, member_id, int(expires), view), signature)
