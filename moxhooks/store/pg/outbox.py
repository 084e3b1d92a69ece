"""The outbox on PostgreSQL: durable changes for mox's suppression list (store/outbox.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from moxhooks.kinds import MoxState
from moxhooks.store.outbox import MoxCursor, OutboxRow, SyncState
from moxhooks.store.pg.database import PgDatabase, Tx, build, text
from moxhooks.store.pg.names import OUTBOX_CHANNEL


async def _count(tx: Tx, account: str, metric: str, label: str) -> None:
    """Count one push or failure (sync_counts, read by /metrics) inside the caller's transaction."""
    await tx.execute(
        "INSERT INTO sync_counts (account, metric, label, n) VALUES ($1, $2, $3, 1)"
        " ON CONFLICT (account, metric, label) DO UPDATE SET n = sync_counts.n + 1",
        account, metric, label,
    )  # fmt: skip


async def enqueue(
    tx: Tx,
    account: str,
    op: str,
    address: str,
    reason: str,
    suppression_id: int | None,
    now: datetime,
) -> None:
    """Add an outbox row inside the caller's transaction, and wake the node that syncs
    (at the commit: NOTIFY on OUTBOX_CHANNEL), which may be another than this one."""
    await tx.execute(
        "WITH queued AS (INSERT INTO outbox (account, op, address, reason, suppression_id,"
        " created, next_attempt) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING 1)"
        f" SELECT pg_notify('{OUTBOX_CHANNEL}', '') FROM queued",
        account, op, address, reason, suppression_id, now,
    )  # fmt: skip


class PgOutboxStore:
    """The outbox table, and the sync_state table beside it."""

    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    async def due(self, limit: int = 500, skip: Sequence[str] = ()) -> list[OutboxRow]:
        """Pending rows in order; per account, stops at the first row not yet due; rows of
        the accounts in skip (pushed by another node: their mox server's) left out.

        Rows of one account are pushed strictly in order, so an add and a later
        remove of the same address never swap.
        """
        rows = await self.db.fetchall(
            "SELECT * FROM outbox WHERE state = 'pending' AND account <> ALL($2::text[])"
            ' ORDER BY account COLLATE "C", id LIMIT $1',
            limit, list(skip),
        )  # fmt: skip
        now = self.db.clock()
        out: list[OutboxRow] = []
        blocked: set[str] = set()
        for r in rows:
            if r["account"] in blocked:
                continue
            if r["next_attempt"] > now:
                blocked.add(r["account"])
                continue
            out.append(build(OutboxRow, r))
        return out

    async def next_due_time(self) -> str | None:
        """When the earliest pending row is due, or None when there is none."""
        row = await self.db.fetchone("SELECT MIN(next_attempt) FROM outbox WHERE state = 'pending'")
        return text(row[0]) if row and row[0] else None

    async def done(self, row: OutboxRow, note: str = "", *, pushed: bool = True) -> None:
        """The change reached mox (pushed) or was already there; update the entry's state."""
        now = self.db.clock()
        async with self.db.transaction() as tx:
            if pushed:
                await _count(tx, row.account, "pushed", row.op)
            await tx.execute(
                "UPDATE outbox SET state = 'done', done = $1, attempts = attempts + 1,"
                " last_error = $2 WHERE id = $3",
                now, note, row.id,
            )  # fmt: skip
            if row.suppression_id is not None:
                before, after = (
                    (MoxState.PENDING_ADD, MoxState.SYNCED)
                    if row.op == "add"
                    else (MoxState.PENDING_REMOVE, MoxState.REMOVED)
                )
                await tx.execute(
                    "UPDATE suppressions SET mox_state = $1 WHERE id = $2 AND mox_state = $3",
                    after, row.suppression_id, before,
                )  # fmt: skip

    async def retry(self, row: OutboxRow, next_attempt: datetime, error: str) -> None:
        """mox could not be reached; push this row again at next_attempt."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE outbox SET attempts = attempts + 1, next_attempt = $1, last_error = $2"
                " WHERE id = $3",
                next_attempt, error, row.id,
            )  # fmt: skip
            await _count(tx, row.account, "failures", "unavailable")

    async def failed(self, row: OutboxRow, error: str, *, refused: bool = True) -> None:
        """mox refused the change for good (or it cannot be made); keep the row, mark the entry."""
        now = self.db.clock()
        async with self.db.transaction() as tx:
            if refused:
                await _count(tx, row.account, "failures", "refused")
            await tx.execute(
                "UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = $1,"
                " done = $2 WHERE id = $3",
                error, now, row.id,
            )  # fmt: skip
            if row.suppression_id is not None:
                await tx.execute(
                    "UPDATE suppressions SET mox_state = $1 WHERE id = $2",
                    MoxState.ERROR, row.suppression_id,
                )  # fmt: skip
                await tx.execute(
                    "INSERT INTO audit (at, account, suppression_id, action, actor, detail)"
                    " VALUES ($1, $2, $3, 'sync_failed', 'sync', $4)",
                    now, row.account, row.suppression_id, f"mox refused {row.op}: {error}",
                )  # fmt: skip

    async def retry_now(self) -> None:
        """Make every pending row due now (mox is back)."""
        await self.db.write(
            "UPDATE outbox SET next_attempt = $1 WHERE state = 'pending'", self.db.clock()
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
            "SELECT address FROM outbox WHERE account = $1 AND state = 'pending' AND op = 'remove'",
            account,
        )
        return {r[0] for r in rows}

    async def cursor(self, mox: str, account: str) -> MoxCursor:
        """How far the account's outbox has reached the mox server named mox."""
        row = await self.db.fetchone(
            "SELECT last_id, attempts, next_attempt, last_error FROM outbox_cursors"
            " WHERE mox = $1 AND account = $2",
            mox, account,
        )  # fmt: skip
        if row is None:
            return MoxCursor(mox, account, 0, 0, None, "")
        return MoxCursor(mox, account, int(row[0]), int(row[1]), row[2], str(row[3]))

    async def after(self, account: str, after_id: int, limit: int = 500) -> list[OutboxRow]:
        """The account's outbox rows after after_id, in order, whatever their state."""
        rows = await self.db.fetchall(
            "SELECT * FROM outbox WHERE account = $1 AND id > $2 ORDER BY id LIMIT $3",
            account, after_id, limit,
        )  # fmt: skip
        return [build(OutboxRow, r) for r in rows]

    async def advance(self, mox: str, account: str, last_id: int, note: str = "") -> None:
        """Row last_id reached the mox server named mox (or was refused there for good)."""
        await self.db.write(
            "INSERT INTO outbox_cursors (mox, account, last_id, last_error) VALUES"
            " ($1, $2, $3, $4) ON CONFLICT (mox, account) DO UPDATE SET last_id ="
            " excluded.last_id, attempts = 0, next_attempt = NULL, last_error ="
            " excluded.last_error",
            mox, account, last_id, note,
        )  # fmt: skip

    async def retry_cursor(
        self, mox: str, account: str, next_attempt: datetime, error: str
    ) -> None:
        """The mox server named mox could not be reached: try its next row at next_attempt."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO outbox_cursors (mox, account, attempts, next_attempt, last_error)"
                " VALUES ($1, $2, 1, $3, $4) ON CONFLICT (mox, account) DO UPDATE SET"
                " attempts = outbox_cursors.attempts + 1, next_attempt = excluded.next_attempt,"
                " last_error = excluded.last_error",
                mox, account, next_attempt, error,
            )  # fmt: skip
            await _count(tx, account, "failures", "unavailable")

    async def record_reconcile(self, account: str, error: str) -> None:
        """Note a reconcile pass of an account: when it succeeded, or why it failed."""
        now = self.db.clock()
        async with self.db.transaction() as tx:
            if error:
                await _count(tx, account, "failures", "reconcile")
                await tx.execute(
                    "INSERT INTO sync_state (account, last_error, failures) VALUES ($1, $2, 1)"
                    " ON CONFLICT (account) DO UPDATE SET last_error = excluded.last_error,"
                    " failures = sync_state.failures + 1",
                    account, error,
                )  # fmt: skip
            else:
                await tx.execute(
                    "INSERT INTO sync_state (account, last_reconcile) VALUES ($1, $2)"
                    " ON CONFLICT (account) DO UPDATE SET last_reconcile = excluded.last_reconcile,"
                    " last_error = '', failures = 0",
                    account, now,
                )  # fmt: skip

    async def sync_counts(self) -> list[tuple[str, str, str, int]]:
        """(account, metric, label, n): changes pushed into mox and failed attempts, counted."""
        rows = await self.db.fetchall("SELECT account, metric, label, n FROM sync_counts")
        return [(r[0], r[1], r[2], int(r[3])) for r in rows]

    async def sync_states(self) -> dict[str, SyncState]:
        """The reconciliation state of each account that has one."""
        rows = await self.db.fetchall("SELECT account, last_reconcile, last_error FROM sync_state")
        return {r["account"]: build(SyncState, r) for r in rows}
