"""Who is on the team, who the customers are, which channels we watch.

This is data, loaded from a TOML file by ``python -m chalicelib.cli load-directory``,
stored in the directory table, and read by the worker with one Query (cached for a
minute per container).
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import asdict, dataclass, field, fields, replace
from functools import lru_cache
from typing import Any

from chalicelib.desk.calendar import BusinessCalendar, CalendarError

TIERS = ("community", "scale", "enterprise")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_TARGET_HOURS = {"enterprise": (1.0, 1.0), "scale": (4.0, 4.0), "community": (24.0, 24.0)}
PRIORITIES = ("low", "normal", "high", "urgent")
DEFAULT_TIER_PRIORITIES = {"enterprise": "high", "scale": "normal", "community": "normal"}


class DirectoryError(ValueError):
    """The directory file is invalid; the message says where."""


@lru_cache(maxsize=8)
def _calendar(timezone: str, days: tuple[str, ...], opens: str, closes: str,
              holidays: tuple[str, ...]) -> BusinessCalendar:
    return BusinessCalendar.from_config(timezone, days, opens, closes, holidays)


@dataclass(frozen=True)
class TeamMember:
    id: str
    name: str
    avatar_url: str
    slack_user_id: str | None = None
    email: str | None = None
    github_login: str | None = None


@dataclass(frozen=True)
class Customer:
    id: str
    name: str
    tier: str
    slack_channels: tuple[str, ...] = ()
    email_domains: tuple[str, ...] = ()


@dataclass(frozen=True)
class CommunityChannel:
    id: str
    name: str = ""


@dataclass(frozen=True)
class TeamSettings:
    team_name: str = "Support"
    ticket_emoji: str = "ticket"
    triage_channel: str | None = None
    tier_priorities: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_TIER_PRIORITIES))
    github_repos: tuple[str, ...] = ()
    github_issue_labels: tuple[str, ...] = ("question", "support")
    github_open_every_issue: bool = False
    github_pull_request_comments: bool = False
    # Business calendar (chalicelib.desk.calendar): IANA zone, open days, hours, holidays (ISO dates).
    timezone: str = "UTC"
    business_days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")
    opens: str = "09:00"
    closes: str = "17:00"
    holidays: tuple[str, ...] = ()
    after_hours_ack: bool = True  # a customer who writes while the team is away is told when it is back
    # Support Hero rotation: member ids in order, sprint length, the first sprint's first day.
    rotation_roster: tuple[str, ...] = ()
    sprint_days: int = 14
    sprint_start: str | None = None
    announce_channel: str | None = None  # where a new Hero is announced (default: the triage channel)
    topic_channel: str | None = None  # whose topic names the Hero (default: the first community channel)
    assign_to_hero: bool = False  # new unassigned tickets are assigned to the Hero (else the Hero is told)
    # Response-time targets in business hours per tier: [first response, next response].
    response_targets: dict[str, tuple[float, float]] = field(default_factory=lambda: dict(DEFAULT_TARGET_HOURS))
    community_missed_hours: float = 4.0  # an unanswered community question goes to the Hero after this
    digest_channel: str | None = None  # the weekly analytics digest (default: the triage channel)

    def calendar(self) -> BusinessCalendar:
        return _calendar(self.timezone, self.business_days, self.opens, self.closes, self.holidays)

    def target_hours(self, tier: str | None, kind: str) -> float:
        first, nxt = self.response_targets.get(tier or "community") or DEFAULT_TARGET_HOURS["community"]
        return float(first if kind == "first" else nxt)

    @property
    def hero_channel(self) -> str | None:
        return self.announce_channel or self.triage_channel

    @property
    def analytics_channel(self) -> str | None:
        return self.digest_channel or self.triage_channel

    def watches(self, repo: str | None) -> bool:
        return bool(repo) and (repo or "").lower() in {r.lower() for r in self.github_repos}

    def priority_for(self, tier: str | None) -> str:
        return self.tier_priorities.get(tier or "community", "normal")


@dataclass(frozen=True)
class Directory:
    settings: TeamSettings
    members: tuple[TeamMember, ...]
    customers: tuple[Customer, ...]
    community_channels: tuple[CommunityChannel, ...]

    _by_slack: dict[str, TeamMember] = field(init=False, repr=False, compare=False)
    _by_id: dict[str, TeamMember] = field(init=False, repr=False, compare=False)
    _by_channel: dict[str, Customer] = field(init=False, repr=False, compare=False)
    _community: frozenset[str] = field(init=False, repr=False, compare=False)
    _by_domain: dict[str, Customer] = field(init=False, repr=False, compare=False)
    _by_email: dict[str, TeamMember] = field(init=False, repr=False, compare=False)
    _by_github: dict[str, TeamMember] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Lookup tables derived once (the dataclass is frozen, hence object.__setattr__).
        object.__setattr__(self, "_by_slack", {m.slack_user_id: m for m in self.members if m.slack_user_id})
        object.__setattr__(self, "_by_id", {m.id: m for m in self.members})
        object.__setattr__(self, "_by_channel", {c: cust for cust in self.customers for c in cust.slack_channels})
        object.__setattr__(self, "_community", frozenset(c.id for c in self.community_channels))
        object.__setattr__(self, "_by_domain", {d.lower(): c for c in self.customers for d in c.email_domains})
        object.__setattr__(self, "_by_email", {m.email.lower(): m for m in self.members if m.email})
        object.__setattr__(self, "_by_github", {m.github_login.lower(): m for m in self.members if m.github_login})

    def member_by_slack(self, user_id: str | None) -> TeamMember | None:
        return self._by_slack.get(user_id) if user_id else None

    def member(self, member_id: str) -> TeamMember | None:
        return self._by_id.get(member_id)

    def customer_for_channel(self, channel_id: str) -> Customer | None:
        return self._by_channel.get(channel_id)

    def customer_for_email(self, address: str | None) -> Customer | None:
        """The customer whose email domain (or a parent domain of it) the address is at."""
        if not address or "@" not in address:
            return None
        domain = address.rsplit("@", 1)[1].lower()
        while domain:
            if domain in self._by_domain:
                return self._by_domain[domain]
            domain = domain.partition(".")[2]
        return None

    def member_by_github(self, login: str | None) -> TeamMember | None:
        return self._by_github.get(login.lower()) if login else None

    def member_by_email(self, address: str | None) -> TeamMember | None:
        return self._by_email.get(address.lower()) if address else None

    def is_community_channel(self, channel_id: str) -> bool:
        return channel_id in self._community

    def to_items(self) -> dict[str, dict[str, Any]]:
        """Directory rows keyed by sort key, as stored in the ``DIR`` partition."""
        items: dict[str, dict[str, Any]] = {"settings": asdict(self.settings)}
        for m in self.members:
            items[f"member#{m.id}"] = asdict(m)
        for c in self.customers:
            d = asdict(c)
            d["slack_channels"] = list(c.slack_channels)
            d["email_domains"] = list(c.email_domains)
            items[f"customer#{c.id}"] = d
        for ch in self.community_channels:
            items[f"channel#{ch.id}"] = asdict(ch)
        return items

    @classmethod
    def from_items(cls, items: dict[str, dict[str, Any]]) -> Directory:
        raw = dict(items.get("settings") or {})
        known = {f.name for f in fields(TeamSettings)}
        raw = {k: v for k, v in raw.items() if k in known}  # rows written by a newer version
        for key, value in list(raw.items()):
            if isinstance(value, list):
                raw[key] = tuple(value)
        if "response_targets" in raw:
            raw["response_targets"] = {k: (float(v[0]), float(v[1])) for k, v in raw["response_targets"].items()}
        for key in ("sprint_days",):
            if key in raw:
                raw[key] = int(raw[key])
        for key in ("community_missed_hours",):
            if key in raw:
                raw[key] = float(raw[key])
        settings = TeamSettings(**raw)
        members, customers, channels = [], [], []
        for sk, data in sorted(items.items()):
            kind = sk.split("#", 1)[0]
            if kind == "member":
                members.append(TeamMember(**data))
            elif kind == "customer":
                customers.append(
                    Customer(
                        id=data["id"], name=data["name"], tier=data["tier"],
                        slack_channels=tuple(data.get("slack_channels") or ()),
                        email_domains=tuple(data.get("email_domains") or ()),
                    )
                )
            elif kind == "channel":
                channels.append(CommunityChannel(**data))
        return cls(settings, tuple(members), tuple(customers), tuple(channels))


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
    for key in ("open_every_issue", "pull_request_comments"):
        if not isinstance(github.get(key, False), bool):
            raise DirectoryError(f"[github]: '{key}' must be true or false")
    settings = TeamSettings(
        team_name=_optional_str(team, "name", "[team]") or "Support",
        ticket_emoji=(_optional_str(team, "ticket_emoji", "[team]") or "ticket").strip(":"),
        triage_channel=_optional_str(team, "triage_channel", "[team]"),
        tier_priorities=priorities,
        github_repos=repos,
        github_issue_labels=tuple(lbl.lower() for lbl in _str_list(github, "issue_labels", "[github]"))
        if "issue_labels" in github else ("question", "support"),
        github_open_every_issue=bool(github.get("open_every_issue", False)),
        github_pull_request_comments=bool(github.get("pull_request_comments", False)),
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
            email_domains=tuple(d.lower() for d in _str_list(raw, "email_domains", where)),
        )
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
    if not isinstance(hours.get("acknowledge_after_hours", True), bool):
        raise DirectoryError("[hours]: 'acknowledge_after_hours' must be true or false")
    out["after_hours_ack"] = bool(hours.get("acknowledge_after_hours", True))
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
    if not isinstance(rotation.get("assign_new_tickets", False), bool):
        raise DirectoryError("[rotation]: 'assign_new_tickets' must be true or false")
    out["assign_to_hero"] = bool(rotation.get("assign_new_tickets", False))

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
    return out
