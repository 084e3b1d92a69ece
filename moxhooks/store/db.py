"""The SQLite database: one object owns it, writes go through one writer.

WAL mode, so reads (on their own connection) never wait for writes. Every
write is a transaction under one lock. Webhooks never write here: they are appended
to the intake log (store/intake.py) and moved into events by the worker.
The schema is a list of numbered migrations, applied in order at open.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import aiosqlite

from moxhooks.errors import SchemaTooNew

Clock = Callable[[], datetime]
Row = sqlite3.Row


def utcnow() -> datetime:
    """The current time, UTC, the default clock."""
    return datetime.now(UTC)


def iso(dt: datetime) -> str:
    """A timestamp as stored: fixed-width UTC, so text order is time order."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(s: str) -> datetime:
    """The inverse of iso()."""
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


# Seconds a write waits for another writer's lock before failing with "database is
# locked" (intake then answers 503 and mox retries).
BUSY_TIMEOUT = 5.0

MIGRATIONS: tuple[str, ...] = (
    # 1: the core.
    """
    CREATE TABLE accounts (
        name TEXT PRIMARY KEY,
        webhook_secret TEXT NOT NULL,
        created TEXT NOT NULL
    );
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        account TEXT NOT NULL,
        webhook_id INTEGER NOT NULL,
        attempt INTEGER NOT NULL,
        received TEXT NOT NULL,
        event TEXT NOT NULL,
        queue_msg_id INTEGER NOT NULL,
        message_id TEXT NOT NULL,
        payload TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending',
        recipient TEXT,
        recipient_base TEXT,
        kind TEXT,
        decision TEXT,
        detail TEXT NOT NULL DEFAULT '',
        counts_soft INTEGER NOT NULL DEFAULT 0,
        tries INTEGER NOT NULL DEFAULT 0,
        next_try TEXT,
        processed TEXT,
        UNIQUE (account, webhook_id)
    );
    CREATE INDEX events_status ON events (status, next_try) WHERE status != 'done';
    CREATE INDEX events_account ON events (account, id);
    CREATE INDEX events_message ON events (account, queue_msg_id, webhook_id);
    CREATE INDEX events_recipient ON events (account, recipient_base, received);
    CREATE TABLE recipients (
        account TEXT NOT NULL,
        queue_msg_id INTEGER NOT NULL,
        address TEXT NOT NULL,
        source TEXT NOT NULL,
        PRIMARY KEY (account, queue_msg_id)
    ) WITHOUT ROWID;
    CREATE TABLE suppressions (
        id INTEGER PRIMARY KEY,
        account TEXT NOT NULL,
        base_address TEXT NOT NULL,
        original_address TEXT NOT NULL,
        scope TEXT NOT NULL DEFAULT '',
        kind TEXT NOT NULL,
        source TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT '',
        created TEXT NOT NULL,
        created_by TEXT NOT NULL,
        expires TEXT,
        event_id INTEGER REFERENCES events (id),
        ended TEXT,
        ended_by TEXT,
        end_reason TEXT,
        mox_state TEXT NOT NULL
    );
    CREATE UNIQUE INDEX suppressions_active
        ON suppressions (account, base_address, scope) WHERE ended IS NULL;
    CREATE INDEX suppressions_account ON suppressions (account, ended, id);
    CREATE INDEX suppressions_base ON suppressions (account, base_address, id);
    CREATE INDEX suppressions_expires ON suppressions (expires) WHERE ended IS NULL;
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        account TEXT NOT NULL,
        suppression_id INTEGER REFERENCES suppressions (id),
        action TEXT NOT NULL,
        actor TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX audit_suppression ON audit (suppression_id) WHERE suppression_id IS NOT NULL;
    CREATE INDEX audit_account ON audit (account, id);
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        account TEXT NOT NULL,
        op TEXT NOT NULL CHECK (op IN ('add', 'remove')),
        address TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT '',
        suppression_id INTEGER REFERENCES suppressions (id),
        created TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt TEXT NOT NULL,
        last_error TEXT NOT NULL DEFAULT '',
        done TEXT
    );
    CREATE INDEX outbox_pending ON outbox (account, id) WHERE state = 'pending';
    CREATE TABLE sync_state (
        account TEXT PRIMARY KEY,
        last_reconcile TEXT,
        last_error TEXT NOT NULL DEFAULT '',
        failures INTEGER NOT NULL DEFAULT 0
    );
    """,
    # 2: web sign-in (sessions, throttling of failed sign-ins), automatic holds, and
    # indexes for the per-day statistics.
    """
    CREATE TABLE sessions (
        id TEXT PRIMARY KEY,  -- sha256 (hex) of the cookie token; the token itself is not kept
        role TEXT NOT NULL CHECK (role IN ('account', 'admin')),
        account TEXT NOT NULL DEFAULT '',
        email TEXT NOT NULL DEFAULT '',
        csrf TEXT NOT NULL,
        client TEXT NOT NULL DEFAULT '',
        created TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        expires TEXT NOT NULL
    );
    CREATE INDEX sessions_expires ON sessions (expires);
    CREATE TABLE login_failures (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        client TEXT NOT NULL,
        username TEXT NOT NULL
    );
    CREATE INDEX login_failures_client ON login_failures (client, at);
    CREATE INDEX login_failures_username ON login_failures (username, at);
    CREATE TABLE auto_holds (
        id INTEGER PRIMARY KEY,
        account TEXT NOT NULL,
        recipient_domain TEXT NOT NULL,
        rule_id INTEGER NOT NULL,
        reason TEXT NOT NULL,
        recipients INTEGER NOT NULL,
        created TEXT NOT NULL,
        lift_after TEXT NOT NULL,
        lifted TEXT,
        lifted_by TEXT,
        released INTEGER,
        last_error TEXT NOT NULL DEFAULT ''
    );
    CREATE UNIQUE INDEX auto_holds_active
        ON auto_holds (account, recipient_domain) WHERE lifted IS NULL;
    CREATE INDEX auto_holds_rule ON auto_holds (rule_id);
    CREATE INDEX events_received ON events (account, received);
    CREATE INDEX suppressions_created ON suppressions (account, created);
    CREATE INDEX suppressions_ended ON suppressions (account, ended) WHERE ended IS NOT NULL;
    """,
    # 3: substring search of addresses. A trigram index over both address columns, kept
    # in step by triggers; detail=none keeps it small (about 50 bytes an entry), so a
    # search matches all of the term's trigrams here and checks the substring itself
    # in the table (SuppressionStore.list). Terms under 3 characters scan the table.
    """
    CREATE VIRTUAL TABLE suppressions_search USING fts5(
        original_address, base_address,
        content = 'suppressions', content_rowid = 'id',
        tokenize = 'trigram', detail = 'none'
    );
    INSERT INTO suppressions_search (rowid, original_address, base_address)
        SELECT id, original_address, base_address FROM suppressions;
    CREATE TRIGGER suppressions_search_insert AFTER INSERT ON suppressions BEGIN
        INSERT INTO suppressions_search (rowid, original_address, base_address)
            VALUES (new.id, new.original_address, new.base_address);
    END;
    CREATE TRIGGER suppressions_search_delete AFTER DELETE ON suppressions BEGIN
        INSERT INTO suppressions_search (suppressions_search, rowid, original_address, base_address)
            VALUES ('delete', old.id, old.original_address, old.base_address);
    END;
    CREATE TRIGGER suppressions_search_update
        AFTER UPDATE OF original_address, base_address ON suppressions BEGIN
        INSERT INTO suppressions_search (suppressions_search, rowid, original_address, base_address)
            VALUES ('delete', old.id, old.original_address, old.base_address);
        INSERT INTO suppressions_search (rowid, original_address, base_address)
            VALUES (new.id, new.original_address, new.base_address);
    END;
    """,
    # 4: active entries by kind (SuppressionStore.count, for /metrics and overviews) read
    # from an index instead of the table: 0.3 s instead of 1.5-4 s at 1,000,000 entries.
    """
    CREATE INDEX suppressions_kinds ON suppressions (account, kind) WHERE ended IS NULL;
    """,
    # 5: a sent message by its Message-ID (reporting.find_sends: the report API and the
    # bounce mailbox name the message a bounce or complaint is about by it).
    """
    CREATE INDEX events_message_id ON events (message_id, account);
    """,
    # inbound: mail for the bounce and complaint addresses (store/inbound.py), and what
    # each recipient of a report came to (inbound_results: the complaints a day, too).
    """
    CREATE TABLE inbound (
        id INTEGER PRIMARY KEY,
        account TEXT NOT NULL,
        source TEXT NOT NULL,
        external_id TEXT NOT NULL,
        received TEXT NOT NULL,
        rcpt_to TEXT NOT NULL DEFAULT '',
        mail_from TEXT NOT NULL DEFAULT '',
        subject TEXT NOT NULL DEFAULT '',
        message_id TEXT NOT NULL DEFAULT '',
        mox_msg_id INTEGER,
        meta TEXT NOT NULL DEFAULT '{}',
        raw BLOB,
        raw_size INTEGER,
        status TEXT NOT NULL DEFAULT 'pending',
        report_type TEXT,
        parsed TEXT,
        outcome TEXT NOT NULL DEFAULT '',
        tries INTEGER NOT NULL DEFAULT 0,
        next_try TEXT,
        processed TEXT,
        UNIQUE (account, source, external_id)
    );
    CREATE INDEX inbound_pending ON inbound (next_try) WHERE status = 'pending';
    CREATE INDEX inbound_account ON inbound (account, id);
    CREATE TABLE inbound_results (
        id INTEGER PRIMARY KEY,
        inbound_id INTEGER NOT NULL REFERENCES inbound (id),
        account TEXT NOT NULL,
        recipient TEXT NOT NULL,
        kind TEXT,
        action TEXT NOT NULL,
        decision TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT '',
        entry_id INTEGER,
        created TEXT NOT NULL
    );
    CREATE INDEX inbound_results_inbound ON inbound_results (inbound_id);
    CREATE INDEX inbound_results_account ON inbound_results (account, kind, created);
""",
    # 7: the reports behind an entry (InboundStore.for_entry, the entry page).
    """
    CREATE INDEX inbound_results_entry ON inbound_results (entry_id) WHERE entry_id IS NOT NULL;
    """,
    # 8: unsubscribe links (store/unsubscribe.py): the signing keys, one row per link
    # (per sent message, recipient and topic), and the topic of a message the send relay
    # sent, next to its recipient.
    """
    CREATE TABLE unsubscribe_keys (
        id INTEGER PRIMARY KEY,
        secret BLOB NOT NULL,
        created TEXT NOT NULL,
        retired TEXT  -- when a newer key became current; NULL for the current key
    );
    CREATE TABLE unsubscribe_links (
        id BLOB PRIMARY KEY,  -- 16 random bytes, named by the token
        account TEXT NOT NULL,
        recipient TEXT NOT NULL,
        topic TEXT NOT NULL DEFAULT '',
        message TEXT NOT NULL,
        created TEXT NOT NULL,
        queue_msg_id INTEGER,
        message_id TEXT
    ) WITHOUT ROWID;
    ALTER TABLE recipients ADD COLUMN topic TEXT NOT NULL DEFAULT '';
    """,
    # 9: webhook intake in a file of its own (store/intake.py): how far the processor
    # has moved its rows into events, per intake file; and the processed events counted
    # by a trigger (the processor runs in another process than /metrics).
    """
    CREATE TABLE intake_cursor (
        generation TEXT PRIMARY KEY,
        last_id INTEGER NOT NULL
    );
    CREATE TABLE processed_counts (
        account TEXT NOT NULL,
        event TEXT NOT NULL,
        kind TEXT NOT NULL,
        decision TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (account, event, kind, decision)
    ) WITHOUT ROWID;
    CREATE TRIGGER events_processed AFTER UPDATE OF status ON events
        WHEN new.status = 'done' AND old.status != 'done' BEGIN
        INSERT INTO processed_counts (account, event, kind, decision, n)
            VALUES (new.account, new.event, COALESCE(new.kind, ''), COALESCE(new.decision, ''), 1)
            ON CONFLICT (account, event, kind, decision) DO UPDATE SET n = n + 1;
    END;
    INSERT INTO processed_counts (account, event, kind, decision, n)
        SELECT account, event, COALESCE(kind, ''), COALESCE(decision, ''), COUNT(*)
        FROM events WHERE status = 'done' GROUP BY 1, 2, 3, 4;
    """,
    # 10: webhook intake as segment files (store/intake.py): how far the processor has
    # moved each into events, in bytes and records. (intake_cursor, of migration 9, is no
    # longer used: the SQLite intake file it followed was never in a release.)
    """
    CREATE TABLE intake_segments (
        name TEXT PRIMARY KEY,
        offset INTEGER NOT NULL,
        records INTEGER NOT NULL
    ) WITHOUT ROWID;
    """,
    # 11: the sync worker's counts (changes pushed into mox, failed attempts), kept where
    # the web process's /metrics can read them: the worker runs in another process.
    """
    CREATE TABLE sync_counts (
        account TEXT NOT NULL,
        metric TEXT NOT NULL,
        label TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (account, metric, label)
    ) WITHOUT ROWID;
    """,
)


class Database:
    """Owns the SQLite file: one writer connection, one reader connection."""

    def __init__(
        self, writer: aiosqlite.Connection, reader: aiosqlite.Connection, clock: Clock
    ) -> None:
        self._writer = writer
        self._reader = reader
        self._lock = asyncio.Lock()
        self.clock = clock
        self.path = ""
        # Group commit of event inserts: (params, future) waiting for the writer.

    @classmethod
    async def open(
        cls,
        path: str,
        *,
        synchronous: str = "normal",
        clock: Clock = utcnow,
        busy_timeout: float | None = None,
    ) -> Database:
        """Open (creating if needed) and migrate the database at path.

        busy_timeout: seconds to wait for another writer's lock (default BUSY_TIMEOUT).
        """
        wait = BUSY_TIMEOUT if busy_timeout is None else busy_timeout
        writer = await _connect(path, synchronous, wait)
        reader = await _connect(path, synchronous, wait)
        db = cls(writer, reader, clock)
        db.path = path
        try:
            await db._migrate()
        except BaseException:
            await writer.close()
            await reader.close()
            raise
        return db

    async def close(self) -> None:
        """Close both connections."""
        await self._writer.close()
        await self._reader.close()

    def now(self) -> str:
        """The clock's time, as stored."""
        return iso(self.clock())

    async def _migrate(self) -> None:
        async with self._lock:
            cur = await self._writer.execute("PRAGMA user_version")
            row = await cur.fetchone()
            version = int(row[0]) if row else 0
            if version > len(MIGRATIONS):
                raise SchemaTooNew(
                    f"the database {self.path} has schema {version}, this moxhooks knows up to "
                    f"{len(MIGRATIONS)}: it was used by a newer moxhooks; run that version, or "
                    "restore a backup made before the upgrade"
                )
            for n, script in enumerate(MIGRATIONS[version:], start=version + 1):
                # executescript commits first; the version bump is in the same script.
                await self._writer.executescript(
                    f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {n};\nCOMMIT;"
                )

    async def defer_checkpoints(self) -> None:
        """No automatic checkpoints on this process's writes: checkpoint() runs them.

        A checkpoint copies the log into the database file and waits for the disk
        (fsync); the event worker runs them when webhooks stop coming (runtime/worker.py), so
        that a burst's writes do not compete for the disk with mox's own.
        """
        async with self._lock:
            await self._writer.execute_fetchall("PRAGMA wal_autocheckpoint = 0")

    async def checkpoint(self) -> None:
        """Copy what the log holds into the database file (readers are not waited for)."""
        async with self._lock:
            await self._writer.execute_fetchall("PRAGMA wal_checkpoint(PASSIVE)")

    def log_bytes(self) -> int:
        """The size of the write-ahead log file, 0 when there is none."""
        try:
            return os.path.getsize(self.path + "-wal")
        except OSError:
            return 0

    async def schema_version(self) -> int:
        """The number of the last migration applied."""
        row = await self.fetchone("PRAGMA user_version")
        return int(row[0]) if row else 0

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction: BEGIN IMMEDIATE ... COMMIT, ROLLBACK on error."""
        async with self._lock:
            await self._writer.execute("BEGIN IMMEDIATE")
            try:
                yield self._writer
            except BaseException:
                await self._writer.execute("ROLLBACK")
                raise
            await self._writer.execute("COMMIT")

    async def write(self, sql: str, params: Sequence[Any] = ()) -> int:
        """One write statement as a transaction of its own; returns the rows it changed.

        SQLite runs a lone statement atomically (autocommit): one trip to the writer's
        thread, where transaction() takes three (BEGIN, the statement, COMMIT). A trip
        is what a write costs, 0.1-0.3 ms each, far more than the statement itself.
        """
        async with self._lock:
            cur = await self._writer.execute(sql, params)
            return cur.rowcount

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run a read query on the reader connection."""
        # One trip to the connection's thread, not three (execute, fetch, close): a
        # point query takes 0.08 ms instead of 0.25 ms.
        rows = await self._reader.execute_fetchall(sql, params)
        return list(rows)

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """Run a read query of one row (a lookup by key, an aggregate, LIMIT 1): that row or None.

        The whole answer is read, in one trip to the connection's thread (see fetchall).
        """
        rows = await self._reader.execute_fetchall(sql, params)
        for row in rows:
            return row
        return None

async def _connect(path: str, synchronous: str, busy_timeout: float) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    await conn.execute("PRAGMA journal_mode = WAL")
    await conn.execute(f"PRAGMA synchronous = {'FULL' if synchronous == 'full' else 'NORMAL'}")
    await conn.execute("PRAGMA foreign_keys = ON")
    # Another writer (a second process, a backup) holding the lock: wait this long.
    await conn.execute(f"PRAGMA busy_timeout = {round(busy_timeout * 1000)}")
    return conn
