"""Who is on the team, who the customers are, which channels we watch.

This is data, loaded from a TOML file by ``python -m chalicelib.cli load-directory``,
stored in the directory table, and read by the worker with one Query (cached for a
minute per container).
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field
from typing import Any

TIERS = ("community", "scale", "enterprise")
PRIORITIES = ("low", "normal", "high", "urgent")
DEFAULT_TIER_PRIORITIES = {"enterprise": "high", "scale": "normal", "community": "normal"}


class DirectoryError(ValueError):
    """The directory file is invalid; the message says where."""


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
        for key in ("github_repos", "github_issue_labels"):
            if key in raw:
                raw[key] = tuple(raw[key])
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

    return Directory(settings, tuple(members), tuple(customers), tuple(channels))
