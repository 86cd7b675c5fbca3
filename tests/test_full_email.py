"""The whole mail one click away, and the one-acknowledgement-per-sender rule, end to end."""

from __future__ import annotations

import datetime
import json
import time
import urllib.parse
from typing import Any

from tests.conftest import Stack
from tests.test_slack_triage import form_headers

REPLY = (
    "Yes, the export still fails, now with a timeout.\n\n"
    "On Tue, 1 Dec 2026 at 10:04, Support <hey@example.com> wrote:\n"
    "> Does the export still fail?\n>\n> Ada\n"
)


def _mail(body: str, subject: str = "Export fails", frm: str = "Wile E. <wile@acme.example>",
          **headers: str) -> bytes:
    from email.message import EmailMessage
    from email.utils import make_msgid

    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = frm, "hey@example.com", subject
    msg["Message-ID"] = headers.pop("Message_ID", None) or make_msgid(domain="acme.example")
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg.as_bytes()


def _download(url: str) -> bytes:
    import urllib.request

    with urllib.request.urlopen(url, timeout=30) as response:  # the embedded S3 presigned URL
        assert response.headers["Content-Disposition"] == 'attachment; filename="ticket-1.eml"'
        return bytes(response.read())


def _ticket(stack: Stack, number: int = 1) -> dict[str, Any]:
    response = stack.api("GET", f"/api/tickets/{number}")
    assert response.status_code == 200, response.body
    return dict(json.loads(response.body))


def _press_show_full(stack: Stack, number: int, key: str, user: str = "U0HERO1") -> int:
    payload = {
        "type": "block_actions", "user": {"id": user}, "trigger_id": "t",
        "container": {"type": "message", "channel_id": "C0TRIAGE", "message_ts": "1"},
        "channel": {"id": "C0TRIAGE"},
        "actions": [{"action_id": "email_full", "block_id": f"email:{number}", "value": key,
                     "action_ts": f"{time.time():.6f}"}],
    }
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    response = stack.client.http.post("/slack/interactions", headers=form_headers(body), body=body)
    stack.drain()
    return int(response.status_code)


def test_reply_and_full_text_raw_email_and_slack_link(stack: Stack) -> None:
    raw = _mail(REPLY)
    stack.email(raw)
    first = _ticket(stack)["messages"][0]
    # The ticket reads as the customer wrote; the whole mail is beside it.
    assert first["text"] == "Yes, the export still fails, now with a timeout."
    assert "> Does the export still fail?" in first["full_text"] and first["full_text"].startswith("Yes, the export")
    # The raw .eml, byte for byte, through the API: a short-lived download link straight from the bucket.
    got = stack.api("GET", first["raw_email"])
    assert got.status_code == 302 and _download(got.headers["Location"]) == raw
    assert stack.api("GET", first["raw_email"], token="wrong").status_code == 401
    assert stack.api("GET", "/api/tickets/1/raw-email?key=nope").status_code == 404

    # Slack: the email is shown in its triage thread, quoted history left out, with the button.
    [shown] = [c["params"] for c in stack.slack.calls("chat.postMessage") if c["params"].get("thread_ts")]
    assert "now with a timeout" in shown["text"] and "Does the export still fail" not in shown["text"]
    button = shown["blocks"][1]["elements"][0]
    assert button["action_id"] == "email_full" and button["value"] == first["key"]

    # Pressing it: a private answer with a link for this member, to this message only.
    assert _press_show_full(stack, 1, first["key"]) == 200
    answer = [c["params"] for c in stack.slack.calls("chat.postEphemeral")][-1]
    assert answer["user"] == "U0HERO1"
    url = answer["text"].split("<", 1)[1].split("|", 1)[0].replace("&amp;", "&")  # as Slack shows it
    path = url[url.index("/mail?"):]
    page = stack.client.http.get(path)
    assert page.status_code == 200 and "default-src 'none'" in page.headers["Content-Security-Policy"]
    text = page.body.decode()
    assert "Does the export still fail?" in text and "&gt; Does the export" in text  # escaped, whole
    raw_link = text.split('href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    assert "format=raw" in raw_link
    assert _download(stack.client.http.get(raw_link).headers["Location"]) == raw

    # The link grants exactly that: another message key, another ticket, a changed expiry: 401.
    query = dict(urllib.parse.parse_qsl(path.split("?", 1)[1]))
    for change in ({"key": first["key"] + "x"}, {"ticket": "2"}, {"expires": str(int(query["expires"]) + 1)},
                   {"member": "grace"}):
        forged = urllib.parse.urlencode({**query, **change})
        assert stack.client.http.get(f"/mail?{forged}").status_code == 401
    # Someone outside the team pressing the button gets no link.
    before = len(stack.slack.calls("chat.postEphemeral"))
    assert _press_show_full(stack, 1, first["key"], user="U0STRANGER") == 200
    refusal = [c["params"] for c in stack.slack.calls("chat.postEphemeral")][before:]
    assert refusal and all("/mail?" not in r["text"] for r in refusal)


def test_a_follow_up_email_is_shown_in_the_thread_once(stack: Stack) -> None:
    stack.email(_mail("The export fails.", Message_ID="<first@acme.example>"))
    follow = _mail(REPLY, subject="Re: Export fails", In_Reply_To="<first@acme.example>")
    stack.email(follow)
    stack.email(follow)  # redelivered
    threaded = [c["params"] for c in stack.slack.calls("chat.postMessage") if c["params"].get("thread_ts")]
    assert [("timeout" in p["text"]) for p in threaded] == [False, True]
    messages = _ticket(stack)["messages"]
    assert [m["text"] for m in messages if m["role"] == "customer"] == [
        "The export fails.", "Yes, the export still fails, now with a timeout."]


def test_one_acknowledgement_per_sender_per_24_hours(clocked: tuple[Stack, Any]) -> None:
    stack, clock = clocked
    start = clock.now()
    for i, minutes in enumerate((0, 5, 60 * 23)):  # three new requests within a day from one sender
        clock.set(start + datetime.timedelta(minutes=minutes))
        stack.email(_mail(f"Question {i}", subject=f"Question {i}"))
    assert len(stack.sent_mail()) == 1
    # Another sender the same day is acknowledged; so is the first one a day after their last ack.
    stack.email(_mail("Hello", subject="Other", frm="road@runner.example"))
    assert len(stack.sent_mail()) == 2
    clock.set(start + datetime.timedelta(hours=24, minutes=1))
    stack.email(_mail("Question 3", subject="Question 3"))
    sent = stack.sent_mail()
    assert len(sent) == 3 and sent[-1]["To"].addresses[0].addr_spec == "wile@acme.example"
    # Every mail still became its own ticket: only the acknowledgement was held back.
    assert len(json.loads(stack.api("GET", "/api/tickets?view=all").body)["tickets"]) == 5
