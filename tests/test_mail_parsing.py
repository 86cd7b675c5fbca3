"""Email text handling on real client formats, and the SMTP ingress's size limit."""

from __future__ import annotations

import smtplib
import socket
from pathlib import Path

import pytest

from chalicelib.channels.email.html import html_to_text
from chalicelib.channels.email.parse import parse_email
from chalicelib.channels.email.reply import reply_of as strip_quoted
from tests.conftest import corpus_dir


@pytest.mark.parametrize("client", ["iphone", "thunderbird", "outlook", "hotmail", "yahoo", "apple_mail"])
def test_quoted_history_is_cut_from_real_replies(client: str) -> None:
    path = corpus_dir("email") / f"talon__standard_replies-{client}.eml"
    assert parse_email(path.read_bytes()).reply_text == "Hello"


def test_strip_quoted_keeps_new_text_and_drops_signature() -> None:
    text = "Thanks, that worked.\n\n-- \nCasey\nCTO\n\nOn Mon, 1 Jan 2026 at 10:00, Support <hey@x> wrote:\n> old"
    assert strip_quoted(text) == "Thanks, that worked."
    assert strip_quoted("no quotes here") == "no quotes here"


def test_html_to_text() -> None:
    html = "<html><head><style>p{}</style></head><body><p>Hi&nbsp;there</p><ul><li>one</li><li>two</li></ul>" \
           "<script>alert(1)</script><br>bye</body></html>"
    assert html_to_text(html) == "Hi there\n\n- one\n- two\n\nbye"


def test_encoded_headers_and_charsets_decode() -> None:
    folder = corpus_dir("email")
    parsed = parse_email((folder / "mikelmail__multi_charset-japanese_iso_2022.eml").read_bytes())
    assert parsed.subject and "?=" not in parsed.subject
    assert parsed.text
    utf8 = parse_email((folder / "mikelmail__rfc6532-utf8_headers.eml").read_bytes())
    assert utf8.from_address == "jdöe@mächine.example"


def test_disposition_notification_counts_as_a_report() -> None:
    parsed = parse_email((corpus_dir("email") / "flanker__disposition-notification.eml").read_bytes())
    assert parsed.is_delivery_report


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_smtp_ingress_refuses_mail_over_40_mb(moto_endpoint: str, tmp_path: Path) -> None:
    import boto3

    from devstack.smtp import start_smtp

    boto3.client("s3").create_bucket(Bucket="smtp-size-test")
    topic = boto3.client("sns").create_topic(Name="smtp-size-test")["TopicArn"]
    port = _free_port()
    controller = start_smtp(host="127.0.0.1", port=port, bucket="smtp-size-test", topic_arn=topic,
                            region="us-east-1", endpoint_url=moto_endpoint)
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=60) as client:
            client.sendmail("a@acme.example", ["hey@example.com"], b"Subject: small\r\n\r\nhello\r\n")
            big = b"Subject: big\r\n\r\n" + (b"x" * 998 + b"\r\n") * (41 * 1024)
            with pytest.raises(smtplib.SMTPException) as refused:
                client.sendmail("a@acme.example", ["hey@example.com"], big)
            assert "552" in str(refused.value) or getattr(refused.value, "smtp_code", 0) == 552
    finally:
        controller.stop()
    stored = boto3.client("s3").list_objects_v2(Bucket="smtp-size-test").get("Contents", [])
    assert len(stored) == 1  # only the small message


# Shapes met in other projects' public suites, each written here in our own words.
@pytest.mark.parametrize(("text", "reply"), [
    ("Megvan, köszönöm.\n\nÜgyfélszolgálat <help@example.hu> ezt írta (időpont: 2026. márc. 3., K 10:04):\n"
     "Kedves Anna,\nküldje el a számot.", "Megvan, köszönöm."),
    ("Átnéztem, rendben van.\n\n2026. 03. 03. 10:04 keltezéssel, Kovács Béla a következőt írta:\nKérem nézze át.",
     "Átnéztem, rendben van."),
    ("Od: Jan Nowak <jan@example.pl>\nWysłano: wtorek, 3 marca 2026 10:04\nTemat: Faktura\n\nDzień dobry,\n"
     "faktura jest błędna.\n\nDnia 2 marca 2026 10:00 Pomoc <help@example.com> napisał(a):\n> Prosimy o numer.",
     "Dzień dobry,\nfaktura jest błędna."),
    ("Noted.\n\nSent from my desk, which beats typing on my phone.", None),
    ("Danke.\n\n-----Antwort Nachricht-----\nVon: help@example.com", "Danke."),
    ("Thanks\n\nDate: Tue, 3 Mar 2026 10:04:11 +0100\nTo: help@example.com\n\nOld text", "Thanks"),
    ("Got it.\n\nDate: Tue, 3 Mar 2026 10:04 From: help@example.com To: Ana Subject: Export\n\nOld text", "Got it."),
    ("Tak for hjælpen.\n\n3. marts 2026 kl. 10.04 skrev Support <help@example.com>:\n> Hej", "Tak for hjælpen."),
    ("ok--- On Tue, Mar 3, 2026 at 10:04 AM, help@example.com wrote:\n> Hi", "ok"),
    ("Fixed, thanks\n\nOn Tue, Mar 3, 2026 at 10:04 AM Support <help@example.com> wrote:\n> See the report at <http://\n"
     "example.com/report?id=123456789\n> > and tell us.", "Fixed, thanks"),
    ("Prix de l=E2=80=99export\n", None),
])
def test_reply_shapes_from_public_suites(text: str, reply: str | None) -> None:
    from chalicelib.channels.email.reply import reply_of

    assert reply_of(text) == (text.strip() if reply is None else reply)


@pytest.mark.parametrize(("html", "reply"), [
    ("Reply<blockquote>Quoted by me</blockquote><div>On Tue, Mar 3, 2026 at 10:04 AM Bob &lt;b@example.com&gt; "
     "wrote:</div><blockquote>old</blockquote>", "Reply\n\nQuoted by me"),
    ("<div>Thanks</div><blockquote>old question</blockquote><div>Confidential: for the addressee only.</div>",
     "Thanks\n\nConfidential: for the addressee only."),
    ("Look at this:<blockquote class=\"gmail_quote\" style=\"margin:0 0 0 40px\">The docs say X.</blockquote>",
     "Look at this:\n\nThe docs say X."),
    ("Reply<div><hr/><div><b>From: bob@example.com</b> <b>Date: Tue, 3 Mar 2026 10:04</b></div>"
     "<div>Quoted</div></div>", "Reply"),
])
def test_html_reply_shapes_from_public_suites(html: str, reply: str) -> None:
    from chalicelib.channels.email.reply import extract

    assert extract(None, html).reply_text == reply


def test_undeclared_quoted_printable_is_decoded() -> None:
    raw = (b"From: a@example.fr\r\nSubject: x\r\n\r\nMerci\r\n\r\n"
           b"Le mar. 3 mars 2026 =C3=A0 10:04, Support <help@exa=\r\nmple.com> a =C3=A9crit :\r\n> Bonjour\r\n")
    parsed = parse_email(raw)
    assert parsed.reply_text == "Merci" and "à 10:04" in parsed.text
