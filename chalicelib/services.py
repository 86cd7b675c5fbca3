"""The composition root: everything the worker and the agent API use, built once per container.

The desk (tickets, triage, outbox, analytics...) is built here; each installed channel then wires
itself in (:func:`chalicelib.channels.wire_all`): its reply channel, its outbox steps and its
subscriptions to the desk's events. The jobs subscribe to the desk's events here too.

Imported only from :func:`chalicelib.bootstrap.services`, never on the ingress path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from pynamodb.connection import Connection

from chalicelib import channels
from chalicelib.channels.email.mailer import Mailer
from chalicelib.channels.github.api import GitHubApi
from chalicelib.channels.slack.api import SlackApi
from chalicelib.channels.wiring import Wiring
from chalicelib.desk.analytics import Analytics
from chalicelib.desk.delivery import ReplyDelivery
from chalicelib.desk.directory_store import DirectoryStore
from chalicelib.desk.events import Events, QuestionAsked, TeamReplied, TicketOpened, TicketRated, UnverifiedTeamMail
from chalicelib.desk.feedback import Feedback
from chalicelib.desk.links import LinkStore
from chalicelib.desk.outbox import Outbox
from chalicelib.desk.people import PeopleStore
from chalicelib.desk.rotation import RotationStore
from chalicelib.desk.sessions import Sessions
from chalicelib.desk.surveys import Surveys
from chalicelib.desk.tickets import DELIVER, TicketService
from chalicelib.desk.triage import TriageService
from chalicelib.jobs.claims import Claims
from chalicelib.jobs.digests import Digests
from chalicelib.jobs.followups import FollowUps
from chalicelib.models import bind_models
from chalicelib.platform.aws import AwsClients
from chalicelib.platform.clock import Clock, clock_from_environment
from chalicelib.platform.config import Settings, endpoint_url
from chalicelib.platform.queue import EventQueue, SqsEventQueue
from chalicelib.platform.secrets import PowertoolsSecrets, SecretReader

if TYPE_CHECKING:
    from chalicelib.channels.email.intake import EmailIntake
    from chalicelib.channels.github.intake import GitHubIntake
    from chalicelib.channels.slack.intake import SlackIntake
    from chalicelib.channels.slack.owner_notices import OwnerNotices
    from chalicelib.channels.slack.triage import SlackTriage


@dataclass
class Services:
    settings: Settings
    clock: Clock
    secrets: SecretReader
    directory: DirectoryStore
    tickets: TicketService
    slack: SlackApi
    delivery: ReplyDelivery
    queue: EventQueue
    aws: AwsClients
    links: LinkStore
    triage: TriageService
    rotation: RotationStore
    claims: Claims
    followups: FollowUps
    analytics: Analytics
    digests: Digests
    outbox: Outbox
    events: Events
    surveys: Surveys
    feedback: Feedback
    sessions: Sessions
    parts: dict[str, Any] = field(default_factory=dict)  # what each channel offers, by name

    @property
    def people(self) -> PeopleStore:
        return self.tickets.people

    # The built-in channels' parts, typed for the code that uses them.
    @property
    def slack_intake(self) -> SlackIntake:
        return cast("SlackIntake", self.parts["slack_intake"])

    @property
    def slack_triage(self) -> SlackTriage:
        return cast("SlackTriage", self.parts["slack_triage"])

    @property
    def owner_notices(self) -> OwnerNotices:
        return cast("OwnerNotices", self.parts["owner_notices"])

    @property
    def email_intake(self) -> EmailIntake:
        return cast("EmailIntake", self.parts["email_intake"])

    @property
    def github_intake(self) -> GitHubIntake:
        return cast("GitHubIntake", self.parts["github_intake"])


def build_services(
    settings: Settings,
    *,
    clock: Clock | None = None,
    queue: EventQueue | None = None,
    secrets: SecretReader | None = None,
) -> Services:
    clock = clock or clock_from_environment()
    host = endpoint_url("dynamodb")
    bind_models(table_prefix=settings.table_prefix, region=settings.region, host=host)
    secrets = secrets or PowertoolsSecrets(settings.secrets_max_age)
    reader = secrets
    directory = DirectoryStore(clock, settings.directory_cache_seconds)
    links = LinkStore(clock)
    outbox = Outbox(clock)
    events = Events()
    tickets = TicketService(clock=clock, directory=directory, connection=Connection(region=settings.region, host=host),
                            links=links, outbox=outbox, events=events)
    slack = SlackApi(token=lambda: reader.get("SLACK_BOT_TOKEN"), base_url=settings.slack_api_url)
    aws = AwsClients(settings.region)

    def mailer() -> Mailer:
        if not settings.support_address:
            raise RuntimeError("SUPPORT_ADDRESS is not configured: no email can be sent")
        return Mailer(ses=lambda: aws.client("ses"), region=settings.region, support_address=settings.support_address)

    github_client: list[GitHubApi] = []

    def github() -> GitHubApi:
        if not github_client:
            github_client.append(GitHubApi(token=lambda: reader.get("GITHUB_TOKEN"), base_url=settings.github_api_url))
        return github_client[0]

    events_queue = queue or SqsEventQueue(queue_name=settings.events_queue_name, region=settings.region,
                                          queue_url=settings.events_queue_url)
    triage = TriageService(clock=clock, connection=Connection(region=settings.region, host=host), outbox=outbox,
                           events=events)
    rotation = RotationStore(clock)
    analytics = Analytics(clock=clock)
    claims = Claims(clock)
    feedback = Feedback(clock=clock, tickets=tickets.store, people_of=tickets.people.person_ids)
    digests = Digests(analytics=analytics, directory=directory, clock=clock, rotation=rotation,
                      claims=claims, outbox=outbox, feedback=feedback)
    followups = FollowUps(tickets=tickets, directory=directory, clock=clock, rotation=rotation,
                          claims=claims, triage=triage, outbox=outbox, stint_summary=digests.stint_summary)

    surveys = Surveys(clock=clock, tickets=tickets, directory=directory, outbox=outbox, events=events)
    sessions = Sessions(clock)

    # The channels wire themselves in: reply channels, outbox steps, event subscriptions.
    wiring = Wiring(surveys=surveys, sessions=sessions, settings=settings, clock=clock, secrets=secrets,
                    directory=directory, tickets=tickets,
                    triage=triage, rotation=rotation, links=links, outbox=outbox, events=events, aws=aws, slack=slack,
                    mailer=mailer, github=github)
    channels.wire_all(wiring)
    delivery = ReplyDelivery(tickets=tickets, channels=wiring.replies)
    outbox.register(DELIVER, delivery.step)

    # The jobs' subscriptions: nobody is missed (routing to the Hero, out-of-hours notices, community watch).
    events.on(TicketOpened, lambda e: followups.after_open(e.ticket))
    events.on(UnverifiedTeamMail, lambda e: followups.unverified_sender(e.ticket, e.address, e.verdicts,
                                                                         e.delivery_id))
    events.on(QuestionAsked, lambda e: followups.watch_question(e.channel, e.ts, e.user, e.text, directory.load()))
    events.on(TeamReplied, lambda e: followups.team_replied(e.channel, e.thread_ts))
    events.on(TicketRated, lambda e: followups.bad_rating(e.ticket, e.rating), steps=True)

    services = Services(
        settings=settings, clock=clock, secrets=secrets, directory=directory, tickets=tickets, slack=slack,
        delivery=delivery, queue=events_queue, aws=aws, links=links, triage=triage, rotation=rotation,
        claims=claims, followups=followups, analytics=analytics, digests=digests, outbox=outbox, events=events,
        surveys=surveys, feedback=feedback, sessions=sessions, parts=wiring.parts,
    )
    from chalicelib.channels.github.errors import register as register_github_errors
    from chalicelib.channels.slack.errors import register as register_slack_errors
    from chalicelib.channels.slack.failures import FailureNotices
    from chalicelib.dispatch import EVENT_RETRY, rerun_event

    register_slack_errors()  # the outbox's verdicts on the channels' errors (the desk imports no channel)
    register_github_errors()

    outbox.register(EVENT_RETRY, lambda attempt: rerun_event(attempt, services))
    outbox.on_failed = FailureNotices(outbox=outbox, delivery=delivery, directory=directory, rotation=rotation)
    return services
