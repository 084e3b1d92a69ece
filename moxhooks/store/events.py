"""Webhook events: stored on arrival, processed from the table as a durable queue."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .db import Database, Row, iso, parse_iso
from .intake import COLUMNS

_INTAKE_COLUMNS = ", ".join(COLUMNS)
# Rows of the intake file past the cursor: not moved into events yet.
_BACKLOG = (
    "SELECT COUNT(*) FROM intake.intake WHERE id > COALESCE((SELECT c.last_id FROM"
    " intake_cursor c, intake.intake_file f WHERE c.generation = f.generation), 0)"
)

_INSERT = (
    "INSERT OR IGNORE INTO events"
    " (account, webhook_id, attempt, received, event, queue_msg_id, message_id, payload)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


@dataclass(frozen=True)
class StoredEvent:
    """An event as kept in the database."""

    id: int
    account: str
    webhook_id: int
    attempt: int
    received: str
    event: str
    queue_msg_id: int
    message_id: str
    payload: str
    status: str
    recipient: str | None
    kind: str | None
    decision: str | None
    detail: str
    tries: int

    @classmethod
    def from_row(cls, r: Row) -> StoredEvent:
        return cls(
            id=r["id"],
            account=r["account"],
            webhook_id=r["webhook_id"],
            attempt=r["attempt"],
            received=r["received"],
            event=r["event"],
            queue_msg_id=r["queue_msg_id"],
            message_id=r["message_id"],
            payload=r["payload"],
            status=r["status"],
            recipient=r["recipient"],
            kind=r["kind"],
            decision=r["decision"],
            detail=r["detail"],
            tries=r["tries"],
        )

    def to_json(self) -> dict[str, Any]:
        """The public form, for the CLI and the API."""
        return {
            "id": self.id,
            "account": self.account,
            "webhook_id": self.webhook_id,
            "received": self.received,
            "event": self.event,
            "queue_msg_id": self.queue_msg_id,
            "message_id": self.message_id,
            "status": self.status,
            "recipient": self.recipient,
            "kind": self.kind,
            "decision": self.decision,
            "detail": self.detail,
        }


class EventStore:
    """The events table."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(
        self,
        account: str,
        webhook_id: int,
        attempt: int,
        event: str,
        queue_msg_id: int,
        message_id: str,
        payload: str,
    ) -> None:
        """Store an event durably; a repeated (account, webhook_id) changes nothing."""
        await self.db.insert_grouped(
            _INSERT,
            (account, webhook_id, attempt, self.db.now(), event, queue_msg_id, message_id, payload),
        )

    async def take_intake(self, limit: int = 1000) -> int:
        """Move up to limit rows of the webhook intake file into events; returns how many.

        The rows are read on the reader connection (the only one with the intake file
        attached: reading takes no lock there). One transaction inserts them and
        advances the cursor, so each row is moved once, whatever process dies when; a
        webhook that mox repeated is kept once (INSERT OR IGNORE on the unique account
        and webhook_id).
        """
        head = await self.db.fetchone(
            "SELECT f.generation, c.last_id FROM intake.intake_file f"
            " LEFT JOIN intake_cursor c ON c.generation = f.generation"
        )
        if head is None:
            return 0
        generation, last = str(head[0]), int(head[1] or 0)
        rows = await self.db.fetchall(
            f"SELECT id, {_INTAKE_COLUMNS} FROM intake.intake WHERE id > ? ORDER BY id LIMIT ?",
            (last, limit),
        )
        if not rows:
            return 0
        async with self.db.transaction() as conn:
            # Another mover (a second process) may have gone further meanwhile.
            cur = await conn.execute(
                "SELECT last_id FROM intake_cursor WHERE generation = ?", (generation,)
            )
            row = await cur.fetchone()
            await cur.close()
            done = int(row[0]) if row else 0
            fresh = [tuple(r)[1:] for r in rows if r[0] > done]
            if not fresh:
                return 0
            await conn.executemany(_INSERT, fresh)
            await conn.execute(
                "INSERT INTO intake_cursor (generation, last_id) VALUES (?, ?)"
                " ON CONFLICT (generation) DO UPDATE SET last_id = excluded.last_id",
                (generation, int(rows[-1][0])),
            )
        return len(fresh)

    async def due(self, limit: int = 200) -> builtins.list[StoredEvent]:
        """Events waiting to be processed: new ones, and unresolved ones whose retry is due."""
        # Two searches of the partial index events_status (status != 'done'): the table
        # keeps every event, and one OR over it read all of them (175 ms at 1,000,000).
        rows = await self.db.fetchall(
            "SELECT * FROM (SELECT * FROM events WHERE status != 'done' AND status = 'pending'"
            " UNION ALL SELECT * FROM events WHERE status != 'done' AND status = 'unresolved'"
            " AND next_try <= ?) ORDER BY id LIMIT ?",
            (self.db.now(), limit),
        )
        return [StoredEvent.from_row(r) for r in rows]

    async def next_retry(self) -> datetime | None:
        """When the earliest unresolved event is due again, or None."""
        row = await self.db.fetchone(
            "SELECT MIN(next_try) FROM events WHERE status != 'done' AND status = 'unresolved'"
        )
        return parse_iso(row[0]) if row and row[0] else None

    async def superseded(self, events: Sequence[StoredEvent]) -> set[int]:
        """Ids of the events for whose message a later webhook was processed already."""
        if not events:
            return set()
        marks = ", ".join("?" * len(events))
        rows = await self.db.fetchall(
            f"SELECT e.id FROM events e WHERE e.id IN ({marks}) AND EXISTS (SELECT 1 FROM"
            " events n WHERE n.account = e.account AND n.queue_msg_id = e.queue_msg_id"
            " AND n.webhook_id > e.webhook_id AND n.status = 'done')",
            [ev.id for ev in events],
        )
        return {int(r[0]) for r in rows}

    async def mark_unresolved(self, event_id: int, next_try: datetime, detail: str) -> None:
        """Note a failed attempt to find the recipient; try again at next_try."""
        await self.db.write(
            "UPDATE events SET status = 'unresolved', tries = tries + 1, next_try = ?,"
            " detail = ? WHERE id = ?",
            (iso(next_try), detail, event_id),
        )

    async def mark_abandoned(self, event_id: int, detail: str) -> None:
        """Give up on finding an event's recipient."""
        await self.db.write(
            "UPDATE events SET status = 'abandoned', detail = ?, processed = ? WHERE id = ?",
            (detail, self.db.now(), event_id),
        )

    async def list(
        self,
        account: str,
        *,
        limit: int = 100,
        before_id: int | None = None,
        event: str | None = None,
        kind: str | None = None,
        status: str | None = None,
        recipient: str | None = None,
    ) -> builtins.list[StoredEvent]:
        """Events of an account, newest first, filtered."""
        where = ["account = ?"]
        params: builtins.list[Any] = [account]
        if before_id is not None:
            where.append("id < ?")
            params.append(before_id)
        for col, val in (("event", event), ("kind", kind), ("status", status)):
            if val:
                where.append(f"{col} = ?")
                params.append(val)
        if recipient:
            where.append("recipient_base = ?")
            params.append(recipient)
        params.append(limit)
        rows = await self.db.fetchall(
            f"SELECT * FROM events WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT ?", params
        )
        return [StoredEvent.from_row(r) for r in rows]

    async def get(self, event_id: int) -> StoredEvent | None:
        """One event by id."""
        row = await self.db.fetchone("SELECT * FROM events WHERE id = ?", (event_id,))
        return StoredEvent.from_row(row) if row else None

    async def counts(self) -> dict[str, int]:
        """Events not done yet (pending, unresolved, abandoned) by status, for health.

        Pending includes what intake appended and the processor has not moved in yet.
        Done events are not counted: they are nearly all of the table, and counting them
        read all of it (330 ms at 1,000,000 events); the others are in events_status.
        """
        rows = await self.db.fetchall(
            "SELECT status, COUNT(*) FROM events WHERE status != 'done' GROUP BY status"
        )
        out = {r[0]: int(r[1]) for r in rows}
        backlog = await self.intake_backlog()
        if backlog:
            out["pending"] = out.get("pending", 0) + backlog
        return out

    async def intake_backlog(self) -> int:
        """Webhooks in the intake file not yet moved into events (repeats included)."""
        row = await self.db.fetchone(_BACKLOG)
        return int(row[0]) if row else 0

    async def unfinished_by_account(self) -> dict[tuple[str, str], int]:
        """Events not done (pending, unresolved, abandoned) per (account, status)."""
        rows = await self.db.fetchall(
            "SELECT account, status, COUNT(*) FROM events WHERE status != 'done'"
            " GROUP BY account, status"
        )
        return {(r[0], r[1]): int(r[2]) for r in rows}

    async def processed_counts(self) -> builtins.list[tuple[str, str, str, str, int]]:
        """(account, event, kind, decision, count) of all processed events, for metrics
        (kept by the trigger events_processed as events are done)."""
        rows = await self.db.fetchall(
            "SELECT account, event, kind, decision, n FROM processed_counts"
        )
        return [(r[0], r[1], r[2], r[3], int(r[4])) for r in rows]

    async def pending_count(self) -> int:
        """Events not yet processed (pending or unresolved, or still in intake)."""
        # One statement, one snapshot of the database: a batch the processor moves in
        # meanwhile is counted in events or in intake, never in neither.
        row = await self.db.fetchone(
            "SELECT (SELECT COUNT(*) FROM events WHERE status != 'done'"
            f" AND status IN ('pending', 'unresolved')) + ({_BACKLOG})"
        )
        return int(row[0]) if row else 0

    async def recipients_for(
        self, keys: Sequence[tuple[str, int]]
    ) -> dict[tuple[str, int], str]:
        """Known recipients of (account, QueueMsgID) pairs, in one query."""
        out: dict[tuple[str, int], str] = {}
        for i in range(0, len(keys), 400):
            chunk = keys[i : i + 400]
            rows = await self.db.fetchall(
                "SELECT account, queue_msg_id, address FROM recipients WHERE"
                f" (account, queue_msg_id) IN (VALUES {', '.join(['(?, ?)'] * len(chunk))})",
                [v for key in chunk for v in key],
            )
            out.update({(r[0], int(r[1])): str(r[2]) for r in rows})
        return out

    async def remember_recipients(
        self, account: str, pairs: builtins.list[tuple[int, str]], source: str
    ) -> None:
        """Record QueueMsgID -> address, from a send or a lookup in mox."""
        async with self.db.transaction() as conn:
            await conn.executemany(
                "INSERT OR REPLACE INTO recipients (account, queue_msg_id, address, source)"
                " VALUES (?, ?, ?, ?)",
                [(account, qid, addr, source) for qid, addr in pairs],
            )
