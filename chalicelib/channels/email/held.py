"""Mail that did not become a ticket: quarantined (SES spam or virus verdict FAIL) or turned away
(a loop, no sender, a delivery report about mail that is not ours).  Each is recorded as a
``MAIL#<kind>`` directory item, newest first, listed by ``GET /api/mail/held``; this module owns that kind.
"""

from __future__ import annotations

from typing import Any

from chalicelib.channels.email.parse import ParsedEmail
from chalicelib.desk.ticket_views import decode_cursor, encode_cursor
from chalicelib.desk.tickets import InvalidInput
from chalicelib.models.directory import DirectoryItem
from chalicelib.platform.clock import Clock
from chalicelib.platform.observability import count, logger

QUARANTINED, TURNED_AWAY = "quarantined", "turned-away"


class HeldMail:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def record(self, kind: str, message: dict[str, Any], reason: str, parsed: ParsedEmail | None) -> None:
        """Why an inbound mail (``message``: the queue's SES notification) was held back, and where it is."""
        mail = message.get("mail") or {}
        stamp = str(mail.get("timestamp") or self.clock.now().isoformat())
        DirectoryItem(
            f"MAIL#{kind}",
            f"{stamp}#{message['delivery_id']}",
            data={
                "reason": reason,
                "ses_message_id": message["delivery_id"],
                "from": parsed.from_address if parsed else mail.get("source"),
                "subject": parsed.subject if parsed else None,
                "raw": message.get("s3"),
                "verdicts": message.get("verdicts"),
                "received_at": stamp,
            },
            updated_at=self.clock.now(),
        ).save()
        count("InboundEmailsQuarantined" if kind == QUARANTINED else "InboundEmailsTurnedAway")
        logger.info("inbound email not ticketed", extra={"kind": kind, "reason": reason,
                                                          "delivery_id": message["delivery_id"]})

    def page(self, kind: str, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
        """A page of quarantined or turned-away mail, newest first (a Query, never a Scan)."""
        start = None
        if cursor:
            start = decode_cursor(cursor)
            if set(start) != {"pk", "sk"} or start.get("pk") != {"S": f"MAIL#{kind}"}:
                raise InvalidInput("cursor is not valid for this list")
        results = DirectoryItem.query(f"MAIL#{kind}", scan_index_forward=False, limit=limit,
                                      last_evaluated_key=start)
        records = [dict(item.data or {}) for item in results]
        return records, encode_cursor(results.last_evaluated_key)
