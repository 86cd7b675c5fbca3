"""Reply extraction scored over the project's own corpus (tests/replies/: a raw .eml and the reply its
sender wrote, .reply) and over the talon fixtures of the shared corpus.  One scored test per corpus,
not one per case: the report (share right, every wrong case with a short word diff) is written to
the terminal and is the failure message.  Scoring: tests/reply_scoring.py.
"""

from __future__ import annotations

from typing import Any

from chalicelib.channels.email.parse import parse_email
from tests.conftest import corpus_dir
from tests.reply_scoring import load_cases, load_talon, report, run, share_right

MIN_SHARE_RIGHT = 0.95


def ours(raw: bytes) -> str:
    return parse_email(raw).reply_text


def _check(corpus_score: Any, title: str, scores: list) -> None:
    lines = report(title, scores)
    text = "\n".join(lines)
    corpus_score(lines[0])  # the share right, in the terminal summary of `make test`
    lost = [s.name for s in scores if s.lost]
    assert not lost, f"customer text lost in {len(lost)} case(s)\n{text}"
    assert share_right(scores) >= MIN_SHARE_RIGHT, f"under {MIN_SHARE_RIGHT:.0%} right\n{text}"


def test_reply_corpus(corpus_score: Any) -> None:
    cases = load_cases()
    assert len(cases) >= 130, f"tests/replies/ holds {len(cases)} cases"
    _check(corpus_score, "reply corpus (tests/replies)", run(cases, ours))


def test_talon_replies(corpus_score: Any) -> None:
    folder = corpus_dir("email")  # skips when the shared corpus is absent
    _check(corpus_score, "talon fixtures (shared corpus)", run(load_talon(folder), ours))
