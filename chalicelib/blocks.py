"""Block Kit for a ticket's Slack message: its state and the triage controls."""

from __future__ import annotations

from typing import Any

from chalicelib.directory import PRIORITIES
from chalicelib.models.tickets import Ticket
from chalicelib.tickets import STATUSES

ACTION_PRIORITY, ACTION_ASSIGNEE, ACTION_STATUS = "ticket_priority", "ticket_assignee", "ticket_status"
ACTION_TAKE, ACTION_SOLVE = "ticket_take", "ticket_solve"


def _option(value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": value.capitalize()}, "value": value}


def ticket_text(ticket: Ticket, assignee_slack: str | None) -> str:
    owner = f"<@{assignee_slack}>" if assignee_slack else (ticket.assignee or "nobody yet")
    return (f":ticket: Ticket *#{ticket.number}*: {ticket.subject}\n"
            f"*Status* {ticket.status} · *Priority* {ticket.priority} · *Owner* {owner}"
            + (f" · *Tags* {', '.join(sorted(ticket.tags))}" if ticket.tags else ""))


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


def home_view(member_name: str, awaiting: list[Ticket], unassigned: list[Ticket], now_ts: float,
              hero_line: str | None = None) -> dict[str, Any]:
    def line(t: Ticket) -> str:
        age_h = max(0, int((now_ts - t.created_at.timestamp()) // 3600)) if t.created_at else 0
        age = f"{age_h // 24}d" if age_h >= 48 else f"{age_h}h"
        return (f"*#{t.number}* {t.subject} — {t.channel}, {t.customer_id or t.tier or 'community'}, "
                f"{t.priority}, {age} old")

    def section(title: str, tickets: list[Ticket]) -> list[dict[str, Any]]:
        body = "\n".join(line(t) for t in tickets) or "_Nothing here._"
        return [{"type": "header", "text": {"type": "plain_text", "text": title}},
                {"type": "section", "text": {"type": "mrkdwn", "text": body[:2900]}}]

    hero = [{"type": "context", "elements": [{"type": "mrkdwn", "text": hero_line}]}] if hero_line else []
    return {"type": "home", "blocks": [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"Hi {member_name} :wave:"}},
        *hero,
        *section("Waiting for your reply", awaiting),
        {"type": "divider"},
        *section("Unassigned and unsolved", unassigned),
    ]}
