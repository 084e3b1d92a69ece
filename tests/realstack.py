"""moxhooks running in the test against a real mox: the app on a real port, registered in
mox with `moxhooks setup`, so mox itself posts its webhooks to it."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
from aiohttp.test_utils import TestServer
from conftest import reconciled_once
from fakedns import Domain, FakeDNS
from realmox import ADMIN_PASSWORD, LOGIN, PASSWORD, RealMox

from moxhooks.cli.serve import setup
from moxhooks.config import Config, config_from_dict
from moxhooks.mox.client import MoxClient
from moxhooks.runtime.web import WebRuntime
from moxhooks.web.app import create_app
from moxhooks.web.keys import RUNTIME_KEY

SECRET = "real-mox-webhook-secret"
API_TOKEN = "real-mox-api-token"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def real_config(mox: RealMox, db: Path, port: int, dns_port: int, **sections: Any) -> Config:
    """A config for moxhooks against this mox, quick to retry; keyword sections override."""
    data: dict[str, Any] = {
        "server": {"host": "127.0.0.1", "port": port, "public_url": f"http://127.0.0.1:{port}"},
        "database": {"path": str(db)},
        "mox": {"url": mox.url, "admin_password": ADMIN_PASSWORD, "timeout": 5.0},
        "sync": {"retry_min": 0.1, "retry_max": 1.0, "reconcile_interval": 3600.0},
        "resolve": {"retry_min": 0.2, "retry_max": 1.0},
        "dns": {"nameservers": ["127.0.0.1"], "port": dns_port, "timeout": 0.5},
        "accounts": [
            {
                "name": "mox",
                "login": LOGIN,
                "password": PASSWORD,
                "webhook_secret": SECRET,
                "api_token": API_TOKEN,
            }
        ],
    }
    for k, v in sections.items():
        data[k] = {**data[k], **v} if isinstance(v, dict) and isinstance(data.get(k), dict) else v
    return config_from_dict(data)


@dataclass
class Stack:
    """moxhooks serving on a real port, its runtime, and the real mox it works with."""

    mox: RealMox
    config: Config
    server: TestServer
    runtime: WebRuntime

    @property
    def url(self) -> str:
        return str(self.server.make_url("/")).rstrip("/")

    async def event(self, queue_msg_id: int, event: str) -> dict[str, Any] | None:
        row = await self.runtime.store.db.fetchone(
            "SELECT * FROM events WHERE account = 'mox' AND queue_msg_id = ? AND event = ?"
            " ORDER BY id DESC",
            (queue_msg_id, event),
        )
        return dict(row) if row else None

    async def processed(
        self, queue_msg_id: int, event: str, timeout: float = 20.0
    ) -> dict[str, Any]:
        """The stored event, once mox has posted it and moxhooks has processed it."""
        found: dict[str, Any] = {}

        async def done() -> bool:
            row = await self.event(queue_msg_id, event)
            if row is not None and row["status"] == "done":
                found.update(row)
                return True
            return False

        await wait_until(done, timeout, f"{event} event for queue message {queue_msg_id}")
        return found

    async def until_in_mox(self, base: str, present: bool = True, timeout: float = 10) -> None:
        """Wait until mox's own list has (or, present=False, lacks) this base address."""

        async def check() -> bool:
            return (base in self.mox.suppression_bases()) == present

        await wait_until(check, timeout, f"{base} {'in' if present else 'gone from'} mox")

    async def active_bases(self) -> dict[str, dict[str, Any]]:
        """moxhooks' active account-wide entries: base address -> entry."""
        entries = await self.runtime.store.suppressions.synced_active("mox")
        return {e.base_address: msgspec.to_builtins(e) for e in entries}


async def wait_until(
    check: Callable[[], Awaitable[bool]], timeout: float, what: str
) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def running_stack(
    mox: RealMox, directory: Path, *, register: bool = True, **sections: Any
) -> AsyncIterator[Stack]:
    """moxhooks against mox; with register, `moxhooks setup` points mox's webhook at it."""
    # Recipients' domains exist (so domain_unknown needs mox's or DNS's word for it).
    zone = {d: Domain(mx=((10, f"mx.{d}"),)) for d in ("example.org", "example.com")}
    async with FakeDNS(zone) as dns_server:
        port = free_port()
        cfg = real_config(mox, directory / "moxhooks.db", port, dns_server.port, **sections)
        if register:
            assert await setup(cfg, argparse.Namespace()) == 0
        client = MoxClient(cfg.default_mox.url, timeout=cfg.default_mox.timeout)
        # As `moxhooks serve` runs: the worker in a process of its own (it asks the fake
        # DNS server of the configuration), the web process answering webhooks and the API.
        app = create_app(cfg, mox=client)
        server = TestServer(app, host="127.0.0.1", port=port)
        await server.start_server()
        try:
            rt = app[RUNTIME_KEY]
            await reconciled_once(rt)
            yield Stack(mox, cfg, server, rt)
        finally:
            await server.close()
            await client.close()

