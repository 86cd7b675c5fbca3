"""Send signed sample Slack events to the local API (what Slack would send).

  python -m devstack.send reaction [--user U0HERO1] [--channel C0COMMUNITY] [--ts 1700000000.000100]
  python -m devstack.send message --channel C0ACME --user U0ACME1 --text "Our builds fail"
  python -m devstack.send message --channel C0ACME --user U0HERO1 --thread TS --text "Looking now"

For a reaction the message must exist in Slack: with the fake Slack it is seeded
through its control API first (the sample community message is seeded at start).
"""

from __future__ import annotations

import argparse
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

from chalicelib.platform.security import slack_signature

DEFAULT_TEXT = "Hello from the sample event"


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def stack_now(api: str) -> float:
    """The local stack's time (its dev clock, ``POST /_local/clock``), else this machine's."""
    try:
        with urllib.request.urlopen(f"{api}/_local/clock", timeout=5) as response:
            import datetime as dt

            return dt.datetime.fromisoformat(json.loads(response.read())["now"]).timestamp()
    except (OSError, ValueError, KeyError):
        return time.time()


def send_github(args: argparse.Namespace) -> int:
    from chalicelib.platform.security import github_signature

    repo = {"full_name": "Codertocat/Hello-World"}
    issue = {"number": args.issue, "title": "Spelling error in the README file",
             "html_url": f"https://github.com/Codertocat/Hello-World/issues/{args.issue}",
             "user": {"login": "Codertocat"}, "labels": []}
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(stack_now(args.api)))
    if args.kind == "github-comment":
        event = "issue_comment"
        payload = {"action": "created", "repository": repo, "sender": {"login": args.login, "type": "User"},
                   "issue": {**issue, "state": "open"},
                   "comment": {"id": int(time.time() * 1000), "created_at": now,
                               "body": "When will this be fixed?" if args.text == DEFAULT_TEXT else args.text,
                               "user": {"login": args.login, "type": "User"}, "author_association": "NONE"}}
    else:
        event = "issues"
        payload = {"action": "closed", "repository": repo, "sender": {"login": "ada-hero", "type": "User"},
                   "issue": {**issue, "state": "closed", "closed_at": now, "updated_at": now}}
    body = json.dumps(payload).encode()
    delivery = args.delivery or str(uuid.uuid4())
    # GitHub's "Redeliver" sends the very same bytes under the same X-GitHub-Delivery: so do we.
    saved = Path(__file__).resolve().parent.parent / ".devstack" / "deliveries" / f"{delivery}.json"
    if args.delivery and saved.exists():
        stored = json.loads(saved.read_text())
        event, body = stored["event"], stored["body"].encode()
    else:
        saved.parent.mkdir(parents=True, exist_ok=True)
        saved.write_text(json.dumps({"event": event, "body": body.decode()}))
    status, text = post(f"{args.api}/github/webhook", body, {
        "Content-Type": "application/json", "X-GitHub-Event": event, "X-GitHub-Delivery": delivery,
        "X-Hub-Signature-256": github_signature(args.github_secret, body),
    })
    print(f"{status} {text}  (delivery {delivery})")
    return 0 if status < 300 else 1


def send_form(args: argparse.Namespace) -> int:
    """A /ticket command or a click on a ticket message's controls, signed as Slack does."""
    user = args.user or "U0HERO1"
    if args.kind == "command":
        path, fields = "/slack/commands", {
            "team_id": "T0DEV", "channel_id": args.channel or "C0TRIAGE", "user_id": user, "command": "/ticket",
            "text": args.text, "trigger_id": uuid.uuid4().hex}
    else:
        act: dict[str, object] = {"action_id": args.action, "block_id": f"ticket:{args.ticket}",
                                  "action_ts": f"{time.time():.6f}"}
        if args.action in ("ticket_priority", "ticket_status"):
            act["selected_option"] = {"value": args.value}
        if args.action == "ticket_assignee":
            act["selected_user"] = args.value
        payload = {"type": "block_actions", "user": {"id": user}, "trigger_id": uuid.uuid4().hex,
                   "channel": {"id": args.channel or "C0ACME"}, "actions": [act],
                   "container": {"type": "message", "channel_id": args.channel or "C0ACME", "message_ts": "0"}}
        path, fields = "/slack/interactions", {"payload": json.dumps(payload)}
    body = urllib.parse.urlencode(fields).encode()
    stamp = str(int(time.time()))
    status, text = post(f"{args.api}{path}", body, {
        "Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": slack_signature(args.secret, stamp, body)})
    print(f"{status} {text}")
    return 0 if status == 200 else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.send", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=["reaction", "message", "github-comment", "github-close", "command",
                                         "click"])
    parser.add_argument("--action", default="ticket_take",
                        help="click: ticket_take | ticket_solve | ticket_priority | ticket_status | ticket_assignee")
    parser.add_argument("--value", default=None, help="click: the selected option (priority/status) or user")
    parser.add_argument("--ticket", type=int, default=1, help="click: the ticket number")
    parser.add_argument("--github-secret", default=os.environ.get("GITHUB_WEBHOOK_SECRET", "dev-github-webhook-secret"))
    parser.add_argument("--login", default="curious-user", help="GitHub login of the commenter")
    parser.add_argument("--issue", type=int, default=1)
    parser.add_argument("--delivery", default=None, help="X-GitHub-Delivery; reuse to simulate a redelivery")
    parser.add_argument("--api", default=f"http://127.0.0.1:{os.environ.get('API_PORT', '8000')}")
    parser.add_argument("--fake-slack", default=f"http://127.0.0.1:{os.environ.get('FAKE_SLACK_PORT', '9001')}")
    parser.add_argument("--secret", default=os.environ.get("SLACK_SIGNING_SECRET", "dev-slack-signing-secret"))
    parser.add_argument("--channel")
    parser.add_argument("--user")
    parser.add_argument("--ts", default=None)
    parser.add_argument("--thread", default=None)
    parser.add_argument("--text", default=DEFAULT_TEXT)
    parser.add_argument("--emoji", default="ticket")
    parser.add_argument("--event-id", default=None, help="reuse to simulate Slack redelivering an event")
    args = parser.parse_args(argv)

    if args.kind.startswith("github-"):
        return send_github(args)
    if args.kind in ("command", "click"):
        return send_form(args)
    ts = args.ts or f"{stack_now(args.api):.6f}"
    if args.kind == "reaction":
        channel, user = args.channel or "C0COMMUNITY", args.user or "U0HERO1"
        ts = args.ts or "1700000000.000100"
        event = {"type": "reaction_added", "user": user, "reaction": args.emoji,
                 "item": {"type": "message", "channel": channel, "ts": ts}, "event_ts": f"{time.time():.6f}"}
    else:
        channel, user = args.channel or "C0ACME", args.user or "U0ACME1"
        event = {"type": "message", "user": user, "text": args.text, "ts": ts, "channel": channel,
                 "channel_type": "channel", "event_ts": ts}
        if args.thread:
            event["thread_ts"] = args.thread
        # Keep the fake Slack's history in step with what we claim Slack saw.
        seed = json.dumps({"channel": channel, "ts": ts, "user": user, "text": args.text,
                           "thread_ts": args.thread}).encode()
        try:
            post(f"{args.fake_slack}/_fake/messages", seed, {"Content-Type": "application/json"})
        except OSError:
            pass  # a real Slack workspace (SLACK_API_URL set) has no control API
    payload = {"type": "event_callback", "team_id": "T0DEV", "api_app_id": "A0SUPPORT",
               "event_id": args.event_id or f"Ev{uuid.uuid4().hex[:12].upper()}", "event_time": int(time.time()),
               "event": event}
    body = json.dumps(payload).encode()
    stamp = str(int(time.time()))
    status, text = post(f"{args.api}/slack/events", body, {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": slack_signature(args.secret, stamp, body),
    })
    print(f"{status} {text}  (event_id {payload['event_id']}, ts {ts})")
    return 0 if status == 200 else 1


if __name__ == "__main__":
    raise SystemExit(main())
