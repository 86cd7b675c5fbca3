"""The customer's own words in an email: the reply without its quoted history or signature.

``extract(plain, html, subject=)`` takes the decoded text/plain and text/html bodies (either may
be None) and returns the full text of the mail and the reply within it.

The rule, for plain text and for HTML alike (HTML is first rendered to lines by
``chalicelib.channels.email.html.html_lines``, its blockquotes quoted and its landmarks marked):

- quoted history starts at an *attribution* ("On ... wrote:" in a dozen languages, wrapped or
  not, "---- Name wrote ----", "2026-10-17 11:28 GMT+03:00 Name <a@b>:") or at a *separator*
  ("-----Original Message-----" and its translations, an Outlook ``From:/Sent:/To:`` block in any
  of those languages, a structural quote or reply header in HTML);
- after an attribution, the quoted (``>``) lines are history, but text written after them is the
  customer's: interleaved answers and a closing line after the quote are kept;
- after a separator whose history is not ``>``-quoted, nothing comes back: everything below is
  history;
- a forward (a forward marker before any history, or a mail whose subject says Fwd) is kept whole:
  the forwarded mail is the question;
- a ``-- `` signature block and mobile signatures ("Sent from my iPhone") go; closing lines
  written in the text ("Thanks, Anna") stay;
- when unsure, keep the text: a mail that is all quote keeps all of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from chalicelib.channels.email.html import CUT, MARKERS, QUOTE, RULE, SIG, html_lines
from chalicelib.channels.email.reply_patterns import (
    ATTRIBUTION_ENDS,
    DASHED,
    DATE_EMAIL,
    DISTINCT_ENDS,
    EMAIL,
    FIELD,
    FORWARD,
    FORWARD_SUBJECT,
    FROM_FIELDS,
    MOBILE,
    OPENERS,
    SEPARATOR,
    SIGNATURE_LINE,
    TIME,
    UNDERLINE,
)


@dataclass(frozen=True)
class Extracted:
    full_text: str  # the whole mail as text, quoted history included
    reply_text: str  # what the sender wrote in this mail

_I = re.IGNORECASE


def _mobile(line: str) -> bool:
    """A mobile client's signature line: a short phrase, never a sentence ("Sent from my desk, is ...")."""
    return bool(MOBILE.match(line)) and len(line.split()) <= 8 and ", " not in line


def _is_quoted(line: str) -> bool:
    return line.lstrip(" ").startswith(">")


def _blank(line: str) -> bool:
    return not line.strip()


def _attribution(lines: list[str], i: int) -> int:
    """How many lines starting at ``i`` make an attribution ("On ... wrote:"); 0 if none.

    Clients wrap it, so up to four lines are joined; a wrapped one must open like an attribution
    (a known opener, or a date) and name a date or an address.
    """
    line = lines[i]
    if _is_quoted(line) or len(line) > 400 or line in MARKERS or _blank(line):
        return 0
    if DASHED.match(line):
        return 1
    openers = [whole for opener, whole in OPENERS if opener.match(line)]
    dated = bool(re.match(r"^\s*-*\s*\S{0,12}\s?\d", line))
    joined = line
    for j in range(i, min(i + 4, len(lines))):
        if j > i:
            if _blank(lines[j]) or _is_quoted(lines[j]) or lines[j] in MARKERS or not (openers or dated):
                break
            joined += " " + lines[j].strip()
        if not re.search(r"\d|@", joined):
            continue
        span = j - i + 1
        if any(whole.match(joined) for whole in openers):
            return span
        if DISTINCT_ENDS.match(joined) and re.search(r"\d", joined):
            return span
        ends = any(p.match(joined) for p in ATTRIBUTION_ENDS)
        if ends and (EMAIL.search(joined) or _quote_follows(lines, j + 1)):
            return span
        if DATE_EMAIL.match(joined) and (joined.rstrip().endswith((":", "：")) or _quote_follows(lines, j + 1)):
            return span
        # A short line ending in ':' that names a sender and a time, right above a quote (Mail.ru, Yandex...).
        if (joined.rstrip().endswith((":", "：")) and len(joined) <= 250 and EMAIL.search(joined)
                and TIME.search(joined) and _quote_follows(lines, j + 1)):
            return span
    return 0


def _quote_follows(lines: list[str], i: int) -> bool:
    while i < len(lines) and _blank(lines[i]):
        i += 1
    return i < len(lines) and (_is_quoted(lines[i]) or lines[i] == QUOTE)


def _header_block(lines: list[str], i: int) -> int:
    """How many lines starting at ``i`` make a quoted header block (From:/Sent:/To:/Subject:); 0 if none."""
    first = FIELD.match(lines[i])
    if not first:
        return 0
    # The whole block on one line ("Date: ... From: a@b To: ... Subject: ..."), as HTML often renders it.
    inline = re.findall(r"(?:^|\s)\*?(From|Date|Sent|To|Subject|Von|Gesendet|An|Betreff|De|Envoyé|À|Objet)\*?\s*:",
                        lines[i], _I)
    fields = {f.lower() for f in inline}
    if "@" in lines[i] and (len(fields) >= 3 or (
            len(fields) == 2 and "from" in fields and fields & {"date", "sent"} and re.search(r"\d", lines[i]))):
        return 1
    names = [first.group(1).lower()]
    j = i + 1
    seen_blank = 0
    while j < len(lines) and j < i + 12:
        if _blank(lines[j]):
            seen_blank += 1
            if seen_blank > 1:
                break
            j += 1
            continue
        match = FIELD.match(lines[j])
        if match:
            names.append(match.group(1).lower())
            seen_blank = 0
        elif not (names and lines[j].startswith((" ", "\t"))) and seen_blank:
            break
        elif not match and len(names) < 2 and not re.search(r"@|\d", lines[j]):
            break  # "From: the logs I see..." in prose
        j += 1
    has_from = any(n in FROM_FIELDS for n in names)
    others = {n for n in names if n not in FROM_FIELDS}
    # Two fields are a header block only if the sender is an address ("From: the logs I see..." is prose).
    addressed = bool(re.search(r"@|<|\[mailto:", lines[i])) if first.group(1).lower() in FROM_FIELDS else False
    if has_from and others and (len(set(names)) >= 3 or addressed):
        return max(j - i, 1)
    dated = {"date", "sent", "datum", "gesendet", "envoyé", "enviado", "data", "fecha"} & set(names)
    if not has_from and dated and (len(set(names)) >= 3 or (len(set(names)) >= 2 and any(
            "@" in lines[k] for k in range(i, j)) and re.search(r"\d", lines[i]))):
        return max(j - i, 1)
    return 0


def _separator(lines: list[str], i: int) -> bool:
    """Does history that never comes back start at line ``i``?"""
    line = lines[i]
    if line == CUT or SEPARATOR.match(line):
        return True
    if (line == RULE or UNDERLINE.match(line)) and _next_starts_history(lines, i + 1):
        return True
    return bool(_header_block(lines, i))


def _next_starts_history(lines: list[str], i: int) -> bool:
    while i < len(lines) and (_blank(lines[i]) or lines[i] == RULE):
        i += 1
    if i >= len(lines):
        return False
    return bool(lines[i] == CUT or SEPARATOR.match(lines[i]) or _header_block(lines, i) or _attribution(lines, i)
                or re.match(r"^\s*(?:original message|reply message)\s*:?\s*$", lines[i], _I))


def _split_shared_line(lines: list[str]) -> list[str]:
    """``reply On Wed, Apr 4, 2026 at 3:59 PM, bob@example.com wrote:`` -> the reply, then the attribution."""
    out: list[str] = []
    for line in lines:
        match = re.match(r"^(\S.*?\S)\s+(On\s.{6,250}\bwrote:\s*)$", line)
        if (match and not _is_quoted(line) and re.search(r"\w", match.group(1)) and re.search(r"\d", match.group(2))
                and not line.lstrip().startswith("On ")):
            out += [re.sub(r"\s*-+$", "", match.group(1)), match.group(2)]
        else:
            out.append(line)
    return out


def _drop_signatures(section: list[str]) -> list[str]:
    """Mobile signatures go wherever they are; a ``-- `` block goes to the end of the section if short."""
    kept = [line for line in section if not _mobile(line)]
    for k, line in enumerate(kept):
        if (SIGNATURE_LINE.match(line) or line == SIG) and len(kept) - k <= 12:
            return kept[:k]
    return kept


def reply_lines(lines: list[str], subject: str | None = None) -> list[str]:
    """The lines of ``lines`` the sender wrote in this mail (see the module's rule)."""
    lines = _split_shared_line(lines)
    sections: list[list[str]] = []
    current: list[str] = []
    i, n = 0, len(lines)
    cut_anything = False
    while i < n:
        line = lines[i]
        if line == QUOTE:
            i += 1  # a quote container: its attribution or its quoted lines decide
            continue
        span = _attribution(lines, i)
        if not span and FORWARD.match(line) and not cut_anything:
            return _whole(lines)  # a forward: the forwarded mail is the question
        top = not cut_anything and not sections and all(_blank(ln) for ln in current)
        if not span and top and (block := _header_block(lines, i)):
            i += block  # headers above the mail itself (pasted, or a client's summary): not history
            continue
        if not span and _separator(lines, i):
            if not cut_anything and subject and FORWARD_SUBJECT.match(subject):
                return _whole(lines)
            cut_anything = True
            break
        if span:
            # Skip the attribution, the quote markers and the quoted lines after it.
            j = i + span
            while j < n:
                if _blank(lines[j]) or _is_quoted(lines[j]) or lines[j] == QUOTE or _wrapped_in_quote(lines, j):
                    j += 1
                elif (more := _attribution(lines, j)) and _quote_follows(lines, j + more):
                    j += more
                else:
                    break
            quoted = any(_is_quoted(lines[k]) for k in range(i + span, j))
            if j < n and FORWARD.match(lines[j]) and not cut_anything and not quoted:
                return _whole(lines)
            if not quoted and j < n:
                cut_anything = True  # unquoted history below an attribution: it never comes back
                break
            sections.append(current)
            current = []
            cut_anything = True
            i = j
            continue
        if _is_quoted(line) and _all_quoted_from(lines, i) and i > 0:
            cut_anything = True  # a trailing quote with no attribution
            break
        if _is_quoted(line) and sections:
            # Below an attribution, later quoted lines are the same history, answered in between.
            sections.append(current)
            current = []
            while i < n and (_is_quoted(lines[i]) or lines[i] == QUOTE or _wrapped_in_quote(lines, i)):
                i += 1
            continue
        current.append(line)
        i += 1
    sections.append(current)
    kept = [_drop_signatures([ln for ln in s if ln not in (QUOTE, CUT, RULE)]) for s in sections]
    out: list[str] = []
    for section in kept:
        text = "\n".join(section).strip("\n")
        if text.strip():
            if out:
                out.append("")
            out += text.split("\n")
    return out


def _wrapped_in_quote(lines: list[str], i: int) -> bool:
    """An unquoted line between two quoted ones: a quoted line a client wrapped (a long link)."""
    return (0 < i < len(lines) - 1 and not _blank(lines[i]) and _is_quoted(lines[i - 1])
            and _is_quoted(lines[i + 1]))


def _whole(lines: list[str]) -> list[str]:
    return [line for line in lines if line not in MARKERS and not _mobile(line)]


def _all_quoted_from(lines: list[str], i: int) -> bool:
    rest = [ln for ln in lines[i:] if not _blank(ln)]
    return len(rest) >= 2 and all(_is_quoted(ln) or ln in MARKERS for ln in rest)


def _tidy(lines: list[str]) -> str:
    text = "\n".join(line.rstrip() for line in lines if line not in MARKERS)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def reply_of(text: str, subject: str | None = None) -> str:
    """The new text of a plain-text mail."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return _tidy(reply_lines(lines, subject)) or text.strip()


def extract(plain: str | None, html: str | None, subject: str | None = None) -> Extracted:
    """The full text and the reply of a mail from its text/plain and text/html bodies.

    The plain alternative is used unless it is empty or a short stub beside a much longer HTML one
    ("view this mail in HTML"): the richest non-empty alternative wins.
    """
    plain_text = (plain or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    lines = html_lines(html) if html and html.strip() else []
    html_text = _tidy(lines)
    plain_size, html_size = len("".join(plain_text.split())), len("".join(html_text.split()))
    if plain_text and (plain_size * 3 >= html_size or plain_size >= 500):
        return Extracted(full_text=plain_text, reply_text=reply_of(plain_text, subject))
    if not html_text:
        return Extracted(full_text=plain_text, reply_text=reply_of(plain_text, subject))
    # The "> " of a blockquote was ours, not the sender's: the reply shows as the reader saw it. A mail
    # that is all quote (one blockquote) keeps all of it.
    def unquoted(kept: list[str]) -> str:
        return _tidy([re.sub(r"^(?:>\s?)+", "", line) for line in kept])

    kept = reply_lines(_without_last_blockquote(lines), subject)
    return Extracted(full_text=html_text, reply_text=unquoted(kept) or unquoted(lines))


def _without_last_blockquote(lines: list[str]) -> list[str]:
    """With no attribution, separator or forward anywhere, an HTML mail's last top-level blockquote is
    the quoted history (text after it, such as a disclaimer, stays)."""
    for k in range(len(lines)):
        if lines[k] in MARKERS or _blank(lines[k]) or _is_quoted(lines[k]):
            continue
        if _attribution(lines, k) or FORWARD.match(lines[k]) or _separator(lines, k):
            return lines
    starts = [k for k, line in enumerate(lines) if line == QUOTE and (k == 0 or not _is_quoted(lines[k - 1]))]
    if not starts:
        return lines
    end = starts[-1] + 1
    while end < len(lines) and (_is_quoted(lines[end]) or lines[end] == QUOTE):
        end += 1
    return lines[:starts[-1]] + lines[end:]
