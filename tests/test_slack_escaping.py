"""Issue 11: customer text is never posted to Slack as markup.

Hostile strings go in through every channel (a Slack customer's message and display name, a
community question, an email's subject, display name, attachment name and body, a GitHub issue's
title and comment) and through the team's own inputs (a hand-over note, a reply, the reply modal);
then every message the app posts is produced: confirmations, the triage announcement, the Hero's
DM, owner and hand-over DMs, App Home, ephemeral answers, the weekly digest, the stint summary,
the rotation's announcement, topic, hand-off and outgoing notes, close-the-loop notices, the
after-hours notice, the opening digest, target warnings, the community follow-up, the reply modal.

The checker reads what the fake Slack recorded over HTTP, every string of every call (text,
blocks, attachments, views, topics), and finds no live mention, broadcast or foreign link, while
our own markup (the owner we chose, the Hero, the issue link) is still live.
"""

from __future__ import annotations

import json
import re
import time
import urllib.parse
from collections.abc import Iterator
from email.headerregistry import Address
from email.message import EmailMessage
from typing import Any

from tests.conftest import Stack
from tests.helpers import envelope, reaction
from tests.test_github import REPO, closed_payload, comment_payload
from tests.test_rotation import ADA, BO, api_ticket, at, dms, hero_command, posts, run, say
from tests.test_slack_triage import click, command, ephemerals

HOSTILE = [
    "&lt;!channel&gt;", "<!channel>", "<!here>", "<!everyone>", "<!subteam^S0EVIL|@team>", "<@U0EVIL>", "<@U0EVIL|ada>",
    "<#C0EVIL>", "<#C0EVIL|general>", "<https://evil.example/phish|click here to verify>",
    "<mailto:x@evil.example|mail>", "*bold* _x_ ~y~ `code`", "<!date^1700000000^{date}|now>",
    "ünïcødé ☃ <<!here>>", "a & b > c < d",
]
ONE_LINE = "x " + " ".join(HOSTILE)
MULTI_LINE = "first line <!channel>\n" + "\n".join(HOSTILE) + "\n> quoted <@U0EVIL>\n\n```<!here>```"
# What a Slack customer sends: the text they typed, as Slack encodes it (entities for typed & < >), with real
# markup around it (a mention of our Ada first).
SLACK_TEXT = ("<@U0HERO1> can you help? " + ONE_LINE.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
              + " <!channel> <!here> <https://evil.example/phish|click here> <@U0EVIL> <#C0EVIL|general>"
              " <!subteam^S0EVIL|@team>")

# Markup that must never reach Slack live.
FORBIDDEN = re.compile(r"<(?:!channel|!here|!everyone|!subteam\^|!date|@U0EVIL|#C0EVIL|https?://evil\.example"
                       r"|mailto:)", re.IGNORECASE)
TOKEN = re.compile(r"<([^<>]*)>")
OURS = re.compile(r"@U0HERO[12]|https?://(?!evil\.example)[^|\s]+(\|[^<>]*)?")


def strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every string Slack would show from a call's arguments; plain_text objects are shown literally."""
    if isinstance(value, str):
        stripped = value.strip()
        if stripped[:1] in "[{" and stripped:
            try:
                yield from strings(json.loads(stripped), path)
                return
            except ValueError:
                pass
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key == "text" and value.get("type") == "plain_text":
                continue
            yield from strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from strings(item, f"{path}[{i}]")


def leaks(calls: list[dict[str, Any]]) -> list[str]:
    found = []
    for call in calls:
        for path, text in strings(call["params"]):
            bad = FORBIDDEN.findall(text) + [t for t in TOKEN.findall(text) if not OURS.fullmatch(t)]
            if bad:
                found.append(f"{call['method']}{path}: {bad} in {text[:300]!r}")
    return found


def texts(stack: Stack, method: str = "chat.postMessage") -> list[str]:
    return ["\n".join(t for _, t in strings(c["params"])) for c in stack.slack.calls(method)]


def hostile_mail() -> bytes:
    msg = EmailMessage()
    msg["From"] = Address(display_name="Mallory <!channel> <@U0EVIL> <https://evil.example/phish|verify>",
                          addr_spec="mallory@elsewhere.example")
    msg["To"], msg["Subject"] = "hey@example.com", ONE_LINE
    msg["Message-ID"] = "<evil-1@elsewhere.example>"
    msg.set_content(MULTI_LINE)
    msg.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf",
                       filename="<!channel> <https://evil.example/x|invoice>.pdf")
    return msg.as_bytes()


def interaction(stack: Stack, payload: dict[str, Any]) -> Any:
    from tests.test_slack_triage import _interaction

    return _interaction(stack, payload)


def test_hostile_text_from_every_channel_never_goes_live_in_slack(timed: tuple[Stack, Any]) -> None:
    stack, clock = timed
    for user in ("U0ACME1", "U0EVIL"):  # Slack display names are the customer's to choose
        stack.slack.add_user(user, "evil", real_name="<!channel> Eve <@U0HERO2> <https://evil.example|me>")

    # -- Saturday 28 Nov (sprint 1, Ada is the Hero): everything comes in while the team is away.
    clock.set(at("2026-11-28T10:00:00+00:00"))
    slack_ts = say(stack, clock, SLACK_TEXT)  # #1: a customer's channel (after-hours notice, the Hero's DM)
    clock.advance(seconds=5)
    say(stack, clock, SLACK_TEXT, user="U0EVIL", channel="C0COMMUNITY")  # a community question nobody answers
    clock.advance(minutes=1)
    stack.email(hostile_mail(), at=clock.now())  # #2: the triage channel is told
    clock.advance(minutes=1)
    payload = comment_payload(comment_id=901, number=1, title=ONE_LINE, body=MULTI_LINE)
    payload["comment"]["created_at"] = "2026-11-28T10:02:00Z"
    assert stack.github_delivery("issue_comment", payload).status_code in (200, 202)
    stack.drain()  # #3
    assert api_ticket(stack, 1)["subject"].startswith("@Ada Hero can you help? x &lt;!channel&gt; <!channel>")
    assert api_ticket(stack, 3)["channel"] == "github"

    # -- Monday 30 Nov: the rotation (sprint 2, Bo), the opening digest, the weekly digest, targets, follow-up.
    clock.set(at("2026-11-30T00:30:00+00:00"))
    assert "announce sprint 2" in run(stack, "rotation")["did"]
    clock.set(at("2026-11-30T09:10:00+00:00"))
    run(stack, "opening_digest")
    run(stack, "weekly_digest")
    clock.set(at("2026-11-30T09:50:00+00:00"))
    run(stack, "targets")
    clock.set(at("2026-11-30T10:05:00+00:00"))
    run(stack, "targets")
    clock.set(at("2026-11-30T13:30:00+00:00"))
    assert run(stack, "community")["did"]

    # -- Monday afternoon: the team triages from Slack and the API.
    clock.set(at("2026-11-30T14:00:00+00:00"))
    community_ts = say(stack, clock, SLACK_TEXT, user="U0EVIL", channel="C0COMMUNITY")
    stack.post_event(reaction(ADA, "C0COMMUNITY", community_ts))  # #4, "opened by" Ada
    stack.drain()
    assert click(stack, 1, "ticket_take") == 200  # the ticket message is updated: owner Ada
    command(stack, "assign 2 <@U0HERO1|ada>", user=BO)  # owner DM to Ada
    handover = stack.api("POST", "/api/tickets/3/handover", token="dev-token-bo",
                         body={"to": "ada", "note": MULTI_LINE})
    assert handover.status_code == 200, handover.body  # #3 was Bo's (the opening digest): a hand-over DM to Ada
    command(stack, "handover 1 <@U0HERO2|bo> note <!channel> <https://evil.example/x|y> <@U0EVIL>")
    for text in ("show 1", "show 2", "show 3", "mine", "queue"):
        command(stack, text)
    hero_command(stack, "who")
    stack.post_event(envelope({"type": "app_home_opened", "user": ADA, "channel": "D0HOME", "tab": "home"}))
    stack.drain()
    reply = stack.api("POST", "/api/tickets/1/replies", body={"text": MULTI_LINE})
    assert reply.status_code in (200, 201, 202), reply.body
    stack.drain()
    shortcut = {"type": "message_action", "callback_id": "reply_to_customer", "trigger_id": f"t{time.time_ns()}",
                "user": {"id": BO}, "channel": {"id": "C0ACME"},
                "message": {"ts": slack_ts, "text": SLACK_TEXT, "user": "U0ACME1"}}
    assert interaction(stack, shortcut).status_code == 200
    [opened] = [c["params"] for c in stack.slack.calls("views.open")]
    view = opened["view"] if isinstance(opened["view"], dict) else json.loads(opened["view"])
    submission = {"type": "view_submission", "user": {"id": BO},
                  "view": {"id": "V0EVIL", "callback_id": "reply_to_customer",
                           "private_metadata": view["private_metadata"],
                           "state": {"values": {"reply": {"text": {"type": "plain_text_input",
                                                                    "value": MULTI_LINE}}}}}}
    assert interaction(stack, submission).status_code == 200
    stack.drain()
    link = stack.api("POST", "/api/tickets/1/links", body={"issue": f"{REPO}#1"})
    assert link.status_code in (200, 201), link.body
    closed = closed_payload(closed_at="2026-11-30T14:10:00Z")
    closed["issue"]["title"] = ONE_LINE
    stack.github_delivery("issues", closed)
    stack.drain()

    # -- Every surface was produced (so the check below is not vacuous) ...
    all_posts = texts(stack)

    def posted(prefix: str) -> list[str]:
        return [t for t in all_posts if prefix in t]

    surfaces = {
        "confirmation": posted("The team will reply in this thread."),
        "triage announcement": posted("New email from") + posted("New GitHub"),
        "hero DM": posted(":inbox_tray: New ticket"),
        "owner DM": posted("is now yours."),
        "hand-over DM": posted("was handed over to you."),
        "after-hours notice": posted("Our team is away right now"),
        "opening digest": posted(":sunrise: Good morning!"),
        "target warnings": posted("target is used") + posted("missed its"),
        "community follow-up": posted(":eyes: Nobody from the team"),
        "rotation announcement": posted("is the Support Hero for sprint 2"),
        "hand-off": posted(":wave: You are the Support Hero"),
        "outgoing": posted(":relieved: Thanks for sprint"),
        "stint summary": posted("Your stint as Support Hero"),
        "weekly digest": posted("Support week of"),
        "close-the-loop": posted("was closed."),
        "agent replies": posted("first line"),
        "App Home": texts(stack, "views.publish"),
        "ephemeral answers": texts(stack, "chat.postEphemeral"),
        "ticket message updates": texts(stack, "chat.update"),
        "reply modal": texts(stack, "views.open"),
        "topic": texts(stack, "conversations.setTopic"),
    }
    assert [name for name, found in surfaces.items() if not found] == []
    # ... and the hostile text reached them, shown literally.
    for name in ("hero DM", "opening digest", "target warnings", "hand-off", "triage announcement", "App Home",
                 "ephemeral answers", "owner DM", "hand-over DM", "close-the-loop", "community follow-up"):
        assert any("&lt;!channel&gt;" in t or "@channel" in t for t in surfaces[name]), name
    assert any("&amp;lt;!channel&amp;gt;" in t for t in surfaces["triage announcement"])  # pre-escaped stays text

    # -- Nothing recorded carries a live broadcast, mention or foreign link.
    assert leaks(stack.slack.calls()) == []

    # -- Our own markup is still live.
    assert any(f"<@{BO}> is the Support Hero for sprint 2" in t for t in surfaces["rotation announcement"])
    assert any(f"opened by <@{ADA}>" in t for t in surfaces["confirmation"])
    assert any(f"*Owner* <@{ADA}>" in t for t in surfaces["ticket message updates"])
    assert any(f"<https://github.com/{REPO}/issues/1>" in t for t in surfaces["triage announcement"])
    assert any(f"(<@{BO}>)" in t for t in surfaces["topic"])
    assert any("<https://slack.com/archives/C0COMMUNITY/p" in t for t in surfaces["community follow-up"])
    # A Slack customer's mention of Ada reads as her name, not as a mention by the bot.
    assert all(f"<@{ADA}> can you help" not in t for t in all_posts)
    assert any("@Ada Hero can you help" in t for t in surfaces["confirmation"])
    assert dms(stack, BO) and posts(stack, "C0TRIAGE")


def test_the_checker_catches_a_live_mention() -> None:
    calls = [{"method": "chat.postMessage",
              "params": {"text": "ok &lt;!here&gt; <@U0HERO1> <https://github.com/x|y>",
                         "blocks": json.dumps([{"type": "section", "text": {"type": "mrkdwn", "text": "<!here>"}},
                                               {"type": "header", "text": {"type": "plain_text", "text": "<x>"}}])}},
             {"method": "views.publish", "params": {"view": {"blocks": [
                 {"type": "context", "elements": [{"type": "mrkdwn", "text": "a <https://evil.example/p|b>"}]},
                 {"type": "section", "fields": [{"type": "mrkdwn", "text": "<!date^1^{date}|x> <#C1>"}]}]}}},
             {"method": "conversations.setTopic", "params": {"topic": "<@U0EVIL>"}}]
    found = leaks(calls)
    assert len(found) == 4 and "blocks[0].text.text" in found[0] and found[3].startswith("conversations.setTopic")


def test_a_slash_command_answer_is_text_too(stack: Stack) -> None:
    """The ingress answers syntax errors itself: the customer-typed part is escaped there as well."""
    body = urllib.parse.urlencode({"team_id": "T0DEV", "channel_id": "C0TRIAGE", "user_id": ADA,
                                   "command": "/ticket", "text": "<!channel> <https://evil.example|x>",
                                   "trigger_id": "t-1"}).encode()
    from tests.test_slack_triage import form_headers

    answer = stack.client.http.post("/slack/commands", headers=form_headers(body), body=body)
    assert answer.status_code == 200
    assert leaks([{"method": "response", "params": json.loads(answer.body)}]) == []
    stack.drain()
    assert leaks(stack.slack.calls()) == [] and ephemerals(stack) == []
