"""Event processing and sync in a process of their own, beside the web process of
`moxhooks serve`.

Webhook intake and event processing share nothing but files: intake appends to the
intake log (store/intake.py), the processor moves its records into events and
processes them, and the sync worker pushes the changes into mox. Run in one
process they shared one event loop and one interpreter lock, and every batch the
processor worked on (and every call to mox) delayed the webhooks that arrived
meanwhile. Here they have their own interpreter, at the lowest CPU priority (Linux's
SCHED_IDLE: only CPU time nothing else wants), and write only the database, whose lock
intake never takes. Under a burst that takes every CPU, processing waits and catches
up after it; what a burst costs is latency of processing, never a webhook.

The two processes talk over a socket pair, one line a message:
- web -> worker: E, events were appended; S, suppression changes wait to be pushed
  into mox (an entry added or removed on the page, in the API, from a report);
  U, mox refused a message for an address only it lists (reconcile soon);
- worker -> web: M1, mox answers; M0<error>, it does not; M, not known (the
  sync worker's view, for /healthz).

The worker also looks for work every few seconds by itself, so a lost message costs
latency, never an event. The web process starts it, restarts it when it dies (kill -9
included: what it had not committed is processed again, each event once, because an
event's outcome and its status are one transaction), and stops it on shutdown. The
worker exits when the web process is gone (its end of the socket pair closes).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import pickle
import signal
import socket
import sys
import time
from collections.abc import Callable

from moxhooks.config import Config
from moxhooks.jobs.sync import SYNC_LISTED_UNKNOWN, SYNC_WAKE

log = logging.getLogger(__name__)

EVENTS = b"E"
MOX_STATE = b"M"

# Checkpoints of the database wait until no webhook came for QUIET seconds, or until
# its log is LOG_MAX bytes.
QUIET = 1.0
LOG_MAX = 64 * 1024 * 1024
# Seconds between two wake-up messages to the worker, at least.
WAKE_GAP = 0.1
# The worker's CPU priority where SCHED_IDLE is not available: below the web
# process, so intake goes first.
NICE = 19
# Restart backoff after the worker died (seconds), doubling up to the maximum.
RESTART_MIN = 0.5
RESTART_MAX = 30.0
# A worker that ran this long before dying starts the backoff afresh.
STABLE_AFTER = 60.0
# Seconds the worker gets to finish its batch at shutdown before it is killed.
STOP_WAIT = 10.0


def _send(sock: socket.socket, msg: bytes) -> None:
    """Send one message, never blocking: a full socket means the other side is busy
    already (the worker looks for work by itself too)."""
    with contextlib.suppress(BlockingIOError, BrokenPipeError, ConnectionError, OSError):
        sock.send(msg + b"\n")


class _Lines:
    """The messages arriving on a non-blocking socket, a line each."""

    def __init__(self, sock: socket.socket, on_message: Callable[[bytes], None],
                 on_close: Callable[[], None]) -> None:  # fmt: skip
        self.sock = sock
        self.on_message = on_message
        self.on_close = on_close
        self._buf = b""

    def readable(self) -> None:
        try:
            data = self.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            asyncio.get_running_loop().remove_reader(self.sock.fileno())
            self.on_close()
            return
        *lines, self._buf = (self._buf + data).split(b"\n")
        # A burst of the same wake-up is one wake-up.
        for msg in dict.fromkeys(lines):
            try:
                self.on_message(msg)
            except Exception:
                log.exception("message %r", msg)


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
        self._woken_at = 0.0
        self._wake_handle: asyncio.TimerHandle | None = None

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    def start(self) -> None:
        """Start the worker and keep it running until stop()."""
        self._task = asyncio.create_task(self._supervise(), name="worker-process")

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
            self.send(EVENTS)
            return
        self._wake_handle = asyncio.get_running_loop().call_later(wait, self._late_wake)

    def _late_wake(self) -> None:
        self._wake_handle = None
        self._woken_at = time.monotonic()
        self.send(EVENTS)

    def send(self, msg: bytes) -> None:
        """Send the worker a message (dropped while it is not running)."""
        if self._sock is not None:
            _send(self._sock, msg)

    async def _spawn(self) -> asyncio.subprocess.Process:
        ours, theirs = socket.socketpair()
        try:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "moxhooks.runtime.worker", str(theirs.fileno()),
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
        # When the worker is gone, _supervise notices (proc.wait) and restarts it.
        lines = _Lines(ours, self.on_message, lambda: None)
        asyncio.get_running_loop().add_reader(ours.fileno(), lines.readable)
        return proc

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
        if self._wake_handle is not None:
            self._wake_handle.cancel()
            self._wake_handle = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._close_sock()


# ---- the worker's side ------------------------------------------------------------------


async def work(config: Config, sock: socket.socket) -> None:
    """Run the event processor (with the automatic holds that watch it) and the sync
    worker until told to stop."""
    from moxhooks.jobs.holds import AutoHolds, settings_from
    from moxhooks.runtime import open_runtime

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    sock.setblocking(False)
    async with open_runtime(config) as rt:
        processor, sync = rt.processor, rt.sync
        processor.yield_to_intake = False
        processor.observers.append(AutoHolds(rt, settings_from(config.holds)).observe)
        sync.on_state = lambda ok, error: _send(
            sock, MOX_STATE + (b"" if ok is None else b"1" if ok else b"0" + _line(error))
        )
        handlers: dict[bytes, Callable[[], None]] = {
            EVENTS: processor.wake,
            SYNC_WAKE: sync.wake,
            SYNC_LISTED_UNKNOWN: sync.mox_lists_unknown,
        }

        last_events = [0.0]

        def message(msg: bytes) -> None:
            if msg == EVENTS:
                last_events[0] = time.monotonic()
            handler = handlers.get(msg)
            if handler is not None:
                handler()

        async def checkpoints() -> None:
            # While webhooks keep coming, the log only grows (up to LOG_MAX): its
            # checkpoints wait for the disk, which mox needs for its own, per webhook.
            db = rt.store.db
            await db.defer_checkpoints()
            while True:
                await asyncio.sleep(1.0)
                quiet = time.monotonic() - last_events[0] >= QUIET
                try:
                    if (quiet or db.log_bytes() > LOG_MAX) and db.log_bytes():
                        await db.checkpoint()
                except Exception:
                    log.exception("checkpoint failed")

        def gone() -> None:
            log.info("the web process is gone; the event worker stops")
            stop.set()

        loop.add_reader(sock.fileno(), _Lines(sock, message, gone).readable)
        gc.freeze()  # as the web process does (web.app.freeze_after_startup)
        tasks = [
            asyncio.create_task(processor.run(), name="processor"),
            asyncio.create_task(sync.run(), name="sync"),
            asyncio.create_task(checkpoints(), name="checkpoints"),
        ]
        try:
            await stop.wait()
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.wait(tasks, timeout=STOP_WAIT)


def _line(text: str) -> bytes:
    return text.replace("\n", " ").encode("utf-8", "replace")[:2000]


def parse_mox_state(msg: bytes) -> tuple[bool | None, str]:
    """What an M message says: (mox_ok, error)."""
    rest = msg[len(MOX_STATE) :]
    if not rest:
        return None, ""
    if rest[:1] == b"1":
        return True, ""
    return False, rest[1:].decode("utf-8", "replace")


def _lower_priority() -> None:
    """Run only on CPU time the web process leaves: SCHED_IDLE where Linux offers it
    (the scheduler runs the worker only when a CPU would otherwise idle), else nice."""
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        return
    except (AttributeError, OSError):
        pass
    with contextlib.suppress(OSError):
        os.nice(NICE)


def main() -> None:
    """python -m moxhooks.runtime.worker FD, the pickled Config on standard input."""
    fd = int(sys.argv[1])
    config: Config = pickle.load(sys.stdin.buffer)
    _lower_priority()
    logging.basicConfig(
        level=config.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s [worker] %(message)s",
    )
    sock = socket.socket(fileno=fd)
    asyncio.run(work(config, sock))


if __name__ == "__main__":
    main()
