"""Unsubscribe links on PostgreSQL (store/unsubscribe.py's SQL): signing keys, links, and
the entries a recipient makes."""

from __future__ import annotations

import builtins
import secrets
from datetime import datetime

import asyncpg

from moxhooks.kinds import Kind, Source
from moxhooks.models import Suppression
from moxhooks.store.db import iso
from moxhooks.store.pg.database import PgDatabase, Tx, build
from moxhooks.store.pg.suppressions import _add, _audit, _end, _lock_active
from moxhooks.store.suppressions import NewEntry
from moxhooks.store.unsubscribe import (
    KEY_BYTES,
    UNSUBSCRIBE_NOTED,
    Link,
    SigningKey,
    is_own,
)

# Taken (for the transaction) by whoever makes the first key or rotates keys, so that
# there is one current key however many nodes ask at once.
_KEYS_LOCK = 0x756E73756273  # "unsubs"


class PgUnsubscribeStore:
    """The unsubscribe_keys and unsubscribe_links tables, and recipients' own entries."""

    def __init__(self, db: PgDatabase) -> None:
        self.db = db
        self.clock = db.clock

    # ---- Keys ------------------------------------------------------------------------------

    async def current_key(self) -> SigningKey:
        """The key that signs new links; made on first use."""
        current = "SELECT * FROM unsubscribe_keys WHERE retired IS NULL ORDER BY id DESC LIMIT 1"
        row = await self.db.fetchone(current)
        if row is not None:
            return _key(row)
        async with self.db.transaction() as tx:
            await tx.execute("SELECT pg_advisory_xact_lock($1)", _KEYS_LOCK)
            found = await tx.fetchrow(current)
            if found is not None:  # another caller made it meanwhile
                return _key(found)
            return await _new_key(tx, self.db.clock())

    async def rotate_key(self, actor: str) -> SigningKey:
        """Make a new current key; the current one is retired now (it still verifies for a while)."""
        now = self.db.clock()
        async with self.db.transaction() as tx:
            await tx.execute("SELECT pg_advisory_xact_lock($1)", _KEYS_LOCK)
            await tx.execute("UPDATE unsubscribe_keys SET retired = $1 WHERE retired IS NULL", now)
            key = await _new_key(tx, now)
            await _audit(tx, now, "", None, "unsubscribe_key_rotated", actor, f"key {key.id}")
        return key

    async def key(self, key_id: int) -> SigningKey | None:
        """The key with this id, current or retired, or None."""
        row = await self.db.fetchone("SELECT * FROM unsubscribe_keys WHERE id = $1", key_id)
        return _key(row) if row else None

    async def keys(self) -> builtins.list[SigningKey]:
        """Every key, newest first."""
        rows = await self.db.fetchall("SELECT * FROM unsubscribe_keys ORDER BY id DESC")
        return [_key(r) for r in rows]

    # ---- Links -----------------------------------------------------------------------------

    async def add_link(
        self, link_id: bytes, account: str, recipient: str, topic: str, message: str
    ) -> None:
        """Record a new link."""
        await self.db.write(
            "INSERT INTO unsubscribe_links (id, account, recipient, topic, message, created)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            link_id, account, recipient, topic, message, self.db.clock(),
        )  # fmt: skip

    async def drop_link(self, link_id: bytes) -> None:
        """Forget a link whose message mox refused: it was never sent."""
        await self.db.write("DELETE FROM unsubscribe_links WHERE id = $1", link_id)

    async def link(self, link_id: bytes) -> Link | None:
        """The link with this id, or None."""
        row = await self.db.fetchone("SELECT * FROM unsubscribe_links WHERE id = $1", link_id)
        return build(Link, row) if row else None

    async def record_send(
        self, link_id: bytes, queue_msg_id: int, message_id: str, address: str, source: str
    ) -> None:
        """mox queued the link's message: note it on the link, and QueueMsgID -> recipient and
        topic in recipients (so the recipient of its events is known without mox's admin API)."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE unsubscribe_links SET queue_msg_id = $1, message_id = $2 WHERE id = $3",
                queue_msg_id, message_id, link_id,
            )  # fmt: skip
            await tx.execute(
                "INSERT INTO recipients (account, queue_msg_id, address, source, topic)"
                " SELECT account, $1, $2, $3, topic FROM unsubscribe_links WHERE id = $4"
                " ON CONFLICT (mox, account, queue_msg_id) DO UPDATE SET"
                " address = excluded.address, source = excluded.source, topic = excluded.topic",
                queue_msg_id, address, source, link_id,
            )  # fmt: skip

    # ---- A recipient's own entries ---------------------------------------------------------

    async def entries(self, account: str, base: str) -> builtins.list[Suppression]:
        """The active, unexpired entries of any scope for base (account-wide first)."""
        rows = await self.db.fetchall(
            "SELECT * FROM suppressions WHERE account = $1 AND base_address = $2"
            " AND ended IS NULL AND (expires IS NULL OR expires > $3) ORDER BY scope COLLATE \"C\"",
            account, base, self.db.clock(),
        )  # fmt: skip
        return [build(Suppression, r) for r in rows]

    async def unsubscribe(self, entry: NewEntry) -> tuple[Suppression, str]:
        """Unsubscribe (entry.expires None) or pause (until entry.expires) the recipient for
        entry.scope; one transaction, as store/unsubscribe.py's: "added", "changed",
        "already" or "outweighed". The entry met is locked before it is judged."""
        now = self.db.clock()
        expires = entry.expires
        async with self.db.transaction() as tx:
            new_id = await _add(tx, entry, now)
            if new_id is not None:
                return await _get(tx, new_id), "added"
            row = await _lock_active(tx, entry.account, entry.base_address, entry.scope)
            if row is None:
                # The entry the insert met ended meanwhile: the wish makes a new one.
                new_id = await _add(tx, entry, now)
                assert new_id is not None
                return await _get(tx, new_id), "added"
            current = build(Suppression, row)
            current_expires: datetime | None = row["expires"]
            outlasts = current_expires is None or (
                expires is not None and current_expires >= expires
            )
            if is_own(current) and current_expires == expires:
                return current, "already"
            if not is_own(current) and outlasts:
                await _audit(
                    tx, now, entry.account, current.id, UNSUBSCRIBE_NOTED, entry.created_by,
                    entry.reason,
                )  # fmt: skip
                return current, "outweighed"
            await tx.execute(
                "UPDATE suppressions SET kind = $1, source = $2, reason = $3, expires = $4"
                " WHERE id = $5",
                str(Kind.UNSUBSCRIBED), str(Source.UNSUBSCRIBE), entry.reason, expires,
                current.id,
            )  # fmt: skip
            until = f"expires {iso(expires)}" if expires else "no expiry"
            was = f" (was {current.kind} from {current.source})" if not is_own(current) else ""
            await _audit(
                tx, now, entry.account, current.id, "changed", entry.created_by,
                f"now unsubscribed, {until}{was}: {entry.reason}",
            )  # fmt: skip
            return await _get(tx, current.id), "changed"

    async def resubscribe(
        self, account: str, base: str, scope: str, actor: str, reason: str
    ) -> Suppression | None:
        """End the recipient's own unsubscribe or pause for scope; None if there is none.

        Entries of other kinds (a complaint, a dead mailbox, a person's entry) are never
        ended here: the recipient may only take back what the recipient asked for.
        """
        now = self.db.clock()
        async with self.db.transaction() as tx:
            row = await _lock_active(tx, account, base, scope)
            if row is None or not is_own(build(Suppression, row)):
                return None
            await _end(tx, account, int(row["id"]), actor, reason, now, True)
            return await _get(tx, int(row["id"]))


def _key(r: asyncpg.Record) -> SigningKey:
    return SigningKey(int(r["id"]), bytes(r["secret"]), iso(r["created"]), _iso(r["retired"]))


def _iso(t: datetime | None) -> str | None:
    return iso(t) if t is not None else None


async def _new_key(tx: Tx, now: datetime) -> SigningKey:
    secret = secrets.token_bytes(KEY_BYTES)
    key_id = await tx.fetchval(
        "INSERT INTO unsubscribe_keys (secret, created) VALUES ($1, $2) RETURNING id",
        secret, now,
    )  # fmt: skip
    return SigningKey(int(key_id), secret, iso(now), None)


async def _get(tx: Tx, entry_id: int) -> Suppression:
    row = await tx.fetchrow("SELECT * FROM suppressions WHERE id = $1", entry_id)
    assert row is not None
    return build(Suppression, row)
