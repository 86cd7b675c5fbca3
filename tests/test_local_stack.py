"""`make run` for real: the local stack in a subprocess, driven the way the README says."""

from __future__ import annotations

import contextlib
import html
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.conftest import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str, token: str | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def wait_for(predicate: Any, seconds: float = 30) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError("condition not met in time")


@contextlib.contextmanager
def running_stack(tmp_path: Any) -> Iterator[tuple[dict[str, str], dict[str, int]]]:
    """`make run` (``python -m devstack.run``) on free ports, with a user's environment; stopped after."""
    ports = {"API_PORT": free_port(), "MOTO_PORT": free_port(), "FAKE_SLACK_PORT": free_port(),
             "SMTP_PORT": free_port(), "FAKE_GITHUB_PORT": free_port()}
    # A user's shell, not the test session's settings (which point at the test's own fakes).
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TERM", "TZ")}
    # Under `make test-any-hour` the stack shares the tests' (faked) clock, as every process there does.
    env.update({k: v for k, v in os.environ.items() if k == "LD_PRELOAD" or k.startswith("FAKETIME")})
    env.update({k: str(v) for k, v in ports.items()})
    log = (tmp_path / "run.log").open("w+")
    stack = subprocess.Popen([sys.executable, "-m", "devstack.run"], cwd=ROOT, env=env, stdout=log,
                             stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(lambda: "local stack is running" in (tmp_path / "run.log").read_text(), seconds=60)
        yield env, ports
    finally:
        os.killpg(stack.pid, signal.SIGINT)
        try:
            stack.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(stack.pid, signal.SIGKILL)
            stack.wait()
        log.close()


DEV_SIGNING_SECRET = "dev-slack-signing-secret"  # make run's default


def slack_post(api: str, path: str, body: bytes, content_type: str) -> None:
    """A request to ``make run`` signed as Slack signs it (its timestamp is checked against the wall clock)."""
    from chalicelib.platform.security import slack_signature

    stamp = str(int(time.time()))
    request = urllib.request.Request(f"{api}{path}", data=body, method="POST", headers={
        "Content-Type": content_type, "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": slack_signature(DEV_SIGNING_SECRET, stamp, body)})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200


def post(url: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    request = urllib.request.Request(url, data=json.dumps(body or {}).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def devstack_mail(env: dict[str, str], *args: str) -> str:
    """``python -m devstack.mail …`` to the stack's SMTP ingress; the Message-ID it printed."""
    out = subprocess.run([sys.executable, "-m", "devstack.mail", *args], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=30, check=True)
    return out.stdout.split()[-1]


def set_clock(api: str, now: str) -> None:
    """The dev clock: every part of the stack sees ``now`` (then time moves on)."""
    status, body = post(f"{api}/_local/clock", {"now": now})
    assert status == 200, body


WEDNESDAY_MORNING = "2026-12-02T11:00:00Z"  # business hours: these tests are about something else


def test_make_run_reaction_opens_ticket_one(tmp_path: Any) -> None:
    with running_stack(tmp_path) as (env, ports):
        api = f"http://127.0.0.1:{ports['API_PORT']}"
        set_clock(api, WEDNESDAY_MORNING)
        send = [sys.executable, "-m", "devstack.send", "reaction", "--event-id", "EvREADME1", "--api", api,
                "--fake-slack", f"http://127.0.0.1:{ports['FAKE_SLACK_PORT']}"]
        assert subprocess.run(send, cwd=ROOT, env=env, capture_output=True, timeout=30).returncode == 0

        def confirmed() -> Any:
            status, body = get(f"{api}/api/tickets/1", token="dev-token-ada")
            return body if status == 200 and body["confirmed"] else None

        ticket = wait_for(confirmed)
        assert ticket["subject"].startswith("How do I rotate my API key")
        calls_url = f"http://127.0.0.1:{ports['FAKE_SLACK_PORT']}/_fake/calls?method=chat.postMessage"

        def in_thread() -> int:  # the confirmation (the Hero's DM about the new ticket goes elsewhere)
            return len([c for c in get(calls_url)[1] if c["params"]["channel"] == "C0COMMUNITY"])

        assert in_thread() == 1

        # Slack redelivers the same event: nothing changes.
        assert subprocess.run(send, cwd=ROOT, env=env, capture_output=True, timeout=30).returncode == 0
        time.sleep(2.5)
        assert in_thread() == 1
        assert [t["number"] for t in get(f"{api}/api/tickets?view=all", token="dev-token-ada")[1]["tickets"]] == [1]
        assert get(f"{api}/api/tickets/1")[0] == 401

        # Email: SMTP on the local port plays SES; outbound mail goes to the embedded SES.
        import boto3

        ses = boto3.client("ses", region_name="us-east-1", endpoint_url=f"http://127.0.0.1:{ports['MOTO_PORT']}",
                           aws_access_key_id="testing", aws_secret_access_key="testing")

        def sent() -> float:
            return float(ses.get_send_quota()["SentLast24Hours"])

        first = devstack_mail(env, "--from", "someone@acme.example", "--subject", "Builds fail",
                              "--text", "Since 10:00")

        def email_ticket() -> Any:
            status, body = get(f"{api}/api/tickets/2", token="dev-token-ada")
            return body if status == 200 and body["confirmed"] else None

        ticket = wait_for(email_ticket)
        assert ticket["channel"] == "email" and ticket["priority"] == "high"
        acknowledged = wait_for(sent)
        devstack_mail(env, "--from", "someone@acme.example", "--subject", "Re: Builds fail", "--text", "Still",
                      "--in-reply-to", first)
        wait_for(lambda: len(get(f"{api}/api/tickets/2", token="dev-token-ada")[1]["messages"]) == 3)
        reply = urllib.request.Request(f"{api}/api/tickets/2/replies", data=b'{"text": "Fixed."}', method="POST",
                                       headers={"Authorization": "Bearer dev-token-ada",
                                                "Content-Type": "application/json"})
        assert urllib.request.urlopen(reply, timeout=10).status == 202
        wait_for(lambda: get(f"{api}/api/tickets/2", token="dev-token-ada")[1]["messages"][-1]["delivery"]["status"]
                 == "sent")
        after_reply = sent()
        assert after_reply > acknowledged
        devstack_mail(env, "--from", "ooo@acme.example", "--subject", "Out of office",
                      "--header", "Auto-Submitted: auto-replied")
        wait_for(lambda: get(f"{api}/api/tickets/3", token="dev-token-ada")[0] == 200)
        time.sleep(1)
        assert sent() == after_reply  # no acknowledgement to an auto-reply

        # GitHub: an outsider's comment opens ticket #4 linked to the issue; the Slack ticket #1 is linked
        # too; an agent reply becomes a comment; closing the issue (delivered twice) notifies each once.
        def github(*args: str) -> None:
            out = subprocess.run([sys.executable, "-m", "devstack.send", *args, "--api", api], cwd=ROOT, env=env,
                                 capture_output=True, text=True, timeout=30)
            assert out.returncode == 0, out.stdout + out.stderr

        github("github-comment")
        gh_ticket = wait_for(lambda: get(f"{api}/api/tickets/4", token="dev-token-ada")[1]
                             if get(f"{api}/api/tickets/4", token="dev-token-ada")[0] == 200 else None)
        assert gh_ticket["channel"] == "github" and gh_ticket["links"] == ["Codertocat/Hello-World#1"]
        link = urllib.request.Request(f"{api}/api/tickets/1/links", data=b'{"issue": "Codertocat/Hello-World#1"}',
                                      method="POST", headers={"Authorization": "Bearer dev-token-ada",
                                                              "Content-Type": "application/json"})
        assert urllib.request.urlopen(link, timeout=10).status == 201
        answer = urllib.request.Request(f"{api}/api/tickets/4/replies", data=b'{"text": "Friday."}', method="POST",
                                        headers={"Authorization": "Bearer dev-token-ada",
                                                 "Content-Type": "application/json"})
        assert urllib.request.urlopen(answer, timeout=10).status == 202
        fake_gh = f"http://127.0.0.1:{ports['FAKE_GITHUB_PORT']}/_fake/calls"

        def comments() -> list[str]:
            # what GitHub shows: the hidden marker that lets a retry find its comment is left out
            return [c["body"]["body"].split("\n\n<!-- support-hero:")[0] for c in get(fake_gh)[1]
                    if c["method"] == "POST" and not c.get("failed")]

        wait_for(lambda: comments() == ["@curious-user Friday."])
        github("github-close", "--delivery", "close-1")
        github("github-close", "--delivery", "close-1")
        def community_thread() -> list[dict[str, Any]]:
            return [c["params"] for c in get(calls_url)[1] if c["params"]["channel"] == "C0COMMUNITY"]

        wait_for(lambda: len(comments()) == 2)
        wait_for(lambda: len(community_thread()) == 2)
        time.sleep(2.5)
        assert len(comments()) == 2 and "was closed" in comments()[-1]
        assert len(community_thread()) == 2 and community_thread()[-1]["thread_ts"] == "1700000000.000100"



def test_make_run_whole_ticket_life_through_slack_payloads(tmp_path: Any) -> None:
    """Open from Slack, take it, set priority, hand over, reply, solve: Slack payloads alone."""
    with running_stack(tmp_path) as (env, ports):
        api = f"http://127.0.0.1:{ports['API_PORT']}"
        fake_slack = f"http://127.0.0.1:{ports['FAKE_SLACK_PORT']}"
        set_clock(api, WEDNESDAY_MORNING)

        def send(*args: str) -> None:
            out = subprocess.run([sys.executable, "-m", "devstack.send", *args, "--api", api,
                                  "--fake-slack", fake_slack],
                                 cwd=ROOT, env=env, capture_output=True, text=True, timeout=30)
            assert out.returncode == 0, out.stdout + out.stderr

        def ticket() -> Any:
            return get(f"{api}/api/tickets/1", token="dev-token-ada")[1]

        send("message", "--channel", "C0ACME", "--user", "U0ACME1", "--ts", "1700000500.000100",
             "--text", "Checkout is failing")
        wait_for(lambda: get(f"{api}/api/tickets/1", token="dev-token-ada")[0] == 200)
        send("click", "--action", "ticket_take", "--user", "U0HERO1")
        wait_for(lambda: ticket()["assignee"] == "ada")
        send("click", "--action", "ticket_priority", "--value", "urgent", "--user", "U0HERO1")
        wait_for(lambda: ticket()["priority"] == "urgent")
        send("command", "--user", "U0HERO1", "--text", "handover 1 <@U0HERO2> payment provider incident")
        wait_for(lambda: ticket()["assignee"] == "bo")
        send("command", "--user", "U0HERO2", "--text", "reply 1 Fixed on our side, please retry")
        wait_for(lambda: any(m["role"] == "agent" and (m["delivery"] or {}).get("status") == "sent"
                             for m in ticket()["messages"]))
        send("command", "--user", "U0HERO2", "--text", "solve 1")
        final = wait_for(lambda: ticket() if ticket()["status"] == "solved" else None)
        assert [a["by"]["id"] for a in final["audit"]] == ["ada", "ada", "ada", "bo"]
        calls = get(f"{fake_slack}/_fake/calls")[1]
        reply = [c["params"] for c in calls if c["method"] == "chat.postMessage" and c["params"].get("username")]
        assert reply[-1]["username"] == "Bo Agent" and reply[-1]["thread_ts"] == "1700000500.000100"
        homes = [c["params"] for c in calls if c["method"] == "views.publish"]
        assert {h["user_id"] for h in homes} >= {"U0HERO1", "U0HERO2"}
        updates = [c["params"] for c in calls if c["method"] == "chat.update"]
        assert "*Status* solved" in updates[-1]["text"]



def test_agent_api_openapi_document_fuzzed_by_schemathesis_finds_no_5xx(tmp_path: Any) -> None:
    """schemathesis generates valid and invalid requests from /api/openapi.json against `make run`.

    Phases: examples and fuzzing (positive and negative data). Its coverage phase also probes
    TRACE, which chalice local's dev server (http.server) answers 501 itself; API Gateway
    answers unsupported methods before the app, so that probe would test chalice local, not us.
    """
    with running_stack(tmp_path) as (env, ports):
        api = f"http://127.0.0.1:{ports['API_PORT']}"
        status, doc = get(f"{api}/api/openapi.json")
        assert status == 200 and doc["openapi"].startswith("3.")
        subprocess.run([sys.executable, "-m", "devstack.send", "message", "--channel", "C0ACME", "--user", "U0ACME1",
                        "--text", "A ticket for the fuzzer", "--api", api,
                        "--fake-slack", f"http://127.0.0.1:{ports['FAKE_SLACK_PORT']}"],
                       cwd=ROOT, env=env, check=True, capture_output=True, timeout=30)
        wait_for(lambda: get(f"{api}/api/tickets/1", token="dev-token-ada")[0] == 200)
        st = Path(sys.executable).parent / "st"
        run = subprocess.run(
            [str(st), "run", f"{api}/api/openapi.json", "--checks", "not_a_server_error",
             "-H", "Authorization: Bearer dev-token-ada", "-n", "25", "--phases", "examples,fuzzing",
             "--mode", "all", "--seed", "1"],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
        )
        assert run.returncode == 0, run.stdout[-4000:]


def test_make_run_weekend_message_rotation_and_target_warning_with_the_dev_clock(tmp_path: Any) -> None:
    """#6 done-when: a Saturday message is acknowledged with Monday's opening and is in Monday's digest;
    the rotation run twice on a boundary announces once; a ticket past 75 % of its target warns its owner once."""
    with running_stack(tmp_path) as (env, ports):
        api = f"http://127.0.0.1:{ports['API_PORT']}"
        fake_slack = f"http://127.0.0.1:{ports['FAKE_SLACK_PORT']}"
        status, listed = get(f"{api}/_local/schedules")
        assert status == 200
        assert {"rotation", "targets", "opening_digest", "community"} <= {j["name"] for j in listed["schedules"]}

        def posts() -> list[dict[str, Any]]:
            return [c["params"] for c in get(f"{fake_slack}/_fake/calls?method=chat.postMessage")[1]]

        def run(name: str) -> dict[str, Any]:
            status, report = post(f"{api}/_local/schedules/{name}")
            assert status == 200, report
            return dict(report)

        set_clock(api, "2026-11-28T10:00:00Z")  # Saturday, 10:00 in London
        assert get(f"{api}/_local/clock")[1]["now"].startswith("2026-11-28T10:00")
        out = subprocess.run([sys.executable, "-m", "devstack.send", "message", "--channel", "C0ACME", "--user",
                              "U0ACME1", "--text", "Exports fail since this morning", "--api", api,
                              "--fake-slack", fake_slack], cwd=ROOT, env=env, capture_output=True, text=True,
                             timeout=30)
        assert out.returncode == 0, out.stdout + out.stderr
        away = wait_for(lambda: [p for p in posts() if p["channel"] == "C0ACME" and "away" in p["text"]])
        assert len(away) == 1
        assert "we are back on Monday 30 November 2026 at 09:00 (Europe/London time)" in away[0]["text"]

        set_clock(api, "2026-11-30T09:05:00Z")  # Monday: sprint 2 began (Bo), and the team is back
        # Moving the dev clock two days on makes make run's schedule runner run every job at its next tick
        # (as EventBridge would): it may claim a job's period before the runs below. Either way, once.
        first, again = run("rotation")["did"], run("rotation")["did"]
        assert again == [] and (first == [] or first[0] == "announce sprint 2"), (first, again)
        announced = wait_for(lambda: [p for p in posts()
                                      if p["channel"] == "C0TRIAGE" and "is the Support Hero" in p["text"]])
        assert len(announced) == 1 and announced[0]["text"].startswith(":superhero: <@U0HERO2>")
        topics = wait_for(lambda: [c["params"] for c in
                                   get(f"{fake_slack}/_fake/calls?method=conversations.setTopic")[1]])
        assert len(topics) == 1 and "Bo Agent" in topics[0]["topic"]

        did = run("opening_digest")["did"] + run("opening_digest")["did"]
        assert did in (["digest 2026-11-30: 1"], []), did
        digest = wait_for(lambda: [p for p in posts()
                                   if p["channel"] == "DU0HERO2" and p["text"].startswith(":sunrise:")])
        assert len(digest) == 1 and "Exports fail since this morning" in digest[0]["text"]

        # #1 is Bo's now; its 1 h first-response target runs from Monday 09:00: 75 % at 09:45.
        ticket = get(f"{api}/api/tickets/1", token="dev-token-bo")[1]
        assert ticket["assignee"] == "bo"
        assert ticket["response_due"]["due_at"] == "2026-11-30T10:00:00+00:00"
        set_clock(api, "2026-11-30T09:50:00Z")
        did = run("targets")["did"] + run("targets")["did"]
        assert did in (["warned #1"], []), did  # the schedule runner may have warned first: once either way
        warned = wait_for(lambda: [p for p in posts() if p["channel"] == "DU0HERO2" and "75 %" in p["text"]])
        assert len(warned) == 1


def test_make_run_api_digest_and_dashboard_agree(tmp_path: Any) -> None:
    """#7 done-when: tickets through each channel; the API, the digest in the fake Slack and the page
    in headless Chromium show the same figures."""
    import re

    from tests.browser import chromium_page, require_chromium

    require_chromium()
    with running_stack(tmp_path) as (env, ports):
        api = f"http://127.0.0.1:{ports['API_PORT']}"
        fake_slack = f"http://127.0.0.1:{ports['FAKE_SLACK_PORT']}"

        def tool(module: str, *args: str) -> str:
            extra = ["--api", api, "--fake-slack", fake_slack] if module == "devstack.send" else []
            out = subprocess.run([sys.executable, "-m", module, *args, *extra], cwd=ROOT, env=env,
                                 capture_output=True, text=True, timeout=30)
            assert out.returncode == 0, out.stdout + out.stderr
            return out.stdout

        set_clock(api, "2026-11-30T10:00:00Z")  # Monday of sprint 2
        tool("devstack.send", "message", "--channel", "C0ACME", "--user", "U0ACME1", "--text", "Checkout fails")
        tool("devstack.mail", "--from", "sam@acme.example", "--subject", "Invoice wrong", "--text", "VAT")
        tool("devstack.send", "github-comment")
        tickets = wait_for(lambda: (lambda b: b if len(b.get("tickets", [])) == 3 else None)(
            get(f"{api}/api/tickets?view=all", token="dev-token-ada")[1]))
        by_channel = {t["channel"]: t["number"] for t in tickets["tickets"]}

        set_clock(api, "2026-11-30T10:30:00Z")
        assert post(f"{api}/api/tickets/{by_channel['slack']}/replies", {"text": "On it"},
                    token="dev-token-ada")[0] == 202
        set_clock(api, "2026-11-30T11:00:00Z")
        assert post(f"{api}/api/tickets/{by_channel['email']}/replies", {"text": "Fixed"},
                    token="dev-token-bo")[0] == 202
        set_clock(api, "2026-11-30T12:00:00Z")
        wait_for(lambda: get(f"{api}/api/tickets/{by_channel['email']}", token="dev-token-bo")[1]
                 ["first_response_at"])
        version = get(f"{api}/api/tickets/{by_channel['slack']}", token="dev-token-ada")[1]["version"]
        request = urllib.request.Request(f"{api}/api/tickets/{by_channel['slack']}", method="PATCH",
                                         data=json.dumps({"version": version, "status": "solved"}).encode(),
                                         headers={"Authorization": "Bearer dev-token-ada",
                                                  "Content-Type": "application/json"})
        assert urllib.request.urlopen(request, timeout=30).status == 200

        set_clock(api, "2026-12-07T09:30:00Z")  # the next Monday, after the opening
        _, report = post(f"{api}/_local/schedules/weekly_digest")
        assert report["did"] == ["week of 2026-11-30"], report
        figures = get(f"{api}/api/analytics?from=2026-11-30&to=2026-12-06", token="dev-token-ada")[1]["totals"]
        assert (figures["opened"], figures["solved"], figures["backlog"]) == (3, 1, 2)
        assert figures["by_channel"] == {"email": 1, "github": 1, "slack": 1}
        # 30 min and 60 min, give or take the seconds the dev clock moved on while the tools ran
        assert abs(figures["first_response"]["median"] - 2700) < 60
        assert figures["targets"]["rate"] == 1.0

        calls = get(f"{fake_slack}/_fake/calls?method=chat.postMessage")[1]
        digest = [c["params"] for c in calls if str(c["params"]["text"]).startswith("Support week")]
        assert len(digest) == 1
        assert digest[0]["text"] == ("Support week of 30 Nov 2026: 3 opened, 1 solved, backlog 2, "
                                     "first response median 45m, targets met 100 %")

        tool("devstack.send", "command", "--user", "U0HERO1", "--text", "dashboard 2026-11-30 2026-12-06 week")
        ephemeral = wait_for(lambda: [c["params"]["text"] for c in
                                      get(f"{fake_slack}/_fake/calls?method=chat.postEphemeral")[1]
                                      if "/dashboard?" in c["params"]["text"]])
        link = re.search(r"<(http://127\.0\.0\.1:\d+/dashboard\?[^|>]+)", ephemeral[0])
        assert link is not None
        board = get(f"{api}/api/analytics/leaderboard?stint=current", token="dev-token-ada")[1]
        assert board["stint"] == 2 and board["hero"] == "bo"
        rows = {r["member_id"]: r for r in board["rows"]}
        assert (rows["ada"]["first_responses"], rows["ada"]["solved"], rows["ada"]["targets_met"]) \
            == (1, 1, 1)
        assert (rows["bo"]["first_responses"], rows["bo"]["solved"], rows["bo"]["targets_met"]) \
            == (1, 0, 1)
        with chromium_page(html.unescape(link.group(1))) as page:  # signed for that week, by week
            table = page.evaluate("""(() => Object.fromEntries([...document.querySelectorAll(
                '#leaderboard tbody tr[data-member]')].map(tr => [tr.dataset.member,
                [...tr.querySelectorAll('td')].map(td => td.textContent)])))()""")
            seen = page.evaluate("""(() => {
              const tile = m => document.querySelector(`.tile[data-metric="${m}"] .value`).textContent;
              const bars = {};
              for (const r of document.querySelectorAll('#chart-volume rect[data-series]')) {
                if (r.getBBox().height <= 0) continue;
                bars[r.dataset.series] = (bars[r.dataset.series] || 0) + Number(r.dataset.value);
              }
              return {opened: tile('opened'), solved: tile('solved'), backlog: tile('backlog'),
                      median: tile('first-response-median'), rate: tile('targets-rate'), bars};
            })()""")
        assert seen == {"opened": "3", "solved": "1", "backlog": "2", "median": "45m", "rate": "100 %",
                        "bars": {"email": 1, "github": 1, "slack": 1}}
        # the page's leaderboard is the API's: triaged, first responses, replies, median, solved, targets met, CSAT
        from chalicelib.web.dashboard import format_duration, format_rate
        assert all(r["csat"]["rated"] == 0 for r in rows.values())  # nobody was asked: the page shows a dash
        assert table == {member: [str(r["triaged"]), str(r["first_responses"]), str(r["replies"]),
                                  format_duration(r["median_first_response"]), str(r["solved"]),
                                  f"{r['targets_met']} / {r['targets_met'] + r['targets_missed']}",
                                  f"{format_rate(r['csat']['rate'])} ({r['csat']['rated']})" if r["csat"]["rated"]
                                  else "—"]
                         for member, r in rows.items()}
