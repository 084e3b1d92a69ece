"""The web process and its worker (moxhooks/runtime/): what they say to each other, and
that what the web process accepts while no worker runs is done once one starts."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from conftest import SECRET, Clock, Moxhooks, wait_for
from fakemox import FakeMox
from moxsender import MoxSender, outgoing_event
from reportmail import arf
from test_inbound import incoming_json, post_incoming

from moxhooks.config import Config
from moxhooks.jobs.mailbox.imap import ImapState
from moxhooks.runtime import messages
from moxhooks.runtime.supervisor import StartWorker, WorkerProcess, in_process
from moxhooks.runtime.web import WorkerState
from moxhooks.web.app import create_app
from moxhooks.web.keys import RUNTIME_KEY

pytestmark = pytest.mark.openapi_responses

TOKEN = "api-token-for-tests"


def test_state_messages_say_what_they_were_given() -> None:
    for name, ok, error in (("default", True, ""), ("b", False, "mox: connection refused 1 0"),
                            ("mox-2", None, "")):  # fmt: skip
        assert messages.parse_mox_state(messages.mox_state(name, ok, error)) == (name, ok, error)
    # One line each: an error's line breaks do not end the message.
    assert messages.parse_mox_state(messages.mox_state("a", False, "a\nb")) == ("a", False, "a b")
    state = ImapState("2026-12-06T09:00:00Z", "127.0.0.1:1143 Inbox: refused", 3)
    assert messages.parse_imap_state(messages.imap_state(2, state)) == (2, state)
    ws = WorkerState()
    ws.message(messages.mox_state("a", False, "down"))
    ws.message(messages.mox_state("b", True, ""))
    ws.message(messages.imap_state(0, state))
    assert (ws.mox, ws.imap) == ({"a": (False, "down"), "b": (True, "")}, {0: state})


async def test_repeated_messages_count_once_where_they_came_last() -> None:
    ours, theirs = socket.socketpair()
    theirs.setblocking(False)
    got: list[bytes] = []
    closed = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_reader(theirs.fileno(), messages.Lines(theirs, got.append, closed.set).readable)
    try:
        # mox went away and came back within one read: it answers now.
        ours.sendall(b"E\nM1\nM0down\nE\nM1\nE\n")
        ours.close()
        await asyncio.wait_for(closed.wait(), 5)
    finally:
        theirs.close()
    assert got == [b"M0down", b"M1", b"E"]


def mox_bases(fakemox: FakeMox) -> set[str]:
    return {s["BaseAddress"] for s in fakemox.suppressions("mox")}


@pytest.mark.parametrize("start_worker", [WorkerProcess, in_process()],
                         ids=["own process", "in process"])  # fmt: skip
async def test_what_is_accepted_while_no_worker_runs_is_done_when_one_starts(
    make_config: Callable[..., Config], fakemox: FakeMox, start_worker: StartWorker,
) -> None:
    cfg = make_config(accounts=[{
        "name": "mox", "login": "mox@localhost", "password": "moxmoxmox",
        "webhook_secret": SECRET, "api_token": TOKEN, "inbound_addresses": ["fbl@localhost"],
    }])  # fmt: skip
    app = create_app(cfg, worker=None)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    rt = app[RUNTIME_KEY]
    url = str(server.make_url("/hooks/outgoing/mox"))
    mh = Moxhooks(server, rt, MoxSender(url, authorization=f"Bearer {SECRET}"), fakemox, Clock())
    try:
        # A hard bounce by webhook (intake log), a complaint by mox's incoming webhook
        # (inbound table), an entry added through the API (outbox).
        msg = fakemox.add_retired(recipient="gone@example.org", code=550, secode="5.1.1")
        ev = outgoing_event("failed", queue_msg_id=msg["ID"], code=550, secode="5.1.1",
                            error="550 5.1.1 User unknown")  # fmt: skip
        await mh.sender.deliver(ev, hook_id=1)
        raw = arf("Someone@example.org", "<unknown@localhost>")
        assert await post_incoming(mh, incoming_json(fakemox.add_incoming("mox", raw)), 2) == (
            200, {},
        )  # fmt: skip
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as s:
            async with s.post(mh.url + "api/v1/accounts/mox/suppressions",
                              json={"address": "asked@example.org", "reason": "asked"}) as r:
                assert r.status == 201, await r.text()
        await asyncio.sleep(0.5)
        assert mox_bases(fakemox) == set()
        assert await rt.store.events.intake_backlog() == 1
        row = await rt.store.db.fetchone("SELECT status FROM inbound")
        assert row is not None and row[0] == "pending"

        # A worker starts (as `moxhooks serve` starts one again after it died).
        state = WorkerState()
        handle = start_worker(cfg, state.message)
        handle.start()
        try:

            async def done() -> bool:
                row = await rt.store.db.fetchone("SELECT status, report_type FROM inbound")
                assert row is not None
                return (mox_bases(fakemox) == {"gone@example.org", "asked@example.org"}
                        and tuple(row) == ("done", "arf") and state.mox.get(cfg.default_mox.name) == (True, ""))  # fmt: skip

            await wait_for(done, timeout=20, what="the worker catching up")
            assert handle.alive and handle.pid is not None and handle.restarts == 0
        finally:
            await handle.stop()
        assert not handle.alive
    finally:
        await mh.sender.close()
        await server.close()
