"""MIME parsing never loses content: every message that holds text yields non-empty, correctly
decoded ticket text (real mail from ../shared/corpus/email plus malformed cases written here).

The score (share of messages with content that pass) is printed in the terminal summary.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from email import policy
from email.message import Message
from email.parser import BytesParser
from typing import Any

import pytest

from chalicelib.channels.email.decode import decode_text, decode_words, is_binary, recover_raw
from chalicelib.channels.email.parse import MAX_TEXT_CHARS, ParsedEmail, clean, parse_email
from tests.conftest import corpus_dir

HEAD = b"From: Ana <ana@example.com>\nTo: help@example.com\nSubject: Help\nMessage-ID: <m1@example.com>\n"
MIME = HEAD + b"MIME-Version: 1.0\n"
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 40 + bytes(range(256)) * 8


@dataclass(frozen=True)
class Case:
    name: str
    raw: bytes
    expect: str | None = None  # a substring the ticket text must hold (None: attachment-only)
    attachments: tuple[str, ...] = ()  # names that must be listed
    subject: str | None = None
    fallback: str | None = None  # an entry of charset_fallbacks


def _alt(plain: bytes, html: bytes, boundary: bytes = b"b1", declared: bytes = b"b1") -> bytes:
    return (MIME + b'Content-Type: multipart/alternative; boundary="' + declared + b'"\n\n'
            b"--" + boundary + b"\nContent-Type: text/plain; charset=utf-8\n\n" + plain + b"\n"
            b"--" + boundary + b"\nContent-Type: text/html; charset=utf-8\n\n" + html + b"\n"
            b"--" + boundary + b"--\n")


def _nested(depth: int, inner: bytes) -> bytes:
    if depth == 0:
        return inner
    b = b"lvl%d" % depth
    return (b'Content-Type: multipart/mixed; boundary="' + b + b'"\n\n--' + b + b"\n"
            + _nested(depth - 1, inner) + b"\n--" + b + b"--\n")


GBK = "镕基先生喆喆"
CASES = [
    Case("empty plain + html alternative", _alt(b"", b"<html><body><p>The printer is on fire</p></body></html>"),
         "The printer is on fire"),
    Case("whitespace plain + html", _alt(b"  \n \n", b"<div>Need a refund</div>"), "Need a refund"),
    Case("wrong boundary parameter", _alt(b"Hello from the real boundary", b"<b>x</b>", b"real", b"declared"),
         "Hello from the real boundary"),
    Case("missing start boundary",
         MIME + b'Content-Type: multipart/mixed; boundary="zz"\n\nMy account is locked, please help.\n--zz--\n',
         "My account is locked"),
    Case("no delimiter at all", MIME + b'Content-Type: multipart/mixed; boundary="q"\n\nJust text, no parts.\n',
         "Just text, no parts"),
    Case("8-bit utf-8 no charset",
         MIME + b"Content-Type: text/plain\nContent-Transfer-Encoding: 8bit\n\n" + "Envoyé par iPhone".encode(),
         "Envoyé par", fallback="body:utf-8 (declared none)"),
    Case("us-ascii labelled utf-8",
         MIME + b"Content-Type: text/plain; charset=us-ascii\n\n" + "Merci, ça marche".encode(),
         "ça marche", fallback="body:utf-8 (declared us-ascii)"),
    Case("latin-1 header bytes", HEAD.replace(b"Subject: Help", "Subject: Problème café".encode("latin-1"))
         + b"\nbody text", "body text", subject="Problème café", fallback="header:Subject:cp1252"),
    Case("gb2312 labelled gbk", MIME + b"Content-Type: text/plain; charset=gb2312\n"
         b"Content-Transfer-Encoding: base64\n\n" + base64.b64encode(GBK.encode("gbk")), GBK,
         fallback="body:gbk (declared gb2312)"),
    Case("cp1252 smart quotes as iso-8859-1", MIME + b"Content-Type: text/plain; charset=iso-8859-1\n\n"
         + "“café” – it’s broken".encode("cp1252"), "“café” – it’s broken",
         fallback="body:cp1252 (declared iso-8859-1)"),
    Case("cp1252 no charset",
         MIME + b"Content-Type: text/plain\n\n" + "Ceci est très bien, merci à vous".encode("cp1252"), "très bien"),
    Case("OLE blob in text/plain", MIME + b'Content-Type: multipart/mixed; boundary="m"\n\n--m\n'
         b"Content-Type: text/plain\n\nThe screenshot is attached.\n--m\nContent-Type: text/plain\n"
         b"Content-Transfer-Encoding: base64\n\n" + base64.b64encode(OLE) + b"\n--m--\n",
         "screenshot is attached", attachments=("part-3.bin",)),
    Case("binary-only text/plain", MIME + b"Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n"
         + base64.b64encode(OLE), None, attachments=("part-1.bin",)),
    Case("no blank line after headers", HEAD + b"Content-Type: text/plain\nPlease reset my password now.\n",
         "reset my password"),
    Case("garbage header line", HEAD + b"this line is not a header\nContent-Type: text/plain; charset=utf-8\n\n"
         + "Où est ma commande ?".encode(), "Où est ma commande"),
    Case("message/rfc822 only", MIME + b'Content-Type: multipart/mixed; boundary="r"\n\n--r\n'
         b"Content-Type: message/rfc822\n\nFrom: x@example.org\nSubject: fwd\n\nForwarded words here.\n--r--\n",
         "Forwarded words here"),
    Case("attachment only", MIME + b'Content-Type: multipart/mixed; boundary="a"\n\n--a\n'
         b'Content-Type: application/pdf; name="invoice.pdf"\nContent-Disposition: attachment; filename="invoice.pdf"\n'
         b"Content-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n--a--\n", None, attachments=("invoice.pdf",)),
    Case("text attachment is no body", MIME + b'Content-Type: multipart/mixed; boundary="t"\n\n--t\n'
         b"Content-Type: text/plain\n\nSee the log.\n--t\nContent-Type: text/plain\n"
         b'Content-Disposition: attachment; filename="log.txt"\n\nERROR 42\n--t--\n', "See the log",
         attachments=("log.txt",)),
    Case("base64 bad padding", MIME + b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
         + base64.b64encode("Bonjour, où est mon colis".encode()).rstrip(b"="), "Bonjour"),
    Case("quoted-printable soft breaks", MIME + b"Content-Type: text/plain; charset=utf-8\n"
         b"Content-Transfer-Encoding: quoted-printable\n\nThe caf=C3=A9 order num=\nber is 1234 and it is la=\nte.\n",
         "café order number is 1234 and it is late"),
    Case("nested 4 deep", MIME + _nested(4, b"Content-Type: text/plain; charset=utf-8\n\nDeep inside.\n"),
         "Deep inside"),
    Case("dashed delimiter, boundary without dashes", _alt(b"Dashed hello", b"<p>x</p>", b"--dash--", b"dash"),
         "Dashed hello"),
    Case("related inside alternative", MIME + b'Content-Type: multipart/alternative; boundary="o"\n\n--o\n'
         b"Content-Type: text/plain\n\n\n--o\nContent-Type: multipart/related; boundary=\"i\"\n\n--i\n"
         b"Content-Type: text/html; charset=utf-8\n\n<p>Rich only</p>\n--i\nContent-Type: image/png\n"
         b"Content-ID: <c1>\nContent-Transfer-Encoding: base64\n\niVBORw0KGgo=\n--i--\n--o--\n", "Rich only"),
    Case("huge body", MIME + b"Content-Type: text/plain\n\n" + b"lorem ipsum " * 9000, "lorem ipsum"),
]


def has_content(raw: bytes) -> bool:
    """An independent judgement: a text/plain or text/html part (not an attachment, not a blob)
    with letters, or letters in the unparsed body of a broken multipart."""
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    for part in msg.walk():
        payload = part.get_payload()
        if part.get_content_maintype() == "multipart" and isinstance(payload, str) and re.search(r"[A-Za-z]", payload):
            return True
        if part.is_multipart() or (part.get_content_disposition() or "") == "attachment":
            continue
        if part.get_content_type() not in ("text/plain", "text/html") and part.get_content_subtype() != "plain":
            continue
        data = part.get_payload(decode=True)
        if isinstance(data, bytes) and b"\x00\x00\x00" not in data:
            stripped = re.sub(rb"<(style|script|head)[^>]*>.*?</\1>|<[^>]*>", b"", data, flags=re.S | re.I)
            if re.search(rb"[A-Za-z\x80-\xff]", stripped):
                return True
    return False


def problems(parsed: ParsedEmail, raw: bytes) -> list[str]:
    text = parsed.text
    found = []
    if not text.strip():
        found.append("empty text")
    if "\ufffd" in text and b"\xef\xbf\xbd" not in raw:
        found.append("U+FFFD in text")
    if "\x00" in text:
        found.append("NUL in text")
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f")
    if text and controls * 20 > len(text):
        found.append("binary garbage")
    return found


def _score_line(label: str, ok: int, total: int) -> str:
    share = 100 * ok / max(total, 1)
    return f"MIME corpus ({label}): {ok}/{total} messages with content yield clean text ({share:.0f} %)"


def test_shared_corpus_every_message_with_content_yields_text(corpus_score: Any) -> None:
    files = sorted(p for p in corpus_dir("email").iterdir() if p.is_file())
    failed, ok, total = [], 0, 0
    for path in files:
        raw = path.read_bytes()
        parsed = parse_email(raw)
        if has_content(raw):
            total += 1
            found = problems(parsed, raw)
            ok += not found
            if found:
                failed.append(f"{path.name}: {', '.join(found)}")
        else:  # genuinely no text: what it carries is listed as attachments (or it carries nothing)
            assert parsed.attachments or not _leaves_with_payload(raw), path.name
    corpus_score(_score_line("shared", ok, total))
    assert total > 80
    assert not failed, "\n".join(failed)


def _leaves_with_payload(raw: bytes) -> list[Message]:
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    return [p for p in msg.walk() if not p.is_multipart()
            and p.get_content_maintype() not in ("text", "message", "multipart")
            and (p.get_payload(decode=True) or b"").strip()]


def test_malformed_cases(corpus_score: Any) -> None:
    failed, ok, total = [], 0, 0
    for case in CASES:
        parsed = parse_email(case.raw)
        names = [a.filename for a in parsed.attachments]
        found = [f"attachment {n} missing from {names}" for n in case.attachments if n not in names]
        if case.expect is not None:
            total += 1
            found += problems(parsed, case.raw)
            if case.expect not in parsed.text:
                found.append(f"{case.expect!r} not in {parsed.text[:120]!r}")
        elif parsed.text.strip():
            found.append(f"attachment-only mail has text {parsed.text[:80]!r}")
        if case.subject is not None and parsed.subject != case.subject:
            found.append(f"subject {parsed.subject!r}")
        if case.fallback is not None and case.fallback not in parsed.charset_fallbacks:
            found.append(f"fallback {case.fallback!r} not in {parsed.charset_fallbacks}")
        ok += not found and case.expect is not None
        if found:
            failed.append(f"{case.name}: {'; '.join(found)}")
    corpus_score(_score_line("own cases", ok, total))
    assert not failed, "\n".join(failed)


def test_body_parts_are_not_attachments_and_html_is_exposed() -> None:
    parsed = parse_email(_alt(b"plain words", b"<p>html words</p>"))
    assert parsed.text == "plain words"
    assert parsed.html is not None and "html words" in parsed.html
    assert parsed.attachments == []
    only_html = parse_email(_alt(b"", b"<p>html words</p>"))
    assert only_html.text == "html words" and only_html.attachments == []


def test_huge_body_is_truncated() -> None:
    parsed = parse_email(CASES[-1].raw)
    assert parsed.truncated and len(parsed.text) == MAX_TEXT_CHARS


@pytest.mark.parametrize("raw", [b"", b"\x00\xff" * 50, b"Content-Type: multipart/mixed; boundary=\n\n--\n--\n",
                                 b"\n\n\n", b"Subject: =?gb2312?B?!!?=\n\n\xff", OLE])
def test_never_raises(raw: bytes) -> None:
    assert isinstance(parse_email(raw), ParsedEmail)


# --- the charset chain -----------------------------------------------------------------------------

@pytest.mark.parametrize(("data", "declared", "text", "note"), [
    (b"plain", None, "plain", None),
    ("déjà".encode(), "utf-8", "déjà", None),
    ("déjà".encode(), None, "déjà", "utf-8 (declared none)"),
    ("déjà".encode(), "us-ascii", "déjà", "utf-8 (declared us-ascii)"),
    ("déjà".encode("latin-1"), "iso-8859-1", "déjà", None),
    ("“quoted”".encode("cp1252"), "iso-8859-1", "“quoted”", "cp1252 (declared iso-8859-1)"),
    (GBK.encode("gbk"), "gb2312", GBK, "gbk (declared gb2312)"),
    ("한국어".encode("cp949"), "ks_c_5601-1987", "한국어", None),
    ("日本語の～".encode("cp932"), "shift_jis", "日本語の～", "cp932 (declared shift_jis)"),
    ("日本語".encode("iso-2022-jp"), "iso-2022-jp", "日本語", None),
    ("déjà vu".encode(), "x-unknown-charset", "déjà vu", "utf-8 (declared x-unknown-charset)"),
])
def test_charset_chain(data: bytes, declared: str | None, text: str, note: str | None) -> None:
    assert decode_text(data, declared) == (text, note)


def test_charset_chain_detects_then_falls_back_to_cp1252() -> None:
    text, note = decode_text("Très bien, merci à vous et à toute l'équipe".encode("cp1252"), None)
    assert "équipe" in text and note is not None and note.endswith("(declared none)")
    odd, note = decode_text(b"\x81\x8d\x8f\x90\x9d", "ascii")
    assert "\ufffd" not in odd and note is not None


def test_header_bytes_recover_as_utf8_else_cp1252() -> None:
    assert recover_raw("caf\udcc3\udca9") == ("café", False)
    assert recover_raw("caf\udce9") == ("café", True)
    assert clean("smart \udc93quotes\udc94") == "smart “quotes”"
    assert decode_words("=?gb2312?B?" + base64.b64encode(GBK.encode("gbk")).decode() + "?=")[0] == GBK


def test_binary_detection() -> None:
    assert is_binary(OLE)
    assert is_binary(bytes(range(1, 32)) * 10)
    assert not is_binary(b"Hello,\r\n\tthe form\x0cfeed\r\n")
    assert not is_binary(b"a lone =00 NUL \x00 in a long line of ordinary text, as QP typos make")
    assert not is_binary("日本語".encode("iso-2022-jp"))
    assert not is_binary("text".encode("utf-16"), "utf-16")
    assert not is_binary(b"")
