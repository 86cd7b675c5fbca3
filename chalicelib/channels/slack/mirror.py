"""Email and contact-form tickets in Slack: each customer message in its ticket's triage thread, the whole
mail one click away.

Every customer message on a ticket of a threaded channel (``ChannelSpec.threaded``: email, the contact
form), the first one and each reply, is posted in the thread of the ticket's triage-channel message:
who wrote, and what they wrote (for a mail, the reply without the quoted history). Under a message that
came by mail, a "Show full email" button answers the member who presses it, privately,
with a link of their own (one hour) to a page with the mail's whole text and its raw ``.eml``.
The link grants exactly that: one message of one ticket, to one member, until it expires.
"""

from __future__ import annotations

import hashlib
import hmac
import urllib.parse
from collections.abc import Callable
from typing import Any

from chalicelib import channels
from chalicelib.channels.slack.api import SlackApi
from chalicelib.channels.slack.effects import ephemeral
from chalicelib.channels.slack.mrkdwn import Mrkdwn, link, md, quote
from chalicelib.desk.directory import TeamMember
from chalicelib.desk.directory_store import DirectoryStore
from chalicelib.desk.outbox import Attempt, Outbox, PermanentFailure, Step, TransientFailure, step_id
from chalicelib.desk.tickets import CUSTOMER, TicketService, number_of
from chalicelib.models.tickets import Message, Ticket
from chalicelib.platform.clock import Clock

ANNOUNCE = "ticket.announce"  # slack_triage's step that makes the thread (named here: no import cycle)
MIRROR = "email.mirror"
MIRROR_EVENT = "support_hero_email"
ACTION_FULL_EMAIL = "email_full"
BLOCK_PREFIX = "email:"
EXCERPT_CHARS = 2500
MAIL_LINK_SECONDS = 3600


def mirror_step(ticket: Ticket, message_key: str) -> Step:
    return Step(step_id(MIRROR, ticket.ticket_id, message_key), MIRROR,
                {"ticket_id": ticket.ticket_id, "message_key": message_key},
                ticket_id=ticket.ticket_id, ticket_number=number_of(ticket),
                summary=f"show the email on #{ticket.number} in its Slack thread")


# -- the signed link to one email -----------------------------------------------------------------
def mail_link_key(signing_secret: str) -> bytes:
    """A key of its own for email links, derived from the Slack signing secret (a fixed label)."""
    return hmac.new(signing_secret.encode(), b"support-hero/mail-link/v1", hashlib.sha256).digest()


def _mail_message(member_id: str, number: int, message_key: str, expires: int) -> bytes:
    return "\n".join(["mail-view/v1", member_id, str(number), message_key, str(expires)]).encode(
        "utf-8", "surrogatepass")


def sign_mail_link(key: bytes, member_id: str, number: int, message_key: str, expires: int) -> str:
    return hmac.new(key, _mail_message(member_id, number, message_key, expires), hashlib.sha256).hexdigest()


def verify_mail_link(key: bytes, member_id: str, number: int, message_key: str, expires: str, signature: str,
                     now: float) -> bool:
    """True for a link we signed for this member, this message of this ticket, not yet expired."""
    if not (expires.isascii() and expires.isdigit()) or len(expires) > 12 or not signature.isascii():
        return False
    if int(expires) < now or int(expires) > now + MAIL_LINK_SECONDS + 60:
        return False
    return hmac.compare_digest(sign_mail_link(key, member_id, number, message_key, int(expires)), signature)


class EmailMirror:
    def __init__(self, *, tickets: TicketService, directory: DirectoryStore, slack: SlackApi, outbox: Outbox,
                 clock: Clock, link_key: Callable[[], bytes] | None) -> None:
        self.tickets = tickets
        self.directory = directory
        self.slack = slack
        self.outbox = outbox
        self.clock = clock
        self.link_key = link_key

    def register(self) -> None:
        self.outbox.register(MIRROR, self.step)

    def effects(self, ticket: Ticket, message_key: str, role: str) -> list[Step]:
        """The thread post for a customer message on a ticket of a threaded channel (email, the contact
        form; none without a triage channel)."""
        spec = channels.spec(ticket.channel)
        if spec is None or not spec.threaded or role != CUSTOMER or not self.directory.load().settings.triage_channel:
            return []
        return [mirror_step(ticket, message_key)]

    def step(self, attempt: Attempt) -> str:
        p = attempt.payload
        ticket = self.tickets.find(str(p["ticket_id"]))
        if ticket is None or ticket.kind != "ticket":
            raise PermanentFailure("the ticket no longer exists")
        if not ticket.triage_ref:
            if not self.directory.load().settings.triage_channel:
                return "no-triage-channel"
            announce = self.outbox.get(step_id(ANNOUNCE, ticket.ticket_id))
            if announce is not None and announce.state == "failed":
                # No thread to post in: fail with the hint (retry the post, then this step), not 24 h of retries.
                raise PermanentFailure("the ticket's triage-channel post failed, so its thread does not exist",
                                       "retry the triage-channel post first, then this step")
            raise TransientFailure("the ticket's triage-channel post is not there yet")
        channel, _, thread_ts = ticket.triage_ref.partition(":")
        key = str(p["message_key"])
        message = self.tickets.store.message(ticket.ticket_id, key, consistent_read=False)
        if message is None:
            raise PermanentFailure("the message no longer exists")
        if attempt.maybe_sent:
            ts = self.slack.find_own_post(channel, thread_ts, MIRROR_EVENT, "message_key", key)
            if ts:
                return f"{channel}:{ts}"
        text = email_text(message)
        ts = self.slack.post(channel=channel, thread_ts=thread_ts, text=text, blocks=email_blocks(ticket, message),
                             metadata={"event_type": MIRROR_EVENT, "event_payload": {"message_key": key}})
        return f"{channel}:{ts}"

    def show_full(self, member: TeamMember, act: dict[str, Any], number: int, channel: str, user: str,
                  base: str) -> None:
        """The "Show full email" button: a private link, for this member, to that one email."""
        key = str(act.get("value") or "")[:1200]
        if self.link_key is None:
            text = "The email link cannot be signed here (no signing secret)."
        else:
            expires = int(self.clock.time()) + MAIL_LINK_SECONDS
            sig = sign_mail_link(self.link_key(), member.id, number, key, expires)
            query = urllib.parse.urlencode({"ticket": number, "key": key, "member": member.id, "expires": expires,
                                            "sig": sig})
            text = md("The full email on #{} (this link is yours and works for one hour): {}", number,
                      link(f"{base}/mail?{query}", "open it"))
        self.outbox.add(ephemeral(f"full-email:{member.id}:{act.get('action_ts') or key}", channel, user, text))


def email_text(message: Message) -> Mrkdwn:
    """Who wrote and what, within a section's 3,000 characters (escaping can lengthen the text)."""
    who = message.author_name or message.author_id or "someone"
    address = f" <{message.author_id}>" if message.author_id and message.author_id != who else ""
    files = md("\n_Attachments: {}_", ", ".join(message.files)[:300]) if message.files else ""
    body, limit = message.text or "", EXCERPT_CHARS
    while True:
        shown = body if len(body) <= limit else body[:limit].rstrip() + " …"
        icon = ":email:" if message.channel == "email" else ":speech_balloon:"
        text = md("{} *{}*{} wrote:\n{}{}", Mrkdwn(icon), who[:200], address[:300], quote(shown), files)
        if len(text) <= 2900 or limit < 100:
            return text
        limit = limit * 2 // 3


def email_blocks(ticket: Ticket, message: Message) -> list[dict[str, Any]]:
    """The message; for one that came by mail, the button to the whole mail."""
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": email_text(message)}}]
    if message.channel == "email":
        blocks.append({"type": "actions", "block_id": f"{BLOCK_PREFIX}{ticket.number}", "elements": [
            {"type": "button", "action_id": ACTION_FULL_EMAIL, "value": message.message_key[:2000],
             "text": {"type": "plain_text", "text": "Show full email"}},
        ]})
    return blocks
