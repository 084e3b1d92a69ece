"""The connection guard's choice of what to close (moxhooks/web/limits.py), on real sockets:
a connection whose request head came in whole is waiting for its handler, not stalling, and is
not the one closed to make room for a new connection from the same address."""

from __future__ import annotations

import asyncio
import socket

from moxhooks.web.limits import ConnectionGuard, Limits, _Conn

PEER = "127.0.0.1"


async def connect(guard: ConnectionGuard, pairs: list[socket.socket]) -> _Conn:
    """One admitted connection on a real socket pair, with asyncio's own base protocol inside."""
    assert guard.make_room(PEER)
    ours, theirs = socket.socketpair()
    pairs += [ours, theirs]
    conn = _Conn(guard, asyncio.Protocol(), PEER)
    await asyncio.get_running_loop().create_connection(lambda: conn, sock=ours)
    return conn


async def test_a_whole_request_head_is_not_closed_as_the_oldest_idle() -> None:
    guard = ConnectionGuard(Limits(max_connections=100, max_per_peer=2, header_timeout=3.0,
                                   keepalive_timeout=3.0))  # fmt: skip
    pairs: list[socket.socket] = []
    try:
        honest = await connect(guard, pairs)  # the oldest
        stalled = await connect(guard, pairs)
        # The head in two reads, its blank line split across them.
        honest.data_received(b"POST /hooks/outgoing/mox HTTP/1.1\r\nHost: x\r\n\r")
        stalled.data_received(b"POST /hooks/outgoing/mox HTTP/1.1\r\nX-Slow: a")
        assert not honest.closing
        honest.data_received(b"\n")
        # The address is at its limit: the new connection closes the stalled one, though the
        # honest one is older.
        assert guard.make_room(PEER)
        assert stalled.closing and not honest.closing
        # With no idle connection left to close, a new one is refused.
        guard.release(PEER)
        await asyncio.sleep(0)  # the stalled connection's close is done
        newer = await connect(guard, pairs)
        newer.data_received(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert not guard.make_room(PEER)
        assert not honest.closing and not newer.closing
    finally:
        for s in pairs:
            s.close()
