"""Browser sessions for the inbox: a one-time sign-in link (``/ticket inbox``), then a session cookie.

* A **sign-in link** carries a random token, valid for 10 minutes and for one use: only its SHA-256 is
  stored (``LOGIN#<hash>`` / ``login``), and signing in deletes it under a condition, so two clicks open
  at most one session.
* A **session** is ``<member id>.<random>`` in an HttpOnly, SameSite=Strict cookie, valid for 12 hours:
  stored as ``SESSION#<member id>`` / ``<hash of the random part>``, so one member's sessions are one
  Query away from being revoked together.  DynamoDB's TTL removes expired items.
* Each session has a **CSRF token**: an HMAC of the session's hash under a key of its own; every form
  carries it and a POST without it is refused (403).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from pynamodb.exceptions import DeleteError

from chalicelib.models.conditions import conditional_failed
from chalicelib.models.directory import DirectoryItem
from chalicelib.platform.clock import Clock

LOGIN, SESSION = "LOGIN#", "SESSION#"
LINK_SECONDS = 10 * 60
SESSION_SECONDS = 12 * 3600
_TOKEN = re.compile(r"[A-Za-z0-9_-]{40,64}")
_MEMBER = re.compile(r"[A-Za-z0-9_.@+-]{1,64}")


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def csrf_key(signing_secret: str) -> bytes:
    return hmac.new(signing_secret.encode(), b"support-hero/inbox-csrf/v1", hashlib.sha256).digest()


@dataclass(frozen=True)
class Session:
    member_id: str
    key: str  # the stored hash of the cookie's secret part ("" for an agent token: no cookie, no CSRF)
    expires: int

    def csrf(self, key: bytes) -> str:
        return hmac.new(key, f"csrf\n{self.member_id}\n{self.key}".encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, key: bytes, token: str | None) -> bool:
        if not self.key:
            return True  # a bearer token is not sent by the browser on its own: nothing to forge
        return bool(token) and str(token).isascii() and hmac.compare_digest(self.csrf(key), str(token))


class Sessions:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def _now(self) -> int:
        return int(self.clock.time())

    # -- sign-in links --------------------------------------------------------------------------------
    def new_link(self, member_id: str) -> str:
        """A one-time sign-in token for ``member_id``, valid for 10 minutes (only its hash is kept)."""
        token = secrets.token_urlsafe(32)
        expires = self._now() + LINK_SECONDS
        DirectoryItem(f"{LOGIN}{_hash(token)}", "login", state=member_id, value=expires, expires_at=expires + 3600,
                      updated_at=self.clock.now()).save()
        return token

    def peek_link(self, token: str) -> str | None:
        """The member a sign-in token is for, if it is still valid (not used, not expired)."""
        if not _TOKEN.fullmatch(token or ""):
            return None
        try:
            item = DirectoryItem.get(f"{LOGIN}{_hash(token)}", "login", consistent_read=True)
        except DirectoryItem.DoesNotExist:
            return None
        return str(item.state) if item.state and int(item.value or 0) >= self._now() else None

    def sign_in(self, token: str) -> tuple[str, Session] | None:
        """Use a sign-in token once: (the cookie value, its session), or None (unknown, used or expired)."""
        member_id = self.peek_link(token)
        if member_id is None:
            return None
        try:  # one use: the link goes, under a condition a second click cannot also meet
            DirectoryItem(f"{LOGIN}{_hash(token)}", "login").delete(
                condition=DirectoryItem.state.exists() & (DirectoryItem.value >= self._now()))
        except DeleteError as exc:
            if conditional_failed(exc):
                return None
            raise
        secret = secrets.token_urlsafe(32)
        expires = self._now() + SESSION_SECONDS
        key = _hash(secret)
        DirectoryItem(f"{SESSION}{member_id}", key, value=expires, expires_at=expires + 3600,
                      updated_at=self.clock.now()).save()
        return f"{member_id}.{secret}", Session(member_id, key, expires)

    # -- sessions --------------------------------------------------------------------------------------
    def find(self, cookie: str | None) -> Session | None:
        member_id, _, secret = (cookie or "").rpartition(".")
        if not _MEMBER.fullmatch(member_id) or not _TOKEN.fullmatch(secret):
            return None
        key = _hash(secret)
        try:
            item = DirectoryItem.get(f"{SESSION}{member_id}", key, consistent_read=True)
        except DirectoryItem.DoesNotExist:
            return None
        expires = int(item.value or 0)
        return Session(member_id, key, expires) if expires >= self._now() else None

    def revoke(self, session: Session) -> None:
        if session.key:
            DirectoryItem(f"{SESSION}{session.member_id}", session.key).delete()

    def revoke_all(self, member_id: str) -> int:
        """Sign ``member_id`` out everywhere (``/ticket inbox signout``); returns how many sessions ended."""
        items = list(DirectoryItem.query(f"{SESSION}{member_id}"))
        with DirectoryItem.batch_write() as batch:
            for item in items:
                batch.delete(item)
        now = self._now()
        return sum(1 for item in items if int(item.value or 0) >= now)  # the live ones (TTL takes the rest)

    def expires_at(self, session: Session) -> dt.datetime:
        return dt.datetime.fromtimestamp(session.expires, dt.UTC)
