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

Served: webapi Send, SuppressionList/Add/Remove/Present, MessageRawGet; admin API
LoginPrep, Login, Logout, Accounts, Account, QueueHoldRuleList/Add/Remove,
QueueList, QueueHoldSet, RetiredList; account API LoginPrep, Login, Logout,
OutgoingWebhookSave, IncomingWebhookSave. Other functions answer like mox answers a
function it does not have (webapi: 404 text; sherpa: 404 sherpa:badFunction).
Not modelled: mox's rate limiting of failed logins (429), webhook delivery (see
tests/moxsender.py), localserve's special recipient localparts.
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
from urllib.parse import quote

from aiohttp import web

DEFAULT_ACCOUNTS: dict[str, dict[str, Any]] = {
    "mox": {"logins": {"mox@localhost": "moxmoxmox"}},
}
FAIL_MODES = ("refuse", "stall", "500")

UNAUTHORIZED_TEXT = "401 - unauthorized - use http basic auth with email address as username"
NOT_UNIQUE = 'updating indices for inserted value: not unique: "Account+BaseAddress"'


# ---- Go-isms: time and JSON -------------------------------------------------------------


def rfc3339nano(dt: datetime) -> str:
    """Go's time.RFC3339Nano in UTC: fraction without trailing zeros."""
    dt = dt.astimezone(UTC)
    frac = f"{dt.microsecond:06d}000".rstrip("0")
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + ("." + frac if frac else "") + "Z"


def go_json(obj: Any, *, escape_html: bool) -> str:
    """json.Encoder output: compact, UTF-8, optional HTML escaping, trailing newline."""
    s = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    if escape_html:
        s = s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return s.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029") + "\n"


class GoJSONError(Exception):
    """A decoding error, worded like Go's encoding/json."""


def _json_kind(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def _first_json_value(text: str) -> Any:
    """Decode the first JSON value like json.Decoder.Decode (trailing data ignored)."""
    s = text.lstrip()
    if not s:
        raise GoJSONError("EOF")
    try:
        value, _ = json.JSONDecoder().raw_decode(s)
    except json.JSONDecodeError as e:
        if e.pos >= len(s):
            raise GoJSONError("unexpected EOF") from None
        raise GoJSONError(
            f"invalid character {s[e.pos]!r} looking for beginning of value"
        ) from None
    return value


# Struct types the fake decodes, field -> type. Types: string, bool, int, any, time,
# ?X (pointer: null allowed and kept), []X, map (map[string]string), pair ([2]string),
# or another struct name.
STRUCTS: dict[str, dict[str, str]] = {
    "webapi.SuppressionListRequest": {},
    "webapi.SuppressionAddRequest": {
        "EmailAddress": "string",
        "Manual": "bool",
        "Reason": "string",
    },
    "webapi.SuppressionRemoveRequest": {"EmailAddress": "string"},
    "webapi.SuppressionPresentRequest": {"EmailAddress": "string"},
    "webapi.MessageRawGetRequest": {"MsgID": "int"},
    "webapi.NameAddress": {"Name": "string", "Address": "string"},
    "webapi.File": {
        "Name": "string",
        "ContentType": "string",
        "ContentID": "string",
        "Data": "string",
    },
    "webapi.SendRequest": {
        "From": "[]webapi.NameAddress",
        "To": "[]webapi.NameAddress",
        "CC": "[]webapi.NameAddress",
        "BCC": "[]webapi.NameAddress",
        "ReplyTo": "[]webapi.NameAddress",
        "MessageID": "string",
        "References": "[]string",
        "Date": "?time",
        "Subject": "string",
        "Text": "string",
        "HTML": "string",
        "Extra": "map",
        "Headers": "[]pair",
        "InlineFiles": "[]webapi.File",
        "AttachedFiles": "[]webapi.File",
        "RequireTLS": "?bool",
        "FutureRelease": "?time",
        "SaveSent": "bool",
    },
    "dns.Domain": {"ASCII": "string", "Unicode": "string"},
    "queue.HoldRule": {
        "ID": "int",
        "Account": "string",
        "SenderDomain": "dns.Domain",
        "RecipientDomain": "dns.Domain",
        "SenderDomainStr": "string",
        "RecipientDomainStr": "string",
    },
    "queue.Filter": {
        "Max": "int",
        "IDs": "[]int",
        "Account": "string",
        "From": "string",
        "To": "string",
        "Hold": "?bool",
        "Submitted": "string",
        "NextAttempt": "string",
        "Transport": "?string",
    },
    "queue.RetiredFilter": {
        "Max": "int",
        "IDs": "[]int",
        "Account": "string",
        "From": "string",
        "To": "string",
        "Submitted": "string",
        "LastActivity": "string",
        "Transport": "?string",
        "Success": "?bool",
    },
    "queue.Sort": {"Field": "string", "LastID": "int", "Last": "any", "Asc": "bool"},
    "queue.RetiredSort": {"Field": "string", "LastID": "int", "Last": "any", "Asc": "bool"},
}

_GO_TYPE = {"int": "int64", "map": "map[string]string", "pair": "[2]string", "time": "time.Time"}


def _go_type(t: str) -> str:
    if t.startswith("?"):
        return "*" + _go_type(t[1:])
    if t.startswith("[]"):
        return "[]" + _go_type(t[2:])
    return _GO_TYPE.get(t, t)


def _zero(t: str) -> Any:
    if t.startswith(("?", "[]")) or t in ("map", "any", "pair"):
        return None
    if t in STRUCTS:
        return {f: _zero(ft) for f, ft in STRUCTS[t].items()}
    return {"string": "", "bool": False, "int": 0, "time": None}[t]


def go_decode(v: Any, t: str, where: str = "") -> Any:
    """Decode a JSON value into Go type t, strictly (DisallowUnknownFields)."""

    def mismatch() -> GoJSONError:
        target = f"Go struct field {where}" if where else "Go value"
        return GoJSONError(
            f"json: cannot unmarshal {_json_kind(v)} into {target} of type {_go_type(t)}"
        )

    if v is None:
        return _zero(t) if not t.startswith("?") else None
    if t.startswith("?"):
        return go_decode(v, t[1:], where)
    if t == "any":
        return v
    if t == "string":
        if not isinstance(v, str):
            raise mismatch()
        return v
    if t == "bool":
        if not isinstance(v, bool):
            raise mismatch()
        return v
    if t == "int":
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v != int(v):
            raise mismatch()
        return int(v)
    if t == "time":
        if not isinstance(v, str):
            raise mismatch()
        try:
            return _parse_time(v)
        except ValueError:
            raise GoJSONError(f'parsing time "{v}" as RFC3339: cannot parse') from None
    if t == "map":
        if not isinstance(v, dict):
            raise mismatch()
        return {str(k): go_decode(x, "string", where) for k, x in v.items()}
    if t == "pair":
        if not isinstance(v, list):
            raise mismatch()
        items = [go_decode(x, "string", where) for x in v[:2]]
        return (items + ["", ""])[:2]
    if t.startswith("[]"):
        if not isinstance(v, list):
            raise mismatch()
        return [go_decode(x, t[2:], where) for x in v]
    fields = STRUCTS[t]
    if not isinstance(v, dict):
        raise mismatch()
    out = _zero(t)
    short = t.split(".")[-1]
    for key, x in v.items():
        # Go matches field names exactly first, then case-insensitively.
        name = key if key in fields else next((f for f in fields if f.lower() == key.lower()), None)
        if name is None:
            raise GoJSONError(f'json: unknown field "{key}"')
        out[name] = go_decode(x, fields[name], f"{short}.{name}")
    return out


# ---- Addresses, as mox parses and prints them ---------------------------------------------


class AddressError(Exception):
    """An address smtp.ParseAddress rejects; str() is mox's error text."""


_ATEXT = frozenset("!#$%&'*+-/=?^_`{|}~")


def _is_atext(c: str) -> bool:
    return c.isascii() and c.isalnum() or c in _ATEXT or ord(c) > 0x7F


def _parse_localpart(s: str) -> tuple[str, str]:
    """(decoded localpart, remainder), like mox smtp's xlocalpart."""
    i = 0
    if s.startswith('"'):
        i, out, esc = 1, [], False
        while True:
            if i >= len(s):
                raise AddressError("invalid localpart: need another character")
            c = s[i]
            i += 1
            if esc:
                out.append(c)
                esc = False
            elif c == "\\":
                esc = True
            elif c == '"':
                break
            else:
                out.append(c)
        lp = "".join(out)
    else:
        atoms = []
        while True:
            j = i
            while j < len(s) and _is_atext(s[j]):
                j += 1
            if j == i:
                if i >= len(s):
                    raise AddressError("invalid localpart: need at least one char for atom")
                raise AddressError(
                    f"invalid localpart: expected at least one char for atom, got char {s[i]}"
                )
            atoms.append(s[i:j])
            i = j
            if i < len(s) and s[i] == ".":
                i += 1
                continue
            break
        lp = ".".join(atoms)
    if len(lp) > 64:
        raise AddressError("invalid localpart: localpart longer than 64 octets")
    return unicodedata.normalize("NFC", lp), s[i:]


def parse_domain(s: str) -> str:
    """The domain's Unicode form, lower case (dns.ParseDomain + Domain.Name())."""
    if s.endswith("."):
        raise AddressError("domain name has trailing dot")
    if not s:
        raise AddressError("empty domain name")
    try:
        ascii_form = s.encode("idna").decode("ascii").lower()
        unicode_form = ascii_form.encode("ascii").decode("idna")
    except UnicodeError as e:
        raise AddressError(f"idna: {e}") from None
    if any(not (c.isalnum() or c in "-.") for c in ascii_form):
        raise AddressError(f"invalid domain name {s!r}")
    return unicodedata.normalize("NFC", unicode_form.lower())


def parse_address(s: str) -> tuple[str, str]:
    """(localpart, unicode domain); AddressError with mox's text on failure."""
    try:
        lp, rest = _parse_localpart(s)
        if not rest.startswith("@"):
            raise AddressError("expected @")
        domain = parse_domain(rest[1:])
    except AddressError as e:
        raise AddressError(f"invalid email address: {e}") from None
    return lp, domain


def localpart_string(lp: str) -> str:
    """smtp.Localpart.String: dot-atom when possible, else quoted."""
    if all(a and all(_is_atext(c) for c in a) for a in lp.split(".")):
        return lp
    return '"' + lp.replace("\\", "\\\\").replace('"', '\\"') + '"'


def address_string(lp: str, domain: str) -> str:
    return localpart_string(lp) + "@" + domain


def base_address(lp: str, domain: str) -> str:
    """queue/suppression.go baseAddress: cut at +, cut at -, drop dots, lower case."""
    s = lp.split("+", 1)[0].split("-", 1)[0].replace(".", "").lower()
    return address_string(s, domain)


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


def _duration(s: str) -> timedelta:
    """Go's time.ParseDuration, for the units the queue filters use."""
    m = re.fullmatch(r"([+-]?)((?:\d+(?:\.\d+)?(?:h|m|s|ms))+)", s)
    if not m:
        raise ValueError(f'time: invalid duration "{s}"')
    total = sum(
        float(n) * {"h": 3600, "m": 60, "s": 1, "ms": 0.001}[u]
        for n, u in re.findall(r"(\d+(?:\.\d+)?)(h|ms|m|s)", m.group(2))
    )
    return timedelta(seconds=-total if m.group(1) == "-" else total)


def _time_filter(spec: str, value: datetime, what: str) -> bool:
    if not spec:
        return True
    if spec[0] not in "<>":
        raise SherpaError(
            "server:error",
            f'applying filter for {what}: must start with "<" for before or ">" for after a duration',
        )
    rest = spec[1:].strip()
    try:
        t = datetime.now(UTC) if rest == "now" else datetime.now(UTC) + _duration(rest)
    except ValueError as e:
        raise SherpaError(
            "server:error", f'applying filter for {what}: parsing duration "{spec}": {e}'
        ) from None
    return value < t if spec[0] == "<" else value > t


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
        """Remove by base address; False if absent."""
        lp, dom = parse_address(address)
        base = base_address(lp, dom)
        before = len(self._suppressions)
        self._suppressions = [
            s
            for s in self._suppressions
            if not (s["Account"] == account and s["BaseAddress"] == base)
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
        if request.method != "POST":
            return _text(405, "405 - method not allowed - use get or post")

        account, login = self._basic_auth(request)
        if account is None:
            await asyncio.sleep(self.bad_auth_delay)
            resp = _text(401, UNAUTHORIZED_TEXT)
            resp.headers["Www-Authenticate"] = "Basic realm=webapi"
            self.calls.append(("webapi", method, None))
            return resp

        ct = request.headers.get("Content-Type", "")
        if not ct.strip():
            self.calls.append(("webapi", method, None))
            return _webapi_error("protocol", "unknown content-type " + ct)
        reqstr = ""
        if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            value = form.get("request")
            reqstr = value if isinstance(value, str) else ""
        if not reqstr:
            self.calls.append(("webapi", method, None))
            return _webapi_error("protocol", "missing/empty request")
        try:
            parsed: Any = json.loads(reqstr)
        except ValueError:
            parsed = reqstr
        self.calls.append(("webapi", method, parsed))

        typename, fn = handlers[method]
        try:
            req = go_decode(_first_json_value(reqstr), typename)
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

    def _basic_auth(self, request: web.Request) -> tuple[str | None, str]:
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return None, ""
        try:
            user, sep, password = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None, ""
        if not sep:
            return None, ""
        account = self.account_of(user)
        if account is None or self.accounts[account]["logins"][user] != password:
            return None, ""
        return account, user

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
        lp, dom = self._parse_or_bad_address(req["EmailAddress"])
        if not self.remove_suppression(account, address_string(lp, dom)):
            raise WebapiError("error", "absent")
        return {}

    def _w_suppression_present(self, account: str, login: str, req: dict[str, Any]) -> Any:
        lp, dom = self._parse_or_bad_address(req["EmailAddress"])
        base = base_address(lp, dom)
        present = any(
            s["Account"] == account and s["BaseAddress"] == base for s in self._suppressions
        )
        return {"Present": present}

    def _w_message_raw_get(self, account: str, login: str, req: dict[str, Any]) -> Any:
        found = self.incoming.get(req["MsgID"])
        if found is None or found[0] != account:
            raise WebapiError("messageNotFound", "message not found")
        return found[1]

    def _w_send(self, account: str, login: str, req: dict[str, Any]) -> Any:
        if not req["Text"] and not req["HTML"]:
            raise WebapiError("missingBody", "at least text or html body required")
        froms = req["From"] or []
        if len(froms) > 1:
            raise WebapiError("multipleFrom", "multiple from-addresses not allowed")
        from_addr = froms[0]["Address"] if froms else login
        flp, fdom = self._parse_or_bad_address(from_addr)
        logins = {address_string(*parse_address(a)) for a in self.accounts[account]["logins"]}
        if address_string(flp, fdom) not in logins:
            raise WebapiError("badFrom", "from-address not configured for account")
        addressees = (req["To"] or []) + (req["CC"] or []) + (req["BCC"] or [])
        for a in addressees:
            self._parse_or_bad_address(a["Address"])
        if not addressees:
            raise WebapiError("noRecipients", "no recipients")
        message_id = req["MessageID"]
        if not message_id:
            message_id = _message_id()
        elif not (message_id.startswith("<") and message_id.endswith(">")):
            raise WebapiError("malformedMessageID", "missing <> in message-id")
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
            "QueueHoldRuleRemove": (["int"], self._a_hold_rule_remove),
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
            "KeepRetiredPeriodsSave": (["int", "int"], self._c_keep_retired_save),
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
                    {"error": {"code": e.code, "message": e.message}}, escape_html=False
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
        mt, _, rest = ct.partition(";")
        mt = mt.strip().lower()
        if mt != "application/json":
            raise SherpaError(
                "sherpa:badRequest",
                f'unrecognized content-type "{mt}", expecting "application/json"',
            )
        m = re.search(r"charset=\"?([^\";]+)", rest)
        if m and m.group(1).lower() != "utf-8":
            raise SherpaError(
                "sherpa:badRequest", f'unexpected charset "{m.group(1)}", expecting "utf-8"'
            )

        def fail(code: str, what: str, err: object) -> SherpaError:
            return SherpaError(code, f'function "{name}": {what}: {err}')

        try:
            envelope = _first_json_value(body.decode("utf-8", "replace"))
            if not isinstance(envelope, dict):
                raise GoJSONError(
                    f"json: cannot unmarshal {_json_kind(envelope)} into Go value of type struct"
                    ' { Params json.RawMessage "json:\\"params\\"" }'
                )
            for key in envelope:
                if key.lower() != "params":
                    raise GoJSONError(f'json: unknown field "{key}"')
            params = next((v for k, v in envelope.items() if k.lower() == "params"), None)
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
            return [go_decode(p, t) for p, t in zip(params, types, strict=True)]
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
        token, sep, _ = cookie.partition(" ")
        if token in self._forgotten:
            raise SherpaError("user:noAuth", f'no session for "{label}" web interface')
        if not sep:
            await asyncio.sleep(self.bad_auth_delay)
            raise SherpaError("user:badAuth", "malformed session")
        session = self._sessions[kind].get(token)
        if session is None:
            await asyncio.sleep(self.bad_auth_delay)
            raise SherpaError("user:badAuth", "unknown session")
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
        _set_cookie(resp, kind + "session", token + " " + quote(account), ctx["cookie_path"])
        _set_cookie(resp, kind + "login", "", ctx["cookie_path"], max_age=0)
        return csrf

    def _logout(self, ctx: dict[str, Any]) -> None:
        token = ctx["session"][0]
        self._sessions[ctx["kind"]].pop(token, None)
        _set_cookie(ctx["response"], ctx["kind"] + "session", "", ctx["cookie_path"], max_age=0)

    def _a_login_prep(self, ctx: dict[str, Any]) -> str:
        return self._login_prep(ctx)

    async def _a_login(self, ctx: dict[str, Any], login_token: str, password: str) -> str:
        account = "" if password == self.admin_password else None
        return await self._login(ctx, login_token, account, "")

    def _a_accounts(self, ctx: dict[str, Any]) -> list[str]:
        return sorted(self.accounts)

    def _a_account(self, ctx: dict[str, Any], name: str) -> list[Any]:
        if name not in self.accounts:
            raise SherpaError("user:error", "looking up account: no such account")
        logins = self.accounts[name]["logins"]
        conf = {
            "OutgoingWebhook": copy.deepcopy(self.outgoing_webhooks.get(name)),
            "IncomingWebhook": copy.deepcopy(self.incoming_webhooks.get(name)),
            "FromIDLoginAddresses": None,
            "KeepRetiredMessagePeriod": 0,
            "KeepRetiredWebhookPeriod": 0,
            "Domain": parse_address(next(iter(logins)))[1] if logins else "",
            "Description": "",
            "FullName": "",
            "Destinations": {
                login: {"Mailbox": "", "Rulesets": None, "FullName": ""} for login in logins
            },
        }
        return [conf, 0]

    def _a_hold_rule_list(self, ctx: dict[str, Any]) -> list[dict[str, Any]] | None:
        return [copy.deepcopy(r) for _, r in sorted(self.hold_rules.items())] or None

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
            if self._rule_matches(rule, msg):
                msg["Hold"] = True
        return copy.deepcopy(rule)

    def _a_hold_rule_remove(self, ctx: dict[str, Any], rule_id: int) -> None:
        if self.hold_rules.pop(rule_id, None) is None:
            raise SherpaError("server:error", "removing queue hold rule: absent")

    @staticmethod
    def _rule_matches(rule: Mapping[str, Any], msg: Mapping[str, Any]) -> bool:
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
        def sender(m: Mapping[str, Any]) -> str:
            return address_string(m["SenderLocalpart"], m["SenderDomainStr"])

        def recipient(m: Mapping[str, Any]) -> str:
            return address_string(m["RecipientLocalpart"], m["RecipientDomainStr"])

        try:
            out = []
            for m in msgs:
                if flt["IDs"] and m["ID"] not in flt["IDs"]:
                    continue
                if flt["Account"] and m["SenderAccount"] != flt["Account"]:
                    continue
                if flt["From"] and flt["From"] not in sender(m):
                    continue
                if flt["To"] and flt["To"] not in recipient(m):
                    continue
                if flt.get("Hold") is not None and m["Hold"] != flt["Hold"]:
                    continue
                if flt.get("Success") is not None and m["Success"] != flt["Success"]:
                    continue
                if flt["Transport"] is not None and m["Transport"] != flt["Transport"]:
                    continue
                if not all(
                    _time_filter(flt[key], _parse_time(m[field]), _TIME_LABELS[key])
                    for key, field in times.items()
                ):
                    continue
                out.append(m)
            if sort is not None:
                field = sort["Field"] or sort_fields[0]
                if field not in sort_fields:
                    raise SherpaError("server:error", f'unknown sort order field "{sort["Field"]}"')
                out.sort(key=lambda m: (_parse_time(m[field]), m["ID"]), reverse=not sort["Asc"])
        except SherpaError as e:
            raise SherpaError(e.code, f"{what}: {e.message}") from None
        if flt["Max"]:
            out = out[: flt["Max"]]
        return [copy.deepcopy(m) for m in out]

    def _a_queue_list(
        self, ctx: dict[str, Any], flt: dict[str, Any], sort: dict[str, Any]
    ) -> list[dict[str, Any]] | None:
        times = {"Submitted": "Queued", "NextAttempt": "NextAttempt"}
        msgs = self._select(
            list(self.queue.values()),
            flt,
            times,
            sort,
            ("NextAttempt", "Queued"),
            "listing messages in queue",
        )
        return msgs or None

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
    ) -> list[dict[str, Any]] | None:
        times = {"Submitted": "Queued", "LastActivity": "LastActivity"}
        msgs = self._select(
            list(self.retired.values()),
            flt,
            times,
            sort,
            ("LastActivity", "Queued"),
            "listing retired messages",
        )
        return msgs or None

    def _c_login_prep(self, ctx: dict[str, Any]) -> str:
        return self._login_prep(ctx)

    async def _c_login(
        self, ctx: dict[str, Any], login_token: str, username: str, password: str
    ) -> str:
        account = self.account_of(username)
        if account is not None and self.accounts[account]["logins"][username] != password:
            account = None
        return await self._login(ctx, login_token, account, username)

    def _c_account(self, ctx: dict[str, Any]) -> list[Any]:
        # mox returns (account config.Account, storageUsed, storageLimit, suppressions).
        account = ctx["session"][1]
        acc = self.accounts[account]
        conf = {
            "OutgoingWebhook": self.outgoing_webhooks.get(account),
            "IncomingWebhook": self.incoming_webhooks.get(account),
            "FromIDLoginAddresses": None,
            "KeepRetiredMessagePeriod": acc.get("KeepRetiredMessagePeriod", 0),
            "KeepRetiredWebhookPeriod": acc.get("KeepRetiredWebhookPeriod", 0),
            "LoginDisabled": "",
            "Domain": "localhost",
            "Description": "",
            "FullName": "",
            "Destinations": {login: {} for login in acc["logins"]},
        }
        return [conf, 0, 0, self.suppressions(account) or None]

    def _c_keep_retired_save(self, ctx: dict[str, Any], message: int, webhook: int) -> None:
        acc = self.accounts[ctx["session"][1]]
        acc["KeepRetiredMessagePeriod"] = message
        acc["KeepRetiredWebhookPeriod"] = webhook

    def _c_outgoing_save(
        self, ctx: dict[str, Any], url: str, authorization: str, events: list[str] | None
    ) -> None:
        account = ctx["session"][1]
        if url:
            self.outgoing_webhooks[account] = {
                "URL": url,
                "Authorization": authorization,
                "Events": events,
            }
        else:
            self.outgoing_webhooks.pop(account, None)

    def _c_incoming_save(self, ctx: dict[str, Any], url: str, authorization: str) -> None:
        account = ctx["session"][1]
        if url:
            self.incoming_webhooks[account] = {"URL": url, "Authorization": authorization}
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


def _domain_json(unicode_domain: str) -> dict[str, str]:
    """dns.Domain JSON: ASCII always, Unicode only for IDNA domains."""
    if not unicode_domain:
        return {"ASCII": "", "Unicode": ""}
    ascii_form = unicode_domain.encode("idna").decode("ascii")
    return {"ASCII": ascii_form, "Unicode": unicode_domain if ascii_form != unicode_domain else ""}


def _message_id() -> str:
    return f"<{secrets.token_urlsafe(16)}@localhost>"


def _parse_time(s: str | None) -> datetime:
    if not s:
        return datetime.min.replace(tzinfo=UTC)
    m = re.fullmatch(r"(.{19})(?:\.(\d+))?Z", s)
    if m is None:
        return datetime.fromisoformat(s)
    return datetime.fromisoformat(f"{m.group(1)}.{(m.group(2) or '0')[:6]:0<6}+00:00")


def _go_quote(s: str) -> str:
    """Go's %q for ordinary strings."""
    return json.dumps(s, ensure_ascii=False)
