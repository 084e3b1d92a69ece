"""Reading a suppression list for export: the active, unexpired entries, in pages."""

from __future__ import annotations

from .db import Database
from .suppressions import Suppression

_EXPORTABLE = "account = ? AND ended IS NULL AND (expires IS NULL OR expires > ?)"


class ExportStore:
    """The suppressions table, as an export reads it: keyset pages by id."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def count(self, account: str) -> int:
        """How many entries of account are active and unexpired now."""
        row = await self.db.fetchone(
            f"SELECT COUNT(*) FROM suppressions WHERE {_EXPORTABLE}", (account, self.db.now())
        )
        return int(row[0]) if row else 0

    async def page(self, account: str, now: str, after_id: int, limit: int) -> list[Suppression]:
        """Up to limit entries active and unexpired at now, with ids above after_id, by id."""
        rows = await self.db.fetchall(
            f"SELECT * FROM suppressions WHERE {_EXPORTABLE} AND id > ? ORDER BY id LIMIT ?",
            (account, now, after_id, limit),
        )
        return [Suppression.from_row(r) for r in rows]
