"""``GET /mail``: one email of a ticket, whole, for the member a signed link was made for.

The "Show full email" button in Slack answers with such a link (one hour). It grants exactly one
message of one ticket: its whole text (``format=page``, the default) and its raw ``.eml``
(``format=raw``). An agent token works too, as on the API.
"""

from __future__ import annotations

import html

from chalice.app import Blueprint, Response

from chalicelib import bootstrap
from chalicelib.web.common import (
    ApiError,
    _number,
    _only,
    _page_error,
    _request,
    authenticate,
    raw_email_redirect,
)

bp = Blueprint(__name__)

_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


@bp.route("/mail", methods=["GET"])
def mail_page() -> Response:
    from chalicelib.channels.slack.mirror import mail_link_key, verify_mail_link
    from chalicelib.desk.tickets import TicketNotFound

    request = _request()
    services = bootstrap.services()
    params: dict[str, str] = dict(request.query_params or {})
    try:
        _only(params, {"ticket", "key", "member", "expires", "sig", "format"})
        number, key = _number(params.get("ticket", "")), params.get("key", "")
        if "sig" in params:
            member = services.directory.load().member(params.get("member", ""))
            link_key = mail_link_key(services.secrets.get("SLACK_SIGNING_SECRET"))
            if member is None or not verify_mail_link(link_key, member.id, number, key, params.get("expires", ""),
                                                      params["sig"], services.clock.time()):
                return _page_error(401, "This link is not valid or has expired. Press \"Show full email\" "
                                        "in Slack again for a new one.")
        else:
            authenticate(request, services)
        if params.get("format", "page") not in ("page", "raw"):
            raise ApiError(400, "format is page or raw")
        ticket = services.tickets.by_number(number)
        if params.get("format") == "raw":
            return raw_email_redirect(services, ticket, key)
        message = (services.tickets.store.message(ticket.ticket_id, key, consistent_read=False)
                   if key and len(key) <= 1200 else None)
        if message is None or message.channel != "email":
            raise ApiError(404, "that email is not part of this ticket")
    except TicketNotFound:
        return _page_error(404, "No such ticket.")
    except ApiError as exc:
        return _page_error(exc.status, exc.message)
    raw_query = {k: v for k, v in params.items() if k != "format"}
    from urllib.parse import urlencode

    files = "".join(f"<li>{html.escape(str(a.get('name')))} ({html.escape(str(a.get('type')))}, "
                    f"{int(a.get('size') or 0):,} bytes)</li>" for a in (message.attachments or []))
    body = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Ticket #{int(ticket.number or 0)}: email</title>
<style>body{{font:15px/1.5 system-ui,sans-serif;margin:1.5rem auto;max-width:60rem;padding:0 1rem;color:#1b1b1b}}
pre{{white-space:pre-wrap;overflow-wrap:anywhere;background:#f6f6f6;padding:1rem;border-radius:6px}}
a{{color:#0645ad}}</style></head><body>
<h1>Ticket #{int(ticket.number or 0)}: {html.escape(ticket.subject or "")}</h1>
<p>From <strong>{html.escape(message.author_name or "")}</strong> &lt;{html.escape(message.author_id or "")}&gt;,
{html.escape(message.created_at.strftime("%Y-%m-%d %H:%M UTC"))}</p>
<h2>The whole email</h2>
<pre>{html.escape(message.full_text or message.text or "")}</pre>
{f"<h2>Attachments</h2><ul>{files}</ul>" if files else ""}
<p><a href="/mail?{html.escape(urlencode({**raw_query, "format": "raw"}))}">Download the raw email (.eml)</a></p>
</body></html>"""
    return Response(body=body, status_code=200, headers={
        **_HEADERS, "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"})
