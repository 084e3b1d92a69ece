"""Automatic holds: the hold rules moxhooks added in mox by itself, and their lifting.

A hold and its lifting are each written together with their audit entry. Each is one mox
server's (mox: its key, Config.mox_key, "" for the first): the rule is in that server.
"""

from __future__ import annotations

import builtins
from datetime import datetime, timedelta

from moxhooks.models import AutoHold
from moxhooks.store.db import SqliteDatabase, Tx, iso


class SqliteAutoHoldStore:
    """The auto_holds table; holds and lifts are written with their audit entry."""

    def __init__(self, db: SqliteDatabase) -> None:
        self.db = db
        # Recent failing recipients per (mox, account, domain): base address -> when. In
        # memory: one worker uses a SQLite file, and a window is minutes long, so a
        # restart only delays a hold.
        self._failures: dict[tuple[str, str, str], dict[str, datetime]] = {}

    async def note_failure(
        self, mox: str, account: str, domain: str, base: str, at: datetime, since: datetime
    ) -> int:
        """Count a recipient (base address) of domain failing through mox at `at` in a way
        that holds count; how many distinct recipients of domain failed there after since."""
        seen = self._failures.setdefault((mox, account, domain), {})
        seen[base] = max(at, seen.get(base, at))
        kept = {b: t for b, t in seen.items() if t > since}
        self._failures[(mox, account, domain)] = kept
        return len(kept)

    async def forget_failures(self, mox: str, account: str, domain: str) -> None:
        """Count the domain's failures through mox afresh (it was just held there)."""
        self._failures.pop((mox, account, domain), None)

    async def active(self, mox: str, account: str, domain: str) -> AutoHold | None:
        """The active hold of account for domain in mox, or None."""
        row = await self.db.fetchone(
            "SELECT * FROM auto_holds WHERE mox = ? AND account = ? AND recipient_domain = ?"
            " AND lifted IS NULL",
            (mox, account, domain),
        )
        return AutoHold.from_row(row) if row else None

    async def list(self, *, active_only: bool = False, limit: int = 100) -> builtins.list[AutoHold]:
        """Holds, newest first."""
        where = "WHERE lifted IS NULL" if active_only else ""
        rows = await self.db.fetchall(
            f"SELECT * FROM auto_holds {where} ORDER BY id DESC LIMIT ?", (limit,)
        )
        return [AutoHold.from_row(r) for r in rows]

    async def by_rule(self, mox: str, rule_id: int) -> AutoHold | None:
        """The active hold made with this rule of mox, or None."""
        row = await self.db.fetchone(
            "SELECT * FROM auto_holds WHERE mox = ? AND rule_id = ? AND lifted IS NULL",
            (mox, rule_id),
        )
        return AutoHold.from_row(row) if row else None

    async def due(self) -> builtins.list[AutoHold]:
        """Active holds whose cool-down has passed."""
        rows = await self.db.fetchall(
            "SELECT * FROM auto_holds WHERE lifted IS NULL AND lift_after <= ? ORDER BY id",
            (self.db.now(),),
        )
        return [AutoHold.from_row(r) for r in rows]

    async def add(
        self,
        mox: str,
        account: str,
        domain: str,
        rule_id: int,
        reason: str,
        recipients: int,
        cooldown: timedelta,
        by: str,
    ) -> AutoHold:
        """Record a new hold (its rule in mox) and audit it, in one transaction."""
        now = self.db.clock()
        async with self.db.transaction() as tx:
            written = await tx.execute(
                "INSERT INTO auto_holds (mox, account, recipient_domain, rule_id, reason,"
                " recipients, created, lift_after) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (mox, account, domain, rule_id, reason, recipients, iso(now),
                 iso(now + cooldown)),  # fmt: skip
            )
            hold_id = written.lastrowid
            await _audit(
                tx,
                iso(now),
                account,
                "auto_hold",
                by,
                f"held mail to {domain} ({rule_name(mox, rule_id)}) until {iso(now + cooldown)}:"
                f" {reason}",
            )
        row = await self.db.fetchone("SELECT * FROM auto_holds WHERE id = ?", (hold_id,))
        assert row is not None
        return AutoHold.from_row(row)

    async def lifted(self, hold: AutoHold, by: str, released: int, detail: str) -> None:
        """Record that a hold ended, and audit it, in one transaction."""
        now = self.db.now()
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE auto_holds SET lifted = ?, lifted_by = ?, released = ?, last_error = ''"
                " WHERE id = ? AND lifted IS NULL",
                (now, by, released, hold.id),
            )
            await _audit(tx, now, hold.account, "auto_hold_lifted", by, detail)

    async def lift_failed(self, hold: AutoHold, error: str) -> None:
        """Note why lifting failed; it is tried again at the next check."""
        async with self.db.transaction() as tx:
            await tx.execute("UPDATE auto_holds SET last_error = ? WHERE id = ?", (error, hold.id))


async def _audit(tx: Tx, now: str, account: str, action: str, actor: str, detail: str) -> None:
    await tx.execute(
        "INSERT INTO audit (at, account, suppression_id, action, actor, detail)"
        " VALUES (?, ?, NULL, ?, ?, ?)",
        (now, account, action, actor, detail),
    )


def rule_name(mox: str, rule_id: int) -> str:
    """How the audit log names a hold rule: with its server, but for the first (key "")."""
    return f"hold rule {rule_id} of mox {mox}" if mox else f"mox hold rule {rule_id}"
