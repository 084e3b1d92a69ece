"""psycopg 3 against asyncpg on the statements moxhooks' PostgreSQL store runs hot.

    pip install 'psycopg[binary,pool]' asyncpg     # both drivers, for this script only
    python bench/pg_driver_bench.py                # a throwaway cluster (tests/pgserver.py)
    python bench/pg_driver_bench.py --url postgresql://user:pw@127.0.0.1/db  # your own
    python bench/pg_driver_bench.py --quick --json

The statements (SQL as the store will send it, one statement a transaction, autocommit):

- insert: one event row with a ~1 KB JSON payload, ON CONFLICT DO NOTHING RETURNING id,
  one at a time on one connection ("serial"), and from 16 tasks over a pool of 8
  connections ("x16");
- lease: UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED LIMIT 100) RETURNING
  the 100 rows (payloads included), as the event processor takes work;
- page: 50 active suppression rows of an account by its index, newest first;
- search: a substring of an address (LIKE '%term%') over 100,000 suppression rows with a
  pg_trgm GIN index on both address columns, first page of 50, for three kinds of term.

Both drivers run against the same server, interleaved round by round, with their default
settings (asyncpg prepares every statement; psycopg prepares a statement from its fifth
run). Reported: operations per second, latency p50/p99, and the client's CPU time per
operation (what the driver itself costs; on a shared machine the steadier figure). The
cluster runs with fsync on, as a real server does. No figure is asserted anywhere.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import random
import re
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import asyncpg
import psycopg
import psycopg_pool
from pgserver import PgCluster, pg_bindir

SCHEMA = """
CREATE EXTENSION IF NOT EXISTS pg_trgm;
DROP TABLE IF EXISTS events, suppressions;
CREATE TABLE events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account text NOT NULL,
    webhook_id bigint NOT NULL,
    attempt integer NOT NULL,
    received timestamptz NOT NULL,
    event text NOT NULL,
    queue_msg_id bigint NOT NULL,
    message_id text NOT NULL,
    payload text NOT NULL,
    status text NOT NULL DEFAULT 'pending',
    lease_owner text,
    lease_until timestamptz,
    UNIQUE (account, webhook_id)
);
CREATE INDEX events_pending ON events (id) WHERE status = 'pending';
CREATE TABLE suppressions (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account text NOT NULL,
    base_address text NOT NULL,
    original_address text NOT NULL,
    scope text NOT NULL DEFAULT '',
    kind text NOT NULL,
    source text NOT NULL,
    reason text NOT NULL DEFAULT '',
    created timestamptz NOT NULL,
    created_by text NOT NULL,
    expires timestamptz,
    ended timestamptz,
    mox_state text NOT NULL
);
CREATE INDEX suppressions_account ON suppressions (account, id) WHERE ended IS NULL;
"""

# 100,000 entries, 7 accounts (so that a domain's entries are spread over all of them); the trigram index is built after the rows, as a
# migration on an existing list would.
FILL_SUPPRESSIONS = """
INSERT INTO suppressions (account, base_address, original_address, kind, source, reason,
                          created, created_by, mox_state)
SELECT 'acct' || (n % {accounts}), a, a, 'hard', 'bounce', '5.1.1 user unknown',
       now() - n * interval '1 minute', 'bench', 'synced'
FROM (SELECT n, 'u' || substr(md5(n::text), 1, 10) || '@example' || (n % 500) || '.com' AS a
      FROM generate_series(1, {rows}) AS n) AS g;
CREATE INDEX suppressions_search ON suppressions
    USING gin (original_address gin_trgm_ops, base_address gin_trgm_ops);
ANALYZE suppressions;
"""

FILL_PENDING = """
INSERT INTO events (account, webhook_id, attempt, received, event, queue_msg_id, message_id,
                    payload)
SELECT 'lease', n, 1, now(), 'delivered', n, '<m' || n || '@example.org>', $1
FROM generate_series($2::bigint, $3::bigint) AS n
"""

INSERT_EVENT = """
INSERT INTO events (account, webhook_id, attempt, received, event, queue_msg_id, message_id,
                    payload)
VALUES ($1, $2, 1, now(), 'delivered', $3, $4, $5)
ON CONFLICT (account, webhook_id) DO NOTHING RETURNING id
"""

LEASE = """
UPDATE events SET status = 'leased', lease_owner = $1, lease_until = now() + interval '30 s'
WHERE id IN (SELECT id FROM events WHERE status = 'pending' ORDER BY id LIMIT 100
             FOR UPDATE SKIP LOCKED)
RETURNING id, account, webhook_id, event, payload
"""

PAGE = """
SELECT id, base_address, original_address, scope, kind, source, reason, created, expires
FROM suppressions WHERE account = $1 AND ended IS NULL AND id < $2
ORDER BY id DESC LIMIT 50
"""

SEARCH = """
SELECT id, base_address, original_address, scope, kind, source, reason, created, expires
FROM suppressions
WHERE account = $1 AND ended IS NULL
  AND (original_address LIKE $2 OR base_address LIKE $3)
ORDER BY id DESC LIMIT 50
"""

# Terms as a user types them: a piece of a local part (one or two entries in the account
# searched), the start of a domain name (example4, example40-49, example400-499: 22% of
# the entries, a full page), a term with no match.
SEARCH_TERMS = {"search rare": "%3f9a%", "search common": "%example4%",
                "search none": "%zzqx%"}
ACCOUNTS = 7


def payload(n: int) -> str:
    """A mox Outgoing webhook body of about 1 KB."""
    body = {
        "Version": 0, "Event": "delivered", "DSN": False, "Suppressing": False,
        "QueueMsgID": n, "FromID": f"{n:016x}", "MessageID": f"<bench{n}@example.org>",
        "Subject": "Your weekly digest of what happened on the list", "WebhookQueued":
        "2026-12-06T10:00:00Z", "SMTPCode": 250, "SMTPEnhancedCode": "2.0.0",
        "Error": "", "TLSFailure": "", "Extra": {"recipient": f"user{n}@example.com",
                                                   "campaign": "weekly-2026-49"},
        "RemoteMTA": {"IP": "192.0.2.25", "Host": "mx.example.com"},
        "Padding": "x" * 560,
    }
    return json.dumps(body)


class Driver(Protocol):
    name: str

    async def execute(self, sql: str, args: Sequence[Any]) -> None: ...
    async def fetch(self, sql: str, args: Sequence[Any]) -> list[Any]: ...
    async def pooled_fetch(self, sql: str, args: Sequence[Any]) -> list[Any]: ...
    async def close(self) -> None: ...


class Asyncpg:
    name = "asyncpg"

    @classmethod
    async def open(cls, url: str, pool_size: int) -> Asyncpg:
        self = cls()
        self.conn = await asyncpg.connect(url)
        self.pool = await asyncpg.create_pool(url, min_size=pool_size, max_size=pool_size)
        return self

    async def execute(self, sql: str, args: Sequence[Any]) -> None:
        await self.conn.execute(sql, *args)

    async def fetch(self, sql: str, args: Sequence[Any]) -> list[Any]:
        return list(await self.conn.fetch(sql, *args))

    async def pooled_fetch(self, sql: str, args: Sequence[Any]) -> list[Any]:
        return list(await self.pool.fetch(sql, *args))

    async def close(self) -> None:
        await self.conn.close()
        await self.pool.close()


@functools.cache
def _percent_s(sql: str) -> str:
    # The statements are written with asyncpg's $n, each argument used once in order;
    # converted once, so the conversion is not in the driver's figures.
    return re.sub(r"\$\d+", "%s", sql.replace("%", "%%"))


class Psycopg:
    name = "psycopg"

    @classmethod
    async def open(cls, url: str, pool_size: int) -> Psycopg:
        self = cls()
        self.conn = await psycopg.AsyncConnection.connect(url, autocommit=True)
        self.pool = psycopg_pool.AsyncConnectionPool(
            url, min_size=pool_size, max_size=pool_size, kwargs={"autocommit": True},
            open=False,
        )
        await self.pool.open(wait=True)
        return self

    async def execute(self, sql: str, args: Sequence[Any]) -> None:
        await self.conn.execute(_percent_s(sql), args)

    async def fetch(self, sql: str, args: Sequence[Any]) -> list[Any]:
        cur = await self.conn.execute(_percent_s(sql), args)
        return await cur.fetchall()

    async def pooled_fetch(self, sql: str, args: Sequence[Any]) -> list[Any]:
        async with self.pool.connection() as conn:
            cur = await conn.execute(_percent_s(sql), args)
            return await cur.fetchall()

    async def close(self) -> None:
        await self.conn.close()
        await self.pool.close()


class Tally:
    """Latencies (s), wall time and client CPU time of one driver on one statement."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.wall = 0.0
        self.cpu = 0.0

    def row(self) -> dict[str, float]:
        lat = sorted(self.latencies)
        return {
            "ops_per_s": len(lat) / self.wall,
            "p50_ms": 1000 * statistics.median(lat),
            "p99_ms": 1000 * lat[min(len(lat) - 1, int(len(lat) * 0.99))],
            "cpu_us_per_op": 1e6 * self.cpu / len(lat),
        }


async def timed(tally: Tally, call: Callable[[str, Sequence[Any]], Awaitable[list[Any]]],
                sql: str, arglist: Sequence[Sequence[Any]], tasks: int = 1) -> int:
    """Run sql once per args from `tasks` concurrent tasks, timing each; the rows returned."""
    queue = list(reversed(arglist))
    returned = 0

    async def worker() -> None:
        nonlocal returned
        while queue:
            args = queue.pop()
            t = time.perf_counter()
            returned += len(await call(sql, args))
            tally.latencies.append(time.perf_counter() - t)

    wall, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(tasks)))
    tally.wall += time.perf_counter() - wall
    tally.cpu += time.process_time() - cpu
    return returned


async def prepare(url: str, rows: int) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(SCHEMA)
        await conn.execute(FILL_SUPPRESSIONS.format(rows=rows, accounts=ACCOUNTS))
        # The plan the trigram search gets, so the figures say what they measured.
        term = SEARCH_TERMS["search rare"]
        plan = await conn.fetch("EXPLAIN " + SEARCH, "acct3", term, term)
        uses = any("suppressions_search" in r[0] for r in plan)
        print(f"# search plan uses the trigram index: {uses}", file=sys.stderr)
    finally:
        await conn.close()


async def bench(url: str, rounds: int, scale: int, rows: int) -> dict[str, dict[str, Any]]:
    await prepare(url, rows)
    drivers: list[Driver] = [await Psycopg.open(url, 8), await Asyncpg.open(url, 8)]
    tallies = {s: {d.name: Tally() for d in drivers}
               for s in ("insert serial", "insert x16", "lease 100", "page 50", *SEARCH_TERMS)}
    body = payload(1)
    next_id = iter(range(1, 10**9))
    pending = 1
    filler = await asyncpg.connect(url)
    try:
        for r in range(rounds):
            rng = random.Random(r)
            # Each round in the other order, so neither driver always runs second.
            for d in drivers if r % 2 == 0 else list(reversed(drivers)):
                ids = [next(next_id) for _ in range(150 * scale)]
                inserts = [(d.name, n, n, f"<m{n}@example.org>", body) for n in ids]
                await timed(tallies["insert serial"][d.name], d.fetch, INSERT_EVENT,
                            inserts[: 50 * scale])
                await timed(tallies["insert x16"][d.name], d.pooled_fetch, INSERT_EVENT,
                            inserts[50 * scale:], tasks=16)

                leases = 5 * scale
                await filler.execute(FILL_PENDING, body, pending, pending + 100 * leases - 1)
                pending += 100 * leases
                await filler.execute("VACUUM ANALYZE events")
                leased = await timed(tallies["lease 100"][d.name], d.fetch, LEASE,
                                     [(d.name,)] * leases)
                assert leased == 100 * leases, leased

                pages = [(f"acct{rng.randrange(ACCOUNTS)}", rng.randrange(1000, rows))
                         for _ in range(50 * scale)]
                await timed(tallies["page 50"][d.name], d.fetch, PAGE, pages)

                for statement, term in SEARCH_TERMS.items():
                    searches = [(f"acct{i % ACCOUNTS}", term, term) for i in range(10 * scale)]
                    await timed(tallies[statement][d.name], d.fetch, SEARCH, searches)
    finally:
        await filler.close()
        for d in drivers:
            await d.close()
    return {s: {name: t.row() for name, t in by.items()} for s, by in tallies.items()}


def table(results: dict[str, dict[str, Any]]) -> str:
    lines = ["| statement | driver | ops/s | p50 ms | p99 ms | client CPU µs/op |",
             "| --- | --- | ---: | ---: | ---: | ---: |"]
    for statement, by in results.items():
        for name, r in by.items():
            lines.append(f"| {statement} | {name} | {r['ops_per_s']:,.0f} | {r['p50_ms']:.2f}"
                         f" | {r['p99_ms']:.2f} | {r['cpu_us_per_op']:,.0f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="your own server (a database the bench may fill)")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--quick", action="store_true", help="fewer operations a round")
    parser.add_argument("--rows", type=int, default=100_000, help="suppression rows")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    scale = 4 if args.quick else 20
    versions = (f"psycopg {psycopg.__version__} (libpq {psycopg.pq.version()}), "
                f"psycopg_pool {psycopg_pool.__version__}, asyncpg {asyncpg.__version__}")
    if args.url:
        results = asyncio.run(bench(args.url, args.rounds, scale, args.rows))
        server = "the server at --url"
    else:
        bindir = pg_bindir()
        if bindir is None:
            sys.exit("no PostgreSQL found: install Debian's postgresql, or set MOXHOOKS_PG_BIN")
        with PgCluster(bindir, durable=True) as cluster:
            results = asyncio.run(bench(cluster.url(), args.rounds, scale, args.rows))
        server = f"a throwaway cluster from {bindir}, fsync on"
    print(f"# {versions}; {server}; {args.rounds} rounds")
    print(table(results))
    if args.json:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
