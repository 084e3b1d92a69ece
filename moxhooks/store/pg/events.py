"""Webhook events on PostgreSQL (store/events.py's SQL): moved in from the intake log,
processed from the table."""

from __future__ import annotations

import asyncio
import builtins
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from moxhooks.store.db import parse_iso
from moxhooks.store.events import Send, StoredEvent
from moxhooks.store.intake import Counter, Record, intake_dir, plan, remove_segment
from moxhooks.store.pg.database import OURS, PgDatabase, build
from moxhooks.store.pg.names import EVENTS_CHANNEL

# The records moved into events, per intake segment.
_MOVED = "SELECT COALESCE(json_object_agg(name, records), '{}') FROM intake_segments"

_INSERT = (
    "INSERT INTO events"
    " (account, webhook_id, attempt, received, event, queue_msg_id, message_id, payload, mox)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    " ON CONFLICT (mox, account, webhook_id) DO NOTHING"
)

# The webhook's event, and the notification, in one statement: atomic without a
# transaction of its own (one round trip), and the notification is sent at its commit
# only when the event is new.
_RECEIVE = (
    "WITH new AS (" + _INSERT + " RETURNING id)"
    f" SELECT id, pg_notify('{EVENTS_CHANNEL}', '') FROM new"
)


# Claim up to $4 due events for node $1 for $2 seconds (the server's clock times
# leases: the one clock all nodes share); $3 is the store's now, for the retries. The
# node's own claims are taken again (renewed): a node runs one processor, so an event
# it still holds is one whose processing ended without an outcome.
_CLAIM = (
    "UPDATE events SET lease_owner = $1, lease_until = now() + make_interval(secs => $2)"
    " WHERE id IN (SELECT id FROM events WHERE status <> 'done' AND (status = 'pending'"
    " OR (status = 'unresolved' AND next_try <= $3))"
    " AND (lease_until IS NULL OR lease_until < now() OR lease_owner = $1)"
    " ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED) RETURNING *"
)


class PgEventStore:
    """The events table."""

    def __init__(self, db: PgDatabase) -> None:
        self.db = db
        # Every webhook is committed in PostgreSQL before its 200 (receive): a node's disk
        # may be lost, and any node may take any webhook. take_intake still moves what an
        # earlier version left in the intake log.
        self.direct_intake = True
        # Seconds a claim by due() lasts unless renewed (renew()).
        self.lease: float | None = db.lease
        self._intake_dir = intake_dir(db.path)
        self._counter = Counter(self._intake_dir)

    async def take_intake(self, limit: int = 1000) -> int:
        """Move up to limit webhooks from this node's intake segments into events; returns
        how many (0: nothing to move).

        One transaction inserts them and advances the segment's cursor, whose row it locks
        first, so each is moved once even with two movers; a webhook that mox repeated is
        kept once (ON CONFLICT on the unique mox, account and webhook_id). Finished
        segments (no writer, everything moved) are deleted.
        """
        cursors = {
            str(r[0]): (int(r[1]), int(r[2]))
            for r in await self.db.fetchall('SELECT name, "offset", records FROM intake_segments')
        }
        scan = await asyncio.to_thread(plan, self._intake_dir, cursors, limit)
        for name in scan.done:
            await asyncio.to_thread(remove_segment, self._intake_dir, name)
        if scan.done or scan.gone:
            async with self.db.transaction() as tx:
                await tx.execute(
                    "DELETE FROM intake_segments WHERE name = ANY($1::text[])",
                    [*scan.done, *scan.gone],
                )
        b = scan.batch
        if b is None:
            return 0
        async with self.db.transaction() as tx:
            # The cursor row (made if missing) is locked: another mover waits here, then
            # finds the offset moved on and leaves the batch alone.
            await tx.execute(
                'INSERT INTO intake_segments (name, "offset", records) VALUES ($1, 0, 0)'
                " ON CONFLICT (name) DO NOTHING",
                b.segment,
            )
            start = await tx.fetchval(
                'SELECT "offset" FROM intake_segments WHERE name = $1 FOR UPDATE', b.segment
            )
            if int(start) != b.start:
                return 0
            await tx.executemany(_INSERT, [_event_params(r.row()) for r in b.records])
            await tx.execute(
                'UPDATE intake_segments SET "offset" = $2, records = $3 WHERE name = $1',
                b.segment, b.end, b.moved_before + len(b.records),
            )  # fmt: skip
        # A skipped torn end counts as work done: the caller looks again at once.
        return max(len(b.records), 1 if b.skipped else 0)

    async def receive(self, record: Record) -> bool:
        """Keep a webhook's event, committed when this returns (the node's disk may be lost:
        the webhook is acknowledged after this), and wake the processors; False when mox
        repeated a webhook kept already.

        The intake of a node on PostgreSQL, in place of the intake log's append: one commit
        a webhook (runtime/web.py's DatabaseIntake).
        """
        new_id = await self.db.write_value(_RECEIVE, *_event_params(record.row()))
        return new_id is not None

    async def due(self, limit: int = 200) -> builtins.list[StoredEvent]:
        """Events waiting to be processed (new ones, and unresolved ones whose retry is
        due), claimed for this node: no other node takes them until its lease runs out.

        Several nodes' workers take disjoint batches: rows another node is claiming at
        the same moment are skipped (SKIP LOCKED), rows it claimed are left until its
        lease_until passes (it died or stalled: this node takes them over).
        """
        async with self.db.transaction() as tx:
            rows = await tx.fetch(_CLAIM, self.db.node, self.db.lease, self.db.clock(), limit)
        return sorted((build(StoredEvent, r) for r in rows), key=lambda ev: ev.id)

    async def renew(self, ids: Sequence[int]) -> int:
        """Extend this node's claim, by a lease from now, on those of ids it still holds
        and has not finished (an outcome clears lease_until); returns how many.

        The processor calls it while it works on a batch (jobs/leases.py), so a batch
        that outlasts one lease (slow lookups in mox, DNS) stays this node's; a node that
        died renews nothing, and its claims run out one lease after its last renewal.
        """
        if not ids:
            return 0
        return await self.db.write(
            "UPDATE events SET lease_until = now() + make_interval(secs => $2)"
            " WHERE id = ANY($3::bigint[]) AND status <> 'done' AND lease_owner = $1"
            " AND lease_until IS NOT NULL",
            self.db.node, self.db.lease, builtins.list(ids),
        )  # fmt: skip

    async def next_retry(self) -> datetime | None:
        """When the earliest unresolved event is due again, or another node's claim on an
        event runs out (this node then takes it over, without waiting for its next look),
        or None."""
        row = await self.db.fetchone(
            "SELECT LEAST((SELECT MIN(next_try) FROM events WHERE status <> 'done'"
            " AND status = 'unresolved'), (SELECT MIN(lease_until) FROM events"
            " WHERE status <> 'done' AND status = 'pending' AND lease_owner <> $1))",
            self.db.node,
        )
        return row[0] if row and row[0] else None

    async def superseded(self, events: Sequence[StoredEvent]) -> set[int]:
        """Ids of the events for whose message a later webhook was processed already."""
        if not events:
            return set()
        rows = await self.db.fetchall(
            "SELECT e.id FROM events e WHERE e.id = ANY($1::bigint[]) AND EXISTS (SELECT 1"
            " FROM events n WHERE n.mox = e.mox AND n.account = e.account"
            " AND n.queue_msg_id = e.queue_msg_id AND n.webhook_id > e.webhook_id"
            " AND n.status = 'done')",
            [ev.id for ev in events],
        )
        return {int(r[0]) for r in rows}

    async def mark_unresolved(self, event_id: int, next_try: datetime, detail: str) -> None:
        """Note a failed attempt to find the recipient; try again at next_try (when any
        node may claim it). Nothing, when another node took the event over meanwhile."""
        await self.db.write(
            "UPDATE events SET status = 'unresolved', tries = tries + 1, next_try = $1,"
            f" detail = $2, lease_until = NULL WHERE id = $3 AND {OURS.format(n=4)}",
            next_try, detail, event_id, self.db.node,
        )  # fmt: skip

    async def mark_abandoned(self, event_id: int, detail: str) -> None:
        """Give up on finding an event's recipient (nothing, when another node took the
        event over meanwhile)."""
        await self.db.write(
            "UPDATE events SET status = 'abandoned', detail = $1, processed = $2,"
            f" lease_until = NULL WHERE id = $3 AND {OURS.format(n=4)}",
            detail, self.db.clock(), event_id, self.db.node,
        )  # fmt: skip

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
        params: builtins.list[Any] = [account]
        where = ["account = $1"]
        if before_id is not None:
            params.append(before_id)
            where.append(f"id < ${len(params)}")
        for col, val in (
            ("event", event), ("kind", kind), ("status", status), ("recipient_base", recipient)
        ):  # fmt: skip
            if val:
                params.append(val)
                where.append(f"{col} = ${len(params)}")
        params.append(limit)
        rows = await self.db.fetchall(
            f"SELECT * FROM events WHERE {' AND '.join(where)} ORDER BY id DESC"
            f" LIMIT ${len(params)}",
            *params,
        )
        return [build(StoredEvent, r) for r in rows]

    async def get(self, event_id: int) -> StoredEvent | None:
        """One event by id."""
        row = await self.db.fetchone("SELECT * FROM events WHERE id = $1", event_id)
        return build(StoredEvent, row) if row else None

    async def counts(self) -> dict[str, int]:
        """Events not done yet (pending, unresolved, abandoned) by status, for health;
        pending includes what intake appended and the processor has not moved in yet."""
        rows = await self.db.fetchall(
            "SELECT status, COUNT(*) FROM events WHERE status <> 'done' GROUP BY status"
        )
        out = {r[0]: int(r[1]) for r in rows}
        backlog = await self.intake_backlog()
        if backlog:
            out["pending"] = out.get("pending", 0) + backlog
        return out

    async def intake_backlog(self) -> int:
        """Webhooks in the intake segments not yet moved into events (repeats included)."""
        row = await self.db.fetchone(_MOVED)
        return await self._backlog(row[0] if row else "{}")

    async def _backlog(self, moved_json: str) -> int:
        moved = {str(k): int(v) for k, v in json.loads(moved_json).items()}
        return await asyncio.to_thread(self._counter.backlog, moved)

    async def unfinished_by_account(self) -> dict[tuple[str, str], int]:
        """Events not done (pending, unresolved, abandoned) per (account, status)."""
        rows = await self.db.fetchall(
            "SELECT account, status, COUNT(*) FROM events WHERE status <> 'done'"
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
        # One statement, one snapshot: a batch moved in meanwhile is counted in events or
        # (by the cursors read with them) in intake, never in neither.
        row = await self.db.fetchone(
            f"SELECT ({_MOVED}), (SELECT COUNT(*) FROM events WHERE status <> 'done'"
            " AND status IN ('pending', 'unresolved'))"
        )
        return (int(row[1]) if row else 0) + await self._backlog(row[0] if row else "{}")

    async def recipients_for(
        self, keys: Sequence[tuple[str, int]], mox: str = ""
    ) -> dict[tuple[str, int], str]:
        """Known recipients of (account, QueueMsgID) pairs of the mox server keyed mox, in
        one query."""
        if not keys:
            return {}
        rows = await self.db.fetchall(
            "SELECT r.account, r.queue_msg_id, r.address FROM recipients r"
            " JOIN unnest($1::text[], $2::bigint[]) AS k (account, queue_msg_id)"
            " ON r.mox = $3 AND r.account = k.account AND r.queue_msg_id = k.queue_msg_id",
            [k[0] for k in keys], [k[1] for k in keys], mox,
        )  # fmt: skip
        return {(r[0], int(r[1])): str(r[2]) for r in rows}

    async def sends(
        self, message_ids: Sequence[str], account: str | None = None
    ) -> builtins.list[Send]:
        """The sends whose Message-ID is one of message_ids (of any account, or of account):
        one per queue message, from its newest event with a recipient, else its newest
        event, with the recipient recorded for the message; by account and QueueMsgID."""
        if not message_ids:
            return []
        sql = (
            'SELECT DISTINCT ON (e.account COLLATE "C", e.queue_msg_id) e.account,'
            " e.queue_msg_id, e.message_id, COALESCE(NULLIF(e.recipient, ''),"
            " NULLIF(r.address, '')) AS recipient, e.payload FROM events e"
            " LEFT JOIN recipients r ON r.mox = e.mox AND r.account = e.account"
            " AND r.queue_msg_id = e.queue_msg_id WHERE e.message_id = ANY($1::text[])"
        )
        params: builtins.list[Any] = [builtins.list(message_ids)]
        if account is not None:
            sql += " AND e.account = $2"
            params.append(account)
        sql += (
            ' ORDER BY e.account COLLATE "C", e.queue_msg_id, e.recipient IS NULL,'
            " e.webhook_id DESC, e.id DESC"
        )
        rows = await self.db.fetchall(sql, *params)
        return [Send(str(r[0]), int(r[1]), str(r[2]), r[3], str(r[4])) for r in rows]

    async def latest_send_to(self, account: str, recipient_base: str, since: str) -> Send | None:
        """The account's newest event for a recipient (base address) received since, or None."""
        row = await self.db.fetchone(
            "SELECT account, queue_msg_id, message_id, recipient, payload FROM events"
            " WHERE account = $1 AND recipient_base = $2 AND received >= $3"
            " ORDER BY id DESC LIMIT 1",
            account, recipient_base, parse_iso(since),
        )  # fmt: skip
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
            # SQLite's INSERT OR REPLACE: a replaced row takes the default topic again.
            await tx.executemany(
                "INSERT INTO recipients (mox, account, queue_msg_id, address, source) VALUES"
                " ($1, $2, $3, $4, $5) ON CONFLICT (mox, account, queue_msg_id) DO UPDATE SET"
                " address = excluded.address, source = excluded.source, topic = ''",
                [(mox, account, qid, addr, source) for qid, addr in pairs],
            )


def _event_params(row: tuple[str, int, int, str, str, int, str, str, str]) -> tuple[Any, ...]:
    """An intake record's row for _INSERT, its received time as a timestamp."""
    account, webhook_id, attempt, received, event, queue_msg_id, message_id, payload, mox = row
    return (
        account, webhook_id, attempt, parse_iso(received), event, queue_msg_id, message_id,
        payload, mox,
    )  # fmt: skip
