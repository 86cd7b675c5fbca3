"""The GitHub channel's part of the composition root."""

from __future__ import annotations

from chalicelib.channels.github.intake import GitHubIntake
from chalicelib.channels.github.replies import GitHubReplies
from chalicelib.channels.wiring import Wiring


def wire(w: Wiring) -> None:
    w.replies["github"] = GitHubReplies(w.github)
    w.parts["github_intake"] = GitHubIntake(tickets=w.tickets, directory=w.directory, links=w.links,
                                            github=w.github)
