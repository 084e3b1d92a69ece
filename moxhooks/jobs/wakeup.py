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
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(wake.wait(), timeout=timeout)
    wake.clear()
