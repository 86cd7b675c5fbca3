"""A local fake of the GitHub REST API (the parts Support Hero uses), over real HTTP.

Records every call; issue comments are stored; issues can be seeded with a state;
the next calls can be made to answer 403/429 with rate-limit headers.
Control API under ``/_fake/`` for other processes::

    GET  /_fake/calls
    POST /_fake/reset
    POST /_fake/issues   {"repo", "number", "state"?, "title"?, "closed_at"?}
    POST /_fake/fail     {"status"?, "retry_after"?, "reset_in"?, "count"?}
    POST /_fake/outage   {"status"?: 500|503|429, "retry_after"?, "until"?: ISO 8601 with offset,
                          "methods"?: [path prefixes, e.g. "/repos/Codertocat/Hello-World/issues/1/comments"]}
    DELETE /_fake/outage
    POST /_fake/slow     {"path": a path substring, "delay", "count"?}

An outage answers every API call (under ``methods``' path prefixes, else all) with
``status`` and ``{"message": ...}`` (429 with ``Retry-After``) without applying it,
until the fake's clock (``now``: the dev clock under ``make run``) passes ``until``;
those calls are in ``calls()`` marked ``"failed": true``. A slow answer applies the
call (the comment exists), then answers ``delay`` seconds late.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import re
import signal
import threading
import time
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from devstack.fake_slack import Now, dev_clock_now, new_outage

_COMMENTS = re.compile(r"^/repos/([^/]+/[^/]+)/issues/(\d+)/comments$")
_ISSUE = re.compile(r"^/repos/([^/]+/[^/]+)/issues/(\d+)$")
_USER = re.compile(r"^/users/([^/?]+)(/orgs)?(?:\?.*)?$")


class FakeGitHub:
    def __init__(self, token: str | None = None, now: Now | None = None) -> None:
        self.token = token
        self.now: Now = now or dev_clock_now  # the outage clock; tests swap it
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self.reset()

    def start(self, host: str = "127.0.0.1", port: int = 0) -> FakeGitHub:
        fake = self

        class Handler(_Handler):
            github = fake

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def reset(self) -> None:
        with self._lock:
            self._calls: list[dict[str, Any]] = []
            self._issues: dict[tuple[str, int], dict[str, Any]] = {}
            self._comments: dict[tuple[str, int], list[dict[str, Any]]] = {}
            self._failures: list[dict[str, Any]] = []
            self._outage: dict[str, Any] | None = None
            self._slow: list[dict[str, Any]] = []
            self._ids = itertools.count(1000)
            self._users: dict[str, dict[str, Any]] = {}

    def calls(self, method: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(c) for c in self._calls if method is None or c["method"] == method]

    def comments(self, repo: str, number: int) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(c) for c in self._comments.get((repo, number), [])]

    def set_issue(self, repo: str, number: int, state: str = "open", title: str = "An issue",
                  closed_at: str | None = None) -> None:
        with self._lock:
            self._issues[(repo, number)] = {
                "number": number, "state": state, "title": title, "closed_at": closed_at,
                "html_url": f"https://github.com/{repo}/issues/{number}",
                "updated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }

    def add_user(self, login: str, email: str | None = None, orgs: tuple[str, ...] = ()) -> None:
        """A user for ``GET /users/{login}`` (public email or None) and ``/users/{login}/orgs``."""
        with self._lock:
            self._users[login.lower()] = {"login": login, "email": email, "orgs": list(orgs)}

    def fail_next(self, *, status: int = 403, retry_after: int | None = None, reset_in: int | None = None,
                  count: int = 1) -> None:
        with self._lock:
            self._failures.extend([{"status": status, "retry_after": retry_after, "reset_in": reset_in}] * count)

    def outage(self, status: int = 500, retry_after: int | None = None,
               until: dt.datetime | str | None = None, methods: Iterable[str] | None = None) -> None:
        """Answer every API call (whose path starts with one of ``methods``, default all) with ``status``,
        applying none, until ``self.now()`` reaches ``until`` (``None``: until :meth:`end_outage`)."""
        outage = new_outage(status, retry_after, until, methods)
        with self._lock:
            self._outage = outage

    def end_outage(self) -> None:
        with self._lock:
            self._outage = None

    def slow_next(self, path: str, delay: float, count: int = 1) -> None:
        """The next ``count`` calls whose path contains ``path`` are applied, then answered ``delay`` s late."""
        with self._lock:
            self._slow.extend({"path": path, "delay": float(delay)} for _ in range(int(count)))

    def _outage_for(self, path: str) -> dict[str, Any] | None:
        outage = self._outage
        if outage is None:
            return None
        if outage["until"] is not None and self.now() >= outage["until"]:
            self._outage = None
            return None
        return outage if outage["methods"] is None or path.startswith(outage["methods"]) else None

    def serve(self, method: str, path: str, body: Any, auth: str | None) -> tuple[int, dict[str, str], Any, float]:
        """:meth:`handle` for the HTTP server, with how late to answer (a slow answer)."""
        with self._lock:
            outage = self._outage_for(path)
            if outage is not None:
                self._calls.append({"method": method, "path": path, "body": body, "at": time.time(),
                                    "failed": True, "status": outage["status"]})
                status = outage["status"]
                headers = {} if outage["retry_after"] is None else {"Retry-After": str(outage["retry_after"])}
                if status == 429:
                    headers.setdefault("Retry-After", "1")
                    return 429, headers, {"message": "API rate limit exceeded"}, 0.0
                return status, headers, {"message": "Server Error" if status == 500 else "Service Unavailable"}, 0.0
            slow = next((s for s in self._slow if s["path"] in path), None)
            if slow is not None:
                self._slow.remove(slow)
        status, headers, answer = self.handle(method, path, body, auth)
        return status, headers, answer, slow["delay"] if slow is not None else 0.0

    def handle(self, method: str, path: str, body: Any, auth: str | None) -> tuple[int, dict[str, str], Any]:
        with self._lock:
            call = {"method": method, "path": path, "body": body, "at": time.time()}
            self._calls.append(call)
            failure = self._failures.pop(0) if self._failures else None
            if failure:
                call.update(failed=True, status=failure["status"])
        if failure:
            headers = {}
            if failure["retry_after"] is not None:
                headers["Retry-After"] = str(failure["retry_after"])
            if failure["reset_in"] is not None:
                headers.update({"x-ratelimit-remaining": "0",
                                "x-ratelimit-reset": str(int(time.time()) + failure["reset_in"])})
            return failure["status"], headers, {"message": "API rate limit exceeded"}
        if not auth or not auth.startswith(("Bearer ", "token ")):
            return 401, {}, {"message": "Requires authentication"}
        if self.token is not None and auth.split(" ", 1)[1] != self.token:
            return 401, {}, {"message": "Bad credentials"}
        match = _COMMENTS.match(path)
        if match and method == "POST":
            if not isinstance(body, dict) or not body.get("body"):
                return 422, {}, {"message": "Validation Failed"}
            repo, number = match.group(1), int(match.group(2))
            with self._lock:
                comment_id = next(self._ids)
                comment = {"id": comment_id, "body": body["body"], "user": {"login": "support-hero[bot]"},
                           "html_url": f"https://github.com/{repo}/issues/{number}#issuecomment-{comment_id}"}
                self._comments.setdefault((repo, number), []).append(comment)
            return 201, {}, comment
        if match and method == "GET":  # one page holds them all here (the client pages by 100)
            with self._lock:
                listed = list(self._comments.get((match.group(1), int(match.group(2))), []))
            return 200, {}, listed
        match = _USER.match(path)
        if match and method == "GET":
            with self._lock:
                user = self._users.get(match.group(1).lower())
            if user is None:
                return 404, {}, {"message": "Not Found"}
            if match.group(2):
                return 200, {}, [{"login": o} for o in user["orgs"]]
            return 200, {}, {"login": user["login"], "type": "User", "email": user["email"]}
        match = _ISSUE.match(path)
        if match and method == "GET":
            with self._lock:
                issue = self._issues.get((match.group(1), int(match.group(2))))
            return (200, {}, issue) if issue else (404, {}, {"message": "Not Found"})
        return 404, {}, {"message": "Not Found"}


class _Handler(BaseHTTPRequestHandler):
    github: FakeGitHub

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _handle(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            self._send(400, {"message": "Problems parsing JSON"})
            return
        path = self.path.split("?", 1)[0]
        g = self.github
        if path.startswith("/_fake/"):
            action = path[len("/_fake/"):]
            if action == "calls":
                self._send(200, g.calls())
            elif action == "reset":
                g.reset()
                self._send(200, {"ok": True})
            elif action == "issues" and isinstance(body, dict):
                g.set_issue(**body)
                self._send(200, {"ok": True})
            elif action == "fail" and isinstance(body, dict):
                g.fail_next(**body)
                self._send(200, {"ok": True})
            elif action == "outage" and method == "POST":
                try:
                    g.outage(**(body if isinstance(body, dict) else {}))
                except (TypeError, ValueError) as exc:
                    self._send(400, {"message": str(exc)})
                    return
                self._send(200, {"ok": True})
            elif action == "outage" and method == "DELETE":
                g.end_outage()
                self._send(200, {"ok": True})
            elif action == "slow" and isinstance(body, dict):
                try:
                    g.slow_next(**body)
                except (TypeError, ValueError) as exc:
                    self._send(400, {"message": str(exc)})
                    return
                self._send(200, {"ok": True})
            else:
                self._send(404, {"message": "unknown control"})
            return
        status, headers, answer, delay = g.serve(method, path, body, self.headers.get("Authorization"))
        if delay > 0:  # applied already: the client may give up before it hears so
            time.sleep(delay)
        self._send(status, answer, headers)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")


def main() -> None:
    parser = argparse.ArgumentParser(description="Fake GitHub REST API")
    parser.add_argument("--port", type=int, default=9002)
    args = parser.parse_args()
    fake = FakeGitHub().start(port=args.port)
    print(f"fake GitHub API on {fake.base_url}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    fake.stop()


if __name__ == "__main__":
    main()
