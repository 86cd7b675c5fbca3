"""Tickets linked to GitHub issues, so that closing an issue reaches everyone who asked.

Stored in the directory table (generic pk/sk): ``LINK#<repo>#<n>`` / ``<ticket id>`` for the
fan-out (one Query per issue), and ``ISSUE#open`` / ``<repo>#<n>`` for the nightly reconciler
(one paged Query over the linked issues that are still open).  This module owns both kinds.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from chalicelib.desk.ticket_store import TicketStore
from chalicelib.models.directory import DirectoryItem
from chalicelib.models.tickets import Ticket
from chalicelib.platform.clock import Clock

ISSUE_URL = re.compile(r"https://github\.com/([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)/(?:issues|pull)/(\d+)")
ISSUE_REF = re.compile(r"^([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)#(\d+)$")
OPEN_ISSUES = "ISSUE#open"


@dataclass(frozen=True)
class IssueRef:
    repo: str
    number: int

    @property
    def key(self) -> str:
        return f"{self.repo}#{self.number}"

    @property
    def url(self) -> str:
        return f"https://github.com/{self.repo}/issues/{self.number}"

    @classmethod
    def parse(cls, text: str) -> IssueRef | None:
        text = text.strip()
        match = ISSUE_URL.fullmatch(text) or ISSUE_REF.match(text)
        return cls(match.group(1), int(match.group(2))) if match else None


def issues_in(text: str | None) -> list[IssueRef]:
    return [IssueRef(m.group(1), int(m.group(2))) for m in ISSUE_URL.finditer(text or "")]


def _link_pk(issue: IssueRef) -> str:
    return f"LINK#{issue.repo.lower()}#{issue.number}"


def _open_issue(issue: IssueRef, title: str | None, now: dt.datetime) -> DirectoryItem:
    """The reconciler's entry for an issue that is still open."""
    return DirectoryItem(OPEN_ISSUES, issue.key.lower(), data={"repo": issue.repo, "number": issue.number,
                                                               "title": title}, updated_at=now)


class LinkStore:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.tickets = TicketStore()  # the ticket's own list of its links lives on the ticket item

    def link(self, ticket: Ticket, issue: IssueRef, *, title: str | None = None) -> bool:
        """Idempotent. Returns False when the ticket was already linked to the issue."""
        if issue.key in (ticket.links or set()):
            return False
        now = self.clock.now()
        with DirectoryItem.batch_write() as batch:
            batch.save(DirectoryItem(_link_pk(issue), ticket.ticket_id,
                                     data={"ticket_id": ticket.ticket_id, "number": ticket.number}, updated_at=now))
            batch.save(_open_issue(issue, title, now))
        self.tickets.add_links(ticket, {issue.key})
        return True

    def tickets_for(self, issue: IssueRef) -> list[str]:
        return [item.sk for item in DirectoryItem.query(_link_pk(issue))]

    def mark_state(self, issue: IssueRef, state: str, title: str | None) -> None:
        if state == "closed":
            DirectoryItem(OPEN_ISSUES, issue.key.lower()).delete()
        else:
            _open_issue(issue, title, self.clock.now()).save()

    def open_issues(self, limit: int) -> list[IssueRef]:
        found = []
        for item in DirectoryItem.query(OPEN_ISSUES, limit=limit):
            data = item.data or {}
            found.append(IssueRef(str(data["repo"]), int(data["number"])))
        return found
