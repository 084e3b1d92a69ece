"""What only the PostgreSQL store has: its read deadline, its migrations under a lock, its
refusal of a newer schema, and the trigram index serving address search.

The behaviour both backends share is tested on both in tests/test_store_backends.py.
"""

from __future__ import annotations

import asyncio
import secrets
import time
import urllib.parse
from collections.abc import AsyncIterator

import asyncpg
import pytest

from moxhooks.errors import SchemaTooNew
from moxhooks.store import NewEntry, ReadTimeout, Store
from moxhooks.store.pg.database import PgDatabase
from moxhooks.store.pg.migrations import MIGRATIONS


@pytest.fixture
async def fresh_url(pg_url: str) -> AsyncIterator[str]:
    """An empty database of the test's own."""
    name = "mh_pg_" + secrets.token_hex(4)
    admin = await asyncpg.connect(pg_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield urllib.parse.urlunsplit(urllib.parse.urlsplit(pg_url)._replace(path="/" + name))
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def test_a_read_past_its_deadline_is_stopped(fresh_url: str, tmp_path: object) -> None:
    store = await Store.open_postgresql(
        fresh_url, path=f"{tmp_path}/moxhooks.db", readers=2, read_timeout=0.5
    )
    try:
        db = store.db
        assert isinstance(db, PgDatabase)
        t0 = time.monotonic()
        slow = asyncio.create_task(db.fetchall("SELECT pg_sleep(30)"))
        # The other reader answers meanwhile: one slow read holds up no other.
        await asyncio.sleep(0.1)
        assert await store.suppressions.count() == []
        with pytest.raises(ReadTimeout, match="longer than 0.5 s"):
            await slow
        assert time.monotonic() - t0 < 5
        # A deadline of the caller's own, longer or none, instead of the pool's.
        assert await db.fetchall("SELECT pg_sleep(0.7)", timeout=5) is not None
        with pytest.raises(ReadTimeout, match="longer than 0.2 s"):
            await db.fetchall("SELECT pg_sleep(30)", timeout=0.2)
        # The readers are whole again afterwards.
        assert await store.schema_version() == len(MIGRATIONS)
    finally:
        await store.close()


async def test_waiting_for_a_free_reader_counts_against_the_deadline(
    fresh_url: str, tmp_path: object
) -> None:
    store = await Store.open_postgresql(
        fresh_url, path=f"{tmp_path}/moxhooks.db", readers=1, read_timeout=0.5
    )
    try:
        db = store.db
        assert isinstance(db, PgDatabase)
        busy = asyncio.create_task(db.fetchall("SELECT pg_sleep(2)", timeout=5))
        await asyncio.sleep(0.2)
        with pytest.raises(ReadTimeout, match="no database reader free within 0.3 s"):
            await db.fetchall("SELECT 1", timeout=0.3)
        await busy
    finally:
        await store.close()


async def test_nodes_starting_together_migrate_once(fresh_url: str, tmp_path: object) -> None:
    stores = await asyncio.gather(
        *(Store.open_postgresql(fresh_url, path=f"{tmp_path}/n{i}.db") for i in range(4))
    )
    try:
        assert [await s.schema_version() for s in stores] == [len(MIGRATIONS)] * 4
        conn = await asyncpg.connect(fresh_url)
        try:
            assert await conn.fetchval("SELECT COUNT(*) FROM schema_version") == 1
        finally:
            await conn.close()
    finally:
        for s in stores:
            await s.close()


async def test_a_newer_schema_is_refused(fresh_url: str, tmp_path: object) -> None:
    store = await Store.open_postgresql(fresh_url, path=f"{tmp_path}/moxhooks.db")
    await store.close()
    conn = await asyncpg.connect(fresh_url)
    try:
        await conn.execute("UPDATE schema_version SET version = $1", len(MIGRATIONS) + 1)
    finally:
        await conn.close()
    with pytest.raises(SchemaTooNew, match=f"has schema {len(MIGRATIONS) + 1}, this moxhooks"
                       f" knows up to {len(MIGRATIONS)}"):  # fmt: skip
        await Store.open_postgresql(fresh_url, path=f"{tmp_path}/moxhooks.db")


async def test_search_uses_the_trigram_index(fresh_url: str, tmp_path: object) -> None:
    store = await Store.open_postgresql(fresh_url, path=f"{tmp_path}/moxhooks.db")
    try:
        added, _ = await store.suppressions.add_many(
            NewEntry("acct", f"User{i}@Example.org", f"user{i}@example.org", "manual",
                     "manual", "", "t")
            for i in range(5000)
        )  # fmt: skip
        assert added == 5000
        found = await store.suppressions.list("acct", search="USER123", limit=100)
        assert [e.original_address for e in found] == [
            "User1239@Example.org", "User1238@Example.org", "User1237@Example.org",
            "User1236@Example.org", "User1235@Example.org", "User1234@Example.org",
            "User1233@Example.org", "User1232@Example.org", "User1231@Example.org",
            "User1230@Example.org", "User123@Example.org",
        ]  # fmt: skip
    finally:
        await store.close()
    conn = await asyncpg.connect(fresh_url)
    try:
        await conn.execute("ANALYZE suppressions")
        # The search's condition (PgSuppressionStore.list) is one the index
        # suppressions_search answers (the same expressions). Whether the planner takes it
        # is a matter of cost: at 5,000 entries reading them all is as cheap, and other
        # indexes are on offer, so it is told not to read the table and given only this.
        await conn.execute("SET enable_seqscan = off")
        plan = "\n".join(
            r[0]
            for r in await conn.fetch(
                "EXPLAIN SELECT * FROM suppressions WHERE"
                ' lower(original_address COLLATE "C") LIKE lower($1 COLLATE "C")'
                ' OR lower(base_address COLLATE "C") LIKE lower($1 COLLATE "C")',
                "%user123%",
            )
        )
        assert "suppressions_search" in plan, plan
    finally:
        await conn.close()
