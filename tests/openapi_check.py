"""Every JSON answer the API tests receive is checked against the OpenAPI document.

tests/conftest.py wraps pytest-aiohttp's test client for the modules marked
`openapi_responses`: each answer with a JSON body, of a route the document describes, is
validated (openapi-core) against the operation's schema for its status. An answer that
does not match, or a status the operation does not list, fails the test at the call.
"""

from __future__ import annotations

import functools
from typing import Any

from aiohttp import ClientResponse
from openapi_core import OpenAPI
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from openapi_core.testing import MockRequest, MockResponse

from moxhooks.web.api_spec import document


@functools.cache
def spec() -> OpenAPI:
    return OpenAPI.from_dict(document())


class Checked:
    """What was checked in one test, for the test that the check runs at all."""

    def __init__(self) -> None:
        self.validated: list[tuple[str, str, int]] = []


async def check_response(resp: ClientResponse, checked: Checked) -> None:
    """Validate resp against the document; AssertionError says where it differs."""
    if resp.content_type != "application/json":
        return  # CSV, the pages, text: not JSON bodies
    body = await resp.read()  # kept by aiohttp: the test reads it again
    method, path = resp.method.lower(), resp.url.path
    request = MockRequest("http://localhost", method, path)
    response = MockResponse(body, status_code=resp.status, content_type="application/json")
    try:
        spec().validate_response(request, response)
    except (PathNotFound, OperationNotFound):
        return  # not a described route (the pages) or a method the route does not have
    except Exception as e:
        raise AssertionError(
            f"{resp.method} {path} answered {resp.status} {body[:500]!r}, which the OpenAPI"
            f" document does not allow: {_why(e)}"
        ) from None
    checked.validated.append((resp.method, path, resp.status))


def _why(e: BaseException) -> str:
    """The exception and its causes (openapi-core nests the schema errors)."""
    parts: list[str] = []
    cur: BaseException | None = e
    while cur is not None and len(parts) < 4:
        parts.append(f"{type(cur).__name__}: {cur}")
        schema_errors: Any = getattr(cur, "schema_errors", None)
        if schema_errors:
            parts += [f"  {err.message} at {list(err.absolute_path)}" for err in schema_errors]
        cur = cur.__cause__ or cur.__context__
    return "\n".join(parts)
