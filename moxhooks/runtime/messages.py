"""The messages between the web process and the worker, one line each over a socket pair.

- web -> worker: E, webhook events were appended to intake; S, suppression changes wait
  to be pushed into mox (an entry added or removed on the page, in the API, by a
  report); B, a message was kept in the bounce mailbox (inbound table), parse it.
- worker -> web: M<name> 1, the mox server of that name answers; M<name> 0<error>, it
  does not; M<name> , not known (the sync worker's view of each server, for /healthz and
  the admin overview); I<json>, how the last look at one IMAP mailbox went (for the admin
  page).

Each web -> worker message only says "look now": what it is about is in the database
before it is sent, and the worker looks there at its start and every few seconds by
itself, so a message lost (the worker restarting) costs latency, never work.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
from collections.abc import Callable
from dataclasses import asdict

from moxhooks.jobs.mailbox.imap import ImapState

log = logging.getLogger(__name__)

EVENTS = b"E"
SYNC = b"S"
MAILBOX = b"B"
MOX_STATE = b"M"
IMAP_STATE = b"I"

# The longest error text a state message carries.
MAX_ERROR = 2000


def send(sock: socket.socket, msg: bytes) -> None:
    """Send one message, never blocking: a full socket means the other side is busy
    already (the worker looks for work by itself too)."""
    with contextlib.suppress(BlockingIOError, BrokenPipeError, ConnectionError, OSError):
        sock.send(msg + b"\n")


class Lines:
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
        # A burst of the same message is one message, handled where it came last: a state
        # that went A, B, A ends as A.
        for msg in reversed(dict.fromkeys(reversed(lines))):
            try:
                self.on_message(msg)
            except Exception:
                log.exception("message %r", msg)


def _line(text: str) -> bytes:
    return text.replace("\n", " ").encode("utf-8", "replace")[:MAX_ERROR]


def mox_state(name: str, ok: bool | None, error: str) -> bytes:
    """The M message: the sync worker's view of the mox server called name (mox names
    have no spaces: the space ends the name)."""
    state = b"" if ok is None else b"1" if ok else b"0" + _line(error)
    return MOX_STATE + name.encode() + b" " + state


def parse_mox_state(msg: bytes) -> tuple[str, bool | None, str]:
    """What an M message says: (server name, ok, error)."""
    name, _, rest = msg[len(MOX_STATE) :].partition(b" ")
    if not rest:
        return name.decode(), None, ""
    if rest[:1] == b"1":
        return name.decode(), True, ""
    return name.decode(), False, rest[1:].decode("utf-8", "replace")


def imap_state(i: int, state: ImapState) -> bytes:
    """The I message: how the last look at the i-th [[imap]] mailbox went."""
    body = {**asdict(state), "last_error": state.last_error[:MAX_ERROR], "i": i}
    return IMAP_STATE + json.dumps(body).encode()


def parse_imap_state(msg: bytes) -> tuple[int, ImapState]:
    """What an I message says: (mailbox index, its state)."""
    body = json.loads(msg[len(IMAP_STATE) :])
    return int(body["i"]), ImapState(
        str(body["last_pass"]), str(body["last_error"]), int(body["kept"])
    )
