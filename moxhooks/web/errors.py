"""The one place where exceptions become JSON: {"code": ..., "message": ...}."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import hdrs, web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestPayloadError

from moxhooks.errors import ApiError, ErrorCode
from moxhooks.models import Error, encode
from moxhooks.mox.client import MoxApiError, MoxError, MoxUnavailable
from moxhooks.store import StoreUnavailable
from moxhooks.web.keys import RUNTIME_KEY

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# HTTP statuses aiohttp raises itself, and the code each becomes.
_HTTP_CODES = {
    400: ErrorCode.BAD_REQUEST,
    401: ErrorCode.WEBHOOK_NO_AUTH,
    403: ErrorCode.NOT_PAGE,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    413: ErrorCode.TOO_LARGE,
    415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
}
# A body the handler left unread is read to its end before the answer, for at most this
# long and this many bytes (_finish_body); past either, the connection closes instead.
DRAIN_TIMEOUT = 5.0
DRAIN_MAX = 8 * 1024 * 1024
# Seconds a client is told to wait (Retry-After) when the database could not answer.
RETRY_AFTER = 5


def error_response(code: ErrorCode, message: str, *, status: int | None = None) -> web.Response:
    """An API error as JSON (models.Error), with the code's status unless given."""
    return web.Response(
        body=encode(Error(code=code, message=message)),
        status=code.status if status is None else status,
        content_type="application/json",
        charset="utf-8",
    )


def mox_status(e: MoxError) -> tuple[ErrorCode, str]:
    """The code (and so the status) and message for a failed mox call: 422 moxRefused when mox says the
    request itself is wrong (its message says what), 503 moxUnavailable when mox cannot be
    reached, 502 moxError when mox failed on its own side."""
    if isinstance(e, MoxUnavailable):
        return ErrorCode.MOX_UNAVAILABLE, str(e)
    if isinstance(e, MoxApiError):
        code = ErrorCode.MOX_REFUSED if e.refuses_request else ErrorCode.MOX_ERROR
        return code, e.message
    return ErrorCode.MOX_ERROR, str(e)  # pragma: no cover - every MoxError is one of the above


def mox_api_error(e: MoxError) -> ApiError:
    """mox_status as the ApiError to raise."""
    return ApiError(*mox_status(e))


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Render ApiError and HTTP errors as JSON; unexpected exceptions as "server"."""
    start = time.perf_counter()
    route = request.match_info.route.resource
    name = route.canonical if route is not None else "unmatched"
    try:
        resp = await _answer(request, handler)
        await _finish_body(request, resp)
        return resp
    finally:
        rt = request.app.get(RUNTIME_KEY)
        if rt is not None:
            rt.metrics.request_took(request.method, name, time.perf_counter() - start)


async def _answer(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as e:
        return error_response(e.code, e.message, status=e.status)
    except web.HTTPException as e:
        if e.status < 400:
            raise
        code = _HTTP_CODES.get(e.status, ErrorCode.HTTP_ERROR)
        return error_response(code, e.reason, status=e.status)
    except RequestPayloadError as e:
        # A body that cannot be read as sent: a Content-Encoding it does not have (gzip
        # that is not gzip), a chunk size that lies. The client's mistake; nothing was kept.
        log.info(
            "unreadable request body on %s %s: %s",
            request.method,
            request.path,
            str(e).replace("\n", " ")[:200],
        )
        return error_response(ErrorCode.BAD_REQUEST, "the request body could not be read as sent")
    except StoreUnavailable as e:
        # Locked by another writer past the busy timeout, a full disk, a read past its
        # deadline, or a webhook intake could not append: nothing was changed, try again.
        log.error("database error on %s %s: %s", request.method, request.path, e)
        resp = error_response(ErrorCode.UNAVAILABLE, "database unavailable, try again later")
        resp.headers["Retry-After"] = str(RETRY_AFTER)
        return resp
    except Exception:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return error_response(ErrorCode.SERVER, "internal error")


async def _finish_body(request: web.Request, resp: web.StreamResponse) -> None:
    """Read what is left of a compressed or chunked body the handler did not read to its end
    (a refusal answered before the body, or a body found unreadable halfway).

    aiohttp reads such a rest after the answer, to keep the connection; a body that is not
    what its Content-Encoding or chunked framing says fails there, and aiohttp logs that
    as an unhandled exception with its traceback. Read here, the failure only ends the
    stream, and the connection closes after the answer, which stays what it was.
    """
    content = request.content
    if not request.body_exists or content.at_eof():
        return
    chunked = "chunked" in request.headers.get(hdrs.TRANSFER_ENCODING, "").lower()
    if content.exception() is None and hdrs.CONTENT_ENCODING not in request.headers and not chunked:
        return  # plain bytes of a known length: nothing in them can fail
    size = 0
    try:
        async with asyncio.timeout(DRAIN_TIMEOUT):
            while size <= DRAIN_MAX:
                chunk = await content.readany()
                if not chunk:
                    return
                size += len(chunk)
    except RequestPayloadError:
        content.feed_eof()  # the parser has given up on this body: nothing more is fed
    except TimeoutError:
        pass
    resp.force_close()


class ClientHttpErrors(logging.Filter):
    """aiohttp answers what it cannot parse as HTTP (a broken request line or header, a
    Content-Encoding it cannot decode) with its own 400, and logs each at ERROR with a
    traceback; a body that fails while aiohttp drains it after the answer is logged as an
    unhandled exception. Both are the client's mistake: one line at INFO instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, HttpProcessingError | RequestPayloadError):
            remote = record.args[0] if isinstance(record.args, tuple) and record.args else "?"
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.msg = "request from %s is not valid HTTP: %s"
            record.args = (remote, str(exc).replace("\n", " ")[:200])
            record.exc_info = record.exc_text = None
        return True


def quiet_client_http_errors() -> None:
    """Install ClientHttpErrors on aiohttp's server logger (once)."""
    logger = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, ClientHttpErrors) for f in logger.filters):
        logger.addFilter(ClientHttpErrors())
