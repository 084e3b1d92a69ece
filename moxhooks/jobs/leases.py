"""Keeping a claimed batch (events, report messages) while this node works on it.

On PostgreSQL a node's claim on the rows due() gave it lasts one lease (database.lease);
a batch that takes longer (slow lookups in mox, DNS) would be taken over by another node
and its work done twice. renewed() renews the claim every third of a lease while the
batch is worked on, so it stays this node's while the node is alive; a node that dies
stops renewing, and its claims run out one lease after its last renewal.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

from moxhooks.store import StoreUnavailable

log = logging.getLogger(__name__)

# Renewals per lease: a renewal may be late by two thirds of a lease (a slow database,
# a busy event loop) before the claim runs out.
RENEWALS_PER_LEASE = 3


@contextlib.asynccontextmanager
async def renewed(
    renew: Callable[[Sequence[int]], Awaitable[int]], lease: float | None, ids: Sequence[int]
) -> AsyncIterator[None]:
    """Renew this node's claim on ids (renew, the store's) every lease / 3 seconds until
    the block ends; nothing when lease is None (SQLite: no claims) or ids is empty."""
    if lease is None or not ids:
        yield
        return
    task = asyncio.create_task(_renew_every(renew, lease / RENEWALS_PER_LEASE, list(ids)))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _renew_every(
    renew: Callable[[Sequence[int]], Awaitable[int]], every: float, ids: list[int]
) -> None:
    while True:
        await asyncio.sleep(every)
        try:
            kept = await renew(ids)
        except StoreUnavailable as e:
            # The next renewal may get through in time; if not, the claim runs out and
            # this node's outcomes are refused (LeaseLost): nothing is written twice.
            log.warning("renewing the claim on %d rows: %s", len(ids), e)
            continue
        if kept == 0:
            # Every row is finished (or another node took them): nothing left to keep.
            return
