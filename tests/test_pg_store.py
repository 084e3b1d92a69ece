"""What only the PostgreSQL store has: its read deadline, its migrations under a lock, its
refusal of a newer schema, the trigram index serving address search, webhooks committed
one by one, and several nodes on one database doing the same work at once.

The behaviour both backends share is tested on both in tests/test_store_backends.py.
"""

from __future__ import annotations

import asyncio
import random
import secrets
import sqlite3
import urllib.parse
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from test_cli import free_port, served_lines, write_config

from moxhooks.errors import SchemaTooNew
from moxhooks.store import NewEntry, ReadTimeout, Store, StoreUnavailable
from moxhooks.store.intake import IntakeWriter, Record
from moxhooks.store.pg.database import PgDatabase
from moxhooks.store.pg.events import EVENTS_CHANNEL, PgEventStore
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
        slow = asyncio.create_task(db.fetchall("SELECT pg_sleep(30)"))
        # The other reader answers meanwhile: one slow read holds up no other.
        await asyncio.sleep(0.1)
        assert await store.suppressions.count() == []
        with pytest.raises(ReadTimeout, match="longer than 0.5 s"):
            await slow  # stopped at its deadline, not after the 30 s it asked for
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


async def test_a_secret_made_before_several_mox_servers_stays_the_first_servers(
    fresh_url: str, tmp_path: object
) -> None:
    # A database migrated by a moxhooks of one mox server (migration 1), with a secret.
    conn = await asyncpg.connect(fresh_url)
    try:
        await conn.execute("CREATE TABLE schema_version (version integer NOT NULL)")
        await conn.execute("INSERT INTO schema_version (version) VALUES (1)")
        await conn.execute(MIGRATIONS[0])
        await conn.execute(
            "INSERT INTO accounts (name, webhook_secret, created) VALUES ('shop', 'old', now())"
        )
    finally:
        await conn.close()
    store = await Store.open_postgresql(fresh_url, path=f"{tmp_path}/moxhooks.db")
    try:
        assert await store.schema_version() == len(MIGRATIONS)
        assert await store.webhook_secret("shop", "") == "old"
        assert await store.webhook_secret("shop", "", "b") not in ("", "old")
    finally:
        await store.close()


async def test_holds_made_before_several_mox_servers_stay_the_first_servers(
    fresh_url: str, tmp_path: object
) -> None:
    # A database of migration 5, with an active hold and failures counted towards another.
    conn = await asyncpg.connect(fresh_url)
    try:
        await conn.execute("CREATE TABLE schema_version (version integer NOT NULL)")
        await conn.execute("INSERT INTO schema_version (version) VALUES (5)")
        for script in MIGRATIONS[:5]:
            await conn.execute(script)
        await conn.execute(
            "INSERT INTO auto_holds (account, recipient_domain, rule_id, reason, recipients,"
            " created, lift_after) VALUES ('shop', 'held.example', 4, 'r', 3, now(),"
            " now() + interval '1 hour')"
        )
        await conn.execute(
            "INSERT INTO hold_failures (account, domain, base_address, at)"
            " VALUES ('shop', 'slow.example', 'a@slow.example', now())"
        )
    finally:
        await conn.close()
    store = await Store.open_postgresql(fresh_url, path=f"{tmp_path}/moxhooks.db")
    try:
        assert await store.schema_version() == len(MIGRATIONS)
        hold = await store.holds.active("", "shop", "held.example")
        assert hold is not None and (hold.mox, hold.rule_id) == ("", 4)
        assert await store.holds.by_rule("", 4) == hold
        assert await store.holds.active("b", "shop", "held.example") is None
        now = store.clock()
        since = now - timedelta(minutes=10)
        # The failure counted before is the first server's.
        assert await store.holds.note_failure("", "shop", "slow.example", "b@slow.example",
                                              now, since) == 2  # fmt: skip
        assert await store.holds.note_failure("b", "shop", "slow.example", "b@slow.example",
                                              now, since) == 1  # fmt: skip
    finally:
        await store.close()


async def test_serve_names_the_postgresql_server_without_its_password(
    fresh_url: str, tmp_path: Path
) -> None:
    port = free_port()
    cfg = write_config(tmp_path, port=port)
    cfg.write_text(cfg.read_text().replace("[database]\n", f'[database]\nurl = "{fresh_url}"\n'))
    password = urllib.parse.urlsplit(fresh_url).password
    assert password
    # moxhooks serve in a process of its own, until it answers (this loop waits meanwhile).
    lines = served_lines(tmp_path, cfg, port)
    (shown,) = [line for line in lines if line.startswith("database: ")]
    assert shown == f"database: {fresh_url.replace(':' + password + '@', '@')}"
    assert password not in "\n".join(lines)


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


async def test_receive_commits_once_and_wakes_the_processors(
    fresh_url: str, tmp_path: object
) -> None:
    store = await Store.open_postgresql(fresh_url, path=f"{tmp_path}/moxhooks.db")
    listener = await asyncpg.connect(fresh_url)
    woken: asyncio.Queue[str] = asyncio.Queue()
    await listener.add_listener(EVENTS_CHANNEL, lambda *args: woken.put_nowait(args[2]))
    try:
        events = store.events
        assert isinstance(events, PgEventStore)
        record = Record("acct", 7, 0, store.now(), "delivered", 70, "<m@x>", "{}")
        assert await events.receive(record)
        assert await asyncio.wait_for(woken.get(), 5) == EVENTS_CHANNEL
        # Committed: another node's connection sees it at once.
        other = await Store.open_postgresql(fresh_url, path=f"{tmp_path}/other.db")
        try:
            (stored,) = await other.events.due()
            assert (stored.webhook_id, stored.received, stored.status) == (
                7, record.received, "pending"
            )  # fmt: skip
        finally:
            await other.close()
        # mox repeated it: kept once, nobody woken.
        assert not await events.receive(record)
        await asyncio.sleep(0.2)
        assert woken.empty()
        assert await events.pending_count() == 1
    finally:
        await listener.close()
        await store.close()


async def test_nodes_moving_one_intake_log_move_each_webhook_once(
    fresh_url: str, tmp_path: object
) -> None:
    path = f"{tmp_path}/moxhooks.db"
    nodes = [await Store.open_postgresql(fresh_url, path=path) for _ in range(3)]
    try:
        writer = IntakeWriter.open(path, on_commit=lambda: None)
        for i in range(300):
            await writer.add("acct", i, 0, nodes[0].now(), "delivered", i, f"<{i}@x>", "{}")
        await writer.close()

        async def move(store: Store) -> None:
            while await store.events.take_intake(limit=17):
                pass

        await asyncio.gather(*(move(s) for s in nodes))
        assert await nodes[0].events.intake_backlog() == 0
        due = await nodes[1].events.due(limit=1000)
        assert sorted(e.webhook_id for e in due) == list(range(300))
    finally:
        for s in nodes:
            await s.close()


async def test_nodes_reporting_one_address_together_make_one_entry(
    fresh_url: str, tmp_path: object
) -> None:
    nodes = [await Store.open_postgresql(fresh_url, path=f"{tmp_path}/n{i}.db") for i in range(3)]
    try:
        report = NewEntry("acct", "a@example.org", "a@example.org", "mailbox_unknown",
                          "report", "bounced", "report")  # fmt: skip
        results = await asyncio.gather(
            *(s.suppressions.add_reported(report, "again") for s in nodes for _ in range(4))
        )
        assert sorted(what for _, what in results) == ["added"] + ["already"] * 11
        assert len({entry.id for entry, _ in results}) == 1
        wish = NewEntry("acct", "b@example.org", "b@example.org", "unsubscribed",
                        "unsubscribe", "link", "recipient", scope="news")  # fmt: skip
        wishes = await asyncio.gather(
            *(s.unsubscribe.unsubscribe(wish) for s in nodes for _ in range(4))
        )
        assert sorted(what for _, what in wishes) == ["added"] + ["already"] * 11
        assert await nodes[0].outbox.backlog() == 1
        history = await nodes[0].suppressions.history(results[0][0].id)
        assert [h["action"] for h in history] == ["added"] + ["report_recorded"] * 11
    finally:
        for s in nodes:
            await s.close()


async def test_nodes_expiring_together_end_each_entry_once(
    fresh_url: str, tmp_path: object
) -> None:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    nodes = [
        await Store.open_postgresql(fresh_url, path=f"{tmp_path}/n{i}.db", clock=lambda: now)
        for i in range(3)
    ]
    try:
        await nodes[0].suppressions.add_many(
            NewEntry("acct", f"u{i}@example.org", f"u{i}@example.org", "mailbox_full",
                     "webhook", "", "policy", expires=now - timedelta(seconds=1))
            for i in range(50)
        )  # fmt: skip
        ended = await asyncio.gather(*(s.suppressions.expire_due() for s in nodes))
        assert sum(ended) == 50
        assert await nodes[0].outbox.backlog() == 100  # each add, and one remove each
    finally:
        for s in nodes:
            await s.close()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("password", "password authentication failed"),
        ("database", 'database "mh_missing_db" does not exist'),
    ],
)
async def test_a_wrong_password_or_database_is_said_plainly(
    fresh_url: str, tmp_path: object, change: str, message: str
) -> None:
    parts = urllib.parse.urlsplit(fresh_url)
    if change == "password":
        url = fresh_url.replace(f":{parts.password}@", ":wrong@")
    else:
        url = urllib.parse.urlunsplit(parts._replace(path="/mh_missing_db"))
    with pytest.raises(StoreUnavailable, match=f"database.url: the server refused: {message}"):
        await Store.open_postgresql(url, path=f"{tmp_path}/moxhooks.db")


async def test_search_expression_matches_sqlites_like_on_random_text(pg_url: str) -> None:
    """The PostgreSQL search condition and SQLite's LIKE agree on 20,000 random pairs of
    address and term, over the letters whose case only one of ILIKE and LIKE folds and the
    characters LIKE treats specially."""
    rng = random.Random(20261206)
    alphabet = "aAbBzZ.+-@_%\\\"' éÉüÜßẞıİ*x0"
    pairs = [
        (
            "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 10))),
            "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 4))),
        )
        for _ in range(20000)
    ]

    def pattern(term: str) -> str:  # as PgSuppressionStore.list and SQLite's list escape
        return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"

    lite = sqlite3.connect(":memory:")
    sqlite_says = [
        bool(lite.execute("SELECT ? LIKE ? ESCAPE '\\'", (a, pattern(t))).fetchone()[0])
        for a, t in pairs
    ]
    conn = await asyncpg.connect(pg_url)
    try:
        rows = await conn.fetch(
            'SELECT lower(a COLLATE "C") LIKE lower(p COLLATE "C")'
            " FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS u (a, p, n) ORDER BY n",
            [a for a, _ in pairs],
            [pattern(t) for _, t in pairs],
        )
    finally:
        await conn.close()
    postgresql_says = [bool(r[0]) for r in rows]
    assert sum(sqlite_says) > 1000  # terms do match often enough to tell
    assert postgresql_says == sqlite_says


async def test_renew_extends_only_this_nodes_unfinished_claims(
    fresh_url: str, tmp_path: object
) -> None:
    a = await Store.open_postgresql(fresh_url, path=f"{tmp_path}/a.db", lease=5.0)
    b = await Store.open_postgresql(fresh_url, path=f"{tmp_path}/b.db", lease=5.0)
    conn = await asyncpg.connect(fresh_url)
    try:
        for hook in (1, 2, 3, 4):
            await a.events.receive(Record("acct", hook, 0, a.now(), "delivered", hook, "<m@x>", "{}"))
        for n in (1, 2):
            await a.inbound.add("acct", "imap", f"msg{n}", raw=b"x")
        ids = [ev.id for ev in await a.events.due()]
        inbound = [m.id for m in await a.inbound.due()]
        assert len(ids) == 4 and len(inbound) == 2
        before = dict(await conn.fetch("SELECT id, lease_until FROM events"))
        # Finished (abandoned), waiting for a retry, taken over by node B after its lease
        # ran out, still being worked on: only the last is renewed.
        await a.events.mark_abandoned(ids[0], "test")
        await a.events.mark_unresolved(ids[1], a.clock() + timedelta(hours=1), "test")
        await conn.execute("UPDATE events SET lease_until = now() - interval '1 second'"
                           " WHERE id = $1", ids[2])  # fmt: skip
        assert [ev.id for ev in await b.events.due()] == [ids[2]]
        await asyncio.sleep(0.05)
        assert await a.events.renew(ids) == 1
        after = dict(await conn.fetch("SELECT id, lease_until FROM events"))
        assert after[ids[3]] > before[ids[3]]
        assert after[ids[0]] is None and after[ids[1]] is None
        # Node B renews only what it holds.
        assert await b.events.renew(ids) == 1
        # Report messages: one waits for a retry (its claim ended), one is renewed.
        await a.inbound.retry_later(inbound[0], a.clock() + timedelta(hours=1), "test")
        assert await a.inbound.renew(inbound) == 1
        assert await b.inbound.renew(inbound) == 0
        assert await a.events.renew([]) == 0
    finally:
        await conn.close()
        await a.close()
        await b.close()
