"""What every agent API route shares: the bearer token, query and body parsing, and ``_guard``,
which maps the use cases' domain errors to HTTP answers and hands the outbox steps a request
wrote to the worker.

The routes themselves are Chalice blueprints: :mod:`chalicelib.web.api` (tickets) and
:mod:`chalicelib.web.api_admin` (failures, held mail, rotation, analytics, the dashboard page).
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chalice.app import Request, Response

from chalicelib import bootstrap
from chalicelib.ingress.http import error
from chalicelib.ingress.shapes import ShapeError, ascii_int, load_json

if TYPE_CHECKING:
    from chalicelib.desk.directory import TeamMember
    from chalicelib.models.tickets import Ticket
    from chalicelib.services import Services

MAX_PAGE = 100
MAX_NUMBER = 10**12  # ticket numbers, sprint numbers: ASCII digits within this bound
MAX_VERSION = 2**53
MAX_BODY_BYTES = 200 * 1024


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _request() -> Request:
    """The request being answered (every blueprint of the app sees the same one)."""
    from chalicelib.web.api import bp

    request = bp.current_request
    assert request is not None
    return request


def authenticate(request: Request, services: Services) -> TeamMember:
    header = request.headers.get("authorization") or ""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "missing bearer token")
    info = services.directory.token_owner(token.strip())
    member = services.directory.load().member(info.member_id) if info else None
    if member is None:
        raise ApiError(401, "invalid token")
    return member


def _agent() -> tuple[Request, Services, TeamMember]:
    """The request, the services and the agent whose bearer token it carries (401 otherwise)."""
    request = _request()
    services = bootstrap.services()
    return request, services, authenticate(request, services)


def _params(request: Request, allowed: set[str] | None = None) -> dict[str, str]:
    """The query parameters; with ``allowed``, any other one is a 400."""
    params: dict[str, str] = dict(request.query_params or {})
    if allowed is not None:
        _only(params, allowed)
    return params


def _only(params: dict[str, str], allowed: set[str]) -> None:
    unknown = set(params) - allowed
    if unknown:
        raise ApiError(400, f"unknown query parameter(s): {', '.join(sorted(unknown))}")


def _number(value: str) -> int:
    number = ascii_int(value, low=1, high=MAX_NUMBER)
    if number is None:
        raise ApiError(400, "ticket number must be a positive integer")
    return number


def _limit(params: dict[str, str]) -> int:
    limit = ascii_int(params.get("limit", "25"), low=1, high=MAX_PAGE)
    if limit is None:
        raise ApiError(400, f"limit must be an integer between 1 and {MAX_PAGE}")
    return limit


def _page(params: dict[str, str], allowed: set[str] | None = None) -> tuple[int, str | None]:
    """``limit`` and ``cursor`` of a paged list; with ``allowed``, any parameter but those and these is a 400."""
    limit = _limit(params)
    if allowed is not None:
        _only(params, allowed | {"limit", "cursor"})
    return limit, _cursor(params)


def _cursor(params: dict[str, str]) -> str | None:
    """The opaque cursor of a previous page, checked like a body before the store decodes it."""
    cursor = params.get("cursor")
    if cursor is None:
        return None
    try:
        if len(cursor) > 2048 or not cursor.isascii():
            raise ValueError(cursor[:20])
        load_json(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)), max_depth=4)
    except ValueError as exc:  # binascii.Error and ShapeError are ValueErrors
        raise ApiError(400, "cursor is not valid") from exc
    return cursor


def _json_object(raw: bytes | str | None, allowed: set[str], example: str = "") -> dict[str, Any]:
    """The request body as a JSON object with only ``allowed`` fields, or a 400 that says why."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else (raw or b"")
    like = f" like {example}" if example else ""
    if len(data) > MAX_BODY_BYTES:
        raise ApiError(413, f"body is larger than {MAX_BODY_BYTES // 1024} KiB")
    if not data.strip():
        raise ApiError(400, f"body is empty: send a JSON object{like}")
    try:
        body = load_json(data)  # bounded nesting, valid Unicode only
    except ShapeError as exc:
        raise ApiError(400, exc.reason) from exc
    if not isinstance(body, dict):
        raise ApiError(400, f"body must be a JSON object{like}")
    unknown = set(body) - allowed
    if unknown:
        raise ApiError(400, f"unknown field(s): {', '.join(sorted(unknown))}")
    return body


def _optional_str(body: dict[str, Any], key: str, max_len: int = 200) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise ApiError(400, f"'{key}' must be a string")
    if value is not None and len(value) > max_len:
        raise ApiError(400, f"'{key}' is longer than {max_len} characters")
    return value


def raw_email_redirect(services: Services, ticket: Ticket | int, key: str) -> Response:
    """A 302 to a five-minute download of one email message's raw ``.eml`` (404 if none is kept)."""
    from chalicelib.desk.usecases import NotFound, raw_email_url

    try:
        url = raw_email_url(services, ticket, key)
    except NotFound as exc:
        raise ApiError(404, str(exc)) from exc
    return Response(body="", status_code=302, headers={"Location": url, "Cache-Control": "no-store"})


def _page_error(status: int, message: str) -> Response:
    return Response(body=f"<!doctype html><title>Support Hero</title><p>{html.escape(message)}</p>",
                    status_code=status, headers={"Content-Type": "text/html; charset=utf-8"})


def _guard(fn: Callable[..., Response]) -> Callable[..., Response]:
    """Map domain errors (by type) to HTTP answers."""

    def wrapper(*args: Any, **kwargs: Any) -> Response:
        from chalicelib.desk.analytics import AnalyticsError
        from chalicelib.desk.tickets import Contention, InvalidInput, TicketNotFound, WorkInProgress
        from chalicelib.desk.triage import Conflict
        from chalicelib.desk.usecases import NotFound, run_steps_soon

        try:
            result = fn(*args, **kwargs)
            run_steps_soon(bootstrap.services())
            return result
        except ApiError as exc:
            return error(exc.status, exc.message)
        except (TicketNotFound, NotFound) as exc:
            return error(404, str(exc))
        except (InvalidInput, AnalyticsError) as exc:
            return error(400, str(exc))
        except (WorkInProgress, Conflict) as exc:
            return error(409, str(exc))
        except Contention as exc:
            return error(503, str(exc))

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper
