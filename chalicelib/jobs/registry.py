"""The scheduled jobs by name: what ``app.py`` schedules and the local stack runs on demand.

Stdlib only at import time (``app.py`` imports it to register the schedules).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalicelib.services import Services


@dataclass(frozen=True)
class Job:
    name: str
    every_minutes: int
    description: str


JOBS: dict[str, Job] = {j.name: j for j in (
    Job("rotation", 60, "sprint boundary: announce the new Support Hero, set the channel topic, hand-off digests"),
    Job("targets", 5, "warn the owner (or the Hero) at 75 % of a response target and at its breach"),
    Job("opening_digest", 15, "first business morning after a weekend or holiday: unanswered tickets to the Hero"),
    Job("community", 15, "community questions nobody from the team answered go to the Hero"),
    Job("weekly_digest", 60, "last week's figures to the digest channel, once, from Monday's opening"),
    Job("metrics_rollup", 15, "fold each day's analytics written since its last rollup into one summary item"),
    Job("reconcile_github", 1440, "linked GitHub issues closed while a webhook was lost still reach requesters"),
    Job("surveys", 5, "solved tickets that stayed solved through the grace period: ask \"How did we do?\" once"),
    Job("outbox", 1, "side effects due for a retry (posts, DMs, emails, comments), each on its own"),
)}


class UnknownJob(KeyError):
    pass


def run(name: str, services: Services) -> dict[str, Any]:
    """Run one job now, with the services' clock; the side effects it wrote are tried at once (and
    retried by the ``outbox`` job: a job never fails because Slack did)."""
    if name not in JOBS:
        raise UnknownJob(name)
    try:
        return _run(name, services)
    finally:
        services.outbox.flush()


def _run(name: str, services: Services) -> dict[str, Any]:
    if name == "outbox":
        return services.outbox.run_due().as_dict()
    followups = services.followups
    if name == "rotation":
        return followups.rotate().as_dict()
    if name == "targets":
        return followups.sweep_targets().as_dict()
    if name == "opening_digest":
        return followups.opening_digest().as_dict()
    if name == "community":
        return followups.sweep_community().as_dict()
    if name == "surveys":
        return services.surveys.sweep().as_dict()
    if name == "metrics_rollup":
        return services.digests.roll_up().as_dict()
    if name == "weekly_digest":
        return services.digests.weekly().as_dict()
    caught_up = services.github_intake.reconcile()
    return {"job": name, "did": caught_up, "skipped": []}
