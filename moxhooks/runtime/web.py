"""What the web process runs: the store, webhook intake, the mox client for the API's own
calls, metrics, webhook secrets, and a handle on the worker to wake it.

Everything the web process accepts is in the database (or this process's intake log, on
SQLite) before the
worker is told to look (runtime/messages.py): a worker that is down or restarting finds
it there when it starts. What the worker knows that the web process shows (mox's state
as the sync worker sees it, the IMAP mailboxes') comes back as messages (WorkerState).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from moxhooks.config import AccountConfig, Config
from moxhooks.jobs.mailbox.imap import ImapState
from moxhooks.metrics import Metrics
from moxhooks.mox.client import AdminAPI, MoxClient
from moxhooks.runtime import messages
from moxhooks.runtime.resources import (
    SecretKey,
    admin_api,
    open_moxes,
    open_store,
    webhook_secrets,
)
from moxhooks.runtime.supervisor import StartWorker, WorkerHandle
from moxhooks.store import Clock, Store, utcnow
from moxhooks.store.intake import IntakeWriter, Record

log = logging.getLogger(__name__)


@dataclass
class WorkerState:
    """What the worker last reported."""

    # Each mox server as the sync worker last saw it, by name: (ok, error); ok None, or
    # a server not here: not known yet.
    mox: dict[str, tuple[bool | None, str]] = field(default_factory=dict)
    # How the last look at each [[imap]] mailbox went, by its index in the configuration.
    imap: dict[int, ImapState] = field(default_factory=dict)

    def message(self, msg: bytes) -> None:
        """Take in one message from the worker."""
        if msg.startswith(messages.MOX_STATE):
            name, ok, error = messages.parse_mox_state(msg)
            self.mox[name] = (ok, error)
        elif msg.startswith(messages.IMAP_STATE):
            i, state = messages.parse_imap_state(msg)
            self.imap[i] = state


class Intake(Protocol):
    """Where a webhook's event is kept before its 200: the intake log or the database."""

    async def add(
        self,
        account: str,
        webhook_id: int,
        attempt: int,
        received: str,
        event: str,
        queue_msg_id: int,
        message_id: str,
        payload: str,
        mox: str = "",
    ) -> None:
        """Keep one event (of the mox server keyed mox, Config.mox_key), durably when this
        returns; StoreUnavailable when it could not."""

    async def close(self) -> None:
        """Stop taking events."""


class DatabaseIntake:
    """Intake straight into the database (a store whose events.direct_intake is set): each
    webhook committed before its 200, then this process's worker woken. Other nodes'
    workers hear of it from the database itself (PostgreSQL's NOTIFY at the commit)."""

    def __init__(
        self, receive: Callable[[Record], Awaitable[bool]], on_commit: Callable[[], None]
    ) -> None:
        self._receive = receive
        self._on_commit = on_commit

    async def add(
        self,
        account: str,
        webhook_id: int,
        attempt: int,
        received: str,
        event: str,
        queue_msg_id: int,
        message_id: str,
        payload: str,
        mox: str = "",
    ) -> None:
        """Commit one event (a repeat of a kept webhook changes nothing)."""
        record = Record(
            account, webhook_id, attempt, received, event, queue_msg_id, message_id, payload,
            mox,
        )  # fmt: skip
        if await self._receive(record):
            self._on_commit()

    async def close(self) -> None:
        """Nothing is open beyond the store's own connections."""


@dataclass
class WebRuntime:
    """The opened store, intake, mox client and the worker's handle."""

    config: Config
    store: Store
    mox: MoxClient
    admin: AdminAPI | None
    metrics: Metrics
    intake: Intake
    # Webhook secrets by (mox server name, account name).
    secrets: dict[SecretKey, str]
    # None when no worker runs beside this web process (a test of intake alone).
    worker: WorkerHandle | None
    worker_state: WorkerState
    # Every mox server's client, by name (mox above is the first server's).
    clients: dict[str, MoxClient] = field(default_factory=dict)
    # Every mox server's admin API by name, None without its admin password (admin above
    # is the first server's); one each, so its sign-in is reused.
    admins: dict[str, AdminAPI | None] = field(default_factory=dict)

    def mox_for(self, acct: AccountConfig) -> MoxClient:
        """The client of the account's first mox server: where it signs in and sends."""
        return self.clients.get(self.config.account_moxes(acct)[0], self.mox)

    def wake_sync(self) -> None:
        """Suppression changes were written to the outbox: the worker pushes them to mox."""
        self._tell(messages.SYNC)

    def wake_mailbox(self) -> None:
        """A message was kept in the bounce mailbox: the worker parses it."""
        self._tell(messages.MAILBOX)

    def _tell(self, msg: bytes) -> None:
        if self.worker is not None:
            self.worker.send(msg)


@contextlib.asynccontextmanager
async def open_web_runtime(
    config: Config,
    *,
    mox: MoxClient | None = None,
    clock: Clock = utcnow,
    worker: StartWorker | None = None,
) -> AsyncIterator[WebRuntime]:
    """Open everything the web process needs and start the worker beside it.

    worker: how to start the worker (supervisor.WorkerProcess under `moxhooks serve`,
    supervisor.in_process() in tests); None for none.
    """
    async with open_store(config, clock) as store, open_moxes(config, mox) as clients:
        client = clients[config.default_mox.name]
        secrets = await webhook_secrets(config, store)
        state = WorkerState()
        handle = worker(config, state.message) if worker is not None else None
        on_commit = handle.wake if handle is not None else lambda: None
        intake: Intake
        if store.events.direct_intake:
            intake = DatabaseIntake(store.events.receive, on_commit)
        else:
            intake = IntakeWriter.open(
                config.database.path,
                synchronous=config.database.synchronous,
                on_commit=on_commit,
            )
        admins = {m.name: admin_api(config, clients[m.name], m) for m in config.mox}
        rt = WebRuntime(
            config, store, client, admins[config.default_mox.name], Metrics(), intake,
            secrets, handle, state, clients, admins,
        )  # fmt: skip
        try:
            if handle is not None:
                handle.start()
            yield rt
        finally:
            if handle is not None:
                await handle.stop()
            await intake.close()
