"""People in the agent API: find one by an identity, show one with their tickets, link and unlink.

* ``GET /api/people?email=…|slack=…|github=…``: the person known by that identity (404 if none);
* ``GET /api/people/{id}``: identities, company, tier and tickets across every channel, newest first;
* ``POST /api/people/link`` ``{"a": "slack:U123", "b": "email:sam@acme.example"}``: one person from now on;
* ``POST /api/people/unlink`` ``{"identity": "email:sam@acme.example"}``: a person of its own, kept apart.
"""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.ingress.http import ok
from chalicelib.web.common import ApiError, _agent, _guard, _json_object, _optional_str, _params

bp = Blueprint(__name__)
KINDS = ("email", "slack", "github")


@bp.route("/api/people", methods=["GET"])
@_guard
def find_person() -> Response:
    from chalicelib.desk.people import Identity
    from chalicelib.desk.people_views import find_person, person_view

    request, services, _member = _agent()
    params = _params(request, set(KINDS))
    asked = [(k, params[k]) for k in KINDS if params.get(k)]
    if len(asked) != 1:
        raise ApiError(400, "give exactly one of email=, slack= or github=")
    identity = Identity.parse(f"{asked[0][0]}:{asked[0][1]}")
    people = services.tickets.people
    return ok(person_view(people, services.directory.load(), find_person(people, identity)))


@bp.route("/api/people/{person_id}", methods=["GET"])
@_guard
def get_person(person_id: str) -> Response:
    from chalicelib.desk.people_views import person_view

    _request, services, _member = _agent()
    people = services.tickets.people
    return ok(person_view(people, services.directory.load(), people.get(person_id)))


@bp.route("/api/people/link", methods=["POST"], content_types=["application/json"])
@_guard
def link_people() -> Response:
    from chalicelib.desk.people import Identity
    from chalicelib.desk.people_views import link_people, person_view
    from chalicelib.platform.observability import logger

    request, services, member = _agent()
    body = _json_object(request.raw_body, {"a", "b"}, '{"a": "slack:U123", "b": "email:sam@acme.example"}')
    a, b = (Identity.parse(_optional_str(body, k, 300) or "") for k in ("a", "b"))
    directory = services.directory.load()
    people = services.tickets.people
    person = link_people(people, directory, a, b)
    logger.info("people linked by an agent", extra={"member": member.id, "person": person.id})
    return ok(person_view(people, directory, person))


@bp.route("/api/people/unlink", methods=["POST"], content_types=["application/json"])
@_guard
def unlink_person() -> Response:
    from chalicelib.desk.people import Identity
    from chalicelib.desk.people_views import person_view

    request, services, _member = _agent()
    body = _json_object(request.raw_body, {"identity"}, '{"identity": "email:sam@acme.example"}')
    identity = Identity.parse(_optional_str(body, "identity", 300) or "")
    people = services.tickets.people
    directory = services.directory.load()
    left, alone = people.unlink(identity, directory)
    return ok({"left": person_view(people, directory, left), "alone": person_view(people, directory, alone)})
