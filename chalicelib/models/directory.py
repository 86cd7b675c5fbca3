"""The directory table: team roster, customers, monitored channels, settings, API tokens
and the ticket-number counter.

Partition ``DIR`` holds everything the worker needs to classify an event, so one
Query loads it.  Tokens live in partition ``TOKEN`` keyed by their hash; the counter
is ``COUNTER``/``ticket``.
"""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from chalicelib.models.base import TableMeta

DIRECTORY_PARTITION = "DIR"
TOKEN_PARTITION = "TOKEN"  # noqa: S105 - a partition name, not a secret
COUNTER_PARTITION = "COUNTER"
ROTATION_PARTITION = "ROTATION"  # sprint overrides (swap, skip): sk "sprint#<000042>"
CLAIM_PREFIX = "CLAIM#"  # scheduled work done once per period: pk "CLAIM#<job>", sk the period
WATCH_PARTITION = "WATCH"  # community questions to follow up: sk "<due ISO>#<channel>:<ts>"
ANSWERED_PARTITION = "ANSWERED"  # community threads a team member replied in: sk "<channel>:<ts>"


class DirectoryItem(Model):
    class Meta(TableMeta):
        table_name = "directory"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    data = JSONAttribute(null=True)
    value = NumberAttribute(null=True)
    state = UnicodeAttribute(null=True)  # claims: running | done
    lease = UnicodeAttribute(null=True)
    expires_at = NumberAttribute(null=True)  # epoch seconds: DynamoDB's TTL removes the item after it
    updated_at = UTCDateTimeAttribute(null=True)
