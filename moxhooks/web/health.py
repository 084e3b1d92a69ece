"""GET /healthz and GET /metrics."""

from __future__ import annotations

import asyncio
import time

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from moxhooks import models
from moxhooks.mox.client import MoxUnavailable
from moxhooks.runtime.web import WebRuntime
from moxhooks.web.bodies import answer
from moxhooks.web.keys import RUNTIME_KEY

# A reachability probe is reused for this many seconds, so /healthz stays cheap.
PROBE_TTL = 10.0


class MoxProbe:
    """Is mox answering HTTP at all? Any HTTP response counts as reachable."""

    def __init__(self) -> None:
        self._at = 0.0
        self._result: tuple[bool, str] = (False, "not checked yet")
        self._lock = asyncio.Lock()

    async def check(self, rt: WebRuntime) -> tuple[bool, str]:
        async with self._lock:
            if time.monotonic() - self._at < PROBE_TTL:
                return self._result
            try:
                await rt.mox.ping(timeout=min(rt.config.default_mox.timeout, 3.0))
                self._result = (True, "")
            except MoxUnavailable as e:
                self._result = (False, str(e))
            self._at = time.monotonic()
            return self._result


PROBE_KEY = web.AppKey("mox_probe", MoxProbe)


async def healthz(request: web.Request) -> web.Response:
    """The database, mox's reachability, the outbox backlog and unprocessed events."""
    rt = request.app[RUNTIME_KEY]
    try:
        await rt.store.ping()
        database = models.DatabaseCheck(True, schema_version=await rt.store.schema_version())
    except Exception as e:  # any failure of the database is what this reports
        database = models.DatabaseCheck(False, error=str(e))
    mox_ok, mox_error = await request.app[PROBE_KEY].check(rt)
    if rt.worker_state.mox_ok is False and mox_ok:
        # mox answers HTTP but failed or refused the worker's last sync call: not healthy
        # either (the worker reports it, runtime/messages.py).
        mox_ok, mox_error = False, rt.worker_state.mox_error
    checks = models.HealthChecks(database, models.MoxCheck(mox_ok, rt.config.default_mox.url, mox_error))
    healthy = database.ok and mox_ok
    if rt.worker is not None:
        # The process that processes events and syncs with mox (runtime/worker.py).
        checks.worker = models.WorkerCheck(rt.worker.alive, rt.worker.pid, rt.worker.restarts)
        healthy = healthy and rt.worker.alive
    if database.ok:
        backlog = await rt.store.outbox.backlog_by_account()
        counts = await rt.store.events.counts()
        checks.outbox = models.OutboxCheck(sum(backlog.values()), backlog)
        checks.events = models.EventsCheck(
            counts.get("pending", 0), counts.get("unresolved", 0), counts.get("abandoned", 0)
        )
    health = models.Health("ok" if healthy else "unhealthy", checks)
    return answer(health, 200 if healthy else 503)


async def metrics(request: web.Request) -> web.Response:
    """Prometheus text format; gauges are read from the database at scrape time."""
    rt = request.app[RUNTIME_KEY]
    m = rt.metrics
    m.suppressions.clear()
    for account, kind, n in await rt.store.suppressions.count():
        m.suppressions.labels(account, kind).set(n)
    m.outbox_backlog.set(await rt.store.outbox.backlog())
    m.events_unresolved.set(await rt.store.events.pending_count())
    m.processed.counts = {
        (account, event, kind, decision): n
        for account, event, kind, decision, n in await rt.store.events.processed_counts()
    }
    counts = await rt.store.outbox.sync_counts()
    m.sync_pushed.counts = {(a, label): n for a, metric, label, n in counts if metric == "pushed"}
    m.sync_failures.counts = {(a, label): n for a, metric, label, n in counts if metric == "failures"}
    return web.Response(body=m.render(), headers={"Content-Type": CONTENT_TYPE_LATEST})
