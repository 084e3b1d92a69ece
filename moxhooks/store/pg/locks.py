"""Jobs one node at a time runs (the sync with mox, automatic holds): session advisory
locks, each on a connection of its own.

A node runs such a job only while it holds the job's lock; the others skip it and ask
again later. The lock is PostgreSQL's pg_try_advisory_lock on a dedicated connection
(not a pooled one: asyncpg's pool runs pg_advisory_unlock_all when a connection goes
back), so it lasts exactly as long as that connection: when the holder dies, or its
connection is lost, the server releases it and the next node that asks takes it.
"""

from __future__ import annotations

import logging
import time
import zlib

import asyncpg

from moxhooks.store.pg.names import CONNECT_TIMEOUT

log = logging.getLogger(__name__)

# The first half of every job lock's two-part key (PostgreSQL keeps two-integer keys
# apart from the one-bigint key of the migration lock): "mh" and 18, the issue.
NAMESPACE = 0x6D680012
# How long a node whose lock connection ended waits before it asks for the lock again. The
# server released the lock; another node, asking every second (jobs/sync.py's LOCK_RETRY),
# takes it first. Without the pause, a node that merely lost its connection would race the
# others for it and, asking at once, mostly win: the job would not move off a node in trouble.
LOST_PAUSE = 3.0


def lock_key(name: str) -> int:
    """The second half of a job lock's key: the job's name as a signed 32-bit number."""
    n = zlib.crc32(name.encode())
    return n - 2**32 if n >= 2**31 else n


class PgJobLock:
    """One job's advisory lock, taken by held() when it is free and kept until close()."""

    def __init__(self, url: str, name: str, node: str) -> None:
        self._url = url
        self.name = name
        # Who holds it, as pg_stat_activity shows the lock's connection (application_name).
        self.application_name = f"moxhooks {name} {node}"
        self._key = lock_key(name)
        self._conn: asyncpg.Connection | None = None
        self._held = False
        self._lost_at: float | None = None

    @property
    def holding(self) -> bool:
        """Whether this process held the lock when last asked (held())."""
        return self._held

    async def held(self) -> bool:
        """Whether this process holds the lock now: kept if it had it and its connection
        answers, taken if it is free; False when another node has it or the server cannot
        be reached."""
        if self._lost_at is not None:
            if time.monotonic() - self._lost_at < LOST_PAUSE:
                return False
            self._lost_at = None
        try:
            if self._held and (self._conn is None or self._conn.is_closed()):
                # The lock's connection ended (the server released the lock): let another
                # node take it first.
                log.warning("lost the lock of %s: its connection ended", self.name)
                await self._lose()
                return False
            if self._conn is None or self._conn.is_closed():
                self._held = False
                self._conn = await asyncpg.connect(
                    self._url,
                    timeout=CONNECT_TIMEOUT,
                    server_settings={"application_name": self.application_name},
                )
            if self._held:
                # The lock lives as long as the connection: a connection that answers still
                # has it.
                await self._conn.fetchval("SELECT 1")
            else:
                self._held = bool(
                    await self._conn.fetchval(
                        "SELECT pg_try_advisory_lock($1, $2)", NAMESPACE, self._key
                    )
                )
                if self._held:
                    log.info("this node now runs %s (its lock was free)", self.name)
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError) as e:
            if self._held:
                log.warning("lost the lock of %s: %s", self.name, e)
                await self._lose()
            else:
                await self._drop()
        return self._held

    async def _lose(self) -> None:
        await self._drop()
        self._lost_at = time.monotonic()

    async def _drop(self) -> None:
        self._held = False
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.terminate()

    async def release(self) -> None:
        """Let another node take it (until held() is asked again)."""
        await self.close()

    async def close(self) -> None:
        """Release the lock (the connection's end releases it) and stop asking."""
        conn, self._conn = self._conn, None
        self._held = False
        if conn is not None and not conn.is_closed():
            try:
                await conn.close(timeout=CONNECT_TIMEOUT)
            except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError):
                conn.terminate()
