"""The email channel end to end: SES notification (S3 or inline) -> email Lambda -> queue ->
worker -> tickets, threading, acknowledgements, loop guards, verdicts, replies through SES."""

from __future__ import annotations

import json
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Stack, corpus_dir


def mail(frm: str = "Wile E. <wile@acme.example>", subject: str = "Build fails", body: str = "Our builds fail.",
         to: str = "hey@example.com", **headers: str) -> tuple[bytes, str]:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = frm, to, subject
    mid = make_msgid(domain="acme.example")
    msg["Message-ID"] = mid
    for k, v in headers.items():
        msg[k.replace("_", "-")] = v
    msg.set_content(body)
    return msg.as_bytes(), mid.strip("<>")


def api(stack: Stack, path: str, **kw: Any) -> Any:
    response = stack.api("GET", path, **kw)
    assert response.status_code == 200, response.body
    return json.loads(response.body)


def test_email_opens_high_priority_ticket_and_acknowledges_once(stack: Stack) -> None:
    raw, mid = mail()
    ses_id = stack.email(raw)
    t = api(stack, "/api/tickets/1")
    assert t["channel"] == "email" and t["customer"] == "acme" and t["priority"] == "high"
    assert t["subject"] == "Build fails" and t["requester"] == {"id": "wile@acme.example", "name": "Wile E.",
                                                           "identity": "email:wile@acme.example"}
    assert t["messages"][0]["text"] == "Our builds fail."
    [ack] = stack.sent_mail()
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["In-Reply-To"] == f"<{mid}>" and ack["To"].addresses[0].addr_spec == "wile@acme.example"
    reply_to = ack["Reply-To"].addresses[0].addr_spec
    assert reply_to.startswith("hey+") and reply_to.endswith("@example.com")
    assert [m["role"] for m in api(stack, "/api/tickets/1")["messages"]] == ["customer", "system"]
    # SES redelivers the same notification; the same email arrives through a second SES delivery.
    stack.email(raw)
    assert ses_id and len(api(stack, "/api/tickets?view=all")["tickets"]) == 1
    assert len(stack.sent_mail()) == 1
    assert len(api(stack, "/api/tickets/1")["messages"]) == 2


@pytest.mark.parametrize("form", ["s3", "sns"])
def test_both_notification_forms(stack: Stack, form: str) -> None:
    raw, _ = mail(frm="someone@elsewhere.example", subject="Hello")
    stack.email(raw, form=form)
    t = api(stack, "/api/tickets/1")
    assert t["priority"] == "normal" and t["customer"] is None and t["messages"][0]["text"] == "Our builds fail."


def _ack_and_reply_address(stack: Stack) -> tuple[Any, str]:
    ack = stack.sent_mail()[-1]
    return ack, ack["Reply-To"].addresses[0].addr_spec


def test_replies_thread_by_in_reply_to_ses_rewritten_id_and_reply_address(stack: Stack) -> None:
    raw, mid = mail()
    stack.email(raw)
    _ack, reply_to = _ack_and_reply_address(stack)

    by_header, _ = mail(subject="Re: Build fails", body="More detail", In_Reply_To=f"<{mid}>")
    stack.email(by_header)
    # Only the id SES gave our acknowledgement (SES rewrites Message-ID on send).
    from moto.backends import get_backend

    ses_id = get_backend("ses")["123456789012"]["us-east-1"].sent_messages[-1].id
    by_ses_id, _ = mail(subject="Re: Build fails", body="Via SES id",
                        References=f"<{ses_id}@us-east-1.amazonses.com>")
    stack.email(by_ses_id)
    # References stripped by the client, but sent to the ticket's reply address.
    by_address, _ = mail(subject="totally different subject", body="Via reply address", to=reply_to)
    stack.email(by_address, recipients=[reply_to])
    # Same subject, no thread headers, plain address: a new ticket (never by subject alone).
    same_subject, _ = mail(subject="Re: Build fails", body="Unrelated")
    stack.email(same_subject)

    texts = [m["text"] for m in api(stack, "/api/tickets/1")["messages"] if m["role"] == "customer"]
    assert texts == ["Our builds fail.", "More detail", "Via SES id", "Via reply address"]
    assert len(api(stack, "/api/tickets?view=all")["tickets"]) == 2


def test_guessed_reply_token_does_not_thread(stack: Stack) -> None:
    raw, _ = mail()
    stack.email(raw)
    guess, _ = mail(body="guess", to="hey+aaaaaaaaaaaaaaaa@example.com")
    stack.email(guess, recipients=["hey+aaaaaaaaaaaaaaaa@example.com"])
    assert len(api(stack, "/api/tickets?view=all")["tickets"]) == 2


def test_agent_reply_goes_out_threaded_from_the_support_address(stack: Stack) -> None:
    raw, mid = mail()
    stack.email(raw)
    follow, mid2 = mail(subject="Re: Build fails", body="Any news?", In_Reply_To=f"<{mid}>", References=f"<{mid}>")
    stack.email(follow)
    response = stack.api("POST", "/api/tickets/1/replies", body={"text": "Fixed in 2.3.1.\n\nSorry!"})
    assert response.status_code == 202
    stack.drain()
    sent = stack.sent_mail()[-1]
    sender = sent["From"].addresses[0]
    assert (sender.display_name, sender.addr_spec) == ("Ada Hero at Example Co", "hey@example.com")
    assert sent["In-Reply-To"] == f"<{mid2}>"
    assert sent["References"].split() == [f"<{mid}>", f"<{mid2}>"]
    assert sent["Subject"] == "Re: Build fails" and sent["Reply-To"].addresses[0].addr_spec.startswith("hey+")
    assert sent.get_body(("plain",)).get_content().strip() == "Fixed in 2.3.1.\n\nSorry!"
    assert "<p>Fixed in 2.3.1.</p>" in sent.get_body(("html",)).get_content()
    last = api(stack, "/api/tickets/1")["messages"][-1]
    assert last["delivery"]["status"] == "sent" and last["role"] == "agent"
    # The customer answers our reply: it joins the ticket by our Message-ID.
    answer, _ = mail(subject="Re: Build fails", body="Works, thanks", In_Reply_To=sent["Message-ID"])
    stack.email(answer)
    assert api(stack, "/api/tickets/1")["messages"][-1]["text"] == "Works, thanks"


LOOP_CASES = [
    ({"Auto_Submitted": "auto-replied"}, "auto-submitted"),
    ({"Precedence": "bulk"}, "precedence-bulk"),
    ({"Precedence": "list"}, "precedence-list"),
    ({"List_Id": "<dev.lists.example>"}, "mailing-list"),
    ({"Return_Path": "<>"}, "empty-return-path"),
    ({"X_Autoreply": "yes"}, "x-autoreply"),
]


@pytest.mark.parametrize(("headers", "reason"), LOOP_CASES, ids=[c[1] for c in LOOP_CASES])
def test_loop_guards_open_the_ticket_without_acknowledging(stack: Stack, headers: dict[str, str],
                                                           reason: str) -> None:
    raw, _ = mail(subject="Out of office", **headers)
    stack.email(raw)
    assert api(stack, "/api/tickets/1")["number"] == 1
    assert stack.sent_mail() == []


def test_auto_submitted_no_is_a_person(stack: Stack) -> None:
    raw, _ = mail(Auto_Submitted="no")
    stack.email(raw)
    assert len(stack.sent_mail()) == 1


def test_robot_senders_and_our_own_address(stack: Stack) -> None:
    for frm in ("MAILER-DAEMON@mx.example.net", "noreply@service.example"):
        raw, _ = mail(frm=frm)
        stack.email(raw)
    assert stack.sent_mail() == []
    own, _ = mail(frm="hey@example.com")
    stack.email(own)
    held = api(stack, "/api/mail/held?kind=turned-away")["mail"]
    # The daemon's mail is a delivery report about nothing we sent; ours would be a loop.
    assert sorted(h["reason"] for h in held) == ["delivery-report-not-about-our-mail", "from-our-own-address"]


def test_one_acknowledgement_per_sender_per_day(stack: Stack) -> None:
    for subject in ("First", "Second"):
        raw, _ = mail(subject=subject)
        stack.email(raw)
    assert len(api(stack, "/api/tickets?view=all")["tickets"]) == 2
    assert len(stack.sent_mail()) == 1


def test_spam_and_virus_are_quarantined_auth_failures_flagged(stack: Stack) -> None:
    raw, _ = mail(subject="WIN")
    stack.email(raw, verdicts={"spam": "FAIL"})
    raw2, _ = mail(subject="invoice.exe")
    stack.email(raw2, verdicts={"virus": "FAIL"})
    assert api(stack, "/api/tickets?view=all")["tickets"] == [] and stack.sent_mail() == []
    held = api(stack, "/api/mail/held")["mail"]
    assert sorted(h["reason"] for h in held) == ["spam-verdict-fail", "virus-verdict-fail"]
    raw3, _ = mail(subject="legit but unsigned")
    stack.email(raw3, verdicts={"dkim": "FAIL", "dmarc": "FAIL"})
    assert set(api(stack, "/api/tickets/1")["tags"]) >= {"dkim-fail", "dmarc-fail"}


def test_bounce_of_our_mail_is_recorded_on_its_ticket(stack: Stack) -> None:
    raw, _ = mail()
    stack.email(raw)
    ack = stack.sent_mail()[-1]
    bounce = EmailMessage()
    bounce["From"] = "MAILER-DAEMON@mx.acme.example"
    bounce["To"] = "hey@example.com"
    bounce["Subject"] = "Undelivered Mail Returned to Sender"
    bounce["Message-ID"] = make_msgid(domain="mx.acme.example")
    bounce.set_content("The mail system could not deliver your message.")
    original = EmailMessage()
    original["Message-ID"] = ack["Message-ID"]
    original["Subject"] = ack["Subject"]
    original.set_content("(original)")
    bounce.add_attachment(original)
    bounce.replace_header("Content-Type", bounce["Content-Type"].replace("multipart/mixed", "multipart/report"))
    bounce.set_param("report-type", "delivery-status")
    stack.email(bounce.as_bytes())
    messages = api(stack, "/api/tickets/1")["messages"]
    assert any(m["role"] == "system" and "Delivery report" in (m["text"] or "") for m in messages)
    assert len(api(stack, "/api/tickets?view=all")["tickets"]) == 1


def test_attachments_go_to_s3_and_are_listed(stack: Stack) -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "wile@acme.example", "hey@example.com", "Logs"
    msg["Message-ID"] = make_msgid()
    msg.set_content("See attached")
    msg.add_attachment(b"\x89PNG fake image", maintype="image", subtype="png", filename="screen shot.png")
    stack.email(msg.as_bytes())
    [first, _ack] = api(stack, "/api/tickets/1")["messages"]
    [attachment] = first["attachments"]
    assert attachment["name"] == "screen shot.png" and attachment["type"] == "image/png" and attachment["size"] == 15
    stored = stack.services.aws.get_object("support-hero-test-mail", attachment["key"])
    assert stored == b"\x89PNG fake image"
    assert "PNG" not in (first["text"] or "")


def corpus_emails() -> list[Path]:
    try:
        return sorted(p for p in corpus_dir("email").iterdir() if p.is_file())
    except pytest.skip.Exception:
        return []


def test_whole_email_corpus(stack: Stack) -> None:
    """Every real email becomes a ticket or message, or is turned away with a recorded reason."""
    files = corpus_emails()
    if not files:
        pytest.skip("shared corpus not found beside the project")
    from chalicelib.bootstrap import ingress
    from chalicelib.ingress.email import handle_notification
    from tests.conftest import ses_notification

    outcomes: dict[str, str] = {}
    for i, path in enumerate(files):
        raw = path.read_bytes()
        ses_id = f"corpus{i:04d}"
        stack.services.aws.put_object("support-hero-test-mail", f"inbound/{ses_id}", raw)
        notification = ses_notification(ses_id, raw, "support-hero-test-mail")
        assert handle_notification(notification, ingress(), stack.services.aws.put_object) == "enqueued"
        body = json.loads(json.dumps({"source": "email", "kind": "received", "delivery_id": ses_id,
                                      "s3": {"bucket": "support-hero-test-mail", "key": f"inbound/{ses_id}"},
                                      "mail": notification["mail"], "verdicts": {}}))
        outcome = stack.services.email_intake.handle(body)
        outcomes[path.name] = outcome.action
        assert outcome.action in ("opened", "appended", "duplicate", "bounce-recorded", "turned-away"), path.name
        if outcome.action == "turned-away":
            assert outcome.reason
    held = api(stack, "/api/mail/held?kind=turned-away&limit=100")["mail"]
    assert len(held) == list(outcomes.values()).count("turned-away")
    assert list(outcomes.values()).count("opened") > len(files) // 2


def corpus_notifications() -> list[Path]:
    try:
        return sorted(corpus_dir("ses").glob("*.json"))
    except pytest.skip.Exception:
        return []


@pytest.mark.parametrize("path", corpus_notifications(), ids=lambda p: p.name)
def test_corpus_ses_notifications(stack: Stack, path: Path) -> None:
    """Real SES notifications (SNS envelopes and bare bodies): enqueued, ignored or rejected, never a crash;
    those that carry the email inline go all the way through the worker."""
    from chalicelib.bootstrap import Ingress, ingress
    from chalicelib.ingress.email import handle_notification, parse_notification
    from chalicelib.platform.queue import InMemoryEventQueue

    real = ingress()
    queue = InMemoryEventQueue()
    fake = Ingress(settings=real.settings, secrets=real.secrets, queue=queue, clock=real.clock)
    notification = parse_notification(json.loads(path.read_text()))
    result = handle_notification(notification, fake, stack.services.aws.put_object)
    kind = notification.get("notificationType")
    if kind == "Received":
        assert result == "enqueued" and len(queue.messages) == 1
        body = queue.messages[0].body
        if "content" in notification:
            outcome = stack.services.email_intake.handle(body)
            expected = {"quarantined"} if "spamVerdict_FAIL" in path.name else {"opened", "turned-away"}
            assert outcome.action in expected, (path.name, outcome)
    elif kind in ("Bounce", "Complaint"):
        assert result == "enqueued-feedback"
        assert stack.services.email_intake.feedback(queue.messages[0].body).action == "ignored"
    else:
        assert result.startswith("ignored")


def test_ses_bounce_of_an_agent_reply_is_recorded(stack: Stack) -> None:
    from moto.backends import get_backend

    from chalicelib.bootstrap import Ingress, ingress
    from chalicelib.ingress.email import handle_notification
    from chalicelib.platform.queue import InMemoryEventQueue

    raw, _ = mail()
    stack.email(raw)
    ses_id = get_backend("ses")["123456789012"]["us-east-1"].sent_messages[-1].id
    notification = {"notificationType": "Bounce",
                    "bounce": {"bounceType": "Permanent", "bounceSubType": "General", "feedbackId": "fb-1",
                               "bouncedRecipients": [{"emailAddress": "wile@acme.example"}],
                               "timestamp": "2026-11-29T10:00:00.000Z"},
                    "mail": {"messageId": ses_id, "timestamp": "2026-11-29T09:59:00.000Z"}}
    real = ingress()
    queue = InMemoryEventQueue()
    handle_notification(notification, Ingress(real.settings, real.secrets, queue, real.clock),
                        stack.services.aws.put_object)
    assert stack.services.email_intake.feedback(queue.messages[0].body).action == "bounce-recorded"
    notes = [m["text"] for m in api(stack, "/api/tickets/1")["messages"] if m["role"] == "system"]
    assert any(n.startswith("Bounce (Permanent / General) for wile@acme.example") for n in notes)


@pytest.mark.parametrize(
    "message",
    ["not json", "[1]", json.dumps({"notificationType": "Received"}),
     json.dumps({"notificationType": "Received", "mail": {"messageId": "m"}, "receipt": {"action": {"type": "S3"}}})],
)
def test_malformed_notifications_are_rejected_without_retry(stack: Stack, message: str) -> None:
    event = stack.client.events.generate_sns_event(message=message)
    stack.client.lambda_.invoke("on_inbound_email", event)  # no exception: nothing to retry
    assert stack.queue_depth() == 0


def test_reply_that_ses_keeps_refusing_is_shown_failed_not_dropped(stack: Stack) -> None:
    import boto3

    raw, _ = mail()
    stack.email(raw)
    boto3.client("ses").delete_identity(Identity="hey@example.com")  # SES now rejects our sender
    try:
        assert stack.api("POST", "/api/tickets/1/replies", body={"text": "hello"}).status_code == 202
        stack.drain()
    finally:
        boto3.client("ses").verify_email_identity(EmailAddress="hey@example.com")
    delivery = api(stack, "/api/tickets/1")["messages"][-1]["delivery"]
    # SES's MessageRejected is permanent: failed at once, listed for a replay, nothing in the DLQ.
    assert delivery["status"] == "failed" and "MessageRejected" in delivery["error"] and delivery["attempts"] == 1
    assert stack.queue_depth(stack.dlq_url) == 0
    [failure] = [f for f in stack.failures() if f["kind"] == "reply.deliver"]
    assert failure["ticket"] == 1 and failure["error_kind"] == "permanent"
    assert stack.api("POST", failure["retry"]).status_code == 200  # the sender is verified again
    assert api(stack, "/api/tickets/1")["messages"][-1]["delivery"]["status"] == "sent"
    assert [m["Subject"] for m in stack.sent_mail()].count("Re: " + api(stack, "/api/tickets/1")["subject"]) >= 1


def test_long_body_is_truncated_and_the_raw_mail_kept(stack: Stack) -> None:
    raw, _ = mail(body="line of text\n" * 10_000)
    stack.email(raw)
    first = api(stack, "/api/tickets/1")["messages"][0]
    assert len(first["text"]) < 70_000 and first["text"].endswith("kept with the original email.]")
    from chalicelib.models.tickets import Message

    item = next(iter(Message.query("email:" + first["key"].split("#email:", 1)[1])))
    bucket, _, key = item.raw_ref.removeprefix("s3://").partition("/")
    assert stack.services.aws.get_object(bucket, key) == raw
