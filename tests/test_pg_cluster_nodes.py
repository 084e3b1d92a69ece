"""Several moxhooks nodes on one PostgreSQL of the test's own, stopped and started while
webhooks arrive: intake answers 503 (never a 500) while the server is away, mox retries,
and nothing acknowledged is lost (issue 18)."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Iterator

import aiohttp
import asyncpg
import pytest
from conftest import SECRET, Moxhooks, wait_for
from moxsender import MoxSender, go_marshal, outgoing_event
from pgserver import PgCluster, pg_bindir

from moxhooks.store.intake import intake_dir

Start = Callable[..., Awaitable[Moxhooks]]


@pytest.fixture
def cluster() -> Iterator[PgCluster]:
    bindir = pg_bindir()
    assert bindir is not None, "collected without PostgreSQL binaries"
    with PgCluster(bindir) as c:
        yield c


async def kept_webhook_ids(url: str) -> list[int]:
    conn = await asyncpg.connect(url)
    try:
        return [int(r[0]) for r in await conn.fetch("SELECT webhook_id FROM events ORDER BY 1")]
    finally:
        await conn.close()


async def test_intake_while_the_server_is_down_is_503_then_kept(
    start_moxhooks: Start, cluster: PgCluster
) -> None:
    mh = await start_moxhooks(database={"url": cluster.url()})
    async with MoxSender(mh.hook_url(), authorization=f"Bearer {SECRET}") as s:
        assert (await s.post(outgoing_event("delivered"), hook_id=1, attempt=1)).status == 200
        # Committed in PostgreSQL before the 200, nothing on the node's disk.
        assert await kept_webhook_ids(cluster.url()) == [1]
        assert not os.path.exists(intake_dir(mh.runtime.config.database.path))
        await asyncio.to_thread(cluster.stop, "immediate")
        down = await s.post(outgoing_event("delivered", queue_msg_id=2), hook_id=2, attempt=1)
        assert down.status == 503, down
        async with aiohttp.ClientSession() as http, http.post(
            mh.hook_url(), data=go_marshal(outgoing_event("delivered")), headers=s.headers(3, 1)
        ) as resp:
            assert resp.status == 503
            assert resp.headers["Retry-After"].isdigit()
            assert (await resp.json())["code"] == "unavailable"
        await asyncio.to_thread(cluster.start)
        up = await s.post(outgoing_event("delivered", queue_msg_id=2), hook_id=2, attempt=2)
        assert up.status == 200, up
    assert await kept_webhook_ids(cluster.url()) == [1, 2]


async def test_a_restart_mid_burst_loses_no_acknowledged_webhook(
    start_moxhooks: Start, cluster: PgCluster
) -> None:
    """200 webhooks from 4 senders over two nodes; the server is stopped as in a crash
    (immediate) after the first 60 and started again 1 s later. Every webhook ends up
    acknowledged (mox retries the 503s) and kept once, and the nodes' workers process
    them all, each once."""
    url = cluster.url()
    nodes = [await start_moxhooks(database={"url": url}) for _ in range(2)]
    total, senders = 200, 4
    answered: list[tuple[int, int | None]] = []
    restarted = asyncio.Event()

    async def send(k: int) -> None:
        # mox's backoff scaled down: 60 s becomes 0.3 s, 120 s 0.6 s, and so on.
        node = nodes[k % 2]
        async with MoxSender(
            node.hook_url(), authorization=f"Bearer {SECRET}", delay_scale=0.005
        ) as s:
            for hook in range(k + 1, total + 1, senders):
                attempts = await s.deliver(
                    outgoing_event("delivered", queue_msg_id=hook), hook_id=hook
                )
                answered.extend((hook, a.status) for a in attempts)

    async def restart() -> None:
        while sum(1 for _, st in answered if st == 200) < 60:
            await asyncio.sleep(0.005)
        await asyncio.to_thread(cluster.stop, "immediate")
        await asyncio.sleep(1.0)
        started = time.monotonic()
        await asyncio.to_thread(cluster.start)
        print(f"restart: server back after {time.monotonic() - started:.2f} s")
        restarted.set()

    await asyncio.gather(restart(), *(send(k) for k in range(senders)))
    assert restarted.is_set()
    acked = sorted(h for h, st in answered if st == 200)
    unavailable = sum(1 for _, st in answered if st == 503)
    others = [(h, st) for h, st in answered if st not in (200, 503)]
    print(f"restart: {len(acked)} acknowledged, {unavailable} answers 503, others {others}")
    assert acked == list(range(1, total + 1))
    assert unavailable > 0, "the burst did not meet the restart"
    # Connection errors (None) are allowed only as mox sees them, not 500s.
    assert all(st is None for _, st in others), others
    assert await kept_webhook_ids(url) == list(range(1, total + 1))


    async def all_done() -> bool:
        conn = await asyncpg.connect(url)
        try:
            return await conn.fetchval(
                "SELECT count(*) FROM events WHERE status = 'done'") == total
        finally:
            await conn.close()

    await wait_for(all_done, 30.0, what="every event processed")
    conn = await asyncpg.connect(url)
    try:
        assert await conn.fetchval("SELECT sum(n) FROM processed_counts") == total
        assert await conn.fetchval("SELECT max(tries) FROM events") == 1
    finally:
        await conn.close()
