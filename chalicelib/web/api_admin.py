"""The agent API's desk-wide routes: failed side effects, held mail, the rotation, analytics and
the dashboard page (``/dashboard``, which also opens with a signed link from ``/ticket dashboard``).

Like :mod:`chalicelib.web.api`: each route parses the request, calls one use case of
:mod:`chalicelib.desk.usecases` and shapes the answer.
"""

from __future__ import annotations

import urllib.parse
from typing import TYPE_CHECKING

from chalice.app import Blueprint, Request, Response

from chalicelib import bootstrap
from chalicelib.ingress.http import ok
from chalicelib.ingress.shapes import ascii_int
from chalicelib.web.common import ApiError, _agent, _guard, _only, _page, _page_error, _params, authenticate

if TYPE_CHECKING:
    from chalicelib.services import Services

bp = Blueprint(__name__)

_PAGE_HEADERS: dict[str, str | list[str]] = {
    "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
    "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


@bp.route("/api/failures", methods=["GET"])
@_guard
def list_failures() -> Response:
    """Side effects that failed for good (a post, a DM, an email, a comment), newest first, with why."""
    from chalicelib.desk.outbox import failure_view
    from chalicelib.desk.usecases import failures

    request, services, _member = _agent()
    items, cursor = failures(services, *_page(_params(request, {"limit", "cursor"})))
    return ok({"failures": [failure_view(i) for i in items], "cursor": cursor})


@bp.route("/api/failures/{step_id}/retry", methods=["POST"])
@_guard
def retry_failure(step_id: str) -> Response:
    """Replay one failed side effect now (with a fresh day of retries)."""
    from chalicelib.desk.outbox import failure_view
    from chalicelib.desk.usecases import retry_failure as retry

    _, services, _member = _agent()
    sid = urllib.parse.unquote(step_id)
    if len(sid) > 512 or not sid.isprintable():
        raise ApiError(400, "not a failure id")
    retried = retry(services, sid)
    return ok({"retried": sid, "outcome": retried.outcome,
               "step": failure_view(retried.step) if retried.step is not None else None})


@bp.route("/api/mail/held", methods=["GET"])
@_guard
def held_mail() -> Response:
    """Inbound mail that did not become a ticket: ``kind=quarantined`` (spam/virus) or ``turned-away``."""
    request, services, _member = _agent()
    params = _params(request)
    kind = params.get("kind", "quarantined")
    if kind not in ("quarantined", "turned-away"):
        raise ApiError(400, "kind must be quarantined or turned-away")
    records, cursor = services.email_intake.held(kind, *_page(params))
    return ok({"kind": kind, "mail": records, "next_cursor": cursor})


@bp.route("/api/rotation", methods=["GET"])
@_guard
def rotation() -> Response:
    """The Hero now and the next sprints (``sprints``, default 4), with the calendar and targets they use."""
    from chalicelib.desk.usecases import rotation as overview

    request, services, _member = _agent()
    params = _params(request, {"sprints"})
    sprints = ascii_int(params.get("sprints", "4"), low=1, high=26)
    if sprints is None:
        raise ApiError(400, "sprints must be an integer between 1 and 26")
    return ok(overview(services, sprints))


@bp.route("/api/analytics", methods=["GET"])
@_guard
def analytics() -> Response:
    """Volume, response and resolution times, targets and backlog for ``from``..``to`` by day or week."""
    from chalicelib.desk.usecases import analytics as report

    request, services, _member = _agent()
    params = _params(request, {"from", "to", "group"})
    return ok(report(services, params.get("from"), params.get("to"), params.get("group", "day")))


@bp.route("/api/analytics/leaderboard", methods=["GET"])
@_guard
def leaderboard() -> Response:
    """Per person over one Support Hero stint (``stint=current`` or its number)."""
    from chalicelib.desk.usecases import leaderboard as board

    request, services, _member = _agent()
    params = _params(request, {"stint"})
    return ok(board(services, params.get("stint", "current")))


@bp.route("/dashboard", methods=["GET"])
def dashboard() -> Response:
    """The analytics as a page: an agent token, or a signed link from ``/ticket dashboard`` (one hour)."""
    from chalicelib.desk.analytics import AnalyticsError
    from chalicelib.desk.tickets import InvalidInput
    from chalicelib.desk.usecases import dashboard as data
    from chalicelib.web.dashboard import render_dashboard

    request = bp.current_request
    services = bootstrap.services()
    params = _params(request)
    try:
        if not _may_see_dashboard(request, services, params):
            return _page_error(401, "This link is not valid or has expired. Ask for a new one with "
                                    "/ticket dashboard.")
        _only(params, {"from", "to", "group", "member", "expires", "sig", "stint"})
        page = data(services, params.get("from"), params.get("to"), params.get("group", "day"),
                    params.get("stint", "current"))
    except ApiError as exc:
        return _page_error(exc.status, exc.message)
    except (AnalyticsError, InvalidInput) as exc:
        return _page_error(400, str(exc))
    html = render_dashboard(page.report, page.leaderboard, team_name=page.team_name,
                            generated_at=page.generated_at.strftime("%Y-%m-%d %H:%M UTC"), feedback=page.feedback)
    return Response(body=html, status_code=200, headers=dict(_PAGE_HEADERS))


def _may_see_dashboard(request: Request, services: Services, params: dict[str, str]) -> bool:
    """A signed link must be valid for its member and view; without one, the bearer token (401 otherwise)."""
    from chalicelib.platform.security import DASHBOARD_VIEW, dashboard_key, verify_dashboard_link

    if "sig" not in params:
        authenticate(request, services)
        return True
    member = services.directory.load().member(params.get("member", ""))
    key = dashboard_key(services.secrets.get("SLACK_SIGNING_SECRET"))
    view = {name: params[name] for name in DASHBOARD_VIEW if name in params}
    return member is not None and verify_dashboard_link(key, member.id, params.get("expires", ""),
                                                        params["sig"], services.clock.time(), view)
