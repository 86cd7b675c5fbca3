"""Parse raw MIME with the standard library's ``email`` package (``policy.default``).

Real mail is messy: bad charsets, malformed headers, missing boundaries. Every
accessor here degrades (raw header text, ``errors="replace"``) instead of raising,
so no message crashes the handler.
"""

from __future__ import annotations

import datetime as dt
import quopri
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import parsedate_to_datetime

from chalicelib.channels.email.decode import (
    decode_text,
    is_binary,
    repair_header_block,
    split_broken_multipart,
)
from chalicelib.channels.email.headers import addresses, clean, header, message_ids, normalise_id, raw_headers
from chalicelib.channels.email.html import html_to_text
from chalicelib.channels.email.reply import extract

__all__ = ["MAX_TEXT_CHARS", "Attachment", "ParsedEmail", "clean", "message_ids", "normalise_id", "parse_email"]

MAX_TEXT_CHARS = 64 * 1024
MAX_SCAN_CHARS = 256 * 1024
_QP_SOFT_BREAK = re.compile(rb"=\r?\n")
_QP_ESCAPE = re.compile(rb"=[0-9A-F]{2}")
_UNDECLARED_QP = re.compile(rb"=(?:C[2-9A-F]|D[0-9A-F]|E[0-9A-F])=[89AB][0-9A-F]")  # an escaped UTF-8 sequence


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    payload: bytes

    @property
    def size(self) -> int:
        return len(self.payload)


@dataclass
class ParsedEmail:
    message_id: str | None
    in_reply_to: list[str]
    references: list[str]
    from_address: str | None
    from_name: str | None
    to: list[str]
    cc: list[str]
    subject: str
    date: dt.datetime | None
    text: str
    reply_text: str
    truncated: bool
    attachments: list[Attachment]
    auto_submitted: str | None
    precedence: str | None
    list_id: str | None
    return_path: str | None
    x_autoreply: bool
    is_delivery_report: bool
    reported_message_ids: list[str] = field(default_factory=list)
    from_unambiguous: bool = False
    html: str | None = None
    charset_fallbacks: list[str] = field(default_factory=list)


def _charset(part: Message) -> str | None:
    try:
        value = part.get_param("charset")
    except Exception:  # noqa: BLE001 - a mangled parameter
        return None
    return value if isinstance(value, str) else None


def _payload(part: Message) -> bytes:
    """The decoded transfer encoding; bad base64 padding is repaired, never fatal."""
    try:
        payload = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001 - a transfer encoding the package cannot undo
        payload = None
    if isinstance(payload, bytes):
        if part.get("Content-Transfer-Encoding") is None and _UNDECLARED_QP.search(payload) \
                and (_QP_SOFT_BREAK.search(payload) or len(_QP_ESCAPE.findall(payload)) >= 4):
            return quopri.decodestring(payload)  # quoted-printable sent without saying so
        return payload
    raw = part.get_payload()
    return raw.encode("utf-8", errors="surrogateescape") if isinstance(raw, str) else b""


def _decode_bytes(payload: bytes, charset: str | None, notes: list[str] | None) -> str:
    text, note = decode_text(payload, charset)
    if note and notes is not None and f"body:{note}" not in notes:
        notes.append(f"body:{note}")
    return text


def _decode_part(part: Message, notes: list[str] | None = None) -> str:
    return _decode_bytes(_payload(part), _charset(part), notes)


def _children(part: Message, recovered: dict[int, list[Message]]) -> list[Message]:
    """Sub-parts; for a multipart whose boundary never matched, the parts found by
    ``_recover_parts`` (the payload is then one string holding everything)."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, Message)]
    if not part.is_multipart() and part.get_content_maintype() != "multipart":
        return []
    if id(part) not in recovered:
        body = payload.encode("utf-8", errors="surrogateescape") if isinstance(payload, str) else b""
        recovered[id(part)] = _recover_parts(body, part.get_boundary())
    return recovered[id(part)]


def _recover_parts(body: bytes, boundary: str | None) -> list[Message]:
    parser = BytesParser(policy=policy.default)
    parts = [parser.parsebytes(chunk) for chunk in split_broken_multipart(body, boundary)]
    return [p for p in parts if isinstance(p, Message)]


def _disposition(part: Message) -> str:
    try:
        return (part.get_content_disposition() or "").lower()
    except Exception:  # noqa: BLE001
        return ""


def _is_text_leaf(part: Message) -> bool:
    return part.get_content_type() in ("text/plain", "text/html") and _disposition(part) != "attachment"


@dataclass
class _Body:
    plain: list[Message] = field(default_factory=list)
    html: list[Message] = field(default_factory=list)
    decoded: dict[int, str] = field(default_factory=dict)
    binary: list[Message] = field(default_factory=list)
    empty: list[Message] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def usable(self, part: Message) -> bool:
        """Decode a candidate text part once; False for an empty or binary one."""
        if id(part) in self.decoded:
            return bool(self.decoded[id(part)].strip())
        payload = _payload(part)
        if is_binary(payload, _charset(part)):
            self.binary.append(part)
            self.decoded[id(part)] = ""
            return False
        text = _decode_bytes(payload, _charset(part), self.notes)
        if part.get_content_subtype() == "html":
            self.decoded[id(part)] = text if html_to_text(text).strip() else ""
        else:
            self.decoded[id(part)] = text.replace("\r\n", "\n")
        if not self.decoded[id(part)].strip():
            self.empty.append(part)
            return False
        return True


def _select(part: Message, body: _Body, recovered: dict[int, list[Message]]) -> tuple[list[Message], list[Message]]:
    """(plain parts, html parts) that make the body of ``part``."""
    ctype = part.get_content_type()
    if _is_text_leaf(part):
        if not body.usable(part):
            return [], []
        return ([part], []) if ctype == "text/plain" else ([], [part])
    if part.get_content_maintype() != "multipart":
        return [], []
    kids = _children(part, recovered)
    plain: list[Message] = []
    html: list[Message] = []
    if part.get_content_subtype() == "alternative":
        for kid in kids:  # the last non-empty alternative of each kind is the richest
            p, h = _select(kid, body, recovered)
            plain, html = p or plain, h or html
        return plain, html
    for kid in kids:
        if _disposition(kid) == "attachment" or kid.get_content_maintype() == "message":
            continue
        p, h = _select(kid, body, recovered)
        plain, html = plain + p, html + h
        if part.get_content_subtype() == "report" and (plain or html):
            break
    return plain, html


def _walk(part: Message, recovered: dict[int, list[Message]]) -> list[Message]:
    found = [part]
    for kid in _children(part, recovered):
        found += _walk(kid, recovered)
    return found


def _fallback_body(msg: Message, body: _Body, recovered: dict[int, list[Message]]) -> str | None:
    """No inline text/plain or text/html: any readable text part (inside attached messages too),
    else the preamble or raw body of a broken multipart."""
    for part in _walk(msg, recovered):
        if part.is_multipart() or _disposition(part) == "attachment":
            continue
        if (part.get_content_maintype() == "text" or part.get_content_subtype() == "plain") and (
            part.get_content_type() not in ("text/rfc822-headers",)
        ) and body.usable(part):
            body.plain.append(part)
            return None
    for part in _walk(msg, recovered):
        if part.get_content_maintype() != "multipart":
            continue
        raw = part.preamble or ""
        if not _children(part, recovered) and isinstance(part.get_payload(), str):
            raw = str(part.get_payload())
        data = raw.encode("utf-8", errors="surrogateescape")
        if re.search(r"\w", raw) and not is_binary(data):
            return _decode_bytes(data, None, body.notes)
    return None


def _attachments(msg: Message, body: _Body, recovered: dict[int, list[Message]]) -> list[Attachment]:
    skip = {id(p) for p in body.plain + body.html + body.empty}
    binary = {id(p) for p in body.binary}
    found = []
    for n, part in enumerate(_walk(msg, recovered), start=1):
        if id(part) in skip or part.is_multipart() or part.get_content_maintype() == "multipart":
            continue
        ctype = part.get_content_type()
        filename = None
        try:
            filename = part.get_filename()
        except Exception:  # noqa: BLE001 - a mangled filename parameter
            filename = None
        disposition = _disposition(part)
        if id(part) in binary:
            filename = filename or f"part-{n}.bin"
        elif not filename and disposition != "attachment":
            if ctype in ("message/rfc822", "message/delivery-status", "text/rfc822-headers"):
                filename = {"message/rfc822": "message.eml"}.get(ctype, ctype.split("/")[1] + ".txt")
            else:
                continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            raw = part.get_payload()
            payload = str(raw).encode("utf-8", errors="replace") if raw is not None else b""
        found.append(Attachment(clean(filename or "attachment"), ctype, payload))
    return found


def _reported_ids(msg: Message) -> list[str]:
    """Message-IDs of the original message inside a delivery report."""
    ids: list[str] = []
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype == "message/rfc822":
            inner = part.get_payload()
            for sub in inner if isinstance(inner, list) else []:
                if isinstance(sub, Message):
                    ids += message_ids(header(sub, "Message-ID"))
        elif ctype == "text/rfc822-headers":
            text = _decode_part(part)
            match = re.search(r"^Message-ID:\s*(.+)$", text, re.IGNORECASE | re.MULTILINE)
            if match:
                ids += message_ids(match.group(1))
    return ids


def _body_text(msg: EmailMessage, notes: list[str]) -> tuple[_Body, str | None, str | None, dict[int, list[Message]]]:
    body = _Body(notes=notes)
    recovered: dict[int, list[Message]] = {}
    plain_parts, html_parts = _select(msg, body, recovered)
    body.plain, body.html = plain_parts, html_parts
    raw_text = None if plain_parts or html_parts else _fallback_body(msg, body, recovered)
    plain = "\n\n".join(body.decoded[id(p)].strip() for p in body.plain) or raw_text
    html = "\n".join(body.decoded[id(p)] for p in body.html) or None
    return body, plain, html, recovered


def parse_email(raw: bytes) -> ParsedEmail:
    try:
        raw = repair_header_block(raw)
    except Exception:  # noqa: BLE001, S110 - leave the bytes as they came
        pass
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    notes: list[str] = []
    senders = addresses(msg, "From")
    body, plain, html, recovered = _body_text(msg, notes)
    subject = clean(" ".join((header(msg, "Subject", notes) or "").split()))
    # Only the start of a huge body is read for the reply (the ticket keeps at most MAX_TEXT_CHARS anyway).
    extracted = extract(clean(plain[:MAX_SCAN_CHARS]) if plain else None,
                        clean(html[:4 * MAX_SCAN_CHARS]) if html else None, subject=subject)
    text = clean(extracted.full_text)
    truncated = len(text) > MAX_TEXT_CHARS
    if truncated:
        text = text[:MAX_TEXT_CHARS]
    date = None
    try:
        raw_date = header(msg, "Date")
        date = parsedate_to_datetime(raw_date) if raw_date else None
        if date is not None and date.tzinfo is None:
            date = date.replace(tzinfo=dt.UTC)
    except (TypeError, ValueError, IndexError):
        date = None
    content_type = msg.get_content_type()
    # Delivery-status and disposition (read-receipt) reports alike are machine-made mail.
    is_report = content_type == "multipart/report"
    sender = senders[0].address if senders else None
    # One From header holding one mailbox, parsed without guessing: the only shape that may name a team member.
    from_unambiguous = len(senders) == 1 and senders[0].clean and len(raw_headers(msg, "From")) == 1
    local = (sender or "").split("@", 1)[0].lower()
    if local in ("mailer-daemon", "postmaster"):
        is_report = True
    ids = [clean(i) for i in message_ids(header(msg, "Message-ID"))]
    return ParsedEmail(
        message_id=ids[0] if ids else None,
        in_reply_to=message_ids(header(msg, "In-Reply-To")),
        references=message_ids(header(msg, "References")),
        from_address=sender,
        from_name=senders[0].name if senders else None,
        from_unambiguous=from_unambiguous,
        to=[m.address for m in addresses(msg, "To")],
        cc=[m.address for m in addresses(msg, "Cc")],
        subject=subject,
        date=date,
        text=text,
        reply_text=clean(extracted.reply_text)[:MAX_TEXT_CHARS],
        html=clean(html) if html else None,
        truncated=truncated,
        attachments=_attachments(msg, body, recovered),
        auto_submitted=(header(msg, "Auto-Submitted") or None),
        precedence=(header(msg, "Precedence") or None),
        list_id=(header(msg, "List-Id") or None),
        return_path=header(msg, "Return-Path"),
        x_autoreply=header(msg, "X-Autoreply") is not None or header(msg, "X-Autorespond") is not None,
        is_delivery_report=is_report,
        reported_message_ids=_reported_ids(msg) if is_report else [],
        charset_fallbacks=notes,
    )
