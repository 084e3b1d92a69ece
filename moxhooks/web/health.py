"""GET /healthz and GET /metrics."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta

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
    """Is each mox server answering HTTP at all? Any HTTP response counts as reachable."""

    def __init__(self) -> None:
        self._at = 0.0
        self._results: dict[str, tuple[bool, str]] = {}
        self._lock = asyncio.Lock()

    async def check(self, rt: WebRuntime) -> dict[str, tuple[bool, str]]:
        """(ok, error) by mox server name, every configured server probed at once."""
        async with self._lock:
            if time.monotonic() - self._at < PROBE_TTL:
                return self._results
            names = [m.name for m in rt.config.mox]
            found = await asyncio.gather(*(self._ping(rt, name) for name in names))
            self._results = dict(zip(names, found, strict=True))
            self._at = time.monotonic()
            return self._results

    @staticmethod
    async def _ping(rt: WebRuntime, name: str) -> tuple[bool, str]:
        m = rt.config.mox_named(name) or rt.config.default_mox
        client = rt.clients.get(name) or (rt.mox if name == rt.config.default_mox.name else None)
        if client is None:
            return False, "no client for this mox server"
        try:
            await client.ping(timeout=min(m.timeout, 3.0))
        except MoxUnavailable as e:
            return False, str(e)
        return True, ""


PROBE_KEY = web.AppKey("mox_probe", MoxProbe)


class SuppressionCounts:
    """The active entries by account and kind, counted at most every
    web.suppression_counts_max_age: the count reads every active entry (a second at 10
    million on PostgreSQL, docs/performance/2026-12-06-nodes.md), too much for every
    /metrics scrape and every view of the accounts page."""

    def __init__(self) -> None:
        self._at: datetime | None = None
        self._counts: list[tuple[str, str, int]] = []
        # One count at a time: a request that comes while one runs waits for its figure.
        self._lock = asyncio.Lock()

    async def get(self, rt: WebRuntime) -> list[tuple[str, str, int]]:
        """(account, kind, count) of active entries, as counted at most
        web.suppression_counts_max_age ago."""
        async with self._lock:
            now = rt.store.clock()
            # A clock set back (age below 0) counts again rather than trusting the figure.
            if self._at is not None and (
                timedelta(0) <= now - self._at < rt.config.web.suppression_counts_max_age
            ):
                return self._counts
            self._counts = await rt.store.suppressions.count()
            # When the count started: the figure's age is never understated.
            self._at = now
            return self._counts


COUNTS_KEY = web.AppKey("suppression_counts", SuppressionCounts)


async def mox_checks(app: web.Application) -> dict[str, models.MoxCheck]:
    """Every configured mox server's check by name, in configuration order: answering HTTP
    (the probe), and not failing the worker's last call to it."""
    rt = app[RUNTIME_KEY]
    probed = await app[PROBE_KEY].check(rt)
    checks: dict[str, models.MoxCheck] = {}
    for m in rt.config.mox:
        ok, error = probed[m.name]
        worker_ok, worker_error = rt.worker_state.mox.get(m.name, (None, ""))
        if worker_ok is False and ok:
            # The server answers HTTP but failed or refused the worker's last sync call
            # (a login refused, say): not healthy either.
            ok, error = False, worker_error
        checks[m.name] = models.MoxCheck(ok, m.url, error)
    return checks


async def healthz(request: web.Request) -> web.Response:
    """The database, mox's reachability, the outbox backlog and unprocessed events."""
    rt = request.app[RUNTIME_KEY]
    try:
        await rt.store.ping()
        database = models.DatabaseCheck(True, schema_version=await rt.store.schema_version())
    except Exception as e:  # any failure of the database is what this reports
        database = models.DatabaseCheck(False, error=str(e))
    servers = await mox_checks(request.app)
    checks = models.HealthChecks(database, servers[rt.config.default_mox.name])
    if len(servers) > 1:
        checks.mox_servers = servers
    healthy = database.ok and all(c.ok for c in servers.values())
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
    """Prometheus text format; gauges are read from the database at scrape time, but for
    the suppression entries (SuppressionCounts)."""
    rt = request.app[RUNTIME_KEY]
    m = rt.metrics
    m.suppressions.clear()
    for account, kind, n in await request.app[COUNTS_KEY].get(rt):
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
