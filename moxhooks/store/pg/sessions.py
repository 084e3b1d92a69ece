"""Web sign-in on PostgreSQL (store/sessions.py's SQL): sessions and failed sign-ins."""

from __future__ import annotations

from datetime import timedelta

from moxhooks.store.db import iso
from moxhooks.store.pg.database import PgDatabase, build, text
from moxhooks.store.sessions import TOUCH_INTERVAL, Session


class PgSessionStore:
    """The sessions and login_failures tables."""

    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    async def create(
        self,
        session_id: str,
        role: str,
        account: str,
        email: str,
        csrf: str,
        client: str,
        *,
        idle: timedelta,
        lifetime: timedelta,
    ) -> Session:
        """Store a new session ending idle from now (at most lifetime); ended ones are deleted."""
        now = self.db.clock()
        expires = min(now + idle, now + lifetime)
        async with self.db.transaction() as tx:
            # Ended sessions are not worth keeping; clearing them here needs no timer.
            await tx.execute("DELETE FROM sessions WHERE expires <= $1", now)
            await tx.execute(
                "INSERT INTO sessions (id, role, account, email, csrf, client, created,"
                " last_seen, expires) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8)",
                session_id, role, account, email, csrf, client, now, expires,
            )  # fmt: skip
        return Session(
            session_id, role, account, email, csrf, client, iso(now), iso(now), iso(expires)
        )

    async def live(
        self, session_id: str, *, idle: timedelta, lifetime: timedelta
    ) -> Session | None:
        """The session if it has not ended, extended to idle from now (sliding), else None."""
        row = await self.db.fetchone("SELECT * FROM sessions WHERE id = $1", session_id)
        if row is None:
            return None
        now = self.db.clock()
        if row["expires"] <= now:
            return None
        if now - row["last_seen"] >= TOUCH_INTERVAL:
            expires = min(now + idle, row["created"] + lifetime)
            await self.db.write(
                "UPDATE sessions SET last_seen = $1, expires = $2 WHERE id = $3",
                now, expires, session_id,
            )  # fmt: skip
        return build(Session, row)

    async def delete(self, session_id: str) -> None:
        """End a session."""
        await self.db.write("DELETE FROM sessions WHERE id = $1", session_id)

    async def failures(
        self, client: str, username: str, window: timedelta
    ) -> tuple[int, str | None]:
        """Failures within the window for this client or user name (the larger count),
        and the time of the oldest failure that counts (for Retry-After)."""
        since = self.db.clock() - window
        worst = 0
        oldest: str | None = None
        for col, value in (("client", client), ("username", username)):
            row = await self.db.fetchone(
                f"SELECT COUNT(*), MIN(at) FROM login_failures WHERE {col} = $1 AND at > $2",
                value, since,
            )  # fmt: skip
            if row and int(row[0]) > worst:
                worst, oldest = int(row[0]), text(row[1])
        return worst, oldest

    async def record_failure(self, client: str, username: str, window: timedelta) -> None:
        """Count a failed sign-in; failures older than the window are dropped."""
        now = self.db.clock()
        async with self.db.transaction() as tx:
            await tx.execute("DELETE FROM login_failures WHERE at <= $1", now - window)
            await tx.execute(
                "INSERT INTO login_failures (at, client, username) VALUES ($1, $2, $3)",
                now, client, username,
            )  # fmt: skip

    async def clear_failures(self, username: str) -> None:
        """A successful sign-in forgets the user name's failures (not the client's)."""
        await self.db.write("DELETE FROM login_failures WHERE username = $1", username)
