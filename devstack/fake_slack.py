"""A local fake of the Slack Web API: real HTTP, answers shaped like Slack's, every call recorded.

Tests and the local stack point slack-sdk's real ``WebClient`` at it
(``base_url``); a control API under ``/_fake/`` lets other processes seed
messages and users, make the next calls fail, and read what was called.
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeSlack:
    def __init__(self, bot_token: str | None = None, bot_user_id: str = "U0BOT", bot_id: str = "B0BOT",
                 team_id: str = "T0DEV") -> None:
        self.bot_token = bot_token
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.team_id = team_id
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.reset()

    # -- lifecycle --------------------------------------------------------
    def start(self, host: str = "127.0.0.1", port: int = 0) -> FakeSlack:
        fake = self

        class Handler(_Handler):
            slack = fake

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeSlack:
        return self if self._server else self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "FakeSlack is not started"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/api/"

    # -- state ------------------------------------------------------------
    def reset(self) -> None:
        with self._lock:
            self._calls: list[dict[str, Any]] = []
            self._messages: dict[str, dict[str, dict[str, Any]]] = {}
            self._users: dict[str, dict[str, Any]] = {}
            self._failures: dict[str, list[dict[str, Any]]] = {}
            self._last_ts = 0.0

    def calls(self, method: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(c) for c in self._calls if method is None or c["method"] == method]

    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Messages that exist now (seeded or successfully posted), oldest first."""
        with self._lock:
            found = [dict(m, channel=c) for c, msgs in self._messages.items() if channel in (None, c)
                     for m in msgs.values()]
        return sorted(found, key=lambda m: _ts_key(m["ts"]))

    def add_message(self, channel: str, ts: str, user: str, text: str, thread_ts: str | None = None,
                    **extra: Any) -> dict[str, Any]:
        msg: dict[str, Any] = {"type": "message", "user": user, "text": text, "ts": ts, **extra}
        if thread_ts and thread_ts != ts:
            msg["thread_ts"] = thread_ts
            msg["parent_user_id"] = self._messages.get(channel, {}).get(thread_ts, {}).get("user")
        with self._lock:
            self._messages.setdefault(channel, {})[ts] = msg
            if thread_ts and thread_ts != ts:
                self._touch_parent(channel, thread_ts)
        return msg

    def _touch_parent(self, channel: str, thread_ts: str) -> None:
        parent = self._messages.get(channel, {}).get(thread_ts)
        if parent is None:
            return
        replies = [m for m in self._messages[channel].values() if m.get("thread_ts") == thread_ts
                   and m["ts"] != thread_ts]
        parent["thread_ts"] = thread_ts
        parent["reply_count"] = len(replies)
        parent["latest_reply"] = max(m["ts"] for m in replies)

    def add_user(self, user_id: str, name: str, real_name: str | None = None, image_72: str | None = None,
                 is_bot: bool = False) -> None:
        real = real_name or name
        with self._lock:
            self._users[user_id] = {
                "id": user_id, "team_id": self.team_id, "name": name, "real_name": real, "is_bot": is_bot,
                "profile": {"display_name": real, "real_name": real, "image_72": image_72,
                            "image_192": image_72},
            }

    def fail_next(self, method: str, *, status: int = 429, retry_after: int = 1, count: int = 1,
                  error: str | None = None) -> None:
        with self._lock:
            self._failures.setdefault(method, []).extend(
                [{"status": status, "retry_after": retry_after, "error": error}] * count
            )

    def _next_ts(self) -> str:
        with self._lock:
            now = max(time.time(), self._last_ts + 0.0001)
            self._last_ts = now
            return f"{now:.6f}"

    # -- Slack methods ------------------------------------------------------
    def dispatch(self, method: str, params: dict[str, Any], token: str | None) -> tuple[int, dict[str, str], Any]:
        with self._lock:
            self._calls.append({"method": method, "params": params, "token": token, "at": time.time()})
            failures = self._failures.get(method)
            failure = failures.pop(0) if failures else None
        if failure is not None:
            if failure["status"] == 429:
                return 429, {"Retry-After": str(failure["retry_after"])}, {"ok": False, "error": "ratelimited"}
            if failure["status"] >= 500:
                return failure["status"], {}, {"ok": False, "error": "internal_error"}
            return failure["status"], {}, {"ok": False, "error": failure["error"] or "fatal_error"}
        if not token:
            return 200, {}, {"ok": False, "error": "not_authed"}
        if self.bot_token is not None and token != self.bot_token:
            return 200, {}, {"ok": False, "error": "invalid_auth"}
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            return 200, {}, {"ok": False, "error": "unknown_method"}
        result: dict[str, Any] = handler(params)
        return 200, {}, result

    def _m_auth_test(self, _: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": "https://fake-slack.local/", "team": "Fake Team", "user": "support-hero",
                "team_id": self.team_id, "user_id": self.bot_user_id, "bot_id": self.bot_id}

    def _m_chat_postMessage(self, p: dict[str, Any]) -> dict[str, Any]:
        channel = p.get("channel")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not p.get("text") and not p.get("blocks"):
            return {"ok": False, "error": "no_text"}
        ts = self._next_ts()
        extra: dict[str, Any] = {"bot_id": self.bot_id}
        for key in ("username", "icon_url", "icon_emoji", "blocks"):
            if p.get(key):
                extra[key] = _maybe_json(p[key])
        if p.get("metadata"):
            extra["metadata"] = _maybe_json(p["metadata"])
        msg = self.add_message(str(channel), ts, self.bot_user_id, str(p.get("text") or ""),
                               thread_ts=p.get("thread_ts"), **extra)
        return {"ok": True, "channel": channel, "ts": ts, "message": msg}

    def _m_chat_update(self, p: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            msg = self._messages.get(str(p.get("channel")), {}).get(str(p.get("ts")))
            if msg is None:
                return {"ok": False, "error": "message_not_found"}
            if "text" in p:
                msg["text"] = p["text"]
            if "blocks" in p:
                msg["blocks"] = _maybe_json(p["blocks"])
        return {"ok": True, "channel": p["channel"], "ts": p["ts"], "text": msg.get("text"), "message": msg}

    def _m_chat_delete(self, p: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            gone = self._messages.get(str(p.get("channel")), {}).pop(str(p.get("ts")), None)
        if gone is None:
            return {"ok": False, "error": "message_not_found"}
        return {"ok": True, "channel": p["channel"], "ts": p["ts"]}

    def _m_chat_postEphemeral(self, _: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "message_ts": self._next_ts()}

    def _m_chat_getPermalink(self, p: dict[str, Any]) -> dict[str, Any]:
        ts = str(p.get("message_ts", "")).replace(".", "")
        return {"ok": True, "channel": p.get("channel"),
                "permalink": f"https://fake-slack.local/archives/{p.get('channel')}/p{ts}"}

    def _m_conversations_history(self, p: dict[str, Any]) -> dict[str, Any]:
        inclusive = str(p.get("inclusive", "")).lower() in ("1", "true")
        latest, oldest = p.get("latest"), p.get("oldest")
        with self._lock:
            msgs = [dict(m) for m in self._messages.get(str(p.get("channel")), {}).values()
                    if not m.get("thread_ts") or m.get("thread_ts") == m["ts"]]
        msgs.sort(key=lambda m: _ts_key(m["ts"]), reverse=True)

        def within(m: dict[str, Any]) -> bool:
            ts = _ts_key(m["ts"])
            if latest is not None and (ts > _ts_key(latest) or (ts == _ts_key(latest) and not inclusive)):
                return False
            return not (oldest is not None and (ts < _ts_key(oldest) or (ts == _ts_key(oldest) and not inclusive)))

        return self._page([m for m in msgs if within(m)], p, "messages")

    def _m_conversations_replies(self, p: dict[str, Any]) -> dict[str, Any]:
        channel, ts = str(p.get("channel")), str(p.get("ts"))
        with self._lock:
            msgs = self._messages.get(channel, {})
            msg = msgs.get(ts)
            if msg is None:
                return {"ok": False, "error": "thread_not_found"}
            root = str(msg.get("thread_ts") or ts)
            thread = [dict(m) for m in msgs.values() if m["ts"] == root or m.get("thread_ts") == root]
        thread.sort(key=lambda m: (m["ts"] != root, _ts_key(m["ts"])))
        return self._page(thread, p, "messages")

    @staticmethod
    def _page(items: list[dict[str, Any]], p: dict[str, Any], key: str) -> dict[str, Any]:
        limit = int(p.get("limit") or 100)
        start = int(p.get("cursor") or 0)
        chunk = items[start:start + limit]
        more = start + limit < len(items)
        return {"ok": True, key: chunk, "has_more": more,
                "response_metadata": {"next_cursor": str(start + limit) if more else ""}}

    def _m_users_info(self, p: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            user = self._users.get(str(p.get("user")))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": user}

    def _m_views_publish(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "view": {"id": "V0FAKE", "type": "home", **(_maybe_json(p.get("view")) or {})}}

    def _m_conversations_setTopic(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "channel": {"id": p.get("channel"), "topic": {"value": p.get("topic")}}}

    def _m_reactions_add(self, _: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True}

    def _m_conversations_open(self, p: dict[str, Any]) -> dict[str, Any]:
        users = str(p.get("users") or "")
        return {"ok": True, "channel": {"id": "D" + users.split(",")[0]}}


def _ts_key(ts: str) -> tuple[int, int]:
    seconds, _, fraction = str(ts).partition(".")
    return int(seconds or 0), int((fraction + "000000")[:6])


def _maybe_json(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class _Handler(BaseHTTPRequestHandler):
    slack: FakeSlack

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _params(self) -> dict[str, Any]:
        parsed = urllib.parse.urlsplit(self.path)
        params: dict[str, Any] = dict(urllib.parse.parse_qsl(parsed.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if raw:
            ctype = self.headers.get("Content-Type", "")
            if ctype.startswith("application/json"):
                body = json.loads(raw)
                if isinstance(body, dict):
                    params.update(body)
            else:
                params.update(urllib.parse.parse_qsl(raw.decode(), keep_blank_values=True))
        return params

    def _handle(self) -> None:
        path = urllib.parse.urlsplit(self.path).path
        try:
            params = self._params()
        except ValueError:
            self._send(400, {"ok": False, "error": "invalid_json"})
            return
        if path.startswith("/_fake/"):
            self._control(path[len("/_fake/"):], params)
            return
        if not path.startswith("/api/"):
            self._send(404, {"ok": False, "error": "not_found"})
            return
        auth = self.headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else params.pop("token", None)
        status, headers, body = self.slack.dispatch(path[len("/api/"):], params, token)
        self._send(status, body, headers)

    def _control(self, action: str, params: dict[str, Any]) -> None:
        s = self.slack
        if action == "calls":
            self._send(200, s.calls(params.get("method")))
        elif action == "reset":
            s.reset()
            self._send(200, {"ok": True})
        elif action == "messages":
            self._send(200, s.add_message(**params))
        elif action == "users":
            s.add_user(**params)
            self._send(200, {"ok": True})
        elif action == "fail":
            method = params.pop("method")
            s.fail_next(method, **params)
            self._send(200, {"ok": True})
        elif action == "health":
            self._send(200, {"ok": True})
        else:
            self._send(404, {"ok": False, "error": "unknown_control"})

    do_GET = _handle
    do_POST = _handle


def main() -> None:
    parser = argparse.ArgumentParser(description="Fake Slack Web API for local development and tests")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9001)
    parser.add_argument("--bot-token", default=None)
    args = parser.parse_args()
    fake = FakeSlack(bot_token=args.bot_token).start(args.host, args.port)
    print(f"fake Slack Web API on {fake.base_url}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    fake.stop()


if __name__ == "__main__":
    main()
