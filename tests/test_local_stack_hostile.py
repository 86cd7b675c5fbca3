"""The attacker's reproductions (issue "Nobody speaks in our voice"), replayed against `make run`:
each must now get the right answer from the whole stack, over real HTTP and SMTP."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from chalicelib.platform.security import slack_signature
from tests.test_local_stack import WEDNESDAY_MORNING, devstack_mail, get, running_stack, set_clock, wait_for

SECRET = "dev-slack-signing-secret"
HOSTILE_SUBJECT = "x <!channel> <!here> <@U0HERO1> <https://evil.example/phish|click here to verify>"
LIVE = re.compile(r"<!channel>|<!here>|<!everyone>|<!subteam\^|<https?://evil\.example|<mailto:")


def raw_post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            data = response.read()
            return response.status, json.loads(data) if data else None
    except urllib.error.HTTPError as exc:
        data = exc.read()
        try:
            return exc.code, json.loads(data)
        except ValueError:
            return exc.code, data.decode(errors="replace")


def slack_form(api: str, path: str, fields: dict[str, str], stamp: str | None = None) -> tuple[int, Any]:
    body = urllib.parse.urlencode(fields).encode()
    stamp = stamp or str(int(time.time()))
    return raw_post(f"{api}{path}", body, {
        "Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": slack_signature(SECRET, stamp, body) if stamp.isascii() else "v0=" + "0" * 64})



def strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def test_make_run_gives_the_right_answer_to_every_reproduction(tmp_path: Any) -> None:
    with running_stack(tmp_path) as (env, ports):
        api = f"http://127.0.0.1:{ports['API_PORT']}"
        fake_slack = f"http://127.0.0.1:{ports['FAKE_SLACK_PORT']}"
        set_clock(api, WEDNESDAY_MORNING)

        def mail(*args: str) -> str:
            return devstack_mail(env, *args)

        def ticket(number: int) -> Any:
            status, body = get(f"{api}/api/tickets/{number}", token="dev-token-ada")
            return body if status == 200 and body["confirmed"] else None

        # 1. A hostile subject: announced, DM'd and listed, never as live markup.
        asked = mail("--from", "wile@acme.example", "--subject", HOSTILE_SUBJECT, "--text", "hello")
        first = wait_for(lambda: ticket(1))
        assert first["subject"].startswith("x <!channel>")  # stored as the customer wrote it
        wait_for(lambda: [c for c in get(f"{fake_slack}/_fake/calls?method=chat.postMessage")[1]
                          if c["params"]["channel"] == "C0TRIAGE"])
        calls = get(f"{fake_slack}/_fake/calls")[1]
        shown = [s for c in calls for s in strings(c["params"])]
        assert any("&lt;!channel&gt;" in s for s in shown), shown
        assert not [s for s in shown if LIVE.search(s)]

        # 2. A forged team address replying in the customer's thread: a customer message, nothing more.
        mail("--from", "Ada Hero <ada@example.com>", "--subject", "Re: x", "--text", "Solved, closing",
             "--in-reply-to", asked)
        forged = wait_for(lambda: (t := ticket(1)) and "unverified-team-address" in t["tags"] and t)
        last = [m for m in forged["messages"] if m["text"] == "Solved, closing"]
        assert [m["role"] for m in last] == ["customer"]
        assert forged["first_response_at"] is None and "unverified-team-address" in forged["tags"]

        # 3. An encoded From header: the real address, never the display name's text.
        mail("--from", "=?utf-8?q?Name=0D=0ABcc:_victim@evil.example?= <real@acme.example>", "--subject", "Hi")
        assert wait_for(lambda: ticket(2))["requester"]["id"] == "real@acme.example"

        # 4. Who may do what in Slack.
        shortcut = {"type": "message_action", "callback_id": "reply_to_customer", "trigger_id": "T1",
                    "user": {"id": "U0CUST1"}, "channel": {"id": "C0ACME"}, "team": {"id": "T0DEV"},
                    "message": {"ts": "1700000000.000100", "text": "hi"}, "response_url": f"{fake_slack}/_fake/r"}
        status, _ = slack_form(api, "/slack/interactions", {"payload": json.dumps(shortcut)})
        assert status == 200
        assert get(f"{fake_slack}/_fake/calls?method=views.open")[1] == []
        refusals = [c["params"] for c in get(f"{fake_slack}/_fake/calls?method=chat.postEphemeral")[1]]
        assert [(r["user"], r["text"]) for r in refusals] == [("U0CUST1", "Only the support team can triage tickets.")]
        status, answer = slack_form(api, "/slack/commands", {"command": "/deploy", "text": "prod", "user_id": "U0HERO1",
                                                             "channel_id": "C0TRIAGE", "team_id": "T0DEV"})
        assert status == 200 and answer["text"].lower().startswith("unknown command") and "Usage" not in answer["text"]

        # 5. No input gets a 500.
        for stamp in ("9" * 4000, "1700000000\xa0", "\x85"):
            status, _ = slack_form(api, "/slack/commands", {"command": "/ticket", "text": "help"}, stamp=stamp)
            assert status == 401
        deep = ("[" * 5000 + "]" * 5000).encode()
        stamp = str(int(time.time()))
        status, _ = raw_post(f"{api}/slack/events", deep, {"Content-Type": "application/json",
                                                            "X-Slack-Request-Timestamp": stamp,
                                                            "X-Slack-Signature": slack_signature(SECRET, stamp, deep)})
        assert status == 400
        for path in ("/api/rotation?sprints=%C2%B2", "/api/analytics/leaderboard?stint=%C2%B2",
                     "/api/analytics?to=0001-01-01"):
            assert get(f"{api}{path}", token="dev-token-ada")[0] == 400, path
        status, _ = raw_post(f"{api}/api/tickets/1/replies", b'{"text": "\\ud800"}',
                             {"Content-Type": "application/json", "Authorization": "Bearer dev-token-ada"})
        assert status == 400
