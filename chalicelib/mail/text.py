"""Plain text from HTML, and the new part of a reply without its quoted history."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCK = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "ul", "ol",
          "pre", "hr"}
_SKIP = {"script", "style", "head", "title"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skip += 1
        elif tag in _BLOCK:
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP and self._skip:
            self._skip -= 1
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _TextExtractor()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # noqa: BLE001 - hopeless markup: strip tags crudely
        return re.sub(r"<[^>]+>", " ", html)
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# Lines that start the quoted history of a reply, as mail clients write them.
_QUOTE_HEADERS = [
    re.compile(r"^\s*On\b.{0,300}\bwrote:\s*$", re.IGNORECASE | re.DOTALL),  # Gmail, Apple Mail, Thunderbird
    re.compile(r"^\s*Le\b.{0,300}\ba écrit\s*:\s*$", re.IGNORECASE | re.DOTALL),
    re.compile(r"^\s*Am\b.{0,300}\bschrieb\b.*:\s*$", re.IGNORECASE | re.DOTALL),
    re.compile(r"^\s*-{2,}\s*Original Message\s*-{2,}\s*$", re.IGNORECASE),
    re.compile(r"^\s*_{10,}\s*$"),  # Outlook's separator
    re.compile(r"^\s*From:\s.+$", re.IGNORECASE),  # Outlook / Hotmail header block
    re.compile(r"^\s*-{2,}\s*Forwarded message\s*-{2,}\s*$", re.IGNORECASE),
]
_SIGNATURE = [
    re.compile(r"^-- ?$"),
    re.compile(r"^Sent from my (iPhone|iPad|Android|mobile|BlackBerry).*$", re.IGNORECASE),
    re.compile(r"^Get Outlook for (iOS|Android).*$", re.IGNORECASE),
]


def strip_quoted(text: str) -> str:
    """The new text of a reply: cut at the quoted history or the signature."""
    lines = text.splitlines()
    cut = len(lines)
    for i, line in enumerate(lines):
        # "On <date>, <name> wrote:" is sometimes wrapped over two lines.
        joined = line if i + 1 >= len(lines) else line + " " + lines[i + 1]
        if any(p.match(line) for p in _QUOTE_HEADERS) or (
            _QUOTE_HEADERS[0].match(joined) and not line.strip().endswith(":") and i > 0
        ):
            cut = i
            break
        if any(p.match(line) for p in _SIGNATURE):
            cut = i
            break
        if line.startswith(">") and all(not ln.strip() or ln.startswith(">") for ln in lines[i:]):
            cut = i
            break
    new = "\n".join(lines[:cut]).strip()
    if new:
        return new
    # Bottom-posted or inline reply: drop the quote header and the quoted lines, keep the rest.
    kept = [ln for ln in lines if not ln.startswith(">") and not any(p.match(ln) for p in _QUOTE_HEADERS)]
    return "\n".join(kept).strip() or text.strip()
