"""``/ticket person``: who someone is across Slack, email and GitHub; link or unlink two identities by hand."""

from __future__ import annotations

from chalicelib.channels.slack.mrkdwn import Mrkdwn, join, md
from chalicelib.desk.directory import Directory
from chalicelib.desk.people import Identity, requester_identity
from chalicelib.desk.people_views import find_person, link_people, person_view
from chalicelib.desk.tickets import InvalidInput, TicketService


def _identity(tickets: TicketService, ref: str) -> Identity:
    """``#12`` (that ticket's requester) or an identity an agent typed."""
    if ref.startswith("#"):
        identity = requester_identity(tickets.by_number(int(ref[1:])))
        if identity is None:
            raise InvalidInput(f"ticket {ref} has no requester to speak of")
        return identity
    return Identity.parse(ref)


def person_answer(tickets: TicketService, directory: Directory, arg: str) -> Mrkdwn:
    """``arg`` is ``show|link|unlink`` and its references, as :func:`commands.parse` made it."""
    sub, *refs = arg.split()
    people = tickets.people
    identities = [_identity(tickets, r) for r in refs]
    head: Mrkdwn | None = None
    if sub == "link":
        person = link_people(people, directory, identities[0], identities[1])
        head = md("Linked: {} and {} are one person now.", identities[0].key, identities[1].key)
    elif sub == "unlink":
        _left, person = people.unlink(identities[0], directory)
        head = md("Unlinked: {} is a person of their own now, and stays apart from the others.",
                  identities[0].key)
    else:
        person = find_person(people, identities[0])
    view = person_view(people, directory, person)
    lines = [md("*{}* · {} ({}) · {}", view["name"] or view["id"], view["company"]["name"], view["tier"],
                ", ".join(view["identities"]))]
    shown = view["tickets"]
    lines.append(md("{} ticket{}, {} open", len(shown), "" if len(shown) == 1 else "s", len(view["open"])))
    lines += [md("• *#{}* {} ({}, {})", t["number"], t["subject"], t["channel"], t["status"]) for t in shown[:5]]
    return join("\n", [head, *lines] if head else lines)
