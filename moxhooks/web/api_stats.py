"""Delivery statistics per day, computed with SQL over events and suppressions.

For one account and the last N days (UTC), oldest first:

    sent          distinct messages (QueueMsgID) with any event that day
    delivered     ... with a delivered event; delayed, failed, suppressed likewise
    failed_hard   ... failed with a hard kind (HARD_KINDS): these make the bounce rate
    complaints    suppression entries of kind complaint created that day
    suppressions_added / suppressions_removed   entries created / ended that day
    bounce_rate   failed_hard / sent (0 without mail); complaint_rate = complaints / sent

Totals count a message with events on several days once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ..config import WebConfig
from ..kinds import Kind
from ..store import Database, iso

# Lines mailbox providers enforce (Gmail and Yahoo's sender guidelines: complaints
# under 0.3%; bounce rates above a few percent hurt reputation).
# Failure kinds counted as hard bounces in the bounce rate.
HARD_KINDS = (Kind.MAILBOX_UNKNOWN, Kind.DOMAIN_UNKNOWN, Kind.MAILBOX_DISABLED)

_EMPTY_DAY = {
    "sent": 0,
    "delivered": 0,
    "delayed": 0,
    "failed": 0,
    "failed_hard": 0,
    "suppressed": 0,
    "complaints": 0,
    "suppressions_added": 0,
    "suppressions_removed": 0,
}


async def account_stats(
    db: Database, account: str, days: int, web: WebConfig
) -> dict[str, Any]:
    """Per-day and total delivery statistics of the last `days` days (UTC), oldest first."""
    first = db.clock().astimezone(UTC).date() - timedelta(days=days - 1)
    start = iso(datetime(first.year, first.month, first.day, tzinfo=UTC))
    hard = ",".join(f"'{k}'" for k in HARD_KINDS)
    counted = (
        "COUNT(DISTINCT queue_msg_id),"
        " COUNT(DISTINCT CASE WHEN event = 'delivered' THEN queue_msg_id END),"
        " COUNT(DISTINCT CASE WHEN event = 'delayed' THEN queue_msg_id END),"
        " COUNT(DISTINCT CASE WHEN event = 'failed' THEN queue_msg_id END),"
        f" COUNT(DISTINCT CASE WHEN event = 'failed' AND kind IN ({hard}) THEN queue_msg_id END),"
        " COUNT(DISTINCT CASE WHEN event = 'suppressed' THEN queue_msg_id END)"
    )
    names = ("sent", "delivered", "delayed", "failed", "failed_hard", "suppressed")
    base_where = "account = ? AND received >= ? AND queue_msg_id != 0"
    per_day: dict[str, dict[str, Any]] = {}
    for i in range(days):
        d = (first + timedelta(days=i)).isoformat()
        per_day[d] = {"date": d, **_EMPTY_DAY, "failed_by_kind": {}}
    for r in await db.fetchall(
        f"SELECT substr(received, 1, 10), {counted} FROM events WHERE {base_where} GROUP BY 1",
        (account, start),
    ):
        if r[0] in per_day:
            per_day[r[0]].update(zip(names, (int(v) for v in tuple(r)[1:]), strict=True))
    for r in await db.fetchall(
        "SELECT substr(received, 1, 10), COALESCE(kind, 'undetermined'),"
        f" COUNT(DISTINCT queue_msg_id) FROM events WHERE {base_where} AND event = 'failed'"
        " GROUP BY 1, 2",
        (account, start),
    ):
        if r[0] in per_day:
            per_day[r[0]]["failed_by_kind"][r[1]] = int(r[2])
    for col, key, extra in (
        ("created", "suppressions_added", ""),
        ("ended", "suppressions_removed", ""),
        ("created", "complaints", " AND kind = 'complaint'"),
    ):
        for r in await db.fetchall(
            f"SELECT substr({col}, 1, 10), COUNT(*) FROM suppressions"
            f" WHERE account = ? AND {col} >= ?{extra} GROUP BY 1",
            (account, start),
        ):
            if r[0] in per_day:
                per_day[r[0]][key] = int(r[1])
    # Totals: messages with events on several days count once.
    row = await db.fetchone(f"SELECT {counted} FROM events WHERE {base_where}", (account, start))
    totals: dict[str, Any] = {**_EMPTY_DAY, "failed_by_kind": {}}
    if row is not None:
        totals.update(zip(names, (int(v) for v in tuple(row)), strict=True))
    for day in per_day.values():
        for key in ("complaints", "suppressions_added", "suppressions_removed"):
            totals[key] += day[key]
        for kind, n in day["failed_by_kind"].items():
            totals["failed_by_kind"][kind] = totals["failed_by_kind"].get(kind, 0) + n
    warnings: list[str] = []
    for item in [*per_day.values(), totals]:
        sent = item["sent"]
        item["bounce_rate"] = item["failed_hard"] / sent if sent else 0.0
        item["complaint_rate"] = item["complaints"] / sent if sent else 0.0
        when = item.get("date") or f"the last {days} days"
        for key, limit, words in (
            ("bounce_rate", web.bounce_rate_threshold, "bounce rate"),
            ("complaint_rate", web.complaint_rate_threshold, "complaint rate"),
        ):
            if sent and item[key] > limit:
                warnings.append(
                    f"{when}: {words} {item[key]:.2%} is above {limit:.1%}"
                    " (mailbox providers' limit)"
                )
    return {
        "days": list(per_day.values()),
        "totals": totals,
        "thresholds": {
            "bounce_rate": web.bounce_rate_threshold,
            "complaint_rate": web.complaint_rate_threshold,
        },
        "warnings": warnings,
    }
