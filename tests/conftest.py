"""Shared fixtures: a fake mox and a fake DNS server on real ports, moxhooks on a real port."""

from __future__ import annotations

import asyncio
import secrets
import sys
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from hypothesis import HealthCheck, settings

sys.path.insert(0, str(Path(__file__).parent))

from fakedns import Behaviour, Domain, FakeDNS
from fakemox import FakeMox
from moxsender import MoxSender
from openapi_check import Checked, check_response
from pgserver import PG_BIN_ENV, PG_URL_ENV, pg_bindir, postgresql_database, postgresql_source
from realmox import MOX_BIN_ENV, RealMox, mox_bin

from moxhooks.config import Config, config_from_dict
from moxhooks.jobs.holds import HoldSettings
from moxhooks.mail.dnscheck import DomainChecker
from moxhooks.mox.client import MoxClient
from moxhooks.runtime.supervisor import StartWorker, WorkerProcess, WorkerTask, in_process
from moxhooks.runtime.web import WebRuntime
from moxhooks.runtime.worker import WorkerRuntime
from moxhooks.web.app import create_app
from moxhooks.web.keys import RUNTIME_KEY

if TYPE_CHECKING:
    from playwright.sync_api import Browser

# Property tests check behaviour, not speed: on a busy 2-core machine a deadline only
# makes them flaky (the benchmarks in bench/ measure speed).
settings.register_profile(
    "moxhooks", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("moxhooks")

# The real-mox suite (tests/test_realmox_*.py) runs when MOX_BIN names a mox binary; CI
# always sets it. Without it those modules are not collected, and the run says so once.
# The same for the PostgreSQL suite (tests/test_pg_*.py): it runs when PostgreSQL is
# installed (CI installs Debian's) or MOXHOOKS_PG_BIN / MOXHOOKS_PG_URL point at one.
# With only a server URL, the tests that stop and start a cluster of their own are left out.
collect_ignore_glob: list[str] = []
if mox_bin() is None:
    collect_ignore_glob.append("test_realmox_*.py")
# The real mox servers on PostgreSQL (test_realmox_pg_*.py) need both, and a cluster of
# their own to restart.
if postgresql_source() is None:
    collect_ignore_glob += ["test_pg_*.py", "test_realmox_pg_*.py"]
elif pg_bindir() is None:
    collect_ignore_glob += ["test_pg_cluster*.py", "test_realmox_pg_*.py"]


def _postgresql_left_out() -> str | None:
    """What of the PostgreSQL suite is not run and why, in one line; None when all runs."""
    if postgresql_source() is None:
        return (f"PostgreSQL suite (test_pg_*.py, and the PostgreSQL half of"
                f" test_store_backends.py, test_holds.py and test_multimox.py's holds) not run:"
                f" no PostgreSQL found (apt-get install postgresql,"
                f" or set {PG_BIN_ENV} to its bin directory or {PG_URL_ENV} to a server)")
    if pg_bindir() is None:
        return (f"PostgreSQL cluster tests (test_pg_cluster*.py) not run: {PG_URL_ENV} names"
                f" a server but no binaries start one of their own (set {PG_BIN_ENV})")
    return None


def pytest_report_header(config: pytest.Config) -> list[str]:
    binary = mox_bin()
    if binary is None:
        lines = [f"real-mox suite: not run, {MOX_BIN_ENV} is unset (set it to a mox binary)"]
    else:
        lines = [f"real-mox suite: {binary}"]
    lines.append(f"PostgreSQL suite: {postgresql_source() or 'not run, no PostgreSQL found'}")
    return lines


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if mox_bin() is None:
        terminalreporter.write_line(
            f"real-mox suite not run: {MOX_BIN_ENV} is unset (e.g. MOX_BIN=../shared/mox/mox)"
        )
    left_out = _postgresql_left_out()
    if left_out is not None:
        terminalreporter.write_line(left_out)


@pytest.fixture(params=["sqlite"] + (["postgresql"] if postgresql_source() is not None else []))
def database(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """The test's [database] table, the test run once for each engine: {} (the SQLite file
    of make_config, or the test's own), then a PostgreSQL database of the test's own
    (where the tests have a PostgreSQL, as for test_store_backends.py)."""
    if request.param == "sqlite":
        yield {}
        return
    import asyncpg

    pg_url: str = request.getfixturevalue("pg_url")
    name = "mh_test_" + secrets.token_hex(4)

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(pg_url)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        url = urllib.parse.urlsplit(pg_url)._replace(path="/" + name)
        yield {"url": urllib.parse.urlunsplit(url)}
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A postgresql:// URL of an empty database for the whole run (see tests/pgserver.py).

    A throwaway cluster on 127.0.0.1, or a database of its own on the server at
    MOXHOOKS_PG_URL; dropped at the end. Started the first time a test asks for it."""
    with postgresql_database() as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright, for one test module."""
    from browser_helpers import CHROMIUM_ARGS, require_chromium
    from playwright.sync_api import sync_playwright

    path = require_chromium()
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="module")
def realmox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealMox]:
    """A real `mox localserve` for one test module, on a loopback address of its own."""
    binary = mox_bin()
    assert binary is not None, "collected without MOX_BIN"
    mox = RealMox(binary, tmp_path_factory.mktemp("mox"))
    mox.start()
    try:
        yield mox
    finally:
        mox.stop()

SECRET = "s3cret-for-tests"

# The zone the fake DNS server answers from.
ZONE: dict[str, Domain | Behaviour] = {
    "example.org": Domain(mx=((10, "mx.example.org"),)),
    "example.com": Domain(mx=((10, "mx.example.com"),)),
    "gmail.com": Domain(mx=((5, "gmail-smtp-in.l.google.com"),)),
    "nxdomain.example": Behaviour.NXDOMAIN,
    "nullmx.example": Domain(mx=((0, "."),)),
}


class Clock:
    """Real time, plus whatever the test moved it forward by."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> None:
        self.offset += delta


@pytest.fixture
def openapi_checked() -> Checked:
    """The answers checked against the OpenAPI document in this test."""
    return Checked()


@pytest.fixture(autouse=True)
def openapi_responses(
    request: pytest.FixtureRequest, openapi_checked: Checked, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In modules marked openapi_responses, each JSON answer any aiohttp client of the test
    receives (the test client, MoxSender, a plain ClientSession to a served moxhooks) is
    validated against the OpenAPI document (tests/openapi_check.py). Answers of routes the
    document does not describe (fake mox's, the pages) are let through."""
    if request.node.get_closest_marker("openapi_responses") is None:
        return
    send = aiohttp.ClientSession._request

    async def checked_request(
        self: aiohttp.ClientSession, method: str, url: Any, **kw: Any
    ) -> aiohttp.ClientResponse:
        resp = await send(self, method, url, **kw)
        await check_response(resp, openapi_checked)
        return resp

    monkeypatch.setattr(aiohttp.ClientSession, "_request", checked_request)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def fakemox() -> AsyncIterator[FakeMox]:
    async with FakeMox() as fm:
        yield fm


@pytest.fixture
async def fakedns() -> AsyncIterator[FakeDNS]:
    async with FakeDNS(ZONE) as fd:
        yield fd


@pytest.fixture
def make_config(
    tmp_path: Path, fakemox: FakeMox, fakedns: FakeDNS
) -> Callable[..., Config]:
    """A config for the fakes, with quick retries; keyword sections override."""

    def make(**sections: Any) -> Config:
        data: dict[str, Any] = {
            "database": {"path": str(tmp_path / "moxhooks.db")},
            "mox": {"url": fakemox.url, "timeout": 2.0},
            "sync": {"retry_min": 0.05, "retry_max": 0.2, "reconcile_interval": 3600.0},
            "resolve": {"retry_min": 0.05, "retry_max": 0.2},
            "dns": {"nameservers": ["127.0.0.1"], "port": fakedns.port, "timeout": 0.5},
            "accounts": [
                {
                    "name": "mox",
                    "login": "mox@localhost",
                    "password": "moxmoxmox",
                    "webhook_secret": SECRET,
                    "api_token": "api-token-for-tests",
                }
            ],
        }
        for k, v in sections.items():
            if isinstance(v, dict) and isinstance(data.get(k), dict):
                data[k] = {**data[k], **v}
            else:
                data[k] = v
        return config_from_dict(data)

    return make


@dataclass
class Moxhooks:
    """A running moxhooks with its fakes, for end-to-end tests."""

    server: TestServer
    runtime: WebRuntime
    sender: MoxSender
    fakemox: FakeMox
    clock: Clock

    @property
    def url(self) -> str:
        return str(self.server.make_url("/"))

    def hook_url(self, account: str = "mox") -> str:
        return str(self.server.make_url(f"/hooks/outgoing/{account}"))


async def wait_for(
    check: Callable[[], Awaitable[bool]], timeout: float = 5.0, what: str = "condition"
) -> None:
    """Poll check until it is true; fail the test after timeout seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def worker_mode(
    request: pytest.FixtureRequest, dns: DomainChecker | None, clock: Clock,
    holds: HoldSettings | None = None,
) -> StartWorker:
    """How the test's worker runs: in a process of its own, as under `moxhooks serve`, in
    a module marked `worker_process`; else (and for a test marked `one_process`, which
    moves the test clock) the same worker as a task of the test's event loop, with the
    test's clock, DNS checker and hold settings."""
    if (request.node.get_closest_marker("worker_process") is not None
            and request.node.get_closest_marker("one_process") is None):  # fmt: skip
        return WorkerProcess
    return in_process(dns=dns, clock=clock, holds=holds)


def worker_runtime(rt: WebRuntime) -> WorkerRuntime:
    """The runtime of a worker that runs in the test's process (in_process)."""
    assert isinstance(rt.worker, WorkerTask), "the worker runs in a process of its own"
    assert rt.worker.runtime is not None, "the worker is not running"
    return rt.worker.runtime


async def reconciled_once(rt: WebRuntime, timeout: float = 30.0) -> None:
    """Until the worker's first reconcile pass with mox has finished for every account,
    done or failed (it starts with one; a test that adds to mox before it would race
    with it)."""
    deadline = asyncio.get_running_loop().time() + timeout
    names = {a.name for a in rt.config.accounts}
    while True:
        states = await rt.store.outbox.sync_states()
        if all((s := states.get(n)) is not None and (s.last_reconcile or s.last_error)
               for n in names):  # fmt: skip
            return
        assert asyncio.get_running_loop().time() < deadline, "the worker never reconciled"
        await asyncio.sleep(0.05)


async def moved(rt: WebRuntime, timeout: float = 5.0) -> None:
    """Wait until the processor has moved every acknowledged webhook from intake into events."""

    async def empty() -> bool:
        return await rt.store.events.intake_backlog() == 0

    await wait_for(empty, timeout, what="intake moved into events")


@pytest.fixture
async def start_moxhooks(
    make_config: Callable[..., Config], fakemox: FakeMox, fakedns: FakeDNS, clock: Clock,
    request: pytest.FixtureRequest,
) -> AsyncIterator[Callable[..., Awaitable[Moxhooks]]]:
    """Start moxhooks on a real port against the fakes; stopped at the end of the test.

    In a module marked `worker_process` the worker runs in a process of its own, as under
    `moxhooks serve` (it then uses the real clock); a test there that moves the test clock
    is marked `one_process` (worker_mode)."""
    started: list[tuple[TestServer, MoxSender, MoxClient]] = []

    async def start(config: Config | None = None, **sections: Any) -> Moxhooks:
        cfg = config or make_config(**sections)
        client = MoxClient(cfg.default_mox.url, timeout=cfg.default_mox.timeout)
        dns = DomainChecker(
            nameservers=cfg.dns.nameservers, port=cfg.dns.port, timeout=cfg.dns.timeout
        )
        app = create_app(cfg, mox=client, clock=clock, worker=worker_mode(request, dns, clock))
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        sender = MoxSender(
            str(server.make_url("/hooks/outgoing/mox")), authorization=f"Bearer {SECRET}"
        )
        started.append((server, sender, client))
        rt = app[RUNTIME_KEY]
        # The reconcile pass at start would race with what a test puts into the fake.
        await reconciled_once(rt)
        return Moxhooks(server, rt, sender, fakemox, clock)

    yield start
    for server, sender, client in started:
        await sender.close()
        await server.close()
        await client.close()
