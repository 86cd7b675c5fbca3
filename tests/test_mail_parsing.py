"""Email text handling on real client formats, and the SMTP ingress's size limit."""

from __future__ import annotations

import smtplib
import socket
from pathlib import Path

import pytest

from chalicelib.mail.parse import parse_email
from chalicelib.mail.text import html_to_text, strip_quoted
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
