"""How the background workers sleep: a shutdown that comes as they are woken still ends them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from moxhooks.jobs.wakeup import sleep_until_woken


async def test_a_cancel_as_the_worker_is_woken_ends_it() -> None:
    # The wake-up and the cancel land in the same turn of the loop (a handler's wake()
    # as the app shuts down): the sleeper must end, not sleep again.
    for _ in range(20):
        wake = asyncio.Event()
        sleeper = asyncio.create_task(sleep_until_woken(wake, 5.0, None, lambda: datetime.now(UTC)))
        await asyncio.sleep(0)
        wake.set()
        sleeper.cancel()
        with pytest.raises(asyncio.CancelledError):
            await sleeper


async def test_woken_or_timed_out() -> None:
    wake = asyncio.Event()
    sleeper = asyncio.create_task(sleep_until_woken(wake, 5.0, None, lambda: datetime.now(UTC)))
    await asyncio.sleep(0)
    wake.set()
    await asyncio.wait_for(sleeper, 1.0)
    assert not wake.is_set()
    await asyncio.wait_for(sleep_until_woken(wake, 0.01, None, lambda: datetime.now(UTC)), 1.0)
