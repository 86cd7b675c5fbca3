"""The agent API (``/api/...``), authenticated per agent with a bearer token.

Heavy modules (PynamoDB, slack_sdk) load on the first API request, through
:func:`chalicelib.bootstrap.services`, never when ``app.py`` is imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint, Request, Response

from chalicelib import bootstrap
from chalicelib.ingress.http import error, ok
from chalicelib.ingress.shapes import ShapeError, ascii_int, load_json
from chalicelib.platform.awslite import AwsError

if TYPE_CHECKING:
    from chalicelib.desk.directory import TeamMember
    from chalicelib.services import Services

bp = Blueprint(__name__)

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


def _cursor(params: dict[str, str]) -> str | None:
    """The opaque cursor of a previous page, checked like a body before the store decodes it."""
    import base64

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


def _run_soon() -> None:
    """Hand the outbox steps this request wrote (a reply's delivery, a new owner's DM) to the worker at
    once, one queue message each; if that fails, the ``outbox`` schedule runs them within a minute."""
    from chalicelib.ingress import messages

    services = bootstrap.services()
    for sid in services.outbox.take_fresh():
        try:
            services.queue.send(messages.encode(messages.RunStep(sid)), dedupe_key=f"run-step:{sid}",
                                group=f"outbox:{sid}"[:128])
        except AwsError:
            from chalicelib.platform.observability import logger

            logger.warning("could not hand a step to the worker; the outbox schedule will run it",
                           extra={"step_id": sid})


def _guard(fn: Any) -> Any:
    """Map domain errors (by type) to HTTP answers."""

    def wrapper(*args: Any, **kwargs: Any) -> Response:
        from chalicelib.desk.analytics import AnalyticsError
        from chalicelib.desk.tickets import Contention, InvalidInput, TicketNotFound, WorkInProgress
        from chalicelib.desk.triage import Conflict

        try:
            result: Response = fn(*args, **kwargs)
            _run_soon()
            return result
        except ApiError as exc:
            return error(exc.status, exc.message)
        except TicketNotFound as exc:
            return error(404, str(exc))
        except (InvalidInput, AnalyticsError) as exc:
            return error(400, str(exc))
        except WorkInProgress as exc:
            return error(409, str(exc))
        except Contention as exc:
            return error(503, str(exc))
        except Conflict as exc:
            return error(409, str(exc))

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


@bp.route("/api/tickets", methods=["GET"])
@_guard
def list_tickets() -> Response:
    from chalicelib.desk.tickets import ticket_summary

    request = _request()
    services = bootstrap.services()
    member = authenticate(request, services)
    params: dict[str, str] = dict(request.query_params or {})
    view = params.get("view", "unassigned")
    limit = _limit(params)
    from chalicelib.desk.tickets import FILTERS

    filters = {k: params[k] for k in FILTERS if k in params}
    unknown = set(params) - set(FILTERS) - {"view", "limit", "cursor"}
    if unknown:
        raise ApiError(400, f"unknown query parameter(s): {', '.join(sorted(unknown))}")
    page = services.tickets.list_view(view, member.id, limit, _cursor(params), filters)
    return ok({"view": view, "tickets": [ticket_summary(t) for t in page.tickets], "next_cursor": page.cursor})


@bp.route("/api/tickets/{number}", methods=["GET"])
@_guard
def get_ticket(number: str) -> Response:
    from chalicelib.desk.tickets import audit_view, message_view, number_of, ticket_summary

    services = bootstrap.services()
    authenticate(_request(), services)
    ticket = services.tickets.by_number(_number(number))
    conversation = services.tickets.conversation(ticket)
    return ok({
        **ticket_summary(ticket),
        "origin": ticket.origin,
        "messages": [message_view(m, number_of(ticket)) for m in conversation if m.role != "audit"],
        "audit": [audit_view(m) for m in conversation if m.role == "audit"],
    })


@bp.route("/api/tickets/{number}/raw-email", methods=["GET"])
@_guard
def raw_email(number: str) -> Response:
    """The raw ``.eml`` of one email message of a ticket, as it arrived (``?key=`` its message key):
    a redirect to a five-minute download link straight from the mail bucket."""
    services = bootstrap.services()
    authenticate(_request(), services)
    params: dict[str, str] = dict(_request().query_params or {})
    _only(params, {"key"})
    ticket = services.tickets.by_number(_number(number))
    return raw_email_redirect(services, ticket, params.get("key", ""))


def raw_email_redirect(services: Services, ticket: Any, key: str) -> Response:
    where = services.email_intake.raw_location(ticket, key)
    if where is None:
        raise ApiError(404, "no raw email is kept for that message of this ticket")
    url = services.aws.download_url(*where, filename=f"ticket-{int(ticket.number or 0)}.eml")
    return Response(body="", status_code=302, headers={"Location": url, "Cache-Control": "no-store"})


@bp.route("/api/tickets/{number}/replies", methods=["POST"], content_types=["application/json"])
@_guard
def post_reply(number: str) -> Response:
    from chalicelib.desk.tickets import message_view, ticket_summary

    request = _request()
    services = bootstrap.services()
    member = authenticate(request, services)
    text, internal = _reply_body(request.raw_body)
    idempotency_key = request.headers.get("idempotency-key")
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= 200:
        raise ApiError(400, "Idempotency-Key must be 1 to 200 characters")
    ticket = services.tickets.by_number(_number(number))
    message, created = services.tickets.add_reply(
        ticket, member, text, internal=internal, idempotency_key=idempotency_key
    )
    status = 201 if internal else 202
    return ok(
        {"message": message_view(message), "ticket": ticket_summary(ticket), "replayed": not created},
        status=status if created else 200,
    )


def _reply_body(raw: bytes | str | None) -> tuple[str, bool]:
    body = _json_object(raw, {"text", "internal"}, example='{"text": "...", "internal": false}')
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ApiError(400, "'text' is required and must be a non-empty string")
    internal = body.get("internal", False)
    if not isinstance(internal, bool):
        raise ApiError(400, "'internal' must be true or false")
    return text, internal


@bp.route("/api/mail/held", methods=["GET"])
@_guard
def held_mail() -> Response:
    """Inbound mail that did not become a ticket: ``kind=quarantined`` (spam/virus) or ``turned-away``."""
    request = _request()
    services = bootstrap.services()
    authenticate(request, services)
    params: dict[str, str] = dict(request.query_params or {})
    kind = params.get("kind", "quarantined")
    if kind not in ("quarantined", "turned-away"):
        raise ApiError(400, "kind must be quarantined or turned-away")
    limit = _limit(params)
    records, cursor = services.email_intake.held(kind, limit, _cursor(params))
    return ok({"kind": kind, "mail": records, "next_cursor": cursor})


@bp.route("/api/tickets/{number}/links", methods=["POST"], content_types=["application/json"])
@_guard
def link_issue(number: str) -> Response:
    """Link a ticket to a GitHub issue of a watched repository: ``{"issue": "owner/repo#12"}`` or its URL."""
    from chalicelib.desk.links import IssueRef
    from chalicelib.desk.tickets import ticket_summary

    request = _request()
    services = bootstrap.services()
    authenticate(request, services)
    body = _json_object(request.raw_body, {"issue"}, example='{"issue": "owner/repo#12"}')
    if not isinstance(body.get("issue"), str) or len(body["issue"]) > 500:
        raise ApiError(400, 'body must be {"issue": "owner/repo#12"} or {"issue": "https://github.com/.../issues/12"}')
    issue = IssueRef.parse(body["issue"])
    if issue is None:
        raise ApiError(400, "issue must look like owner/repo#12 or https://github.com/owner/repo/issues/12")
    if not services.directory.load().settings.watches(issue.repo):
        raise ApiError(400, f"{issue.repo} is not a watched repository (see [github] in the directory)")
    ticket = services.tickets.by_number(_number(number))
    created = services.links.link(ticket, issue)
    return ok({"ticket": ticket_summary(ticket), "linked": issue.key}, status=201 if created else 200)


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


@bp.route("/api/me", methods=["GET"])
@_guard
def me() -> Response:
    services = bootstrap.services()
    member = authenticate(_request(), services)
    return ok({"id": member.id, "name": member.name, "avatar_url": member.avatar_url, "email": member.email,
               "slack_user_id": member.slack_user_id, "github_login": member.github_login})


@bp.route("/api/tickets/{number}", methods=["PATCH"], content_types=["application/json"])
@_guard
def patch_ticket(number: str) -> Response:
    """Change status, priority, owner or tags. ``version`` (from GET) is required: a stale one is a 409."""
    from chalicelib.desk.tickets import ticket_summary
    from chalicelib.desk.triage import Change

    request = _request()
    services = bootstrap.services()
    member = authenticate(request, services)
    body = _json_object(request.raw_body, {"version", "status", "priority", "assignee", "tags"})
    version = body.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or not 0 <= version <= MAX_VERSION:
        raise ApiError(400, "'version' is required: the ticket's version as you last read it")
    tags = body.get("tags")
    if tags is not None and (not isinstance(tags, list) or not all(isinstance(t, str) for t in tags)):
        raise ApiError(400, "'tags' must be a list of strings")
    assignee = body["assignee"] if "assignee" in body else None
    if "assignee" in body and assignee is None:
        assignee = ""  # null unassigns
    if assignee is not None and (not isinstance(assignee, str) or len(assignee) > 200):
        raise ApiError(400, "'assignee' must be a team member id or null")
    change = Change(status=_optional_str(body, "status"), priority=_optional_str(body, "priority"),
                    assignee=assignee, tags=tuple(t.strip().lower() for t in tags) if tags is not None else None)
    ticket = services.tickets.by_number(_number(number))
    fresh = services.tickets.find(ticket.ticket_id) or ticket  # the index may lag: read the item itself
    updated, changes = services.triage.apply(fresh, member, change, services.directory.load(),
                                             expected_version=version,
                                             effects=lambda t: triage_effects(t, member, change))
    return ok({"ticket": ticket_summary(updated), "changed": changes})


@bp.route("/api/tickets/{number}/handover", methods=["POST"], content_types=["application/json"])
@_guard
def handover(number: str) -> Response:
    """Hand a ticket to another team member with a note; they are told by DM."""
    from chalicelib.desk.tickets import ticket_summary
    from chalicelib.desk.triage import Change

    request = _request()
    services = bootstrap.services()
    member = authenticate(request, services)
    body = _json_object(request.raw_body, {"to", "note"})
    to, note = _optional_str(body, "to"), (_optional_str(body, "note", max_len=4000) or "").strip()
    if not to:
        raise ApiError(400, "'to' (a team member id) is required")
    if not note:
        raise ApiError(400, "'note' is required: tell the new owner where things stand")
    ticket = services.tickets.by_number(_number(number))
    fresh = services.tickets.find(ticket.ticket_id) or ticket
    if fresh.assignee == to:
        raise ApiError(400, f"ticket #{number} is already owned by {to}")
    change = Change(assignee=to, note=note)
    updated, changes = services.triage.apply(fresh, member, change, services.directory.load(),
                                             expected_version=None,
                                             effects=lambda t: triage_effects(t, member, change))
    return ok({"ticket": ticket_summary(updated), "changed": changes})


def triage_effects(ticket: Any, member: Any, change: Any) -> Any:
    from chalicelib.channels.slack.triage import triage_effects as effects

    return effects(ticket, member, change)


@bp.route("/api/failures", methods=["GET"])
@_guard
def list_failures() -> Response:
    """Side effects that failed for good (a post, a DM, an email, a comment), newest first, with why."""
    from chalicelib.desk.outbox import failure_view

    request = _request()
    services = bootstrap.services()
    authenticate(request, services)
    params: dict[str, str] = dict(request.query_params or {})
    unknown = set(params) - {"limit", "cursor"}
    if unknown:
        raise ApiError(400, f"unknown query parameter(s): {', '.join(sorted(unknown))}")
    items, last = services.outbox.failures(_limit(params), _failure_cursor(_cursor(params)))
    return ok({"failures": [failure_view(i) for i in items], "cursor": _encode_failure_cursor(last)})


@bp.route("/api/failures/{step_id}/retry", methods=["POST"])
@_guard
def retry_failure(step_id: str) -> Response:
    """Replay one failed side effect now (with a fresh day of retries)."""
    from chalicelib.desk.outbox import failure_view

    request = _request()
    services = bootstrap.services()
    authenticate(request, services)
    import urllib.parse

    sid = urllib.parse.unquote(step_id)
    if len(sid) > 512 or not sid.isprintable():
        raise ApiError(400, "not a failure id")
    if not services.outbox.retry(sid):
        raise ApiError(404, f"no failed side effect '{sid[:80]}' (GET /api/failures lists them)")
    outcome = services.outbox.flush()
    item = services.outbox.get(sid)
    return ok({"retried": sid, "outcome": outcome[0] if outcome else None,
               "step": failure_view(item) if item is not None else None})


def _failure_cursor(raw: str | None) -> dict[str, Any] | None:
    from chalicelib.desk.tickets import InvalidInput, decode_cursor

    if not raw:
        return None
    value = decode_cursor(raw)
    shape = {"step_id": "S", "failed": "S", "failed_at": "N"}
    if set(value) != set(shape) or not all(
            isinstance(value[k], dict) and set(value[k]) == {t} and isinstance(value[k][t], str) and value[k][t]
            for k, t in shape.items()):
        raise InvalidInput("cursor is not valid")
    if value["failed"]["S"] != "FAILED" or ascii_int(value["failed_at"]["N"], low=0, high=10**12) is None:
        raise InvalidInput("cursor is not valid")
    return value


def _encode_failure_cursor(key: dict[str, Any] | None) -> str | None:
    from chalicelib.desk.tickets import encode_cursor

    return encode_cursor(key)


@bp.route("/api/rotation", methods=["GET"])
@_guard
def rotation() -> Response:
    """The Hero now and the next sprints (``sprints``, default 4), with the calendar and targets they use."""
    services = bootstrap.services()
    authenticate(_request(), services)
    params: dict[str, str] = dict(_request().query_params or {})
    _only(params, {"sprints"})
    sprints = ascii_int(params.get("sprints", "4"), low=1, high=26)
    if sprints is None:
        raise ApiError(400, "sprints must be an integer between 1 and 26")
    directory = services.directory.load()
    settings = directory.settings
    store = services.rotation
    current = store.current(settings)
    first = current.number if current else max(store.current_number(settings), 1)
    upcoming = store.schedule(settings, first, sprints) if settings.rotation_roster else []
    calendar = settings.calendar()
    now = services.clock.now()
    return ok({
        "now": now.isoformat(),
        "current": current.as_dict(directory) if current else None,
        "schedule": [s.as_dict(directory) for s in upcoming],
        "roster": list(settings.rotation_roster),
        "sprint_days": settings.sprint_days,
        "calendar": {**calendar.to_config(), "open_now": calendar.is_open(now),
                     "next_opening": calendar.next_opening(now).isoformat()},
        "response_targets_hours": {tier: {"first": first_h, "next": next_h}
                                   for tier, (first_h, next_h) in settings.response_targets.items()},
    })


def _date(value: str | None, name: str) -> Any:
    import datetime as dt

    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ApiError(400, f"'{name}' must be a date like 2026-11-30") from exc


def _analytics_period(params: dict[str, str], services: Services) -> tuple[Any, Any, str]:
    """``from``/``to`` (local dates, inclusive; default: the last 28 days) and ``group``."""
    import datetime as dt

    today = services.directory.load().settings.calendar().local_date(services.clock.now())
    last = _date(params.get("to"), "to") or today
    try:
        first = _date(params.get("from"), "from") or last - dt.timedelta(days=27)
    except OverflowError as exc:  # to=0001-01-01
        raise ApiError(400, "'to' is too early: periods lie within the last two years") from exc
    return first, last, params.get("group", "day")  # Analytics.report checks the period (400 otherwise)


def _stint(services: Services, value: str) -> Any:
    settings = services.directory.load().settings
    if not settings.rotation_roster:
        raise ApiError(400, "no Support Hero rotation is configured")
    if value == "current":
        current = services.rotation.current(settings)
        if current is None:
            raise ApiError(400, "the first sprint has not started")
        return current
    number = ascii_int(value, low=1, high=MAX_NUMBER)
    if number is None:
        raise ApiError(400, "stint must be 'current' or a sprint number from 1")
    if number > max(services.rotation.current_number(settings), 1):
        raise ApiError(400, f"stint {number} has not started")
    return services.rotation.sprint(settings, number)


def _only(params: dict[str, str], allowed: set[str]) -> None:
    unknown = set(params) - allowed
    if unknown:
        raise ApiError(400, f"unknown query parameter(s): {', '.join(sorted(unknown))}")


@bp.route("/api/analytics", methods=["GET"])
@_guard
def analytics() -> Response:
    """Volume, response and resolution times, targets and backlog for ``from``..``to`` by day or week."""
    services = bootstrap.services()
    authenticate(_request(), services)
    params: dict[str, str] = dict(_request().query_params or {})
    _only(params, {"from", "to", "group"})
    first, last, group = _analytics_period(params, services)
    return ok(services.analytics.report(services.directory.load().settings, first, last, group))


@bp.route("/api/analytics/leaderboard", methods=["GET"])
@_guard
def leaderboard() -> Response:
    """Per person over one Support Hero stint (``stint=current`` or its number)."""
    services = bootstrap.services()
    authenticate(_request(), services)
    params: dict[str, str] = dict(_request().query_params or {})
    _only(params, {"stint"})
    sprint = _stint(services, params.get("stint", "current"))
    return ok(services.analytics.leaderboard(services.directory.load(), sprint))


@bp.route("/dashboard", methods=["GET"])
def dashboard() -> Response:
    """The analytics as a page: an agent token, or a signed link from ``/ticket dashboard`` (one hour)."""
    from chalicelib.desk.analytics import AnalyticsError
    from chalicelib.platform.security import DASHBOARD_VIEW, dashboard_key, verify_dashboard_link
    from chalicelib.web.dashboard import render_dashboard

    request = _request()
    services = bootstrap.services()
    params: dict[str, str] = dict(request.query_params or {})
    page_error = _page_error
    try:
        if "sig" in params:
            member = services.directory.load().member(params.get("member", ""))
            key = dashboard_key(services.secrets.get("SLACK_SIGNING_SECRET"))
            view = {name: params[name] for name in DASHBOARD_VIEW if name in params}
            if member is None or not verify_dashboard_link(key, member.id, params.get("expires", ""),
                                                           params["sig"], services.clock.time(), view):
                return page_error(401, "This link is not valid or has expired. Ask for a new one with "
                                       "/ticket dashboard.")
        else:
            authenticate(request, services)
        _only(params, {"from", "to", "group", "member", "expires", "sig", "stint"})
        first, last, group = _analytics_period(params, services)
        directory = services.directory.load()
        report = services.analytics.report(directory.settings, first, last, group)
        board = None
        if directory.settings.rotation_roster and services.rotation.current(directory.settings) is not None:
            board = services.analytics.leaderboard(directory, _stint(services, params.get("stint", "current")))
    except ApiError as exc:
        return page_error(exc.status, exc.message)
    except AnalyticsError as exc:
        return page_error(400, str(exc))
    html = render_dashboard(report, board or {"stint": None, "hero": None, "hero_name": None, "start": None,
                                              "end": None, "rows": []},
                            team_name=directory.settings.team_name,
                            generated_at=services.clock.now().strftime("%Y-%m-%d %H:%M UTC"))
    return Response(body=html, status_code=200, headers={
        "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store",
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
        "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"})


def _page_error(status: int, message: str) -> Response:
    import html

    return Response(body=f"<!doctype html><title>Support Hero</title><p>{html.escape(message)}</p>",
                    status_code=status, headers={"Content-Type": "text/html; charset=utf-8"})


@bp.route("/api/openapi.json", methods=["GET"])
def openapi_document() -> Response:
    from chalicelib.web.openapi import document

    return ok(document())
