"""``GET /contact`` (the form) and ``POST /contact`` (a ticket), public: no token, no script.

Imported by ``app.py`` on every cold start: chalice and stdlib at module level only; the desk is
built on first use, inside the POST handler (:func:`chalicelib.bootstrap.services`).
"""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

bp = Blueprint(__name__)

# Chalice answers a content type not listed here itself; these reach the handler, which explains.
_ACCEPTED = ["application/x-www-form-urlencoded", "multipart/form-data", "text/plain", "application/json",
             "application/octet-stream"]


def _respond(status: int, body: str) -> Response:
    from chalicelib.platform.html_page import HEADERS

    return Response(body=body, status_code=status, headers=dict(HEADERS))


@bp.route("/contact", methods=["GET"])
def contact_form() -> Response:
    from chalicelib.channels.contact.form import new_submission_id
    from chalicelib.channels.contact.pages import form_page

    return _respond(200, form_page(new_submission_id()))


@bp.route("/contact", methods=["POST"], content_types=_ACCEPTED)
def contact_submit() -> Response:
    from chalicelib import bootstrap
    from chalicelib.channels.contact.form import FormError, new_submission_id, read_form
    from chalicelib.channels.contact.limits import RateLimited
    from chalicelib.channels.contact.pages import form_page, notice_page, thanks_page
    from chalicelib.desk.usecases import run_steps_soon
    from chalicelib.platform.config import get_settings

    request = bp.current_request
    assert request is not None
    support = get_settings().support_address
    try:
        raw = request.raw_body or b""
        form = read_form(raw.encode() if isinstance(raw, str) else raw, request.headers.get("content-type"))
        services = bootstrap.services()
        outcome = services.parts["contact"].submit(form, _client_ip(request.context))
    except FormError as exc:
        if exc.status in (413, 415):
            return _respond(exc.status, notice_page("Message not sent", exc.message, support))
        submission = exc.values.get("submission") or new_submission_id()
        return _respond(exc.status, form_page(submission, exc.values, exc.message))
    except RateLimited:
        return _respond(429, notice_page(
            "Please try again later", "Too many messages were sent from here in the last hour. "
            "Please try again in an hour.", support))
    except Exception:  # noqa: BLE001 - never a bare 500 to a customer: say what to do instead
        from chalicelib.platform.observability import logger

        logger.exception("contact form could not open a ticket")
        return _respond(503, notice_page(
            "Message not sent", "We could not take your message just now. Please try again in a few minutes.",
            support))
    run_steps_soon(services)  # the new ticket's triage post and the Hero's DM, to the worker at once
    return _respond(200, thanks_page(outcome.ticket_number, form.email))


def _client_ip(context: dict[str, Any] | None) -> str:
    """The caller's address as API Gateway saw it (never a header the caller can set)."""
    identity = (context or {}).get("identity") or {}
    ip = identity.get("sourceIp") if isinstance(identity, dict) else None
    return str(ip)[:64] if ip else "unknown"
