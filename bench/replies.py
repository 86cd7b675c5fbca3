"""Reply extraction compared on one corpus: tests/replies/ (the project's own cases) and, when the
shared corpus sits beside the project, its talon fixtures.  Scored as tests/test_reply_corpus.py
scores (tests/reply_scoring.py: right = same text once whitespace is collapsed; lost = a line
of the sender's reply missing).

(a) support-hero        parse_email(raw).reply_text: MIME, HTML and the reply, all ours
(b) mail-parser-reply   EmailReplyParser(languages=<every one it knows>).parse_reply(text)
(c) email-reply-parser  EmailReplyParser.parse_reply(text)

(b) and (c) read text only: each is given the same full text our parser takes from the message
(parse_email(raw).text, quoted history included), so the comparison is of the reply rules alone.

Run: .venv/bin/python -m bench.replies   (part of make bench)
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED_EMAIL = ROOT.parent / "shared" / "corpus" / "email"


@dataclass
class Row:
    name: str
    right: int
    total: int
    lost: int
    ms_per_case: float


@dataclass
class Result:
    corpus: str
    rows: list[Row]
    notes: list[str]

    def report(self) -> list[str]:
        lines = [f"(g) reply extraction over {self.corpus}",
                 f"    {'extractor':<20} {'right':>9} {'share':>7} {'lost text':>10} {'ms/case':>8}"]
        for r in self.rows:
            lines.append(f"    {r.name:<20} {f'{r.right}/{r.total}':>9} {r.right / r.total:>7.1%} "
                         f"{r.lost:>10} {r.ms_per_case:>8.2f}")
        lines += [f"    {note}" for note in self.notes]
        return lines


def extractors() -> dict[str, Callable[[bytes], str | None]]:
    from email_reply_parser import EmailReplyParser as Erp
    from mailparser_reply import EmailReplyParser as Mpr
    from mailparser_reply.constants import MAIL_LANGUAGES

    from chalicelib.channels.email.parse import parse_email

    mpr = Mpr(languages=list(MAIL_LANGUAGES))
    return {
        "support-hero": lambda raw: parse_email(raw).reply_text,
        "mail-parser-reply": lambda raw: mpr.parse_reply(text=parse_email(raw).text),
        "email-reply-parser": lambda raw: Erp.parse_reply(parse_email(raw).text),
    }


def run() -> Result:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from tests.reply_scoring import load_cases, load_talon
    from tests.reply_scoring import run as score_all

    cases = load_cases()
    corpus = f"tests/replies ({len(cases)} cases)"
    notes = []
    if SHARED_EMAIL.is_dir():
        talon = load_talon(SHARED_EMAIL)
        cases += talon
        corpus += f" + talon fixtures ({len(talon)})"
    else:
        notes.append(f"shared corpus not found at {SHARED_EMAIL}: talon fixtures left out")
    rows = []
    for name, extract in extractors().items():
        t0 = time.perf_counter()
        scores = score_all(cases, extract)
        elapsed = (time.perf_counter() - t0) * 1000 / len(cases)
        rows.append(Row(name, sum(s.right for s in scores), len(scores), sum(bool(s.lost) for s in scores), elapsed))
    notes.append("lost text = cases where a line the sender wrote is missing from the answer (the worse failure)")
    notes.append("ms/case includes parse_email(raw) for all three (b and c read its full text)")
    return Result(corpus, rows, notes)


def main() -> int:
    for line in run().report():
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
