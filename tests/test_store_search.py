"""Substring search of the suppression list through the trigram index (migration 3):
the same answers as LIKE '%term%' on the table, without reading the whole list."""

from __future__ import annotations

import asyncio
import itertools
import re
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moxhooks.store import NewEntry, Store
from moxhooks.store import db as store_db

_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def like(term: str, text: str) -> bool:
    """SQLite's LIKE '%term%': a substring, case-insensitive for ASCII letters only."""
    return term.translate(_ASCII_LOWER) in text.translate(_ASCII_LOWER)


def entry(account: str, original: str, base: str, scope: str = "") -> NewEntry:
    return NewEntry(account, original, base, "manual", "manual", "", "test", scope=scope)


# Small alphabets, so that terms often match; with the characters LIKE and FTS5 treat
# specially, and letters whose case LIKE does not fold.
_chars = st.sampled_from(list("abAB.+-@_%\\\"' üÜ*x"))
_addresses = st.text(_chars, min_size=1, max_size=12)
_accounts = itertools.count()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(st.tuples(_addresses, _addresses), min_size=0, max_size=15),
    term=st.text(_chars, min_size=1, max_size=6),
    active=st.sampled_from([True, None]),
)
def test_search_answers_like_like(
    tmp_path_factory: pytest.TempPathFactory, rows: list[tuple[str, str]], term: str,
    active: bool | None,
) -> None:  # fmt: skip
    path = str(tmp_path_factory.getbasetemp() / "search.db")
    account = f"acct{next(_accounts)}"

    async def run() -> tuple[list[int], list[int]]:
        store = await Store.open(path)
        try:
            # Distinct base addresses: one active entry per (base, scope).
            unique = list({b: (o, b) for o, b in rows}.values())
            await store.suppressions.add_many(entry(account, o, b) for o, b in unique)
            every = await store.suppressions.list(account, limit=1000, active=None)
            if every:
                await store.suppressions.end(account, every[-1].id, "test", "ended")
            found = await store.suppressions.list(account, limit=1000, search=term, active=active)
            every = await store.suppressions.list(account, limit=1000, active=active)
        finally:
            await store.close()
        want = [e.id for e in every if like(term, e.original_address) or like(term, e.base_address)]
        return [e.id for e in found], want

    found, want = asyncio.run(run())
    assert found == want


async def test_search_pages_newest_first(tmp_path: Path) -> None:
    store = await Store.open(str(tmp_path / "m.db"))
    try:
        await store.suppressions.add_many(
            entry("mox", f"User{i}@Example.org", f"user{i}@example.org") for i in range(120)
        )
        await store.suppressions.add_many(
            [entry("other", "user1@example.org", "user1@example.org")]
        )
        page1 = await store.suppressions.list("mox", search="USER1", limit=5)
        page2 = await store.suppressions.list("mox", search="USER1", limit=5, offset=5)
        names = [e.original_address for e in page1 + page2]
        assert names == [f"User{i}@Example.org" for i in (119, 118, 117, 116, 115, 114, 113,
                                                           112, 111, 110)]  # fmt: skip
        assert [e.account for e in page1] == ["mox"] * 5
        kinds = await store.suppressions.list("mox", search="user11", kind="complaint")
        assert kinds == []
        # The plan reads the trigram index, not the whole table.
        plan = await store.db.fetchall(
            "EXPLAIN QUERY PLAN SELECT s.* FROM suppressions_search f JOIN suppressions s"
            " ON s.id = f.rowid WHERE suppressions_search MATCH ? AND s.account = ?"
            " AND s.ended IS NULL ORDER BY f.rowid DESC LIMIT 50",
            ('"use" AND "ser"', "mox"),
        )
        text = " ".join(str(r["detail"]) for r in plan)
        assert "VIRTUAL TABLE" in text and "TEMP B-TREE" not in text, text
        # Keyset paging gives the same pages, and its bound on f.rowid goes into the FTS5
        # index (the "<" of its plan), which starts its walk there; a bound on s.id would
        # only filter the rows the walk had read.
        by_before = await store.suppressions.list(
            "mox", search="USER1", limit=5, before_id=page1[-1].id
        )
        assert by_before == page2
        plan = await store.db.fetchall(
            "EXPLAIN QUERY PLAN SELECT s.* FROM suppressions_search f JOIN suppressions s"
            " ON s.id = f.rowid WHERE suppressions_search MATCH ? AND s.account = ?"
            " AND s.ended IS NULL AND f.rowid < ? ORDER BY f.rowid DESC LIMIT 50",
            ('"use" AND "ser"', "mox", page1[-1].id),
        )
        text = " ".join(str(r["detail"]) for r in plan)
        assert re.search(r"VIRTUAL TABLE INDEX \d+:\S*<", text), text
        assert "TEMP B-TREE" not in text, text
    finally:
        await store.close()


async def test_index_follows_changes_and_migrates_old_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = str(tmp_path / "old.db")
    # A database from before migration 3, with entries in it.
    with monkeypatch.context() as m:
        m.setattr(store_db, "MIGRATIONS", store_db.MIGRATIONS[:2])
        store = await Store.open(path)
        await store.suppressions.add_many(
            [entry("mox", "Old.Timer@example.org", "oldtimer@example.org")]
        )
        assert await store.db.schema_version() == 2
        await store.close()
    store = await Store.open(path)
    try:
        assert await store.db.schema_version() == len(store_db.MIGRATIONS)
        found = await store.suppressions.list("mox", search="Old.T")
        assert [e.original_address for e in found] == ["Old.Timer@example.org"]
        # Changed and deleted rows leave the index with them.
        async with store.db.transaction() as conn:
            await conn.execute(
                "UPDATE suppressions SET original_address = 'new.name@example.org',"
                " base_address = 'newname@example.org'"
            )
        assert await store.suppressions.list("mox", search="old.t") == []
        assert len(await store.suppressions.list("mox", search="new.n")) == 1
        async with store.db.transaction() as conn:
            await conn.execute("DELETE FROM audit")
            await conn.execute("DELETE FROM outbox")
            await conn.execute("DELETE FROM suppressions")
        assert await store.suppressions.list("mox", search="new.n") == []
        await store.suppressions.add_many([entry("mox", "a@b.example", "a@b.example")])
        # FTS5 checks the index against the table (raises if they differ).
        async with store.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO suppressions_search (suppressions_search, rank)"
                " VALUES ('integrity-check', 1)"
            )
    finally:
        await store.close()
