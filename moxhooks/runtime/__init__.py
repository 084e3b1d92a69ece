"""Everything a running moxhooks needs, opened and closed together.

The web server and the CLI commands both use this, so they share one wiring.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from moxhooks.config import Config
from moxhooks.jobs.mailbox import InboundProcessor
from moxhooks.jobs.mailbox.imap import ImapReader
from moxhooks.jobs.processing import Processor
from moxhooks.jobs.resolver import RecipientResolver
from moxhooks.jobs.sync import SyncWorker
from moxhooks.mail.dnscheck import DomainChecker
from moxhooks.metrics import Metrics
from moxhooks.mox.client import AdminAPI, MoxClient
from moxhooks.runtime import worker as workerproc
from moxhooks.runtime.worker import WorkerProcess
from moxhooks.store import Clock, Store, utcnow
from moxhooks.store.intake import IntakeWriter

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
    # Webhook intake (the web server's); None in the CLI and in the worker process.
    intake: IntakeWriter | None = None
    # The event processor's own process, when it runs in one (workerproc).
    worker: WorkerProcess | None = None

    def wake_processing(self) -> None:
        """Events were appended to intake: the processor, wherever it runs, looks now."""
        if self.worker is not None:
            self.worker.wake()
        else:
            self.processor.wake()

    def _from_worker(self, msg: bytes) -> None:
        if msg.startswith(workerproc.MOX_STATE):
            self.sync.mox_ok, self.sync.mox_error = workerproc.parse_mox_state(msg)

    def start_workers(self, processor_process: bool = False) -> None:
        """Start the event processor, the sync worker and the inbound reader in the background.

        processor_process: the event processor and the sync worker run in a process of
        their own (workerproc); this process's sync worker forwards its wake-ups there.
        """
        if processor_process:
            self.worker = workerproc.WorkerProcess(self.config, self._from_worker)
            self.sync.forward = self.worker.send
            self.worker.start()
        else:
            self.tasks.append(asyncio.create_task(self.processor.run(), name="processor"))
            self.tasks.append(asyncio.create_task(self.sync.run(), name="sync"))
        self.tasks.append(asyncio.create_task(self.inbound.run(), name="inbound"))
        if self.config.imap:
            self.tasks.append(asyncio.create_task(self.imap.run(), name="imap"))

    async def stop_workers(self) -> None:
        """Cancel the background workers and wait for them, SHUTDOWN_WAIT seconds at most."""
        if self.worker is not None:
            await self.worker.stop()
            self.worker = None
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
    processor_process: bool = False,
    intake: bool = False,
) -> AsyncIterator[Runtime]:
    """Open everything; with workers=True the processor and sync worker run meanwhile.

    processor_process: with workers, the event processor runs in a process of its own.
    intake: start a segment of the webhook intake log to append to (the web server).
    """
    store = await Store.configured(config.database, clock=clock)
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
        if intake:
            rt.intake = IntakeWriter.open(
                config.database.path,
                synchronous=config.database.synchronous,
                on_commit=rt.wake_processing,
            )
        if workers:
            rt.start_workers(processor_process)
        try:
            yield rt
        finally:
            await rt.stop_workers()
            if rt.intake is not None:
                await rt.intake.close()
    finally:
        if own_mox:
            await client.close()
        try:
            await asyncio.wait_for(store.close(), SHUTDOWN_WAIT)
        except TimeoutError:
            log.error("the database did not close within %ss", SHUTDOWN_WAIT)
