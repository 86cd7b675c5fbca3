"""A stint's feedback (:meth:`chalicelib.desk.feedback.Feedback.for_stint`) as Slack Block Kit.

Pure: a dict in, blocks out.  Every value (tags, subjects, company names, the Hero's name) goes through
:func:`~chalicelib.channels.slack.mrkdwn.md`, which escapes it; only our own template is markup.  The
lists are cut to what reads well in Slack (the rest is counted, the API and the dashboard have it all),
and every section stays under Slack's 3,000 characters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chalicelib.channels.slack.mrkdwn import Mrkdwn, join, link, md

MAX_TAGS = 15
MAX_ISSUES = 10
MAX_REQUESTS = 15
SUBJECT_CHARS = 100  # of the subject as written, before escaping
SECTION_CHARS = 2900  # Slack: a section's text is at most 3,000 characters


def _short(text: Any, limit: int = SUBJECT_CHARS) -> str:
    value = str(text if text is not None else "").replace("\n", " ").strip()
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def _section(text: Mrkdwn) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _sections(title: str, lines: Sequence[Mrkdwn], more: int, empty: str) -> list[dict[str, Any]]:
    """``title`` over ``lines``, in as many sections as it takes to stay under Slack's limit."""
    if more > 0:
        lines = [*lines, md("…and {} more", more)]
    if not lines:
        return [_section(md("*{}*\n{}", title, empty))]
    blocks: list[dict[str, Any]] = []
    current = [md("*{}*", title)]
    for line in lines:
        if len(join("\n", [*current, line])) > SECTION_CHARS and current:
            blocks.append(_section(join("\n", current)))
            current = []
        current.append(line)
    blocks.append(_section(join("\n", current)))
    return blocks


def _tiers(tiers: Mapping[str, Any]) -> str:
    return ", ".join(f"{tier} {count}" for tier, count in tiers.items()) or "no tier"


def feedback_blocks(feedback: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Block Kit sections for one stint's feedback: tags, linked issues, bugs and feature requests."""
    hero = feedback.get("hero_name") or feedback.get("hero") or "nobody"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"Feedback from stint {feedback.get('stint')}"}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": md(
            "{} – {} · Hero {} · {} tickets opened", feedback.get("start"), feedback.get("end"), hero,
            feedback.get("tickets", 0))}]},
    ]

    tags = list(feedback.get("tags") or [])
    tag_text = join(", ", [md("`{}` {}", _short(t.get("tag"), 40), t.get("count")) for t in tags[:MAX_TAGS]])
    if len(tags) > MAX_TAGS:
        tag_text = tag_text + md(" …and {} more", len(tags) - MAX_TAGS)
    blocks.append(_section(md("*Tags*\n{}", tag_text) if tags else md("*Tags*\n{}", "No tags.")))

    issues = list(feedback.get("issues") or [])
    issue_lines = []
    for issue in issues[:MAX_ISSUES]:
        name = str(issue.get("issue") or "")
        label = link(str(issue["url"]), name) if issue.get("url") else md("{}", name)
        people = int(issue.get("people") or 0)
        numbers = ", ".join(f"#{n}" for n in issue.get("tickets") or [])
        issue_lines.append(md("• {}: {} {} ({}) · tickets {}", label, people, "person" if people == 1 else "people",
                              _tiers(issue.get("tiers") or {}), numbers))
    blocks += _sections("GitHub issues", issue_lines, len(issues) - MAX_ISSUES, "No linked issues.")

    requests = list(feedback.get("requests") or [])
    request_lines = [
        md("• *#{}* {} · {} · {} ({}) · {}", r.get("number"), _short(r.get("subject") or "(no subject)"),
           ", ".join(r.get("tags") or []), r.get("company") or "community", r.get("tier") or "community",
           r.get("status") or "")
        for r in requests[:MAX_REQUESTS]
    ]
    blocks += _sections("Bugs and feature requests", request_lines, len(requests) - MAX_REQUESTS,
                        "No bugs or feature requests.")

    if feedback.get("truncated"):
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": md(
            "Only the newest {} tickets of the stint were read.", feedback.get("tickets", 0))}]})
    return blocks


def feedback_text(feedback: Mapping[str, Any]) -> str:
    """A notification's fallback text (plain; Slack's boundary escapes it)."""
    return (f"Feedback from stint {feedback.get('stint')}: {len(feedback.get('issues') or [])} linked issues, "
            f"{len(feedback.get('requests') or [])} bugs and feature requests")
