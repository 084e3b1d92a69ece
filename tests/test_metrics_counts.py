"""The list sizes of /metrics and the admin's accounts page, counted at most every
web.suppression_counts_max_age, on SQLite and on PostgreSQL: the count reads every active
entry (a second at 10 million on PostgreSQL), so a figure is reused until it is that old."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import secrets
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

import aiohttp
import asyncpg
import pytest
from conftest import Moxhooks

from moxhooks.store import SuppressionStore
from moxhooks.store.db import SqliteDatabase
from moxhooks.store.pg.database import PgDatabase

# The /metrics and admin answers are checked against the OpenAPI document.
pytestmark = pytest.mark.openapi_responses

Start = Callable[..., Awaitable[Moxhooks]]
TOKEN = "api-token-for-tests"


@pytest.fixture(params=["sqlite", "postgresql"])
def server_url(request: pytest.FixtureRequest) -> str:
    """The PostgreSQL server's URL, or "" for SQLite (pg_url, started only when asked)."""
    return "" if request.param == "sqlite" else str(request.getfixturevalue("pg_url"))


@pytest.fixture
async def database(server_url: str) -> AsyncIterator[dict[str, str]]:
    """The [database] section: make_config's SQLite file, or an empty PostgreSQL database
    of the test's own."""
    if not server_url:
        yield {}
        return
    name = "mh_counts_" + secrets.token_hex(4)
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        url = urllib.parse.urlunsplit(urllib.parse.urlsplit(server_url)._replace(path="/" + name))
        yield {"url": url}
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def gauge(text: str, account: str, kind: str) -> float | None:
    """moxhooks_suppressions{account, kind} of a /metrics answer, None when not there."""
    for line in text.splitlines():
        m = re.fullmatch(r"moxhooks_suppressions\{(.*)\} (\S+)", line)
        if m and sorted(m[1].split(",")) == [f'account="{account}"', f'kind="{kind}"']:
            return float(m[2])
    return None


class Views:
    """/metrics and the admin's accounts page of a running moxhooks, and an account's API."""

    def __init__(self, mh: Moxhooks, session: aiohttp.ClientSession, csrf: str) -> None:
        self.mh, self.session, self.csrf = mh, session, csrf

    async def add(self, address: str) -> None:
        async with self.session.post(
            self.mh.url + "api/v1/accounts/mox/suppressions", json={"address": address},
            headers={"Authorization": f"Bearer {TOKEN}"},
        ) as r:
            assert r.status == 201, await r.text()

    async def sizes(self) -> tuple[float | None, int]:
        """(the manual entries of account mox in /metrics, its list size on the accounts page)."""
        async with self.session.get(self.mh.url + "metrics") as r:
            assert r.status == 200
            scraped = gauge(await r.text(), "mox", "manual")
        async with self.session.get(
            self.mh.url + "api/v1/admin/accounts", headers={"X-CSRF-Token": self.csrf}
        ) as r:
            assert r.status == 200, await r.text()
            (mox,) = [a for a in (await r.json())["accounts"] if a["name"] == "mox"]
        assert sum(mox["suppressions_by_kind"].values()) == mox["suppressions"]
        return scraped, mox["suppressions"]


async def views(mh: Moxhooks, session: aiohttp.ClientSession) -> Views:
    async with session.post(mh.url + "api/v1/admin/login", json={"password": "moxadmin"}) as r:
        assert r.status == 200, await r.text()
        csrf: str = (await r.json())["csrf"]
    return Views(mh, session, csrf)


def jar() -> aiohttp.CookieJar:
    # The session cookie of a server on 127.0.0.1: aiohttp keeps cookies of IP hosts only
    # when told to.
    return aiohttp.CookieJar(unsafe=True)


async def test_sizes_are_reused_until_max_age_then_counted_again(
    start_moxhooks: Start, database: dict[str, str]
) -> None:
    mh = await start_moxhooks(database=database)
    assert isinstance(mh.runtime.store.db, PgDatabase if database else SqliteDatabase)
    async with aiohttp.ClientSession(cookie_jar=jar()) as s:
        v = await views(mh, s)
        await v.add("first@example.org")
        assert await v.sizes() == (1.0, 1)
        # Added within web.suppression_counts_max_age (30s by default) of that count: both
        # views still show the figure counted before it.
        await v.add("second@example.org")
        assert await v.sizes() == (1.0, 1)
        mh.clock.advance(timedelta(seconds=20))
        assert await v.sizes() == (1.0, 1)
        # Once the figure is 30 seconds old, both count again and show the new entry.
        mh.clock.advance(timedelta(seconds=10))
        assert await v.sizes() == (2.0, 2)
        await v.add("third@example.org")
        assert await v.sizes() == (2.0, 2)
        # A clock set back does not make an old figure look fresh.
        mh.clock.advance(timedelta(seconds=-60))
        assert await v.sizes() == (3.0, 3)


async def test_no_max_age_counts_at_every_request(start_moxhooks: Start) -> None:
    mh = await start_moxhooks(web={"suppression_counts_max_age": "0s"})
    async with aiohttp.ClientSession(cookie_jar=jar()) as s:
        v = await views(mh, s)
        for n in (1, 2):
            await v.add(f"n{n}@example.org")
            assert await v.sizes() == (float(n), n)


def gated(store: SuppressionStore) -> tuple[SuppressionStore, list[int], asyncio.Event]:
    """The same engine's store, whose count() (the real one) waits for the gate to open and
    is counted when called: (store, calls, gate)."""
    calls: list[int] = []
    gate = asyncio.Event()

    class Gated(type(store)):  # type: ignore[misc]
        async def count(self, account: str | None = None) -> list[tuple[str, str, int]]:
            calls.append(1)
            await gate.wait()
            result: list[tuple[str, str, int]] = await super().count(account)
            return result

    return Gated(store.db), calls, gate  # type: ignore[attr-defined]


async def test_requests_during_a_count_wait_for_it(
    start_moxhooks: Start, database: dict[str, str]
) -> None:
    mh = await start_moxhooks(database=database)
    rt = mh.runtime
    suppressions, calls, gate = gated(rt.store.suppressions)
    rt.store = dataclasses.replace(rt.store, suppressions=suppressions)
    async with aiohttp.ClientSession(cookie_jar=jar()) as s:
        v = await views(mh, s)
        await v.add("first@example.org")
        # Eight scrapes and eight views at once, with no figure yet: the first starts the
        # one count; the others, arriving while it runs, wait for it instead of counting.
        asked = [asyncio.create_task(v.sizes()) for _ in range(8)]
        while not calls:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.3)
        assert len(calls) == 1
        gate.set()
        assert await asyncio.gather(*asked) == [(1.0, 1)] * 8
        assert len(calls) == 1
