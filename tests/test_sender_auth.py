"""Who an email is from: a team address counts only when SES proves it, and the address is read
from the raw ``From`` header, never from a display name or an encoded word."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.channels.email.addresses import parse_mailboxes
from chalicelib.channels.email.intake import sender_authenticated
from chalicelib.channels.email.parse import parse_email
from tests.conftest import Stack

HERO = "U0HERO2"  # Bo: the Support Hero on Wednesday 2 December 2026 (sprint 2 of the dev rotation)
FAILED = {"spf": "FAIL", "dkim": "FAIL", "dmarc": "FAIL"}


def raw_mail(frm: str, body: str, message_id: str, subject: str = "Builds fail", **headers: str) -> bytes:
    lines = [f"From: {frm}", "To: hey@example.com", f"Subject: {subject}", f"Message-ID: <{message_id}>"]
    lines += [f"{k.replace('_', '-')}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n" + body + "\r\n").encode()


def ticket(stack: Stack, number: int = 1) -> Any:
    response = stack.api("GET", f"/api/tickets/{number}")
    assert response.status_code == 200, response.body
    return json.loads(response.body)


def hero_dms(stack: Stack) -> list[str]:
    return [c["params"]["text"] for c in stack.slack.calls("chat.postMessage")
            if c["params"].get("channel") == "D" + HERO]


def customer_asks(stack: Stack, clock: Any) -> None:
    stack.email(raw_mail("Wile E. <wile@acme.example>", "Our builds fail.", "q1@acme.example"))
    assert len(stack.sent_mail()) == 1  # the acknowledgement
    clock.advance(minutes=5)  # what follows arrives later


# -- the sender rule, end to end -----------------------------------------------------------------
def test_forged_team_address_is_a_customer_message_and_the_hero_is_told_once(timed: tuple[Stack, Any]) -> None:
    stack, clock = timed
    customer_asks(stack, clock)
    before = ticket(stack)
    forged = raw_mail("Ada Hero <ada@example.com>", "All fixed, closing.", "forged1@evil.example",
                      subject="Re: Builds fail", In_Reply_To="<q1@acme.example>")
    stack.email(forged, verdicts=FAILED)
    stack.email(forged, verdicts=FAILED)  # SES redelivers it

    after = ticket(stack)
    last = after["messages"][-1]
    assert last["role"] == "customer" and last["text"] == "All fixed, closing."
    assert [m["text"] for m in after["messages"]].count("All fixed, closing.") == 1
    assert after["first_response_at"] is None and before["first_response_at"] is None
    assert after["status"] == before["status"] == "new" and after["assignee"] is None
    assert "unverified-team-address" in after["tags"] and {"spf-fail", "dkim-fail", "dmarc-fail"} <= set(after["tags"])
    assert len(stack.sent_mail()) == 1  # nothing more went out
    [told] = [t for t in hero_dms(stack) if "unverified-team-address" in t]
    assert "ada@example.com" in told and "#1" in told


def test_authenticated_team_mail_is_the_agents_reply(timed: tuple[Stack, Any]) -> None:
    stack, clock = timed
    customer_asks(stack, clock)
    stack.email(raw_mail("Ada Hero <ada@example.com>", "Looking at it now.", "real1@example.com",
                         subject="Re: Builds fail", In_Reply_To="<q1@acme.example>"),
                verdicts={"spf": "PASS", "dkim": "PASS", "dmarc": "PASS"})
    after = ticket(stack)
    assert after["messages"][-1]["role"] == "agent" and after["messages"][-1]["author"]["id"] == "ada"
    assert after["first_response_at"] is not None and after["status"] == "open"
    assert "unverified-team-address" not in after["tags"]
    assert not [t for t in hero_dms(stack) if "unverified-team-address" in t]


def test_forged_team_address_never_reopens_a_pending_ticket(timed: tuple[Stack, Any]) -> None:
    stack, clock = timed
    customer_asks(stack, clock)
    version = ticket(stack)["version"]
    assert stack.api("PATCH", "/api/tickets/1", body={"version": version, "status": "pending"}).status_code == 200
    stack.email(raw_mail("ada@example.com", "reopen please", "forged2@evil.example", In_Reply_To="<q1@acme.example>"),
                verdicts={"spf": "SOFTFAIL", "dkim": "GRAY", "dmarc": "GRAY"})
    after = ticket(stack)
    assert after["status"] == "pending" and after["messages"][-1]["role"] == "customer"


def test_a_new_mail_from_a_forged_team_address_gets_no_acknowledgement(timed: tuple[Stack, Any]) -> None:
    stack, _clock = timed
    stack.email(raw_mail("Bo Agent <bo@example.com>", "Please wire the money", "forged3@evil.example"),
                verdicts=FAILED)
    opened = ticket(stack)
    assert "unverified-team-address" in opened["tags"] and "auto-submitted" not in opened["tags"]
    assert stack.sent_mail() == []  # no acknowledgement to the real Bo (or anyone)
    assert [t for t in hero_dms(stack) if "unverified-team-address" in t]


@pytest.mark.parametrize(("frm", "verdicts", "source"), [
    # DKIM passed for some domain, but the From domain's DMARC says this is not its mail.
    ("Ada Hero <ada@example.com>", {"dkim": "PASS", "spf": "PASS", "dmarc": "FAIL"}, None),
    # SPF vouches for the envelope sender only: evil.example is not example.com.
    ("Ada Hero <ada@example.com>", {"dkim": "FAIL", "spf": "PASS", "dmarc": "GRAY"}, "eve@evil.example"),
    # A display name is not an address.
    ('"ada@example.com" <eve@evil.example>', {}, None),
    ("ada@example.com <eve@evil.example>", {}, None),
    # Two mailboxes in From: which one sent it cannot be told.
    ("Ada Hero <ada@example.com>, Eve <eve@evil.example>", {}, None),
])
def test_unproven_or_ambiguous_senders_are_never_the_team(timed: tuple[Stack, Any], frm: str,
                                                          verdicts: dict[str, str], source: str | None) -> None:
    stack, clock = timed
    customer_asks(stack, clock)
    stack.email(raw_mail(frm, "Done, closing", "x1@evil.example", In_Reply_To="<q1@acme.example>"),
                verdicts=verdicts, source=source)
    after = ticket(stack)
    assert after["messages"][-1]["role"] == "customer" and after["first_response_at"] is None
    assert after["status"] == "new"


def test_spf_pass_for_the_from_domain_is_enough(timed: tuple[Stack, Any]) -> None:
    stack, clock = timed
    customer_asks(stack, clock)
    stack.email(raw_mail("Ada Hero <ada@example.com>", "On it", "r2@example.com", In_Reply_To="<q1@acme.example>"),
                verdicts={"dkim": "GRAY", "spf": "PASS", "dmarc": "GRAY"}, source="bounces@mail.example.com")
    assert ticket(stack)["messages"][-1]["role"] == "agent"


def test_encoded_from_header_yields_the_real_address(stack: Stack) -> None:
    raw = raw_mail("=?utf-8?q?Name=0D=0ABcc:_victim@evil.example?= <real@acme.example>", "hello", "enc@acme.example")
    stack.email(raw)
    opened = ticket(stack)
    assert opened["requester"]["id"] == "real@acme.example" and opened["customer"] == "acme"
    [ack] = stack.sent_mail()
    assert [a.addr_spec for a in ack["To"].addresses] == ["real@acme.example"]
    assert ack.get("Bcc") is None and "victim" not in str(ack["To"]).lower().replace("victim@evil", "")


# -- the rule and the parser, unit by unit --------------------------------------------------------
@pytest.mark.parametrize(("verdicts", "source", "frm", "expected"), [
    ({"spf": "PASS", "dkim": "PASS", "dmarc": "PASS"}, "a@example.com", "a@example.com", True),
    ({"spf": "FAIL", "dkim": "PASS", "dmarc": "GRAY"}, "a@x.example", "a@example.com", True),
    ({"spf": "PASS", "dkim": "FAIL", "dmarc": "GRAY"}, "a@example.com", "a@example.com", True),
    ({"spf": "PASS", "dkim": "FAIL", "dmarc": "GRAY"}, "a@sub.example.com", "a@example.com", True),
    ({"spf": "PASS", "dkim": "FAIL", "dmarc": "GRAY"}, "a@notexample.com", "a@example.com", False),
    ({"spf": "PASS", "dkim": "FAIL", "dmarc": "GRAY"}, "", "a@example.com", False),
    ({"spf": "PASS", "dkim": "PASS", "dmarc": "FAIL"}, "a@example.com", "a@example.com", False),
    ({"spf": "FAIL", "dkim": "FAIL", "dmarc": "GRAY"}, "a@example.com", "a@example.com", False),
    ({}, "a@example.com", "a@example.com", False),  # no verdicts at all: fail closed
    ({"spf": "PROCESSING_FAILED", "dkim": "PROCESSING_FAILED"}, "a@example.com", "a@example.com", False),
])
def test_sender_authenticated(verdicts: dict[str, str], source: str, frm: str, expected: bool) -> None:
    assert sender_authenticated(verdicts, source, frm) is expected


@pytest.mark.parametrize(("header", "address", "name", "clean"), [
    ("Ada Hero <ada@example.com>", "ada@example.com", "Ada Hero", True),
    ("ada@example.com", "ada@example.com", None, True),
    ("Ada Hero\r\n <ADA@Example.COM>", "ada@example.com", "Ada Hero", True),
    ('"Hero, Ada" <ada@example.com>', "ada@example.com", "Hero, Ada", True),
    ('"Bad \\" Name" <real@acme.example>', "real@acme.example", 'Bad " Name', True),
    ("=?utf-8?q?Name=0D=0ABcc:_victim@evil.example?= <real@acme.example>", "real@acme.example",
     "Name Bcc: victim@evil.example", True),
    ("=?utf-8?b?QWRhIDxhZGFAZXhhbXBsZS5jb20+?= <eve@evil.example>", "eve@evil.example", "Ada <ada@example.com>",
     True),
    ("=?iso-8859-1?q?J=F6rg?= Doe <jorg@example.org>", "jorg@example.org", "Jörg Doe", True),
    ("ada@example.com <eve@evil.example>", "eve@evil.example", "ada@example.com", True),
    ('"ada@example.com" <eve@evil.example>', "eve@evil.example", "ada@example.com", True),
    ("eve@evil.example (ada@example.com)", "eve@evil.example", None, True),
    ('"Ada" <ada@example.com> (Hero)', "ada@example.com", "Ada", True),
    ("a@b@c <real@acme.example>", "real@acme.example", "a@b@c", True),
    ("Zoë <zoe@exämple.de>", "zoe@exämple.de", "Zoë", True),
    # Malformed: still the real address, never display text, and never clean enough for identity.
    ("<eve@evil.example> ada@example.com", "eve@evil.example", None, False),
    ("=?utf-8?q?Name=0D=0A?= real@acme.example", "real@acme.example", None, False),
    ("Name <real@acme.example", "real@acme.example", "Name", False),
    ("The Service <The Service <hello@service.example>>", "hello@service.example", "The Service", False),
    ("Friends: ada@example.com;", "ada@example.com", None, False),
    ("ada@example.com eve@evil.example", "eve@evil.example", None, False),
])
def test_mailbox_parsing(header: str, address: str, name: str | None, clean: bool) -> None:
    [box, *_rest] = parse_mailboxes(header)
    assert (box.address, box.name, box.clean) == (address, name, clean)


@pytest.mark.parametrize("header", ["", "undisclosed-recipients:;", "=?utf-8?q?ada@example.com?=", "Ada Hero",
                                    '"ada@example.com"', "(ada@example.com)", "<not an address>", "<>"])
def test_headers_without_an_address(header: str) -> None:
    assert parse_mailboxes(header) == []


def test_two_from_headers_are_ambiguous() -> None:
    parsed = parse_email(b"From: Ada Hero <ada@example.com>\r\nFrom: Eve <eve@evil.example>\r\n"
                         b"Subject: x\r\n\r\nhi\r\n")
    assert parsed.from_address == "ada@example.com" and not parsed.from_unambiguous
    single = parse_email(b"From: Ada Hero <ada@example.com>\r\nSubject: x\r\n\r\nhi\r\n")
    assert single.from_unambiguous


def test_outbound_headers_hold_customer_text_on_one_line() -> None:
    from email import policy
    from email.parser import BytesParser

    from chalicelib.channels.email.mailer import Mailer

    mailer = Mailer(ses=lambda: None, region="us-east-1", support_address="hey@example.com")
    msg = mailer.build(to="eve@acme.example", to_name="Eve\r\nBcc: victim@evil.example",
                       subject="Help\r\nBcc: victim2@evil.example\u2028X-Injected: 1", text="hi",
                       from_name="Ada\nReply-To: evil@evil.example", reply_to=None, in_reply_to=None, references=[])
    parsed = BytesParser(policy=policy.default).parsebytes(msg.as_bytes())
    assert parsed.get_all("Bcc") is None and parsed.get("X-Injected") is None
    assert parsed.get_all("Reply-To") is None
    assert [a.addr_spec for a in parsed["To"].addresses] == ["eve@acme.example"]
    assert parsed["Subject"] == "Help Bcc: victim2@evil.example X-Injected: 1"
