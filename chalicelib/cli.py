"""Operator commands: ``python -m chalicelib.cli <command>``.

  bootstrap                      create/update the stage's tables and queues (idempotent)
  load-directory FILE            replace the roster, customers and channels with FILE (TOML)
  create-token --member ID       create an agent API token (printed once, stored hashed)
  list-tokens / revoke-token HASH
  rebuild-metrics                recompute the analytics aggregates from the tickets
  backfill-people                give tickets opened before people existed their requester's identity
  redrive [--limit N] [--now]    replay every side effect that failed for good
  parse-mail FILE|-              print, as JSON, what the desk makes of a raw email (no AWS needed)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from chalicelib.desk.directory import DirectoryError, parse_directory
from chalicelib.desk.directory_store import DirectoryStore
from chalicelib.models import bind_models
from chalicelib.platform.clock import SystemClock
from chalicelib.platform.config import Settings, endpoint_url, get_settings


def _store(settings: Settings) -> DirectoryStore:
    bind_models(table_prefix=settings.table_prefix, region=settings.region, host=endpoint_url("dynamodb"))
    return DirectoryStore(SystemClock(), cache_seconds=0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m chalicelib.cli", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("bootstrap", help="create or update tables and queues")
    load = sub.add_parser("load-directory", help="load the team roster, customers and channels")
    load.add_argument("file", type=Path)
    create = sub.add_parser("create-token", help="create an agent API token")
    create.add_argument("--member", required=True, help="team member id from the directory")
    create.add_argument("--label", default="", help="where the token is used, e.g. 'laptop'")
    create.add_argument("--token", help="use this value (local stack seeding only)")
    sub.add_parser("list-tokens", help="list token hashes and owners")
    revoke = sub.add_parser("revoke-token", help="revoke a token by its hash")
    revoke.add_argument("token_hash")
    sub.add_parser("rebuild-metrics", help="recompute the analytics aggregates from every ticket")
    sub.add_parser("backfill-people", help="older tickets: their requester's identity and a person each")
    redrive = sub.add_parser("redrive", help="replay every side effect that failed for good (GET /api/failures)")
    redrive.add_argument("--limit", type=int, default=500)
    redrive.add_argument("--now", action="store_true", help="deliver them from here instead of the outbox schedule")
    mail = sub.add_parser("parse-mail", help="what the desk makes of a raw email, as JSON (FILE, or - for stdin)")
    mail.add_argument("file")
    args = parser.parse_args(argv)
    if args.command == "parse-mail":
        return parse_mail(args.file)
    settings = get_settings()

    if args.command == "bootstrap":
        from chalicelib.platform.infra import bootstrap

        print(json.dumps(bootstrap(settings), indent=2))
        return 0
    store = _store(settings)
    if args.command == "load-directory":
        try:
            directory = parse_directory(args.file.read_text(encoding="utf-8"))
        except (OSError, DirectoryError) as exc:
            print(f"error: {args.file}: {exc}", file=sys.stderr)
            return 2
        written, removed = store.replace(directory)
        print(
            f"directory loaded: {len(directory.members)} members, {len(directory.customers)} customers, "
            f"{len(directory.community_channels)} community channels ({written} items written, {removed} removed)"
        )
        return 0
    if args.command == "create-token":
        member = store.load().member(args.member)
        if member is None:
            print(f"error: no team member '{args.member}' in the directory", file=sys.stderr)
            return 2
        token = store.create_token(member, args.label, token=args.token)
        print(token)
        return 0
    if args.command == "list-tokens":
        for info in store.tokens():
            print(f"{info.token_hash}  {info.member_id}  {info.label}")
        return 0
    if args.command == "rebuild-metrics":
        from chalicelib.desk.metrics_rebuild import rebuild

        team = store.load().settings
        print(json.dumps(rebuild(team, today=team.calendar().local_date(SystemClock().now()))))
        return 0
    if args.command == "backfill-people":
        from pynamodb.connection import Connection

        from chalicelib.desk.people import PeopleStore
        from chalicelib.desk.people_backfill import backfill
        from chalicelib.desk.ticket_store import TicketStore
        from chalicelib.platform.config import endpoint_url

        connection = Connection(region=settings.region, host=endpoint_url("dynamodb"))
        tickets = TicketStore(connection)
        print(json.dumps(backfill(tickets, PeopleStore(SystemClock(), connection, tickets), store.load())))
        return 0
    if args.command == "redrive":
        from chalicelib.services import build_services

        services = build_services(settings)
        replayed = services.outbox.redrive(args.limit)
        if args.now:
            outcomes = services.outbox.flush()
        else:
            services.outbox.take_fresh()
            outcomes = []
        print(json.dumps({"replayed": replayed, "outcomes": outcomes,
                          "note": "" if args.now else "due now: the outbox schedule delivers them within a minute"}))
        return 0
    if args.command == "revoke-token":
        if not store.revoke_token(args.token_hash):
            print("error: no such token", file=sys.stderr)
            return 2
        print("revoked")
        return 0
    return 2  # pragma: no cover - argparse rejects unknown commands


def parse_mail(name: str) -> int:
    """``parse-mail``: the stable JSON other tools read (keys are only ever added, never renamed)."""
    import os

    from chalicelib.channels.email.intake import loop_guard
    from chalicelib.channels.email.parse import parse_email

    try:
        raw = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
    except OSError as exc:
        print(f"error: {name}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    parsed = parse_email(raw)
    own = {os.environ.get("SUPPORT_ADDRESS") or ""}
    print(json.dumps({
        "from": parsed.from_address,
        "from_name": parsed.from_name,
        "to": parsed.to,
        "cc": parsed.cc,
        "subject": parsed.subject,
        "date": parsed.date.isoformat() if parsed.date else None,
        "reply_text": parsed.reply_text,
        "full_text": parsed.text,
        "truncated": parsed.truncated,
        "attachments": [{"name": a.filename, "type": a.content_type, "size": a.size} for a in parsed.attachments],
        "charset_fallbacks": parsed.charset_fallbacks,
        "message_id": parsed.message_id,
        "in_reply_to": parsed.in_reply_to,
        "references": parsed.references,
        "is_delivery_report": parsed.is_delivery_report,
        "no_acknowledgement_because": loop_guard(parsed, None, own),
    }, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
