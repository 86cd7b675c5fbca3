"""Triage from Slack through the real routes: /ticket, the controls on the ticket message, App Home."""

from __future__ import annotations

import json
import time
import urllib.parse
from typing import Any

import pytest

from tests.conftest import Stack, sign
from tests.helpers import envelope, message

ASK_TS = "1700000000.000100"


def form_headers(body: bytes) -> dict[str, str]:
    return {**sign(body), "Content-Type": "application/x-www-form-urlencoded"}


def command(stack: Stack, text: str, user: str = "U0HERO1") -> dict[str, Any]:
    body = urllib.parse.urlencode({
        "token": "x", "team_id": "T0DEV", "channel_id": "C0TRIAGE", "user_id": user, "command": "/ticket",
        "text": text, "response_url": "https://hooks.slack.com/commands/T0DEV/1/x",
        "trigger_id": f"trig-{time.monotonic_ns()}",
    }).encode()
    response = stack.client.http.post("/slack/commands", headers=form_headers(body), body=body)
    assert response.status_code == 200, response.body
    stack.drain()
    return dict(json.loads(response.body))


def ephemerals(stack: Stack) -> list[str]:
    return [c["params"]["text"] for c in stack.slack.calls("chat.postEphemeral")]


def click(stack: Stack, number: int, action_id: str, user: str = "U0HERO1", **extra: Any) -> int:
    payload = {
        "type": "block_actions", "user": {"id": user}, "trigger_id": "t",
        "container": {"type": "message", "channel_id": "C0ACME", "message_ts": "1"},
        "channel": {"id": "C0ACME"},
        "actions": [{"action_id": action_id, "block_id": f"ticket:{number}", "action_ts": f"{time.time():.6f}",
                     **extra}],
    }
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    response = stack.client.http.post("/slack/interactions", headers=form_headers(body), body=body)
    stack.drain()
    return int(response.status_code)


def ticket(stack: Stack, number: int = 1) -> dict[str, Any]:
    return dict(json.loads(stack.api("GET", f"/api/tickets/{number}").body))


@pytest.fixture
def opened(stack: Stack) -> Stack:
    stack.post_event(message("U0ACME1", "C0ACME", ASK_TS, "Production is down"))
    stack.drain()
    return stack


def test_confirmation_carries_the_controls(opened: Stack) -> None:
    [post] = [c["params"] for c in opened.slack.calls("chat.postMessage")]
    actions = next(b for b in post["blocks"] if b["type"] == "actions")
    assert actions["block_id"] == "ticket:1"
    assert [e["action_id"] for e in actions["elements"]] == [
        "ticket_priority", "ticket_assignee", "ticket_status", "ticket_take", "ticket_solve"]


def test_controls_take_prioritise_solve_and_update_the_message(opened: Stack) -> None:
    stack = opened
    assert click(stack, 1, "ticket_take") == 200
    assert ticket(stack)["assignee"] == "ada"
    assert click(stack, 1, "ticket_priority", selected_option={"value": "urgent"}) == 200
    assert click(stack, 1, "ticket_assignee", user="U0HERO1", selected_user="U0HERO2") == 200
    t = ticket(stack)
    assert (t["priority"], t["assignee"]) == ("urgent", "bo")
    update = [c["params"] for c in stack.slack.calls("chat.update")][-1]
    assert "*Priority* urgent" in update["text"] and "<@U0HERO2>" in update["text"]
    assert click(stack, 1, "ticket_solve") == 200
    assert ticket(stack)["status"] == "solved"
    assert [a["by"]["id"] for a in ticket(stack)["audit"]] == ["ada"] * 4


def test_controls_are_refused_to_outsiders(opened: Stack) -> None:
    assert click(opened, 1, "ticket_solve", user="U0ACME1") == 200
    assert ticket(opened)["status"] == "new"
    assert ephemerals(opened) == ["Only the support team can triage tickets."]


def test_interaction_bad_input(stack: Stack) -> None:
    for raw in (b"payload=%7Bnot+json", b"payload=%5B1%5D"):
        assert stack.client.http.post("/slack/interactions", headers=form_headers(raw), body=raw).status_code == 400
    unsigned = b"payload=%7B%7D"
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    assert stack.client.http.post("/slack/interactions", headers=headers, body=unsigned).status_code == 401
    assert stack.queue_depth() == 0


def test_the_whole_life_of_a_ticket_through_slash_commands(opened: Stack) -> None:
    stack = opened
    assert "Usage" in command(stack, "help")["text"]
    command(stack, "queue")
    assert "*#1* Production is down" in ephemerals(stack)[-1]
    command(stack, "assign 1 <@U0HERO1|ada>")
    command(stack, "priority 1 urgent")
    command(stack, "tag 1 outage")
    command(stack, "handover 1 <@U0HERO2> DB failover in progress")
    command(stack, "note 1 customer on v2.3", user="U0HERO2")
    command(stack, "reply 1 We are on it", user="U0HERO2")
    command(stack, "status 1 pending", user="U0HERO2")
    command(stack, "show 1", user="U0HERO2")
    assert "*Status* pending" in ephemerals(stack)[-1]
    command(stack, "solve 1", user="U0HERO2")
    command(stack, "mine", user="U0HERO2")
    t = ticket(stack)
    assert (t["status"], t["priority"], t["assignee"], t["tags"]) == ("solved", "urgent", "bo", ["outage"])
    roles = [m["role"] for m in t["messages"]]
    assert roles == ["customer", "internal", "agent"]
    reply = [c["params"] for c in stack.slack.calls("chat.postMessage") if c["params"].get("username")][-1]
    assert reply["text"] == "We are on it" and reply["username"] == "Bo Agent"
    assert any("handed over from ada to bo: DB failover in progress" == a["change"] for a in t["audit"])
    # Bo was told by DM; the App Home was published for whoever used the command.
    assert any("handed over to you" in c["params"]["text"] for c in stack.slack.calls("chat.postMessage")
               if str(c["params"]["channel"]).startswith("D"))
    home = stack.slack.calls("views.publish")[-1]["params"]
    assert home["user_id"] == "U0HERO2"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [("frobnicate 1", "unknown command"), ("show", "needs a ticket number"), ("show x", "needs a ticket number"),
     ("assign 1 bo", "@mention"), ("handover 1 <@U0HERO2>", "needs a note"), ("priority 1", "needs a value"),
     ("mine now", "takes no arguments")],
)
def test_typos_get_the_usage_line_at_once(stack: Stack, text: str, fragment: str) -> None:
    answer = command(stack, text)
    assert fragment in answer["text"] and "Usage" in answer["text"]
    assert stack.queue_depth() == 0


def test_unknown_ticket_and_bad_values_are_explained(opened: Stack) -> None:
    command(opened, "show 99")
    assert "does not exist" in ephemerals(opened)[-1] and "Usage" in ephemerals(opened)[-1]
    command(opened, "priority 1 asap")
    assert "priority must be one of" in ephemerals(opened)[-1]
    command(opened, "assign 1 <@U0ACME1>")
    assert "not on the support team" in ephemerals(opened)[-1]
    command(opened, "solve 1", user="U0ACME1")
    assert ephemerals(opened)[-1] == "Only the support team can use `/ticket`."
    assert ticket(opened)["status"] == "new"


def test_app_home_lists_awaiting_and_unassigned(opened: Stack) -> None:
    stack = opened
    stack.post_event(message("U0ACME1", "C0ACME", "1700000010.000100", "Second question"))
    stack.drain()
    command(stack, "assign 1 <@U0HERO1>")
    stack.post_event(envelope({"type": "app_home_opened", "user": "U0HERO1", "channel": "D0HOME", "tab": "home"}))
    stack.drain()
    view = stack.slack.calls("views.publish")[-1]["params"]["view"]
    text = json.dumps(view)
    assert "Waiting for your reply" in text and "*#1* Production is down" in text
    assert "Unassigned and unsolved" in text and "*#2* Second question" in text


def test_signature_checked_on_commands(stack: Stack) -> None:
    body = b"command=%2Fticket&text=mine&user_id=U0HERO1&channel_id=C1"
    bad = {**form_headers(body), "X-Slack-Signature": "v0=" + "0" * 64}
    assert stack.client.http.post("/slack/commands", headers=bad, body=body).status_code == 401
    assert stack.client.http.post("/slack/commands", headers=form_headers(b"x=1"), body=b"x=1").status_code == 400
    assert stack.queue_depth() == 0


def test_corpus_command_and_interaction_bodies(stack: Stack) -> None:
    from tests.conftest import corpus_dir

    folder = corpus_dir("slack")
    cmd = (folder / "boltpy__slash_command_body.txt").read_bytes().strip()
    answer = stack.client.http.post("/slack/commands", headers=form_headers(cmd), body=cmd)
    text = json.loads(answer.body)["text"]  # "/hello-world Hi": not ours, and not /ticket's usage either
    assert answer.status_code == 200 and text.startswith("Unknown command /hello-world") and "Usage" not in text
    assert stack.queue_depth() == 0
    raw = (folder / "boltpy__block_actions_raw_body.txt").read_bytes().strip()
    assert stack.client.http.post("/slack/interactions", headers=form_headers(raw), body=raw).status_code == 200
    stack.drain()
    assert stack.pump.failures == 0
    assert ephemerals(stack) == ["Only the support team can triage tickets."]  # W111 is not on our team


def test_email_and_github_tickets_are_announced_in_the_triage_channel(stack: Stack) -> None:
    from email.message import EmailMessage

    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "wile@acme.example", "hey@example.com", "Invoice wrong"
    mail["Message-ID"] = "<inv-1@acme.example>"
    mail.set_content("Please fix the invoice")
    stack.email(mail.as_bytes())
    stack.email(mail.as_bytes())  # redelivered: still one announcement
    posts = [c["params"] for c in stack.slack.calls("chat.postMessage") if c["params"]["channel"] == "C0TRIAGE"]
    top = [p for p in posts if not p.get("thread_ts")]
    assert len(top) == 1 and "New email from wile@acme.example" in top[0]["text"]
    triage_ts = stack.slack.messages("C0TRIAGE")[0]["ts"]
    # The email itself is in the thread, once, with its "Show full email" button.
    shown = [p for p in posts if p.get("thread_ts")]
    assert len(shown) == 1 and shown[0]["thread_ts"] == triage_ts and "Please fix the invoice" in shown[0]["text"]
    # A team member's reply in that thread is an internal note, never sent to the customer.
    sent_before = len(stack.sent_mail())
    stack.post_event(message("U0HERO1", "C0TRIAGE", f"{time.time() + 1:.6f}", "Finance says it's a bug",
                             thread_ts=triage_ts))
    stack.drain()
    t = ticket(stack)
    assert t["messages"][-1]["role"] == "internal" and t["messages"][-1]["text"] == "Finance says it's a bug"
    assert len(stack.sent_mail()) == sent_before
    # The controls on the triage post work, and the post is updated.
    assert click(stack, 1, "ticket_priority", selected_option={"value": "urgent"}) == 200
    update = [c["params"] for c in stack.slack.calls("chat.update")][-1]
    assert update["channel"] == "C0TRIAGE" and update["ts"] == triage_ts and "*Priority* urgent" in update["text"]


def _interaction(stack: Stack, payload: dict[str, Any]) -> Any:
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    return stack.client.http.post("/slack/interactions", headers=form_headers(body), body=body)


def test_reply_to_customer_shortcut_opens_a_modal_and_sends_through_the_origin(opened: Stack) -> None:
    stack = opened
    shortcut = {"type": "message_action", "callback_id": "reply_to_customer", "trigger_id": "trig-1",
                "user": {"id": "U0HERO2"}, "channel": {"id": "C0ACME"},
                "message": {"ts": "1700000000.000100", "text": "Production is down", "user": "U0ACME1"}}
    assert _interaction(stack, shortcut).status_code == 200
    [opened_view] = [c["params"] for c in stack.slack.calls("views.open")]
    view = opened_view["view"] if isinstance(opened_view["view"], dict) else json.loads(opened_view["view"])
    assert view["callback_id"] == "reply_to_customer" and opened_view["trigger_id"] == "trig-1"
    submission = {"type": "view_submission", "user": {"id": "U0HERO2"},
                  "view": {"id": "V1", "callback_id": "reply_to_customer",
                           "private_metadata": view["private_metadata"],
                           "state": {"values": {"reply": {"text": {"type": "plain_text_input",
                                                                    "value": "Rolling back now"}}}}}}
    response = _interaction(stack, submission)
    assert response.status_code == 200 and json.loads(response.body) == {"response_action": "clear"}
    stack.drain()
    reply = [c["params"] for c in stack.slack.calls("chat.postMessage")][-1]
    assert (reply["text"], reply["username"], reply["thread_ts"]) == ("Rolling back now", "Bo Agent",
                                                                      "1700000000.000100")
    assert ticket(stack)["messages"][-1]["role"] == "agent"
