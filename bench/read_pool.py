"""Point reads while a slow count runs: one reader against the pool.

Fills a database with N active entries (plain SQL, no audit or outbox rows: only the
count's index matters), then, for each number of readers, runs SuppressionStore.count
(the /metrics count, the slowest read the pages make) in a loop and meanwhile times
point reads (SuppressionStore.get, as the entry page does) back to back for --seconds. Prints one
JSON object.

    python bench/read_pool.py --entries 1000000 --db /tmp/pool.db
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from procstat import summary_ms

from moxhooks.store import Store

KINDS = ("mailbox_unknown", "domain_unknown", "complaint", "manual", "unsubscribed")


async def _create(path: str) -> None:
    store = await Store.open(path)  # creates and migrates the file
    await store.close()


def fill(path: str, entries: int) -> None:
    """N active entries of one account (the trigram index is dropped: not what is timed)."""
    asyncio.run(_create(path))
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DROP TRIGGER suppressions_search_insert")
    conn.execute("BEGIN")
    conn.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)"
        " INSERT INTO suppressions (account, base_address, original_address, kind, source,"
        " created, created_by, mox_state) SELECT 'mox', 'u' || i || '@example.org',"
        " 'u' || i || '@example.org', CASE i % 5 WHEN 0 THEN ? WHEN 1 THEN ? WHEN 2 THEN ?"
        " WHEN 3 THEN ? ELSE ? END, 'import', '2026-12-01T00:00:00.000000Z', 'bench', 'synced'"
        " FROM n",
        (entries, *KINDS),
    )
    conn.execute("COMMIT")
    conn.close()


async def measure(path: str, readers: int, seconds: float) -> dict[str, Any]:
    store = await Store.open(path, readers=readers, read_timeout=60.0)
    try:
        t0 = time.perf_counter()
        await store.suppressions.count()
        count_s = time.perf_counter() - t0
        stop = asyncio.Event()

        async def counting() -> int:
            n = 0
            while not stop.is_set():
                await store.suppressions.count()
                n += 1
            return n

        counter = asyncio.create_task(counting())
        await asyncio.sleep(0.05)
        latencies = []
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            t = time.perf_counter()
            await store.suppressions.get("mox", 1 + len(latencies) * 997 % 1000)
            latencies.append(time.perf_counter() - t)
        stop.set()
        counts = await counter
        alone = []
        for i in range(1000):
            t = time.perf_counter()
            await store.suppressions.get("mox", 1 + i * 997 % 1000)
            alone.append(time.perf_counter() - t)
    finally:
        await store.close()
    return {
        "readers": readers,
        "count_s": round(count_s, 3),
        "counts_meanwhile": counts,
        "point_reads_meanwhile": len(latencies),
        "point_read_during_count_ms": summary_ms(latencies),
        "point_read_alone_ms": summary_ms(alone),
    }


def handler_cost(path: str) -> dict[str, float]:
    """The count on a plain connection against one with the store's deadline check."""
    sql = "SELECT account, kind, COUNT(*) FROM suppressions WHERE ended IS NULL GROUP BY 1, 2"
    out = {}
    for name, steps in (("plain_s", 0), ("with_deadline_check_s", 1000)):
        conn = sqlite3.connect(path)
        if steps:
            conn.set_progress_handler(lambda: 0, steps)
        best = min(_timed(conn, sql) for _ in range(5))
        conn.close()
        out[name] = round(best, 4)
    return out


def _timed(conn: sqlite3.Connection, sql: str) -> float:
    t0 = time.perf_counter()
    conn.execute(sql).fetchall()
    return time.perf_counter() - t0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--entries", type=int, default=1_000_000)
    p.add_argument("--db", default="/tmp/moxhooks-read-pool.db")
    p.add_argument("--seconds", type=float, default=3.0, help="how long point reads run")
    args = p.parse_args()
    if not os.path.exists(args.db):
        fill(args.db, args.entries)
    result: dict[str, Any] = {"entries": args.entries, "cpus": os.cpu_count()}
    result["runs"] = [asyncio.run(measure(args.db, n, args.seconds)) for n in (1, 3)]
    result["count_cost"] = handler_cost(args.db)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
