"""A stateful fake mox on a real port, speaking mox's wire formats (shared/mox-api.md).

It is the independent reference for the mox client: nothing from moxhooks is imported.
Where mox-api.md is silent, behaviour follows mox's source (webapisrv/server.go,
webauth/webauth.go, sherpa's handler.go, queue/suppression.go, webadmin/api.ts).

    async with FakeMox() as mox:           # localserve defaults: account "mox",
        mox.url                            # mox@localhost/moxmoxmox, admin "moxadmin"
        mox.calls                          # [(api, method, request or params), ...]
        await mox.fail("refuse")           # or "stall", "500"; then await mox.restore()
        mox.expire_admin_sessions()        # next admin call gets user:noAuth
        mox.add_retired(5, "mox", "user550@example.org", 550, "5.0.0", "...", {"topic": "x"})
        mox.suppressions("mox")

calls holds every request that reached an API: ("webapi", Method, the decoded request,
or None when it was missing or the credentials were refused) and ("admin"/"account",
Function, the params list). Stalled and "500" requests are not recorded.

Served: webapi Send, SuppressionList/Add/Remove/Present, MessageRawGet (GET on a
method: mox's example page); admin API LoginPrep, Login, Logout, Accounts, Account,
QueueHoldRuleList/Add/Remove, QueueList, QueueHoldSet, RetiredList; account API
LoginPrep, Login, Logout, Account, OutgoingWebhookSave, IncomingWebhookSave,
KeepRetiredPeriodsSave. Other functions answer like mox answers a function it does not
have (webapi: 404 text; sherpa: 404 sherpa:badFunction).

tests/test_realmox_differential.py runs one script of raw requests against this fake and
a real `mox localserve` and requires the same answers. What it pinned down: Go's texts
(encoding/json syntax and type errors with their paths, time.Parse, time.ParseDuration,
mime.ParseMediaType, url.ParseQuery, base64), dns.ParseDomain's IDNA (UTS #46) rules and
errors, logins looked up like mox (case-insensitive localpart, "+" catchall), localserve's
account configuration, empty lists as [] and Accounts as [all, disabled].

Not modelled: mox's rate limiting of failed logins (429), webhook delivery (see
tests/moxsender.py), localserve's special recipient localparts and its delivery of sent
mail into the account, Unicode data newer than Python's (mox has Unicode 17: NFC, bidi
and case of characters Python does not know yet; case is approximated from idna's tables).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import copy
import json
import re
import secrets
import unicodedata
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote_plus, unquote_to_bytes

from aiohttp import web
from fakemox_address import (
    AddressError,
    _domain_json,
    address_string,
    base_address,
    go_lower,
    parse_address,
    parse_domain,
)
from fakemox_go import (
    GoJSONError,
    _first_json_value,
    _go_float,
    _go_quote,
    _json_kind,
    go_base64_check,
    go_decode,
    go_json,
    go_parse_duration,
    go_parse_media_type,
    go_parse_query,
    go_parse_rfc3339,
    rfc3339nano,
)

DEFAULT_ACCOUNTS: dict[str, dict[str, Any]] = {
    "mox": {"logins": {"mox@localhost": "moxmoxmox"}},
}
# A header a test's clients send to tell them apart in callers (not one of mox's).
CALLER_HEADER = "X-Test-Caller"
FAIL_MODES = ("refuse", "stall", "500")

UNAUTHORIZED_TEXT = "401 - unauthorized - use http basic auth with email address as username"
NOT_UNIQUE = 'updating indices for inserted value: not unique: "Account+BaseAddress"'
# localserve keeps retired messages and webhooks for 72 hours (in nanoseconds).
KEEP_RETIRED_NS = 72 * 3600 * 10**9
OUTGOING_EVENTS = ("delivered", "suppressed", "delayed", "failed", "relayed", "expanded",
                   "canceled", "unrecognized")  # fmt: skip


# ---- The fake ------------------------------------------------------------------------------


class SherpaError(Exception):
    """A sherpa error answer {"error": {"code", "message"}}."""

    def __init__(self, code: str, message: str, status: int = 200) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


class WebapiError(Exception):
    """A webapi 400 answer {"Code", "Message"}."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _time_bound(spec: str, what: str) -> tuple[str, datetime] | None:
    """A queue filter's time ("<1h", ">-2h30m", "<now") as mox's applyTime checks it."""
    if not spec:
        return None
    if spec[0] not in "<>":
        raise SherpaError(
            "server:error",
            f'applying filter for {what}: must start with "<" for before or ">" for after a duration',
        )
    rest = spec[1:].strip()
    try:
        t = datetime.now(UTC) if rest == "now" else datetime.now(UTC) + go_parse_duration(rest)
    except ValueError as e:
        raise SherpaError(
            "server:error", f"applying filter for {what}: parsing duration {_go_quote(spec)}: {e}"
        ) from None
    return spec[0], t


def _go_type_and_q(v: Any) -> str:
    """Go's "%T %q" of a decoded JSON value that should have been a string."""
    if v is None:
        return "<nil> %!q(<nil>)"
    if isinstance(v, bool):
        return f"bool %!q(bool={str(v).lower()})"
    if isinstance(v, (int, float)):
        return f"float64 %!q(float64={_go_float(float(v))})"
    if isinstance(v, list):
        return "[]interface {} [%!q(...)]"
    return "map[string]interface {} map[%!q(...)]"


_TIME_LABELS = {
    "Submitted": "submitted",
    "NextAttempt": "next attempt",
    "LastActivity": "last activity",
}


class FakeMox:
    """A fake mox server; use as async context manager or start()/stop()."""

    def __init__(
        self,
        accounts: Mapping[str, Mapping[str, Any]] | None = None,
        *,
        admin_password: str = "moxadmin",
        host: str = "127.0.0.1",
        port: int = 0,
        bad_auth_delay: float = 0.0,
    ) -> None:
        self.accounts: dict[str, dict[str, Any]] = {
            name: copy.deepcopy(dict(acc))
            for name, acc in (accounts if accounts is not None else DEFAULT_ACCOUNTS).items()
        }
        self.admin_password = admin_password
        self.host = host
        self.port = port
        # mox sleeps a second before answering a bad login or session; tests need not.
        self.bad_auth_delay = bad_auth_delay

        self.calls: list[tuple[str, str, Any]] = []
        # webapi calls with the client's CALLER_HEADER: which of several clients (moxhooks
        # nodes) asked.
        self.callers: list[tuple[str, Any, str]] = []
        self.sent: list[dict[str, Any]] = []
        self.queue: dict[int, dict[str, Any]] = {}
        self.retired: dict[int, dict[str, Any]] = {}
        self.hold_rules: dict[int, dict[str, Any]] = {}
        self.outgoing_webhooks: dict[str, dict[str, Any]] = {}
        self.incoming_webhooks: dict[str, dict[str, Any]] = {}
        self.incoming: dict[int, tuple[str, bytes]] = {}
        self._suppressions: list[dict[str, Any]] = []
        self._next_suppression_id = 1
        self._next_msg_id = 1
        self._next_rule_id = 1
        self._next_incoming_id = 1
        # kind ("webadmin"/"webaccount") -> session token -> (account, login, csrf)
        self._sessions: dict[str, dict[str, tuple[str, str, str]]] = {
            "webadmin": {},
            "webaccount": {},
        }
        # Session tokens whose cookie mox no longer recognises, answered as if absent.
        self._forgotten: set[str] = set()

        self.mode: str | None = None
        self._released = asyncio.Event()
        self._runner: web.AppRunner | None = None

    # -- lifecycle --

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        """Listen on host:port (port 0 picks a free one, kept for restore())."""
        app = web.Application(middlewares=[self._fail_middleware])
        app.router.add_route("*", "/webapi/v0/{method}", self._webapi)
        app.router.add_route("*", "/admin/api/{method}", self._admin)
        app.router.add_route("*", "/account/api/{method}", self._account)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.2)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port, reuse_address=True)
        await site.start()
        self.port = runner.addresses[0][1]
        self._runner = runner

    async def stop(self) -> None:
        """Close the listener and all connections."""
        self._released.set()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def fail(self, mode: str) -> None:
        """Misbehave: "refuse" connections, "stall" without answering, or answer "500"."""
        if mode not in FAIL_MODES:
            raise ValueError(f"mode must be one of {FAIL_MODES}")
        self.mode = mode
        self._released.clear()
        if mode == "refuse":
            await self.stop()

    async def restore(self) -> None:
        """Behave again; after "refuse", listen on the same port; stalled requests go on."""
        mode, self.mode = self.mode, None
        self._released.set()
        if mode == "refuse" or self._runner is None:
            await self.start()

    @web.middleware
    async def _fail_middleware(
        self, request: web.Request, handler: Callable[[web.Request], Any]
    ) -> web.StreamResponse:
        if self.mode == "stall":
            await self._released.wait()
        if self.mode == "500":
            return web.Response(
                status=500,
                text="500 - internal server error\n",
                content_type="text/plain",
                charset="utf-8",
            )
        response: web.StreamResponse = await handler(request)
        return response

    # -- state access for tests ("a person in mox") --

    def account_of(self, login: str) -> str | None:
        """The account a login address belongs to."""
        for name, acc in self.accounts.items():
            if login in acc.get("logins", {}):
                return name
        return None

    def lookup_login(self, address: str) -> tuple[str, str] | None:
        """(account, configured login) an address logs in as, like mox's LookupAddress for
        localserve's domain: the localpart is case-insensitive and "+" starts a catchall
        suffix, so MOX@localhost and mox+x@localhost are mox@localhost."""
        try:
            lp, dom = parse_address(address)
        except AddressError:
            return None
        canonical = address_string(go_lower(lp).split("+", 1)[0], dom)
        for name, acc in self.accounts.items():
            for login in acc.get("logins", {}):
                try:
                    llp, ldom = parse_address(login)
                except AddressError:
                    continue
                if address_string(go_lower(llp), ldom) == canonical:
                    return name, login
        return None

    def account_config(self, name: str) -> dict[str, Any]:
        """The account's config.Account as mox's APIs show it (localserve's settings)."""
        acc = self.accounts[name]
        return {
            "OutgoingWebhook": copy.deepcopy(self.outgoing_webhooks.get(name)),
            "IncomingWebhook": copy.deepcopy(self.incoming_webhooks.get(name)),
            "FromIDLoginAddresses": None,
            "KeepRetiredMessagePeriod": acc.get("KeepRetiredMessagePeriod", KEEP_RETIRED_NS),
            "KeepRetiredWebhookPeriod": acc.get("KeepRetiredWebhookPeriod", KEEP_RETIRED_NS),
            "LoginDisabled": "",
            "Domain": "",
            "Description": "",
            "FullName": "",
            "Destinations": {
                login: {
                    "Mailbox": "",
                    "Rulesets": None,
                    "SMTPError": "",
                    "MessageAuthRequiredSMTPError": "",
                    "FullName": "",
                }
                for login in acc.get("logins", {})
            },
            "SubjectPass": {"Period": 0},
            "QuotaMessageSize": 0,
            "RejectsMailbox": "Rejects",
            "KeepRejects": False,
            "Introbox": "",
            "AutomaticJunkFlags": {
                "Enabled": True,
                "JunkMailboxRegexp": "^(junk|spam)",
                "NeutralMailboxRegexp": "^(inbox|introbox|neutral|postmaster|dmarc|tlsrpt|rejects)",
                "NotJunkMailboxRegexp": "",
            },
            "JunkFilter": None,
            "MaxOutgoingMessagesPerDay": 0,
            "MaxFirstTimeRecipientsPerDay": 0,
            "NoFirstTimeSenderDelay": True,
            "NoCustomPassword": False,
            "IMAPCapabilitiesDisabled": None,
            "Routes": None,
            "DNSDomain": {"ASCII": "", "Unicode": ""},
            "Aliases": None,
        }

    def suppressions(self, account: str) -> list[dict[str, Any]]:
        """The account's suppression list, as SuppressionList shows it."""
        return [copy.deepcopy(s) for s in self._suppressions if s["Account"] == account]

    def add_suppression(
        self, account: str, address: str, *, manual: bool = True, reason: str = ""
    ) -> dict[str, Any]:
        """Add like SuppressionAdd; ValueError("... not unique ...") if the base is listed."""
        try:
            return copy.deepcopy(self._suppression_add(account, address, manual, reason))
        except (AddressError, WebapiError) as e:
            raise ValueError(str(e)) from None

    def remove_suppression(self, account: str, address: str) -> bool:
        """Remove by base address; False if absent. An empty base address (+x@) matches
        every entry of the account: mox's FilterNonzero ignores the empty field."""
        lp, dom = parse_address(address)
        base = base_address(lp, dom)
        before = len(self._suppressions)
        self._suppressions = [
            s
            for s in self._suppressions
            if not (s["Account"] == account and (not base or s["BaseAddress"] == base))
        ]
        return len(self._suppressions) < before

    def expire_admin_sessions(self, code: str = "user:noAuth") -> None:
        """End all admin sessions; the next call gets code ("user:noAuth" or "user:badAuth")."""
        self._expire("webadmin", code)

    def expire_account_sessions(self, code: str = "user:noAuth") -> None:
        """End all account web sessions, like expire_admin_sessions."""
        self._expire("webaccount", code)

    def _expire(self, kind: str, code: str) -> None:
        if code not in ("user:noAuth", "user:badAuth"):
            raise ValueError('code must be "user:noAuth" or "user:badAuth"')
        if code == "user:noAuth":
            self._forgotten.update(self._sessions[kind])
        self._sessions[kind].clear()

    def add_queued(
        self,
        id: int | None = None,
        account: str = "mox",
        recipient: str = "rcpt@example.org",
        *,
        sender: str | None = None,
        extra: Mapping[str, str] | None = None,
        hold: bool = False,
        subject: str = "",
        message_id: str = "",
        from_id: str = "",
        results: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Put a message in the queue directly; returns the queue.Msg JSON."""
        msg_id = self._take_msg_id(id)
        sender = sender or next(iter(self.accounts[account]["logins"]))
        slp, sdom = parse_address(sender)
        rlp, rdom = parse_address(recipient)
        now = datetime.now(UTC)
        msg: dict[str, Any] = {
            "ID": msg_id,
            "BaseID": 0,
            "Queued": rfc3339nano(now),
            "Hold": hold,
            "SenderAccount": account,
            "SenderLocalpart": slp,
            "SenderDomain": {"IP": "", "Domain": _domain_json(sdom)},
            "SenderDomainStr": sdom,
            "FromID": from_id,
            "RecipientLocalpart": rlp,
            "RecipientDomain": {"IP": "", "Domain": _domain_json(rdom)},
            "RecipientDomainStr": rdom,
            "Attempts": len(results or []),
            "MaxAttempts": 0,
            "DialedIPs": None,
            "NextAttempt": rfc3339nano(now),
            "LastAttempt": None,
            "Results": results,
            "Has8bit": False,
            "SMTPUTF8": False,
            "IsDMARCReport": False,
            "IsTLSReport": False,
            "Size": 100,
            "MessageID": message_id or _message_id(),
            "MsgPrefix": None,
            "Subject": subject,
            "DSNUTF8": None,
            "Transport": "",
            "RequireTLS": None,
            "FutureReleaseRequest": "",
            "Extra": dict(extra) if extra is not None else None,
        }
        if not hold and any(self._rule_matches(r, msg) for r in self.hold_rules.values()):
            msg["Hold"] = True
        self.queue[msg_id] = msg
        return copy.deepcopy(msg)

    def add_retired(
        self,
        id: int | None = None,
        account: str = "mox",
        recipient: str = "rcpt@example.org",
        code: int = 550,
        secode: str = "5.1.1",
        error: str = "",
        extra: Mapping[str, str] | None = None,
        *,
        success: bool = False,
        subject: str = "",
        message_id: str = "",
    ) -> dict[str, Any]:
        """Put a message in the retired list directly; returns the queue.MsgRetired JSON."""
        msg = self.add_queued(
            id, account, recipient, extra=extra, subject=subject, message_id=message_id
        )
        del self.queue[msg["ID"]]
        return self._retire(msg, success=success, code=code, secode=secode, error=error)

    def retire(
        self,
        queue_msg_id: int,
        *,
        success: bool = False,
        code: int = 550,
        secode: str = "5.1.1",
        error: str = "",
    ) -> dict[str, Any]:
        """Finish delivery of a queued message: it moves to the retired list."""
        msg = self.queue.pop(queue_msg_id)
        return self._retire(msg, success=success, code=code, secode=secode, error=error)

    def add_incoming(self, account: str, raw: bytes) -> int:
        """Store an incoming message for MessageRawGet; returns its MsgID."""
        msg_id = self._next_incoming_id
        self._next_incoming_id += 1
        self.incoming[msg_id] = (account, raw)
        return msg_id

    def _take_msg_id(self, id: int | None) -> int:
        if id is None:
            id = self._next_msg_id
        if id in self.queue or id in self.retired:
            raise ValueError(f"queue message {id} exists")
        self._next_msg_id = max(self._next_msg_id, id + 1)
        return id

    def _retire(
        self, msg: dict[str, Any], *, success: bool, code: int, secode: str, error: str
    ) -> dict[str, Any]:
        now = datetime.now(UTC)
        if success:
            code, secode, error = 0, "", ""
        parts = secode.split(".")
        # mox keeps the enhanced code without its class digit ("1.1" for 5.1.1).
        short = ".".join(parts[1:]) if len(parts) == 3 else secode
        result = {
            "Start": rfc3339nano(now),
            "Duration": 1_000_000,
            "Success": success,
            "Code": code,
            "Secode": short,
            "Error": error,
        }
        results = list(msg.get("Results") or []) + [result]
        retired = {
            k: msg[k]
            for k in [
                "ID",
                "BaseID",
                "Queued",
                "SenderAccount",
                "SenderLocalpart",
                "SenderDomainStr",
                "FromID",
                "RecipientLocalpart",
                "RecipientDomain",
                "RecipientDomainStr",
                "Attempts",
                "MaxAttempts",
                "DialedIPs",
                "LastAttempt",
                "Results",
                "Has8bit",
                "SMTPUTF8",
                "IsDMARCReport",
                "IsTLSReport",
                "Size",
                "MessageID",
                "Subject",
                "Transport",
                "RequireTLS",
                "FutureReleaseRequest",
                "Extra",
            ]
        }
        retired.update(
            Attempts=len(results),
            LastAttempt=rfc3339nano(now),
            Results=results,
            LastActivity=rfc3339nano(now),
            RecipientAddress=address_string(msg["RecipientLocalpart"], msg["RecipientDomainStr"]),
            Success=success,
            KeepUntil=rfc3339nano(now + timedelta(days=7)),
        )
        self.retired[msg["ID"]] = retired
        return copy.deepcopy(retired)

    # -- webapi --

    async def _webapi(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        handlers: dict[str, tuple[str, Callable[[str, str, dict[str, Any]], Any]]] = {
            "SuppressionList": ("webapi.SuppressionListRequest", self._w_suppression_list),
            "SuppressionAdd": ("webapi.SuppressionAddRequest", self._w_suppression_add),
            "SuppressionRemove": ("webapi.SuppressionRemoveRequest", self._w_suppression_remove),
            "SuppressionPresent": (
                "webapi.SuppressionPresentRequest",
                self._w_suppression_present,
            ),
            "Send": ("webapi.SendRequest", self._w_send),
            "MessageRawGet": ("webapi.MessageRawGetRequest", self._w_message_raw_get),
        }
        if method not in handlers:
            return _text(404, "404 page not found")
        if request.method == "GET":
            # mox shows a page with an example request and a button to call the method.
            return web.Response(
                text=_WEBAPI_METHOD_PAGE.format(method=method),
                headers={"Content-Type": "text/html; charset=utf-8"},
            )
        if request.method != "POST":
            return _text(405, "405 - method not allowed - use get or post")

        account, login = self._basic_auth(request)
        if account is None:
            await asyncio.sleep(self.bad_auth_delay)
            resp = _text(401, UNAUTHORIZED_TEXT)
            resp.headers["Www-Authenticate"] = "Basic realm=webapi"
            self.calls.append(("webapi", method, None))
            return resp

        reqstr, form_error = await self._webapi_request_field(request)
        if form_error is not None:
            self.calls.append(("webapi", method, None))
            return _webapi_error("protocol", form_error)
        if not reqstr:
            self.calls.append(("webapi", method, None))
            return _webapi_error("protocol", "missing/empty request")
        try:
            parsed: Any = json.loads(reqstr)
        except ValueError:
            parsed = reqstr
        self.calls.append(("webapi", method, parsed))
        self.callers.append((method, parsed, request.headers.get(CALLER_HEADER, "")))

        typename, fn = handlers[method]
        try:
            req = go_decode(_first_json_value(reqstr), typename, typename.split(".")[-1])
        except GoJSONError as e:
            return _webapi_error("protocol", f"parsing request: {e}")
        try:
            result = fn(account, login, req)
        except WebapiError as e:
            return _webapi_error(e.code, e.message)
        if isinstance(result, bytes):
            return web.Response(body=result, headers={"Content-Type": "text/plain"})
        return web.Response(
            text=go_json(result, escape_html=False),
            headers={"Content-Type": "application/json; charset=utf-8"},
        )

    @staticmethod
    async def _webapi_request_field(request: web.Request) -> tuple[str, str | None]:
        """The form field "request" as r.PostFormValue reads it, or the error mox reports."""
        ct = request.headers.get("Content-Type", "")
        try:
            mediatype, params = go_parse_media_type(ct)
        except ValueError:
            return "", "unknown content-type " + ct
        if mediatype == "multipart/form-data":
            if not params.get("boundary"):
                return "", "parsing form: no multipart boundary param in Content-Type"
            try:
                form = await request.post()
            except Exception:  # aiohttp's reasons are not Go's; this is the usual one
                return "", "parsing form: multipart: NextPart: EOF"
            value = form.get("request")
            return (value if isinstance(value, str) else ""), None
        if mediatype != "application/x-www-form-urlencoded":
            return "", None  # Go's ParseForm reads no other body
        body = await request.read()
        values, err = go_parse_query(body.decode("utf-8", "surrogateescape"))
        if err is not None:
            return "", "parsing form: " + err
        return (values.get("request") or [""])[0], None

    def _basic_auth(self, request: web.Request) -> tuple[str | None, str]:
        """r.BasicAuth, then store.OpenEmailAuth: (account, login address) or (None, "")."""
        header = request.headers.get("Authorization", "")
        if header[:6].lower() != "basic ":
            return None, ""
        try:
            user, sep, password = (
                base64.b64decode(header[6:], validate=True).decode().partition(":")
            )
        except (binascii.Error, UnicodeDecodeError):
            return None, ""
        if not sep:
            return None, ""
        found = self.lookup_login(user)
        if found is None or self.accounts[found[0]]["logins"][found[1]] != password:
            return None, ""
        return found[0], user

    def _parse_or_bad_address(self, address: str) -> tuple[str, str]:
        try:
            return parse_address(address)
        except AddressError as e:
            raise WebapiError("badAddress", f"parsing address {_go_quote(address)}: {e}") from None

    def _suppression_add(
        self, account: str, address: str, manual: bool, reason: str
    ) -> dict[str, Any]:
        lp, dom = self._parse_or_bad_address(address)
        base = base_address(lp, dom)
        if not base:
            # bstore refuses the empty base of an address like +x@ (nonzero field).
            raise WebapiError("error", 'must be nonzero: "BaseAddress"')
        if self._listed(account, base):
            raise WebapiError("error", NOT_UNIQUE)
        sup = {
            "ID": self._next_suppression_id,
            "Created": rfc3339nano(datetime.now(UTC)),
            "Account": account,
            "BaseAddress": base,
            "OriginalAddress": address_string(lp, dom),
            "Manual": manual,
            "Reason": reason,
        }
        self._next_suppression_id += 1
        self._suppressions.append(sup)
        return sup

    def _listed(self, account: str, base: str) -> bool:
        """Whether the account's list has base (mox's unique Account+BaseAddress index)."""
        return any(s["Account"] == account and s["BaseAddress"] == base for s in self._suppressions)

    def _w_suppression_list(self, account: str, login: str, req: dict[str, Any]) -> Any:
        return {"Suppressions": self.suppressions(account)}

    def _w_suppression_add(self, account: str, login: str, req: dict[str, Any]) -> Any:
        self._suppression_add(account, req["EmailAddress"], req["Manual"], req["Reason"])
        return {}

    def _w_suppression_remove(self, account: str, login: str, req: dict[str, Any]) -> Any:
        self._parse_or_bad_address(req["EmailAddress"])
        if not self.remove_suppression(account, req["EmailAddress"]):
            raise WebapiError("error", "absent")
        return {}

    def _w_suppression_present(self, account: str, login: str, req: dict[str, Any]) -> Any:
        lp, dom = self._parse_or_bad_address(req["EmailAddress"])
        base = base_address(lp, dom)
        # An empty base address matches on the account alone (FilterNonzero), and bstore's
        # Get fails when that finds more than one.
        found = [
            s
            for s in self._suppressions
            if s["Account"] == account and (not base or s["BaseAddress"] == base)
        ]
        if len(found) > 1:
            raise WebapiError("error", "multiple results")
        return {"Present": bool(found)}

    def _w_message_raw_get(self, account: str, login: str, req: dict[str, Any]) -> Any:
        found = self.incoming.get(req["MsgID"])
        if found is None or found[0] != account:
            raise WebapiError("messageNotFound", "message not found")
        return found[1]

    def _w_send(self, account: str, login: str, req: dict[str, Any]) -> Any:
        """webapisrv's Send, its checks in mox's order."""

        def check_control(v: str) -> None:
            if any(c < " " for c in v):
                raise WebapiError("user", "checking header values: control characters not allowed")

        def parse_all(addrs: list[dict[str, Any]] | None) -> None:
            for a in addrs or []:
                check_control(a["Name"])
                self._parse_or_bad_address(a["Address"])

        if not req["Text"] and not req["HTML"]:
            raise WebapiError("missingBody", "at least text or html body required")
        froms = req["From"] or [{"Name": "", "Address": login}]
        if len(froms) > 1:
            raise WebapiError("multipleFrom", "multiple from-addresses not allowed")
        from_addr = froms[0]["Address"]
        for field in ("From", "To", "CC", "BCC"):
            parse_all(froms if field == "From" else req[field])
        found = self.lookup_login(from_addr)
        if found is None or found[0] != account:
            raise WebapiError("badFrom", "from-address not configured for account")
        addressees = (req["To"] or []) + (req["CC"] or []) + (req["BCC"] or [])
        if not addressees:
            raise WebapiError("noRecipients", "no recipients")
        parse_all(req["ReplyTo"])
        check_control(req["Subject"])
        message_id = req["MessageID"]
        if not message_id:
            message_id = _message_id()
        elif not (message_id.startswith("<") and message_id.endswith(">")):
            raise WebapiError("malformedMessageID", "missing <> in message-id")
        check_control(message_id)
        for ref in req["References"] or []:
            check_control(ref)
        for key, value in req["Headers"] or []:
            check_control(key)
            check_control(value)
        for field in ("AlternativeFiles", "InlineFiles", "AttachedFiles"):
            for f in req[field] or []:
                err = go_base64_check(f["Data"])
                if err is not None:
                    raise WebapiError("user", f"parsing attachment as base64: {err}")
                check_control(f["ContentType"])
                check_control(f["ContentID"])
        submissions = []
        for a in addressees:
            msg = self.add_queued(
                None,
                account,
                a["Address"],
                sender=from_addr,
                extra=req["Extra"],
                subject=req["Subject"],
                message_id=message_id,
            )
            submissions.append({"Address": a["Address"], "QueueMsgID": msg["ID"], "FromID": ""})
        self.sent.append(
            {
                "account": account,
                "request": copy.deepcopy(req),
                "MessageID": message_id,
                "Submissions": copy.deepcopy(submissions),
            }
        )
        return {"MessageID": message_id, "Submissions": submissions}

    # -- sherpa: admin and account web APIs --

    async def _admin(self, request: web.Request) -> web.StreamResponse:
        functions: dict[str, tuple[list[str], Callable[..., Any]]] = {
            "LoginPrep": ([], self._a_login_prep),
            "Login": (["string", "string"], self._a_login),
            "Logout": ([], self._logout),
            "Accounts": ([], self._a_accounts),
            "Account": (["string"], self._a_account),
            "QueueHoldRuleList": ([], self._a_hold_rule_list),
            "QueueHoldRuleAdd": (["queue.HoldRule"], self._a_hold_rule_add),
            "QueueHoldRuleRemove": (["int64"], self._a_hold_rule_remove),
            "QueueList": (["queue.Filter", "queue.Sort"], self._a_queue_list),
            "QueueHoldSet": (["queue.Filter", "bool"], self._a_queue_hold_set),
            "RetiredList": (["queue.RetiredFilter", "queue.RetiredSort"], self._a_retired_list),
        }
        return await self._sherpa(request, "admin", "webadmin", "/admin/", functions)

    async def _account(self, request: web.Request) -> web.StreamResponse:
        functions: dict[str, tuple[list[str], Callable[..., Any]]] = {
            "LoginPrep": ([], self._c_login_prep),
            "Login": (["string", "string", "string"], self._c_login),
            "Logout": ([], self._logout),
            "OutgoingWebhookSave": (["string", "string", "[]string"], self._c_outgoing_save),
            "IncomingWebhookSave": (["string", "string"], self._c_incoming_save),
            "Account": ([], self._c_account),
            "KeepRetiredPeriodsSave": (["duration", "duration"], self._c_keep_retired_save),
        }
        return await self._sherpa(request, "account", "webaccount", "/account/", functions)

    async def _sherpa(
        self,
        request: web.Request,
        api: str,
        kind: str,
        cookie_path: str,
        functions: Mapping[str, tuple[list[str], Callable[..., Any]]],
    ) -> web.StreamResponse:
        name = request.match_info["method"]
        if request.method != "POST":
            return _text(405, "405 - method not allowed - use post")
        body = await request.read()
        try:
            recorded: Any = json.loads(body).get("params")
        except (ValueError, AttributeError):
            recorded = body.decode("utf-8", "replace")
        self.calls.append((api, name, recorded))

        resp = web.Response(headers={"Content-Type": "application/json; charset=utf-8"})
        session: tuple[str, str, str] | None = None
        if name not in ("LoginPrep", "Login"):
            try:
                session = await self._check_session(request, kind)
            except SherpaError as e:
                # webauth.Check writes only the error member, with status 200.
                resp.text = go_json(
                    {"error": {"code": e.code, "message": e.message}}, escape_html=True
                )
                return resp
        resp.headers["Cache-Control"] = "no-store"
        if name not in functions:
            return _sherpa_answer(
                resp,
                SherpaError("sherpa:badFunction", f'function "{name}" does not exist', 404),
            )
        try:
            params = self._sherpa_params(request, name, body, functions[name][0])
            ctx = {
                "request": request,
                "response": resp,
                "session": session,
                "kind": kind,
                "cookie_path": cookie_path,
            }
            result = functions[name][1](ctx, *params)
            if asyncio.iscoroutine(result):
                result = await result
        except SherpaError as e:
            return _sherpa_answer(resp, e)
        resp.text = go_json({"result": result}, escape_html=True)
        return resp

    def _sherpa_params(
        self, request: web.Request, name: str, body: bytes, types: list[str]
    ) -> list[Any]:
        ct = request.headers.get("Content-Type", "")
        if not ct:
            raise SherpaError("sherpa:badRequest", "missing content-type")
        try:
            mt, mtparams = go_parse_media_type(ct)
        except ValueError:
            raise SherpaError(
                "sherpa:badRequest", f"invalid content-type {_go_quote(ct)}"
            ) from None
        if mt != "application/json":
            raise SherpaError(
                "sherpa:badRequest",
                f'unrecognized content-type {_go_quote(mt)}, expecting "application/json"',
            )
        charset = mtparams.get("charset")
        if charset is not None and charset.lower() != "utf-8":
            raise SherpaError(
                "sherpa:badRequest", f'unexpected charset {_go_quote(charset)}, expecting "utf-8"'
            )

        def fail(code: str, what: str, err: object) -> SherpaError:
            return SherpaError(code, f'function "{name}": {what}: {err}')

        try:
            envelope = _first_json_value(body.decode("utf-8", "replace"))
            if not isinstance(envelope, dict):
                raise GoJSONError(
                    f"json: cannot unmarshal {_json_kind(envelope)} into Go value of type struct"
                    ' { Params jsontext.Value "json:\\"params\\"" }'
                )
            for key in envelope:
                if key.lower() != "params":
                    raise GoJSONError(f'json: unknown field "{key}"')
            keys = [k for k in envelope if k.lower() == "params"]
            if not keys:
                # json.Unmarshal of the absent (empty) raw parameters.
                raise GoJSONError("unexpected end of JSON input")
            params = envelope[keys[-1]]
            if params is not None and not isinstance(params, list):
                raise GoJSONError(
                    f"json: cannot unmarshal {_json_kind(params)} into Go value of type"
                    " []interface {}"
                )
        except GoJSONError as e:
            raise fail("sherpa:badRequest", "invalid JSON request body", e) from None
        params = params or []
        if len(params) != len(types):
            raise fail(
                "sherpa:badParams",
                "bad number of parameters",
                f"got {len(params)}, want {len(types)}",
            )
        try:
            # Decoded as one []any of pointers: paths start at the parameter's index.
            return [
                go_decode(p, t, "", (str(i),))
                for i, (p, t) in enumerate(zip(params, types, strict=True))
            ]
        except GoJSONError as e:
            raise fail("sherpa:badParams", "parsing parameters", e) from None

    async def _check_session(self, request: web.Request, kind: str) -> tuple[str, str, str]:
        """webauth.Check for API calls: CSRF header, then the session cookie."""
        label = kind.removeprefix("web")
        csrf = request.headers.get("x-mox-csrf", "")
        if not csrf:
            raise SherpaError("user:noAuth", "missing required csrf header")
        cookie = _request_cookies(request).get(kind + "session")
        if cookie is None:
            raise SherpaError("user:noAuth", f'no session for "{label}" web interface')
        token, sep, account_escaped = cookie.partition(" ")
        if token in self._forgotten:
            raise SherpaError("user:noAuth", f'no session for "{label}" web interface')
        if not sep:
            await asyncio.sleep(self.bad_auth_delay)
            raise SherpaError("user:badAuth", "malformed session")
        try:
            account = _query_unescape(account_escaped)
        except ValueError:
            await asyncio.sleep(self.bad_auth_delay)
            raise SherpaError("user:badAuth", "malformed session account name") from None
        session = self._sessions[kind].get(token)
        if kind == "webadmin" and session is None:
            await asyncio.sleep(self.bad_auth_delay)
            raise SherpaError(
                "user:badAuth", "unknown session (due to server restart or 10 new admin sessions)"
            )
        if kind == "webaccount" and account not in self.accounts:
            await asyncio.sleep(self.bad_auth_delay)
            raise SherpaError("user:badAuth", "no such account")
        if kind == "webaccount" and (session is None or session[0] != account):
            await asyncio.sleep(self.bad_auth_delay)
            raise SherpaError("user:badAuth", "unknown session token")
        assert session is not None
        if csrf != session[2]:
            await asyncio.sleep(self.bad_auth_delay)
            raise SherpaError("user:badAuth", "mismatch between csrf and session tokens")
        return (token, session[0], session[1])

    def _login_prep(self, ctx: dict[str, Any]) -> str:
        token = secrets.token_urlsafe(8)
        _set_cookie(ctx["response"], ctx["kind"] + "login", token, ctx["cookie_path"], max_age=30)
        return token

    async def _login(
        self, ctx: dict[str, Any], login_token: str, account: str | None, login: str
    ) -> str:
        kind = ctx["kind"]
        cookie = _request_cookies(ctx["request"]).get(kind + "login")
        if cookie is None or cookie != login_token:
            raise SherpaError("user:error", "missing login token cookie")
        if account is None:
            await asyncio.sleep(self.bad_auth_delay)
            raise SherpaError("user:loginFailed", "invalid credentials")
        token = secrets.token_urlsafe(16)
        csrf = secrets.token_urlsafe(16)
        self._sessions[kind][token] = (account, login, csrf)
        resp = ctx["response"]
        # The account name, query-escaped; "(admin)" for the admin.
        _set_cookie(
            resp, kind + "session", token + " " + quote_plus(account, safe=""), ctx["cookie_path"]
        )
        _set_cookie(resp, kind + "login", "", ctx["cookie_path"], max_age=0)
        return csrf

    def _logout(self, ctx: dict[str, Any]) -> None:
        token = ctx["session"][0]
        self._sessions[ctx["kind"]].pop(token, None)
        _set_cookie(ctx["response"], ctx["kind"] + "session", "", ctx["cookie_path"], max_age=0)

    def _a_login_prep(self, ctx: dict[str, Any]) -> str:
        return self._login_prep(ctx)

    async def _a_login(self, ctx: dict[str, Any], login_token: str, password: str) -> str:
        account = "(admin)" if password == self.admin_password else None
        return await self._login(ctx, login_token, account, "")

    def _a_accounts(self, ctx: dict[str, Any]) -> list[Any]:
        # mox answers (all, disabled []string); no account is ever disabled here.
        return [sorted(self.accounts), None]

    def _a_account(self, ctx: dict[str, Any], name: str) -> list[Any]:
        if name not in self.accounts:
            raise SherpaError("user:error", "looking up account: no such account")
        # mox answers (config.Account, diskUsage); no messages are stored here.
        return [self.account_config(name), 0]

    def _a_hold_rule_list(self, ctx: dict[str, Any]) -> list[dict[str, Any]]:
        return [copy.deepcopy(r) for _, r in sorted(self.hold_rules.items())]

    def _a_hold_rule_add(self, ctx: dict[str, Any], hr: dict[str, Any]) -> dict[str, Any]:
        doms = {}
        for field, label in (("SenderDomainStr", "sender"), ("RecipientDomainStr", "recipient")):
            value = hr[field]
            try:
                doms[field] = parse_domain(value) if value else ""
            except AddressError as e:
                raise SherpaError(
                    "user:error", f"parsing {label} domain {_go_quote(value)}: {e}"
                ) from None
        rule = {
            "ID": self._next_rule_id,
            "Account": hr["Account"],
            "SenderDomain": _domain_json(doms["SenderDomainStr"]),
            "RecipientDomain": _domain_json(doms["RecipientDomainStr"]),
            "SenderDomainStr": doms["SenderDomainStr"],
            "RecipientDomainStr": doms["RecipientDomainStr"],
        }
        self._next_rule_id += 1
        self.hold_rules[rule["ID"]] = rule
        # "Newly submitted and existing messages matching the hold rule will be marked on hold."
        for msg in self.queue.values():
            if self._rule_matches_queued(rule, msg):
                msg["Hold"] = True
        return copy.deepcopy(rule)

    def _a_hold_rule_remove(self, ctx: dict[str, Any], rule_id: int) -> None:
        if self.hold_rules.pop(rule_id, None) is None:
            raise SherpaError("server:error", "removing queue hold rule: absent")

    @staticmethod
    def _rule_matches(rule: Mapping[str, Any], msg: Mapping[str, Any]) -> bool:
        """A new message is held when ANY field of a rule matches (mox's HoldRule.matches)."""
        fields = (rule["Account"], rule["SenderDomainStr"], rule["RecipientDomainStr"])
        if not any(fields):
            return True
        return bool(
            rule["Account"] == msg["SenderAccount"]
            or rule["SenderDomainStr"] == msg["SenderDomainStr"]
            or rule["RecipientDomainStr"] == msg["RecipientDomainStr"]
        )

    @staticmethod
    def _rule_matches_queued(rule: Mapping[str, Any], msg: Mapping[str, Any]) -> bool:
        """Messages already queued when a rule is added are held when EVERY field set in
        the rule matches (mox's HoldRuleAdd uses FilterNonzero): mox differs from itself."""
        return (
            (not rule["Account"] or rule["Account"] == msg["SenderAccount"])
            and (not rule["SenderDomainStr"] or rule["SenderDomainStr"] == msg["SenderDomainStr"])
            and (
                not rule["RecipientDomainStr"]
                or rule["RecipientDomainStr"] == msg["RecipientDomainStr"]
            )
        )

    def _select(
        self,
        msgs: list[dict[str, Any]],
        flt: Mapping[str, Any],
        times: Mapping[str, str],
        sort: Mapping[str, Any] | None,
        sort_fields: tuple[str, ...],
        what: str,
    ) -> list[dict[str, Any]]:
        """queue's Filter.apply and Sort.apply: the filter and sort are checked before any
        message is looked at, From and To match either (not both)."""

        def sender(m: Mapping[str, Any]) -> str:
            return address_string(m["SenderLocalpart"], m["SenderDomainStr"])

        def recipient(m: Mapping[str, Any]) -> str:
            return address_string(m["RecipientLocalpart"], m["RecipientDomainStr"])

        try:
            bounds = {
                field: _time_bound(flt[key], _TIME_LABELS[key]) for key, field in times.items()
            }
            field = ""
            last: datetime | None = None
            if sort is not None:
                field = sort["Field"] or sort_fields[0]
                if field not in sort_fields:
                    raise SherpaError(
                        "server:error", f"unknown sort order field {_go_quote(sort['Field'])}"
                    )
                if sort["LastID"] > 0:
                    if not isinstance(sort["Last"], str):
                        raise SherpaError(
                            "server:error",
                            f"last should be string with time, not {_go_type_and_q(sort['Last'])}",
                        )
                    try:
                        last = go_parse_rfc3339(sort["Last"])
                    except GoJSONError as e:
                        raise SherpaError(
                            "server:error", f"parsing last {_go_quote(sort['Last'])} as time: {e}"
                        ) from None
        except SherpaError as e:
            raise SherpaError(e.code, f"{what}: {e.message}") from None

        out = []
        for m in msgs:
            if flt["IDs"] and m["ID"] not in flt["IDs"]:
                continue
            if flt.get("Hold") is not None and m["Hold"] != flt["Hold"]:
                continue
            if any(
                bound is not None
                and not (
                    _parse_time(m[f]) < bound[1]
                    if bound[0] == "<"
                    else _parse_time(m[f]) > bound[1]
                )
                for f, bound in bounds.items()
            ):
                continue
            if flt["Account"] and m["SenderAccount"] != flt["Account"]:
                continue
            if flt["Transport"] is not None and m["Transport"] != flt["Transport"]:
                continue
            if (flt["From"] or flt["To"]) and not (
                flt["From"] and flt["From"] in sender(m) or flt["To"] and flt["To"] in recipient(m)
            ):
                continue
            if flt.get("Success") is not None and m["Success"] != flt["Success"]:
                continue
            if sort is not None and last is not None:
                t = _parse_time(m[field])
                if m["ID"] == sort["LastID"]:
                    continue
                if sort["Asc"] and (t < last or t == last and m["ID"] < sort["LastID"]):
                    continue
                if not sort["Asc"] and (t > last or t == last and m["ID"] > sort["LastID"]):
                    continue
            out.append(m)
        if sort is not None:
            out.sort(key=lambda m: (_parse_time(m[field]), m["ID"]), reverse=not sort["Asc"])
        if flt["Max"]:
            out = out[: flt["Max"]]
        return [copy.deepcopy(m) for m in out]

    def _a_queue_list(
        self, ctx: dict[str, Any], flt: dict[str, Any], sort: dict[str, Any]
    ) -> list[dict[str, Any]]:
        times = {"Submitted": "Queued", "NextAttempt": "NextAttempt"}
        return self._select(
            list(self.queue.values()),
            flt,
            times,
            sort,
            ("NextAttempt", "Queued"),
            "listing messages in queue",
        )

    def _a_queue_hold_set(self, ctx: dict[str, Any], flt: dict[str, Any], on_hold: bool) -> int:
        times = {"Submitted": "Queued", "NextAttempt": "NextAttempt"}
        msgs = self._select(
            list(self.queue.values()),
            flt,
            times,
            None,
            (),
            "changing onhold for matching messages in queue",
        )
        for m in msgs:
            self.queue[m["ID"]]["Hold"] = on_hold
        return len(msgs)

    def _a_retired_list(
        self, ctx: dict[str, Any], flt: dict[str, Any], sort: dict[str, Any]
    ) -> list[dict[str, Any]]:
        times = {"Submitted": "Queued", "LastActivity": "LastActivity"}
        return self._select(
            list(self.retired.values()),
            flt,
            times,
            sort,
            ("LastActivity", "Queued"),
            "listing retired messages",
        )

    def _c_login_prep(self, ctx: dict[str, Any]) -> str:
        return self._login_prep(ctx)

    async def _c_login(
        self, ctx: dict[str, Any], login_token: str, username: str, password: str
    ) -> str:
        username = unicodedata.normalize("NFC", username)
        found = self.lookup_login(username)
        account = None
        if found is not None and self.accounts[found[0]]["logins"][found[1]] == password:
            account = found[0]
        return await self._login(ctx, login_token, account, username)

    def _c_account(self, ctx: dict[str, Any]) -> list[Any]:
        # mox returns (account config.Account, storageUsed, storageLimit, suppressions).
        account = ctx["session"][1]
        return [self.account_config(account), 0, 0, self.suppressions(account)]

    def _c_keep_retired_save(self, ctx: dict[str, Any], message: int, webhook: int) -> None:
        acc = self.accounts[ctx["session"][1]]
        acc["KeepRetiredMessagePeriod"] = message
        acc["KeepRetiredWebhookPeriod"] = webhook

    def _check_webhooks(self, account: str, outgoing: Any, incoming: Any, what: str) -> None:
        """mox's config check of an account's webhooks when domains.conf is written."""
        errs = []
        for kind, hook in (("outgoing", outgoing), ("incoming", incoming)):
            if hook is None:
                continue
            err = _go_url_check(hook["URL"])
            if err:
                errs.append(f"parsing {kind} hook url {_go_quote(hook['URL'])}: {err}")
            if kind == "outgoing":
                errs += [
                    f"unknown outgoing hook event {_go_quote(e)}"
                    for e in hook["Events"] or []
                    if e not in OUTGOING_EVENTS
                ]
        if errs:
            msg = "; ".join(f"account {_go_quote(account)}: {e}" for e in errs)
            raise SherpaError(
                "user:error", f"saving account {what}: writing domains.conf: config error: {msg}"
            )

    def _c_outgoing_save(
        self, ctx: dict[str, Any], url: str, authorization: str, events: list[str] | None
    ) -> None:
        account = ctx["session"][1]
        hook = {"URL": url, "Authorization": authorization, "Events": events} if url else None
        incoming = self.incoming_webhooks.get(account)
        self._check_webhooks(account, hook, incoming, "outgoing webhook")
        if hook is not None:
            self.outgoing_webhooks[account] = hook
        else:
            self.outgoing_webhooks.pop(account, None)

    def _c_incoming_save(self, ctx: dict[str, Any], url: str, authorization: str) -> None:
        account = ctx["session"][1]
        hook = {"URL": url, "Authorization": authorization} if url else None
        outgoing = self.outgoing_webhooks.get(account)
        self._check_webhooks(account, outgoing, hook, "incoming webhook")
        if hook is not None:
            self.incoming_webhooks[account] = hook
        else:
            self.incoming_webhooks.pop(account, None)


# ---- HTTP helpers --------------------------------------------------------------------------


def _text(status: int, text: str) -> web.Response:
    """Go's http.Error."""
    return web.Response(
        status=status,
        text=text + "\n",
        headers={
            "Content-Type": "text/plain; charset=utf-8",
            "X-Content-Type-Options": "nosniff",
        },
    )


_WEBAPI_METHOD_PAGE = """<!doctype html>
	<head>
		<meta charset="utf-8" />
		<meta name="robots" content="noindex,nofollow" />
		<title>Method {method} - WebAPI - Mox</title>
	</head>
	<body>
		<h1><a href="../">WebAPI</a> - Method {method}</h1>
	</body>
</html>
"""


def _webapi_error(code: str, message: str) -> web.Response:
    return web.Response(
        status=400,
        text=go_json({"Code": code, "Message": message}, escape_html=False),
        headers={"Content-Type": "application/json; charset=utf-8"},
    )


def _sherpa_answer(resp: web.Response, e: SherpaError) -> web.Response:
    resp.set_status(e.status)
    resp.text = go_json(
        {"result": None, "error": {"code": e.code, "message": e.message}}, escape_html=True
    )
    return resp


def _set_cookie(
    resp: web.StreamResponse, name: str, value: str, path: str, max_age: int | None = None
) -> None:
    """Go's http.SetCookie: values with a space or comma are double-quoted."""
    if " " in value or "," in value:
        value = '"' + value + '"'
    parts = [f"{name}={value}", f"Path={path}"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    parts += ["HttpOnly", "SameSite=Strict"]
    resp.headers.add("Set-Cookie", "; ".join(parts))


def _request_cookies(request: web.Request) -> dict[str, str]:
    """Go's readCookies: one pair of double quotes around a value is removed."""
    out: dict[str, str] = {}
    for header in request.headers.getall("Cookie", []):
        for part in header.split(";"):
            name, sep, value = part.strip().partition("=")
            if not sep or not name:
                continue
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            out.setdefault(name, value)
    return out


def _message_id() -> str:
    return f"<{secrets.token_urlsafe(16)}@localhost>"


def _parse_time(s: str | None) -> datetime:
    if not s:
        return datetime.min.replace(tzinfo=UTC)
    m = re.fullmatch(r"(.{19})(?:\.(\d+))?Z", s)
    if m is None:
        return datetime.fromisoformat(s)
    return datetime.fromisoformat(f"{m.group(1)}.{(m.group(2) or '0')[:6]:0<6}+00:00")


def _query_unescape(s: str) -> str:
    """url.QueryUnescape; ValueError on a bad escape."""
    if re.search(r"%(?![0-9A-Fa-f]{2})", s):
        raise ValueError("invalid URL escape")
    return unquote_to_bytes(s.replace("+", " ")).decode("utf-8", "replace")


def _go_url_check(u: str) -> str | None:
    """What mox says of a webhook URL: url.Parse's error, or a scheme other than http(s)."""
    if any(c < " " or c == "\x7f" for c in u):
        return f"parse {_go_quote(u)}: net/url: invalid control character in URL"
    m = re.match(r"([A-Za-z][A-Za-z0-9+.\-]*)?:", u)
    if u.startswith(":"):
        return f"parse {_go_quote(u)}: missing protocol scheme"
    scheme = m[1].lower() if m and m[1] else ""
    if scheme not in ("http", "https"):
        return "scheme must be http or https"
    return None
