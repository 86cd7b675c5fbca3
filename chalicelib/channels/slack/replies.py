"""An agent's reply to a Slack ticket: a post in the customer's thread, under the agent's name and picture."""

from __future__ import annotations

from chalicelib.channels.slack.api import SlackApi
from chalicelib.desk.directory_store import DirectoryStore
from chalicelib.models.tickets import Message, Ticket

REPLY_EVENT = "support_hero_reply"


class SlackReplies:
    def __init__(self, *, slack: SlackApi, directory: DirectoryStore) -> None:
        self.slack = slack
        self.directory = directory

    def send(self, ticket: Ticket, message: Message) -> str:
        origin = ticket.origin or {}
        member = self.directory.load().member(message.author_id or "")
        # Replies and notices are plain text (they go out by email and GitHub too): the Slack boundary
        # escapes them, so what an agent typed, or a notice quoting an issue title, shows literally.
        return self.slack.post(
            channel=str(origin["channel"]), thread_ts=str(origin["thread_ts"]), text=message.text or "",
            username=member.name if member else message.author_name,
            icon_url=member.avatar_url if member else None,
            metadata={"event_type": REPLY_EVENT, "event_payload": {"message_key": message.message_key}},
        )

    def find_sent(self, ticket: Ticket, message: Message) -> str | None:
        origin = ticket.origin or {}
        return self.slack.find_own_post(str(origin["channel"]), str(origin["thread_ts"]), REPLY_EVENT,
                                        "message_key", message.message_key)
