"""Scoring of reply extraction against the corpus in tests/replies/ (and the talon fixtures of the
shared corpus): used by tests/test_reply_corpus.py and bench/replies.py.

A case is a raw message ``<name>.eml`` and the reply its sender wrote, ``<name>.reply`` (UTF-8).
For each case an extractor gives some text; it is

- **right** when ``norm(got) == norm(expected)``, ``norm`` collapsing every run of whitespace
  (line breaks included) to one space and stripping the ends: so an HTML mail's line breaks
  need not match;
- **lost** (customer text thrown away, the worse failure) when some non-empty line of the
  expected reply, normalised the same way, is not a substring of ``norm(got)``.

A wrong case that lost nothing kept too much (quoted history, a signature).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

REPLIES_DIR = Path(__file__).resolve().parent / "replies"

# The talon fixtures of the shared corpus (../shared/corpus/email/talon__*.eml, read in place):
# the reply each sender wrote, judged by reading each file.  A tuple holds every accepted answer
# (share-block's plain and HTML parts sign with different names).
TALON_EXPECTED: dict[str, str | tuple[str, ...]] = {
    "talon__reply-quotations-share-block.eml": tuple(
        "Hi Katharine. Sounds great. Are there and dietry restrictions or things your husband does/doesn't like "
        "to eat? Would you like to do a few hors d oeuvres and then a 3 or 4 course dinner? Let me know what you "
        "think will work best and I will start working on a menu and proposal. Thanks so much and look forward to "
        f"hearing from you soon.\n\n{name}" for name in ("Joe XXX", "Jhon Doe")),
    "talon__standard_replies-android.eml": "Hello",
    "talon__standard_replies-apple_mail.eml": "Hello",
    "talon__standard_replies-apple_mail_2.eml": "Hello",
    "talon__standard_replies-gmail.eml": "Hello",
    "talon__standard_replies-hotmail.eml": "Hello",
    "talon__standard_replies-iphone.eml": "Hello",  # "Sent from my iPhone" is a signature
    "talon__standard_replies-outlook.eml": "Hello",
    "talon__standard_replies-sparrow.eml": "Hello",  # "-- \nxxx\nSent with Sparrow" is a signature
    "talon__standard_replies-thunderbird.eml": "Hello",  # bottom-posted under the quote
    "talon__standard_replies-yahoo.eml": "Hello",
}


def norm(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True)
class Case:
    name: str
    raw: bytes
    expected: tuple[str, ...]  # accepted answers; the first is the reference


@dataclass
class Score:
    name: str
    expected: str
    got: str
    right: bool
    lost: list[str] = field(default_factory=list)  # expected lines missing from what was got


def lost_lines(expected: str, got: str) -> list[str]:
    have = norm(got)
    return [norm(line) for line in expected.splitlines() if norm(line) and norm(line) not in have]


def score(case: Case, got: str | None) -> Score:
    got = got or ""
    for answer in case.expected:
        if norm(got) == norm(answer):
            return Score(case.name, answer, got, right=True)
    losses = [(lost_lines(answer, got), answer) for answer in case.expected]
    lost, answer = min(losses, key=lambda pair: len(pair[0]))
    return Score(case.name, answer, got, right=False, lost=lost)


def load_cases(folder: Path = REPLIES_DIR) -> list[Case]:
    cases = []
    for eml in sorted(folder.glob("*.eml")):
        expected = eml.with_suffix(".reply").read_text(encoding="utf-8")
        cases.append(Case(eml.stem, eml.read_bytes(), (expected,)))
    return cases


def load_talon(folder: Path) -> list[Case]:
    """The talon fixtures in ``folder`` (the shared corpus's email/), with TALON_EXPECTED."""
    cases = []
    for name, expected in sorted(TALON_EXPECTED.items()):
        answers = expected if isinstance(expected, tuple) else (expected,)
        cases.append(Case(name.removesuffix(".eml"), (folder / name).read_bytes(), answers))
    return cases


def run(cases: Iterable[Case], extract: Callable[[bytes], str | None]) -> list[Score]:
    scores = []
    for case in cases:
        try:
            got = extract(case.raw)
        except Exception as exc:  # an extractor that raises scores as an empty answer
            got = f"<raised {type(exc).__name__}: {exc}>"
        scores.append(score(case, got))
    return scores


def share_right(scores: list[Score]) -> float:
    return sum(s.right for s in scores) / len(scores) if scores else 0.0


def _short(text: str, width: int = 110) -> str:
    text = norm(text)
    return text if len(text) <= width else text[: width - 3] + "..."


def short_diff(expected: str, got: str, width: int = 110) -> list[str]:
    """Words added (+) and removed (-) from the expected reply, each run shortened."""
    a, b = norm(expected).split(), norm(got).split()
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op in ("delete", "replace"):
            out.append("- " + _short(" ".join(a[i1:i2]), width))
        if op in ("insert", "replace"):
            out.append("+ " + _short(" ".join(b[j1:j2]), width))
    return out[:4]


def report(title: str, scores: list[Score], *, limit: int = 60) -> list[str]:
    right = sum(s.right for s in scores)
    lost = [s for s in scores if s.lost]
    lines = [f"{title}: {right}/{len(scores)} right ({share_right(scores):.1%}), "
             f"{len(lost)} lost customer text"]
    wrong = [s for s in scores if not s.right]
    for s in wrong[:limit]:
        tag = "LOST" if s.lost else "kept too much"
        lines.append(f"  {s.name}: {tag}")
        for missing in s.lost[:2]:
            lines.append(f"      missing: {_short(missing)}")
        lines.extend("      " + d for d in short_diff(s.expected, s.got))
    if len(wrong) > limit:
        lines.append(f"  ... and {len(wrong) - limit} more wrong")
    return lines
