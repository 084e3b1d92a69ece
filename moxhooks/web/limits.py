"""Connection limits for `moxhooks serve`: slow or many connections never starve webhooks.

aiohttp reads a request's headers for as long as the client takes, and accepts as many
connections as the process has file descriptors; past that, accept() fails with EMFILE for
everyone (mox included) and asyncio logs every failure. The guard here sits between the
listening socket and aiohttp's protocol and keeps, per connection, whether a request is
being handled ("busy") or not ("idle": connected, between requests, or sending headers):

- An idle connection is closed after `server.header_timeout` seconds without a request
  (a fresh connection, or one that started sending a request), or after
  `server.keepalive_timeout` seconds of silence between requests.
- A connection whose request head has come in whole (its blank line) is not idle: it waits
  for the handler, which a stalled client never reaches.
- A new connection from an address that has `server.max_connections_per_peer` open
  already closes that address's oldest idle connection, and at `server.max_connections`
  in all (kept below the process's file limit) the oldest idle connection of any address:
  stalled clients lose their connections, not the service, and a client that shares an
  address with them (mox on the same host) still gets in. Only when every connection is
  busy is the new one refused. aiohttp's protocol is only made for an admitted connection,
  so the churn of a stalled client's reconnects costs little.
- Each limit is logged once when first reached, then once a minute with the number of
  connections closed for it.

A webhook's body is read under `server.body_timeout` (web/intake.py).
"""

from __future__ import annotations

import asyncio
import errno
import logging
import resource
import signal
import socket
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)

# File descriptors kept free for the database, the intake log, mox and the worker.
FD_RESERVE = 64
SWEEP_EVERY = 0.5
# Connections accepted per turn of the event loop, and the kernel's queue of them.
ACCEPT_BATCH = 32
BACKLOG = 1024
LOG_EVERY = 60.0


@dataclass(frozen=True)
class Limits:
    """The connection limits (config `server.*`)."""

    max_connections: int
    max_per_peer: int
    header_timeout: float
    keepalive_timeout: float


def fd_limit() -> int:
    """The process's soft limit on open files."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return soft if soft != resource.RLIM_INFINITY else 1 << 20


def effective_max(configured: int) -> int:
    """The configured maximum, below the file limit less what moxhooks itself needs."""
    return max(16, min(configured, fd_limit() - FD_RESERVE))


class _Conn(asyncio.Protocol):
    """One admitted connection: aiohttp's protocol, watched by the guard."""

    __slots__ = ("closing", "data_since_idle", "guard", "head_tail", "idle_since", "inner", "peer",
                 "served", "transport")

    def __init__(self, guard: ConnectionGuard, inner: asyncio.Protocol, peer: str) -> None:
        self.guard = guard
        self.inner: Any = inner
        self.transport: asyncio.Transport | None = None
        self.peer = peer
        self.served = False  # at least one request was handled on it
        self.closing = False
        self.idle_since = time.monotonic()
        self.data_since_idle = False
        # The last bytes of the request head so far, to see its end across reads; None once
        # the head is whole.
        self.head_tail: bytes | None = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.guard.register(self)
        self.inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self.closing:
            return
        if not self.data_since_idle:
            self.data_since_idle = True
            self.idle_since = time.monotonic()  # the header timeout runs from the first byte
        if self.head_tail is not None:
            seen = self.head_tail + data
            if b"\r\n\r\n" in seen:
                # The whole head is here: the request goes to its handler now. Under a flood of
                # stalled connections from the same address (mox's host), an honest request is
                # not closed as "the oldest idle" in the moment before its handler starts.
                self.head_tail = None
                self.guard.head_done(self)
            else:
                self.head_tail = seen[-3:]
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received()  # type: ignore[no-any-return]

    def connection_lost(self, exc: Exception | None) -> None:
        self.guard.forget(self)
        self.inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()


class ConnectionGuard:
    """Counts connections per address and in all, and closes idle ones by the rules above."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._idle: OrderedDict[_Conn, None] = OrderedDict()  # oldest first
        self._busy: set[_Conn] = set()
        self._by_transport: dict[asyncio.BaseTransport, _Conn] = {}
        # Open descriptors, counted from accept() (before asyncio has the connection).
        self.open = 0
        self._per_peer: dict[str, int] = {}
        self._closed: dict[str, int] = {}  # reason -> connections closed since the last log
        self._logged_at: dict[str, float] = {}

    def make_room(self, peer: str) -> bool:
        """A connection was accepted from peer: count it if there is room, closing the oldest
        idle connection (of peer at its limit, else of anyone) to make it; False: refuse it."""
        if self._per_peer.get(peer, 0) >= self.limits.max_per_peer and not self._evict(
            peer, "per-address connection limit"
        ):
            return False
        if self.open >= self.limits.max_connections and not self._evict(None, "connection limit"):
            return False
        self._per_peer[peer] = self._per_peer.get(peer, 0) + 1
        self.open += 1
        return True

    def release(self, peer: str) -> None:
        """An accepted connection is closed again (or never reached asyncio)."""
        self.open -= 1
        n = self._per_peer.get(peer, 0) - 1
        if n > 0:
            self._per_peer[peer] = n
        else:
            self._per_peer.pop(peer, None)

    def register(self, conn: _Conn) -> None:
        """asyncio made the connection's transport: it is idle until its first request."""
        assert conn.transport is not None
        self._by_transport[conn.transport] = conn
        conn.idle_since = time.monotonic()
        self._idle[conn] = None

    def _evict(self, peer: str | None, reason: str) -> bool:
        """Close the oldest idle connection (of peer, if given); False if there is none."""
        for old in self._idle:
            if peer is None or old.peer == peer:
                self._close(old, reason)
                return True
        self._note(f"{reason} (all busy, refused)")
        return False

    def _close(self, conn: _Conn, reason: str) -> None:
        self._idle.pop(conn, None)
        self._busy.discard(conn)
        if not conn.closing:
            conn.closing = True
            if conn.transport is not None:
                conn.transport.abort()  # the descriptor is closed on the loop's next turn
        self._note(reason)

    def forget(self, conn: _Conn) -> None:
        """The connection is gone."""
        if conn.transport is not None and self._by_transport.pop(conn.transport, None) is conn:
            self.release(conn.peer)
        self._idle.pop(conn, None)
        self._busy.discard(conn)

    def head_done(self, conn: _Conn) -> None:
        """The connection's request head is whole: it waits for its handler, not for the client."""
        if conn in self._idle:
            del self._idle[conn]
            self._busy.add(conn)

    def busy(self, transport: asyncio.BaseTransport | None) -> None:
        """A request on this connection is being handled: it is not closed for idleness."""
        conn = self._by_transport.get(transport) if transport is not None else None
        if conn is not None:
            self._idle.pop(conn, None)
            conn.served = True
            self._busy.add(conn)

    def idle(self, transport: asyncio.BaseTransport | None) -> None:
        """The request was answered: the connection waits for the next one."""
        conn = self._by_transport.get(transport) if transport is not None else None
        if conn is not None and conn in self._busy:
            self._busy.discard(conn)
            conn.idle_since = time.monotonic()
            conn.data_since_idle = False
            conn.head_tail = b""
            self._idle[conn] = None

    def _note(self, reason: str) -> None:
        """Log a limit once when first reached, then once a minute with a count."""
        self._closed[reason] = self._closed.get(reason, 0) + 1
        now = time.monotonic()
        last = self._logged_at.get(reason)
        if last is None:
            log.warning("%s reached (%d connections open, at most %d, %d per address): closing "
                        "connections (idle ones first)", reason, self.open,
                        self.limits.max_connections, self.limits.max_per_peer)
            self._logged_at[reason] = now
            self._closed[reason] = 0
        elif now - last >= LOG_EVERY:
            log.warning("%s: %d connections closed in the last %.0f s", reason,
                        self._closed[reason], now - last)
            self._logged_at[reason] = now
            self._closed[reason] = 0

    def sweep(self) -> None:
        """Close idle connections past their timeout."""
        now = time.monotonic()
        for conn in list(self._idle):
            fresh = conn.data_since_idle or not conn.served
            limit = self.limits.header_timeout if fresh else self.limits.keepalive_timeout
            if now - conn.idle_since >= limit:
                self._close(conn, "header timeout" if fresh else "keep-alive timeout")

    async def run(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_EVERY)
            self.sweep()


class Listener:
    """The accept loop of one listening socket: admission is decided right after accept(),
    before asyncio makes a transport, so a refused connection costs a close() and the
    process never runs out of descriptors (asyncio's own loop accepts a whole backlog
    first, then fails with EMFILE for everyone, pauses a second and logs each failure)."""

    def __init__(self, sock: socket.socket, guard: ConnectionGuard,
                 factory: Callable[[], asyncio.Protocol]) -> None:  # fmt: skip
        self.sock = sock
        self.guard = guard
        self.factory = factory
        self._loop = asyncio.get_running_loop()
        self._tasks: set[asyncio.Task[None]] = set()
        sock.setblocking(False)
        self._loop.add_reader(sock.fileno(), self._readable)

    def _readable(self) -> None:
        for _ in range(ACCEPT_BATCH):
            try:
                conn, addr = self.sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as e:
                if e.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    # Out of descriptors after all (another part of the process took them):
                    # wait a moment rather than spin on the same error.
                    self.guard._note("out of file descriptors")
                    self._loop.remove_reader(self.sock.fileno())
                    self._loop.call_later(0.1, self._loop.add_reader, self.sock.fileno(),
                                          self._readable)
                    return
                continue  # ECONNABORTED and the like: that one connection is gone
            peer = str(addr[0]) if isinstance(addr, tuple) and addr else ""
            if not self.guard.make_room(peer):
                conn.close()
                continue
            task = self._loop.create_task(self._start(conn, peer))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _start(self, conn: socket.socket, peer: str) -> None:
        try:
            await self._loop.connect_accepted_socket(
                lambda: _Conn(self.guard, self.factory(), peer), conn
            )
        except OSError:
            conn.close()
            self.guard.release(peer)

    def close(self) -> None:
        self._loop.remove_reader(self.sock.fileno())
        self.sock.close()


def listen(host: str, port: int) -> list[socket.socket]:
    """Listening sockets for every address host resolves to (as loop.create_server does)."""
    infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM,
                               flags=socket.AI_PASSIVE)
    socks: list[socket.socket] = []
    try:
        for family, type_, proto, _, addr in dict.fromkeys(infos):
            sock = socket.socket(family, type_, proto)
            socks.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(addr)
            sock.listen(BACKLOG)
    except OSError:
        for sock in socks:
            sock.close()
        raise
    return socks


GUARD_KEY = web.AppKey("connection_guard", ConnectionGuard)


@web.middleware
async def guard_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Tell the guard (when serve runs one) that this connection is busy with a request."""
    guard = request.app.get(GUARD_KEY)
    if guard is None:
        return await handler(request)
    guard.busy(request.transport)
    try:
        return await handler(request)
    finally:
        guard.idle(request.transport)


async def serve_app(
    app: web.Application, host: str, port: int, limits: Limits,
    on_ready: Callable[[int], None] | None = None,
) -> None:
    """Serve app on host:port behind a ConnectionGuard until SIGINT or SIGTERM; on_ready
    gets the port listened on (port 0: one the system chose). aiohttp's access log is
    kept, as web.run_app has it.

    Raises OSError when the port cannot be bound (taken, not allowed).
    """
    loop = asyncio.get_running_loop()
    guard = ConnectionGuard(limits)
    app[GUARD_KEY] = guard
    runner = web.AppRunner(app, handle_signals=False, access_log=logging.getLogger("aiohttp.access"),
                           keepalive_timeout=limits.keepalive_timeout)
    await runner.setup()
    try:
        assert runner.server is not None
        listeners = [Listener(sock, guard, runner.server) for sock in listen(host, port)]
        if on_ready is not None:
            on_ready(int(listeners[0].sock.getsockname()[1]))
        sweeper = asyncio.create_task(guard.run(), name="connection-guard")
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            await stop.wait()
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
            for listener in listeners:
                listener.close()
            sweeper.cancel()
    finally:
        await runner.cleanup()
