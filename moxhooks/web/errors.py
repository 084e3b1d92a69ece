"""The one place where exceptions become JSON: {"code": ..., "message": ...}."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.web_protocol import RequestPayloadError

from ..errors import ApiError
from ..store.intake import IntakeError
from .keys import RUNTIME_KEY

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# HTTP statuses aiohttp raises itself, and the code each becomes.
_HTTP_CODES = {
    400: "badRequest",
    401: "noAuth",
    403: "forbidden",
    404: "notFound",
    405: "methodNotAllowed",
    413: "tooLarge",
    415: "unsupportedMediaType",
}


def error_response(status: int, code: str, message: str) -> web.Response:
    """An API error as JSON."""
    return web.json_response({"code": code, "message": message}, status=status)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Render ApiError and HTTP errors as JSON; unexpected exceptions as "server"."""
    start = time.perf_counter()
    route = request.match_info.route.resource
    name = route.canonical if route is not None else "unmatched"
    try:
        try:
            return await handler(request)
        except ApiError as e:
            return error_response(e.status, e.code, e.message)
        except web.HTTPException as e:
            if e.status < 400:
                raise
            code = _HTTP_CODES.get(e.status, "httpError")
            return error_response(e.status, code, e.reason)
        except RequestPayloadError as e:
            # A body that cannot be read as sent: a Content-Encoding it does not have (gzip
            # that is not gzip), a chunk size that lies. The client's mistake; nothing was kept.
            log.info("unreadable request body on %s %s: %s", request.method, request.path,
                     str(e).replace("\n", " ")[:200])
            return error_response(400, "badRequest", "the request body could not be read as sent")
        except (sqlite3.OperationalError, IntakeError) as e:
            # Locked by another writer past the busy timeout, or a full disk: try again later.
            log.error("database error on %s %s: %s", request.method, request.path, e)
            resp = error_response(503, "unavailable", "database unavailable, try again later")
            resp.headers["Retry-After"] = "5"
            return resp
        except Exception:
            log.exception("unexpected error on %s %s", request.method, request.path)
            return error_response(500, "server", "internal error")
    finally:
        rt = request.app.get(RUNTIME_KEY)
        if rt is not None:
            rt.metrics.request_took(request.method, name, time.perf_counter() - start)
