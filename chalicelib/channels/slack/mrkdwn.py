"""Slack mrkdwn, autoescaped: text from outside stays text, our own markup stays live.

Slack parses ``<…>`` in a message as markup: ``<!channel>`` notifies a whole channel,
``<@U123>`` mentions someone, ``<https://x|label>`` is a link with any label. Text a
customer wrote (an email subject, an issue title, a display name, a Slack message)
must therefore reach Slack with ``&``, ``<`` and ``>`` escaped, exactly as Slack's
"Formatting text for app surfaces" guide says, and nothing else changed.

The rule works like an autoescaping HTML template:

* :class:`Mrkdwn` is a ``str`` that is already safe Slack markup. Only this module makes
  live markup: :func:`md` / :meth:`Mrkdwn.format` escape every value they interpolate
  unless it is itself :class:`Mrkdwn`; :func:`mention` and :func:`link` build our own
  mentions and links.
* Every string sent to Slack in a mrkdwn position goes through :func:`safe` at the
  Slack boundary (:func:`render_payload`, used by the Web API client): a :class:`Mrkdwn`
  passes as is, any other ``str`` is escaped. Forgetting to escape is therefore not
  possible; forgetting to mark our own markup only shows it literally.
* :func:`readable` turns a Slack user's own message markup into plain text
  (``<@U123>`` -> ``@Ada Hero``) before we store or quote it, so it is shown, never
  re-posted as a live mention.

Stdlib only: the ingress (which opens the reply modal) imports it too.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote as urlquote
from urllib.parse import urlsplit

__all__ = [
    "Mrkdwn", "escape", "join", "link", "md", "mention", "quote", "readable", "render_blocks", "render_payload",
    "safe",
]


def escape(text: str) -> str:
    """Slack's three escapes, and nothing else: the text then shows literally."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class _Escaping(string.Formatter):
    def format_field(self, value: Any, format_spec: str) -> str:
        if isinstance(value, Mrkdwn):
            return str.__format__(value, format_spec)
        return escape(format(value, format_spec))


_FORMATTER = _Escaping()


class Mrkdwn(str):
    """Text that is already safe Slack markup (built here, never from outside text).

    Concatenation, :meth:`format` and :meth:`join` keep it safe: whatever plain ``str``
    is combined with it is escaped first. Other ``str`` methods (slicing, ``strip``)
    return a plain ``str``, which the boundary then escapes: safe, if not pretty.
    """

    __slots__ = ()

    def format(self, *args: Any, **kwargs: Any) -> Mrkdwn:
        return Mrkdwn(_FORMATTER.vformat(self, args, kwargs))

    def join(self, parts: Iterable[str]) -> Mrkdwn:
        return Mrkdwn(str.join(self, (safe(p) for p in parts)))

    def __add__(self, other: str) -> Mrkdwn:
        return Mrkdwn(str.__add__(self, safe(other)))

    def __radd__(self, other: str) -> Mrkdwn:
        return Mrkdwn(str.__add__(safe(other), self))

    def __repr__(self) -> str:
        return f"Mrkdwn({str.__repr__(self)})"


def safe(text: str) -> Mrkdwn:
    """The one rule: our own markup as is, any other text escaped."""
    return text if isinstance(text, Mrkdwn) else Mrkdwn(escape(str(text)))


def md(template: str, /, *args: Any, **kwargs: Any) -> Mrkdwn:
    """``md("Ticket *#{}*: {}", number, subject)``: the template is ours, every value is escaped."""
    return Mrkdwn(template).format(*args, **kwargs)


def join(separator: str, parts: Iterable[str]) -> Mrkdwn:
    """``separator`` (ours) between ``parts``, each escaped unless it is :class:`Mrkdwn`."""
    return Mrkdwn(separator).join(parts)


def quote(text: str) -> Mrkdwn:
    """``text`` (escaped) as a block quote, every line of it."""
    return join("\n", [Mrkdwn(">") + line for line in (text.splitlines() or [""])])


_SLACK_ID = re.compile(r"[UW][A-Z0-9]{2,}")


def mention(user_id: str | None) -> Mrkdwn:
    """A live mention of a Slack user we chose (an owner, the Hero); anything not an id shows as text."""
    if user_id and _SLACK_ID.fullmatch(user_id):
        return Mrkdwn(f"<@{user_id}>")
    return safe(user_id or "")


def link(url: str, label: str | None = None) -> Mrkdwn:
    """A live link to an http(s) URL we built, with an escaped label; any other URL shows as text."""
    parts = urlsplit(url)
    text = label if label is not None else url
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return safe(text)
    # In ``<url|label>`` the first "|" ends the URL and ">" ends the link: keep both out of the URL.
    target = escape(urlquote(url, safe=":/?#[]@!$&'()*+,;=%~"))
    return Mrkdwn(f"<{target}|{escape(text)}>") if label is not None else Mrkdwn(f"<{target}>")


# -- a Slack user's own message, made readable -------------------------------------------
_TOKEN = re.compile(r"<([^<>]*)>")
_SPECIAL = {"here": "@here", "channel": "@channel", "everyone": "@everyone"}


def _unentity(text: str) -> str:
    """Slack's own entities in message text (it sends a typed ``<`` as ``&lt;``)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _readable_token(body: str, name_of: Callable[[str], str | None]) -> str:
    target, bar, label = body.partition("|")
    label = _unentity(label)
    if target.startswith("@"):
        if bar and label:
            return label if label.startswith("@") else f"@{label}"
        name = name_of(target[1:])
        return f"@{name or target[1:]}"
    if target.startswith("#"):
        return f"#{label or target[1:]}"
    if target.startswith("!"):
        command = target[1:]
        if command.startswith("subteam^"):
            team = label or command.partition("^")[2]
            return team if team.startswith("@") else f"@{team}"
        if command in _SPECIAL:
            return _SPECIAL[command]
        return label or command.split("^", 1)[0]
    url = _unentity(target)
    if bar and label and label != url:
        return f"{label} ({url})"
    return url


def readable(text: str, name_of: Callable[[str], str | None] = lambda _id: None) -> str:
    """A Slack message's markup as plain, readable text (to store, quote and then escape).

    ``<@U1>`` -> ``@Name`` (``name_of`` is asked; the id when it answers None),
    ``<@U1|ada>`` -> ``@ada``, ``<#C1|general>`` -> ``#general``, ``<!here>`` -> ``@here``,
    ``<!subteam^S1|@team>`` -> ``@team``, ``<https://x|label>`` -> ``label (https://x)``,
    ``<https://x>`` -> ``https://x``; ``&amp;``, ``&lt;`` and ``&gt;`` decoded.
    """
    out: list[str] = []
    last = 0
    for found in _TOKEN.finditer(text):
        out.append(_unentity(text[last:found.start()]))
        out.append(_readable_token(found.group(1), name_of))
        last = found.end()
    out.append(_unentity(text[last:]))
    return "".join(out)


# -- the boundary ----------------------------------------------------------------------------
def render_blocks(value: Any) -> Any:
    """A copy of Block Kit (blocks, a view, attachments) with every ``mrkdwn`` text made :func:`safe`.

    ``plain_text`` objects are left alone: Slack shows them literally.
    """
    if isinstance(value, Mapping):
        out = {k: render_blocks(v) for k, v in value.items()}
        if value.get("type") == "mrkdwn" and isinstance(value.get("text"), str):
            out["text"] = safe(value["text"])
        return out
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [render_blocks(v) for v in value]
    return value


_ATTACHMENT_TEXT = ("text", "pretext", "fallback", "title", "footer", "author_name")


def _render_attachments(value: Any) -> Any:
    """Legacy attachments: their text fields are mrkdwn too (we send none; a caller might)."""
    rendered = render_blocks(value)
    for item in rendered if isinstance(rendered, list) else []:
        if not isinstance(item, dict):
            continue
        item.update({k: safe(v) for k, v in item.items() if k in _ATTACHMENT_TEXT and isinstance(v, str)})
        for f in item.get("fields") or []:
            if isinstance(f, dict):
                f.update({k: safe(v) for k, v in f.items() if k in ("title", "value") and isinstance(v, str)})
    return rendered


def _render_json(value: Any, render: Callable[[Any], Any]) -> Any:
    """Blocks and views may arrive as a JSON string (form-encoded calls): render inside it."""
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return safe(value)
        return json.dumps(render(parsed))
    return render(value)


def render_payload(payload: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A Web API call's arguments with every text Slack would parse as markup made :func:`safe`:
    ``text``, ``topic``, ``purpose``, and the mrkdwn objects in ``blocks``, ``view`` and ``attachments``."""
    if payload is None:
        return None
    out = dict(payload)
    # "@channel" written as plain text must stay plain: no asking Slack to turn names into mentions.
    out.pop("link_names", None)
    if out.get("parse") == "full":
        out["parse"] = "none"
    for key in ("text", "topic", "purpose"):
        if isinstance(out.get(key), str):
            out[key] = safe(out[key])
    for key in ("blocks", "view"):
        if out.get(key) is not None:
            out[key] = _render_json(out[key], render_blocks)
    if out.get("attachments") is not None:
        out["attachments"] = _render_json(out["attachments"], _render_attachments)
    return out
