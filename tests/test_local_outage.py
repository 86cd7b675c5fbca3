"""The issue's "done when", against a real ``make run``: Slack is down for two hours of dev-clock time
while a reaction, a dedicated-channel message, an email, an agent reply and a ``/ticket reply`` come in;
the dev clock moves past the outage and every one of them ends exactly once where it belongs.  Then a
permanently failing send is listed at ``GET /api/failures`` with its reason, and replayed."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from typing import Any

from tests.conftest import ROOT
from tests.test_local_stack import devstack_mail, get, post, running_stack, set_clock, wait_for


def send(env: dict[str, str], api: str, slack: str, *args: str) -> None:
    out = subprocess.run([sys.executable, "-m", "devstack.send", *args, "--api", api, "--fake-slack", slack],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stdout + out.stderr


def test_make_run_two_hours_without_slack_loses_nothing_and_repeats_nothing(tmp_path: Any) -> None:
    with running_stack(tmp_path) as (env, ports):
        api, slack = f"http://127.0.0.1:{ports['API_PORT']}", f"http://127.0.0.1:{ports['FAKE_SLACK_PORT']}"
        set_clock(api, "2026-12-02T11:00:00Z")  # a Wednesday morning
        assert post(f"{slack}/_fake/outage", {"status": 500, "until": "2026-12-02T13:00:00Z"})[0] == 200

        send(env, api, slack, "reaction")  # Ada's :ticket: on the sample community question
        send(env, api, slack, "message", "--text", "Checkout is down")  # Acme's channel: a ticket at once
        devstack_mail(env, "--from", "someone@acme.example", "--subject", "Invoices missing", "--text", "Help")

        def listed() -> dict[str, int]:
            status, body = get(f"{api}/api/tickets?view=all", token="dev-token-ada")
            return {t["subject"]: t["number"] for t in body["tickets"]} if status == 200 else {}

        wait_for(lambda: {"Checkout is down", "Invoices missing"} <= set(listed()))
        acme = listed()["Checkout is down"]
        status, _ = post(f"{api}/api/tickets/{acme}/replies", {"text": "Looking now."}, token="dev-token-ada")
        assert status == 202
        send(env, api, slack, "command", "--text", f"reply {acme} Rolled back.")
        time.sleep(3)
        applied = [c for c in get(f"{slack}/_fake/calls?method=chat.postMessage")[1] if not c.get("failed")]
        assert applied == []  # Slack is down: nothing went out, nothing was dropped either
        assert "How do I rotate my API key without downtime?" not in listed()  # the reaction waits for Slack

        set_clock(api, "2026-12-02T13:05:00Z")  # the outage is over

        def settled() -> bool:
            names = listed()
            rotate = next((n for s, n in names.items() if s.startswith("How do I rotate my API key")), None)
            if rotate is None:
                return False
            tickets = [get(f"{api}/api/tickets/{n}", token="dev-token-ada")[1] for n in (rotate, acme)]
            replies = [m for m in tickets[1]["messages"] if m["delivery"]]
            return all(t["confirmed"] for t in tickets) and len(replies) == 2 and all(
                m["delivery"]["status"] == "sent" for m in replies)

        wait_for(settled, seconds=60)
        time.sleep(3)  # anything that would repeat has had its chance
        posts = [c["params"] for c in get(f"{slack}/_fake/calls?method=chat.postMessage")[1] if not c.get("failed")]
        texts = Counter(p.get("text") for p in posts)
        assert texts["Looking now."] == 1 and texts["Rolled back."] == 1
        confirmations = Counter(p["text"].split("*#")[1].split("*")[0] for p in posts
                                if p.get("text", "").startswith(":ticket: Ticket *#"))
        assert len(confirmations) == 2 and set(confirmations.values()) == {1}
        answers = [c for c in get(f"{slack}/_fake/calls?method=chat.postEphemeral")[1] if not c.get("failed")]
        assert len(answers) == 1 and "reply queued" in answers[0]["params"]["text"]
        email = get(f"{api}/api/tickets/{listed()['Invoices missing']}", token="dev-token-ada")[1]
        assert email["confirmed"] is True  # acknowledged (SES was up)
        assert get(f"{api}/api/failures", token="dev-token-ada")[1]["failures"] == []

        # A send that cannot succeed as it is: listed with its reason, replayed once fixed.
        assert post(f"{slack}/_fake/fail", {"method": "chat.postMessage", "status": 200,
                                            "error": "not_in_channel", "count": 1})[0] == 200
        assert post(f"{api}/api/tickets/{acme}/replies", {"text": "One more thing."}, token="dev-token-ada")[0] == 202

        def failed() -> list[dict[str, Any]]:
            return list(get(f"{api}/api/failures", token="dev-token-ada")[1]["failures"])

        [failure] = wait_for(failed)
        assert failure["kind"] == "reply.deliver" and "not_in_channel" in failure["error"]
        assert "invite" in failure["error"]  # says how to fix it
        status, body = post(f"{api}{failure['retry']}", {}, token="dev-token-ada")
        assert status == 200, body
        wait_for(lambda: failed() == [])
        posts = [c["params"] for c in get(f"{slack}/_fake/calls?method=chat.postMessage")[1] if not c.get("failed")]
        assert [p.get("text") for p in posts].count("One more thing.") == 1
        assert json.dumps(failure)  # the listing is plain JSON
