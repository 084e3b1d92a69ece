"""How the background workers sleep: until woken, until work is due, or a while at most."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime

from moxhooks.store import Clock


async def sleep_until_woken(
    wake: asyncio.Event, timeout: float, due: datetime | None, clock: Clock
) -> None:
    """Wait until wake is set, at most timeout seconds and not past due; then clear wake."""
    if due is not None:
        timeout = max(0.0, min(timeout, (due - clock()).total_seconds()))
    # asyncio.timeout, not wait_for: Python 3.11's wait_for swallows a cancellation that
    # arrives as the event is set, and the worker then outlives its shutdown.
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout):
            await wake.wait()
    wake.clear()
