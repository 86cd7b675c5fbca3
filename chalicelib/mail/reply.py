"""The customer's own words in an email: the reply without its quoted history or signature.

``extract(plain, html)`` takes the decoded text/plain and text/html bodies (either may be None)
and returns the full text of the mail and the reply within it.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.mail.text import html_to_text, strip_quoted


@dataclass(frozen=True)
class Extracted:
    full_text: str  # the whole mail as text, quoted history included
    reply_text: str  # what the sender wrote in this mail


def extract(plain: str | None, html: str | None) -> Extracted:
    text = (plain or "").strip() or html_to_text(html or "")
    return Extracted(full_text=text, reply_text=strip_quoted(text))
