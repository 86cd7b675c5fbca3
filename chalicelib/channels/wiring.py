"""What the composition root (:mod:`chalicelib.services`) hands each channel's ``wire`` function.

A channel registers itself through it: how agent replies reach its customers (``replies``), its
outbox steps and event subscriptions (``outbox``, ``events``), and what it offers the web routes and
the worker (``parts``, by name).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalicelib.channels.email.mailer import Mailer
    from chalicelib.channels.github.api import GitHubApi
    from chalicelib.channels.slack.api import SlackApi
    from chalicelib.desk.delivery import ReplyChannel
    from chalicelib.desk.directory_store import DirectoryStore
    from chalicelib.desk.events import Events
    from chalicelib.desk.links import LinkStore
    from chalicelib.desk.outbox import Outbox
    from chalicelib.desk.rotation import RotationStore
    from chalicelib.desk.sessions import Sessions
    from chalicelib.desk.surveys import Surveys
    from chalicelib.desk.tickets import TicketService
    from chalicelib.desk.triage import TriageService
    from chalicelib.platform.aws import AwsClients
    from chalicelib.platform.clock import Clock
    from chalicelib.platform.config import Settings
    from chalicelib.platform.secrets import SecretReader


@dataclass
class Wiring:
    settings: Settings
    clock: Clock
    secrets: SecretReader
    directory: DirectoryStore
    tickets: TicketService
    triage: TriageService
    rotation: RotationStore
    links: LinkStore
    outbox: Outbox
    events: Events
    aws: AwsClients
    slack: SlackApi  # the team's workspace: every channel's notices reach the team there
    mailer: Callable[[], Mailer]
    github: Callable[[], GitHubApi]
    surveys: Surveys | None = None  # a channel that can ask "How did we do?" registers its sender here
    sessions: Sessions | None = None  # the inbox's sign-in links (``/ticket inbox``)
    replies: dict[str, ReplyChannel] = field(default_factory=dict)
    parts: dict[str, Any] = field(default_factory=dict)
