"""The agent API: auth, views with paging, ticket detail, replies under the agent's name."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import Stack
from tests.helpers import message

ASK_TS = "1700000000.000100"


def open_tickets(stack: Stack, n: int) -> None:
    for i in range(n):
        stack.post_event(message("U0ACME1", "C0ACME", f"17000000{i:02d}.000100", f"question {i}"))
    stack.drain()


def body(response: Any) -> Any:
    return json.loads(response.body)


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic ZGV2OmRldg=="}, {"Authorization": "Bearer "}],
)
def test_requests_without_a_valid_token_are_401(stack: Stack, headers: dict[str, str]) -> None:
    for path in ("/api/tickets", "/api/tickets/1"):
        response = stack.client.http.get(path, headers=headers)
        assert response.status_code == 401 and "error" in body(response)
    response = stack.client.http.post("/api/tickets/1/replies", headers={**headers, "Content-Type": "application/json"},
                                      body=b'{"text": "hi"}')
    assert response.status_code == 401


def test_revoked_token_stops_working(stack: Stack) -> None:
    from chalicelib.platform.security import hash_token

    assert stack.api("GET", "/api/tickets").status_code == 200
    assert stack.services.directory.revoke_token(hash_token("dev-token-ada"))
    assert stack.api("GET", "/api/tickets").status_code == 401


def test_unknown_ticket_is_404_and_bad_numbers_400(stack: Stack) -> None:
    assert stack.api("GET", "/api/tickets/99").status_code == 404
    assert stack.api("GET", "/api/tickets/abc").status_code == 400
    assert stack.api("GET", "/api/tickets/0").status_code == 400
    assert stack.api("POST", "/api/tickets/99/replies", body={"text": "hi"}).status_code == 404


def test_views_page_newest_first(stack: Stack) -> None:
    open_tickets(stack, 5)
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        path = "/api/tickets?view=all&limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = body(stack.api("GET", path))
        seen += [t["number"] for t in page["tickets"]]
        cursor = page["next_cursor"]
        pages += 1
        if not cursor:
            break
    assert seen == [5, 4, 3, 2, 1] and pages >= 3
    assert [t["number"] for t in body(stack.api("GET", "/api/tickets?view=unassigned"))["tickets"]] == [5, 4, 3, 2, 1]
    assert body(stack.api("GET", "/api/tickets?view=mine"))["tickets"] == []


def test_mine_lists_tickets_assigned_to_the_caller(stack: Stack) -> None:
    from chalicelib.models.tickets import Ticket

    open_tickets(stack, 2)
    t = Ticket.get("slack:C0ACME:1700000001.000100")
    t.update(actions=[Ticket.assignee.set("bo"), Ticket.unassigned.remove()])
    mine = body(stack.api("GET", "/api/tickets?view=mine", token="dev-token-bo"))["tickets"]
    assert [x["number"] for x in mine] == [2]
    assert [x["number"] for x in body(stack.api("GET", "/api/tickets?view=unassigned"))["tickets"]] == [1]


@pytest.mark.parametrize(
    "query",
    [
        "view=everything", "limit=0", "limit=101", "limit=ten", "cursor=%%%", "cursor=bm90LWpzb24",
        "cursor=eyJhIjogMX0",  # base64 of {"a": 1}: valid JSON, not a key of this index
        "view=mine&cursor=eyJsaXN0aW5nIjogeyJTIjogIkFMTCJ9fQ",  # another view's key
    ],
)
def test_bad_list_queries_are_400(stack: Stack, query: str) -> None:
    response = stack.api("GET", f"/api/tickets?{query}")
    assert response.status_code == 400, response.body
    assert body(response)["error"]


def test_reply_is_posted_in_the_thread_as_the_agent(stack: Stack) -> None:
    stack.post_event(message("U0ACME1", "C0ACME", ASK_TS, "Help"))
    stack.drain()
    response = stack.api("POST", "/api/tickets/1/replies", body={"text": "We are on it."})
    assert response.status_code == 202, response.body
    assert body(response)["message"]["delivery"]["status"] == "queued"
    stack.drain()
    reply = [c["params"] for c in stack.slack.calls("chat.postMessage")][-1]
    assert reply["channel"] == "C0ACME" and reply["thread_ts"] == ASK_TS
    assert reply["text"] == "We are on it."
    assert reply["username"] == "Ada Hero" and reply["icon_url"] == "https://avatars.example.com/ada.png"
    detail = body(stack.api("GET", "/api/tickets/1"))
    agent = detail["messages"][-1]
    assert agent["role"] == "agent" and agent["author"] == {"id": "ada", "name": "Ada Hero"}
    assert agent["delivery"]["status"] == "sent"
    assert detail["status"] == "open" and detail["first_response_at"] == agent["created_at"]


def test_internal_note_is_recorded_not_posted(stack: Stack) -> None:
    stack.post_event(message("U0ACME1", "C0ACME", ASK_TS, "Help"))
    stack.drain()
    posted = len(stack.slack.calls("chat.postMessage"))
    response = stack.api("POST", "/api/tickets/1/replies", body={"text": "customer on old SDK", "internal": True})
    assert response.status_code == 201
    stack.drain()
    assert len(stack.slack.calls("chat.postMessage")) == posted
    detail = body(stack.api("GET", "/api/tickets/1"))
    assert detail["messages"][-1]["role"] == "internal" and detail["first_response_at"] is None


def test_idempotency_key_replays_instead_of_posting_twice(stack: Stack) -> None:
    stack.post_event(message("U0ACME1", "C0ACME", ASK_TS, "Help"))
    stack.drain()
    headers = {"Idempotency-Key": "reply-123"}
    first = stack.api("POST", "/api/tickets/1/replies", body={"text": "Once"}, headers=headers)
    second = stack.api("POST", "/api/tickets/1/replies", body={"text": "Once"}, headers=headers)
    assert first.status_code == 202 and second.status_code == 200
    assert body(first)["message"]["key"] == body(second)["message"]["key"] and body(second)["replayed"]
    stack.drain()
    assert [c["params"]["text"] for c in stack.slack.calls("chat.postMessage")].count("Once") == 1
    assert body(stack.api("GET", "/api/tickets/1"))["message_count"] == 2


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b"", "body is empty"),
        (b"{", "not valid JSON"),
        (b'"text"', "JSON object"),
        (b"{}", "'text' is required"),
        (b'{"text": ""}', "'text' is required"),
        (b'{"text": "   "}', "'text' is required"),
        (b'{"text": 5}', "'text' is required"),
        (b'{"text": "hi", "internal": "yes"}', "'internal' must be"),
        (b'{"text": "hi", "cc": "x"}', "unknown field"),
    ],
)
def test_bad_reply_bodies_are_400_and_write_nothing(stack: Stack, raw: bytes, fragment: str) -> None:
    stack.post_event(message("U0ACME1", "C0ACME", ASK_TS, "Help"))
    stack.drain()
    response = stack.api("POST", "/api/tickets/1/replies", body=raw)
    assert response.status_code == 400 and fragment in body(response)["error"]
    assert body(stack.api("GET", "/api/tickets/1"))["message_count"] == 1
    assert stack.queue_depth() == 0
