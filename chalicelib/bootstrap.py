"""The composition root: clients, secrets and the clock are built here, once per container.

Two roots, because the Slack ingress must stay light:

* :func:`ingress` - settings, secrets, the events queue, the clock (no boto3,
  no PynamoDB, no slack_sdk);
* :func:`services` - everything the worker and the agent API need; heavy modules
  are imported inside it, on first use.

Tests replace either with :func:`override_ingress` / :func:`override_services`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from chalicelib.ingress.team import DynamoTeamReader, TeamReader
from chalicelib.platform.clock import Clock, SystemClock
from chalicelib.platform.config import Settings, get_settings
from chalicelib.platform.queue import EventQueue, SqsEventQueue
from chalicelib.platform.secrets import IngressSecrets, SecretReader

if TYPE_CHECKING:
    from chalicelib.services import Services


@dataclass
class Ingress:
    settings: Settings
    secrets: SecretReader
    queue: EventQueue
    clock: Clock
    team: TeamReader | None = None  # who is on the team (the reply shortcut checks before opening its modal)

    def team_reader(self) -> TeamReader:
        if self.team is None:
            self.team = DynamoTeamReader(table_name=self.settings.table_name("directory"), region=self.settings.region,
                                         cache_seconds=self.settings.directory_cache_seconds)
        return self.team


_ingress: Ingress | None = None
_services: Services | None = None


def ingress() -> Ingress:
    global _ingress
    if _ingress is None:
        settings = get_settings()
        _ingress = Ingress(
            settings=settings,
            secrets=IngressSecrets(settings.region, settings.secrets_max_age),
            queue=SqsEventQueue(
                queue_name=settings.events_queue_name,
                region=settings.region,
                queue_url=settings.events_queue_url,
            ),
            clock=SystemClock(),
        )
    return _ingress


def services() -> Services:
    global _services
    if _services is None:
        from chalicelib.services import build_services

        _services = build_services(get_settings())
    return _services


def override_ingress(value: Ingress | None) -> None:
    global _ingress
    _ingress = value


def override_services(value: Services | None) -> None:
    global _services
    _services = value
