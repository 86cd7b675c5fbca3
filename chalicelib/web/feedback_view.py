"""A stint's feedback (:meth:`chalicelib.desk.feedback.Feedback.for_stint`) as a dashboard card.

Pure: a dict in, an HTML fragment out (a ``<section class="card">`` like the dashboard's other cards,
with its tables).  Every string from the data is escaped with :func:`html.escape`; every number is
written here; a link is only ever an ``https://github.com/`` issue address.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from chalicelib.desk.units import as_count

ISSUE_PREFIX = "https://github.com/"


def _esc(value: Any) -> str:
    return html.escape(str(value if value is not None else ""), quote=True)


def _table(table_id: str, caption: str, head: list[str], rows: list[str], empty: str) -> str:
    heads = "".join(f'<th scope="col">{_esc(h)}</th>' for h in head)
    body = rows or [f'<tr class="empty"><td colspan="{len(head)}">{_esc(empty)}</td></tr>']
    return (f'<div class="table-scroll"><table id="{table_id}"><caption>{_esc(caption)}</caption>'
            f'<thead><tr>{heads}</tr></thead><tbody>{"".join(body)}</tbody></table></div>')


def _issue_link(issue: Mapping[str, Any]) -> str:
    name, url = str(issue.get("issue") or ""), issue.get("url")
    if isinstance(url, str) and url.startswith(ISSUE_PREFIX):
        return f'<a href="{_esc(url)}" rel="noreferrer">{_esc(name)}</a>'
    return _esc(name)


def _tiers(tiers: Any) -> str:
    if not isinstance(tiers, Mapping) or not tiers:
        return "—"
    return ", ".join(f"{_esc(tier)} {as_count(count)}" for tier, count in tiers.items())


def feedback_html(feedback: Mapping[str, Any]) -> str:
    """The feedback card: the stint, its tags, linked GitHub issues, bugs and feature requests."""
    hero = feedback.get("hero_name") or feedback.get("hero") or "nobody"
    meta = [f"<li>{_esc(feedback.get('start'))} to {_esc(feedback.get('end'))}</li>",
            f"<li>Hero <b>{_esc(hero)}</b></li>",
            f"<li><b>{as_count(feedback.get('tickets'))}</b> tickets opened</li>"]
    if feedback.get("truncated"):
        meta.append('<li class="note">only the newest tickets of the stint were read</li>')

    tags = [f'<tr data-tag="{_esc(t.get("tag"))}"><th scope="row">{_esc(t.get("tag"))}</th>'
            f'<td class="num">{as_count(t.get("count"))}</td></tr>'
            for t in feedback.get("tags") or [] if isinstance(t, Mapping)]
    issues = [f'<tr data-issue="{_esc(i.get("issue"))}"><th scope="row">{_issue_link(i)}</th>'
              f'<td class="num">{as_count(i.get("people"))}</td><td>{_tiers(i.get("tiers"))}</td>'
              f'<td>{", ".join(f"#{as_count(n)}" for n in i.get("tickets") or [])}</td></tr>'
              for i in feedback.get("issues") or [] if isinstance(i, Mapping)]
    requests = [f'<tr data-ticket="{as_count(r.get("number"))}"><th scope="row">#{as_count(r.get("number"))}</th>'
                f'<td>{_esc(r.get("subject"))}</td><td>{_esc(", ".join(map(str, r.get("tags") or [])))}</td>'
                f'<td>{_esc(r.get("company") or "community")}</td><td>{_esc(r.get("tier") or "community")}</td>'
                f'<td>{_esc(r.get("status"))}</td></tr>'
                for r in feedback.get("requests") or [] if isinstance(r, Mapping)]
    return (
        '<section class="card" id="feedback" aria-labelledby="feedback-heading">'
        f'<h2 id="feedback-heading">Feedback from stint {as_count(feedback.get("stint"))}</h2>'
        f'<ul class="meta">{"".join(meta)}</ul>'
        + _table("feedback-tags", "Tags", ["Tag", "Tickets"], tags, "No tags in this stint.")
        + _table("feedback-issues", "GitHub issues", ["Issue", "People", "Tiers", "Tickets"], issues,
                 "No linked issues in this stint.")
        + _table("feedback-requests", "Bugs and feature requests",
                 ["Ticket", "Subject", "Type", "Company", "Tier", "Status"], requests,
                 "No bugs or feature requests in this stint.")
        + "</section>"
    )
