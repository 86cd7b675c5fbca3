"""The directory table: generic ``pk``/``sk`` items of several kinds.

Partition ``DIR`` holds everything the worker needs to classify an event, so one Query loads it.
Each kind is written and read by exactly one module (its owner); nothing else touches it (owners under ``chalicelib.``):

======================================  ==================================  =======================
kind (pk / sk)                          what                                owner
======================================  ==================================  =======================
``DIR`` / ``settings``, ``member#``...  team, members, customers, channels  desk.directory_store
``TOKEN`` / ``<token hash>``            agent API tokens                    desk.directory_store
``COUNTER`` / ``ticket``                the ticket-number counter (ADD 1)   desk.directory_store
``ROTATION`` / ``sprint#<000042>``      sprint overrides (swap, skip)       desk.rotation
``LINK#<repo>#<n>`` / ``<ticket id>``   tickets linked to a GitHub issue    desk.links
``ISSUE#open`` / ``<repo>#<n>``         linked issues still open            desk.links
``CLAIM#<job>`` / ``<period>``          once-per-period claims, leased      jobs.claims
``WATCH`` / ``<due>#<channel>:<ts>``    community questions to follow up    jobs.community
``ANSWERED`` / ``<channel>:<ts>``       community threads answered          jobs.community
``MAIL#<kind>`` / ``<time>#<id>``       held mail (GET /api/mail/held)      channels.email.held
``CONTACT#RATE#<kind>#<hash>`` / hour   the contact form's rate counters    channels.contact.limits
``IDENT#<identity>`` / ``ident``        an identity's person (``state``)    desk.people
``PERSON#<id>`` / ``person``            a person: identities, company       desk.people
``SURVEYED#<person>`` / ``survey``      when a person was last surveyed     desk.people (claim item)
``LOGIN#<token hash>`` / ``login``      an inbox sign-in link (10 min)      desk.sessions
``SESSION#<member>`` / ``<hash>``       an inbox session (12 h)             desk.sessions
======================================  ==================================  =======================

One exception by design: the ingress (stdlib only, no PynamoDB) reads the members of ``DIR`` with its
own Query (:mod:`chalicelib.ingress.team`).
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
