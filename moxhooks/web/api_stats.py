"""Delivery statistics per day, from the counts of store.stats, with rates and warnings.

For one account and the last N days (UTC), oldest first:

    sent          distinct messages (QueueMsgID) with any event that day
    delivered     ... with a delivered event; delayed, failed, suppressed likewise
    failed_hard   ... failed with a hard kind (HARD_KINDS): these make the bounce rate
    complaints    complaint reports the bounce mailbox received that day (each one, even
                  for an address suppressed already), plus complaint entries made
                  otherwise (the report API, by hand)
    suppressions_added / suppressions_removed   entries created / ended that day
    bounce_rate   failed_hard / sent (0 without mail); complaint_rate = complaints / sent

Totals count a message with events on several days once.
"""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

from moxhooks.config import WebConfig
from moxhooks.kinds import Kind
from moxhooks.store import StatsStore

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
    stats: StatsStore, account: str, days: int, web: WebConfig
) -> dict[str, Any]:
    """Per-day and total delivery statistics of the last `days` days (UTC), oldest first."""
    first = stats.clock().astimezone(UTC).date() - timedelta(days=days - 1)
    per_day: dict[str, dict[str, Any]] = {}
    for i in range(days):
        d = (first + timedelta(days=i)).isoformat()
        per_day[d] = {"date": d, **_EMPTY_DAY, "failed_by_kind": {}}
    for d, counts in (await stats.messages_by_day(account, first, HARD_KINDS)).items():
        if d in per_day:
            per_day[d].update(counts)
    for d, by_kind in (await stats.failures_by_day(account, first)).items():
        if d in per_day:
            per_day[d]["failed_by_kind"].update(by_kind)
    for d, counts in (await stats.suppressions_by_day(account, first)).items():
        if d in per_day:
            per_day[d].update(counts)
    # Totals: messages with events on several days count once.
    totals: dict[str, Any] = {**_EMPTY_DAY, "failed_by_kind": {}}
    totals.update(await stats.message_totals(account, first, HARD_KINDS))
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
