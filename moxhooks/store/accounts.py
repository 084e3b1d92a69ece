"""The accounts table: what moxhooks keeps per mox account (its generated webhook
secret, one per mox server the account is on)."""

from __future__ import annotations

import secrets

from moxhooks.store.db import SqliteDatabase


class SqliteAccountStore:
    """The accounts table."""

    def __init__(self, db: SqliteDatabase) -> None:
        self.db = db

    async def webhook_secret(self, account: str, configured: str, mox: str = "") -> str:
        """The account's webhook secret on the mox server keyed mox: the configured one,
        else one generated once and kept."""
        if configured:
            return configured
        row = await self.db.fetchone(
            "SELECT webhook_secret FROM accounts WHERE mox = ? AND name = ?", (mox, account)
        )
        if row:
            return str(row[0])
        async with self.db.transaction() as tx:
            # Another process may have made one meanwhile: the first one made is kept.
            await tx.execute(
                "INSERT OR IGNORE INTO accounts (mox, name, webhook_secret, created)"
                " VALUES (?, ?, ?, ?)",
                (mox, account, secrets.token_urlsafe(32), self.db.now()),
            )
            row = await tx.fetchone(
                "SELECT webhook_secret FROM accounts WHERE mox = ? AND name = ?", (mox, account)
            )
        assert row is not None
        return str(row[0])
