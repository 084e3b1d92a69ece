"""Suppression entries, their history (the audit table), and the writes that touch both.

Addresses arrive here already parsed: callers pass the original address and
its base address (moxhooks.address). Every change to an account-wide entry
queues an outbox row in the same transaction.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from moxhooks.kinds import Kind, MoxState
from moxhooks.models import Suppression
from moxhooks.store.db import NO_DEADLINE, SqliteDatabase, Tx, iso
from moxhooks.store.outbox import enqueue

_INSERT_ENTRY = (
    "INSERT OR IGNORE INTO suppressions (account, base_address, original_address, scope,"
    " kind, source, reason, created, created_by, expires, event_id, mox_state)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
# The same for many rows in one statement, from a JSON array of _INSERT_ENTRY's
# parameter tuples. One statement, not one per row: the search index (an FTS5 table
# kept by a trigger) writes its changes to disk at every statement, so inserting a
# chunk of 5,000 rows row by row cost 5 times as much (236 against 44 us a row).
_INSERT_ENTRIES_JSON = (
    "INSERT OR IGNORE INTO suppressions (account, base_address, original_address, scope,"
    " kind, source, reason, created, created_by, expires, event_id, mox_state)"
    " SELECT "
    + ", ".join(f"json_extract(value, '$[{i}]')" for i in range(12))
    + " FROM json_each(?) ORDER BY key"
)


# The audit action of ending an entry of kind complaint, instead of "ended".
COMPLAINT_ENDED = "complaint_ended"
# The audit action of a report (of a bounce or complaint) that added no entry.
REPORT_RECORDED = "report_recorded"


@dataclass(frozen=True)
class AddressHistory:
    """An address's recent past, as the policy sees it."""

    soft_failures: int  # distinct other messages that soft-failed within the window
    soft_suppressions: int  # earlier expiring entries, for doubling the next expiry
    active: Suppression | None  # the active account-wide entry


@dataclass(frozen=True)
class NewEntry:
    """What is needed to add an entry."""

    account: str
    original_address: str
    base_address: str
    kind: str
    source: str
    reason: str
    created_by: str
    scope: str = ""
    expires: datetime | None = None
    event_id: int | None = None
    # Where the entry stands with mox; None: pending add if account-wide. SYNCED for an
    # entry mox reported adding itself (no outbox row).
    mox_state: MoxState | None = None

    def insert_params(self, now: str, mox_state: MoxState | None) -> tuple[Any, ...]:
        """The parameters of _INSERT_ENTRY; mox_state None: the entry's own, else the default."""
        mox_state = mox_state or self.mox_state
        if mox_state is None:
            mox_state = MoxState.PENDING_ADD if self.scope == "" else MoxState.NOT_APPLICABLE
        expires = iso(self.expires) if self.expires else None
        return (
            self.account,
            self.base_address,
            self.original_address,
            self.scope,
            self.kind,
            self.source,
            self.reason,
            now,
            self.created_by,
            expires,
            self.event_id,
            mox_state,
        )


@dataclass(frozen=True)
class EventOutcome:
    """The result of processing one event, written in one transaction."""

    event_id: int
    account: str
    recipient: str | None
    recipient_base: str | None
    kind: str | None
    decision: str
    detail: str
    counts_soft: bool
    # An entry to add (policy said suppress), or None.
    suppress: NewEntry | None = None
    # An address to remove from mox (mox's false entry), or None.
    unsuppress_mox: str | None = None
    # An active expiring entry that a hard failure makes permanent: (id, kind, reason).
    make_permanent: tuple[int, str, str] | None = None


class SqliteSuppressionStore:
    """The suppressions and audit tables."""

    def __init__(self, db: SqliteDatabase) -> None:
        self.db = db

    async def active(self, account: str, base: str, scope: str = "") -> Suppression | None:
        """The active entry for (account, base address, scope), or None."""
        row = await self.db.fetchone(
            "SELECT * FROM suppressions WHERE account = ? AND base_address = ? AND scope = ?"
            " AND ended IS NULL",
            (account, base, scope),
        )
        return Suppression.from_row(row) if row else None

    async def matching(self, account: str, base: str) -> builtins.list[Suppression]:
        """Active, unexpired entries (any scope) that block base."""
        rows = await self.db.fetchall(
            "SELECT * FROM suppressions WHERE account = ? AND base_address = ?"
            " AND ended IS NULL AND (expires IS NULL OR expires > ?) ORDER BY scope",
            (account, base, self.db.now()),
        )
        return [Suppression.from_row(r) for r in rows]

    async def get(self, account: str, entry_id: int) -> Suppression | None:
        """One entry of the account, active or ended."""
        row = await self.db.fetchone(
            "SELECT * FROM suppressions WHERE account = ? AND id = ?", (account, entry_id)
        )
        return Suppression.from_row(row) if row else None

    async def address_history(
        self, account: str, base: str, since: str, exclude_msg: int
    ) -> AddressHistory:
        """What the policy needs to know of an address, in one query: soft failures of
        other messages since `since`, earlier expiring entries, the active entry."""
        row = await self.db.fetchone(
            "SELECT (SELECT COUNT(DISTINCT queue_msg_id) FROM events WHERE account = ?1"
            " AND recipient_base = ?2 AND received >= ?3 AND counts_soft = 1"
            " AND queue_msg_id != ?4) AS soft_failures,"
            " (SELECT COUNT(*) FROM suppressions WHERE account = ?1 AND base_address = ?2"
            " AND scope = '' AND expires IS NOT NULL) AS soft_suppressions,"
            " (SELECT id FROM suppressions WHERE account = ?1 AND base_address = ?2"
            " AND scope = '' AND ended IS NULL) AS active_id",
            (account, base, since, exclude_msg),
        )
        assert row is not None
        active = None
        if row["active_id"] is not None:
            active = await self.get(account, int(row["active_id"]))
        return AddressHistory(int(row["soft_failures"]), int(row["soft_suppressions"]), active)

    async def history(self, entry_id: int) -> builtins.list[dict[str, Any]]:
        """The audit trail of one entry, oldest first."""
        rows = await self.db.fetchall(
            "SELECT at, action, actor, detail FROM audit WHERE suppression_id = ? ORDER BY id",
            (entry_id,),
        )
        return [dict(r) for r in rows]

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

        A search of 3 or more characters goes through the trigram index (migration 3):
        the index finds the entries that have all of the term's trigrams, newest first,
        and LIKE keeps those that have the substring, so the answer is exactly that of
        LIKE alone (case-insensitive for ASCII) without reading the whole list.
        """
        where = ["s.account = ?"]
        params: builtins.list[Any] = [account]
        if active is True:
            where.append("s.ended IS NULL")
        elif active is False:
            where.append("s.ended IS NOT NULL")
        if expiring:
            where.append("s.expires IS NOT NULL")
        if search:
            where.append(
                "(s.original_address LIKE ? ESCAPE '\\' OR s.base_address LIKE ? ESCAPE '\\')"
            )
            pat = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            params += [pat, pat]
        for col, val in (("kind", kind), ("source", source)):
            if val:
                where.append(f"s.{col} = ?")
                params.append(val)
        if scope is not None:
            where.append("s.scope = ?")
            params.append(scope)
        trigrams = _trigram_query(search)
        if before_id is not None:
            # On the search path f.rowid is s.id: bounding the FTS table's rowid lets FTS5
            # start its walk there instead of filtering after the join.
            where.append(f"{'f.rowid' if trigrams else 's.id'} < ?")
            params.append(before_id)
        if trigrams:
            sql = (
                "SELECT s.* FROM suppressions_search f JOIN suppressions s ON s.id = f.rowid"
                f" WHERE suppressions_search MATCH ? AND {' AND '.join(where)}"
                " ORDER BY f.rowid DESC LIMIT ? OFFSET ?"
            )
            params.insert(0, trigrams)
        else:
            sql = (
                f"SELECT s.* FROM suppressions s WHERE {' AND '.join(where)}"
                " ORDER BY s.id DESC LIMIT ? OFFSET ?"
            )
        rows = await self.db.fetchall(sql, [*params, limit, offset])
        return [Suppression.from_row(r) for r in rows]

    async def count(self, account: str | None = None) -> builtins.list[tuple[str, str, int]]:
        """(account, kind, count) of active entries, for metrics and overviews."""
        sql = "SELECT account, kind, COUNT(*) FROM suppressions WHERE ended IS NULL"
        params: tuple[Any, ...] = ()
        if account is not None:
            sql += " AND account = ?"
            params = (account,)
        rows = await self.db.fetchall(sql + " GROUP BY account, kind", params)
        return [(r[0], r[1], int(r[2])) for r in rows]

    async def add(self, entry: NewEntry) -> Suppression | None:
        """Add an entry; None if an active one for that base address and scope exists."""
        async with self.db.transaction() as tx:
            new_id = await _add(tx, entry, self.db.now())
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
        now = self.db.now()
        rows = [e.insert_params(now, mox_state) for e in entries]
        if not rows:
            return 0, 0
        async with self.db.transaction() as tx:
            first = await tx.fetchone("SELECT COALESCE(MAX(id), 0) FROM suppressions")
            last_before = int(first[0]) if first else 0
            await tx.execute(_INSERT_ENTRIES_JSON, (json.dumps(rows),))
            # The new rows are exactly those above last_before: the write lock is ours.
            await tx.execute(
                "INSERT INTO audit (at, account, suppression_id, action, actor, detail)"
                " SELECT created, account, id, 'added', created_by,"
                " kind || ' from ' || source || CASE WHEN reason != '' THEN ': ' || reason"
                " ELSE '' END || CASE WHEN expires IS NOT NULL THEN '; expires ' || expires"
                " ELSE '' END FROM suppressions WHERE id > ? ORDER BY id",
                (last_before,),
            )
            await tx.execute(
                "INSERT INTO outbox (account, op, address, reason, suppression_id, created,"
                " next_attempt) SELECT account, 'add', original_address, reason, id, created,"
                " created FROM suppressions WHERE id > ? AND mox_state = ? ORDER BY id",
                (last_before, MoxState.PENDING_ADD),
            )
            counted = await tx.fetchone(
                "SELECT COUNT(*) FROM suppressions WHERE id > ?", (last_before,)
            )
        added = int(counted[0]) if counted else 0
        return added, len(rows) - added

    async def add_reported(self, entry: NewEntry, note: str) -> tuple[Suppression, str]:
        """Add an entry for a reported bounce or complaint, or keep the one there is.

        One transaction. An active entry of the same base address and scope stays; if it
        expires before entry would, it is made to last as long (entry's expiry, or none)
        and takes entry's reason and kind (a complaint entry stays one): "changed".
        Otherwise the report is noted in its history (note): "already". Returns the entry
        and "added", "changed" or "already".
        """
        now = self.db.now()
        async with self.db.transaction() as tx:
            entry_id = await _add(tx, entry, now)
            what = "added"
            if entry_id is None:
                row = await tx.fetchone(
                    "SELECT id, kind, expires FROM suppressions WHERE account = ?"
                    " AND base_address = ? AND scope = ? AND ended IS NULL",
                    (entry.account, entry.base_address, entry.scope),
                )
                assert row is not None  # the insert met it, and the write lock is ours
                entry_id = int(row["id"])
                expires = iso(entry.expires) if entry.expires else None
                if row["expires"] is not None and (expires is None or expires > row["expires"]):
                    kind = Kind.COMPLAINT if row["kind"] == Kind.COMPLAINT else entry.kind
                    await tx.execute(
                        "UPDATE suppressions SET expires = ?, kind = ?, reason = ? WHERE id = ?",
                        (expires, kind, entry.reason, entry_id),
                    )
                    until = f"expires {expires}" if expires else "no expiry"
                    await _audit(
                        tx, now, entry.account, entry_id, "changed", entry.created_by,
                        f"now {kind}, {until}: {entry.reason}",
                    )  # fmt: skip
                    what = "changed"
                else:
                    await _audit(
                        tx, now, entry.account, entry_id, REPORT_RECORDED, entry.created_by, note
                    )
                    what = "already"
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
            ok = await _end(tx, account, entry_id, actor, reason, self.db.now(), sync_mox)
        return await self.get(account, entry_id) if ok else None

    async def audit(
        self, account: str, action: str, actor: str, detail: str, entry_id: int | None = None
    ) -> None:
        """Record an action that is not a change of an entry (or is, by id)."""
        async with self.db.transaction() as tx:
            await _audit(tx, self.db.now(), account, entry_id, action, actor, detail)

    async def audit_log(
        self, account: str | None = None, limit: int = 100, before_id: int | None = None
    ) -> builtins.list[dict[str, Any]]:
        """The audit log, newest first."""
        where: builtins.list[str] = ["1 = 1"]
        params: builtins.list[Any] = []
        if account is not None:
            where.append("account = ?")
            params.append(account)
        if before_id is not None:
            where.append("id < ?")
            params.append(before_id)
        rows = await self.db.fetchall(
            f"SELECT * FROM audit WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT ?",
            [*params, limit],
        )
        return [dict(r) for r in rows]

    async def apply_event(self, out: EventOutcome) -> Suppression | None:
        """Record an event's outcome and its consequences, all in one transaction."""
        now = self.db.now()
        new_id: int | None = None
        done = (
            "UPDATE events SET status = 'done', recipient = ?, recipient_base = ?, kind = ?,"
            " decision = ?, detail = ?, counts_soft = ?, processed = ?, tries = tries + 1"
            " WHERE id = ?"
        )
        done_params = (
            out.recipient,
            out.recipient_base,
            out.kind,
            out.decision,
            out.detail,
            int(out.counts_soft),
            now,
            out.event_id,
        )
        if out.suppress is None and out.make_permanent is None and out.unsuppress_mox is None:
            # Most events change nothing else: one statement, one trip to the writer.
            await self.db.write(done, done_params)
            return None
        async with self.db.transaction() as tx:
            await tx.execute(done, done_params)
            if out.suppress is not None:
                new_id = await _add(tx, out.suppress, now)
            if out.make_permanent is not None:
                entry_id, kind, reason = out.make_permanent
                await tx.execute(
                    "UPDATE suppressions SET expires = NULL, kind = ?, reason = ?"
                    " WHERE id = ? AND ended IS NULL",
                    (kind, reason, entry_id),
                )
                await _audit(
                    tx,
                    now,
                    out.account,
                    entry_id,
                    "changed",
                    f"webhook event {out.event_id}",
                    f"now {kind}, no expiry: {reason}",
                )
            if out.unsuppress_mox is not None:
                await _audit(
                    tx,
                    now,
                    out.account,
                    None,
                    "mox_false_removed",
                    "policy",
                    f"{out.unsuppress_mox}: {out.detail}",
                )
                adopted = await _adopted_entry(tx, out)
                if adopted is not None:
                    # mox's false entry was adopted already: ending it removes it from mox.
                    await _end(tx, out.account, adopted, "policy", out.detail, now, True)
                else:
                    await enqueue(
                        tx, out.account, "remove", out.unsuppress_mox, out.detail, None, now
                    )
        if new_id is None or out.suppress is None:
            return None
        return await self.get(out.suppress.account, new_id)

    async def expire_due(self) -> int:
        """End every entry whose expiry has passed; returns how many."""
        now = self.db.now()
        rows = await self.db.fetchall(
            "SELECT id, account FROM suppressions WHERE ended IS NULL AND expires <= ?",
            (now,),
            timeout=NO_DEADLINE,  # after a long stop, a great many may be due at once
        )
        if not rows:
            return 0
        async with self.db.transaction() as tx:
            for r in rows:
                await _end(tx, r["account"], r["id"], "expiry", "expired", now, True)
        return len(rows)

    async def synced_active(self, account: str) -> builtins.list[Suppression]:
        """Active account-wide entries of an account, for reconciling with mox."""
        rows = await self.db.fetchall(
            "SELECT * FROM suppressions WHERE account = ? AND scope = '' AND ended IS NULL",
            (account,),
            timeout=NO_DEADLINE,  # the whole list, for the worker's reconcile
        )
        return [Suppression.from_row(r) for r in rows]

    async def adopt(self, entries: Iterable[NewEntry]) -> int:
        """Take entries found only in mox: they are synced already, no outbox row."""
        added, _ = await self.add_many(entries, mox_state=MoxState.SYNCED)
        return added


def _trigram_query(search: str) -> str:
    """An FTS5 query for rows having every trigram of search, or "" if it is too short.

    Each trigram is a quoted string (quotes doubled); the trigram tokenizer folds case
    like the index, so the query finds a superset of what LIKE '%search%' finds.
    """
    if len(search) < 3:
        return ""
    grams = dict.fromkeys(search[i : i + 3] for i in range(len(search) - 2))
    return " AND ".join('"' + g.replace('"', '""') + '"' for g in grams)


async def _adopted_entry(tx: Tx, out: EventOutcome) -> int | None:
    """The active account-wide entry adopted from mox for the event's recipient, if any."""
    row = await tx.fetchone(
        "SELECT id FROM suppressions WHERE account = ? AND base_address = ? AND scope = ''"
        " AND ended IS NULL AND source = 'mox'",
        (out.account, out.recipient_base),
    )
    return int(row[0]) if row else None


async def _audit(
    tx: Tx,
    now: str,
    account: str,
    entry_id: int | None,
    action: str,
    actor: str,
    detail: str,
) -> None:
    await tx.execute(
        "INSERT INTO audit (at, account, suppression_id, action, actor, detail)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (now, account, entry_id, action, actor, detail),
    )


async def _add(tx: Tx, e: NewEntry, now: str, mox_state: MoxState | None = None) -> int | None:
    params = e.insert_params(now, mox_state)
    mox_state = params[-1]
    written = await tx.execute(_INSERT_ENTRY, params)
    if written.rowcount != 1:
        return None
    new_id = written.lastrowid
    assert new_id is not None
    detail = f"{e.kind} from {e.source}: {e.reason}" if e.reason else f"{e.kind} from {e.source}"
    if e.expires:
        detail += f"; expires {iso(e.expires)}"
    await _audit(tx, now, e.account, new_id, "added", e.created_by, detail)
    if mox_state == MoxState.PENDING_ADD:
        await enqueue(tx, e.account, "add", e.original_address, e.reason, new_id, now)
    return new_id


async def _end(
    tx: Tx,
    account: str,
    entry_id: int,
    actor: str,
    reason: str,
    now: str,
    sync_mox: bool,
) -> bool:
    row = await tx.fetchone(
        "SELECT scope, original_address, mox_state, kind FROM suppressions"
        " WHERE account = ? AND id = ? AND ended IS NULL",
        (account, entry_id),
    )
    if row is None:
        return False
    state = row["mox_state"]
    if row["scope"] == "" and sync_mox and state in (MoxState.SYNCED, MoxState.PENDING_ADD):
        new_state = MoxState.PENDING_REMOVE
        await enqueue(tx, account, "remove", row["original_address"], reason, entry_id, now)
    elif state == MoxState.NOT_APPLICABLE:
        new_state = state
    else:
        new_state = MoxState.REMOVED
    await tx.execute(
        "UPDATE suppressions SET ended = ?, ended_by = ?, end_reason = ?, mox_state = ?"
        " WHERE id = ?",
        (now, actor, reason, new_state, entry_id),
    )
    # A complaint entry's end stands out in the audit log: mailing a person who reported
    # spam again is what mailbox providers punish (see COMPLAINT_ENDED).
    action = COMPLAINT_ENDED if row["kind"] == Kind.COMPLAINT else "ended"
    await _audit(tx, now, account, entry_id, action, actor, reason)
    return True
