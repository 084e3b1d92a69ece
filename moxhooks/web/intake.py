"""mox's webhooks: POST /hooks/outgoing/{mox}/{account} (outgoing deliveries) and
POST /hooks/incoming/{mox}/{account} (mail received at a bounce or complaint address),
{mox} naming the [[mox]] server they come from; without it (/hooks/outgoing/{account}),
the first server.

What arrives is stored before the 200 goes out (an outgoing event appended to the
intake log, store/intake.py, or on PostgreSQL committed in the database, as the store
says: runtime/web.py's Intake; a message received, committed to the database);
processing happens afterwards. When it cannot be stored (the disk full, the database
down) the answer is 503 with Retry-After, and mox tries again. A retry with the same
X-Mox-Webhook-ID changes nothing.
"""

from __future__ import annotations

import asyncio
import hmac
import logging

from aiohttp import web
from aiohttp.web_protocol import RequestPayloadError

from moxhooks.config import Config
from moxhooks.errors import ApiError, ErrorCode
from moxhooks.jobs.mailbox import takes_rcpt_to, webhook_external_id
from moxhooks.mox.payload import PayloadError, parse_incoming, parse_outgoing
from moxhooks.runtime.resources import SecretKey
from moxhooks.web.keys import RUNTIME_KEY

log = logging.getLogger(__name__)

MAX_INT64 = 2**63 - 1


def _header_int(request: web.Request, name: str, required: bool) -> int | None:
    values = request.headers.getall(name, [])
    if not values:
        if required:
            raise ApiError(ErrorCode.BAD_HEADER, f"missing header {name}")
        return None
    if len(values) > 1:
        raise ApiError(ErrorCode.BAD_HEADER, f"header {name} given more than once")
    v = values[0].strip()
    # The length check first: int() refuses strings of more than 4300 digits (a 500).
    if not v.isascii() or not v.isdigit() or len(v) > 19 or int(v) > MAX_INT64:
        raise ApiError(ErrorCode.BAD_HEADER, f"header {name} must be a non-negative whole number")
    return int(v)


async def _read(request: web.Request, limit: int, timeout: float) -> bytes:
    """The body, at most limit bytes within timeout seconds; 413 past the size, 408 past
    the time, 400 when it cannot be read as sent."""
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(timeout):
            while size <= limit:  # read() returns what has arrived, up to n bytes: loop
                chunk = await request.content.read(limit + 1 - size)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
    except TimeoutError:
        raise ApiError(ErrorCode.TIMEOUT, f"the body did not arrive within {timeout:g} s") from None
    except RequestPayloadError:  # e.g. Content-Encoding: gzip on a body that is not gzip
        raise ApiError(ErrorCode.BAD_REQUEST, "the request body could not be read as sent") from None
    if size > limit:
        raise ApiError(ErrorCode.TOO_LARGE, f"body larger than {limit} bytes")
    return b"".join(chunks)


def _mox_name(request: web.Request, config: Config) -> str:
    """The mox server the URL names ({mox}), else the first one."""
    name = request.match_info.get("mox")
    if name is None:
        return config.default_mox.name
    if config.mox_named(name) is None:
        raise ApiError(ErrorCode.NOT_FOUND, f"no mox server {name!r} is configured")
    return name


def _authorize(
    request: web.Request, secrets: dict[SecretKey, str], account: str, mox: str
) -> None:
    """The URL names a configured account of the mox server and the Authorization header
    carries its secret for that server."""
    secret = secrets.get((mox, account))
    if secret is None:
        raise ApiError(ErrorCode.NOT_FOUND, f"no account {account!r} is configured on mox {mox!r}")
    auths = request.headers.getall("Authorization", [])
    expected = f"Bearer {secret}".encode()
    if len(auths) != 1 or not hmac.compare_digest(auths[0].encode(), expected):
        raise ApiError(ErrorCode.WEBHOOK_NO_AUTH, "missing or wrong webhook secret")


async def outgoing(request: web.Request) -> web.Response:
    """Store one Outgoing event for the account (of the mox server) named in the URL."""
    rt = request.app[RUNTIME_KEY]
    account = request.match_info["account"]
    status = 200
    mox = ""
    try:
        mox = _mox_name(request, rt.config)
        _authorize(request, rt.secrets, account, mox)
        webhook_id = _header_int(request, "X-Mox-Webhook-ID", True)
        attempt = _header_int(request, "X-Mox-Webhook-Attempt", False) or 1
        assert webhook_id is not None
        max_body = rt.config.server.max_body
        if request.content_length is not None and request.content_length > max_body:
            raise ApiError(ErrorCode.TOO_LARGE, f"body larger than {max_body} bytes")
        body = await _read(request, max_body, rt.config.server.body_timeout)
        try:
            ev = parse_outgoing(body)
        except PayloadError as e:
            raise ApiError(ErrorCode.BAD_PAYLOAD, str(e)) from None
        await rt.intake.add(
            account,
            webhook_id,
            attempt,
            rt.store.now(),
            ev.event,
            ev.queue_msg_id,
            ev.message_id,
            body.decode("utf-8"),
            rt.config.mox_key(mox),
        )
    except ApiError as e:
        status = e.status
        raise
    except web.HTTPException as e:
        status = e.status
        raise
    except Exception:
        status = 503
        raise
    finally:
        rt.metrics.webhook_answered(account if (mox, account) in rt.secrets else "", status)
    return web.json_response({})


# mox's Incoming JSON carries the text and HTML parts, each cut at 1 MiB, and the
# structure: more than server.max_body allows for outgoing events.
MAX_INCOMING = 8 * 1024 * 1024


async def incoming(request: web.Request) -> web.Response:
    """Keep one message that mox received for the account (of the mox server named in the
    URL), when it is for a report address."""
    rt = request.app[RUNTIME_KEY]
    account = request.match_info["account"]
    mox = _mox_name(request, rt.config)
    _authorize(request, rt.secrets, account, mox)
    webhook_id = _header_int(request, "X-Mox-Webhook-ID", True)
    assert webhook_id is not None
    if request.content_length is not None and request.content_length > MAX_INCOMING:
        raise ApiError(ErrorCode.TOO_LARGE, f"body larger than {MAX_INCOMING} bytes")
    body = await _read(request, MAX_INCOMING, rt.config.server.body_timeout)
    try:
        msg = parse_incoming(body)
    except PayloadError as e:
        raise ApiError(ErrorCode.BAD_PAYLOAD, str(e)) from None
    acct = rt.config.account(account)
    wanted = acct.inbound_addresses if acct else ()
    if not takes_rcpt_to(wanted, msg.rcpt_to):
        # Ordinary mail of the account: answered, not kept (mox would retry anything else).
        log.info("incoming account=%s rcpt_to=%s: not a report address, ignored", account,
                 msg.rcpt_to)
        return web.json_response({})
    await rt.store.inbound.add(
        account,
        "webhook",
        webhook_external_id(rt.config.mox_key(mox), webhook_id),
        rcpt_to=msg.rcpt_to,
        mail_from=msg.mail_from,
        subject=msg.subject[:500],
        message_id=msg.message_id[:500],
        mox_msg_id=msg.msg_id,
        meta=body.decode("utf-8"),
    )
    rt.wake_mailbox()
    return web.json_response({})
