"""One Slack Web API call from the ingress: ``views.open`` must happen within 3 s of a
shortcut (its trigger_id expires), so it cannot wait for the queue; stdlib only, like awslite."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from chalicelib.channels.slack.mrkdwn import render_payload


class SlackCallError(Exception):
    pass


def call(base_url: str, token: str, method: str, payload: dict[str, Any], timeout: float = 2.5) -> dict[str, Any]:
    if not base_url.startswith(("https://", "http://")):
        raise SlackCallError("SLACK_API_URL must be an http(s) URL")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        base_url.rstrip("/") + "/" + method, data=json.dumps(render_payload(payload)).encode(), method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json; charset=utf-8"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            body: dict[str, Any] = json.loads(response.read())
    except (OSError, ValueError) as exc:
        raise SlackCallError(f"{method} failed: {exc}") from exc
    if not body.get("ok"):
        raise SlackCallError(f"{method} answered {body.get('error')}")
    return body
