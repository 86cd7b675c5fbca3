"""The agent API's feedback route: ``GET /api/feedback?stint=N``, what one Support Hero stint turned up
(its tags, the GitHub issues its tickets were linked to, its bugs and feature requests).

Like :mod:`chalicelib.web.api_admin`: parse the request, one call, the answer as it is.  The
:class:`~chalicelib.desk.feedback.Feedback` is built here from the services' parts (:func:`feedback_of`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from chalice.app import Blueprint, Response

from chalicelib.ingress.http import ok
from chalicelib.web.common import _agent, _guard, _params

if TYPE_CHECKING:
    from chalicelib.desk.feedback import Feedback, PeopleOf
    from chalicelib.services import Services

bp = Blueprint(__name__)


def _each_their_own(keys: Sequence[str]) -> dict[str, str]:
    """Without a people store, every identity is a person of its own."""
    return {}


def people_of(services: Services) -> PeopleOf:
    """The people store's ``person_ids`` when the services have one (``services.people``), else identities."""
    people = getattr(services, "people", None)
    person_ids: PeopleOf | None = getattr(people, "person_ids", None)
    return person_ids if person_ids is not None else _each_their_own


def feedback_of(services: Services) -> Feedback:
    from chalicelib.desk.feedback import Feedback

    return Feedback(clock=services.clock, tickets=services.tickets.store, people_of=people_of(services))


@bp.route("/api/feedback", methods=["GET"])
@_guard
def feedback() -> Response:
    """Tags, linked GitHub issues (people and tiers asking) and bugs / feature requests of one stint
    (``stint``: its number, default the current one)."""
    from chalicelib.desk.usecases import _stint

    request, services, _member = _agent()
    params = _params(request, {"stint"})
    sprint = _stint(services, params.get("stint", "current"))  # 400: no rotation, not a number, not started
    return ok(feedback_of(services).for_stint(services.directory.load(), sprint))
