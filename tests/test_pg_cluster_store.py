"""The PostgreSQL store when its server goes away: StoreUnavailable, never an asyncpg
error, and back to work once the server is back (a cluster of the test's own, stopped
and started at the same URL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pgserver import PgCluster, pg_bindir

from moxhooks.store import NewEntry, Store, StoreUnavailable


@pytest.fixture
def cluster() -> Iterator[PgCluster]:
    bindir = pg_bindir()
    assert bindir is not None, "collected without PostgreSQL binaries"
    with PgCluster(bindir) as c:
        yield c


def entry(address: str) -> NewEntry:
    return NewEntry("acct", address, address, "manual", "manual", "", "t")


@pytest.mark.parametrize("mode", ["fast", "immediate"])
async def test_a_stopped_server_is_store_unavailable(
    cluster: PgCluster, tmp_path: Path, mode: str
) -> None:
    path = str(tmp_path / "moxhooks.db")
    store = await Store.open_postgresql(cluster.url(), path=path, readers=2)
    try:
        added = await store.suppressions.add(entry("a@example.org"))
        assert added is not None
        cluster.stop(mode)
        with pytest.raises(StoreUnavailable):
            await store.suppressions.add(entry("b@example.org"))
        with pytest.raises(StoreUnavailable):
            await store.suppressions.list("acct")
        with pytest.raises(StoreUnavailable):
            await store.ping()
        # Refused at open as well.
        with pytest.raises(StoreUnavailable):
            await Store.open_postgresql(cluster.url(), path=path)
        cluster.start()
        # The pools make new connections in place of the lost ones at once; what was
        # committed before the stop is there.
        listed = await store.suppressions.list("acct")
        assert [e.original_address for e in listed] == ["a@example.org"]
        assert await store.suppressions.add(entry("b@example.org")) is not None
    finally:
        await store.close()
