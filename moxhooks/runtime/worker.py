"""The worker: event processing, sync with mox, automatic holds and the bounce mailbox,
in a process of its own beside the web process of `moxhooks serve`.

Webhook intake and the work it causes share nothing but files: intake appends to the
intake log (store/intake.py), the processor moves its records into events and
processes them, and the sync worker pushes the changes into mox. Run in one process
they shared one event loop and one interpreter lock, and every batch the processor
worked on (every call to mox, every report parsed) delayed the webhooks that arrived
meanwhile. Here they have their own interpreter, at the lowest CPU priority (Linux's
SCHED_IDLE: only CPU time nothing else wants), and write only the database, whose lock
intake never takes. Under a burst that takes every CPU, processing waits and catches up
after it; what a burst costs is latency of processing, never a webhook.

The web process starts the worker (runtime/supervisor.py), restarts it when it dies
(kill -9 included: what it had not committed is processed again, each event once,
because an event's outcome and its status are one transaction), and stops it on
shutdown. They talk over a socket pair (runtime/messages.py). The worker exits when the
web process is gone (its end of the socket pair closes).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import pickle
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from moxhooks.config import Config
from moxhooks.jobs.holds import AutoHolds, HoldSettings, settings_from
from moxhooks.jobs.mailbox import MailboxProcessor
from moxhooks.jobs.mailbox.imap import ImapReader
from moxhooks.jobs.processing import Processor
from moxhooks.jobs.resolver import RecipientResolver
from moxhooks.jobs.sync import SyncWorker
from moxhooks.mail.dnscheck import DomainChecker
from moxhooks.mox.client import MoxClient
from moxhooks.runtime import messages
from moxhooks.runtime.resources import SHUTDOWN_WAIT, admin_api, open_moxes, open_store
from moxhooks.store import Clock, Store, utcnow

log = logging.getLogger(__name__)

# Checkpoints of the database wait until no webhook came for QUIET seconds, or until
# its log is LOG_MAX bytes.
QUIET = 1.0
LOG_MAX = 64 * 1024 * 1024
# The worker's CPU priority where SCHED_IDLE is not available: below the web
# process, so intake goes first.
NICE = 19


@dataclass
class WorkerRuntime:
    """What the worker runs, on its own store connection and mox client."""

    config: Config
    store: Store
    processor: Processor
    sync: SyncWorker
    holds: AutoHolds
    mailbox: MailboxProcessor
    imap: ImapReader


@contextlib.asynccontextmanager
async def open_worker_runtime(
    config: Config,
    report: Callable[[bytes], None],
    *,
    mox: MoxClient | None = None,
    dns: DomainChecker | None = None,
    clock: Clock = utcnow,
    holds: HoldSettings | None = None,
) -> AsyncIterator[WorkerRuntime]:
    """Open the worker's store and mox client and build its jobs (not started yet).

    report: sends a message to the web process (mox's state, the IMAP mailboxes').
    mox, dns, clock, holds: made from the configuration unless given (tests give them).
    """
    async with open_store(config, clock) as store, open_moxes(config, mox) as clients:
        client = clients[config.default_mox.name]
        checker = dns or DomainChecker(
            nameservers=config.dns.nameservers,
            port=config.dns.port,
            timeout=config.dns.timeout,
            cache_ttl=config.dns.cache_ttl,
        )
        admin = admin_api(config, client)
        sync = SyncWorker(config, store, client, clients)
        sync.on_state = lambda name, ok, error: report(messages.mox_state(name, ok, error))
        # QueueMsgIDs are each server's own: an event's recipient is asked of its server.
        admins = {
            config.mox_key(m.name): admin_api(config, clients[m.name], m) for m in config.mox
        }
        resolver = RecipientResolver(store.events, admin, config.resolve.extra_key, admins)
        processor = Processor(
            config, store, resolver, checker,
            on_change=sync.wake, on_mox_lists_unknown=sync.mox_lists_unknown,
        )  # fmt: skip
        # A hold rule is one server's: added where the failures came through.
        auto_holds = AutoHolds(store, admins, holds or settings_from(config.holds))
        processor.observers.append(auto_holds.observe)
        mailbox = MailboxProcessor(
            config, store, client, on_change=sync.wake,
            clients={config.mox_key(m.name): clients[m.name] for m in config.mox},
        )  # fmt: skip
        imap = ImapReader(
            config.imap, store, on_kept=mailbox.wake,
            on_state=lambda i, state: report(messages.imap_state(i, state)),
        )  # fmt: skip
        yield WorkerRuntime(config, store, processor, sync, auto_holds, mailbox, imap)


async def serve(rt: WorkerRuntime, sock: socket.socket, stop: asyncio.Event) -> None:
    """Run the worker's jobs, woken by the web process's messages on sock, until stop is
    set or the web process's end of the socket pair closes (or until cancelled)."""
    loop = asyncio.get_running_loop()
    last_events = [0.0]
    handlers: dict[bytes, Callable[[], None]] = {
        messages.EVENTS: rt.processor.wake,
        messages.SYNC: rt.sync.wake,
        messages.MAILBOX: rt.mailbox.wake,
    }

    def message(msg: bytes) -> None:
        if msg == messages.EVENTS:
            last_events[0] = time.monotonic()
        handler = handlers.get(msg)
        if handler is not None:
            handler()

    def closed() -> None:
        log.info("the web process is gone; the worker stops")
        stop.set()

    async def checkpoints() -> None:
        # While webhooks keep coming, the log only grows (up to LOG_MAX): its
        # checkpoints wait for the disk, which mox needs for its own, per webhook.
        db = rt.store.db
        await db.defer_checkpoints()
        while True:
            await asyncio.sleep(1.0)
            quiet = time.monotonic() - last_events[0] >= QUIET
            try:
                if (quiet or db.log_bytes() > LOG_MAX) and db.log_bytes():
                    await db.checkpoint()
            except Exception:
                log.exception("checkpoint failed")

    sock.setblocking(False)
    loop.add_reader(sock.fileno(), messages.Lines(sock, message, closed).readable)
    tasks = [
        asyncio.create_task(rt.processor.run(), name="processor"),
        asyncio.create_task(rt.sync.run(), name="sync"),
        asyncio.create_task(rt.holds.run(), name="auto-holds"),
        asyncio.create_task(rt.mailbox.run(), name="mailbox"),
        asyncio.create_task(checkpoints(), name="checkpoints"),
        # Work committed by other nodes (PostgreSQL): their webhooks, their outbox rows.
        asyncio.create_task(
            rt.store.db.watch({"events": rt.processor.wake, "outbox": rt.sync.wake}),
            name="watch",
        ),
    ]
    if rt.config.imap:
        tasks.append(asyncio.create_task(rt.imap.run(), name="imap"))
    try:
        await stop.wait()
    finally:
        with contextlib.suppress(ValueError, OSError):
            loop.remove_reader(sock.fileno())
        for t in tasks:
            t.cancel()
        _, pending = await asyncio.wait(tasks, timeout=SHUTDOWN_WAIT)
        if pending:
            log.error("worker jobs did not stop within %ss: %s", SHUTDOWN_WAIT, pending)


async def run(
    config: Config,
    sock: socket.socket,
    *,
    mox: MoxClient | None = None,
    dns: DomainChecker | None = None,
    clock: Clock = utcnow,
    holds: HoldSettings | None = None,
    opened: Callable[[WorkerRuntime | None], None] = lambda rt: None,
    stop: asyncio.Event | None = None,
) -> None:
    """The worker, from opening to closing, on its end of the socket pair (closed at the
    end), until stop is set or the web process is gone; opened is told the runtime once
    it is open, and None when it closes."""
    stop = stop or asyncio.Event()
    try:
        async with open_worker_runtime(
            config, lambda msg: messages.send(sock, msg),
            mox=mox, dns=dns, clock=clock, holds=holds,
        ) as rt:  # fmt: skip
            opened(rt)
            try:
                await serve(rt, sock, stop)
            finally:
                opened(None)
    finally:
        sock.close()


# ---- the worker's own process -----------------------------------------------------------


def _lower_priority() -> None:
    """Run only on CPU time the web process leaves: SCHED_IDLE where Linux offers it
    (the scheduler runs the worker only when a CPU would otherwise idle), else nice."""
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        return
    except (AttributeError, OSError):
        pass
    with contextlib.suppress(OSError):
        os.nice(NICE)


async def _main(config: Config, sock: socket.socket) -> None:
    # A signal stops the worker as its web process's end does: after it finished opening,
    # never in the middle (a cancelled database open leaves a thread the exit waits for).
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    def opened(rt: WorkerRuntime | None) -> None:
        if rt is not None:
            gc.freeze()  # as the web process does (web.app.freeze_after_startup)

    await run(config, sock, opened=opened, stop=stop)


def main() -> None:
    """python -m moxhooks.runtime.worker FD, the pickled Config on standard input."""
    fd = int(sys.argv[1])
    config: Config = pickle.load(sys.stdin.buffer)
    _lower_priority()
    logging.basicConfig(
        level=config.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s [worker] %(message)s",
    )
    sock = socket.socket(fileno=fd)
    asyncio.run(_main(config, sock))


if __name__ == "__main__":
    main()
