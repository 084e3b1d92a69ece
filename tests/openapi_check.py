"""Every JSON answer the API tests receive is checked against the OpenAPI document.

In the modules marked `openapi_responses`, tests/conftest.py wraps aiohttp's client
sessions (the test client's, MoxSender's, any other): each answer with a JSON body, of a
route the document describes, is validated (openapi-core) against the operation's schema
for its status. An answer that does not match, or a status the operation does not list,
fails the test at the call.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Mapping
from typing import Any

from aiohttp import ClientResponse, StreamReader
from openapi_core import OpenAPI
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from openapi_core.testing import MockRequest, MockResponse

from moxhooks.web.routes import document


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
    # ... through read(), json() or text(); a reader of the stream itself (MoxSender reads
    # at most 512 bytes of it, as mox does) gets a stream that holds the body again.
    protocol = getattr(resp.content, "_protocol", None)  # none: an answer without a body
    if protocol is not None:
        # A limit above the body's size: the stream never asks the connection to pause.
        limit = len(body) + 2**16
        stream = StreamReader(protocol, limit, loop=asyncio.get_running_loop())
        stream.feed_data(body)
        stream.feed_eof()
        resp.content = stream
    check_answer(resp.method, resp.url.path, resp.status, body, checked)


def check_answer(method: str, path: str, status: int, body: bytes, checked: Checked) -> None:
    """Validate one JSON answer (for clients other than aiohttp's, e.g. http.client)."""
    if "" in path.split("/")[1:]:
        # An empty segment (GET /u/): openapi-core matches it to /u/{token} with an empty
        # token, but no route of the app has one, so the router answers (404), not an
        # operation.
        return
    key = (method, path, status, body)
    if key not in _ALLOWED:
        request = MockRequest("http://localhost", method.lower(), path)
        response = MockResponse(body, status_code=status, content_type="application/json")
        try:
            spec().validate_response(request, response)
        except (PathNotFound, OperationNotFound):
            return  # not a described route (the pages) or a method the route does not have
        except Exception as e:
            raise AssertionError(
                f"{method} {path} answered {status} {body[:500]!r}, which the OpenAPI"
                f" document does not allow: {_why(e)}"
            ) from None
        if len(_ALLOWED) > 100_000:
            _ALLOWED.clear()
        _ALLOWED.add(key)
    checked.validated.append((method, path, status))


# Answers already found allowed: the webhook fuzz repeats the same few thousand times,
# and openapi-core takes about 1 ms for each.
_ALLOWED: set[tuple[str, str, int, bytes]] = set()


def request_problem(method: str, path: str, headers: Mapping[str, str], body: bytes) -> str:
    """Why the document does not allow this JSON request ("" if it does)."""
    request = MockRequest(
        "http://localhost", method.lower(), path, headers=dict(headers), data=body,
        content_type="application/json",
    )  # fmt: skip
    try:
        spec().validate_request(request)
    except Exception as e:
        return _why(e)
    return ""


def _why(e: BaseException) -> str:
    """The exception and its causes (openapi-core nests the schema errors)."""
    parts: list[str] = []
    cur: BaseException | None = e
    while cur is not None and len(parts) < 4:
        try:
            text = str(cur)
        except UnicodeDecodeError:  # openapi-core's message of a body that is not UTF-8
            text = "the body is not UTF-8"
        parts.append(f"{type(cur).__name__}: {text}")
        schema_errors: Any = getattr(cur, "schema_errors", None)
        if schema_errors:
            parts += [f"  {err.message} at {list(err.absolute_path)}" for err in schema_errors]
        cur = cur.__cause__ or cur.__context__
    return "\n".join(parts)
