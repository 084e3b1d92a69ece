"""Crash: `moxhooks serve` as a real process, killed with SIGKILL in the middle of a burst.

Every event that got a 200 is in the database after the kill and is processed after
the restart; nothing is processed twice (one entry per address, one SuppressionAdd
per address in mox); the changes that waited for mox are pushed after the restart.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
from pathlib import Path
from typing import Any

import aiohttp
from conftest import SECRET, wait_for
from fakemox import FakeMox
from moxsender import go_marshal, outgoing_event
from served import children, free_port, serve, wait_ready, write_config

from moxhooks.store.intake import all_records

EVENTS = 240  # in the burst
ADDRESSES = 40  # each address bounces several times
KILL_AFTER = 90  # 200s seen before the kill
# Events posted, one at a time, and processed before the burst.
FIRST = 5


def event(i: int) -> dict[str, object]:
    """Event i: a hard bounce for address i % ADDRESSES, every third one a delivery."""
    rcpt = f"crash{i % ADDRESSES}@example.org"
    if i % 3 == 0:
        return outgoing_event("delivered", queue_msg_id=i, extra={"recipient": rcpt})
    return outgoing_event("failed", queue_msg_id=i, extra={"recipient": rcpt})


def headers(i: int, attempt: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "mox/v0.0.17 (webhook)",
        "Authorization": f"Bearer {SECRET}",
        "X-Mox-Webhook-ID": str(i),
        "X-Mox-Webhook-Attempt": str(attempt),
    }


def read_db(path: Path, sql: str) -> list[tuple[Any, ...]]:
    """Straight from the file, as another process sees it."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        return list(conn.execute(sql).fetchall())
    finally:
        conn.close()


def acknowledged(db: Path) -> set[int]:
    """What got a 200: in the intake segments, or moved from them into events already
    (read in that order: a segment is deleted only after its records are in events)."""
    records = {r.webhook_id for r in all_records(str(db))}
    return records | {int(r[0]) for r in read_db(db, "SELECT webhook_id FROM events")}


async def settled(db: Path) -> bool:
    """All EVENTS events are in events and processed, and no change waits for mox."""
    left = read_db(
        db,
        "SELECT (SELECT COUNT(*) FROM events WHERE status != 'done'),"
        " (SELECT COUNT(*) FROM outbox WHERE state = 'pending'),"
        " (SELECT COUNT(*) FROM events)",
    )[0]
    return left == (0, 0, EVENTS)


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def setup(tmp_path: Path, fakemox: FakeMox) -> tuple[str, str, Path, Path, Path]:
    """A config on a free port: (base URL, webhook URL, config, database, log file)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    config = write_config(tmp_path, port, fakemox.url, SECRET)
    return base, base + "hooks/outgoing/mox", config, tmp_path / "moxhooks.db", tmp_path / "moxhooks.log"


async def test_kill_9_loses_no_acknowledged_event(tmp_path: Path, fakemox: FakeMox) -> None:
    base, url, config, db, log = setup(tmp_path, fakemox)
    acked: set[int] = set()
    # mox is away through the crash, so changes wait in the outbox when the process dies.
    await fakemox.fail("refuse")

    async with serve(config, log) as proc:
        await wait_ready(base, proc, log)
        workers = children(proc.pid)
        assert len(workers) == 1, workers
        killed = asyncio.Event()
        # A first few bounces, processed before the burst, so that changes certainly
        # wait in the outbox when the process dies (mox is away).
        async with aiohttp.ClientSession() as s:
            for i in range(1, FIRST + 1):
                async with s.post(url, data=go_marshal(event(i)), headers=headers(i, 1)) as r:
                    assert r.status == 200
                    acked.add(i)

        async def outbox_waits() -> bool:
            return read_db(db, "SELECT COUNT(*) FROM outbox WHERE state = 'pending'")[0][0] > 0

        await wait_for(outbox_waits, timeout=10, what="changes waiting in the outbox")
        todo = iter(range(FIRST + 1, EVENTS + 1))

        async def sender(s: aiohttp.ClientSession) -> None:
            for i in todo:
                if killed.is_set():
                    return
                try:
                    async with s.post(url, data=go_marshal(event(i)), headers=headers(i, 1)) as r:
                        await r.read()
                        if r.status == 200:
                            acked.add(i)
                except aiohttp.ClientError:
                    continue  # no answer: mox would retry this one later
                if len(acked) >= KILL_AFTER and not killed.is_set():
                    killed.set()
                    proc.kill()  # SIGKILL, in the middle of the burst

        async with aiohttp.ClientSession() as s:
            await asyncio.wait_for(asyncio.gather(*(sender(s) for _ in range(8))), 60)
        await proc.wait()
        assert proc.returncode == -signal.SIGKILL
        # The event worker notices that the web process is gone and stops by itself.
        await wait_for(lambda: _true(not alive(workers[0])), timeout=10, what="worker gone")
    assert KILL_AFTER <= len(acked) < EVENTS

    # Every acknowledged event is in the files the dead process left behind.
    stored = acknowledged(db)
    assert acked <= stored, sorted(acked - stored)[:10]
    backlog_at_crash = read_db(db, "SELECT COUNT(*) FROM outbox WHERE state = 'pending'")[0][0]

    # Restart; mox delivers what got no 200 (and, as mox may, repeats some that did).
    async with serve(config, log) as proc:
        await wait_ready(base, proc, log)
        await fakemox.restore()
        retries = [(i, 2) for i in range(1, EVENTS + 1) if i not in acked]
        repeats = [(i, 3) for i in sorted(acked)[:10]]
        async with aiohttp.ClientSession() as s:
            for i, attempt in retries + repeats:
                async with s.post(url, data=go_marshal(event(i)), headers=headers(i, attempt)) as r:
                    assert r.status == 200, await r.text()

        await wait_for(lambda: settled(db), timeout=20, what="every event processed and pushed")

    # Each event once, processed once.
    rows = read_db(db, "SELECT webhook_id, attempt, tries FROM events ORDER BY webhook_id")
    assert [r[0] for r in rows] == list(range(1, EVENTS + 1))
    assert {r[2] for r in rows} == {1}, "an event was processed more than once"
    for wid, attempt, _ in rows:
        assert attempt == (1 if wid in stored else 2)
    # One entry per address, added once; one outbox row per entry, pushed once.
    entries = read_db(db, "SELECT base_address, mox_state FROM suppressions ORDER BY id")
    assert sorted(e[0] for e in entries) == sorted(
        f"crash{n}@example.org" for n in range(ADDRESSES)
    )
    assert {e[1] for e in entries} == {"synced"}
    added = read_db(db, "SELECT COUNT(*) FROM audit WHERE action = 'added'")[0][0]
    assert added == ADDRESSES
    outbox = read_db(db, "SELECT state, COUNT(*) FROM outbox GROUP BY state")
    assert outbox == [("done", ADDRESSES)]
    # The outbox resumed after the restart; mox got each address exactly once.
    assert backlog_at_crash > 0
    adds = [c[2]["EmailAddress"] for c in fakemox.calls if c[1] == "SuppressionAdd"]
    assert sorted(adds) == sorted(f"crash{n}@example.org" for n in range(ADDRESSES))
    assert len(fakemox.suppressions("mox")) == ADDRESSES
    assert not [c for c in fakemox.calls if c[1] == "SuppressionRemove"]
    text = log.read_text()
    assert "Traceback" not in text, text[-3000:]


async def _true(v: bool) -> bool:
    return v


async def test_kill_9_of_the_event_worker_loses_nothing(tmp_path: Path, fakemox: FakeMox) -> None:
    """The event worker killed mid-burst: intake goes on answering 200, the web process
    starts a new worker, and every event is processed exactly once."""
    base, url, config, db, log = setup(tmp_path, fakemox)
    statuses: list[int] = []
    async with serve(config, log) as proc:
        await wait_ready(base, proc, log)
        (first,) = children(proc.pid)
        todo = iter(range(1, EVENTS + 1))
        killed: list[int] = []

        async def sender(s: aiohttp.ClientSession) -> None:
            for i in todo:
                async with s.post(url, data=go_marshal(event(i)), headers=headers(i, 1)) as r:
                    await r.read()
                    statuses.append(r.status)
                if len(statuses) >= KILL_AFTER and not killed:
                    killed.append(first)
                    # SIGKILL, in the middle of the burst (and of a batch, most likely).
                    os.kill(first, signal.SIGKILL)

        async with aiohttp.ClientSession() as s:
            await asyncio.wait_for(asyncio.gather(*(sender(s) for _ in range(8))), 60)
        assert statuses == [200] * EVENTS, "intake must not depend on the worker"
        assert killed and not alive(first)

        async def restarted() -> bool:
            now = children(proc.pid)
            return len(now) == 1 and now[0] != first

        await wait_for(restarted, timeout=15, what="a new event worker")

        await wait_for(lambda: settled(db), timeout=30, what="every event processed and pushed")
        async with aiohttp.ClientSession() as s, s.get(base + "metrics") as r:
            metrics = await r.text()
    rows = read_db(db, "SELECT webhook_id, tries FROM events ORDER BY webhook_id")
    assert [r[0] for r in rows] == list(range(1, EVENTS + 1))
    assert {r[1] for r in rows} == {1}, "an event was processed more than once"
    entries = read_db(db, "SELECT base_address FROM suppressions ORDER BY id")
    assert sorted(e[0] for e in entries) == sorted(
        f"crash{n}@example.org" for n in range(ADDRESSES)
    )
    adds = [c[2]["EmailAddress"] for c in fakemox.calls if c[1] == "SuppressionAdd"]
    assert sorted(adds) == sorted(f"crash{n}@example.org" for n in range(ADDRESSES))
    # /metrics in the web process counts what the worker processed.
    processed = sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("moxhooks_events_processed_total{")
    )
    assert processed == EVENTS
    text = log.read_text()
    assert f"event worker (pid {first}) exited with -9; restarting" in text
