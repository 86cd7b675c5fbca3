"""Outbound email through SES ``SendRawEmail``: threaded, from the support address."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from typing import Any


@dataclass(frozen=True)
class SentMail:
    message_id: str  # the Message-ID we wrote (no brackets)
    ses_message_id: str
    ses_rewritten_id: str  # SES rewrites Message-ID to <ses id>@<region>.amazonses.com

    @property
    def ids(self) -> list[str]:
        return [self.message_id, self.ses_rewritten_id]


_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


def header_text(value: str | None) -> str:
    """Text from outside (a customer's name, a subject) made fit for one header line: control
    characters, CR and LF above all, become spaces, so no text can start a header of its own."""
    return " ".join(_CONTROL.sub(" ", value or "").split())


def reply_address(support_address: str, token: str) -> str:
    local, _, domain = support_address.partition("@")
    return f"{local}+{token}@{domain}"


def reply_subject(subject: str) -> str:
    subject = subject.strip() or "Your request"
    return subject if subject.lower().startswith(("re:", "aw:", "sv:")) else f"Re: {subject}"


class Mailer:
    def __init__(self, *, ses: Callable[[], Any], region: str, support_address: str) -> None:
        self._ses = ses
        self.region = region
        self.support_address = support_address

    def build(
        self,
        *,
        to: str,
        to_name: str | None,
        subject: str,
        text: str,
        from_name: str,
        reply_to: str | None,
        in_reply_to: str | None,
        references: list[str],
        auto_reply: bool = False,
        message_id: str | None = None,
    ) -> EmailMessage:
        domain = self.support_address.partition("@")[2] or "localhost"
        msg = EmailMessage()
        msg["From"] = formataddr((header_text(from_name), self.support_address))
        msg["To"] = formataddr((header_text(to_name), header_text(to)))
        if reply_to:
            msg["Reply-To"] = reply_to
        msg["Subject"] = header_text(subject)
        msg["Date"] = formatdate(usegmt=True)
        msg["Message-ID"] = f"<{message_id}>" if message_id else make_msgid(domain=domain)
        if in_reply_to:
            msg["In-Reply-To"] = f"<{in_reply_to}>"
        if references:
            msg["References"] = " ".join(f"<{r}>" for r in references)
        if auto_reply:
            msg["Auto-Submitted"] = "auto-replied"
            msg["X-Auto-Response-Suppress"] = "All"
        msg.set_content(text)
        paragraphs = "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in text.split("\n\n"))
        msg.add_alternative(f"<!doctype html><html><body>{paragraphs}</body></html>", subtype="html")
        return msg

    def send(self, msg: EmailMessage) -> SentMail:
        to = msg["To"].addresses[0].addr_spec
        result = self._ses().send_raw_email(
            Source=self.support_address, Destinations=[to], RawMessage={"Data": msg.as_bytes()}
        )
        ses_id = str(result["MessageId"])
        return SentMail(
            message_id=str(msg["Message-ID"]).strip("<>"),
            ses_message_id=ses_id,
            ses_rewritten_id=f"{ses_id}@{self.region}.amazonses.com",
        )
