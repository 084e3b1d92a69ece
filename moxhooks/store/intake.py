"""Webhook intake: the one durable write a webhook costs, in a file of its own.

A webhook's event is appended to the table `intake` in `<database>-intake`, a second
SQLite file next to the database, and the 200 goes out after that commit. The event
processor (another process under `moxhooks serve`) moves the rows into `events` in the
database, noting in the same transaction how far it got (`intake_cursor`); the web
process deletes what was moved. So:

- intake never waits for a lock that processing holds: only the web process writes the
  intake file, and processing writes only the database;
- the intake table has no index but its rowid, so a commit writes about two pages (the
  events table has seven indexes, about eight pages a row);

The commit runs on the event loop's own thread, at once, when synchronous is "normal":
it writes to the operating system's cache and does not wait for the disk (no fsync),
about 20 µs, where a trip to a thread and back costs 100-300 µs on the machine measured
(README, Performance). With synchronous "full" every commit waits for an fsync, so
commits run in a thread, and the webhooks that arrive meanwhile share the next one
(group commit). When the file is locked (another process writing it: a second
`moxhooks serve` on the same database), the webhooks wait for the lock in a thread too.

A retried webhook (same account and X-Mox-Webhook-ID) may be appended twice; the move
into `events`, whose (account, webhook_id) is unique, keeps one.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sqlite3
import time
from collections.abc import Callable, Sequence
from typing import Any

log = logging.getLogger(__name__)

# The columns of an intake row, in the order add() takes them; the same names in events.
COLUMNS = (
    "account",
    "webhook_id",
    "attempt",
    "received",
    "event",
    "queue_msg_id",
    "message_id",
    "payload",
)

# The intake file's schema, for a connection that has it as `schema` ("main" for the
# writer's own connection, "intake" where the database attached it). Idempotent, so
# whichever process opens first creates it. `generation` names this file: when it is
# replaced by a new, empty one (its row ids start again at 1), the cursor of the old one
# in the database does not apply to it.
SCHEMA = """
CREATE TABLE IF NOT EXISTS {schema}.intake (
    id INTEGER PRIMARY KEY,
    account TEXT NOT NULL,
    webhook_id INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    received TEXT NOT NULL,
    event TEXT NOT NULL,
    queue_msg_id INTEGER NOT NULL,
    message_id TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS {schema}.intake_file (generation TEXT NOT NULL);
INSERT INTO {schema}.intake_file (generation)
    SELECT lower(hex(randomblob(8))) WHERE NOT EXISTS (SELECT 1 FROM {schema}.intake_file);
"""

# Rows one INSERT writes (8 parameters each; SQLite allows 32,766 a statement).
ROWS_PER_STATEMENT = 500
# Seconds a write waits for another process's lock on the intake file before failing
# (the webhook is then answered 503 and mox retries it).
BUSY_TIMEOUT = 5.0
# Moved rows are deleted at most this often (seconds), at most PRUNE_ROWS at a time
# (on the event loop's thread: 500 rows take about 1 ms).
PRUNE_EVERY = 0.1
PRUNE_ROWS = 500
# Seconds between checkpoints of the intake file's log (in a thread).
CHECKPOINT_EVERY = 1.0


def intake_path(database: str) -> str:
    """Where the intake file of the database at `database` is."""
    return f"{database}-intake"


def schema_script(schema: str) -> str:
    """SCHEMA for the attachment named schema, as one transaction."""
    return f"BEGIN IMMEDIATE;\n{SCHEMA.format(schema=schema)}\nCOMMIT;"


def create_intake(database: str, busy_timeout: float = BUSY_TIMEOUT) -> None:
    """Create the intake file of the database at `database` when it does not exist."""
    conn = sqlite3.connect(intake_path(database), isolation_level=None)
    try:
        conn.execute(f"PRAGMA busy_timeout = {round(busy_timeout * 1000)}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.executescript(schema_script("main"))
    finally:
        conn.close()


class IntakeWriter:
    """Appends webhook events to the intake file, grouped, from the event loop's thread."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        cursor: sqlite3.Connection,
        checkpoint: sqlite3.Connection,
        inline: bool,
        on_commit: Callable[[], None],
    ) -> None:
        self._conn = conn
        self._cursor = cursor
        self._checkpoint = checkpoint
        self._checkpoint_task: asyncio.Task[None] | None = None
        self._last_checkpoint = 0.0
        self._inline = inline
        self._on_commit = on_commit
        self._pending: list[tuple[Sequence[Any], asyncio.Future[None]]] = []
        # True while a batch is written in a thread: the connection is the thread's.
        self._in_thread = False
        self._scheduled = False
        self._closed = False
        self._added_since_prune = False
        self._last_prune = 0.0
        self._prune_handle: asyncio.TimerHandle | None = None

    @classmethod
    def open(
        cls, database: str, *, synchronous: str = "normal", on_commit: Callable[[], None]
    ) -> IntakeWriter:
        """Open (creating if needed) the intake file of the database at `database`.

        The database must exist and be migrated: the writer reads its intake_cursor to
        delete what was moved.
        """
        create_intake(database)
        conn = sqlite3.connect(
            intake_path(database), isolation_level=None, check_same_thread=False
        )
        try:
            full = synchronous == "full"
            conn.execute(f"PRAGMA synchronous = {'FULL' if full else 'NORMAL'}")
            # No waiting on the event loop's thread: a locked file goes to a thread.
            conn.execute("PRAGMA busy_timeout = 0")
            # Checkpoints copy the log into the file and wait for the disk (fsync): they
            # run in a thread, on a connection of their own (_checkpoint), not here.
            conn.execute("PRAGMA wal_autocheckpoint = 0")
            checkpoint = sqlite3.connect(
                intake_path(database), isolation_level=None, check_same_thread=False
            )
            # The database, read-only, for the cursor that says how far the processor
            # moved the rows. Not attached to conn: a statement would then look at both
            # files' schemas, and the insert costs twice as much.
            cursor = sqlite3.connect(
                f"file:{database}?mode=ro", uri=True, isolation_level=None,
                check_same_thread=False,
            )  # fmt: skip
        except BaseException:
            conn.close()
            raise
        return cls(conn, cursor, checkpoint, not full, on_commit)

    async def add(
        self,
        account: str,
        webhook_id: int,
        attempt: int,
        received: str,
        event: str,
        queue_msg_id: int,
        message_id: str,
        payload: str,
    ) -> None:
        """Append one event; returns when it is committed, raises when that failed."""
        if self._closed:
            raise RuntimeError("intake is closed")
        row = (account, webhook_id, attempt, received, event, queue_msg_id, message_id, payload)
        if self._inline and not self._in_thread and not self._pending and not _others_ready():
            # Nothing waits, nothing else is about to run: commit now, on this thread,
            # with no turn of the event loop in between (a turn costs two more system
            # calls and the webhook's own wake-up).
            try:
                self._write([row])
            except sqlite3.OperationalError as e:
                if e.sqlite_errorcode != sqlite3.SQLITE_BUSY:
                    log.error("webhook intake: the commit failed: %s", e)
                    raise
                # Another process holds the file's lock: wait for it in a thread, below.
            else:
                self._committed()
                return
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()
        self._pending.append((row, fut))
        if not self._scheduled and not self._in_thread:
            # Written once the handlers that are ready in this turn of the loop have
            # added theirs: one commit for all of them (group commit).
            self._scheduled = True
            loop.call_soon(self._flush)
        await fut

    def _flush(self) -> None:
        self._scheduled = False
        if not self._pending or self._in_thread:
            return
        batch, self._pending = self._pending, []
        if self._inline:
            try:
                self._write([row for row, _ in batch])
            except sqlite3.OperationalError as e:
                if e.sqlite_errorcode != sqlite3.SQLITE_BUSY:
                    self._finish(batch, e)
                    return
                # Another process holds the file's lock: wait for it in a thread, below.
            except Exception as e:  # the disk full, the file unwritable: 503, mox retries
                self._finish(batch, e)
                return
            else:
                self._finish(batch, None)
                return
        self._in_thread = True
        asyncio.get_running_loop().create_task(self._write_in_thread(batch))

    async def _write_in_thread(
        self, batch: list[tuple[Sequence[Any], asyncio.Future[None]]]
    ) -> None:
        error: BaseException | None = None
        try:
            await asyncio.to_thread(self._write_waiting, [row for row, _ in batch])
        except Exception as e:  # locked past the busy timeout, the disk full: 503
            error = e
        finally:
            self._in_thread = False
        self._finish(batch, error)
        if self._pending and not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _finish(
        self, batch: list[tuple[Sequence[Any], asyncio.Future[None]]], error: BaseException | None
    ) -> None:
        for _, fut in batch:
            if fut.done():
                continue
            if error is None:
                fut.set_result(None)
            else:
                fut.set_exception(error)
        if error is None:
            self._committed()
        else:
            log.error("webhook intake: the commit failed: %s", error)

    def _write_waiting(self, rows: list[Sequence[Any]]) -> None:
        self._conn.execute(f"PRAGMA busy_timeout = {round(BUSY_TIMEOUT * 1000)}")
        try:
            self._write(rows)
        finally:
            self._conn.execute("PRAGMA busy_timeout = 0")

    def _write(self, rows: list[Sequence[Any]]) -> None:
        """One commit of rows: a lone INSERT commits by itself; more need a transaction."""
        conn = self._conn
        if len(rows) <= ROWS_PER_STATEMENT:
            conn.execute(_insert(len(rows)), [v for row in rows for v in row])
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            for i in range(0, len(rows), ROWS_PER_STATEMENT):
                chunk = rows[i : i + ROWS_PER_STATEMENT]
                conn.execute(_insert(len(chunk)), [v for row in chunk for v in row])
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _committed(self) -> None:
        self._added_since_prune = True
        self._on_commit()
        self._schedule_prune()

    def _schedule_prune(self) -> None:
        if self._prune_handle is not None or self._closed:
            return
        wait = max(0.0, self._last_prune + PRUNE_EVERY - time.monotonic())
        self._prune_handle = asyncio.get_running_loop().call_later(wait, self._prune)

    def _prune(self) -> None:
        """Delete the rows the processor has moved into the database (all but the last
        row: it keeps the row ids growing, so a moved id is never used again)."""
        self._prune_handle = None
        if self._in_thread or self._closed:
            self._schedule_prune()
            return
        self._last_prune = time.monotonic()
        self._added_since_prune = False
        try:
            (generation,) = self._conn.execute("SELECT generation FROM intake_file").fetchone()
            row = self._cursor.execute(
                "SELECT last_id FROM intake_cursor WHERE generation = ?", (generation,)
            ).fetchone()
            if row is not None:
                # A bounded number at a time: this runs on the event loop's thread.
                deleted = self._conn.execute(
                    "DELETE FROM intake WHERE id IN (SELECT id FROM intake WHERE id <= ?"
                    " AND id < (SELECT MAX(id) FROM intake) ORDER BY id LIMIT ?)",
                    (int(row[0]), PRUNE_ROWS),
                ).rowcount
                if deleted == PRUNE_ROWS:
                    self._added_since_prune = True
        except sqlite3.Error as e:  # locked or unwritable: the rows stay, no harm
            log.warning("webhook intake: deleting moved rows failed: %s", e)
        now = time.monotonic()
        # Frequent small checkpoints: the log then starts over from its beginning and
        # is written in place (a growing log allocates a block at every few commits),
        # and the file stays small, since moved rows are deleted.
        if self._checkpoint_task is None and now - self._last_checkpoint >= CHECKPOINT_EVERY:
            self._last_checkpoint = now
            self._checkpoint_task = asyncio.get_running_loop().create_task(self._run_checkpoint())
        if self._added_since_prune:
            self._schedule_prune()

    async def _run_checkpoint(self) -> None:
        try:
            await asyncio.to_thread(self._checkpoint.execute, "PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error as e:
            log.warning("webhook intake: checkpoint failed: %s", e)
        finally:
            self._checkpoint_task = None

    async def close(self) -> None:
        """Write what is pending, then close the file."""
        while self._pending or self._in_thread:
            if not self._in_thread:
                self._flush()
            await asyncio.sleep(0.01)
        self._closed = True
        if self._prune_handle is not None:
            self._prune_handle.cancel()
            self._prune_handle = None
        if self._checkpoint_task is not None:
            await self._checkpoint_task
        self._conn.close()
        self._cursor.close()
        self._checkpoint.close()


_INSERT_HEAD = f"INSERT INTO intake ({', '.join(COLUMNS)}) VALUES "
_ROW = f"({', '.join('?' * len(COLUMNS))})"


def _others_ready() -> bool:
    """Are other callbacks (other webhooks' handlers, most often) waiting to run in this
    turn of the event loop? Then this webhook's commit waits for theirs, to share it.

    asyncio offers no public view of its ready queue; BaseEventLoop._ready has held it
    since Python 3.4. Where it is missing, every webhook commits at once (correct,
    only less grouped)."""
    ready = getattr(asyncio.get_running_loop(), "_ready", None)
    return bool(ready)


@functools.lru_cache(maxsize=64)
def _insert(n: int) -> str:
    return _INSERT_HEAD + ", ".join([_ROW] * n)
