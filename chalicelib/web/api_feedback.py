"""The agent API's feedback route: ``GET /api/feedback?stint=N``, what one Support Hero stint turned up
(its tags, the GitHub issues its tickets were linked to, its bugs and feature requests).

Like :mod:`chalicelib.web.api_admin`: parse the request, one call, the answer as it is.  The
:class:`~chalicelib.desk.feedback.Feedback` is the services' (people counted by the people store).
"""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.ingress.http import ok
from chalicelib.web.common import _agent, _guard, _params

bp = Blueprint(__name__)


@bp.route("/api/feedback", methods=["GET"])
@_guard
def feedback() -> Response:
    """Tags, linked GitHub issues (people and tiers asking) and bugs / feature requests of one stint
    (``stint``: its number, default the current one)."""
    from chalicelib.desk.usecases import _stint

    request, services, _member = _agent()
    params = _params(request, {"stint"})
    sprint = _stint(services, params.get("stint", "current"))  # 400: no rotation, not a number, not started
    return ok(services.feedback.for_stint(services.directory.load(), sprint))
