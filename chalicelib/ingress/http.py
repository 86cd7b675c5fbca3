"""Small response helpers shared by the HTTP handlers (stdlib + chalice only)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice.app import Request, Response

if TYPE_CHECKING:
    from chalicelib.bootstrap import Ingress

JSON: dict[str, str | list[str]] = {"Content-Type": "application/json"}


def error(status: int, reason: str, **extra: Any) -> Response:
    return Response(body={"error": reason, **extra}, status_code=status, headers=dict(JSON))


def ok(body: Any = None, status: int = 200) -> Response:
    return Response(body=body if body is not None else {"ok": True}, status_code=status, headers=dict(JSON))


def body_and_secret(request: Request, ingress: Ingress, secret_name: str) -> tuple[bytes, str] | Response:
    """A webhook's raw body (within the size limit) and the secret that signs it, or the error to answer:
    413 for a body too large, 503 when the secret cannot be read (the sender retries)."""
    from chalicelib.platform.awslite import AwsError
    from chalicelib.platform.observability import logger
    from chalicelib.platform.secrets import SecretMissing

    raw = request.raw_body or b""
    body = raw.encode("utf-8") if isinstance(raw, str) else raw
    if len(body) > ingress.settings.max_body_bytes:
        return error(413, "request body too large")
    try:
        return body, ingress.secrets.get(secret_name)
    except (SecretMissing, AwsError):
        logger.exception("signing secret unavailable", extra={"secret": secret_name})
        return error(503, "signing secret unavailable")
