"""The JSON API over HTTP: every endpoint with and without a session, tokens, the admin
endpoints against the fake mox, CSV streaming, and the OpenAPI document."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from conftest import SECRET, Clock, wait_for
from fakemox import FakeMox
from moxsender import MoxSender, outgoing_event
from openapi_check import Checked
from openapi_spec_validator import validate

from moxhooks.errors import ErrorCode
from moxhooks.mail.dnscheck import DomainChecker
from moxhooks.mox.client import MoxClient
from moxhooks.runtime.supervisor import in_process
from moxhooks.store import NewEntry
from moxhooks.web.app import create_app
from moxhooks.web.keys import RUNTIME_KEY
from moxhooks.web.pages import PAGES

# Every JSON answer is checked against the OpenAPI document (tests/openapi_check.py).
pytestmark = pytest.mark.openapi_responses

Client = TestClient[web.Request, web.Application]
MOX_TOKEN = "api-token-for-tests"
OTHER_TOKEN = "other-token-for-tests"
FAKE_ACCOUNTS = {
    "mox": {"logins": {"mox@localhost": "moxmoxmox"}},
    "other": {"logins": {"other@localhost": "otherpw"}},
}
ACCOUNTS = [
    {
        "name": "mox",
        "login": "mox@localhost",
        "password": "moxmoxmox",
        "webhook_secret": SECRET,
        "api_token": MOX_TOKEN,
    },
    {
        "name": "other",
        "login": "other@localhost",
        "password": "otherpw",
        "api_token": OTHER_TOKEN,
    },
]
XSS = '"<img src=x onerror=alert(1)>"@example.org'


@pytest.fixture
async def fakemox() -> AsyncIterator[FakeMox]:
    async with FakeMox(FAKE_ACCOUNTS) as fm:
        yield fm


@pytest.fixture
async def client(make_config: Any, clock: Clock, aiohttp_client: Any) -> AsyncIterator[Client]:
    cfg = make_config(accounts=ACCOUNTS)
    async with MoxClient(cfg.default_mox.url, timeout=2) as mc:
        dns = DomainChecker(nameservers=cfg.dns.nameservers, port=cfg.dns.port, timeout=0.5)
        c: Client = await aiohttp_client(create_app(cfg, mox=mc, clock=clock, worker=in_process(dns=dns, clock=clock)))
        yield c
        await c.close()


@dataclass
class Api:
    """A signed-in caller: session + CSRF header, or an API token."""

    client: Client
    headers: dict[str, str]

    async def call(self, method: str, path: str, body: Any = None, **kw: Any) -> tuple[int, Any]:
        if body is not None:
            kw["json"] = body
        kw["headers"] = {**self.headers, **kw.get("headers", {})}
        resp = await self.client.request(method, path, **kw)
        text = await resp.text()
        ctype = resp.headers.get("Content-Type", "")
        return resp.status, json.loads(text) if ctype.startswith("application/json") else text

    async def get(self, path: str, **kw: Any) -> Any:
        status, body = await self.call("GET", path, **kw)
        assert status == 200, (path, status, body)
        return body


async def sign_in(client: Client, email: str = "mox@localhost", pw: str = "moxmoxmox") -> Api:
    resp = await client.post("/api/v1/login", json={"email": email, "password": pw})
    assert resp.status == 200
    return Api(client, {"X-CSRF-Token": (await resp.json())["csrf"]})


async def sign_in_admin(client: Client) -> Api:
    resp = await client.post("/api/v1/admin/login", json={"password": "moxadmin"})
    assert resp.status == 200
    return Api(client, {"X-CSRF-Token": (await resp.json())["csrf"]})


def token(client: Client, tok: str = MOX_TOKEN) -> Api:
    return Api(client, {"Authorization": f"Bearer {tok}"})


def api_routes(app: web.Application) -> list[tuple[str, str]]:
    return sorted(
        {
            (r.method, r.resource.canonical)
            for r in app.router.routes()
            if r.resource is not None
            and r.resource.canonical.startswith("/api/")
            and r.method != "HEAD"
        }
    )


def concrete(path: str) -> str:
    return path.replace("{account}", "mox").replace("{id}", "1")


SIGN_IN = {"/api/v1/login", "/api/v1/admin/login", "/api/openapi.json"}


# ---- Authentication on every route ----------------------------------------------------------


async def test_every_route_needs_a_session_and_csrf(client: Client) -> None:
    routes = [(m, p) for m, p in api_routes(client.app) if p not in SIGN_IN]
    assert len(routes) == 21
    for method, path in routes:
        resp = await client.request(method, concrete(path))
        assert resp.status == 401, (method, path)
        assert (await resp.json())["code"] == "user:noAuth", (method, path)
    await sign_in(client)  # the cookie is in the client's jar now
    for method, path in routes:
        resp = await client.request(method, concrete(path))
        if (method, path) == ("GET", "/api/v1/session"):
            assert resp.status == 200
            continue
        assert resp.status == 401, (method, path)
        assert (await resp.json())["code"] == "user:badAuth", (method, path)


async def test_admin_routes_refuse_accounts_and_tokens(client: Client) -> None:
    admin_routes = [
        (m, p)
        for m, p in api_routes(client.app)
        if p.startswith("/api/v1/admin/") and p != "/api/v1/admin/login"
    ]
    assert len(admin_routes) == 6
    for caller in (await sign_in(client), token(client)):
        for method, path in admin_routes:
            status, body = await caller.call(method, concrete(path))
            assert status == 403, (method, path)
            assert body["code"] == "user:forbidden"


async def test_accounts_see_only_their_own(client: Client) -> None:
    mine = await sign_in(client)
    account_routes = [
        (m, p) for m, p in api_routes(client.app) if p.startswith("/api/v1/accounts/")
    ]
    assert len(account_routes) == 12
    for caller in (mine, token(client)):
        for method, path in account_routes:
            status, body = await caller.call(
                method, path.replace("{account}", "other").replace("{id}", "1")
            )
            assert status == 403, (method, path)
            assert body["code"] == "user:forbidden"
    other = token(client, OTHER_TOKEN)
    assert (await other.get("/api/v1/accounts/other/suppressions"))["entries"] == []
    status, _ = await other.call("GET", "/api/v1/accounts/mox/suppressions")
    assert status == 403
    admin = await sign_in_admin(client)
    for name in ("mox", "other"):
        await admin.get(f"/api/v1/accounts/{name}/suppressions")
    status, body = await admin.call("GET", "/api/v1/accounts/nosuch/suppressions")
    assert (status, body["code"]) == (404, "notFound")


async def test_token_reaches_every_account_endpoint(client: Client) -> None:
    api = token(client)
    status, entry = await api.call(
        "POST", "/api/v1/accounts/mox/suppressions", {"address": "a@example.org"}
    )
    assert status == 201
    assert entry["created_by"] == "api:mox"
    base = "/api/v1/accounts/mox"
    for path in (
        "/suppressions",
        f"/suppressions/{entry['id']}",
        "/blocks?address=a@x.org",
        "/events",
        "/stats",
        "/suppressions.csv",
        "/inbound",
    ):
        await api.get(base + path)
    status, report = await api.call(
        "POST",
        f"{base}/suppressions/import",
        data="address\nb@example.org\n",
        headers={"Content-Type": "text/csv"},
    )
    assert (status, report["added"]) == (200, 1)
    status, ended = await api.call("DELETE", f"{base}/suppressions/{entry['id']}")
    assert status == 200 and ended["ended_by"] == "api:mox"


# ---- OpenAPI ------------------------------------------------------------------------------


async def test_openapi_describes_every_route(client: Client) -> None:
    resp = await client.get("/api/openapi.json")
    assert resp.status == 200
    doc = await resp.json()
    assert doc["openapi"].startswith("3.")
    # Every route of the app is in the document, the unsubscribe links (/u/), the webhooks
    # and /healthz included; only the pages are not (web/pages.py).
    routes = sorted(
        {
            (r.method, r.resource.canonical)
            for r in client.app.router.routes()
            if r.resource is not None
            and r.resource.canonical not in {*PAGES, "/static/{name}"}
            and r.method != "HEAD"
        }
    )
    assert len(routes) == 34
    assert {("POST", "/u/{token}/prefs"), ("POST", "/hooks/outgoing/{account}"),
            ("POST", "/hooks/incoming/{account}"), ("POST", "/hooks/outgoing/{mox}/{account}"),
            ("POST", "/hooks/incoming/{mox}/{account}"), ("GET", "/healthz"),
            ("GET", "/metrics")} <= set(routes)  # fmt: skip
    validate(doc)  # valid OpenAPI 3.1 (openapi-spec-validator)
    for method, path in routes:
        assert path in doc["paths"], path
        assert method.lower() in doc["paths"][path], (method, path)
    documented = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    assert documented == set(routes), "the document lists routes the app does not have"
    for path, ops in doc["paths"].items():
        for op in ops.values():
            assert op["summary"] and op["responses"], path
    # Each error response names its codes, and each code has that status.
    for path, ops in doc["paths"].items():
        for op in ops.values():
            for status, resp in op["responses"].items():
                schema = next(iter(resp["content"].values()))["schema"]
                if schema != {"$ref": "#/components/schemas/Error"}:
                    continue  # a success answer, or /healthz's 503 (its usual answer)
                for part in resp["description"].split("\n"):
                    code = part.split(": ")[0]
                    assert ErrorCode(code).status == int(status), (path, code)
    assert set(doc["x-error-codes"]) == {c.value for c in ErrorCode}


async def test_api_errors_are_json(client: Client) -> None:
    api = await sign_in(client)
    status, body = await api.call("PUT", "/api/v1/accounts/mox/suppressions")
    assert status == 405
    assert body["code"] == "methodNotAllowed"
    resp = await client.get("/api/v1/nothing-here")
    assert resp.status == 404
    assert (await resp.json())["code"] == "notFound"


@pytest.mark.parametrize("raw", ["0", "9223372036854775808", "9" * 40, "9" * 5000])
@pytest.mark.parametrize(
    ("method", "path", "admin"),
    [
        ("GET", "/api/v1/accounts/mox/suppressions/{}", False),
        ("DELETE", "/api/v1/accounts/mox/suppressions/{}", False),
        ("GET", "/api/v1/accounts/mox/inbound/{}", False),
        ("DELETE", "/api/v1/admin/holdrules/{}", True),
        ("POST", "/api/v1/admin/holdrules/{}/release", True),
    ],
)
async def test_ids_past_64_bits_are_not_found(
    client: Client, method: str, path: str, admin: bool, raw: str
) -> None:
    api = await (sign_in_admin(client) if admin else sign_in(client))
    status, body = await api.call(method, path.format(raw))
    assert status == 404, body
    assert body["code"] == "notFound" and "whole numbers from 1 to" in body["message"]


@pytest.mark.parametrize(
    ("path", "to"),
    [("/admin/", "/admin"), ("/api/v1/admin/accounts/", "/api/v1/admin/accounts"),
     ("/healthz/", "/healthz")],
)
async def test_trailing_slash_redirects(client: Client, path: str, to: str) -> None:
    resp = await client.get(path, allow_redirects=False)
    assert resp.status in (301, 308) and resp.headers["Location"] == to
    resp = await client.get(path)
    assert resp.status in (200, 401), await resp.text()


# ---- Suppressions -------------------------------------------------------------------------


async def test_add_get_remove_reaches_mox(client: Client, fakemox: FakeMox) -> None:
    api = await sign_in(client)
    base = "/api/v1/accounts/mox/suppressions"
    status, entry = await api.call(
        "POST", base, {"address": "John.Doe+x@Example.org", "reason": "asked by phone"}
    )
    assert status == 201
    assert entry["original_address"] == "John.Doe+x@example.org"
    assert entry["base_address"] == "johndoe@example.org"
    assert (entry["source"], entry["kind"], entry["scope"]) == ("manual", "manual", "")
    assert entry["created_by"] == "web:mox@localhost"
    assert entry["reason"] == "asked by phone"

    async def in_mox() -> bool:
        return [s["BaseAddress"] for s in fakemox.suppressions("mox")] == ["johndoe@example.org"]

    await wait_for(in_mox, timeout=3, what="the entry in mox")

    status, body = await api.call("POST", base, {"address": "JOHNDOE@example.org"})
    assert status == 409
    assert body["code"] == "alreadySuppressed" and body["id"] == entry["id"]
    # Another scope is another entry.
    status, topic = await api.call(
        "POST", base, {"address": "johndoe@example.org", "scope": "news", "expires": "7d"}
    )
    assert status == 201 and topic["scope"] == "news" and topic["expires"]

    detail = await api.get(f"{base}/{entry['id']}")
    assert detail["entry"] == {**entry, "mox_state": detail["entry"]["mox_state"]}
    assert [h["action"] for h in detail["history"]] == ["added"]
    assert detail["also_blocks"]["base_address"] == "johndoe@example.org"
    assert [e["id"] for e in detail["also_blocks"]["entries"]] == [topic["id"]]

    status, ended = await api.call("DELETE", f"{base}/{entry['id']}", {"reason": "typo"})
    assert status == 200
    assert (ended["active"], ended["end_reason"], ended["ended_by"]) == (
        False,
        "typo",
        "web:mox@localhost",
    )

    async def gone() -> bool:
        return fakemox.suppressions("mox") == []

    await wait_for(gone, timeout=3, what="the entry removed from mox")
    status, body = await api.call("DELETE", f"{base}/{entry['id']}")
    assert (status, body["code"]) == (404, "notFound")
    status, body = await api.call("GET", f"{base}/999")
    assert (status, body["code"]) == (404, "notFound")
    detail = await api.get(f"{base}/{entry['id']}")
    assert [h["action"] for h in detail["history"]] == ["added", "ended"]


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        ({"address": "no-at-sign"}, "badAddress", "invalid email address: expected @"),
        ({"address": "a b@example.org"}, "badAddress", None),
        ({}, "badRequest", "address is required"),
        ({"address": 5}, "badRequest", "address must be a string"),
        ({"address": "a@example.org", "expires": "soon"}, "badExpires", None),
        (
            {"address": "a@example.org", "expires": "2001-01-01T00:00:00Z"},
            "badExpires",
            "expires must be in the future",
        ),
        ({"address": "a@example.org", "scope": "x" * 101}, "badRequest", None),
        ({"address": "a@example.org", "reason": "a\x00b"}, "badRequest", None),
    ],
)
async def test_add_refuses_bad_input(
    client: Client, body: dict[str, Any], code: str, message: str | None
) -> None:
    api = await sign_in(client)
    status, answer = await api.call("POST", "/api/v1/accounts/mox/suppressions", body)
    assert status == 400
    assert answer["code"] == code
    if message is not None:
        assert answer["message"] == message


async def test_expires_as_rfc3339(client: Client) -> None:
    api = await sign_in(client)
    status, entry = await api.call(
        "POST",
        "/api/v1/accounts/mox/suppressions",
        {"address": "t@example.org", "expires": "2099-01-31T12:00:00+01:00"},
    )
    assert status == 201
    assert entry["expires"] == "2099-01-31T11:00:00.000000Z"


async def test_xss_address_is_plain_json_text(client: Client, fakemox: FakeMox) -> None:
    api = await sign_in(client)
    resp = await client.post(
        "/api/v1/accounts/mox/suppressions", json={"address": XSS}, headers=api.headers
    )
    assert resp.status == 201
    assert resp.headers["Content-Type"].startswith("application/json")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Cache-Control"] == "no-store"
    entry = json.loads(await resp.text())
    assert entry["original_address"] == XSS
    listed = await api.get("/api/v1/accounts/mox/suppressions", params={"search": "<img"})
    assert [e["original_address"] for e in listed["entries"]] == [XSS]
    info = await api.get("/api/v1/accounts/mox/blocks", params={"address": XSS})
    assert info["address"] == XSS and XSS in info["explanation"]


async def test_list_filters_and_paging(client: Client) -> None:
    api = await sign_in(client)
    base = "/api/v1/accounts/mox/suppressions"
    ids = {}
    for addr, scope, expires in (
        ("a1@example.org", "", ""),
        ("a2@example.org", "news", ""),
        ("b1@example.com", "", "3d"),
        ("b_2@example.com", "", ""),
        ("a3@example.org", "", ""),
    ):
        status, e = await api.call(
            "POST", base, {"address": addr, "scope": scope, "expires": expires}
        )
        assert status == 201
        ids[addr] = e["id"]
    await api.call("DELETE", f"{base}/{ids['a3@example.org']}")

    async def addresses(**params: str) -> list[str]:
        body = await api.get(base, params=params)
        return [e["original_address"] for e in body["entries"]]

    # Newest first; ended entries only on request.
    assert await addresses() == [
        "b_2@example.com",
        "b1@example.com",
        "a2@example.org",
        "a1@example.org",
    ]
    assert await addresses(active="false") == ["a3@example.org"]
    assert len(await addresses(active="all")) == 5
    assert await addresses(search="example.com") == ["b_2@example.com", "b1@example.com"]
    assert await addresses(search="_") == ["b_2@example.com"]  # not a LIKE wildcard
    assert await addresses(scope="news") == ["a2@example.org"]
    assert "a2@example.org" not in await addresses(scope="-")
    assert await addresses(expiring="true") == ["b1@example.com"]
    assert await addresses(kind="manual", source="manual") == await addresses()
    assert await addresses(kind="complaint") == []
    page = await api.get(base, params={"limit": "2"})
    assert (len(page["entries"]), page["has_more"], page["limit"], page["offset"]) == (
        2,
        True,
        2,
        0,
    )
    page = await api.get(base, params={"limit": "2", "offset": "2"})
    assert (len(page["entries"]), page["has_more"]) == (2, False)
    for params in (
        {"limit": "0"},
        {"limit": "501"},
        {"offset": "-1"},
        {"active": "maybe"},
        {"expiring": "perhaps"},
    ):
        status, body = await api.call("GET", base, params=params)
        assert (status, body["code"]) == (400, "badRequest"), params


async def test_list_pages_with_before(client: Client) -> None:
    api = token(client)
    base = "/api/v1/accounts/mox/suppressions"

    def names(wanted: Iterable[int]) -> list[str]:
        # "hit" (3 letters) is searched through SQLite's trigram index.
        return [f"{'hit' if i % 3 == 0 else 'miss'}{i:03}@example.org" for i in wanted]

    store = client.app[RUNTIME_KEY].store
    added = await store.suppressions.add_many(
        NewEntry("mox", a, a, "manual", "manual", "", "t", scope="news" if i % 4 == 0 else "")
        for i, a in enumerate(names(range(250)))
    )
    assert added == (250, 0)

    async def walk(**params: str) -> list[str]:
        """Every page by before, checking has_more and next_before on each."""
        seen: list[str] = []
        late = None
        page = await api.get(base, params={**params, "limit": "40"})
        while True:
            seen += [e["original_address"] for e in page["entries"]]
            assert page["offset"] == 0
            if not page["has_more"]:
                assert page["next_before"] is None
                break
            assert page["next_before"] == page["entries"][-1]["id"]
            if late is None:
                # A new entry between pages, matching the filters, shifts nothing after it.
                status, late = await api.call("POST", base, {"address": "hit999@example.org"})
                assert status == 201
            before = str(page["next_before"])
            page = await api.get(base, params={**params, "limit": "40", "before": before})
        assert late is not None
        status, _ = await api.call("DELETE", f"{base}/{late['id']}")
        assert status == 200
        return seen

    newest_first = range(249, -1, -1)
    assert await walk() == names(newest_first)
    assert await walk(search="hit") == names(i for i in newest_first if i % 3 == 0)
    assert await walk(search="hit", scope="-") == names(
        i for i in newest_first if i % 3 == 0 and i % 4 != 0
    )
    assert await walk(scope="news", active="all") == names(i for i in newest_first if i % 4 == 0)
    # before=0 is no bound, like a missing before.
    first = await api.get(base, params={"limit": "50", "before": "0"})
    assert (first["has_more"], len(first["entries"])) == (True, 50)
    assert first["entries"][0]["original_address"] == "hit249@example.org"


async def test_blocks_explains_the_base_address_rule(client: Client) -> None:
    api = await sign_in(client)
    url = "/api/v1/accounts/mox/blocks"
    info = await api.get(url, params={"address": "mary-jane@example.org"})
    assert info["address"] == "mary-jane@example.org"
    assert info["base_address"] == "mary@example.org"
    for ex in ("mary@example.org", "m.a.r.y@example.org", "mary+anything@example.org"):
        assert ex in info["examples"]
        assert ex in info["explanation"]
    assert info["blocked_by"] == []
    status, _ = await api.call(
        "POST", "/api/v1/accounts/mox/suppressions", {"address": "M.A.R.Y+list@example.org"}
    )
    assert status == 201
    info = await api.get(url, params={"address": "mary-jane@example.org"})
    assert [e["original_address"] for e in info["blocked_by"]] == ["M.A.R.Y+list@example.org"]
    status, body = await api.call("GET", url, params={"address": "nope"})
    assert (status, body["code"]) == (400, "badAddress")
    status, body = await api.call("GET", url)
    assert (status, body["code"]) == (400, "badAddress")


# ---- CSV ----------------------------------------------------------------------------------


async def test_csv_import_streams_large_files_and_reports_rows(client: Client) -> None:
    api = await sign_in(client)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["address", "scope", "kind", "reason"])
    for i in range(12000):
        addr, kind, reason = f"user{i}@example.org", "manual", "x" * 80
        if i == 4997:
            reason = "line one\nline two"  # a quoted field over two lines, near a batch end
        if i == 7000:
            addr = "not an address"
        if i == 11000:
            kind = "bogus"
        if i == 100:
            addr = "User99@example.org"  # the same base address as row 99
        w.writerow([addr, "news", kind, reason])
    body = out.getvalue().encode()
    assert len(body) > 1024 * 1024  # more than aiohttp's default body limit
    status, report = await api.call(
        "POST",
        "/api/v1/accounts/mox/suppressions/import",
        data=body,
        headers={"Content-Type": "text/csv"},
    )
    assert status == 200, report
    assert report["added"] == 11997
    assert report["already_present"] == 1
    assert report["rejected_total"] == 2
    lines = [r["line"] for r in report["rejected"]]
    assert lines == [7003, 11003]  # row i is on line i + 2, after the two-line row i + 3
    assert "not an address" in report["rejected"][0]["error"]
    assert "bogus" in report["rejected"][1]["error"]
    found = await api.get("/api/v1/accounts/mox/suppressions", params={"search": "user4997@"})
    assert found["entries"][0]["reason"] == "line one\nline two"
    assert found["entries"][0]["source"] == "import"

    resp = await client.get("/api/v1/accounts/mox/suppressions.csv", headers=api.headers)
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert resp.headers["Transfer-Encoding"] == "chunked"
    assert "attachment" in resp.headers["Content-Disposition"]
    exported = await resp.read()
    rows = list(csv.reader(io.StringIO(exported.decode())))
    assert rows[0][:3] == ["address", "base_address", "scope"]
    assert len(rows) == 1 + 11997
    # The export imports back as "already present".
    status, report = await api.call(
        "POST",
        "/api/v1/accounts/mox/suppressions/import",
        data=exported,
        headers={"Content-Type": "text/csv"},
    )
    assert (report["added"], report["already_present"], report["rejected"]) == (0, 11997, [])


@pytest.mark.parametrize(
    ("data", "ctype", "status", "code"),
    [
        (b"", "text/csv", 400, "badCsv"),
        (b"email\nx@example.org\n", "text/csv", 400, "badCsv"),
        (b"address\n\xff\xfe\n", "text/csv", 400, "badCsv"),
        (b"address\nx@example.org\n", "application/json", 415, "unsupportedMediaType"),
    ],
)
async def test_csv_import_refuses_bad_files(
    client: Client, data: bytes, ctype: str, status: int, code: str
) -> None:
    api = await sign_in(client)
    got, body = await api.call(
        "POST",
        "/api/v1/accounts/mox/suppressions/import",
        data=data,
        headers={"Content-Type": ctype},
    )
    assert (got, body["code"]) == (status, code)


async def test_csv_import_without_final_newline_and_with_bom(client: Client) -> None:
    api = await sign_in(client)
    status, report = await api.call(
        "POST",
        "/api/v1/accounts/mox/suppressions/import",
        data="\ufeffaddress,reason\r\na@example.org,one\r\nb@example.org,two".encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert (status, report["added"], report["rejected"]) == (200, 2, [])
    listed = await api.get("/api/v1/accounts/mox/suppressions")
    assert sorted(e["reason"] for e in listed["entries"]) == ["one", "two"]


# ---- Events and statistics ----------------------------------------------------------------


async def post_events(client: Client, fakemox: FakeMox, events: list[dict[str, Any]]) -> None:
    async with MoxSender(
        str(client.make_url("/hooks/outgoing/mox")), authorization=f"Bearer {SECRET}"
    ) as sender:
        for ev in events:
            attempts = await sender.deliver(ev)
            assert attempts[-1].ok
    rt = client.app[RUNTIME_KEY]

    async def processed() -> bool:
        return await rt.store.events.pending_count() == 0

    await wait_for(processed, what="events processed")


async def test_events_and_stats(client: Client, fakemox: FakeMox) -> None:
    fakemox.add_retired(1, "mox", "ok@example.org", success=True)
    fakemox.add_retired(2, "mox", "gone1@example.org", 550, "5.1.1", "no such user")
    fakemox.add_retired(3, "mox", "gone2@example.org", 550, "5.1.1", "no such user")
    fakemox.add_queued(4, "mox", "slow@example.org")
    await post_events(
        client,
        fakemox,
        [
            outgoing_event("delivered", queue_msg_id=1),
            outgoing_event("failed", queue_msg_id=2, code=550, secode="5.1.1"),
            outgoing_event("failed", queue_msg_id=3, code=550, secode="5.1.1"),
            outgoing_event("delayed", queue_msg_id=4, code=451, secode="4.0.0"),
        ],
    )
    api = await sign_in(client)
    base = "/api/v1/accounts/mox"
    events = (await api.get(f"{base}/events"))["events"]
    assert [e["queue_msg_id"] for e in events] == [4, 3, 2, 1]
    failed = (await api.get(f"{base}/events", params={"event": "failed"}))["events"]
    assert {e["recipient"] for e in failed} == {"gone1@example.org", "gone2@example.org"}
    assert {e["kind"] for e in failed} == {"mailbox_unknown"}
    by_kind = await api.get(f"{base}/events", params={"kind": "mailbox_unknown", "status": "done"})
    assert len(by_kind["events"]) == 2
    one = await api.get(f"{base}/events", params={"address": "Gone1+x@example.org"})
    assert [e["queue_msg_id"] for e in one["events"]] == [2]
    page = await api.get(f"{base}/events", params={"limit": "2"})
    older = await api.get(
        f"{base}/events", params={"limit": "2", "before": str(page["events"][-1]["id"])}
    )
    assert [e["queue_msg_id"] for e in page["events"] + older["events"]] == [4, 3, 2, 1]

    # The entry made by a failure shows the event behind it.
    entries = (await api.get(f"{base}/suppressions"))["entries"]
    gone1 = next(e for e in entries if e["base_address"] == "gone1@example.org")
    detail = await api.get(f"{base}/suppressions/{gone1['id']}")
    assert detail["entry"]["source"] == "webhook"
    assert [e["queue_msg_id"] for e in detail["events"]] == [2]

    stats = await api.get(f"{base}/stats", params={"days": "7"})
    assert len(stats["days"]) == 7
    today = stats["days"][-1]
    assert (today["sent"], today["delivered"], today["failed"], today["delayed"]) == (4, 1, 2, 1)
    assert today["failed_by_kind"] == {"mailbox_unknown": 2}
    assert today["suppressions_added"] == 2
    assert today["bounce_rate"] == 0.5
    assert stats["totals"]["sent"] == 4
    assert stats["thresholds"] == {"bounce_rate": 0.02, "complaint_rate": 0.003}
    assert any("bounce rate 50.00%" in w for w in stats["warnings"])
    assert all(d["sent"] == 0 for d in stats["days"][:-1])
    status, body = await api.call("GET", f"{base}/stats", params={"days": "0"})
    assert (status, body["code"]) == (400, "badRequest")


# ---- Admin --------------------------------------------------------------------------------


async def test_admin_accounts_overview(client: Client, fakemox: FakeMox) -> None:
    api = await sign_in(client)
    await api.call("POST", "/api/v1/accounts/mox/suppressions", {"address": "z@example.org"})
    admin = await sign_in_admin(client)
    body = await admin.get("/api/v1/admin/accounts")
    assert body["mox_reachable"] is True
    assert body["mox_servers"] == [
        {"name": "default", "url": fakemox.url, "ok": True, "error": ""}
    ]
    names = [a["name"] for a in body["accounts"]]
    assert names == ["mox", "other"]
    mox = body["accounts"][0]
    assert mox["suppressions"] == 1
    assert mox["suppressions_by_kind"] == {"manual": 1}
    for key in (
        "bounce_rate",
        "complaint_rate",
        "unresolved_events",
        "outbox_backlog",
        "sent_30d",
        "auto_holds",
        "login",
    ):
        assert key in mox


async def test_admin_overview_when_mox_is_down(client: Client, fakemox: FakeMox) -> None:
    admin = await sign_in_admin(client)
    await fakemox.fail("refuse")
    body = await admin.get("/api/v1/admin/accounts")
    assert body["mox_reachable"] is False
    assert body["mox_error"]
    ((name, ok, error),) = [(m["name"], m["ok"], m["error"]) for m in body["mox_servers"]]
    assert (name, ok, error) == ("default", False, body["mox_error"])


async def test_hold_rules(client: Client, fakemox: FakeMox) -> None:
    admin = await sign_in_admin(client)
    url = "/api/v1/admin/holdrules"
    assert (await admin.get(url))["rules"] == []
    status, rule = await admin.call("POST", url, {"recipient_domain": "Example.COM"})
    assert status == 201
    assert rule == {
        "id": rule["id"],
        "account": "",
        "sender_domain": "",
        "recipient_domain": "example.com",
        "auto": None,
    }
    held = fakemox.add_queued(recipient="a@example.com")
    other = fakemox.add_queued(recipient="b@example.org")
    fakemox.queue[other["ID"]]["Hold"] = True  # held by hand, not by the rule
    assert fakemox.queue[held["ID"]]["Hold"] is True
    listed = await admin.get(url)
    assert listed["rules"] == [rule]
    status, body = await admin.call("POST", f"{url}/{rule['id']}/release")
    assert (status, body) == (200, {"released": 1})
    assert fakemox.queue[held["ID"]]["Hold"] is False
    assert fakemox.queue[other["ID"]]["Hold"] is True
    status, body = await admin.call("DELETE", f"{url}/{rule['id']}")
    assert (status, body) == (200, {})
    assert fakemox.hold_rules == {}
    for method, path in (("DELETE", f"{url}/{rule['id']}"), ("POST", f"{url}/99/release")):
        status, body = await admin.call(method, path)
        assert (status, body["code"]) == (404, "notFound")
    # mox refuses a bad domain with its own words.
    status, body = await admin.call("POST", url, {"recipient_domain": "bad domain!"})
    assert (status, body["code"]) == (422, "moxRefused")
    assert "parsing recipient domain" in body["message"]
    status, body = await admin.call("POST", url, {"account": 5})
    assert (status, body["code"]) == (400, "badRequest")
    # mox ORs a rule's fields: a rule with two would hold far more than it says.
    status, body = await admin.call(
        "POST", url, {"account": "mox", "recipient_domain": "example.com"}
    )
    assert (status, body) == (400, {
        "code": "badRequest",
        "message": "mox holds a message when any one field of a rule matches, so a rule with"
        " several fields holds more than it says: add one rule for each field",
    })
    assert fakemox.hold_rules == {}
    # All actions are in the audit log.
    log = (await admin.get("/api/v1/admin/audit"))["entries"]
    assert [e["action"] for e in log] == ["hold_rule_removed", "hold_released", "hold_rule_added"]
    assert {e["actor"] for e in log} == {"web:admin"}


async def test_hold_rules_when_mox_is_down(client: Client, fakemox: FakeMox) -> None:
    admin = await sign_in_admin(client)
    await fakemox.fail("refuse")
    for method, path, body in (
        ("GET", "/api/v1/admin/holdrules", None),
        ("POST", "/api/v1/admin/holdrules", {"recipient_domain": "example.com"}),
        ("DELETE", "/api/v1/admin/holdrules/1", None),
        ("POST", "/api/v1/admin/holdrules/1/release", None),
    ):
        status, answer = await admin.call(method, path, body)
        assert (status, answer["code"]) == (503, "moxUnavailable"), (method, path)


async def test_audit_log_filters_and_pages(client: Client) -> None:
    mine, other = await sign_in(client), token(client, OTHER_TOKEN)
    for i in range(3):
        await mine.call(
            "POST", "/api/v1/accounts/mox/suppressions", {"address": f"m{i}@example.org"}
        )
    await other.call("POST", "/api/v1/accounts/other/suppressions", {"address": "o@example.org"})
    admin = await sign_in_admin(client)
    url = "/api/v1/admin/audit"
    everything = (await admin.get(url))["entries"]
    assert [e["account"] for e in everything] == ["other", "mox", "mox", "mox"]
    assert everything[0]["actor"] == "api:other"
    only_mox = (await admin.get(url, params={"account": "mox"}))["entries"]
    assert len(only_mox) == 3
    first = (await admin.get(url, params={"limit": "2"}))["entries"]
    rest = (await admin.get(url, params={"before": str(first[-1]["id"])}))["entries"]
    assert [e["id"] for e in first + rest] == [e["id"] for e in everything]


async def test_answers_are_checked_against_the_document(
    client: Client, openapi_checked: Checked
) -> None:
    api = await sign_in(client)
    await api.get("/api/v1/accounts/mox/suppressions")
    status, _ = await api.call("GET", "/api/v1/accounts/nobody/suppressions")
    assert status == 403
    assert ("GET", "/api/v1/accounts/mox/suppressions", 200) in openapi_checked.validated
    assert ("GET", "/api/v1/accounts/nobody/suppressions", 403) in openapi_checked.validated


@pytest.mark.parametrize(
    ("status", "body", "why"),
    [
        (200, {"role": "nobody", "csrf": "x", "via": "session"}, "'nobody' is not one of"),
        (200, {"role": "admin", "via": "session"}, "'csrf' is a required property"),
        (418, {"code": "server", "message": "teapot"}, "ResponseNotFound"),
        (401, {"code": "noSuchCode", "message": "x"}, "'noSuchCode' is not one of"),
    ],
)
async def test_the_check_refuses_what_the_document_does_not_allow(
    aiohttp_client: Any, status: int, body: dict[str, Any], why: str
) -> None:
    """An app that answers GET /api/v1/session with something else fails the check."""

    async def session(request: web.Request) -> web.Response:
        return web.json_response(body, status=status)

    app = web.Application()
    app.router.add_get("/api/v1/session", session)
    client = await aiohttp_client(app)
    with pytest.raises(AssertionError, match=why):
        await client.get("/api/v1/session")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("limit=0", "limit must be a whole number from 1 to 500"),
        ("limit=" + "9" * 5000, "limit must be a whole number from 1 to 500"),
        ("offset=-1", "offset must be a whole number from 0 to 1000000000"),
        ("before=x", "before must be a whole number from 0 to 9223372036854775807"),
        ("before=5&offset=5", "before and offset cannot be given together"),
        ("active=maybe", "active must be true, false or all"),
        ("expiring=yes", "expiring must be true or false"),
    ],
)
async def test_query_parameters_are_read_through_the_model(
    client: Client, query: str, message: str
) -> None:
    api = await sign_in(client)
    status, body = await api.call("GET", f"/api/v1/accounts/mox/suppressions?{query}")
    assert (status, body["code"], body["message"]) == (400, "badRequest", message)
