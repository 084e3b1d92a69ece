"""The accounts table on PostgreSQL: what moxhooks keeps per mox account."""

from __future__ import annotations

import secrets

from moxhooks.store.pg.database import PgDatabase


class PgAccountStore:
    """The accounts table."""

    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    async def webhook_secret(self, account: str, configured: str, mox: str = "") -> str:
        """The account's webhook secret on the mox server keyed mox: the configured one,
        else one generated once and kept."""
        if configured:
            return configured
        row = await self.db.fetchone(
            "SELECT webhook_secret FROM accounts WHERE mox = $1 AND name = $2", mox, account
        )
        if row:
            return str(row[0])
        # Another node may make one at the same time: the first one committed is kept,
        # and the insert that meets it returns it instead.
        async with self.db.transaction() as tx:
            secret = await tx.fetchval(
                "INSERT INTO accounts (mox, name, webhook_secret, created) VALUES ($1, $2, $3, $4)"
                " ON CONFLICT (mox, name) DO UPDATE SET name = excluded.name"
                " RETURNING webhook_secret",
                mox, account, secrets.token_urlsafe(32), self.db.clock(),
            )  # fmt: skip
        return str(secret)
