"""Issue #6: the Support Hero rotation, response targets, after-hours care, nobody missed.

Every test runs the real app (routes, worker, scheduled jobs) on the embedded AWS and
the fake Slack, with a frozen clock moved by hand.  The team is in Europe/London,
open Monday to Friday 09:00-17:00, holidays 25 and 28 December 2026; sprints of 14
days from Monday 16 November 2026: sprint 1 Ada (16-29 Nov), sprint 2 Bo (30 Nov -
13 Dec), sprint 3 Ada...  Expected instants are worked out by hand in the comments.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import urllib.parse
from typing import Any

import pytest

from tests.conftest import Stack, sign, team_directory
from tests.helpers import message, reaction

UTC = dt.UTC
ADA, BO = "U0HERO1", "U0HERO2"


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).astimezone(UTC)


def ts_of(clock: Any) -> str:
    return f"{clock.time():.6f}"


def say(stack: Stack, clock: Any, text: str, user: str = "U0ACME1", channel: str = "C0ACME",
        thread: str | None = None, event_id: str | None = None) -> str:
    ts = ts_of(clock)
    stack.slack.add_message(channel, ts, user, text, thread_ts=thread)
    stack.post_event(message(user, channel, ts, text, thread_ts=thread, event_id=event_id))
    stack.drain()
    return ts


def run(stack: Stack, name: str) -> dict[str, Any]:
    from chalicelib.jobs import registry as jobs

    result = jobs.run(name, stack.services)
    stack.drain()  # deliveries the job queued
    return result


def dms(stack: Stack, user: str | None = None) -> list[str]:
    """Texts of direct messages, optionally to one user (the fake opens D<user> channels)."""
    return [c["params"]["text"] for c in stack.slack.calls("chat.postMessage")
            if str(c["params"]["channel"]).startswith("D")
            and (user is None or user in str(c["params"]["channel"]))]


def posts(stack: Stack, channel: str) -> list[dict[str, Any]]:
    return [c["params"] for c in stack.slack.calls("chat.postMessage") if c["params"]["channel"] == channel]


def api_ticket(stack: Stack, number: int = 1) -> dict[str, Any]:
    response = stack.api("GET", f"/api/tickets/{number}")
    assert response.status_code == 200, response.body
    return dict(json.loads(response.body))


def hero_command(stack: Stack, text: str, user: str = ADA) -> str:
    body = urllib.parse.urlencode({
        "token": "x", "team_id": "T0DEV", "channel_id": "C0TRIAGE", "user_id": user, "command": "/hero",
        "text": text, "response_url": "https://hooks.slack.com/commands/T0DEV/1/x",
        "trigger_id": f"trig-{time.monotonic_ns()}",
    }).encode()
    response = stack.client.http.post("/slack/commands", headers={**sign(body), "Content-Type":
                                      "application/x-www-form-urlencoded"}, body=body)
    assert response.status_code == 200, response.body
    answer = json.loads(response.body)["text"]
    if answer != "On it…":
        return str(answer)  # a syntax error is answered by the ingress itself
    stack.drain()
    return str(stack.slack.calls("chat.postEphemeral")[-1]["params"]["text"])


# -- the rotation as a pure function ----------------------------------------------------------
def test_hero_for_any_day_is_a_function_of_the_configuration() -> None:
    from chalicelib.desk.rotation import hero_of, sprint_dates, sprint_of

    settings = team_directory(rotation_roster=("ada", "bo")).settings
    assert sprint_of(settings, dt.date(2026, 11, 16)) == 1
    assert sprint_of(settings, dt.date(2026, 11, 29)) == 1  # the last day of sprint 1
    assert sprint_of(settings, dt.date(2026, 11, 30)) == 2
    assert sprint_of(settings, dt.date(2026, 11, 15)) == 0  # before the first sprint
    assert sprint_dates(settings, 3) == (dt.date(2026, 12, 14), dt.date(2026, 12, 27))
    assert [hero_of(settings, n, {}).hero for n in (1, 2, 3, 4)] == ["ada", "bo", "ada", "bo"]
    assert hero_of(settings, 2, {2: {"hero": "ada", "note": "swap"}}).hero == "ada"
    assert hero_of(settings, 0, {}).hero is None


def test_directory_rejects_bad_time_settings() -> None:
    from chalicelib.desk.directory import DirectoryError, parse_directory

    base = '[[members]]\nid = "ada"\nname = "Ada"\navatar_url = "x"\nslack_user_id = "U1"\n'
    for extra, error in (
        ('[team]\ntimezone = "Mars/Olympus"\n', "timezone"),
        ('[hours]\nopens = "18:00"\ncloses = "09:00"\n', "hours"),
        ('[rotation]\nroster = ["U1"]\n', "'start'"),
        ('[rotation]\nroster = ["nobody"]\nstart = 2026-11-16\n', "not a member"),
        ('[rotation]\nroster = ["ada"]\nstart = 2026-11-16\nsprint_days = 0\n', "sprint_days"),
        ('[targets]\nplatinum = { first_response_hours = 1 }\n', "unknown tier"),
        ('[targets]\nscale = { first_response_hours = -1 }\n', "greater than"),
    ):
        with pytest.raises(DirectoryError, match=error):
            parse_directory(extra + base if extra.startswith("[team]") else base + extra)
    parsed = parse_directory(base + '[rotation]\nroster = ["U1"]\nstart = 2026-11-16\n'
                             '[targets]\nscale = { first_response_hours = 2 }\n')
    assert parsed.settings.rotation_roster == ("ada",)
    assert parsed.settings.response_targets["scale"] == (2.0, 2.0)  # next defaults to first


# -- the rotation job ------------------------------------------------------------------------------
def test_rotation_job_twice_on_a_boundary_announces_once(timed: tuple[Stack, Any]) -> None:
    stack, clock = timed
    clock.set(at("2026-11-27T11:00:00+00:00"))  # Friday of sprint 1: Ada is Hero
    say(stack, clock, "Export is broken")  # ticket #1, unassigned
    stack.api("PATCH", "/api/tickets/1", body={"version": api_ticket(stack)["version"], "assignee": "ada",
                                              "tags": ["bug", "export"]})
    stack.slack.reset()

    clock.set(at("2026-11-30T00:30:00+00:00"))  # Monday 00:30 London: sprint 2 began, Bo's turn
    first = run(stack, "rotation")
    second = run(stack, "rotation")
    assert first["did"] == ["announce sprint 2", "topic sprint 2", "handoff sprint 2", "outgoing sprint 2",
                            "stint-summary sprint 2"]
    assert second["did"] == [] and len(second["skipped"]) == 5

    announcements = posts(stack, "C0TRIAGE")
    assert len(announcements) == 1
    assert announcements[0]["text"].startswith(f":superhero: <@{BO}> is the Support Hero for sprint 2 "
                                               "(Mon 30 Nov – Sun 13 Dec)")
    assert f"Next up: <@{ADA}> from Mon 14 Dec" in announcements[0]["text"]
    topics = stack.slack.calls("conversations.setTopic")
    assert [(t["params"]["channel"], t["params"]["topic"]) for t in topics] == [
        ("C0COMMUNITY", f"Support Hero until Sun 13 Dec: Bo Agent (<@{BO}>)")]
    to_bo, to_ada = dms(stack, BO), dms(stack, ADA)
    assert len(to_bo) == 1 and "You are the Support Hero for sprint 2" in to_bo[0]
    assert len(to_ada) == 2 and "You still own 1 open ticket(s)" in to_ada[0] and "*#1*" in to_ada[0]
    assert to_ada[1].startswith("Your stint as Support Hero: sprint 1: 1 opened, 0 solved")  # the stint in figures
    # ...and what it turned up: its tags, and the bug with its requester's company.
    [summary] = [c["params"] for c in stack.slack.calls("chat.postMessage")
                 if c["params"].get("text", "").startswith("Your stint")]
    shown = json.dumps(summary["blocks"], ensure_ascii=False)
    assert "Feedback from stint 1" in shown and "`bug` 1" in shown and "`export` 1" in shown
    assert "*#1* Export is broken · bug · Acme (enterprise)" in shown


def test_rotation_job_mid_sprint_does_nothing_twice_and_nothing_before_the_first_sprint(
        timed: tuple[Stack, Any]) -> None:
    stack, clock = timed
    clock.set(at("2026-11-10T12:00:00+00:00"))
    assert run(stack, "rotation")["skipped"] == ["no rotation configured or before the first sprint"]
    clock.set(at("2026-12-01T12:00:00+00:00"))
    run(stack, "rotation")
    clock.advance(days=1)
    again = run(stack, "rotation")
    assert again["did"] == []
    assert len(posts(stack, "C0TRIAGE")) == 1


def test_hero_command_and_rotation_api(timed: tuple[Stack, Any]) -> None:
    stack, _clock = timed  # Wednesday 2 Dec: sprint 2, Bo
    assert hero_command(stack, "who") == f":superhero: <@{BO}> is the Support Hero until Sun 13 Dec."
    schedule = hero_command(stack, "schedule")
    assert schedule.splitlines()[1:] == [
        f"• Sprint 2, Mon 30 Nov – Sun 13 Dec: <@{BO}>",
        f"• Sprint 3, Mon 14 Dec – Sun 27 Dec: <@{ADA}>",
        f"• Sprint 4, Mon 28 Dec – Sun 10 Jan: <@{BO}>",
        f"• Sprint 5, Mon 11 Jan – Sun 24 Jan: <@{ADA}>",
    ]
    swapped = hero_command(stack, f"swap <@{BO}|bo> <@{ADA}|ada>")
    assert "Sprint 2" in swapped and "Sprint 3" in swapped
    assert hero_command(stack, "who").startswith(f":superhero: <@{ADA}>")
    home = stack.slack.calls("views.publish")[-1]["params"]  # whoever used /hero: their App Home names the Hero
    home_blocks = json.loads(home["view"]) if isinstance(home["view"], str) else home["view"]
    assert any(b["type"] == "context" and "Support Hero until Sun 13 Dec: *Ada Hero* (you)" in
               b["elements"][0]["text"] for b in home_blocks["blocks"])
    skipped = hero_command(stack, f"skip <@{ADA}>", user=BO)  # Ada is away: Bo takes sprint 2 back
    assert f"• Sprint 2, Mon 30 Nov – Sun 13 Dec: <@{BO}> (ada skipped by bo)" in skipped
    assert "needs two @mentions" in hero_command(stack, f"swap <@{BO}>")
    assert hero_command(stack, "skip <@U0CUST1>") == "Could not do that: everyone named must be on the support team."

    body = json.loads(stack.api("GET", "/api/rotation?sprints=2").body)
    assert body["current"]["sprint"] == 2 and body["current"]["hero"] == "bo"
    assert [s["hero"] for s in body["schedule"]] == ["bo", "bo"]  # sprint 3 is Bo's after the swap
    assert body["calendar"]["timezone"] == "Europe/London" and body["calendar"]["open_now"] is True
    assert body["response_targets_hours"]["enterprise"] == {"first": 1.0, "next": 1.0}
    assert stack.api("GET", "/api/rotation?sprints=99").status_code == 400
    assert stack.api("GET", "/api/rotation", token="nope").status_code == 401


# -- routing new tickets to the Hero ---------------------------------------------------------------
def test_new_unassigned_ticket_tells_the_hero_once_and_can_assign(timed: tuple[Stack, Any]) -> None:
    stack, clock = timed
    event_ts = say(stack, clock, "Invoices are wrong", event_id="EvROUTE1")
    stack.post_event(message("U0ACME1", "C0ACME", event_ts, "Invoices are wrong", event_id="EvROUTE2"))
    stack.drain()  # a redelivery under a new event id: same ticket, no second notice
    notices = [t for t in dms(stack, BO) if t.startswith(":inbox_tray:")]
    assert len(notices) == 1 and "*#1*" in notices[0] and "is waiting for an owner" in notices[0]
    assert api_ticket(stack)["assignee"] is None

    stack.services.directory.replace(team_directory(rotation_roster=("ada", "bo"), assign_to_hero=True))
    clock.advance(minutes=1)
    say(stack, clock, "Second question")
    second = api_ticket(stack, 2)
    assert second["assignee"] == "bo"
    assert any(a["by"]["name"] == "Support Hero rotation" for a in second["audit"])


# -- response-time targets ------------------------------------------------------------------------------
def test_target_warns_the_owner_once_at_75_percent_and_once_at_the_breach(timed: tuple[Stack, Any]) -> None:
    stack, clock = timed  # Wed 2 Dec 10:00 GMT; Acme is enterprise: 1 h first response
    say(stack, clock, "Checkout fails")
    t = api_ticket(stack)
    assert t["response_due"] == {"kind": "first", "since": "2026-12-02T10:00:00+00:00",
                                 "due_at": "2026-12-02T11:00:00+00:00", "warn_at": "2026-12-02T10:45:00+00:00"}
    stack.api("PATCH", "/api/tickets/1", body={"version": t["version"], "assignee": "ada"})
    stack.slack.reset()

    clock.set(at("2026-12-02T10:44:00+00:00"))
    assert run(stack, "targets")["did"] == []
    clock.set(at("2026-12-02T10:46:00+00:00"))
    assert run(stack, "targets")["did"] == ["warned #1"]
    assert run(stack, "targets")["did"] == []
    clock.set(at("2026-12-02T10:50:00+00:00"))
    assert run(stack, "targets")["did"] == []
    warnings = dms(stack, ADA)
    assert len(warnings) == 1 and "75 % of its 1 h first response target" in warnings[0]
    assert "Wednesday 2 December 2026 at 11:00" in warnings[0]

    clock.set(at("2026-12-02T11:01:00+00:00"))
    assert run(stack, "targets")["did"] == ["breached #1"]
    assert run(stack, "targets")["did"] == []
    assert len(dms(stack, ADA)) == 2 and "missed its 1 h first response target" in dms(stack, ADA)[1]
    assert dms(stack, BO) == []  # the owner is told, not the Hero


def test_due_view_sorts_by_due_and_an_answer_stops_the_clock(timed: tuple[Stack, Any]) -> None:
    stack, clock = timed
    first_ts = say(stack, clock, "Slow dashboard")  # due 11:00
    stack.services.directory.replace(team_directory(
        rotation_roster=("ada", "bo"), response_targets={"enterprise": (0.5, 2.0), "scale": (4.0, 4.0),
                                                         "community": (24.0, 24.0)}))
    clock.advance(minutes=10)
    say(stack, clock, "Login loops")  # 10:10 + 30 min: due 10:40, before #1
    due = json.loads(stack.api("GET", "/api/tickets?view=due").body)["tickets"]
    assert [t["number"] for t in due] == [2, 1]

    clock.advance(minutes=5)
    say(stack, clock, "Looking now", user=ADA, thread=first_ts)  # Ada answers #1 at 10:15
    due = json.loads(stack.api("GET", "/api/tickets?view=due").body)["tickets"]
    assert [t["number"] for t in due] == [2]
    assert api_ticket(stack)["response_due"] is None

    clock.set(at("2026-12-02T16:30:00+00:00"))
    say(stack, clock, "Still slow", thread=first_ts)  # next response, 2 h: 30 min today + 1.5 h Thursday
    assert api_ticket(stack)["response_due"]["kind"] == "next"
    assert api_ticket(stack)["response_due"]["due_at"] == "2026-12-03T10:30:00+00:00"


def test_targets_across_the_autumn_dst_change(timed: tuple[Stack, Any]) -> None:
    """Fri 23 Oct 2026 15:00 BST (14:00 UTC) + 4 business hours: 2 h on Friday (to 17:00 BST = 16:00 UTC),
    clocks go back on Sunday, 2 h on Monday from 09:00 GMT: due Mon 26 Oct 11:00 GMT = 11:00 UTC."""
    stack, clock = timed
    stack.services.directory.replace(team_directory(response_targets={
        "enterprise": (4.0, 4.0), "scale": (4.0, 4.0), "community": (24.0, 24.0)}))
    clock.set(at("2026-10-23T14:00:00+00:00"))
    say(stack, clock, "Webhooks stopped")
    due = api_ticket(stack)["response_due"]
    assert (due["due_at"], due["warn_at"]) == ("2026-10-26T11:00:00+00:00", "2026-10-26T10:00:00+00:00")


def test_targets_skip_holidays(timed: tuple[Stack, Any]) -> None:
    """Thu 24 Dec 16:30 + 1 h: 30 min on Thursday; Fri 25 and Mon 28 are holidays, then the weekend
    between: the rest on Tue 29 Dec from 09:00 GMT: due 09:30 UTC."""
    stack, clock = timed
    clock.set(at("2026-12-24T16:30:00+00:00"))
    say(stack, clock, "Renewal blocked")
    assert api_ticket(stack)["response_due"]["due_at"] == "2026-12-29T09:30:00+00:00"


# -- outside business hours --------------------------------------------------------------------------
def test_saturday_message_is_acknowledged_once_and_in_mondays_digest(timed: tuple[Stack, Any]) -> None:
    stack, clock = timed
    clock.set(at("2026-11-28T10:00:00+00:00"))  # Saturday
    ts = say(stack, clock, "Our exports fail", event_id="EvSAT1")
    stack.post_event(message("U0ACME1", "C0ACME", ts, "Our exports fail", event_id="EvSAT2"))
    stack.drain()
    clock.advance(minutes=5)
    say(stack, clock, "Any news?", thread=ts)  # the customer again: no second acknowledgement
    thread = [p for p in posts(stack, "C0ACME") if p.get("thread_ts") == ts and "away" in p["text"]]
    assert len(thread) == 1
    assert "we are back on Monday 30 November 2026 at 09:00 (Europe/London time)" in thread[0]["text"]
    assert "ticket #1" in thread[0]["text"]
    t = api_ticket(stack)
    assert t["first_response_at"] is None  # an automatic message is not a response
    assert t["response_due"]["due_at"] == "2026-11-30T10:00:00+00:00"  # the clock starts Monday 09:00

    clock.set(at("2026-11-30T08:59:00+00:00"))
    assert run(stack, "opening_digest")["skipped"] == ["not a business day yet"]
    clock.set(at("2026-11-30T09:05:00+00:00"))
    first = run(stack, "opening_digest")
    second = run(stack, "opening_digest")
    assert first["did"] == ["digest 2026-11-30: 1"] and second["did"] == []
    digest = [d for d in dms(stack, BO) if d.startswith(":sunrise:")]
    assert len(digest) == 1
    assert "(Fri 27 Nov 17:00 – Mon 30 Nov 09:00)" in digest[0]
    assert "*#1* [slack, enterprise] Our exports fail (Sat 28 Nov 10:00)" in digest[0]
    assert "→ assigned to you" in digest[0]
    assert api_ticket(stack)["assignee"] == "bo"
    clock.set(at("2026-12-01T09:05:00+00:00"))  # Tuesday: after a plain night, no digest
    assert run(stack, "opening_digest")["skipped"] == ["no weekend or holiday before today"]


def test_digest_lists_oldest_first_and_leaves_answered_tickets_out(timed: tuple[Stack, Any]) -> None:
    stack, clock = timed
    clock.set(at("2026-12-24T18:00:00+00:00"))  # Thursday evening before two holidays and a weekend
    say(stack, clock, "First, Thursday night")
    clock.set(at("2026-12-26T11:00:00+00:00"))
    answered = say(stack, clock, "Second, Saturday")
    clock.advance(minutes=3)
    say(stack, clock, "On it", user=ADA, thread=answered)
    clock.set(at("2026-12-27T09:00:00+00:00"))
    say(stack, clock, "Third, Sunday")
    clock.set(at("2026-12-29T09:30:00+00:00"))  # Tuesday: the first business morning
    assert run(stack, "opening_digest")["did"] == ["digest 2026-12-29: 2"]
    digest = next(d for d in dms(stack) if d.startswith(":sunrise:"))
    assert digest.index("First, Thursday night") < digest.index("Third, Sunday")
    assert "Second, Saturday" not in digest


def test_after_hours_acknowledgement_never_goes_to_the_team(timed: tuple[Stack, Any]) -> None:
    stack, clock = timed
    clock.set(at("2026-11-28T10:00:00+00:00"))
    ts = ts_of(clock)
    stack.slack.add_message("C0COMMUNITY", ts, ADA, "note to self: check the exports")
    stack.post_event(reaction(BO, "C0COMMUNITY", ts))
    stack.drain()
    assert api_ticket(stack)["number"] == 1
    assert not [p for p in stack.slack.calls("chat.postMessage") if "away" in p["params"]["text"]]


def test_email_on_a_weekend_says_when_the_team_is_back(timed: tuple[Stack, Any]) -> None:
    stack, clock = timed
    clock.set(at("2026-11-28T22:00:00+00:00"))
    stack.email(b"From: Sam <sam@acme.example>\r\nTo: hey@example.com\r\nSubject: Broken build\r\n"
                b"Message-ID: <weekend-1@acme.example>\r\n\r\nThe build is red.\r\n")
    acks = stack.sent_mail()
    assert len(acks) == 1
    body = acks[0].get_body(("plain",)).get_content()
    assert "we are back on Monday 30 November 2026 at 09:00 (Europe/London time)" in body


# -- nobody missed in the community channel -------------------------------------------------------
def test_unanswered_community_question_goes_to_the_hero_once(timed: tuple[Stack, Any]) -> None:
    stack, clock = timed  # Wednesday 10:00; after 4 business hours: 14:00
    lonely = say(stack, clock, "How do I rotate keys?", user="U0CUST1", channel="C0COMMUNITY")
    clock.advance(seconds=1)
    answered = say(stack, clock, "Is there a CLI?", user="U0CUST1", channel="C0COMMUNITY")
    clock.advance(minutes=30)
    say(stack, clock, "Yes: `hero rotate`", user=ADA, channel="C0COMMUNITY", thread=answered)
    reacted = say(stack, clock, "Billing question", user="U0CUST1", channel="C0COMMUNITY")
    stack.post_event(reaction(ADA, "C0COMMUNITY", reacted))
    stack.drain()
    stack.slack.reset()

    clock.set(at("2026-12-02T13:59:59+00:00"))  # due at 14:00:00 (asked 10:00:00 + 4 business hours)
    assert run(stack, "community")["did"] == []
    clock.set(at("2026-12-02T14:31:00+00:00"))
    report = run(stack, "community")
    assert report["did"] == [f"missed C0COMMUNITY:{lonely}"]
    assert sorted(report["skipped"]) == sorted([f"answered C0COMMUNITY:{answered}",
                                                f"answered C0COMMUNITY:{reacted}"])
    assert run(stack, "community") == {"job": "community", "did": [], "skipped": []}
    from chalicelib.models.outbox import OutboxItem

    step = OutboxItem.get(f"slack.message:community-missed:C0COMMUNITY:{lonely}")
    assert step.state == "done" and step.expires_at == int(clock.time()) + 30 * 86400  # then TTL removes it
    told = dms(stack, BO)
    assert len(told) == 1
    assert f"https://slack.com/archives/C0COMMUNITY/p{lonely.replace('.', '')}" in told[0]


def test_a_slack_failure_never_fails_the_job_and_the_post_is_retried_once(timed: tuple[Stack, Any]) -> None:
    """Nothing is lost: a Slack outage during the announcement leaves it to the outbox, not the job."""
    stack, clock = timed
    clock.set(at("2026-11-30T07:00:00+00:00"))
    stack.slack.fail_next("chat.postMessage", status=500, count=1)
    first = run(stack, "rotation")  # answers (no 500 from the schedule) ...
    assert "announce sprint 2" in first["did"]
    assert stack.slack.messages("C0TRIAGE") == []  # ... though Slack did not take the post yet
    assert run(stack, "rotation")["did"] == []  # a second run repeats nothing
    stack.settle(clock, clock.now() + dt.timedelta(minutes=5))
    assert len(stack.slack.messages("C0TRIAGE")) == 1  # posted once, by the retry


def test_local_routes_are_absent_outside_the_local_stack() -> None:
    import app as app_module

    assert not any(path.startswith("/_local") for path in app_module.app.routes)


def test_github_question_on_a_sunday_is_answered_with_the_opening_once(timed: tuple[Stack, Any]) -> None:
    from tests.test_github import REPO, comment_payload

    stack, clock = timed
    clock.set(at("2026-11-29T15:00:00+00:00"))  # Sunday
    payload = comment_payload(comment_id=501, number=1)
    payload["comment"]["created_at"] = "2026-11-29T15:00:00Z"
    stack.github_delivery("issue_comment", payload, delivery="sunday-1")
    stack.github_delivery("issue_comment", payload, delivery="sunday-1")  # redelivered
    stack.drain()
    comments = [c["body"] for c in stack.github.comments(REPO, 1)]
    assert len(comments) == 1
    assert comments[0].startswith("@curious-user Thanks for your message. Our team is away right now; we are back "
                                  "on Monday 30 November 2026 at 09:00 (Europe/London time)")


def test_a_message_written_in_hours_but_read_after_them_gets_no_away_notice(timed: tuple[Stack, Any]) -> None:
    """16:59 on Friday, processed at 17:02: the team was there when it was written."""
    stack, clock = timed
    clock.set(at("2026-11-27T16:59:00+00:00"))
    ts = ts_of(clock)
    stack.slack.add_message("C0ACME", ts, "U0ACME1", "Quick question")
    clock.set(at("2026-11-27T17:02:00+00:00"))
    stack.post_event(message("U0ACME1", "C0ACME", ts, "Quick question"))
    stack.drain()
    assert api_ticket(stack)["number"] == 1
    assert not [p for p in stack.slack.calls("chat.postMessage") if "away" in p["params"]["text"]]


def test_an_old_message_made_a_ticket_out_of_hours_names_the_next_opening_from_now(timed: tuple[Stack, Any]) -> None:
    """A :ticket: reaction on Sunday to a message written last Tuesday evening: back *tomorrow*, not last week."""
    stack, clock = timed
    old = at("2026-11-24T20:00:00+00:00")  # Tuesday evening, closed
    stack.slack.add_message("C0COMMUNITY", f"{old.timestamp():.6f}", "U0CUST1", "Anyone?")
    clock.set(at("2026-11-29T12:00:00+00:00"))  # Sunday
    stack.post_event(reaction(ADA, "C0COMMUNITY", f"{old.timestamp():.6f}"))
    stack.drain()
    away = [p["params"]["text"] for p in stack.slack.calls("chat.postMessage") if "away" in p["params"]["text"]]
    assert len(away) == 1 and "we are back on Monday 30 November 2026 at 09:00" in away[0]
