"""A local fake of the GitHub REST API (the parts Support Hero uses), over real HTTP.

Records every call; issue comments are stored; issues can be seeded with a state;
the next calls can be made to answer 403/429 with rate-limit headers.
Control API under ``/_fake/`` for other processes.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_COMMENTS = re.compile(r"^/repos/([^/]+/[^/]+)/issues/(\d+)/comments$")
_ISSUE = re.compile(r"^/repos/([^/]+/[^/]+)/issues/(\d+)$")


class FakeGitHub:
    def __init__(self, token: str | None = None) -> None:
        self.token = token
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
            self._ids = itertools.count(1000)

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

    def fail_next(self, *, status: int = 403, retry_after: int | None = None, reset_in: int | None = None,
                  count: int = 1) -> None:
        with self._lock:
            self._failures.extend([{"status": status, "retry_after": retry_after, "reset_in": reset_in}] * count)

    def handle(self, method: str, path: str, body: Any, auth: str | None) -> tuple[int, dict[str, str], Any]:
        with self._lock:
            self._calls.append({"method": method, "path": path, "body": body, "at": time.time()})
            failure = self._failures.pop(0) if self._failures else None
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
            else:
                self._send(404, {"message": "unknown control"})
            return
        status, headers, answer = g.handle(method, path, body, self.headers.get("Authorization"))
        self._send(status, answer, headers)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")


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
