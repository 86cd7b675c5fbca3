"""The ``/ticket`` grammar (stdlib only: the ingress checks syntax before it acknowledges)."""

from __future__ import annotations

import re
from dataclasses import dataclass

USAGE = (
    "Usage: `/ticket mine` · `queue` · `show 12` · `assign 12 @user` · `priority 12 low|normal|high|urgent` · "
    "`tag 12 billing` · `status 12 new|open|pending|solved|closed` · `solve 12` · `handover 12 @user <note>` · "
    "`note 12 <text>` · `reply 12 <text>` · `dashboard [2026-11-02 2026-11-29] [day|week]` · "
    "`person @user|email|github:login|#12` · `person link <who> <who>` · `person unlink <who>` · "
    "`inbox` (a sign-in link for the browser inbox) · `inbox signout` · `help`"
)
_MENTION = re.compile(r"^<@([A-Z0-9]+)(?:\|[^>]*)?>$")


class CommandError(ValueError):
    """Not a valid /ticket command; the message says why (the usage line follows it)."""


@dataclass(frozen=True)
class Command:
    verb: str
    number: int | None = None
    user: str | None = None  # a Slack user id
    arg: str | None = None


def parse(text: str) -> Command:
    words = text.strip().split(maxsplit=1)
    if not words:
        return Command("help")
    verb, rest = words[0].lower(), (words[1] if len(words) > 1 else "")
    if verb == "dashboard":
        return Command(verb, arg=_dashboard_view(rest))
    if verb == "person":
        return Command(verb, arg=_person(rest))
    if verb == "inbox":
        if rest.strip().lower() not in ("", "signout"):
            raise CommandError("`inbox` takes nothing, or `signout` (ends your sessions in every browser)")
        return Command(verb, arg=rest.strip().lower() or None)
    if verb in ("help", "mine", "queue"):
        if rest.strip():
            raise CommandError(f"`{verb}` takes no arguments")
        return Command(verb)
    if verb not in ("show", "assign", "priority", "tag", "status", "solve", "handover", "note", "reply"):
        raise CommandError(f"unknown command `{verb}`")
    parts = rest.split(maxsplit=1)
    digits = parts[0].lstrip("#") if parts else ""
    # ASCII digits only ("²".isdigit() is True, int("²") raises), and a number a ticket can have.
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 12 or int(digits) < 1:
        raise CommandError(f"`{verb}` needs a ticket number")
    number, tail = int(digits), (parts[1].strip() if len(parts) > 1 else "")
    if verb in ("show", "solve"):
        if tail:
            raise CommandError(f"`{verb}` takes only a ticket number")
        return Command(verb, number)
    if verb in ("assign", "handover"):
        who, _, note = tail.partition(" ")
        match = _MENTION.match(who)
        if not match:
            raise CommandError(f"`{verb}` needs a @mention of a team member")
        if verb == "handover" and not note.strip():
            raise CommandError("`handover` needs a note for the new owner")
        if verb == "assign" and note.strip():
            raise CommandError("`assign` takes a ticket number and one @mention")
        return Command(verb, number, user=match.group(1), arg=note.strip() or None)
    if not tail:
        raise CommandError(f"`{verb}` needs a value")
    if verb in ("priority", "status", "tag") and " " in tail:
        raise CommandError(f"`{verb}` takes one value")
    return Command(verb, number, arg=tail)


_MAILTO = re.compile(r"^<mailto:([^|>]+)(?:\|[^>]*)?>$")
_WHO_USAGE = "a @mention, an email address, `github:<login>` or a ticket number like `#12`"


def _who(word: str) -> str:
    """One person reference as ``slack:U…``, ``email:…``, ``github:…`` or ``#12`` (checked in the worker)."""
    if match := _MENTION.match(word):
        return f"slack:{match.group(1)}"
    if match := _MAILTO.match(word):
        return f"email:{match.group(1)}"
    digits = word.removeprefix("#")
    if word.startswith("#") and digits.isascii() and digits.isdigit() and 0 < len(digits) <= 12:
        return f"#{int(digits)}"
    kind, sep, value = word.partition(":")
    if sep and kind.lower() in ("slack", "email", "github") and value and len(value) <= 254:
        return f"{kind.lower()}:{value}"
    if "@" in word and not word.startswith("<") and len(word) <= 254:
        return f"email:{word}"
    raise CommandError(f"`{word[:40]}` is not {_WHO_USAGE}")


def _person(rest: str) -> str:
    """``person <who>`` · ``person link <who> <who>`` · ``person unlink <who>``: "show|link|unlink <refs>"."""
    words = rest.split()
    sub = words[0].lower() if words and words[0].lower() in ("link", "unlink") else "show"
    refs = words[1:] if sub != "show" else words
    wanted = 2 if sub == "link" else 1
    if len(refs) != wanted:
        raise CommandError(f"`person{'' if sub == 'show' else ' ' + sub}` needs "
                           f"{'two people' if wanted == 2 else 'one person'}: {_WHO_USAGE}")
    return " ".join([sub, *(_who(w) for w in refs)])


_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _dashboard_view(rest: str) -> str | None:
    """``dashboard [FROM TO] [day|week]``: the one view a dashboard link will grant (None: the default)."""
    words = rest.split()
    group = words.pop() if words and words[-1].lower() in ("day", "week") else None
    if words and (len(words) != 2 or not all(_DATE.match(w) for w in words)):
        raise CommandError("`dashboard` takes a period as two dates, `2026-11-02 2026-11-29`, then `day` or `week`")
    return " ".join([*words, (group or "day").lower()]) if words or group else None


HERO_USAGE = "Usage: `/hero who` · `schedule` (the next four sprints) · `swap @a @b` · `skip @a` · `help`"


def parse_hero(text: str) -> Command:
    """The ``/hero`` grammar: ``who``, ``schedule``, ``swap @a @b``, ``skip @a``."""
    words = text.strip().split()
    if not words:
        return Command("who")
    verb, rest = words[0].lower(), words[1:]
    if verb in ("who", "schedule", "help"):
        if rest:
            raise CommandError(f"`{verb}` takes no arguments")
        return Command(verb)
    if verb not in ("swap", "skip"):
        raise CommandError(f"unknown command `{verb}`")
    users = [m.group(1) for m in (_MENTION.match(w) for w in rest) if m]
    wanted = 2 if verb == "swap" else 1
    if len(users) != len(rest) or len(users) != wanted:
        raise CommandError(f"`{verb}` needs {'two @mentions' if wanted == 2 else 'one @mention'}")
    return Command(verb, user=users[0], arg=users[1] if wanted == 2 else None)
