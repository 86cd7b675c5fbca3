"""People as the agent API and the pages show them: identities, company, tier and tickets, newest first.

The use cases behind ``/api/people`` and ``/ticket person`` (find, show, link, unlink); storage is
:mod:`chalicelib.desk.people`'s.
"""

from __future__ import annotations

from typing import Any

from chalicelib.desk.directory import Directory
from chalicelib.desk.people import Identity, PeopleStore, Person, PersonNotFound, requester_identity
from chalicelib.desk.ticket_types import InvalidInput
from chalicelib.desk.ticket_views import iso
from chalicelib.models.tickets import Ticket

TICKETS_SHOWN = 100


def ticket_brief(t: Ticket) -> dict[str, Any]:
    return {"number": int(t.number or 0), "subject": t.subject, "status": t.status, "channel": t.channel,
            "priority": t.priority, "assignee": t.assignee, "created_at": iso(t.created_at),
            "requester": t.requester_key}


def person_view(people: PeopleStore, directory: Directory, person: Person) -> dict[str, Any]:
    """A person with every ticket of theirs across channels, newest first (one Query per identity)."""
    tickets = people.tickets(person, limit=TICKETS_SHOWN)
    return {**person.as_dict(directory), "tickets": [ticket_brief(t) for t in tickets],
            "open": [int(t.number or 0) for t in tickets if t.status in ("new", "open", "pending")],
            "truncated": len(tickets) >= TICKETS_SHOWN}


def find_person(people: PeopleStore, identity: Identity) -> Person:
    person = people.find(identity)
    if person is None:
        raise PersonNotFound(f"nobody is known as {identity.key}")
    return person


def is_team(directory: Directory, identity: Identity) -> bool:
    lookup = {"slack": directory.member_by_slack, "email": directory.member_by_email,
              "github": directory.member_by_github}[identity.kind]
    return lookup(identity.value) is not None


def link_people(people: PeopleStore, directory: Directory, a: Identity, b: Identity) -> Person:
    """An agent links two identities (never a team member's: the team is not a customer)."""
    for identity in (a, b):
        if is_team(directory, identity):
            raise InvalidInput(f"{identity.key} is a team member, not a customer")
    return people.link(a, b, directory)


def requester_view(people: PeopleStore, directory: Directory, ticket: Ticket) -> dict[str, Any]:
    """Who asked, for a ticket's detail: their person, company and tier, and their other tickets now."""
    identity = requester_identity(ticket)
    person = people.find(identity) if identity is not None else None
    if person is None or identity is None:
        return {"identity": identity.key if identity else None, "person": None, "company": None, "tier": ticket.tier,
                "earlier": {"count": 0, "open": [], "last": []}}
    earlier = people.earlier(person, before=ticket.created_at, exclude=ticket.ticket_id) if ticket.created_at \
        else {"count": 0, "open": [], "last": []}
    shown = person.as_dict(directory)
    return {"identity": identity.key, "person": person.id, "company": shown["company"], "tier": shown["tier"],
            "identities": shown["identities"], "earlier": {k: v for k, v in earlier.items() if k != "person"}}


def earlier_line(earlier: dict[str, Any] | None) -> str | None:
    """"1 earlier ticket (#12 solved); 1 still open: #14" — plain text, for any surface to escape."""
    if not earlier or not earlier.get("count"):
        return None
    n = int(earlier["count"])
    last = ", ".join(f"#{e['number']} {e.get('status') or ''}".strip() for e in earlier.get("last") or [])
    text = f"{n} earlier ticket{'s' if n != 1 else ''}" + (f" (last: {last})" if last else "")
    still = earlier.get("open") or []
    if still:
        text += f"; {len(still)} still open: " + ", ".join(f"#{x}" for x in still[:3])
    return text
