"""The inbox's HTML (pure functions of what the routes read): the views, a ticket, sign-in and errors.

Every value from outside (subjects, names, message text, file names, tags) goes through :func:`esc`;
URLs we build are quoted.  Forms post to our own paths and carry the session's CSRF token.
"""

from __future__ import annotations

import datetime as dt
import html
import urllib.parse
from collections.abc import Mapping, Sequence
from typing import Any

from chalicelib.desk.directory import PRIORITIES, Directory
from chalicelib.desk.ticket_types import STATUSES
from chalicelib.desk.units import format_duration
from chalicelib.models.tickets import Message, Ticket
from chalicelib.web.inbox_assets import VERSION

VIEW_TITLES = {"awaiting-reply": "Mine, awaiting my reply", "unassigned": "Unassigned and unsolved",
               "due": "Due soon", "all": "All tickets"}
VIEW_ORDER = ("awaiting-reply", "unassigned", "due", "all")
SHORTCUTS = (("j / k", "next / previous ticket in a view"), ("Enter", "open the selected ticket"),
             ("r", "write a reply"), ("n", "write an internal note"), ("a", "assign the ticket to me"),
             ("?", "show or hide this list"), ("Esc", "close this list"))


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _q(params: Mapping[str, str]) -> str:
    return urllib.parse.urlencode({k: v for k, v in params.items() if v})


def page(title: str, body: str, *, member: str | None = None, nav: str = "", csrf: str | None = None) -> str:
    signout = (f'<form method="post" action="/inbox/signout"><input type="hidden" name="csrf" value="{esc(csrf)}">'
               '<button type="submit" class="secondary">Sign out</button></form>') if csrf else ""
    who = f'<span>Signed in as <strong>{esc(member)}</strong></span>' if member else ""
    help_dialog = "".join(f"<li><kbd>{esc(k)}</kbd> {esc(v)}</li>" for k, v in SHORTCUTS)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{esc(title)} · Support Hero</title>
<link rel="stylesheet" href="/inbox/assets/inbox.css?v={VERSION}"></head>
<body><a class="skip" href="#main">Skip to the content</a>
<header class="top"><a class="brand" href="/inbox">Support Hero</a>{nav}{who}{signout}</header>
<main id="main">
{body}
<p class="muted">Press <kbd>?</kbd> for keyboard shortcuts.</p>
</main>
<div id="help" hidden role="dialog" aria-modal="true" aria-labelledby="help-title"><div class="card">
<h2 id="help-title">Keyboard shortcuts</h2><ul class="plain">{help_dialog}</ul>
<button type="button">Close</button></div></div>
<script src="/inbox/assets/inbox.js?v={VERSION}"></script>
</body></html>"""


def message_page(status_title: str, text: str, *, link: tuple[str, str] | None = None) -> str:
    more = f'<p><a href="{esc(link[0])}">{esc(link[1])}</a></p>' if link else ""
    return page(status_title, f'<h1>{esc(status_title)}</h1><p class="alert" role="alert">{esc(text)}</p>{more}')


def signin_page(token: str, name: str) -> str:
    """The sign-in link's page: one button (a POST), so a link preview or scanner never uses the link."""
    return page("Sign in", f"""<h1>Sign in to the inbox</h1>
<div class="card"><p>Hello {esc(name)}: this opens a session in this browser for 12 hours.</p>
<form method="post" action="/inbox/signin"><input type="hidden" name="t" value="{esc(token)}">
<button type="submit">Sign in</button></form></div>""")


def nav(view: str | None, counts: Mapping[str, int | None]) -> str:
    items = []
    for name in VIEW_ORDER:
        current = ' aria-current="page"' if name == view else ""
        n = counts.get(name)
        badge = f'<span class="count" aria-label="{n} tickets">{n}</span>' if n is not None else ""
        items.append(f'<li><a href="/inbox?view={name}"{current}>{esc(VIEW_TITLES[name])}{badge}</a></li>')
    return f'<nav class="views" aria-label="Views"><ul>{"".join(items)}</ul></nav>'


def _age(now: dt.datetime, at: dt.datetime | None) -> str:
    return format_duration((now - at).total_seconds()) if at else "—"


def _to_target(now: dt.datetime, ticket: Ticket) -> str:
    if not ticket.sla_due or ticket.due_at is None:
        return '<span class="muted">—</span>'
    left = (ticket.due_at - now).total_seconds()
    if left < 0:
        return f'<span class="overdue">overdue by {esc(format_duration(-left))}</span>'
    return f'<span>{esc(format_duration(left))}</span>'


def company_name(directory: Directory, ticket: Ticket) -> str:
    customer = next((c for c in directory.customers if c.id == ticket.customer_id), None)
    return customer.name if customer else "community"


def owner_name(directory: Directory, member_id: str | None) -> str:
    member = directory.member(member_id) if member_id else None
    return member.name if member else (member_id or "nobody")


def _select(name: str, label: str, options: Sequence[tuple[str, str]], chosen: str | None, *, blank: str = "any",
            ident: str | None = None) -> str:
    ident = ident or f"f-{name}"
    opts = [f'<option value="">{esc(blank)}</option>'] if blank else []
    opts += [f'<option value="{esc(v)}"{" selected" if v == chosen else ""}>{esc(t)}</option>' for v, t in options]
    return f'<div><label for="{ident}">{esc(label)}</label><select id="{ident}" name="{name}">{"".join(opts)}</select></div>'


def list_page(*, member: str, view: str, counts: Mapping[str, int | None], filters: Mapping[str, str],
              tickets: Sequence[Ticket], cursor: str | None, directory: Directory, now: dt.datetime,
              channels: Sequence[str], csrf: str | None) -> str:
    title = VIEW_TITLES.get(view, "Tickets")
    rows = []
    for t in tickets:
        href = f"/inbox/tickets/{int(t.number or 0)}"
        rows.append(
            f'<tr data-href="{href}"><td><a href="{href}">#{int(t.number or 0)}</a></td>'
            f'<td class="subject"><a href="{href}">{esc(t.subject)}</a></td>'
            f"<td>{esc(t.requester_name or t.requester_id)}<br><span class=\"muted\">{esc(company_name(directory, t))}"
            f"</span></td><td>{esc(t.channel)}</td><td>{esc(t.priority)}</td><td>{esc(t.status)}</td>"
            f"<td>{esc(owner_name(directory, t.assignee))}</td><td>{esc(_age(now, t.created_at))}</td>"
            f"<td>{_to_target(now, t)}</td></tr>")
    table = ("<p>Nothing here.</p>" if not rows else
             '<div class="table-scroll"><table class="tickets"><caption class="skip">' + esc(title) + '</caption>'
             '<thead><tr><th scope="col">#</th><th scope="col">Subject</th><th scope="col">Requester</th>'
             '<th scope="col">Channel</th><th scope="col">Priority</th><th scope="col">Status</th>'
             '<th scope="col">Owner</th><th scope="col">Age</th><th scope="col">To target</th></tr></thead>'
             f'<tbody>{"".join(rows)}</tbody></table></div>')
    customers = [(c.id, c.name) for c in directory.customers]
    form = (f'<form class="filters card" method="get" action="/inbox" aria-label="Filters">'
            f'<input type="hidden" name="view" value="{esc(view)}">'
            + _select("status", "Status", [(s, s) for s in STATUSES], filters.get("status"))
            + _select("priority", "Priority", [(p, p) for p in PRIORITIES], filters.get("priority"))
            + _select("channel", "Channel", [(c, c) for c in channels], filters.get("channel"))
            + _select("customer", "Customer", customers, filters.get("customer"))
            + f'<div><label for="f-tag">Tag</label><input id="f-tag" type="text" name="tag" maxlength="50" '
              f'value="{esc(filters.get("tag", ""))}"></div>'
            + '<div><button type="submit">Filter</button></div></form>')
    more = ""
    if cursor:
        more = (f'<div class="pager"><a href="/inbox?{esc(_q({"view": view, **filters, "cursor": cursor}))}" '
                'rel="next">Next page</a></div>')
    body = f"<h1>{esc(title)}</h1>{form}{table}{more}"
    return page(title, body, member=member, nav=nav(view, counts), csrf=csrf)


def _delivery(m: Message) -> str:
    status = m.delivery_status
    if not status:
        return ""
    text = {"sent": "sent", "queued": "sending", "retrying": f"retrying (attempt {int(m.delivery_attempts or 0)})",
            "failed": "failed"}.get(status, status)
    why = f": {esc(m.delivery_error)}" if status in ("failed", "retrying") and m.delivery_error else ""
    return f'<span class="delivery {esc(status)}">Delivery: {esc(text)}{why}</span>'


def _message(m: Message, number: int) -> str:
    role = m.role if m.role in ("customer", "agent", "internal", "system") else "system"
    label = {"customer": "", "agent": "", "internal": '<span class="label-note">Internal note</span>',
             "system": '<span class="muted">Automatic notice</span>'}[role]
    when = m.created_at.strftime("%Y-%m-%d %H:%M UTC")
    body = esc(m.text) if not m.deleted_at else '<em class="muted">(deleted)</em>'
    quoted = ""
    if m.full_text and m.full_text != m.text:
        quoted = (f"<details><summary>Show the whole email (quoted history)</summary><pre>{esc(m.full_text)}</pre>"
                  "</details>")
    files = [f"<li>{esc(f)}</li>" for f in (m.files or [])]
    files += [f"<li>{esc(a.get('name'))} <span class=\"muted\">({esc(a.get('type'))}, {int(a.get('size') or 0):,} "
              "bytes)</span></li>" for a in (m.attachments or []) if isinstance(a, dict)]
    attached = f'<ul class="plain" aria-label="Attachments">{"".join(files)}</ul>' if files else ""
    raw = ""
    if m.raw_ref:
        raw = (f'<a href="/inbox/tickets/{number}/raw-email?{esc(_q({"key": m.message_key}))}">Raw email (.eml)</a>')
    return (f'<article class="msg {role}" aria-label="{esc(role)} message"><header>'
            f'<span class="who">{esc(m.author_name or m.author_id or role)}</span>{label}'
            f'<time datetime="{m.created_at.isoformat()}">{when}</time><span class="muted">{esc(m.channel)}</span>'
            f"{_delivery(m)}{raw}</header><p class=\"body\">{body}</p>{quoted}{attached}</article>")


def _links(ticket: Ticket) -> list[str]:
    origin = ticket.origin or {}
    out = []
    if origin.get("type") == "slack" and origin.get("channel") and origin.get("thread_ts"):
        ts = str(origin["thread_ts"]).replace(".", "")
        url = f"https://slack.com/archives/{urllib.parse.quote(str(origin['channel']))}/p{urllib.parse.quote(ts)}"
        out.append(f'<a href="{esc(url)}">The Slack thread</a>')
    if origin.get("issue_url") and str(origin["issue_url"]).startswith("https://github.com/"):
        out.append(f'<a href="{esc(origin["issue_url"])}">The GitHub issue</a>')
    if ticket.triage_ref and ":" in ticket.triage_ref:
        channel, ts = ticket.triage_ref.split(":", 1)
        url = f"https://slack.com/archives/{urllib.parse.quote(channel)}/p{urllib.parse.quote(ts.replace('.', ''))}"
        out.append(f'<a href="{esc(url)}">Its post in the triage channel</a>')
    for issue in sorted(ticket.links or ()):
        repo, _, n = issue.partition("#")
        out.append(f'<a href="https://github.com/{esc(urllib.parse.quote(repo))}/issues/{esc(n)}">{esc(issue)}</a>')
    return out


def ticket_page(*, member: str, member_id: str, ticket: Ticket, conversation: Sequence[Message],
                audit: Sequence[Message], person: Mapping[str, Any], directory: Directory, counts: Mapping[str, int | None],
                csrf: str, now: dt.datetime, flash: str | None = None, conflict: str | None = None,
                reply_key: str = "") -> str:
    n = int(ticket.number or 0)
    hidden = f'<input type="hidden" name="csrf" value="{esc(csrf)}">'
    version = f'<input type="hidden" name="version" value="{int(ticket.version or 0)}">'
    members = [(m.id, m.name) for m in directory.members]
    tags = " ".join(sorted(ticket.tags or ()))
    alert = f'<div class="alert" role="alert">{conflict}</div>' if conflict else ""
    note = f'<div class="notice" role="status">{esc(flash)}</div>' if flash else ""
    earlier = person.get("earlier") or {}
    company = (person.get("company") or {}).get("name") or company_name(directory, ticket)
    history = ""
    if earlier.get("count"):
        last = ", ".join(f'<a href="/inbox/tickets/{int(e["number"])}">#{int(e["number"])}</a> {esc(e.get("status"))}'
                         for e in earlier.get("last") or [])
        history = f"<p>{int(earlier['count'])} earlier ticket(s): {last}</p>"
    links = "".join(f"<li>{link}</li>" for link in _links(ticket))
    audit_items = "".join(f'<li><time datetime="{a.created_at.isoformat()}">{a.created_at:%Y-%m-%d %H:%M}</time> '
                          f"<strong>{esc(a.author_name or a.author_id)}</strong>: {esc(a.text)}</li>" for a in audit)
    assign_me = "" if ticket.assignee == member_id else (
        f'<form id="assign-me" method="post" action="/inbox/tickets/{n}/triage">{hidden}{version}'
        f'<input type="hidden" name="assignee" value="{esc(member_id)}"><button type="submit" class="secondary">'
        "Assign to me</button></form>")
    satisfaction = f"<p>Satisfaction: <strong>{esc(ticket.csat)}</strong>{': ' + esc(ticket.csat_comment) if ticket.csat_comment else ''}</p>" \
        if ticket.csat else ""
    body = f"""{alert}{note}
<h1>#{n} {esc(ticket.subject)}</h1>
<p><span class="pill">{esc(ticket.status)}</span> <span class="pill">{esc(ticket.priority)}</span>
 <span class="pill">{esc(ticket.channel)}</span> Owner: <strong>{esc(owner_name(directory, ticket.assignee))}</strong>
 · Requester: <strong>{esc(ticket.requester_name or ticket.requester_id)}</strong> ({esc(company)}, {esc(ticket.tier)})
 · Opened {esc(_age(now, ticket.created_at))} ago · To target: {_to_target(now, ticket)}</p>
<div class="layout"><div>
<section aria-labelledby="conversation-h"><h2 id="conversation-h">Conversation</h2>
{"".join(_message(m, n) for m in conversation) or "<p>No messages.</p>"}</section>
<section class="card reply-box" aria-labelledby="reply-h"><h2 id="reply-h">Reply to the customer</h2>
<form method="post" action="/inbox/tickets/{n}/reply">{hidden}<input type="hidden" name="key" value="{esc(reply_key)}">
<label for="reply-text">Your reply (sent by {esc(ticket.channel)} to {esc(ticket.requester_name or ticket.requester_id)})</label>
<textarea id="reply-text" name="text" required maxlength="30000"></textarea>
<button type="submit">Send reply</button></form></section>
<section class="card note-box" aria-labelledby="note-h"><h2 id="note-h">Internal note</h2>
<form method="post" action="/inbox/tickets/{n}/note">{hidden}<input type="hidden" name="key" value="{esc(reply_key)}-note">
<label for="note-text">A note for the team (never sent to the customer)</label>
<textarea id="note-text" name="text" required maxlength="30000"></textarea>
<button type="submit" class="note">Add note</button></form></section>
</div><aside>
<section class="card" aria-labelledby="triage-h"><h2 id="triage-h">Triage</h2>
<form method="post" action="/inbox/tickets/{n}/triage">{hidden}{version}
{_select("status", "Status", [(s, s) for s in STATUSES], ticket.status, blank="", ident="t-status")}
{_select("priority", "Priority", [(p, p) for p in PRIORITIES], ticket.priority, blank="", ident="t-priority")}
{_select("assignee", "Owner", members, ticket.assignee, blank="nobody", ident="t-assignee")}
<div><label for="t-tags">Tags (separated by spaces)</label><input id="t-tags" type="text" name="tags" value="{esc(tags)}" maxlength="1000"></div>
<p><button type="submit">Save</button></p></form>{assign_me}</section>
<section class="card" aria-labelledby="handover-h"><h2 id="handover-h">Hand over</h2>
<form method="post" action="/inbox/tickets/{n}/handover">{hidden}
{_select("to", "To", [m for m in members if m[0] != ticket.assignee], None, blank="", ident="h-to")}
<label for="h-note">Note for them</label><textarea id="h-note" name="note" required maxlength="2000"></textarea>
<button type="submit">Hand over</button></form></section>
<section class="card" aria-labelledby="who-h"><h2 id="who-h">Requester</h2>
<p>{esc(ticket.requester_name or ticket.requester_id)} · {esc(company)}</p>{history}{satisfaction}</section>
<section class="card" aria-labelledby="links-h"><h2 id="links-h">Links</h2><ul class="plain">{links or "<li>None</li>"}</ul></section>
<section class="card" aria-labelledby="audit-h"><h2 id="audit-h">Audit trail</h2><ul class="plain">{audit_items or "<li>No changes yet.</li>"}</ul></section>
</aside></div>"""
    return page(f"#{n} {ticket.subject or ''}", body, member=member, nav=nav(None, counts), csrf=csrf)
