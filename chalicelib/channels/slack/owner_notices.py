"""Telling a ticket's new owner by Slack DM (written with the triage change that made them the owner)."""

from __future__ import annotations

import datetime as dt

from chalicelib.channels.slack.mrkdwn import md, quote, readable
from chalicelib.desk.directory_store import DirectoryStore
from chalicelib.desk.outbox import Attempt, Outbox, Step, step_id
from chalicelib.desk.tickets import TicketService
from chalicelib.models.tickets import Ticket

NOTICE_WINDOW_SECONDS = 3600
OWNER_NOTICE = "owner.notice"


def owner_notice_step(ticket: Ticket, member_id: str, note: str | None) -> Step:
    """Tell a ticket's new owner (written with the triage change that made them the owner)."""
    return Step(step_id(OWNER_NOTICE, ticket.ticket_id, int(ticket.version or 0) + 1, member_id), OWNER_NOTICE,
                {"ticket_id": ticket.ticket_id, "member_id": member_id, "note": note},
                ticket_id=ticket.ticket_id, ticket_number=int(ticket.number) if ticket.number is not None else None,
                summary=f"tell {member_id} about #{ticket.number}")


class OwnerNotices:
    """Tell a ticket's new owner by Slack DM: hand-overs always, plain assignments at most once
    an hour per ticket (the claim is a conditional write, so retries and races send one)."""

    def __init__(self, *, tickets: TicketService, directory: DirectoryStore, outbox: Outbox) -> None:
        self.tickets = tickets
        self.directory = directory
        self.outbox = outbox

    def step(self, attempt: Attempt) -> str:
        """The ``owner.notice`` step: decide (throttle), then write the DM and App Home steps."""
        from chalicelib.channels.slack.effects import tell
        from chalicelib.channels.slack.triage import home_step

        payload = attempt.payload
        ticket_id, member_id, note = str(payload["ticket_id"]), str(payload["member_id"]), payload.get("note")
        ticket = self.tickets.find(ticket_id)
        member = self.directory.load().member(member_id)
        if ticket is None or member is None or not member.slack_user_id:
            return "ignored:no-slack-user"
        now = self.tickets.clock.now()
        key = f"owner-notice:{ticket_id}:{member_id}" + (f":handover:{attempt.step_id}" if note else "")
        window = None if note else dt.timedelta(seconds=NOTICE_WINDOW_SECONDS)  # a hand-over is always told
        if not self.tickets.store.claim_ref(key, ticket_id=ticket_id, number=ticket.number, now=now, window=window,
                                            target=attempt.step_id):
            self.outbox.add(home_step(member_id))
            return "throttled"
        summary = md("*#{}* {} ({}, {})", ticket.number, ticket.subject, ticket.channel, ticket.priority)
        # The note may come from a Slack command: its markup is shown as names, never re-posted live.
        text = (md(":handshake: Ticket {} was handed over to you.\n{}", summary, quote(readable(note))) if note
                else md(":ticket: Ticket {} is now yours.", summary))
        self.outbox.add(tell(f"notice:{attempt.step_id}", member_id, text, ticket_id=ticket_id,
                             ticket_number=int(ticket.number) if ticket.number is not None else None,
                             summary=f"tell {member_id} about #{ticket.number}"),
                        home_step(member_id))
        return "notified"
