"""Slack intake end to end: signed HTTP request -> Chalice route -> embedded SQS ->
worker (Chalice's Lambda test client) -> DynamoDB, with the fake Slack Web API."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import Stack
from tests.helpers import deleted, edited, message, reaction

ASK_TS = "1700000000.000100"


def tickets(stack: Stack, view: str = "all") -> list[dict[str, Any]]:
    response = stack.api("GET", f"/api/tickets?view={view}")
    assert response.status_code == 200, response.body
    return list(json.loads(response.body)["tickets"])


def ticket(stack: Stack, number: int) -> dict[str, Any]:
    response = stack.api("GET", f"/api/tickets/{number}")
    assert response.status_code == 200, response.body
    return dict(json.loads(response.body))


def posts(stack: Stack) -> list[dict[str, Any]]:
    return [c["params"] for c in stack.slack.calls("chat.postMessage")]


def community_question(stack: Stack, ts: str = ASK_TS, text: str = "How do I rotate my API key?") -> None:
    stack.slack.add_user("U0CUST1", "casey", real_name="Casey Customer")
    stack.slack.add_message("C0COMMUNITY", ts, "U0CUST1", text)


def send(stack: Stack, payload: dict[str, Any]) -> None:
    response = stack.post_event(payload)
    assert response.status_code == 200, response.body
    stack.drain()


def test_ticket_reaction_opens_one_ticket_and_confirms_in_thread(stack: Stack) -> None:
    community_question(stack)
    event = reaction("U0HERO1", "C0COMMUNITY", ASK_TS)
    send(stack, event)

    [t] = tickets(stack)
    assert t["number"] == 1
    detail = ticket(stack, 1)
    assert detail["subject"] == "How do I rotate my API key?"
    assert detail["status"] == "new" and detail["priority"] == "normal" and detail["tier"] == "community"
    assert detail["requester"] == {"id": "U0CUST1", "name": "Casey Customer", "identity": "slack:U0CUST1"}
    assert detail["confirmed"] is True
    assert [m["role"] for m in detail["messages"]] == ["customer"]
    assert detail["messages"][0]["text"] == "How do I rotate my API key?"

    [confirmation] = posts(stack)
    assert confirmation["channel"] == "C0COMMUNITY" and confirmation["thread_ts"] == ASK_TS
    assert "#1" in confirmation["text"]

    # Slack retries the same event_id; a second team member reacts; the emoji is removed and added again.
    send(stack, event)
    send(stack, reaction("U0HERO2", "C0COMMUNITY", ASK_TS))
    send(stack, reaction("U0HERO1", "C0COMMUNITY", ASK_TS))
    assert len(tickets(stack)) == 1
    assert len(posts(stack)) == 1


def test_reactions_that_do_nothing(stack: Stack) -> None:
    community_question(stack)
    send(stack, reaction("U0CUST2", "C0COMMUNITY", ASK_TS))  # not on the team
    send(stack, reaction("U0HERO1", "C0COMMUNITY", ASK_TS, name="eyes"))  # another emoji
    stack.slack.add_message("C0RANDOM", ASK_TS, "U0CUST1", "hello")
    send(stack, reaction("U0HERO1", "C0RANDOM", ASK_TS))  # channel not watched
    assert tickets(stack) == []
    assert posts(stack) == []


def test_skin_tone_variant_counts_and_thread_so_far_is_imported(stack: Stack) -> None:
    community_question(stack)
    stack.slack.add_message("C0COMMUNITY", "1700000050.000100", "U0CUST2", "same problem here", thread_ts=ASK_TS)
    stack.slack.add_message("C0COMMUNITY", "1700000060.000100", "U0HERO2", "looking", thread_ts=ASK_TS)
    send(stack, reaction("U0HERO1", "C0COMMUNITY", ASK_TS, name="ticket::skin-tone-3"))
    detail = ticket(stack, 1)
    assert [(m["role"], m["text"]) for m in detail["messages"]] == [
        ("customer", "How do I rotate my API key?"),
        ("customer", "same problem here"),
        ("agent", "looking"),
    ]
    assert detail["first_response_at"] is not None and detail["status"] == "open"


def test_dedicated_channel_message_opens_ticket_with_tier_priority(stack: Stack) -> None:
    stack.slack.add_user("U0ACME1", "wile", real_name="Wile E.")
    send(stack, message("U0ACME1", "C0ACME", ASK_TS, "Production is down!\nDetails follow"))
    detail = ticket(stack, 1)
    assert detail["priority"] == "high" and detail["customer"] == "acme" and detail["tier"] == "enterprise"
    assert detail["subject"] == "Production is down!"
    assert len(posts(stack)) == 1
    # A team member's top-level post in the customer's channel is not a ticket.
    send(stack, message("U0HERO1", "C0ACME", "1700000001.000100", "Maintenance tonight"))
    assert len(tickets(stack)) == 1


def test_thread_replies_join_the_ticket(stack: Stack) -> None:
    send(stack, message("U0ACME1", "C0ACME", ASK_TS, "Help"))
    send(stack, message("U0HERO1", "C0ACME", "1700000100.000100", "On it", thread_ts=ASK_TS))
    after_agent = ticket(stack, 1)
    assert after_agent["status"] == "open"
    assert after_agent["first_response_at"] == "2023-11-14T22:15:00.000100+00:00"
    send(stack, message("U0ACME1", "C0ACME", "1700000200.000100", "Thanks!", thread_ts=ASK_TS))
    send(stack, message("U0HERO2", "C0ACME", "1700000300.000100", "Second answer", thread_ts=ASK_TS))
    detail = ticket(stack, 1)
    assert [m["role"] for m in detail["messages"]] == ["customer", "agent", "customer", "agent"]
    assert detail["first_response_at"] == after_agent["first_response_at"]  # the first one counts
    assert detail["last_customer_message_at"] == "2023-11-14T22:16:40.000100+00:00"
    assert detail["message_count"] == 4
    # Replies are not confirmations: still exactly one post by the app.
    assert len(posts(stack)) == 1


def test_customer_reply_reopens_pending_and_solved(stack: Stack) -> None:
    import datetime as dt

    from chalicelib.models.tickets import Ticket

    send(stack, message("U0ACME1", "C0ACME", ASK_TS, "Help"))
    for status, reply_ts in (("pending", "1700000500.000100"), ("solved", "1700000600.000100")):
        t = Ticket.get("slack:C0ACME:" + ASK_TS)
        t.update(actions=[Ticket.status.set(status),
                          Ticket.status_changed_at.set(dt.datetime(2023, 11, 14, 22, 20, tzinfo=dt.UTC))])
        send(stack, message("U0ACME1", "C0ACME", reply_ts, "any news?", thread_ts=ASK_TS))
        assert ticket(stack, 1)["status"] == "open"


def test_reply_older_than_a_status_change_does_not_reopen(stack: Stack) -> None:
    import datetime as dt

    from chalicelib.models.tickets import Ticket

    send(stack, message("U0ACME1", "C0ACME", ASK_TS, "Help"))
    t = Ticket.get("slack:C0ACME:" + ASK_TS)
    t.update(actions=[Ticket.status.set("solved"),
                      Ticket.status_changed_at.set(dt.datetime(2023, 11, 15, tzinfo=dt.UTC))])
    send(stack, message("U0ACME1", "C0ACME", "1700000500.000100", "late delivery", thread_ts=ASK_TS))
    assert ticket(stack, 1)["status"] == "solved"


def test_noise_is_ignored(stack: Stack) -> None:
    bot = message("U0OTHERBOT", "C0ACME", ASK_TS, "beep")
    bot["event"]["bot_id"] = "B0OTHER"
    join = message("U0ACME1", "C0ACME", "1700000001.000100", "<@U0ACME1> has joined the channel")
    join["event"]["subtype"] = "channel_join"
    ours = message("U0BOT", "C0ACME", "1700000002.000100", "our own post")
    for payload in (bot, join, ours):
        send(stack, payload)
    assert tickets(stack) == []


def test_edits_and_deletions_update_the_ticket(stack: Stack) -> None:
    send(stack, message("U0ACME1", "C0ACME", ASK_TS, "Helo"))
    send(stack, message("U0ACME1", "C0ACME", "1700000100.000100", "more", thread_ts=ASK_TS))
    send(stack, edited("U0ACME1", "C0ACME", ASK_TS, "Hello, the API is down", "1700000200.000000"))
    send(stack, edited("U0ACME1", "C0ACME", ASK_TS, "stale older edit", "1700000150.000000"))
    send(stack, deleted("U0ACME1", "C0ACME", "1700000100.000100", thread_ts=ASK_TS))
    detail = ticket(stack, 1)
    assert detail["subject"] == "Hello, the API is down"
    root, reply = detail["messages"]
    assert root["text"] == "Hello, the API is down" and root["edited_at"]
    assert reply["deleted"] is True and reply["text"] is None


def test_thread_reply_before_its_parent_opens_the_ticket_once(stack: Stack) -> None:
    stack.slack.add_message("C0ACME", ASK_TS, "U0ACME1", "Parent question")
    stack.slack.add_message("C0ACME", "1700000100.000100", "U0ACME1", "early reply", thread_ts=ASK_TS)
    # Out of order: the reply is processed first, then the parent message.
    send(stack, message("U0ACME1", "C0ACME", "1700000100.000100", "early reply", thread_ts=ASK_TS))
    send(stack, message("U0ACME1", "C0ACME", ASK_TS, "Parent question"))
    [t] = tickets(stack)
    detail = ticket(stack, t["number"])
    assert [m["text"] for m in detail["messages"]] == ["Parent question", "early reply"]
    assert len(posts(stack)) == 1


def test_edit_before_message_and_delete_before_message(stack: Stack) -> None:
    send(stack, edited("U0ACME1", "C0ACME", ASK_TS, "edited first", "1700000200.000000"))
    send(stack, message("U0ACME1", "C0ACME", ASK_TS, "original text"))
    detail = ticket(stack, 1)
    assert detail["messages"][0]["text"] == "edited first" and len(tickets(stack)) == 1

    later = "1700001000.000100"
    send(stack, deleted("U0ACME1", "C0ACME", later))
    send(stack, message("U0ACME1", "C0ACME", later, "deleted before we saw it"))
    assert len(tickets(stack)) == 1


def test_same_event_twice_in_flight_makes_one_ticket(stack: Stack) -> None:
    """Two workers race on the same event (a duplicate delivery past SQS's dedupe window): the
    second read "no ticket yet" before the first wrote. The conditional write decides: one ticket,
    one confirmation. (Interleaved deterministically: the embedded AWS does not isolate truly
    simultaneous writes the way DynamoDB does, so real threads would test moto, not us.)"""
    from chalicelib.platform.config import get_settings
    from chalicelib.services import build_services

    community_question(stack)
    payload = reaction("U0HERO1", "C0COMMUNITY", ASK_TS)
    first, second = build_services(get_settings()), build_services(get_settings())
    real_find = second.tickets.find
    reads: list[str] = []

    def stale_first_read(ticket_id: str) -> Any:
        reads.append(ticket_id)
        return None if len(reads) == 1 else real_find(ticket_id)

    second.tickets.find = stale_first_read  # type: ignore[method-assign]
    assert first.slack_intake.handle(payload).action == "opened"
    # The loser burns a number, sees the winner's ticket, and finds its confirmation already posted.
    assert second.slack_intake.handle(payload).action == "duplicate"
    first.outbox.flush()
    second.outbox.flush()
    assert len(tickets(stack)) == 1 and tickets(stack)[0]["number"] == 1
    assert len(posts(stack)) == 1
    # A third delivery, after both: still one ticket, one confirmation (its step exists once).
    third = build_services(get_settings())
    assert third.slack_intake.handle(payload).action == "duplicate"
    third.outbox.flush()
    assert len(posts(stack)) == 1


def test_first_team_member_to_answer_owns_the_ticket(stack: Stack) -> None:
    send(stack, message("U0ACME1", "C0ACME", ASK_TS, "Help"))
    assert [t["number"] for t in tickets(stack, "unassigned")] == [1]
    send(stack, message("U0HERO2", "C0ACME", "1700000100.000100", "Bo here, looking", thread_ts=ASK_TS))
    send(stack, message("U0HERO1", "C0ACME", "1700000200.000100", "Ada too", thread_ts=ASK_TS))
    assert ticket(stack, 1)["assignee"] == "bo"
    assert tickets(stack, "unassigned") == []
    mine = json.loads(stack.api("GET", "/api/tickets?view=mine", token="dev-token-bo").body)["tickets"]
    assert [t["number"] for t in mine] == [1]
