"""The contact form (channels/contact): a public page opens a ticket; replies go by email and thread back."""

from __future__ import annotations

import json
import os
import re
import time
import urllib.parse
import urllib.request
from typing import Any

import pytest

from tests.conftest import Stack

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'


def sid(n: int = 0) -> str:
    return f"{n:032x}" if n else os.urandom(16).hex()


def submit(stack: Stack, headers: dict[str, str] | None = None, body: bytes | None = None, **fields: str) -> Any:
    values = {"submission": sid(), "name": "Sam Customer", "email": "sam@acme.example",
              "message": "Exports fail since this morning\nWith error 500.", **fields}
    raw = body if body is not None else urllib.parse.urlencode(values).encode()
    return stack.client.http.post("/contact", headers=headers or FORM, body=raw)


def text(response: Any) -> str:
    return bytes(response.body).decode()


def number_in(response: Any) -> int:
    found = re.search(r"ticket #(\d+)", text(response))
    assert found, text(response)
    return int(found.group(1))


def all_tickets(stack: Stack) -> list[dict[str, Any]]:
    response = stack.api("GET", "/api/tickets?view=all")
    assert response.status_code == 200, response.body
    return list(json.loads(response.body)["tickets"])


def ticket(stack: Stack, number: int) -> dict[str, Any]:
    response = stack.api("GET", f"/api/tickets/{number}")
    assert response.status_code == 200, response.body
    return dict(json.loads(response.body))


def assert_page(response: Any, status: int) -> str:
    assert response.status_code == status, text(response)
    assert response.headers["Content-Type"].startswith("text/html")
    csp = response.headers["Content-Security-Policy"]
    for part in ("default-src 'none'", "style-src 'unsafe-inline'", "form-action 'self'"):
        assert part in csp
    page = text(response)
    assert "<script" not in page.lower() and "<img" not in page.lower()  # hostile text only ever escaped
    return page


def test_get_shows_the_form_with_a_fresh_submission_id(stack: Stack) -> None:
    first, second = (stack.client.http.get("/contact") for _ in range(2))
    page = assert_page(first, 200)
    ids = [re.findall(r'name="submission" value="([0-9a-f]{32})"', text(r)) for r in (first, second)]
    assert len(ids[0]) == 1 and ids[0] != ids[1]
    for control in ("name", "email", "message", "website"):  # every control has its label
        assert f'<label for="{control}">' in page and f'id="{control}"' in page
    assert 'autocomplete="off" tabindex="-1"' in page and "Leave this empty" in page
    assert first.headers["Cache-Control"] == "no-store"


def test_post_opens_a_ticket_and_a_double_submit_opens_one(stack: Stack) -> None:
    submission = sid()
    first = submit(stack, submission=submission)
    page = assert_page(first, 200)
    number = number_in(first)
    assert "sam@acme.example" in page and "We send no confirmation email" in page
    again = submit(stack, submission=submission)  # the browser retries, the person double-clicks
    assert again.status_code == 200 and number_in(again) == number
    stack.drain()
    tickets = all_tickets(stack)
    assert [t["number"] for t in tickets] == [number]
    opened = ticket(stack, number)
    assert opened["channel"] == "contact"
    assert opened["requester"] == {"id": "sam@acme.example", "name": "Sam Customer",
                                   "identity": "email:sam@acme.example"}
    assert opened["subject"] == "Exports fail since this morning"
    assert opened["priority"] == "high"  # Acme is an enterprise customer, by the address's domain
    assert opened["messages"][0]["text"] == "Exports fail since this morning\nWith error 500."
    assert stack.sent_mail() == []  # no acknowledgement: the page is the receipt
    # the same submission id sent with another address is not a way to see someone's ticket
    other = submit(stack, submission=submission, email="eve@evil.example")
    assert_page(other, 400)
    assert "ticket #" not in text(other)


def test_honeypot_answers_thanks_and_writes_nothing(stack: Stack) -> None:
    response = submit(stack, website="http://spam.example")
    page = assert_page(response, 200)
    assert "Thank you" in page and "ticket #" not in page
    stack.drain()
    assert all_tickets(stack) == []
    assert stack.services.parts["contact"].limits.used("ip", "127.0.0.1") == 0


@pytest.mark.parametrize(("fields", "expected"), [
    ({"email": "not-an-address"}, "one plain email address"),
    ({"email": "Sam <sam@acme.example>"}, "one plain email address"),
    ({"email": "sam@acme.example, eve@evil.example"}, "one plain email address"),
    ({"email": "sam@localhost"}, "one plain email address"),
    ({"email": "sám@acme.example"}, "one plain email address"),
    ({"email": ""}, "Please give the email address"),
    ({"message": "  \n\x00 "}, "Please write your message"),
    ({"message": "x" * 10_001}, "at most 10,000 characters"),
    ({"name": ""}, "Please tell us your name"),
    ({"name": "n" * 201}, "at most 200 characters"),
    ({"submission": "not-hex"}, "out of date"),
    ({"email": "hey+abc@example.com"}, "our own address"),
])
def test_invalid_input_is_a_400_page_and_writes_nothing(stack: Stack, fields: dict[str, str], expected: str) -> None:
    response = submit(stack, **fields)
    page = assert_page(response, 400)
    assert expected in page
    assert 'role="alert"' in page and '<form method="post"' in page  # the form again, to fix and resend
    stack.drain()
    assert all_tickets(stack) == []


def test_oversize_wrong_type_and_unreadable_bodies(stack: Stack) -> None:
    big = submit(stack, message="x" * (33 * 1024))
    assert "Message not sent" in assert_page(big, 413)
    json_body = submit(stack, headers={"Content-Type": "application/json"}, body=b'{"name": "x"}')
    assert_page(json_body, 415)
    for body in (b"name=a&name=b&email=a%40b.example&message=x", b"name=%ff%fe", "name=é".encode(),
                 b"a=1&b=2&c=3&d=4&e=5&f=6&g=7"):
        assert_page(submit(stack, body=body), 400)
    stack.drain()
    assert all_tickets(stack) == []


def test_hostile_text_is_escaped_on_every_page(stack: Stack) -> None:
    invalid = submit(stack, name=HOSTILE, message=HOSTILE, email=HOSTILE)
    page = assert_page(invalid, 400)
    assert "&lt;script&gt;" in page and "<img" not in page
    ok = submit(stack, name=HOSTILE, message=f"{HOSTILE}\u202e\x07 hi", email="sam@acme.example")
    page = assert_page(ok, 200)
    stack.drain()
    opened = ticket(stack, number_in(ok))
    assert "\u202e" not in opened["messages"][0]["text"] and "\x07" not in opened["messages"][0]["text"]
    assert opened["messages"][0]["text"].startswith("<script>")  # kept as text, escaped where shown


def test_rate_limit_per_address(stack: Stack) -> None:
    for _ in range(5):
        assert submit(stack).status_code == 200
    page = assert_page(submit(stack, submission=sid(1)), 429)
    assert "try again" in page and "hey@example.com" in page
    stack.drain()
    assert len(all_tickets(stack)) == 5
    limits = stack.services.parts["contact"].limits
    assert limits.used("addr", "sam@acme.example") == 5 and limits.used("ip", "127.0.0.1") == 5
    assert submit(stack, email="other@acme.example").status_code == 200  # another address is fine


def test_rate_limit_per_ip_and_a_retry_does_not_count(stack: Stack) -> None:
    kept = sid()
    assert submit(stack, submission=kept, email="person0@example.org").status_code == 200
    for i in range(1, 20):
        assert submit(stack, email=f"person{i}@example.org").status_code == 200
    over = submit(stack, email="person20@example.org")
    assert_page(over, 429)
    retried = submit(stack, submission=kept, email="person0@example.org")  # already open: answered, not counted
    assert retried.status_code == 200 and "ticket #" in text(retried)
    stack.drain()
    assert len(all_tickets(stack)) == 20
    assert stack.services.parts["contact"].limits.used("ip", "127.0.0.1") == 20


def test_agent_reply_goes_by_email_and_the_customer_reply_threads_back(stack: Stack) -> None:
    number = number_in(submit(stack, name='Sam "Boss" <Admin>', email="sam@acme.example"))
    stack.drain()
    reply = stack.api("POST", f"/api/tickets/{number}/replies", body={"text": "Looking now."})
    assert reply.status_code == 202, reply.body
    stack.drain()
    sent = stack.sent_mail()
    assert len(sent) == 1
    mail = sent[0]
    assert [a.addr_spec for a in mail["To"].addresses] == ["sam@acme.example"]
    assert mail["To"].addresses[0].display_name == ""  # what was typed as a name is never a header
    assert mail["Subject"] == "Re: Your message to " + stack.services.directory.load().settings.team_name
    reply_to = mail["Reply-To"].addresses[0].addr_spec
    assert re.fullmatch(r"hey\+[a-z2-7]{16}@example\.com", reply_to)
    assert "Looking now." in mail.get_body(("plain",)).get_content()
    assert ticket(stack, number)["messages"][-1]["delivery"]["status"] == "sent"

    # The customer answers the mail: threaded by In-Reply-To ...
    raw = (f"From: sam@acme.example\r\nTo: {reply_to}\r\nSubject: Re: {mail['Subject']}\r\n"
           f"Message-ID: <answer-1@acme.example>\r\nIn-Reply-To: {mail['Message-ID']}\r\n\r\nStill failing.\r\n")
    stack.email(raw.encode())
    # ... or only by the reply address
    raw2 = ("From: sam@acme.example\r\nTo: " + reply_to + "\r\nSubject: one more thing\r\n"
            "Message-ID: <answer-2@acme.example>\r\n\r\nAlso on Tuesday.\r\n")
    stack.email(raw2.encode(), recipients=[reply_to])
    assert [t["number"] for t in all_tickets(stack)] == [number]
    texts = [m["text"] for m in ticket(stack, number)["messages"]]
    assert texts[-2:] == ["Still failing.", "Also on Tuesday."]
    # the next answer goes to the same thread
    assert stack.api("POST", f"/api/tickets/{number}/replies", body={"text": "Fixed."}).status_code == 202
    stack.drain()
    latest = stack.sent_mail()[-1]
    assert len(stack.sent_mail()) == 2 and latest["In-Reply-To"] == "<answer-2@acme.example>"


# ------------------------------------------------------------------------------------------- make run + browser


def test_make_run_contact_form_in_chromium(tmp_path: Any) -> None:
    from tests.browser import BrowserError, chromium, require_chromium
    from tests.test_local_stack import get, post, running_stack, set_clock, wait_for

    require_chromium()
    with running_stack(tmp_path) as (_env, ports), chromium() as browser:
        api = f"http://127.0.0.1:{ports['API_PORT']}"
        set_clock(api, "2026-12-02T11:00:00Z")

        def sent() -> list[str]:
            """What the embedded SES sent (moto's model data: one RawMessage per mail), raw."""
            with urllib.request.urlopen(f"http://127.0.0.1:{ports['MOTO_PORT']}/moto-api/data.json",
                                        timeout=10) as response:
                return [m["raw_data"] for m in json.loads(response.read())["ses"]["RawMessage"]]

        for width, height, mobile in ((390, 844, True), (1280, 900, False)):
            page = browser.new_page(width, height, mobile=mobile)
            page.goto(f"{api}/contact")
            assert page.requested_urls() == [f"{api}/contact"]  # no script, no font, nothing else
            assert_layout(page, width, tmp_path / f"form-{width}.png")
        page.evaluate("""(() => {
          document.getElementById('name').value = 'Rosa Form';
          document.getElementById('email').value = 'rosa@acme.example';
          document.getElementById('message').value = 'The export button does nothing\\nOn Firefox.';
          document.getElementById('name').focus();
        })()""")
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline == "solid"  # visible focus
        page.evaluate("document.querySelector('form').requestSubmit()")

        def thanked() -> Any:
            try:
                body = page.evaluate("document.readyState === 'complete' && document.body.innerText")
            except BrowserError:
                return None
            return body if body and "ticket #" in body else None

        found = re.search(r"ticket #(\d+)", wait_for(thanked))
        assert found
        number = int(found.group(1))
        assert_layout(page, 1280, tmp_path / "thanks-1280.png")
        status, opened = get(f"{api}/api/tickets/{number}", token="dev-token-ada")
        assert status == 200 and opened["channel"] == "contact" and opened["priority"] == "high"
        assert opened["requester"] == {"id": "rosa@acme.example", "name": "Rosa Form",
                                       "identity": "email:rosa@acme.example"}
        time.sleep(1)
        assert sent() == []  # nothing mailed before a person answers
        assert post(f"{api}/api/tickets/{number}/replies", {"text": "On it."}, token="dev-token-ada")[0] == 202
        wait_for(lambda: get(f"{api}/api/tickets/{number}", token="dev-token-ada")[1]["messages"][-1]
                 ["delivery"]["status"] == "sent")
        time.sleep(2)
        mails = sent()
        assert len(mails) == 1, mails  # the answer, exactly once
        assert "On it." in mails[0] and "rosa@acme.example" in mails[0] and "Rosa Form" not in mails[0]
        request = urllib.request.Request(f"{api}/contact", method="GET")
        with urllib.request.urlopen(request, timeout=5) as response:
            assert "form-action 'self'" in response.headers["Content-Security-Policy"]


def assert_layout(page: Any, width: int, shot: Any) -> None:
    """Nothing wider than the viewport, no text clipped in its box, readable size; a screenshot taken."""
    layout = page.evaluate("""(() => {
      const els = [...document.querySelectorAll('h1, p, label, input:not([type=hidden]), textarea, button')]
        .filter(e => !e.closest('.hp'));
      return {
        innerWidth, docWidth: document.documentElement.scrollWidth,
        rights: els.map(e => e.getBoundingClientRect().right),
        clipped: els.filter(e => !['INPUT', 'TEXTAREA'].includes(e.tagName) && e.scrollWidth > e.clientWidth + 1)
          .map(e => e.outerHTML.slice(0, 80)),
        font: parseFloat(getComputedStyle(document.body).fontSize),
        honeypot: document.getElementById('website') ?
          document.getElementById('website').getBoundingClientRect().right : -1,
      };
    })()""")
    assert layout["innerWidth"] == width
    assert layout["docWidth"] <= width, layout
    assert max(layout["rights"]) <= width, layout
    assert layout["clipped"] == [], layout
    assert layout["font"] >= 16
    assert layout["honeypot"] <= 0  # off screen: a person never sees it
    page.screenshot(shot, full_page=True)


def test_the_team_reads_the_message_in_the_triage_thread(stack: Stack) -> None:
    """A contact-form ticket is announced in the triage channel, and the message itself (escaped) is in
    that post's thread, once, without the "Show full email" button (no mail came)."""
    submit(stack, message=f"Invoice wrong {HOSTILE}")
    stack.drain()
    posts = [c["params"] for c in stack.slack.calls("chat.postMessage") if c["params"]["channel"] == "C0TRIAGE"]
    [announced] = [p for p in posts if not p.get("thread_ts")]
    assert "contact form from sam@acme.example" in announced["text"]
    [shown] = [p for p in posts if p.get("thread_ts")]
    assert shown["thread_ts"] == stack.slack.messages("C0TRIAGE")[0]["ts"] and "Invoice wrong" in shown["text"]
    assert "<script>" not in shown["text"] and "&lt;script&gt;" in shown["text"]
    assert all(block["type"] != "actions" for block in shown["blocks"])
