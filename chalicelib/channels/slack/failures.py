"""When a side effect fails for good: say so to someone who can fix it.

The step stays listed (``GET /api/failures``, the Hero's App Home) and counted
(``SideEffectsFailed``, with an alarm); this tells the agent whose reply it was, or the Hero, by
DM, with the reason and what to do.  A notice about a failed notice is never sent (no loops).
"""

from __future__ import annotations

from chalicelib.channels.slack.effects import tell
from chalicelib.channels.slack.mrkdwn import md
from chalicelib.desk.delivery import ReplyDelivery
from chalicelib.desk.directory_store import DirectoryStore
from chalicelib.desk.outbox import Outbox, Verdict
from chalicelib.desk.rotation import RotationStore
from chalicelib.models.outbox import OutboxItem

NOTICE_PREFIX = "failure-notice"


class FailureNotices:
    def __init__(self, *, outbox: Outbox, delivery: ReplyDelivery, directory: DirectoryStore,
                 rotation: RotationStore) -> None:
        self.outbox = outbox
        self.delivery = delivery
        self.directory = directory
        self.rotation = rotation

    def __call__(self, item: OutboxItem, verdict: Verdict) -> None:
        self.delivery.failed_for_good(item, verdict)
        if NOTICE_PREFIX in item.step_id:
            return
        settings = self.directory.load().settings
        who = item.notify or self.rotation.current_hero(settings, cached=True)
        what = item.summary or item.kind
        why = "gave up after a day of retries" if item.error_kind == "exhausted" else "cannot succeed as it is"
        text = md(":warning: Could not deliver: {} ({}: {}).", what, why, verdict.reason)
        if verdict.hint:
            text += md("\nTo fix it: {}.", verdict.hint)
        text += md("\nIt is listed at `GET /api/failures`; replay it with `POST /api/failures/{}/retry` "
                   "or `python -m chalicelib.cli redrive` once fixed.", item.step_id)
        self.outbox.add(tell(f"{NOTICE_PREFIX}:{item.step_id}:{int(item.failed_at or 0)}", who, text,
                             ticket_id=item.ticket_id,
                             ticket_number=int(item.ticket_number) if item.ticket_number is not None else None,
                             summary=f"{NOTICE_PREFIX} to {who or 'the Hero'}"))
