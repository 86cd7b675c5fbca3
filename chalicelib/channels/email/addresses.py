"""Mailboxes out of an address header (``From``, ``To``, ``Cc``), parsed from its raw text.

Identity rides on what this returns, so it is strict where the standard library is lenient:

- the address is read from the raw header, *before* any RFC 2047 decoding: an encoded word
  (``=?utf-8?q?Name=0D=0ABcc:_victim@evil.example?=``) can only ever be display name;
- an angle address wins: in ``ada@example.com <eve@evil.example>`` the mailbox is Eve's, whatever
  the text before it says; quoted strings and comments never contribute to the address;
- a mailbox that had to be guessed (no angle address and more than one address-looking word,
  unbalanced brackets or quotes, a group, several mailboxes where one was expected) is marked
  ``clean=False``: fine for routing a reply, never enough to recognise a team member.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.header import decode_header, make_header

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")
# A practical addr-spec: dot-atom local part (or a quoted one) and a dot-atom domain. Non-ASCII
# letters are allowed (RFC 6532); what never is: whitespace, controls and the specials below.
_ATOM = r"[^\s\x00-\x1f\x7f()<>\[\]:;@\\,.\"]+"
_ADDR_SPEC = re.compile(rf"^(?:{_ATOM}(?:\.{_ATOM})*|\"(?:[^\"\\\r\n]|\\.)+\")@{_ATOM}(?:\.{_ATOM})+$")


@dataclass(frozen=True)
class Mailbox:
    address: str  # lower-cased addr-spec
    name: str | None  # display name, decoded, one line, or None
    clean: bool  # parsed without guessing


def _display(text: str) -> str | None:
    """A display name as a person would read it: encoded words decoded, on one line."""
    text = " ".join(text.split())
    if _ENCODED_WORD.search(text):
        try:
            text = str(make_header(decode_header(text)))
        except (ValueError, LookupError, UnicodeError):
            pass  # leave it encoded: still only a name
    text = " ".join(_CONTROL.sub(" ", text).split())
    return text or None


def is_address(value: str) -> bool:
    return bool(_ADDR_SPEC.match(value)) and not _ENCODED_WORD.search(value)


def _normalise(address: str) -> str:
    local, _, domain = address.rpartition("@")
    return f"{local.lower()}@{domain.lower().rstrip('.')}"


@dataclass
class _Chunk:
    """One comma-separated element of the header, split into where its characters stood."""

    bare: str = ""  # outside quotes, comments and angle brackets
    name: str = ""  # what a person reads as the name: bare text and quoted strings, before any '<'
    angles: tuple[str, ...] = ()
    broken: bool = False
    grouped: bool = False


def _split(raw: str) -> list[_Chunk]:
    chunks: list[_Chunk] = []
    chunk = _Chunk()
    angle: list[str] | None = None
    angles: list[str] = []
    i, n = 0, len(raw)
    while i < n:
        c = raw[i]
        word = _ENCODED_WORD.match(raw, i) if c == "=" and angle is None else None
        if word:  # an encoded word is display text whatever it holds (':' ',' '<' '@' included)
            chunk.bare += " "
            if angles:
                chunk.broken = True
            else:
                chunk.name += word.group(0)
            i = word.end()
            continue
        if c == '"':  # quoted string: part of the name (or of a quoted local part inside <>)
            j, buf = i + 1, []
            while j < n and raw[j] != '"':
                if raw[j] == "\\" and j + 1 < n:
                    j += 1
                buf.append(raw[j])
                j += 1
            if j >= n:
                chunk.broken = True
            text = "".join(buf)
            if angle is not None:
                angle.append('"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"')
            elif not angles:
                chunk.name += f" {text} "
            else:
                chunk.broken = True
            i = j + 1
            continue
        if c == "(":  # comment, possibly nested: never part of an address
            depth, j = 1, i + 1
            while j < n and depth:
                if raw[j] == "\\":
                    j += 1
                elif raw[j] == "(":
                    depth += 1
                elif raw[j] == ")":
                    depth -= 1
                j += 1
            if depth:
                chunk.broken = True
            i = j
            chunk.bare += " "
            continue
        if angle is not None:
            if c == ">":
                angles.append("".join(angle))
                angle = None
            elif c == "<":  # nested brackets: the innermost one holds the address
                chunk.broken = True
                angle = []
            else:
                angle.append(c)
            i += 1
            continue
        if c == "<":
            if angles:
                chunk.broken = True  # two angle addresses in one mailbox
            angle = []
        elif c == ">":
            chunk.broken = True
        elif c == ",":
            chunk.angles = tuple(angles)
            chunks.append(chunk)
            chunk, angles = _Chunk(grouped=chunk.grouped), []
        elif c == ":" and not angles:  # group syntax "name: a, b;": the group's name is no address
            chunk = _Chunk(grouped=True)
        elif c == ";":
            chunk.grouped = True
        else:
            chunk.bare += c
            if not angles:
                chunk.name += c
            elif not c.isspace():
                chunk.broken = True  # text after the angle address
        i += 1
    if angle is not None:
        chunk.broken = True
        angles.append("".join(angle))
    chunk.angles = tuple(angles)
    chunks.append(chunk)
    return chunks


def parse_mailboxes(raw: str | None) -> list[Mailbox]:
    """Every mailbox in an address header's raw value, in order; what holds no address is skipped."""
    if not raw:
        return []
    raw = _FOLD.sub("", raw)
    found: list[Mailbox] = []
    for chunk in _split(raw):
        clean = not chunk.broken and not chunk.grouped
        if chunk.angles:
            spec = chunk.angles[-1].strip()
            if ":" in spec and spec.startswith("@"):  # obsolete source route "<@relay:user@host>"
                spec = spec.split(":", 1)[1]
            spec = "".join(spec.split())
            if not is_address(spec):
                continue
            found.append(Mailbox(_normalise(spec), _display(chunk.name), clean and len(chunk.angles) == 1))
            continue
        words = [w for w in chunk.bare.split() if is_address(w)]
        if not words:
            continue
        # No angle address: only a lone word can be trusted to be the address.
        alone = chunk.name.split() == [words[-1]]
        found.append(Mailbox(_normalise(words[-1]), None, clean and alone))
    return found
