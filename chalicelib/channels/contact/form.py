"""The contact form's fields, read from a form-encoded body and checked (stdlib only).

Everything here is untrusted: control characters are stripped, lengths bounded, the address must be
one plain mailbox. What fails is a :class:`FormError` with the HTTP status and a sentence for the page.
"""

from __future__ import annotations

import os
import re
import urllib.parse
from dataclasses import dataclass, field

from chalicelib.channels.email.addresses import parse_mailboxes

MAX_BODY_BYTES = 32 * 1024
MAX_NAME = 200
MAX_EMAIL = 254
MAX_MESSAGE = 10_000
FIELDS = ("submission", "name", "email", "message", "website")  # website: the honeypot
FORM_TYPE = "application/x-www-form-urlencoded"

_SUBMISSION = re.compile(r"[0-9a-f]{32}")
# C0 (tab and newline are handled per field), DEL, C1, line/paragraph separators, bidi controls, BOM.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")


class FormError(Exception):
    """A submission the desk will not take: ``status`` (4xx) and what to tell the person."""

    def __init__(self, status: int, message: str, values: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.values = values or {}  # what they typed (cleaned), to fill the form again


@dataclass(frozen=True)
class Submission:
    submission_id: str
    name: str
    email: str
    message: str
    honeypot: bool = False
    values: dict[str, str] = field(default_factory=dict, compare=False)


def new_submission_id() -> str:
    """128 random bits as 32 hex characters: one per page load, so a double submit opens one ticket."""
    return os.urandom(16).hex()


def valid_submission_id(value: str) -> bool:
    return bool(_SUBMISSION.fullmatch(value))


def one_line(value: str) -> str:
    """Control characters out, whitespace runs (newlines included) to one space, trimmed."""
    return " ".join(_CONTROL.sub("", value).split())


def text_block(value: str) -> str:
    """Control characters out except newline and tab; CRLF and CR become LF; trimmed."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", value).strip()


def plain_address(value: str) -> str | None:
    """The address if ``value`` is exactly one plain ASCII mailbox (``name@example.com``), else None."""
    if not value or len(value) > MAX_EMAIL or not value.isascii() or any(c in value for c in '"<>(),;:\\[] '):
        return None
    boxes = parse_mailboxes(value)
    if len(boxes) != 1 or not boxes[0].clean or boxes[0].name is not None or boxes[0].address != value.lower():
        return None
    local, _, domain = boxes[0].address.rpartition("@")
    if not local or "." not in domain or domain.startswith(".") or domain.endswith("."):
        return None
    return boxes[0].address


def read_form(body: bytes, content_type: str | None) -> Submission:
    """The submission in a ``POST /contact`` body; :class:`FormError` if it cannot be taken as it is."""
    if len(body) > MAX_BODY_BYTES:
        raise FormError(413, f"That is more than the form takes ({MAX_BODY_BYTES // 1024} KiB). "
                             "Please shorten your message and send it again.")
    if (content_type or "").split(";", 1)[0].strip().lower() != FORM_TYPE:
        raise FormError(415, "The form must be sent from the contact page.")
    try:
        pairs = urllib.parse.parse_qsl(body.decode("ascii"), keep_blank_values=True, encoding="utf-8",
                                       errors="strict", max_num_fields=len(FIELDS))
    except ValueError:  # not ASCII, bad UTF-8 after decoding, too many fields
        raise FormError(400, "The form could not be read. Please reload the page and send it again.") from None
    names = [k for k, _ in pairs]
    if len(set(names)) != len(names) or not set(names) <= set(FIELDS):
        raise FormError(400, "The form could not be read. Please reload the page and send it again.")
    raw = dict(pairs)
    values = {"name": one_line(raw.get("name", ""))[:MAX_NAME * 2],
              "email": one_line(raw.get("email", ""))[:MAX_EMAIL * 2],
              "message": text_block(raw.get("message", ""))[:MAX_MESSAGE * 2]}
    submission_id = raw.get("submission", "")
    if not valid_submission_id(submission_id):
        raise FormError(400, "This form is out of date. Please check your message and send it again.", values)
    values["submission"] = submission_id
    if one_line(raw.get("website", "")):
        return Submission(submission_id, values["name"], values["email"], values["message"], True, values)
    problems = []
    if not values["name"]:
        problems.append("Please tell us your name.")
    elif len(values["name"]) > MAX_NAME:
        problems.append(f"Your name can be at most {MAX_NAME} characters.")
    address = plain_address(values["email"])
    if not values["email"]:
        problems.append("Please give the email address where we should answer.")
    elif address is None:
        problems.append("Please give one plain email address, like name@example.com.")
    if not values["message"]:
        problems.append("Please write your message.")
    elif len(values["message"]) > MAX_MESSAGE:
        problems.append(f"Your message can be at most {MAX_MESSAGE:,} characters "
                        f"(it has {len(values['message']):,}).")
    if problems or address is None:
        raise FormError(400, " ".join(problems), values)
    return Submission(submission_id, values["name"], address, values["message"], False, values)
