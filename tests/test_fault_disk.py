"""Disk trouble: the database locked by another writer, or the disk full.

Intake does not touch the database: while another process holds its lock, webhooks are
still answered 200, and processed once the lock is gone. A full disk gets 503
{"code":"unavailable"} with Retry-After, so mox retries; intake never answers 200
without the event stored, and keeps nothing of what it refused. The retried event is
stored once.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import signal
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager

import aiohttp
import pytest
from conftest import Moxhooks, moved, wait_for
from moxsender import MoxSender, outgoing_event

from moxhooks.store.intake import all_records, intake_dir

# As `moxhooks serve` runs: the event worker in a process of its own.
pytestmark = [pytest.mark.worker_process, pytest.mark.openapi_responses]

Start = Callable[..., Awaitable[Moxhooks]]


@asynccontextmanager
async def exclusive_lock(path: str) -> AsyncIterator[None]:
    """Another process's writer: BEGIN EXCLUSIVE on a second connection, held meanwhile."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
    try:
        # In a thread: waiting for moxhooks' own writer must not stop this event loop.
        await asyncio.to_thread(conn.execute, "BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            await asyncio.to_thread(conn.execute, "COMMIT")
    finally:
        conn.close()


@contextmanager
def disk_full_after(limit: int) -> Iterator[None]:
    """A full disk for this process: a write that would reach past `limit` bytes into a
    file writes up to there and then fails (EFBIG), as the kernel does for RLIMIT_FSIZE
    (its SIGXFSZ ignored)."""
    handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, handler)


async def count_events(mh: Moxhooks, where: str = "1 = 1") -> int:
    """Events stored: what intake acknowledged, once the processor has moved it in."""
    await moved(mh.runtime)
    row = await mh.runtime.store.db.fetchone(f"SELECT COUNT(*) FROM events WHERE {where}")
    assert row is not None
    return int(row[0])


async def post(
    s: aiohttp.ClientSession, mh: Moxhooks, hook_id: int, attempt: int = 1
) -> tuple[int, dict[str, str], str]:
    ev = outgoing_event("delivered", queue_msg_id=hook_id)
    async with s.post(mh.hook_url(), json=ev, headers=mh.sender.headers(hook_id, attempt)) as resp:
        return resp.status, dict(resp.headers), await resp.text()


async def test_a_locked_database_does_not_stop_intake(start_moxhooks: Start) -> None:
    """Another writer holds the database for longer than the busy timeout: every
    webhook still gets its 200 at once (intake appends to its own file), and all are
    processed, once each, after the lock is gone."""
    mh = await start_moxhooks()
    async with aiohttp.ClientSession() as s:
        async with exclusive_lock(mh.runtime.store.db.path):
            # Answered while the lock is still held: intake did not wait for the database.
            answers = await asyncio.gather(*(post(s, mh, i) for i in range(1, 21)))
            assert [a[0] for a in answers] == [200] * 20
            records = all_records(mh.runtime.store.db.path)
            assert sorted(r.webhook_id for r in records) == list(range(1, 21))
            await asyncio.sleep(1.0)
            rows = await mh.runtime.store.db.fetchall("SELECT COUNT(*) FROM events")
            assert rows[0][0] == 0, "moved into the database while another writer held it"
        # mox repeats one (its answer was lost, say): still one event for it.
        assert (await post(s, mh, 7, attempt=2))[0] == 200

    async def processed() -> bool:
        return await count_events(mh, "status = 'done'") == 20

    await wait_for(processed, timeout=20, what="the events processed after the lock")
    rows = await mh.runtime.store.db.fetchall(
        "SELECT webhook_id, attempt FROM events ORDER BY webhook_id"
    )
    assert [(r[0], r[1]) for r in rows] == [(i, 1) for i in range(1, 21)]


def segment_bytes(mh: Moxhooks) -> int:
    """The size of this moxhooks' intake segments, together."""
    d = intake_dir(mh.runtime.store.db.path)
    return sum(os.path.getsize(os.path.join(d, n)) for n in os.listdir(d))


async def test_full_disk_answers_503_and_recovers(start_moxhooks: Start) -> None:
    """The disk fills up in the middle of a webhook's write: 503, nothing of it kept
    (the part written is cut off again); then, with room again, 200, stored once."""
    mh = await start_moxhooks()
    async with aiohttp.ClientSession() as s:
        assert (await post(s, mh, 1))[0] == 200
        await wait_for(lambda: _done(mh, 1), what="webhook 1 processed")
        before = segment_bytes(mh)
        big = "x" * 200_000
        ev = outgoing_event("failed", queue_msg_id=2, error=big)
        with disk_full_after(before + 50_000):
            async with s.post(mh.hook_url(), json=ev, headers=mh.sender.headers(2, 1)) as resp:
                status, body, retry = resp.status, await resp.json(), resp.headers["Retry-After"]
        assert status == 503
        assert body["code"] == "unavailable"
        assert retry.isdigit()
        assert segment_bytes(mh) == before, "a refused webhook left bytes in intake"
        assert [r.webhook_id for r in all_records(mh.runtime.store.db.path)] == [1]
        async with s.post(mh.hook_url(), json=ev, headers=mh.sender.headers(2, 2)) as resp:
            assert resp.status == 200
    assert await count_events(mh, "webhook_id = 2 AND attempt = 2") == 1
    assert await count_events(mh) == 2


async def _done(mh: Moxhooks, hook_id: int) -> bool:
    return await count_events(mh, f"webhook_id = {hook_id} AND status = 'done'") == 1


async def test_mox_sender_retries_through_a_full_disk(start_moxhooks: Start) -> None:
    """As mox sees it: 503s while the disk is full, then a 200 for the same webhook ID;
    one event, processed once."""
    mh = await start_moxhooks()
    failed = outgoing_event(
        "failed", queue_msg_id=77, extra={"recipient": "full@example.org"}, error="e" * 5000
    )
    # mox's backoff scaled down: 0.3 s, 0.6 s, 1.2 s, ...
    async with MoxSender(
        mh.hook_url(), authorization=mh.sender.authorization, delay_scale=0.005
    ) as sender:
        with disk_full_after(segment_bytes(mh) + 1000):
            delivery = asyncio.create_task(sender.deliver(failed, hook_id=500))
            await asyncio.sleep(1.0)
        attempts = await asyncio.wait_for(delivery, 20)
    statuses = [a.status for a in attempts]
    assert statuses[-1] == 200 and len(statuses) >= 2, statuses
    assert set(statuses[:-1]) == {503}
    for a in attempts[:-1]:
        assert json.loads(a.response)["code"] == "unavailable"
    await moved(mh.runtime)
    rows = await mh.runtime.store.db.fetchall("SELECT attempt FROM events WHERE webhook_id = 500")
    assert [r[0] for r in rows] == [len(attempts)]

    async def suppressed() -> bool:
        return await mh.runtime.store.suppressions.active("mox", "full@example.org") is not None

    await wait_for(suppressed, what="the retried event processed")
    n = await mh.runtime.store.db.fetchone("SELECT COUNT(*) FROM suppressions")
    assert n is not None and n[0] == 1


