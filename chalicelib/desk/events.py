"""What happens at the desk, published to whoever cares: channels and jobs subscribe in the composition
root (:mod:`chalicelib.services`); the desk never imports them.

Two kinds of subscriber:

- **steps** (``on(..., steps=True)``): return outbox steps, written in the same DynamoDB transaction as
  the change that caused them (a ticket opened and its triage-channel post: both or neither);
- **reactions** (``on(...)``): run after the change is stored. They must be idempotent: an event is
  published again when its source is redelivered (a retried open finds the ticket and says so again).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from chalicelib.desk.directory import TeamMember
    from chalicelib.desk.outbox import Step
    from chalicelib.models.tickets import Ticket


@dataclass(frozen=True)
class TicketOpened:
    """A ticket exists (just opened, or found open again by a redelivery)."""
    ticket: Ticket
    created: bool = True
    first_key: str | None = None  # the message key of its first message


@dataclass(frozen=True)
class MessageAdded:
    """A message joined a ticket's conversation (not the one that opened it)."""
    ticket: Ticket
    message_key: str
    role: str
    channel: str


@dataclass(frozen=True)
class TicketChanged:
    """A team member changed a ticket's status, priority, owner or tags (``change``: a
    :class:`chalicelib.desk.triage.Change`); ``ticket`` is the changed ticket."""
    ticket: Ticket
    actor: TeamMember
    change: Any


@dataclass(frozen=True)
class TicketRated:
    """The requester answered the satisfaction survey (``rating``: good | bad), recorded once."""

    ticket: Ticket
    rating: str


@dataclass(frozen=True)
class UnverifiedTeamMail:
    """Mail claimed a team member's address without proof (the Hero should hear of it, once)."""
    ticket: Ticket
    address: str
    verdicts: dict[str, Any] = field(default_factory=dict)
    delivery_id: str = ""


@dataclass(frozen=True)
class QuestionAsked:
    """Somebody asked in a watched community channel (not yet a ticket): nobody may miss it."""
    channel: str
    ts: str
    user: str
    text: str


@dataclass(frozen=True)
class TeamReplied:
    """A team member answered in a community thread."""
    channel: str
    thread_ts: str


E = TypeVar("E")


class Events:
    def __init__(self) -> None:
        self._steps: dict[type, list[Callable[[Any], list[Step]]]] = defaultdict(list)
        self._reactions: dict[type, list[Callable[[Any], None]]] = defaultdict(list)

    def on(self, kind: type[E], handler: Callable[[E], Any], *, steps: bool = False) -> None:
        (self._steps if steps else self._reactions)[kind].append(handler)

    def steps(self, event: object) -> list[Step]:
        """Every step the event's step subscribers ask for, to be written with the change."""
        return [step for handler in self._steps[type(event)] for step in handler(event)]

    def publish(self, event: object) -> None:
        for handler in self._reactions[type(event)]:
            handler(event)
