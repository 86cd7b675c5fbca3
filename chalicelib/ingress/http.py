"""Small response helpers shared by the HTTP handlers (stdlib + chalice only)."""

from __future__ import annotations

from typing import Any

from chalice.app import Response

JSON: dict[str, str | list[str]] = {"Content-Type": "application/json"}


def error(status: int, reason: str, **extra: Any) -> Response:
    return Response(body={"error": reason, **extra}, status_code=status, headers=dict(JSON))


def ok(body: Any = None, status: int = 200) -> Response:
    return Response(body=body if body is not None else {"ok": True}, status_code=status, headers=dict(JSON))
