"""An agent's reply to a GitHub ticket: an issue comment mentioning the asker, with a hidden marker that
finds it again when an earlier attempt's outcome is unknown."""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.channels.github.api import GitHubApi
from chalicelib.models.tickets import Message, Ticket

GITHUB_MARKER = "<!-- support-hero:{} -->"


class GitHubReplies:
    def __init__(self, github: Callable[[], GitHubApi]) -> None:
        self.github = github

    def send(self, ticket: Ticket, message: Message) -> str:
        """An issue comment that mentions the requester (the comment itself is the reply)."""
        origin = ticket.origin or {}
        marker = GITHUB_MARKER.format(message.message_key)
        comment = self.github().create_comment(str(origin["repo"]), int(origin["number"]),
                                               f"@{origin['login']} {message.text or ''}\n\n{marker}")
        return f"github-comment:{comment.get('id')}"

    def find_sent(self, ticket: Ticket, message: Message) -> str | None:
        origin = ticket.origin or {}
        marker = GITHUB_MARKER.format(message.message_key)
        for comment in self.github().comments(str(origin["repo"]), int(origin["number"])):
            if marker in str(comment.get("body") or ""):
                return f"github-comment:{comment.get('id')}"
        return None
