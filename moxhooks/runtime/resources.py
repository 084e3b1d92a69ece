"""What both processes and the CLI open: the store and the mox client, each closed in time."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from moxhooks.config import Config, MoxConfig
from moxhooks.mox.client import AdminAPI, MoxClient
from moxhooks.store import Clock, Store, utcnow

log = logging.getLogger(__name__)

# Seconds a shutdown waits for workers and the database: stopping must never hang.
SHUTDOWN_WAIT = 10.0


@contextlib.asynccontextmanager
async def open_store(config: Config, clock: Clock = utcnow) -> AsyncIterator[Store]:
    """The configured database, closed when the block ends (SHUTDOWN_WAIT seconds at most)."""
    store = await Store.configured(config.database, clock=clock)
    try:
        yield store
    finally:
        try:
            await asyncio.wait_for(store.close(), SHUTDOWN_WAIT)
        except TimeoutError:
            log.error("the database did not close within %ss", SHUTDOWN_WAIT)


@contextlib.asynccontextmanager
async def open_mox(
    config: Config, given: MoxClient | None = None, server: MoxConfig | None = None
) -> AsyncIterator[MoxClient]:
    """The given mox client, or one made from the configuration (of server, else the
    first mox server) and closed at the end."""
    if given is not None:
        yield given
        return
    server = server or config.default_mox
    client = MoxClient(server.url, timeout=server.timeout)
    try:
        yield client
    finally:
        await client.close()


@contextlib.asynccontextmanager
async def open_moxes(
    config: Config, given: MoxClient | None = None
) -> AsyncIterator[dict[str, MoxClient]]:
    """A client for every mox server, by its name: given (if any) for the first, the
    others made from the configuration; those made are closed at the end."""
    async with contextlib.AsyncExitStack() as stack:
        clients = {}
        for i, server in enumerate(config.mox):
            clients[server.name] = await stack.enter_async_context(
                open_mox(config, given if i == 0 else None, server)
            )
        yield clients


def admin_api(config: Config, mox: MoxClient, server: MoxConfig | None = None) -> AdminAPI | None:
    """The admin API of server (else the first mox server), when the configuration has its
    password."""
    server = server or config.default_mox
    return mox.admin(server.admin_password) if server.admin_password else None


# A webhook secret's key: (the mox server's name, the account's name).
SecretKey = tuple[str, str]


async def webhook_secrets(config: Config, store: Store) -> dict[SecretKey, str]:
    """Each account's webhook secret on each mox server it is on, by (mox name, account):
    the configured one, else the one made and kept for that server."""
    return {
        (m, a.name): await store.webhook_secret(a.name, a.webhook_secret, config.mox_key(m))
        for a in config.accounts
        for m in config.account_moxes(a)
    }
