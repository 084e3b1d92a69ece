"""Unsubscribe links: their signing keys, one row per link, and the entries a recipient makes.

A link is one (sent message, recipient, topic); its row holds what the token is bound to,
so the token itself names nothing but the row's random id and the key that signed it
(moxhooks.unsubscribe). The entries a recipient makes or ends through a link (unsubscribe,
pause, resubscribe) are suppression entries of kind `unsubscribed`, source `unsubscribe`;
each change is one transaction with its audit row (and outbox row when account-wide).
"""

from __future__ import annotations

import builtins
import secrets
from dataclasses import dataclass

from moxhooks.kinds import Kind, Source
from moxhooks.models import Suppression
from moxhooks.store.db import Row, SqliteDatabase, Tx, iso
from moxhooks.store.suppressions import NewEntry, _add, _audit, _end

# Bytes of a signing key (HMAC-SHA256 takes any length; 32 is its block-free optimum).
KEY_BYTES = 32

# The audit action of an unsubscribe or pause that an entry of another kind outweighs.
UNSUBSCRIBE_NOTED = "unsubscribe_noted"


@dataclass(frozen=True)
class SigningKey:
    """A key that signs unsubscribe links."""

    id: int
    secret: bytes
    created: str
    retired: str | None  # when a newer key became current; None for the current key

    @classmethod
    def from_row(cls, r: Row) -> SigningKey:
        return cls(int(r["id"]), bytes(r["secret"]), r["created"], r["retired"])


@dataclass(frozen=True)
class Link:
    """One unsubscribe link: what its token is bound to."""

    id: bytes  # 16 random bytes
    account: str  # the mox account that sent the message, e.g. "mox"
    recipient: str  # the address it was sent to, e.g. "John.Doe@example.org"
    topic: str  # the message's topic; "" for none
    message: str  # the message: its Message-ID, or "relay:<id>" of the relay send
    created: str
    queue_msg_id: int | None  # mox's QueueMsgID, once sent
    message_id: str | None  # mox's Message-ID, once sent

    @classmethod
    def from_row(cls, r: Row) -> Link:
        return cls(
            bytes(r["id"]),
            r["account"],
            r["recipient"],
            r["topic"],
            r["message"],
            r["created"],
            r["queue_msg_id"],
            r["message_id"],
        )


def is_pause(entry: Suppression) -> bool:
    """Whether the entry is a recipient's pause: unsubscribed for a while."""
    return entry.kind == Kind.UNSUBSCRIBED and entry.expires is not None


def is_own(entry: Suppression) -> bool:
    """Whether the recipient made the entry (an unsubscribe or a pause), so may end it."""
    return entry.kind == Kind.UNSUBSCRIBED and entry.source == Source.UNSUBSCRIBE


class SqliteUnsubscribeStore:
    """The unsubscribe_keys and unsubscribe_links tables, and recipients' own entries."""

    def __init__(self, db: SqliteDatabase) -> None:
        self.db = db
        self.clock = db.clock

    # ---- Keys ------------------------------------------------------------------------------

    async def current_key(self) -> SigningKey:
        """The key that signs new links; made on first use."""
        row = await self.db.fetchone(
            "SELECT * FROM unsubscribe_keys WHERE retired IS NULL ORDER BY id DESC LIMIT 1"
        )
        if row is not None:
            return SigningKey.from_row(row)
        async with self.db.transaction() as tx:
            found = await tx.fetchone(
                "SELECT * FROM unsubscribe_keys WHERE retired IS NULL ORDER BY id DESC LIMIT 1"
            )
            if found is not None:  # another caller made it meanwhile
                return SigningKey.from_row(found)
            return await _new_key(tx, self.db.now())

    async def rotate_key(self, actor: str) -> SigningKey:
        """Make a new current key; the current one is retired now (it still verifies for a while)."""
        now = self.db.now()
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE unsubscribe_keys SET retired = ? WHERE retired IS NULL", (now,)
            )
            key = await _new_key(tx, now)
            await _audit(tx, now, "", None, "unsubscribe_key_rotated", actor, f"key {key.id}")
        return key

    async def key(self, key_id: int) -> SigningKey | None:
        """The key with this id, current or retired, or None."""
        row = await self.db.fetchone("SELECT * FROM unsubscribe_keys WHERE id = ?", (key_id,))
        return SigningKey.from_row(row) if row else None

    async def keys(self) -> builtins.list[SigningKey]:
        """Every key, newest first."""
        rows = await self.db.fetchall("SELECT * FROM unsubscribe_keys ORDER BY id DESC")
        return [SigningKey.from_row(r) for r in rows]

    # ---- Links -----------------------------------------------------------------------------

    async def add_link(
        self, link_id: bytes, account: str, recipient: str, topic: str, message: str
    ) -> None:
        """Record a new link."""
        await self.db.write(
            "INSERT INTO unsubscribe_links (id, account, recipient, topic, message, created)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (link_id, account, recipient, topic, message, self.db.now()),
        )

    async def drop_link(self, link_id: bytes) -> None:
        """Forget a link whose message mox refused: it was never sent."""
        await self.db.write("DELETE FROM unsubscribe_links WHERE id = ?", (link_id,))

    async def link(self, link_id: bytes) -> Link | None:
        """The link with this id, or None."""
        row = await self.db.fetchone("SELECT * FROM unsubscribe_links WHERE id = ?", (link_id,))
        return Link.from_row(row) if row else None

    async def record_send(
        self, link_id: bytes, queue_msg_id: int, message_id: str, address: str, source: str
    ) -> None:
        """mox queued the link's message: note it on the link, and QueueMsgID -> recipient and
        topic in recipients (so the recipient of its events is known without mox's admin API)."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE unsubscribe_links SET queue_msg_id = ?, message_id = ? WHERE id = ?",
                (queue_msg_id, message_id, link_id),
            )
            await tx.execute(
                "INSERT OR REPLACE INTO recipients (account, queue_msg_id, address, source, topic)"
                " SELECT account, ?, ?, ?, topic FROM unsubscribe_links WHERE id = ?",
                (queue_msg_id, address, source, link_id),
            )

    # ---- A recipient's own entries ---------------------------------------------------------

    async def entries(self, account: str, base: str) -> builtins.list[Suppression]:
        """The active, unexpired entries of any scope for base (account-wide first)."""
        rows = await self.db.fetchall(
            "SELECT * FROM suppressions WHERE account = ? AND base_address = ?"
            " AND ended IS NULL AND (expires IS NULL OR expires > ?) ORDER BY scope",
            (account, base, self.db.now()),
        )
        return [Suppression.from_row(r) for r in rows]

    async def unsubscribe(self, entry: NewEntry) -> tuple[Suppression, str]:
        """Unsubscribe (entry.expires None) or pause (until entry.expires) the recipient for
        entry.scope; one transaction. Returns the entry and what happened:

        - "added": a new entry;
        - "changed": the recipient's own entry there now lasts as asked (an unsubscribe
          becomes a pause or the other way round, a pause is moved), or an expiring entry
          of another kind that would end sooner became the recipient's own;
        - "already": the recipient's own entry there is just that already;
        - "outweighed": an entry of another kind blocks the address at least as long (a
          complaint, a dead mailbox, a person's entry): it stays, the wish is noted in its
          history.
        """
        now = self.db.now()
        expires = iso(entry.expires) if entry.expires else None
        async with self.db.transaction() as tx:
            new_id = await _add(tx, entry, now)
            if new_id is not None:
                return await self._get(tx, new_id), "added"
            current = await _active(tx, entry.account, entry.base_address, entry.scope)
            assert current is not None  # the insert met it, and the write lock is ours
            outlasts = current.expires is None or (
                expires is not None and current.expires >= expires
            )
            if is_own(current) and current.expires == expires:
                return current, "already"
            if not is_own(current) and outlasts:
                await _audit(
                    tx, now, entry.account, current.id, UNSUBSCRIBE_NOTED, entry.created_by,
                    entry.reason,
                )  # fmt: skip
                return current, "outweighed"
            await tx.execute(
                "UPDATE suppressions SET kind = ?, source = ?, reason = ?, expires = ?"
                " WHERE id = ?",
                (Kind.UNSUBSCRIBED, Source.UNSUBSCRIBE, entry.reason, expires, current.id),
            )
            until = f"expires {expires}" if expires else "no expiry"
            was = f" (was {current.kind} from {current.source})" if not is_own(current) else ""
            await _audit(
                tx, now, entry.account, current.id, "changed", entry.created_by,
                f"now unsubscribed, {until}{was}: {entry.reason}",
            )  # fmt: skip
            return await self._get(tx, current.id), "changed"

    async def resubscribe(
        self, account: str, base: str, scope: str, actor: str, reason: str
    ) -> Suppression | None:
        """End the recipient's own unsubscribe or pause for scope; None if there is none.

        Entries of other kinds (a complaint, a dead mailbox, a person's entry) are never
        ended here: the recipient may only take back what the recipient asked for.
        """
        now = self.db.now()
        async with self.db.transaction() as tx:
            current = await _active(tx, account, base, scope)
            if current is None or not is_own(current):
                return None
            await _end(tx, account, current.id, actor, reason, now, True)
            return await self._get(tx, current.id)

    @staticmethod
    async def _get(tx: Tx, entry_id: int) -> Suppression:
        row = await tx.fetchone("SELECT * FROM suppressions WHERE id = ?", (entry_id,))
        assert row is not None
        return Suppression.from_row(row)


async def _new_key(tx: Tx, now: str) -> SigningKey:
    secret = secrets.token_bytes(KEY_BYTES)
    written = await tx.execute(
        "INSERT INTO unsubscribe_keys (secret, created) VALUES (?, ?)", (secret, now)
    )
    key_id = written.lastrowid
    assert key_id is not None
    return SigningKey(key_id, secret, now, None)


async def _active(tx: Tx, account: str, base: str, scope: str) -> Suppression | None:
    row = await tx.fetchone(
        "SELECT * FROM suppressions WHERE account = ? AND base_address = ? AND scope = ?"
        " AND ended IS NULL",
        (account, base, scope),
    )
    return Suppression.from_row(row) if row else None
