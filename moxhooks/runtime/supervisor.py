"""The web process's handle on the worker: start it, wake it, restart it, stop it.

Under `moxhooks serve` the worker is a process of its own (WorkerProcess). Tests that
move the test clock run the same worker (runtime/worker.py) as a task of their event
loop instead (WorkerTask); everything else is the same: its own store connection and
mox client, the same messages over a socket pair, the same restarts.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import logging
import os
import pickle
import signal
import socket
import sys
import time
from collections.abc import Callable

from moxhooks.config import Config
from moxhooks.jobs.holds import HoldSettings
from moxhooks.mail.dnscheck import DomainChecker
from moxhooks.runtime import messages, worker
from moxhooks.store import Clock, utcnow

log = logging.getLogger(__name__)

# Seconds between two wake-up messages to the worker, at least.
WAKE_GAP = 0.1
# Restart backoff after the worker died (seconds), doubling up to the maximum.
RESTART_MIN = 0.5
RESTART_MAX = 30.0
# A worker that ran this long before dying starts the backoff afresh.
STABLE_AFTER = 60.0
# Seconds the worker gets to finish its batch at shutdown before it is killed.
STOP_WAIT = 10.0


class WorkerHandle(abc.ABC):
    """Starts the worker and keeps it running until stop(); sends it messages."""

    def __init__(self, config: Config, on_message: Callable[[bytes], None]) -> None:
        self.config = config
        self.on_message = on_message
        self.restarts = 0
        self._sock: socket.socket | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._woken_at = 0.0
        self._wake_handle: asyncio.TimerHandle | None = None

    @property
    @abc.abstractmethod
    def alive(self) -> bool:
        """Whether the worker runs now."""

    @property
    @abc.abstractmethod
    def pid(self) -> int | None:
        """The process the worker runs in, if it runs."""

    @abc.abstractmethod
    async def _spawn(self, sock: socket.socket) -> None:
        """Start the worker on its end of the socket pair (which it then owns)."""

    @abc.abstractmethod
    async def _wait(self) -> int | None:
        """Until the worker ends; its exit code."""

    @abc.abstractmethod
    async def _end(self) -> None:
        """Stop the worker, STOP_WAIT seconds at most."""

    def start(self) -> None:
        """Start the worker and keep it running until stop()."""
        self._task = asyncio.create_task(self._supervise(), name="worker")

    def wake(self) -> None:
        """Events were appended to intake: tell the worker, at most once per WAKE_GAP.

        A message costs the web process a system call and a wake-up of the other
        process (75 us a message measured under load, a third of a webhook's own
        cost); the worker gathers events for 50 ms after a wake-up anyway.
        """
        if self._wake_handle is not None:
            return
        now = time.monotonic()
        wait = self._woken_at + WAKE_GAP - now
        if wait <= 0:
            self._woken_at = now
            self.send(messages.EVENTS)
            return
        self._wake_handle = asyncio.get_running_loop().call_later(wait, self._late_wake)

    def _late_wake(self) -> None:
        self._wake_handle = None
        self._woken_at = time.monotonic()
        self.send(messages.EVENTS)

    def send(self, msg: bytes) -> None:
        """Send the worker a message (dropped while it is not running: it looks in the
        database when it starts)."""
        if self._sock is not None:
            messages.send(self._sock, msg)

    def _close_sock(self) -> None:
        if self._sock is None:
            return
        with contextlib.suppress(ValueError, OSError):
            asyncio.get_running_loop().remove_reader(self._sock.fileno())
        self._sock.close()
        self._sock = None

    async def _supervise(self) -> None:
        backoff = RESTART_MIN
        while not self._stopping:
            started = time.monotonic()
            ours, theirs = socket.socketpair()
            try:
                await self._spawn(theirs)
            except OSError as e:
                ours.close()
                log.error("cannot start the worker: %s", e)
            else:
                ours.setblocking(False)
                self._sock = ours
                # When the worker is gone, _wait returns and it is started again.
                lines = messages.Lines(ours, self.on_message, lambda: None)
                asyncio.get_running_loop().add_reader(ours.fileno(), lines.readable)
                log.info("event worker started, pid %s", self.pid)
                # The worker looks at the intake when it starts; wake it anyway.
                self.wake()
                code = await self._wait()
                self._close_sock()
                if self._stopping:
                    return
                log.error("event worker (pid %s) exited with %s; restarting", self.pid, code)
                self.restarts += 1
            if time.monotonic() - started > STABLE_AFTER:
                backoff = RESTART_MIN
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, RESTART_MAX)

    async def stop(self) -> None:
        """Stop the worker and its supervision."""
        self._stopping = True
        await self._end()
        if self._wake_handle is not None:
            self._wake_handle.cancel()
            self._wake_handle = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._close_sock()


class WorkerProcess(WorkerHandle):
    """The worker in a process of its own (python -m moxhooks.runtime.worker), as under
    `moxhooks serve`; it makes its own mox client, DNS checker and clock from config."""

    def __init__(self, config: Config, on_message: Callable[[bytes], None]) -> None:
        super().__init__(config, on_message)
        self.proc: asyncio.subprocess.Process | None = None

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    async def _spawn(self, sock: socket.socket) -> None:
        try:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "moxhooks.runtime.worker", str(sock.fileno()),
                stdin=asyncio.subprocess.PIPE, pass_fds=(sock.fileno(),),
            )  # fmt: skip
        finally:
            sock.close()
        assert self.proc.stdin is not None
        self.proc.stdin.write(pickle.dumps(self.config))
        await self.proc.stdin.drain()
        self.proc.stdin.close()

    async def _wait(self) -> int | None:
        assert self.proc is not None
        return await self.proc.wait()

    async def _end(self) -> None:
        """SIGTERM, then SIGKILL after STOP_WAIT seconds."""
        proc = self.proc
        if proc is None or proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), STOP_WAIT)
        except TimeoutError:
            log.error("the worker did not stop within %ss; killing it", STOP_WAIT)
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()


class WorkerTask(WorkerHandle):
    """The same worker as a task of this process's event loop, for tests that move the
    test clock (the worker's clock, DNS checker and hold settings are given)."""

    def __init__(
        self,
        config: Config,
        on_message: Callable[[bytes], None],
        *,
        dns: DomainChecker | None = None,
        clock: Clock = utcnow,
        holds: HoldSettings | None = None,
    ) -> None:
        super().__init__(config, on_message)
        self.dns = dns
        self.clock = clock
        self.holds = holds
        # The worker's runtime while it is open.
        self.runtime: worker.WorkerRuntime | None = None
        self._run: asyncio.Task[None] | None = None

    @property
    def alive(self) -> bool:
        return self._run is not None and not self._run.done()

    @property
    def pid(self) -> int | None:
        return os.getpid() if self.alive else None

    def _opened(self, rt: worker.WorkerRuntime | None) -> None:
        self.runtime = rt

    async def _spawn(self, sock: socket.socket) -> None:
        self._run = asyncio.create_task(
            worker.run(self.config, sock, dns=self.dns, clock=self.clock, holds=self.holds,
                       opened=self._opened),
            name="worker-run",
        )  # fmt: skip

    async def _wait(self) -> int | None:
        assert self._run is not None
        await asyncio.wait([self._run])
        if self._run.cancelled():
            return None
        if self._run.exception() is not None:
            log.error("the worker failed", exc_info=self._run.exception())
            return 1
        return 0

    async def _end(self) -> None:
        """Close this end of the socket pair: the worker stops as when the web process is
        gone, after it finished opening (a cancelled open could leave a database
        connection's thread behind); cancelled only after STOP_WAIT seconds."""
        if self._run is None or self._run.done():
            return
        self._close_sock()
        _, pending = await asyncio.wait([self._run], timeout=STOP_WAIT)
        if pending:
            log.error("the worker did not stop within %ss; cancelling it", STOP_WAIT)
            self._run.cancel()
            await asyncio.wait([self._run], timeout=STOP_WAIT)


# Makes the web process's handle on its worker: (config, what to do with its messages).
StartWorker = Callable[[Config, Callable[[bytes], None]], WorkerHandle]


def in_process(
    *, dns: DomainChecker | None = None, clock: Clock = utcnow, holds: HoldSettings | None = None
) -> StartWorker:
    """Run the worker as a task of this process (WorkerTask), for tests."""

    def start(config: Config, on_message: Callable[[bytes], None]) -> WorkerHandle:
        return WorkerTask(config, on_message, dns=dns, clock=clock, holds=holds)

    return start
