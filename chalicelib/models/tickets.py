"""Tickets, their conversations, and the external-reference index."""

from __future__ import annotations

from pynamodb.attributes import (
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.models.base import TableMeta


class ByNumberIndex(GlobalSecondaryIndex["Ticket"]):
    """``GET /api/tickets/{number}``: the human number to the ticket."""

    class Meta:
        index_name = "by_number"
        projection = AllProjection()

    number = NumberAttribute(hash_key=True)


class ListingIndex(GlobalSecondaryIndex["Ticket"]):
    """Every ticket, newest first (``view=all``)."""

    class Meta:
        index_name = "by_listing"
        projection = AllProjection()

    listing = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


class AssigneeIndex(GlobalSecondaryIndex["Ticket"]):
    """Tickets of one owner, newest first (``view=mine``)."""

    class Meta:
        index_name = "by_assignee"
        projection = AllProjection()

    assignee = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


class UnassignedIndex(GlobalSecondaryIndex["Ticket"]):
    """Sparse: only unsolved tickets without an owner carry ``unassigned`` (``view=unassigned``)."""

    class Meta:
        index_name = "by_unassigned"
        projection = AllProjection()

    unassigned = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


def _index(name: str, hash_attr: str, range_attr: str = "created_at",
           doc: str = "") -> type[GlobalSecondaryIndex[Ticket]]:
    """A GSI ``hash_attr`` -> tickets ordered by ``range_attr`` (all attributes projected)."""
    meta = type("Meta", (), {"index_name": name, "projection": AllProjection()})
    body = {"Meta": meta, "__doc__": doc, hash_attr: UnicodeAttribute(hash_key=True),
            range_attr: UTCDateTimeAttribute(range_key=True)}
    return type(f"{name.title().replace('_', '')}Index", (GlobalSecondaryIndex,), body)


# The agent API's filters: newest first, a Query each, never a Scan.
StatusIndex = _index("by_status", "status")
PriorityIndex = _index("by_priority", "priority")
ChannelIndex = _index("by_channel", "channel")
CustomerIndex = _index("by_customer", "customer_id")


class AwaitingIndex(GlobalSecondaryIndex["Ticket"]):
    """Sparse: ``awaiting`` is the owner while the customer waits for their reply (oldest first)."""

    class Meta:
        index_name = "by_awaiting"
        projection = AllProjection()

    awaiting = UnicodeAttribute(hash_key=True)
    last_customer_message_at = UTCDateTimeAttribute(range_key=True)


# Sparse: only tickets that qualify carry the hash attribute (a constant while they do).
DueIndex = _index("by_due", "sla_due", "due_at",
                  "Tickets whose customer waits for a response, soonest due first (``view=due``).")
SlaCheckIndex = _index("by_sla_check", "sla_check", "sla_check_at",
                       "Tickets the target sweeper must look at, by when (a warning still to send).")
SurveyIndex = _index("by_survey", "survey_due", "survey_at",
                     "Solved tickets whose satisfaction survey is still to be asked, by when (desk.surveys).")
RequesterIndex = _index("by_requester", "requester_key",
                        doc="One identity's tickets, newest first: a person's are the union over their identities.")


class Ticket(Model):
    """One conversation with one requester.

    ``ticket_id`` is the source item the ticket was opened from (for Slack
    ``slack:<channel>:<ts>``), so opening the same item twice is a conditional
    write that fails.  ``kind == "tombstone"`` marks a source item deleted before
    its ticket could open: it has no number and appears in no index.
    """

    class Meta(TableMeta):
        table_name = "tickets"

    ticket_id = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute(default="ticket")
    number = NumberAttribute(null=True)
    status = UnicodeAttribute(null=True)
    priority = UnicodeAttribute(null=True)
    assignee = UnicodeAttribute(null=True)
    tags = UnicodeSetAttribute(null=True)
    links = UnicodeSetAttribute(null=True)  # GitHub issues, "owner/repo#12"
    subject = UnicodeAttribute(null=True)
    channel = UnicodeAttribute(null=True)
    origin = JSONAttribute(null=True)
    requester_id = UnicodeAttribute(null=True)
    requester_name = UnicodeAttribute(null=True)
    customer_id = UnicodeAttribute(null=True)
    tier = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)
    first_response_at = UTCDateTimeAttribute(null=True)
    last_customer_message_at = UTCDateTimeAttribute(null=True)
    last_agent_message_at = UTCDateTimeAttribute(null=True)
    solved_at = UTCDateTimeAttribute(null=True)
    status_changed_at = UTCDateTimeAttribute(null=True)
    confirmation_ref = UnicodeAttribute(null=True)
    triage_ref = UnicodeAttribute(null=True)  # "<channel>:<ts>" of its message in the triage channel
    message_count = NumberAttribute(default=0)
    listing = UnicodeAttribute(null=True)
    unassigned = UnicodeAttribute(null=True)
    awaiting = UnicodeAttribute(null=True)
    # Response-time target (chalicelib.desk.sla): the current one while the customer waits.
    due_kind = UnicodeAttribute(null=True)  # first | next
    due_since = UTCDateTimeAttribute(null=True)  # when its clock started
    due_at = UTCDateTimeAttribute(null=True)
    warn_at = UTCDateTimeAttribute(null=True)  # 75 % of the business time used
    sla_stage = UnicodeAttribute(null=True)  # "<kind>:<since>:warned" | "...:breached" (warnings sent)
    sla_due = UnicodeAttribute(null=True)  # "DUE" while a target runs (by_due)
    sla_check = UnicodeAttribute(null=True)  # "CHECK" while a warning is still to come (by_sla_check)
    sla_check_at = UTCDateTimeAttribute(null=True)
    triaged_by = UnicodeSetAttribute(null=True)  # who made a triage change (analytics: "tickets triaged")
    # The requester as an identity ("slack:U123", "email:sam@acme.example", "github:octocat"): people
    # (chalicelib.desk.people) link identities, so a person's tickets are a Query per identity (by_requester).
    requester_key = UnicodeAttribute(null=True)
    earlier = JSONAttribute(null=True)  # the requester's earlier tickets when this one opened {count, open, last}
    # Satisfaction (chalicelib.desk.surveys): asked once, after a grace period once solved.
    survey_due = UnicodeAttribute(null=True)  # "SURVEY" while a survey waits for its time (by_survey)
    survey_at = UTCDateTimeAttribute(null=True)
    survey_state = UnicodeAttribute(null=True)  # asked | skipped:<why>
    csat = UnicodeAttribute(null=True)  # good | bad
    csat_at = UTCDateTimeAttribute(null=True)
    csat_comment = UnicodeAttribute(null=True)
    csat_owner = UnicodeAttribute(null=True)  # the owner when it was rated (the analytics' agent)
    version = VersionAttribute()

    by_number = ByNumberIndex()
    by_listing = ListingIndex()
    by_assignee = AssigneeIndex()
    by_unassigned = UnassignedIndex()
    by_awaiting = AwaitingIndex()
    by_status = StatusIndex()
    by_priority = PriorityIndex()
    by_channel = ChannelIndex()
    by_customer = CustomerIndex()
    by_due = DueIndex()
    by_sla_check = SlaCheckIndex()
    by_survey = SurveyIndex()
    by_requester = RequesterIndex()


class Message(Model):
    """One entry of a ticket's conversation.

    ``message_key`` is ``<epoch ms, 13 digits>#<source id>``: sortable by time and
    derivable from the source item (a Slack message's ts), so a redelivered
    message is a conditional put that fails.
    """

    class Meta(TableMeta):
        table_name = "messages"

    ticket_id = UnicodeAttribute(hash_key=True)
    message_key = UnicodeAttribute(range_key=True)
    role = UnicodeAttribute()  # customer | agent | internal | system
    author_id = UnicodeAttribute(null=True)
    author_name = UnicodeAttribute(null=True)
    text = UnicodeAttribute(null=True)
    full_text = UnicodeAttribute(null=True)  # an email's whole text, quoted history included (when it differs)
    channel = UnicodeAttribute()  # slack | api | email | github
    external_id = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    edited_at = UTCDateTimeAttribute(null=True)
    edit_version = UnicodeAttribute(null=True)
    deleted_at = UTCDateTimeAttribute(null=True)
    files = ListAttribute(null=True)  # type: ignore[var-annotated]
    attachments = JSONAttribute(null=True)  # [{name, type, size, key}] stored in S3, never inline
    email_message_id = UnicodeAttribute(null=True)
    raw_ref = UnicodeAttribute(null=True)  # S3 key of the full raw message
    delivery_status = UnicodeAttribute(null=True)  # queued | retrying | sent | failed (its outbox step's echo)
    delivery_attempts = NumberAttribute(null=True)
    delivered_ref = UnicodeAttribute(null=True)
    delivery_error = UnicodeAttribute(null=True)


class ExternalRef(Model):
    """The external-reference index: a source item's key to the ticket it belongs to.

    Written with ``attribute_not_exists`` in the same transaction that opens the
    ticket; other channels add aliases (email Message-IDs, GitHub comment ids).
    """

    class Meta(TableMeta):
        table_name = "refs"

    ref = UnicodeAttribute(hash_key=True)
    ticket_id = UnicodeAttribute()
    number = NumberAttribute(null=True)
    target = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute(null=True)
