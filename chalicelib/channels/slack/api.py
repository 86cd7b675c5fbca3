"""Slack Web API through slack-sdk's real ``WebClient``, with rate-limit retries.

Every call leaves through :class:`EscapingWebClient`, the Slack boundary: each text Slack would
parse as markup (``text``, ``topic``, the ``mrkdwn`` objects in ``blocks`` and views) is escaped
unless it is :class:`~chalicelib.channels.slack.mrkdwn.Mrkdwn` built by us (see its module).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import HttpRequest, HttpResponse, RetryState
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.web import SlackResponse

from chalicelib.channels.slack.mrkdwn import render_payload


@dataclass(frozen=True)
class SlackUser:
    id: str
    name: str
    avatar_url: str | None
    email: str | None = None  # the profile's email: needs the users:read.email scope (else absent)
    is_bot: bool = False


@dataclass(frozen=True)
class BotIdentity:
    user_id: str
    bot_id: str | None


def ts_to_datetime(ts: str) -> dt.datetime:
    """Slack's ``"1599529504.000400"`` as an exact UTC datetime (no float rounding)."""
    seconds, _, fraction = ts.partition(".")
    micros = int((fraction + "000000")[:6]) if fraction else 0
    return dt.datetime.fromtimestamp(int(seconds), dt.UTC) + dt.timedelta(microseconds=micros)


SHORT_RETRY_AFTER = 5  # seconds slack-sdk may wait in-process; longer waits are the outbox's (a later retry)


class ShortRateLimitRetryHandler(RateLimitErrorRetryHandler):
    """Wait out a 429 in-process only when Slack asks for a few seconds: a Lambda must not sleep for
    minutes, and the outbox retries a step at the time ``Retry-After`` names."""

    def _can_retry(self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
                   error: Exception | None = None) -> bool:
        if response is None or response.status_code != 429:
            return False
        values = next((v for k, v in response.headers.items() if k.lower() == "retry-after"), ["1"])
        try:
            return int(values[0]) <= SHORT_RETRY_AFTER
        except (ValueError, IndexError):
            return False


class NotSentRetryHandler(ConnectionErrorRetryHandler):
    """Retry at once only when the request cannot have reached Slack (connection refused, no DNS).
    A reset or a timeout after sending may have posted: the outbox looks before it retries those."""

    def _can_retry(self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
                   error: Exception | None = None) -> bool:
        import socket
        import urllib.error

        reason = error.reason if isinstance(error, urllib.error.URLError) else error
        return response is None and isinstance(reason, ConnectionRefusedError | socket.gaierror)


class EscapingWebClient(WebClient):
    """A ``WebClient`` whose every call is rendered by the one Slack escaping rule, so a direct
    ``client.chat_update(...)`` is as safe as :meth:`SlackApi.post`: plain ``str`` is escaped."""

    def api_call(
        self,
        api_method: str,
        *,
        http_verb: str = "POST",
        files: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        headers: dict[str, Any] | None = None,
        auth: dict[str, Any] | None = None,
    ) -> SlackResponse:
        return super().api_call(
            api_method, http_verb=http_verb, files=files, data=render_payload(data),
            params=render_payload(params), json=render_payload(json), headers=headers, auth=auth,
        )


class SlackApi:
    USER_CACHE_SECONDS = 3600

    def __init__(self, *, token: Callable[[], str], base_url: str, timeout: int = 10) -> None:
        self._token = token
        self._base_url = base_url
        self._timeout = timeout
        self._client: WebClient | None = None
        self._identity: BotIdentity | None = None
        self._users: dict[str, tuple[float, SlackUser]] = {}
        self._lock = threading.Lock()

    @property
    def client(self) -> WebClient:
        if self._client is None:
            self._client = EscapingWebClient(
                token=self._token(),
                base_url=self._base_url,
                timeout=self._timeout,
                retry_handlers=[
                    NotSentRetryHandler(max_retry_count=2),
                    ShortRateLimitRetryHandler(max_retry_count=2),
                ],
            )
        return self._client

    def identity(self) -> BotIdentity:
        if self._identity is None:
            result = self.client.auth_test()
            self._identity = BotIdentity(str(result["user_id"]), result.get("bot_id"))
        return self._identity

    def user(self, user_id: str) -> SlackUser:
        now = time.monotonic()
        with self._lock:
            hit = self._users.get(user_id)
        if hit and now - hit[0] < self.USER_CACHE_SECONDS:
            return hit[1]
        try:
            info: dict[str, Any] = self.client.users_info(user=user_id)["user"]
        except SlackApiError as exc:
            if exc.response.get("error") in ("user_not_found", "missing_scope"):
                return SlackUser(user_id, user_id, None)
            raise
        profile = info.get("profile") or {}
        name = profile.get("display_name") or profile.get("real_name") or info.get("real_name") or info.get("name")
        email = profile.get("email")
        user = SlackUser(user_id, str(name or user_id), profile.get("image_72"),
                         email=email if isinstance(email, str) else None,
                         is_bot=bool(info.get("is_bot") or info.get("is_app_user") or profile.get("bot_id")))
        with self._lock:
            self._users[user_id] = (now, user)
        return user

    def thread(self, channel: str, ts: str) -> Iterator[dict[str, Any]]:
        """A thread's messages, parent first (``ts`` may be the parent or any reply)."""
        cursor: str | None = None
        while True:
            try:
                page = self.client.conversations_replies(
                    channel=channel, ts=ts, cursor=cursor, limit=200, include_all_metadata=True
                )
            except SlackApiError as exc:
                if exc.response.get("error") == "thread_not_found":
                    return
                raise
            yield from page.get("messages") or []
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """One message by ts: top-level via history, a thread reply via replies."""
        page = self.client.conversations_history(channel=channel, latest=ts, inclusive=True, limit=1)
        for msg in page.get("messages") or []:
            if msg.get("ts") == ts:
                return dict(msg)
        for msg in self.thread(channel, ts):
            if msg.get("ts") == ts:
                return dict(msg)
        return None

    def post(
        self,
        *,
        channel: str,
        text: str,
        thread_ts: str | None = None,
        username: str | None = None,
        icon_url: str | None = None,
        metadata: dict[str, Any] | None = None,
        blocks: list[dict[str, Any]] | None = None,
    ) -> str:
        kwargs: dict[str, Any] = {"channel": channel, "text": text, "unfurl_links": False}
        if thread_ts:
            kwargs["thread_ts"] = thread_ts
        if username:
            kwargs["username"] = username
        if icon_url:
            kwargs["icon_url"] = icon_url
        if metadata:
            kwargs["metadata"] = metadata
        if blocks:
            kwargs["blocks"] = blocks
        result = self.client.chat_postMessage(**kwargs)
        return str(result["ts"])

    def update(self, *, channel: str, ts: str, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        self.client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)

    def publish_home(self, user_id: str, view: dict[str, Any]) -> None:
        self.client.views_publish(user_id=user_id, view=view)

    def open_dm(self, user_id: str) -> str:
        return str(self.client.conversations_open(users=user_id)["channel"]["id"])

    def call_rendered(self, method: str, payload: dict[str, Any]) -> SlackResponse:
        """A call whose payload was rendered by :func:`~chalicelib.channels.slack.mrkdwn.render_payload` when its outbox
        step was written (so it is not escaped twice)."""
        client = self.client
        return WebClient.api_call(client, method, json=payload)

    def find_own_post(self, channel: str, thread_ts: str | None, event_type: str, key: str,
                      value: str) -> str | None:
        """The ts of our earlier post tagged with ``metadata`` (an unknown outcome, a crash): in the thread
        of ``thread_ts``, or among the channel's latest 200 messages."""
        me = self.identity()
        messages: Iterator[dict[str, Any]] | list[dict[str, Any]]
        if thread_ts:
            messages = self.thread(channel, thread_ts)
        else:
            page = self.client.conversations_history(channel=channel, limit=200, include_all_metadata=True)
            messages = list(page.get("messages") or [])
        for msg in messages:
            meta = msg.get("metadata") or {}
            payload = meta.get("event_payload") or {}
            mine = msg.get("user") == me.user_id or (me.bot_id and msg.get("bot_id") == me.bot_id)
            if mine and meta.get("event_type") == event_type and str(payload.get(key)) == value:
                return str(msg["ts"])
        return None
