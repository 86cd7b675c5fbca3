"""GitHub REST API: issue comments and issue state, honouring rate limits."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

from chalicelib.platform.retry import RetryLater


class GitHubError(Exception):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class GitHubApi:
    def __init__(self, *, token: Callable[[], str], base_url: str, timeout: float = 10,
                 clock: Callable[[], float] = time.time) -> None:
        if not base_url.startswith(("https://", "http://")):
            raise ValueError("GITHUB_API_URL must be an http(s) URL")
        self._token = token
        self.base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._clock = clock

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked in __init__
            self.base_url + path, data=data, method=method,
            headers={"Authorization": f"Bearer {self._token()}", "Accept": "application/vnd.github+json",
                     "X-GitHub-Api-Version": "2022-11-28", "User-Agent": "support-hero",
                     **({"Content-Type": "application/json"} if data else {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:  # noqa: S310 - https/configured
                raw = response.read()
                return json.loads(raw) if raw else None
        except urllib.error.HTTPError as exc:
            self._raise_for(exc)
            raise  # unreachable: _raise_for always raises

    def _raise_for(self, exc: urllib.error.HTTPError) -> None:
        headers = exc.headers
        if exc.code in (403, 429):
            retry_after = headers.get("Retry-After")
            if retry_after and retry_after.isdigit():
                raise RetryLater(f"GitHub asked to retry after {retry_after}s", int(retry_after)) from exc
            if headers.get("x-ratelimit-remaining") == "0" and (headers.get("x-ratelimit-reset") or "").isdigit():
                delay = int(headers["x-ratelimit-reset"]) - int(self._clock()) + 1
                raise RetryLater("GitHub rate limit exhausted until its reset", delay) from exc
            if exc.code == 429:
                raise RetryLater("GitHub rate limited without a hint", 60) from exc
        raise GitHubError(f"GitHub answered {exc.code} to {exc.url}", exc.code) from exc

    def create_comment(self, repo: str, number: int, body: str) -> dict[str, Any]:
        result: dict[str, Any] = self._request("POST", f"/repos/{repo}/issues/{number}/comments", {"body": body})
        return result

    def comments(self, repo: str, number: int, pages: int = 10) -> list[dict[str, Any]]:
        """An issue's comments, newest pages last (up to ``pages`` × 100)."""
        out: list[dict[str, Any]] = []
        for page in range(1, pages + 1):
            batch = self._request("GET", f"/repos/{repo}/issues/{number}/comments?per_page=100&page={page}")
            out.extend(batch or [])
            if not batch or len(batch) < 100:
                break
        return out

    def profile(self, login: str) -> tuple[str | None, list[str]]:
        """A user's public email (None when hidden) and public org logins: facts to link a person with."""
        quoted = urllib.parse.quote(login, safe="")
        user = self._request("GET", f"/users/{quoted}") or {}
        orgs = self._request("GET", f"/users/{quoted}/orgs?per_page=100") or []
        email = user.get("email") if isinstance(user, dict) else None
        return (email if isinstance(email, str) else None,
                [str(o.get("login")) for o in orgs if isinstance(o, dict) and o.get("login")])

    def issue(self, repo: str, number: int) -> dict[str, Any]:
        result: dict[str, Any] = self._request("GET", f"/repos/{repo}/issues/{number}")
        return result
