"""Slack request signatures: Slack's published example, the replay window, malformed input."""

from __future__ import annotations

import pytest

from chalicelib.platform.security import SignatureError, hash_token, slack_signature, verify_slack_signature
from tests.conftest import corpus_dir

# Slack's documented example (api.slack.com/authentication/verifying-requests-from-slack).
EXAMPLE_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
EXAMPLE_TS = "1531420618"
EXAMPLE_SIG = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"


def example_body() -> bytes:
    return (corpus_dir("slack") / "pyslacksdk__signature_verifier_slash_command_body.txt").read_bytes().rstrip(b"\n")


def test_known_answer_from_slack_docs() -> None:
    body = example_body()
    assert slack_signature(EXAMPLE_SECRET, EXAMPLE_TS, body) == EXAMPLE_SIG
    verify_slack_signature(
        signing_secret=EXAMPLE_SECRET, body=body, timestamp=EXAMPLE_TS, signature=EXAMPLE_SIG,
        now=int(EXAMPLE_TS) + 10,
    )


@pytest.mark.parametrize(
    ("timestamp", "signature", "now_offset", "reason"),
    [
        (None, EXAMPLE_SIG, 0, "missing X-Slack-Request-Timestamp"),
        ("", EXAMPLE_SIG, 0, "missing X-Slack-Request-Timestamp"),
        (EXAMPLE_TS, None, 0, "missing X-Slack-Signature"),
        ("not-a-number", EXAMPLE_SIG, 0, "malformed X-Slack-Request-Timestamp"),
        (EXAMPLE_TS, EXAMPLE_SIG, 301, "outside the replay window"),
        (EXAMPLE_TS, EXAMPLE_SIG, -301, "outside the replay window"),
        (EXAMPLE_TS, "v1=" + EXAMPLE_SIG[3:], 0, "malformed X-Slack-Signature"),
        (EXAMPLE_TS, EXAMPLE_SIG[:-1], 0, "malformed X-Slack-Signature"),
        (EXAMPLE_TS, EXAMPLE_SIG[:-1] + "0", 0, "does not match"),
        (EXAMPLE_TS, "v0=" + "é" * 64, 0, "does not match"),
    ],
)
def test_rejections(timestamp: str | None, signature: str | None, now_offset: int, reason: str) -> None:
    with pytest.raises(SignatureError, match=reason):
        verify_slack_signature(
            signing_secret=EXAMPLE_SECRET, body=example_body(), timestamp=timestamp, signature=signature,
            now=int(EXAMPLE_TS) + now_offset,
        )


def test_window_edges_are_inclusive() -> None:
    for offset in (-300, 300):
        verify_slack_signature(
            signing_secret=EXAMPLE_SECRET, body=example_body(), timestamp=EXAMPLE_TS, signature=EXAMPLE_SIG,
            now=int(EXAMPLE_TS) + offset,
        )


def test_body_tampering_is_detected() -> None:
    with pytest.raises(SignatureError):
        verify_slack_signature(
            signing_secret=EXAMPLE_SECRET, body=example_body() + b"&x=1", timestamp=EXAMPLE_TS,
            signature=EXAMPLE_SIG, now=int(EXAMPLE_TS),
        )


def test_token_hash_is_stable_and_not_the_token() -> None:
    digest = hash_token("dev-token-ada")
    assert digest == hash_token("dev-token-ada")
    assert "dev-token-ada" not in digest and len(digest) == 64
    assert digest != hash_token("dev-token-bo")
