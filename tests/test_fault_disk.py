"""Disk trouble: the intake file locked by another writer, or full.

Intake waits for the lock (up to the busy timeout) or answers 503 {"code":"unavailable"}
with Retry-After, so mox retries; it never answers 200 without the event stored. Once
the lock is gone, the retried event is stored once.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import aiohttp
import pytest
from conftest import Moxhooks, moved, wait_for
from moxsender import MoxSender, outgoing_event

from moxhooks.store import intake as store_intake

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


async def test_short_lock_is_waited_out(start_moxhooks: Start) -> None:
    """A lock shorter than the busy timeout: the request waits and gets its 200."""
    mh = await start_moxhooks()
    async with aiohttp.ClientSession() as s:
        async with exclusive_lock(store_intake.intake_path(mh.runtime.store.db.path)):
            task = asyncio.create_task(post(s, mh, 1))
            await asyncio.sleep(0.5)
            assert not task.done(), "answered while the database was locked"
            assert await count_events(mh) == 0
        status, _, _ = await asyncio.wait_for(task, 10)
    assert status == 200
    assert await count_events(mh, "webhook_id = 1") == 1


async def test_long_lock_answers_503_and_the_retry_is_stored_once(
    start_moxhooks: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_intake, "BUSY_TIMEOUT", 0.2)
    mh = await start_moxhooks()
    async with aiohttp.ClientSession() as s:
        async with exclusive_lock(store_intake.intake_path(mh.runtime.store.db.path)):
            # A burst from many connections while the lock is held: all refused.
            t0 = time.monotonic()
            answers = await asyncio.gather(*(post(s, mh, i) for i in range(1, 21)))
            assert time.monotonic() - t0 < 4
            for status, headers, text in answers:
                assert status == 503, text
                assert json.loads(text) == {
                    "code": "unavailable",
                    "message": "database unavailable, try again later",
                }
                assert headers["Retry-After"].isdigit()
                assert "Traceback" not in text
            assert await count_events(mh) == 0
        # The lock is gone: mox retries (same IDs, next attempt), each stored once.
        answers = await asyncio.gather(*(post(s, mh, i, attempt=2) for i in range(1, 21)))
        assert [a[0] for a in answers] == [200] * 20
        again = await asyncio.gather(*(post(s, mh, i, attempt=3) for i in range(1, 21)))
        assert [a[0] for a in again] == [200] * 20
    await moved(mh.runtime)
    rows = await mh.runtime.store.db.fetchall(
        "SELECT webhook_id, attempt FROM events ORDER BY webhook_id"
    )
    assert [(r[0], r[1]) for r in rows] == [(i, 2) for i in range(1, 21)]

    async def processed() -> bool:
        return await count_events(mh, "status = 'done'") == 20

    await wait_for(processed, what="the events processed")


async def test_mox_sender_retries_through_a_lock(
    start_moxhooks: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As mox sees it: 503s while locked, then a 200 for the same webhook ID; one row."""
    monkeypatch.setattr(store_intake, "BUSY_TIMEOUT", 0.2)
    mh = await start_moxhooks()
    failed = outgoing_event("failed", queue_msg_id=77, extra={"recipient": "locked@example.org"})
    # mox's backoff scaled down: 0.3 s, 0.6 s, 1.2 s, ...
    async with MoxSender(
        mh.hook_url(), authorization=mh.sender.authorization, delay_scale=0.005
    ) as sender:
        async with exclusive_lock(store_intake.intake_path(mh.runtime.store.db.path)):
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
        return await mh.runtime.store.suppressions.active("mox", "locked@example.org") is not None

    await wait_for(suppressed, what="the retried event processed")
    n = await mh.runtime.store.db.fetchone("SELECT COUNT(*) FROM suppressions")
    assert n is not None and n[0] == 1


async def test_full_disk_answers_503_and_recovers(start_moxhooks: Start) -> None:
    """SQLITE_FULL (the intake file may not grow): 503, nothing half-stored; then 200."""
    mh = await start_moxhooks()
    intake = mh.runtime.intake
    assert intake is not None
    # The page limit is a setting of the connection that writes the file.
    conn = intake._conn
    (pages,) = conn.execute("PRAGMA page_count").fetchone()
    conn.execute(f"PRAGMA max_page_count = {int(pages)}")
    big = "x" * 200_000  # more than the free pages of a new file
    ev = outgoing_event("failed", queue_msg_id=1, error=big)
    async with aiohttp.ClientSession() as s:
        async with s.post(mh.hook_url(), json=ev, headers=mh.sender.headers(1, 1)) as resp:
            assert resp.status == 503
            assert (await resp.json())["code"] == "unavailable"
        assert await count_events(mh) == 0
        conn.execute("PRAGMA max_page_count = 1073741823")
        async with s.post(mh.hook_url(), json=ev, headers=mh.sender.headers(1, 2)) as resp:
            assert resp.status == 200
    assert await count_events(mh, "webhook_id = 1 AND attempt = 2") == 1
