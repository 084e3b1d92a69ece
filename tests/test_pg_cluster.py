"""tests/pgserver.py's throwaway cluster: where it runs, that a restart keeps what was
committed (a clean stop and a crash of the server alike), and that nothing is left after."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from pgserver import PgCluster, pg_bindir


@pytest.fixture
def cluster() -> Iterator[PgCluster]:
    bindir = pg_bindir()
    assert bindir is not None, "collected without PostgreSQL binaries"
    with PgCluster(bindir) as c:
        yield c


def _postmaster_uid(c: PgCluster) -> int:
    pid = int((c.datadir / "postmaster.pid").read_text().split()[0])
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[1])
    raise AssertionError("no Uid line")


async def test_runs_unprivileged_on_loopback_only(cluster: PgCluster) -> None:
    uid = _postmaster_uid(cluster)
    # PostgreSQL refuses root: under root the server runs as a system user of its own.
    assert uid != 0
    if os.geteuid() != 0:
        assert uid == os.geteuid()
    conn = await asyncpg.connect(cluster.url())
    try:
        assert await conn.fetchval("SHOW listen_addresses") == "127.0.0.1"
        assert await conn.fetchval("SHOW unix_socket_directories") == ""
    finally:
        await conn.close()
    # The role has a password: without it the server refuses.
    with pytest.raises(asyncpg.InvalidPasswordError):
        await asyncpg.connect(cluster.url().replace(cluster.password, "wrong"))


@pytest.mark.parametrize("mode", ["fast", "immediate"])
async def test_restart_keeps_committed_rows(cluster: PgCluster, mode: str) -> None:
    """fast: a clean stop. immediate: the server's processes quit without a checkpoint, as
    at a crash; recovery replays the write-ahead log at the next start."""
    conn = await asyncpg.connect(cluster.url())
    await conn.execute("CREATE TABLE kept (id int PRIMARY KEY, what text NOT NULL)")
    await conn.executemany("INSERT INTO kept VALUES ($1, $2)", [(i, f"row {i}") for i in range(100)])
    open_tx = await asyncpg.connect(cluster.url())
    await open_tx.execute("BEGIN; INSERT INTO kept VALUES (1000, 'never committed')")
    port = cluster.port
    cluster.stop(mode)
    assert not cluster.running()
    for c in (conn, open_tx):
        c.terminate()
    cluster.start()
    assert cluster.port == port  # the same cluster, at the same URL
    conn = await asyncpg.connect(cluster.url())
    try:
        rows = await conn.fetch("SELECT id, what FROM kept ORDER BY id")
        assert [(r["id"], r["what"]) for r in rows] == [(i, f"row {i}") for i in range(100)]
    finally:
        await conn.close()


def test_removed_at_exit() -> None:
    bindir = pg_bindir()
    assert bindir is not None
    with PgCluster(bindir) as c:
        assert c.running()
        root, port = c.root, c.port
    assert not root.exists()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
