"""The App Home of a team member: tickets waiting for their reply, the unassigned queue, who the Hero
is, and (for the Hero) what could not be delivered.  Published by the ``slack.home`` outbox step,
rendered when it runs (the latest state)."""

from __future__ import annotations

import urllib.parse

from chalicelib.channels.slack.api import SlackApi
from chalicelib.channels.slack.blocks import home_view
from chalicelib.channels.slack.mrkdwn import Mrkdwn, md
from chalicelib.desk.directory import TeamMember
from chalicelib.desk.directory_store import DirectoryStore
from chalicelib.desk.outbox import Attempt, Outbox, Step
from chalicelib.desk.rotation import RotationStore
from chalicelib.desk.tickets import TicketService
from chalicelib.platform.clock import Clock

HOME = "slack.home"


def home_step(member_id: str) -> Step:
    """Publish a member's App Home (rendered when the step runs: the latest state)."""
    return Step.new(HOME, {"member_id": member_id}, summary=f"App Home of {member_id}")


class AppHome:
    def __init__(self, *, tickets: TicketService, directory: DirectoryStore, slack: SlackApi, outbox: Outbox,
                 clock: Clock, rotation: RotationStore | None = None) -> None:
        self.tickets = tickets
        self.directory = directory
        self.slack = slack
        self.outbox = outbox
        self.clock = clock
        self.rotation = rotation

    def step(self, attempt: Attempt) -> str:
        member = self.directory.load().member(str(attempt.payload["member_id"]))
        if member is None or not member.slack_user_id:
            return "no-slack-user"
        self.publish(member)
        return "published"

    def publish(self, member: TeamMember) -> None:
        if not member.slack_user_id:
            return
        awaiting = self.tickets.list_view("awaiting-reply", member.id, 50, None).tickets  # oldest first
        unassigned = self.tickets.list_view("unassigned", None, 50, None).tickets
        view = home_view(member.name, awaiting, unassigned, self.clock.time(), hero_line=self._hero_line(member),
                         failures=self._failures_for(member))
        self.slack.publish_home(member.slack_user_id, view)

    def _failures_for(self, member: TeamMember) -> list[Mrkdwn]:
        """The Hero's App Home lists what could not be delivered (newest first), with why and the replay."""
        directory = self.directory.load()
        if not directory.settings.rotation_roster or self.rotation is None:
            return []
        if self.rotation.current_hero(directory.settings, cached=True) != member.id:
            return []
        items, _ = self.outbox.failures(10)
        return [md("• {}{}: {} — `POST /api/failures/{}/retry`", i.summary or i.kind,
                   f" (#{int(i.ticket_number)})" if i.ticket_number is not None else "", i.last_error or "?",
                   urllib.parse.quote(i.step_id, safe="")) for i in items]

    def _hero_line(self, member: TeamMember) -> Mrkdwn | None:
        """"Support Hero until Sun 13 Dec: Bo Agent" at the top of App Home (None without a rotation)."""
        directory = self.directory.load()
        sprint = self.rotation.current(directory.settings, cached=True) if self.rotation else None
        hero = directory.member(sprint.hero) if sprint and sprint.hero else None
        if sprint is None or hero is None:
            return None
        you = " (you)" if hero.id == member.id else ""
        return md(":superhero: Support Hero until {:%a %d %b}: *{}*{}", sprint.end, hero.name, you)
