"""Two real mox servers behind one moxhooks: two `mox localserve` instances, each on a
loopback address of its own, sharing one account's suppression list.

Each localserve has the account "mox"; moxhooks has it on both ([[mox]] a and b,
accounts[].mox = ["a", "b"]), and `moxhooks setup` registers each server's own webhook
URL and secret. localserve refuses a recipient whose localpart is three digits
400-599 with that code: mail to x550@... fails with 550 in the server it was sent
through, which lists it itself and posts its webhook. Both servers number their
messages and webhooks from 1, so the same ids arrive from both, as in the field.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from conftest import reconciled_once
from fakedns import Domain, FakeDNS
from realmox import ADMIN_PASSWORD, LOGIN, PASSWORD, RealMox, mox_bin
from realstack import free_port, wait_until

from moxhooks.cli.serve import setup
from moxhooks.config import Config, config_from_dict
from moxhooks.web.app import create_app
from moxhooks.web.keys import RUNTIME_KEY


@pytest.fixture
def two_moxes(tmp_path: Path) -> Iterator[tuple[RealMox, RealMox]]:
    binary = mox_bin()
    assert binary is not None, "collected without MOX_BIN"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = RealMox(binary, tmp_path / "a")
    a.start()
    try:
        b = RealMox(binary, tmp_path / "b")
        assert b.ip != a.ip
        b.start()
        try:
            yield a, b
        finally:
            b.stop()
    finally:
        a.stop()


def _config(a: RealMox, b: RealMox, db: Path, port: int, dns_port: int) -> Config:
    server = {"url": "", "admin_password": ADMIN_PASSWORD, "timeout": 5.0}
    data: dict[str, Any] = {
        "server": {"host": "127.0.0.1", "port": port, "public_url": f"http://127.0.0.1:{port}"},
        "database": {"path": str(db)},
        "mox": [{**server, "name": "a", "url": a.url}, {**server, "name": "b", "url": b.url}],
        "sync": {"retry_min": 0.1, "retry_max": 1.0, "reconcile_interval": 3600.0},
        "resolve": {"retry_min": 0.2, "retry_max": 1.0},
        "dns": {"nameservers": ["127.0.0.1"], "port": dns_port, "timeout": 0.5},
        "accounts": [{"name": "mox", "login": LOGIN, "password": PASSWORD, "mox": ["a", "b"]}],
    }
    return config_from_dict(data)


async def test_a_hard_bounce_through_one_mox_is_refused_by_the_other(
    two_moxes: tuple[RealMox, RealMox], tmp_path: Path
) -> None:
    a, b = two_moxes
    zone = {"example.org": Domain(mx=((10, "mx.example.org"),))}
    async with FakeDNS(zone) as dns:
        port = free_port()
        cfg = _config(a, b, tmp_path / "moxhooks.db", port, dns.port)
        assert await setup(cfg, argparse.Namespace()) == 0
        # The worker in a process of its own, as under `moxhooks serve`.
        app = create_app(cfg)
        server = TestServer(app, host="127.0.0.1", port=port)
        await server.start_server()
        try:
            rt = app[RUNTIME_KEY]
            await reconciled_once(rt)
            id_a = a.send("x550@example.org", subject="through a")
            id_b = b.send("x551@example.org", subject="through b")

            async def in_both() -> bool:
                return {"x550@example.org", "x551@example.org"} <= (
                    a.suppression_bases().keys() & b.suppression_bases().keys()
                )

            await wait_until(in_both, 30.0, "each bounce listed in both servers")
            # Each server's event is its own, with its own recipient, though mox's ids
            # are alike.
            rows = await rt.store.db.fetchall(
                "SELECT mox, queue_msg_id, webhook_id, recipient, decision FROM events"
                " WHERE event = 'failed' ORDER BY mox"
            )
            found = [(r["mox"], r["queue_msg_id"], r["recipient"], r["decision"]) for r in rows]
            # (Both servers' first message and first webhook: 1 and 1.)
            assert [r["webhook_id"] for r in rows] == [1, 1] and id_a == id_b == 1
            assert found == [
                ("", id_a, "x550@example.org", "follow_mox"),
                ("b", id_b, "x551@example.org", "follow_mox"),
            ]
            entries = await rt.store.suppressions.synced_active("mox")
            assert sorted((e.base_address, e.mox_state) for e in entries) == [
                ("x550@example.org", "synced"), ("x551@example.org", "synced"),
            ]  # fmt: skip
            # The further server's progress through the account's outbox: both rows (noted
            # just after mox answered).
            async def cursor_at_end() -> bool:
                cursor = await rt.store.outbox.cursor("b", "mox")
                return cursor.last_id == 2 and cursor.attempts == 0

            await wait_until(cursor_at_end, 10.0, "b's cursor past both rows")
            # mox b refuses to send to the address that bounced through mox a.
            refused = b.submit("x550@example.org", subject="after the bounce")
            assert refused["QueueMsgID"] > 0

            async def suppressed_event() -> bool:
                row = await rt.store.db.fetchone(
                    "SELECT status FROM events WHERE mox = 'b' AND event = 'suppressed'"
                    " AND queue_msg_id = ?",
                    (refused["QueueMsgID"],),
                )
                return row is not None and row[0] == "done"

            await wait_until(suppressed_event, 30.0, "mox b's suppressed event")
        finally:
            await server.close()
