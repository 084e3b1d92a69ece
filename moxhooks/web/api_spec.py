"""The OpenAPI 3.1 document, generated from a route table (web/routes.py), the models
(moxhooks.models) and ErrorCode; and the registration of the table's routes on the app.

A Route says what the models cannot: the handler, the summary, the parameters, which
model the request and the answer are, which error codes it answers with, and who may call
it. The schemas, their descriptions and the list of error codes all come from the models
and the enum.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
from aiohttp import web
from aiohttp.typedefs import Handler

from moxhooks import models
from moxhooks.errors import ErrorCode

JSON = "application/json"
# "none", "session" (cookie + CSRF), "cookie" (or token), "any", "webhook" (the secret)
Security = str
E = ErrorCode


def param(
    name: str, where: str, desc: str, schema: dict[str, Any] | None = None, required: bool = False
) -> dict[str, Any]:
    """One parameter of an operation: where is path, query or header (a path parameter is
    always required)."""
    return {
        "name": name,
        "in": where,
        "required": required or where == "path",
        "description": desc,
        "schema": schema or {"type": "string"},
    }


@dataclass(frozen=True)
class Route:
    """One operation: its handler, and what the models do not say about it."""

    method: str
    path: str  # as the document writes it; {id} is registered as {id:\d+}
    handler: Handler
    summary: str
    answer: type | dict[str, Any]  # the model of the success answer, or a schema
    errors: tuple[ErrorCode, ...]
    status: int = 200
    also: tuple[int, ...] = ()  # other statuses answered with the same model
    head: bool = False  # a GET answers HEAD as well
    answer_type: str = JSON
    body: type | dict[str, Any] | None = None  # the model of the request body, or a schema
    body_type: str = JSON
    body_required: bool = True
    params: tuple[dict[str, Any], ...] = ()  # in the path and headers
    query: type | None = None  # the model of the query parameters
    required_query: tuple[str, ...] = ()  # parameters with a default the handler refuses
    security: Security = "any"


_SECURITY: dict[Security, list[dict[str, list[str]]]] = {
    "none": [],
    "session": [{"session": [], "csrf": []}],
    "cookie": [{"session": []}, {"token": []}],
    "any": [{"session": [], "csrf": []}, {"token": []}],
    "webhook": [{"webhook": []}],
}
_REF = "#/components/schemas/{name}"


def _operation(route: Route, schema: dict[type, dict[str, Any]]) -> dict[str, Any]:
    def of(t: type | dict[str, Any]) -> dict[str, Any]:
        return t if isinstance(t, dict) else schema[t]

    doc = route.answer.__doc__ if isinstance(route.answer, type) else None
    responses: dict[str, Any] = {
        str(status): {
            "description": (doc or "done").strip().split("\n")[0],
            "content": {route.answer_type: {"schema": of(route.answer)}},
        }
        for status in (route.status, *route.also)
    }
    by_status: dict[int, list[ErrorCode]] = {}
    for code in (*route.errors, E.SERVER):
        by_status.setdefault(code.status, []).append(code)
    for status, codes in sorted(by_status.items()):
        responses[str(status)] = {
            "description": "\n".join(f"{c}: {c.description}" for c in codes),
            "content": {JSON: {"schema": schema[models.Error]}},
        }
    responses = dict(sorted(responses.items()))
    op: dict[str, Any] = {"summary": route.summary, "responses": responses}
    params = [*route.params, *(_query_params(route) if route.query else [])]
    if params:
        op["parameters"] = params
    if route.body is not None:
        op["requestBody"] = {
            "required": route.body_required,
            "content": {route.body_type: {"schema": of(route.body)}},
        }
    op["security"] = _SECURITY[route.security]
    return op


def _query_params(route: Route) -> list[dict[str, Any]]:
    """The query parameters of route, from its query model's JSON Schema."""
    assert route.query is not None
    (_, defs) = msgspec.json.schema_components([route.query])
    schema = defs[route.query.__name__]
    out = []
    for name, prop in schema["properties"].items():
        prop = dict(prop)
        desc = prop.pop("description", "")
        required = name in schema.get("required", ()) or name in route.required_query
        out.append(param(name, "query", desc, prop, required=required))
    return out


def document(routes: Sequence[Route]) -> dict[str, Any]:
    """The OpenAPI document of routes."""
    types: list[type] = [models.Error]
    for r in routes:
        types += [t for t in (r.answer, r.body) if isinstance(t, type) and t not in types]
    refs, components = msgspec.json.schema_components(types, ref_template=_REF)
    schema = dict(zip(types, refs, strict=True))
    paths: dict[str, dict[str, Any]] = {}
    for r in routes:
        paths.setdefault(r.path, {})[r.method.lower()] = _operation(r, schema)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "moxhooks API",
            "version": "1",
            "description": (
                "Suppression lists, delivery events and statistics of mox accounts, mox's"
                " queue hold rules, the recipients' unsubscribe links, the webhooks mox"
                " calls (/hooks/), /healthz and /metrics. Sign in (POST"
                " /api/v1/login or /api/v1/admin/login), then send the session cookie and"
                " the X-CSRF-Token header on every call; programs send Authorization:"
                ' Bearer <api token> instead. Errors are {"code", "message"}; the codes are'
                " listed in x-error-codes."
            ),
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "moxhooks_session"},
                "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token"},
                "token": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "accounts[].api_token from the configuration",
                },
                "webhook": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "accounts[].webhook_secret from the configuration: the"
                    " Authorization mox's webhooks are configured to send",
                },
            },
        },
        "x-error-codes": {c.value: {"status": c.status, "description": c.description} for c in E},
    }


def add_routes(app: web.Application, routes: Sequence[Route]) -> None:
    """Register routes on app."""
    for r in routes:
        path = r.path.replace("{id}", "{id:\\d+}")  # /x/abc is not found, not a bad id
        if r.method == "GET":
            app.router.add_get(path, r.handler, allow_head=r.head)
        else:
            app.router.add_route(r.method, path, r.handler)
