"""Delivery statistics: counts per UTC day over events, suppressions and reports received.

Days are the first ten characters of the stored UTC timestamps (YYYY-MM-DD).
Message counts count distinct messages (QueueMsgID), leaving out events without one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

from moxhooks.store.db import SqliteDatabase, iso

# The message counts, in the order messages_by_day and message_totals compute them.
MESSAGE_COUNTS = ("sent", "delivered", "delayed", "failed", "failed_hard", "suppressed")

# The suppression counts suppressions_by_day computes: (name, timestamp column, condition).
_SUPPRESSION_COUNTS = (
    ("suppressions_added", "created", ""),
    ("suppressions_removed", "ended", ""),
    # Complaint entries made other than from the bounce mailbox (report API, by hand);
    # the mailbox's complaints are counted per report received (inbound_results).
    ("complaints", "created", " AND kind = 'complaint' AND source != 'complaint'"),
)

_MESSAGES_SINCE = "account = ? AND received >= ? AND queue_msg_id != 0"


def _counted(hard_kinds: Sequence[str]) -> str:
    hard = ", ".join("?" for _ in hard_kinds)
    return (
        "COUNT(DISTINCT queue_msg_id),"
        " COUNT(DISTINCT CASE WHEN event = 'delivered' THEN queue_msg_id END),"
        " COUNT(DISTINCT CASE WHEN event = 'delayed' THEN queue_msg_id END),"
        " COUNT(DISTINCT CASE WHEN event = 'failed' THEN queue_msg_id END),"
        f" COUNT(DISTINCT CASE WHEN event = 'failed' AND kind IN ({hard}) THEN queue_msg_id END),"
        " COUNT(DISTINCT CASE WHEN event = 'suppressed' THEN queue_msg_id END)"
    )


def _start(first: date) -> str:
    return iso(datetime(first.year, first.month, first.day, tzinfo=UTC))


class SqliteStatsStore:
    """Read-only statistics over the events and suppressions tables."""

    def __init__(self, db: SqliteDatabase) -> None:
        self.db = db
        self.clock = db.clock

    async def messages_by_day(
        self, account: str, first: date, hard_kinds: Sequence[str]
    ) -> dict[str, dict[str, int]]:
        """Per day from first on: the MESSAGE_COUNTS (failed_hard: failed with hard_kinds)."""
        rows = await self.db.fetchall(
            f"SELECT substr(received, 1, 10), {_counted(hard_kinds)} FROM events"
            f" WHERE {_MESSAGES_SINCE} GROUP BY 1",
            (*hard_kinds, account, _start(first)),
        )
        return {
            r[0]: dict(zip(MESSAGE_COUNTS, (int(v) for v in tuple(r)[1:]), strict=True))
            for r in rows
        }

    async def message_totals(
        self, account: str, first: date, hard_kinds: Sequence[str]
    ) -> dict[str, int]:
        """The MESSAGE_COUNTS from first on; a message with events on several days counts once."""
        row = await self.db.fetchone(
            f"SELECT {_counted(hard_kinds)} FROM events WHERE {_MESSAGES_SINCE}",
            (*hard_kinds, account, _start(first)),
        )
        if row is None:
            return {}
        return dict(zip(MESSAGE_COUNTS, (int(v) for v in tuple(row)), strict=True))

    async def failures_by_day(self, account: str, first: date) -> dict[str, dict[str, int]]:
        """Per day from first on: failed messages by failure kind ("undetermined" for none)."""
        out: dict[str, dict[str, int]] = {}
        for r in await self.db.fetchall(
            "SELECT substr(received, 1, 10), COALESCE(kind, 'undetermined'),"
            f" COUNT(DISTINCT queue_msg_id) FROM events WHERE {_MESSAGES_SINCE}"
            " AND event = 'failed' GROUP BY 1, 2",
            (account, _start(first)),
        ):
            out.setdefault(r[0], {})[r[1]] = int(r[2])
        return out

    async def suppressions_by_day(self, account: str, first: date) -> dict[str, dict[str, int]]:
        """Per day from first on: suppressions_added, suppressions_removed, complaints."""
        out: dict[str, dict[str, int]] = {}
        for name, col, extra in _SUPPRESSION_COUNTS:
            for r in await self.db.fetchall(
                f"SELECT substr({col}, 1, 10), COUNT(*) FROM suppressions"
                f" WHERE account = ? AND {col} >= ?{extra} GROUP BY 1",
                (account, _start(first)),
            ):
                out.setdefault(r[0], {})[name] = int(r[1])
        # Every complaint report the mailbox received counts, even for an address that
        # was suppressed already: the rate is what mailbox providers see.
        for r in await self.db.fetchall(
            "SELECT substr(created, 1, 10), COUNT(*) FROM inbound_results"
            " WHERE account = ? AND kind = 'complaint' AND created >= ? GROUP BY 1",
            (account, _start(first)),
        ):
            day = out.setdefault(r[0], {})
            day["complaints"] = day.get("complaints", 0) + int(r[1])
        return out
