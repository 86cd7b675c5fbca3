"""Side effects as durable steps: the transactional outbox and its dispatcher.

A ticket change and the side effects it causes are written in one DynamoDB transaction: the
change, plus one :class:`~chalicelib.models.outbox.OutboxItem` per effect (post the confirmation,
DM the Hero, send the acknowledgement, comment on GitHub...).  Each step is then delivered on
its own by :meth:`Outbox.run`:

1. **claim**: a conditional update takes a lease (``pending`` and due, or ``running`` with an
   expired lease), so two workers never run one step at once;
2. **send**: the handler for its ``kind`` calls the outside service and returns the external id
   (Slack ``ts``, SES message id, GitHub comment id).  When the previous attempt's outcome is
   unknown (a timeout after the request left), the handler is told (``maybe_sent``) and looks
   before sending again: Slack message metadata carrying the step id, the GitHub comment list;
3. **record**: ``done`` with the external id; or, on a transient error, ``pending`` again with
   exponential backoff and jitter, honouring ``Retry-After``, for at least 24 hours; or, on a
   permanent error (``channel_not_found``, an invalid address), ``failed`` at once.  What fails
   for good is listed (``GET /api/failures``), counted (``SideEffectsFailed``, alarmed on) and
   can be replayed (``POST /api/failures/{id}/retry``, ``python -m chalicelib.cli redrive``).

Steps and attempts live in :mod:`chalicelib.desk.steps`; verdicts, the classifier registry and
backoff in :mod:`chalicelib.desk.verdicts` (both re-exported here).

Steps written during a worker invocation are run right after its transaction (:meth:`flush`);
the ``outbox`` schedule (every minute) runs whatever is due, found through a sparse index.
"""

from __future__ import annotations

import datetime as dt
import threading
import urllib.parse
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError
from pynamodb.expressions.update import Action

from chalicelib.desk.steps import Attempt, Handler, Step, safe_id, step_id
from chalicelib.desk.verdicts import (
    FIRST_DELAY,
    MAX_DELAY,
    MAX_ERROR,
    PermanentFailure,
    StepFailed,
    TransientFailure,
    Verdict,
    backoff,
    classify,
    is_external,
)
from chalicelib.models.conditions import conditional_failed
from chalicelib.models.outbox import OutboxItem
from chalicelib.platform.clock import Clock
from chalicelib.platform.observability import count, logger

__all__ = [
    "DONE", "FAILED", "FIRST_DELAY", "GIVE_UP_AFTER", "MAX_DELAY", "PENDING", "RUNNING", "Attempt", "Handler",
    "Outbox", "PermanentFailure", "RunReport", "Step", "StepFailed", "TransientFailure", "Verdict", "backoff",
    "classify", "failure_view", "is_external", "safe_id", "step_id",
]

PENDING, RUNNING, DONE, FAILED = "pending", "running", "done", "failed"
DUE, FAILED_KEY = "DUE", "FAILED"
GIVE_UP_AFTER = 24 * 3600  # retries stop once a step has failed for a day (then: listed, alarmed, replayable)
LEASE_SECONDS = 60  # longer than any one attempt (the clients time out after 10 s)
KEEP_DONE_SECONDS = 30 * 86400  # a done step stays 30 days (its id keeps a replay from repeating it)


@dataclass
class RunReport:
    job: str = "outbox"
    did: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"job": self.job, "did": self.did, "skipped": self.skipped}


class Outbox:
    def __init__(self, clock: Clock, handlers: dict[str, Handler] | None = None,
                 on_failed: Callable[[OutboxItem, Verdict], None] | None = None) -> None:
        self.clock = clock
        self.handlers: dict[str, Handler] = dict(handlers or {})
        self.on_failed = on_failed
        self._local = threading.local()

    def register(self, kind: str, handler: Handler) -> None:
        self.handlers[kind] = handler

    # -- writing steps ----------------------------------------------------------------
    def item(self, step: Step, *, delay: float = 0) -> OutboxItem:
        """The item to write in a transaction (``condition=OutboxItem.step_id.does_not_exist()``);
        call :meth:`written` once the transaction committed."""
        now = self.clock.now()
        return OutboxItem(
            step.id, kind=step.kind, payload=step.payload, state=PENDING, queue=DUE,
            due_at=int(now.timestamp() + delay), attempts=0, since=int(now.timestamp()), created_at=now,
            ticket_id=step.ticket_id, ticket_number=step.ticket_number, summary=step.summary[:200] or None,
            notify=step.notify,
        )

    def written(self, steps: Iterable[Step]) -> None:
        """Steps a committed transaction wrote: :meth:`flush` runs them."""
        self._fresh().extend(s.id for s in steps)

    def add(self, *steps: Step, delay: float = 0) -> list[str]:
        """Write steps on their own (each once: an id that exists is left as it is)."""
        added = []
        for step in steps:
            try:
                self.item(step, delay=delay).save(condition=OutboxItem.step_id.does_not_exist())
            except PutError as exc:
                if not conditional_failed(exc):
                    raise
                continue
            added.append(step.id)
        if not delay:
            self._fresh().extend(added)
        return added

    def _fresh(self) -> list[str]:
        fresh: list[str] | None = getattr(self._local, "fresh", None)
        if fresh is None:
            fresh = self._local.fresh = []
        return fresh

    def take_fresh(self) -> list[str]:
        """The steps written in this thread since the last flush, handed to the caller to run elsewhere."""
        fresh = list(self._fresh())
        self._local.fresh = []
        return fresh

    # -- running steps ------------------------------------------------------------------
    def flush(self) -> list[str]:
        """Run the steps written in this thread since the last flush (each on its own)."""
        outcomes = []
        fresh = self._fresh()
        while fresh:
            sid = fresh.pop(0)
            try:
                outcomes.append(self.run(sid))
            except Exception:  # noqa: BLE001 - the store failed, not the step: the schedule runs it later
                logger.exception("could not run an outbox step now; the outbox schedule will",
                                 extra={"step_id": sid})
        return outcomes

    def get(self, sid: str) -> OutboxItem | None:
        try:
            return OutboxItem.get(sid, consistent_read=True)
        except DoesNotExist:
            return None

    def _claim(self, sid: str, *, crashed: bool) -> tuple[OutboxItem, str] | None:
        """Take the step's lease: a pending step that is due or, with ``crashed``, a running one whose
        holder's lease expired (it died mid-send).  One UpdateItem; the item comes back with it."""
        now = int(self.clock.time())
        lease = uuid.uuid4().hex
        item = OutboxItem(sid)
        ready = ((OutboxItem.state == RUNNING) & (OutboxItem.due_at <= now) if crashed
                 else (OutboxItem.state == PENDING) & (OutboxItem.due_at <= now))
        actions: list[Action] = [OutboxItem.state.set(RUNNING), OutboxItem.lease.set(lease),
                                 OutboxItem.due_at.set(now + LEASE_SECONDS), OutboxItem.attempts.add(1)]
        if crashed:
            actions.append(OutboxItem.maybe_sent.set(True))
        try:
            item.update(actions=actions, condition=(OutboxItem.queue == DUE) & ready)
        except UpdateError as exc:
            if conditional_failed(exc):
                return None
            raise
        return item, lease

    def run(self, sid: str) -> str:
        """Claim, send and record one step.  Never raises because the side effect failed.

        DynamoDB requests: one UpdateItem to claim, one to record (plus the handler's own)."""
        claimed = self._claim(sid, crashed=False) or self._claim(sid, crashed=True)
        if claimed is None:
            return f"not-due {sid}"  # done, failed, waiting for its time, or running elsewhere
        item, lease = claimed
        handler = self.handlers.get(item.kind)
        attempt = Attempt(sid, item.kind, dict(item.payload or {}), int(item.attempts or 1),
                          bool(item.maybe_sent), item.ticket_id)
        try:
            if handler is None:
                raise PermanentFailure(f"no handler for step kind {item.kind!r}")
            external = handler(attempt)
        except Exception as exc:  # noqa: BLE001 - every failure is recorded on the step, none is lost
            verdict = classify(exc)
            self._failed_attempt(item, lease, verdict)
            return f"{'failed' if verdict.permanent else 'retry'} {sid}: {verdict.reason}"
        self._done(item, lease, external)
        self.flush()  # steps the handler wrote (a parked event that now opened its ticket)
        return f"done {sid}"

    def next_due(self) -> float | None:
        """When the next step is due (epoch seconds), or None: one Query of the sparse index."""
        for item in OutboxItem.by_due.query(DUE, limit=1):
            return float(item.due_at) if item.due_at is not None else None
        return None

    def _done(self, item: OutboxItem, lease: str, external: str | None) -> None:
        now = self.clock.now()
        actions: list[Action] = [OutboxItem.state.set(DONE), OutboxItem.queue.remove(), OutboxItem.due_at.remove(),
                   OutboxItem.lease.remove(), OutboxItem.done_at.set(now), OutboxItem.maybe_sent.remove(),
                   OutboxItem.expires_at.set(int(now.timestamp()) + KEEP_DONE_SECONDS)]
        if external:
            actions.append(OutboxItem.external_id.set(external[:400]))
        try:
            item.update(actions=actions, condition=OutboxItem.lease == lease)
        except UpdateError as exc:
            if not conditional_failed(exc):
                raise
            logger.warning("an outbox step's lease was lost while it ran", extra={"step_id": item.step_id})
        count("SideEffectsDelivered")

    def _failed_attempt(self, item: OutboxItem, lease: str, verdict: Verdict) -> None:
        now = self.clock.time()
        since = int(item.since or now)
        attempts = int(item.attempts or 1)  # the claim's update already counted this one
        delay = max(backoff(attempts, item.step_id), verdict.retry_after or 0.0)
        exhausted = not verdict.permanent and now + delay - since > GIVE_UP_AFTER
        reason = verdict.reason + (f" ({verdict.hint})" if verdict.hint else "")
        maybe_sent = verdict.maybe_sent or bool(item.maybe_sent)
        actions: list[Action]
        if verdict.permanent or exhausted:
            kind = "permanent" if verdict.permanent else "exhausted"
            actions = [OutboxItem.state.set(FAILED), OutboxItem.queue.remove(), OutboxItem.due_at.remove(),
                       OutboxItem.lease.remove(), OutboxItem.failed.set(FAILED_KEY),
                       OutboxItem.failed_at.set(int(now)), OutboxItem.error_kind.set(kind),
                       OutboxItem.last_error.set(reason[:MAX_ERROR]), OutboxItem.maybe_sent.set(maybe_sent)]
        else:
            actions = [OutboxItem.state.set(PENDING), OutboxItem.due_at.set(int(now + delay)),
                       OutboxItem.lease.remove(), OutboxItem.error_kind.set("transient"),
                       OutboxItem.last_error.set(reason[:MAX_ERROR]), OutboxItem.maybe_sent.set(maybe_sent)]
        try:
            item.update(actions=actions, condition=OutboxItem.lease == lease)
        except UpdateError as exc:
            if not conditional_failed(exc):
                raise
            return
        extra = {"step_id": item.step_id, "kind": item.kind, "attempt": attempts, "reason": reason[:200],
                 "ticket_number": item.ticket_number}
        if verdict.permanent or exhausted:
            count("SideEffectsFailed")
            logger.warning("side effect failed for good; listed at GET /api/failures", extra=extra)
            item.refresh(consistent_read=True)
            if self.on_failed is not None:
                try:
                    self.on_failed(item, verdict)
                except Exception:  # noqa: BLE001 - telling someone is best effort; the failure is listed
                    logger.exception("could not report a failed side effect", extra={"step_id": item.step_id})
        else:
            count("SideEffectsRetried")
            logger.info("side effect will be retried", extra={**extra, "delay": round(delay, 1)})

    def due(self, limit: int = 100) -> Iterator[OutboxItem]:
        """Steps due now, oldest due first (a Query on the sparse ``by_due`` index)."""
        now = int(self.clock.time())
        yield from OutboxItem.by_due.query(DUE, OutboxItem.due_at <= now, limit=limit)

    def run_due(self, limit: int = 200, budget_seconds: float = 90.0) -> RunReport:
        """The ``outbox`` schedule: every due step, each on its own, within a time budget."""
        import time

        report = RunReport()
        started = time.monotonic()
        for item in list(self.due(limit)):
            if time.monotonic() - started > budget_seconds:
                report.skipped.append(f"budget: {item.step_id}")
                continue
            try:
                report.did.append(self.run(item.step_id))
            except Exception as exc:  # noqa: BLE001 - one step's store error never stops the others
                logger.exception("outbox step could not run", extra={"step_id": item.step_id})
                report.skipped.append(f"error {item.step_id}: {type(exc).__name__}")
        return report

    # -- failures -----------------------------------------------------------------------
    def failures(self, limit: int = 50, cursor: dict[str, Any] | None = None
                 ) -> tuple[list[OutboxItem], dict[str, Any] | None]:
        """Steps that failed for good, newest first (a Query on the sparse ``by_failed`` index)."""
        results = OutboxItem.by_failed.query(FAILED_KEY, scan_index_forward=False, limit=limit,
                                             last_evaluated_key=cursor)
        items = list(results)
        return items, results.last_evaluated_key

    def retry(self, sid: str) -> bool:
        """Replay a failed step: due now, with a fresh retry window.  False if it is not failed."""
        now = int(self.clock.time())
        try:
            OutboxItem(sid).update(
                actions=[OutboxItem.state.set(PENDING), OutboxItem.queue.set(DUE), OutboxItem.due_at.set(now),
                         OutboxItem.since.set(now), OutboxItem.failed.remove(), OutboxItem.failed_at.remove(),
                         OutboxItem.error_kind.remove()],
                condition=OutboxItem.state == FAILED,
            )
        except UpdateError as exc:
            if conditional_failed(exc):
                return False
            raise
        self._fresh().append(sid)
        return True

    def redrive(self, limit: int = 500) -> list[str]:
        """Replay every failed step (``python -m chalicelib.cli redrive``)."""
        replayed: list[str] = []
        cursor = None
        while len(replayed) < limit:
            items, cursor = self.failures(min(100, limit - len(replayed)), cursor)
            replayed.extend(i.step_id for i in items if self.retry(i.step_id))
            if not cursor:
                break
        return replayed


def failure_view(item: OutboxItem) -> dict[str, Any]:
    """A failed step as ``GET /api/failures`` shows it."""
    def when(epoch: float | None) -> str | None:
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).isoformat() if epoch else None

    return {
        "id": item.step_id,
        "kind": item.kind,
        "summary": item.summary,
        "ticket": int(item.ticket_number) if item.ticket_number is not None else None,
        "attempts": int(item.attempts or 0),
        "error": item.last_error,
        "error_kind": item.error_kind,
        "failed_at": when(item.failed_at),
        "first_tried_at": when(item.since),
        "state": item.state,
        "retry": f"/api/failures/{urllib.parse.quote(item.step_id, safe='')}/retry",
    }
