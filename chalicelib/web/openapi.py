"""The agent API's OpenAPI 3.0 document, served at ``/api/openapi.json`` (stdlib only)."""

from __future__ import annotations

from typing import Any

from chalicelib import channels

_NUMBER = {"name": "number", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
_ERRORS = {
    "400": {"description": "Bad input",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
    "401": {"description": "Missing or invalid token"},
    "404": {"description": "Unknown ticket"},
    "413": {"description": "Body larger than 200 KiB",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
}


def _json_body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _ok(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {"type": "object"}}}}


def document() -> dict[str, Any]:
    filters = [
        {"name": "view", "in": "query", "schema": {"type": "string",
                                                    "enum": ["unassigned", "mine", "all", "awaiting-reply", "due"]}},
        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
        {"name": "cursor", "in": "query", "schema": {"type": "string"}},
        {"name": "status", "in": "query", "schema": {"type": "string",
                                                      "enum": ["new", "open", "pending", "solved", "closed"]}},
        {"name": "priority", "in": "query", "schema": {"type": "string", "enum": ["low", "normal", "high", "urgent"]}},
        {"name": "channel", "in": "query", "schema": {"type": "string",
                                                       "enum": [spec.name for spec in channels.installed()]}},
        {"name": "customer", "in": "query", "schema": {"type": "string"}},
        {"name": "tag", "in": "query", "schema": {"type": "string"}},
    ]
    return {
        "openapi": "3.0.3",
        "info": {"title": "Support Hero agent API", "version": "1.0.0",
                 "description": "Every request carries `Authorization: Bearer <token>` "
                                "(`python -m chalicelib.cli create-token`)."},
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": {"type": "object", "required": ["error"],
                                  "properties": {"error": {"type": "string"}}}},
        },
        "paths": {
            "/api/me": {"get": {"summary": "Who the token belongs to", "responses": {"200": _ok("The agent"),
                                                                                  "401": _ERRORS["401"]}}},
            "/api/tickets": {"get": {"summary": "A page of a view, newest first", "parameters": filters,
                                     "responses": {"200": _ok("Tickets and next_cursor"), **_ERRORS}}},
            "/api/tickets/{number}": {
                "get": {"summary": "A ticket with its conversation and audit trail", "parameters": [_NUMBER],
                        "responses": {"200": _ok("The ticket"), **_ERRORS}},
                "patch": {"summary": "Change status, priority, owner or tags (optimistic locking)",
                          "parameters": [_NUMBER],
                          "requestBody": _json_body({"type": "object", "required": ["version"],
                                                     "additionalProperties": False, "properties": {
                              "version": {"type": "integer"},
                              "status": {"type": "string", "enum": ["new", "open", "pending", "solved", "closed"]},
                              "priority": {"type": "string", "enum": ["low", "normal", "high", "urgent"]},
                              "assignee": {"type": "string", "nullable": True},
                              "tags": {"type": "array", "items": {"type": "string"}}}}),
                          "responses": {"200": _ok("The changed ticket"), "409": {"description": "Stale version"},
                                        **_ERRORS}},
            },
            "/api/tickets/{number}/replies": {"post": {
                "summary": "Reply to the customer through the ticket's channel, or add an internal note",
                "parameters": [_NUMBER, {"name": "Idempotency-Key", "in": "header", "schema": {"type": "string"}}],
                "requestBody": _json_body({"type": "object", "required": ["text"], "additionalProperties": False,
                                           "properties": {"text": {"type": "string"},
                                                          "internal": {"type": "boolean"}}}),
                "responses": {"200": _ok("A replayed request"), "201": _ok("Internal note recorded"),
                              "202": _ok("Reply queued for delivery"), **_ERRORS}}},
            "/api/tickets/{number}/raw-email": {"get": {
                "summary": "The raw .eml of one email message: a redirect to a five-minute download",
                "parameters": [_NUMBER, {"name": "key", "in": "query", "required": True,
                                         "schema": {"type": "string"}}],
                "responses": {"302": {"description": "Location: the download"}, **_ERRORS}}},
            "/api/tickets/{number}/handover": {"post": {
                "summary": "Hand the ticket to another team member with a note", "parameters": [_NUMBER],
                "requestBody": _json_body({"type": "object", "required": ["to", "note"], "additionalProperties": False,
                                           "properties": {"to": {"type": "string"}, "note": {"type": "string"}}}),
                "responses": {"200": _ok("The handed-over ticket"), **_ERRORS}}},
            "/api/tickets/{number}/links": {"post": {
                "summary": "Link the ticket to a GitHub issue of a watched repository", "parameters": [_NUMBER],
                "requestBody": _json_body({"type": "object", "required": ["issue"], "additionalProperties": False,
                                           "properties": {"issue": {"type": "string"}}}),
                "responses": {"200": _ok("Already linked"), "201": _ok("Linked"), **_ERRORS}}},
            "/api/mail/held": {"get": {
                "summary": "Inbound mail that did not become a ticket",
                "parameters": [{"name": "kind", "in": "query",
                                "schema": {"type": "string", "enum": ["quarantined", "turned-away"]}},
                               {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                                           "maximum": 100}},
                               {"name": "cursor", "in": "query", "schema": {"type": "string"}}],
                "responses": {"200": _ok("A page of held mail"), "400": _ERRORS["400"], "401": _ERRORS["401"]}}},
            "/api/rotation": {"get": {
                "summary": "The Support Hero now, the next sprints, business hours and response targets",
                "parameters": [{"name": "sprints", "in": "query",
                                "schema": {"type": "integer", "minimum": 1, "maximum": 26}}],
                "responses": {"200": _ok("The rotation"), "400": _ERRORS["400"], "401": _ERRORS["401"]}}},
            "/api/analytics": {"get": {
                "summary": "Volume, first response and resolution times (business seconds), targets, backlog, "
                           "customer satisfaction (csat: good, bad, rated, rate; csat_by_channel, csat_by_tier)",
                "parameters": [{"name": "from", "in": "query", "schema": {"type": "string", "format": "date"}},
                               {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"}},
                               {"name": "group", "in": "query", "schema": {"type": "string",
                                                                           "enum": ["day", "week"]}}],
                "responses": {"200": _ok("Totals and periods"), "400": _ERRORS["400"], "401": _ERRORS["401"]}}},
            "/api/analytics/leaderboard": {"get": {
                "summary": "Per person over one Support Hero stint, with each person's customer satisfaction "
                           "(csat, ratings of tickets they owned) and the whole stint's",
                "parameters": [{"name": "stint", "in": "query",
                                "schema": {"type": "string", "pattern": "^(current|[1-9][0-9]*)$"}}],
                "responses": {"200": _ok("Leaderboard rows"), "400": _ERRORS["400"], "401": _ERRORS["401"]}}},
            "/api/feedback": {"get": {
                "summary": "What one Support Hero stint turned up: tags, linked GitHub issues, bugs and feature "
                           "requests",
                "parameters": [{"name": "stint", "in": "query",
                                "schema": {"type": "string", "pattern": "^(current|[1-9][0-9]*)$"}}],
                "responses": {"200": _ok("Tags, issues and requests"), "400": _ERRORS["400"],
                              "401": _ERRORS["401"]}}},
            "/api/people": {"get": {
                "summary": "The person known by one identity (give exactly one of email, slack, github)",
                "parameters": [{"name": k, "in": "query", "schema": {"type": "string", "maxLength": 254}}
                               for k in ("email", "slack", "github")],
                "responses": {"200": _ok("The person, with their tickets across channels, newest first"),
                              "400": _ERRORS["400"], "401": _ERRORS["401"], "404": {"description": "Nobody"}}}},
            "/api/people/{person_id}": {"get": {
                "summary": "A person: identities, company, tier and tickets across every channel, newest first",
                "parameters": [{"name": "person_id", "in": "path", "required": True,
                                "schema": {"type": "string", "pattern": "^P[0-9a-f]{12}$"}}],
                "responses": {"200": _ok("The person"), "401": _ERRORS["401"],
                              "404": {"description": "No such person"}}}},
            "/api/people/link": {"post": {
                "summary": "An agent says two identities are one person (an earlier unlink between them is lifted)",
                "requestBody": _json_body({"type": "object", "required": ["a", "b"], "additionalProperties": False,
                                           "properties": {"a": {"type": "string", "example": "slack:U0SAM1"},
                                                          "b": {"type": "string",
                                                                "example": "email:sam@acme.example"}}}),
                "responses": {"200": _ok("The person they are now"), **_ERRORS}}},
            "/api/people/unlink": {"post": {
                "summary": "Take one identity out of its person; facts will not link it back, only an agent",
                "requestBody": _json_body({"type": "object", "required": ["identity"], "additionalProperties": False,
                                           "properties": {"identity": {"type": "string",
                                                                       "example": "email:sam@acme.example"}}}),
                "responses": {"200": _ok("The person it left and its own"), **_ERRORS}}},
        },
    }
