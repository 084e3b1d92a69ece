"""The SQLite database: one object owns it, writes go through one writer.

WAL mode, so reads never wait for writes, nor for each other: they run on a small pool
of read-only connections (READERS), each read with a deadline (READ_TIMEOUT) after which
SQLite stops it, so one slow count cannot hold up the reads behind it. Every write is a
transaction under one lock on the one writer connection (Tx). Webhooks never write
here: they are appended to the intake log (store/intake.py) and moved into events by
the worker. The schema is a list of numbered migrations, applied in order at open.

SQLite's errors stop here: what keeps the database from answering (locked past the busy
timeout, the disk full, an I/O error, a deadline) leaves as StoreUnavailable.
"""

from __future__ import annotations

import asyncio
import math
import os
import sqlite3
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

import aiosqlite

from moxhooks.errors import SchemaTooNew
from moxhooks.store.errors import ReadTimeout, StoreUnavailable

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
# Read-only connections: reads run side by side (WAL), so a slow one (a count over a
# million rows, 0.3 s) holds up only itself. Each is a thread; the machine's cores, not
# this number, bound how many reads truly run at once.
READERS = 3
# Seconds a read may take, waiting for a free reader included, before it is stopped and
# raises ReadTimeout: a request is answered 503 instead of hanging.
READ_TIMEOUT = 10.0
# Seconds a node's claim on work lasts (PostgreSQL's leases; database.lease).
LEASE = 60.0
# The deadline of a read that goes through a whole list on purpose (reconcile compares
# every account-wide entry with mox's list: 16 s at 1,000,000 entries on the bench
# machine): none. Such reads are the worker's, never a request's.
NO_DEADLINE = math.inf
# SQLite calls the deadline check every this many virtual-machine steps of a read: about
# every 15 us, so a read stops within a millisecond of its deadline. The /metrics count
# at 1,000,000 entries (0.14 s) makes 9,000 checks; what they cost is within the noise
# of bench/read_pool.py.
_PROGRESS_STEPS = 1000

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
    # 7: the reports behind an entry (MailboxStore.for_entry, the entry page).
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
    # 12: several mox servers (issue 18): a webhook secret per mox server and account.
    # mox is the server's key (Config.mox_key): "" for the first, so the secrets made
    # while there was one mox stay that server's. SQLite cannot change a primary key in
    # place: the (small) table is made again.
    """
    CREATE TABLE accounts_new (
        mox TEXT NOT NULL DEFAULT '',
        name TEXT NOT NULL,
        webhook_secret TEXT NOT NULL,
        created TEXT NOT NULL,
        PRIMARY KEY (mox, name)
    ) WITHOUT ROWID;
    INSERT INTO accounts_new (mox, name, webhook_secret, created)
        SELECT '', name, webhook_secret, created FROM accounts;
    DROP TABLE accounts;
    ALTER TABLE accounts_new RENAME TO accounts;
    """,
    # 13: several mox servers (issue 18): the keys that come from mox (webhook ids,
    # QueueMsgIDs) are unique only per mox server, so events and recipients carry the
    # server's key (Config.mox_key; "" for the first, which all rows so far are) and their
    # unique keys start with it, as on PostgreSQL. SQLite cannot change a unique key in
    # place: both tables are made again (events with its indexes and trigger). Entries
    # refer to events by id: the check is deferred to the commit, by when every event is
    # back under its id (SQLite counts a reference as whole again when its row is
    # inserted into the table named events, so the rows go through a copy).
    """
    PRAGMA defer_foreign_keys = ON;
    CREATE TEMP TABLE events_copy AS SELECT * FROM events;
    DROP TABLE events;
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        mox TEXT NOT NULL DEFAULT '',
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
        UNIQUE (mox, account, webhook_id)
    );
    INSERT INTO events (id, account, webhook_id, attempt, received, event, queue_msg_id,
        message_id, payload, status, recipient, recipient_base, kind, decision, detail,
        counts_soft, tries, next_try, processed)
        SELECT id, account, webhook_id, attempt, received, event, queue_msg_id, message_id,
            payload, status, recipient, recipient_base, kind, decision, detail, counts_soft,
            tries, next_try, processed FROM events_copy;
    DROP TABLE events_copy;
    CREATE INDEX events_status ON events (status, next_try) WHERE status != 'done';
    CREATE INDEX events_account ON events (account, id);
    CREATE INDEX events_message ON events (account, queue_msg_id, webhook_id);
    CREATE INDEX events_recipient ON events (account, recipient_base, received);
    CREATE INDEX events_received ON events (account, received);
    CREATE INDEX events_message_id ON events (message_id, account);
    CREATE TRIGGER events_processed AFTER UPDATE OF status ON events
        WHEN new.status = 'done' AND old.status != 'done' BEGIN
        INSERT INTO processed_counts (account, event, kind, decision, n)
            VALUES (new.account, new.event, COALESCE(new.kind, ''), COALESCE(new.decision, ''), 1)
            ON CONFLICT (account, event, kind, decision) DO UPDATE SET n = n + 1;
    END;
    CREATE TABLE recipients_new (
        mox TEXT NOT NULL DEFAULT '',
        account TEXT NOT NULL,
        queue_msg_id INTEGER NOT NULL,
        address TEXT NOT NULL,
        source TEXT NOT NULL,
        topic TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (mox, account, queue_msg_id)
    ) WITHOUT ROWID;
    INSERT INTO recipients_new (account, queue_msg_id, address, source, topic)
        SELECT account, queue_msg_id, address, source, topic FROM recipients;
    DROP TABLE recipients;
    ALTER TABLE recipients_new RENAME TO recipients;
    """,
    # 14: an account shared by several mox servers: its outbox goes to the first server
    # as before (the rows' state), and to each further server in the same order, the
    # server's progress kept here (the last outbox row pushed there, and the backoff
    # while it is away). mox is the server's name.
    """
    CREATE TABLE outbox_cursors (
        mox TEXT NOT NULL,
        account TEXT NOT NULL,
        last_id INTEGER NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt TEXT,
        last_error TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (mox, account)
    ) WITHOUT ROWID;
    CREATE INDEX outbox_account ON outbox (account, id);
    """,
    # 15: automatic holds per mox server: a hold rule is one server's, put there by the
    # failures that came through it. mox is the server's key (Config.mox_key), as in
    # events: "" for the first, which every hold so far was made in. One active hold per
    # (server, account, recipient domain); mox's rule ids are each server's own.
    """
    ALTER TABLE auto_holds ADD COLUMN mox TEXT NOT NULL DEFAULT '';
    DROP INDEX auto_holds_active;
    CREATE UNIQUE INDEX auto_holds_active
        ON auto_holds (mox, account, recipient_domain) WHERE lifted IS NULL;
    DROP INDEX auto_holds_rule;
    CREATE INDEX auto_holds_rule ON auto_holds (mox, rule_id);
    """,
)


class Written(NamedTuple):
    """What a write statement did: rows changed, and the rowid of the row it inserted."""

    rowcount: int
    lastrowid: int | None


class Tx:
    """One write transaction (SqliteDatabase.transaction): statements run in order on the writer.

    The repositories' functions that take part in another's transaction (an audit row,
    an outbox row) take a Tx, so a write that touches several tables is one transaction
    whichever repository starts it.
    """

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> Written:
        """Run one statement."""
        cur = await self._conn.execute(sql, params)
        return Written(cur.rowcount, cur.lastrowid)

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement for each row of parameters."""
        await self._conn.executemany(sql, rows)

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Read inside the transaction (sees its own writes)."""
        return list(await self._conn.execute_fetchall(sql, params))

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """Read one row inside the transaction, or None."""
        for row in await self._conn.execute_fetchall(sql, params):
            return row
        return None


@dataclass
class _Reader:
    """A read-only connection, and the deadline of the read it runs."""

    conn: aiosqlite.Connection
    # time.monotonic() past which SQLite stops the read (the progress handler, called on
    # the connection's own thread, reads it); infinite while idle.
    deadline: float = math.inf

    def past_deadline(self) -> bool:
        return time.monotonic() > self.deadline


class SingleWorkerLock:
    """A job lock on SQLite: one worker process uses a database file, so it always holds it."""

    def __init__(self, name: str) -> None:
        self.name = name

    @property
    def holding(self) -> bool:
        """Always: no other process runs the job."""
        return True

    async def held(self) -> bool:
        """Always: no other process runs the job."""
        return True

    async def release(self) -> None:
        """Nothing to let go of."""


class SqliteDatabase:
    """Owns the SQLite file: one writer connection, a pool of reader connections."""

    def __init__(
        self,
        writer: aiosqlite.Connection,
        readers: Sequence[aiosqlite.Connection],
        clock: Clock,
        read_timeout: float = READ_TIMEOUT,
    ) -> None:
        self._writer = writer
        self._readers = [_Reader(c) for c in readers]
        self._free = list(self._readers)
        # Reads waiting for a reader, first come first served: a freed reader is handed
        # to the first of them, so a task reading back to back cannot take it again first.
        self._waiters: deque[asyncio.Future[_Reader]] = deque()
        # Readers whose caller went away mid-read, until their read has stopped.
        self._draining: set[asyncio.Task[None]] = set()
        self._lock = asyncio.Lock()
        self.clock = clock
        self.read_timeout = read_timeout
        self.path = ""

    @classmethod
    async def open(
        cls,
        path: str,
        *,
        synchronous: str = "normal",
        clock: Clock = utcnow,
        busy_timeout: float | None = None,
        readers: int = READERS,
        read_timeout: float = READ_TIMEOUT,
    ) -> SqliteDatabase:
        """Open (creating if needed) and migrate the database at path.

        busy_timeout: seconds to wait for another writer's lock (default BUSY_TIMEOUT).
        readers: read-only connections in the pool; read_timeout: seconds a read may take.
        """
        wait = BUSY_TIMEOUT if busy_timeout is None else busy_timeout
        with _translated():
            writer = await _connect(path, synchronous, wait)
        opened: list[aiosqlite.Connection] = []
        try:
            # Migrated first: a reader must not see a half-made schema, and the file (and
            # its write-ahead log) must exist before a read-only connection opens it.
            with _translated():
                await _migrate(writer, path)
                for _ in range(max(1, readers)):
                    opened.append(await _connect_reader(path, wait))
        except BaseException:
            await writer.close()
            for c in opened:
                await c.close()
            raise
        db = cls(writer, opened, clock, read_timeout)
        db.path = path
        for r in db._readers:
            await r.conn.set_progress_handler(r.past_deadline, _PROGRESS_STEPS)
        return db

    async def watch(self, wakes: Mapping[str, Callable[[], None]]) -> None:
        """Nothing to watch: one web process writes the file and wakes its worker itself."""

    def job_lock(self, name: str) -> SingleWorkerLock:
        """The lock of a job: this process's, there being one worker per file."""
        return SingleWorkerLock(name)

    async def close(self) -> None:
        """Close every connection."""
        if self._draining:
            await asyncio.wait(self._draining)
        await self._writer.close()
        for r in self._readers:
            await r.conn.close()

    def now(self) -> str:
        """The clock's time, as stored."""
        return iso(self.clock())

    async def defer_checkpoints(self) -> None:
        """No automatic checkpoints on this process's writes: checkpoint() runs them.

        A checkpoint copies the log into the database file and waits for the disk
        (fsync); the event worker runs them when webhooks stop coming (runtime/worker.py), so
        that a burst's writes do not compete for the disk with mox's own.
        """
        async with self._lock:
            with _translated():
                await self._writer.execute_fetchall("PRAGMA wal_autocheckpoint = 0")

    async def checkpoint(self) -> None:
        """Copy what the log holds into the database file (readers are not waited for)."""
        async with self._lock:
            with _translated():
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
    async def transaction(self) -> AsyncIterator[Tx]:
        """One write transaction: BEGIN IMMEDIATE ... COMMIT, ROLLBACK on error."""
        async with self._lock:
            with _translated():
                await self._writer.execute("BEGIN IMMEDIATE")
                try:
                    yield Tx(self._writer)
                except BaseException:
                    # SQLite has rolled back itself after some errors (a full disk, I/O).
                    if self._writer.in_transaction:
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
            with _translated():
                cur = await self._writer.execute(sql, params)
            return cur.rowcount

    async def fetchall(
        self, sql: str, params: Sequence[Any] = (), *, timeout: float | None = None
    ) -> list[Row]:
        """Run a read query on a free reader; ReadTimeout past timeout (read_timeout) seconds
        (NO_DEADLINE: none).

        One trip to the reader's thread, not three (execute, fetch, close): a point
        query takes 0.08 ms instead of 0.25 ms.
        """
        wait = self.read_timeout if timeout is None else timeout
        deadline = time.monotonic() + wait
        reader = await self._acquire(None if wait == NO_DEADLINE else wait)
        reader.deadline = deadline
        try:
            rows = await reader.conn.execute_fetchall(sql, params)
        except sqlite3.OperationalError as e:
            stopped = reader.past_deadline() and "interrupt" in str(e)
            self._release(reader)
            if stopped:
                raise ReadTimeout(f"a database read took longer than {wait:g} s") from None
            translated = _unavailable(e)
            if translated is e:
                raise
            raise translated from e
        except BaseException:
            # The caller went away (cancelled): the read may still run on the reader's
            # thread. Stop it, and take the reader back once it has stopped.
            reader.deadline = 0.0
            task = asyncio.get_running_loop().create_task(self._drain(reader))
            self._draining.add(task)
            task.add_done_callback(self._draining.discard)
            raise
        self._release(reader)
        return list(rows)

    async def fetchone(
        self, sql: str, params: Sequence[Any] = (), *, timeout: float | None = None
    ) -> Row | None:
        """Run a read query of one row (a lookup by key, an aggregate, LIMIT 1): that row or None.

        The whole answer is read, in one trip to a reader's thread (see fetchall).
        """
        for row in await self.fetchall(sql, params, timeout=timeout):
            return row
        return None

    async def _acquire(self, wait: float | None) -> _Reader:
        if self._free and not self._waiters:
            return self._free.pop()
        handed: asyncio.Future[_Reader] = asyncio.get_running_loop().create_future()
        self._waiters.append(handed)
        try:
            async with asyncio.timeout(wait):
                return await handed
        except BaseException as e:
            if handed.done() and not handed.cancelled():
                self._release(handed.result())  # handed over just as the wait ended
            handed.cancel()
            if isinstance(e, TimeoutError):
                raise ReadTimeout(f"no database reader free within {wait:g} s") from None
            raise

    def _release(self, reader: _Reader) -> None:
        reader.deadline = math.inf
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(reader)
                return
        self._free.append(reader)

    async def _drain(self, reader: _Reader) -> None:
        # A call queues behind the abandoned read on the connection's thread: when it
        # returns, that read has ended.
        try:
            await reader.conn.commit()
        except Exception:
            pass
        self._release(reader)


async def _migrate(writer: aiosqlite.Connection, path: str) -> None:
    cur = await writer.execute("PRAGMA user_version")
    row = await cur.fetchone()
    version = int(row[0]) if row else 0
    if version > len(MIGRATIONS):
        raise SchemaTooNew(
            f"the database {path} has schema {version}, this moxhooks knows up to "
            f"{len(MIGRATIONS)}: it was used by a newer moxhooks; run that version, or "
            "restore a backup made before the upgrade"
        )
    for n, script in enumerate(MIGRATIONS[version:], start=version + 1):
        # executescript commits first; the version bump is in the same script.
        await writer.executescript(
            f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {n};\nCOMMIT;"
        )


# SQLite's primary result codes that mean "not now" rather than "wrong": busy, locked,
# out of memory, a read-only file, interrupted, an I/O error, the disk full, cannot open
# the file, a locking protocol error. The rest (a syntax error, no such table) are bugs:
# they stay sqlite3 errors, and a request that meets one is answered 500 `server`.
_UNAVAILABLE_CODES = frozenset(
    {
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_LOCKED,
        sqlite3.SQLITE_NOMEM,
        sqlite3.SQLITE_READONLY,
        sqlite3.SQLITE_INTERRUPT,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_CANTOPEN,
        sqlite3.SQLITE_PROTOCOL,
    }
)


def _unavailable(e: sqlite3.OperationalError) -> Exception:
    """StoreUnavailable for what keeps the database from answering now, else e itself."""
    if e.sqlite_errorcode & 0xFF not in _UNAVAILABLE_CODES:
        return e
    return StoreUnavailable(f"database unavailable: {e}")


@contextmanager
def _translated() -> Iterator[None]:
    """SQLite's operational errors (locked, busy, disk full, I/O) as StoreUnavailable."""
    try:
        yield
    except sqlite3.OperationalError as e:
        translated = _unavailable(e)
        if translated is e:
            raise
        raise translated from e


async def _open(path: str) -> aiosqlite.Connection:
    conn = aiosqlite.connect(path, isolation_level=None)
    try:
        return await conn
    except BaseException:
        # aiosqlite stops its thread after a failed connect without waiting for it; the
        # thread then answers into an event loop that may be closed by then (a CLI command
        # ends at once). Wait for it here.
        thread = getattr(conn, "_thread", None)
        if thread is not None:
            await asyncio.to_thread(thread.join, 5.0)
        raise


async def _connect(path: str, synchronous: str, busy_timeout: float) -> aiosqlite.Connection:
    conn = await _open(path)
    conn.row_factory = sqlite3.Row
    await conn.execute("PRAGMA journal_mode = WAL")
    await conn.execute(f"PRAGMA synchronous = {'FULL' if synchronous == 'full' else 'NORMAL'}")
    await conn.execute("PRAGMA foreign_keys = ON")
    # Another writer (a second process, a backup) holding the lock: wait this long.
    await conn.execute(f"PRAGMA busy_timeout = {round(busy_timeout * 1000)}")
    return conn


async def _connect_reader(path: str, busy_timeout: float) -> aiosqlite.Connection:
    conn = await _open(path)
    conn.row_factory = sqlite3.Row
    # A reader never writes: a bug that tries fails instead of taking the write lock.
    await conn.execute("PRAGMA query_only = ON")
    await conn.execute(f"PRAGMA busy_timeout = {round(busy_timeout * 1000)}")
    return conn
