"""Webhook intake: the one durable write a webhook costs, an append to a log file.

A webhook's event is appended, as one record, to a segment file in
`<database>-intake.d/`, and the 200 goes out after that write. The event processor
(another process under `moxhooks serve`) moves the records into `events` in the
database, noting in the same transaction how far it got in the segment
(`intake_segments`: byte offset and records), and deletes a segment once it has moved
all of it and no writer has it open. So:

- intake never waits for a lock that processing holds, nor touches the database: it
  only appends to a file that only it writes;
- a write is one system call (`write`), about 5 µs, where an SQLite commit was about
  40 µs and, with mox's own disk writes going on, several times that (docs/performance/
  2026-12-03.md).

Durability is that of SQLite's synchronous settings: with synchronous "normal" the
record is in the operating system's cache when the 200 goes out (it survives a crash of
moxhooks, `kill -9` included, not a power cut); with "full" the 200 waits for the disk
(fdatasync), and the webhooks that arrive meanwhile share the next one (group commit).

A record is its length and CRC-32, then the fields. The length's top bits are the
record's version: 0, the first, has no mox server (it is the first server's, key "");
1 adds the server's key (Config.mox_key). The version is in the CRC too, so a damaged
version bit reads as a torn record, never as another record. What a failed write may have left
is cut off again (a full disk: the webhook gets a 503, mox retries it); where that too
fails, the writer goes on in a new segment, and the mover skips the torn end of the old
one. A power cut can leave a torn record at the end of a segment, which the mover skips
the same way: it was not acknowledged durably.

Each web process appends to a segment of its own, opened at startup and replaced by a
new one every SEGMENT_BYTES; it holds an exclusive `flock` on it, which is how the mover
tells a segment that may still grow from one that is finished (its writer moved on,
exited or died). A retried webhook (same account and X-Mox-Webhook-ID) may be appended
twice; the move into `events`, whose (mox, account, webhook_id) is unique, keeps one.
"""

from __future__ import annotations

import asyncio
import errno
import fcntl
import logging
import os
import secrets
import struct
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from moxhooks.store.errors import StoreUnavailable

log = logging.getLogger(__name__)

# A writer starts a new segment once its segment has this many bytes.
SEGMENT_BYTES = 16 * 1024 * 1024
# No record is larger (a webhook body is at most server.max_body, 1 MiB by default):
# a longer length in a record's head is a torn or damaged record.
MAX_RECORD = 256 * 1024 * 1024
# Bytes the mover reads at a time.
READ_CHUNK = 1024 * 1024

# A record: its head (length of the body with the version in its top bits, CRC-32 of
# the version and the body), then the body: the integers, the lengths of the strings
# (UTF-8), the strings, and the payload as the rest. Version 0 has four strings
# (account, received, event, message_id), version 1 a fifth, the mox server's key.
_HEAD = struct.Struct("<II")
_FIELDS = struct.Struct("<qqqIIII")
_FIELDS_V1 = struct.Struct("<qqqIIIII")
_VERSION_SHIFT = 29
_LENGTH_MASK = (1 << _VERSION_SHIFT) - 1
VERSION = 1


class IntakeError(StoreUnavailable):
    """A webhook could not be appended (the disk full, the file unwritable): the
    webhook is answered 503, and mox tries it again later."""


@dataclass(frozen=True, slots=True)
class Record:
    """One webhook's event as intake keeps it; row() is in the order of events' columns."""

    account: str
    webhook_id: int
    attempt: int
    received: str
    event: str
    queue_msg_id: int
    message_id: str
    payload: str
    # The mox server's key (Config.mox_key): "" for the first server.
    mox: str = ""

    def row(self) -> tuple[str, int, int, str, str, int, str, str, str]:
        return (
            self.account,
            self.webhook_id,
            self.attempt,
            self.received,
            self.event,
            self.queue_msg_id,
            self.message_id,
            self.payload,
            self.mox,
        )


def encode(record: Record, version: int = VERSION) -> bytes:
    """The record as it is appended to a segment (version 0 only for tests of reading
    segments written before there were several mox servers; it drops the mox)."""
    a = record.account.encode()
    r = record.received.encode()
    e = record.event.encode()
    m = record.message_id.encode()
    x = record.mox.encode()
    ints = (record.webhook_id, record.attempt, record.queue_msg_id)
    strings: tuple[bytes, ...]
    if version == 0:
        fields = _FIELDS.pack(*ints, len(a), len(r), len(e), len(m))
        strings = (a, r, e, m)
    else:
        fields = _FIELDS_V1.pack(*ints, len(a), len(r), len(e), len(m), len(x))
        strings = (a, r, e, m, x)
    body = b"".join((fields, *strings, record.payload.encode()))
    head = (version << _VERSION_SHIFT) | len(body)
    return _HEAD.pack(head, _crc(version, body)) + body


def _crc(version: int, body: bytes) -> int:
    # Version 0's CRC is the body's alone, as it was written before versions existed.
    return zlib.crc32(body, zlib.crc32(bytes([version])) if version else 0)


def _split_head(head: int) -> tuple[int, int]:
    """(version, body length) of a record's first head field."""
    return head >> _VERSION_SHIFT, head & _LENGTH_MASK


def _decode(body: bytes, version: int) -> Record:
    if version == 0:
        webhook_id, attempt, queue_msg_id, *lengths = _FIELDS.unpack_from(body)
        i = _FIELDS.size
    elif version == 1:
        webhook_id, attempt, queue_msg_id, *lengths = _FIELDS_V1.unpack_from(body)
        i = _FIELDS_V1.size
    else:
        raise ValueError(f"record version {version} is unknown")
    parts = []
    for n in lengths:
        parts.append(body[i : i + n].decode())
        i += n
    if i > len(body):
        raise ValueError("string lengths past the end of the record")
    account, received, event, message_id = parts[:4]
    mox = parts[4] if version else ""
    return Record(
        account, webhook_id, attempt, received, event, queue_msg_id, message_id,
        body[i:].decode(), mox,
    )  # fmt: skip


def intake_dir(database: str) -> str:
    """Where the intake segments of the database at `database` are."""
    return f"{database}-intake.d"


def segments(directory: str) -> list[str]:
    """The names of the segments in directory, oldest first (names sort by creation)."""
    return _segments(_listdir(directory))


def _listdir(directory: str) -> list[str]:
    try:
        return os.listdir(directory)
    except FileNotFoundError:
        return []


def _segments(names: list[str]) -> list[str]:
    return sorted(n for n in names if n.endswith(".log") and not n.startswith("."))


def _live(fd: int) -> bool:
    """Does a writer hold the segment open (its exclusive flock)?"""
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    fcntl.flock(fd, fcntl.LOCK_UN)
    return False


# ---- writing ---------------------------------------------------------------------------


class IntakeWriter:
    """Appends webhook events to this process's segment, from the event loop's thread."""

    def __init__(self, directory: str, full: bool, on_commit: Callable[[], None]) -> None:
        self._dir = directory
        self._full = full
        self._on_commit = on_commit
        self._fd = -1
        self.segment = ""
        self._size = 0
        self._closed = False
        # synchronous "full": bytes appended and bytes on disk, over all segments; the
        # webhooks waiting for a sync (their end, their future); segments this writer
        # has left that the running sync still has to flush before closing them.
        self._written = 0
        self._synced = 0
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._sync_task: asyncio.Task[None] | None = None
        self._left: list[int] = []

    @classmethod
    def open(
        cls, database: str, *, synchronous: str = "normal", on_commit: Callable[[], None]
    ) -> IntakeWriter:
        """Start a segment of its own in the intake directory of the database at `database`."""
        writer = cls(intake_dir(database), synchronous == "full", on_commit)
        os.makedirs(writer._dir, mode=0o700, exist_ok=True)
        writer._new_segment()
        return writer

    def _new_segment(self) -> None:
        """Open a new segment and append to it from now on. It is created under a name
        the mover does not look at, locked, and then renamed: the mover never sees a
        segment of a live writer unlocked."""
        name = f"{time.time_ns():020d}-{secrets.token_hex(4)}.log"
        tmp = os.path.join(self._dir, f".{name}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.rename(tmp, os.path.join(self._dir, name))
            if self._full:
                _fsync_dir(self._dir)
        except BaseException:
            os.close(fd)
            _unlink(tmp)
            raise
        self._leave()
        self._fd, self.segment, self._size = fd, name, 0

    def _leave(self) -> None:
        """Stop appending to the current segment (closing it releases its lock, after
        which the mover may delete it once moved)."""
        fd, self._fd = self._fd, -1
        if fd < 0:
            return
        if self._full and self._synced < self._written:
            self._left.append(fd)  # the sync flushes and closes it
        else:
            os.close(fd)

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
        """Append one event (of the mox server keyed mox, Config.mox_key); returns when it
        is as durable as configured, raises IntakeError when it could not be appended
        (nothing of it is kept then)."""
        if self._closed:
            raise RuntimeError("intake is closed")
        data = encode(
            Record(
                account, webhook_id, attempt, received, event, queue_msg_id, message_id,
                payload, mox,
            )  # fmt: skip
        )
        self._append(data)
        if self._full:
            await self._sync(self._written)
        self._on_commit()

    def _append(self, data: bytes) -> None:
        try:
            if self._fd < 0 or self._size >= SEGMENT_BYTES:
                self._new_segment()
        except OSError as e:
            raise IntakeError(f"webhook intake: no segment to append to: {e}") from e
        try:
            n = os.write(self._fd, data)
            if n != len(data):
                raise OSError(errno.ENOSPC, f"wrote {n} of {len(data)} bytes")
        except OSError as e:
            self._cut()
            log.error("webhook intake: appending to %s failed: %s", self.segment, e)
            raise IntakeError(f"webhook intake: appending failed: {e}") from e
        self._size += n
        self._written += n

    def _cut(self) -> None:
        """Remove what a failed write may have appended; failing that, go on in a new
        segment (the mover skips the torn end of this one)."""
        try:
            os.ftruncate(self._fd, self._size)
        except OSError as e:
            log.error("webhook intake: cutting a failed write off %s failed: %s", self.segment, e)
            self._leave()

    async def _sync(self, upto: int) -> None:
        if self._synced >= upto:
            return
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()
        self._waiters.append((upto, fut))
        if self._sync_task is None:
            self._sync_task = loop.create_task(self._sync_loop())
        await fut

    async def _sync_loop(self) -> None:
        """fdatasync in a thread, for every webhook appended before it started: those
        appended meanwhile wait for the next one (group commit)."""
        try:
            while self._waiters:
                target = self._written
                left, self._left = self._left, []
                fds = [*left, self._fd] if self._fd >= 0 else left
                error: OSError | None = None
                try:
                    await asyncio.to_thread(_datasync, fds)
                except OSError as e:
                    error = e
                for fd in left:
                    os.close(fd)
                if error is None:
                    self._synced = target
                else:
                    # What the failed sync covered may be lost: those webhooks get a
                    # 503 (mox retries them), and the segment is not appended to again.
                    log.error("webhook intake: fdatasync of %s failed: %s", self.segment, error)
                    self._synced = target
                    self._leave()
                waiting, self._waiters = self._waiters, []
                for upto, fut in waiting:
                    if upto > target:
                        self._waiters.append((upto, fut))
                    elif not fut.done():
                        if error is None:
                            fut.set_result(None)
                        else:
                            fut.set_exception(IntakeError(f"webhook intake: sync failed: {error}"))
        finally:
            self._sync_task = None

    async def close(self) -> None:
        """Wait for a running sync, then close the segment (it stays, for the mover)."""
        self._closed = True
        while self._sync_task is not None:
            await asyncio.shield(self._sync_task)
        for fd in self._left:
            os.close(fd)
        self._left = []
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def _datasync(fds: list[int]) -> None:
    for fd in fds:
        os.fdatasync(fd)


def _fsync_dir(directory: str) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


# ---- reading ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Batch:
    """Records of one segment that the mover has not moved yet.

    start/end: byte offsets (end is after the last record, or the end of a torn tail
    being skipped); records: how many the cursor had counted before start.
    """

    segment: str
    start: int
    end: int
    moved_before: int
    records: list[Record]
    skipped: int = 0


@dataclass(frozen=True)
class Scan:
    """What the mover should do next: move `batch`; delete the finished segments `done`
    (no writer, everything moved); forget the cursors of segments that are gone."""

    batch: Batch | None
    done: list[str]
    gone: list[str]


def plan(directory: str, cursors: dict[str, tuple[int, int]], limit: int) -> Scan:
    """Look at the segments (blocking file reads: run it in a thread). cursors: segment
    name -> (byte offset, records) moved so far."""
    listed = _listdir(directory)
    names = _segments(listed)
    gone = [n for n in cursors if n not in names]
    done: list[str] = []
    _sweep_abandoned(directory, listed)
    for name in names:
        offset, moved = cursors.get(name, (0, 0))
        fd = _open_existing(os.path.join(directory, name))
        if fd is None:
            continue
        try:
            # Whether a writer holds it, asked before reading: a segment found finished
            # then gets no more records, so what is read now is all of it.
            live = _live(fd)
            records, end, torn = read_records(fd, offset, limit)
            if records:
                return Scan(Batch(name, offset, end, moved, records), done, gone)
            if live:
                continue  # a torn end of a live segment is a write still under way
            size = os.fstat(fd).st_size
            if torn and size > end:
                log.warning(
                    "webhook intake: %s ends in %d bytes that are not a whole record"
                    " (a crash during a write); skipped", name, size - end,
                )  # fmt: skip
                return Scan(Batch(name, offset, size, moved, [], skipped=size - end), done, gone)
            done.append(name)
        finally:
            os.close(fd)
    return Scan(None, done, gone)


def _open_existing(path: str) -> int | None:
    """The file at path opened for reading; None when it is gone (a mover deleted it)."""
    try:
        return os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None


def _sweep_abandoned(directory: str, listed: list[str]) -> None:
    """Remove segments a writer died creating (before renaming them: nothing in them)."""
    for name in (n for n in listed if n.startswith(".") and n.endswith(".tmp")):
        path = os.path.join(directory, name)
        fd = _open_existing(path)
        if fd is None:
            continue
        try:
            if not _live(fd):
                _unlink(path)
        finally:
            os.close(fd)


def read_records(fd: int, offset: int, limit: int) -> tuple[list[Record], int, bool]:
    """Up to limit whole records from offset: (records, the offset after them, torn),
    torn when reading stopped before the end at bytes that are not a whole, intact
    record (a write under way, or the torn end of a crashed one)."""
    records: list[Record] = []
    pos = offset
    buf, base = b"", offset  # buf holds the file's bytes from base on
    while len(records) < limit:
        got = _bytes(fd, buf, base, pos, _HEAD.size)
        if got is None:
            # Nothing more, or the start of a record: torn unless at the end.
            return records, pos, os.fstat(fd).st_size > pos
        buf, base = got
        head, crc = _HEAD.unpack_from(buf, pos - base)
        version, n = _split_head(head)
        if not _FIELDS.size <= n <= MAX_RECORD:
            return records, pos, True
        got = _bytes(fd, buf, base, pos, _HEAD.size + n)
        if got is None:
            return records, pos, True
        buf, base = got
        body = buf[pos - base + _HEAD.size : pos - base + _HEAD.size + n]
        if _crc(version, body) != crc:
            return records, pos, True
        try:
            records.append(_decode(body, version))
        except (ValueError, struct.error):  # UnicodeDecodeError is a ValueError
            return records, pos, True
        pos += _HEAD.size + n
    return records, pos, False


def _bytes(fd: int, buf: bytes, base: int, pos: int, n: int) -> tuple[bytes, int] | None:
    """buf/base extended to hold the file's bytes [pos, pos + n); None at the end of
    the file."""
    if pos + n <= base + len(buf):
        return buf, base
    data = os.pread(fd, max(n, READ_CHUNK), pos)
    if len(data) < n:
        return None
    return data, pos


def remove_segment(directory: str, name: str) -> None:
    """Delete a finished segment."""
    _unlink(os.path.join(directory, name))


class Counter:
    """Records appended to each segment, counted from their heads as the segments grow
    (each byte is looked at once), for the backlog: appended minus moved."""

    def __init__(self, directory: str) -> None:
        self._dir = directory
        self._seen: dict[str, tuple[int, int]] = {}
        self._lock = threading.Lock()

    def backlog(self, moved: dict[str, int]) -> int:
        """Records not moved yet, given the records moved per segment (blocking file
        reads: run it in a thread)."""
        with self._lock:
            names = segments(self._dir)
            total = 0
            for name in names:
                offset, count = self._count(name, *self._seen.get(name, (0, 0)))
                self._seen[name] = (offset, count)
                total += max(0, count - moved.get(name, 0))
            for name in set(self._seen) - set(names):
                del self._seen[name]
            return total

    def _count(self, name: str, offset: int, count: int) -> tuple[int, int]:
        try:
            f = open(os.path.join(self._dir, name), "rb")
        except FileNotFoundError:
            return offset, count
        with f:
            size = os.fstat(f.fileno()).st_size
            f.seek(offset)
            while offset + _HEAD.size <= size:
                head = f.read(_HEAD.size)
                if len(head) < _HEAD.size:
                    break
                n = _split_head(_HEAD.unpack(head)[0])[1]
                if not _FIELDS.size <= n <= MAX_RECORD or offset + _HEAD.size + n > size:
                    break
                f.seek(n, os.SEEK_CUR)
                offset += _HEAD.size + n
                count += 1
        return offset, count


def all_records(database: str) -> list[Record]:
    """Every whole record in the intake segments of the database at `database`, moved
    or not (for checks: what intake acknowledged)."""
    directory = intake_dir(database)
    out: list[Record] = []
    for name in segments(directory):
        fd = _open_existing(os.path.join(directory, name))
        if fd is None:
            continue
        try:
            offset = 0
            while True:
                records, offset, _ = read_records(fd, offset, 10_000)
                if not records:
                    break
                out.extend(records)
        finally:
            os.close(fd)
    return out
