"""Small response helpers shared by the HTTP handlers (stdlib + chalice only)."""

from __future__ import annotations

from typing import Any

from chalice.app import Response

JSON = {"Content-Type": "application/json"}


def error(status: int, message: str, **extra: Any) -> Response:
    return Response(body={"error": message, **extra}, status_code=status, headers=JSON)


def ok(body: Any = None, status: int = 200, **headers: str) -> Response:
    return Response(body=body if body is not None else {"ok": True}, status_code=status, headers={**JSON, **headers})
