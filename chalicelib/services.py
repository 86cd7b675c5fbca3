"""Everything the worker and the agent API use, built once per container.

Imported only from :func:`chalicelib.bootstrap.services`, never on the ingress path.
"""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.connection import Connection

from chalicelib.channels.email.intake import ACK, EmailIntake
from chalicelib.channels.email.mailer import Mailer
from chalicelib.channels.github.api import GitHubApi
from chalicelib.channels.github.intake import GitHubIntake
from chalicelib.channels.slack.api import SlackApi
from chalicelib.channels.slack.effects import SlackSteps
from chalicelib.channels.slack.intake import CONFIRM, SlackIntake
from chalicelib.channels.slack.mirror import EmailMirror, mail_link_key
from chalicelib.channels.slack.triage import SlackTriage
from chalicelib.desk.analytics import Analytics
from chalicelib.desk.delivery import (
    OWNER_NOTICE,
    EmailReplies,
    GitHubReplies,
    OwnerNotices,
    ReplyDelivery,
    SlackReplies,
)
from chalicelib.desk.directory_store import DirectoryStore
from chalicelib.desk.events import (
    MessageAdded,
    QuestionAsked,
    TeamReplied,
    TicketOpened,
    UnverifiedTeamMail,
)
from chalicelib.desk.links import LinkStore
from chalicelib.desk.outbox import Outbox
from chalicelib.desk.rotation import RotationStore
from chalicelib.desk.tickets import CUSTOMER, DELIVER, TicketService
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
from chalicelib.platform.security import dashboard_key


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
    outbox: Outbox


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
    outbox = Outbox(clock)
    tickets = TicketService(clock=clock, directory=directory, connection=Connection(region=settings.region, host=host),
                            links=links, outbox=outbox)
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
    triage = TriageService(clock=clock, connection=Connection(region=settings.region, host=host), outbox=outbox)
    rotation = RotationStore(clock)
    analytics = Analytics(clock=clock)
    claims = Claims(clock)
    digests = Digests(analytics=analytics, directory=directory, clock=clock, rotation=rotation,
                      claims=claims, outbox=outbox)
    followups = FollowUps(tickets=tickets, directory=directory, clock=clock, rotation=rotation,
                          claims=claims, triage=triage, outbox=outbox, stint_summary=digests.stint_summary)
    mirror = EmailMirror(tickets=tickets, directory=directory, slack=slack, outbox=outbox, clock=clock,
                         link_key=lambda: mail_link_key(reader.get("SLACK_SIGNING_SECRET")))
    slack_triage = SlackTriage(tickets=tickets, triage=triage, directory=directory, slack=slack, outbox=outbox,
                               clock=clock, rotation=rotation, mirror=mirror,
                               link_key=lambda: dashboard_key(reader.get("SLACK_SIGNING_SECRET")))

    email_intake = EmailIntake(
        tickets=tickets, directory=directory, clock=clock, get_object=aws.get_object, put_object=aws.put_object,
        mailer=mailer, support_address=settings.support_address, mail_bucket=settings.mail_bucket,
        ack_enabled=settings.email_ack_enabled,
    )
    slack_intake = SlackIntake(tickets=tickets, directory=directory, slack=slack,
                               home=lambda event: slack_triage.home_opened(event).action)
    delivery = ReplyDelivery(tickets=tickets, channels={
        "slack": SlackReplies(slack=slack, directory=directory),
        "email": EmailReplies(tickets=tickets, directory=directory, mailer=mailer),
        "github": GitHubReplies(github),
    })
    owner_notices = OwnerNotices(tickets=tickets, directory=directory, outbox=outbox)
    # "Ticket opened": the confirmation (Slack) or the triage-channel post (email, GitHub), in its transaction;
    # after it, routing to the Hero and the out-of-hours notice (each once, whatever the redeliveries).
    events = tickets.events
    events.on(TicketOpened, lambda e: slack_intake.opened_effects(e.ticket), steps=True)
    events.on(TicketOpened, lambda e: slack_triage.opened_effects(e.ticket), steps=True)
    events.on(TicketOpened, lambda e: mirror.effects(e.ticket, e.first_key, CUSTOMER) if e.first_key else [],
              steps=True)
    events.on(MessageAdded, lambda e: mirror.effects(e.ticket, e.message_key, e.role), steps=True)
    events.on(TicketOpened, lambda e: followups.after_open(e.ticket))
    events.on(UnverifiedTeamMail, lambda e: followups.unverified_sender(e.ticket, e.address, e.verdicts,
                                                                         e.delivery_id))
    events.on(QuestionAsked, lambda e: followups.watch_question(e.channel, e.ts, e.user, e.text, directory.load()))
    events.on(TeamReplied, lambda e: followups.team_replied(e.channel, e.thread_ts))
    SlackSteps(slack=slack, directory=directory.load, outbox=outbox, clock=clock).register()
    slack_triage.register()
    mirror.register()
    outbox.register(CONFIRM, slack_intake.confirm_step)
    outbox.register(ACK, email_intake.ack_step)
    outbox.register(DELIVER, delivery.step)
    outbox.register(OWNER_NOTICE, owner_notices.step)
    services = Services(
        settings=settings,
        clock=clock,
        secrets=secrets,
        directory=directory,
        tickets=tickets,
        slack=slack,
        slack_intake=slack_intake,
        delivery=delivery,
        queue=events_queue,
        aws=aws,
        email_intake=email_intake,
        links=links,
        github_intake=GitHubIntake(tickets=tickets, directory=directory, links=links, github=github),
        triage=triage,
        owner_notices=owner_notices,
        slack_triage=slack_triage,
        rotation=rotation,
        claims=claims,
        followups=followups,
        analytics=analytics,
        digests=digests,
        outbox=outbox,
    )
    from chalicelib.channels.github.errors import register as register_github_errors
    from chalicelib.channels.slack.errors import register as register_slack_errors
    from chalicelib.desk.failures import FailureNotices
    from chalicelib.dispatch import EVENT_RETRY, rerun_event

    register_slack_errors()  # the outbox's verdicts on the channels' errors (the desk imports no channel)
    register_github_errors()

    outbox.register(EVENT_RETRY, lambda attempt: rerun_event(attempt, services))
    outbox.on_failed = FailureNotices(outbox=outbox, delivery=delivery, directory=directory, rotation=rotation)
    return services
