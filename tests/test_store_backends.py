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
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from pgserver import postgresql_source

from moxhooks.config import config_from_dict
from moxhooks.errors import ConfigError
from moxhooks.kinds import Kind, MoxState, Source
from moxhooks.store import (
    AutoHold,
    EventOutcome,
    MailboxMessage,
    NewEntry,
    OutboxRow,
    Send,
    Session,
    Store,
    StoredEvent,
    iso,
)
from moxhooks.store.db import MIGRATIONS as SQLITE_MIGRATIONS
from moxhooks.store.intake import IntakeWriter
from moxhooks.store.mailbox import MailboxResult
from moxhooks.store.outbox import MoxCursor, SyncState
from moxhooks.store.unsubscribe import Link, SigningKey

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
                self.url,
                path=self.path,
                clock=clock,
                **kw,  # type: ignore[arg-type]
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

        assert await store.schema_version() == len(MIGRATIONS)
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
    assert added.active is True
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


def paged_address(i: int) -> str:
    """The i-th address of the keyset paging test: every third one has "match" in it."""
    return f"{'match' if i % 3 == 0 else 'user'}{i:03}@example.org"


@pytest.mark.parametrize(
    ("filters", "wanted"),
    [
        ({}, lambda i: i % 7 != 0),
        ({"active": None}, lambda i: True),
        ({"active": False}, lambda i: i % 7 == 0),
        ({"search": "match"}, lambda i: i % 3 == 0 and i % 7 != 0),  # the trigram index
        ({"search": "5@"}, lambda i: i % 10 == 5 and i % 7 != 0),  # short: LIKE alone
        ({"search": "match", "scope": ""}, lambda i: i % 3 == 0 and i % 4 != 0 and i % 7 != 0),
        ({"scope": "news"}, lambda i: i % 4 == 0 and i % 7 != 0),
        ({"kind": "complaint", "active": None}, lambda i: i % 5 == 0),
    ],
)
async def test_list_pages_by_id_with_before(
    store: Store, filters: dict[str, object], wanted: Callable[[int], bool]
) -> None:
    added = await store.suppressions.add_many(
        entry(
            paged_address(i),
            scope="news" if i % 4 == 0 else "",
            kind=Kind.COMPLAINT if i % 5 == 0 else Kind.MAILBOX_UNKNOWN,
        )
        for i in range(250)
    )
    assert added == (250, 0)
    everything = await store.suppressions.list("acct", active=None, limit=1000)
    id_of = {e.original_address: e.id for e in everything}
    for i in range(0, 250, 7):
        assert await store.suppressions.end("acct", id_of[paged_address(i)], "t", "ended")
    expected = sorted((id_of[paged_address(i)] for i in range(250) if wanted(i)), reverse=True)
    assert len(expected) > 20

    async def page(before_id: int | None) -> list[int]:
        listed = await store.suppressions.list(
            "acct", limit=20, before_id=before_id, **filters  # type: ignore[arg-type]
        )
        return [e.id for e in listed]

    seen = await page(None)
    # An entry added between pages is newer than every entry listed: it shifts nothing.
    late = await store.suppressions.add(entry("match999@example.org"))
    assert late is not None and late.id > expected[0]
    while len(seen) < len(expected) + 5:
        more = await page(seen[-1])
        if not more:
            break
        seen += more
    assert seen == expected
    # Nothing is older than the oldest entry.
    assert await page(min(id_of.values())) == []


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


async def test_end_keeps_history_and_queues_the_remove(store: Store, clock: Clock) -> None:
    a = await store.suppressions.add(entry("a@example.org"))
    c = await store.suppressions.add(entry("c@example.org", kind=Kind.COMPLAINT))
    t = await store.suppressions.add(entry("t@example.org", scope="news"))
    m = await store.suppressions.add(entry("m@example.org"))
    assert a and c and t and m
    clock.advance(minutes=5)
    ended = await store.suppressions.end("acct", a.id, "admin", "asked by the customer")
    assert ended is not None
    assert (ended.ended, ended.ended_by, ended.end_reason, ended.mox_state) == (
        "2026-12-01T12:05:00.123456Z", "admin", "asked by the customer", "pending_remove"
    )  # fmt: skip
    assert ended.active is False
    assert await store.suppressions.end("acct", a.id, "admin", "again") is None
    assert await store.suppressions.end("other", c.id, "admin", "not its account") is None
    await store.suppressions.end("acct", c.id, "admin", "a mistake")
    t_ended = await store.suppressions.end("acct", t.id, "admin", "topic")
    m_ended = await store.suppressions.end("acct", m.id, "sync", "gone from mox", sync_mox=False)
    assert t_ended and t_ended.mox_state == "n/a"
    assert m_ended and m_ended.mox_state == "removed"
    assert (await store.suppressions.history(a.id))[-1] == {
        "at": "2026-12-01T12:05:00.123456Z", "action": "ended", "actor": "admin",
        "detail": "asked by the customer",
    }  # fmt: skip
    assert (await store.suppressions.history(c.id))[-1]["action"] == "complaint_ended"
    assert [(r.op, r.address) for r in await store.outbox.due()] == [
        ("add", "a@example.org"), ("add", "c@example.org"), ("add", "m@example.org"),
        ("remove", "a@example.org"), ("remove", "c@example.org"),
    ]  # fmt: skip
    assert await store.outbox.pending_remove("acct") == {"a@example.org", "c@example.org"}
    assert await store.suppressions.list("acct") == []


async def test_add_reported_adds_extends_or_notes(store: Store, clock: Clock) -> None:
    report = entry("a@example.org", source=Source.REPORT, reason="reported bounce")
    added, what = await store.suppressions.add_reported(report, "a report")
    assert what == "added" and added.source == "report"
    again, what = await store.suppressions.add_reported(report, "the same report again")
    assert (again, what) == (added, "already")
    assert (await store.suppressions.history(added.id))[-1] == {
        "at": "2026-12-01T12:00:00.123456Z", "action": "report_recorded", "actor": "tester",
        "detail": "the same report again",
    }  # fmt: skip
    # An expiring complaint entry made to last longer stays a complaint.
    soon = T0 + timedelta(days=1)
    later = T0 + timedelta(days=30)
    await store.suppressions.add(entry("c@example.org", kind=Kind.COMPLAINT, expires=soon))
    changed, what = await store.suppressions.add_reported(
        entry("c@example.org", kind=Kind.MAILBOX_FULL, reason="full", expires=later), "note"
    )
    assert what == "changed"
    assert (changed.kind, changed.reason, changed.expires) == (
        "complaint", "full", "2026-12-31T12:00:00.123456Z"
    )  # fmt: skip
    assert (await store.suppressions.history(changed.id))[-1]["detail"] == (
        "now complaint, expires 2026-12-31T12:00:00.123456Z: full"
    )
    forever, what = await store.suppressions.add_reported(
        entry("c@example.org", kind=Kind.MAILBOX_UNKNOWN, reason="gone"), "note"
    )
    assert (what, forever.expires, forever.kind) == ("changed", None, "complaint")
    shorter, what = await store.suppressions.add_reported(
        entry("c@example.org", expires=soon), "a shorter one"
    )
    assert (what, shorter.expires) == ("already", None)


async def test_expire_due_ends_what_has_expired(store: Store, clock: Clock) -> None:
    e = await store.suppressions.add(entry("a@example.org", expires=T0 + timedelta(hours=1)))
    await store.suppressions.add(entry("b@example.org", expires=T0 + timedelta(hours=3)))
    await store.suppressions.add(entry("c@example.org"))
    assert e is not None
    assert await store.suppressions.expire_due() == 0
    clock.advance(hours=2)
    assert await store.suppressions.expire_due() == 1
    got = await store.suppressions.get("acct", e.id)
    assert got and (got.ended, got.ended_by, got.end_reason) == (
        "2026-12-01T14:00:00.123456Z", "expiry", "expired"
    )  # fmt: skip
    assert await store.suppressions.expire_due() == 0


async def test_audit_and_audit_log(store: Store) -> None:
    await store.suppressions.audit("acct", "exported", "admin", "csv, 3 entries")
    await store.suppressions.audit("other", "imported", "admin", "csv")
    log = await store.suppressions.audit_log()
    assert [r["action"] for r in log] == ["imported", "exported"]
    first = log[1]
    assert first == {
        "id": first["id"], "at": "2026-12-01T12:00:00.123456Z", "account": "acct",
        "suppression_id": None, "action": "exported", "actor": "admin",
        "detail": "csv, 3 entries",
    }  # fmt: skip
    assert [r["action"] for r in await store.suppressions.audit_log("acct")] == ["exported"]
    assert await store.suppressions.audit_log(before_id=first["id"]) == []
    assert [r["action"] for r in await store.suppressions.audit_log(limit=1)] == ["imported"]


# ---- events ------------------------------------------------------------------------------


async def intake(store: Store, *records: tuple[str, int, str, int, str, str]) -> int:
    """Append webhooks (account, webhook id, event, QueueMsgID, Message-ID, payload) to the
    intake log, received now, and move them into events."""
    writer = IntakeWriter.open(store.db.path, on_commit=lambda: None)
    for account, webhook_id, event, qid, message_id, payload in records:
        await writer.add(account, webhook_id, 0, store.now(), event, qid, message_id, payload)
    await writer.close()
    assert await store.events.intake_backlog() == len(records)
    moved = 0
    while n := await store.events.take_intake():
        moved += n
    return moved


async def test_events_and_recipients_are_keyed_by_mox_server(store: Store) -> None:
    # mox's webhook ids and QueueMsgIDs are each server's own: the same numbers from two
    # servers are two events, a repeat from one server is one.
    writer = IntakeWriter.open(store.db.path, on_commit=lambda: None)
    for mox in ("", "b", "b"):
        await writer.add("acct", 7, 1, store.now(), "failed", 70, "<m@x>", "{}", mox)
    await writer.close()
    moved = 0
    while n := await store.events.take_intake():
        moved += n
    assert moved == 3
    due = await store.events.due()
    assert sorted((e.mox, e.webhook_id, e.queue_msg_id) for e in due) == [("", 7, 70), ("b", 7, 70)]
    await store.events.remember_recipients("acct", [(70, "first@example.org")], "mox")
    await store.events.remember_recipients("acct", [(70, "second@example.org")], "mox", "b")
    assert await store.events.recipients_for([("acct", 70)]) == {("acct", 70): "first@example.org"}
    assert await store.events.recipients_for([("acct", 70)], "b") == {
        ("acct", 70): "second@example.org"
    }
    assert await store.events.recipients_for([("acct", 70)], "c") == {}
    # A later webhook of one server's message supersedes nothing of the other's.
    first = next(e for e in due if e.mox == "")
    await store.suppressions.apply_event(outcome(first.id, None, None, "ignore"))
    writer = IntakeWriter.open(store.db.path, on_commit=lambda: None)
    await writer.add("acct", 6, 1, store.now(), "delayed", 70, "<m@x>", "{}", "b")
    await writer.close()
    while await store.events.take_intake():
        pass
    older_b = [e for e in await store.events.due() if e.mox == "b"]
    assert await store.events.superseded(older_b) == set()


def outcome(
    event_id: int, recipient: str | None, kind: str | None, decision: str, **kw: object
) -> EventOutcome:
    kw.setdefault("counts_soft", False)
    return EventOutcome(
        event_id, "acct", recipient, recipient.lower() if recipient else None, kind, decision,
        f"{decision} detail", **kw,  # type: ignore[arg-type]
    )  # fmt: skip


async def test_events_from_intake_to_done(store: Store, clock: Clock) -> None:
    moved = await intake(
        store,
        ("acct", 1, "failed", 100, "<m1@x>", '{"a": 1}'),
        ("acct", 2, "delivered", 101, "<m2@x>", "{}"),
        ("acct", 1, "failed", 100, "<m1@x>", '{"a": 1}'),  # mox repeated it
        ("other", 1, "delayed", 200, "<m3@x>", "{}"),
    )
    assert moved == 4
    assert await store.events.intake_backlog() == 0
    assert await store.events.counts() == {"pending": 3}
    assert await store.events.pending_count() == 3
    assert await store.events.unfinished_by_account() == {
        ("acct", "pending"): 2, ("other", "pending"): 1
    }  # fmt: skip
    due = await store.events.due()
    assert [(e.account, e.webhook_id) for e in due] == [("acct", 1), ("acct", 2), ("other", 1)]
    e1, e2, e3 = due
    assert e1 == StoredEvent(
        e1.id, "acct", 1, 0, "2026-12-01T12:00:00.123456Z", "failed", 100, "<m1@x>",
        '{"a": 1}', "pending", None, None, None, "", 0,
    )  # fmt: skip
    assert await store.events.get(e1.id) == e1
    assert await store.events.get(999999) is None
    assert await store.events.due(limit=1) == [e1]

    clock.advance(seconds=1)
    bounce = NewEntry(
        "acct", "Bob@Example.org", "bob@example.org", Kind.MAILBOX_UNKNOWN, Source.WEBHOOK,
        "550", f"webhook event {e1.id}", event_id=e1.id,
    )  # fmt: skip
    made = await store.suppressions.apply_event(
        outcome(e1.id, "Bob@Example.org", "mailbox_unknown", "suppress", suppress=bounce)
    )
    assert made is not None and (made.event_id, made.created) == (
        e1.id, "2026-12-01T12:00:01.123456Z"
    )  # fmt: skip
    done = await store.events.get(e1.id)
    assert done is not None
    assert (done.status, done.recipient, done.kind, done.decision, done.detail, done.tries) == (
        "done", "Bob@Example.org", "mailbox_unknown", "suppress", "suppress detail", 1
    )  # fmt: skip
    assert await store.events.processed_counts() == [
        ("acct", "failed", "mailbox_unknown", "suppress", 1)
    ]

    await store.events.mark_unresolved(e2.id, T0 + timedelta(hours=1), "no recipient yet")
    assert await store.events.next_retry() == T0 + timedelta(hours=1)
    assert [e.id for e in await store.events.due()] == [e3.id]
    await store.events.mark_abandoned(e3.id, "gave up")
    assert await store.events.counts() == {"unresolved": 1, "abandoned": 1}
    assert await store.events.pending_count() == 1
    clock.advance(hours=2)
    retried = await store.events.due()
    assert [(e.id, e.status, e.tries, e.detail) for e in retried] == [
        (e2.id, "unresolved", 1, "no recipient yet")
    ]
    # A later webhook of e2's message, processed: e2 is superseded.
    await intake(store, ("acct", 3, "delivered", 101, "<m2@x>", '{"later": true}'))
    (e4,) = await store.events.due(limit=1)
    assert e4.id == e2.id
    later = [e for e in await store.events.list("acct") if e.webhook_id == 3][0]
    assert await store.suppressions.apply_event(outcome(later.id, None, None, "ignore")) is None
    assert await store.events.superseded([e1, e2]) == {e2.id}
    assert await store.events.superseded([]) == set()

    assert [e.webhook_id for e in await store.events.list("acct")] == [3, 2, 1]
    assert [e.webhook_id for e in await store.events.list("acct", before_id=later.id)] == [2, 1]
    assert [e.webhook_id for e in await store.events.list("acct", event="failed")] == [1]
    assert [e.webhook_id for e in await store.events.list("acct", status="done")] == [3, 1]
    assert [e.webhook_id for e in await store.events.list("acct", kind="mailbox_unknown")] == [1]
    assert [e.webhook_id for e in await store.events.list("acct", recipient="bob@example.org")] == [
        1
    ]
    assert [e.webhook_id for e in await store.events.list("acct", limit=1)] == [3]

    await store.events.remember_recipients("acct", [(101, "carol@example.org")], "send")
    await store.events.remember_recipients("acct", [(101, "Carol@example.org")], "lookup")
    assert await store.events.recipients_for([("acct", 101), ("acct", 999), ("x", 101)]) == {
        ("acct", 101): "Carol@example.org"
    }
    assert await store.events.recipients_for([]) == {}
    assert await store.events.sends(["<m1@x>", "<m2@x>", "<none@x>"]) == [
        Send("acct", 100, "<m1@x>", "Bob@Example.org", '{"a": 1}'),
        Send("acct", 101, "<m2@x>", "Carol@example.org", '{"later": true}'),
    ]
    assert await store.events.sends(["<m3@x>"], "other") == [
        Send("other", 200, "<m3@x>", None, "{}")
    ]
    assert await store.events.sends(["<m1@x>"], "other") == []
    assert await store.events.sends([]) == []
    assert await store.events.latest_send_to("acct", "bob@example.org", iso(T0)) == Send(
        "acct", 100, "<m1@x>", "Bob@Example.org", '{"a": 1}'
    )
    assert await store.events.latest_send_to("acct", "bob@example.org", store.now()) is None
    history = await store.suppressions.address_history("acct", "bob@example.org", iso(T0), 0)
    assert (history.soft_failures, history.soft_suppressions, history.active) == (0, 0, made)


async def test_soft_failures_count_distinct_other_messages(store: Store) -> None:
    await intake(
        store,
        ("acct", 1, "delayed", 10, "<a@x>", "{}"),
        ("acct", 2, "delayed", 10, "<a@x>", "{}"),
        ("acct", 3, "delayed", 11, "<b@x>", "{}"),
        ("acct", 4, "delayed", 12, "<c@x>", "{}"),
    )
    for e in await store.events.due():
        await store.suppressions.apply_event(
            outcome(e.id, "d@example.org", "mailbox_full", "record", counts_soft=True)
        )
    await store.suppressions.add(entry("d@example.org", expires=T0 + timedelta(days=1)))
    h = await store.suppressions.address_history("acct", "d@example.org", iso(T0), 12)
    assert (h.soft_failures, h.soft_suppressions) == (2, 1)
    assert h.active is not None and h.active.base_address == "d@example.org"


async def test_apply_event_makes_permanent_and_removes_mox_entries(
    store: Store, clock: Clock
) -> None:
    temp = await store.suppressions.add(entry("t@example.org", expires=T0 + timedelta(days=1)))
    assert temp is not None
    await store.suppressions.apply_event(
        outcome(7, "t@example.org", "mailbox_unknown", "suppress",
                make_permanent=(temp.id, "mailbox_unknown", "hard now"))
    )  # fmt: skip
    now_permanent = await store.suppressions.get("acct", temp.id)
    assert now_permanent and (now_permanent.expires, now_permanent.reason) == (None, "hard now")
    assert (await store.suppressions.history(temp.id))[-1] == {
        "at": "2026-12-01T12:00:00.123456Z", "action": "changed", "actor": "webhook event 7",
        "detail": "now mailbox_unknown, no expiry: hard now",
    }  # fmt: skip
    # mox's false entry, not adopted: a remove for mox only; adopted: the entry ends.
    await store.suppressions.apply_event(
        outcome(8, "Dan@example.org", None, "unsuppress", unsuppress_mox="Dan@example.org")
    )
    await store.suppressions.adopt([entry("eve@example.org", source=Source.MOX)])
    eve = await store.suppressions.active("acct", "eve@example.org")
    assert eve is not None
    await store.suppressions.apply_event(
        outcome(9, "eve@example.org", None, "unsuppress", unsuppress_mox="eve@example.org")
    )
    assert await store.suppressions.active("acct", "eve@example.org") is None
    rows = [(r.op, r.address, r.suppression_id) for r in await store.outbox.due()]
    assert rows == [
        ("add", "t@example.org", temp.id), ("remove", "Dan@example.org", None),
        ("remove", "eve@example.org", eve.id),
    ]  # fmt: skip
    log = await store.suppressions.audit_log("acct", limit=4)
    assert [(r["action"], r["actor"], r["detail"]) for r in log] == [
        ("ended", "policy", "unsuppress detail"),
        ("mox_false_removed", "policy", "eve@example.org: unsuppress detail"),
        ("added", "tester", "mailbox_unknown from mox: 550 no such user"),
        ("mox_false_removed", "policy", "Dan@example.org: unsuppress detail"),
    ]


# ---- outbox ------------------------------------------------------------------------------


async def test_outbox_cursor_of_a_further_mox_server(store: Store, clock: Clock) -> None:
    assert await store.outbox.cursor("b", "acct") == MoxCursor("b", "acct", 0, 0, None, "")
    a = await store.suppressions.add(entry("a@example.org"))
    await store.suppressions.add(entry("b@example.org", account="acct2"))
    assert a
    await store.suppressions.end("acct", a.id, "admin", "mistake")
    rows = await store.outbox.after("acct", 0)
    assert [(r.op, r.address) for r in rows] == [("add", "a@example.org"), ("remove", "a@example.org")]
    # The first server's progress (the rows' state) is not the further server's.
    await store.outbox.done(rows[0])
    assert await store.outbox.after("acct", 0) == [
        OutboxRow(rows[0].id, "acct", "add", "a@example.org", rows[0].reason, a.id, 1), rows[1]
    ]
    await store.outbox.retry_cursor("b", "acct", T0 + timedelta(minutes=5), "away")
    await store.outbox.retry_cursor("b", "acct", T0 + timedelta(minutes=9), "still away")
    assert await store.outbox.cursor("b", "acct") == MoxCursor(
        "b", "acct", 0, 2, T0 + timedelta(minutes=9), "still away"
    )
    await store.outbox.advance("b", "acct", rows[0].id)
    assert await store.outbox.cursor("b", "acct") == MoxCursor("b", "acct", rows[0].id, 0, None, "")
    assert await store.outbox.after("acct", rows[0].id) == [rows[1]]
    await store.outbox.advance("b", "acct", rows[1].id, "mox: absent")
    assert await store.outbox.after("acct", rows[1].id) == []
    assert (await store.outbox.cursor("b", "acct")).last_error == "mox: absent"
    # Each server and account has its own.
    assert (await store.outbox.cursor("c", "acct")).last_id == 0
    assert (await store.outbox.cursor("b", "acct2")).last_id == 0


async def test_outbox_order_retry_done_and_failed(store: Store, clock: Clock) -> None:
    a = await store.suppressions.add(entry("a@example.org"))
    b = await store.suppressions.add(entry("b@example.org", account="acct2"))
    assert a and b
    await store.suppressions.end("acct", a.id, "admin", "mistake")
    r1, r3, r2 = await store.outbox.due()
    assert [(r.account, r.op, r.address) for r in (r1, r3, r2)] == [
        ("acct", "add", "a@example.org"), ("acct", "remove", "a@example.org"),
        ("acct2", "add", "b@example.org"),
    ]  # fmt: skip
    assert await store.outbox.next_due_time() == "2026-12-01T12:00:00.123456Z"
    await store.outbox.retry(r1, T0 + timedelta(hours=1), "mox unavailable")
    # The account's rows wait behind its first one: an add and its remove never swap.
    assert await store.outbox.due() == [r2]
    clock.advance(minutes=1)
    await store.outbox.retry_now()
    assert [(r.id, r.attempts) for r in await store.outbox.due()] == [
        (r1.id, 1), (r3.id, 0), (r2.id, 0)
    ]  # fmt: skip
    assert await store.outbox.next_due_time() == "2026-12-01T12:01:00.123456Z"
    await store.outbox.done(r2)
    synced = await store.suppressions.get("acct2", b.id)
    assert synced and synced.mox_state == "synced"
    await store.outbox.done(r1, "there already", pushed=False)
    await store.outbox.failed(r3, "refused: no such address")
    failed = await store.suppressions.get("acct", a.id)
    assert failed and failed.mox_state == "error"
    assert (await store.suppressions.history(a.id))[-1] == {
        "at": "2026-12-01T12:01:00.123456Z", "action": "sync_failed", "actor": "sync",
        "detail": "mox refused remove: refused: no such address",
    }  # fmt: skip
    assert await store.outbox.due() == []
    assert await store.outbox.next_due_time() is None
    assert await store.outbox.backlog() == 0
    await store.suppressions.end("acct2", b.id, "admin", "mistake")
    assert await store.outbox.backlog() == 1
    assert await store.outbox.backlog_by_account() == {"acct2": 1}
    assert await store.outbox.pending_remove("acct2") == {"b@example.org"}
    assert await store.outbox.pending_remove("acct") == set()
    await store.outbox.record_reconcile("acct", "")
    await store.outbox.record_reconcile("acct2", "mox unavailable")
    await store.outbox.record_reconcile("acct2", "mox unavailable again")
    assert await store.outbox.sync_states() == {
        "acct": SyncState("acct", "2026-12-01T12:01:00.123456Z", ""),
        "acct2": SyncState("acct2", None, "mox unavailable again"),
    }
    assert sorted(await store.outbox.sync_counts()) == [
        ("acct", "failures", "refused", 1), ("acct", "failures", "unavailable", 1),
        ("acct2", "failures", "reconcile", 2), ("acct2", "pushed", "add", 1),
    ]  # fmt: skip


# ---- sessions ----------------------------------------------------------------------------


async def test_sessions_slide_and_end(store: Store, clock: Clock) -> None:
    hour, day = timedelta(hours=1), timedelta(hours=8)
    s = await store.sessions.create(
        "s1", "account", "acct", "a@example.org", "csrf1", "192.0.2.1", idle=hour, lifetime=day
    )
    assert s == Session(
        "s1", "account", "acct", "a@example.org", "csrf1", "192.0.2.1",
        "2026-12-01T12:00:00.123456Z", "2026-12-01T12:00:00.123456Z",
        "2026-12-01T13:00:00.123456Z",
    )  # fmt: skip
    assert await store.sessions.live("s1", idle=hour, lifetime=day) == s
    clock.advance(minutes=30)
    assert await store.sessions.live("s1", idle=hour, lifetime=day) == s
    slid = await store.sessions.live("s1", idle=hour, lifetime=day)
    assert slid and (slid.last_seen, slid.expires) == (
        "2026-12-01T12:30:00.123456Z", "2026-12-01T13:30:00.123456Z"
    )  # fmt: skip
    assert await store.sessions.live("nope", idle=hour, lifetime=day) is None
    clock.advance(hours=2)
    assert await store.sessions.live("s1", idle=hour, lifetime=day) is None
    await store.sessions.create(
        "s2", "admin", "", "", "csrf2", "192.0.2.2", idle=hour, lifetime=timedelta(minutes=10)
    )
    s2 = await store.sessions.live("s2", idle=hour, lifetime=day)
    assert s2 and s2.expires == "2026-12-01T14:40:00.123456Z"
    await store.sessions.delete("s2")
    assert await store.sessions.live("s2", idle=hour, lifetime=day) is None


async def test_failed_sign_ins_are_counted_per_client_and_user(store: Store, clock: Clock) -> None:
    window = timedelta(minutes=15)
    await store.sessions.record_failure("192.0.2.1", "bob", window)
    clock.advance(minutes=1)
    await store.sessions.record_failure("192.0.2.1", "alice", window)
    await store.sessions.record_failure("192.0.2.9", "bob", window)
    assert await store.sessions.failures("192.0.2.1", "carol", window) == (
        2, "2026-12-01T12:00:00.123456Z"
    )  # fmt: skip
    assert await store.sessions.failures("192.0.2.5", "bob", window) == (
        2, "2026-12-01T12:00:00.123456Z"
    )  # fmt: skip
    assert await store.sessions.failures("192.0.2.5", "dave", window) == (0, None)
    clock.advance(minutes=14)  # the first failure is out of the window now
    assert await store.sessions.failures("192.0.2.1", "carol", window) == (
        1, "2026-12-01T12:01:00.123456Z"
    )  # fmt: skip
    await store.sessions.clear_failures("alice")
    assert await store.sessions.failures("192.0.2.1", "alice", window) == (0, None)
    assert await store.sessions.failures("192.0.2.9", "bob", window) == (
        1, "2026-12-01T12:01:00.123456Z"
    )  # fmt: skip


# ---- holds -------------------------------------------------------------------------------


async def test_holds_from_added_to_lifted(store: Store, clock: Clock) -> None:
    hold = await store.holds.add(
        "", "acct", "example.com", 7, "12 hard bounces in 10 minutes", 12, timedelta(hours=1),
        "policy",
    )  # fmt: skip
    assert hold == AutoHold(
        id=hold.id, mox="", account="acct", recipient_domain="example.com", rule_id=7,
        reason="12 hard bounces in 10 minutes", recipients=12,
        created="2026-12-01T12:00:00.123456Z", lift_after="2026-12-01T13:00:00.123456Z",
        active=True, lifted=None, lifted_by=None, released=None, last_error="",
    )  # fmt: skip
    assert await store.holds.active("", "acct", "example.com") == hold
    assert await store.holds.active("", "acct", "example.net") is None
    assert await store.holds.active("b", "acct", "example.com") is None
    assert await store.holds.by_rule("", 7) == hold
    assert await store.holds.by_rule("", 8) is None
    assert await store.holds.by_rule("b", 7) is None
    assert await store.holds.list() == [hold]
    assert await store.holds.due() == []
    clock.advance(hours=2)
    assert await store.holds.due() == [hold]
    await store.holds.lift_failed(hold, "mox unavailable")
    failing = await store.holds.active("", "acct", "example.com")
    assert failing and failing.last_error == "mox unavailable"
    await store.holds.lifted(hold, "policy", 5, "released 5 messages")
    assert await store.holds.active("", "acct", "example.com") is None
    assert await store.holds.list(active_only=True) == []
    (lifted,) = await store.holds.list()
    assert (lifted.lifted, lifted.lifted_by, lifted.released, lifted.last_error) == (
        "2026-12-01T14:00:00.123456Z", "policy", 5, ""
    )  # fmt: skip
    log = await store.suppressions.audit_log("acct")
    assert [(r["action"], r["detail"]) for r in log] == [
        ("auto_hold_lifted", "released 5 messages"),
        ("auto_hold", "held mail to example.com (mox hold rule 7) until"
                      " 2026-12-01T13:00:00.123456Z: 12 hard bounces in 10 minutes"),
    ]  # fmt: skip
    again = await store.holds.add(
        "", "acct", "example.com", 9, "again", 3, timedelta(hours=1), "p"
    )
    assert [h.id for h in await store.holds.list()] == [again.id, hold.id]
    assert [h.id for h in await store.holds.list(limit=1)] == [again.id]


async def test_holds_are_each_mox_servers(store: Store, clock: Clock) -> None:
    # The same domain held in two servers, with the same rule id (each server numbers its
    # own rules): two holds, each found, lifted and audited as its server's.
    first = await store.holds.add("", "acct", "example.com", 7, "r", 3, timedelta(hours=1), "p")
    in_b = await store.holds.add("b", "acct", "example.com", 7, "r", 3, timedelta(hours=2), "p")
    assert (first.mox, in_b.mox) == ("", "b")
    assert await store.holds.active("", "acct", "example.com") == first
    assert await store.holds.active("b", "acct", "example.com") == in_b
    assert await store.holds.by_rule("b", 7) == in_b
    assert await store.holds.by_rule("", 7) == first
    # A second active hold of one server, account and domain is refused by the database.
    with pytest.raises(Exception, match="(?i)unique"):
        await store.holds.add("b", "acct", "example.com", 8, "r", 3, timedelta(hours=1), "p")
    clock.advance(minutes=90)
    assert await store.holds.due() == [first]
    await store.holds.lifted(in_b, "holds", 2, "lifted in b")
    assert await store.holds.active("b", "acct", "example.com") is None
    assert await store.holds.active("", "acct", "example.com") == first
    assert [h.mox for h in await store.holds.list(active_only=True)] == [""]
    log = await store.suppressions.audit_log("acct")
    assert [r["detail"] for r in log][1:] == [
        "held mail to example.com (hold rule 7 of mox b) until 2026-12-01T14:00:00.123456Z: r",
        "held mail to example.com (mox hold rule 7) until 2026-12-01T13:00:00.123456Z: r",
    ]


# ---- stats -------------------------------------------------------------------------------


async def test_stats_per_day(store: Store, clock: Clock) -> None:
    await intake(
        store,
        ("acct", 1, "delivered", 1, "<1@x>", "{}"),
        ("acct", 2, "failed", 2, "<2@x>", "{}"),
        ("acct", 3, "failed", 0, "", "{}"),  # no message: not counted
        ("other", 1, "failed", 9, "<9@x>", "{}"),
    )
    await store.suppressions.add(entry("a@example.org"))
    await store.suppressions.add(entry("c@example.org", kind=Kind.COMPLAINT, source=Source.REPORT))
    await store.suppressions.add(
        entry("m@example.org", kind=Kind.COMPLAINT, source=Source.COMPLAINT)
    )
    clock.advance(days=1)
    await intake(
        store,
        ("acct", 4, "failed", 2, "<2@x>", "{}"),
        ("acct", 5, "delayed", 3, "<3@x>", "{}"),
        ("acct", 6, "suppressed", 4, "<4@x>", "{}"),
    )
    for e in await store.events.due():
        kind = "mailbox_unknown" if e.webhook_id == 2 else None
        await store.suppressions.apply_event(outcome(e.id, None, kind, "record"))
    await store.suppressions.end("acct", 1, "admin", "mistake")
    await store.inbound.add("acct", "imap", "1:1")
    (message,) = await store.inbound.due()
    await store.inbound.finish(
        message.id, "done", "arf", None, "1 complaint",
        [MailboxResult("acct", "r@example.org", "complaint", "complaint", "suppress", "")],
    )  # fmt: skip
    first = date(2026, 12, 1)
    hard = ["mailbox_unknown", "domain_unknown"]
    assert await store.stats.messages_by_day("acct", first, hard) == {
        "2026-12-01": {"sent": 2, "delivered": 1, "delayed": 0, "failed": 1, "failed_hard": 1,
                       "suppressed": 0},
        "2026-12-02": {"sent": 3, "delivered": 0, "delayed": 1, "failed": 1, "failed_hard": 0,
                       "suppressed": 1},
    }  # fmt: skip
    assert await store.stats.message_totals("acct", first, hard) == {
        "sent": 4, "delivered": 1, "delayed": 1, "failed": 1, "failed_hard": 1, "suppressed": 1
    }  # fmt: skip
    assert await store.stats.message_totals("acct", date(2026, 12, 2), []) == {
        "sent": 3, "delivered": 0, "delayed": 1, "failed": 1, "failed_hard": 0, "suppressed": 1
    }  # fmt: skip
    assert await store.stats.failures_by_day("acct", first) == {
        "2026-12-01": {"mailbox_unknown": 1}, "2026-12-02": {"undetermined": 1}
    }  # fmt: skip
    assert await store.stats.suppressions_by_day("acct", first) == {
        "2026-12-01": {"suppressions_added": 3, "complaints": 1},
        "2026-12-02": {"suppressions_removed": 1, "complaints": 1},
    }
    assert await store.stats.suppressions_by_day("acct", date(2026, 12, 2)) == {
        "2026-12-02": {"suppressions_removed": 1, "complaints": 1},
    }
    assert store.stats.clock() == T0 + timedelta(days=1)


# ---- export ------------------------------------------------------------------------------


async def test_export_pages_active_unexpired_entries(store: Store, clock: Clock) -> None:
    a = await store.suppressions.add(entry("A@example.org"))
    b = await store.suppressions.add(entry("b@example.org", expires=T0 + timedelta(hours=1)))
    c = await store.suppressions.add(entry("c@example.org"))
    await store.suppressions.add(entry("d@example.org", account="other"))
    assert a and b and c
    await store.suppressions.end("acct", c.id, "admin", "mistake")
    assert await store.export.count("acct") == 2
    assert await store.export.page("acct", store.now(), 0, 1) == (
        a.id,
        [("A@example.org", "a@example.org", "", "mailbox_unknown", "webhook",
          "550 no such user", "2026-12-01T12:00:00.123456Z", "", "pending_add")],
    )  # fmt: skip
    assert await store.export.page("acct", store.now(), a.id, 10) == (
        b.id,
        [("b@example.org", "b@example.org", "", "mailbox_unknown", "webhook",
          "550 no such user", "2026-12-01T12:00:00.123456Z", "2026-12-01T13:00:00.123456Z",
          "pending_add")],
    )  # fmt: skip
    assert await store.export.page("acct", store.now(), b.id, 10) == (b.id, [])
    clock.advance(hours=2)
    assert await store.export.count("acct") == 1
    assert await store.export.page("acct", store.now(), 0, 10) == (a.id, [
        ("A@example.org", "a@example.org", "", "mailbox_unknown", "webhook",
         "550 no such user", "2026-12-01T12:00:00.123456Z", "", "pending_add")])  # fmt: skip


# ---- inbound -----------------------------------------------------------------------------


async def test_inbound_kept_retried_and_finished(store: Store, clock: Clock) -> None:
    assert await store.inbound.add(
        "acct", "webhook", "w1", rcpt_to="bounces@example.org",
        mail_from="MAILER-DAEMON@example.net", subject="Undelivered", message_id="<b1@x>",
        mox_msg_id=5, meta='{"k": 1}',
    )  # fmt: skip
    assert not await store.inbound.add("acct", "webhook", "w1")
    assert await store.inbound.add("acct", "imap", "1:2", raw=b"From: a\r\n\r\nhi")
    m1, m2 = await store.inbound.due()
    assert m1 == MailboxMessage(
        m1.id, "acct", "webhook", "w1", "2026-12-01T12:00:00.123456Z", "bounces@example.org",
        "MAILER-DAEMON@example.net", "Undelivered", "<b1@x>", 5, '{"k": 1}', None, None,
        "pending", None, "", 0,
    )  # fmt: skip
    assert (m2.raw, m2.raw_size, m2.meta) == (b"From: a\r\n\r\nhi", 13, "{}")
    await store.inbound.set_raw(m1.id, b"From: x\r\n")
    got = await store.inbound.get("acct", m1.id)
    assert got and (got.raw, got.raw_size) == (b"From: x\r\n", 9)
    assert await store.inbound.get("other", m1.id) is None
    assert await store.inbound.get(None, m1.id) == got
    assert await store.inbound.get(None, 999999) is None
    await store.inbound.retry_later(m1.id, T0 + timedelta(hours=1), "mox unavailable")
    assert await store.inbound.next_retry() == T0 + timedelta(hours=1)
    assert [m.id for m in await store.inbound.due()] == [m2.id]
    clock.advance(hours=2)
    assert [(m.id, m.tries, m.outcome) for m in await store.inbound.due()] == [
        (m1.id, 1, "mox unavailable"), (m2.id, 0, "")
    ]  # fmt: skip
    assert [m.id for m in await store.inbound.due(limit=1)] == [m1.id]
    e = await store.suppressions.add(entry("r@example.org", kind=Kind.COMPLAINT))
    assert e is not None
    await store.inbound.finish(
        m2.id, "done", "arf", {"feedback": ["abuse"]}, "1 complaint",
        [MailboxResult("acct", "r@example.org", "complaint", "complaint", "suppress", "new",
                       e.id),
         MailboxResult("acct", "s@example.org", None, "failed", "record", "")],
    )  # fmt: skip
    await store.inbound.finish(m1.id, "unparsed", None, None, "not a report")
    assert await store.inbound.next_retry() is None
    assert await store.inbound.due() == []
    assert await store.inbound.results(m2.id) == [
        {"recipient": "r@example.org", "kind": "complaint", "action": "complaint",
         "decision": "suppress", "detail": "new", "entry_id": e.id,
         "created": "2026-12-01T14:00:00.123456Z"},
        {"recipient": "s@example.org", "kind": None, "action": "failed", "decision": "record",
         "detail": "", "entry_id": None, "created": "2026-12-01T14:00:00.123456Z"},
    ]  # fmt: skip
    assert await store.inbound.parsed(m2.id) == {"feedback": ["abuse"]}
    assert await store.inbound.parsed(m1.id) is None
    listed = await store.inbound.list("acct")
    assert [(m.id, m.status, m.report_type, m.raw, m.raw_size) for m in listed] == [
        (m2.id, "done", "arf", None, 13), (m1.id, "unparsed", None, None, 9)
    ]  # fmt: skip
    assert [m.id for m in await store.inbound.list(None, status="done")] == [m2.id]
    assert [m.id for m in await store.inbound.list("acct", before=m2.id)] == [m1.id]
    assert [m.id for m in await store.inbound.list("acct", limit=1)] == [m2.id]
    assert await store.inbound.list("other") == []
    assert await store.inbound.counts() == {("acct", "done"): 1, ("acct", "unparsed"): 1}
    assert await store.inbound.for_entry("acct", e.id) == [
        {"id": m2.id, "received": "2026-12-01T12:00:00.123456Z", "report_type": "arf",
         "subject": "", "mail_from": "", "status": "done", "recipient": "r@example.org",
         "action": "complaint", "decision": "suppress", "detail": "new"},
    ]  # fmt: skip
    assert await store.inbound.for_entry("other", e.id) == []


# ---- unsubscribe -------------------------------------------------------------------------


async def test_unsubscribe_keys(store: Store, clock: Clock) -> None:
    key = await store.unsubscribe.current_key()
    assert (len(key.secret), key.created, key.retired) == (32, "2026-12-01T12:00:00.123456Z", None)
    assert await store.unsubscribe.current_key() == key
    clock.advance(seconds=1)
    new = await store.unsubscribe.rotate_key("admin")
    assert new.id > key.id and new.secret != key.secret and new.retired is None
    retired = SigningKey(key.id, key.secret, key.created, "2026-12-01T12:00:01.123456Z")
    assert await store.unsubscribe.keys() == [new, retired]
    assert await store.unsubscribe.key(key.id) == retired
    assert await store.unsubscribe.key(new.id + 100) is None
    assert await store.unsubscribe.current_key() == new
    assert (await store.suppressions.audit_log(""))[0]["detail"] == f"key {new.id}"
    assert store.unsubscribe.clock() == T0 + timedelta(seconds=1)


async def test_unsubscribe_links(store: Store) -> None:
    link_id = bytes(range(16))
    await store.unsubscribe.add_link(link_id, "acct", "Ann@example.org", "news", "<m@x>")
    assert await store.unsubscribe.link(link_id) == Link(
        link_id, "acct", "Ann@example.org", "news", "<m@x>", "2026-12-01T12:00:00.123456Z",
        None, None,
    )  # fmt: skip
    await store.unsubscribe.record_send(link_id, 77, "<m@x>", "Ann@example.org", "relay")
    sent = await store.unsubscribe.link(link_id)
    assert sent and (sent.queue_msg_id, sent.message_id) == (77, "<m@x>")
    assert await store.events.recipients_for([("acct", 77)]) == {("acct", 77): "Ann@example.org"}
    await store.unsubscribe.drop_link(link_id)
    assert await store.unsubscribe.link(link_id) is None


async def test_unsubscribe_pause_outweighed_and_resubscribe(store: Store, clock: Clock) -> None:
    def wish(scope: str, expires: datetime | None = None) -> NewEntry:
        return NewEntry(
            "acct", "Ann@example.org", "ann@example.org", Kind.UNSUBSCRIBED,
            Source.UNSUBSCRIBE, "link", "recipient", scope=scope, expires=expires,
        )  # fmt: skip

    news, what = await store.unsubscribe.unsubscribe(wish("news"))
    assert (what, news.kind, news.source, news.mox_state) == (
        "added", "unsubscribed", "unsubscribe", "n/a"
    )  # fmt: skip
    assert await store.unsubscribe.unsubscribe(wish("news")) == (news, "already")
    week = T0 + timedelta(days=7)
    paused, what = await store.unsubscribe.unsubscribe(wish("news", week))
    assert (what, paused.id, paused.expires) == ("changed", news.id, "2026-12-08T12:00:00.123456Z")
    assert await store.unsubscribe.unsubscribe(wish("news", week)) == (paused, "already")
    # A complaint outweighs the wish; an expiring entry of another kind gives way to it.
    complaint = await store.suppressions.add(entry("ann@example.org", kind=Kind.COMPLAINT))
    assert await store.unsubscribe.unsubscribe(wish("")) == (complaint, "outweighed")
    assert (await store.suppressions.history(complaint.id))[-1]["action"] == "unsubscribe_noted"
    soft = await store.suppressions.add(
        entry("ann@example.org", kind=Kind.MAILBOX_FULL, scope="promo", expires=week)
    )
    assert soft is not None
    taken, what = await store.unsubscribe.unsubscribe(wish("promo"))
    assert (what, taken.id, taken.kind, taken.expires) == ("changed", soft.id, "unsubscribed", None)
    assert (await store.suppressions.history(soft.id))[-1]["detail"] == (
        "now unsubscribed, no expiry (was mailbox_full from webhook): link"
    )
    assert [e.scope for e in await store.unsubscribe.entries("acct", "ann@example.org")] == [
        "", "news", "promo"
    ]  # fmt: skip
    clock.advance(days=8)
    assert [e.scope for e in await store.unsubscribe.entries("acct", "ann@example.org")] == [
        "", "promo"
    ]  # fmt: skip
    back = await store.unsubscribe.resubscribe(
        "acct", "ann@example.org", "promo", "recipient", "resubscribed"
    )
    assert back and (back.ended, back.ended_by, back.mox_state) == (
        "2026-12-09T12:00:00.123456Z", "recipient", "n/a"
    )  # fmt: skip
    # Only the recipient's own entries: not the complaint, not what is not there.
    assert await store.unsubscribe.resubscribe("acct", "ann@example.org", "", "r", "x") is None
    assert await store.unsubscribe.resubscribe("acct", "ann@example.org", "promo", "r", "x") is None


# ---- accounts ----------------------------------------------------------------------------


async def test_webhook_secret_generated_once(store: Store, opened: Opened, clock: Clock) -> None:
    assert await store.webhook_secret("acct", "configured-secret") == "configured-secret"
    made = await store.accounts.webhook_secret("acct", "")
    assert len(made) == 43
    assert await store.accounts.webhook_secret("acct", "") == made
    assert await store.accounts.webhook_secret("other", "") not in ("", made)
    # Two processes asking at once keep one.
    second = await opened.open(clock)
    both = await asyncio.gather(
        store.accounts.webhook_secret("third", ""), second.accounts.webhook_secret("third", "")
    )
    assert both[0] == both[1]


async def test_webhook_secrets_are_per_mox_server(store: Store, opened: Opened, clock: Clock) -> None:
    first = await store.webhook_secret("acct", "")
    on_b = await store.webhook_secret("acct", "", "b")
    assert on_b not in ("", first)
    assert await store.webhook_secret("acct", "", "b") == on_b
    assert await store.webhook_secret("acct", "", "") == first
    # Two processes asking at once for a server's secret keep one.
    second = await opened.open(clock)
    both = await asyncio.gather(
        store.webhook_secret("acct", "", "c"), second.webhook_secret("acct", "", "c")
    )
    assert both[0] == both[1] != on_b


# ---- configuration ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://db/moxhooks", 'database.url: must be "" \\(SQLite\\) or a postgresql:// URL'),
        ("postgresql:///moxhooks", "database.url: must name a host and a database"),
        ("postgresql://db.example", "database.url: must name a host and a database"),
        ("postgresql://db:port/moxhooks", "database.url: the port must be a number"),
    ],
)
def test_database_url_is_checked(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        config_from_dict({"database": {"url": url}})


def test_database_url_default_is_sqlite() -> None:
    assert config_from_dict({}).database.url == ""
    url = "postgresql://moxhooks:secret@127.0.0.1:5432/moxhooks"
    assert config_from_dict({"database": {"url": url}}).database.url == url


async def test_configured_opens_the_backend_the_url_names(opened: Opened, clock: Clock) -> None:
    config = config_from_dict({"database": {"url": opened.url, "path": opened.path}}).database
    store = await Store.configured(config, clock=clock)
    opened.stores.append(store)
    expected = "PgDatabase" if opened.url else "SqliteDatabase"
    assert type(store.db).__name__ == expected
    await store.suppressions.add(entry("a@example.org"))
    assert [e.base_address for e in await store.suppressions.list("acct")] == ["a@example.org"]


async def test_hold_failures_are_counted_per_domain_within_the_window(store: Store) -> None:
    h = store.holds
    window = timedelta(minutes=10)
    s = timedelta(seconds=1)
    assert await h.note_failure("", "acct", "example.org", "a@example.org", T0, T0 - window) == 1
    # The same recipient again counts once.
    assert await h.note_failure("", "acct", "example.org", "a@example.org", T0 + s, T0 - window) == 1
    assert await h.note_failure("", "acct", "example.org", "b@example.org", T0 + 2 * s, T0 - window) == 2
    # Another domain, another account: counted apart.
    assert await h.note_failure("", "acct", "other.org", "c@other.org", T0, T0 - window) == 1
    assert await h.note_failure("", "other", "example.org", "d@example.org", T0, T0 - window) == 1
    # And through another mox server.
    assert await h.note_failure("b", "acct", "example.org", "a@example.org", T0, T0 - window) == 1
    # Later: a's last failure (T0 + 1 s) has left the window, b's has not.
    later = T0 + timedelta(minutes=5)
    assert await h.note_failure("", "acct", "example.org", "e@example.org", later, T0 + s) == 2
    await h.forget_failures("", "acct", "example.org")
    assert await h.note_failure("", "acct", "example.org", "f@example.org", later, T0 - window) == 1
    assert await h.note_failure("", "acct", "other.org", "g@other.org", later, T0 - window) == 2
    # Forgetting the first server's failures kept b's.
    assert await h.note_failure("b", "acct", "example.org", "h@example.org", later, T0 - window) == 2
