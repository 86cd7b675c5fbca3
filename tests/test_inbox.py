"""The browser inbox through Chalice's test client: sign-in, sessions, CSRF, views, the ticket page and
its forms (the browser tests against `make run` are in tests/test_inbox_browser.py)."""

from __future__ import annotations

import json
import re
import urllib.parse
from typing import Any

import pytest

from tests.conftest import Stack, sign
from tests.helpers import message
from tests.test_email import mail

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def slash(stack: Stack, text: str, user: str = "U0HERO1") -> str:
    body = urllib.parse.urlencode({"token": "x", "team_id": "T0DEV", "channel_id": "C0TRIAGE", "user_id": user,
                                   "command": "/ticket", "text": text}).encode()
    before = len(stack.slack.calls("chat.postEphemeral"))
    response = stack.client.http.post("/slack/commands", body=body, headers={**sign(body), **FORM})
    assert response.status_code == 200
    stack.drain()
    return str(stack.slack.calls("chat.postEphemeral")[before]["params"]["text"])


def link_token(stack: Stack, user: str = "U0HERO1") -> str:
    text = slash(stack, "inbox", user)
    match = re.search(r"/inbox/signin\?t=([A-Za-z0-9_-]+)", text)
    assert match, text
    return match.group(1)


def sign_in(stack: Stack, user: str = "U0HERO1") -> str:
    token = link_token(stack, user)
    page = stack.client.http.get(f"/inbox/signin?t={token}")
    assert page.status_code == 200 and b"Sign in" in page.body
    response = stack.client.http.post("/inbox/signin", body=f"t={token}".encode(), headers=FORM)
    assert response.status_code == 303 and response.headers["Location"] == "/inbox"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Max-Age=43200" in cookie
    assert "Secure" in cookie  # plain HTTP only under `make run`
    return cookie.split(";")[0]


def get(stack: Stack, path: str, cookie: str, status: int = 200) -> str:
    response = stack.client.http.get(path, headers={"Cookie": cookie})
    assert response.status_code == status, response.body[:500]
    return response.body.decode()


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert match
    return match.group(1)


def post(stack: Stack, path: str, cookie: str, fields: dict[str, str]) -> Any:
    return stack.client.http.post(path, body=urllib.parse.urlencode(fields).encode(),
                                  headers={**FORM, "Cookie": cookie})


def test_nothing_without_a_session_and_a_link_works_once(stack: Stack) -> None:
    for path in ("/inbox", "/inbox?view=all", "/inbox/tickets/1"):
        page = stack.client.http.get(path)
        assert page.status_code == 401 and b"/ticket inbox" in page.body
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    forged = "sh_inbox=ada." + "x" * 43
    assert stack.client.http.get("/inbox", headers={"Cookie": forged}).status_code == 401
    token = link_token(stack)
    assert stack.client.http.post("/inbox/signin", body=f"t={token}".encode(), headers=FORM).status_code == 303
    # The same link again, a made-up one: 401.
    assert stack.client.http.post("/inbox/signin", body=f"t={token}".encode(), headers=FORM).status_code == 401
    assert stack.client.http.get(f"/inbox/signin?t={token}").status_code == 401
    assert stack.client.http.get("/inbox/signin?t=" + "A" * 43).status_code == 401
    # A non-member cannot get a link.
    assert "Only the support team" in slash(stack, "inbox", user="U0CUST1")


def test_an_expired_link_gets_401(clocked: tuple[Stack, Any]) -> None:
    stack, clock = clocked
    token = link_token(stack)
    clock.advance(minutes=11)
    assert stack.client.http.get(f"/inbox/signin?t={token}").status_code == 401
    assert stack.client.http.post("/inbox/signin", body=f"t={token}".encode(), headers=FORM).status_code == 401


def test_a_session_lasts_12_hours_and_can_be_revoked(clocked: tuple[Stack, Any]) -> None:
    stack, clock = clocked
    cookie = sign_in(stack)
    get(stack, "/inbox", cookie)
    clock.advance(hours=11, minutes=59)
    get(stack, "/inbox", cookie)
    clock.advance(minutes=2)
    get(stack, "/inbox", cookie, status=401)
    cookie, other = sign_in(stack), sign_in(stack)
    assert "2 sessions ended" in slash(stack, "inbox signout")
    get(stack, "/inbox", cookie, status=401)
    get(stack, "/inbox", other, status=401)
    cookie = sign_in(stack)
    page = get(stack, "/inbox", cookie)
    assert post(stack, "/inbox/signout", cookie, {"csrf": csrf_of(page)}).status_code == 200
    get(stack, "/inbox", cookie, status=401)


def test_views_counts_and_a_ticket_page(stack: Stack) -> None:
    stack.email(mail(frm="Eve <eve@acme.example>", subject="<script>alert(1)</script> Export",
                     body="New answer.\n\nOn Mon, 1 Dec 2026 at 10:00, Support <hey@example.com> wrote:\n"
                          "> The old question\n")[0])
    stack.slack.add_message("C0ACME", "1700000000.000100", "U0ACME1", "Builds are slow")
    stack.post_event(message("U0ACME1", "C0ACME", "1700000000.000100", "Builds are slow"))
    stack.drain()
    cookie = sign_in(stack)
    unassigned = get(stack, "/inbox?view=unassigned", cookie)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Export" in unassigned and "<script>alert" not in unassigned
    assert 'aria-current="page"' in unassigned and 'aria-label="2 tickets"' in unassigned
    assert "Acme" in unassigned and "Eve" in unassigned
    filtered = get(stack, "/inbox?view=unassigned&channel=email", cookie)
    assert "Export" in filtered and "Builds are slow" not in filtered
    assert "Nothing here." in get(stack, "/inbox?view=awaiting-reply", cookie)
    get(stack, "/inbox?view=bogus", cookie, status=400)

    page = get(stack, "/inbox/tickets/1", cookie)
    assert "<details><summary>Show the whole email" in page and "&gt; The old question" in page
    assert "New answer." in page and "Raw email (.eml)" in page
    assert 'id="reply-text"' in page and 'id="note-text"' in page and 'id="assign-me"' in page
    get(stack, "/inbox/tickets/999", cookie, status=404)
    get(stack, "/inbox/tickets/abc", cookie, status=404)


def test_forms_need_csrf_and_a_stale_form_never_overwrites(stack: Stack) -> None:
    stack.email(mail(frm="Eve <eve@acme.example>", subject="Export")[0])
    ada = sign_in(stack)
    page = get(stack, "/inbox/tickets/1", ada)
    version = re.search(r'name="version" value="(\d+)"', page)
    assert version
    fields = {"version": version.group(1), "status": "open", "priority": "urgent", "assignee": "ada", "tags": ""}
    assert post(stack, "/inbox/tickets/1/triage", ada, fields).status_code == 403  # no CSRF token
    assert post(stack, "/inbox/tickets/1/triage", ada, {**fields, "csrf": "0" * 64}).status_code == 403
    bo = sign_in(stack, user="U0HERO2")
    bo_page = get(stack, "/inbox/tickets/1", bo)
    assert post(stack, "/inbox/tickets/1/triage", ada, {**fields, "csrf": csrf_of(bo_page)}).status_code == 403
    assert post(stack, "/inbox/tickets/1/triage", ada, {**fields, "csrf": csrf_of(page)}).status_code == 303
    # Bo's form was read before Ada's change: refused, with who changed what and the ticket as it is now.
    stale = post(stack, "/inbox/tickets/1/triage", bo, {**fields, "priority": "low", "assignee": "bo",
                                                        "csrf": csrf_of(bo_page)})
    assert stale.status_code == 409
    body = stale.body.decode()
    assert "changed since you opened it" in body and "Ada Hero" in body and "priority: high → urgent" in body
    ticket = json.loads(stack.api("GET", "/api/tickets/1").body)
    assert ticket["priority"] == "urgent" and ticket["assignee"] == "ada"


def test_reply_note_and_handover_from_the_page(stack: Stack) -> None:
    stack.email(mail(frm="Eve <eve@acme.example>", subject="Export")[0])
    cookie = sign_in(stack)
    page = get(stack, "/inbox/tickets/1", cookie)
    csrf, key = csrf_of(page), re.search(r'name="key" value="([0-9a-f]+)"', page)
    assert key
    before = len(stack.sent_mail())
    for _ in range(2):  # a resubmitted form is the same reply
        response = post(stack, "/inbox/tickets/1/reply", cookie, {"csrf": csrf, "key": key.group(1),
                                                                  "text": "Fixed <b>now</b>"})
        assert response.status_code == 303 and response.headers["Location"] == "/inbox/tickets/1?done=replied"
    stack.drain()
    stack.services.outbox.flush()
    assert len(stack.sent_mail()) - before == 1
    assert post(stack, "/inbox/tickets/1/note", cookie, {"csrf": csrf, "key": "n1", "text": "Internal only"}
                ).status_code == 303
    assert post(stack, "/inbox/tickets/1/reply", cookie, {"csrf": csrf, "key": "k2", "text": "  "}).status_code == 400
    assert post(stack, "/inbox/tickets/1/handover", cookie, {"csrf": csrf, "to": "bo", "note": "Yours now"}
                ).status_code == 303
    page = get(stack, "/inbox/tickets/1?done=handed", cookie)
    assert "Handed over." in page and "Fixed &lt;b&gt;now&lt;/b&gt;" in page
    assert 'class="msg internal"' in page and "Internal note" in page
    assert "handed over from" in page


def test_an_agent_token_opens_the_inbox_too(stack: Stack) -> None:
    page = stack.client.http.get("/inbox?view=all", headers={"Authorization": "Bearer dev-token-ada"})
    assert page.status_code == 200 and b"All tickets" in page.body
    assert stack.client.http.get("/inbox", headers={"Authorization": "Bearer nope"}).status_code == 401


@pytest.mark.parametrize("path", ["/inbox/assets/inbox.css", "/inbox/assets/inbox.js"])
def test_assets(stack: Stack, path: str) -> None:
    response = stack.client.http.get(path)
    assert response.status_code == 200 and response.headers["X-Content-Type-Options"] == "nosniff"


def test_behind_a_stage_prefix_the_pages_name_their_paths_under_it(stack: Stack,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBLIC_API_URL", "https://abc.execute-api.us-east-1.amazonaws.com/prod")
    page = stack.client.http.get("/inbox?view=all", headers={"Authorization": "Bearer dev-token-ada"}).body.decode()
    assert 'href="/prod/inbox/assets/inbox.css' in page and 'href="/prod/inbox?view=due"' in page
    assert '="/inbox' not in page
    token = link_token(stack)
    response = stack.client.http.post("/inbox/signin", body=f"t={token}".encode(), headers=FORM)
    assert response.headers["Location"] == "/prod/inbox"
