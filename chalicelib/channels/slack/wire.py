"""The Slack channel's part of the composition root: its intake, the team's UI (triage controls,
App Home, the triage channel, email threads), and how replies and notices reach Slack."""

from __future__ import annotations

from chalicelib.channels.slack.effects import SlackSteps
from chalicelib.channels.slack.intake import CONFIRM, SlackIntake
from chalicelib.channels.slack.mirror import EmailMirror, mail_link_key
from chalicelib.channels.slack.owner_notices import OWNER_NOTICE, OwnerNotices
from chalicelib.channels.slack.replies import SlackReplies
from chalicelib.channels.slack.survey import SlackSurvey
from chalicelib.channels.slack.triage import SlackTriage, triage_effects
from chalicelib.channels.wiring import Wiring
from chalicelib.desk.events import MessageAdded, TicketChanged, TicketOpened
from chalicelib.desk.tickets import CUSTOMER
from chalicelib.platform.security import dashboard_key


def wire(w: Wiring) -> None:
    secret = w.secrets
    mirror = EmailMirror(tickets=w.tickets, directory=w.directory, slack=w.slack, outbox=w.outbox, clock=w.clock,
                         link_key=lambda: mail_link_key(secret.get("SLACK_SIGNING_SECRET")))
    triage = SlackTriage(tickets=w.tickets, triage=w.triage, directory=w.directory, slack=w.slack, outbox=w.outbox,
                         clock=w.clock, rotation=w.rotation, mirror=mirror,
                         link_key=lambda: dashboard_key(secret.get("SLACK_SIGNING_SECRET")))
    intake = SlackIntake(tickets=w.tickets, directory=w.directory, slack=w.slack,
                         home=lambda event: triage.home_opened(event).action)
    owner_notices = OwnerNotices(tickets=w.tickets, directory=w.directory, outbox=w.outbox)
    # "Ticket opened": the confirmation (Slack tickets) or the triage-channel post (the others), and the
    # email itself in that post's thread: written in the transaction that opens the ticket.
    w.events.on(TicketOpened, lambda e: intake.opened_effects(e.ticket), steps=True)
    w.events.on(TicketOpened, lambda e: triage.opened_effects(e.ticket), steps=True)
    w.events.on(TicketOpened, lambda e: mirror.effects(e.ticket, e.first_key, CUSTOMER) if e.first_key else [],
                steps=True)
    w.events.on(MessageAdded, lambda e: mirror.effects(e.ticket, e.message_key, e.role), steps=True)
    # A triage change shows on the ticket's Slack message, and a new owner is told.
    w.events.on(TicketChanged, lambda e: triage_effects(e.ticket, e.actor, e.change), steps=True)
    SlackSteps(slack=w.slack, directory=w.directory.load, outbox=w.outbox, clock=w.clock).register()
    triage.register()
    triage.sessions = w.sessions
    if w.surveys is not None:
        triage.survey = SlackSurvey(surveys=w.surveys, slack=w.slack, outbox=w.outbox)
        w.surveys.register("slack", triage.survey.send)
    mirror.register()
    w.outbox.register(CONFIRM, intake.confirm_step)
    w.outbox.register(OWNER_NOTICE, owner_notices.step)
    w.replies["slack"] = SlackReplies(slack=w.slack, directory=w.directory)
    w.parts.update(slack_intake=intake, slack_triage=triage, owner_notices=owner_notices)
