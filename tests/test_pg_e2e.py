"""moxhooks as a whole on PostgreSQL (database.url): mox's webhook in, over HTTP,
committed into events in PostgreSQL at intake, classified, suppressed, and pushed to the fake
mox; the entry then read back through the API, as on SQLite (tests/test_e2e.py)."""

from __future__ import annotations

import secrets
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import asyncpg
import pytest
from conftest import Moxhooks, wait_for
from moxsender import outgoing_event

from moxhooks.store.pg.database import PgDatabase

Start = Callable[..., Awaitable[Moxhooks]]


@pytest.fixture
async def database_url(pg_url: str) -> AsyncIterator[str]:
    """An empty database of the test's own."""
    name = "mh_e2e_" + secrets.token_hex(4)
    admin = await asyncpg.connect(pg_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield urllib.parse.urlunsplit(urllib.parse.urlsplit(pg_url)._replace(path="/" + name))
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


# The event processor and sync worker in the web process, and in a process of their own
# as `moxhooks serve` runs them (each process opens the store from database.url).
@pytest.mark.parametrize(
    "worker", ["in_process", pytest.param("own_process", marks=pytest.mark.worker_process)]
)
async def test_hard_bounce_is_suppressed_here_and_in_mox(
    start_moxhooks: Start, database_url: str, worker: str
) -> None:
    mh = await start_moxhooks(database={"url": database_url})
    assert isinstance(mh.runtime.store.db, PgDatabase)
    msg = mh.fakemox.add_retired(
        recipient="User.550+news@Example.org", code=550, secode="5.1.1",
        error="550 5.1.1 <user.550@example.org>: Recipient address rejected: User unknown",
    )  # fmt: skip
    ev = outgoing_event("failed", queue_msg_id=msg["ID"], code=550, secode="5.1.1",
                        error="550 5.1.1 Recipient address rejected: User unknown",
                        suppressing=True)  # fmt: skip
    attempts = await mh.sender.deliver(ev, hook_id=101)
    assert [a.status for a in attempts] == [200]

    async def synced() -> bool:
        e = await mh.runtime.store.suppressions.active("mox", "user550@example.org")
        return e is not None and e.mox_state == "synced"

    await wait_for(synced, what="entry synced to mox")
    assert {s["BaseAddress"] for s in mh.fakemox.suppressions("mox")} == {"user550@example.org"}
    (event,) = await mh.runtime.store.events.list("mox")
    assert (event.webhook_id, event.status, event.kind, event.decision) == (
        101, "done", "mailbox_unknown", "suppress"
    )  # fmt: skip
    async with aiohttp.ClientSession() as s:
        async with s.get(
            mh.url + "api/v1/accounts/mox/suppressions?search=USER550",
            headers={"Authorization": "Bearer api-token-for-tests"},
        ) as resp:
            assert resp.status == 200
            body = await resp.json()
    assert [(e["base_address"], e["kind"], e["mox_state"]) for e in body["entries"]] == [
        ("user550@example.org", "mailbox_unknown", "synced")
    ]
