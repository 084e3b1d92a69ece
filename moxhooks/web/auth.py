"""Sign-in, sessions and who is asking: the security model of the JSON API.

- Account owners sign in with their mox email address and password; mox's webapi
  checks them (401 means wrong). The account an address belongs to is the
  configured account whose `login` is that address, else (when the admin password
  is configured) the configured account whose mox `Destinations` list it, asked
  with the admin API `Account`. The admin signs in with mox's admin password,
  checked by logging in to mox's admin API on a fresh AdminAPI object.
- The mox password is never stored. A sign-in creates a server-side session: the
  cookie `moxhooks_session` holds a random token, the database only its SHA-256.
  Cookie: HttpOnly, SameSite=Strict, Path=/api/, Secure when the request came
  over HTTPS. Sessions slide: each use extends them to IDLE from now, but never
  past LIFETIME after sign-in.
- Every /api/v1 call except the two sign-ins and GET /api/v1/session sends the
  session's CSRF token (returned at sign-in) in the X-CSRF-Token header.
- Programs send `Authorization: Bearer <accounts[].api_token>` instead of a
  session and CSRF token; a token acts as its account.
- Failed sign-ins are counted per client address and per user name; each one is
  answered after a growing delay, and after max_failures within the window the
  sign-in answers 429 until the window has passed. Every failure is logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import math
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from aiohttp import web

from moxhooks import models
from moxhooks.config import AccountConfig
from moxhooks.errors import ApiError, ErrorCode
from moxhooks.mail.address import AddressError, parse_address
from moxhooks.mox.client import MoxError, MoxUnavailable
from moxhooks.runtime.web import WebRuntime
from moxhooks.store import Session, SessionStore, parse_iso
from moxhooks.web.bodies import answer, read_body
from moxhooks.web.errors import error_response, mox_api_error
from moxhooks.web.keys import RUNTIME_KEY

log = logging.getLogger(__name__)

SESSION_COOKIE = "moxhooks_session"
COOKIE_PATH = "/api/"
CSRF_HEADER = "X-CSRF-Token"


@dataclass(frozen=True)
class AuthSettings:
    """Session lifetimes and sign-in throttling; defaults suit a web page."""

    # A session not used for this long has ended.
    idle: timedelta = timedelta(hours=12)
    # A session ends this long after sign-in, however busy.
    lifetime: timedelta = timedelta(days=7)
    # Failed sign-ins are counted over this window, per client address and per user name.
    throttle_window: timedelta = timedelta(minutes=15)
    # Failures within the window after which sign-in answers 429.
    max_failures: int = 10
    # The n-th failure is answered after delay_step * 2**(n-1) seconds, at most delay_max.
    delay_step: float = 0.25
    delay_max: float = 2.0


AUTH_SETTINGS_KEY = web.AppKey("auth_settings", AuthSettings)


@dataclass(frozen=True)
class Principal:
    """Who is calling: an account (by session or API token) or the admin."""

    role: str  # "account" or "admin"
    account: str  # The account's name; "" for the admin.
    email: str  # The address signed in with; "" for the admin and API tokens.
    via: str  # "session" or "token"
    csrf: str = ""  # The session's CSRF token; "" for API tokens.
    session_id: str | None = None  # SHA-256 of the cookie token.

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def actor(self) -> str:
        """How this caller appears in created_by, ended_by and the audit log."""
        if self.is_admin:
            return "web:admin"
        if self.via == "token":
            return f"api:{self.account}"
        return f"web:{self.email}"

    def session(self) -> models.Session:
        """The answer of sign-in and GET /api/v1/session."""
        via: Literal["session", "token"] = "token" if self.via == "token" else "session"
        if self.is_admin:
            return models.Session(role="admin", csrf=self.csrf, via=via)
        return models.Session(
            role="account", account=self.account, email=self.email, csrf=self.csrf, via=via
        )


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _principal(s: Session) -> Principal:
    return Principal(s.role, s.account, s.email, "session", s.csrf, s.id)


class SignInLocks:
    """One sign-in attempt at a time per client address and per user name.

    Without this, many attempts sent at once would all pass the failure count before
    the first failure is recorded; serialized, each waits out the previous delay.
    """

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._waiting: dict[str, int] = {}

    @contextlib.asynccontextmanager
    async def hold(self, *keys: str) -> AsyncIterator[None]:
        """Hold the locks of keys (taken in sorted order, so two holders never deadlock)."""
        async with contextlib.AsyncExitStack() as stack:
            for key in sorted(set(keys)):
                lock = self._locks.setdefault(key, asyncio.Lock())
                self._waiting[key] = self._waiting.get(key, 0) + 1
                stack.callback(self._done, key)
                await stack.enter_async_context(lock)
            yield

    def _done(self, key: str) -> None:
        self._waiting[key] -= 1
        if not self._waiting[key]:  # nobody holds or waits: forget it
            del self._waiting[key], self._locks[key]


SIGNIN_LOCKS_KEY = web.AppKey("signin_locks", SignInLocks)


def sessions(request: web.Request) -> SessionStore:
    """The session store of the running app."""
    return request.app[RUNTIME_KEY].store.sessions


# ---- Who is asking ---------------------------------------------------------------------------


def _token_principal(rt: WebRuntime, header: str) -> Principal:
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError(ErrorCode.BAD_AUTH, "the Authorization header must be: Bearer <api token>")
    found: AccountConfig | None = None
    for acct in rt.config.accounts:
        # Compare against every token, so the time taken does not tell which one matched.
        if acct.api_token and hmac.compare_digest(acct.api_token.encode(), token.encode()):
            found = acct
    if found is None:
        raise ApiError(ErrorCode.BAD_AUTH, "unknown API token")
    return Principal("account", found.name, "", "token")


async def authenticate(request: web.Request, *, csrf: bool = True) -> Principal:
    """The caller, from an API token or from the session cookie plus CSRF header."""
    rt = request.app[RUNTIME_KEY]
    header = request.headers.get("Authorization")
    if header is not None:
        return _token_principal(rt, header)
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise ApiError(ErrorCode.NO_AUTH, "not signed in")
    settings = request.app[AUTH_SETTINGS_KEY]
    s = await sessions(request).live(_hash(token), idle=settings.idle, lifetime=settings.lifetime)
    if s is None:
        raise ApiError(ErrorCode.BAD_AUTH, "the session has ended; sign in again")
    p = _principal(s)
    if csrf:
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), p.csrf.encode()):
            raise ApiError(ErrorCode.BAD_AUTH, f"missing or wrong {CSRF_HEADER} header")
    return p


async def require_admin(request: web.Request) -> Principal:
    """The caller, who must be the admin."""
    p = await authenticate(request)
    if not p.is_admin:
        raise ApiError(ErrorCode.FORBIDDEN, "only the admin may do this")
    return p


async def account_access(request: web.Request) -> tuple[Principal, AccountConfig]:
    """The caller and the account named in the URL, which the caller may use."""
    p = await authenticate(request)
    name = request.match_info["account"]
    if not p.is_admin and p.account != name:
        raise ApiError(ErrorCode.FORBIDDEN, f"signed in for account {p.account!r}, not {name!r}")
    acct = request.app[RUNTIME_KEY].config.account(name)
    if acct is None:
        raise ApiError(ErrorCode.NOT_FOUND, f"no account {name!r} is configured")
    return p, acct


# ---- Sign-in -----------------------------------------------------------------------------


MAX_ID = 2**63 - 1  # SQLite's INTEGER PRIMARY KEY


def path_id(request: web.Request) -> int:
    """The {id} of the URL, a whole number from 1 to 2^63-1 (what a database row id can be)."""
    raw = request.match_info["id"]
    # The length check first: int() refuses strings of more than 4300 digits.
    if not raw.isascii() or not raw.isdigit() or len(raw) > 19 or not 1 <= int(raw) <= MAX_ID:
        raise ApiError(
            ErrorCode.NOT_FOUND, f"no such id {raw[:40]!r}: ids are whole numbers from 1 to {MAX_ID}"
        )
    return int(raw)


def _same_address(a: str, b: str) -> bool:
    try:
        pa, pb = parse_address(a), parse_address(b)
    except AddressError:
        return False
    return pa.domain == pb.domain and pa.localpart.lower() == pb.localpart.lower()


async def find_account(rt: WebRuntime, email: str) -> AccountConfig | None:
    """The configured account email belongs to: by `login`, else by mox's Destinations."""
    for acct in rt.config.accounts:
        if _same_address(acct.login, email):
            return acct
    if rt.admin is None:
        return None
    for acct in rt.config.accounts:
        try:
            conf = await rt.admin.account(acct.name)
        except MoxError as e:
            log.warning("looking up mox account %s for sign-in of %s: %s", acct.name, email, e)
            continue
        if any(_same_address(d, email) for d in conf.get("Destinations") or {}):
            return acct
    return None


def _set_cookie(request: web.Request, resp: web.StreamResponse, token: str) -> None:
    resp.set_cookie(
        SESSION_COOKIE,
        token,
        path=COOKIE_PATH,
        httponly=True,
        samesite="Strict",
        secure=request.secure,
    )


def _clear_cookie(request: web.Request, resp: web.StreamResponse) -> None:
    resp.set_cookie(
        SESSION_COOKIE,
        "",
        path=COOKIE_PATH,
        max_age=0,
        httponly=True,
        samesite="Strict",
        secure=request.secure,
    )


def _client(request: web.Request) -> str:
    return request.remote or ""


async def _throttled(request: web.Request, username: str) -> web.Response | None:
    """A 429 answer when this client or user name failed too often, else None."""
    settings = request.app[AUTH_SETTINGS_KEY]
    n, oldest = await sessions(request).failures(
        _client(request), username, settings.throttle_window
    )
    if n < settings.max_failures or oldest is None:
        return None
    free = parse_iso(oldest) + settings.throttle_window
    wait = max(1, math.ceil((free - request.app[RUNTIME_KEY].store.clock()).total_seconds()))
    log.warning("sign-in throttled user=%s client=%s failures=%d", username, _client(request), n)
    resp = error_response(
        ErrorCode.THROTTLED, f"too many failed sign-ins; try again in {wait} seconds"
    )
    resp.headers["Retry-After"] = str(wait)
    return resp


async def _failed(request: web.Request, username: str) -> ApiError:
    """Count and log a failed sign-in, wait the growing delay, return the error to raise."""
    settings = request.app[AUTH_SETTINGS_KEY]
    store = sessions(request)
    client = _client(request)
    await store.record_failure(client, username, settings.throttle_window)
    n, _ = await store.failures(client, username, settings.throttle_window)
    log.warning("failed sign-in user=%s client=%s failures=%d", username, client, n)
    await asyncio.sleep(min(settings.delay_max, settings.delay_step * 2 ** max(0, n - 1)))
    return ApiError(ErrorCode.LOGIN_FAILED, "wrong email address or password")


def _mox_trouble(e: MoxError) -> ApiError:
    if isinstance(e, MoxUnavailable):
        return ApiError(ErrorCode.MOX_UNAVAILABLE, f"mox cannot check the password now: {e}")
    return mox_api_error(e)


async def _signed_in(
    request: web.Request, username: str, role: str, account: str, email: str
) -> web.Response:
    """A new session for whoever just proved who they are; a session the browser
    still had is ended, so a sign-in never continues an older session."""
    store = sessions(request)
    await store.clear_failures(username)
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        await store.delete(_hash(old))
    settings = request.app[AUTH_SETTINGS_KEY]
    token = secrets.token_urlsafe(32)
    s = await store.create(
        _hash(token),
        role,
        account,
        email,
        secrets.token_urlsafe(32),
        _client(request),
        idle=settings.idle,
        lifetime=settings.lifetime,
    )
    resp = answer(_principal(s).session())
    _set_cookie(request, resp, token)
    return resp


async def login(request: web.Request) -> web.StreamResponse:
    """POST /api/v1/login {"email","password"}: an account owner signs in."""
    rt = request.app[RUNTIME_KEY]
    body = await read_body(request, models.LoginRequest)
    email, password = body.email.strip(), body.password
    if not email or not password:
        raise ApiError(ErrorCode.BAD_REQUEST, "email and password are required")
    username = "account:" + email.lower()
    async with request.app[SIGNIN_LOCKS_KEY].hold("client:" + _client(request), username):
        throttled = await _throttled(request, username)
        if throttled is not None:
            return throttled
        # An account's login is checked by the mox server it is on (the first, if several).
        by_login = next((a for a in rt.config.accounts if _same_address(a.login, email)), None)
        client = rt.mox_for(by_login) if by_login is not None else rt.mox
        try:
            ok = await client.webapi(email, password).verify_login()
        except MoxError as e:
            raise _mox_trouble(e) from None
        if not ok:
            raise await _failed(request, username)
    acct = await find_account(rt, email)
    if acct is None:
        log.warning("sign-in of %s refused: its account is not configured in moxhooks", email)
        raise ApiError(
            ErrorCode.FORBIDDEN, f"the mox account of {email} is not managed by moxhooks"
        )
    log.info("signed in account=%s email=%s client=%s", acct.name, email, _client(request))
    return await _signed_in(request, username, "account", acct.name, email)


async def admin_login(request: web.Request) -> web.StreamResponse:
    """POST /api/v1/admin/login {"password"}: the mox admin signs in."""
    rt = request.app[RUNTIME_KEY]
    password = (await read_body(request, models.AdminLoginRequest)).password
    if not password:
        raise ApiError(ErrorCode.BAD_REQUEST, "password is required")
    username = "admin"
    async with request.app[SIGNIN_LOCKS_KEY].hold("client:" + _client(request), username):
        throttled = await _throttled(request, username)
        if throttled is not None:
            return throttled
        try:
            # A fresh AdminAPI: the runtime's own admin session must not be replaced.
            ok = await rt.mox.admin(password).verify_password()
        except MoxError as e:
            raise _mox_trouble(e) from None
        if not ok:
            raise await _failed(request, username)
    log.info("admin signed in client=%s", _client(request))
    return await _signed_in(request, username, "admin", "", "")


async def logout(request: web.Request) -> web.StreamResponse:
    """POST /api/v1/logout: end the session and clear the cookie."""
    p = await authenticate(request)
    if p.session_id is not None:
        await sessions(request).delete(p.session_id)
    resp = answer(models.Empty())
    _clear_cookie(request, resp)
    return resp


async def session(request: web.Request) -> web.StreamResponse:
    """GET /api/v1/session: who is signed in, with the CSRF token (no CSRF header needed)."""
    p = await authenticate(request, csrf=False)
    return answer(p.session())
