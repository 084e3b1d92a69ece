"""Two real mox servers and two `moxhooks serve` nodes on one PostgreSQL (issue 18).

Two `mox localserve` instances (a and b, each on a loopback address of its own) have the
account "mox", shared in moxhooks (accounts[].mox = ["a", "b"]). Node N1 takes mox a's
webhooks, node N2 mox b's: `moxhooks setup` registers N1's URL in both servers, then
mox b's webhook is pointed at N2 through mox's account API, with the same secret.

mox retries a webhook that did not get a 200 after 1 minute, then 2, 4...: where a
test makes mox fail webhooks on purpose, it then asks mox (admin API HookNextAttemptSet,
as an operator would) to retry now, so that the module runs in about a minute. What mox
reports of its webhooks (HookList, HookRetiredList: every attempt's answer) is the
reference the database is held to: every webhook mox got a 200 for is one event in
PostgreSQL, processed once.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from conftest import wait_for
from fakedns import Domain, FakeDNS
from pgserver import PgCluster, pg_bindir
from realmox import ADMIN_PASSWORD, LOGIN, PASSWORD, RealMox, Sherpa, account, admin
from served import children, free_port, serve, wait_ready
from test_realmox_multimox import two_moxes  # noqa: F401  (the fixture, shared)

from moxhooks.cli.serve import setup
from moxhooks.config import config_from_dict

LEASE = 3.0
# mox keeps the webhooks it retired (delivered or given up) for a day, so the test can
# read every attempt's answer (off by default in localserve).
KEEP_WEBHOOKS_NS = 24 * 3600 * 10**9
KEEP_MESSAGES_NS = 7 * 24 * 3600 * 10**9


@pytest.fixture
def cluster() -> Iterator[PgCluster]:
    bindir = pg_bindir()
    assert bindir is not None, "collected without PostgreSQL binaries"
    with PgCluster(bindir) as c:
        yield c


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return str(value)


def _config_data(
    a: RealMox, b: RealMox, db_url: str, home: Path, port: int, dns_port: int
) -> dict[str, Any]:
    server = {"url": "", "admin_password": ADMIN_PASSWORD, "timeout": 5.0}
    return {
        "server": {"host": "127.0.0.1", "port": port, "public_url": f"http://127.0.0.1:{port}"},
        "database": {"path": str(home / "moxhooks.db"), "url": db_url, "lease": LEASE},
        "sync": {"retry_min": 0.1, "retry_max": 1.0, "reconcile_interval": 3600.0},
        "resolve": {"retry_min": 0.2, "retry_max": 1.0},
        "dns": {"nameservers": ["127.0.0.1"], "port": dns_port, "timeout": 0.5},
        "mox": [{**server, "name": "a", "url": a.url}, {**server, "name": "b", "url": b.url}],
        "accounts": [{"name": "mox", "login": LOGIN, "password": PASSWORD, "mox": ["a", "b"]}],
    }


def _write_toml(data: dict[str, Any], path: Path) -> Path:
    """The configuration as `moxhooks serve` reads it: tables, then arrays of tables."""
    lines = ['log_level = "info"']
    for name, keys in data.items():
        rows = keys if isinstance(keys, list) else [keys]
        for row in rows:
            lines.append(f"[[{name}]]" if isinstance(keys, list) else f"[{name}]")
            lines += [f"{k} = {_toml(v)}" for k, v in row.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


@dataclass
class Node:
    name: str
    home: Path
    port: int
    config: Path
    proc: asyncio.subprocess.Process | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def kill(self) -> None:
        """SIGKILL to the web process and its event worker, as a lost host."""
        assert self.proc is not None
        for pid in children(self.proc.pid):
            os.kill(pid, signal.SIGKILL)
        os.kill(self.proc.pid, signal.SIGKILL)


@dataclass
class Stack:
    a: RealMox
    b: RealMox
    url: str
    nodes: list[Node]
    exits: contextlib.AsyncExitStack

    async def start(self, node: Node) -> None:
        node.proc = await self.exits.enter_async_context(serve(node.config, node.home / "log"))
        await wait_ready(node.base, node.proc, node.home / "log")


@contextlib.asynccontextmanager
async def stack(
    moxes: tuple[RealMox, RealMox], db_url: str, tmp_path: Path
) -> AsyncIterator[Stack]:
    a, b = moxes
    zone = {"example.org": Domain(mx=((10, "mx.example.org"),))}
    async with FakeDNS(zone) as dns, contextlib.AsyncExitStack() as exits:
        nodes: list[Node] = []
        datas: list[dict[str, Any]] = []
        for name in ("n1", "n2"):
            home = tmp_path / name
            home.mkdir()
            port = free_port()
            data = _config_data(a, b, db_url, home, port, dns.port)
            datas.append(data)
            nodes.append(Node(name, home, port, _write_toml(data, home / "moxhooks.toml")))
        # Registers N1's URLs (and the secrets, in PostgreSQL) in both servers.
        assert await setup(config_from_dict(datas[0]), argparse.Namespace()) == 0
        # Account answers [account, storage used, storage limit, suppressions].
        hook_b = account(b).call("Account")[0]["OutgoingWebhook"]
        assert hook_b["URL"].startswith(nodes[0].base)
        to_n2 = nodes[1].base + hook_b["URL"].removeprefix(nodes[0].base)
        account(b).call("OutgoingWebhookSave", to_n2, hook_b["Authorization"], [])
        for m in moxes:
            account(m).call("KeepRetiredPeriodsSave", KEEP_MESSAGES_NS, KEEP_WEBHOOKS_NS)
        s = Stack(a, b, db_url, nodes, exits)
        for node in nodes:
            await s.start(node)
        yield s


# One admin session per server for the whole test: mox answers 429 to an address that
# signs in too often, which polling with a fresh sign-in each time did.
_admins: dict[str, Sherpa] = {}


def admin_of(m: RealMox) -> Sherpa:
    if m.url not in _admins:
        _admins[m.url] = admin(m)
    return _admins[m.url]


def hooks(m: RealMox) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """mox's webhooks of the account: (still queued, retired), each with its attempts."""
    api = admin_of(m)
    queued = api.call(
        "HookList",
        {"Max": 1000, "IDs": [], "Account": "", "Submitted": "", "NextAttempt": "", "Event": ""},
        {"Field": "NextAttempt", "LastID": 0, "Last": None, "Asc": True},
    )
    retired = api.call(
        "HookRetiredList",
        {"Max": 1000, "IDs": [], "Account": "", "Submitted": "", "LastActivity": "",
         "Event": ""},
        {"Field": "LastActivity", "LastID": 0, "Last": None, "Asc": True},
    )  # fmt: skip
    return list(queued or []), list(retired or [])


def retry_now(m: RealMox) -> int:
    """Ask mox to retry its queued webhooks now instead of after its backoff."""
    return int(admin_of(m).call(
        "HookNextAttemptSet",
        {"Max": 0, "IDs": [], "Account": "", "Submitted": "", "NextAttempt": "", "Event": ""},
        0,
    ))  # fmt: skip


async def event_rows(url: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url)
    try:
        return list(await conn.fetch(
            "SELECT mox, webhook_id, event, status, tries, recipient FROM events"
            " ORDER BY mox, webhook_id"
        ))  # fmt: skip
    finally:
        await conn.close()


async def fetch_value(url: str, sql: str) -> Any:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


async def count_events(url: str) -> int:
    """Events kept so far; 0 while the server is away."""
    try:
        return int(await fetch_value(url, "SELECT count(*) FROM events"))
    except (OSError, asyncpg.PostgresError):
        return 0


def burst(s: Stack, per_mox: int, tag: str) -> set[str]:
    """per_mox sends through each server, every fifth to a recipient that fails 550;
    the failing addresses."""
    failing: set[str] = set()
    for i in range(per_mox):
        for name, m in (("a", s.a), ("b", s.b)):
            if i % 5 == 0:
                to = f"{tag}{name}{i}x550@example.org"
                failing.add(to)
            else:
                to = f"{tag}{name}{i}ok@example.org"
            m.send(to, subject=f"{tag} {i}")
    return failing


@dataclass
class Outcome:
    events: int
    answers: Counter[int]
    tries: Counter[int]


async def settled(s: Stack, expected_events: int, timeout: float = 60.0) -> Outcome:
    """Once both servers have no webhook queued and every event is done: every webhook
    mox retired, each with a 200 as its last answer, is exactly one event in PostgreSQL,
    done; nothing else is there. The answers mox got, by status code (0: no answer)."""
    view: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {}

    async def quiet() -> bool:
        await asyncio.sleep(0.3)  # mox's pace is about a webhook a second
        for key, m in (("", s.a), ("b", s.b)):
            view[key] = await asyncio.to_thread(hooks, m)
            if view[key][0]:
                # What is still queued failed (node or server away): retry it now.
                await asyncio.to_thread(retry_now, m)
                return False
        retired = sum(len(r) for _, r in view.values())
        done = await fetch_value(s.url, "SELECT count(*) FROM events WHERE status = 'done'")
        return retired == expected_events and done == expected_events

    await wait_for(quiet, timeout, what="mox's webhooks all delivered and processed")
    answers: Counter[int] = Counter()
    acked: list[tuple[str, int]] = []
    for key, (_, retired) in view.items():
        for h in retired:
            assert h["Success"], h
            results = h["Results"]
            assert results[-1]["Code"] == 200, h
            answers.update(int(r["Code"]) for r in results)
            acked.append((key, int(h["ID"])))
    rows = await event_rows(s.url)
    kept = [(r["mox"], int(r["webhook_id"])) for r in rows]
    lost = sorted(set(acked) - set(kept))
    extra = sorted(set(kept) - set(acked))
    assert (lost, extra) == ([], []), (lost, extra)
    assert sorted(kept) == sorted(acked), "an event kept twice"
    assert {r["status"] for r in rows} == {"done"}
    processed = await fetch_value(s.url, "SELECT sum(n) FROM processed_counts")
    assert processed == len(rows), f"processed {processed} times for {len(rows)} events"
    return Outcome(len(rows), answers, Counter(int(r["tries"]) for r in rows))


async def test_a_hard_bounce_through_mox_a_is_listed_in_mox_b_within_seconds(
    two_moxes: tuple[RealMox, RealMox], cluster: PgCluster, tmp_path: Path  # noqa: F811
) -> None:
    async with stack(two_moxes, cluster.url(), tmp_path) as s:
        address = "hard550@example.org"
        assert address not in s.b.suppression_bases()
        s.a.send(address, subject="through a")
        event_at: float | None = None
        listed_at: float | None = None
        deadline = time.monotonic() + 30.0
        while listed_at is None and time.monotonic() < deadline:
            if event_at is None and await count_events(s.url):
                event_at = time.monotonic()
            if event_at is not None and address in await asyncio.to_thread(
                s.b.suppression_bases
            ):
                listed_at = time.monotonic()
            await asyncio.sleep(0.05)
        assert event_at is not None and listed_at is not None, "not listed in b within 30 s"
        print(f"a->b: listed in mox b {listed_at - event_at:.2f} s after mox a's webhook")
        assert address in s.a.suppression_bases()
        await settled(s, 1)
        rows = await event_rows(s.url)
        assert [(r["mox"], r["event"], r["recipient"]) for r in rows] == [
            ("", "failed", address)
        ]


async def test_kill_9_of_node_n1_mid_burst_loses_nothing(
    two_moxes: tuple[RealMox, RealMox], cluster: PgCluster, tmp_path: Path  # noqa: F811
) -> None:
    """50 sends through both servers; N1 (mox a's node) is killed with SIGKILL once a
    few events are kept. mox a's webhooks then fail until N1 is started again, once
    mox a has met it (3 s at least); each webhook mox got a 200 for is processed once, none lost, though the one
    N1 may have kept without answering comes again."""
    async with stack(two_moxes, cluster.url(), tmp_path) as s:
        n1 = s.nodes[0]
        per_mox = 25
        sending = asyncio.create_task(asyncio.to_thread(burst, s, per_mox, "k"))

        async def some_kept() -> bool:
            return await count_events(s.url) >= 6

        await wait_for(some_kept, 30.0, what="the burst's first events")
        n1.kill()
        killed_at = time.monotonic()
        killed_with = await count_events(s.url)

        async def refused() -> bool:
            await asyncio.sleep(0.2)
            # Down until mox a has a webhook that got no 200 (3 s at least).
            if time.monotonic() - killed_at < 3.0:
                return False
            queued, _ = await asyncio.to_thread(hooks, s.a)
            return any(h["Attempts"] > 0 for h in queued)

        await wait_for(refused, 30.0, what="a webhook of mox a refused while N1 is down")
        down = time.monotonic() - killed_at
        failing = await sending
        sent = time.monotonic() - killed_at
        assert n1.proc is not None
        await n1.proc.wait()
        await s.start(n1)
        back = time.monotonic()
        outcome = await settled(s, 2 * per_mox)
        print(f"kill -9: sends done {sent:.1f} s after the kill, settled"
              f" {time.monotonic() - back:.1f} s after N1's restart")
        print(f"kill -9: {outcome.events} events ({killed_with} kept at the kill), N1 down"
              f" {down:.1f} s, mox's answers {dict(outcome.answers)}, tries {dict(outcome.tries)}")
        assert outcome.answers[200] == 2 * per_mox
        assert sum(outcome.answers.values()) > 2 * per_mox, "no webhook met the kill"
        both = s.a.suppression_bases().keys() & s.b.suppression_bases().keys()
        assert failing <= both


async def test_a_postgresql_restart_mid_burst_loses_nothing(
    two_moxes: tuple[RealMox, RealMox], cluster: PgCluster, tmp_path: Path  # noqa: F811
) -> None:
    """50 sends through both servers; PostgreSQL is stopped as in a crash once a few
    events are kept, and started once mox has met it (1 s at least). Nodes answer 503 meanwhile, mox retries,
    and each event is processed once."""
    async with stack(two_moxes, cluster.url(), tmp_path) as s:
        per_mox = 25
        sending = asyncio.create_task(asyncio.to_thread(burst, s, per_mox, "r"))

        async def some_kept() -> bool:
            return await count_events(s.url) >= 6

        await wait_for(some_kept, 30.0, what="the burst's first events")
        await asyncio.to_thread(cluster.stop, "immediate")
        stopped = time.monotonic()

        async def refused() -> bool:
            await asyncio.sleep(0.2)
            # Down until mox has a webhook that got no 200 (at least 1 s, at most 20).
            if time.monotonic() - stopped < 1.0:
                return False
            for m in (s.a, s.b):
                queued, _ = await asyncio.to_thread(hooks, m)
                if any(h["Attempts"] > 0 for h in queued):
                    return True
            return False

        await wait_for(refused, 20.0, what="a webhook refused while PostgreSQL is down")
        down = time.monotonic() - stopped
        await asyncio.to_thread(cluster.start)
        failing = await sending
        outcome = await settled(s, 2 * per_mox)
        print(f"restart: {outcome.events} events, PostgreSQL down {down:.1f} s, mox's answers {dict(outcome.answers)},"
              f" tries {dict(outcome.tries)}")
        assert outcome.answers[200] == 2 * per_mox
        assert set(outcome.answers) <= {200, 503, 0}, outcome.answers
        assert outcome.answers[503] > 0, "no webhook met the restart"
        both = s.a.suppression_bases().keys() & s.b.suppression_bases().keys()
        assert failing <= both
