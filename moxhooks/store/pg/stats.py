"""Delivery statistics on PostgreSQL (store/stats.py's SQL): counts per UTC day.

A day is the first ten characters of the timestamp's ISO text (YYYY-MM-DD, UTC), as in
the SQLite store.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

from moxhooks.store.pg.database import PgDatabase
from moxhooks.store.stats import MESSAGE_COUNTS

# (name, timestamp column, condition): as store/stats.py's _SUPPRESSION_COUNTS.
_SUPPRESSION_COUNTS = (
    ("suppressions_added", "created", ""),
    ("suppressions_removed", "ended", ""),
    ("complaints", "created", " AND kind = 'complaint' AND source <> 'complaint'"),
)
# $1: the hard kinds, $2: the account, $3: the first day's start.
_MESSAGES_SINCE = "account = $2 AND received >= $3 AND queue_msg_id <> 0"
_COUNTED = (
    "COUNT(DISTINCT queue_msg_id),"
    " COUNT(DISTINCT CASE WHEN event = 'delivered' THEN queue_msg_id END),"
    " COUNT(DISTINCT CASE WHEN event = 'delayed' THEN queue_msg_id END),"
    " COUNT(DISTINCT CASE WHEN event = 'failed' THEN queue_msg_id END),"
    " COUNT(DISTINCT CASE WHEN event = 'failed' AND kind = ANY($1::text[])"
    " THEN queue_msg_id END),"
    " COUNT(DISTINCT CASE WHEN event = 'suppressed' THEN queue_msg_id END)"
)


def _start(first: date) -> datetime:
    return datetime(first.year, first.month, first.day, tzinfo=UTC)


def _day(column: str) -> str:
    return f"left(iso_text({column}), 10)"


class PgStatsStore:
    """Read-only statistics over the events and suppressions tables."""

    def __init__(self, db: PgDatabase) -> None:
        self.db = db
        self.clock = db.clock

    async def messages_by_day(
        self, account: str, first: date, hard_kinds: Sequence[str]
    ) -> dict[str, dict[str, int]]:
        """Per day from first on: the MESSAGE_COUNTS (failed_hard: failed with hard_kinds)."""
        rows = await self.db.fetchall(
            f"SELECT {_day('received')}, {_COUNTED} FROM events WHERE {_MESSAGES_SINCE}"
            " GROUP BY 1",
            list(hard_kinds), account, _start(first),
        )  # fmt: skip
        return {
            r[0]: dict(zip(MESSAGE_COUNTS, (int(v) for v in tuple(r)[1:]), strict=True))
            for r in rows
        }

    async def message_totals(
        self, account: str, first: date, hard_kinds: Sequence[str]
    ) -> dict[str, int]:
        """The MESSAGE_COUNTS from first on; a message with events on several days counts once."""
        row = await self.db.fetchone(
            f"SELECT {_COUNTED} FROM events WHERE {_MESSAGES_SINCE}",
            list(hard_kinds), account, _start(first),
        )  # fmt: skip
        if row is None:
            return {}
        return dict(zip(MESSAGE_COUNTS, (int(v) for v in tuple(row)), strict=True))

    async def failures_by_day(self, account: str, first: date) -> dict[str, dict[str, int]]:
        """Per day from first on: failed messages by failure kind ("undetermined" for none)."""
        out: dict[str, dict[str, int]] = {}
        for r in await self.db.fetchall(
            f"SELECT {_day('received')}, COALESCE(kind, 'undetermined'),"
            " COUNT(DISTINCT queue_msg_id) FROM events WHERE account = $1 AND received >= $2"
            " AND queue_msg_id <> 0 AND event = 'failed' GROUP BY 1, 2",
            account, _start(first),
        ):  # fmt: skip
            out.setdefault(r[0], {})[r[1]] = int(r[2])
        return out

    async def suppressions_by_day(self, account: str, first: date) -> dict[str, dict[str, int]]:
        """Per day from first on: suppressions_added, suppressions_removed, complaints."""
        out: dict[str, dict[str, int]] = {}
        for name, col, extra in _SUPPRESSION_COUNTS:
            for r in await self.db.fetchall(
                f"SELECT {_day(col)}, COUNT(*) FROM suppressions"
                f" WHERE account = $1 AND {col} >= $2{extra} GROUP BY 1",
                account, _start(first),
            ):  # fmt: skip
                out.setdefault(r[0], {})[name] = int(r[1])
        # Every complaint report the mailbox received counts (store/stats.py).
        for r in await self.db.fetchall(
            f"SELECT {_day('created')}, COUNT(*) FROM inbound_results"
            " WHERE account = $1 AND kind = 'complaint' AND created >= $2 GROUP BY 1",
            account, _start(first),
        ):  # fmt: skip
            day = out.setdefault(r[0], {})
            day["complaints"] = day.get("complaints", 0) + int(r[1])
        return out
