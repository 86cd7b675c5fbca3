"""Triage through the agent API: optimistic locking, the audit trail, hand-over and owner notices."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import Stack
from tests.helpers import message


def body(response: Any) -> Any:
    return json.loads(response.body)


@pytest.fixture
def one_ticket(stack: Stack) -> Stack:
    stack.post_event(message("U0ACME1", "C0ACME", "1700000000.000100", "Help"))
    stack.drain()
    return stack


def current(stack: Stack) -> dict[str, Any]:
    return dict(body(stack.api("GET", "/api/tickets/1")))


def dms(stack: Stack) -> list[str]:
    return [c["params"]["text"] for c in stack.slack.calls("chat.postMessage")
            if str(c["params"].get("channel", "")).startswith("D")]


def test_me(stack: Stack) -> None:
    assert body(stack.api("GET", "/api/me", token="dev-token-bo"))["name"] == "Bo Agent"


def test_patch_changes_fields_and_writes_the_audit_trail(one_ticket: Stack) -> None:
    stack = one_ticket
    version = current(stack)["version"]
    response = stack.api("PATCH", "/api/tickets/1", body={"version": version, "priority": "urgent",
                                                          "tags": ["Billing", "sso"], "status": "pending"})
    assert response.status_code == 200, response.body
    t = current(stack)
    assert (t["priority"], t["status"], t["tags"]) == ("urgent", "pending", ["billing", "sso"])
    assert [a["change"] for a in t["audit"]] == ["status: new → pending", "priority: high → urgent",
                                                 "tags: +billing +sso"]
    assert {a["by"]["id"] for a in t["audit"]} == {"ada"} and t["version"] == version + 1
    # Nothing to change: no new audit entry, no new version.
    again = stack.api("PATCH", "/api/tickets/1", body={"version": t["version"], "priority": "urgent"})
    assert body(again)["changed"] == [] and current(stack)["version"] == t["version"]


def test_stale_version_is_409_and_overwrites_nothing(one_ticket: Stack) -> None:
    stack = one_ticket
    version = current(stack)["version"]
    assert stack.api("PATCH", "/api/tickets/1", body={"version": version, "priority": "low"}).status_code == 200
    stale = stack.api("PATCH", "/api/tickets/1", body={"version": version, "priority": "urgent"})
    assert stale.status_code == 409 and "version" in body(stale)["error"]
    assert current(stack)["priority"] == "low"


def test_concurrent_edits_one_wins(one_ticket: Stack) -> None:
    """Two agents read the same version and both save: DynamoDB's version condition lets one through.

    (Run in sequence with two stale copies: the embedded AWS does not isolate truly simultaneous
    transactions the way DynamoDB does, so real threads would test moto, not us.)"""
    from chalicelib.desk.triage import Change, Conflict

    services = one_ticket.services
    first = services.tickets.find("slack:C0ACME:1700000000.000100")
    second = services.tickets.find("slack:C0ACME:1700000000.000100")
    member = services.directory.load().member("ada")
    assert first is not None and second is not None and member is not None
    version = int(first.version)
    services.triage.apply(first, member, Change(priority="low"), services.directory.load(), expected_version=version)
    with pytest.raises(Conflict):
        services.triage.apply(second, member, Change(priority="urgent"), services.directory.load(),
                              expected_version=version)
    assert current(one_ticket)["priority"] == "low"
    assert len(current(one_ticket)["audit"]) == 1


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ({}, "'version' is required"),
        ({"version": "1"}, "'version' is required"),
        ({"version": 1, "status": "done"}, "status must be one of"),
        ({"version": 1, "priority": "asap"}, "priority must be one of"),
        ({"version": 1, "assignee": "nobody"}, "no team member"),
        ({"version": 1, "assignee": 5}, "'assignee' must be"),
        ({"version": 1, "tags": "billing"}, "'tags' must be a list"),
        ({"version": 1, "tags": ["has space"]}, "tags:"),
        ({"version": 1, "colour": "red"}, "unknown field"),
    ],
)
def test_bad_patches_are_400(one_ticket: Stack, payload: dict[str, Any], fragment: str) -> None:
    response = one_ticket.api("PATCH", "/api/tickets/1", body=payload)
    assert response.status_code == 400 and fragment in body(response)["error"], response.body
    assert current(one_ticket)["audit"] == []


def test_solving_leaves_the_queue_and_assignment_is_notified_once_an_hour(one_ticket: Stack) -> None:
    stack = one_ticket
    v = current(stack)["version"]
    assert stack.api("PATCH", "/api/tickets/1", body={"version": v, "assignee": "bo"}).status_code == 200
    stack.drain()
    assert len(dms(stack)) == 1 and "is now yours" in dms(stack)[0]
    v = current(stack)["version"]
    stack.api("PATCH", "/api/tickets/1", body={"version": v, "assignee": None})
    v = current(stack)["version"]
    stack.api("PATCH", "/api/tickets/1", body={"version": v, "assignee": "bo"})
    stack.drain()
    assert len(dms(stack)) == 1  # throttled: once per hour per ticket
    v = current(stack)["version"]
    stack.api("PATCH", "/api/tickets/1", body={"version": v, "status": "solved"})
    t = current(stack)
    assert t["status"] == "solved" and t["solved_at"]
    assert body(stack.api("GET", "/api/tickets?view=unassigned"))["tickets"] == []


def test_handover_records_from_to_and_note_and_dms_the_new_owner(one_ticket: Stack) -> None:
    stack = one_ticket
    response = stack.api("POST", "/api/tickets/1/handover", body={"to": "bo", "note": "Needs a DB migration"})
    assert response.status_code == 200, response.body
    stack.drain()
    t = current(stack)
    assert t["assignee"] == "bo"
    assert t["audit"][-1]["change"] == "handed over from — to bo: Needs a DB migration"
    assert any("handed over to you" in d and "Needs a DB migration" in d for d in dms(stack))
    home = stack.slack.calls("views.publish")[-1]["params"]
    assert home["user_id"] == "U0HERO2" and "*#1* Help" in json.dumps(home["view"])
    for bad in ({"to": "bo", "note": "again"}, {"to": "bo"}, {"note": "x"}, {"to": "nobody", "note": "x"}):
        assert stack.api("POST", "/api/tickets/1/handover", body=bad).status_code == 400


def test_awaiting_reply_view_and_filters(stack: Stack) -> None:
    stack.post_event(message("U0ACME1", "C0ACME", "1700000000.000100", "First"))
    stack.post_event(message("U0ACME1", "C0ACME", "1700000010.000100", "Second"))
    stack.drain()
    # Ada answers #1 (and owns it); the customer writes back: #1 waits for Ada's reply.
    stack.post_event(message("U0HERO1", "C0ACME", "1700000100.000100", "Looking", thread_ts="1700000000.000100"))
    stack.drain()
    awaiting = body(stack.api("GET", "/api/tickets?view=awaiting-reply"))["tickets"]
    assert awaiting == []  # answered: nothing waits
    stack.post_event(message("U0ACME1", "C0ACME", "1700000200.000100", "Still broken",
                             thread_ts="1700000000.000100"))
    stack.drain()
    awaiting = body(stack.api("GET", "/api/tickets?view=awaiting-reply"))["tickets"]
    assert [t["number"] for t in awaiting] == [1]
    v = current(stack)["version"]
    stack.api("PATCH", "/api/tickets/2", body={"version": body(stack.api("GET", "/api/tickets/2"))["version"],
                                               "priority": "low", "tags": ["billing"]})
    stack.api("PATCH", "/api/tickets/1", body={"version": v, "status": "pending"})
    assert body(stack.api("GET", "/api/tickets?view=awaiting-reply"))["tickets"] == []  # pending: not waiting on us

    def numbers(query: str) -> list[int]:
        response = stack.api("GET", f"/api/tickets?{query}")
        assert response.status_code == 200, response.body
        return [t["number"] for t in body(response)["tickets"]]

    assert numbers("view=all&status=pending") == [1]
    assert numbers("view=all&priority=low") == [2]
    assert numbers("view=all&customer=acme&priority=high") == [1]
    assert numbers("view=all&channel=slack") == [2, 1]
    assert numbers("view=all&tag=billing") == [2]
    assert numbers("view=mine&status=pending") == [1]
    assert stack.api("GET", "/api/tickets?view=all&colour=red").status_code == 400
