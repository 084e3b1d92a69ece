"""The outbox: durable changes for mox's suppression list, pushed by the sync worker."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from moxhooks.kinds import MoxState
from moxhooks.store.db import Row, SqliteDatabase, Tx, iso, parse_iso


@dataclass(frozen=True)
class OutboxRow:
    """One change to push into mox."""

    id: int
    account: str
    op: str  # "add" or "remove"
    address: str
    reason: str
    suppression_id: int | None
    attempts: int

    @classmethod
    def from_row(cls, r: Row) -> OutboxRow:
        return cls(
            id=r["id"],
            account=r["account"],
            op=r["op"],
            address=r["address"],
            reason=r["reason"],
            suppression_id=r["suppression_id"],
            attempts=r["attempts"],
        )


@dataclass(frozen=True)
class MoxCursor:
    """How far an account's outbox has been pushed into one of its further mox servers
    (a shared account's servers after its first)."""

    mox: str
    account: str
    last_id: int  # the last outbox row pushed there (or refused there for good); 0: none
    attempts: int  # failed attempts at the row after it
    next_attempt: datetime | None  # when to try again; None: now
    last_error: str


@dataclass(frozen=True)
class SyncState:
    """How the last reconciliation of an account with mox went."""

    account: str
    last_reconcile: str | None  # When it last completed; None if never.
    last_error: str  # Why the last one failed; "" if it did not.


async def _count(tx: Tx, account: str, metric: str, label: str) -> None:
    """Count one push or failure (sync_counts, read by /metrics) inside the caller's transaction."""
    await tx.execute(
        "INSERT INTO sync_counts (account, metric, label, n) VALUES (?, ?, ?, 1)"
        " ON CONFLICT (account, metric, label) DO UPDATE SET n = n + 1",
        (account, metric, label),
    )


async def enqueue(
    tx: Tx,
    account: str,
    op: str,
    address: str,
    reason: str,
    suppression_id: int | None,
    now: str,
) -> None:
    """Add an outbox row inside the caller's transaction."""
    await tx.execute(
        "INSERT INTO outbox (account, op, address, reason, suppression_id, created, next_attempt)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (account, op, address, reason, suppression_id, now, now),
    )


class SqliteOutboxStore:
    """The outbox table, and the sync_state table beside it."""

    def __init__(self, db: SqliteDatabase) -> None:
        self.db = db

    async def due(self, limit: int = 500, skip: Sequence[str] = ()) -> list[OutboxRow]:
        """Pending rows in order; per account, stops at the first row not yet due; rows of
        the accounts in skip (pushed by another node: their mox server's) left out.

        Rows of one account are pushed strictly in order, so an add and a later
        remove of the same address never swap.
        """
        rows = await self.db.fetchall(
            "SELECT * FROM outbox WHERE state = 'pending' AND account NOT IN"
            " (SELECT value FROM json_each(?)) ORDER BY account, id LIMIT ?",
            (json.dumps(list(skip)), limit),
        )
        now = self.db.now()
        out: list[OutboxRow] = []
        blocked: set[str] = set()
        for r in rows:
            if r["account"] in blocked:
                continue
            if r["next_attempt"] > now:
                blocked.add(r["account"])
                continue
            out.append(OutboxRow.from_row(r))
        return out

    async def next_due_time(self) -> str | None:
        """When the earliest pending row is due, or None when there is none."""
        row = await self.db.fetchone("SELECT MIN(next_attempt) FROM outbox WHERE state = 'pending'")
        return row[0] if row and row[0] else None

    async def done(self, row: OutboxRow, note: str = "", *, pushed: bool = True) -> None:
        """The change reached mox (pushed) or was already there; update the entry's state."""
        now = self.db.now()
        async with self.db.transaction() as tx:
            if pushed:
                await _count(tx, row.account, "pushed", row.op)
            await tx.execute(
                "UPDATE outbox SET state = 'done', done = ?, attempts = attempts + 1,"
                " last_error = ? WHERE id = ?",
                (now, note, row.id),
            )
            if row.suppression_id is not None:
                if row.op == "add":
                    await tx.execute(
                        "UPDATE suppressions SET mox_state = ? WHERE id = ? AND mox_state = ?",
                        (MoxState.SYNCED, row.suppression_id, MoxState.PENDING_ADD),
                    )
                else:
                    await tx.execute(
                        "UPDATE suppressions SET mox_state = ? WHERE id = ? AND mox_state = ?",
                        (MoxState.REMOVED, row.suppression_id, MoxState.PENDING_REMOVE),
                    )

    async def retry(self, row: OutboxRow, next_attempt: datetime, error: str) -> None:
        """mox could not be reached; push this row again at next_attempt."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE outbox SET attempts = attempts + 1, next_attempt = ?, last_error = ?"
                " WHERE id = ?",
                (iso(next_attempt), error, row.id),
            )
            await _count(tx, row.account, "failures", "unavailable")

    async def failed(self, row: OutboxRow, error: str, *, refused: bool = True) -> None:
        """mox refused the change for good (or it cannot be made); keep the row, mark the entry."""
        now = self.db.now()
        async with self.db.transaction() as tx:
            if refused:
                await _count(tx, row.account, "failures", "refused")
            await tx.execute(
                "UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = ?,"
                " done = ? WHERE id = ?",
                (error, now, row.id),
            )
            if row.suppression_id is not None:
                await tx.execute(
                    "UPDATE suppressions SET mox_state = ? WHERE id = ?",
                    (MoxState.ERROR, row.suppression_id),
                )
                await tx.execute(
                    "INSERT INTO audit (at, account, suppression_id, action, actor, detail)"
                    " VALUES (?, ?, ?, 'sync_failed', 'sync', ?)",
                    (now, row.account, row.suppression_id, f"mox refused {row.op}: {error}"),
                )

    async def retry_now(self) -> None:
        """Make every pending row due now (mox is back)."""
        await self.db.write(
            "UPDATE outbox SET next_attempt = ? WHERE state = 'pending'", (self.db.now(),)
        )

    async def backlog(self) -> int:
        """Rows not yet pushed."""
        row = await self.db.fetchone("SELECT COUNT(*) FROM outbox WHERE state = 'pending'")
        return int(row[0]) if row else 0

    async def backlog_by_account(self) -> dict[str, int]:
        """Rows not yet pushed, per account."""
        rows = await self.db.fetchall(
            "SELECT account, COUNT(*) FROM outbox WHERE state = 'pending' GROUP BY account"
        )
        return {r[0]: int(r[1]) for r in rows}

    async def pending_remove(self, account: str) -> set[str]:
        """Addresses with a remove still on its way to mox."""
        rows = await self.db.fetchall(
            "SELECT address FROM outbox WHERE account = ? AND state = 'pending' AND op = 'remove'",
            (account,),
        )
        return {r[0] for r in rows}

    async def cursor(self, mox: str, account: str) -> MoxCursor:
        """How far the account's outbox has reached the mox server named mox."""
        row = await self.db.fetchone(
            "SELECT last_id, attempts, next_attempt, last_error FROM outbox_cursors"
            " WHERE mox = ? AND account = ?",
            (mox, account),
        )
        if row is None:
            return MoxCursor(mox, account, 0, 0, None, "")
        due = parse_iso(row[2]) if row[2] else None
        return MoxCursor(mox, account, int(row[0]), int(row[1]), due, str(row[3]))

    async def after(self, account: str, after_id: int, limit: int = 500) -> list[OutboxRow]:
        """The account's outbox rows after after_id, in order, whatever their state."""
        rows = await self.db.fetchall(
            "SELECT * FROM outbox WHERE account = ? AND id > ? ORDER BY id LIMIT ?",
            (account, after_id, limit),
        )
        return [OutboxRow.from_row(r) for r in rows]

    async def advance(self, mox: str, account: str, last_id: int, note: str = "") -> None:
        """Row last_id reached the mox server named mox (or was refused there for good)."""
        await self.db.write(
            "INSERT INTO outbox_cursors (mox, account, last_id, last_error) VALUES"
            " (?, ?, ?, ?) ON CONFLICT (mox, account) DO UPDATE SET last_id ="
            " excluded.last_id, attempts = 0, next_attempt = NULL, last_error ="
            " excluded.last_error",
            (mox, account, last_id, note),
        )

    async def retry_cursor(
        self, mox: str, account: str, next_attempt: datetime, error: str
    ) -> None:
        """The mox server named mox could not be reached: try its next row at next_attempt."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO outbox_cursors (mox, account, attempts, next_attempt, last_error)"
                " VALUES (?, ?, 1, ?, ?) ON CONFLICT (mox, account) DO UPDATE SET"
                " attempts = attempts + 1, next_attempt = excluded.next_attempt,"
                " last_error = excluded.last_error",
                (mox, account, iso(next_attempt), error),
            )
            await _count(tx, account, "failures", "unavailable")

    async def record_reconcile(self, account: str, error: str) -> None:
        """Note a reconcile pass of an account: when it succeeded, or why it failed."""
        now = self.db.now()
        async with self.db.transaction() as tx:
            if error:
                await _count(tx, account, "failures", "reconcile")
                await tx.execute(
                    "INSERT INTO sync_state (account, last_error, failures) VALUES (?, ?, 1)"
                    " ON CONFLICT (account) DO UPDATE SET last_error = excluded.last_error,"
                    " failures = failures + 1",
                    (account, error),
                )
            else:
                await tx.execute(
                    "INSERT INTO sync_state (account, last_reconcile) VALUES (?, ?)"
                    " ON CONFLICT (account) DO UPDATE SET last_reconcile = excluded.last_reconcile,"
                    " last_error = '', failures = 0",
                    (account, now),
                )

    async def sync_counts(self) -> list[tuple[str, str, str, int]]:
        """(account, metric, label, n): changes pushed into mox and failed attempts, counted."""
        rows = await self.db.fetchall("SELECT account, metric, label, n FROM sync_counts")
        return [(r[0], r[1], r[2], int(r[3])) for r in rows]

    async def sync_states(self) -> dict[str, SyncState]:
        """The reconciliation state of each account that has one."""
        rows = await self.db.fetchall("SELECT account, last_reconcile, last_error FROM sync_state")
        return {
            r["account"]: SyncState(r["account"], r["last_reconcile"], r["last_error"])
            for r in rows
        }
