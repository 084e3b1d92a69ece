"""Several mox servers synced by several moxhooks nodes on one PostgreSQL (issue 18): each
server's changes are pushed by the one node holding its lock (job_lock "sync:<name>"), so
two nodes push to two servers at once, each server in order; when a node is gone, another
takes its server over."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
import urllib.parse
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import asyncpg
import pytest
from conftest import wait_for
from fakemox import CALLER_HEADER, FakeMox

from moxhooks.config import Config, config_from_dict
from moxhooks.jobs.sync import SyncWorker
from moxhooks.kinds import Source
from moxhooks.mox.client import MoxClient
from moxhooks.store import NewEntry, Store

ACCOUNTS = {
    "shop": {"logins": {"mox@localhost": "moxmoxmox"}},
    "solo": {"logins": {"solo@localhost": "moxmoxmox"}},
}


@pytest.fixture
async def database_url(pg_url: str) -> AsyncIterator[str]:
    """An empty database of the test's own."""
    name = "mh_syncs_" + secrets.token_hex(4)
    admin = await asyncpg.connect(pg_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield urllib.parse.urlunsplit(urllib.parse.urlsplit(pg_url)._replace(path="/" + name))
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def two_servers(tmp_path: Path, url: str, a: FakeMox, b: FakeMox) -> Config:
    """Mox servers "a" (account shop) and "b" (account solo), on PostgreSQL at url."""
    return config_from_dict({
        "database": {"url": url, "path": str(tmp_path / "moxhooks.db")},
        "mox": [
            {"name": "a", "url": a.url, "timeout": 2.0},
            {"name": "b", "url": b.url, "timeout": 2.0},
        ],
        "sync": {"retry_min": 0.05, "retry_max": 0.2, "reconcile_interval": 3600.0},
        "accounts": [
            {"name": "shop", "login": "mox@localhost", "password": "moxmoxmox", "mox": "a"},
            {"name": "solo", "login": "solo@localhost", "password": "moxmoxmox", "mox": "b"},
        ],
    })  # fmt: skip


class Node:
    """A node's sync: its own store (connections, locks) and mox clients, whose requests
    carry the node's name (CALLER_HEADER) for the fakes to record."""

    def __init__(self, name: str, store: Store, session: aiohttp.ClientSession,
                 sync: SyncWorker) -> None:  # fmt: skip
        self.name, self.store, self.session, self.sync = name, store, session, sync
        self.task = asyncio.create_task(sync.run())

    @classmethod
    async def start(cls, name: str, config: Config) -> Node:
        store = await Store.configured(config.database)
        session = aiohttp.ClientSession(headers={CALLER_HEADER: name})
        clients = {m.name: MoxClient(m.url, timeout=m.timeout, session=session) for m in config.mox}
        return cls(name, store, session, SyncWorker(config, store, clients["a"], clients))

    def holds(self) -> set[str]:
        return {n for n, lock in self.sync.locks.items() if lock.holding}

    async def stop(self) -> None:
        """Gone, as a killed node: its loop ends mid-way and its connections close (the
        server then releases its locks)."""
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
        await self.store.close()
        await self.session.close()


async def add_entries(store: Store, account: str, names: range) -> list[str]:
    """Entries added here (each an outbox row to push), in order; their addresses."""
    out = []
    for k in names:
        addr = f"{account}{k}@example.org"
        await store.suppressions.add(NewEntry(
            account=account, original_address=addr, base_address=addr, kind="manual",
            source=Source.MANUAL, reason="test", created_by="test",
        ))  # fmt: skip
        out.append(addr)
    return out


def pushes(mox: FakeMox) -> list[tuple[str, str]]:
    """(address, node) of every SuppressionAdd the fake was asked, in order."""
    return [(str(req["EmailAddress"]), caller) for method, req, caller in mox.callers
            if method == "SuppressionAdd"]  # fmt: skip


async def test_two_nodes_push_two_mox_servers_each_from_one_node_in_order(
    tmp_path: Path, database_url: str
) -> None:
    async with FakeMox(ACCOUNTS) as mox_a, FakeMox(ACCOUNTS) as mox_b:
        config = two_servers(tmp_path, database_url, mox_a, mox_b)
        writer = await Store.configured(config.database)
        nodes: list[Node] = []
        try:
            nodes.append(await Node.start("A", config))
            await wait_for(lambda: _true(nodes[0].holds() == {"a"}), 5.0, what="A holding a")
            # A holding one server leaves the other free for a few looks: B, holding none,
            # takes it at once.
            nodes.append(await Node.start("B", config))
            node_a, node_b = nodes
            await wait_for(lambda: _true(node_b.holds() == {"b"}), 5.0, what="B holding b")
            assert node_a.holds() == {"a"}

            shop, solo = [], []
            for k in range(0, 20, 5):
                shop += await add_entries(writer, "shop", range(k, k + 5))
                solo += await add_entries(writer, "solo", range(k, k + 5))
                for n in nodes:
                    n.sync.wake()

            async def all_pushed() -> bool:
                return len(pushes(mox_a)) >= 20 and len(pushes(mox_b)) >= 20

            await wait_for(all_pushed, 15.0, what="both servers' changes pushed")
            # Each server from one node, in the order of its account's changes.
            assert pushes(mox_a) == [(addr, "A") for addr in shop]
            assert pushes(mox_b) == [(addr, "B") for addr in solo]
            assert [s["BaseAddress"] for s in mox_a.suppressions("shop")] == shop
            assert [s["BaseAddress"] for s in mox_b.suppressions("solo")] == solo
            # Each reconciled its own server's accounts only, once.
            lists = [(m, caller) for m, _req, caller in mox_a.callers + mox_b.callers
                     if m == "SuppressionList"]  # fmt: skip
            assert sorted(lists) == [("SuppressionList", "A"), ("SuppressionList", "B")]
            assert [c for m, _r, c in mox_a.callers if m == "SuppressionList"] == ["A"]

            # Node A is gone: B takes server a over and pushes what comes for it next, after
            # the changes A had pushed (none again, none lost).
            await node_a.stop()
            gone = time.monotonic()
            later = await add_entries(writer, "shop", range(20, 25))
            node_b.sync.wake()

            async def b_pushed_a() -> bool:
                return len(pushes(mox_a)) >= 25

            await wait_for(b_pushed_a, 15.0, what="B pushing server a's changes")
            takeover = time.monotonic() - gone
            print(
                f"node B took server a over and pushed its changes {takeover:.2f}s after "
                "node A was gone"
            )
            assert pushes(mox_a) == [(a, "A") for a in shop] + [(a, "B") for a in later]
            assert node_b.holds() == {"a", "b"}
            # B reconciled server a when it took it over.
            assert [c for m, _r, c in mox_a.callers if m == "SuppressionList"] == ["A", "B"]
        finally:
            for n in nodes:
                if not n.task.done():
                    await n.stop()
            await writer.close()


async def _true(value: bool) -> bool:
    return value
