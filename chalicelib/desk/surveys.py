"""Satisfaction, asked once: "How did we do?" after a ticket stayed solved for a grace period.

* **Scheduling.** Solving a ticket (:mod:`chalicelib.desk.triage`) sets ``survey_at`` to the grace
  period later in business time (``[surveys] grace_hours``, default 1) on the sparse ``by_survey`` index;
  reopening clears it.  The ``surveys`` job Queries what is due (never a Scan).
* **Asking.** Once per ticket, in its own channel (each channel registers a sender: Slack buttons in the
  ticket's thread, an email with two signed one-click links).  Never a bot, an auto-submitted or
  unauthenticated sender, a team member, a customer opted out in the directory, or the same person twice
  in ``cooldown_days`` (7): the person's claim, the ticket's state and the outbox step that sends the
  survey are one transaction.
* **Recording.** The first rating wins; it is written with an audit line and the analytics' increments
  in one transaction (so counted once), and a bad one tells the owner and the Hero (:class:`TicketRated`
  step subscribers).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pynamodb.exceptions import TransactWriteError

from chalicelib.desk import analytics
from chalicelib.desk.directory import Directory
from chalicelib.desk.directory_store import DirectoryStore
from chalicelib.desk.events import Events, TicketRated
from chalicelib.desk.outbox import Attempt, Outbox, PermanentFailure, Step
from chalicelib.desk.people import PeopleStore, requester_identity
from chalicelib.desk.people_views import is_team
from chalicelib.desk.ticket_store import reasons
from chalicelib.desk.ticket_types import SOLVED, InvalidInput, message_key, number_of
from chalicelib.desk.tickets import TicketService
from chalicelib.models.outbox import OutboxItem
from chalicelib.models.tickets import Ticket
from chalicelib.platform.clock import Clock
from chalicelib.platform.observability import count, logger

SEND = "survey.send"
GOOD, BAD = "good", "bad"
RATINGS = (GOOD, BAD)
ASKED = "asked"
MAX_COMMENT = 2000
MAX_ATTEMPTS = 4

# A sender puts the survey in front of the requester in the ticket's channel; returns its reference.
Sender = Callable[[Ticket, Attempt], str]


@dataclass
class SweepReport:
    job: str = "surveys"
    did: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"job": self.job, "did": self.did, "skipped": self.skipped}


class Surveys:
    def __init__(self, *, clock: Clock, tickets: TicketService, directory: DirectoryStore, outbox: Outbox,
                 events: Events) -> None:
        self.clock = clock
        self.tickets = tickets
        self.store = tickets.store
        self.people: PeopleStore = tickets.people
        self.directory = directory
        self.outbox = outbox
        self.events = events
        self.senders: dict[str, Sender] = {}
        outbox.register(SEND, self.send_step)

    def register(self, channel: str, sender: Sender) -> None:
        """A channel that can survey its requesters (GitHub does not register: it is not surveyed)."""
        self.senders[channel] = sender

    # -- asking -------------------------------------------------------------------------------------------
    def sweep(self, limit: int = 200) -> SweepReport:
        """Every survey whose time has come (the sparse ``by_survey`` index, soonest first)."""
        report = SweepReport()
        for ticket in self.store.surveys_due(self.clock.now(), limit=limit):
            outcome = self.ask(ticket)
            (report.did if outcome == ASKED else report.skipped).append(f"#{ticket.number}: {outcome}")
        return report

    def skip_reason(self, ticket: Ticket, directory: Directory) -> str | None:
        """Why this ticket's requester is not to be asked (None: ask them)."""
        settings = directory.settings
        if not settings.surveys:
            return "surveys-off"
        if ticket.channel not in self.senders:
            return "channel-not-surveyed"
        identity = requester_identity(ticket)
        if identity is None:
            return "no-verified-requester"  # a bot, a deleted user, mail that failed authentication
        if is_team(directory, identity):
            return "team-member"
        origin = ticket.origin or {}
        if "auto-submitted" in (ticket.tags or ()) or origin.get("loop_guard"):
            return "auto-submitted"
        customer = next((c for c in directory.customers if c.id == ticket.customer_id), None)
        if customer is not None and not customer.surveys:
            return "opted-out"
        return None

    def ask(self, ticket: Ticket) -> str:
        """Ask once (or say why not); safe to run again."""
        fresh = self.tickets.find(ticket.ticket_id) or ticket
        now = self.clock.now()
        if fresh.survey_state or fresh.csat:
            return fresh.survey_state or "rated"
        if fresh.status != SOLVED:
            self.store.update(fresh, {"survey_due": None, "survey_at": None})
            return "reopened"
        if fresh.survey_at and fresh.survey_at > now:
            return "not-yet"
        directory = self.directory.load()
        why = self.skip_reason(fresh, directory)
        if why is not None:
            self._settle(fresh, f"skipped:{why}")
            return f"skipped:{why}"
        identity = requester_identity(fresh)
        assert identity is not None
        person = self.people.find(identity)
        claim = self.people.survey_claim(person.id if person else identity.key, now=now,
                                         days=directory.settings.survey_cooldown_days)
        step = Step(f"{SEND}:{fresh.ticket_id}"[:400], SEND, {"ticket_id": fresh.ticket_id},
                    ticket_id=fresh.ticket_id, ticket_number=number_of(fresh),
                    summary=f"satisfaction survey for #{fresh.number} by {fresh.channel}")
        try:
            with self.store.transaction() as write:
                write.tx.save(claim.item, condition=claim.condition)
                write.update_ticket(fresh, {"survey_state": ASKED, "survey_due": None, "survey_at": None,
                                            "updated_at": now})
                self._audit(write, fresh, "satisfaction survey sent", now)
                write.tx.save(self.outbox.item(step), condition=OutboxItem.step_id.does_not_exist())
        except TransactWriteError as exc:
            why_failed = reasons(exc)
            if why_failed and why_failed[0] == "ConditionalCheckFailed":
                self._settle(fresh, "skipped:asked-recently")
                return "skipped:asked-recently"
            if "ConditionalCheckFailed" in why_failed:
                return "changed-meanwhile"  # the next sweep looks again
            raise
        self.outbox.written([step])
        count("SurveysAsked")
        return ASKED

    def _settle(self, ticket: Ticket, state: str) -> None:
        self.store.update(ticket, {"survey_state": state, "survey_due": None, "survey_at": None})

    @staticmethod
    def _audit(write: Any, ticket: Ticket, text: str, at: dt.datetime, by: tuple[str, str] = ("system", "Survey"),
               ) -> None:
        write.audit(ticket.ticket_id, message_key(at, f"audit:{uuid.uuid4().hex}"), author_id=by[0],
                    author_name=by[1], text=text, at=at)

    def send_step(self, attempt: Attempt) -> str:
        ticket = self.tickets.find(str(attempt.payload["ticket_id"]))
        if ticket is None or ticket.kind != "ticket":
            raise PermanentFailure("the ticket no longer exists")
        sender = self.senders.get(str(ticket.channel))
        if sender is None:
            raise PermanentFailure(f"the {ticket.channel} channel does not survey")
        if ticket.csat:
            return "already-rated"
        return sender(ticket, attempt)

    # -- recording ----------------------------------------------------------------------------------------
    def rate(self, ticket: Ticket, rating: str, *, by: tuple[str, str]) -> tuple[Ticket, bool]:
        """Record ``rating`` (good | bad) once: returns (ticket, recorded); the first rating stays."""
        if rating not in RATINGS:
            raise InvalidInput("rating must be good or bad")
        for _ in range(MAX_ATTEMPTS):
            fresh = self.tickets.find(ticket.ticket_id)
            if fresh is None or fresh.kind != "ticket":
                raise InvalidInput("that ticket no longer exists")
            if fresh.csat:
                return fresh, False
            if fresh.survey_state != ASKED:
                raise InvalidInput("this ticket was not surveyed")
            now = self.clock.now()
            fresh.csat, fresh.csat_at, fresh.csat_owner = rating, now, fresh.assignee
            settings = self.directory.load().settings
            deltas = analytics.rating_changes(fresh, rating, now, settings)
            steps = self.events.steps(TicketRated(fresh, rating))
            try:
                with self.store.transaction() as write:
                    write.update_ticket(fresh, {"csat": rating, "csat_at": now, "csat_owner": fresh.assignee,
                                                "updated_at": now})
                    analytics.add_to_transaction(write.tx, deltas)  # once: under the version we read
                    self._audit(write, fresh, f"satisfaction: {rating}", now, by)
                    for step in steps:
                        write.tx.save(self.outbox.item(step), condition=OutboxItem.step_id.does_not_exist())
            except TransactWriteError as exc:
                if "ConditionalCheckFailed" in reasons(exc):
                    continue  # someone else changed it: read again (a rating there wins)
                raise
            self.outbox.written(steps)
            count("SatisfactionRated")
            logger.info("satisfaction recorded", extra={"ticket_number": fresh.number, "rating": rating})
            fresh.version = int(fresh.version or 0) + 1
            return fresh, True
        raise InvalidInput("the ticket kept changing; try again")

    def comment(self, ticket: Ticket, text: str, *, by: tuple[str, str]) -> bool:
        """The survey's optional comment, once (False: there already is one, or no rating yet)."""
        text = text.strip()
        if not text:
            raise InvalidInput("write a comment first")
        if len(text) > MAX_COMMENT:
            raise InvalidInput(f"a comment holds at most {MAX_COMMENT} characters")
        for _ in range(MAX_ATTEMPTS):
            fresh = self.tickets.find(ticket.ticket_id)
            if fresh is None or not fresh.csat or fresh.csat_comment:
                return False
            now = self.clock.now()
            try:
                with self.store.transaction() as write:
                    write.update_ticket(fresh, {"csat_comment": text, "updated_at": now})
                    self._audit(write, fresh, f"satisfaction comment: {text}", now, by)
            except TransactWriteError as exc:
                if "ConditionalCheckFailed" in reasons(exc):
                    continue
                raise
            return True
        return False
