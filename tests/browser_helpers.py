"""A live moxhooks for browser tests: the fake mox, the fake DNS and the real app on real
ports of 127.0.0.1, served by an event loop in a thread of its own.

Playwright's sync API runs its own loop in the test's thread, so everything
asynchronous here runs on the server thread; tests reach it through call() and
run(), which keep the fakes' state on one thread.
"""

from __future__ import annotations

import asyncio
import shutil
import threading
import time
from collections.abc import Callable, Coroutine
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from aiohttp import web
from fakedns import Domain, FakeDNS
from fakemox import FakeMox
from moxsender import MoxSender, outgoing_event

from moxhooks.config import config_from_dict
from moxhooks.mail.dnscheck import DomainChecker
from moxhooks.mox.client import MoxClient
from moxhooks.runtime.supervisor import in_process
from moxhooks.runtime.web import WebRuntime
from moxhooks.store import iso
from moxhooks.web.app import create_app
from moxhooks.web.keys import RUNTIME_KEY

T = TypeVar("T")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
SECRET = "browser-test-webhook-secret"
ZONE_DOMAINS = ("example.org", "example.com", "example.net")


def require_chromium() -> str:
    """The Chromium binary; fails (never skips) the test when it or Playwright is missing."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.fail(
            "Playwright for Python is not installed: pip install playwright "
            "(the browser comes from Debian: apt-get install chromium)",
            pytrace=False,
        )
    path = shutil.which(CHROMIUM)
    if path is None:
        pytest.fail(
            f"{CHROMIUM} not found: the browser tests need Debian's Chromium "
            "(apt-get install -y chromium); `playwright install` cannot download browsers here",
            pytrace=False,
        )
    return path


class LiveMoxhooks:
    """moxhooks and its fakes running on a background event loop."""

    def __init__(
        self,
        tmp_path: Path,
        config: dict[str, Any] | None = None,
        *,
        mox_names: tuple[str, ...] = (),
    ) -> None:
        """config: top-level sections that replace the defaults below (e.g. accounts, imap);
        mox_names: several mox servers ([[mox]] tables), a fake mox each, self.mox the
        first's; by default one server (a [mox] table)."""
        self.tmp_path = tmp_path
        self.overrides = config or {}
        self.mox_names = mox_names
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.mox: FakeMox
        self.moxes: dict[str, FakeMox] = {}
        self.runtime: WebRuntime
        self.url = ""
        self._cleanup: list[Callable[[], Coroutine[Any, Any, None]]] = []
        try:
            self.run(self._start())
        except BaseException:
            self.close()
            raise

    async def _start(self) -> None:
        dns = FakeDNS({d: Domain(mx=((10, "mx." + d),)) for d in ZONE_DOMAINS})
        await dns.start()

        async def stop_dns() -> None:
            dns.close()

        self._cleanup.append(stop_dns)
        for name in self.mox_names or ("default",):
            fake = FakeMox()
            await fake.start()
            self._cleanup.append(fake.stop)
            self.moxes[name] = fake
        self.mox = next(iter(self.moxes.values()))
        servers = [{"name": n, "url": m.url, "timeout": 2.0} for n, m in self.moxes.items()]
        config = config_from_dict(
            {
                "server": {"host": "127.0.0.1"},
                "database": {"path": str(self.tmp_path / "moxhooks.db")},
                "mox": servers if self.mox_names else {"url": self.mox.url, "timeout": 2.0},
                "sync": {"retry_min": 0.05, "retry_max": 0.5, "reconcile_interval": 3600.0},
                "resolve": {"retry_min": 0.05, "retry_max": 0.2},
                "dns": {"nameservers": ["127.0.0.1"], "port": dns.port, "timeout": 0.5},
                "accounts": [
                    {
                        "name": "mox",
                        "login": "mox@localhost",
                        "password": "moxmoxmox",
                        "webhook_secret": SECRET,
                    }
                ],
                **self.overrides,
            }
        )
        client = MoxClient(config.default_mox.url, timeout=config.default_mox.timeout)
        self._cleanup.append(client.close)
        checker = DomainChecker(nameservers=["127.0.0.1"], port=dns.port, timeout=0.5)
        app = create_app(config, mox=client, worker=in_process(dns=checker))
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        self._cleanup.append(runner.cleanup)
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/"
        self.runtime = app[RUNTIME_KEY]

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 20) -> T:
        """Run coro on the server's loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def call(self, fn: Callable[[], T]) -> T:
        """Run fn on the server's loop (the fakes are not thread-safe)."""

        async def go() -> T:
            return fn()

        return self.run(go())

    def wait_for(self, check: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
        """Poll check (on the server's loop) until it is true; fail after timeout seconds."""
        deadline = time.monotonic() + timeout
        while not self.call(check):
            if time.monotonic() > deadline:
                pytest.fail(f"timed out after {timeout}s waiting for {what}")
            time.sleep(0.05)

    def forget_sessions(self) -> None:
        """End every web session on the server's side."""

        async def go() -> None:
            async with self.runtime.store.db.transaction() as conn:
                await conn.execute("DELETE FROM sessions")

        self.run(go())

    def mox_bases(self) -> set[str]:
        """The base addresses on the fake mox's suppression list of account mox."""
        return self.call(lambda: {s["BaseAddress"] for s in self.mox.suppressions("mox")})

    def send_events(self, events: list[tuple[str, str, int, str]]) -> None:
        """Deliver webhooks like mox: (event, recipient, SMTP code, enhanced code) each,
        with the message in the fake's retired list so the recipient is found."""

        async def go() -> None:
            async with MoxSender(
                self.url + "hooks/outgoing/mox", authorization=f"Bearer {SECRET}"
            ) as sender:
                for event, rcpt, code, secode in events:
                    ok = event == "delivered"
                    msg = self.mox.add_retired(
                        recipient=rcpt,
                        code=code,
                        secode=secode,
                        success=ok,
                        error="" if ok else f"{code} {secode} no such user",
                    )
                    payload = outgoing_event(
                        event,
                        queue_msg_id=msg["ID"],
                        code=0 if ok else code,
                        secode="" if ok else secode,
                    )
                    attempts = await sender.deliver(payload)
                    assert attempts[-1].ok, attempts

        self.run(go(), timeout=60)

    def move_events_back(self, days_ago: list[int]) -> None:
        """Make the account's events (oldest first) look received that many days ago each."""

        async def go() -> None:
            db = self.runtime.store.db
            rows = await db.fetchall("SELECT id FROM events WHERE account = 'mox' ORDER BY id")
            assert len(rows) == len(days_ago), (len(rows), len(days_ago))
            now = db.clock()
            async with db.transaction() as conn:
                for row, n in zip(rows, days_ago, strict=True):
                    await conn.execute(
                        "UPDATE events SET received = ? WHERE id = ?",
                        (iso(now - timedelta(days=n)), row[0]),
                    )

        self.run(go())

    def close(self) -> None:
        async def stop() -> None:
            for fn in reversed(self._cleanup):
                await fn()

        try:
            if self._cleanup:
                self.run(stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()
