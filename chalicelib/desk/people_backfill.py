"""``python -m chalicelib.cli backfill-people``: tickets opened before people existed get their requester's
identity (``requester_key``, so they show in the person's history) and a person each.

Pages through the ``by_listing`` index (Queries, like ``rebuild-metrics``); safe to run twice.  Mail that
failed authentication is kept under ``unverified:<address>`` as the intake does today.
"""

from __future__ import annotations

from typing import Any

from chalicelib.desk.directory import Directory
from chalicelib.desk.people import PeopleStore, requester_identity
from chalicelib.desk.people_views import is_team
from chalicelib.desk.ticket_store import TicketStore

UNVERIFIED_TAGS = frozenset({"spf-fail", "dkim-fail", "dmarc-fail", "unverified-team-address"})


def backfill(store: TicketStore, people: PeopleStore, directory: Directory, *, page: int = 200) -> dict[str, int]:
    counts = {"tickets": 0, "keyed": 0, "unverified": 0, "people": 0}
    start: dict[str, Any] | None = None
    while True:
        results = store.listing(limit=page, start=start)
        for ticket in results:
            counts["tickets"] += 1
            if ticket.requester_key or ticket.kind != "ticket":
                continue
            identity = requester_identity(ticket)
            if identity is None:
                continue
            if identity.kind == "email" and UNVERIFIED_TAGS & set(ticket.tags or ()):
                store.update(ticket, {"requester_key": f"unverified:{identity.value}"}, versioned=False)
                counts["unverified"] += 1
                continue
            store.update(ticket, {"requester_key": identity.key}, versioned=False)
            counts["keyed"] += 1
            if not is_team(directory, identity) and people.find(identity) is None:
                people.identify(identity, directory, name=ticket.requester_name)
                counts["people"] += 1
        start = results.last_evaluated_key
        if not start:
            return counts
