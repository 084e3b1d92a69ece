"""Webhook events: stored on arrival, processed from the table as a durable queue."""

from __future__ import annotations

import asyncio
import builtins
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from moxhooks.store.db import Row, SqliteDatabase, iso, parse_iso
from moxhooks.store.intake import Counter, Record, intake_dir, plan, remove_segment

log = logging.getLogger(__name__)

# The records moved into events, per intake segment, as a JSON object.
_MOVED = "SELECT json_group_object(name, records) FROM intake_segments"

_INSERT = (
    "INSERT OR IGNORE INTO events"
    " (account, webhook_id, attempt, received, event, queue_msg_id, message_id, payload, mox)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
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
    # The mox server's key (Config.mox_key): "" for the first server.
    mox: str = ""

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
            mox=r["mox"],
        )


@dataclass(frozen=True)
class Send:
    """A sent message, as a report about it finds it: its newest event with a recipient."""

    account: str
    queue_msg_id: int
    message_id: str
    recipient: str | None  # the event's, else the one recorded for the message, else None
    payload: str  # the event's webhook JSON (its Extra names topic and mail type)


class SqliteEventStore:
    """The events table."""

    def __init__(self, db: SqliteDatabase) -> None:
        self.db = db
        # Webhooks go to this process's intake log (store/intake.py), not to receive().
        self.direct_intake = False
        # due() claims nothing: one worker per file, so there is no lease to renew.
        self.lease: float | None = None
        self._intake_dir = intake_dir(db.path)
        self._counter = Counter(self._intake_dir)

    async def take_intake(self, limit: int = 1000) -> int:
        """Move up to limit webhooks from the intake segments into events; returns how
        many (0: nothing to move).

        One transaction inserts them and advances the segment's cursor, so each is moved
        once, whatever process dies when; a webhook that mox repeated is kept once
        (INSERT OR IGNORE on the unique mox, account and webhook_id). Finished segments (no
        writer, everything moved) are deleted.
        """
        cursors = {
            str(r[0]): (int(r[1]), int(r[2]))
            for r in await self.db.fetchall("SELECT name, offset, records FROM intake_segments")
        }
        scan = await asyncio.to_thread(plan, self._intake_dir, cursors, limit)
        for name in scan.done:
            await asyncio.to_thread(remove_segment, self._intake_dir, name)
        if scan.done or scan.gone:
            async with self.db.transaction() as tx:
                await tx.executemany(
                    "DELETE FROM intake_segments WHERE name = ?",
                    [(n,) for n in [*scan.done, *scan.gone]],
                )
        b = scan.batch
        if b is None:
            return 0
        async with self.db.transaction() as tx:
            # Another mover (a second process) may have moved them meanwhile.
            row = await tx.fetchone(
                "SELECT offset FROM intake_segments WHERE name = ?", (b.segment,)
            )
            if (int(row[0]) if row else 0) != b.start:
                return 0
            await tx.executemany(_INSERT, [r.row() for r in b.records])
            await tx.execute(
                "INSERT INTO intake_segments (name, offset, records) VALUES (?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET offset = excluded.offset,"
                " records = excluded.records",
                (b.segment, b.end, b.moved_before + len(b.records)),
            )
        # A skipped torn end counts as work done: the caller looks again at once.
        return max(len(b.records), 1 if b.skipped else 0)

    async def receive(self, record: Record) -> bool:
        """Keep a webhook's event with a commit of its own; False when mox repeated a
        webhook kept already. Intake on SQLite appends to the intake log instead
        (direct_intake is False): a commit a webhook waits for SQLite's one writer."""
        return await self.db.write(_INSERT, record.row()) == 1

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

    async def renew(self, ids: Sequence[int]) -> int:
        """Nothing: no other process takes this one's events (lease is None)."""
        return 0

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
            " events n WHERE n.mox = e.mox AND n.account = e.account"
            " AND n.queue_msg_id = e.queue_msg_id"
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
        """Webhooks in the intake segments not yet moved into events (repeats included)."""
        row = await self.db.fetchone(_MOVED)
        return await self._backlog(row)

    async def _backlog(self, row: Row | None) -> int:
        moved = {str(k): int(v) for k, v in json.loads(row[0] if row else "{}").items()}
        return await asyncio.to_thread(self._counter.backlog, moved)

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
        # meanwhile is counted in events or (by the cursors read with them) in intake,
        # never in neither. Intake's segments are counted afterwards: what was appended
        # since is pending too.
        row = await self.db.fetchone(
            f"SELECT ({_MOVED}), (SELECT COUNT(*) FROM events WHERE status != 'done'"
            " AND status IN ('pending', 'unresolved'))"
        )
        return (int(row[1]) if row else 0) + await self._backlog(row)

    async def recipients_for(
        self, keys: Sequence[tuple[str, int]], mox: str = ""
    ) -> dict[tuple[str, int], str]:
        """Known recipients of (account, QueueMsgID) pairs of the mox server keyed mox, in
        one query."""
        out: dict[tuple[str, int], str] = {}
        for i in range(0, len(keys), 400):
            chunk = keys[i : i + 400]
            rows = await self.db.fetchall(
                "SELECT account, queue_msg_id, address FROM recipients WHERE mox = ? AND"
                f" (account, queue_msg_id) IN (VALUES {', '.join(['(?, ?)'] * len(chunk))})",
                [mox, *(v for key in chunk for v in key)],
            )
            out.update({(r[0], int(r[1])): str(r[2]) for r in rows})
        return out

    async def sends(
        self, message_ids: Sequence[str], account: str | None = None
    ) -> builtins.list[Send]:
        """The sends whose Message-ID is one of message_ids (of any account, or of account):
        one per queue message, from its newest event with a recipient, else its newest
        event, with the recipient recorded for the message; by account and QueueMsgID."""
        if not message_ids:
            return []
        sql = (
            "SELECT e.id, e.account, e.queue_msg_id, e.webhook_id, e.message_id, e.recipient,"
            " e.payload, r.address AS known FROM events e LEFT JOIN recipients r"
            " ON r.mox = e.mox AND r.account = e.account AND r.queue_msg_id = e.queue_msg_id"
            f" WHERE e.message_id IN ({', '.join('?' * len(message_ids))})"
        )
        params: builtins.list[object] = [*message_ids]
        if account is not None:
            sql += " AND e.account = ?"
            params.append(account)
        # Sorted here, not by ORDER BY: with one, SQLite reads all of an account's events
        # through events_message (which has that order) instead of events_message_id.
        rows = sorted(
            await self.db.fetchall(sql, params),
            key=lambda r: (
                r["account"], r["queue_msg_id"], r["recipient"] is None, -r["webhook_id"], -r["id"]
            ),
        )  # fmt: skip
        out: dict[tuple[str, int], Send] = {}
        for r in rows:
            key = (str(r["account"]), int(r["queue_msg_id"]))
            if key not in out:
                recipient = r["recipient"] or r["known"] or None
                out[key] = Send(key[0], key[1], str(r["message_id"]), recipient, str(r["payload"]))
        return builtins.list(out.values())

    async def latest_send_to(self, account: str, recipient_base: str, since: str) -> Send | None:
        """The account's newest event for a recipient (base address) received since, or None."""
        row = await self.db.fetchone(
            "SELECT account, queue_msg_id, message_id, recipient, payload FROM events"
            " WHERE account = ? AND recipient_base = ? AND received >= ?"
            " ORDER BY id DESC LIMIT 1",
            (account, recipient_base, since),
        )
        if row is None:
            return None
        return Send(
            str(row["account"]), int(row["queue_msg_id"]), str(row["message_id"]),
            row["recipient"], str(row["payload"]),
        )  # fmt: skip

    async def remember_recipients(
        self, account: str, pairs: builtins.list[tuple[int, str]], source: str, mox: str = ""
    ) -> None:
        """Record QueueMsgID -> address of the mox server keyed mox, from a send or a
        lookup in mox."""
        async with self.db.transaction() as tx:
            await tx.executemany(
                "INSERT OR REPLACE INTO recipients (mox, account, queue_msg_id, address, source)"
                " VALUES (?, ?, ?, ?, ?)",
                [(mox, account, qid, addr, source) for qid, addr in pairs],
            )
