"""The emailed survey's pages (``/survey``): one click records the answer; a short form takes a comment.

``GET /survey?n=&a=good|bad&e=&s=`` records that answer (the first answer stays) and offers the comment
form; ``a=comment`` opens the form alone.  ``POST /survey`` (the form, carrying the comment link's
signature) records an answer if none yet and the comment.  A link that is not ours, or expired, gets 401.
No cookies, no scripts, a strict CSP; everything shown is escaped.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from chalice.app import Blueprint, Response

from chalicelib import bootstrap
from chalicelib.platform.html_page import HEADERS, FormTooLarge, page, read_form

if TYPE_CHECKING:
    from chalicelib.models.tickets import Ticket

bp = Blueprint(__name__)
MAX_FORM = 16 * 1024
LABEL = {"good": "good", "bad": "not good"}


def _answer(status: int, title: str, body: str) -> Response:
    return Response(body=page(title, f"<h1>{html.escape(title)}</h1>\n{body}"), status_code=status,
                    headers=dict(HEADERS))


def _refused() -> Response:
    return _answer(401, "This link does not work", '<p class="error" role="alert">This survey link is not valid '
                   "or has expired. Thank you all the same: you can always reply to our email.</p>")


def _ticket(params: dict[str, str], action: str) -> Ticket | None:
    """The ticket the signed link is for, or None when the link is not ours (or expired)."""
    from chalicelib.channels.email.survey import survey_link_key, verify_survey_link
    from chalicelib.desk.tickets import TicketNotFound

    number = params.get("n", "")
    if not (number.isascii() and number.isdigit()) or not 0 < len(number) <= 12:
        return None
    services = bootstrap.services()
    try:
        ticket = services.tickets.by_number(int(number))
    except TicketNotFound:
        return None
    key = survey_link_key(services.secrets.get("SLACK_SIGNING_SECRET"))
    if not verify_survey_link(key, action, ticket.ticket_id, int(number), params.get("e", ""), params.get("s", ""),
                              services.clock.time()):
        return None
    return ticket


def _comment_form(ticket: Ticket, params: dict[str, str], signature: str, ask_rating: bool) -> str:
    rating = ""
    if ask_rating:
        rating = """<fieldset><legend>How did we do?</legend>
<label><input type="radio" name="rating" value="good"> Good</label>
<label><input type="radio" name="rating" value="bad"> Not good</label></fieldset>"""
    return f"""<form method="post" action="survey">
<input type="hidden" name="n" value="{int(ticket.number or 0)}">
<input type="hidden" name="e" value="{html.escape(params.get('e', ''))}">
<input type="hidden" name="s" value="{html.escape(signature)}">
{rating}
<label for="comment">Anything you want to tell us? <span class="hint">(optional, up to 2,000 characters)</span></label>
<textarea id="comment" name="comment" maxlength="2000" rows="6"></textarea>
<button type="submit">Send</button>
</form>"""


@bp.route("/survey", methods=["GET"])
def survey_link() -> Response:
    from chalicelib.channels.email.survey import sign_survey_link, survey_link_key
    from chalicelib.desk.tickets import InvalidInput

    request = bp.current_request
    params = {k: v for k, v in (request.query_params or {}).items() if isinstance(v, str)}
    action = params.get("a", "")
    ticket = _ticket(params, action)
    if ticket is None:
        return _refused()
    services = bootstrap.services()
    key = survey_link_key(services.secrets.get("SLACK_SIGNING_SECRET"))
    comment_sig = sign_survey_link(key, "comment", ticket.ticket_id, int(ticket.number or 0), int(params["e"]))
    subject = html.escape(ticket.subject or "")
    if action == "comment":
        return _answer(200, "Tell us how we did", f"<p>About your request “{subject}” (ticket "
                       f"#{int(ticket.number or 0)}).</p>" + _comment_form(ticket, params, comment_sig,
                                                                            ask_rating=not ticket.csat))
    by = (ticket.requester_key or "email", "the requester (email link)")
    try:
        ticket, recorded = services.surveys.rate(ticket, action, by=by)
    except InvalidInput as exc:
        return _answer(400, "We could not record that", f'<p class="error" role="alert">{html.escape(str(exc))}.</p>')
    said = html.escape(LABEL.get(str(ticket.csat), str(ticket.csat)))
    head = (f'<div class="receipt" role="status"><p>Thank you: we recorded <strong>{said}</strong> for ticket '
            f"#{int(ticket.number or 0)}.</p></div>" if recorded else
            f'<div class="receipt" role="status"><p>Your answer was already recorded: <strong>{said}</strong>. '
            "Thank you.</p></div>")
    form = "" if ticket.csat_comment else _comment_form(ticket, params, comment_sig, ask_rating=False)
    return _answer(200, "Thank you", head + form)


@bp.route("/survey", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
def survey_comment() -> Response:
    from chalicelib.desk.tickets import InvalidInput

    request = bp.current_request
    try:
        form = read_form(request.raw_body, limit=MAX_FORM, max_fields=10)
    except FormTooLarge:
        return _answer(413, "That is too long", '<p class="error" role="alert">Please keep it shorter.</p>')
    except ValueError:  # not UTF-8, too many fields
        return _answer(400, "We could not read that", '<p class="error" role="alert">The form was garbled.</p>')
    ticket = _ticket(form, "comment")
    if ticket is None:
        return _refused()
    services = bootstrap.services()
    by = (ticket.requester_key or "email", "the requester (email survey)")
    rating, comment = form.get("rating", ""), form.get("comment", "").strip()
    if not ticket.csat and not rating:
        return _answer(400, "One more thing", '<p class="error" role="alert">Please choose “Good” or “Not good” '
                       "first: go back and pick one.</p>")
    try:
        if rating:
            ticket, _recorded = services.surveys.rate(ticket, rating, by=by)
        saved = services.surveys.comment(ticket, comment, by=by) if comment else False
    except InvalidInput as exc:
        return _answer(400, "We could not record that", f'<p class="error" role="alert">{html.escape(str(exc))}.</p>')
    note = "<p>Your comment reached the team.</p>" if saved else (
        "<p>We already have your comment.</p>" if comment else "")
    return _answer(200, "Thank you", f'<div class="receipt" role="status"><p>Thank you for telling us.</p>{note}</div>')
