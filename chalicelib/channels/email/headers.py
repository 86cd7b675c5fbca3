"""An email's headers, read so that none raises: raw 8-bit bytes recovered, encoded words in a
mislabelled charset decoded by our own chain, Message-IDs normalised, address headers read from
their raw text (:mod:`chalicelib.channels.email.addresses`)."""

from __future__ import annotations

import re
from email.header import decode_header, make_header
from email.message import EmailMessage, Message

from chalicelib.channels.email.addresses import Mailbox, parse_mailboxes
from chalicelib.channels.email.decode import decode_words, recover_raw

MSGID = re.compile(r"<([^<>\s]+)>")
SURROGATE = re.compile("[\udc80-\udcff]")


def clean(value: str) -> str:
    """Valid text only.  The email package keeps raw header bytes (RFC 6532 UTF-8 headers, or
    Latin-1/cp1252 garbage) as lone surrogates: recover them as UTF-8 when valid, else cp1252."""
    return recover_raw(value)[0].replace("\x00", "")


def message_ids(value: str | None) -> list[str]:
    """Message-IDs in a header, normalised (no brackets, case kept, domain lowercased)."""
    if not value:
        return []
    found = MSGID.findall(value)
    if not found and "@" in value and " " not in value.strip():
        found = [value.strip()]
    return [normalise_id(f) for f in found]


def normalise_id(value: str) -> str:
    value = value.strip().strip("<>")
    local, at, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}" if at else value


def header(msg: Message, name: str, notes: list[str] | None = None) -> str | None:
    raw = None
    for key, value in msg.raw_items() if isinstance(msg, EmailMessage) else msg.items():
        if key.lower() == name.lower():
            raw = str(value)
            break
    if raw is not None and SURROGATE.search(raw):
        # Raw 8-bit bytes: the package would turn them into U+FFFD; recover them ourselves.
        text, fallback = recover_raw(raw)
        if fallback and notes is not None:
            notes.append(f"header:{name}:cp1252")
        try:
            return str(make_header(decode_header(text))) if "=?" in text else text
        except Exception:  # noqa: BLE001 - a broken encoded-word: keep the recovered text
            return text
    try:
        value = msg.get(name)
        parsed = None if value is None else str(value)
    except Exception:  # noqa: BLE001 - a malformed header: fall back to its raw text
        return raw
    if parsed is not None and raw is not None and "\ufffd" in parsed and "=?" in raw:
        try:  # an encoded-word in a mislabelled charset (gb2312 holding GBK): our own chain
            text, used = decode_words(raw)
        except Exception:  # noqa: BLE001
            return parsed
        if notes is not None:
            notes += [f"header:{name}:{note.split()[0]}" for note in used]
        return text
    return parsed


def raw_headers(msg: Message, name: str) -> list[str]:
    """Every occurrence of a header as it stood in the message, undecoded."""
    items = msg.raw_items() if isinstance(msg, EmailMessage) else msg.items()
    return [clean(str(value)) for key, value in items if key.lower() == name.lower()]


def addresses(msg: Message, name: str) -> list[Mailbox]:
    """The mailboxes of an address header, read from its raw text (``chalicelib.channels.email.addresses``)."""
    found: list[Mailbox] = []
    for raw in raw_headers(msg, name):
        found += parse_mailboxes(raw)
    return found
