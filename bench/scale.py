"""The list at scale: import, check, search, export of one account with many entries.

Each phase runs as its own process (python bench/scale.py PHASE ...) so that its
peak memory is its own; it prints one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from data import ABSENT_SEARCH, COMMON_SEARCH, RARE_SEARCH
from procstat import peak_rss_mb, rss_mb, summary_ms

from moxhooks.csvio import export_entries, import_entries, parse_import
from moxhooks.mail.address import base_address, parse_address
from moxhooks.store import Store

ACCOUNT = "mox"


async def phase_import(db: str, csv_path: str) -> dict[str, Any]:
    store = await Store.open(db)
    try:
        t0 = time.perf_counter()
        with open(csv_path, encoding="utf-8-sig", newline="") as f:
            rows = parse_import(f, ACCOUNT, "bench", store.db.clock())
            report = await import_entries(store, rows)
        elapsed = time.perf_counter() - t0
    finally:
        await store.close()
    return {
        "import_s": elapsed,
        "added": report.added,
        "already_present": report.already_present,
        "rejected": len(report.rejected),
        "rows_per_s": report.added / elapsed if elapsed else 0.0,
        "peak_rss_mb": peak_rss_mb(),
    }


async def phase_query(db: str, checks: int, searches: int) -> dict[str, Any]:
    store = await Store.open(db)
    out: dict[str, Any] = {"rss_open_mb": rss_mb()}
    try:
        row = await store.db.fetchone("SELECT MIN(id), MAX(id) FROM suppressions")
        assert row is not None
        lo, hi = int(row[0]), int(row[1])
        rng = random.Random(7)
        ids = [rng.randint(lo, hi) for _ in range(checks)]
        rows = await store.db.fetchall(
            f"SELECT original_address FROM suppressions WHERE id IN ({','.join('?' * len(ids))})",
            ids,
        )
        present = [str(r[0]) for r in rows]
        absent = [f"nobody{i}@nowhere{i}.example" for i in range(len(present))]
        # check = store.suppressions.matching() on the base address, what `moxhooks check`
        # and the policy ask; parsing the address is timed apart (it is not the store's).
        for name, addrs, want in (
            ("check_present", present, True),
            ("check_absent", absent, False),
        ):
            samples: list[float] = []
            parse: list[float] = []
            for a in addrs:
                t = time.perf_counter()
                base = base_address(parse_address(a))
                t1 = time.perf_counter()
                found = await store.suppressions.matching(ACCOUNT, base)
                samples.append(time.perf_counter() - t1)
                parse.append(t1 - t)
                assert bool(found) == want, (a, found)
            out[name] = {"n": len(samples), **summary_ms(samples)}
            out[name + "_parse"] = summary_ms(parse)
        for name, term in (
            ("search_common", COMMON_SEARCH),
            ("search_rare", RARE_SEARCH),
            ("search_absent", ABSENT_SEARCH),
            ("search_short", "jo"),
        ):
            samples = []
            n_found = 0
            for _ in range(searches):
                t = time.perf_counter()
                page = await store.suppressions.list(ACCOUNT, limit=50, search=term)
                samples.append(time.perf_counter() - t)
                n_found = len(page)
            out[name] = {"term": term, "found": n_found, **summary_ms(samples)}
        # The page most people look at: the newest 50, no search; and a deep page.
        samples = []
        for _ in range(searches):
            t = time.perf_counter()
            await store.suppressions.list(ACCOUNT, limit=50)
            samples.append(time.perf_counter() - t)
        out["page_newest"] = summary_ms(samples)
        t = time.perf_counter()
        counts = await store.suppressions.count(ACCOUNT)
        out["count_s"] = time.perf_counter() - t
        out["active_entries"] = sum(n for _, _, n in counts)
    finally:
        await store.close()
    out["rss_mb"] = rss_mb()
    out["peak_rss_mb"] = peak_rss_mb()
    return out


async def phase_export(db: str, csv_out: str) -> dict[str, Any]:
    store = await Store.open(db)
    written = 0
    try:
        t0 = time.perf_counter()
        with open(csv_out, "w", encoding="utf-8", newline="") as f:
            async for text in export_entries(store, ACCOUNT):
                f.write(text)
                written += text.count("\n")
        elapsed = time.perf_counter() - t0
    finally:
        await store.close()
    return {
        "export_s": elapsed,
        "rows": written - 1,
        "bytes": os.path.getsize(csv_out),
        "peak_rss_mb": peak_rss_mb(),
    }


def main() -> None:
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="phase", required=True)
    pi = sub.add_parser("import")
    pi.add_argument("--db", required=True)
    pi.add_argument("--csv", required=True)
    pq = sub.add_parser("query")
    pq.add_argument("--db", required=True)
    pq.add_argument("--checks", type=int, default=2000)
    pq.add_argument("--searches", type=int, default=20)
    pe = sub.add_parser("export")
    pe.add_argument("--db", required=True)
    pe.add_argument("--out", required=True)
    a = p.parse_args()
    if a.phase == "import":
        result = asyncio.run(phase_import(a.db, a.csv))
    elif a.phase == "query":
        result = asyncio.run(phase_query(a.db, a.checks, a.searches))
    else:
        result = asyncio.run(phase_export(a.db, a.out))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
