"""Bytes to text for mail that lies about (or never states) its charset.

``decode_text`` tries, in order: the declared charset (through the aliases mail clients really
mean) if it decodes strictly, UTF-8 strictly, ``charset-normalizer``'s guess, then cp1252, which
never fails.  Each answer says which fallback it took, so the parser can record it.
``is_binary`` tells a text part that is really a blob (an OLE object, NULs, control bytes).
``repair_header_block`` and ``split_broken_multipart`` mend the structure the stdlib parser gives
up on (a garbage header line, no blank line after the headers, delimiters that don't match).
"""

from __future__ import annotations

import codecs
import re

# Labels that mean a superset in practice (Outlook and old webmail mislabel their mail).
ALIASES = {
    "gb2312": "gbk",
    "gb_2312-80": "gbk",
    "euc-cn": "gbk",
    "euccn": "gbk",
    "x-gbk": "gbk",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "euc-kr": "cp949",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "iso_8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "utf8": "utf-8",
    "unicode-1-1-utf-7": "utf-7",
}
_ASCII = {"us-ascii", "ascii", "us_ascii", "ansi_x3.4-1968", "646", "7bit", "8bit"}
_CONTROL_OK = {0x09, 0x0A, 0x0C, 0x0D, 0x1B}  # tab, LF, FF, CR; ESC starts ISO-2022 shifts
_CONTROL = bytes(b for b in range(32) if b not in _CONTROL_OK) + b"\x7f"


def _latin1_rest(error: UnicodeError) -> tuple[str, int]:
    """cp1252 leaves five bytes undefined: read them as Latin-1 rather than U+FFFD."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    chunk = error.object[error.start:error.end]
    return bytes(chunk).decode("latin-1"), error.end


codecs.register_error("supporthero-latin1", _latin1_rest)


def cp1252(data: bytes) -> str:
    return data.decode("cp1252", errors="supporthero-latin1")


def normalise_charset(label: str | None) -> str | None:
    """The declared label, lower-case and unquoted; None when absent, unknown or plain ASCII."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    return label or None


def _codec(label: str) -> str | None:
    name = ALIASES.get(label, label)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError, ValueError):
        return None


# Single-byte Latin code pages the detector often confuses on short text; among them, unlabelled
# mail is cp1252 (Outlook's and Windows' default) far more often than any other.
_LATIN = ("cp125", "cp85", "cp437", "cp775", "iso8859_", "latin", "mac_", "hp_roman8")
_NON_LATIN = ("cp1251", "cp1253", "cp1255", "cp1256", "cp855", "iso8859_5", "iso8859_6", "iso8859_7",
              "iso8859_8", "iso8859_11", "mac_cyrillic", "mac_greek", "mac_arabic")


def _detect(data: bytes) -> tuple[str, str] | None:
    """charset-normalizer's best guess; imported here only (the Slack ack path never pays for it)."""
    try:
        from charset_normalizer import from_bytes

        results = from_bytes(data[:65536])
        best = results.best()
        candidates = [m.encoding for m in results]
    except Exception:  # noqa: BLE001 - a detector failure must never lose the mail
        return None
    if best is None or not best.encoding:
        return None
    encoding = best.encoding
    latin = encoding.startswith(_LATIN) and not encoding.startswith(_NON_LATIN)
    if latin and "cp1252" in candidates and _strict(data, "cp1252") is not None:
        encoding = "cp1252"
    text = _strict(data, encoding)
    return None if text is None else (text, codecs.lookup(encoding).name)


def decode_text(data: bytes, declared: str | None) -> tuple[str, str | None]:
    """(text, note): note is None when the declared charset decoded as declared, else a short
    stable description of the fallback, e.g. ``"utf-8 (declared us-ascii)"``."""
    label = normalise_charset(declared)
    shown = label or "none"
    if label in _ASCII:
        if data.isascii():
            return data.decode("ascii"), None
        label = None  # 8-bit bytes under an ASCII label: the label is a default, not a fact
    if label is not None:
        codec = _codec(label)
        exact = _codec_exists(label)
        if codec is not None:
            text = _strict(data, codec)
            if text is not None:
                if not exact or codecs.lookup(label).name == codec or _strict(data, label) == text:
                    return text, None
                return text, f"{codec} (declared {label})"
            if exact and _strict(data, label) is not None:
                return data.decode(label), None
    if data.isascii():
        return data.decode("ascii"), None
    text = _strict(data, "utf-8")
    if text is not None:
        return text, f"utf-8 (declared {shown})"
    found = _detect(data)
    if found is not None:
        return found[0], f"{found[1]} (declared {shown})"
    return cp1252(data), f"cp1252 (declared {shown})"


def _codec_exists(label: str) -> bool:
    try:
        codecs.lookup(label)
    except LookupError:
        return False
    return True


def recover_raw(value: str) -> tuple[str, bool]:
    """Header text the email package kept as surrogate escapes (raw 8-bit bytes): UTF-8 when it is
    valid UTF-8, else cp1252.  Returns (text, whether cp1252 was needed)."""
    try:
        data = value.encode("utf-8", errors="surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate that was never a byte
        return value.encode("utf-8", errors="replace").decode("utf-8"), False
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return cp1252(data), True


def is_binary(data: bytes, declared: str | None = None) -> bool:
    """A blob, not text: a run of NUL bytes, or more than 5 % control bytes (NUL included) other
    than tab/CR/LF/FF.  A lone NUL is a typo (QP ``=00``), not a blob."""
    label = normalise_charset(declared) or ""
    if label.startswith(("utf-16", "utf-32", "ucs-", "utf16", "utf32")):
        return False
    sample = data[:8192]
    if not sample:
        return False
    if b"\x00\x00\x00" in sample:
        return True
    controls = len(sample) - len(sample.translate(None, _CONTROL))
    return controls * 20 > len(sample)


def decode_words(value: str) -> tuple[str, list[str]]:
    """RFC 2047 encoded-words through ``decode_text`` (so a gb2312 label reads GBK); returns the
    text and the fallbacks taken."""
    from email.header import decode_header

    out: list[str] = []
    notes: list[str] = []
    for chunk, charset in decode_header(value):
        if isinstance(chunk, str):
            out.append(chunk)
            continue
        text, note = decode_text(chunk, charset)
        out.append(text)
        if note:
            notes.append(note)
    return "".join(out), notes


# --- structure: bytes the email package cannot split ---------------------------------------------

_BLANK = re.compile(rb"\r?\n\r?\n")
# A header line: a field name (printable ASCII, no colon or space) then a colon; or a continuation.
_HEADER_LINE = re.compile(rb"^([!-9;-~]+[ \t]*:|[ \t]|From )")
_HEADERISH = re.compile(rb"^[ \t]*content-[\w-]+[ \t]*:", re.IGNORECASE)


def split_broken_multipart(body: bytes, boundary: str | None) -> list[bytes]:
    """Split a body whose declared boundary does not match its delimiter lines: a delimiter is a
    line starting with ``--`` that repeats, closes the declared boundary, or is followed by a
    Content-* header."""
    lines = body.splitlines(keepends=True)
    stripped = [ln.rstrip() for ln in lines]
    dashed = [ln for ln in stripped if ln.startswith(b"--") and len(ln) > 2]
    counts: dict[bytes, int] = {}
    for ln in dashed:
        counts[ln] = counts.get(ln, 0) + 1
        if ln.endswith(b"--") and len(ln) > 4:
            counts[ln[:-2]] = counts.get(ln[:-2], 0) + 1
    known = {ln for ln, n in counts.items() if n >= 2}
    if boundary:
        known.add(b"--" + boundary.encode("utf-8", errors="replace"))
    chunks: list[list[bytes]] = []
    for i, ln in enumerate(stripped):
        nxt = stripped[i + 1] if i + 1 < len(stripped) else b""
        if ln.startswith(b"--") and (ln in known or _HEADERISH.match(nxt)):
            chunks.append([])
        elif ln.startswith(b"--") and ln[:-2] in known and ln.endswith(b"--"):
            break
        elif chunks:
            chunks[-1].append(lines[i])
    return [b"".join(chunk) for chunk in chunks]


def repair_header_block(raw: bytes) -> bytes:
    """A header block with a line that is no header: when header lines follow it, it is garbage
    and goes; when none do, the blank line after the headers is missing and is put back."""
    blank = _BLANK.search(raw)
    head, rest = (raw[:blank.start()], raw[blank.start():]) if blank else (raw, b"")
    lines = head.splitlines(keepends=True)
    bad = [i for i, ln in enumerate(lines) if ln.strip() and not _HEADER_LINE.match(ln) and i > 0]
    if not bad:
        return raw
    first = bad[0]
    if any(_HEADER_LINE.match(ln) and not ln[:1].isspace() for ln in lines[first + 1:]):
        kept = [ln for i, ln in enumerate(lines) if i not in bad]
        return b"".join(kept) + rest
    newline = b"\r\n" if lines[first - 1].endswith(b"\r\n") else b"\n"
    return b"".join(lines[:first]) + newline + b"".join(lines[first:]) + rest
