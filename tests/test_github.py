"""The GitHub channel: signed webhooks, questions on issues become tickets, replies become
comments, and closing an issue reaches every linked ticket's requester in their own channel."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib.platform.security import SignatureError, github_signature, verify_github_signature
from tests.conftest import Stack, corpus_dir, load_json
from tests.helpers import message

REPO = "Codertocat/Hello-World"


def comment_payload(login: str = "curious-user", body: str = "When will this be fixed?", comment_id: int = 1,
                    number: int = 1, **issue: Any) -> dict[str, Any]:
    return {
        "action": "created",
        "issue": {"number": number, "title": "Spelling error in the README file", "state": "open",
                  "html_url": f"https://github.com/{REPO}/issues/{number}", "user": {"login": "Codertocat"},
                  "labels": [], **issue},
        "comment": {"id": comment_id, "body": body, "user": {"login": login, "type": "User"},
                    "author_association": "CONTRIBUTOR", "created_at": "2026-11-20T10:00:00Z"},
        "repository": {"full_name": REPO},
        "sender": {"login": login, "type": "User"},
    }


def closed_payload(number: int = 1, closed_at: str = "2026-11-28T12:00:00Z", action: str = "closed") -> dict[str, Any]:
    return {"action": action, "repository": {"full_name": REPO}, "sender": {"login": "ada-hero", "type": "User"},
            "issue": {"number": number, "title": "Spelling error in the README file",
                      "state": "closed" if action == "closed" else "open", "closed_at": closed_at,
                      "updated_at": "2026-11-28T13:00:00Z", "html_url": f"https://github.com/{REPO}/issues/{number}"}}


def api(stack: Stack, path: str) -> Any:
    response = stack.api("GET", path)
    assert response.status_code == 200, response.body
    return json.loads(response.body)


def test_githubs_published_signature_example() -> None:
    secret, body = "It's a Secret to Everybody", b"Hello, World!"
    expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert github_signature(secret, body) == expected
    verify_github_signature(secret=secret, body=body, signature_256=expected)
    for bad in (None, "", "sha1=01234", expected[:-1], expected[:-1] + "0", "sha256=" + "é" * 64):
        with pytest.raises(SignatureError):
            verify_github_signature(secret=secret, body=body, signature_256=bad)


@pytest.mark.parametrize(
    ("case", "headers", "status"),
    [
        ("no signature", {"X-GitHub-Event": "issues", "X-GitHub-Delivery": "d1"}, 401),
        ("sha1 only", {"X-GitHub-Event": "issues", "X-GitHub-Delivery": "d1", "X-Hub-Signature": "sha1=abc"}, 401),
        ("wrong secret", {"X-GitHub-Event": "issues", "X-GitHub-Delivery": "d1",
                          "X-Hub-Signature-256": github_signature("nope", b"{}")}, 401),
        ("no event header", {"X-GitHub-Delivery": "d1", "X-Hub-Signature-256": github_signature(
            "test-github-secret", b"{}")}, 400),
    ],
)
def test_bad_deliveries_are_rejected_and_write_nothing(stack: Stack, case: str, headers: dict[str, str],
                                                       status: int) -> None:
    response = stack.github_delivery("issues", b"{}", headers={"Content-Type": "application/json", **headers})
    assert response.status_code == status, case
    assert stack.queue_depth() == 0


def test_signed_garbage_is_400_ping_is_answered_unknown_events_ignored(stack: Stack) -> None:
    assert stack.github_delivery("issues", b"{nope").status_code == 400
    ping = stack.github_delivery("ping", {"zen": "Keep it logically awesome.", "hook_id": 1})
    assert ping.status_code == 200 and json.loads(ping.body)["zen"] == "Keep it logically awesome."
    assert stack.github_delivery("star", {"action": "created"}).status_code == 200
    assert stack.github_delivery("issues", {"action": "labeled"}).status_code == 200
    assert stack.queue_depth() == 0


def corpus_deliveries() -> list[Path]:
    try:
        return sorted(corpus_dir("github").glob("*.json"))
    except pytest.skip.Exception:
        return []


@pytest.mark.parametrize("path", corpus_deliveries(), ids=lambda p: p.name)
def test_corpus_deliveries(stack: Stack, path: Path) -> None:
    body = path.read_bytes()
    payload = json.loads(body)
    event = "issue_comment" if "comment" in payload else "issues"
    response = stack.github_delivery(event, body)
    assert response.status_code in (200, 202)
    stack.drain()
    assert stack.pump.failures == 0


def test_outsider_comment_opens_a_linked_ticket_and_redelivery_changes_nothing(stack: Stack) -> None:
    payload = load_json(corpus_dir("github") / "octokit__issue_comment__created.payload.json")
    for _ in range(2):  # GitHub's "redeliver" keeps X-GitHub-Delivery
        assert stack.github_delivery("issue_comment", payload, delivery="72d3162e-cc78-11e3-81ab-4c9367dc0958"
                                     ).status_code == 202
        stack.drain()
    # ...and a late redelivery outside SQS's dedupe window (a new delivery id, the same comment).
    stack.github_delivery("issue_comment", payload)
    stack.drain()
    [t] = api(stack, "/api/tickets?view=all")["tickets"]
    assert t["channel"] == "github" and t["links"] == [f"{REPO}#1"]
    assert t["requester"]["id"] == "Codertocat"  # OWNER on GitHub, but not on our roster: an outsider
    detail = api(stack, "/api/tickets/1")
    assert [m["text"] for m in detail["messages"]] == [payload["comment"]["body"]]

    later = comment_payload(login="Codertocat", body="Any update?", comment_id=2)
    stack.github_delivery("issue_comment", later)
    other = comment_payload(login="someone-else", body="Me too", comment_id=3)
    stack.github_delivery("issue_comment", other)
    stack.drain()
    assert [m["text"] for m in api(stack, "/api/tickets/1")["messages"]][-1] == "Any update?"
    assert len(api(stack, "/api/tickets?view=all")["tickets"]) == 2


def test_team_members_bots_prs_and_unwatched_repos_open_nothing(stack: Stack) -> None:
    member = comment_payload(login="ada-hero")  # a private org member shows as CONTRIBUTOR: the roster decides
    bot = comment_payload(login="dependabot[bot]")
    bot["sender"]["type"] = "Bot"
    pr = comment_payload(comment_id=9, pull_request={"url": "x"})
    elsewhere = comment_payload(comment_id=10)
    elsewhere["repository"] = {"full_name": "other/repo"}
    for payload in (member, bot, pr, elsewhere):
        stack.github_delivery("issue_comment", payload)
    stack.drain()
    assert api(stack, "/api/tickets?view=all")["tickets"] == []


def test_labelled_issue_opens_a_ticket(stack: Stack) -> None:
    opened = {"action": "opened", "repository": {"full_name": REPO}, "sender": {"login": "newbie", "type": "User"},
              "issue": {"number": 7, "title": "How do I configure X?", "body": "Docs unclear",
                        "user": {"login": "newbie"}, "labels": [{"name": "Question"}],
                        "created_at": "2026-11-20T10:00:00Z", "html_url": f"https://github.com/{REPO}/issues/7"}}
    unlabelled = copy.deepcopy(opened)
    unlabelled["issue"].update(number=8, labels=[])
    stack.github_delivery("issues", opened)
    stack.github_delivery("issues", unlabelled)
    stack.drain()
    [t] = api(stack, "/api/tickets?view=all")["tickets"]
    assert t["subject"] == "How do I configure X?" and t["links"] == [f"{REPO}#7"]


def test_agent_reply_becomes_a_comment_mentioning_the_requester(stack: Stack) -> None:
    stack.github_delivery("issue_comment", comment_payload())
    stack.drain()
    assert stack.api("POST", "/api/tickets/1/replies", body={"text": "It ships on Friday."}).status_code == 202
    stack.drain()
    [comment] = stack.github.comments(REPO, 1)
    # The reply, and a marker GitHub does not show (it lets a retry find the comment, never post twice).
    assert comment["body"].startswith("@curious-user It ships on Friday.\n\n<!-- support-hero:")
    assert api(stack, "/api/tickets/1")["messages"][-1]["delivery"]["status"] == "sent"


def test_rate_limit_delays_the_retry_and_loses_nothing(clocked: tuple[Stack, Any]) -> None:
    stack, clock = clocked
    stack.github_delivery("issue_comment", comment_payload())
    stack.drain()
    stack.github.fail_next(status=429, retry_after=120)
    assert stack.api("POST", "/api/tickets/1/replies", body={"text": "Soon"}).status_code == 202
    stack.drain()
    assert stack.github.comments(REPO, 1) == [] and stack.queue_depth() == 0  # waiting in the outbox
    due = stack.services.outbox.next_due()
    assert due is not None and due >= clock.time() + 120  # when GitHub said, not before: no hot loop
    stack.settle(clock, clock.now() + dt.timedelta(minutes=1))
    assert stack.github.comments(REPO, 1) == []
    stack.settle(clock, clock.now() + dt.timedelta(minutes=2))
    assert [c["body"].split("\n")[0] for c in stack.github.comments(REPO, 1)] == ["@curious-user Soon"]
    assert api(stack, "/api/tickets/1")["messages"][-1]["delivery"]["status"] == "sent"


def test_closing_an_issue_tells_everyone_who_asked_once(stack: Stack) -> None:
    # A GitHub asker, a Slack customer whose thread names the issue URL, and an email customer linked by hand.
    stack.github_delivery("issue_comment", comment_payload())
    stack.post_event(message("U0ACME1", "C0ACME", "1700000000.000100",
                             f"Blocked by https://github.com/{REPO}/issues/1 please help"))
    stack.drain()
    from email.message import EmailMessage

    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "wile@acme.example", "hey@example.com", "README typo"
    mail["Message-ID"] = "<m1@acme.example>"
    mail.set_content("The README is wrong")
    stack.email(mail.as_bytes())
    assert stack.api("POST", "/api/tickets/3/links", body={"issue": f"https://github.com/{REPO}/issues/1"}
                     ).status_code == 201
    assert stack.api("POST", "/api/tickets/3/links", body={"issue": f"{REPO}#1"}).status_code == 200
    slack_posts = len(stack.slack.calls("chat.postMessage"))
    mails = len(stack.sent_mail())

    for delivery in ("close-1", "close-1", "close-2"):  # a redelivery, and a second delivery of the same close
        stack.github_delivery("issues", closed_payload(), delivery=delivery)
        stack.drain()

    [comment] = stack.github.comments(REPO, 1)
    assert comment["body"].startswith("@curious-user Update: https://github.com/Codertocat/Hello-World/issues/1")
    slack = [c["params"] for c in stack.slack.calls("chat.postMessage")][slack_posts:]
    assert len(slack) == 1 and slack[0]["thread_ts"] == "1700000000.000100" and "was closed" in slack[0]["text"]
    sent = stack.sent_mail()[mails:]
    assert len(sent) == 1 and "was closed" in sent[0].get_body(("plain",)).get_content()
    for number in (1, 2, 3):
        t = api(stack, f"/api/tickets/{number}")
        assert t["status"] == "pending" and t["links"] == [f"{REPO}#1"], number

    stack.github_delivery("issues", closed_payload(action="reopened"))
    stack.drain()
    assert len(stack.github.comments(REPO, 1)) == 2 and "reopened" in stack.github.comments(REPO, 1)[-1]["body"]


def test_reconciler_catches_a_missed_close_once(stack: Stack) -> None:
    stack.github_delivery("issue_comment", comment_payload())
    stack.drain()
    stack.github.set_issue(REPO, 1, state="closed", title="Spelling error", closed_at="2026-11-28T12:00:00Z")
    assert stack.services.github_intake.reconcile() == [f"{REPO}#1:issue-closed:1"]
    stack.services.outbox.flush()  # as the scheduled job does after it ran
    assert len(stack.github.comments(REPO, 1)) == 1
    assert stack.services.github_intake.reconcile() == []  # no longer an open linked issue
    # The webhook arriving late after all changes nothing either.
    stack.github_delivery("issues", closed_payload())
    stack.drain()
    assert len(stack.github.comments(REPO, 1)) == 1


@pytest.mark.parametrize("body", [b"", b"{}", b'{"issue": "nope"}', b'{"issue": "other/repo#1"}', b'{"issue": 1}'])
def test_bad_link_requests_are_400(stack: Stack, body: bytes) -> None:
    stack.github_delivery("issue_comment", comment_payload())
    stack.drain()
    assert stack.api("POST", "/api/tickets/1/links", body=body).status_code == 400
