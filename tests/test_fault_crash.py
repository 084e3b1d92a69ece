"""Crash: `moxhooks serve` as a real process, killed with SIGKILL in the middle of a burst.

Every event that got a 200 is in the database after the kill and is processed after
the restart; nothing is processed twice (one entry per address, one SuppressionAdd
per address in mox); the changes that waited for mox are pushed after the restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import sqlite3
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
from conftest import SECRET, wait_for
from fakemox import FakeMox
from moxsender import go_marshal, outgoing_event

REPO = Path(__file__).resolve().parent.parent
EVENTS = 240  # in the burst
ADDRESSES = 40  # each address bounces several times
KILL_AFTER = 90  # 200s seen before the kill
# Events posted, one at a time, and processed before the burst.
FIRST = 5


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def write_config(tmp_path: Path, port: int, mox_url: str) -> Path:
    path = tmp_path / "moxhooks.toml"
    path.write_text(
        f"""
log_level = "info"
[server]
host = "127.0.0.1"
port = {port}
[database]
path = "{tmp_path / "moxhooks.db"}"
[mox]
url = "{mox_url}"
admin_password = ""
timeout = 1.0
[sync]
retry_min = 0.05
retry_max = 0.2
reconcile_interval = 3600.0
[dns]
nameservers = ["127.0.0.1"]
port = 9
timeout = 0.2
[[accounts]]
name = "mox"
login = "mox@localhost"
password = "moxmoxmox"
webhook_secret = "{SECRET}"
"""
    )
    return path


@contextlib.asynccontextmanager
async def serve(config: Path, log: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    """`python -m moxhooks --config X serve`, running until the block ends (or killed)."""
    with open(log, "ab") as out:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "moxhooks", "--config", str(config), "serve",
            stdout=out, stderr=out, cwd=REPO,
        )  # fmt: skip
    try:
        yield proc
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 10)
            except TimeoutError:
                proc.kill()
                await proc.wait()


async def wait_ready(base: str, proc: asyncio.subprocess.Process, log: Path) -> None:
    async def up() -> bool:
        assert proc.returncode is None, log.read_text()
        try:
            async with aiohttp.ClientSession() as s, s.get(base + "healthz") as resp:
                return resp.status in (200, 503)
        except aiohttp.ClientError:
            return False

    await wait_for(up, timeout=20, what="moxhooks serve listening")


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
    """Straight from the file, as another process sees it after the crash."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        return list(conn.execute(sql).fetchall())
    finally:
        conn.close()


async def test_kill_9_loses_no_acknowledged_event(tmp_path: Path, fakemox: FakeMox) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    url = base + "hooks/outgoing/mox"
    config = write_config(tmp_path, port, fakemox.url)
    db = tmp_path / "moxhooks.db"
    log = tmp_path / "moxhooks.log"
    acked: set[int] = set()
    # mox is away through the crash, so changes wait in the outbox when the process dies.
    await fakemox.fail("refuse")

    async with serve(config, log) as proc:
        await wait_ready(base, proc, log)
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
    assert KILL_AFTER <= len(acked) < EVENTS

    # Every acknowledged event is in the file the dead process left behind.
    stored = {int(r[0]) for r in read_db(db, "SELECT webhook_id FROM events")}
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

        async def settled() -> bool:
            left = read_db(
                db,
                "SELECT (SELECT COUNT(*) FROM events WHERE status != 'done'),"
                " (SELECT COUNT(*) FROM outbox WHERE state = 'pending')",
            )[0]
            return left == (0, 0)

        await wait_for(settled, timeout=20, what="every event processed and pushed")

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
