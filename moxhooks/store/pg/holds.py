"""Automatic holds on PostgreSQL (store/holds.py's SQL), each written with its audit entry."""

from __future__ import annotations

import builtins
from datetime import datetime, timedelta

from moxhooks.models import AutoHold
from moxhooks.store.db import iso
from moxhooks.store.holds import rule_name
from moxhooks.store.pg.database import PgDatabase, build
from moxhooks.store.pg.suppressions import _audit


class PgAutoHoldStore:
    """The auto_holds table; holds and lifts are written with their audit entry."""

    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    async def note_failure(
        self, mox: str, account: str, domain: str, base: str, at: datetime, since: datetime
    ) -> int:
        """Count a recipient (base address) of domain failing through mox at `at` in a way
        that holds count; how many distinct recipients of domain failed there after since.

        A table, not this process's memory: each node processes some of the events, and
        the count is of them all.
        """
        async with self.db.transaction() as tx:
            await tx.execute(
                "DELETE FROM hold_failures WHERE mox = $1 AND account = $2 AND domain = $3"
                " AND at <= $4",
                mox, account, domain, since,
            )  # fmt: skip
            await tx.execute(
                "INSERT INTO hold_failures (mox, account, domain, base_address, at)"
                " VALUES ($1, $2, $3, $4, $5)"
                " ON CONFLICT (mox, account, domain, base_address)"
                " DO UPDATE SET at = GREATEST(hold_failures.at, excluded.at)",
                mox, account, domain, base, at,
            )  # fmt: skip
            n = await tx.fetchval(
                "SELECT COUNT(*) FROM hold_failures WHERE mox = $1 AND account = $2"
                " AND domain = $3 AND at > $4",
                mox, account, domain, since,
            )  # fmt: skip
        return int(n)

    async def forget_failures(self, mox: str, account: str, domain: str) -> None:
        """Count the domain's failures through mox afresh (it was just held there)."""
        await self.db.write(
            "DELETE FROM hold_failures WHERE mox = $1 AND account = $2 AND domain = $3",
            mox, account, domain,
        )  # fmt: skip

    async def active(self, mox: str, account: str, domain: str) -> AutoHold | None:
        """The active hold of account for domain in mox, or None."""
        row = await self.db.fetchone(
            "SELECT * FROM auto_holds WHERE mox = $1 AND account = $2"
            " AND recipient_domain = $3 AND lifted IS NULL",
            mox, account, domain,
        )  # fmt: skip
        return build(AutoHold, row) if row else None

    async def list(self, *, active_only: bool = False, limit: int = 100) -> builtins.list[AutoHold]:
        """Holds, newest first."""
        where = "WHERE lifted IS NULL" if active_only else ""
        rows = await self.db.fetchall(
            f"SELECT * FROM auto_holds {where} ORDER BY id DESC LIMIT $1", limit
        )
        return [build(AutoHold, r) for r in rows]

    async def by_rule(self, mox: str, rule_id: int) -> AutoHold | None:
        """The active hold made with this rule of mox, or None."""
        row = await self.db.fetchone(
            "SELECT * FROM auto_holds WHERE mox = $1 AND rule_id = $2 AND lifted IS NULL",
            mox, rule_id,
        )  # fmt: skip
        return build(AutoHold, row) if row else None

    async def due(self) -> builtins.list[AutoHold]:
        """Active holds whose cool-down has passed."""
        rows = await self.db.fetchall(
            "SELECT * FROM auto_holds WHERE lifted IS NULL AND lift_after <= $1 ORDER BY id",
            self.db.clock(),
        )
        return [build(AutoHold, r) for r in rows]

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
            row = await tx.fetchrow(
                "INSERT INTO auto_holds (mox, account, recipient_domain, rule_id, reason,"
                " recipients, created, lift_after) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                " RETURNING *",
                mox, account, domain, rule_id, reason, recipients, now, now + cooldown,
            )  # fmt: skip
            await _audit(
                tx, now, account, None, "auto_hold", by,
                f"held mail to {domain} ({rule_name(mox, rule_id)}) until {iso(now + cooldown)}:"
                f" {reason}",
            )  # fmt: skip
        assert row is not None
        return build(AutoHold, row)

    async def lifted(self, hold: AutoHold, by: str, released: int, detail: str) -> None:
        """Record that a hold ended, and audit it, in one transaction."""
        now = self.db.clock()
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE auto_holds SET lifted = $1, lifted_by = $2, released = $3,"
                " last_error = '' WHERE id = $4 AND lifted IS NULL",
                now, by, released, hold.id,
            )  # fmt: skip
            await _audit(tx, now, hold.account, None, "auto_hold_lifted", by, detail)

    async def lift_failed(self, hold: AutoHold, error: str) -> None:
        """Note why lifting failed; it is tried again at the next check."""
        await self.db.write("UPDATE auto_holds SET last_error = $1 WHERE id = $2", error, hold.id)
