""""How did we do?" in Slack: two buttons in the ticket's thread, answered by the person who asked.

The survey post is an outbox step (:meth:`SlackSurvey.send`, tagged with message metadata so a retry
after a timeout finds it instead of posting twice).  A click comes back as a block action; only the
requester (or someone linked to them as one person) can answer, and the first answer is the one kept.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.errors import SlackClientError

from chalicelib.channels.slack.api import SlackApi
from chalicelib.channels.slack.effects import ephemeral
from chalicelib.channels.slack.mrkdwn import md, mention
from chalicelib.desk.outbox import Attempt, Outbox, PermanentFailure
from chalicelib.desk.people import Identity, requester_identity
from chalicelib.desk.surveys import RATINGS, Surveys
from chalicelib.desk.tickets import InvalidInput, TicketNotFound
from chalicelib.models.tickets import Ticket
from chalicelib.platform.observability import logger

SURVEY_EVENT = "support_hero_survey"
BLOCK_PREFIX = "csat:"
ACTIONS = {"csat_good": "good", "csat_bad": "bad"}
LABELS = {"good": ":+1: Good", "bad": ":-1: Not good"}


def survey_blocks(ticket: Ticket, requester: str) -> tuple[str, list[dict[str, Any]]]:
    text = md("{} How did we do with ticket *#{}*? One click tells the team.", mention(requester), ticket.number)
    buttons = [{"type": "button", "action_id": action, "value": rating,
                "text": {"type": "plain_text", "text": LABELS[rating], "emoji": True},
                **({"style": "primary"} if rating == "good" else {})}
               for action, rating in ACTIONS.items()]
    return text, [{"type": "section", "text": {"type": "mrkdwn", "text": text}},
                  {"type": "actions", "block_id": f"{BLOCK_PREFIX}{ticket.number}", "elements": buttons}]


def thanks_blocks(rating: str) -> tuple[str, list[dict[str, Any]]]:
    text = md("Thanks for telling us. Your answer: *{}*. Anything more to say? Reply in this thread.",
              "good" if rating == "good" else "not good")
    return text, [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]


def is_survey_click(payload: dict[str, Any]) -> bool:
    return any(str(a.get("block_id") or "").startswith(BLOCK_PREFIX) for a in payload.get("actions") or [])


class SlackSurvey:
    def __init__(self, *, surveys: Surveys, slack: SlackApi, outbox: Outbox) -> None:
        self.surveys = surveys
        self.slack = slack
        self.outbox = outbox

    def send(self, ticket: Ticket, attempt: Attempt) -> str:
        origin = ticket.origin or {}
        identity = requester_identity(ticket)
        if identity is None or identity.kind != "slack" or not origin.get("channel"):
            raise PermanentFailure("the ticket has no Slack requester to ask")
        channel, thread_ts = str(origin["channel"]), str(origin.get("thread_ts") or origin.get("ts") or "")
        if attempt.maybe_sent:
            ts = self.slack.find_own_post(channel, thread_ts, SURVEY_EVENT, "ticket_id", ticket.ticket_id)
            if ts is not None:
                return f"{channel}:{ts}"
        text, blocks = survey_blocks(ticket, identity.value)
        ts = self.slack.post(channel=channel, thread_ts=thread_ts or None, text=text, blocks=blocks,
                             metadata={"event_type": SURVEY_EVENT, "event_payload": {"ticket_id": ticket.ticket_id}})
        return f"{channel}:{ts}"

    def click(self, payload: dict[str, Any]) -> str:
        """A survey button: recorded for the requester only, once; the post then says thank you."""
        user = str((payload.get("user") or {}).get("id") or "")
        container = payload.get("container") or {}
        channel = str((payload.get("channel") or {}).get("id") or container.get("channel_id") or "")
        message_ts = str(container.get("message_ts") or (payload.get("message") or {}).get("ts") or "")
        for act in payload.get("actions") or []:
            block, rating = str(act.get("block_id") or ""), ACTIONS.get(str(act.get("action_id") or ""))
            number = block[len(BLOCK_PREFIX):]
            if not block.startswith(BLOCK_PREFIX) or rating not in RATINGS or not (
                    number.isascii() and number.isdigit() and 0 < len(number) <= 12):
                continue
            try:
                ticket = self.surveys.tickets.by_number(int(number))
            except TicketNotFound:
                return "survey:gone"
            if not self._is_requester(ticket, user):
                self.outbox.add(ephemeral(f"survey-not-yours:{ticket.ticket_id}:{user}", channel, user,
                                          "Only the person who asked can answer this survey."))
                return "survey:not-the-requester"
            try:
                ticket, recorded = self.surveys.rate(ticket, rating, by=(f"slack:{user}", "the requester"))
            except InvalidInput:
                return "survey:not-asked"
            if recorded and channel and message_ts:
                text, blocks = thanks_blocks(rating)
                try:  # the rating is what matters; a thank-you that fails is not worth a retry
                    self.slack.update(channel=channel, ts=message_ts, text=text, blocks=blocks)
                except (SlackClientError, OSError):
                    logger.warning("could not thank for a survey answer in Slack")
            elif not recorded:
                self.outbox.add(ephemeral(f"survey-again:{ticket.ticket_id}:{user}", channel, user,
                                          "Your answer was already recorded: thank you."))
            return f"survey:{'recorded' if recorded else 'already'}"
        return "survey:ignored"

    def _is_requester(self, ticket: Ticket, user: str) -> bool:
        asked = requester_identity(ticket)
        clicked = Identity.of("slack", user)
        if asked is None or clicked is None:
            return False
        if asked == clicked:
            return True
        owners = self.surveys.people.person_ids([asked.key, clicked.key])
        return asked.key in owners and owners.get(asked.key) == owners.get(clicked.key)
