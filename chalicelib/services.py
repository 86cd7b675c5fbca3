"""Everything the worker and the agent API use, built once per container.

Imported only from :func:`chalicelib.bootstrap.services`, never on the ingress path.
"""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.connection import Connection

from chalicelib.analytics import Analytics
from chalicelib.aws import AwsClients
from chalicelib.channels.email import Mailer
from chalicelib.channels.github import GitHubApi
from chalicelib.channels.slack import SlackApi
from chalicelib.claims import Claims
from chalicelib.clock import Clock, clock_from_environment
from chalicelib.config import Settings, endpoint_url
from chalicelib.delivery import OwnerNotices, ReplyDelivery
from chalicelib.digests import Digests
from chalicelib.directory_store import DirectoryStore
from chalicelib.email_intake import EmailIntake
from chalicelib.followups import FollowUps
from chalicelib.github_intake import GitHubIntake
from chalicelib.links import LinkStore
from chalicelib.models import bind_models
from chalicelib.models.tickets import Ticket
from chalicelib.queue import EventQueue, SqsEventQueue
from chalicelib.rotation import RotationStore
from chalicelib.secrets import PowertoolsSecrets, SecretReader
from chalicelib.security import dashboard_key
from chalicelib.slack_intake import SlackIntake
from chalicelib.slack_triage import SlackTriage
from chalicelib.tickets import TicketService
from chalicelib.triage import TriageService


@dataclass
class Services:
    settings: Settings
    clock: Clock
    secrets: SecretReader
    directory: DirectoryStore
    tickets: TicketService
    slack: SlackApi
    slack_intake: SlackIntake
    delivery: ReplyDelivery
    queue: EventQueue
    aws: AwsClients
    email_intake: EmailIntake
    links: LinkStore
    github_intake: GitHubIntake
    triage: TriageService
    owner_notices: OwnerNotices
    slack_triage: SlackTriage
    rotation: RotationStore
    claims: Claims
    followups: FollowUps
    analytics: Analytics
    digests: Digests


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
    directory = DirectoryStore(clock, settings.directory_cache_seconds)
    links = LinkStore(clock)
    tickets = TicketService(clock=clock, directory=directory, connection=Connection(region=settings.region, host=host),
                            links=links)
    reader = secrets
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
    triage = TriageService(clock=clock, connection=Connection(region=settings.region, host=host))
    rotation = RotationStore(clock)
    analytics = Analytics(clock=clock)
    claims = Claims(clock)
    digests = Digests(analytics=analytics, directory=directory, slack=slack, clock=clock, rotation=rotation,
                      claims=claims)
    followups = FollowUps(tickets=tickets, directory=directory, slack=slack, clock=clock, rotation=rotation,
                          claims=claims, triage=triage, queue=events_queue, stint_summary=digests.stint_summary)
    slack_triage = SlackTriage(tickets=tickets, triage=triage, directory=directory, slack=slack, queue=events_queue,
                               clock=clock, rotation=rotation,
                               link_key=lambda: dashboard_key(reader.get("SLACK_SIGNING_SECRET")))

    def opened(ticket: Ticket) -> None:
        """After any ticket opens (or a retry finds it open): announce, route, acknowledge; each once."""
        slack_triage.announce(ticket)
        followups.after_open(ticket)
    email_intake = EmailIntake(
        tickets=tickets, directory=directory, clock=clock, get_object=aws.get_object, put_object=aws.put_object,
        mailer=mailer, support_address=settings.support_address, mail_bucket=settings.mail_bucket,
        ack_enabled=settings.email_ack_enabled, on_opened=opened, on_unverified=followups.unverified_sender,
    )
    return Services(
        settings=settings,
        clock=clock,
        secrets=secrets,
        directory=directory,
        tickets=tickets,
        slack=slack,
        slack_intake=SlackIntake(tickets=tickets, directory=directory, slack=slack,
                                 home=lambda event: slack_triage.home_opened(event).action,
                                 on_opened=followups.after_open, followups=followups),
        delivery=ReplyDelivery(tickets=tickets, directory=directory, slack=slack, mailer=mailer, github=github),
        queue=events_queue,
        aws=aws,
        email_intake=email_intake,
        links=links,
        github_intake=GitHubIntake(tickets=tickets, directory=directory, links=links, github=github,
                                   queue=events_queue, on_opened=opened),
        triage=triage,
        owner_notices=OwnerNotices(tickets=tickets, directory=directory, slack=slack),
        slack_triage=slack_triage,
        rotation=rotation,
        claims=claims,
        followups=followups,
        analytics=analytics,
        digests=digests,
    )
