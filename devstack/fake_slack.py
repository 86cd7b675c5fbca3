"""A local fake of the Slack Web API: real HTTP, answers shaped like Slack's, every call recorded.

Tests and the local stack point slack-sdk's real ``WebClient`` at it (``base_url``,
which must end with ``/``); a control API under ``/_fake/`` lets other processes
seed messages and users, make the next calls fail, and read what was called::

    GET  /_fake/health
    GET  /_fake/calls[?method=chat.postMessage]   -> JSON list of recorded calls
    GET  /_fake/messages[?channel=C0ACME]         -> JSON list of stored messages
    POST /_fake/reset
    POST /_fake/messages  {"channel", "ts", "user", "text", "thread_ts"?, ...}
    POST /_fake/users     {"user_id", "name", "real_name"?, "image_72"?, "is_bot"?}
    POST /_fake/fail      {"method", "status"?, "retry_after"?, "count"?, "error"?}
    POST /_fake/outage    {"status"?: 500|503|429, "retry_after"?, "until"?: ISO 8601 with offset, "methods"?: [...]}
    DELETE /_fake/outage
    POST /_fake/slow      {"method", "delay", "count"?}

An outage answers every Web API call (of ``methods``, else all) with ``status`` without
applying it until the fake's clock (``now``: the dev clock under ``make run``) passes
``until``: 429 with ``Retry-After`` and ``ratelimited``, 5xx a plain-text error page as
Slack's edge gives. Such calls are still in ``calls()``, marked ``"failed": true``.
A slow answer applies the call (the message is posted), then waits ``delay`` seconds
before answering, so a client with a shorter timeout never learns that it worked.

Run it on its own with ``python -m devstack.fake_slack --port 9001 [--bot-token xoxb-dev]``.

Slack's behaviour it reproduces, on purpose: ``conversations.history`` lists top-level
messages (and thread broadcasts) newest first with exclusive ``latest``/``oldest``
bounds unless ``inclusive``; ``conversations.replies`` lists a thread parent first then
its replies oldest first, for the parent's or any reply's ``ts``; both page with
``response_metadata.next_cursor`` and leave ``metadata`` out unless
``include_all_metadata`` is set. Where real Slack would need state the fake does not
model (channel membership, which channels exist) it is lenient: an unseeded channel
is simply empty.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import copy
import datetime as dt
import json
import logging
import os
import signal
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Any

logger = logging.getLogger(__name__)

Json = dict[str, Any]
TsKey = tuple[int, int]

PERMALINK_HOST = "https://fake-slack.local"
HISTORY_DEFAULT_LIMIT = 100
REPLIES_DEFAULT_LIMIT = 1000
MAX_LIMIT = 1000
Now = Callable[[], dt.datetime]


def dev_clock_now() -> dt.datetime:
    """The local stack's time: the dev clock when ``SUPPORT_HERO_DEV_CLOCK`` names its file, else real time."""
    path = os.environ.get("SUPPORT_HERO_DEV_CLOCK")
    if not path:
        return dt.datetime.now(dt.UTC)
    from chalicelib.platform.clock import DevClock

    clock = _DEV_CLOCKS.get(path)
    if clock is None:
        clock = _DEV_CLOCKS[path] = DevClock(path)
    return clock.now()


_DEV_CLOCKS: dict[str, Any] = {}


def parse_until(value: Any) -> dt.datetime | None:
    """``until`` of an outage: an aware datetime or ISO 8601 text with an offset (``Z`` counts)."""
    if value is None or value == "":
        return None
    at = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if at.tzinfo is None:
        raise ValueError("until needs a UTC offset, e.g. 2026-11-28T10:00:00Z")
    return at


def new_outage(status: int, retry_after: int | None, until: dt.datetime | str | None,
               methods: Iterable[str] | None) -> dict[str, Any]:
    """An outage switch's state (the fake Slack's and the fake GitHub's): what to answer, until when, to what."""
    if int(status) not in (429, 500, 502, 503, 504):
        raise ValueError("an outage answers 429, 500, 502, 503 or 504")
    return {"status": int(status), "retry_after": None if retry_after is None else int(retry_after),
            "until": parse_until(until), "methods": None if methods is None else tuple(methods)}


class FakeSlack:
    """An in-memory Slack workspace served over HTTP; all state is guarded by one lock."""

    def __init__(
        self,
        bot_token: str | None = None,
        bot_user_id: str = "U0BOT",
        bot_id: str = "B0BOT",
        team_id: str = "T0DEV",
        now: Now | None = None,
    ) -> None:
        self.bot_token = bot_token
        self.now: Now = now or dev_clock_now  # the outage clock; tests swap it
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.team_id = team_id
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._last_ts_us = 0  # never reset: posted ts stay unique across reset()
        self._calls: list[Json] = []
        self._messages: dict[str, dict[str, Json]] = {}
        self._users: dict[str, Json] = {}
        self._failures: dict[str, list[Json]] = {}
        self._outage: Json | None = None
        self._slow: dict[str, list[float]] = {}
        self.reset()

    # -- lifecycle ----------------------------------------------------------------
    def start(self, host: str = "127.0.0.1", port: int = 0) -> FakeSlack:
        """Serve on ``host:port`` (port 0 picks a free one) from a daemon thread."""
        if self._server is not None:
            raise RuntimeError("FakeSlack is already started")
        server = ThreadingHTTPServer((host, port), _handler_for(self))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-slack", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> FakeSlack:
        return self if self._server is not None else self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    @property
    def address(self) -> tuple[str, int]:
        if self._server is None:
            raise RuntimeError("FakeSlack is not started")
        host, port = self._server.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else str(host)
        return ("127.0.0.1" if host in ("", "0.0.0.0") else host), int(port)

    @property
    def url(self) -> str:
        """The server's root, e.g. ``http://127.0.0.1:9001`` (the control API is under ``/_fake/``)."""
        host, port = self.address
        return f"http://{host}:{port}"

    @property
    def base_url(self) -> str:
        """What ``WebClient(base_url=...)`` takes, e.g. ``http://127.0.0.1:9001/api/``."""
        return f"{self.url}/api/"

    # -- state and seeding ------------------------------------------------------------
    def reset(self) -> None:
        """Forget calls, messages, users, pending failures, outage and slow answers (the bot user stays)."""
        with self._lock:
            self._calls = []
            self._messages = {}
            self._users = {}
            self._failures = {}
            self._outage = None
            self._slow = {}
            self.add_user(self.bot_user_id, "support-hero", real_name="Support Hero", is_bot=True)

    def calls(self, method: str | None = None) -> list[Json]:
        """Recorded calls, oldest first: ``{"method", "params", "token", "at"}``."""
        with self._lock:
            return [copy.deepcopy(c) for c in self._calls if method is None or c["method"] == method]

    def messages(self, channel: str | None = None) -> list[Json]:
        """Stored messages (oldest first), as seeded or posted, without Slack's thread decorations."""
        with self._lock:
            channels = [channel] if channel is not None else sorted(self._messages)
            found = [m for c in channels for m in self._messages.get(c, {}).values()]
            return copy.deepcopy(sorted(found, key=lambda m: _ts_key(m["ts"])))

    def add_message(
        self, channel: str, ts: str, user: str, text: str, thread_ts: str | None = None, **extra: Any
    ) -> Json:
        """Seed (or overwrite) a message; ``thread_ts`` makes it a reply in that thread."""
        msg: Json = {"type": "message", "user": user, "text": text, "ts": str(ts), **extra}
        if thread_ts and thread_ts != ts:
            msg["thread_ts"] = str(thread_ts)
        with self._lock:
            msg["channel_id"] = channel  # internal, stripped from answers
            self._messages.setdefault(channel, {})[str(ts)] = msg
            return self._render(channel, msg, metadata=True)

    def add_user(
        self,
        user_id: str,
        name: str,
        real_name: str | None = None,
        image_72: str | None = None,
        is_bot: bool = False,
        email: str | None = None,
    ) -> Json:
        """Seed a user for ``users.info`` (display_name is the real name, as Slack shows it)."""
        real = real_name or name
        user: Json = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "deleted": False,
            "real_name": real,
            "tz": "Etc/UTC",
            "is_bot": is_bot,
            "is_app_user": False,
            "profile": {
                "display_name": real,
                "real_name": real,
                "image_72": image_72,
                "image_192": image_72,
                "team": self.team_id,
            },
        }
        if email:  # what users:read.email shows: the account's (verified) address
            user["profile"]["email"] = email
        if is_bot and user_id == self.bot_user_id:
            user["profile"]["bot_id"] = self.bot_id
        with self._lock:
            self._users[user_id] = user
        return copy.deepcopy(user)

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int = 1,
        count: int = 1,
        error: str | None = None,
    ) -> None:
        """Make the next ``count`` calls of ``method`` fail (before any other check).

        429 answers ``Retry-After: retry_after`` and ``ratelimited``; 200 answers
        ``{"ok": false, "error": error}``; 5xx (or any other status) answers that status.
        """
        failure = {"status": int(status), "retry_after": int(retry_after), "error": error}
        with self._lock:
            self._failures.setdefault(method, []).extend(dict(failure) for _ in range(int(count)))

    def outage(self, status: int = 500, retry_after: int | None = None, until: dt.datetime | str | None = None,
               methods: Iterable[str] | None = None) -> None:
        """Answer every API call (of ``methods``, default all) with ``status``, applying none, until
        ``self.now()`` reaches ``until`` (``None``: until :meth:`end_outage` or :meth:`reset`)."""
        outage = new_outage(status, retry_after, until, methods)
        with self._lock:
            self._outage = outage

    def end_outage(self) -> None:
        with self._lock:
            self._outage = None

    def slow_next(self, method: str, delay: float, count: int = 1) -> None:
        """The next ``count`` calls of ``method`` are applied, then answered ``delay`` seconds late."""
        with self._lock:
            self._slow.setdefault(method, []).extend([float(delay)] * int(count))

    def _outage_for(self, method: str) -> Json | None:
        outage = self._outage
        if outage is None:
            return None
        if outage["until"] is not None and self.now() >= outage["until"]:
            self._outage = None
            return None
        return outage if outage["methods"] is None or method in outage["methods"] else None

    # -- dispatch ------------------------------------------------------------------
    def dispatch(self, method: str, params: Json, token: str | None) -> tuple[int, dict[str, str], Json]:
        """Record one Web API call and answer it: ``(http status, extra headers, body)``."""
        status, headers, body, _ = self.serve(method, params, token)
        return status, headers, body if isinstance(body, dict) else {"ok": False, "error": body}

    def serve(self, method: str, params: Json, token: str | None) -> tuple[int, dict[str, str], Json | str, float]:
        """:meth:`dispatch` for the HTTP server: the body may be plain text, and the answer's delay."""
        with self._lock:
            call: Json = {"method": method, "params": copy.deepcopy(params), "token": token, "at": time.time()}
            self._calls.append(call)
            outage = self._outage_for(method)
            if outage is not None:
                call.update(failed=True, status=outage["status"])
                return _outage_answer(outage)
            pending = self._failures.get(method)
            failure = pending.pop(0) if pending else None
            if failure is not None:
                call.update(failed=True, status=failure["status"])
                status, headers, body = _failure_answer(failure)
                return status, headers, body, 0.0
            status, headers, answer = self._apply(method, params, token)
            slow = self._slow.get(method)
            return status, headers, answer, (slow.pop(0) if slow else 0.0)

    def _apply(self, method: str, params: Json, token: str | None) -> tuple[int, dict[str, str], Json]:
        with self._lock:
            if not token:
                return 200, {}, {"ok": False, "error": "not_authed"}
            if self.bot_token is not None and token != self.bot_token:
                return 200, {}, {"ok": False, "error": "invalid_auth"}
            handler = self._methods().get(method)
            if handler is None:
                return 200, {}, {"ok": False, "error": "unknown_method"}
            return 200, {}, copy.deepcopy(handler(params))

    def _methods(self) -> dict[str, Callable[[Json], Json]]:
        return {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.getPermalink": self._chat_get_permalink,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "conversations.setTopic": self._conversations_set_topic,
            "conversations.open": self._conversations_open,
            "users.info": self._users_info,
            "views.publish": self._views_publish,
            "views.open": self._views_open,
            "reactions.add": self._reactions_add,
        }

    # -- Slack methods (called with the lock held) ------------------------------------
    def _auth_test(self, _: Json) -> Json:
        return {
            "ok": True,
            "url": "https://fake-slack.local/",
            "team": "Fake Workspace",
            "user": "support-hero",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _chat_post_message(self, p: Json) -> Json:
        channel = _str(p.get("channel"))
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not p.get("text") and not p.get("blocks"):
            return {"ok": False, "error": "no_text"}
        if channel[:1] in ("U", "W"):  # a user id: Slack posts in the app's DM with them
            channel = "D" + channel
        ts = self._next_ts(channel)
        msg: Json = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": "A0FAKE",
            "team": self.team_id,
            "text": _str(p.get("text")),
            "ts": ts,
            "channel_id": channel,
        }
        for key in ("blocks", "attachments", "username", "icon_url", "icon_emoji"):
            if p.get(key):
                msg[key] = _maybe_json(p[key])
        if p.get("metadata"):
            msg["metadata"] = _maybe_json(p["metadata"])
        thread_ts = _str(p.get("thread_ts"))
        if thread_ts:
            # Replying to a reply lands in the reply's thread, as in Slack.
            target = self._messages.get(channel, {}).get(thread_ts)
            msg["thread_ts"] = (_str(target.get("thread_ts")) or thread_ts) if target is not None else thread_ts
            if _truthy(p.get("reply_broadcast")):
                msg["subtype"] = "thread_broadcast"
        self._messages.setdefault(channel, {})[ts] = msg
        return {"ok": True, "channel": channel, "ts": ts, "message": self._render(channel, msg, metadata=True)}

    def _chat_update(self, p: Json) -> Json:
        channel, ts = _str(p.get("channel")), _str(p.get("ts"))
        msg = self._messages.get(channel, {}).get(ts)
        if msg is None:
            return {"ok": False, "error": "message_not_found"}
        if "text" in p:
            msg["text"] = _str(p["text"])
        for key in ("blocks", "attachments", "metadata"):
            if key in p:
                msg[key] = _maybe_json(p[key])
        msg["edited"] = {"user": self.bot_user_id, "ts": self._next_ts(channel)}
        rendered = self._render(channel, msg, metadata=True)
        return {"ok": True, "channel": channel, "ts": ts, "text": msg.get("text", ""), "message": rendered}

    def _chat_delete(self, p: Json) -> Json:
        channel, ts = _str(p.get("channel")), _str(p.get("ts"))
        if self._messages.get(channel, {}).pop(ts, None) is None:
            return {"ok": False, "error": "message_not_found"}
        return {"ok": True, "channel": channel, "ts": ts}

    def _chat_post_ephemeral(self, p: Json) -> Json:
        channel = _str(p.get("channel"))
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not p.get("user"):
            return {"ok": False, "error": "user_not_in_channel"}
        if not p.get("text") and not p.get("blocks"):
            return {"ok": False, "error": "no_text"}
        return {"ok": True, "message_ts": self._next_ts(channel)}

    def _chat_get_permalink(self, p: Json) -> Json:
        channel, ts = _str(p.get("channel")), _str(p.get("message_ts"))
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not ts:
            return {"ok": False, "error": "message_not_found"}
        permalink = f"{PERMALINK_HOST}/archives/{channel}/p{ts.replace('.', '')}"
        msg = self._messages.get(channel, {}).get(ts)
        if msg is not None and msg.get("thread_ts") and msg["thread_ts"] != ts:
            permalink += f"?thread_ts={msg['thread_ts']}&cid={channel}"
        return {"ok": True, "channel": channel, "permalink": permalink}

    def _conversations_history(self, p: Json) -> Json:
        channel = _str(p.get("channel"))
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        inside = _bounds(p)
        top_level = [
            m for m in self._messages.get(channel, {}).values()
            if (not m.get("thread_ts") or m["thread_ts"] == m["ts"] or m.get("subtype") == "thread_broadcast")
            and inside(_ts_key(m["ts"]))
        ]
        top_level.sort(key=lambda m: _ts_key(m["ts"]), reverse=True)
        page = _paginate(top_level, p, HISTORY_DEFAULT_LIMIT, newest_first=True)
        if isinstance(page, str):
            return {"ok": False, "error": page}
        chunk, next_cursor = page
        metadata = _truthy(p.get("include_all_metadata"))
        return {
            "ok": True,
            "messages": [self._render(channel, m, metadata=metadata) for m in chunk],
            "has_more": bool(next_cursor),
            "pin_count": 0,
            "channel_actions_ts": None,
            "channel_actions_count": 0,
            "response_metadata": {"next_cursor": next_cursor},
        }

    def _conversations_replies(self, p: Json) -> Json:
        channel, ts = _str(p.get("channel")), _str(p.get("ts"))
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        messages = self._messages.get(channel, {})
        anchor = messages.get(ts)
        root = (_str(anchor.get("thread_ts")) or ts) if anchor is not None else ts
        parent = messages.get(root)
        inside = _bounds(p)
        replies = [
            m for m in messages.values()
            if m.get("thread_ts") == root and m["ts"] != root and inside(_ts_key(m["ts"]))
        ]
        if parent is None and not replies:
            return {"ok": False, "error": "thread_not_found"}
        replies.sort(key=lambda m: _ts_key(m["ts"]))
        thread = ([parent] if parent is not None else []) + replies
        page = _paginate(thread, p, REPLIES_DEFAULT_LIMIT, newest_first=False, pinned_head=parent is not None)
        if isinstance(page, str):
            return {"ok": False, "error": page}
        chunk, next_cursor = page
        metadata = _truthy(p.get("include_all_metadata"))
        return {
            "ok": True,
            "messages": [self._render(channel, m, metadata=metadata) for m in chunk],
            "has_more": bool(next_cursor),
            "response_metadata": {"next_cursor": next_cursor},
        }

    def _conversations_set_topic(self, p: Json) -> Json:
        channel = _str(p.get("channel"))
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        topic = {"value": _str(p.get("topic")), "creator": self.bot_user_id, "last_set": int(time.time())}
        return {"ok": True, "channel": {"id": channel, "is_channel": True, "topic": topic}}

    def _conversations_open(self, p: Json) -> Json:
        if p.get("channel"):
            return {"ok": True, "no_op": True, "already_open": True, "channel": {"id": _str(p["channel"])}}
        users = [u for u in _str(p.get("users")).split(",") if u]
        if not users:
            return {"ok": False, "error": "users_list_not_supplied"}
        channel = "D" + users[0] if len(users) == 1 else "G" + "".join(users)
        return {"ok": True, "channel": {"id": channel, "is_im": len(users) == 1, "user": users[0]}}

    def _users_info(self, p: Json) -> Json:
        user = self._users.get(_str(p.get("user")))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": user}

    def _views_open(self, p: Json) -> Json:
        view = _maybe_json(p.get("view"))
        if not _str(p.get("trigger_id")):
            return {"ok": False, "error": "invalid_trigger_id"}
        if not isinstance(view, dict) or view.get("type") != "modal":
            return {"ok": False, "error": "invalid_arguments"}
        return {"ok": True, "view": {"id": "V0MODAL" + _str(p.get("trigger_id"))[:8], "team_id": self.team_id,
                                     **view}}

    def _views_publish(self, p: Json) -> Json:
        user_id = _str(p.get("user_id"))
        view = _maybe_json(p.get("view"))
        if not user_id or not isinstance(view, dict):
            return {"ok": False, "error": "invalid_arguments"}
        return {
            "ok": True,
            "view": {
                "id": "V0FAKE" + user_id,
                "team_id": self.team_id,
                "type": view.get("type", "home"),
                "blocks": view.get("blocks", []),
                "private_metadata": view.get("private_metadata", ""),
                "callback_id": view.get("callback_id", ""),
                "external_id": view.get("external_id", ""),
                "hash": f"{time.time():.6f}",
                "app_id": "A0FAKE",
                "bot_id": self.bot_id,
            },
        }

    def _reactions_add(self, p: Json) -> Json:
        name = _str(p.get("name"))
        if not name:
            return {"ok": False, "error": "invalid_name"}
        msg = self._messages.get(_str(p.get("channel")), {}).get(_str(p.get("timestamp")))
        if msg is not None:  # unseeded messages are accepted, as their channel is
            reactions: list[Json] = msg.setdefault("reactions", [])
            entry = next((r for r in reactions if r["name"] == name), None)
            if entry is None:
                reactions.append({"name": name, "users": [self.bot_user_id], "count": 1})
            elif self.bot_user_id in entry["users"]:
                return {"ok": False, "error": "already_reacted"}
            else:
                entry["users"].append(self.bot_user_id)
                entry["count"] += 1
        return {"ok": True}

    # -- helpers (lock held) -----------------------------------------------------------
    def _next_ts(self, channel: str) -> str:
        """A fresh ts like ``1700000000.000100``: from the clock, strictly increasing, unused."""
        with self._lock:
            taken = self._messages.get(channel, {})
            micros = max(int(time.time() * 1_000_000), self._last_ts_us + 1)
            while _format_ts(micros) in taken:
                micros += 1
            self._last_ts_us = micros
            return _format_ts(micros)

    def _render(self, channel: str, msg: Json, *, metadata: bool) -> Json:
        """A stored message as Slack answers it: thread fields on parents and replies."""
        out = {k: v for k, v in msg.items() if k != "channel_id"}
        if not metadata:
            out.pop("metadata", None)
        ts = out["ts"]
        thread_ts = out.get("thread_ts")
        messages = self._messages.get(channel, {})
        if thread_ts and thread_ts != ts:
            parent = messages.get(thread_ts)
            if parent is not None and parent.get("user"):
                out["parent_user_id"] = parent["user"]
            return out
        replies = sorted(
            (m for m in messages.values() if m.get("thread_ts") == ts and m["ts"] != ts),
            key=lambda m: _ts_key(m["ts"]),
        )
        if replies:
            users = list(dict.fromkeys(str(m.get("user")) for m in replies if m.get("user")))
            out.update(
                thread_ts=ts,
                reply_count=len(replies),
                reply_users_count=len(users),
                reply_users=users,
                latest_reply=replies[-1]["ts"],
                is_locked=False,
                subscribed=False,
            )
        return out


# -- pure helpers ----------------------------------------------------------------------
_OUTAGE_PAGES = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
                 504: "Gateway Timeout"}


def _outage_answer(outage: Json) -> tuple[int, dict[str, str], Json | str, float]:
    """As Slack answers when it is down: 429 ``ratelimited`` JSON, else its edge's plain-text page."""
    status = int(outage["status"])
    headers = {} if outage["retry_after"] is None else {"Retry-After": str(outage["retry_after"])}
    if status == 429:
        headers.setdefault("Retry-After", "1")
        return 429, headers, {"ok": False, "error": "ratelimited"}, 0.0
    return status, headers, f"{status} {_OUTAGE_PAGES.get(status, 'Server Error')}", 0.0


def _failure_answer(failure: Json) -> tuple[int, dict[str, str], Json]:
    status = int(failure["status"])
    if status == 429:
        return 429, {"Retry-After": str(failure["retry_after"])}, {"ok": False, "error": "ratelimited"}
    if status == 200:
        return 200, {}, {"ok": False, "error": failure["error"] or "fatal_error"}
    return status, {}, {"ok": False, "error": failure["error"] or "internal_error"}


def _str(value: Any) -> str:
    return "" if value is None else str(value)


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() in ("1", "true")


def _ts_key(ts: Any) -> TsKey:
    """``"1700000000.0001"`` -> ``(1700000000, 100)``: exact ordering, no float rounding."""
    seconds, _, fraction = str(ts).strip().partition(".")
    return int(seconds or 0), int((fraction + "000000")[:6])


def _format_ts(micros: int) -> str:
    seconds, fraction = divmod(micros, 1_000_000)
    return f"{seconds}.{fraction:06d}"


def _bounds(p: Json) -> Callable[[TsKey], bool]:
    """Slack's ``latest``/``oldest`` filter: exclusive unless ``inclusive`` is true."""
    inclusive = _truthy(p.get("inclusive"))
    latest = _ts_key(p["latest"]) if p.get("latest") not in (None, "") else None
    oldest = _ts_key(p["oldest"]) if p.get("oldest") not in (None, "") else None

    def inside(key: TsKey) -> bool:
        if latest is not None and (key > latest or (key == latest and not inclusive)):
            return False
        return not (oldest is not None and (key < oldest or (key == oldest and not inclusive)))

    return inside


def _encode_cursor(ts: str) -> str:
    seconds, micros = _ts_key(ts)
    return base64.b64encode(f"next_ts:{seconds}{micros:06d}".encode()).decode()


def _decode_cursor(cursor: str) -> TsKey | None:
    try:
        raw = base64.b64decode(cursor.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    prefix, _, digits = raw.partition(":")
    if prefix != "next_ts" or not digits.isdigit():
        return None
    seconds, micros = divmod(int(digits), 1_000_000)
    return seconds, micros


def _paginate(
    items: list[Json], p: Json, default_limit: int, *, newest_first: bool, pinned_head: bool = False
) -> tuple[list[Json], str] | str:
    """One page of ``items`` (already in answer order) and the cursor of the next, or an error.

    The cursor names the first message of the next page (like Slack's ``next_ts:``
    cursors), so pages stay right when messages come and go between calls.
    ``pinned_head``: ``items[0]`` (a thread's parent) leads the first page only.
    """
    try:
        limit = int(p.get("limit") or default_limit)
    except (TypeError, ValueError):
        return "invalid_limit"
    limit = min(max(limit, 1), MAX_LIMIT)
    start = 0
    cursor = _str(p.get("cursor"))
    if cursor:
        key = _decode_cursor(cursor)
        if key is None:
            return "invalid_cursor"
        first = 1 if pinned_head else 0
        start = next(
            (i for i in range(first, len(items))
             if (_ts_key(items[i]["ts"]) <= key if newest_first else _ts_key(items[i]["ts"]) >= key)),
            len(items),
        )
    chunk = items[start:start + limit]
    rest = items[start + limit:]
    return chunk, (_encode_cursor(rest[0]["ts"]) if rest else "")


def _maybe_json(value: Any) -> Any:
    """Slack accepts ``blocks``/``metadata``/``view`` as JSON text in form posts: parse it."""
    if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


# -- HTTP ------------------------------------------------------------------------------
def _handler_for(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(_Handler):
        slack = fake

    return Handler


class _Handler(BaseHTTPRequestHandler):
    slack: FakeSlack
    server_version = "FakeSlack/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s - %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        text = isinstance(body, str)
        data = body.encode() if text else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8" if text else "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _params(self) -> Json:
        """Query string, then the form or JSON body on top (values as sent)."""
        query = urllib.parse.urlsplit(self.path).query
        params: Json = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        if not raw.strip():
            return params
        ctype = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if ctype == "application/json":
            body = json.loads(raw)
            if not isinstance(body, dict):
                raise ValueError("a JSON body must be an object")
            params.update(body)
        else:
            params.update(urllib.parse.parse_qsl(raw.decode(), keep_blank_values=True))
        return params

    def _handle(self) -> None:
        path = urllib.parse.urlsplit(self.path).path
        try:
            params = self._params()
        except ValueError:  # bad JSON, bad UTF-8, bad Content-Length
            self._send(400, {"ok": False, "error": "invalid_json"})
            return
        try:
            if path.startswith("/_fake/"):
                self._control(path[len("/_fake/"):].strip("/"), params)
            elif path.startswith("/api/") and len(path) > len("/api/"):
                self._api(path[len("/api/"):].strip("/"), params)
            else:
                self._send(404, {"ok": False, "error": "not_found", "hint": "Web API methods live under /api/"})
        except Exception:
            logger.exception("fake Slack failed on %s", path)
            self._send(500, {"ok": False, "error": "fake_slack_crashed"})

    def _api(self, method: str, params: Json) -> None:
        auth = self.headers.get("Authorization", "")
        form_token = params.pop("token", None)
        token = auth[len("Bearer "):].strip() if auth.startswith("Bearer ") else form_token
        status, headers, body, delay = self.slack.serve(method, params, _str(token) or None)
        if delay > 0:  # applied already: the client may give up before it hears so
            time.sleep(delay)
        self._send(status, body, headers)

    def _control(self, action: str, params: Json) -> None:
        fake = self.slack
        try:
            if action == "health":
                self._send(200, {"ok": True, "base_url": fake.base_url})
            elif action == "calls":
                self._send(200, fake.calls(params.get("method") or None))
            elif action == "reset" and self.command == "POST":
                fake.reset()
                self._send(200, {"ok": True})
            elif action == "messages" and self.command == "GET":
                self._send(200, fake.messages(params.get("channel") or None))
            elif action == "messages":
                self._send(200, {"ok": True, "message": fake.add_message(**params)})
            elif action == "users" and self.command == "POST":
                self._send(200, {"ok": True, "user": fake.add_user(**params)})
            elif action == "fail" and self.command == "POST":
                fake.fail_next(**params)
                self._send(200, {"ok": True})
            elif action == "outage" and self.command == "POST":
                fake.outage(**params)
                self._send(200, {"ok": True})
            elif action == "outage" and self.command == "DELETE":
                fake.end_outage()
                self._send(200, {"ok": True})
            elif action == "slow" and self.command == "POST":
                fake.slow_next(**params)
                self._send(200, {"ok": True})
            else:
                self._send(404, {"ok": False, "error": "unknown_control", "action": action})
        except (TypeError, ValueError) as exc:  # missing or unexpected fields
            self._send(400, {"ok": False, "error": "invalid_arguments", "detail": str(exc)})


# -- CLI -------------------------------------------------------------------------------
def _serve_until_signalled() -> None:
    stopping = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, on_signal)
    while not stopping.is_set():
        signal.pause()


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.fake_slack", description="Fake Slack Web API")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9001)
    parser.add_argument("--bot-token", default=None, help="accept only this token (default: any token)")
    args = parser.parse_args(list(argv) if argv is not None else None)
    fake = FakeSlack(bot_token=args.bot_token).start(args.host, args.port)
    print(f"fake Slack Web API listening on {fake.base_url}", flush=True)
    try:
        _serve_until_signalled()
    finally:
        fake.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
