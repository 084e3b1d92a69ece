"""The PostgreSQL the tests get (fixture pg_url) has what the PostgreSQL store relies on.

Row leases with FOR UPDATE SKIP LOCKED, advisory locks held per connection (released when
a node's connection goes), LISTEN/NOTIFY across connections, and pg_trgm for substring
search of addresses. Each test uses tables of its own, dropped at the end, so they can
run on a user's server (MOXHOOKS_PG_URL) too.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest
from pgserver import pg_url_env


@pytest.fixture
async def conns(pg_url: str) -> AsyncIterator[tuple[asyncpg.Connection, asyncpg.Connection]]:
    """Two connections, as two moxhooks nodes would hold."""
    a = await asyncpg.connect(pg_url)
    b = await asyncpg.connect(pg_url)
    try:
        yield a, b
    finally:
        await a.close()
        await b.close()


@pytest.fixture
def table() -> str:
    """A table name of this test's own."""
    return "t_" + secrets.token_hex(4)


async def test_connects_on_loopback_with_a_password(pg_url: str) -> None:
    assert pg_url.startswith("postgresql://")
    conn = await asyncpg.connect(pg_url)
    try:
        version = await conn.fetchval("SHOW server_version_num")
        assert int(version) >= 130000  # DROP DATABASE ... WITH (FORCE), trusted pg_trgm
        # A database of the run's own, dropped at its end.
        assert (await conn.fetchval("SELECT current_database()")).startswith("moxhooks_test_")
        if pg_url_env() is None:
            assert await conn.fetchval("SELECT inet_server_addr()::text") == "127.0.0.1/32"
        assert await conn.fetchval("SHOW server_encoding") == "UTF8"
    finally:
        await conn.close()


async def test_create_table_write_and_read_back(pg_url: str, table: str) -> None:
    conn = await asyncpg.connect(pg_url)
    try:
        await conn.execute(
            f"CREATE TABLE {table} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
            " address text NOT NULL UNIQUE, created timestamptz NOT NULL)"
        )
        at = datetime(2026, 12, 6, 10, 0, 0, 123456, tzinfo=UTC)
        first = await conn.fetchval(
            f"INSERT INTO {table} (address, created) VALUES ($1, $2) RETURNING id",
            "bob@example.org", at,
        )
        # The shape of SQLite's INSERT OR IGNORE on PostgreSQL.
        again = await conn.fetchval(
            f"INSERT INTO {table} (address, created) VALUES ($1, $2)"
            " ON CONFLICT (address) DO NOTHING RETURNING id", "bob@example.org", at,
        )
        assert again is None
        row = await conn.fetchrow(f"SELECT id, address, created FROM {table}")
        assert (row["id"], row["address"], row["created"]) == (first, "bob@example.org", at)
    finally:
        await conn.execute(f"DROP TABLE IF EXISTS {table}")
        await conn.close()


async def test_skip_locked_gives_two_connections_disjoint_leases(
    conns: tuple[asyncpg.Connection, asyncpg.Connection], table: str
) -> None:
    a, b = conns
    await a.execute(f"CREATE TABLE {table} (id bigint PRIMARY KEY, status text NOT NULL,"
                    " owner text)")
    await a.execute(f"INSERT INTO {table} SELECT n, 'pending', NULL FROM generate_series(1, 10) n")
    lease = (f"UPDATE {table} SET status = 'leased', owner = $1 WHERE id IN (SELECT id FROM"
             f" {table} WHERE status = 'pending' ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)"
             " RETURNING id")
    try:
        tx = a.transaction()
        await tx.start()
        got_a = sorted(r["id"] for r in await a.fetch(lease, "a", 4))
        assert got_a == [1, 2, 3, 4]
        # Without SKIP LOCKED, b would wait for a's rows: NOWAIT shows they are locked.
        with pytest.raises(asyncpg.LockNotAvailableError):
            await b.fetch(f"SELECT id FROM {table} WHERE id = 1 FOR UPDATE NOWAIT")
        got_b = sorted(r["id"] for r in await b.fetch(lease, "b", 100))
        assert got_b == [5, 6, 7, 8, 9, 10]
        # a's node dies before committing: its lease is rolled back and b takes the rows.
        await tx.rollback()
        got_b2 = sorted(r["id"] for r in await b.fetch(lease, "b", 100))
        assert got_b2 == [1, 2, 3, 4]
        owners = await a.fetch(f"SELECT owner, count(*) AS n FROM {table} GROUP BY owner")
        assert {r["owner"]: r["n"] for r in owners} == {"b": 10}
    finally:
        await a.execute(f"DROP TABLE IF EXISTS {table}")


async def test_advisory_lock_is_held_by_one_connection_until_it_goes(
    pg_url: str, conns: tuple[asyncpg.Connection, asyncpg.Connection]
) -> None:
    a, b = conns
    key = secrets.randbits(62)
    await a.execute("SELECT pg_advisory_lock($1)", key)
    assert await b.fetchval("SELECT pg_try_advisory_lock($1)", key) is False
    # A blocking pg_advisory_lock on b waits while a holds it.
    waiting = asyncio.ensure_future(b.execute("SELECT pg_advisory_lock($1)", key))
    await asyncio.sleep(0.2)
    assert not waiting.done()
    # a's node dies (its connection closes): the lock passes to b, nothing to clean up.
    await a.close()
    await asyncio.wait_for(waiting, 10)
    c = await asyncpg.connect(pg_url)
    try:
        assert await c.fetchval("SELECT pg_try_advisory_lock($1)", key) is False
        assert await b.fetchval("SELECT pg_advisory_unlock($1)", key) is True
        assert await c.fetchval("SELECT pg_try_advisory_lock($1)", key) is True
    finally:
        await c.close()


async def test_notify_reaches_a_listener_on_another_connection_at_commit(
    conns: tuple[asyncpg.Connection, asyncpg.Connection],
) -> None:
    a, b = conns
    channel = "wake_" + secrets.token_hex(4)
    received: asyncio.Queue[tuple[str, str]] = asyncio.Queue()

    def on_notify(_conn: object, _pid: int, chan: str, payload: str) -> None:
        received.put_nowait((chan, payload))

    await b.add_listener(channel, on_notify)
    async with a.transaction():
        await a.execute("SELECT pg_notify($1, $2)", channel, "events")
        # Nothing is delivered before the transaction commits: a woken node finds the rows.
        await asyncio.sleep(0.2)
        assert received.empty()
    assert await asyncio.wait_for(received.get(), 10) == (channel, "events")
    # A rolled-back transaction's notification is never delivered.
    tx = a.transaction()
    await tx.start()
    await a.execute("SELECT pg_notify($1, $2)", channel, "rolled back")
    await tx.rollback()
    await a.execute("SELECT pg_notify($1, $2)", channel, "outbox")
    assert await asyncio.wait_for(received.get(), 10) == (channel, "outbox")
    await b.remove_listener(channel, on_notify)


async def test_pg_trgm_index_serves_a_substring_search(pg_url: str, table: str) -> None:
    conn = await asyncpg.connect(pg_url)
    try:
        await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        await conn.execute(f"CREATE TABLE {table} (id bigint PRIMARY KEY, address text NOT NULL)")
        await conn.execute(
            f"INSERT INTO {table} SELECT n, 'u' || md5(n::text) || '@example' || (n % 100)"
            " || '.org' FROM generate_series(1, 20000) n"
        )
        await conn.execute(f"CREATE INDEX {table}_trgm ON {table} USING gin (address gin_trgm_ops)")
        await conn.execute(f"ANALYZE {table}")
        term = (await conn.fetchval(f"SELECT substr(address, 5, 6) FROM {table} WHERE id = 777"))
        query = f"SELECT id FROM {table} WHERE address LIKE $1 ORDER BY id"
        plan = "\n".join(r[0] for r in await conn.fetch("EXPLAIN " + query, f"%{term}%"))
        assert f"Bitmap Index Scan on {table}_trgm" in plan, plan
        found = [r["id"] for r in await conn.fetch(query, f"%{term}%")]
        assert 777 in found
        # The index finds exactly what reading the whole table finds.
        await conn.execute("SET enable_bitmapscan = off; SET enable_indexscan = off")
        assert "Seq Scan" in "\n".join(
            r[0] for r in await conn.fetch("EXPLAIN " + query, f"%{term}%"))
        assert [r["id"] for r in await conn.fetch(query, f"%{term}%")] == found
    finally:
        await conn.execute(f"DROP TABLE IF EXISTS {table}")
        await conn.close()
