"""The bounce and complaint mailbox read over IMAP from a real mox (localserve serves IMAP
on port 1143): a complaint delivered to mox lands in the account's Inbox, moxhooks reads
it, keeps it, flags it \\Seen, and makes the entry, which reaches mox."""

from __future__ import annotations

import imaplib
from collections.abc import AsyncIterator
from typing import Any

import msgspec
import pytest
import pytest_asyncio
from realmox import IMAP_PORT, LOGIN, PASSWORD, RealMox
from realstack import Stack, running_stack, wait_until
from reportmail import arf

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def stack(realmox: RealMox, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    imap = [{"account": "mox", "host": realmox.ip, "port": IMAP_PORT, "security": "none",
             "username": LOGIN, "password": PASSWORD, "mailbox": "Inbox", "interval": 0.2}]
    async with running_stack(realmox, tmp_path_factory.mktemp("moxhooks"), imap=imap) as s:
        yield s


def unseen(mox: RealMox) -> int:
    conn = imaplib.IMAP4(mox.ip, IMAP_PORT, timeout=10)
    try:
        conn.login(LOGIN, PASSWORD)
        conn.select("Inbox")
        _, data = conn.uid("SEARCH", "UNSEEN")
        return len((data[0] or b"").split())
    finally:
        conn.logout()


async def test_complaint_read_over_imap(stack: Stack) -> None:
    sub = stack.mox.webapi("Send", {"To": [{"Address": "Imap.Reader@example.org"}],
                                    "Subject": "hello", "Text": "hello\n"})
    qid, message_id = sub["Submissions"][0]["QueueMsgID"], sub["MessageID"]
    await stack.processed(qid, "delivered")
    stack.mox.deliver("fbl@localhost", arf("Imap.Reader@example.org", message_id))

    async def listed() -> bool:
        return "imapreader@example.org" in await stack.active_bases()

    await wait_until(listed, 20, "the complaint entry from the IMAP mailbox")
    entry = (await stack.active_bases())["imapreader@example.org"]
    assert (entry["kind"], entry["source"]) == ("complaint", "complaint")

    async def reports() -> list[Any]:
        return await stack.runtime.store.db.fetchall(
            "SELECT source, external_id, report_type, status FROM inbound"
            " WHERE report_type = 'arf'"
        )

    async def finished() -> bool:
        # The entry is committed before the report's own row is marked done.
        return [(r["source"], r["status"]) for r in await reports()] == [("imap", "done")]

    await wait_until(finished, 10, "the report kept from IMAP, done")
    rows = await reports()
    assert ":" in rows[0]["external_id"]  # <UIDVALIDITY>:<UID>
    await stack.until_in_mox("imapreader@example.org")
    # Everything kept was flagged \Seen; a second pass keeps nothing new.
    assert unseen(stack.mox) == 0
    state = stack.runtime.imap.state[0]
    assert state.last_error == ""
    kept = state.kept
    assert await stack.runtime.imap.poll(0, stack.config.imap[0]) == 0
    assert stack.runtime.imap.state[0].kept == kept


async def test_a_wrong_password_is_reported_not_raised(stack: Stack) -> None:
    bad = msgspec.structs.replace(stack.config.imap[0], password="wrong")
    assert await stack.runtime.imap.poll(5, bad) == 0
    assert stack.runtime.imap.state[5].last_error == (
        f"{stack.mox.ip}:{IMAP_PORT} Inbox: b'[AUTHENTICATIONFAILED] LOGIN login failed'"
    )
