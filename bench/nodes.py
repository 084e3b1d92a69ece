"""Scale-out (issue 18): 1, 2 and 4 moxhooks nodes on PostgreSQL against one on SQLite, and
the list at millions of entries on PostgreSQL. Prints a table.

    python bench/nodes.py            # the full run: 1,000,000 list entries (--entries to change)
    python bench/nodes.py --quick    # shorter ingest rounds, 100,000 entries
    python bench/nodes.py --json     # the figures as JSON as well
    python bench/nodes.py --only list --entries 10000000   # the list part alone

Everything runs on 127.0.0.1: a throwaway PostgreSQL (tests/pgserver.py, fsync on), the
fake mox (bench/fakemox_proc.py) that answers the workers' mox calls, each node as
bench/server_proc.py (moxhooks as `moxhooks serve` wires it, its event processor in a
process of its own), and one load generator process (`nodes.py load`) that spreads its
connections over the nodes' ports. Every configuration gets the same webhook ids, hence
the same payloads (data.outgoing_body).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import select
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))
sys.path.insert(2, str(Path(__file__).resolve().parent.parent / "tests"))

import aiohttp
from data import ABSENT_SEARCH, COMMON_SEARCH, RARE_SEARCH, addresses, outgoing_body
from loadgen import HEADERS
from pgserver import PgCluster, pg_bindir
from procstat import pct, summary_ms
from sync_bench import FakeMoxProcess

from moxhooks.config import config_from_dict
from moxhooks.mail.address import base_address, parse_address
from moxhooks.store import Store
from moxhooks.store.intake import all_records

HERE = Path(__file__).resolve().parent
AUTH = "Bearer bench-secret"
ACCOUNT = "mox"
ID_BASE = 1_000_000


# ---- the load generator (its own process) -------------------------------------------------


async def _load(urls: list[str], connections: int, duration: float, id_base: int) -> dict[str, Any]:
    """Closed loop over all urls: connection i posts to urls[i % len(urls)], one request at a
    time; every request a new X-Mox-Webhook-ID (id_base + 1, + 2, ...)."""
    headers = {**HEADERS, "Authorization": AUTH}
    latencies: list[float] = []
    ok_ids: list[int] = []
    counts = {"requests": 0, "non_200": 0, "errors": 0}
    next_id = id_base
    deadline = time.perf_counter() + duration

    async def worker(session: aiohttp.ClientSession, url: str) -> None:
        nonlocal next_id
        while time.perf_counter() < deadline:
            next_id += 1
            hook_id = next_id
            t = time.perf_counter()
            try:
                async with session.post(
                    url,
                    data=outgoing_body(hook_id),
                    headers={**headers, "X-Mox-Webhook-ID": str(hook_id)},
                ) as resp:
                    await resp.read()
                    status = resp.status
            except (aiohttp.ClientError, TimeoutError):
                counts["errors"] += 1
                continue
            latencies.append(time.perf_counter() - t)
            counts["requests"] += 1
            if status == 200:
                ok_ids.append(hook_id)
            else:
                counts["non_200"] += 1

    start = time.perf_counter()
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=10)
    ) as session:
        await asyncio.gather(*(worker(session, urls[i % len(urls)]) for i in range(connections)))
    dur = time.perf_counter() - start
    return {
        **counts,
        "ok": len(ok_ids),
        "duration_s": dur,
        "rps": len(ok_ids) / dur,
        "p50_ms": pct(latencies, 50) * 1000,
        "p99_ms": pct(latencies, 99) * 1000,
        "ok_ids": ok_ids,
    }


def run_load(urls: list[str], connections: int, duration: float, out: Path) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "load", "--out", str(out),
           "--connections", str(connections), "--duration", str(duration), *urls]  # fmt: skip
    subprocess.run(cmd, check=True, timeout=duration + 120)
    result: dict[str, Any] = json.loads(out.read_text())
    return result


# ---- nodes ------------------------------------------------------------------------------------


class Node:
    """One moxhooks node: bench/server_proc.py (web server + event processor process)."""

    def __init__(self, name: str, workdir: Path, mox_url: str, db_url: str) -> None:
        self.db = workdir / f"{name}.db"
        log = workdir / f"{name}.log"
        cmd = [sys.executable, str(HERE / "server_proc.py"), "moxhooks", "--db", str(self.db),
               "--mox-url", mox_url, "--log", str(log)]  # fmt: skip
        if db_url:
            cmd += ["--db-url", db_url]
        with open(log, "ab") as err:
            self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True)
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], 60)
        line = self.proc.stdout.readline() if ready else ""
        if not line.startswith("READY "):
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError(f"node {name} did not start: {line!r}; see {log}")
        self.url = f"http://127.0.0.1:{int(line.split()[1])}/hooks/outgoing/{ACCOUNT}"

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


async def _pg_fetch(url: str, sql: str, *args: Any) -> list[Any]:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


def stored_ids(db: Path, db_url: str, lo: int, hi: int) -> set[int]:
    """The webhook ids in [lo, hi] the store has (SQLite: intake log or events)."""
    if db_url:
        rows = asyncio.run(
            _pg_fetch(
                db_url, "SELECT webhook_id FROM events WHERE webhook_id BETWEEN $1 AND $2", lo, hi
            )
        )
        return {int(r[0]) for r in rows}
    # A segment is deleted only after its records are in events: read it first.
    have = {r.webhook_id for r in all_records(str(db)) if lo <= r.webhook_id <= hi}
    with sqlite3.connect(db) as conn:
        have |= {
            int(r[0])
            for r in conn.execute(
                "SELECT webhook_id FROM events WHERE webhook_id BETWEEN ? AND ?", (lo, hi)
            )
        }
    return have


def done_count(db: Path, db_url: str) -> int:
    """Events the processors have finished."""
    if db_url:
        rows = asyncio.run(_pg_fetch(db_url, "SELECT count(*) FROM events WHERE status = 'done'"))
        return int(rows[0][0])
    with sqlite3.connect(db) as conn:
        (n,) = conn.execute("SELECT COUNT(*) FROM events WHERE status = 'done'").fetchone()
    return int(n)


def ingest_round(
    name: str,
    nodes_n: int,
    db_url: str,
    workdir: Path,
    mox_url: str,
    connections: int,
    duration: float,
    drain_timeout: float,
) -> dict[str, Any]:
    """Start nodes_n nodes, load them together, verify every 200, time the processing."""
    nodes = [Node(f"{name}-{i}", workdir, mox_url, db_url) for i in range(nodes_n)]
    try:
        r = run_load([n.url for n in nodes], connections, duration, workdir / f"{name}.json")
        load_end = time.monotonic()
        ok_ids: list[int] = r.pop("ok_ids")
        lo, hi = ID_BASE + 1, ID_BASE + r["requests"] + r["errors"]
        # Several SQLite nodes are not a configuration; one file is what the one node has.
        have = stored_ids(nodes[0].db, db_url, lo, hi)
        missing = [i for i in ok_ids if i not in have]
        done = 0
        while time.monotonic() - load_end < drain_timeout:
            done = done_count(nodes[0].db, db_url)
            if done >= len(ok_ids):
                break
            time.sleep(0.2)
        processed_s = time.monotonic() - load_end
    finally:
        for n in nodes:
            n.stop()
    return {**r, "name": name, "nodes": nodes_n, "missing": len(missing), "done": done,
            "processed_s": processed_s if done >= len(ok_ids) else None}  # fmt: skip


def ingest_rounds(pg: PgCluster, workdir: Path, connections: int, duration: float) -> list[Any]:
    """SQLite with one node, then PostgreSQL with 1, 2 and 4, each on a fresh database."""
    results: list[Any] = []
    fake = FakeMoxProcess(0)
    try:
        rounds = [
            ("sqlite, 1 node", 1, ""),
            ("postgresql, 1 node", 1, "pg1"),
            ("postgresql, 2 nodes", 2, "pg2"),
            ("postgresql, 4 nodes", 4, "pg4"),
        ]
        for label, n, dbname in rounds:
            db_url = ""
            if dbname:
                asyncio.run(_create_db(pg.url(), dbname))
                db_url = pg.url(dbname)
            r = ingest_round(
                label.replace(", ", "-").replace(" ", ""),
                n,
                db_url,
                workdir,
                fake.url,
                connections,
                duration,
                drain_timeout=300,
            )
            r["name"] = label
            results.append(r)
            print(f"  {label}: {r['rps']:.0f}/s, processed {r['processed_s']}", flush=True)
    finally:
        fake.close()
    return results


# ---- the list at scale on PostgreSQL ------------------------------------------------------------


async def list_bench(
    db_url: str, workdir: Path, entries: int, samples: int, maintenance_work_mem: str
) -> dict[str, Any]:
    import asyncpg

    config = config_from_dict({"database": {"url": db_url, "path": str(workdir / "list")}})
    store = await Store.configured(config.database)  # creates the schema (migrations)
    await store.close()
    now = datetime.now(UTC)
    kinds = ("mailbox_unknown", "complaint", "manual", "domain_unknown", "unsubscribed")

    def rows() -> Any:
        for i, a in enumerate(addresses(entries)):
            yield (ACCOUNT, base_address(parse_address(a)), a, "", kinds[i % 5], "import",
                   "loaded for the benchmark", now - timedelta(seconds=entries - i), "bench",
                   "synced")  # fmt: skip

    conn = await asyncpg.connect(db_url)
    try:
        # Bulk-load practice: the secondary indexes go before COPY and come back after it,
        # rebuilt from the definitions the migrations created, so the queries run against
        # exactly the migrated schema. The primary key stays (audit references it).
        indexes = await conn.fetch(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'suppressions'"
            " AND indexname NOT IN (SELECT conname FROM pg_constraint"
            " WHERE conrelid = 'suppressions'::regclass) ORDER BY indexname"
        )
        for ix in indexes:
            await conn.execute(f'DROP INDEX "{ix["indexname"]}"')
        t0 = time.perf_counter()
        await conn.copy_records_to_table(
            "suppressions", records=rows(),
            columns=["account", "base_address", "original_address", "scope", "kind", "source",
                     "reason", "created", "created_by", "mox_state"],
        )  # fmt: skip
        load_s = time.perf_counter() - t0
        print(f"  list: {entries:,} rows copied in {load_s:.0f} s", flush=True)
        # For the index builds of this session only; the server's setting is untouched.
        # 1GB against the default 64MB: the builds took 22 s against 53 s at a million
        # entries, about the same at 10 million (docs/performance/2026-12-06-nodes.md).
        await conn.execute(
            "SELECT set_config('maintenance_work_mem', $1, false)", maintenance_work_mem
        )
        index_s: dict[str, float] = {}
        for ix in indexes:
            t = time.perf_counter()
            await conn.execute(ix["indexdef"])
            index_s[ix["indexname"]] = time.perf_counter() - t
            print(f"  list: {ix['indexname']} {index_s[ix['indexname']]:.0f} s", flush=True)
        rebuilt = await conn.fetch(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'suppressions'"
            " AND indexname = ANY($1::text[]) ORDER BY indexname",
            [ix["indexname"] for ix in indexes],
        )
        assert [tuple(r) for r in rebuilt] == [tuple(r) for r in indexes], rebuilt
        t = time.perf_counter()
        # VACUUM as well as ANALYZE: it sets the visibility map and hint bits that
        # autovacuum would set on a table of that age, rather than leaving it to run
        # during the measurements.
        await conn.execute("VACUUM (ANALYZE) suppressions")
        vacuum_s = time.perf_counter() - t
        print(f"  list: VACUUM (ANALYZE) in {vacuum_s:.0f} s", flush=True)
        lo_hi = await conn.fetchrow("SELECT min(id), max(id) FROM suppressions")
        assert lo_hi is not None
        rng = random.Random(7)
        picks = [rng.randint(lo_hi[0], lo_hi[1]) for _ in range(samples)]
        present = [
            str(r[0])
            for r in await conn.fetch(
                "SELECT base_address FROM suppressions WHERE id = ANY($1::bigint[])", picks
            )
        ]
        size = await conn.fetchval("SELECT pg_total_relation_size('suppressions')")
        # The before that gives the same last page by keyset: the 51st-oldest listed id.
        last_before = await conn.fetchval(
            "SELECT id FROM suppressions WHERE account = $1 AND ended IS NULL"
            " ORDER BY id LIMIT 1 OFFSET 50",
            ACCOUNT,
        )
    finally:
        await conn.close()
    out: dict[str, Any] = {"entries": entries, "load_s": load_s, "index_s": index_s,
                           "maintenance_work_mem": maintenance_work_mem,
                           "vacuum_s": vacuum_s, "table_mb": int(size) / 1e6}  # fmt: skip
    store = await Store.configured(config.database)
    try:

        async def timed(name: str, make: Any, check: Any, n: int = samples) -> None:
            times: list[float] = []
            found = 0
            for k in range(n):
                t = time.perf_counter()
                got = await make(k)
                times.append(time.perf_counter() - t)
                found = len(got)
                assert check(got), (name, k, got)
            out[name] = {"n": n, "found": found, **summary_ms(times)}

        sup = store.suppressions
        await timed("page_newest", lambda k: sup.list(ACCOUNT, limit=50), lambda g: len(g) == 50)
        await timed("page_deep", lambda k: sup.list(ACCOUNT, limit=50, offset=10_000),
                    lambda g: len(g) == 50)  # fmt: skip
        # Offset paging reads and drops every entry before the page: the last page is the
        # worst an API client paging through the whole list meets.
        await timed("page_last", lambda k: sup.list(ACCOUNT, limit=50, offset=entries - 50),
                    lambda g: len(g) == 50, n=max(5, samples // 20))  # fmt: skip
        # The same page by keyset (GET suppressions?before=): the primary key from there.
        await timed("page_last_before", lambda k: sup.list(ACCOUNT, limit=50, before_id=last_before),
                    lambda g: len(g) == 50)  # fmt: skip
        await timed("search_rare", lambda k: sup.list(ACCOUNT, limit=50, search=RARE_SEARCH),
                    lambda g: len(g) > 0)  # fmt: skip
        await timed("search_common", lambda k: sup.list(ACCOUNT, limit=50, search=COMMON_SEARCH),
                    lambda g: len(g) == 50)  # fmt: skip
        await timed("search_absent", lambda k: sup.list(ACCOUNT, limit=50, search=ABSENT_SEARCH),
                    lambda g: len(g) == 0)  # fmt: skip
        await timed("lookup_present", lambda k: sup.matching(ACCOUNT, present[k % len(present)]),
                    lambda g: len(g) == 1)  # fmt: skip
        await timed("lookup_absent",
                    lambda k: sup.matching(ACCOUNT, f"nobody{k}@nowhere{k}.example"),
                    lambda g: len(g) == 0)  # fmt: skip
        # What /metrics and the accounts page ask, at most every web.suppression_counts_max_age
        # per process (web/health.py): it reads every active entry.
        await timed("count_by_kind", lambda k: sup.count(), lambda g: len(g) == 5,
                    n=max(5, samples // 20))  # fmt: skip
    finally:
        await store.close()
    out["plans"] = await _plans(db_url)
    return out


# The statements Store.suppressions runs for the searches and the count (pg/suppressions.py),
# explained once each so that a latency can be read against its plan.
_SEARCH_SQL = (
    "SELECT * FROM suppressions WHERE account = $1 AND ended IS NULL"
    ' AND (lower(original_address COLLATE "C") LIKE lower($2 COLLATE "C")'
    ' OR lower(base_address COLLATE "C") LIKE lower($2 COLLATE "C"))'
    " ORDER BY id DESC LIMIT 50 OFFSET 0"
)
_COUNT_SQL = (
    "SELECT account, kind, COUNT(*) FROM suppressions WHERE ended IS NULL GROUP BY account, kind"
)


async def _plans(db_url: str) -> dict[str, list[str]]:
    import asyncpg

    conn = await asyncpg.connect(db_url)
    try:
        plans: dict[str, list[str]] = {}
        for name, sql, args in (
            ("search_rare", _SEARCH_SQL, (ACCOUNT, f"%{RARE_SEARCH}%")),
            ("search_common", _SEARCH_SQL, (ACCOUNT, f"%{COMMON_SEARCH}%")),
            ("search_absent", _SEARCH_SQL, (ACCOUNT, f"%{ABSENT_SEARCH}%")),
            ("count_by_kind", _COUNT_SQL, ()),
        ):
            rows = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", *args)
            plans[name] = [str(r[0]) for r in rows]
        return plans
    finally:
        await conn.close()


# ---- the run ----------------------------------------------------------------------------


async def _create_db(admin_url: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def table(report: dict[str, Any]) -> str:
    lines: list[str] = []
    if "ingest" in report:
        lines += [
            f"INGEST: {report['connections']} connections spread over the nodes' ports,"
            f" {report['duration']:g} s closed loop; the same webhook ids (same payloads) for"
            " each; 'processed' = seconds after the load until every acknowledged event was done.",
            f"Machine: {os.cpu_count()} cores, shared by every process of the run (PostgreSQL,"
            " nodes, workers, fake mox, load generator): several nodes here measure contention,"
            " not scale.",
            "",
            f"{'configuration':<18} {'events/s':>9} {'200s':>7} {'non-200':>8} {'p50 ms':>7}"
            f" {'p99 ms':>7} {'missing':>8} {'processed s':>12}",
        ]
        for r in report["ingest"]:
            done = r["processed_s"] is not None
            proc = f"{r['processed_s']:.1f}" if done else f"no ({r['done']})"
            lines.append(
                f"{r['name']:<18} {r['rps']:>9.0f} {r['ok']:>7} {r['non_200'] + r['errors']:>8}"
                f" {r['p50_ms']:>7.1f} {r['p99_ms']:>7.1f} {r['missing']:>8} {proc:>12}"
            )
    if "list" not in report:
        return "\n".join(lines)
    lb = report["list"]
    builds = ", ".join(f"{k} {v:.0f}" for k, v in lb["index_s"].items())
    lines += [
        "",
        f"LIST on PostgreSQL: {lb['entries']:,} entries, through Store.suppressions;"
        f" COPY without the secondary indexes {lb['load_s']:.0f} s, index builds"
        f" {sum(lb['index_s'].values()):.0f} s ({builds}; maintenance_work_mem"
        f" {lb['maintenance_work_mem']}), VACUUM ANALYZE"
        f" {lb['vacuum_s']:.0f} s, table+indexes {lb['table_mb']:.0f} MB",
        f"{'query':<36} {'n':>4} {'found':>6} {'p50 ms':>8} {'p99 ms':>8}",
    ]
    labels = {
        "page_newest": "page: newest 50",
        "page_deep": "page: 50 at offset 10,000",
        "page_last": "page: the last 50 (offset)",
        "page_last_before": "page: the last 50 (before)",
        "search_rare": f"search '{RARE_SEARCH}' (7 entries)",
        "search_common": f"search '{COMMON_SEARCH}' (first 50)",
        "search_absent": f"search '{ABSENT_SEARCH}' (none)",
        "lookup_present": "point lookup, listed (matching)",
        "lookup_absent": "point lookup, not listed (matching)",
        "count_by_kind": "count by kind (metrics, accounts)",
    }
    for key, label in labels.items():
        d = lb[key]
        lines.append(
            f"{label:<36} {d['n']:>4} {d['found']:>6} {d['p50_ms']:>8.2f} {d['p99_ms']:>8.2f}"
        )
    return "\n".join(lines)


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "load":
        p = argparse.ArgumentParser()
        p.add_argument("load")
        p.add_argument("urls", nargs="+")
        p.add_argument("--connections", type=int, required=True)
        p.add_argument("--duration", type=float, required=True)
        p.add_argument("--out", required=True)
        a = p.parse_args()
        r = asyncio.run(_load(a.urls, a.connections, a.duration, ID_BASE))
        Path(a.out).write_text(json.dumps(r))
        return 0
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--entries", type=int, default=0, help="list entries (default 1M, quick 100k)")
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--json", action="store_true")
    p.add_argument("--maintenance-work-mem", default="1GB", help="for the list's index builds")
    p.add_argument("--only", choices=("ingest", "list"), help="one part of the run (default both)")
    a = p.parse_args()
    duration = 5.0 if a.quick else 15.0
    entries = a.entries or (100_000 if a.quick else 1_000_000)
    samples = 50 if a.quick else 200
    bindir = pg_bindir()
    if bindir is None:
        print("no PostgreSQL: set MOXHOOKS_PG_BIN (see tests/pgserver.py)", file=sys.stderr)
        return 1
    report: dict[str, Any] = {"connections": a.connections, "duration": duration}
    with tempfile.TemporaryDirectory(prefix="moxhooks-nodes-") as tmp, \
            PgCluster(bindir, durable=True) as pg:  # fmt: skip
        workdir = Path(tmp)
        if a.only != "list":
            report["ingest"] = ingest_rounds(pg, workdir, a.connections, duration)
        if a.only != "ingest":
            asyncio.run(_create_db(pg.url(), "list"))
            report["list"] = asyncio.run(
                list_bench(pg.url("list"), workdir, entries, samples, a.maintenance_work_mem)
            )
    print(table(report))
    for name, plan in report.get("list", {}).get("plans", {}).items():
        print(f"\nplan of {name}:\n  " + "\n  ".join(plan))
    if a.json:
        print(json.dumps(report, indent=1))
    bad = [r["name"] for r in report.get("ingest", []) if r["missing"] or r["processed_s"] is None]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
