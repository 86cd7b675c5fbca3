"""The one Slack escaping rule (chalicelib.channels.slack.mrkdwn), as plain functions."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from chalicelib.channels.slack.mrkdwn import (
    Mrkdwn,
    escape,
    join,
    link,
    md,
    mention,
    quote,
    readable,
    render_blocks,
    render_payload,
    safe,
)


def test_escape_is_slacks_three_entities_and_nothing_else() -> None:
    assert escape("a & b < c > d") == "a &amp; b &lt; c &gt; d"
    assert escape("&lt;!channel&gt;") == "&amp;lt;!channel&amp;gt;"  # already-escaped text shows literally too
    assert escape("*bold* _x_ ~y~ `code` \"q\" 'a' ü") == "*bold* _x_ ~y~ `code` \"q\" 'a' ü"


def test_safe_passes_our_markup_and_escapes_everything_else() -> None:
    assert safe("<!channel>") == "&lt;!channel&gt;" and isinstance(safe("x"), Mrkdwn)
    ours = Mrkdwn("<@U0HERO1>")
    assert safe(ours) is ours


def test_the_formatter_escapes_every_value_that_is_not_markup() -> None:
    text = md("Ticket *#{}*: {} ({:%d %b}) for {}", 7, "<!here> & co", dt.date(2026, 12, 2),
              mention("U0HERO1"))
    assert text == "Ticket *#7*: &lt;!here&gt; &amp; co (02 Dec) for <@U0HERO1>"
    assert isinstance(text, Mrkdwn)
    assert md("{name}", name="<@U0EVIL>") == "&lt;@U0EVIL&gt;"
    assert md("{:g} h", 1.5) == "1.5 h"


def test_concatenation_and_join_keep_the_rule() -> None:
    assert Mrkdwn("*a*") + "<b>" == "*a*&lt;b&gt;"
    assert "<b>" + Mrkdwn("*a*") == "&lt;b&gt;*a*" and isinstance("<b>" + Mrkdwn("*a*"), Mrkdwn)
    assert join(", ", ["<!here>", mention("U0HERO2")]) == "&lt;!here&gt;, <@U0HERO2>"
    assert Mrkdwn("\n").join(["<x>", Mrkdwn("<@U0HERO1>")]) == "&lt;x&gt;\n<@U0HERO1>"
    assert quote("one <!here>\ntwo") == ">one &lt;!here&gt;\n>two"


@pytest.mark.parametrize("bad", ["U0EVIL>", "<!channel>", "u123", "C0CHAN", "U", "", "U1 <!here>", "Ü12"])
def test_mention_only_for_a_user_id(bad: str) -> None:
    assert "<" not in mention(bad)
    assert mention("U0HERO1") == "<@U0HERO1>" and mention("W0ENTERPRISE1") == "<@W0ENTERPRISE1>"


def test_link_escapes_its_label_and_only_links_http() -> None:
    assert link("https://github.com/o/r/issues/1") == "<https://github.com/o/r/issues/1>"
    assert link("https://x.example/d?a=1&b=2", "Open <it>") == "<https://x.example/d?a=1&amp;b=2|Open &lt;it&gt;>"
    assert link("https://x.example/a|b>c") == "<https://x.example/a%7Cb%3Ec>"  # the URL cannot end the link early
    for bad in ("javascript:alert(1)", "mailto:x@evil.example", "/dashboard?x=1", "https:///nohost"):
        assert "<" not in link(bad, "<label>") and link(bad, "<label>") == "&lt;label&gt;"


def test_readable_turns_a_slack_message_into_plain_text() -> None:
    names = {"U0HERO1": "Ada Hero", "U0EVIL": "<!channel>"}.get
    text = ("<@U0HERO1> can you help? cc <@U2|bo> in <#C1|general> <#C2> <!here> <!channel> <!everyone> "
            "<!subteam^S0EVIL|@team> <!subteam^S2> <https://x.example/a|the docs> <https://y.example> "
            "<mailto:a@b.example|a@b.example> a &amp; b &lt;!channel&gt; <@U0EVIL> <@U9>")
    assert readable(text, names) == (
        "@Ada Hero can you help? cc @bo in #general #C2 @here @channel @everyone @team @S2 "
        "the docs (https://x.example/a) https://y.example a@b.example (mailto:a@b.example) a & b <!channel> "
        "@<!channel> @U9")
    # What readable gives is text: the boundary then shows every bit of it literally.
    assert "<!" not in safe(readable(text, names)) and "<@" not in safe(readable(text, names))


def test_render_payload_makes_every_mrkdwn_position_safe_and_leaves_plain_text() -> None:
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": "<!here>"},
         "fields": [{"type": "mrkdwn", "text": "<@U0EVIL>"}, {"type": "mrkdwn", "text": mention("U0HERO1")}]},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "<https://evil.example|x>"}]},
        {"type": "header", "text": {"type": "plain_text", "text": "<literal>"}},
    ]
    out = render_payload({"channel": "C1", "text": "<!channel>", "blocks": blocks, "link_names": True,
                          "topic": "<!everyone>", "view": {"type": "home", "blocks": blocks},
                          "attachments": [{"text": "<!here>", "fields": [{"title": "<a>", "value": "<b>"}]}]})
    assert out is not None
    assert out["text"] == "&lt;!channel&gt;" and out["topic"] == "&lt;!everyone&gt;" and "link_names" not in out
    for rendered in (out["blocks"], out["view"]["blocks"]):
        assert rendered[0]["text"]["text"] == "&lt;!here&gt;"
        assert [f["text"] for f in rendered[0]["fields"]] == ["&lt;@U0EVIL&gt;", "<@U0HERO1>"]
        assert rendered[1]["elements"][0]["text"] == "&lt;https://evil.example|x&gt;"
        assert rendered[2]["text"]["text"] == "<literal>"
    assert out["attachments"][0]["text"] == "&lt;!here&gt;"
    assert out["attachments"][0]["fields"][0] == {"title": "&lt;a&gt;", "value": "&lt;b&gt;"}
    assert blocks[0]["text"]["text"] == "<!here>"  # the caller's blocks are not changed
    as_json = render_payload({"blocks": json.dumps(blocks)})
    assert as_json is not None and json.loads(as_json["blocks"])[0]["text"]["text"] == "&lt;!here&gt;"
    assert render_blocks("<!here>") == "<!here>" and render_payload(None) is None
