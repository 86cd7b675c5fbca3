"""Plain text from an HTML mail, with its structure kept where quote detection needs it.

``html_lines`` renders the HTML into lines: text inside ``<blockquote>`` is prefixed with ``> `` per
level (as a plain-text client quotes), and structural landmarks become marker lines that the reply
extractor (``chalicelib.channels.email.reply``) reads like their plain-text counterparts:

- ``QUOTE``: a quote container starts (``blockquote``, Gmail's ``gmail_quote``, Yahoo's
  ``yahoo_quoted``...), like an "On ... wrote:" line;
- ``CUT``: a reply header container (Outlook's ``divRplyFwdMsg``, its top-bordered header div),
  like an Outlook ``From:/Sent:`` block;
- ``RULE``: an ``<hr>``;
- ``SIG``: a signature container (Gmail's ``gmail_signature``, Thunderbird's ``moz-signature``),
  like a ``-- `` line.

``html_to_text`` is the same rendering without the markers: the full text of the mail.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

QUOTE = "\x00quote"
CUT = "\x00cut"
RULE = "\x00rule"
SIG = "\x00sig"
MARKERS = (QUOTE, CUT, RULE, SIG)

_BLOCK = {"p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "pre", "dl", "dt",
          "dd", "section", "article", "header", "footer", "address", "center", "form", "fieldset"}
_PARAGRAPH = {"p", "table", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre"}
_SKIP = {"script", "style", "head", "title", "template", "noscript", "xml"}
_VOID = {"br", "hr", "img", "meta", "link", "input", "wbr", "col", "area", "base", "source", "o:p"}
_QUOTE_CLASSES = ("gmail_quote", "yahoo_quoted", "protonmail_quote", "zmail_extra", "x_gmail_quote",
                  "ydp_quoted", "tutanota_quote")
_CUT_IDS = ("divrplyfwdmsg", "x_divrplyfwdmsg", "appendonsend", "x_appendonsend", "olk_src_body_section")
_SIG_CLASSES = ("gmail_signature", "moz-signature", "x_gmail_signature")
_OUTLOOK_HEADER_STYLE = re.compile(r"border-top\s*:\s*solid\s+#(?:b5c4df|e1e1e1)", re.IGNORECASE)


def _landmark(tag: str, attrs: dict[str, str]) -> str | None:
    classes = attrs.get("class", "").lower().split()
    ident = attrs.get("id", "").lower()
    if tag == "blockquote":
        return QUOTE
    if any(c in classes for c in _SIG_CLASSES) or attrs.get("data-smartmail") == "gmail_signature":
        return SIG
    if any(c in classes for c in _QUOTE_CLASSES) or (ident.startswith(("yahoo_quoted", "ydp")) and "quoted" in ident):
        return QUOTE
    if ident in _CUT_IDS or "outlookmessageheader" in classes:
        return CUT
    if tag == "div" and _OUTLOOK_HEADER_STYLE.search(attrs.get("style", "")):
        return CUT
    return None


class _Renderer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._words: list[str] = []
        self._open: list[tuple[str, bool, bool]] = []  # (tag, is a quote level, is Gmail's quote container)
        self._skip = 0
        self._pre = 0

    @property
    def _depth(self) -> int:
        return sum(1 for _, quote, _ in self._open if quote)

    def _flush(self, keep_empty: bool = False) -> None:
        text = " ".join("".join(self._words).split())
        self._words = []
        if text or keep_empty:
            self.lines.append(("> " * self._depth + text).rstrip() if text else ">" * self._depth)

    def _blank(self) -> None:
        self._flush()
        if self.lines and self.lines[-1].strip("> "):
            self.lines.append(">" * self._depth)

    def _mark(self, marker: str) -> None:
        self._flush()
        self.lines.append(marker)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skip:
            if tag in _SKIP and tag not in _VOID:
                self._open.append((tag, False, False))
                self._skip += 1
            return
        values = {k.lower(): (v or "") for k, v in attrs}
        if tag in _SKIP:
            self._open.append((tag, False, False))
            self._skip += 1
            return
        if tag == "br":
            self._flush(keep_empty=True)
            return
        if tag == "hr":
            self._mark(RULE)
            return
        if tag == "img":
            alt = values.get("alt", "").strip()
            if alt and not alt.lower().startswith(("image", "cid:")):
                self._words.append(f" {alt} ")
            return
        if tag in _VOID:
            return
        landmark = _landmark(tag, values)
        classes = values.get("class", "").lower().split()
        gmail_container = tag != "blockquote" and "gmail_quote" in classes
        # Gmail's own "quote" formatting is a bare blockquote.gmail_quote: the sender's text, indented.
        formatting = (tag == "blockquote" and "gmail_quote" in classes
                      and not any(container for _, _, container in self._open))
        if formatting:
            landmark = None
        if tag in _PARAGRAPH:
            self._blank()
        elif tag in _BLOCK or landmark:
            self._flush()
        if landmark:
            self._mark(landmark)
        self._open.append((tag, tag == "blockquote" and not formatting, gmail_container))
        if tag == "pre":
            self._pre += 1
        if tag == "li":
            self._words.append("- ")
        elif tag in ("td", "th"):
            self._words.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        for name, quote, _ in reversed(self._open):
            if name == tag:
                break
            if quote:
                return  # a stray closing tag never ends a quote it was not opened in
        else:
            return  # a closing tag with no opening one: ignore it
        while self._open:
            if not self._skip and (self._open[-1][0] in _BLOCK or self._open[-1][1]):
                self._flush()
            name, _, _ = self._open.pop()
            if name in _SKIP and self._skip:
                self._skip -= 1
            if name == "pre" and self._pre:
                self._pre -= 1
            if name == tag:
                break
        if not self._skip and tag in _PARAGRAPH:
            self._blank()

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._pre:
            parts = data.split("\n")
            for part in parts[:-1]:
                self._words.append(part)
                self._flush(keep_empty=True)
            self._words.append(parts[-1])
            return
        self._words.append(data)

    def render(self, html: str) -> list[str]:
        self.feed(html)
        self.close()
        self._flush()
        return self.lines


def html_lines(html: str) -> list[str]:
    """The HTML as text lines, quotes prefixed with ``> ``, landmarks as marker lines."""
    try:
        lines = _Renderer().render(html)
    except Exception:  # noqa: BLE001 - hopeless markup: strip the tags crudely
        lines = [" ".join(line.split()) for line in re.sub(r"<[^>]+>", " ", html).splitlines()]
    out: list[str] = []
    for line in lines:
        if not line.strip("> ") and (not out or not out[-1].strip("> ")):
            continue  # one blank line at most
        out.append(line)
    while out and not out[-1].strip("> "):
        out.pop()
    return out


def html_to_text(html: str) -> str:
    """The whole HTML mail as text (quoted parts prefixed with ``> ``)."""
    return "\n".join(line for line in html_lines(html) if line not in MARKERS).strip()
