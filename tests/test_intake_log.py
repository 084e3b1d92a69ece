"""The intake log (store/intake.py) on real files: what the web process appends, the
mover moves into events once, whatever state a writer left its segment in.

A writer's segment is locked (flock) while it may grow: a torn end there is a write
under way and waits; in a segment nobody holds, it is the end of a crashed write and is
skipped. Finished segments are deleted once moved.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from moxhooks.store import Store
from moxhooks.store import intake as store_intake
from moxhooks.store.intake import (
    IntakeWriter,
    Record,
    all_records,
    encode,
    intake_dir,
    read_records,
    segments,
)


def record(i: int, payload: str = "", message_id: str = "") -> Record:
    return Record(
        "mox", i, 1, f"2026-12-04T10:00:00.{i:06d}Z", "failed", 1000 + i,
        message_id or f"<m{i}@localhost>", payload or f'{{"QueueMsgID":{1000 + i}}}',
    )  # fmt: skip


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    s = await Store.open(str(tmp_path / "moxhooks.db"))
    yield s
    await s.close()


async def add(writer: IntakeWriter, r: Record) -> None:
    await writer.add(*r.row())


async def moved_rows(store: Store) -> list[tuple[int, int, str, str]]:
    rows = await store.db.fetchall(
        "SELECT webhook_id, attempt, message_id, payload FROM events ORDER BY id"
    )
    return [(int(r[0]), int(r[1]), str(r[2]), str(r[3])) for r in rows]


async def take_all(store: Store) -> int:
    n = 0
    while moved := await store.events.take_intake(limit=7):
        n += moved
    return n


def write_segment(directory: str, name: str, data: bytes) -> str:
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def test_records_read_back_as_written(tmp_path: Path) -> None:
    """Every field, Unicode and a NUL in a string, and a record larger than one read."""
    records = [
        record(1),
        record(2, payload='{"Error":"héllo ✉"}', message_id="<a\x00b@ünïcode>"),
        record(3, payload='{"Error":"' + "x" * (3 * store_intake.READ_CHUNK) + '"}'),
        record(4),
    ]
    path = tmp_path / "s.log"
    path.write_bytes(b"".join(encode(r) for r in records))
    fd = os.open(path, os.O_RDONLY)
    try:
        got, end, torn = read_records(fd, 0, 100)
        assert got == records
        assert (end, torn) == (path.stat().st_size, False)
        # A limit, then on from where it stopped.
        first, mid, torn = read_records(fd, 0, 2)
        rest, end2, _ = read_records(fd, mid, 100)
        assert (first + rest, end2, torn) == (records, end, False)
    finally:
        os.close(fd)


@pytest.mark.parametrize("cut", ["head", "body", "crc"])
def test_a_torn_record_stops_reading(tmp_path: Path, cut: str) -> None:
    whole = encode(record(1))
    last = encode(record(2))
    if cut == "head":
        tail = last[:5]
    elif cut == "body":
        tail = last[:-3]
    else:
        tail = last[:-1] + bytes([last[-1] ^ 1])
    path = tmp_path / "s.log"
    path.write_bytes(whole + tail)
    fd = os.open(path, os.O_RDONLY)
    try:
        assert read_records(fd, 0, 100) == ([record(1)], len(whole), True)
    finally:
        os.close(fd)


async def test_appended_records_are_moved_once_in_order(store: Store) -> None:
    woken: list[int] = []
    writer = IntakeWriter.open(store.db.path, on_commit=lambda: woken.append(1))
    try:
        for i in range(1, 31):
            await add(writer, record(i))
        assert len(woken) == 30
        assert await store.events.intake_backlog() == 30
        assert await store.events.pending_count() == 30
        assert await store.events.take_intake(limit=10) == 10
        assert await store.events.intake_backlog() == 20
        await add(writer, record(5))  # mox repeated one: appended, moved, kept once
        assert await take_all(store) == 21
        assert await store.events.intake_backlog() == 0
        assert [r[0] for r in await moved_rows(store)] == list(range(1, 31))
        # The writer's segment stays while it may grow.
        assert segments(intake_dir(store.db.path)) == [writer.segment]
    finally:
        await writer.close()
    # Closed (its lock released) and moved: deleted by the next look.
    assert await store.events.take_intake() == 0
    assert segments(intake_dir(store.db.path)) == []
    assert await store.db.fetchall("SELECT * FROM intake_segments") == []


async def test_segments_rotate_and_are_deleted_when_moved(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_intake, "SEGMENT_BYTES", 500)
    writer = IntakeWriter.open(store.db.path, on_commit=lambda: None)
    try:
        for i in range(1, 41):
            await add(writer, record(i))
        names = segments(intake_dir(store.db.path))
        assert len(names) > 5
        assert names[-1] == writer.segment
        assert await take_all(store) == 40
        assert [r[0] for r in await moved_rows(store)] == list(range(1, 41))
        assert await store.events.take_intake() == 0
        assert segments(intake_dir(store.db.path)) == [writer.segment]
    finally:
        await writer.close()


async def test_two_writers_each_have_a_segment(store: Store) -> None:
    """A second web process on the same database (or an overlapping restart)."""
    a = IntakeWriter.open(store.db.path, on_commit=lambda: None)
    b = IntakeWriter.open(store.db.path, on_commit=lambda: None)
    try:
        assert a.segment != b.segment
        for i in range(1, 11):
            await add(a if i % 2 else b, record(i))
        assert await store.events.intake_backlog() == 10
        assert await take_all(store) == 10
        assert sorted(r[0] for r in await moved_rows(store)) == list(range(1, 11))
    finally:
        await a.close()
    await take_all(store)
    assert segments(intake_dir(store.db.path)) == [b.segment]
    await b.close()


async def test_a_torn_end_waits_while_the_writer_holds_the_segment(store: Store) -> None:
    """A live segment whose last record is only partly there (a write being copied):
    not skipped; moved once it is whole."""
    directory = intake_dir(store.db.path)
    whole, last = encode(record(1)), encode(record(2))
    path = write_segment(directory, "00000000000000000001-live.log", whole + last[:10])
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        assert await take_all(store) == 1
        assert await take_all(store) == 0
        assert await store.events.intake_backlog() == 0  # the partial one is not counted
        os.write(fd, last[10:])
        assert await store.events.intake_backlog() == 1
        assert await take_all(store) == 1
    finally:
        os.close(fd)
    assert [r[0] for r in await moved_rows(store)] == [1, 2]
    await store.events.take_intake()
    assert segments(directory) == []


async def test_a_torn_end_of_a_dead_writer_is_skipped(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    """What a crash (a power cut) left at the end of a segment nobody holds: the whole
    records before it are moved, the rest is skipped with a warning, the segment goes."""
    directory = intake_dir(store.db.path)
    last = encode(record(3))
    write_segment(
        directory, "00000000000000000001-dead.log", encode(record(1)) + encode(record(2)) + last[:-7]
    )
    with caplog.at_level(logging.WARNING):
        await take_all(store)
    assert [r[0] for r in await moved_rows(store)] == [1, 2]
    assert "ends in" in caplog.text and "skipped" in caplog.text
    await store.events.take_intake()
    assert segments(directory) == []
    assert await store.events.intake_backlog() == 0


async def test_synchronous_full_waits_for_the_disk_and_keeps_everything(store: Store) -> None:
    writer = IntakeWriter.open(store.db.path, synchronous="full", on_commit=lambda: None)
    try:
        await asyncio.gather(*(add(writer, record(i)) for i in range(1, 51)))
        assert writer._synced == writer._written > 0
    finally:
        await writer.close()
    assert sorted(r.webhook_id for r in all_records(store.db.path)) == list(range(1, 51))
    assert await take_all(store) == 50


async def test_an_abandoned_new_segment_is_removed(store: Store) -> None:
    """A writer that died between creating its segment and naming it: nothing in it."""
    directory = intake_dir(store.db.path)
    tmp = write_segment(directory, ".00000000000000000001-x.log.tmp", b"")
    assert await store.events.take_intake() == 0
    assert not os.path.exists(tmp)
