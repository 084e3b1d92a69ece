"""POST /api/v1/accounts/{account}/send: the send relay (moxhooks.relay) over HTTP."""

from __future__ import annotations

from aiohttp import web

from moxhooks.errors import ApiError, ErrorCode
from moxhooks.jobs.relay import RelayMoxError, RelayRequestError, relay_send
from moxhooks.models import Error, RelayResult
from moxhooks.mox.client import MoxUnavailable
from moxhooks.web import auth
from moxhooks.web.bodies import answer, read_json
from moxhooks.web.errors import mox_status
from moxhooks.web.keys import RUNTIME_KEY


async def send(request: web.Request) -> web.StreamResponse:
    """POST send: mox's Send request plus "topic"; refuses suppressed recipients, sends the
    others one message each with its own List-Unsubscribe link."""
    _, acct = await auth.account_access(request)
    rt = request.app[RUNTIME_KEY]
    body = await read_json(request)
    try:
        result = await relay_send(
            rt.store, rt.mox_for(acct).webapi(acct.login, acct.password), rt.config, acct, body
        )
    except RelayRequestError as e:
        raise ApiError(e.code, e.message) from None
    except RelayMoxError as e:
        if isinstance(e.error, MoxUnavailable):
            code = ErrorCode.MOX_UNAVAILABLE
            message = f"mox cannot be reached now; {e.failed} may or may not be queued: {e.error}"
        else:
            code, message = mox_status(e.error)
        return answer(
            Error(
                code=code,
                message=message,
                failed=e.failed,
                sent=e.result.sent,
                refused=e.result.refused,
            ),
            status=code.status,
        )
    if not result.sent:
        n = len(result.refused)
        who = "the recipient is" if n == 1 else f"all {n} recipients are"
        return answer(
            Error(
                code=ErrorCode.SUPPRESSED,
                message=f"nothing was sent: {who} suppressed",
                refused=result.refused,
            ),
            status=ErrorCode.SUPPRESSED.status,
        )
    return answer(RelayResult(sent=result.sent, refused=result.refused))
