"""Suppression entries and their history on PostgreSQL (store/suppressions.py's SQL).

The active-entry rule is the partial unique index suppressions_active: an insert that
meets an active entry does nothing (ON CONFLICT ... DO NOTHING), and the methods that go
on to change the entry they met lock it first (FOR UPDATE), since other transactions run
beside theirs.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import asyncpg

from moxhooks.kinds import Kind, MoxState
from moxhooks.models import Suppression
from moxhooks.store.db import NO_DEADLINE, iso, parse_iso
from moxhooks.store.errors import LeaseLost
from moxhooks.store.pg.database import OURS, PgDatabase, Tx, build, row_values, rowcount
from moxhooks.store.pg.outbox import enqueue
from moxhooks.store.suppressions import (
    COMPLAINT_ENDED,
    REPORT_RECORDED,
    AddressHistory,
    EventOutcome,
    NewEntry,
)

_COLUMNS = (
    "account, base_address, original_address, scope, kind, source, reason, created,"
    " created_by, expires, event_id, mox_state"
)
_INSERT_ENTRY = (
    f"INSERT INTO suppressions ({_COLUMNS})"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    " ON CONFLICT (account, base_address, scope) WHERE ended IS NULL DO NOTHING RETURNING id"
)
# Many entries in one statement, from one array per column; their audit rows and outbox
# rows are written by the same statement from what the insert returned.
_INSERT_ENTRIES = (
    "WITH new AS (INSERT INTO suppressions (" + _COLUMNS + ")"
    " SELECT a, b, c, d, e, f, g, h, i, j, k, l FROM unnest($1::text[], $2::text[],"
    " $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[],"
    " $9::text[], $10::timestamptz[], $11::bigint[], $12::text[])"
    " WITH ORDINALITY AS u (a, b, c, d, e, f, g, h, i, j, k, l, n) ORDER BY n"
    " ON CONFLICT (account, base_address, scope) WHERE ended IS NULL DO NOTHING RETURNING *),"
    " audited AS (INSERT INTO audit (at, account, suppression_id, action, actor, detail)"
    " SELECT created, account, id, 'added', created_by,"
    " kind || ' from ' || source || CASE WHEN reason <> '' THEN ': ' || reason ELSE '' END"
    " || CASE WHEN expires IS NOT NULL THEN '; expires ' || iso_text(expires) ELSE '' END"
    " FROM new ORDER BY id),"
    " queued AS (INSERT INTO outbox (account, op, address, reason, suppression_id, created,"
    " next_attempt) SELECT account, 'add', original_address, reason, id, created, created"
    " FROM new WHERE mox_state = $13 ORDER BY id)"
    " SELECT COUNT(*) FROM new"
)


def _params(e: NewEntry, now: datetime, mox_state: MoxState | None) -> tuple[Any, ...]:
    """_INSERT_ENTRY's parameters: the entry's, with timestamps as timestamps."""
    mox_state = mox_state or e.mox_state
    if mox_state is None:
        mox_state = MoxState.PENDING_ADD if e.scope == "" else MoxState.NOT_APPLICABLE
    return (
        e.account, e.base_address, e.original_address, e.scope, e.kind, e.source, e.reason,
        now, e.created_by, e.expires, e.event_id, str(mox_state),
    )  # fmt: skip


class PgSuppressionStore:
    """The suppressions and audit tables."""

    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    async def active(self, account: str, base: str, scope: str = "") -> Suppression | None:
        """The active entry for (account, base address, scope), or None."""
        row = await self.db.fetchone(
            "SELECT * FROM suppressions WHERE account = $1 AND base_address = $2"
            " AND scope = $3 AND ended IS NULL",
            account, base, scope,
        )  # fmt: skip
        return build(Suppression, row) if row else None

    async def matching(self, account: str, base: str) -> builtins.list[Suppression]:
        """Active, unexpired entries (any scope) that block base."""
        rows = await self.db.fetchall(
            "SELECT * FROM suppressions WHERE account = $1 AND base_address = $2"
            " AND ended IS NULL AND (expires IS NULL OR expires > $3) ORDER BY scope COLLATE \"C\"",
            account, base, self.db.clock(),
        )  # fmt: skip
        return [build(Suppression, r) for r in rows]

    async def get(self, account: str, entry_id: int) -> Suppression | None:
        """One entry of the account, active or ended."""
        row = await self.db.fetchone(
            "SELECT * FROM suppressions WHERE account = $1 AND id = $2", account, entry_id
        )
        return build(Suppression, row) if row else None

    async def address_history(
        self, account: str, base: str, since: str, exclude_msg: int
    ) -> AddressHistory:
        """What the policy needs to know of an address, in one query: soft failures of
        other messages since `since`, earlier expiring entries, the active entry."""
        row = await self.db.fetchone(
            "SELECT (SELECT COUNT(DISTINCT queue_msg_id) FROM events WHERE account = $1"
            " AND recipient_base = $2 AND received >= $3 AND counts_soft = 1"
            " AND queue_msg_id <> $4) AS soft_failures,"
            " (SELECT COUNT(*) FROM suppressions WHERE account = $1 AND base_address = $2"
            " AND scope = '' AND expires IS NOT NULL) AS soft_suppressions,"
            " (SELECT id FROM suppressions WHERE account = $1 AND base_address = $2"
            " AND scope = '' AND ended IS NULL) AS active_id",
            account, base, parse_iso(since), exclude_msg,
        )  # fmt: skip
        assert row is not None
        active = None
        if row["active_id"] is not None:
            active = await self.get(account, int(row["active_id"]))
        return AddressHistory(int(row["soft_failures"]), int(row["soft_suppressions"]), active)

    async def history(self, entry_id: int) -> builtins.list[dict[str, Any]]:
        """The audit trail of one entry, oldest first."""
        rows = await self.db.fetchall(
            "SELECT at, action, actor, detail FROM audit WHERE suppression_id = $1 ORDER BY id",
            entry_id,
        )
        return [row_values(r) for r in rows]

    async def list(
        self,
        account: str,
        *,
        limit: int = 50,
        offset: int = 0,
        before_id: int | None = None,
        search: str = "",
        kind: str = "",
        source: str = "",
        scope: str | None = None,
        active: bool | None = True,
        expiring: bool = False,
    ) -> builtins.list[Suppression]:
        """Entries of an account, newest first (by id), filtered; search is a substring.

        before_id keeps the entries with a smaller id: a page that starts below the last
        id seen costs what the first page does, where an offset reads all it skips.

        The search is SQLite's LIKE: case-insensitive for ASCII letters only (a search
        for "É" does not find "é"), so both sides are lowered under the "C" collation
        rather than matched with ILIKE, which folds every letter; the trigram index
        suppressions_search is over those expressions.
        """
        where = ["account = $1"]
        params: builtins.list[Any] = [account]

        def param(value: Any) -> str:
            params.append(value)
            return f"${len(params)}"

        if active is True:
            where.append("ended IS NULL")
        elif active is False:
            where.append("ended IS NOT NULL")
        if expiring:
            where.append("expires IS NOT NULL")
        if search:
            pat = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            p = param(pat)
            where.append(
                f'(lower(original_address COLLATE "C") LIKE lower({p} COLLATE "C")'
                f' OR lower(base_address COLLATE "C") LIKE lower({p} COLLATE "C"))'
            )
        for col, val in (("kind", kind), ("source", source)):
            if val:
                where.append(f"{col} = {param(val)}")
        if scope is not None:
            where.append(f"scope = {param(scope)}")
        if before_id is not None:
            where.append(f"id < {param(before_id)}")
        sql = (
            f"SELECT * FROM suppressions WHERE {' AND '.join(where)}"
            f" ORDER BY id DESC LIMIT {param(limit)} OFFSET {param(offset)}"
        )
        rows = await self.db.fetchall(sql, *params)
        return [build(Suppression, r) for r in rows]

    async def count(self, account: str | None = None) -> builtins.list[tuple[str, str, int]]:
        """(account, kind, count) of active entries, for metrics and overviews."""
        sql = "SELECT account, kind, COUNT(*) FROM suppressions WHERE ended IS NULL"
        params: tuple[Any, ...] = ()
        if account is not None:
            sql += " AND account = $1"
            params = (account,)
        rows = await self.db.fetchall(sql + " GROUP BY account, kind", *params)
        return [(r[0], r[1], int(r[2])) for r in rows]

    async def add(self, entry: NewEntry) -> Suppression | None:
        """Add an entry; None if an active one for that base address and scope exists."""
        async with self.db.transaction() as tx:
            new_id = await _add(tx, entry, self.db.clock())
        if new_id is None:
            return None
        return await self.get(entry.account, new_id)

    async def add_many(
        self, entries: Iterable[NewEntry], *, mox_state: MoxState | None = None
    ) -> tuple[int, int]:
        """Add entries in one set-based transaction; returns (added, already present).

        Entries whose (base address, scope) is active already, or repeats within
        entries, are skipped. With mox_state=SYNCED (adopting mox's entries) no
        outbox rows are written.
        """
        now = self.db.clock()
        rows = [_params(e, now, mox_state) for e in entries]
        if not rows:
            return 0, 0
        columns = [list(c) for c in zip(*rows, strict=True)]
        async with self.db.transaction() as tx:
            added = await tx.fetchval(_INSERT_ENTRIES, *columns, MoxState.PENDING_ADD)
        return int(added), len(rows) - int(added)

    async def add_reported(self, entry: NewEntry, note: str) -> tuple[Suppression, str]:
        """Add an entry for a reported bounce or complaint, or keep the one there is.

        One transaction. An active entry of the same base address and scope stays; if it
        expires before entry would, it is made to last as long (entry's expiry, or none)
        and takes entry's reason and kind (a complaint entry stays one): "changed".
        Otherwise the report is noted in its history (note): "already". Returns the entry
        and "added", "changed" or "already".
        """
        now = self.db.clock()
        async with self.db.transaction() as tx:
            entry_id = await _add(tx, entry, now)
            what = "added"
            if entry_id is None:
                row = await _lock_active(tx, entry.account, entry.base_address, entry.scope)
                if row is None:
                    # The entry the insert met ended meanwhile: this report makes a new one.
                    entry_id = await _add(tx, entry, now)
                    assert entry_id is not None
                else:
                    entry_id = int(row["id"])
                    what = await _extend(tx, entry, note, row, now)
        got = await self.get(entry.account, entry_id)
        assert got is not None
        return got, what

    async def end(
        self, account: str, entry_id: int, actor: str, reason: str, *, sync_mox: bool = True
    ) -> Suppression | None:
        """End an active entry, keeping its history; None if there is no such active entry.

        sync_mox=False when mox no longer has it (removed there by a person).
        """
        async with self.db.transaction() as tx:
            ok = await _end(tx, account, entry_id, actor, reason, self.db.clock(), sync_mox)
        return await self.get(account, entry_id) if ok else None

    async def audit(
        self, account: str, action: str, actor: str, detail: str, entry_id: int | None = None
    ) -> None:
        """Record an action that is not a change of an entry (or is, by id)."""
        async with self.db.transaction() as tx:
            await _audit(tx, self.db.clock(), account, entry_id, action, actor, detail)

    async def audit_log(
        self, account: str | None = None, limit: int = 100, before_id: int | None = None
    ) -> builtins.list[dict[str, Any]]:
        """The audit log, newest first."""
        where: builtins.list[str] = ["true"]
        params: builtins.list[Any] = []
        if account is not None:
            params.append(account)
            where.append(f"account = ${len(params)}")
        if before_id is not None:
            params.append(before_id)
            where.append(f"id < ${len(params)}")
        params.append(limit)
        rows = await self.db.fetchall(
            f"SELECT * FROM audit WHERE {' AND '.join(where)} ORDER BY id DESC"
            f" LIMIT ${len(params)}",
            *params,
        )
        return [row_values(r) for r in rows]

    async def apply_event(self, out: EventOutcome) -> Suppression | None:
        """Record an event's outcome and its consequences, all in one transaction."""
        now = self.db.clock()
        new_id: int | None = None
        done = (
            "UPDATE events SET status = 'done', recipient = $1, recipient_base = $2, kind = $3,"
            " decision = $4, detail = $5, counts_soft = $6, processed = $7, tries = tries + 1,"
            f" lease_until = NULL WHERE id = $8 AND {OURS.format(n=9)}"
        )
        done_params = (
            out.recipient, out.recipient_base, out.kind, out.decision, out.detail,
            int(out.counts_soft), now, out.event_id, self.db.node,
        )  # fmt: skip
        async with self.db.transaction() as tx:
            if not rowcount(await tx.execute(done, *done_params)):
                # Another node's lease (this node's ran out): nothing of it is written.
                # An event that is not there at all is SQLite's answer: no change.
                if await tx.fetchval("SELECT 1 FROM events WHERE id = $1", out.event_id):
                    raise LeaseLost(
                        f"event {out.event_id}: another node took it over"
                        " (this node's lease ran out)"
                    )
            if out.suppress is not None:
                new_id = await _add(tx, out.suppress, now)
            if out.make_permanent is not None:
                entry_id, kind, reason = out.make_permanent
                await tx.execute(
                    "UPDATE suppressions SET expires = NULL, kind = $1, reason = $2"
                    " WHERE id = $3 AND ended IS NULL",
                    kind, reason, entry_id,
                )  # fmt: skip
                await _audit(
                    tx, now, out.account, entry_id, "changed", f"webhook event {out.event_id}",
                    f"now {kind}, no expiry: {reason}",
                )  # fmt: skip
            if out.unsuppress_mox is not None:
                await _audit(
                    tx, now, out.account, None, "mox_false_removed", "policy",
                    f"{out.unsuppress_mox}: {out.detail}",
                )  # fmt: skip
                adopted = await tx.fetchval(
                    "SELECT id FROM suppressions WHERE account = $1 AND base_address = $2"
                    " AND scope = '' AND ended IS NULL AND source = 'mox' FOR UPDATE",
                    out.account, out.recipient_base,
                )  # fmt: skip
                if adopted is not None:
                    # mox's false entry was adopted already: ending it removes it from mox.
                    await _end(tx, out.account, int(adopted), "policy", out.detail, now, True)
                else:
                    await enqueue(
                        tx, out.account, "remove", out.unsuppress_mox, out.detail, None, now
                    )
        if new_id is None or out.suppress is None:
            return None
        return await self.get(out.suppress.account, new_id)

    async def expire_due(self) -> int:
        """End every entry whose expiry has passed; returns how many."""
        now = self.db.clock()
        rows = await self.db.fetchall(
            "SELECT id, account FROM suppressions WHERE ended IS NULL AND expires <= $1",
            now,
            timeout=NO_DEADLINE,  # after a long stop, a great many may be due at once
        )
        if not rows:
            return 0
        ended = 0
        async with self.db.transaction() as tx:
            for r in rows:
                # Ended meanwhile (by a person, or another node's expiry) is not counted.
                if await _end(tx, r["account"], r["id"], "expiry", "expired", now, True):
                    ended += 1
        return ended

    async def synced_active(self, account: str) -> builtins.list[Suppression]:
        """Active account-wide entries of an account, for reconciling with mox."""
        rows = await self.db.fetchall(
            "SELECT * FROM suppressions WHERE account = $1 AND scope = '' AND ended IS NULL",
            account,
            timeout=NO_DEADLINE,  # the whole list, for the worker's reconcile
        )
        return [build(Suppression, r) for r in rows]

    async def adopt(self, entries: Iterable[NewEntry]) -> int:
        """Take entries found only in mox: they are synced already, no outbox row."""
        added, _ = await self.add_many(entries, mox_state=MoxState.SYNCED)
        return added


async def _lock_active(tx: Tx, account: str, base: str, scope: str) -> asyncpg.Record | None:
    """The active entry for (account, base, scope), locked until the transaction ends."""
    row: asyncpg.Record | None = await tx.fetchrow(
        "SELECT * FROM suppressions WHERE account = $1 AND base_address = $2 AND scope = $3"
        " AND ended IS NULL FOR UPDATE",
        account, base, scope,
    )  # fmt: skip
    return row


async def _extend(tx: Tx, entry: NewEntry, note: str, row: asyncpg.Record, now: datetime) -> str:
    """add_reported's change of the active entry it met (locked): "changed" or "already"."""
    entry_id = int(row["id"])
    current: datetime | None = row["expires"]
    if current is not None and (entry.expires is None or entry.expires > current):
        kind = Kind.COMPLAINT if row["kind"] == Kind.COMPLAINT else entry.kind
        await tx.execute(
            "UPDATE suppressions SET expires = $1, kind = $2, reason = $3 WHERE id = $4",
            entry.expires, str(kind), entry.reason, entry_id,
        )  # fmt: skip
        until = f"expires {iso(entry.expires)}" if entry.expires else "no expiry"
        await _audit(
            tx, now, entry.account, entry_id, "changed", entry.created_by,
            f"now {kind}, {until}: {entry.reason}",
        )  # fmt: skip
        return "changed"
    await _audit(tx, now, entry.account, entry_id, REPORT_RECORDED, entry.created_by, note)
    return "already"


async def _audit(
    tx: Tx,
    now: datetime,
    account: str,
    entry_id: int | None,
    action: str,
    actor: str,
    detail: str,
) -> None:
    await tx.execute(
        "INSERT INTO audit (at, account, suppression_id, action, actor, detail)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        now, account, entry_id, action, actor, detail,
    )  # fmt: skip


async def _add(tx: Tx, e: NewEntry, now: datetime, mox_state: MoxState | None = None) -> int | None:
    params = _params(e, now, mox_state)
    new_id = await tx.fetchval(_INSERT_ENTRY, *params)
    if new_id is None:
        return None
    detail = f"{e.kind} from {e.source}: {e.reason}" if e.reason else f"{e.kind} from {e.source}"
    if e.expires:
        detail += f"; expires {iso(e.expires)}"
    await _audit(tx, now, e.account, new_id, "added", e.created_by, detail)
    if params[-1] == MoxState.PENDING_ADD:
        await enqueue(tx, e.account, "add", e.original_address, e.reason, new_id, now)
    return int(new_id)


async def _end(
    tx: Tx,
    account: str,
    entry_id: int,
    actor: str,
    reason: str,
    now: datetime,
    sync_mox: bool,
) -> bool:
    row = await tx.fetchrow(
        "SELECT scope, original_address, mox_state, kind FROM suppressions"
        " WHERE account = $1 AND id = $2 AND ended IS NULL FOR UPDATE",
        account, entry_id,
    )  # fmt: skip
    if row is None:
        return False
    state = row["mox_state"]
    if row["scope"] == "" and sync_mox and state in (MoxState.SYNCED, MoxState.PENDING_ADD):
        new_state = MoxState.PENDING_REMOVE
        await enqueue(tx, account, "remove", row["original_address"], reason, entry_id, now)
    elif state == MoxState.NOT_APPLICABLE:
        new_state = MoxState.NOT_APPLICABLE
    else:
        new_state = MoxState.REMOVED
    await tx.execute(
        "UPDATE suppressions SET ended = $1, ended_by = $2, end_reason = $3, mox_state = $4"
        " WHERE id = $5",
        now, actor, reason, str(new_state), entry_id,
    )  # fmt: skip
    # A complaint entry's end stands out in the audit log (store/suppressions.py).
    action = COMPLAINT_ENDED if row["kind"] == Kind.COMPLAINT else "ended"
    await _audit(tx, now, account, entry_id, action, actor, reason)
    return True

