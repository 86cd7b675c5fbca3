"""Who is on the team, who the customers are, which channels we watch.

This is data, loaded from a TOML file by ``python -m chalicelib.cli load-directory``,
stored in the directory table, and read by the worker with one Query (cached for a
minute per container).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from functools import lru_cache
from typing import Any

from chalicelib.desk.calendar import BusinessCalendar

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
    github_orgs: tuple[str, ...] = ()  # people in these GitHub orgs belong to this customer
    surveys: bool = True  # False: this customer's people are never asked for their satisfaction


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
    # Satisfaction surveys (chalicelib.desk.surveys): asked once a solved ticket stayed solved this long.
    surveys: bool = True
    survey_grace_hours: float = 1.0  # business hours
    survey_cooldown_days: int = 7  # never ask one person more often

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
            d["github_orgs"] = list(c.github_orgs)
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
        for key in ("sprint_days", "survey_cooldown_days"):
            if key in raw:
                raw[key] = int(raw[key])
        for key in ("community_missed_hours", "survey_grace_hours"):
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
                        github_orgs=tuple(data.get("github_orgs") or ()),
                        surveys=bool(data.get("surveys", True)),
                    )
                )
            elif kind == "channel":
                channels.append(CommunityChannel(**data))
        return cls(settings, tuple(members), tuple(customers), tuple(channels))


def parse_directory(text: str) -> Directory:
    """Parse and validate a directory TOML file (see ``devstack/directory.toml``).

    The parser is :mod:`chalicelib.desk.directory_file`'s (imported when a file is loaded)."""
    from chalicelib.desk.directory_file import parse_directory as parse

    return parse(text)
