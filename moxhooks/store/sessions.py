"""Web sign-in: sessions, and failed sign-ins counted for throttling.

A session is kept under the SHA-256 of its cookie token (the caller hashes it);
the token itself is never stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from moxhooks.store.db import Row, SqliteDatabase, iso, parse_iso

# A session's last use is written at most this often (enough for idle timeouts of hours).
TOUCH_INTERVAL = timedelta(minutes=1)


@dataclass(frozen=True)
class Session:
    """A live sign-in, as kept in the database."""

    id: str  # SHA-256 (hex) of the cookie token.
    role: str  # "account" or "admin"
    account: str  # "" for the admin.
    email: str  # The address signed in with; "" for the admin.
    csrf: str
    client: str
    created: str
    last_seen: str
    expires: str

    @classmethod
    def from_row(cls, r: Row) -> Session:
        return cls(**dict(r))


class SqliteSessionStore:
    """The sessions and login_failures tables."""

    def __init__(self, db: SqliteDatabase) -> None:
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
        s = Session(
            session_id,
            role,
            account,
            email,
            csrf,
            client,
            iso(now),
            iso(now),
            iso(min(now + idle, now + lifetime)),
        )
        async with self.db.transaction() as tx:
            # Ended sessions are not worth keeping; clearing them here needs no timer.
            await tx.execute("DELETE FROM sessions WHERE expires <= ?", (iso(now),))
            await tx.execute(
                "INSERT INTO sessions (id, role, account, email, csrf, client, created,"
                " last_seen, expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    s.id,
                    s.role,
                    s.account,
                    s.email,
                    s.csrf,
                    s.client,
                    s.created,
                    s.last_seen,
                    s.expires,
                ),
            )
        return s

    async def live(
        self, session_id: str, *, idle: timedelta, lifetime: timedelta
    ) -> Session | None:
        """The session if it has not ended, extended to idle from now (sliding), else None."""
        row = await self.db.fetchone("SELECT * FROM sessions WHERE id = ?", (session_id,))
        if row is None:
            return None
        s = Session.from_row(row)
        now = self.db.clock()
        if parse_iso(s.expires) <= now:
            return None
        if now - parse_iso(s.last_seen) >= TOUCH_INTERVAL:
            expires = min(now + idle, parse_iso(s.created) + lifetime)
            async with self.db.transaction() as tx:
                await tx.execute(
                    "UPDATE sessions SET last_seen = ?, expires = ? WHERE id = ?",
                    (iso(now), iso(expires), session_id),
                )
        return s

    async def delete(self, session_id: str) -> None:
        """End a session."""
        async with self.db.transaction() as tx:
            await tx.execute("DELETE FROM sessions WHERE id = ?", (session_id,))

    async def failures(
        self, client: str, username: str, window: timedelta
    ) -> tuple[int, str | None]:
        """Failures within the window for this client or user name (the larger count),
        and the time of the oldest failure that counts (for Retry-After)."""
        since = iso(self.db.clock() - window)
        worst = 0
        oldest: str | None = None
        for col, value in (("client", client), ("username", username)):
            row = await self.db.fetchone(
                f"SELECT COUNT(*), MIN(at) FROM login_failures WHERE {col} = ? AND at > ?",
                (value, since),
            )
            if row and int(row[0]) > worst:
                worst, oldest = int(row[0]), row[1]
        return worst, oldest

    async def record_failure(self, client: str, username: str, window: timedelta) -> None:
        """Count a failed sign-in; failures older than the window are dropped."""
        now = self.db.clock()
        async with self.db.transaction() as tx:
            await tx.execute("DELETE FROM login_failures WHERE at <= ?", (iso(now - window),))
            await tx.execute(
                "INSERT INTO login_failures (at, client, username) VALUES (?, ?, ?)",
                (iso(now), client, username),
            )

    async def clear_failures(self, username: str) -> None:
        """A successful sign-in forgets the user name's failures (not the client's)."""
        async with self.db.transaction() as tx:
            await tx.execute("DELETE FROM login_failures WHERE username = ?", (username,))
