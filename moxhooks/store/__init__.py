"""The store: all SQL lives here, behind the methods the rest of moxhooks calls.

Callers get a Store and call its repositories' methods (store.suppressions.add,
store.events.due, ...), named for what they do; they never see a connection, a cursor,
a row or SQL, and catch StoreUnavailable (store/errors.py), never an engine's error.
The methods are the protocols in store/contract.py; SQLite implements them (store/db.py
owns the file, one module per table family), and so does PostgreSQL (store/pg/, the same
layout), chosen by database.url.

Store.configured opens the store the [database] table describes: the one place that
picks a backend. What a second backend (PostgreSQL) must provide, behind the same
protocols and with the same behaviour (the store tests run against each):

- Transactions: a write that touches several tables (an entry, its audit row, its
  outbox row; an event's outcome and its entry) commits or rolls back whole. SQLite has
  one writer under a lock (db.Tx); PostgreSQL takes row locks, so the read-then-write
  methods (add_reported, unsubscribe, take_intake's cursor check) lock what they read.
- Reads side by side with a deadline: a pool of connections, each read stopped after
  read_timeout (SQLite: a progress handler; PostgreSQL: statement_timeout) and raised as
  ReadTimeout, so one slow read holds up no other.
- Errors: locked or busy past the timeout, the disk full, the server gone, a deadline:
  StoreUnavailable, which the web layer answers 503 `unavailable` with Retry-After.
- Substring search of addresses (SuppressionStore.list): SQLite's FTS5 trigram index
  (migration 3), PostgreSQL's pg_trgm GIN index; the answer is that of a plain
  case-insensitive substring match either way.
- Migrations: numbered, applied in order at open, the number kept in the database;
  SchemaTooNew for a database a newer moxhooks migrated.
- Work taken once: events, inbound messages and outbox rows are processed by one worker
  each. With one SQLite file one worker process runs; several nodes on one PostgreSQL
  claim events and inbound messages with leases (due(): UPDATE ... FOR UPDATE SKIP
  LOCKED, LeaseLost for a node whose lease ran out), run the sync (outbox, reconcile,
  expiry) and the lifting of holds under Database.job_lock (session advisory locks),
  and wake each other with Database.watch (LISTEN/NOTIFY) where a single node uses its
  own wake-ups.
- Intake: EventStore.direct_intake says where a webhook is kept before its 200. On
  SQLite, the intake log (store/intake.py, files per web process in `<path>-intake.d/`)
  moved in by EventStore.take_intake; on PostgreSQL, a commit (EventStore.receive), so
  that no node's disk holds an acknowledged webhook.
"""

from __future__ import annotations

from dataclasses import dataclass

from moxhooks.config import DatabaseConfig
from moxhooks.models import AutoHold, Suppression
from moxhooks.store.accounts import SqliteAccountStore
from moxhooks.store.contract import (
    AccountStore,
    AutoHoldStore,
    Database,
    EventStore,
    ExportStore,
    MailboxStore,
    OutboxStore,
    SessionStore,
    StatsStore,
    SuppressionStore,
    UnsubscribeStore,
)
from moxhooks.store.db import (
    LEASE,
    READ_TIMEOUT,
    READERS,
    Clock,
    SqliteDatabase,
    iso,
    parse_iso,
    utcnow,
)
from moxhooks.store.errors import LeaseLost, ReadTimeout, StoreError, StoreUnavailable
from moxhooks.store.events import Send, SqliteEventStore, StoredEvent
from moxhooks.store.export import SqliteExportStore
from moxhooks.store.holds import SqliteAutoHoldStore
from moxhooks.store.mailbox import MailboxMessage, MailboxResult, SqliteMailboxStore
from moxhooks.store.outbox import OutboxRow, SqliteOutboxStore, SyncState
from moxhooks.store.sessions import Session, SqliteSessionStore
from moxhooks.store.stats import SqliteStatsStore
from moxhooks.store.suppressions import EventOutcome, NewEntry, SqliteSuppressionStore
from moxhooks.store.unsubscribe import SqliteUnsubscribeStore

__all__ = [
    "AccountStore",
    "AutoHold",
    "AutoHoldStore",
    "Clock",
    "Database",
    "EventOutcome",
    "EventStore",
    "ExportStore",
    "MailboxMessage",
    "MailboxResult",
    "MailboxStore",
    "LeaseLost",
    "NewEntry",
    "OutboxRow",
    "OutboxStore",
    "ReadTimeout",
    "Send",
    "Session",
    "SessionStore",
    "StatsStore",
    "Store",
    "StoreError",
    "StoreUnavailable",
    "StoredEvent",
    "Suppression",
    "SuppressionStore",
    "SyncState",
    "UnsubscribeStore",
    "iso",
    "parse_iso",
    "utcnow",
]


@dataclass(frozen=True)
class Store:
    """The database and its repositories, opened together."""

    db: Database
    accounts: AccountStore
    events: EventStore
    suppressions: SuppressionStore
    outbox: OutboxStore
    sessions: SessionStore
    holds: AutoHoldStore
    stats: StatsStore
    export: ExportStore
    inbound: MailboxStore
    unsubscribe: UnsubscribeStore

    @classmethod
    async def open(
        cls,
        path: str,
        *,
        synchronous: str = "normal",
        clock: Clock = utcnow,
        readers: int = READERS,
        read_timeout: float = READ_TIMEOUT,
    ) -> Store:
        """Open the SQLite database at path and build the repositories on it.

        readers: read-only connections; read_timeout: seconds a read may take.
        """
        db = await SqliteDatabase.open(
            path, synchronous=synchronous, clock=clock, readers=readers, read_timeout=read_timeout
        )
        return cls(
            db,
            SqliteAccountStore(db),
            SqliteEventStore(db),
            SqliteSuppressionStore(db),
            SqliteOutboxStore(db),
            SqliteSessionStore(db),
            SqliteAutoHoldStore(db),
            SqliteStatsStore(db),
            SqliteExportStore(db),
            SqliteMailboxStore(db),
            SqliteUnsubscribeStore(db),
        )

    @classmethod
    async def open_postgresql(
        cls,
        url: str,
        *,
        path: str,
        clock: Clock = utcnow,
        readers: int = READERS,
        read_timeout: float = READ_TIMEOUT,
        lease: float = LEASE,
    ) -> Store:
        """Open the PostgreSQL database at url (migrating it) and build the repositories on it.

        path: the base name of this node's intake log directory (<path>-intake.d/);
        lease: seconds this node's claim on events and report messages lasts.
        """
        # Imported here: asyncpg is an optional dependency (the postgresql extra).
        from moxhooks.store.pg.accounts import PgAccountStore
        from moxhooks.store.pg.database import PgDatabase
        from moxhooks.store.pg.events import PgEventStore
        from moxhooks.store.pg.export import PgExportStore
        from moxhooks.store.pg.holds import PgAutoHoldStore
        from moxhooks.store.pg.mailbox import PgMailboxStore
        from moxhooks.store.pg.outbox import PgOutboxStore
        from moxhooks.store.pg.sessions import PgSessionStore
        from moxhooks.store.pg.stats import PgStatsStore
        from moxhooks.store.pg.suppressions import PgSuppressionStore
        from moxhooks.store.pg.unsubscribe import PgUnsubscribeStore

        db = await PgDatabase.open(
            url, path=path, clock=clock, readers=readers, read_timeout=read_timeout, lease=lease
        )
        return cls(
            db,
            PgAccountStore(db),
            PgEventStore(db),
            PgSuppressionStore(db),
            PgOutboxStore(db),
            PgSessionStore(db),
            PgAutoHoldStore(db),
            PgStatsStore(db),
            PgExportStore(db),
            PgMailboxStore(db),
            PgUnsubscribeStore(db),
        )

    @classmethod
    async def configured(cls, config: DatabaseConfig, *, clock: Clock = utcnow) -> Store:
        """Open the database as the configuration's [database] says: PostgreSQL when url is
        set, else the SQLite file at path."""
        if config.url:
            return await cls.open_postgresql(
                config.url,
                path=config.path,
                clock=clock,
                readers=config.readers,
                read_timeout=config.read_timeout,
                lease=config.lease,
            )
        return await cls.open(
            config.path,
            synchronous=config.synchronous,
            clock=clock,
            readers=config.readers,
            read_timeout=config.read_timeout,
        )

    async def close(self) -> None:
        """Close the database."""
        await self.db.close()

    @property
    def clock(self) -> Clock:
        """The store's clock: the time it writes, and the time callers compare with it."""
        return self.db.clock

    def now(self) -> str:
        """The clock's time, as stored."""
        return self.db.now()

    async def ping(self) -> None:
        """Read from the database; raises StoreUnavailable if it cannot answer."""
        await self.db.schema_version()

    async def schema_version(self) -> int:
        """The number of the last migration applied."""
        return await self.db.schema_version()

    async def webhook_secret(self, account: str, configured: str, mox: str = "") -> str:
        """The account's webhook secret on the mox server keyed mox (Config.mox_key): the
        configured one, else one generated once and kept."""
        return await self.accounts.webhook_secret(account, configured, mox)
