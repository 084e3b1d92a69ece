"""All SQL lives here: the database, and one repository per table family."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from moxhooks.models import AutoHold, Suppression
from moxhooks.store.db import Clock, Database, iso, parse_iso, utcnow
from moxhooks.store.events import EventStore, StoredEvent
from moxhooks.store.export import ExportStore
from moxhooks.store.holds import AutoHoldStore
from moxhooks.store.mailbox import InboundMessage, InboundResult, InboundStore
from moxhooks.store.outbox import OutboxRow, OutboxStore, SyncState
from moxhooks.store.sessions import Session, SessionStore
from moxhooks.store.stats import StatsStore
from moxhooks.store.suppressions import EventOutcome, NewEntry, SuppressionStore
from moxhooks.store.unsubscribe import UnsubscribeStore

__all__ = [
    "AutoHold",
    "AutoHoldStore",
    "Clock",
    "Database",
    "EventOutcome",
    "EventStore",
    "ExportStore",
    "InboundMessage",
    "InboundResult",
    "InboundStore",
    "NewEntry",
    "OutboxRow",
    "OutboxStore",
    "Session",
    "SessionStore",
    "StatsStore",
    "Store",
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
    events: EventStore
    suppressions: SuppressionStore
    outbox: OutboxStore
    sessions: SessionStore
    holds: AutoHoldStore
    stats: StatsStore
    export: ExportStore
    inbound: InboundStore
    unsubscribe: UnsubscribeStore

    @classmethod
    async def open(cls, path: str, *, synchronous: str = "normal", clock: Clock = utcnow) -> Store:
        """Open the database at path and build the repositories on it."""
        db = await Database.open(path, synchronous=synchronous, clock=clock)
        events = EventStore(db)
        return cls(
            db,
            events,
            SuppressionStore(db),
            OutboxStore(db),
            SessionStore(db),
            AutoHoldStore(db),
            StatsStore(db),
            ExportStore(db),
            InboundStore(db),
            UnsubscribeStore(db),
        )

    async def close(self) -> None:
        """Close the database."""
        await self.db.close()

    async def ping(self) -> None:
        """Read from the database; raises whatever keeps it from answering."""
        await self.db.fetchone("SELECT 1")

    async def webhook_secret(self, account: str, configured: str) -> str:
        """The account's webhook secret: the configured one, else one generated once and kept."""
        if configured:
            return configured
        row = await self.db.fetchone(
            "SELECT webhook_secret FROM accounts WHERE name = ?", (account,)
        )
        if row:
            return str(row[0])
        secret = secrets.token_urlsafe(32)
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT OR IGNORE INTO accounts (name, webhook_secret, created) VALUES (?, ?, ?)",
                (account, secret, self.db.now()),
            )
        row = await self.db.fetchone(
            "SELECT webhook_secret FROM accounts WHERE name = ?", (account,)
        )
        assert row is not None
        return str(row[0])
