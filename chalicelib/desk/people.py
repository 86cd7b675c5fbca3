"""People: one person behind the Slack user ids, email addresses and GitHub logins they write from.

An **identity** is ``slack:<user id>``, ``email:<address>`` or ``github:<login>`` (addresses and logins
lower-cased).  A ticket's requester is one identity (``Ticket.requester_key``); a **person** is a set of
identities, so a person's tickets are one Query per identity (``by_requester``) and linking or unlinking
never rewrites a ticket.

Links are made from facts only: a Slack profile's email (``users.info``, scope ``users:read.email``), a
GitHub login's public email.  Never from a display name.  An agent can link two identities by hand, or
unlink one (which then stays apart from the others: a fact will not bring it back, only an agent can).

Storage, in the directory table (this module is the owner of these kinds):

* ``IDENT#<identity>`` / ``ident``: ``state`` the person's id, ``data`` ``{"apart": [identities never to
  merge with]}``; written with a condition, so two workers meeting a new identity at once make one person.
* ``PERSON#<id>`` / ``person``: ``{"identities": [...], "company": customer id | None, "name": ...}``
  with a ``version`` condition; a person merged into another keeps ``{"merged_into": id}``.
* ``PERSON#<id>`` / ``survey``: when the person was last asked for their satisfaction (the 7-day rule).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.desk.directory import Customer, Directory
from chalicelib.desk.free_mail import FREE_MAIL, is_free_mail
from chalicelib.desk.ticket_store import TicketStore
from chalicelib.desk.ticket_types import UNSOLVED, InvalidInput, TicketError, TicketNotFound
from chalicelib.models.directory import DirectoryItem
from chalicelib.models.tickets import Ticket
from chalicelib.platform.clock import Clock
from chalicelib.platform.observability import count, logger

KINDS = ("slack", "email", "github")
IDENT, PERSON, SURVEYED = "IDENT#", "PERSON#", "SURVEYED#"
MAX_IDENTITIES = 40  # a person is a handful of identities; a transaction holds at most 100 items
MAX_ATTEMPTS = 5

_SLACK_ID = re.compile(r"[UW][A-Z0-9]{2,20}")
_GITHUB_LOGIN = re.compile(r"[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){0,38}")
_EMAIL = re.compile(r"[^\s@<>\"(),;:\[\]\\]{1,64}@[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?"
                    r"\.(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})")
_PERSON_ID = re.compile(r"P[0-9a-f]{12}")


class PeopleError(TicketError):
    pass


class PersonNotFound(TicketNotFound):
    """No such person (HTTP 404)."""


@dataclass(frozen=True)
class Identity:
    kind: str
    value: str

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.value}"

    @property
    def domain(self) -> str | None:
        return self.value.rsplit("@", 1)[1] if self.kind == "email" else None

    @classmethod
    def of(cls, kind: str, value: str | None) -> Identity | None:
        """A valid identity, normalised, or None (never raises: callers pass what a payload carried)."""
        text = (value or "").strip()
        if kind == "slack":
            return cls(kind, text) if _SLACK_ID.fullmatch(text) else None
        if kind == "email":
            text = text.lower()
            return cls(kind, text) if len(text) <= 254 and _EMAIL.fullmatch(text) else None
        if kind == "github":
            text = text.lower()
            return cls(kind, text) if _GITHUB_LOGIN.fullmatch(text) else None
        return None

    @classmethod
    def parse(cls, text: str) -> Identity:
        """``slack:U123`` / ``email:a@b.example`` / ``github:login`` (an agent's input): InvalidInput if not."""
        kind, _, value = (text or "").partition(":")
        found = cls.of(kind.strip().lower(), value)
        if found is None:
            raise InvalidInput(f"not an identity: {text[:80]!r} (slack:<user id>, email:<address> or "
                               "github:<login>)")
        return found


def requester_identity(ticket: Ticket) -> Identity | None:
    """The identity a ticket's requester wrote from (older tickets: derived from channel and requester)."""
    if ticket.requester_key:
        kind, _, value = ticket.requester_key.partition(":")
        return Identity.of(kind, value)
    legacy = {"slack": "slack", "email": "email", "contact": "email", "github": "github"}.get(ticket.channel or "")
    return Identity.of(legacy, ticket.requester_id) if legacy else None


@dataclass(frozen=True)
class SurveyClaim:
    item: DirectoryItem
    condition: Any


@dataclass
class Person:
    id: str
    identities: list[str] = field(default_factory=list)
    company: str | None = None  # a customer id from the directory; None: community
    name: str | None = None
    version: int = 0
    created_at: str | None = None
    new: bool = False  # made just now from identities nobody had: no ticket can be theirs yet (not stored)

    def as_dict(self, directory: Directory) -> dict[str, Any]:
        customer = _customer(directory, self.company)
        return {"id": self.id, "name": self.name, "identities": sorted(self.identities),
                "company": {"id": customer.id, "name": customer.name} if customer else {"id": "community",
                                                                                       "name": "community"},
                "tier": customer.tier if customer else "community"}


def _customer(directory: Directory, customer_id: str | None) -> Customer | None:
    return next((c for c in directory.customers if c.id == customer_id), None) if customer_id else None


def customer_of(directory: Directory, person: Person | None) -> Customer | None:
    """The directory customer a person belongs to (None: community)."""
    return _customer(directory, person.company) if person is not None else None


def company_of(directory: Directory, identities: Iterable[str], *, hint: str | None = None,
               orgs: Iterable[str] = (), current: str | None = None) -> str | None:
    """The customer a person belongs to: the dedicated channel they wrote in (``hint``), else an email
    domain of theirs, else a GitHub org of theirs, else what it was; free-mail domains never count."""
    if hint and _customer(directory, hint):
        return hint
    for key in sorted(identities):
        kind, _, value = key.partition(":")
        if kind == "email" and not is_free_mail(value.rsplit("@", 1)[-1]):
            customer = directory.customer_for_email(value)
            if customer:
                return customer.id
    org_set = {o.lower() for o in orgs}
    for customer in directory.customers:
        if org_set & {o.lower() for o in customer.github_orgs}:
            return customer.id
    return current if current and _customer(directory, current) else None


class PeopleStore:
    def __init__(self, clock: Clock, connection: Connection, tickets: TicketStore | None = None) -> None:
        self.clock = clock
        self.connection = connection
        self.store = tickets or TicketStore(connection)

    def requester(self, directory: Directory, identity: Identity | None, *, facts: Sequence[Identity | None] = (),
                  name: str | None = None, hint: str | None = None, orgs: Sequence[str] = ()) -> Person | None:
        """:meth:`identify` for an intake: a ticket opens whatever happens here (None when it failed)."""
        if identity is None:
            return None
        try:
            return self.identify(identity, directory, facts=[f for f in facts if f is not None], name=name,
                                 company_hint=hint, orgs=orgs)
        except Exception:  # noqa: BLE001 - knowing the person is a nicety; the ticket is what matters
            count("PeopleIdentifyFailed")
            logger.warning("could not identify a requester", exc_info=True)
            return None

    # -- reads -----------------------------------------------------------------------------------------
    @staticmethod
    def _ident(identity: str) -> DirectoryItem:
        return DirectoryItem(f"{IDENT}{identity}", "ident")

    def _idents(self, keys: Sequence[str]) -> dict[str, DirectoryItem]:
        unique = list(dict.fromkeys(keys))
        found: dict[str, DirectoryItem] = {}
        for i in range(0, len(unique), 100):
            for item in DirectoryItem.batch_get([(f"{IDENT}{k}", "ident") for k in unique[i:i + 100]]):
                found[item.pk[len(IDENT):]] = item
        return found

    def person_ids(self, keys: Sequence[str]) -> dict[str, str]:
        """Identity -> person id, for the identities that have one (BatchGetItem)."""
        return {k: str(item.state) for k, item in self._idents(keys).items() if item.state}

    def get(self, person_id: str) -> Person:
        """A person (following merges); PersonNotFound if there is none."""
        for _ in range(MAX_ATTEMPTS):
            if not _PERSON_ID.fullmatch(person_id or ""):
                raise PersonNotFound(f"no person {str(person_id)[:40]!r}")
            try:
                item = DirectoryItem.get(f"{PERSON}{person_id}", "person", consistent_read=True)
            except DirectoryItem.DoesNotExist:
                raise PersonNotFound(f"no person {person_id!r}") from None
            data = item.data or {}
            if data.get("merged_into"):
                person_id = str(data["merged_into"])
                continue
            return Person(person_id, list(data.get("identities") or []), data.get("company"), data.get("name"),
                          int(item.value or 0), data.get("created_at"))
        raise PersonNotFound(f"person {person_id!r} was merged too many times")

    def find(self, identity: Identity) -> Person | None:
        person_id = self.person_ids([identity.key]).get(identity.key)
        return self.get(person_id) if person_id else None

    # -- writes ----------------------------------------------------------------------------------------
    def _save_person(self, tx: TransactWrite, person: Person, *, new: bool) -> None:
        item = DirectoryItem(f"{PERSON}{person.id}", "person", value=person.version + 1, updated_at=self.clock.now(),
                             data={"identities": sorted(person.identities), "company": person.company,
                                   "name": person.name, "created_at": person.created_at})
        condition = (DirectoryItem.pk.does_not_exist() if new else DirectoryItem.value == person.version)
        tx.save(item, condition=condition)

    def _claim(self, tx: TransactWrite, identity: str, person_id: str, item: DirectoryItem | None,
               apart: Iterable[str] | None = None) -> None:
        """Point ``identity`` at ``person_id``: created if new, else only if it still points where we read."""
        data = dict(item.data or {}) if item is not None else {}
        if apart is not None:
            data["apart"] = sorted(set(apart))
        new = self._ident(identity)
        new.data, new.state, new.updated_at = data or None, person_id, self.clock.now()
        condition = (DirectoryItem.pk.does_not_exist() if item is None
                     else DirectoryItem.state == item.state if item.state else DirectoryItem.state.does_not_exist())
        tx.save(new, condition=condition)

    def _new_person(self, identities: Sequence[str], name: str | None, company: str | None) -> Person:
        return Person(f"P{uuid.uuid4().hex[:12]}", list(identities), company, name, 0, self.clock.now().isoformat())

    def identify(self, identity: Identity, directory: Directory, *, facts: Sequence[Identity] = (),
                 name: str | None = None, company_hint: str | None = None, orgs: Sequence[str] = ()) -> Person:
        """The person behind ``identity``, made or linked from ``facts`` (identities the same person is known
        to own: their Slack profile's email, their GitHub public email).  Idempotent; safe under races."""
        for attempt in range(MAX_ATTEMPTS):
            try:
                return self._identify(identity, directory, facts, name, company_hint, orgs)
            except TransactWriteError as exc:
                if attempt == MAX_ATTEMPTS - 1:
                    raise
                logger.info("people: lost a race, reading again", extra={"error": str(exc)[:200]})
        raise AssertionError("unreachable")

    def _identify(self, identity: Identity, directory: Directory, facts: Sequence[Identity], name: str | None,
                  hint: str | None, orgs: Sequence[str]) -> Person:
        keys = [identity.key, *(f.key for f in facts if f.key != identity.key)]
        items = self._idents(keys)
        owner_of = {k: str(items[k].state) for k in keys if k in items and items[k].state}
        me = owner_of.get(identity.key)
        person = self.get(me) if me else None
        linkable = [k for k in keys[1:] if not self._apart(items, identity.key, k)]
        if person is None:  # a new identity: join the person a fact belongs to, else a new person
            joined = next((owner_of[k] for k in linkable if k in owner_of), None)
            person = self.get(joined) if joined else None
        new = person is None
        if person is None:
            person = self._new_person([], name, None)
        before = (set(person.identities), person.company, person.name)
        others: list[Person] = []
        for k in [identity.key, *linkable]:
            if k in person.identities:
                continue
            other = owner_of.get(k)
            if other and other != person.id:
                merged = self.get(other)
                if merged.id != person.id and merged.id not in {o.id for o in others}:
                    others.append(merged)
                continue
            person.identities.append(k)
        if len(person.identities) + sum(len(o.identities) for o in others) > MAX_IDENTITIES:
            others = []  # a person that large is a mistake to grow further; keep what is known
        for o in others:
            person.identities = sorted(set(person.identities) | set(o.identities))
        person.name = person.name or name
        person.company = company_of(directory, person.identities, hint=hint, orgs=orgs, current=person.company)
        if not new and not others and (set(person.identities), person.company, person.name) == before:
            return person
        self._write(person, new=new, items=items, merged=others, queried=keys)
        person.version += 1
        person.new = new and not items  # none of its identities was known before
        return person

    @staticmethod
    def _apart(items: dict[str, DirectoryItem], a: str, b: str) -> bool:
        """An agent unlinked these two: facts never join them again."""
        return (b in ((items.get(a) and items[a].data) or {}).get("apart", [])
                or a in ((items.get(b) and items[b].data) or {}).get("apart", []))

    def _write(self, person: Person, *, new: bool, items: dict[str, DirectoryItem], merged: Sequence[Person] = (),
               apart: dict[str, Iterable[str]] | None = None, queried: Iterable[str] = ()) -> None:
        """One transaction: the person, every identity pointing at it, merged persons redirected
        (``queried``: identities already looked up, found in ``items`` or known to be absent)."""
        seen = set(queried)
        missing = [k for k in person.identities if k not in items and k not in seen]
        if missing:
            items = {**items, **self._idents(missing)}
        with TransactWrite(connection=self.connection) as tx:
            self._save_person(tx, person, new=new)
            for k in person.identities:
                item = items.get(k)
                owner = item.state if item is not None else None
                if owner != person.id or (apart and k in apart):
                    self._claim(tx, k, person.id, item, (apart or {}).get(k))
            for other in merged:
                gone = DirectoryItem(f"{PERSON}{other.id}", "person", value=other.version + 1,
                                     updated_at=self.clock.now(), data={"merged_into": person.id})
                tx.save(gone, condition=DirectoryItem.value == other.version)

    def link(self, a: Identity, b: Identity, directory: Directory) -> Person:
        """An agent says these two are one person: their persons merge (and ``apart`` marks between go)."""
        if a.key == b.key:
            raise InvalidInput("those are the same identity")
        for attempt in range(MAX_ATTEMPTS):
            items = self._idents([a.key, b.key])
            for k in (a.key, b.key):  # the agent's word overrides an earlier unlink between the two
                if k in items and items[k].data:
                    other = b.key if k == a.key else a.key
                    items[k].data = {**items[k].data, "apart": [x for x in items[k].data.get("apart", [])
                                                                 if x != other]}
            pa, pb = (self.find(a), self.find(b))
            try:
                if pa is not None and pb is not None and pa.id == pb.id:
                    return pa
                keep = pa or pb
                new = keep is None
                person = keep or self._new_person([], None, None)
                merged = [p for p in (pa, pb) if p is not None and p.id != person.id]
                person.identities = sorted(set(person.identities) | {a.key, b.key}
                                           | {k for p in merged for k in p.identities})
                if len(person.identities) > MAX_IDENTITIES:
                    raise InvalidInput(f"a person has at most {MAX_IDENTITIES} identities")
                person.company = company_of(directory, person.identities, current=person.company
                                            or next((p.company for p in merged if p.company), None))
                apart = {k: items[k].data.get("apart", []) for k in (a.key, b.key) if k in items and items[k].data}
                self._write(person, new=new, items=items, merged=merged, apart=apart)
                person.version += 1
                return person
            except TransactWriteError:
                if attempt == MAX_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def unlink(self, identity: Identity, directory: Directory) -> tuple[Person, Person]:
        """Take ``identity`` out of its person into a person of its own, kept apart from the others from now
        on.  Returns (the person it left, its own person)."""
        for attempt in range(MAX_ATTEMPTS):
            person = self.find(identity)
            if person is None or person.identities == [identity.key]:
                raise InvalidInput(f"{identity.key} is not linked to anyone")
            rest = [k for k in person.identities if k != identity.key]
            items = self._idents(person.identities)
            alone = self._new_person([identity.key], None, None)
            alone.company = company_of(directory, alone.identities)
            person.identities = rest
            person.company = company_of(directory, rest, current=person.company)
            try:
                with TransactWrite(connection=self.connection) as tx:
                    self._save_person(tx, person, new=False)
                    self._save_person(tx, alone, new=True)
                    item = items.get(identity.key)
                    apart = set((item.data or {}).get("apart", []) if item is not None else []) | set(rest)
                    self._claim(tx, identity.key, alone.id, item, apart)
            except TransactWriteError:
                if attempt == MAX_ATTEMPTS - 1:
                    raise
                continue
            person.version += 1
            alone.version += 1
            return person, alone
        raise AssertionError("unreachable")

    # -- a person's tickets ----------------------------------------------------------------------------
    def tickets(self, person: Person, *, limit: int = 100, before: dt.datetime | None = None) -> list[Ticket]:
        """Their tickets across every channel, newest first: one Query per identity, merged."""
        found: dict[str, Ticket] = {}
        for key in person.identities:
            for t in self.store.of_requester(key, limit=limit, before=before):
                found[t.ticket_id] = t
        ordered = sorted(found.values(), key=lambda t: (t.created_at or dt.datetime.min.replace(tzinfo=dt.UTC),
                                                        t.ticket_id), reverse=True)
        return ordered[:limit]

    def count(self, person: Person, *, before: dt.datetime | None = None) -> int:
        return sum(self.store.count_of_requester(key, before=before) for key in person.identities)

    def earlier(self, person: Person | None, *, before: dt.datetime, exclude: str | None = None) -> dict[str, Any]:
        """The person's tickets opened before ``before``: how many, the last three, the ones still open."""
        if person is None:
            return {"person": None, "count": 0, "open": [], "last": []}
        recent = [t for t in self.tickets(person, limit=50, before=before) if t.ticket_id != exclude]
        total = len(recent) if len(recent) < 50 else self.count(person, before=before)

        def brief(t: Ticket) -> dict[str, Any]:
            return {"number": int(t.number or 0), "subject": t.subject, "status": t.status, "channel": t.channel,
                    "created_at": t.created_at.isoformat() if t.created_at else None}

        return {"person": person.id, "count": total, "open": [int(t.number or 0) for t in recent
                                                             if t.status in UNSOLVED][:10],
                "last": [brief(t) for t in recent[:3]]}

    def survey_claim(self, key: str, *, now: dt.datetime, days: int) -> SurveyClaim:
        """The item (and its condition) that says ``key`` (a person, else an identity) is asked now: it
        holds only when they were not asked in the last ``days`` days; written in the asking transaction."""
        item = DirectoryItem(f"{SURVEYED}{key}", "survey", updated_at=now, value=int(now.timestamp()),
                             expires_at=int((now + dt.timedelta(days=max(days, 1) + 1)).timestamp()))
        since = int((now - dt.timedelta(days=days)).timestamp())
        return SurveyClaim(item, DirectoryItem.pk.does_not_exist() | (DirectoryItem.value <= since))


__all__ = ["FREE_MAIL", "KINDS", "Identity", "PeopleError", "PeopleStore", "Person", "PersonNotFound",
           "company_of", "customer_of", "is_free_mail", "requester_identity"]
