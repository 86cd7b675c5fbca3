"""The outbox: one item per side effect (a post, a DM, an email, a comment, an App Home refresh).

Written in the same DynamoDB transaction as the ticket change that causes it, then delivered by
:mod:`chalicelib.desk.outbox`.  Two sparse indexes, so neither the dispatcher nor the failures list
ever scans:

* ``by_due``: ``queue = "DUE"`` while the step waits or runs, ordered by ``due_at`` (epoch
  seconds; a running step's lease expiry, so a crashed run becomes due again);
* ``by_failed``: ``failed = "FAILED"`` once it stopped for good, ordered by ``failed_at``.
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.models.base import TableMeta


class DueIndex(GlobalSecondaryIndex["OutboxItem"]):
    class Meta:
        index_name = "by_due"
        projection = AllProjection()

    queue = UnicodeAttribute(hash_key=True)
    due_at = NumberAttribute(range_key=True)


class FailedIndex(GlobalSecondaryIndex["OutboxItem"]):
    class Meta:
        index_name = "by_failed"
        projection = AllProjection()

    failed = UnicodeAttribute(hash_key=True)
    failed_at = NumberAttribute(range_key=True)


class OutboxItem(Model):
    class Meta(TableMeta):
        table_name = "outbox"

    step_id = UnicodeAttribute(hash_key=True)  # names the effect once: a retry writes the same id
    kind = UnicodeAttribute()
    payload = JSONAttribute(null=True)
    state = UnicodeAttribute(default="pending")  # pending | running | done | failed
    queue = UnicodeAttribute(null=True)  # "DUE" while pending or running (by_due)
    due_at = NumberAttribute(null=True)
    lease = UnicodeAttribute(null=True)
    attempts = NumberAttribute(default=0)
    since = NumberAttribute(null=True)  # when its retry window started (creation, or a manual retry)
    created_at = UTCDateTimeAttribute(null=True)
    last_error = UnicodeAttribute(null=True)
    error_kind = UnicodeAttribute(null=True)  # transient | permanent | exhausted
    maybe_sent = BooleanAttribute(null=True)  # the last attempt's outcome is unknown: look before resending
    failed = UnicodeAttribute(null=True)  # "FAILED" (by_failed)
    failed_at = NumberAttribute(null=True)
    external_id = UnicodeAttribute(null=True)  # Slack ts, SES message id, GitHub comment id
    done_at = UTCDateTimeAttribute(null=True)
    ticket_id = UnicodeAttribute(null=True)
    ticket_number = NumberAttribute(null=True)
    summary = UnicodeAttribute(null=True)  # "DM to ada", "reply on #12 by email": for the failures list
    notify = UnicodeAttribute(null=True)  # the member told if it fails for good
    expires_at = NumberAttribute(null=True)  # TTL: done steps age out

    by_due = DueIndex()
    by_failed = FailedIndex()
