"""Bounce-mailbox reports: mail for the bounce and complaint addresses, kept before it is read.

A message arrives through mox's incoming webhook (its JSON is stored before the 200;
the raw message is fetched afterwards with webapi MessageRawGet) or from an IMAP
mailbox (the raw message is stored before it is marked read). Parsing and applying
happen afterwards, from this table, like outgoing events; a message that cannot be
parsed stays here as `unparsed`, visible on the account page.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from moxhooks.store.db import Row, SqliteDatabase, iso, parse_iso

# Outcome of one recipient of a report: also what the stats count (complaints a day).
_INSERT_RESULT = (
    "INSERT INTO inbound_results (inbound_id, account, recipient, kind, action, decision,"
    " detail, entry_id, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


@dataclass(frozen=True)
class MailboxMessage:
    """One message for a report address, as kept."""

    id: int
    account: str  # the mox account that received it
    source: str  # "webhook" or "imap"
    external_id: str  # mox's webhook ID, or "<uidvalidity>:<uid>" for IMAP
    received: str
    rcpt_to: str
    mail_from: str
    subject: str
    message_id: str
    mox_msg_id: int | None  # the message in mox's store (webhook): for MessageRawGet
    meta: str  # the incoming webhook's JSON, or "{}"
    raw: bytes | None  # the message; None until fetched (and in listings)
    raw_size: int | None  # its size in bytes, once fetched
    status: str  # pending, done, unparsed, failed
    report_type: str | None  # dsn, arf, bounce, autoreply, unparsed
    outcome: str
    tries: int

    @classmethod
    def from_row(cls, r: Row) -> MailboxMessage:
        return cls(
            r["id"], r["account"], r["source"], r["external_id"], r["received"], r["rcpt_to"],
            r["mail_from"], r["subject"], r["message_id"], r["mox_msg_id"], r["meta"],
            r["raw"], r["raw_size"], r["status"], r["report_type"], r["outcome"], r["tries"],
        )  # fmt: skip


@dataclass(frozen=True)
class MailboxResult:
    """What one recipient of a report came to."""

    account: str  # the account whose entry it is (the receiving account)
    recipient: str
    kind: str | None
    action: str  # the report's action for the recipient: failed, delayed, complaint, ...
    decision: str  # suppress, record, already_suppressed, ...
    detail: str
    entry_id: int | None = None


class SqliteMailboxStore:
    """The inbound and inbound_results tables."""

    def __init__(self, db: SqliteDatabase) -> None:
        self.db = db
        # due() claims nothing: one worker per file, so there is no lease to renew.
        self.lease: float | None = None

    async def add(
        self,
        account: str,
        source: str,
        external_id: str,
        *,
        rcpt_to: str = "",
        mail_from: str = "",
        subject: str = "",
        message_id: str = "",
        mox_msg_id: int | None = None,
        meta: str = "{}",
        raw: bytes | None = None,
    ) -> bool:
        """Keep a message durably; False if (account, source, external_id) is kept already."""
        n = await self.db.write(
            "INSERT OR IGNORE INTO inbound (account, source, external_id, received, rcpt_to,"
            " mail_from, subject, message_id, mox_msg_id, meta, raw, raw_size)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                account, source, external_id, self.db.now(), rcpt_to, mail_from, subject,
                message_id, mox_msg_id, meta, raw, len(raw) if raw is not None else None,
            ),
        )  # fmt: skip
        return n == 1

    async def due(self, limit: int = 50) -> builtins.list[MailboxMessage]:
        """Pending messages whose (re)try is due, oldest first."""
        rows = await self.db.fetchall(
            "SELECT * FROM inbound WHERE status = 'pending'"
            " AND (next_try IS NULL OR next_try <= ?) ORDER BY id LIMIT ?",
            (self.db.now(), limit),
        )
        return [MailboxMessage.from_row(r) for r in rows]

    async def renew(self, ids: Sequence[int]) -> int:
        """Nothing: no other process takes this one's messages (lease is None)."""
        return 0

    async def next_retry(self) -> datetime | None:
        """When the earliest pending message waiting for a retry is due, or None."""
        row = await self.db.fetchone(
            "SELECT MIN(next_try) FROM inbound WHERE status = 'pending' AND next_try IS NOT NULL"
        )
        return parse_iso(row[0]) if row and row[0] else None

    async def set_raw(self, inbound_id: int, raw: bytes) -> None:
        await self.db.write(
            "UPDATE inbound SET raw = ?, raw_size = ? WHERE id = ?", (raw, len(raw), inbound_id)
        )

    async def retry_later(self, inbound_id: int, when: datetime, why: str) -> None:
        await self.db.write(
            "UPDATE inbound SET tries = tries + 1, next_try = ?, outcome = ? WHERE id = ?",
            (iso(when), why, inbound_id),
        )

    async def finish(
        self,
        inbound_id: int,
        status: str,
        report_type: str | None,
        parsed: dict[str, Any] | None,
        outcome: str,
        results: Sequence[MailboxResult] = (),
    ) -> None:
        """Record the parse and what it came to, with one row per recipient, at once."""
        now = self.db.now()
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE inbound SET status = ?, report_type = ?, parsed = ?, outcome = ?,"
                " processed = ?, tries = tries + 1, next_try = NULL WHERE id = ?",
                (
                    status, report_type, json.dumps(parsed) if parsed is not None else None,
                    outcome, now, inbound_id,
                ),
            )  # fmt: skip
            for r in results:
                await tx.execute(
                    _INSERT_RESULT,
                    (
                        inbound_id, r.account, r.recipient, r.kind, r.action, r.decision,
                        r.detail, r.entry_id, now,
                    ),
                )  # fmt: skip

    async def get(self, account: str | None, inbound_id: int) -> MailboxMessage | None:
        """One message (of account, unless account is None)."""
        row = await self.db.fetchone("SELECT * FROM inbound WHERE id = ?", (inbound_id,))
        if row is None or (account is not None and row["account"] != account):
            return None
        return MailboxMessage.from_row(row)

    async def results(self, inbound_id: int) -> builtins.list[dict[str, Any]]:
        rows = await self.db.fetchall(
            "SELECT recipient, kind, action, decision, detail, entry_id, created"
            " FROM inbound_results WHERE inbound_id = ? ORDER BY id",
            (inbound_id,),
        )
        return [dict(r) for r in rows]

    async def list(
        self, account: str | None, *, status: str = "", limit: int = 50, before: int = 0
    ) -> builtins.list[MailboxMessage]:
        """Messages newest first (without their raw bytes), filtered by account and status."""
        where: builtins.list[str] = ["1 = 1"]
        params: builtins.list[Any] = []
        if account is not None:
            where.append("account = ?")
            params.append(account)
        if status:
            where.append("status = ?")
            params.append(status)
        if before:
            where.append("id < ?")
            params.append(before)
        rows = await self.db.fetchall(
            "SELECT id, account, source, external_id, received, rcpt_to, mail_from, subject,"
            " message_id, mox_msg_id, meta, NULL AS raw, raw_size, status, report_type, outcome,"
            " tries"
            f" FROM inbound WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT ?",
            (*params, limit),
        )
        return [MailboxMessage.from_row(r) for r in rows]

    async def counts(self) -> dict[tuple[str, str], int]:
        """(account, status) -> number of messages, for the admin page."""
        rows = await self.db.fetchall(
            "SELECT account, status, COUNT(*) FROM inbound GROUP BY account, status"
        )
        return {(r[0], r[1]): int(r[2]) for r in rows}

    async def parsed(self, inbound_id: int) -> Any:
        """The parsed report kept for a message (its `parsed` JSON), or None."""
        row = await self.db.fetchone("SELECT parsed FROM inbound WHERE id = ?", (inbound_id,))
        if row is None or row[0] is None:
            return None
        try:
            return json.loads(row[0])
        except ValueError:
            return None

    async def for_entry(
        self, account: str, entry_id: int, limit: int = 50
    ) -> builtins.list[dict[str, Any]]:
        """The account's report messages whose results made or touched entry_id, newest first."""
        rows = await self.db.fetchall(
            "SELECT i.id, i.received, i.report_type, i.subject, i.mail_from, i.status,"
            " r.recipient, r.action, r.decision, r.detail"
            " FROM inbound_results r JOIN inbound i ON i.id = r.inbound_id"
            " WHERE r.entry_id = ? AND i.account = ? ORDER BY r.id DESC LIMIT ?",
            (entry_id, account, limit),
        )
        return [dict(r) for r in rows]
