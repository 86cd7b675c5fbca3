"""``python -m chalicelib.cli parse-mail``: its JSON keys are a contract other tools rely on."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import corpus_dir

ROOT = Path(__file__).resolve().parent.parent
KEYS = {"from", "from_name", "to", "cc", "subject", "date", "reply_text", "full_text", "truncated", "attachments",
        "charset_fallbacks", "message_id", "in_reply_to", "references", "is_delivery_report",
        "no_acknowledgement_because"}


def parse_mail(arg: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}  # no AWS settings: the command needs none
    return subprocess.run([sys.executable, "-m", "chalicelib.cli", "parse-mail", arg], input=stdin, cwd=ROOT,
                          env=env, capture_output=True, timeout=60, check=False)


def test_a_reply_from_a_file() -> None:
    done = parse_mail(str(ROOT / "tests/replies/110-gmail-en-interleaved.eml"))
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert set(out) == KEYS
    assert out["from"] == "ines@example.org" and out["subject"] == "Re: Export to CSV fails"
    assert out["reply_text"] == "Answers inline.\n\nBusiness, annual.\n\nAbout 40.\n\nThanks, Ines"
    assert "> 2. How many users?" in out["full_text"]
    assert out["in_reply_to"] == ["198fe1074d188791@support.example.com"] and out["attachments"] == []


def test_stdin_attachments_and_charset_fallbacks() -> None:
    raw = (b"From: =?utf-8?q?Ren=C3=A9?= <rene@example.fr>\r\nTo: hey@example.com\r\nSubject: Facture\r\n"
           b"Message-ID: <f1@example.fr>\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed; boundary=b1\r\n\r\n--b1\r\n"
           b"Content-Type: text/plain\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
           + "Envoyé par erreur ? Voici la facture.\r\n".encode()
           + b"--b1\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"f.pdf\"\r\n"
             b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b1--\r\n")
    done = parse_mail("-", stdin=raw)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["reply_text"] == "Envoyé par erreur ? Voici la facture."  # 8-bit UTF-8 with no charset
    assert out["charset_fallbacks"] and out["from_name"] == "René"
    assert out["attachments"] == [{"name": "f.pdf", "type": "application/pdf", "size": 9}]
    assert out["message_id"] == "f1@example.fr"


def test_a_dozen_corpus_mails_parse() -> None:  # the whole corpus goes through parse_email in test_mime_corpus
    files = sorted(p for p in corpus_dir("email").iterdir() if p.is_file())[:12]
    for path in files:
        done = parse_mail(str(path))
        assert done.returncode == 0 and set(json.loads(done.stdout)) == KEYS, (path.name, done.stderr)


def test_a_missing_file_is_a_clear_error() -> None:
    done = parse_mail("/nonexistent/mail.eml")
    assert done.returncode == 2 and b"No such file" in done.stderr and not done.stdout
