"""Everything a running moxhooks needs, opened and closed together.

The web server and the CLI commands both use this, so they share one wiring.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from .config import Config
from .dnscheck import DomainChecker
from .imapintake import ImapReader
from .inbound import InboundProcessor
from .metrics import Metrics
from .moxclient import AdminAPI, MoxClient
from .processor import Processor
from .resolver import RecipientResolver
from .store import Clock, Store, utcnow
from .sync import SyncWorker

log = logging.getLogger(__name__)

# Seconds a shutdown waits for workers and the database: stopping must never hang.
SHUTDOWN_WAIT = 10.0


@dataclass
class Runtime:
    """The opened store, mox client and workers."""

    config: Config
    store: Store
    mox: MoxClient
    admin: AdminAPI | None
    metrics: Metrics
    processor: Processor
    sync: SyncWorker
    inbound: InboundProcessor
    imap: ImapReader
    # Webhook secrets by account name.
    secrets: dict[str, str] = field(default_factory=dict)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def start_workers(self) -> None:
        """Start the event processor, the sync worker and the inbound reader in the background."""
        self.tasks.append(asyncio.create_task(self.processor.run(), name="processor"))
        self.tasks.append(asyncio.create_task(self.sync.run(), name="sync"))
        self.tasks.append(asyncio.create_task(self.inbound.run(), name="inbound"))
        if self.config.imap:
            self.tasks.append(asyncio.create_task(self.imap.run(), name="imap"))

    async def stop_workers(self) -> None:
        """Cancel the background workers and wait for them, SHUTDOWN_WAIT seconds at most."""
        for t in self.tasks:
            t.cancel()
        if self.tasks:
            _, pending = await asyncio.wait(self.tasks, timeout=SHUTDOWN_WAIT)
            if pending:
                log.error("workers did not stop within %ss: %s", SHUTDOWN_WAIT, pending)
        self.tasks.clear()


@contextlib.asynccontextmanager
async def open_runtime(
    config: Config,
    *,
    mox: MoxClient | None = None,
    dns: DomainChecker | None = None,
    clock: Clock = utcnow,
    workers: bool = False,
) -> AsyncIterator[Runtime]:
    """Open everything; with workers=True the processor and sync worker run meanwhile."""
    store = await Store.open(config.database.path, synchronous=config.database.synchronous, clock=clock)
    own_mox = mox is None
    client = mox or MoxClient(config.mox.url, timeout=config.mox.timeout)
    try:
        admin = client.admin(config.mox.admin_password) if config.mox.admin_password else None
        metrics = Metrics()
        checker = dns or DomainChecker(
            nameservers=config.dns.nameservers,
            port=config.dns.port,
            timeout=config.dns.timeout,
            cache_ttl=config.dns.cache_ttl,
        )
        sync = SyncWorker(config, store, client, metrics)
        resolver = RecipientResolver(store.events, admin, config.resolve.extra_key)
        processor = Processor(
            config,
            store,
            resolver,
            checker,
            metrics,
            on_change=sync.wake,
            on_mox_lists_unknown=sync.mox_lists_unknown,
        )
        inbound = InboundProcessor(config, store, client, on_change=sync.wake)
        imap = ImapReader(config.imap, store, on_kept=inbound.wake)
        rt = Runtime(config, store, client, admin, metrics, processor, sync, inbound, imap)
        for a in config.accounts:
            rt.secrets[a.name] = await store.webhook_secret(a.name, a.webhook_secret)
        if workers:
            rt.start_workers()
        try:
            yield rt
        finally:
            await rt.stop_workers()
    finally:
        if own_mox:
            await client.close()
        try:
            await asyncio.wait_for(store.close(), SHUTDOWN_WAIT)
        except TimeoutError:
            log.error("the database did not close within %ss", SHUTDOWN_WAIT)
