"""Feedback a Support Hero stint turned up: what its tickets were tagged, which GitHub issues they were
linked to (and how many people, of which tiers, asked about each), and the bugs and feature requests.

Read from the tickets *created* during the stint: the stint's first and last days are team-local dates,
so the window is local midnight of the first day up to local midnight after the last one, in UTC
(:func:`stint_bounds`).  One paged Query on ``by_listing`` through the ticket store, never a Scan,
and at most ``max_tickets`` tickets (:data:`MAX_TICKETS`): beyond that the oldest tickets of the stint
are left out and the answer says ``"truncated": true``.

People, not identities: two tickets opened by one person (from Slack and by email, say) count once
for an issue.  ``people_of(keys)`` maps requester identity keys (``slack:U123``, ``email:sam@acme.example``,
``github:octocat``) to person ids; a key it does not answer for is a person of its own.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from chalicelib.desk.directory import Directory, TeamSettings
from chalicelib.desk.links import IssueRef
from chalicelib.desk.rotation import Sprint
from chalicelib.desk.ticket_store import TicketStore
from chalicelib.desk.ticket_types import number_of
from chalicelib.models.tickets import Ticket
from chalicelib.platform.clock import Clock

MAX_TICKETS = 3000  # a stint is two weeks: a few hundred tickets is a busy one
FEEDBACK_TAGS = ("bug", "feature-request")  # the tags that make a ticket a request to the product team
COMMUNITY = "community"

PeopleOf = Callable[[Sequence[str]], dict[str, str]]


def requester_key(ticket: Ticket) -> str:
    """The requester's identity key: ``ticket.requester_key``, or for a ticket opened before it was kept,
    ``<channel>:<requester id>`` (the contact form's requester is an email address; addresses and GitHub
    logins lower-cased, as identities are).  A ticket without a requester is a person of its own."""
    if ticket.requester_key:
        return ticket.requester_key
    requester = (ticket.requester_id or "").strip()
    if not requester:
        return f"ticket:{ticket.ticket_id}"
    kind = "email" if ticket.channel == "contact" else (ticket.channel or "unknown")
    return f"{kind}:{requester.lower() if kind in ('email', 'github') else requester}"


def stint_bounds(settings: TeamSettings, sprint: Sprint) -> tuple[dt.datetime, dt.datetime]:
    """The stint in UTC: from local midnight of its first day to local midnight after its last
    (the end excluded, so one stint's end is the next one's start)."""
    zone = settings.calendar().zone

    def midnight(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(dt.UTC)

    return midnight(sprint.start), midnight(sprint.end + dt.timedelta(days=1))


@dataclass
class _Issue:
    name: str
    url: str | None
    tickets: set[int] = field(default_factory=set)
    people: set[str] = field(default_factory=set)
    tiers: dict[str, set[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"issue": self.name, "url": self.url, "tickets": sorted(self.tickets), "people": len(self.people),
                "tiers": {tier: len(people) for tier, people in sorted(self.tiers.items())}}


def _company(directory: Directory, customer_id: str | None) -> str:
    """The customer's name from the directory; ``community`` without one (an unknown id is shown as is)."""
    if not customer_id:
        return COMMUNITY
    customer = next((c for c in directory.customers if c.id == customer_id), None)
    return customer.name if customer else customer_id


class Feedback:
    def __init__(self, *, clock: Clock, tickets: TicketStore, people_of: PeopleOf,
                 max_tickets: int = MAX_TICKETS) -> None:
        self.clock = clock
        self.tickets = tickets
        self.people_of = people_of
        self.max_tickets = max_tickets

    def for_stint(self, directory: Directory, sprint: Sprint) -> dict[str, Any]:
        """The stint's feedback, JSON-ready (see the module docstring)."""
        first, before = stint_bounds(directory.settings, sprint)
        found, truncated = self.tickets.created_in(first, before, limit=self.max_tickets)
        tickets = [t for t in found if t.kind == "ticket" and number_of(t) is not None]
        hero = directory.member(sprint.hero) if sprint.hero else None
        return {
            "stint": sprint.number, "start": sprint.start.isoformat(), "end": sprint.end.isoformat(),
            "timezone": directory.settings.timezone, "hero": sprint.hero, "hero_name": hero.name if hero else None,
            "tickets": len(tickets), "truncated": truncated, "generated_at": self.clock.now().isoformat(),
            "tags": self._tags(tickets), "issues": self._issues(tickets),
            "requests": self._requests(directory, tickets),
        }

    @staticmethod
    def _tags(tickets: Iterable[Ticket]) -> list[dict[str, Any]]:
        """Each tag and how many tickets carry it: most used first, then by name."""
        counts = Counter(tag for t in tickets for tag in set(t.tags or ()))
        return [{"tag": tag, "count": n} for tag, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]

    def _issues(self, tickets: Sequence[Ticket]) -> list[dict[str, Any]]:
        """Each linked issue with its tickets, the distinct people who asked and how many of them per tier:
        most people first."""
        linked = [t for t in tickets if t.links]
        keys = sorted({requester_key(t) for t in linked})
        persons = self.people_of(keys) if keys else {}
        issues: dict[str, _Issue] = {}
        for ticket in linked:
            key = requester_key(ticket)
            person = persons.get(key) or key
            tier = ticket.tier or COMMUNITY
            for raw in sorted(ticket.links or ()):
                ref = IssueRef.parse(raw)
                name = ref.key if ref else raw
                issue = issues.setdefault(name.lower(), _Issue(name, ref.url if ref else None))
                issue.tickets.add(int(number_of(ticket) or 0))
                issue.people.add(person)
                issue.tiers.setdefault(tier, set()).add(person)
        ranked = sorted(issues.values(), key=lambda i: (-len(i.people), -len(i.tickets), i.name.lower()))
        return [issue.as_dict() for issue in ranked]

    @staticmethod
    def _requests(directory: Directory, tickets: Iterable[Ticket]) -> list[dict[str, Any]]:
        """Tickets tagged ``bug`` or ``feature-request``, newest first, with the requester's company."""
        found = []
        for t in tickets:
            kinds = sorted(set(t.tags or ()) & set(FEEDBACK_TAGS))
            if not kinds:
                continue
            found.append((t.created_at or dt.datetime.min.replace(tzinfo=dt.UTC), int(number_of(t) or 0), {
                "number": number_of(t), "subject": t.subject, "status": t.status, "tags": kinds,
                "company": _company(directory, t.customer_id), "tier": t.tier or COMMUNITY,
                "created_at": t.created_at.isoformat() if t.created_at else None,
            }))
        found.sort(key=lambda row: (row[0], row[1]), reverse=True)
        return [row[2] for row in found]
