""""How did we do?" by email (email and contact-form tickets): two signed one-click links and a comment page.

A link grants exactly one thing: recording that answer (``good``, ``bad``) or opening the comment page
(``comment``) for that one ticket, until it expires (30 days).  It is an HMAC over the action, the ticket's
id and number and the expiry, with a key of its own derived from the Slack signing secret; anything else
(another ticket, another answer, a later expiry) fails the check (401).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import urllib.parse
from collections.abc import Callable

from chalicelib.channels.email.mailer import Mailer, reply_address, reply_subject
from chalicelib.desk.directory_store import DirectoryStore
from chalicelib.desk.outbox import Attempt, PermanentFailure
from chalicelib.models.tickets import Ticket
from chalicelib.platform.clock import Clock

LINK_DAYS = 30
ACTIONS = ("good", "bad", "comment")


def survey_link_key(signing_secret: str) -> bytes:
    return hmac.new(signing_secret.encode(), b"support-hero/survey-link/v1", hashlib.sha256).digest()


def _message(action: str, ticket_id: str, number: int, expires: int) -> bytes:
    return "\n".join(["survey/v1", action, ticket_id, str(number), str(expires)]).encode("utf-8", "surrogatepass")


def sign_survey_link(key: bytes, action: str, ticket_id: str, number: int, expires: int) -> str:
    return hmac.new(key, _message(action, ticket_id, number, expires), hashlib.sha256).hexdigest()


def verify_survey_link(key: bytes, action: str, ticket_id: str, number: int, expires: str, signature: str,
                       now: float) -> bool:
    """True for a link we signed for this action on this ticket that has not expired."""
    if action not in ACTIONS or not (expires.isascii() and expires.isdigit()) or len(expires) > 12:
        return False
    if not signature.isascii() or int(expires) < now or int(expires) > now + LINK_DAYS * 86400 + 60:
        return False
    return hmac.compare_digest(sign_survey_link(key, action, ticket_id, number, int(expires)), signature)


def survey_links(base: str, key: bytes, ticket: Ticket, expires: int) -> dict[str, str]:
    number = int(ticket.number or 0)
    return {action: f"{base}/survey?" + urllib.parse.urlencode(
        {"n": number, "a": action, "e": expires, "s": sign_survey_link(key, action, ticket.ticket_id, number, expires)})
        for action in ACTIONS}


def public_base() -> str | None:
    """Where customers reach the API (``PUBLIC_API_URL``): a link in an email cannot guess it."""
    value = os.environ.get("PUBLIC_API_URL", "").strip().rstrip("/")
    return value if value.startswith(("https://", "http://")) else None


class EmailSurvey:
    def __init__(self, *, directory: DirectoryStore, mailer: Callable[[], Mailer], clock: Clock,
                 link_key: Callable[[], bytes]) -> None:
        self.directory = directory
        self.mailer = mailer
        self.clock = clock
        self.link_key = link_key

    def send(self, ticket: Ticket, attempt: Attempt) -> str:
        origin = ticket.origin or {}
        base = public_base()
        if base is None:
            raise PermanentFailure("PUBLIC_API_URL is not set: an emailed survey needs links that work")
        if not origin.get("address") or not origin.get("reply_token"):
            raise PermanentFailure("the ticket has no address to ask")
        team = self.directory.load().settings.team_name
        expires = int(self.clock.time()) + LINK_DAYS * 86400
        links = survey_links(base, self.link_key(), ticket, expires)
        text = (f"Hello,\n\nYour request \"{ticket.subject or ''}\" (ticket #{ticket.number}) was solved. "
                f"How did we do?\n\n"
                f"Good: {links['good']}\n\nNot good: {links['bad']}\n\n"
                f"One click is enough. To tell us more: {links['comment']}\n\n{team}")
        mailer = self.mailer()
        domain = mailer.support_address.partition("@")[2] or "localhost"
        root = origin.get("root_message_id")
        mail = mailer.build(
            to=str(origin["address"]), to_name=origin.get("name"),
            subject=reply_subject(str(origin.get("subject") or ticket.subject or "")), text=text, from_name=team,
            reply_to=reply_address(mailer.support_address, str(origin["reply_token"])),
            in_reply_to=root, references=[root] if root else [], auto_reply=True,
            message_id=f"{hashlib.sha256(('survey:' + ticket.ticket_id).encode()).hexdigest()[:32]}@{domain}",
        )
        sent = mailer.send(mail)
        return f"ses:{sent.ses_message_id}"
