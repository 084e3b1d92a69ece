"""Replays and reordering beyond tests/test_e2e.py: bursts of retries of one webhook ID
interleaved with other events, replays after a person changed the list, repeated
delays of one message, and a late older event about a message that failed for good.
In every case the suppression state ends up right.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable

import aiohttp
import pytest
from conftest import Moxhooks, wait_for
from moxsender import go_marshal, outgoing_event

# As `moxhooks serve` runs: the event worker in a process of its own.
pytestmark = [pytest.mark.worker_process, pytest.mark.openapi_responses]

Start = Callable[..., Awaitable[Moxhooks]]


async def all_done(mh: Moxhooks, n: int) -> None:
    async def check() -> bool:
        row = await mh.runtime.store.db.fetchone(
            "SELECT COUNT(*), SUM(status = 'done') FROM events"
        )
        return row is not None and row[0] == n and row[1] == n

    await wait_for(check, what=f"{n} events processed")


async def test_burst_of_retries_interleaved_with_other_events(start_moxhooks: Start) -> None:
    mh = await start_moxhooks()
    # 6 webhooks, each delivered 8 times (attempts 1..8), mixed at random with 30 others,
    # over 8 connections at once: many land in the same group commit.
    repeated = {100 + k: f"again{k}@example.org" for k in range(6)}
    others = {200 + k: f"other{k}@example.org" for k in range(30)}
    posts = [(hid, a) for hid in repeated for a in range(1, 9)] + [(hid, 1) for hid in others]
    random.Random(3).shuffle(posts)
    rcpt = {**repeated, **others}
    queue: asyncio.Queue[tuple[int, int]] = asyncio.Queue()
    for p in posts:
        queue.put_nowait(p)
    statuses: list[int] = []

    async def connection(s: aiohttp.ClientSession) -> None:
        while not queue.empty():
            hid, attempt = queue.get_nowait()
            ev = outgoing_event("failed", queue_msg_id=hid, extra={"recipient": rcpt[hid]})
            async with s.post(
                mh.hook_url(), data=go_marshal(ev), headers=mh.sender.headers(hid, attempt)
            ) as resp:
                statuses.append(resp.status)

    async with aiohttp.ClientSession() as s:
        await asyncio.gather(*(connection(s) for _ in range(8)))
    assert statuses == [200] * len(posts)
    await all_done(mh, len(rcpt))
    db = mh.runtime.store.db
    rows = await db.fetchall("SELECT webhook_id, COUNT(*), MAX(tries) FROM events GROUP BY 1")
    assert {r[0] for r in rows} == set(rcpt)
    assert {(r[1], r[2]) for r in rows} == {(1, 1)}
    entries = await mh.runtime.store.suppressions.list("mox", limit=100)
    assert sorted(e.original_address for e in entries) == sorted(rcpt.values())

    async def pushed() -> bool:
        return await mh.runtime.store.outbox.backlog() == 0

    await wait_for(pushed, what="outbox drained")
    adds = sorted(c[2]["EmailAddress"] for c in mh.fakemox.calls if c[1] == "SuppressionAdd")
    assert adds == sorted(rcpt.values())


async def test_replay_after_a_person_removed_the_entry(start_moxhooks: Start) -> None:
    """mox retries a webhook whose 200 it missed; by then a person had lifted the entry:
    the replay must not bring it back."""
    mh = await start_moxhooks()
    ev = outgoing_event("failed", queue_msg_id=5, extra={"recipient": "lifted@example.org"})
    assert (await mh.sender.post(ev, hook_id=5, attempt=1)).status == 200
    await all_done(mh, 1)
    store = mh.runtime.store.suppressions
    entry = await store.active("mox", "lifted@example.org")
    assert entry is not None
    await store.end("mox", entry.id, "admin", "asked to be mailed again")
    for attempt in (2, 3):
        assert (await mh.sender.post(ev, hook_id=5, attempt=attempt)).status == 200
    await asyncio.sleep(0.2)
    await all_done(mh, 1)
    assert await store.active("mox", "lifted@example.org") is None
    rows = await mh.runtime.store.db.fetchall("SELECT COUNT(*) FROM suppressions")
    assert rows[0][0] == 1


async def test_late_delay_after_the_final_failure(start_moxhooks: Start) -> None:
    """delayed (webhook 10) is overtaken by failed (webhook 11) for the same message:
    suppressed once by the failure, the late delay is superseded and counts nothing."""
    mh = await start_moxhooks(policy={"soft_threshold": 1})
    final = outgoing_event("failed", queue_msg_id=9, code=550, secode="5.1.1",
                           extra={"recipient": "order@example.org"})  # fmt: skip
    early = outgoing_event("delayed", queue_msg_id=9, code=452, secode="4.2.2",
                           error="452 4.2.2 Mailbox full",
                           extra={"recipient": "order@example.org"})  # fmt: skip
    await mh.sender.deliver(final, hook_id=11)
    await all_done(mh, 1)
    await mh.sender.deliver(early, hook_id=10)
    await mh.sender.deliver(early, hook_id=10)  # and once more, a retry
    await all_done(mh, 2)
    late = await mh.runtime.store.db.fetchone(
        "SELECT decision, detail, counts_soft FROM events WHERE webhook_id = 10"
    )
    assert late is not None
    assert (late[0], late[1], late[2]) == ("none", "superseded by a newer event", 0)
    entries = await mh.runtime.store.suppressions.list("mox", active=None)
    assert [(e.kind, e.expires, e.ended) for e in entries] == [("mailbox_unknown", None, None)]


async def test_repeated_delays_of_one_message_are_one_soft_failure(start_moxhooks: Start) -> None:
    """mox reports each delay of a message; with replays on top, it is still one message:
    soft_threshold counts distinct messages."""
    mh = await start_moxhooks(policy={"soft_threshold": 2})
    delay = outgoing_event("delayed", queue_msg_id=21, code=452, secode="4.2.2",
                           error="452 4.2.2 Mailbox full",
                           extra={"recipient": "slow@example.org"})  # fmt: skip
    for hook_id in (30, 31, 32, 31, 30, 33):
        await mh.sender.deliver(delay, hook_id=hook_id)
    await all_done(mh, 4)
    assert await mh.runtime.store.suppressions.active("mox", "slow@example.org") is None
    # A second message failing softly reaches the threshold of 2 messages.
    other = dict(delay, QueueMsgID=22)
    await mh.sender.deliver(other, hook_id=34)
    await all_done(mh, 5)
    entry = await mh.runtime.store.suppressions.active("mox", "slow@example.org")
    assert entry is not None and entry.kind == "mailbox_full" and entry.expires is not None
