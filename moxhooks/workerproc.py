"""The event processor in a process of its own, beside the web process of `moxhooks serve`.

Webhook intake and event processing share nothing but the database files: intake
appends to the intake file (store/intake.py), the processor moves the rows into
events and processes them. Run in one process they shared one event loop and one
interpreter lock, and every batch the processor worked on delayed the webhooks that
arrived meanwhile. Here the processor has its own interpreter, at a lower CPU priority
(nice 10), and writes only the database, whose lock intake never takes.

The two processes talk over a socket pair, one byte a message:
- web -> worker: E, events were appended;
- worker -> web: S, suppression changes wait to be pushed into mox (the sync worker
  runs in the web process); U, mox refused a message for an address only it lists.

The worker also looks for work every few seconds by itself, so a lost byte costs
latency, never an event. The web process starts it, restarts it when it dies (kill -9
included: what it had not committed is processed again, each event once, because its
outcome and its status are one transaction), and stops it on shutdown. The worker
exits when the web process is gone (its end of the socket pair closes).
"""

from __future__ import annotations

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

from .config import Config

log = logging.getLogger(__name__)

EVENTS = b"E"
SYNC = b"S"
MOX_LISTS_UNKNOWN = b"U"

# The worker's CPU priority: below the web process, so intake goes first.
NICE = 10
# Restart backoff after the worker died (seconds), doubling up to the maximum.
RESTART_MIN = 0.5
RESTART_MAX = 30.0
# A worker that ran this long before dying starts the backoff afresh.
STABLE_AFTER = 60.0
# Seconds the worker gets to finish its batch at shutdown before it is killed.
STOP_WAIT = 10.0


def _send(sock: socket.socket, msg: bytes) -> None:
    """Send one byte, never blocking: a full socket means the other side has work queued."""
    with contextlib.suppress(BlockingIOError, BrokenPipeError, ConnectionError, OSError):
        sock.send(msg)


class WorkerProcess:
    """The web process's handle on the worker: start, wake, restart, stop."""

    def __init__(self, config: Config, on_message: Callable[[bytes], None]) -> None:
        self.config = config
        self.on_message = on_message
        self.proc: asyncio.subprocess.Process | None = None
        self._sock: socket.socket | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.restarts = 0
        self.last_exit: int | None = None

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    def start(self) -> None:
        """Start the worker and keep it running until stop()."""
        self._task = asyncio.create_task(self._supervise(), name="worker-process")

    def wake(self) -> None:
        """Events were appended to intake."""
        if self._sock is not None:
            _send(self._sock, EVENTS)

    async def _spawn(self) -> asyncio.subprocess.Process:
        ours, theirs = socket.socketpair()
        try:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "moxhooks.workerproc", str(theirs.fileno()),
                stdin=asyncio.subprocess.PIPE, pass_fds=(theirs.fileno(),),
            )  # fmt: skip
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        assert proc.stdin is not None
        proc.stdin.write(pickle.dumps(self.config))
        await proc.stdin.drain()
        proc.stdin.close()
        ours.setblocking(False)
        self._sock = ours
        asyncio.get_running_loop().add_reader(ours.fileno(), self._readable, ours)
        return proc

    def _readable(self, sock: socket.socket) -> None:
        try:
            data = sock.recv(4096)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            # The worker is gone; _supervise notices and restarts it.
            asyncio.get_running_loop().remove_reader(sock.fileno())
            return
        for msg in set(data[i : i + 1] for i in range(len(data))):
            try:
                self.on_message(msg)
            except Exception:
                log.exception("worker message %r", msg)

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
            try:
                self.proc = await self._spawn()
            except OSError as e:
                log.error("cannot start the event worker: %s", e)
            else:
                log.info("event worker started, pid %d", self.proc.pid)
                # The processor looks at the intake when it starts; wake it anyway.
                self.wake()
                code = await self.proc.wait()
                self.last_exit = code
                self._close_sock()
                if self._stopping:
                    return
                log.error("event worker (pid %d) exited with %s; restarting", self.proc.pid, code)
                self.restarts += 1
            if time.monotonic() - started > STABLE_AFTER:
                backoff = RESTART_MIN
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, RESTART_MAX)

    async def stop(self) -> None:
        """Stop the worker: SIGTERM, then SIGKILL after STOP_WAIT seconds."""
        self._stopping = True
        proc = self.proc
        if proc is not None and proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), STOP_WAIT)
            except TimeoutError:
                log.error("event worker did not stop within %ss; killing it", STOP_WAIT)
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._close_sock()


# ---- the worker's side ------------------------------------------------------------------


async def work(config: Config, sock: socket.socket) -> None:
    """Run the event processor (and the automatic holds that watch it) until told to stop."""
    from .holds import AutoHolds, settings_from
    from .runtime import open_runtime

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    sock.setblocking(False)
    async with open_runtime(config) as rt:
        processor = rt.processor
        processor.yield_to_intake = False
        processor.on_change = lambda: _send(sock, SYNC)
        processor.on_mox_lists_unknown = lambda: _send(sock, MOX_LISTS_UNKNOWN)
        holds = AutoHolds(rt, settings_from(config.holds))
        processor.observers.append(holds.observe)

        def readable() -> None:
            try:
                data = sock.recv(4096)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                data = b""
            if not data:
                log.info("the web process is gone; the event worker stops")
                loop.remove_reader(sock.fileno())
                stop.set()
                return
            processor.wake()

        loop.add_reader(sock.fileno(), readable)
        task = asyncio.create_task(processor.run(), name="processor")
        try:
            await stop.wait()
        finally:
            task.cancel()
            await asyncio.wait([task], timeout=STOP_WAIT)


def main() -> None:
    """python -m moxhooks.workerproc FD, the pickled Config on standard input."""
    fd = int(sys.argv[1])
    config: Config = pickle.load(sys.stdin.buffer)
    with contextlib.suppress(OSError):
        os.nice(NICE)
    logging.basicConfig(
        level=config.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s [worker] %(message)s",
    )
    sock = socket.socket(fileno=fd)
    asyncio.run(work(config, sock))


if __name__ == "__main__":
    main()
