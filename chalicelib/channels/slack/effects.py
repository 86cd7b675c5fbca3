"""Slack side effects as outbox steps: a message (to a member, a user, a channel or a thread), an
agent's private answer, a channel topic.

The builders (:func:`tell`, :func:`post`, :func:`ephemeral`, :func:`topic`) render the text by the
one Slack escaping rule when the step is written, so what is stored is exactly what will be sent.
:class:`SlackSteps` sends them: every post carries the step id in Slack message metadata, so after
an unknown outcome (a timeout once Slack had the request) the retry finds the post instead of
posting twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from chalicelib.channels.slack.api import SlackApi
from chalicelib.channels.slack.mrkdwn import md, render_payload
from chalicelib.desk.directory import Directory
from chalicelib.desk.outbox import Attempt, Outbox, PermanentFailure, Step, classify, step_id
from chalicelib.platform.clock import Clock

STEP_EVENT = "support_hero_step"
MESSAGE, EPHEMERAL, TOPIC = "slack.message", "slack.ephemeral", "slack.topic"
# Where an ephemeral answer cannot go: the agent gets it by DM instead, with the reason.
EPHEMERAL_FALLBACK = frozenset({"Slack: not_in_channel", "Slack: channel_not_found", "Slack: user_not_in_channel",
                                "Slack: is_archived", "Slack: channel_is_archived", "Slack: restricted_action"})


def _rendered(text: str, blocks: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    call = render_payload({"text": text, **({"blocks": blocks} if blocks else {})})
    assert call is not None
    return call


def tell(key: str, member_id: str | None, text: str, *, blocks: list[dict[str, Any]] | None = None,
         ticket_id: str | None = None, ticket_number: int | None = None, summary: str = "",
         stale_after: dt.datetime | None = None) -> Step:
    """A DM to a team member (the Hero channel when they have no Slack id).  ``stale_after``: not sent
    once that time has passed (a 75 % warning delivered after its target's breach says nothing)."""
    payload: dict[str, Any] = {"to": {"member": member_id}, "call": _rendered(text, blocks)}
    if stale_after is not None:
        payload["stale_after"] = int(stale_after.timestamp())
    return Step(step_id(MESSAGE, key), MESSAGE, payload, ticket_id=ticket_id, ticket_number=ticket_number,
                summary=summary or f"DM to {member_id or 'the Hero'}")


def dm_user(key: str, slack_user: str, text: str, **kw: Any) -> Step:
    return Step(step_id(MESSAGE, key), MESSAGE, {"to": {"user": slack_user}, "call": _rendered(text)},
                summary=kw.pop("summary", f"DM to {slack_user}"), **kw)


def post(key: str, channel: str, text: str, *, thread_ts: str | None = None,
         blocks: list[dict[str, Any]] | None = None, summary: str = "", **kw: Any) -> Step:
    to = {"channel": channel, **({"thread_ts": thread_ts} if thread_ts else {})}
    return Step(step_id(MESSAGE, key), MESSAGE, {"to": to, "call": _rendered(text, blocks)},
                summary=summary or f"post in {channel}", **kw)


def ephemeral(key: str, channel: str, user: str, text: str) -> Step:
    """An answer only ``user`` sees (a /ticket command's); a DM if it cannot be shown there."""
    return Step(step_id(EPHEMERAL, key), EPHEMERAL, {"channel": channel, "user": user, "call": _rendered(text)},
                summary=f"private answer to {user}")


def topic(key: str, channel: str, text: str) -> Step:
    call = render_payload({"topic": text})
    assert call is not None
    return Step(step_id(TOPIC, key), TOPIC, {"channel": channel, "call": call}, summary=f"topic of {channel}")


class SlackSteps:
    def __init__(self, *, slack: SlackApi, directory: Callable[[], Directory], outbox: Outbox, clock: Clock) -> None:
        self.clock = clock
        self.slack = slack
        self.directory = directory
        self.outbox = outbox

    def register(self) -> None:
        self.outbox.register(MESSAGE, self.message)
        self.outbox.register(EPHEMERAL, self.ephemeral)
        self.outbox.register(TOPIC, self.topic)

    def _where(self, to: dict[str, Any]) -> tuple[str, str | None]:
        if to.get("channel"):
            return str(to["channel"]), to.get("thread_ts")
        if to.get("user"):
            return self.slack.open_dm(str(to["user"])), None
        directory = self.directory()
        member = directory.member(str(to.get("member") or "")) if to.get("member") else None
        if member is not None and member.slack_user_id:
            return self.slack.open_dm(member.slack_user_id), None
        channel = directory.settings.hero_channel
        if not channel:
            raise PermanentFailure("nobody to tell: no Slack user for that member and no hero channel",
                                   "set the member's slack id or [settings] hero_channel in the directory")
        return channel, None

    def message(self, attempt: Attempt) -> str:
        stale_after = attempt.payload.get("stale_after")
        if stale_after is not None and self.clock.time() > float(stale_after):
            return "superseded"  # e.g. a 75 % warning after its breach: the breach notice tells it all
        channel, thread_ts = self._where(dict(attempt.payload.get("to") or {}))
        if attempt.maybe_sent:
            found = self.slack.find_own_post(channel, thread_ts, STEP_EVENT, "step", attempt.step_id)
            if found is not None:
                return found
        call = {**dict(attempt.payload["call"]), "channel": channel, "unfurl_links": False,
                "metadata": {"event_type": STEP_EVENT, "event_payload": {"step": attempt.step_id}}}
        if thread_ts:
            call["thread_ts"] = thread_ts
        return str(self.slack.call_rendered("chat.postMessage", call)["ts"])

    def ephemeral(self, attempt: Attempt) -> str:
        payload = attempt.payload
        try:
            self.slack.call_rendered("chat.postEphemeral", {**dict(payload["call"]), "channel": payload["channel"],
                                                            "user": payload["user"]})
        except Exception as exc:
            verdict = classify(exc)
            if not verdict.permanent or verdict.reason not in EPHEMERAL_FALLBACK:
                raise
            note = md("_I could not answer you in <#{}> ({}), so here is the answer:_\n",
                      str(payload["channel"]), verdict.reason.removeprefix("Slack: "))
            text = str(payload["call"].get("text") or "")
            self.outbox.add(Step(step_id(MESSAGE, "fallback", attempt.step_id), MESSAGE,
                                 {"to": {"user": payload["user"]}, "call": {"text": str(note) + text}},
                                 summary=f"answer by DM to {payload['user']}"))
            return "fallback:dm"
        return "ephemeral"

    def topic(self, attempt: Attempt) -> str:
        self.slack.call_rendered("conversations.setTopic",
                                 {**dict(attempt.payload["call"]), "channel": attempt.payload["channel"]})
        return "topic"
