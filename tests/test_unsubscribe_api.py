"""Unsubscribe links over HTTP: RFC 8058 one-click (POST /u/{token}), the page that
changes nothing (GET /u/{token}), and the preference page's JSON API (/u/{token}/prefs)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from conftest import SECRET, Clock, wait_for
from fakemox import FakeMox

from moxhooks.jobs.unsubscribe import BAD_TOKEN, issue_link
from moxhooks.kinds import Kind, Source
from moxhooks.mail.dnscheck import DomainChecker
from moxhooks.mox.client import MoxClient
from moxhooks.runtime.supervisor import in_process
from moxhooks.runtime.web import WebRuntime
from moxhooks.store import NewEntry, Suppression
from moxhooks.web.app import create_app
from moxhooks.web.keys import RUNTIME_KEY
from moxhooks.web.pages import CSP

# Every JSON answer is checked against the OpenAPI document (tests/openapi_check.py).
pytestmark = pytest.mark.openapi_responses

Client = TestClient[web.Request, web.Application]
TOPICS = [
    {"name": "news", "description": "The monthly newsletter"},
    {"name": "offers", "description": "Special offers"},
]
ACCOUNT = {
    "name": "mox",
    "login": "mox@localhost",
    "password": "moxmoxmox",
    "webhook_secret": SECRET,
    "api_token": "api-token-for-tests",
    "topics": TOPICS,
}
ADDRESS = "John.Doe@example.org"
BASE = "johndoe@example.org"
ONE_CLICK = "List-Unsubscribe=One-Click"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
XRW = {"X-Requested-With": "moxhooks"}


@pytest.fixture
async def client(make_config: Any, clock: Clock, aiohttp_client: Any) -> AsyncIterator[Client]:
    cfg = make_config(accounts=[ACCOUNT])
    async with MoxClient(cfg.default_mox.url, timeout=2) as mc:
        dns = DomainChecker(nameservers=cfg.dns.nameservers, port=cfg.dns.port, timeout=0.5)
        c: Client = await aiohttp_client(create_app(cfg, mox=mc, clock=clock, worker=in_process(dns=dns, clock=clock)))
        yield c
        await c.close()


def runtime(client: Client) -> WebRuntime:
    return client.app[RUNTIME_KEY]


async def link(client: Client, topic: str = "news", address: str = ADDRESS) -> str:
    _, token = await issue_link(
        runtime(client).store.unsubscribe, "mox", address, topic, "<m1@localhost>"
    )
    return token


@dataclass
class Snapshot:
    entries: list[dict[str, Any]]
    audit: int
    outbox: int


async def snapshot(client: Client) -> Snapshot:
    db = runtime(client).store.db
    rows = await db.fetchall("SELECT * FROM suppressions ORDER BY id")
    audit = await db.fetchone("SELECT COUNT(*) FROM audit")
    outbox = await db.fetchone("SELECT COUNT(*) FROM outbox")
    assert audit is not None and outbox is not None
    return Snapshot([dict(r) for r in rows], int(audit[0]), int(outbox[0]))


async def active(client: Client, scope: str | None = None) -> list[Suppression]:
    entries = await runtime(client).store.suppressions.list("mox", scope=scope)
    return entries


async def prefs(client: Client, token: str) -> dict[str, Any]:
    resp = await client.get(f"/u/{token}/prefs", headers=XRW)
    assert resp.status == 200, await resp.text()
    body: dict[str, Any] = await resp.json()
    return body


async def act(client: Client, token: str, **body: str) -> tuple[int, dict[str, Any]]:
    resp = await client.post(f"/u/{token}/prefs", json=body, headers=XRW)
    return resp.status, await resp.json()


def state(p: dict[str, Any], scope: str) -> str:
    if scope == "":
        return str(p["everything"]["state"])
    return str(next(t["state"] for t in p["topics"] if t["name"] == scope))


# ---- GET changes nothing ------------------------------------------------------------------


async def test_get_serves_the_page_and_changes_nothing(client: Client) -> None:
    token = await link(client)
    before = await snapshot(client)
    for method in ("GET", "HEAD"):
        resp = await client.request(method, f"/u/{token}")
        assert resp.status == 200
        assert resp.headers["Content-Security-Policy"] == CSP
        assert resp.headers["Referrer-Policy"] == "no-referrer"
        assert resp.headers["Cache-Control"] == "no-store"
        assert resp.headers["X-Frame-Options"] == "DENY"
        assert resp.headers["Content-Type"].startswith("text/html")
    html = await (await client.get(f"/u/{token}")).text()
    assert 'src="../static/unsubscribe.js"' in html and "<script>" not in html
    assert ADDRESS not in html  # the page gets the masked address from prefs, never the address
    p = await prefs(client, token)
    assert p["address"] == "J\u2022\u2022\u2022@example.org"
    assert p["topic"] == {"name": "news", "description": "The monthly newsletter"}
    assert [(t["name"], t["state"]) for t in p["topics"]] == [
        ("news", "subscribed"),
        ("offers", "subscribed"),
    ]
    assert p["everything"] == {"state": "subscribed", "until": None}
    assert [x["id"] for x in p["periods"]] == ["1w", "1m", "3m"]
    assert await snapshot(client) == before
    assert await active(client) == []


# ---- One-click ----------------------------------------------------------------------------


async def test_one_click_unsubscribes_from_the_links_topic(
    client: Client, fakemox: FakeMox
) -> None:
    token = await link(client)
    resp = await client.post(f"/u/{token}", data=ONE_CLICK, headers=FORM)
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert await resp.text() == "unsubscribed"
    [entry] = await active(client)
    assert (entry.base_address, entry.original_address, entry.scope) == (BASE, ADDRESS, "news")
    assert (entry.kind, entry.source, entry.expires, entry.mox_state) == (
        Kind.UNSUBSCRIBED, Source.UNSUBSCRIBE, None, "n/a"
    )  # fmt: skip
    assert entry.created_by == "unsubscribe:one-click"
    assert "<m1@localhost>" in entry.reason
    history = await runtime(client).store.suppressions.history(entry.id)
    assert [h["action"] for h in history] == ["added"]
    # A topic entry stays in moxhooks: mox only knows account-wide ones.
    assert fakemox.suppressions("mox") == []
    assert state(await prefs(client, token), "news") == "unsubscribed"
    assert state(await prefs(client, token), "offers") == "subscribed"


async def test_one_click_is_idempotent(client: Client) -> None:
    token = await link(client)
    for _ in range(3):
        resp = await client.post(f"/u/{token}", data=ONE_CLICK, headers=FORM)
        assert (resp.status, await resp.text()) == (200, "unsubscribed")
    [entry] = await active(client)
    history = await runtime(client).store.suppressions.history(entry.id)
    assert [h["action"] for h in history] == ["added"]


async def test_one_click_multipart_is_taken_too(client: Client) -> None:
    """RFC 8058 allows multipart/form-data as well."""
    import aiohttp

    token = await link(client)
    form = aiohttp.FormData()
    form.add_field("List-Unsubscribe", "One-Click")
    form.add_field("x", "y", filename="x.txt")  # forces multipart
    resp = await client.post(f"/u/{token}", data=form)
    assert resp.status == 200
    assert len(await active(client)) == 1


async def test_one_click_without_topic_is_account_wide_and_reaches_mox(
    client: Client, fakemox: FakeMox
) -> None:
    token = await link(client, topic="")
    resp = await client.post(f"/u/{token}", data=ONE_CLICK, headers=FORM)
    assert resp.status == 200
    [entry] = await active(client)
    assert entry.scope == ""

    async def in_mox() -> bool:
        return [s["BaseAddress"] for s in fakemox.suppressions("mox")] == [BASE]

    await wait_for(in_mox, what="the unsubscribe in mox")
    got = await runtime(client).store.suppressions.get("mox", entry.id)
    assert got is not None and got.mox_state == "synced"


async def test_one_click_makes_a_pause_permanent(client: Client) -> None:
    token = await link(client)
    status, _ = await act(client, token, action="pause", scope="news", period="1w")
    assert status == 200
    resp = await client.post(f"/u/{token}", data=ONE_CLICK, headers=FORM)
    assert resp.status == 200
    [entry] = await active(client)
    assert entry.expires is None and entry.kind == Kind.UNSUBSCRIBED
    history = await runtime(client).store.suppressions.history(entry.id)
    assert [h["action"] for h in history] == ["added", "changed"]


@pytest.mark.parametrize(
    "body,headers",
    [
        ("", FORM),
        ("List-Unsubscribe=Yes", FORM),
        ("list-unsubscribe=one-click", FORM),
        ("Unsubscribe=One-Click", FORM),
        (ONE_CLICK, {"Content-Type": "text/plain"}),
        (json.dumps({"List-Unsubscribe": "One-Click"}), {"Content-Type": "application/json"}),
    ],
)
async def test_one_click_with_a_wrong_body_is_400(
    client: Client, body: str, headers: dict[str, str]
) -> None:
    token = await link(client)
    before = await snapshot(client)
    resp = await client.post(f"/u/{token}", data=body, headers=headers)
    assert resp.status == 400
    assert await resp.json() == {
        "code": "badRequest",
        "message": "the body must be the form List-Unsubscribe=One-Click (RFC 8058)",
    }
    assert await snapshot(client) == before


# ---- Refused tokens -----------------------------------------------------------------------


def _tamper(token: str) -> str:
    c = token[5]
    return token[:5] + ("B" if c != "B" else "C") + token[6:]


async def test_a_refused_token_is_one_clear_404(client: Client) -> None:
    token = await link(client)
    before = await snapshot(client)
    for bad in (_tamper(token), "nonsense", "x" * 27 + "." + "y" * 22, token + "x"):
        resp = await client.get(f"/u/{bad}")
        assert resp.status == 404
        assert resp.headers["Content-Type"] == "text/html; charset=utf-8"
        assert resp.headers["Content-Security-Policy"] == CSP
        html = await resp.text()
        assert "This link is not valid" in html and "Traceback" not in html
        assert "<script" not in html and bad not in html
        resp = await client.post(f"/u/{bad}", data=ONE_CLICK, headers=FORM)
        assert (resp.status, await resp.json()) == (404, {"code": "badToken", "message": BAD_TOKEN})
        resp = await client.get(f"/u/{bad}/prefs", headers=XRW)
        assert (resp.status, (await resp.json())["code"]) == (404, "badToken")
        status, body = await act(client, bad, action="unsubscribe", scope="")
        assert (status, body["code"]) == (404, "badToken")
    assert await snapshot(client) == before


async def test_a_link_of_a_key_past_its_time_is_refused(client: Client, clock: Clock) -> None:
    token = await link(client)
    await runtime(client).store.unsubscribe.rotate_key("test")
    clock.advance(timedelta(days=29))
    assert (await client.get(f"/u/{token}")).status == 200
    clock.advance(timedelta(days=2))
    assert (await client.get(f"/u/{token}")).status == 404
    resp = await client.post(f"/u/{token}", data=ONE_CLICK, headers=FORM)
    assert resp.status == 404
    assert await active(client) == []


# ---- The preference page's API ------------------------------------------------------------


async def test_prefs_need_the_header_a_form_cannot_send(client: Client) -> None:
    token = await link(client)
    before = await snapshot(client)
    resp = await client.get(f"/u/{token}/prefs")
    assert (resp.status, (await resp.json())["code"]) == (403, "forbidden")
    # A cross-site form: no custom header, a form body.
    resp = await client.post(f"/u/{token}/prefs", data="action=unsubscribe&scope=", headers=FORM)
    assert (resp.status, (await resp.json())["code"]) == (403, "forbidden")
    # With the header but a form body: still no.
    resp = await client.post(
        f"/u/{token}/prefs", data="action=unsubscribe&scope=", headers={**FORM, **XRW}
    )
    assert (resp.status, (await resp.json())["code"]) == (415, "unsupportedMediaType")
    assert await snapshot(client) == before


@pytest.mark.parametrize(
    "body,status,code",
    [
        ({"action": "delete", "scope": ""}, 400, "badRequest"),
        ({"scope": ""}, 400, "badRequest"),
        ({"action": "unsubscribe"}, 400, "badRequest"),
        ({"action": "unsubscribe", "scope": "sports"}, 400, "unknownTopic"),
        ({"action": "pause", "scope": "news"}, 400, "badRequest"),
        ({"action": "pause", "scope": "news", "period": "1y"}, 400, "badRequest"),
        ({"action": "unsubscribe", "scope": 5}, 400, "badRequest"),
    ],
)
async def test_bad_preference_requests(
    client: Client, body: dict[str, Any], status: int, code: str
) -> None:
    token = await link(client)
    before = await snapshot(client)
    got, answer = await act(client, token, **body)
    assert (got, answer["code"]) == (status, code)
    assert await snapshot(client) == before


async def test_pause_a_topic_then_it_ends_by_itself(client: Client, clock: Clock) -> None:
    token = await link(client)
    status, p = await act(client, token, action="pause", scope="offers", period="1w")
    assert status == 200
    assert state(p, "offers") == "paused" and state(p, "news") == "subscribed"
    [entry] = await active(client)
    assert (entry.scope, entry.kind, entry.source) == ("offers", "unsubscribed", "unsubscribe")
    assert entry.expires is not None and entry.reason.startswith("paused until ")
    assert "(1 week)" in entry.reason
    until = next(t["until"] for t in p["topics"] if t["name"] == "offers")
    assert until == entry.expires
    clock.advance(timedelta(days=6, hours=23))
    assert state(await prefs(client, token), "offers") == "paused"
    clock.advance(timedelta(hours=2))
    # Unexpired entries only: the page and the relay see the pause gone at once ...
    assert state(await prefs(client, token), "offers") == "subscribed"
    # ... and the expiry ends it for good: here, or first by the worker's sync, which runs the
    # same expiry whenever it is woken (a race the CI dry run met once).
    assert await runtime(client).store.suppressions.expire_due() in (0, 1)
    assert await active(client) == []
    ended = await runtime(client).store.suppressions.get("mox", entry.id)
    assert ended is not None and ended.ended_by == "expiry"


@pytest.mark.parametrize("period,days", [("1w", 7), ("1m", 30), ("3m", 90)])
async def test_pause_periods(client: Client, clock: Clock, period: str, days: int) -> None:
    token = await link(client)
    status, _ = await act(client, token, action="pause", scope="news", period=period)
    assert status == 200
    [entry] = await active(client)
    assert entry.expires is not None
    from moxhooks.store import parse_iso

    left = parse_iso(entry.expires) - clock()
    assert timedelta(days=days) - timedelta(minutes=1) < left <= timedelta(days=days)


async def test_unsubscribe_from_everything_and_back(client: Client, fakemox: FakeMox) -> None:
    token = await link(client)
    status, p = await act(client, token, action="unsubscribe", scope="")
    assert status == 200 and state(p, "") == "unsubscribed"
    [entry] = await active(client)
    assert (entry.scope, entry.created_by) == ("", "unsubscribe:page")

    async def mox_has(bases: list[str]) -> bool:
        return [s["BaseAddress"] for s in fakemox.suppressions("mox")] == bases

    await wait_for(lambda: mox_has([BASE]), what="the entry in mox")
    status, p = await act(client, token, action="resubscribe", scope="")
    assert status == 200 and state(p, "") == "subscribed"
    assert await active(client) == []
    await wait_for(lambda: mox_has([]), what="the entry gone from mox")
    history = await runtime(client).store.suppressions.history(entry.id)
    assert [h["action"] for h in history] == ["added", "ended"]
    assert history[1]["detail"] == "resubscribed to everything on the preference page"


async def test_topic_switches(client: Client) -> None:
    token = await link(client)
    _, p = await act(client, token, action="unsubscribe", scope="offers")
    assert state(p, "offers") == "unsubscribed"
    # Pausing an unsubscribed topic makes it a pause; unsubscribing again makes it permanent.
    _, p = await act(client, token, action="pause", scope="offers", period="1m")
    assert state(p, "offers") == "paused"
    _, p = await act(client, token, action="unsubscribe", scope="offers")
    assert state(p, "offers") == "unsubscribed"
    [entry] = await active(client)
    _, p = await act(client, token, action="resubscribe", scope="offers")
    assert state(p, "offers") == "subscribed"
    history = await runtime(client).store.suppressions.history(entry.id)
    assert [h["action"] for h in history] == ["added", "changed", "changed", "ended"]
    # Resubscribing where nothing is: nothing happens.
    before = await snapshot(client)
    status, _ = await act(client, token, action="resubscribe", scope="offers")
    assert status == 200 and await snapshot(client) == before


async def _add(client: Client, kind: Kind, source: Source, scope: str = "", **kw: Any) -> int:
    entry = await runtime(client).store.suppressions.add(
        NewEntry(
            account="mox",
            original_address=ADDRESS,
            base_address=BASE,
            kind=kind,
            source=source,
            reason="test",
            created_by="test",
            scope=scope,
            **kw,
        )
    )
    assert entry is not None
    return entry.id


@pytest.mark.parametrize(
    "kind,source",
    [
        (Kind.COMPLAINT, Source.COMPLAINT),
        (Kind.MAILBOX_UNKNOWN, Source.WEBHOOK),
        (Kind.MANUAL, Source.MANUAL),
        (Kind.UNSUBSCRIBED, Source.MANUAL),  # a person's entry, not the recipient's
    ],
)
async def test_resubscribe_never_ends_entries_of_other_kinds(
    client: Client, kind: Kind, source: Source
) -> None:
    token = await link(client, topic="")
    other = await _add(client, kind, source)
    status, p = await act(client, token, action="resubscribe", scope="")
    assert status == 200 and state(p, "") == "blocked"
    entry = await runtime(client).store.suppressions.get("mox", other)
    assert entry is not None and entry.ended is None and entry.kind == kind
    # Unsubscribing on top of it changes it neither; the wish is noted in its history.
    resp = await client.post(f"/u/{token}", data=ONE_CLICK, headers=FORM)
    assert resp.status == 200
    status, p = await act(client, token, action="unsubscribe", scope="")
    assert status == 200 and state(p, "") == "blocked"
    entry = await runtime(client).store.suppressions.get("mox", other)
    assert entry is not None and entry.ended is None and entry.kind == kind
    history = await runtime(client).store.suppressions.history(other)
    assert [h["action"] for h in history] == ["added", "unsubscribe_noted", "unsubscribe_noted"]


async def test_an_unsubscribe_outlasts_a_shorter_block_of_another_kind(
    client: Client, clock: Clock
) -> None:
    """A mailbox that was full is blocked for a week; the recipient who unsubscribes
    must not be mailed again when that week is over."""
    token = await link(client, topic="")
    other = await _add(
        client, Kind.MAILBOX_FULL, Source.WEBHOOK, expires=clock() + timedelta(days=7)
    )
    resp = await client.post(f"/u/{token}", data=ONE_CLICK, headers=FORM)
    assert resp.status == 200
    entry = await runtime(client).store.suppressions.get("mox", other)
    assert entry is not None
    assert (entry.kind, entry.source, entry.expires) == ("unsubscribed", "unsubscribe", None)
    history = await runtime(client).store.suppressions.history(other)
    assert history[-1]["action"] == "changed"
    assert "was mailbox_full from webhook" in history[-1]["detail"]


async def test_a_link_names_only_its_own_recipient(client: Client) -> None:
    """Another address's entries (even with the same domain) are not the link's business."""
    token = await link(client)
    await link(client, address="jane@example.org")
    _, p = await act(client, token, action="unsubscribe", scope="")
    entries = await active(client)
    assert [e.base_address for e in entries] == [BASE]
    assert p["address"] == "J\u2022\u2022\u2022@example.org"


async def test_a_topic_no_longer_configured_still_shows_for_its_link(client: Client) -> None:
    token = await link(client, topic="retired")
    p = await prefs(client, token)
    assert p["topic"] == {"name": "retired", "description": ""}
    assert [t["name"] for t in p["topics"]] == ["news", "offers", "retired"]
    status, p = await act(client, token, action="unsubscribe", scope="retired")
    assert status == 200 and state(p, "retired") == "unsubscribed"
