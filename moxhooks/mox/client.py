"""The mox client: webapi, admin API and account API. Thin; knows nothing about policy.

Wire formats: shared/mox-api.md. One error family, httpx style:

    MoxError                      any failure talking to mox
    ├── MoxApiError(code, message)  mox answered and refused the call:
    │   │                             webapi 400 {"Code","Message"}, sherpa {"error":{"code","message"}},
    │   │                             other 4xx as code "http:<status>" (e.g. "http:404" for a
    │   │                             webapi method mox does not have)
    │   └── MoxAuthError            credentials refused: webapi 401 (code "user:badAuth", message
    │                                 mox's 401 text), sherpa "user:loginFailed" on Login, and
    │                                 "user:noAuth"/"user:badAuth" that survive one re-login
    └── MoxUnavailable            no usable answer: connection refused/reset, timeout, 5xx,
                                    429 (mox's "too many auth attempts"), unparseable body

Callers decide on retries: MoxUnavailable is worth retrying later, MoxApiError is not
(except where a code says "already done", like "not unique" on SuppressionAdd).
"""

from __future__ import annotations

import asyncio
import base64
import json
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http.cookies import BaseCookie
from types import TracebackType
from typing import Any, Self

import aiohttp
from yarl import URL

from moxhooks.errors import MoxhooksError

__all__ = [
    "AccountAPI",
    "AdminAPI",
    "MoxApiError",
    "MoxAuthError",
    "MoxClient",
    "MoxError",
    "MoxUnavailable",
    "WebAPI",
    "recipient_address",
]


class MoxError(MoxhooksError):
    """Any failure talking to mox."""


class MoxApiError(MoxError):
    """mox answered and refused the call, with an error code and message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    @property
    def refuses_request(self) -> bool:
        """mox says the request itself is wrong (webapi codes other than "server", e.g.
        "protocol", "badAddress", "messageLimitReached"; sherpa "user:..."), rather than
        failing on its own side ("server", "server:error", "sherpa:...", other HTTP 4xx)."""
        if self.code.startswith("user:"):
            return True
        return ":" not in self.code and self.code != "server"


class MoxAuthError(MoxApiError):
    """mox refused the credentials (webapi 401, failed or lost web session)."""


class MoxUnavailable(MoxError):
    """mox could not be reached or gave no usable answer; try again later."""


# Sherpa error codes meaning "log in (again)".
_SESSION_CODES = ("user:noAuth", "user:badAuth")

# An address nobody has, for a cheap credentials check with SuppressionPresent.
_PROBE_ADDRESS = "verify-login@moxhooks.invalid"

# Filter/sort shapes as mox's admin API takes them (shared/mox-api.md, webadmin/api.ts).
# Sherpa rejects unknown fields, so callers' partial filters are merged onto these.
QUEUE_FILTER: dict[str, Any] = {
    "Max": 0,
    "IDs": None,
    "Account": "",
    "From": "",
    "To": "",
    "Hold": None,
    "Submitted": "",
    "NextAttempt": "",
    "Transport": None,
}
RETIRED_FILTER: dict[str, Any] = {
    "Max": 0,
    "IDs": None,
    "Account": "",
    "From": "",
    "To": "",
    "Submitted": "",
    "LastActivity": "",
    "Transport": None,
    "Success": None,
}
QUEUE_SORT: dict[str, Any] = {"Field": "Queued", "LastID": 0, "Last": None, "Asc": True}
RETIRED_SORT: dict[str, Any] = {"Field": "LastActivity", "LastID": 0, "Last": None, "Asc": False}


# Methods whose repetition would do the thing twice (a second message, a second rule).
_NOT_REPEATABLE = frozenset({"Send", "QueueHoldRuleAdd"})


@dataclass
class _Answer:
    status: int
    body: bytes
    cookies: BaseCookie[str]


def _describe(e: BaseException, timeout: float) -> str:
    if isinstance(e, TimeoutError):
        return f"no answer within {timeout:g}s"
    text = str(e)
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


def _snippet(body: bytes) -> str:
    return body[:200].decode("utf-8", "replace").strip()


class MoxClient:
    """Entry point: one base URL, one HTTP session, API objects made from it.

    The session is created on first use and closed by close(); a session passed in
    is used as is and left open for its owner to close. Cookies are never kept in
    the session: each AdminAPI/AccountAPI keeps its own jar.
    """

    def __init__(
        self, url: str, *, timeout: float, session: aiohttp.ClientSession | None = None
    ) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self._session = session
        self._owns_session = session is None
        self._client_timeout = aiohttp.ClientTimeout(total=timeout)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP session if this client created it."""
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    def webapi(self, login: str, password: str) -> WebAPI:
        """The webapi of the account that login (an email address) belongs to."""
        return WebAPI(self, login, password)

    def admin(self, password: str) -> AdminAPI:
        """The admin API, logging in with the admin password."""
        return AdminAPI(self, password)

    def account_api(self, login: str, password: str) -> AccountAPI:
        """The account web API of the account that login belongs to."""
        return AccountAPI(self, login, password)

    async def ping(self, timeout: float = 3.0) -> None:
        """Check that mox answers HTTP (any status below 500); MoxUnavailable if not."""
        session = self._get_session()
        url = f"{self.url}/webapi/v0/"
        try:
            async with session.get(url, timeout=aiohttp.ClientTimeout(total=timeout)) as resp:
                await resp.read()
                status = resp.status
        except (aiohttp.ClientError, TimeoutError, OSError) as e:
            raise MoxUnavailable(f"mox at {self.url}: {_describe(e, timeout)}") from None
        if status >= 500:
            raise MoxUnavailable(f"mox at {self.url}: HTTP {status}")

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            if not self._owns_session:
                raise RuntimeError("MoxClient: the session passed in is gone")
            self._session = aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar())
        return self._session

    async def _post(self, url: str, what: str, *, once: bool = False, **kwargs: Any) -> _Answer:
        """POST and read the whole answer; network trouble becomes MoxUnavailable.

        A kept-alive connection that mox closed meanwhile (mox restarted) fails with
        "server disconnected" before mox saw the request: that is tried once more on a
        new connection, unless once is set (a request that must never run twice).
        """
        session = self._get_session()
        for attempt in (1, 2):
            try:
                async with session.post(url, timeout=self._client_timeout, **kwargs) as resp:
                    body = await resp.read()
                    return _Answer(resp.status, body, resp.cookies)
            except aiohttp.ServerDisconnectedError as e:
                if once or attempt == 2:
                    raise MoxUnavailable(f"{what}: {_describe(e, self.timeout)}") from None
            except (aiohttp.ClientError, TimeoutError, OSError) as e:
                raise MoxUnavailable(f"{what}: {_describe(e, self.timeout)}") from None
        raise AssertionError("unreachable")


class WebAPI:
    """mox's webapi for one account, authenticated with HTTP basic auth."""

    def __init__(self, client: MoxClient, login: str, password: str) -> None:
        self._client = client
        self.login = login
        # Basic auth built by hand: aiohttp.BasicAuth is deprecated in newer aiohttp.
        credentials = base64.b64encode(f"{login}:{password}".encode()).decode("ascii")
        self._headers = {"Authorization": "Basic " + credentials}

    async def _request(self, method: str, request: Mapping[str, Any]) -> _Answer:
        what = f"mox webapi {method}"
        url = f"{self._client.url}/webapi/v0/{method}"
        form = {"request": json.dumps(request)}
        once = method in _NOT_REPEATABLE
        ans = await self._client._post(url, what, once=once, data=form, headers=self._headers)
        if ans.status == 200:
            return ans
        if ans.status == 400:
            try:
                err = json.loads(ans.body)
                code, message = err["Code"], err["Message"]
            except (ValueError, KeyError, TypeError):
                raise MoxUnavailable(f"{what}: unparseable 400 answer") from None
            raise MoxApiError(str(code), str(message))
        if ans.status == 401:
            raise MoxAuthError("user:badAuth", _snippet(ans.body) or "unauthorized")
        if ans.status == 429 or ans.status >= 500:
            raise MoxUnavailable(f"{what}: HTTP {ans.status}: {_snippet(ans.body)}")
        raise MoxApiError(f"http:{ans.status}", _snippet(ans.body))

    async def call(self, method: str, request: Mapping[str, Any]) -> dict[str, Any]:
        """Call a webapi method: POST <url>/webapi/v0/<method>, form field "request"."""
        ans = await self._request(method, request)
        try:
            result = json.loads(ans.body)
        except ValueError:
            result = None
        if not isinstance(result, dict):
            raise MoxUnavailable(f"mox webapi {method}: answer is not a JSON object")
        return result

    async def verify_login(self) -> bool:
        """Whether mox accepts this login and password (401 means no)."""
        try:
            await self.suppression_present(_PROBE_ADDRESS)
        except MoxAuthError:
            return False
        return True

    async def suppression_list(self) -> list[dict[str, Any]]:
        """The account's suppression list as mox keeps it."""
        result = await self.call("SuppressionList", {})
        return list(result.get("Suppressions") or [])

    async def suppression_add(self, address: str, *, manual: bool, reason: str) -> None:
        """Add an address; "not unique" (MoxApiError code "error") if its base address is listed."""
        await self.call(
            "SuppressionAdd", {"EmailAddress": address, "Manual": manual, "Reason": reason}
        )

    async def suppression_remove(self, address: str) -> None:
        """Remove the entry with this address's base address; "absent" if there is none."""
        await self.call("SuppressionRemove", {"EmailAddress": address})

    async def suppression_present(self, address: str) -> bool:
        """Whether this address's base address is on the list."""
        result = await self.call("SuppressionPresent", {"EmailAddress": address})
        return bool(result.get("Present"))

    async def send(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """Submit a message; the answer maps each recipient Address to its QueueMsgID."""
        return await self.call("Send", request)

    async def message_raw_get(self, msg_id: int) -> bytes:
        """The full raw message with this MsgID (from an incoming webhook's Meta)."""
        ans = await self._request("MessageRawGet", {"MsgID": msg_id})
        return ans.body


class _SherpaAPI(ABC):
    """A sherpa API behind mox's web session login (admin or account)."""

    _path = ""  # "/admin/api/" or "/account/api/"
    _name = ""  # for error messages

    def __init__(self, client: MoxClient) -> None:
        self._client = client
        self._jar: aiohttp.CookieJar | None = None
        self._csrf: str | None = None
        self._lock: asyncio.Lock | None = None
        # Counts logins, so concurrent callers that lost their session log in once.
        self._generation = 0

    @abstractmethod
    def _login_params(self, token: str) -> list[Any]:
        """The parameters of Login after LoginPrep's token: each API has its own."""

    def _cookie_jar(self) -> aiohttp.CookieJar:
        # Created lazily: a jar needs a running event loop. unsafe=True keeps cookies
        # for IP-address hosts such as 127.0.0.1.
        if self._jar is None:
            self._jar = aiohttp.CookieJar(unsafe=True)
        return self._jar

    async def _raw_call(self, method: str, params: Sequence[Any]) -> Any:
        what = f"mox {self._name} API {method}"
        url = URL(self._client.url + self._path + method)
        jar = self._cookie_jar()
        headers = {"Content-Type": "application/json"}
        cookies = jar.filter_cookies(url)
        if cookies:
            # coded_value keeps mox's quoting, e.g. "token " for the admin session.
            headers["Cookie"] = "; ".join(f"{m.key}={m.coded_value}" for m in cookies.values())
        if self._csrf is not None:
            headers["x-mox-csrf"] = self._csrf
        body = json.dumps({"params": list(params)})
        once = method in _NOT_REPEATABLE
        ans = await self._client._post(
            str(url), what, once=once, data=body.encode(), headers=headers
        )
        jar.update_cookies(ans.cookies, url)
        if ans.status == 429 or ans.status >= 500:
            raise MoxUnavailable(f"{what}: HTTP {ans.status}: {_snippet(ans.body)}")
        try:
            answer = json.loads(ans.body)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            if ans.status != 200:
                raise MoxApiError(f"http:{ans.status}", _snippet(ans.body))
            raise MoxUnavailable(f"{what}: answer is not a JSON object")
        err = answer.get("error")
        if err:
            if not isinstance(err, dict):
                raise MoxUnavailable(f"{what}: malformed error in answer")
            code, message = str(err.get("code", "")), str(err.get("message", ""))
            if code in _SESSION_CODES or code == "user:loginFailed":
                raise MoxAuthError(code, message)
            raise MoxApiError(code, message)
        if ans.status != 200:
            raise MoxApiError(f"http:{ans.status}", _snippet(ans.body))
        if "result" not in answer:
            raise MoxUnavailable(f"{what}: answer has no result")
        return answer["result"]

    async def _login(self) -> None:
        # Fresh jar: no stale session cookie may ride along with the new login.
        self._jar = aiohttp.CookieJar(unsafe=True)
        self._csrf = None
        token = await self._raw_call("LoginPrep", [])
        csrf = await self._raw_call("Login", self._login_params(str(token)))
        self._csrf = str(csrf)
        self._generation += 1

    async def _relogin(self, seen_generation: int) -> None:
        """Log in, unless another caller already did since seen_generation."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._generation == seen_generation:
                await self._login()

    async def call(self, method: str, params: Sequence[Any]) -> Any:
        """Call a sherpa function; logs in first, and once more if the session is gone."""
        generation = self._generation
        if self._csrf is None:
            await self._relogin(generation)
            generation = self._generation
        try:
            return await self._raw_call(method, params)
        except MoxAuthError as e:
            if e.code not in _SESSION_CODES:
                raise
        await self._relogin(generation)
        return await self._raw_call(method, params)

    async def verify(self) -> bool:
        """Whether mox accepts the credentials: log in and out again."""
        try:
            await self._login()
        except MoxAuthError:
            return False
        await self.logout()
        return True

    async def logout(self) -> None:
        """End the web session at mox, if there is one."""
        if self._csrf is None:
            return
        try:
            await self._raw_call("Logout", [])
        except MoxAuthError:
            pass  # Already gone.
        finally:
            self._csrf = None
            self._jar = None


class AdminAPI(_SherpaAPI):
    """mox's admin API (<url>/admin/api/), logged in with the admin password."""

    _path = "/admin/api/"
    _name = "admin"

    def __init__(self, client: MoxClient, password: str) -> None:
        super().__init__(client)
        self._password = password

    def _login_params(self, token: str) -> list[Any]:
        return [token, self._password]

    async def verify_password(self) -> bool:
        """Whether this is the admin password (logs in, then out again)."""
        return await self.verify()

    async def retired_list(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        """Retired (delivered/failed) queue messages with these IDs; each has RecipientAddress."""
        if not ids:
            return []
        flt = {**RETIRED_FILTER, "Max": len(ids), "IDs": list(ids)}
        return list(await self.call("RetiredList", [flt, RETIRED_SORT]) or [])

    async def queue_list(self, ids: Sequence[int]) -> list[dict[str, Any]]:
        """Messages still in the queue with these IDs (see recipient_address)."""
        if not ids:
            return []
        flt = {**QUEUE_FILTER, "Max": len(ids), "IDs": list(ids)}
        return list(await self.call("QueueList", [flt, QUEUE_SORT]) or [])

    async def hold_rule_list(self) -> list[dict[str, Any]]:
        """The queue hold rules."""
        return list(await self.call("QueueHoldRuleList", []) or [])

    async def hold_rule_add(
        self, account: str = "", sender_domain: str = "", recipient_domain: str = ""
    ) -> dict[str, Any]:
        """Add a hold rule (empty fields match everything); returns it with its ID."""
        rule = {
            "ID": 0,
            "Account": account,
            "SenderDomainStr": sender_domain,
            "RecipientDomainStr": recipient_domain,
        }
        result = await self.call("QueueHoldRuleAdd", [rule])
        if not isinstance(result, dict):
            raise MoxUnavailable("mox admin API QueueHoldRuleAdd: answer is not a rule")
        return result

    async def hold_rule_remove(self, rule_id: int) -> None:
        """Remove a hold rule; messages already on hold stay on hold."""
        await self.call("QueueHoldRuleRemove", [rule_id])

    async def queue_hold_set(self, filter: Mapping[str, Any], on_hold: bool) -> int:
        """Set Hold on queued messages matching filter (QUEUE_FILTER keys); returns the count."""
        flt = {**QUEUE_FILTER, **filter}
        return int(await self.call("QueueHoldSet", [flt, on_hold]) or 0)

    async def accounts(self) -> list[str]:
        """Names of all accounts."""
        # mox answers [all, disabled]: two lists of names (disabled is null when empty).
        result = await self.call("Accounts", [])
        names = result[0] if isinstance(result, list) and result else None
        if not isinstance(names, list):
            raise MoxUnavailable("mox admin API Accounts: answer is not [all, disabled]")
        return [str(a) for a in names]

    async def account(self, name: str) -> dict[str, Any]:
        """The parsed configuration of an account (mox's config.Account)."""
        result = await self.call("Account", [name])
        # mox answers [config, disk usage].
        if isinstance(result, list) and result and isinstance(result[0], dict):
            return result[0]
        raise MoxUnavailable("mox admin API Account: answer is not [account, usage]")


class AccountAPI(_SherpaAPI):
    """mox's account web API (<url>/account/api/), logged in as an account."""

    _path = "/account/api/"
    _name = "account"

    def __init__(self, client: MoxClient, login: str, password: str) -> None:
        super().__init__(client)
        self.login = login
        self._password = password

    def _login_params(self, token: str) -> list[Any]:
        return [token, self.login, self._password]

    async def verify_login(self) -> bool:
        """Whether mox accepts this login and password (logs in, then out again)."""
        return await self.verify()

    async def outgoing_webhook_save(
        self, url: str, authorization: str, events: Sequence[str] = ()
    ) -> None:
        """Register the outgoing-delivery webhook; no events means all; url "" disables it."""
        await self.call("OutgoingWebhookSave", [url, authorization, list(events)])

    async def account(self) -> dict[str, Any]:
        """The account's configuration (mox's config.Account), from Account."""
        result = await self.call("Account", [])
        conf = result[0] if isinstance(result, list) and result else {}
        return conf if isinstance(conf, dict) else {}

    async def keep_retired_periods_save(self, message_ns: int, webhook_ns: int) -> None:
        """How long mox keeps retired messages and webhooks, in nanoseconds (Go durations)."""
        await self.call("KeepRetiredPeriodsSave", [message_ns, webhook_ns])

    async def incoming_webhook_save(self, url: str, authorization: str) -> None:
        """Register the incoming-delivery webhook; url "" disables it."""
        await self.call("IncomingWebhookSave", [url, authorization])


_ATEXT_SPECIALS = frozenset("!#$%&'*+-/=?^_`{|}~")


def _is_atext(c: str) -> bool:
    return c.isascii() and c.isalnum() or c in _ATEXT_SPECIALS or ord(c) > 0x7F


def _localpart_string(lp: str) -> str:
    # mox's smtp.Localpart.String: dot-atom when possible, else a quoted string.
    if all(atom and all(_is_atext(c) for c in atom) for atom in lp.split(".")):
        return lp
    return '"' + lp.replace("\\", "\\\\").replace('"', '\\"') + '"'


def recipient_address(msg: Mapping[str, Any]) -> str:
    """The recipient of a queue Msg or MsgRetired, as mox writes addresses.

    MsgRetired has RecipientAddress; a queued Msg has only RecipientLocalpart and
    RecipientDomain/RecipientDomainStr, so the address is put together from those.
    """
    addr = msg.get("RecipientAddress")
    if isinstance(addr, str) and addr:
        return addr
    domain = str(msg.get("RecipientDomainStr") or "")
    if not domain:
        dom = (msg.get("RecipientDomain") or {}).get("Domain") or {}
        domain = str(dom.get("Unicode") or dom.get("ASCII") or "")
    return _localpart_string(str(msg.get("RecipientLocalpart") or "")) + "@" + domain
