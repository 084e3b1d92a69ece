"""Sign-in, sessions, CSRF, API tokens and throttling, over HTTP against the fake mox."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import ssl
import subprocess
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from conftest import Clock
from fakemox import FakeMox

from moxhooks.mail.dnscheck import DomainChecker
from moxhooks.mox.client import MoxClient
from moxhooks.runtime.supervisor import in_process
from moxhooks.web.app import create_app
from moxhooks.web.auth import AUTH_SETTINGS_KEY, SESSION_COOKIE, AuthSettings
from moxhooks.web.keys import RUNTIME_KEY

# Every JSON answer is checked against the OpenAPI document (tests/openapi_check.py).
pytestmark = pytest.mark.openapi_responses

MOX = {"email": "mox@localhost", "password": "moxmoxmox"}
TOKEN = "api-token-for-tests"
AClient = Callable[..., Awaitable[TestClient[web.Request, web.Application]]]
Client = TestClient[web.Request, web.Application]


@pytest.fixture
async def make_app(make_config: Any, fakedns: Any, clock: Clock) -> AsyncIterator[Any]:
    """create_app for the fakes; mox_url picks another fake mox."""
    clients: list[MoxClient] = []

    def make(mox_url: str | None = None, **sections: Any) -> web.Application:
        if mox_url is not None:
            sections["mox"] = {"url": mox_url}
        cfg = make_config(**sections)
        mc = MoxClient(cfg.default_mox.url, timeout=2)
        clients.append(mc)
        dns = DomainChecker(nameservers=cfg.dns.nameservers, port=cfg.dns.port, timeout=0.5)
        app = create_app(cfg, mox=mc, clock=clock, worker=in_process(dns=dns, clock=clock))
        app[AUTH_SETTINGS_KEY] = AuthSettings(delay_step=0.01, delay_max=0.05)
        return app

    yield make
    for mc in clients:  # after aiohttp_client has stopped the apps
        await mc.close()


@pytest.fixture
async def client(make_app: Any, aiohttp_client: AClient) -> Client:
    return await aiohttp_client(make_app())


async def login(client: Client, **body: str) -> aiohttp.ClientResponse:
    return await client.post("/api/v1/login", json=body or MOX)


def set_cookie(resp: aiohttp.ClientResponse) -> str:
    (header,) = [h for h in resp.headers.getall("Set-Cookie") if h.startswith(SESSION_COOKIE)]
    return header


async def test_login_sets_a_strict_cookie_and_returns_csrf(client: Client) -> None:
    resp = await login(client)
    assert resp.status == 200
    body = await resp.json()
    assert body["role"] == "account"
    assert body["account"] == "mox"
    assert body["email"] == "mox@localhost"
    assert len(body["csrf"]) >= 32
    cookie = set_cookie(resp)
    parts = {p.strip().split("=")[0].lower() for p in cookie.split(";")}
    assert {"httponly", "path", "samesite"} <= parts
    assert "Path=/api/" in cookie
    assert "SameSite=Strict" in cookie
    assert "secure" not in parts  # plain HTTP
    assert "max-age" not in parts and "expires" not in parts  # ends with the browser
    token = cookie.split(";")[0].split("=", 1)[1]
    # Only the hash of the token is kept.
    db = client.app[RUNTIME_KEY].store.db
    rows = await db.fetchall("SELECT id, csrf FROM sessions")
    assert [r["id"] for r in rows] == [hashlib.sha256(token.encode()).hexdigest()]
    assert all(token not in tuple(r) for r in rows)
    # The password is nowhere in the database.
    raw = Path(db.path).read_bytes()
    assert b"moxmoxmox" not in raw


@pytest.fixture
def certificate(tmp_path: Path) -> ssl.SSLContext:
    key, crt = tmp_path / "key.pem", tmp_path / "crt.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(crt),
        ],
        check=True,
        capture_output=True,
    )
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(crt, key)
    return ctx


async def test_cookie_is_secure_over_https(
    make_app: Any, aiohttp_client: AClient, certificate: ssl.SSLContext
) -> None:
    server = TestServer(make_app(), scheme="https", host="127.0.0.1")
    await server.start_server(ssl=certificate)
    client = await aiohttp_client(server)
    resp = await client.post("/api/v1/login", json=MOX, ssl=False)
    assert resp.status == 200
    assert "; Secure" in set_cookie(resp) or "Secure;" in set_cookie(resp)


async def test_session_needs_only_the_cookie(client: Client) -> None:
    resp = await client.get("/api/v1/session")
    assert resp.status == 401
    assert await resp.json() == {"code": "user:noAuth", "message": "not signed in"}
    csrf = (await (await login(client)).json())["csrf"]
    resp = await client.get("/api/v1/session")
    assert resp.status == 200
    assert (await resp.json())["csrf"] == csrf


async def test_csrf_header_is_required(client: Client) -> None:
    csrf = (await (await login(client)).json())["csrf"]
    url = "/api/v1/accounts/mox/suppressions"
    for headers in ({}, {"X-CSRF-Token": "wrong"}, {"X-CSRF-Token": ""}):
        resp = await client.get(url, headers=headers)
        assert resp.status == 401, headers
        assert (await resp.json())["code"] == "user:badAuth"
    resp = await client.get(url, headers={"X-CSRF-Token": csrf})
    assert resp.status == 200
    # A cross-site style form post is refused before anything happens.
    resp = await client.post(
        url,
        data="address=a@example.org",
        headers={"X-CSRF-Token": csrf, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert resp.status == 415


async def test_logout_ends_the_session(client: Client) -> None:
    resp = await login(client)
    csrf = (await resp.json())["csrf"]
    old = set_cookie(resp).split(";")[0]
    resp = await client.post("/api/v1/logout")
    assert resp.status == 401  # without CSRF, no logout
    resp = await client.post("/api/v1/logout", headers={"X-CSRF-Token": csrf})
    assert resp.status == 200
    assert await resp.json() == {}
    cleared = set_cookie(resp)
    assert cleared.startswith(f"{SESSION_COOKIE}=;") or f'{SESSION_COOKIE}="";' in cleared
    assert "Max-Age=0" in cleared
    assert await client.app[RUNTIME_KEY].store.db.fetchall("SELECT * FROM sessions") == []
    # The old cookie, sent by hand, is refused.
    async with aiohttp.ClientSession() as s:
        resp2 = await s.get(
            client.make_url("/api/v1/accounts/mox/suppressions"),
            headers={"Cookie": old, "X-CSRF-Token": csrf},
        )
        assert resp2.status == 401
        assert (await resp2.json())["code"] == "user:badAuth"


async def test_sliding_expiry(make_app: Any, aiohttp_client: AClient, clock: Clock) -> None:
    app = make_app()
    app[AUTH_SETTINGS_KEY] = AuthSettings(idle=timedelta(hours=12), lifetime=timedelta(days=1))
    client = await aiohttp_client(app)
    csrf = (await (await login(client)).json())["csrf"]
    h = {"X-CSRF-Token": csrf}
    for _ in range(2):
        clock.advance(timedelta(hours=11))
        assert (await client.get("/api/v1/session", headers=h)).status == 200
    clock.advance(timedelta(hours=3))  # 25h after sign-in: past the lifetime
    resp = await client.get("/api/v1/session", headers=h)
    assert resp.status == 401
    assert (await resp.json())["code"] == "user:badAuth"
    csrf = (await (await login(client)).json())["csrf"]
    clock.advance(timedelta(hours=12, seconds=1))  # idle too long
    resp = await client.get("/api/v1/session")
    assert (await resp.json())["code"] == "user:badAuth"


async def test_wrong_password_and_unknown_user(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "moxhooks.web.auth")
    for body in (
        {"email": "mox@localhost", "password": "wrong"},
        {"email": "nobody@localhost", "password": "moxmoxmox"},
    ):
        resp = await client.post("/api/v1/login", json=body)
        assert resp.status == 401
        assert await resp.json() == {
            "code": "user:loginFailed",
            "message": "wrong email address or password",
        }
        assert SESSION_COOKIE not in resp.cookies
    assert "failed sign-in user=account:mox@localhost" in caplog.text
    assert "failed sign-in user=account:nobody@localhost" in caplog.text
    assert "wrong" not in caplog.text  # passwords are not logged


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"email": "mox@localhost"}, 400, "badRequest"),
        ({"email": "", "password": "x"}, 400, "badRequest"),
        ({"email": 5, "password": "x"}, 400, "badRequest"),
        ([], 400, "badRequest"),
    ],
)
async def test_bad_login_bodies(client: Client, body: Any, status: int, code: str) -> None:
    resp = await client.post("/api/v1/login", json=body)
    assert resp.status == status
    assert (await resp.json())["code"] == code


async def test_throttling_per_client_and_per_user(
    make_app: Any, aiohttp_client: AClient, clock: Clock
) -> None:
    app = make_app()
    app[AUTH_SETTINGS_KEY] = AuthSettings(
        max_failures=3, delay_step=0.05, delay_max=0.15, throttle_window=timedelta(minutes=15)
    )
    client = await aiohttp_client(app)
    bad = {"email": "mox@localhost", "password": "wrong"}
    took = []
    for _ in range(3):
        start = time.monotonic()
        assert (await client.post("/api/v1/login", json=bad)).status == 401
        took.append(time.monotonic() - start)
    # A growing delay: 0.05, 0.1, 0.15 (capped).
    assert took[0] >= 0.05 and took[1] >= 0.1 and took[2] >= 0.15
    resp = await client.post("/api/v1/login", json=MOX)  # even the right password
    assert resp.status == 429
    assert (await resp.json())["code"] == "user:throttled"
    assert 800 <= int(resp.headers["Retry-After"]) <= 900
    # Another user name from the same client address: the client is throttled.
    resp = await client.post("/api/v1/login", json={"email": "x@localhost", "password": "y"})
    assert resp.status == 429
    # From another loopback address: the user name is throttled, other names are not.
    conn = aiohttp.TCPConnector(local_addr=("127.0.0.2", 0))
    async with aiohttp.ClientSession(connector=conn) as other:
        r = await other.post(client.make_url("/api/v1/login"), json=MOX)
        assert r.status == 429
        r = await other.post(client.make_url("/api/v1/admin/login"), json={"password": "moxadmin"})
        assert r.status == 200
    # After the window, sign-in works again.
    clock.advance(timedelta(minutes=16))
    assert (await client.post("/api/v1/login", json=MOX)).status == 200


async def test_admin_login(client: Client) -> None:
    resp = await client.post("/api/v1/admin/login", json={"password": "wrong"})
    assert resp.status == 401
    assert (await resp.json())["code"] == "user:loginFailed"
    resp = await client.post("/api/v1/admin/login", json={"password": "moxadmin"})
    assert resp.status == 200
    body = await resp.json()
    assert body["role"] == "admin" and body["csrf"]
    resp = await client.get("/api/v1/session")
    assert (await resp.json())["role"] == "admin"


async def test_account_from_mox_destinations(make_app: Any, aiohttp_client: AClient) -> None:
    accounts = {
        "mox": {"logins": {"mox@localhost": "moxmoxmox", "Alias@localhost": "moxmoxmox"}},
        "stranger": {"logins": {"stranger@localhost": "pw"}},
    }
    async with FakeMox(accounts) as fake:
        client = await aiohttp_client(make_app(fake.url))
        resp = await client.post(
            "/api/v1/login", json={"email": "Alias@localhost", "password": "moxmoxmox"}
        )
        assert resp.status == 200
        assert (await resp.json())["account"] == "mox"
        # A real mox account that moxhooks does not manage.
        resp = await client.post(
            "/api/v1/login", json={"email": "stranger@localhost", "password": "pw"}
        )
        assert resp.status == 403
        assert (await resp.json())["code"] == "user:forbidden"


async def test_mox_unreachable_at_sign_in(client: Client, fakemox: FakeMox) -> None:
    await fakemox.fail("refuse")
    resp = await login(client)
    assert resp.status == 503
    assert (await resp.json())["code"] == "moxUnavailable"
    await fakemox.restore()
    assert (await login(client)).status == 200


async def test_api_token(client: Client) -> None:
    url = "/api/v1/accounts/mox/suppressions"
    resp = await client.get(url, headers={"Authorization": f"Bearer {TOKEN}"})
    assert resp.status == 200
    resp = await client.get("/api/v1/session", headers={"Authorization": f"Bearer {TOKEN}"})
    assert await resp.json() == {
        "role": "account",
        "account": "mox",
        "email": "",
        "csrf": "",
        "via": "token",
    }
    for header in (f"Bearer {TOKEN}x", "Bearer ", f"Basic {TOKEN}", TOKEN):
        resp = await client.get(url, headers={"Authorization": header})
        assert resp.status == 401, header
        assert (await resp.json())["code"] == "user:badAuth"
    resp = await client.get("/api/v1/admin/accounts", headers={"Authorization": f"Bearer {TOKEN}"})
    assert resp.status == 403
    assert (await resp.json())["code"] == "user:forbidden"


async def test_no_token_configured_means_no_token_access(
    make_app: Any, aiohttp_client: AClient
) -> None:
    accounts = [{"name": "mox", "login": "mox@localhost", "password": "moxmoxmox"}]
    client = await aiohttp_client(make_app(accounts=accounts))
    resp = await client.get(
        "/api/v1/accounts/mox/suppressions", headers={"Authorization": "Bearer "}
    )
    assert resp.status == 401


async def test_parallel_guesses_are_serialized(make_app: Any, aiohttp_client: AClient) -> None:
    app = make_app()
    app[AUTH_SETTINGS_KEY] = AuthSettings(max_failures=3, delay_step=0.01, delay_max=0.02)
    client = await aiohttp_client(app)
    bad = {"email": "mox@localhost", "password": "guess"}
    answers = await asyncio.gather(*(client.post("/api/v1/login", json=bad) for _ in range(10)))
    statuses = sorted(r.status for r in answers)
    assert statuses == [401] * 3 + [429] * 7


async def test_signing_in_again_ends_the_old_session(client: Client) -> None:
    first = set_cookie(await login(client)).split(";")[0]
    await login(client)
    rows = await client.app[RUNTIME_KEY].store.db.fetchall("SELECT id FROM sessions")
    assert len(rows) == 1
    async with aiohttp.ClientSession() as s:
        resp = await s.get(client.make_url("/api/v1/session"), headers={"Cookie": first})
        assert resp.status == 401
