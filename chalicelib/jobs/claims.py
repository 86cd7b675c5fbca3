"""Work done once per period: a conditional write claims it, a lease covers a crash.

Scheduled jobs can be invoked twice for one period (EventBridge retries, a manual
run, two overlapping sweeps).  Each side effect of a job is wrapped in
:meth:`Claims.once` with a key naming the job and its period (a sprint number, a
date, a ticket's target).  The first caller writes ``running`` with a lease,
``attribute_not_exists``; it does the work and marks the claim ``done``.  If the
work raises, the claim is released, so the next invocation retries it; if the
process dies, the lease expires and the next invocation takes over.  The worst
case is a repeat after a crash between the side effect and ``done``, never a loss.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TypeVar

from pynamodb.exceptions import DeleteError, DoesNotExist, PutError, UpdateError

from chalicelib.models.conditions import conditional_failed
from chalicelib.models.directory import CLAIM_PREFIX, DirectoryItem
from chalicelib.platform.clock import Clock

T = TypeVar("T")
RUNNING, DONE = "running", "done"
KEEP_SECONDS = 120 * 86400  # a done claim outlives any period it guards (a sprint, a week, a target)


class Claims:
    def __init__(self, clock: Clock, lease_seconds: int = 300) -> None:
        self.clock = clock
        self.lease_seconds = lease_seconds

    def once(self, job: str, period: str, work: Callable[[], T]) -> tuple[bool, T | None]:
        """Run ``work`` unless it is done (or running elsewhere) for this period.

        Returns (ran, result).
        """
        now = self.clock.now()
        lease = uuid.uuid4().hex
        item = DirectoryItem(f"{CLAIM_PREFIX}{job}", period, state=RUNNING, lease=lease,
                             value=int(now.timestamp()) + self.lease_seconds, updated_at=now)
        expired = (DirectoryItem.state == RUNNING) & (DirectoryItem.value < int(now.timestamp()))
        try:
            item.save(condition=DirectoryItem.pk.does_not_exist() | expired)
        except PutError as exc:
            if conditional_failed(exc):
                return False, None
            raise
        try:
            result = work()
        except BaseException:
            try:
                item.delete(condition=DirectoryItem.lease == lease)
            except DeleteError as exc:
                if not conditional_failed(exc):
                    raise
            raise
        try:
            item.update(actions=[DirectoryItem.state.set(DONE), DirectoryItem.lease.remove(),
                                 DirectoryItem.expires_at.set(int(now.timestamp()) + KEEP_SECONDS)],
                        condition=DirectoryItem.lease == lease)
        except UpdateError as exc:
            if not conditional_failed(exc):
                raise
        return True, result

    def done(self, job: str, period: str) -> bool:
        try:
            return DirectoryItem.get(f"{CLAIM_PREFIX}{job}", period, consistent_read=True).state == DONE
        except DoesNotExist:
            return False
