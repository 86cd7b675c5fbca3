"""The channels customers write in, one package each: ``chalicelib/channels/<name>/``.

A channel's package holds everything that channel knows: its intake (a source item to ticket
operations), how an agent's reply reaches the customer, its API client and its own UI. Its
``spec.py`` says what the rest of the desk needs to know, as a :class:`ChannelSpec`: a label and a
colour, its web routes if it has any (a Chalice blueprint, registered by ``app.py``), and its wiring
(called by the composition root, :mod:`chalicelib.services`, to register its reply channel, outbox
steps and event subscriptions).

To add a channel: write its package, then add its name to ``INSTALLED``. Nothing else changes.
This module is imported by ``app.py`` on every cold start: stdlib only, and specs import nothing heavy.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

INSTALLED: tuple[str, ...] = ("slack", "email", "contact", "github")


@dataclass(frozen=True)
class ChannelSpec:
    name: str
    label: str  # "Email", as people read it
    colour: str  # its colour in charts (colour-blind safe palette)
    routes: str | None = None  # "module:attribute" of a Chalice Blueprint that app.py registers
    wire: str | None = None  # "module:function" the composition root calls with a Wiring
    announced: bool = True  # a new ticket is posted in the triage channel (Slack's own are not)
    acknowledges_itself: bool = False  # its own receipt says it all (email's mail; the contact form's page)
    threaded: bool = False  # each customer message is shown in its ticket's triage-channel thread


def installed() -> list[ChannelSpec]:
    """Every installed channel's spec, in ``INSTALLED`` order."""
    return [importlib.import_module(f"chalicelib.channels.{name}.spec").SPEC for name in INSTALLED]


def spec(name: str | None) -> ChannelSpec | None:
    return next((s for s in installed() if s.name == name), None)


def _load(target: str) -> Any:
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)


def blueprints() -> list[Any]:
    """The Chalice blueprints of the channels that have web routes of their own."""
    return [_load(s.routes) for s in installed() if s.routes]


def wire_all(wiring: Any) -> None:
    """Let every installed channel register itself with the composition root's :class:`Wiring`."""
    for s in installed():
        if s.wire:
            _load(s.wire)(wiring)
