"""Errors that ask for a later retry instead of an immediate one."""

from __future__ import annotations


class RetryLater(Exception):
    """The peer said when to come back (rate limit): the queue message waits ``delay`` seconds."""

    def __init__(self, message: str, delay: int) -> None:
        super().__init__(message)
        self.delay = max(1, min(int(delay), 12 * 3600))  # SQS visibility is capped at 12 h
