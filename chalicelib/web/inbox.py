"""The desk in a browser: ``/inbox`` (views), ``/inbox/tickets/{n}`` (a ticket), sign-in and its forms.

* **Who.** A session cookie (from the one-time link ``/ticket inbox`` sends) or an agent token in
  ``Authorization``; anything else is a 401 page.  Every POST carries the session's CSRF token (403
  without it) and is a form, answered with a redirect (303) so a reload never posts twice.
* **What.** Each view is a Query, as in the API (:meth:`TicketService.list_view`); the forms call the
  same use cases as the API (:mod:`chalicelib.desk.usecases`), with its optimistic locking: a stale
  triage form gets a 409 page that says who changed what and shows the ticket as it is now.
* **How it looks.** Server-rendered (:mod:`chalicelib.web.inbox_pages`), a strict CSP, one small script
  (keyboard shortcuts) that the pages do without.
"""

from __future__ import annotations

import os
import urllib.parse
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint, Request, Response

from chalicelib import bootstrap
from chalicelib.platform.html_page import FormTooLarge, read_form
from chalicelib.web.inbox_assets import CSS, JS

if TYPE_CHECKING:
    from chalicelib.desk.directory import TeamMember
    from chalicelib.desk.sessions import Session
    from chalicelib.services import Services

bp = Blueprint(__name__)
COOKIE = "sh_inbox"
MAX_FORM = 64 * 1024
PAGE_SIZE = 25
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
HEADERS = {"Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": CSP, "Cache-Control": "no-store",
           "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin"}


class PageError(Exception):
    def __init__(self, status: int, title: str, text: str) -> None:
        super().__init__(text)
        self.status, self.title, self.text = status, title, text


def _root() -> str:
    """The path the API is served under: ``/<stage>`` behind API Gateway's default URL, nothing locally."""
    request = bp.current_request
    if request is None or os.environ.get("PUBLIC_API_URL"):
        return urllib.parse.urlsplit(os.environ.get("PUBLIC_API_URL", "")).path.rstrip("/")
    host = (request.headers.get("host") or "").split(":")[0]
    stage = (request.context or {}).get("stage")
    return "" if not stage or host in ("localhost", "127.0.0.1") else f"/{stage}"


def _html(body: str, status: int = 200, extra: dict[str, str] | None = None) -> Response:
    # The pages name their own paths from the root ("/inbox/..."); behind a stage prefix they move with it.
    # Customer text cannot forge this: every value shown is escaped, so it holds no '="'.
    root = _root()
    if root:
        body = body.replace('="/inbox', f'="{root}/inbox')
    return Response(body=body, status_code=status, headers={**HEADERS, **(extra or {})})


def _redirect(location: str, extra: dict[str, str] | None = None) -> Response:
    return Response(body="", status_code=303, headers={"Location": _root() + location, "Cache-Control": "no-store",
                                                       **(extra or {})})


def _request() -> Request:
    request = bp.current_request
    assert request is not None
    return request


def _query() -> dict[str, str]:
    return {k: v for k, v in (_request().query_params or {}).items() if isinstance(v, str)}


def _cookie(request: Request) -> str | None:
    for part in (request.headers.get("cookie") or "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE:
            return value
    return None


def _csrf_key(services: Services) -> bytes:
    from chalicelib.desk.sessions import csrf_key

    return csrf_key(services.secrets.get("SLACK_SIGNING_SECRET"))


def _who(request: Request, services: Services) -> tuple[TeamMember, Session]:
    """The agent behind this request: a session cookie, else an agent token; a 401 page otherwise."""
    from chalicelib.desk.sessions import Session
    from chalicelib.web.common import ApiError, authenticate

    directory = services.directory.load()
    if request.headers.get("authorization"):
        try:
            member = authenticate(request, services)
        except ApiError as exc:
            raise PageError(401, "Not signed in", f"That token does not open the inbox ({exc.message}).") from exc
        return member, Session(member.id, "", 0)
    session = services.sessions.find(_cookie(request))
    found = directory.member(session.member_id) if session else None
    if session is None or found is None:
        raise PageError(401, "Not signed in", "Sign in with the link that /ticket inbox sends you in Slack "
                                              "(a link works once, for 10 minutes).")
    return found, session


def _form(request: Request, session: Session, services: Services) -> dict[str, str]:
    try:
        form = read_form(request.raw_body, limit=MAX_FORM, max_fields=20)
    except FormTooLarge as exc:
        raise PageError(413, "Too long", "That form is larger than 64 KiB.") from exc
    except ValueError as exc:  # UnicodeDecodeError too
        raise PageError(400, "Unreadable form", "The form could not be read.") from exc
    if not session.csrf_ok(_csrf_key(services), form.get("csrf")):
        raise PageError(403, "Refused", "This form is not from your inbox (its CSRF token is missing or wrong). "
                                        "Reload the page and try again.")
    return form


def _page(handler: Callable[..., Response]) -> Callable[..., Response]:
    """Errors as pages: 401/403/404/409/400 with words, never a 500 for bad input."""

    def wrapper(*args: Any, **kwargs: Any) -> Response:
        from chalicelib.desk.tickets import Contention, InvalidInput, TicketNotFound, WorkInProgress
        from chalicelib.desk.triage import Conflict
        from chalicelib.desk.usecases import run_steps_soon
        from chalicelib.web.inbox_pages import message_page

        try:
            response = handler(*args, **kwargs)
            run_steps_soon(bootstrap.services())
            return response
        except PageError as exc:
            return _html(message_page(exc.title, exc.text, link=("/inbox", "Back to the inbox")), exc.status)
        except TicketNotFound as exc:
            return _html(message_page("Not found", str(exc), link=("/inbox", "Back to the inbox")), 404)
        except InvalidInput as exc:
            return _html(message_page("Could not do that", str(exc), link=("/inbox", "Back to the inbox")), 400)
        except Conflict as exc:  # a race the form's own version check did not see (hand-over)
            return _html(message_page("Changed meanwhile", str(exc), link=("/inbox", "Back to the inbox")), 409)
        except WorkInProgress as exc:
            return _html(message_page("Still working on it", str(exc), link=("/inbox", "Back to the inbox")), 409)
        except Contention as exc:
            return _html(message_page("Busy", f"{exc}; try again.", link=("/inbox", "Back to the inbox")), 503)

    wrapper.__name__ = handler.__name__
    return wrapper


def _number(value: str) -> int:
    if not (value.isascii() and value.isdigit()) or not 0 < len(value) <= 12:
        raise PageError(404, "Not found", "There is no such ticket.")
    return int(value)


def _counts(services: Services, member: TeamMember) -> dict[str, int | None]:
    return services.tickets.store.view_counts(member.id)


# -- assets and sign-in -------------------------------------------------------------------------------------
@bp.route("/inbox/assets/inbox.css", methods=["GET"])
def inbox_css() -> Response:
    return Response(body=CSS, status_code=200, headers={"Content-Type": "text/css; charset=utf-8",
                                                        "Cache-Control": "public, max-age=86400",
                                                        "X-Content-Type-Options": "nosniff"})


@bp.route("/inbox/assets/inbox.js", methods=["GET"])
def inbox_js() -> Response:
    return Response(body=JS, status_code=200, headers={"Content-Type": "text/javascript; charset=utf-8",
                                                       "Cache-Control": "public, max-age=86400",
                                                       "X-Content-Type-Options": "nosniff"})


@bp.route("/inbox/signin", methods=["GET"])
@_page
def signin_link() -> Response:
    """The link's page: it only shows a button, so a link preview cannot use the one-time link."""
    from chalicelib.web.inbox_pages import signin_page

    services = bootstrap.services()
    token = str(_query().get("t") or "")
    member_id = services.sessions.peek_link(token)
    member = services.directory.load().member(member_id) if member_id else None
    if member is None:
        raise PageError(401, "This link does not work", "The sign-in link is unknown, used or older than "
                                                        "10 minutes. Ask for a new one with /ticket inbox.")
    return _html(signin_page(token, member.name))


@bp.route("/inbox/signin", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
@_page
def signin() -> Response:
    services = bootstrap.services()
    try:
        form = read_form(_request().raw_body, limit=4096, max_fields=4)
    except ValueError:  # FormTooLarge too: no sign-in link is that long
        form = {}
    opened = services.sessions.sign_in(form.get("t", ""))
    if opened is None:
        raise PageError(401, "This link does not work", "The sign-in link is unknown, used or older than "
                                                        "10 minutes. Ask for a new one with /ticket inbox.")
    cookie, session = opened
    secure = "" if os.environ.get("SUPPORT_HERO_DEV_CLOCK") else "; Secure"  # plain HTTP only in `make run`
    max_age = max(0, session.expires - int(services.clock.time()))
    return _redirect("/inbox", {"Set-Cookie": f"{COOKIE}={cookie}; Max-Age={max_age}; Path=/; HttpOnly; "
                                              f"SameSite=Strict{secure}"})


@bp.route("/inbox/signout", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
@_page
def signout() -> Response:
    from chalicelib.web.inbox_pages import message_page

    services = bootstrap.services()
    request = _request()
    _member, session = _who(request, services)
    _form(request, session, services)
    services.sessions.revoke(session)
    return _html(message_page("Signed out", "This browser's session has ended."), 200,
                 {"Set-Cookie": f"{COOKIE}=; Max-Age=0; Path=/; HttpOnly; SameSite=Strict"})


# -- views ---------------------------------------------------------------------------------------------------
@bp.route("/inbox", methods=["GET"])
@_page
def inbox() -> Response:
    from chalicelib import channels
    from chalicelib.desk.tickets import FILTERS, VIEWS
    from chalicelib.web.inbox_pages import VIEW_ORDER, list_page

    services = bootstrap.services()
    request = _request()
    member, session = _who(request, services)
    params = {k: v for k, v in (request.query_params or {}).items() if isinstance(v, str)}
    view = params.get("view") or "awaiting-reply"
    if view not in VIEWS or view not in VIEW_ORDER:
        raise PageError(400, "Unknown view", f"Choose one of: {', '.join(VIEW_ORDER)}.")
    filters = {k: params[k].strip()[:100] for k in FILTERS if params.get(k, "").strip()}
    page = services.tickets.list_view(view, member.id, PAGE_SIZE, params.get("cursor") or None, filters)
    directory = services.directory.load()
    csrf = session.csrf(_csrf_key(services)) if session.key else None
    return _html(list_page(member=member.name, view=view, counts=_counts(services, member), filters=filters,
                           tickets=page.tickets, cursor=page.cursor, directory=directory, now=services.clock.now(),
                           channels=[s.name for s in channels.installed()], csrf=csrf))


# -- a ticket --------------------------------------------------------------------------------------------------
def _ticket_page(services: Services, member: TeamMember, session: Session, number: int, *, status: int = 200,
                 flash: str | None = None, conflict: str | None = None) -> Response:
    from chalicelib.desk.people_views import requester_view
    from chalicelib.desk.usecases import ticket_with_conversation
    from chalicelib.web.inbox_pages import ticket_page

    ticket, conversation = ticket_with_conversation(services, number)
    directory = services.directory.load()
    csrf = session.csrf(_csrf_key(services)) if session.key else ""
    body = ticket_page(
        member=member.name, member_id=member.id, ticket=ticket,
        conversation=[m for m in conversation if m.role != "audit"],
        audit=[m for m in conversation if m.role == "audit"],
        person=requester_view(services.people, directory, ticket), directory=directory,
        counts=_counts(services, member), csrf=csrf, now=services.clock.now(), flash=flash, conflict=conflict,
        reply_key=uuid.uuid4().hex)
    return _html(body, status)


@bp.route("/inbox/tickets/{number}", methods=["GET"])
@_page
def ticket(number: str) -> Response:
    services = bootstrap.services()
    member, session = _who(_request(), services)
    flash = {"replied": "Your reply is on its way.", "noted": "Your note was added.", "saved": "Saved.",
             "handed": "Handed over."}.get(str(_query().get("done") or ""))
    return _ticket_page(services, member, session, _number(number), flash=flash)


@bp.route("/inbox/tickets/{number}/raw-email", methods=["GET"])
@_page
def raw_email(number: str) -> Response:
    from chalicelib.desk.usecases import NotFound, raw_email_url

    services = bootstrap.services()
    _who(_request(), services)
    key = str(_query().get("key") or "")
    try:
        url = raw_email_url(services, _number(number), key)
    except NotFound as exc:
        raise PageError(404, "Not found", str(exc)) from exc
    return Response(body="", status_code=302, headers={"Location": url, "Cache-Control": "no-store"})


def _post(number: str, act: Callable[[Services, TeamMember, Session, int, dict[str, str]], Response]) -> Response:
    services = bootstrap.services()
    request = _request()
    member, session = _who(request, services)
    form = _form(request, session, services)
    return act(services, member, session, _number(number), form)


FORM = ["application/x-www-form-urlencoded"]


@bp.route("/inbox/tickets/{number}/reply", methods=["POST"], content_types=FORM)
@_page
def reply(number: str) -> Response:
    return _post(number, lambda s, m, _se, n, f: _write(s, m, n, f, internal=False))


@bp.route("/inbox/tickets/{number}/note", methods=["POST"], content_types=FORM)
@_page
def note(number: str) -> Response:
    return _post(number, lambda s, m, _se, n, f: _write(s, m, n, f, internal=True))


def _write(services: Services, member: TeamMember, number: int, form: dict[str, str], *, internal: bool) -> Response:
    from chalicelib.desk.usecases import reply as reply_case

    key = form.get("key", "")[:80] or None  # a resubmitted form is the same reply, not a second one
    reply_case(services, member, number, form.get("text", ""), internal=internal,
               idempotency_key=f"inbox:{key}" if key else None)
    return _redirect(f"/inbox/tickets/{number}?done={'noted' if internal else 'replied'}")


@bp.route("/inbox/tickets/{number}/triage", methods=["POST"], content_types=FORM)
@_page
def triage(number: str) -> Response:
    return _post(number, _triage)


def _triage(services: Services, member: TeamMember, session: Session, number: int, form: dict[str, str]) -> Response:
    from chalicelib.desk.triage import Change, Conflict
    from chalicelib.desk.usecases import change_ticket
    from chalicelib.web.inbox_pages import esc

    version = form.get("version", "")
    if not (version.isascii() and version.isdigit()) or len(version) > 12:
        raise PageError(400, "Could not do that", "The form has no version of the ticket: reload it.")
    tags = None
    if "tags" in form:
        tags = tuple(sorted({t.strip().lower() for t in form["tags"].replace(",", " ").split() if t.strip()}))
    change = Change(status=form.get("status") or None, priority=form.get("priority") or None,
                    assignee=form["assignee"] if "assignee" in form else None, tags=tags)
    try:
        change_ticket(services, member, number, change, expected_version=int(version))
    except Conflict:
        ticket = services.tickets.by_number(number)
        fresh = services.tickets.find(ticket.ticket_id) or ticket
        audit = [m for m in services.tickets.conversation(fresh) if m.role == "audit"][-5:]
        said = "".join(f"<li><strong>{esc(a.author_name or a.author_id)}</strong>: {esc(a.text)}</li>" for a in audit)
        text = (f"<p><strong>Ticket #{number} changed since you opened it</strong>, so nothing was saved. "
                f"The latest changes:</p><ul>{said}</ul><p>Below is the ticket as it is now; make your change "
                "again if it still applies.</p>")
        return _ticket_page(services, member, session, number, status=409, conflict=text)
    return _redirect(f"/inbox/tickets/{number}?done=saved")


@bp.route("/inbox/tickets/{number}/handover", methods=["POST"], content_types=FORM)
@_page
def handover(number: str) -> Response:
    def act(services: Services, member: TeamMember, _s: Session, n: int, form: dict[str, str]) -> Response:
        from chalicelib.desk.usecases import hand_over

        to, text = form.get("to", ""), form.get("note", "").strip()
        if not to or not text:
            raise PageError(400, "Could not do that", "Choose who takes the ticket and write them a note.")
        hand_over(services, member, n, to, text[:2000])
        return _redirect(f"/inbox/tickets/{n}?done=handed")

    return _post(number, act)
