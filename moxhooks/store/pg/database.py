"""The PostgreSQL database: two asyncpg pools, one for writes and one for reads.

Writes run in transactions on the writers' pool; PostgreSQL's row locks, not a lock of
ours, keep them apart, so the repositories lock what they read before writing on it
(SELECT ... FOR UPDATE) or let a constraint decide (INSERT ... ON CONFLICT). Reads run on
the readers' pool, each stopped by the server after its deadline (statement_timeout) and
raised as ReadTimeout, as the SQLite store's reader pool does.

Timestamps are timestamptz columns; the row types keep the SQLite store's ISO text
(store/db.py iso()), so rows are turned into them through row_values(), which writes
every timestamp that way. PostgreSQL's errors stop here: a lost or refused connection, a
server shutting down or starting, a lock waited for past LOCK_TIMEOUT, a full disk leave
as StoreUnavailable.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import math
import os
import secrets
import socket
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import asyncpg

from moxhooks.store.db import LEASE, NO_DEADLINE, READ_TIMEOUT, READERS, Clock, iso, utcnow
from moxhooks.store.errors import ReadTimeout, StoreUnavailable
from moxhooks.store.pg.locks import PgJobLock
from moxhooks.store.pg.migrations import migrate
from moxhooks.store.pg.names import CONNECT_TIMEOUT, EVENTS_CHANNEL, OUTBOX_CHANNEL

log = logging.getLogger(__name__)

Record = asyncpg.Record
# A write transaction's connection (PgDatabase.transaction): the repositories' functions
# that take part in another's transaction (an audit row, an outbox row) take one.
if TYPE_CHECKING:
    Tx = asyncpg.pool.PoolConnectionProxy[asyncpg.Record]
else:  # not subscriptable at run time
    Tx = asyncpg.pool.PoolConnectionProxy
T = TypeVar("T")

# Connections for writes per process: transactions run side by side, each waiting only
# for the rows it locks.
WRITERS = 4
# Seconds a write waits for a row another transaction holds before it fails (the SQLite
# store's busy timeout): the caller gets StoreUnavailable (intake: 503, mox retries).
LOCK_TIMEOUT = 5.0
# Seconds between checks that the LISTEN connection still lives, and between attempts
# to make it again when it is lost.
WATCH_PING = 10.0
WATCH_RETRY = 1.0


# A leased row is this node's to write: claimed by it, or by nobody (a caller that did
# not take it through a claim). {n}: the number of the parameter that is the node.
OURS = "(lease_owner IS NULL OR lease_owner = ${n})"


def _ms(seconds: float) -> str:
    return str(max(1, round(seconds * 1000)))


def text(value: Any) -> Any:
    """A column's value as the row types hold it: a timestamp as ISO text, the rest as is."""
    return iso(value) if isinstance(value, datetime) else value


def row_values(r: Record) -> dict[str, Any]:
    """A row as a dict of its columns, timestamps as ISO text."""
    return {k: text(v) for k, v in r.items()}


class TextRow:
    """A row whose timestamps read as ISO text: what the row types' from_row expect."""

    __slots__ = ("_record",)

    def __init__(self, record: Record) -> None:
        self._record = record

    def __getitem__(self, key: str, /) -> Any:
        return text(self._record[key])

    def keys(self) -> Any:
        return self._record.keys()


def build(cls: type[T], r: Record) -> T:
    """One of the store's row types from a row: through its own from_row (the SQLite
    store's, so derived fields come out the same), else from its fields by name."""
    from_row = getattr(cls, "from_row", None)
    if from_row is not None:
        built: T = from_row(TextRow(r))
        return built
    names: Sequence[str] = getattr(cls, "__struct_fields__", ()) or [
        f.name
        for f in dataclasses.fields(cls)  # type: ignore[arg-type]
    ]
    return cls(**{n: text(r[n]) for n in names})


class PgDatabase:
    """Owns the connections to one PostgreSQL database: a writers' pool and a readers' pool."""

    def __init__(
        self,
        writers: asyncpg.Pool,
        readers: asyncpg.Pool,
        clock: Clock,
        read_timeout: float,
        path: str,
        lease: float = LEASE,
        url: str = "",
    ) -> None:
        self._writers = writers
        self._readers = readers
        self.clock = clock
        self.read_timeout = read_timeout
        # Where the intake log lives (<path>-intake.d/): webhooks are appended to files on
        # this node's disk, and moved into events by EventStore.take_intake.
        self.path = path
        # This process's name in the leases it takes (lease_owner): host, process, and a
        # random part, so that a restarted process with the same pid is someone else.
        self.node = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        # Seconds a lease lasts; the server's clock (now()) times it, the one all nodes share.
        self.lease = lease
        # For the connections of this process's own (job locks, LISTEN), outside the pools.
        self.url = url
        self._job_locks: dict[str, PgJobLock] = {}

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        path: str,
        clock: Clock = utcnow,
        readers: int = READERS,
        read_timeout: float = READ_TIMEOUT,
        writers: int = WRITERS,
        lease: float = LEASE,
    ) -> PgDatabase:
        """Connect to the database at url and migrate it.

        path: the base name of the intake log's directory; readers, writers: connections
        in each pool; read_timeout: seconds a read may take; lease: seconds a claim on
        work lasts.
        """
        try:
            with translated():
                await migrate(url, CONNECT_TIMEOUT)
        except (
            asyncpg.InvalidAuthorizationSpecificationError,
            asyncpg.InvalidCatalogNameError,
        ) as e:
            # A wrong user, password or database name: said plainly at startup, where
            # the CLI prints a StoreUnavailable's message (and the URL's password is not
            # in it).
            raise StoreUnavailable(f"database.url: the server refused: {e}") from e
        with translated():
            write_pool = await asyncpg.create_pool(
                url,
                min_size=1,
                max_size=max(1, writers),
                timeout=CONNECT_TIMEOUT,
                server_settings={"lock_timeout": _ms(LOCK_TIMEOUT), "timezone": "UTC"},
            )
        try:
            with translated():
                read_pool = await asyncpg.create_pool(
                    url,
                    min_size=1,
                    max_size=max(1, readers),
                    timeout=CONNECT_TIMEOUT,
                    server_settings={
                        # A reader never writes: a bug that tries fails instead.
                        "default_transaction_read_only": "on",
                        "statement_timeout": _ms(read_timeout),
                        "timezone": "UTC",
                    },
                )
        except BaseException:
            await write_pool.close()
            raise
        return cls(write_pool, read_pool, clock, read_timeout, path, lease, url)

    async def watch(self, wakes: Mapping[str, Callable[[], None]]) -> None:
        """Call wakes["events"] when any node commits a webhook's event, wakes["outbox"]
        when one commits an outbox row, until cancelled: LISTEN on a connection of its own.

        A notification is a hint, sent at commit to the nodes listening then: after every
        (re)connection all are called once, since what was committed while this node was
        not listening was not kept for it. A lost connection is noticed within
        WATCH_PING seconds and made again every WATCH_RETRY seconds.
        """
        channels = {"events": EVENTS_CHANNEL, "outbox": OUTBOX_CHANNEL}
        while True:
            conn: asyncpg.Connection | None = None
            try:
                conn = await asyncpg.connect(self.url, timeout=CONNECT_TIMEOUT)
                lost = asyncio.Event()
                conn.add_termination_listener(_waker(lost.set))
                for kind, wake in wakes.items():
                    await conn.add_listener(channels[kind], _waker(wake))
                for wake in wakes.values():
                    wake()
                while not lost.is_set():
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(WATCH_PING):
                            await lost.wait()
                    if not lost.is_set():
                        # asyncpg sees a connection the server ended only when it uses it.
                        await conn.fetchval("SELECT 1", timeout=WATCH_PING)
            except _UNAVAILABLE + (asyncpg.PostgresError,) as e:
                log.warning("listening for other nodes' work: %s; again in %gs", e, WATCH_RETRY)
            finally:
                if conn is not None:
                    conn.terminate()
            await asyncio.sleep(WATCH_RETRY)

    def job_lock(self, name: str) -> PgJobLock:
        """The lock of a job one node at a time runs (store/pg/locks.py); one per name."""
        lock = self._job_locks.get(name)
        if lock is None:
            lock = self._job_locks[name] = PgJobLock(self.url, name, self.node)
        return lock

    async def close(self) -> None:
        """Close every connection (a job lock's too, which releases it)."""
        for lock in self._job_locks.values():
            await lock.close()
        await self._readers.close()
        await self._writers.close()

    def now(self) -> str:
        """The clock's time, as stored."""
        return iso(self.clock())

    async def schema_version(self) -> int:
        """The number of the last migration applied."""
        row = await self.fetchone("SELECT version FROM schema_version")
        return int(row[0]) if row else 0

    async def defer_checkpoints(self) -> None:
        """Nothing to do: the server checkpoints its write-ahead log itself."""

    async def checkpoint(self) -> None:
        """Nothing to do: the server checkpoints its write-ahead log itself."""

    def log_bytes(self) -> int:
        """0: no write log of this process's waits to be copied."""
        return 0

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """One write transaction on a writer: committed at the end, rolled back on error."""
        with translated():
            async with self._writers.acquire() as conn, conn.transaction():
                yield conn

    async def write(self, sql: str, *args: Any) -> int:
        """One write statement as a transaction of its own; returns the rows it changed."""
        with translated():
            status = await self._writers.execute(sql, *args)
        return rowcount(status)

    async def write_value(self, sql: str, *args: Any) -> Any:
        """One write statement as a transaction of its own; the first column of the first
        row it returns (INSERT ... RETURNING), or None."""
        with translated():
            return await self._writers.fetchval(sql, *args)

    async def fetchall(self, sql: str, *args: Any, timeout: float | None = None) -> list[Record]:
        """Run a read query on a reader; ReadTimeout past timeout (read_timeout) seconds
        (NO_DEADLINE: none), waiting for a free reader included."""
        wait = self.read_timeout if timeout is None else timeout
        try:
            with translated():
                async with self._readers.acquire(
                    timeout=None if wait == NO_DEADLINE else wait
                ) as conn:
                    if wait == self.read_timeout:
                        # The readers' own statement_timeout is this deadline: one round trip.
                        return list(await conn.fetch(sql, *args))
                    async with conn.transaction(readonly=True):
                        ms = "0" if math.isinf(wait) else _ms(wait)
                        await conn.execute(f"SET LOCAL statement_timeout = {ms}")
                        return list(await conn.fetch(sql, *args))
        except ReadTimeout:
            raise
        except StoreUnavailable as e:
            cause = e.__cause__
            if isinstance(cause, asyncpg.QueryCanceledError):
                raise ReadTimeout(f"a database read took longer than {wait:g} s") from None
            if isinstance(cause, TimeoutError):
                raise ReadTimeout(f"no database reader free within {wait:g} s") from None
            raise

    async def fetchone(self, sql: str, *args: Any, timeout: float | None = None) -> Record | None:
        """Run a read query of one row: that row or None."""
        for row in await self.fetchall(sql, *args, timeout=timeout):
            return row
        return None


def _waker(wake: Callable[[], None]) -> Callable[..., None]:
    """An asyncpg notification callback (connection, pid, channel, payload) that wakes."""

    def notified(*_args: object) -> None:
        wake()

    return notified


def rowcount(status: str) -> int:
    """Rows a statement changed, from its status ("UPDATE 3", "INSERT 0 1")."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


# What keeps the database from answering now rather than a mistake in a query: the
# connection lost or refused, the server shutting down, starting or out of connections,
# a statement cancelled (its deadline), a lock not granted in time, a full disk, out of
# memory, a deadlock or serialization failure (nothing was changed; try again).
_UNAVAILABLE: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.InsufficientResourcesError,
    asyncpg.exceptions.LockNotAvailableError,
    asyncpg.exceptions.TransactionRollbackError,
    OSError,
    TimeoutError,
)


@contextmanager
def translated() -> Iterator[None]:
    """PostgreSQL's and the connection's failures as StoreUnavailable (the cause kept)."""
    try:
        yield
    except StoreUnavailable:
        raise
    except _UNAVAILABLE as e:
        raise StoreUnavailable(f"database unavailable: {e}") from e
