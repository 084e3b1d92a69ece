"""Several moxhooks nodes on one PostgreSQL database (issue 18): each an app with its web
runtime and worker, as `moxhooks serve` runs one per host, all in the test's process on
one database of the test's own. Webhooks spread over the nodes are processed once each."""

from __future__ import annotations

import asyncio
import secrets
import urllib.parse
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import pytest
from conftest import SECRET, Moxhooks, wait_for, worker_runtime
from moxsender import MoxSender, outgoing_event

from moxhooks.jobs.processing import Processed
from moxhooks.runtime.supervisor import WorkerTask

Start = Callable[..., Awaitable[Moxhooks]]


@pytest.fixture
async def database_url(pg_url: str) -> AsyncIterator[str]:
    """An empty database of the test's own."""
    name = "mh_nodes_" + secrets.token_hex(4)
    admin = await asyncpg.connect(pg_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield urllib.parse.urlunsplit(urllib.parse.urlsplit(pg_url)._replace(path="/" + name))
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def query_value(url: str, sql: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval(sql))
    finally:
        await conn.close()


async def record_processing(node: Moxhooks, seen: list[int]) -> None:
    """Note the id of every event whose outcome the node's processor commits."""

    async def observe(p: Processed) -> None:
        seen.append(p.event.id)

    async def opened() -> bool:
        # A second node finds the first one's reconcile done and starts without waiting.
        return isinstance(node.runtime.worker, WorkerTask) and node.runtime.worker.runtime is not None

    await wait_for(opened, 10.0, what="the node's worker running")
    worker_runtime(node.runtime).processor.observers.append(observe)


async def test_webhooks_over_two_nodes_are_processed_once_each(
    database_url: str, start_moxhooks: Start
) -> None:
    nodes = [await start_moxhooks(database={"url": database_url}) for _ in range(2)]
    seen: list[list[int]] = [[], []]
    for node, ids in zip(nodes, seen, strict=True):
        await record_processing(node, ids)
    total, senders = 200, 4

    async def send(k: int) -> None:
        async with MoxSender(nodes[k % 2].hook_url(), authorization=f"Bearer {SECRET}") as s:
            for hook in range(k + 1, total + 1, senders):
                ev = outgoing_event("delivered", queue_msg_id=hook)
                assert [a.status for a in await s.deliver(ev, hook_id=hook)] == [200]

    await asyncio.gather(*(send(k) for k in range(senders)))

    async def all_done() -> bool:
        return await query_value(
            database_url, "SELECT count(*) FROM events WHERE status = 'done'"
        ) == total

    await wait_for(all_done, 30.0, what="every event processed")
    await asyncio.sleep(0.5)  # a second processing, were there one, would show by now
    counts = Counter(seen[0] + seen[1])
    print(f"exactly once: node A {len(seen[0])}, node B {len(seen[1])}, "
          f"distinct {len(counts)}, twice or more {sum(1 for n in counts.values() if n > 1)}")
    assert len(counts) == total
    assert max(counts.values()) == 1
    assert seen[0] and seen[1], "one node did all the work"
    assert await query_value(database_url, "SELECT sum(n) FROM processed_counts") == total
