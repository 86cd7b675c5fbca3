"""The agent API's ticket routes (``/api/tickets...``, ``/api/me``, ``/api/openapi.json``).

Each route parses the request, calls one use case of :mod:`chalicelib.desk.usecases` and shapes
the answer; the shared parsing and the error mapping are in :mod:`chalicelib.web.common`. The
other API routes (failures, held mail, rotation, analytics, the dashboard) are in
:mod:`chalicelib.web.api_admin`.

Heavy modules (PynamoDB, slack_sdk) load on the first API request, through
:func:`chalicelib.bootstrap.services`, never when ``app.py`` is imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint, Response

from chalicelib.ingress.http import ok
from chalicelib.web.common import (
    MAX_VERSION,
    ApiError,
    _agent,
    _guard,
    _json_object,
    _number,
    _optional_str,
    _page,
    _params,
    raw_email_redirect,
)

if TYPE_CHECKING:
    from chalicelib.desk.triage import Change
    from chalicelib.desk.usecases import Triaged

bp = Blueprint(__name__)


@bp.route("/api/tickets", methods=["GET"])
@_guard
def list_tickets() -> Response:
    from chalicelib.desk.tickets import FILTERS, ticket_summary
    from chalicelib.desk.usecases import ticket_page

    request, services, member = _agent()
    params = {"view": "unassigned", **_params(request)}
    page = ticket_page(services, member, params["view"], *_page(params, {*FILTERS, "view"}),
                       {k: params[k] for k in FILTERS if k in params})
    return ok({"view": params["view"], "tickets": [ticket_summary(t) for t in page.tickets],
               "next_cursor": page.cursor})


@bp.route("/api/tickets/{number}", methods=["GET"])
@_guard
def get_ticket(number: str) -> Response:
    from chalicelib.desk.people_views import requester_view
    from chalicelib.desk.tickets import audit_view, message_view, number_of, ticket_summary
    from chalicelib.desk.usecases import ticket_with_conversation

    _, services, _member = _agent()
    ticket, conversation = ticket_with_conversation(services, _number(number))
    return ok({
        **ticket_summary(ticket),
        "person": requester_view(services.tickets.people, services.directory.load(), ticket),
        "origin": ticket.origin,
        "messages": [message_view(m, number_of(ticket)) for m in conversation if m.role != "audit"],
        "audit": [audit_view(m) for m in conversation if m.role == "audit"],
    })


@bp.route("/api/tickets/{number}/raw-email", methods=["GET"])
@_guard
def raw_email(number: str) -> Response:
    """The raw ``.eml`` of one email message of a ticket, as it arrived (``?key=`` its message key):
    a redirect to a five-minute download link straight from the mail bucket."""
    request, services, _member = _agent()
    params = _params(request, {"key"})
    return raw_email_redirect(services, _number(number), params.get("key", ""))


@bp.route("/api/tickets/{number}/replies", methods=["POST"], content_types=["application/json"])
@_guard
def post_reply(number: str) -> Response:
    from chalicelib.desk.tickets import message_view, ticket_summary
    from chalicelib.desk.usecases import reply

    request, services, member = _agent()
    text, internal = _reply_body(request.raw_body)
    idempotency_key = request.headers.get("idempotency-key")
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= 200:
        raise ApiError(400, "Idempotency-Key must be 1 to 200 characters")
    replied = reply(services, member, _number(number), text, internal=internal, idempotency_key=idempotency_key)
    status = 201 if internal else 202
    return ok(
        {"message": message_view(replied.message), "ticket": ticket_summary(replied.ticket),
         "replayed": not replied.created},
        status=status if replied.created else 200,
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


@bp.route("/api/tickets/{number}/links", methods=["POST"], content_types=["application/json"])
@_guard
def link_issue(number: str) -> Response:
    """Link a ticket to a GitHub issue of a watched repository: ``{"issue": "owner/repo#12"}`` or its URL."""
    from chalicelib.desk.tickets import ticket_summary
    from chalicelib.desk.usecases import link_issue as link

    request, services, _member = _agent()
    body = _json_object(request.raw_body, {"issue"}, example='{"issue": "owner/repo#12"}')
    if not isinstance(body.get("issue"), str) or len(body["issue"]) > 500:
        raise ApiError(400, 'body must be {"issue": "owner/repo#12"} or {"issue": "https://github.com/.../issues/12"}')
    ticket, issue, created = link(services, _number(number), body["issue"])
    return ok({"ticket": ticket_summary(ticket), "linked": issue.key}, status=201 if created else 200)


@bp.route("/api/me", methods=["GET"])
@_guard
def me() -> Response:
    _, _services, member = _agent()
    return ok({"id": member.id, "name": member.name, "avatar_url": member.avatar_url, "email": member.email,
               "slack_user_id": member.slack_user_id, "github_login": member.github_login})


@bp.route("/api/tickets/{number}", methods=["PATCH"], content_types=["application/json"])
@_guard
def patch_ticket(number: str) -> Response:
    """Change status, priority, owner or tags. ``version`` (from GET) is required: a stale one is a 409."""
    from chalicelib.desk.usecases import change_ticket

    request, services, member = _agent()
    body = _json_object(request.raw_body, {"version", "status", "priority", "assignee", "tags"})
    version = body.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or not 0 <= version <= MAX_VERSION:
        raise ApiError(400, "'version' is required: the ticket's version as you last read it")
    change = _change(body)
    return _triaged(change_ticket(services, member, _number(number), change, expected_version=version))


def _change(body: dict[str, Any]) -> Change:
    """The triage change a PATCH body asks for (``"assignee": null`` unassigns)."""
    from chalicelib.desk.triage import Change

    tags = body.get("tags")
    if tags is not None and (not isinstance(tags, list) or not all(isinstance(t, str) for t in tags)):
        raise ApiError(400, "'tags' must be a list of strings")
    assignee = body["assignee"] if "assignee" in body else None
    if "assignee" in body and assignee is None:
        assignee = ""  # null unassigns
    if assignee is not None and (not isinstance(assignee, str) or len(assignee) > 200):
        raise ApiError(400, "'assignee' must be a team member id or null")
    return Change(status=_optional_str(body, "status"), priority=_optional_str(body, "priority"),
                  assignee=assignee, tags=tuple(t.strip().lower() for t in tags) if tags is not None else None)


@bp.route("/api/tickets/{number}/handover", methods=["POST"], content_types=["application/json"])
@_guard
def handover(number: str) -> Response:
    """Hand a ticket to another team member with a note; they are told by DM."""
    from chalicelib.desk.usecases import hand_over

    request, services, member = _agent()
    body = _json_object(request.raw_body, {"to", "note"})
    to, note = _optional_str(body, "to"), (_optional_str(body, "note", max_len=4000) or "").strip()
    if not to:
        raise ApiError(400, "'to' (a team member id) is required")
    if not note:
        raise ApiError(400, "'note' is required: tell the new owner where things stand")
    return _triaged(hand_over(services, member, _number(number), to, note))


def _triaged(result: Triaged) -> Response:
    from chalicelib.desk.tickets import ticket_summary

    return ok({"ticket": ticket_summary(result.ticket), "changed": result.changes})


@bp.route("/api/openapi.json", methods=["GET"])
def openapi_document() -> Response:
    from chalicelib.web.openapi import document

    return ok(document())
