"""Parse raw MIME with the standard library's ``email`` package (``policy.default``).

Real mail is messy: bad charsets, malformed headers, missing boundaries. Every
accessor here degrades (raw header text, ``errors="replace"``) instead of raising,
so no message crashes the handler.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import parsedate_to_datetime

from chalicelib.mail.addresses import Mailbox, parse_mailboxes
from chalicelib.mail.text import html_to_text, strip_quoted

MAX_TEXT_CHARS = 64 * 1024
_MSGID = re.compile(r"<([^<>\s]+)>")


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


def clean(value: str) -> str:
    """Valid UTF-8 only.  The email package keeps raw header bytes (RFC 6532 UTF-8 headers, or
    plain garbage) as lone surrogates: recover them as UTF-8 where they are, else replace them."""
    try:
        value = value.encode("utf-8", errors="surrogateescape").decode("utf-8", errors="replace")
    except UnicodeEncodeError:
        value = value.encode("utf-8", errors="replace").decode("utf-8")
    return value.replace("\x00", "")


def message_ids(value: str | None) -> list[str]:
    """Message-IDs in a header, normalised (no brackets, case kept, domain lowercased)."""
    if not value:
        return []
    found = _MSGID.findall(value)
    if not found and "@" in value and " " not in value.strip():
        found = [value.strip()]
    return [normalise_id(f) for f in found]


def normalise_id(value: str) -> str:
    value = value.strip().strip("<>")
    local, at, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}" if at else value


def _header(msg: Message, name: str) -> str | None:
    try:
        value = msg.get(name)
        return None if value is None else str(value)
    except Exception:  # noqa: BLE001 - a malformed header: fall back to its raw text
        for key, raw in msg.raw_items() if isinstance(msg, EmailMessage) else msg.items():
            if key.lower() == name.lower():
                return str(raw)
        return None


def _raw_headers(msg: Message, name: str) -> list[str]:
    """Every occurrence of a header as it stood in the message, undecoded."""
    items = msg.raw_items() if isinstance(msg, EmailMessage) else msg.items()
    return [clean(str(value)) for key, value in items if key.lower() == name.lower()]


def _addresses(msg: Message, name: str) -> list[Mailbox]:
    """The mailboxes of an address header, read from its raw text (``chalicelib.mail.addresses``)."""
    found: list[Mailbox] = []
    for raw in _raw_headers(msg, name):
        found += parse_mailboxes(raw)
    return found


def _decode_part(part: Message) -> str:
    try:
        content = part.get_content() if isinstance(part, EmailMessage) else None
        if isinstance(content, str):
            return content
    except Exception:  # noqa: BLE001, S110 - unknown charset, broken transfer encoding: decode by hand
        pass
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:
        return payload.decode("utf-8", errors="replace")


def _body(msg: EmailMessage) -> tuple[str, Message | None]:
    part: Message | None = None
    try:
        part = msg.get_body(preferencelist=("plain", "html"))
    except Exception:  # noqa: BLE001 - a broken structure: walk it ourselves below
        part = None
    if part is None:
        for candidate in msg.walk():
            if candidate.get_content_maintype() == "text" and not candidate.get_filename():
                part = candidate
                break
    if part is None:
        return "", None
    text = _decode_part(part)
    if part.get_content_subtype() == "html":
        text = html_to_text(text)
    return text.replace("\r\n", "\n").strip(), part


def _attachments(msg: Message, body_part: Message | None) -> list[Attachment]:
    found = []
    for part in msg.walk():
        if part is body_part or part.is_multipart():
            continue
        ctype = part.get_content_type()
        filename = None
        try:
            filename = part.get_filename()
        except Exception:  # noqa: BLE001 - a mangled filename parameter
            filename = None
        disposition = (part.get_content_disposition() or "").lower()
        if not filename and disposition != "attachment":
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
                    ids += message_ids(_header(sub, "Message-ID"))
        elif ctype == "text/rfc822-headers":
            text = _decode_part(part)
            match = re.search(r"^Message-ID:\s*(.+)$", text, re.IGNORECASE | re.MULTILINE)
            if match:
                ids += message_ids(match.group(1))
    return ids


def parse_email(raw: bytes) -> ParsedEmail:
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    senders = _addresses(msg, "From")
    text, body_part = _body(msg)
    text = clean(text)
    truncated = len(text) > MAX_TEXT_CHARS
    if truncated:
        text = text[:MAX_TEXT_CHARS]
    date = None
    try:
        raw_date = _header(msg, "Date")
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
    from_unambiguous = len(senders) == 1 and senders[0].clean and len(_raw_headers(msg, "From")) == 1
    local = (sender or "").split("@", 1)[0].lower()
    if local in ("mailer-daemon", "postmaster"):
        is_report = True
    subject = clean(" ".join((_header(msg, "Subject") or "").split()))
    ids = [clean(i) for i in message_ids(_header(msg, "Message-ID"))]
    return ParsedEmail(
        message_id=ids[0] if ids else None,
        in_reply_to=message_ids(_header(msg, "In-Reply-To")),
        references=message_ids(_header(msg, "References")),
        from_address=sender,
        from_name=senders[0].name if senders else None,
        from_unambiguous=from_unambiguous,
        to=[m.address for m in _addresses(msg, "To")],
        cc=[m.address for m in _addresses(msg, "Cc")],
        subject=subject,
        date=date,
        text=text,
        reply_text=strip_quoted(text),
        truncated=truncated,
        attachments=_attachments(msg, body_part),
        auto_submitted=(_header(msg, "Auto-Submitted") or None),
        precedence=(_header(msg, "Precedence") or None),
        list_id=(_header(msg, "List-Id") or None),
        return_path=_header(msg, "Return-Path"),
        x_autoreply=_header(msg, "X-Autoreply") is not None or _header(msg, "X-Autorespond") is not None,
        is_delivery_report=is_report,
        reported_message_ids=_reported_ids(msg) if is_report else [],
    )
