"""``/_local/...``: the local stack's dev clock and schedule runner.

Registered by ``app.py`` only when ``SUPPORT_HERO_DEV_CLOCK`` is set, which only
``make run`` does: these routes are absent from a deployed API (a deploy test checks
the ``chalice package`` output), and each refuses to run if the variable is unset.
"""

from __future__ import annotations

import datetime as dt
import json
import os

from chalice.app import Blueprint, Response

from chalicelib import bootstrap
from chalicelib.ingress.http import error, ok
from chalicelib.platform.clock import DevClock

bp = Blueprint(__name__)


def enabled() -> bool:
    return bool(os.environ.get("SUPPORT_HERO_DEV_CLOCK"))


def _clock() -> DevClock:
    return DevClock(os.environ["SUPPORT_HERO_DEV_CLOCK"])


@bp.route("/_local/clock", methods=["GET"])
def get_clock() -> Response:
    if not enabled():
        return error(404, "not found")
    clock = _clock()
    return ok({"now": clock.now().isoformat(), "offset_seconds": round(clock.offset(), 3)})


@bp.route("/_local/clock", methods=["POST"], content_types=["application/json"])
def set_clock() -> Response:
    """``{"now": "2026-11-28T10:00:00Z"}`` (or ``{"reset": true}`` for real time)."""
    if not enabled():
        return error(404, "not found")
    request = bp.current_request
    assert request is not None
    try:
        body = json.loads(request.raw_body or b"{}")
    except ValueError:
        return error(400, "body must be JSON like {\"now\": \"2026-11-28T10:00:00Z\"}")
    if not isinstance(body, dict):
        return error(400, "body must be a JSON object")
    clock = _clock()
    if body.get("reset") is True:
        clock.set(dt.datetime.now(dt.UTC))
    else:
        raw = body.get("now")
        try:
            at = dt.datetime.fromisoformat(str(raw).replace("Z", "+00:00")) if isinstance(raw, str) else None
        except ValueError:
            at = None
        if at is None or at.tzinfo is None:
            return error(400, "'now' must be an ISO 8601 time with an offset, e.g. 2026-11-28T10:00:00Z")
        clock.set(at)
    return ok({"now": clock.now().isoformat()})


@bp.route("/_local/schedules", methods=["GET"])
def list_schedules() -> Response:
    if not enabled():
        return error(404, "not found")
    from chalicelib.jobs.registry import JOBS

    return ok({"schedules": [{"name": j.name, "every_minutes": j.every_minutes, "description": j.description}
                             for j in JOBS.values()]})


@bp.route("/_local/schedules/{name}", methods=["POST"])
def run_schedule(name: str) -> Response:
    if not enabled():
        return error(404, "not found")
    from chalicelib.jobs import registry as jobs

    if name not in jobs.JOBS:
        return error(404, f"no schedule named '{name}' (GET /_local/schedules lists them)")
    return ok(jobs.run(name, bootstrap.services()))
