"""#15 done-when against `make run` (real HTTP, no mocks): one person across Slack and email, the
satisfaction survey in each channel, CSAT in the analytics and the stint's feedback.

The dev clock decides every time here (a Wednesday morning in London, then the Thursday of the next week,
both in stint 2 of the sample rotation), so the test passes at any real hour."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from email import message_from_string, policy
from typing import Any

from tests.test_local_stack import devstack_mail, get, post, running_stack, set_clock, slack_post, wait_for

ADA = "dev-token-ada"
SAM_TS = "1796205480.000100"  # 2026-12-02 09:58 UTC: Sam asks two minutes before the test's dev-clock start


def test_make_run_one_person_surveys_csat_and_stint_feedback(tmp_path: Any) -> None:

    with running_stack(tmp_path) as (env, ports):
        api = f"http://127.0.0.1:{ports['API_PORT']}"
        fake_slack = f"http://127.0.0.1:{ports['FAKE_SLACK_PORT']}"

        def signed(path: str, body: bytes, content_type: str) -> None:
            slack_post(api, path, body, content_type)

        def ticket(number: int) -> Any:
            status, body = get(f"{api}/api/tickets/{number}", token=ADA)
            return body if status == 200 else None

        def patch(number: int, **changes: Any) -> dict[str, Any]:
            version = ticket(number)["version"]
            request = urllib.request.Request(f"{api}/api/tickets/{number}", method="PATCH",
                                             data=json.dumps({"version": version, **changes}).encode(),
                                             headers={"Authorization": f"Bearer {ADA}",
                                                      "Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=30) as response:
                assert response.status == 200
                return dict(json.loads(response.read()))

        def posts() -> list[dict[str, Any]]:
            return [c["params"] for c in get(f"{fake_slack}/_fake/calls?method=chat.postMessage")[1]]

        def run_surveys() -> list[str]:
            """The job on demand; make run's schedule runner may have claimed the work first: once either way."""
            status, report = post(f"{api}/_local/schedules/surveys")
            assert status == 200, report
            return list(report["did"])

        def csat(day_from: str, day_to: str) -> dict[str, Any]:
            status, body = get(f"{api}/api/analytics?from={day_from}&to={day_to}", token=ADA)
            assert status == 200, body
            return dict(body["totals"]["csat"])

        set_clock(api, "2026-12-02T10:00:00Z")  # Wednesday 10:00 in London: business hours, stint 2

        # -- 1. Sam asks in the community channel (Ada reacts :ticket:), then writes by email --------------
        status, _ = post(f"{fake_slack}/_fake/messages", {"channel": "C0COMMUNITY", "ts": SAM_TS, "user": "U0SAM1",
                                                          "text": "Can I export my data?"})
        assert status == 200
        reaction = {"type": "event_callback", "team_id": "T0DEV", "api_app_id": "A0SUPPORT",
                    "event_id": "EvPEOPLE1", "event_time": int(time.time()),
                    "event": {"type": "reaction_added", "user": "U0HERO1", "reaction": "ticket",
                              "item": {"type": "message", "channel": "C0COMMUNITY", "ts": SAM_TS},
                              "event_ts": f"{time.time():.6f}"}}
        signed("/slack/events", json.dumps(reaction).encode(), "application/json")
        slack_ticket = wait_for(lambda: (lambda t: t if t and t["confirmed"] else None)(ticket(1)))
        assert slack_ticket["channel"] == "slack" and slack_ticket["requester"]["identity"] == "slack:U0SAM1"

        devstack_mail(env, "--from", "Sam Example <sam@acme.example>", "--subject", "Export by mail",
                      "--text", "Following up by email.")
        email_ticket = wait_for(lambda: (lambda t: t if t and t["confirmed"] else None)(ticket(2)))
        assert email_ticket["channel"] == "email"

        status, sam = get(f"{api}/api/people?email=sam@acme.example", token=ADA)
        assert status == 200, sam
        assert {"slack:U0SAM1", "email:sam@acme.example"} <= set(sam["identities"])
        assert sam["company"]["name"] == "Acme" and sam["tier"] == "enterprise"
        assert sorted(t["number"] for t in sam["tickets"]) == [1, 2]
        assert get(f"{api}/api/people?slack=U0SAM1", token=ADA)[1]["id"] == sam["id"]
        assert get(f"{api}/api/people/{urllib.parse.quote(sam['id'], safe='')}", token=ADA)[1]["id"] == sam["id"]

        def announced() -> list[dict[str, Any]]:
            return [p for p in posts() if p["channel"] == "C0TRIAGE" and not p.get("thread_ts")
                    and "Export by mail" in p["text"]]

        [announcement] = wait_for(announced)
        assert "1 earlier ticket" in announcement["text"], announcement["text"]

        # -- 2. The Slack ticket solved: one survey in its thread after the grace period; Sam clicks good ---
        assert patch(1, status="solved")["ticket"]["status"] == "solved"
        set_clock(api, "2026-12-02T11:05:00Z")  # one business hour (the grace period) and a few minutes on
        assert run_surveys() in (["#1: asked"], [])

        def survey_posts() -> list[dict[str, Any]]:
            return [p for p in posts() if p["channel"] == "C0COMMUNITY" and p.get("thread_ts") == SAM_TS
                    and "csat:1" in json.dumps(p.get("blocks"))]

        wait_for(survey_posts)
        assert run_surveys() == []  # asked once: a second run finds nothing due
        time.sleep(1)
        [survey] = survey_posts()
        [buttons] = [b for b in (survey["blocks"] if isinstance(survey["blocks"], list)
                                 else json.loads(survey["blocks"])) if b.get("block_id") == "csat:1"]
        assert {e["action_id"] for e in buttons["elements"]} == {"csat_good", "csat_bad"}
        messages = get(f"{fake_slack}/_fake/messages?channel=C0COMMUNITY")[1]
        survey_ts = next(m["ts"] for m in messages if m.get("thread_ts") == SAM_TS and "How did we do" in m["text"])

        assert ticket(1)["satisfaction"] == {"survey": "asked"}
        click = {"type": "block_actions", "user": {"id": "U0SAM1"}, "team": {"id": "T0DEV"},
                 "channel": {"id": "C0COMMUNITY"}, "api_app_id": "A0SUPPORT", "trigger_id": "tPEOPLE1",
                 "container": {"type": "message", "channel_id": "C0COMMUNITY", "message_ts": survey_ts},
                 "actions": [{"type": "button", "action_id": "csat_good", "block_id": "csat:1", "value": "good",
                              "action_ts": f"{time.time():.6f}"}]}
        signed("/slack/interactions", urllib.parse.urlencode({"payload": json.dumps(click)}).encode(),
               "application/x-www-form-urlencoded")
        rated = wait_for(lambda: (lambda t: t if t and "rating" in (t["satisfaction"] or {}) else None)(ticket(1)))
        assert rated["satisfaction"]["rating"] == "good"
        wait_for(lambda: [c for c in get(f"{fake_slack}/_fake/calls?method=chat.update")[1]
                          if c["params"]["ts"] == survey_ts and "Your answer: *good*" in c["params"]["text"]])
        assert {k: csat("2026-12-02", "2026-12-02")[k] for k in ("good", "bad", "rated", "rate")} \
            == {"good": 1, "bad": 0, "rated": 1, "rate": 1.0}

        # -- 3. The email ticket solved (8 days on: Sam is asked at most once in 7): one survey email -------
        set_clock(api, "2026-12-10T10:00:00Z")  # Thursday of the next week, still stint 2
        assert patch(2, status="solved")["ticket"]["status"] == "solved"
        set_clock(api, "2026-12-10T11:05:00Z")
        assert run_surveys() in (["#2: asked"], [])

        def survey_mails() -> list[Any]:
            with urllib.request.urlopen(f"http://127.0.0.1:{ports['MOTO_PORT']}/moto-api/data.json",
                                        timeout=10) as response:
                raw = [m["raw_data"] for m in json.loads(response.read())["ses"]["RawMessage"]]
            mails = [message_from_string(r, policy=policy.default) for r in raw]
            return [m for m in mails if "How did we do?" in m.get_body(("plain",)).get_content()]

        wait_for(survey_mails)
        assert run_surveys() == []
        time.sleep(1)
        [mail] = survey_mails()
        assert [a.addr_spec for a in mail["To"].addresses] == ["sam@acme.example"]
        text = mail.get_body(("plain",)).get_content()
        links = {a: next(w for w in text.split() if w.startswith(f"{api}/survey?") and f"a={a}" in w)
                 for a in ("good", "bad", "comment")}

        def open_link(url: str) -> tuple[int, str]:
            try:
                with urllib.request.urlopen(url, timeout=30) as response:
                    return response.status, response.read().decode()
            except urllib.error.HTTPError as exc:
                return exc.code, exc.read().decode()

        status, page = open_link(links["good"])
        assert status == 200 and "we recorded <strong>good</strong> for ticket #2" in page, page
        assert ticket(2)["satisfaction"]["rating"] == "good"
        status, page = open_link(links["good"])
        assert status == 200 and "already recorded: <strong>good</strong>" in page, page
        status, page = open_link(links["bad"])  # a genuine link for the other answer: the first one stays
        assert status == 200 and "already recorded: <strong>good</strong>" in page, page
        assert ticket(2)["satisfaction"]["rating"] == "good"
        assert [a["change"] for a in ticket(2)["audit"]].count("satisfaction: good") == 1
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(links["good"]).query))
        tampered = [{**query, "a": "bad"}, {**query, "s": ("0" if query["s"][0] != "0" else "1") + query["s"][1:]},
                    {**query, "n": "1"}, {**query, "e": str(int(query["e"]) + 86400)}]
        for params in tampered:
            assert open_link(f"{api}/survey?{urllib.parse.urlencode(params)}")[0] == 401, params
        assert ticket(2)["satisfaction"]["rating"] == "good" and ticket(1)["satisfaction"]["rating"] == "good"
        day = csat("2026-12-10", "2026-12-10")
        assert (day["good"], day["bad"], day["rated"], day["rate"]) == (1, 0, 1, 1.0)
        both = csat("2026-12-02", "2026-12-10")
        assert (both["good"], both["rated"], both["rate"]) == (2, 2, 1.0)

        # -- 4. The stint's feedback: its tags, its linked issues and its bugs with the company ------------
        assert patch(1, tags=["bug"])["ticket"]["tags"] == ["bug"]
        assert post(f"{api}/api/tickets/1/links", {"issue": "Codertocat/Hello-World#1"}, token=ADA)[0] == 201
        status, feedback = get(f"{api}/api/feedback?stint=current", token=ADA)
        assert status == 200, feedback
        assert feedback["stint"] == 2 and feedback["tickets"] == 2
        assert get(f"{api}/api/feedback?stint=2", token=ADA)[1]["tags"] == feedback["tags"]
        assert {"tag": "bug", "count": 1} in feedback["tags"]
        [issue] = feedback["issues"]
        assert issue["issue"] == "Codertocat/Hello-World#1" and issue["tickets"] == [1] and issue["people"] == 1
        [request] = feedback["requests"]
        assert (request["number"], request["tags"], request["company"]) == (1, ["bug"], "Acme")
