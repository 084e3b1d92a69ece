"""mox away: connections refused, then no answer, then 500s, then back.

Through the whole outage intake answers 200 and processes events, the outbox grows
and /healthz says 503 with mox not ok and the backlog. After recovery every pending
change reaches mox exactly once, and nothing else is sent.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from conftest import Moxhooks, wait_for
from fakemox import FakeMox
from moxsender import outgoing_event

from moxhooks.config import Config
from moxhooks.web import health

# As `moxhooks serve` runs: the event worker in a process of its own.
pytestmark = [pytest.mark.worker_process, pytest.mark.openapi_responses]

Start = Callable[..., Awaitable[Moxhooks]]

# Set in the task of a request that arrived while the fake stalled.
_stalled = contextvars.ContextVar("stalled", default=False)


class _Calls(list[tuple[str, str, Any]]):
    """fakemox.calls, with the calls of stalled requests kept apart in .late."""

    def __init__(self) -> None:
        super().__init__()
        self.late: list[tuple[str, str, Any]] = []

    def append(self, item: tuple[str, str, Any]) -> None:
        if _stalled.get():
            self.late.append(item)
        else:
            super().append(item)


class TracingFakeMox(FakeMox):
    """A FakeMox that tells apart the requests it stalled on.

    A stalled request goes on when the fake recovers, even though moxhooks gave up on
    it long before (aiohttp does not cancel a handler whose client left, and neither
    does Go's net/http): mox applies a change the sender thinks failed. Such late calls
    are kept in calls.late, so calls holds what moxhooks sent while mox answered.
    """

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.calls: _Calls = _Calls()
        # webapi calls answered 500 (the fake does not record them in calls).
        self.failed_500 = 0

    @web.middleware
    async def _fail_middleware(
        self, request: web.Request, handler: Callable[[web.Request], Any]
    ) -> web.StreamResponse:
        if self.mode == "stall":
            _stalled.set(True)
        response: web.StreamResponse = await super()._fail_middleware(request, handler)
        if response.status == 500 and request.method == "POST":
            self.failed_500 += 1
        return response


@pytest.fixture
async def fakemox() -> Any:
    async with TracingFakeMox() as fm:
        yield fm


async def healthz(mh: Moxhooks) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as s, s.get(mh.url + "healthz") as resp:
        return resp.status, await resp.json()


def changes(calls: list[tuple[str, str, Any]]) -> list[tuple[str, str]]:
    """The suppression changes among calls: (method, address)."""
    return [
        (method, req["EmailAddress"] if isinstance(req, dict) else "?")
        for api, method, req in calls
        if api == "webapi" and method in ("SuppressionAdd", "SuppressionRemove")
    ]


async def test_outage_then_recovery_pushes_each_change_once(
    start_moxhooks: Start,
    make_config: Callable[..., Config],
    fakemox: TracingFakeMox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # /healthz probes mox on every call instead of reusing a probe for 10 seconds.
    monkeypatch.setattr(health, "PROBE_TTL", 0.0)
    config = make_config(
        # Recipients come from Extra: only the sync worker and /healthz talk to mox.
        mox={"admin_password": "", "timeout": 0.3},
        sync={"retry_min": 0.05, "retry_max": 0.2},
    )
    mh = await start_moxhooks(config)
    store = mh.runtime.store
    sent: list[str] = []
    hook_id = 0

    async def bounce(n: int) -> None:
        """n hard bounces for new recipients, each answered 200 and processed."""
        nonlocal hook_id
        for _ in range(n):
            hook_id += 1
            addr = f"gone{hook_id}@example.org"
            ev = outgoing_event("failed", queue_msg_id=100 + hook_id, extra={"recipient": addr})
            attempts = await mh.sender.deliver(ev, hook_id=hook_id)
            assert [a.status for a in attempts] == [200], attempts
            sent.append(addr)

        async def all_processed() -> bool:
            row = await store.db.fetchone("SELECT COUNT(*) FROM events WHERE status != 'done'")
            return row is not None and row[0] == 0

        await wait_for(all_processed, what="events processed")

    async def unhealthy(backlog: int) -> dict[str, Any]:
        """/healthz: 503, mox not ok, the backlog of changes waiting for mox."""

        async def check() -> bool:
            status, body = await healthz(mh)
            return status == 503 and body["checks"]["outbox"]["backlog"] == backlog

        await wait_for(check, what=f"/healthz 503 with a backlog of {backlog}")
        status, body = await healthz(mh)
        assert status == 503
        assert body["status"] == "unhealthy"
        assert body["checks"]["mox"]["ok"] is False and body["checks"]["mox"]["error"]
        assert body["checks"]["database"]["ok"] is True
        assert body["checks"]["outbox"] == {"backlog": backlog, "by_account": {"mox": backlog}}
        return body

    status, _ = await healthz(mh)
    assert status == 200

    # 1. mox refuses connections.
    await fakemox.fail("refuse")
    await bounce(2)
    body = await unhealthy(2)
    assert (
        "Connect" in body["checks"]["mox"]["error"] or "refused" in body["checks"]["mox"]["error"]
    )

    # 2. mox accepts connections but never answers.
    await fakemox.restore()
    await fakemox.fail("stall")
    await bounce(2)
    body = await unhealthy(4)
    assert (
        "no answer" in body["checks"]["mox"]["error"] or "Timeout" in body["checks"]["mox"]["error"]
    )

    # 3. mox answers 500 to everything: moxhooks backs off (at most one try per row
    # every sync.retry_max = 0.2 s, and rows of an account wait behind the first).
    await fakemox.fail("500")
    await bounce(2)
    await unhealthy(6)
    before = fakemox.failed_500
    await asyncio.sleep(1.0)
    assert fakemox.failed_500 - before <= 10, "no backoff while mox answers 500"
    # Nothing reached mox so far: refused, stalled and 500 requests change nothing.
    assert changes(fakemox.calls) == []
    assert fakemox.suppressions("mox") == []
    rows = await store.db.fetchall("SELECT state, attempts FROM outbox ORDER BY id")
    assert [r["state"] for r in rows] == ["pending"] * 6
    # The first change was tried; then the sync worker probes mox instead of pushing.
    assert rows[0]["attempts"] >= 1

    # 4. mox is back.
    await fakemox.restore()

    async def drained() -> bool:
        return await store.outbox.backlog() == 0

    await wait_for(drained, timeout=10, what="outbox drained")

    async def healthy() -> bool:
        return (await healthz(mh))[0] == 200

    await wait_for(healthy, what="/healthz 200")
    status, body = await healthz(mh)
    assert body["checks"]["outbox"]["backlog"] == 0
    assert body["checks"]["mox"]["ok"] is True

    # Each change reached mox exactly once while mox answered, and nothing else was sent.
    assert sorted(changes(fakemox.calls)) == sorted(("SuppressionAdd", a) for a in sent)
    other = {m for api, m, _ in fakemox.calls if m not in ("SuppressionAdd", "SuppressionList")}
    assert other == set()
    # Requests mox stalled on went on when it recovered: only adds moxhooks had tried.
    assert {a for _, a in changes(fakemox.calls.late)} <= set(sent)
    # mox's list: every address once; moxhooks: every entry synced, every row done once.
    assert sorted(s["BaseAddress"] for s in fakemox.suppressions("mox")) == sorted(
        a.replace("-", "") for a in sent
    )
    entries = await store.suppressions.list("mox", limit=100)
    assert sorted(e.original_address for e in entries) == sorted(sent)
    assert {e.mox_state for e in entries} == {"synced"}
    rows = await store.db.fetchall("SELECT state, COUNT(*) FROM outbox GROUP BY state")
    assert {r[0]: r[1] for r in rows} == {"done": 6}


async def test_long_outage_keeps_accepting(
    start_moxhooks: Start, make_config: Callable[..., Config], fakemox: TracingFakeMox
) -> None:
    """A burst while mox refuses: every event 200 and stored; the backlog is the burst."""
    mh = await start_moxhooks(make_config(mox={"admin_password": "", "timeout": 0.3}))
    await fakemox.fail("refuse")
    for i in range(1, 51):
        ev = outgoing_event("failed", queue_msg_id=i, extra={"recipient": f"r{i}@example.org"})
        attempts = await mh.sender.deliver(ev, hook_id=i)
        assert [a.status for a in attempts] == [200]

    async def backlog() -> bool:
        return await mh.runtime.store.outbox.backlog() == 50

    await wait_for(backlog, what="50 changes waiting")
    await fakemox.restore()

    async def drained() -> bool:
        return await mh.runtime.store.outbox.backlog() == 0

    await wait_for(drained, timeout=15, what="outbox drained")
    assert len(changes(fakemox.calls)) == 50
    assert len(fakemox.suppressions("mox")) == 50


async def test_a_reconcile_mox_missed_is_tried_again_soon(start_moxhooks: Any, fakemox: Any) -> None:
    """mox away during a reconcile pass: the worker tries again after sync.retry_max (here
    0.2 s; at most 30 s), not at the next reconcile_interval (here an hour), so its list and
    /healthz catch up once mox is back. The worker runs in its own process, as under serve."""
    mh = await start_moxhooks()
    await fakemox.fail("refuse")
    # A send mox refuses for an address only it lists makes the worker reconcile now.
    await mh.sender.deliver(outgoing_event("suppressed", queue_msg_id=7,
                                           extra={"recipient": "x@example.org"}), hook_id=1)

    async def missed() -> bool:
        state = (await mh.runtime.store.outbox.sync_states()).get("mox")
        return state is not None and state.last_error != ""

    await wait_for(missed, timeout=10, what="a reconcile pass that mox missed")
    await fakemox.restore()

    async def caught_up() -> bool:
        state = (await mh.runtime.store.outbox.sync_states()).get("mox")
        return state is not None and state.last_error == ""

    await wait_for(caught_up, timeout=10, what="the reconcile tried again once mox is back")
    status, _ = await healthz(mh)
    assert status == 200
