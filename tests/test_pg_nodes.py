"""Several moxhooks nodes on one PostgreSQL database (issue 18): each an app with its web
runtime and worker, as `moxhooks serve` runs one per host, all in the test's process on
one database of the test's own. Webhooks spread over the nodes are processed once each."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import secrets
import signal
import time
import urllib.parse
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import asyncpg
import pytest
from aiohttp.test_utils import TestServer
from conftest import SECRET, Moxhooks, wait_for, worker_runtime
from fakemox import FakeMox
from moxsender import MoxSender, go_marshal, outgoing_event
from served import children, free_port, serve, wait_ready, write_config

from moxhooks.config import Config
from moxhooks.jobs import processing
from moxhooks.jobs.holds import AutoHolds, HoldSettings
from moxhooks.jobs.policy import Action, Decision
from moxhooks.jobs.processing import Processed
from moxhooks.kinds import Kind
from moxhooks.mox.client import MoxClient
from moxhooks.mox.payload import parse_outgoing
from moxhooks.runtime.supervisor import WorkerTask
from moxhooks.runtime.worker import WorkerRuntime
from moxhooks.store import Store, StoredEvent, iso
from moxhooks.store.pg.locks import LOST_PAUSE, NAMESPACE, lock_key
from moxhooks.web.app import create_app
from moxhooks.web.auth import AUTH_SETTINGS_KEY, SESSION_COOKIE, AuthSettings

Start = Callable[..., Awaitable[Moxhooks]]


@pytest.fixture
async def database_url(pg_url: str) -> AsyncIterator[str]:
    """An empty database of the test's own."""
    name = "mh_nodes_" + secrets.token_hex(4)
    admin = await asyncpg.connect(pg_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield urllib.parse.urlunsplit(urllib.parse.urlsplit(pg_url)._replace(path="/" + name))
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def query_value(url: str, sql: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval(sql))
    finally:
        await conn.close()


async def worker_of(node: Moxhooks) -> WorkerRuntime:
    """The node's worker, once it runs."""

    async def opened() -> bool:
        # A second node finds the first one's reconcile done and starts without waiting.
        w = node.runtime.worker
        return isinstance(w, WorkerTask) and w.runtime is not None

    await wait_for(opened, 10.0, what="the node's worker running")
    return worker_runtime(node.runtime)


async def record_processing(node: Moxhooks, seen: list[int]) -> None:
    """Note the id of every event whose outcome the node's processor commits."""

    async def observe(p: Processed) -> None:
        seen.append(p.event.id)

    (await worker_of(node)).processor.observers.append(observe)


async def test_webhooks_over_two_nodes_are_processed_once_each(
    database_url: str, start_moxhooks: Start
) -> None:
    nodes = [await start_moxhooks(database={"url": database_url}) for _ in range(2)]
    seen: list[list[int]] = [[], []]
    for node, ids in zip(nodes, seen, strict=True):
        await record_processing(node, ids)
    total, senders = 200, 4

    async def send(k: int) -> None:
        async with MoxSender(nodes[k % 2].hook_url(), authorization=f"Bearer {SECRET}") as s:
            for hook in range(k + 1, total + 1, senders):
                ev = outgoing_event("delivered", queue_msg_id=hook)
                assert [a.status for a in await s.deliver(ev, hook_id=hook)] == [200]

    await asyncio.gather(*(send(k) for k in range(senders)))

    async def all_done() -> bool:
        return await query_value(
            database_url, "SELECT count(*) FROM events WHERE status = 'done'"
        ) == total

    await wait_for(all_done, 30.0, what="every event processed")
    await asyncio.sleep(0.5)  # a second processing, were there one, would show by now
    counts = Counter(seen[0] + seen[1])
    print(f"exactly once: node A {len(seen[0])}, node B {len(seen[1])}, "
          f"distinct {len(counts)}, twice or more {sum(1 for n in counts.values() if n > 1)}")
    assert len(counts) == total
    assert max(counts.values()) == 1
    assert seen[0] and seen[1], "one node did all the work"
    assert await query_value(database_url, "SELECT sum(n) FROM processed_counts") == total


async def test_the_sync_moves_to_another_node_when_its_lock_holder_is_lost(
    database_url: str, start_moxhooks: Start
) -> None:
    """Node A starts first and syncs; node B skips the sync. A hard bounce webhooked to B
    reaches mox through A. When A's lock connection is gone (as when A dies: the server
    ends its session), B takes the sync over and pushes the next; A, still alive, waits
    before it asks again and is then refused."""
    a = await start_moxhooks(database={"url": database_url})
    wa = await worker_of(a)

    async def a_holds() -> bool:
        return wa.sync.lock.holding

    await wait_for(a_holds, what="node A holding the sync's lock")
    b = await start_moxhooks(database={"url": database_url})
    wb = await worker_of(b)
    await asyncio.sleep(1.5)  # B asked (LOCK_RETRY) and was refused
    assert not wb.sync.lock.holding

    async def bounce(node: Moxhooks, user: str, hook: int) -> None:
        msg = node.fakemox.add_retired(recipient=f"{user}@example.org", code=550,
                                       secode="5.1.1", error="550 5.1.1 User unknown")
        ev = outgoing_event("failed", queue_msg_id=msg["ID"], code=550, secode="5.1.1",
                            error="550 5.1.1 Recipient address rejected: User unknown")
        assert [at.status for at in await node.sender.deliver(ev, hook_id=hook)] == [200]

    async def in_mox(*bases: str) -> bool:
        return {s["BaseAddress"] for s in a.fakemox.suppressions("mox")} == set(bases)

    await bounce(b, "first", 1)
    await wait_for(lambda: in_mox("first@example.org"), what="first pushed by node A")

    conn = await asyncpg.connect(database_url)
    try:
        pid = await conn.fetchval(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = $1"
            " AND objid = $2 AND objsubid = 2 AND granted",
            NAMESPACE & 0xFFFFFFFF, lock_key("sync:default") & 0xFFFFFFFF,
        )  # fmt: skip
        assert pid is not None
        lost = time.monotonic()
        assert await conn.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await conn.close()

    async def b_holds() -> bool:
        return wb.sync.lock.holding  # as B's sync loop last found it

    # A, alive, lost its lock's connection: it waits (LOST_PAUSE) before it asks again, so B,
    # asking every second, takes the lock; A then asks and is refused.
    await wait_for(b_holds, 30.0, what="node B taking the sync over")
    print(f"sync lock takeover: {time.monotonic() - lost:.2f} s")
    await asyncio.sleep(LOST_PAUSE + 0.5)
    assert not await wa.sync.lock.held()
    assert wb.sync.lock.holding
    await bounce(a, "second", 2)
    await wait_for(lambda: in_mox("first@example.org", "second@example.org"),
                   what="second pushed by node B")


async def test_a_webhook_to_one_node_wakes_the_other_nodes_worker(
    database_url: str, start_moxhooks: Start, make_config: Callable[..., Config],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Node A takes webhooks and runs no worker; node B's worker hears of each one over
    LISTEN/NOTIFY and processes it at once, not at its next look: with the look an hour away,
    each is processed all the same."""
    monkeypatch.setattr(processing, "IDLE_LOOK", 3600.0)
    b = await start_moxhooks(database={"url": database_url})
    done_at: dict[int, float] = {}

    async def observe(p: Processed) -> None:
        done_at[p.event.webhook_id] = time.monotonic()

    (await worker_of(b)).processor.observers.append(observe)
    a = TestServer(create_app(make_config(database={"url": database_url}), worker=None),
                   host="127.0.0.1")  # fmt: skip
    await a.start_server()
    delays: list[float] = []
    try:
        async with MoxSender(str(a.make_url("/hooks/outgoing/mox")),
                             authorization=f"Bearer {SECRET}") as sender:  # fmt: skip
            await asyncio.sleep(0.5)  # B's worker is listening
            for hook in range(1, 21):
                ev = outgoing_event("delivered", queue_msg_id=hook)
                assert (await sender.post(ev, hook_id=hook, attempt=1)).status == 200
                acked = time.monotonic()

                async def processed(hook: int = hook) -> bool:
                    return hook in done_at

                await wait_for(processed, 60.0, what=f"webhook {hook} processed by node B")
                delays.append(done_at[hook] - acked)
                await asyncio.sleep(0.1)  # B's worker back asleep
    finally:
        await a.close()
    delays.sort()
    print(f"wake-up: 200 at node A -> processed at node B: median {delays[10] * 1000:.0f} ms,"
          f" max {delays[-1] * 1000:.0f} ms (the processor gathers for 50 ms first)")


async def test_sign_in_on_one_node_holds_on_the_other(
    database_url: str, make_config: Callable[..., Config]
) -> None:
    """Sessions, their CSRF token and the count of failed sign-ins are rows of the
    database: a session made on node A works on node B, ends there for both, and
    failures on A throttle sign-in on B."""
    cfg = make_config(database={"url": database_url})
    servers: list[TestServer] = []
    mox = MoxClient(cfg.default_mox.url, timeout=2.0)
    for _ in range(2):
        app = create_app(cfg, mox=mox, worker=None)
        app[AUTH_SETTINGS_KEY] = AuthSettings(max_failures=3, delay_step=0.01, delay_max=0.02)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        servers.append(server)
    a, b = (str(srv.make_url("/api/v1/")) for srv in servers)
    mox_login = {"email": "mox@localhost", "password": "moxmoxmox"}
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
            async with http.post(a + "login", json=mox_login) as resp:
                assert resp.status == 200
                csrf = (await resp.json())["csrf"]
                cookie = f"{SESSION_COOKIE}={resp.cookies[SESSION_COOKIE].value}"
            signed = {"Cookie": cookie}
            async with http.get(b + "session", headers=signed) as resp:
                assert resp.status == 200
                assert (await resp.json())["csrf"] == csrf
            url = b + "accounts/mox/suppressions"
            async with http.get(url, headers={**signed, "X-CSRF-Token": "wrong"}) as resp:
                assert resp.status == 401
            async with http.get(url, headers={**signed, "X-CSRF-Token": csrf}) as resp:
                assert resp.status == 200
            async with http.post(b + "logout", headers={**signed, "X-CSRF-Token": csrf}) as resp:
                assert resp.status == 200
            async with http.get(a + "session", headers=signed) as resp:
                assert resp.status == 401

            bad = {"email": "mox@localhost", "password": "wrong"}
            for _ in range(3):
                async with http.post(a + "login", json=bad) as resp:
                    assert resp.status == 401
            async with http.post(b + "login", json=mox_login) as resp:
                assert resp.status == 429
                assert (await resp.json())["code"] == "user:throttled"
    finally:
        for srv in servers:
            await srv.close()
        await mox.close()


async def test_kill_9_of_a_node_mid_burst_its_events_are_taken_over(
    database_url: str, fakemox: FakeMox, tmp_path: Path
) -> None:
    """Two `moxhooks serve` processes on one database, with 3 s leases. Mid-burst, node
    A's worker is caught holding a claim and node A (web process and worker) is killed
    with SIGKILL; the webhooks it no longer answers go to node B, as mox's retries
    through a load balancer would. Node B takes over A's claimed events once the lease
    runs out, and every acknowledged webhook is processed, each exactly once."""
    lease = 3.0
    nodes: list[tuple[asyncio.subprocess.Process, str]] = []
    async with contextlib.AsyncExitStack() as stack:
        async def start_node(name: str) -> None:
            home = tmp_path / name
            home.mkdir()
            port = free_port()
            config = write_config(home, port, fakemox.url, SECRET,
                                  database={"url": database_url, "lease": lease})  # fmt: skip
            proc = await stack.enter_async_context(serve(config, home / "log"))
            base = f"http://127.0.0.1:{port}/"
            await wait_ready(base, proc, home / "log")
            nodes.append((proc, base))

        await start_node("a")
        a_proc = nodes[0][0]

        async def a_worker_started() -> bool:
            return bool(children(a_proc.pid))

        await wait_for(a_worker_started, 10.0, what="node A's worker")
        (a_worker,) = children(a_proc.pid)
        owner = f"%:{a_worker}:%"

        async def sync_holder() -> str | None:
            """The node whose connection holds the sync's lock, by its application_name."""
            conn = await asyncpg.connect(database_url)
            try:
                name = await conn.fetchval(
                    "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a"
                    " USING (pid) WHERE l.locktype = 'advisory' AND l.classid = $1"
                    " AND l.objid = $2 AND l.objsubid = 2 AND l.granted",
                    NAMESPACE & 0xFFFFFFFF, lock_key("sync:default") & 0xFFFFFFFF,
                )  # fmt: skip
            finally:
                await conn.close()
            if name is None:
                return None
            return "A" if f":{a_worker}:" in name else "B"

        async def a_syncs() -> bool:
            return await sync_holder() == "A"

        # Node A, alone at first, takes the sync's lock; node B then finds it held.
        await wait_for(a_syncs, 10.0, what="node A holding the sync's lock")
        await start_node("b")
        b_url = nodes[1][1]
        hooks = itertools.count(1)
        acked: set[int] = set()
        answers: Counter[int | None] = Counter()
        killed = asyncio.Event()
        stranded: list[int] = []
        killed_at = [0.0]

        async def send(k: int) -> None:
            async with aiohttp.ClientSession() as http:
                while True:
                    hook = next(hooks)
                    if (hook > 200 and killed.is_set()) or hook > 3000:
                        return
                    target = nodes[k % 2][1] if not killed.is_set() else b_url
                    body = go_marshal(outgoing_event("delivered", queue_msg_id=hook))
                    for attempt in range(1, 50):
                        headers = MoxSender("", authorization=f"Bearer {SECRET}").headers(
                            hook, attempt
                        )
                        status: int | None
                        try:
                            async with http.post(target + "hooks/outgoing/mox", data=body,
                                                 headers=headers) as resp:  # fmt: skip
                                status = resp.status
                        except aiohttp.ClientError:
                            status = None
                        answers[status] += 1
                        if status == 200:
                            acked.add(hook)
                            break
                        target = b_url  # retried, and node B answers
                        await asyncio.sleep(0.05)

        async def kill_a_holding_a_claim() -> None:
            conn = await asyncpg.connect(database_url)
            try:
                while len(acked) < 3000:
                    await asyncio.sleep(0.003)
                    if len(acked) < 50:
                        continue
                    # Frozen first, so that what it claims cannot change while we look.
                    os.kill(a_worker, signal.SIGSTOP)
                    rows = await conn.fetch(
                        "SELECT id FROM events WHERE status = 'pending'"
                        " AND lease_owner LIKE $1 AND lease_until > now()", owner,
                    )  # fmt: skip
                    if rows:
                        os.kill(a_worker, signal.SIGKILL)
                        os.kill(a_proc.pid, signal.SIGKILL)
                        killed_at[0] = time.monotonic()
                        stranded.extend(int(r[0]) for r in rows)
                        killed.set()
                        return
                    os.kill(a_worker, signal.SIGCONT)
            finally:
                await conn.close()

        await asyncio.gather(kill_a_holding_a_claim(), *(send(k) for k in range(4)))
        assert killed.is_set(), "node A's worker was never caught holding a claim"
        total = len(acked)

        async def b_syncs() -> bool:
            return await sync_holder() == "B"

        # A's sessions ended with its processes: the server released A's lock.
        await wait_for(b_syncs, 10.0, what="node B taking the sync's lock")
        lock_moved = time.monotonic() - killed_at[0]
        conn = await asyncpg.connect(database_url)
        try:
            async def stranded_done() -> bool:
                return await conn.fetchval(
                    "SELECT count(*) FROM events WHERE id = ANY($1::bigint[])"
                    " AND status = 'done'", stranded,
                ) == len(stranded)  # fmt: skip

            await wait_for(stranded_done, 30.0, what="node A's claimed events taken over")
            takeover = time.monotonic() - killed_at[0]

            async def all_done() -> bool:
                return await conn.fetchval(
                    "SELECT count(*) FROM events WHERE status = 'done'") == total

            await wait_for(all_done, 30.0, what="every acknowledged webhook processed")
            rows = await conn.fetch("SELECT webhook_id, tries, lease_owner FROM events")
            owners = Counter(
                "A" if f":{a_worker}:" in r[2] else "B" for r in rows
            )
            stranded_owners = await conn.fetch(
                "SELECT DISTINCT lease_owner FROM events WHERE id = ANY($1::bigint[])", stranded
            )
            processed = await conn.fetchval("SELECT sum(n) FROM processed_counts")
        finally:
            await conn.close()
        print(f"kill -9: {total} acknowledged ({dict(answers)} answers); node A's worker held"
              f" {len(stranded)} events when killed; taken over by node B after"
              f" {takeover:.2f} s (lease {lease:g} s); processed by A {owners['A']},"
              f" by B {owners['B']}; the sync's lock held by B {lock_moved:.2f} s after the"
              " kill")
        assert sorted(r[0] for r in rows) == sorted(acked)
        assert {r[1] for r in rows} == {1}, "an event was processed twice"
        assert processed == total
        assert all(f":{a_worker}:" not in r[0] for r in stranded_owners)


async def test_automatic_holds_count_the_failures_every_node_processed(
    database_url: str, fakemox: FakeMox, tmp_path: Path
) -> None:
    """Three recipients of one domain blocked, two of them processed by node A and one by
    node B: the domain is held once (threshold 3), by the node that saw the third, with
    one rule in mox; counted in each node's memory, neither would have held it."""
    settings = HoldSettings(threshold=3)
    opened: list[Store] = []
    mox = MoxClient(fakemox.url, timeout=2.0)
    try:
        nodes = []
        for name in ("a", "b"):
            store = await Store.open_postgresql(database_url, path=str(tmp_path / name))
            opened.append(store)
            nodes.append(AutoHolds(store, {"": mox.admin("moxadmin")}, settings))
        out = parse_outgoing(go_marshal(outgoing_event("failed", code=554,
                                                       secode="5.7.1")).encode())  # fmt: skip

        def blocked(n: int, rcpt: str) -> Processed:
            ev = StoredEvent(n, "mox", n, 1, iso(opened[0].clock()), "failed", n, "<m@x>", "{}",
                             "done", rcpt, Kind.SENDER_BLOCKED, "none", "", 1)  # fmt: skip
            decision = Decision(Action.NONE, Kind.SENDER_BLOCKED, None, "blocked", False)
            return Processed(ev, out, rcpt, Kind.SENDER_BLOCKED, decision)

        a, b = nodes
        await a.observe(blocked(1, "one@blocking.example"))
        await a.observe(blocked(2, "two@blocking.example"))
        assert await opened[0].holds.active("", "mox", "blocking.example") is None
        await b.observe(blocked(3, "three@blocking.example"))
        hold = await opened[0].holds.active("", "mox", "blocking.example")
        assert hold is not None and hold.recipients == 3
        assert [r["RecipientDomainStr"] for r in fakemox.hold_rules.values()] == [
            "blocking.example"
        ]
        # Both nodes now see the hold: a fourth failure adds no second rule.
        await a.observe(blocked(4, "four@blocking.example"))
        await b.observe(blocked(5, "five@blocking.example"))
        await a.observe(blocked(6, "six@blocking.example"))
        assert len(fakemox.hold_rules) == 1
    finally:
        for store in opened:
            await store.close()
        await mox.close()
