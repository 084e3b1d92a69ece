"""Bounce-mailbox reports on PostgreSQL (store/mailbox.py's SQL): mail for the report addresses."""

from __future__ import annotations

import builtins
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from moxhooks.store.errors import LeaseLost
from moxhooks.store.mailbox import MailboxMessage, MailboxResult
from moxhooks.store.pg.database import OURS, PgDatabase, build, row_values, rowcount

_INSERT_RESULT = (
    "INSERT INTO inbound_results (inbound_id, account, recipient, kind, action, decision,"
    " detail, entry_id, created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
)
# A listing's columns: everything but the raw message.
_LISTED = (
    "id, account, source, external_id, received, rcpt_to, mail_from, subject, message_id,"
    " mox_msg_id, meta, NULL::bytea AS raw, raw_size, status, report_type, outcome, tries"
)


class PgMailboxStore:
    """The inbound and inbound_results tables."""

    def __init__(self, db: PgDatabase) -> None:
        self.db = db
        # Seconds a claim by due() lasts unless renewed (renew()).
        self.lease: float | None = db.lease

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
            "INSERT INTO inbound (account, source, external_id, received, rcpt_to, mail_from,"
            " subject, message_id, mox_msg_id, meta, raw, raw_size)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
            " ON CONFLICT (account, source, external_id) DO NOTHING",
            account, source, external_id, self.db.clock(), rcpt_to, mail_from, subject,
            message_id, mox_msg_id, meta, raw, len(raw) if raw is not None else None,
        )  # fmt: skip
        return n == 1

    async def due(self, limit: int = 50) -> builtins.list[MailboxMessage]:
        """Pending messages whose (re)try is due, oldest first, claimed for this node as
        events are (PgEventStore.due): other nodes leave them until the lease runs out."""
        async with self.db.transaction() as tx:
            rows = await tx.fetch(
                "UPDATE inbound SET lease_owner = $1,"
                " lease_until = now() + make_interval(secs => $2) WHERE id IN (SELECT id"
                " FROM inbound WHERE status = 'pending' AND (next_try IS NULL OR next_try <= $3)"
                " AND (lease_until IS NULL OR lease_until < now() OR lease_owner = $1)"
                " ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED) RETURNING *",
                self.db.node, self.db.lease, self.db.clock(), limit,
            )  # fmt: skip
        return sorted((build(MailboxMessage, r) for r in rows), key=lambda m: m.id)

    async def renew(self, ids: Sequence[int]) -> int:
        """Extend this node's claim, by a lease from now, on those of ids it still holds
        and has not finished; returns how many (PgEventStore.renew)."""
        if not ids:
            return 0
        return await self.db.write(
            "UPDATE inbound SET lease_until = now() + make_interval(secs => $2)"
            " WHERE id = ANY($3::bigint[]) AND status = 'pending' AND lease_owner = $1"
            " AND lease_until IS NOT NULL",
            self.db.node, self.db.lease, builtins.list(ids),
        )  # fmt: skip

    async def next_retry(self) -> datetime | None:
        """When the earliest pending message waiting for a retry is due, or another node's
        claim on one runs out, or None."""
        row = await self.db.fetchone(
            "SELECT LEAST((SELECT MIN(next_try) FROM inbound WHERE status = 'pending'"
            " AND next_try IS NOT NULL), (SELECT MIN(lease_until) FROM inbound"
            " WHERE status = 'pending' AND lease_owner <> $1))",
            self.db.node,
        )
        return row[0] if row and row[0] else None

    async def set_raw(self, inbound_id: int, raw: bytes) -> None:
        """Keep a message's raw bytes, fetched after it was kept."""
        await self.db.write(
            "UPDATE inbound SET raw = $1, raw_size = $2 WHERE id = $3", raw, len(raw), inbound_id
        )

    async def retry_later(self, inbound_id: int, when: datetime, why: str) -> None:
        """Try a message again at when; why is its outcome meanwhile."""
        await self.db.write(
            "UPDATE inbound SET tries = tries + 1, next_try = $1, outcome = $2,"
            f" lease_until = NULL WHERE id = $3 AND {OURS.format(n=4)}",
            when, why, inbound_id, self.db.node,
        )  # fmt: skip

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
        now = self.db.clock()
        async with self.db.transaction() as tx:
            done = await tx.execute(
                "UPDATE inbound SET status = $1, report_type = $2, parsed = $3, outcome = $4,"
                " processed = $5, tries = tries + 1, next_try = NULL, lease_until = NULL"
                f" WHERE id = $6 AND {OURS.format(n=7)}",
                status, report_type, json.dumps(parsed) if parsed is not None else None,
                outcome, now, inbound_id, self.db.node,
            )  # fmt: skip
            if not rowcount(done):
                raise LeaseLost(
                    f"report message {inbound_id}: another node took it over"
                    " (this node's lease ran out)"
                )
            if results:
                await tx.executemany(
                    _INSERT_RESULT,
                    [
                        (
                            inbound_id,
                            r.account,
                            r.recipient,
                            r.kind,
                            r.action,
                            r.decision,
                            r.detail,
                            r.entry_id,
                            now,
                        )  # fmt: skip
                        for r in results
                    ],
                )

    async def get(self, account: str | None, inbound_id: int) -> MailboxMessage | None:
        """One message (of account, unless account is None)."""
        row = await self.db.fetchone("SELECT * FROM inbound WHERE id = $1", inbound_id)
        if row is None or (account is not None and row["account"] != account):
            return None
        return build(MailboxMessage, row)

    async def results(self, inbound_id: int) -> builtins.list[dict[str, Any]]:
        """What each recipient of a message came to, in order."""
        rows = await self.db.fetchall(
            "SELECT recipient, kind, action, decision, detail, entry_id, created"
            " FROM inbound_results WHERE inbound_id = $1 ORDER BY id",
            inbound_id,
        )
        return [row_values(r) for r in rows]

    async def list(
        self, account: str | None, *, status: str = "", limit: int = 50, before: int = 0
    ) -> builtins.list[MailboxMessage]:
        """Messages newest first (without their raw bytes), filtered by account and status."""
        where: builtins.list[str] = ["true"]
        params: builtins.list[Any] = []
        if account is not None:
            params.append(account)
            where.append(f"account = ${len(params)}")
        if status:
            params.append(status)
            where.append(f"status = ${len(params)}")
        if before:
            params.append(before)
            where.append(f"id < ${len(params)}")
        params.append(limit)
        rows = await self.db.fetchall(
            f"SELECT {_LISTED} FROM inbound WHERE {' AND '.join(where)} ORDER BY id DESC"
            f" LIMIT ${len(params)}",
            *params,
        )
        return [build(MailboxMessage, r) for r in rows]

    async def counts(self) -> dict[tuple[str, str], int]:
        """(account, status) -> number of messages, for the admin page."""
        rows = await self.db.fetchall(
            "SELECT account, status, COUNT(*) FROM inbound GROUP BY account, status"
        )
        return {(r[0], r[1]): int(r[2]) for r in rows}

    async def parsed(self, inbound_id: int) -> Any:
        """The parsed report kept for a message (its `parsed` JSON), or None."""
        row = await self.db.fetchone("SELECT parsed FROM inbound WHERE id = $1", inbound_id)
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
            " WHERE r.entry_id = $1 AND i.account = $2 ORDER BY r.id DESC LIMIT $3",
            entry_id, account, limit,
        )  # fmt: skip
        return [row_values(r) for r in rows]
