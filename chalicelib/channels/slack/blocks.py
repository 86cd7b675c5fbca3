"""Block Kit for a ticket's Slack message: its state and the triage controls."""

from __future__ import annotations

from typing import Any

from chalicelib.channels.slack.mrkdwn import Mrkdwn, join, md, mention
from chalicelib.desk.directory import PRIORITIES
from chalicelib.desk.people_views import earlier_line
from chalicelib.desk.tickets import STATUSES
from chalicelib.models.tickets import Ticket

ACTION_PRIORITY, ACTION_ASSIGNEE, ACTION_STATUS = "ticket_priority", "ticket_assignee", "ticket_status"
ACTION_TAKE, ACTION_SOLVE = "ticket_take", "ticket_solve"


def _option(value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": value.capitalize()}, "value": value}


def ticket_text(ticket: Ticket, assignee_slack: str | None) -> Mrkdwn:
    owner = mention(assignee_slack) if assignee_slack else (ticket.assignee or "nobody yet")
    tags = md(" · *Tags* {}", ", ".join(sorted(ticket.tags))) if ticket.tags else ""
    earlier = earlier_line(ticket.earlier)
    return md(":ticket: Ticket *#{}*: {}\n*Status* {} · *Priority* {} · *Owner* {}{}{}",
              ticket.number, ticket.subject, ticket.status, ticket.priority, owner, tags,
              md("\n:busts_in_silhouette: {}", earlier) if earlier else "")


def ticket_blocks(ticket: Ticket, assignee_slack: str | None) -> list[dict[str, Any]]:
    block_id = f"ticket:{ticket.number}"
    priority: dict[str, Any] = {"type": "static_select", "action_id": ACTION_PRIORITY,
                                "placeholder": {"type": "plain_text", "text": "Priority"},
                                "options": [_option(p) for p in PRIORITIES]}
    if ticket.priority in PRIORITIES:
        priority["initial_option"] = _option(str(ticket.priority))
    status: dict[str, Any] = {"type": "static_select", "action_id": ACTION_STATUS,
                              "placeholder": {"type": "plain_text", "text": "Status"},
                              "options": [_option(s) for s in STATUSES]}
    if ticket.status in STATUSES:
        status["initial_option"] = _option(str(ticket.status))
    assignee: dict[str, Any] = {"type": "users_select", "action_id": ACTION_ASSIGNEE,
                                "placeholder": {"type": "plain_text", "text": "Owner"}}
    if assignee_slack:
        assignee["initial_user"] = assignee_slack
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": ticket_text(ticket, assignee_slack)}},
        {"type": "actions", "block_id": block_id, "elements": [
            priority, assignee, status,
            {"type": "button", "action_id": ACTION_TAKE, "text": {"type": "plain_text", "text": "Take it"},
             "value": str(ticket.number)},
            {"type": "button", "action_id": ACTION_SOLVE, "style": "primary",
             "text": {"type": "plain_text", "text": "Solve"}, "value": str(ticket.number)},
        ]},
    ]


def clip(lines: list[Mrkdwn], limit: int = 2900) -> Mrkdwn:
    """Whole lines up to Slack's section limit (cutting inside an escape or a link would break it)."""
    kept: list[Mrkdwn] = []
    size = 0
    for line in lines:
        size += len(line) + 1
        if size > limit:
            kept.append(Mrkdwn("…"))
            break
        kept.append(line)
    return join("\n", kept)


def home_view(member_name: str, awaiting: list[Ticket], unassigned: list[Ticket], now_ts: float,
              hero_line: Mrkdwn | str | None = None, failures: list[Mrkdwn] | None = None) -> dict[str, Any]:
    def line(t: Ticket) -> Mrkdwn:
        age_h = max(0, int((now_ts - t.created_at.timestamp()) // 3600)) if t.created_at else 0
        age = f"{age_h // 24}d" if age_h >= 48 else f"{age_h}h"
        n = int((t.earlier or {}).get("count") or 0)
        return md("*#{}* {} — {}, {}, {}, {} old{}", t.number, t.subject, t.channel,
                  t.customer_id or t.tier or "community", t.priority, age,
                  f" · {n} earlier ticket{'s' if n != 1 else ''}" if n else "")

    def section(title: str, tickets: list[Ticket]) -> list[dict[str, Any]]:
        body = clip([line(t) for t in tickets]) or Mrkdwn("_Nothing here._")
        return [{"type": "header", "text": {"type": "plain_text", "text": title}},
                {"type": "section", "text": {"type": "mrkdwn", "text": body}}]

    hero = [{"type": "context", "elements": [{"type": "mrkdwn", "text": hero_line}]}] if hero_line else []
    return {"type": "home", "blocks": [
        {"type": "section", "text": {"type": "mrkdwn", "text": md("Hi {} :wave:", member_name)}},
        *hero,
        *section("Waiting for your reply", awaiting),
        {"type": "divider"},
        *section("Unassigned and unsolved", unassigned),
        *([{"type": "divider"}, {"type": "header", "text": {"type": "plain_text", "text": "Could not deliver"}},
           {"type": "section", "text": {"type": "mrkdwn", "text": clip(failures)}}] if failures else []),
    ]}
