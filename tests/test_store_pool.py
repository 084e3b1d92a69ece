"""The store's reads: a pool of readers, each read with a deadline; its errors, its boundary.

Real SQLite files throughout. The slow read is real work for SQLite (a recursive count
to a billion, which would take minutes), stopped by the store's deadline, not a sleep.
"""

from __future__ import annotations

import ast
import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from conftest import Moxhooks

from moxhooks.config import config_from_dict
from moxhooks.errors import ConfigError, MoxhooksError
from moxhooks.store import NewEntry, ReadTimeout, Store, StoreUnavailable
from moxhooks.store.db import NO_DEADLINE, SqliteDatabase
from moxhooks.store.suppressions import SqliteSuppressionStore

ROOT = Path(__file__).resolve().parent.parent
# Counts to a billion: minutes of work for SQLite unless something stops it.
SLOW = (
    "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 1000000000)"
    " SELECT COUNT(*) FROM n"
)
TOKEN = "api-token-for-tests"
Start = Callable[..., Awaitable[Moxhooks]]


def entry(n: int) -> NewEntry:
    return NewEntry("mox", f"u{n}@example.org", f"u{n}@example.org", "manual", "manual", "", "t")


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    s = await Store.open(str(tmp_path / "m.db"), readers=3, read_timeout=5.0)
    await s.suppressions.add_many([entry(n) for n in range(1000)])
    yield s
    await s.close()


async def reads_during_slow_read(s: Store, deadline: float) -> int:
    """How many point reads, made one after another while a slow read runs, finished
    before the slow read did (at most 20). The slow read counts to a billion, minutes of
    work: that it ends in ReadTimeout at all shows the deadline stopped it."""
    slow = asyncio.create_task(s.db.fetchone(SLOW, timeout=deadline))  # type: ignore[attr-defined]
    await asyncio.sleep(0.05)  # it has started on its reader
    done_meanwhile = 0
    while done_meanwhile < 20:
        await s.suppressions.get("mox", 500)
        if slow.done():
            break
        done_meanwhile += 1
    with pytest.raises(ReadTimeout):
        await slow
    return done_meanwhile


async def test_a_slow_read_stops_at_its_deadline_and_other_reads_go_on(store: Store) -> None:
    """A read past its deadline is stopped by SQLite and raises ReadTimeout (a
    StoreUnavailable); meanwhile point reads run on the other readers: all 20 finish
    while the slow read still runs."""
    assert await reads_during_slow_read(store, deadline=1.0) == 20
    # Every reader is back in the pool and answers.
    got = await asyncio.gather(*(store.suppressions.get("mox", n) for n in range(1, 7)))
    assert [e.id for e in got if e] == [1, 2, 3, 4, 5, 6]


async def test_with_one_reader_a_slow_read_holds_up_the_rest(tmp_path: Path) -> None:
    """The measurement above can tell: with a single reader (as before the pool) the
    first point read waits until the slow read is stopped."""
    s = await Store.open(str(tmp_path / "one.db"), readers=1, read_timeout=5.0)
    try:
        await s.suppressions.add_many([entry(1)])
        assert await reads_during_slow_read(s, deadline=1.0) == 0
    finally:
        await s.close()


async def test_waiting_for_a_free_reader_counts_toward_the_deadline(tmp_path: Path) -> None:
    s = await Store.open(str(tmp_path / "one.db"), readers=1, read_timeout=0.3)
    try:
        slow = asyncio.create_task(s.db.fetchone(SLOW, timeout=1.5))  # type: ignore[attr-defined]
        await asyncio.sleep(0.05)
        with pytest.raises(ReadTimeout, match="no database reader free"):
            await s.suppressions.get("mox", 1)
        # It gave up at its own deadline, not when the reader came free.
        assert not slow.done()
        with pytest.raises(ReadTimeout):
            await slow
        assert await s.suppressions.get("mox", 1) is None  # the reader is free again
    finally:
        await s.close()


async def test_a_freed_reader_goes_to_the_read_that_waited(tmp_path: Path) -> None:
    """One reader, a task reading back to back: a read waiting meanwhile gets the reader
    after the read in progress, not after the whole loop."""
    medium = SLOW.replace("1000000000", "2000000")
    s = await Store.open(str(tmp_path / "one.db"), readers=1, read_timeout=30.0)
    try:
        finished: list[int] = []  # the loop's reads, as each one ends
        done = asyncio.Event()

        async def loop() -> None:
            while not done.is_set() and len(finished) < 8:
                await s.db.fetchone(medium)  # type: ignore[attr-defined]
                finished.append(len(finished) + 1)

        looping = asyncio.create_task(loop())
        while not finished:  # the loop is under way: its second read holds the reader
            await asyncio.sleep(0.01)
        before = len(finished)
        await s.suppressions.get("mox", 1)
        done.set()
        await looping
        # The waiting read got the reader right after the loop's read in progress: at
        # most that one read ended in between, not the rest of the loop.
        assert len(finished) - before <= 2, (before, finished)
        assert len(finished) < 8
    finally:
        await s.close()


async def test_a_whole_list_read_has_no_deadline(tmp_path: Path) -> None:
    """The worker's reads of a whole list (reconcile) are not stopped at read_timeout."""
    medium = SLOW.replace("1000000000", "2000000")
    s = await Store.open(str(tmp_path / "m.db"), read_timeout=0.05)
    try:
        with pytest.raises(ReadTimeout):
            await s.db.fetchone(medium)  # type: ignore[attr-defined]
        row = await s.db.fetchone(medium, timeout=NO_DEADLINE)  # type: ignore[attr-defined]
        assert row[0] == 2000000
    finally:
        await s.close()


async def test_a_read_whose_caller_went_away_is_stopped(tmp_path: Path) -> None:
    """A cancelled read does not keep running on its reader: the next read gets the
    reader within moments, not after the abandoned read's deadline."""
    s = await Store.open(str(tmp_path / "one.db"), readers=1, read_timeout=30.0)
    try:
        slow = asyncio.create_task(s.db.fetchone(SLOW))  # type: ignore[attr-defined]
        await asyncio.sleep(0.2)
        slow.cancel()
        with pytest.raises(asyncio.CancelledError):
            await slow
        # Had the abandoned count (minutes of work) kept the one reader, this read would
        # wait for it past its own deadline and raise ReadTimeout.
        assert (await s.db.fetchone("SELECT 1", timeout=10.0))[0] == 1  # type: ignore[attr-defined]
    finally:
        await s.close()


async def test_a_write_locked_out_past_the_busy_timeout_is_store_unavailable(
    tmp_path: Path,
) -> None:
    """Another process holds the write lock: the write fails as StoreUnavailable (with
    SQLite's reason), nothing of it is kept, and reads go on meanwhile."""
    path = str(tmp_path / "locked.db")
    db = await SqliteDatabase.open(path, busy_timeout=0.2)
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        suppressions = SqliteSuppressionStore(db)
        other.execute("BEGIN EXCLUSIVE")
        with pytest.raises(StoreUnavailable, match="database is locked") as caught:
            await suppressions.add(entry(1))
        assert isinstance(caught.value, MoxhooksError)
        assert not isinstance(caught.value, sqlite3.Error)
        assert await suppressions.count() == []
        other.execute("COMMIT")
        assert await suppressions.add(entry(1)) is not None
    finally:
        other.close()
        await db.close()


async def test_readers_cannot_write(store: Store) -> None:
    with pytest.raises(StoreUnavailable, match="readonly"):
        await store.db.fetchall("DELETE FROM suppressions")  # type: ignore[attr-defined]
    assert len(await store.suppressions.list("mox", limit=2000)) == 1000


async def test_a_wrong_query_is_a_bug_not_unavailable(store: Store) -> None:
    """Only what keeps the database from answering now is StoreUnavailable (503, try
    again); a query that can never work stays SQLite's error (500 server, logged)."""
    with pytest.raises(sqlite3.OperationalError, match="no such table") as caught:
        await store.db.fetchall("SELECT * FROM no_such_table")  # type: ignore[attr-defined]
    assert not isinstance(caught.value, StoreUnavailable)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("readers", 0, "database.readers: must be between 1 and 64"),
        ("readers", 65, "database.readers: must be between 1 and 64"),
        ("read_timeout", 0, "database.read_timeout: must be more than 0"),
    ],
)
def test_pool_settings_are_checked(key: str, value: float, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        config_from_dict({"database": {key: value}})


async def api_get(mh: Moxhooks, path: str) -> tuple[int, dict[str, Any], dict[str, str]]:
    async with aiohttp.ClientSession() as s:
        async with s.get(
            mh.url + path.lstrip("/"), headers={"Authorization": f"Bearer {TOKEN}"}
        ) as resp:
            body = await resp.json()
            return resp.status, body, dict(resp.headers)


async def test_over_http_a_slow_read_stalls_no_other_request(start_moxhooks: Start) -> None:
    mh = await start_moxhooks(database={"readers": 3, "read_timeout": 5.0})
    db = mh.runtime.store.db
    slow = asyncio.create_task(db.fetchone(SLOW, timeout=2.0))  # type: ignore[attr-defined]
    await asyncio.sleep(0.05)
    for _ in range(5):
        status, body, _ = await api_get(mh, "/api/v1/accounts/mox/suppressions")
        assert status == 200, body
    assert not slow.done()  # all five answered while the slow read still ran
    with pytest.raises(ReadTimeout):
        await slow


async def test_over_http_store_unavailable_is_503_with_retry_after(
    start_moxhooks: Start,
) -> None:
    """The one reader is busy past the request's deadline: 503 unavailable, Retry-After,
    rendered by the web layer's one error middleware; then the same request is 200."""
    mh = await start_moxhooks(database={"readers": 1, "read_timeout": 0.3})
    db = mh.runtime.store.db
    slow = asyncio.create_task(db.fetchone(SLOW, timeout=2.0))  # type: ignore[attr-defined]
    await asyncio.sleep(0.05)
    status, body, headers = await api_get(mh, "/api/v1/accounts/mox/suppressions")
    assert not slow.done()  # it gave up at its own deadline, not when the reader came free
    assert (status, body) == (
        503,
        {"code": "unavailable", "message": "database unavailable, try again later"},
    )
    assert headers["Retry-After"] == "5"
    with pytest.raises(ReadTimeout):
        await slow
    status, body, _ = await api_get(mh, "/api/v1/accounts/mox/suppressions")
    assert status == 200, body


# What only the store may use: the engine's modules, and the SQL methods of its database.
ENGINE_MODULES = {"sqlite3", "aiosqlite"}
SQL_METHODS = {"fetchall", "fetchone", "execute", "executemany", "executescript", "transaction"}


def boundary_violations(root: Path) -> list[str]:
    """Places in moxhooks outside store/ that import the engine, call SQL methods on a
    `.db`, or hold a string that starts like SQL."""
    found = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root.parent).as_posix()
        if rel.startswith("moxhooks/store/"):
            continue
        tree = ast.parse(path.read_text(), rel)
        for node in ast.walk(tree):
            where = f"{rel}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Import):
                found += [f"{where} imports {a.name}" for a in node.names
                          if a.name.split(".")[0] in ENGINE_MODULES]  # fmt: skip
            elif isinstance(node, ast.ImportFrom) and node.module:
                if node.module.split(".")[0] in ENGINE_MODULES:
                    found.append(f"{where} imports from {node.module}")
                if node.module == "moxhooks.store.db":
                    found.append(f"{where} imports the SQLite database module")
            elif isinstance(node, ast.Attribute) and node.attr in SQL_METHODS:
                inner = node.value
                if isinstance(inner, ast.Attribute) and inner.attr == "db":
                    found.append(f"{where} calls .db.{node.attr}")
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value.lstrip().upper()
                if text.startswith(("SELECT ", "INSERT INTO", "DELETE FROM", "UPDATE ", "PRAGMA ")):
                    found.append(f"{where} holds SQL: {node.value[:40]!r}")
    return found


def test_no_sql_and_no_engine_outside_the_store() -> None:
    assert boundary_violations(ROOT / "moxhooks") == []


def test_the_boundary_check_finds_what_it_looks_for(tmp_path: Path) -> None:
    pkg = tmp_path / "moxhooks"
    (pkg / "jobs").mkdir(parents=True)
    (pkg / "store").mkdir()
    (pkg / "store" / "db.py").write_text("import sqlite3\nX = 'SELECT 1'\n")
    (pkg / "jobs" / "bad.py").write_text(
        "import aiosqlite\n"
        "from sqlite3 import Row\n"
        "from moxhooks.store.db import Tx\n"
        "async def f(store):\n"
        "    return await store.db.fetchall('select id from events')\n"
    )
    assert boundary_violations(pkg) == [
        "moxhooks/jobs/bad.py:1 imports aiosqlite",
        "moxhooks/jobs/bad.py:2 imports from sqlite3",
        "moxhooks/jobs/bad.py:3 imports the SQLite database module",
        "moxhooks/jobs/bad.py:5 calls .db.fetchall",
        "moxhooks/jobs/bad.py:5 holds SQL: 'select id from events'",
    ]
