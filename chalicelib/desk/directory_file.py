"""The directory file: the TOML an operator edits (``python -m chalicelib.cli load-directory``), parsed
and validated into a :class:`~chalicelib.desk.directory.Directory`; every error says where."""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import replace
from typing import Any

from chalicelib.desk.calendar import BusinessCalendar, CalendarError
from chalicelib.desk.directory import (
    DEFAULT_TARGET_HOURS,
    DEFAULT_TIER_PRIORITIES,
    PRIORITIES,
    TIERS,
    CommunityChannel,
    Customer,
    Directory,
    DirectoryError,
    TeamMember,
    TeamSettings,
)
from chalicelib.desk.free_mail import is_free_mail


def _require_str(table: dict[str, Any], key: str, where: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise DirectoryError(f"{where}: '{key}' is required and must be a non-empty string")
    return value.strip()


def _optional_str(table: dict[str, Any], key: str, where: str) -> str | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise DirectoryError(f"{where}: '{key}' must be a string")
    return value.strip() or None


def _str_list(table: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise DirectoryError(f"{where}: '{key}' must be a list of strings")
    return tuple(value)


def _flag(table: dict[str, Any], key: str, where: str, default: bool) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise DirectoryError(f"{where}: '{key}' must be true or false")
    return value


def parse_directory(text: str) -> Directory:
    """Parse and validate a directory TOML file (see ``devstack/directory.toml``)."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DirectoryError(f"not valid TOML: {exc}") from exc

    team = doc.get("team", {})
    if not isinstance(team, dict):
        raise DirectoryError("[team] must be a table")
    priorities = dict(DEFAULT_TIER_PRIORITIES)
    for tier, prio in (team.get("priorities") or {}).items():
        if tier not in TIERS:
            raise DirectoryError(f"[team.priorities]: unknown tier '{tier}' (one of {', '.join(TIERS)})")
        if prio not in PRIORITIES:
            raise DirectoryError(f"[team.priorities]: unknown priority '{prio}' (one of {', '.join(PRIORITIES)})")
        priorities[tier] = prio
    github = doc.get("github", {})
    if not isinstance(github, dict):
        raise DirectoryError("[github] must be a table")
    repos = _str_list(github, "repos", "[github]")
    for repo in repos:
        if repo.count("/") != 1 or not all(repo.split("/")):
            raise DirectoryError(f"[github]: repository '{repo}' must look like owner/name")
    settings = TeamSettings(
        team_name=_optional_str(team, "name", "[team]") or "Support",
        ticket_emoji=(_optional_str(team, "ticket_emoji", "[team]") or "ticket").strip(":"),
        triage_channel=_optional_str(team, "triage_channel", "[team]"),
        tier_priorities=priorities,
        github_repos=repos,
        github_issue_labels=tuple(lbl.lower() for lbl in _str_list(github, "issue_labels", "[github]"))
        if "issue_labels" in github else ("question", "support"),
        github_open_every_issue=_flag(github, "open_every_issue", "[github]", False),
        github_pull_request_comments=_flag(github, "pull_request_comments", "[github]", False),
    )

    members: list[TeamMember] = []
    seen: set[str] = set()
    slack_ids: set[str] = set()
    for i, raw in enumerate(doc.get("members", [])):
        where = f"[[members]] #{i + 1}"
        member = TeamMember(
            id=_require_str(raw, "id", where),
            name=_require_str(raw, "name", where),
            avatar_url=_require_str(raw, "avatar_url", where),
            slack_user_id=_optional_str(raw, "slack_user_id", where),
            email=_optional_str(raw, "email", where),
            github_login=_optional_str(raw, "github_login", where),
        )
        if member.id in seen:
            raise DirectoryError(f"{where}: duplicate member id '{member.id}'")
        if member.slack_user_id and member.slack_user_id in slack_ids:
            raise DirectoryError(f"{where}: Slack user '{member.slack_user_id}' is listed twice")
        seen.add(member.id)
        if member.slack_user_id:
            slack_ids.add(member.slack_user_id)
        members.append(member)

    customers: list[Customer] = []
    seen_customers: set[str] = set()
    channel_owner: dict[str, str] = {}
    for i, raw in enumerate(doc.get("customers", [])):
        where = f"[[customers]] #{i + 1}"
        tier = _require_str(raw, "tier", where)
        if tier not in TIERS:
            raise DirectoryError(f"{where}: unknown tier '{tier}' (one of {', '.join(TIERS)})")
        customer = Customer(
            id=_require_str(raw, "id", where),
            name=_require_str(raw, "name", where),
            tier=tier,
            slack_channels=_str_list(raw, "slack_channels", where),
            email_domains=tuple(d.lower().strip(".") for d in _str_list(raw, "email_domains", where)),
            github_orgs=tuple(o.lower() for o in _str_list(raw, "github_orgs", where)),
            surveys=_flag(raw, "surveys", where, True),
        )
        free = [d for d in customer.email_domains if is_free_mail(d)]
        if free:
            raise DirectoryError(f"{where}: '{free[0]}' is a free-mail domain: anyone can have an address there, "
                                 "so it cannot make someone a customer (list the customer's own domains)")
        if customer.id in seen_customers:
            raise DirectoryError(f"{where}: duplicate customer id '{customer.id}'")
        seen_customers.add(customer.id)
        for ch in customer.slack_channels:
            if ch in channel_owner:
                raise DirectoryError(f"{where}: channel {ch} already belongs to '{channel_owner[ch]}'")
            channel_owner[ch] = customer.id
        customers.append(customer)

    channels: list[CommunityChannel] = []
    for i, raw in enumerate(doc.get("community_channels", [])):
        where = f"[[community_channels]] #{i + 1}"
        channel = CommunityChannel(id=_require_str(raw, "id", where), name=_optional_str(raw, "name", where) or "")
        if channel.id in channel_owner:
            raise DirectoryError(f"{where}: channel {channel.id} is also a customer's dedicated channel")
        channels.append(channel)

    settings = replace(settings, **_time_settings(doc, team, members))
    return Directory(settings, tuple(members), tuple(customers), tuple(channels))


def _table(doc: dict[str, Any], key: str) -> dict[str, Any]:
    value = doc.get(key, {})
    if not isinstance(value, dict):
        raise DirectoryError(f"[{key}] must be a table")
    return value


def _number(table: dict[str, Any], key: str, where: str, default: float, *, minimum: float = 0.0) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= minimum:
        raise DirectoryError(f"{where}: '{key}' must be a number greater than {minimum:g}")
    return float(value)


def _time_settings(doc: dict[str, Any], team: dict[str, Any], members: list[TeamMember]) -> dict[str, Any]:
    """[team] timezone, [hours], [rotation], [targets], [community], [analytics]."""
    out: dict[str, Any] = {}
    hours = _table(doc, "hours")
    out["timezone"] = _optional_str(team, "timezone", "[team]") or "UTC"
    days = hours.get("days", ["mon", "tue", "wed", "thu", "fri"])
    if not isinstance(days, list) or not all(isinstance(d, str) for d in days):
        raise DirectoryError("[hours]: 'days' must be a list like [\"mon\", \"tue\"]")
    out["business_days"] = tuple(d.lower()[:3] for d in days)
    out["opens"] = _optional_str(hours, "opens", "[hours]") or "09:00"
    out["closes"] = _optional_str(hours, "closes", "[hours]") or "17:00"
    raw_holidays = hours.get("holidays", [])
    if not isinstance(raw_holidays, list):
        raise DirectoryError("[hours]: 'holidays' must be a list of dates")
    out["holidays"] = tuple(h.isoformat() if isinstance(h, dt.date) else str(h) for h in raw_holidays)
    out["after_hours_ack"] = _flag(hours, "acknowledge_after_hours", "[hours]", True)
    try:
        BusinessCalendar.from_config(out["timezone"], out["business_days"], out["opens"], out["closes"],
                                     out["holidays"])
    except CalendarError as exc:
        raise DirectoryError(f"[hours]/[team] timezone: {exc}") from exc

    rotation = _table(doc, "rotation")
    by_ref = {m.id: m for m in members} | {m.slack_user_id: m for m in members if m.slack_user_id}
    roster = []
    for ref in _str_list(rotation, "roster", "[rotation]"):
        member = by_ref.get(ref)
        if member is None:
            raise DirectoryError(f"[rotation]: '{ref}' in the roster is not a member id or Slack user id")
        if member.id in roster:
            raise DirectoryError(f"[rotation]: '{ref}' is in the roster twice")
        roster.append(member.id)
    out["rotation_roster"] = tuple(roster)
    sprint_days = rotation.get("sprint_days", 14)
    if isinstance(sprint_days, bool) or not isinstance(sprint_days, int) or sprint_days < 1:
        raise DirectoryError("[rotation]: 'sprint_days' must be a whole number of days, at least 1")
    out["sprint_days"] = sprint_days
    start = rotation.get("start")
    if roster and start is None:
        raise DirectoryError("[rotation]: 'start' (the first sprint's first day, e.g. 2026-11-16) is required")
    if start is not None:
        try:
            day = start if isinstance(start, dt.date) else dt.date.fromisoformat(str(start))
            out["sprint_start"] = day.isoformat()
        except ValueError as exc:
            raise DirectoryError(f"[rotation]: 'start' must be a date like 2026-11-16, not {start!r}") from exc
    out["announce_channel"] = _optional_str(rotation, "announce_channel", "[rotation]")
    out["topic_channel"] = _optional_str(rotation, "topic_channel", "[rotation]")
    out["assign_to_hero"] = _flag(rotation, "assign_new_tickets", "[rotation]", False)

    targets = dict(DEFAULT_TARGET_HOURS)
    for tier, table in _table(doc, "targets").items():
        where = f"[targets.{tier}]"
        if tier not in TIERS:
            raise DirectoryError(f"{where}: unknown tier '{tier}' (one of {', '.join(TIERS)})")
        if not isinstance(table, dict):
            raise DirectoryError(f"{where} must be a table like {{ first_response_hours = 1 }}")
        first = _number(table, "first_response_hours", where, targets[tier][0])
        targets[tier] = (first, _number(table, "next_response_hours", where, first))
    out["response_targets"] = targets
    out["community_missed_hours"] = _number(_table(doc, "community"), "missed_after_hours", "[community]", 4.0)
    out["digest_channel"] = _optional_str(_table(doc, "analytics"), "digest_channel", "[analytics]")
    surveys = _table(doc, "surveys")
    out["surveys"] = _flag(surveys, "enabled", "[surveys]", True)
    out["survey_grace_hours"] = _number(surveys, "grace_hours", "[surveys]", 1.0, minimum=-0.000001)
    cooldown = surveys.get("cooldown_days", 7)
    if isinstance(cooldown, bool) or not isinstance(cooldown, int) or cooldown < 0:
        raise DirectoryError("[surveys]: 'cooldown_days' must be a whole number of days, 0 or more")
    out["survey_cooldown_days"] = cooldown
    return out
