"""Reading a suppression list for export on PostgreSQL (store/export.py's SQL)."""

from __future__ import annotations

from moxhooks.store.db import parse_iso
from moxhooks.store.pg.database import PgDatabase

_EXPORTABLE = "account = $1 AND ended IS NULL AND (expires IS NULL OR expires > $2)"
# The columns of an export (csvio.EXPORT_COLUMNS), timestamps as the SQLite store's text.
_EXPORT_COLUMNS = (
    "original_address, base_address, scope, kind, source, reason, iso_text(created),"
    " COALESCE(iso_text(expires), ''), mox_state"
)


class PgExportStore:
    """The suppressions table, as an export reads it: keyset pages by id."""

    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    async def count(self, account: str) -> int:
        """How many entries of account are active and unexpired now."""
        row = await self.db.fetchone(
            f"SELECT COUNT(*) FROM suppressions WHERE {_EXPORTABLE}", account, self.db.clock()
        )
        return int(row[0]) if row else 0

    async def page(
        self, account: str, now: str, after_id: int, limit: int
    ) -> tuple[int, list[tuple[str, ...]]]:
        """Up to limit entries active and unexpired at now, with ids above after_id, by id.

        Returns the last id read (after_id if none) and the rows, each (address,
        base_address, scope, kind, source, reason, created, expires, mox_state).
        """
        rows = await self.db.fetchall(
            f"SELECT id, {_EXPORT_COLUMNS} FROM suppressions WHERE {_EXPORTABLE} AND id > $3"
            " ORDER BY id LIMIT $4",
            account, parse_iso(now), after_id, limit,
        )  # fmt: skip
        if not rows:
            return after_id, []
        return int(rows[-1][0]), [tuple(r)[1:] for r in rows]
