"""The store's methods (store/contract.py) behave the same on SQLite and on PostgreSQL.

Every test here runs once per backend through the `store` fixture: a SQLite file in the
test's directory, and a PostgreSQL database of the test's own (a copy of one migrated
once per run) on the server of the `pg_url` fixture. The expected values are written
out, so both backends give exactly these answers, timestamps (ISO text) included.
Without PostgreSQL the PostgreSQL half is left out, as the run's summary says in one line
(tests/conftest.py). At the end, what only PostgreSQL has: its errors as StoreUnavailable
and ReadTimeout, and SchemaTooNew.
"""

from __future__ import annotations

import asyncio
import secrets
import urllib.parse
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pgserver import postgresql_source

from moxhooks.kinds import Kind, MoxState, Source
from moxhooks.store import (
    NewEntry,
    OutboxRow,
    Store,
)
from moxhooks.store.db import MIGRATIONS as SQLITE_MIGRATIONS

T0 = datetime(2026, 12, 1, 12, 0, 0, 123456, tzinfo=UTC)
BACKENDS = ["sqlite"] + (["postgresql"] if postgresql_source() is not None else [])


@dataclass
class Clock:
    """The store's clock, moved by the test."""

    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


def with_database(url: str, name: str) -> str:
    return urllib.parse.urlunsplit(urllib.parse.urlsplit(url)._replace(path="/" + name))


async def admin(url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def pg_template(pg_url: str) -> Iterator[str]:
    """A database migrated once, copied for each test (CREATE DATABASE ... TEMPLATE)."""
    from moxhooks.store.pg.migrations import migrate

    name = "mh_template_" + secrets.token_hex(4)
    asyncio.run(admin(pg_url, f'CREATE DATABASE "{name}"'))
    asyncio.run(migrate(with_database(pg_url, name), 10.0))
    yield name
    asyncio.run(admin(pg_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@dataclass
class Opened:
    """How to open (and open again) the test's store."""

    backend: str
    path: str
    url: str = ""
    stores: list[Store] = field(default_factory=list)

    async def open(self, clock: Clock, **kw: float) -> Store:
        if self.backend == "sqlite":
            store = await Store.open(self.path, clock=clock, **kw)  # type: ignore[arg-type]
        else:
            store = await Store.open_postgresql(
                self.url, path=self.path, clock=clock, **kw  # type: ignore[arg-type]
            )
        self.stores.append(store)
        return store


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opened]:
    """The test's database: a SQLite file, or a PostgreSQL database of its own."""
    path = str(tmp_path / "moxhooks.db")
    if request.param == "sqlite":
        yield Opened("sqlite", path)
        return
    pg_url: str = request.getfixturevalue("pg_url")
    template: str = request.getfixturevalue("pg_template")
    name = "mh_test_" + secrets.token_hex(4)
    asyncio.run(admin(pg_url, f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield Opened("postgresql", path, with_database(pg_url, name))
    finally:
        asyncio.run(admin(pg_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def opened(backend: Opened) -> AsyncIterator[Opened]:
    """The test's database, its stores closed at the end."""
    try:
        yield backend
    finally:
        for s in backend.stores:
            await s.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def store(opened: Opened, clock: Clock) -> Store:
    return await opened.open(clock)


def entry(
    address: str,
    *,
    account: str = "acct",
    kind: str = Kind.MAILBOX_UNKNOWN,
    source: str = Source.WEBHOOK,
    reason: str = "550 no such user",
    scope: str = "",
    expires: datetime | None = None,
    mox_state: MoxState | None = None,
) -> NewEntry:
    return NewEntry(
        account, address, address.lower(), kind, source, reason, "tester", scope=scope,
        expires=expires, mox_state=mox_state,
    )  # fmt: skip


# ---- the database ----------------------------------------------------------------------


async def test_schema_version_and_ping(store: Store, opened: Opened) -> None:
    await store.ping()
    if opened.backend == "sqlite":
        assert await store.schema_version() == len(SQLITE_MIGRATIONS)
    else:
        from moxhooks.store.pg.migrations import MIGRATIONS

        assert await store.schema_version() == len(MIGRATIONS) == 1
    assert store.now() == "2026-12-01T12:00:00.123456Z"
    await store.db.defer_checkpoints()
    await store.db.checkpoint()
    assert store.db.path == opened.path


async def test_opening_again_migrates_nothing(opened: Opened, clock: Clock) -> None:
    first = await opened.open(clock)
    await first.suppressions.add(entry("a@example.org"))
    await first.close()
    opened.stores.remove(first)
    again = await opened.open(clock)
    assert [e.base_address for e in await again.suppressions.list("acct")] == ["a@example.org"]


# ---- suppressions ------------------------------------------------------------------------


async def test_add_get_active_matching_history_and_outbox(store: Store, clock: Clock) -> None:
    added = await store.suppressions.add(entry("Bob@Example.org"))
    assert added is not None
    assert (added.id, added.account, added.base_address, added.original_address) == (
        1, "acct", "bob@example.org", "Bob@Example.org"
    )  # fmt: skip
    assert (added.scope, added.kind, added.source, added.reason) == (
        "", "mailbox_unknown", "webhook", "550 no such user"
    )  # fmt: skip
    assert (added.created, added.created_by, added.expires, added.event_id) == (
        "2026-12-01T12:00:00.123456Z", "tester", None, None
    )  # fmt: skip
    assert (added.ended, added.ended_by, added.end_reason, added.mox_state) == (
        None, None, None, "pending_add"
    )  # fmt: skip
    clock.advance(seconds=1)
    assert await store.suppressions.add(entry("bob@example.org")) is None
    assert await store.suppressions.active("acct", "bob@example.org") == added
    assert await store.suppressions.active("acct", "bob@example.org", "news") is None
    assert await store.suppressions.get("acct", 1) == added
    assert await store.suppressions.get("other", 1) is None
    topic = await store.suppressions.add(entry("bob@example.org", scope="news"))
    assert topic is not None and topic.mox_state == "n/a"
    assert [e.scope for e in await store.suppressions.matching("acct", "bob@example.org")] == [
        "", "news"
    ]  # fmt: skip
    assert await store.suppressions.history(1) == [
        {"at": "2026-12-01T12:00:00.123456Z", "action": "added", "actor": "tester",
         "detail": "mailbox_unknown from webhook: 550 no such user"},
    ]  # fmt: skip
    # Only the account-wide entry goes to mox.
    assert await store.outbox.due() == [
        OutboxRow(1, "acct", "add", "Bob@Example.org", "550 no such user", 1, 0)
    ]
    assert await store.suppressions.count() == [("acct", "mailbox_unknown", 2)]
    assert await store.suppressions.count("other") == []
    assert [(e["action"], e["suppression_id"]) for e in await store.suppressions.audit_log()] == [
        ("added", topic.id), ("added", 1)
    ]  # fmt: skip


async def test_matching_leaves_out_expired_entries(store: Store, clock: Clock) -> None:
    await store.suppressions.add(entry("a@example.org", expires=T0 + timedelta(hours=1)))
    assert len(await store.suppressions.matching("acct", "a@example.org")) == 1
    clock.advance(hours=2)
    assert await store.suppressions.matching("acct", "a@example.org") == []
    # Still active until expire_due ends it.
    assert (await store.suppressions.active("acct", "a@example.org")) is not None


async def test_add_many_skips_active_entries_and_repeats(store: Store) -> None:
    await store.suppressions.add(entry("a@example.org"))
    added = await store.suppressions.add_many(
        [
            entry("a@example.org"),
            entry("b@example.org", expires=T0 + timedelta(days=1)),
            entry("b@example.org", reason="again"),
            entry("c@example.org", scope="news", reason=""),
        ]
    )
    assert added == (2, 2)
    # Ids grow, not necessarily by one: a PostgreSQL sequence spends a value on an insert
    # that met an active entry.
    listed = await store.suppressions.list("acct")
    assert [(e.base_address, e.scope, e.reason) for e in listed] == [
        ("c@example.org", "news", ""),
        ("b@example.org", "", "550 no such user"),
        ("a@example.org", "", "550 no such user"),
    ]
    c, b, a = (e.id for e in listed)
    assert c > b > a == 1
    assert listed[1].expires == "2026-12-02T12:00:00.123456Z"
    assert await store.suppressions.history(b) == [
        {"at": "2026-12-01T12:00:00.123456Z", "action": "added", "actor": "tester",
         "detail": "mailbox_unknown from webhook: 550 no such user;"
                   " expires 2026-12-02T12:00:00.123456Z"},
    ]  # fmt: skip
    assert (await store.suppressions.history(c))[0]["detail"] == "mailbox_unknown from webhook"
    assert [(r.address, r.suppression_id) for r in await store.outbox.due()] == [
        ("a@example.org", a), ("b@example.org", b)
    ]  # fmt: skip
    assert await store.suppressions.add_many([]) == (0, 0)
    # Adopted from mox: synced already, no outbox row.
    assert await store.suppressions.adopt([entry("d@example.org"), entry("a@example.org")]) == 1
    adopted = await store.suppressions.active("acct", "d@example.org")
    assert adopted is not None and adopted.mox_state == "synced"
    assert await store.outbox.backlog() == 2
    synced = await store.suppressions.synced_active("acct")
    assert sorted(e.base_address for e in synced) == [
        "a@example.org", "b@example.org", "d@example.org"
    ]  # fmt: skip


async def test_list_filters_and_pages(store: Store, clock: Clock) -> None:
    await store.suppressions.add(entry("a@example.org"))
    await store.suppressions.add(
        entry("b@example.org", kind=Kind.COMPLAINT, source=Source.COMPLAINT)
    )
    await store.suppressions.add(entry("c@example.org", expires=T0 + timedelta(days=3)))
    await store.suppressions.add(entry("d@example.org", scope="news"))
    await store.suppressions.end("acct", 1, "person", "by hand")

    async def ids(**kw: object) -> list[int]:
        return [e.id for e in await store.suppressions.list("acct", **kw)]  # type: ignore[arg-type]

    assert await ids() == [4, 3, 2]
    assert await ids(active=False) == [1]
    assert await ids(active=None) == [4, 3, 2, 1]
    assert await ids(kind="complaint") == [2]
    assert await ids(source="complaint") == [2]
    assert await ids(scope="") == [3, 2]
    assert await ids(scope="news") == [4]
    assert await ids(expiring=True) == [3]
    assert await ids(limit=2) == [4, 3]
    assert await ids(limit=2, offset=2) == [2]
    assert await ids(search="c@ex") == [3]
    assert [e.id for e in await store.suppressions.list("other")] == []


# Addresses whose search answers differ between folding every letter (ILIKE) and SQLite's
# LIKE, which folds ASCII letters only; and the characters LIKE treats specially.
SEARCHED = [
    "Alice.Smith@Example.org",
    "bob_x@example.org",
    "bobAx@example.org",
    "élodie@exemple.fr",
    "ÉLODIE@exemple.fr",
    "100%@example.org",
    "back\\slash@example.org",
]


@pytest.mark.parametrize(
    ("term", "found"),
    [
        ("alice", ["Alice.Smith@Example.org"]),
        ("SMITH@EXAMPLE", ["Alice.Smith@Example.org"]),
        ("b_x", ["bob_x@example.org"]),  # _ is a character, not any character
        ("%@", ["100%@example.org"]),
        ("k\\s", ["back\\slash@example.org"]),
        ("élo", ["élodie@exemple.fr"]),  # É and é are different letters to LIKE
        ("ÉLO", ["ÉLODIE@exemple.fr"]),
        ("élodie@EXEMPLE", ["élodie@exemple.fr"]),  # ASCII letters fold around them
        ("ob", ["bob_x@example.org", "bobAx@example.org"]),  # short: without the index
        ("b_", ["bob_x@example.org"]),
        ("nobody", []),
    ],
)
async def test_search_is_sqlites_like(store: Store, term: str, found: list[str]) -> None:
    for address in SEARCHED:
        # The base address as given: the search looks at both columns.
        await store.suppressions.add(
            NewEntry("acct", address, address, "manual", "manual", "", "t")
        )
    listed = await store.suppressions.list("acct", search=term, limit=100)
    assert sorted(e.original_address for e in listed) == sorted(found)
