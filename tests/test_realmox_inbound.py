"""The bounce and complaint mailbox with a real mox: `moxhooks setup` registers mox's
incoming webhook; a complaint (ARF, RFC 5965) and an asynchronous bounce are delivered
to mox by SMTP at the report addresses, mox posts them to moxhooks, moxhooks fetches each
raw message with webapi MessageRawGet, parses it and makes the entries, which reach mox.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from realmox import RealMox
from realstack import Stack, running_stack, wait_until
from reportmail import arf, qmail_bounce

pytestmark = pytest.mark.asyncio(loop_scope="module")

REPORT_ADDRESSES = ["bounces@localhost", "fbl@localhost"]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def stack(realmox: RealMox, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    accounts = [
        {
            "name": "mox",
            "login": "mox@localhost",
            "password": "moxmoxmox",
            "webhook_secret": "real-mox-webhook-secret",
            "api_token": "real-mox-api-token",
            "inbound_addresses": REPORT_ADDRESSES,
        }
    ]
    async with running_stack(
        realmox, tmp_path_factory.mktemp("moxhooks"), accounts=accounts
    ) as s:
        yield s


async def inbound_done(stack: Stack, rcpt_to: str, n: int = 1) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    async def done() -> bool:
        rows = await stack.runtime.store.db.fetchall(
            "SELECT * FROM inbound WHERE rcpt_to = ? AND status != 'pending' ORDER BY id",
            (rcpt_to,),
        )
        found[:] = [dict(r) for r in rows]
        return len(found) >= n

    await wait_until(done, 20, f"{n} report(s) to {rcpt_to} handled")
    return found


async def test_complaint_becomes_an_entry_in_moxhooks_and_mox(stack: Stack) -> None:
    sub = stack.mox.webapi("Send", {"To": [{"Address": "Angry.Reader@example.org"}],
                                    "Subject": "hello", "Text": "hello\n"})
    qid, message_id = sub["Submissions"][0]["QueueMsgID"], sub["MessageID"]
    await stack.processed(qid, "delivered")
    stack.mox.deliver("fbl@localhost", arf("Angry.Reader@example.org", message_id))
    (row,) = await inbound_done(stack, "fbl@localhost")
    assert (row["status"], row["report_type"], row["source"]) == ("done", "arf", "webhook")
    assert row["raw"] is not None and b"feedback-report" in row["raw"]
    entry = (await stack.active_bases())["angryreader@example.org"]
    assert (entry["kind"], entry["source"], entry["scope"]) == ("complaint", "complaint", "")
    await stack.until_in_mox("angryreader@example.org")


async def test_asynchronous_bounce_becomes_an_entry(stack: Stack) -> None:
    sub = stack.mox.webapi("Send", {"To": [{"Address": "Gone.Later@example.org"}],
                                    "Subject": "hello", "Text": "hello\n"})
    qid, message_id = sub["Submissions"][0]["QueueMsgID"], sub["MessageID"]
    await stack.processed(qid, "delivered")
    stack.mox.deliver("bounces@localhost", qmail_bounce("Gone.Later@example.org", message_id))
    (row,) = await inbound_done(stack, "bounces@localhost")
    assert (row["status"], row["report_type"]) == ("done", "bounce"), row["outcome"]
    entry = (await stack.active_bases())["gonelater@example.org"]
    assert (entry["kind"], entry["source"]) == ("mailbox_unknown", "bounce")
    await stack.until_in_mox("gonelater@example.org")


async def test_ordinary_mail_of_the_account_is_not_kept(stack: Stack) -> None:
    stack.mox.deliver("mox@localhost", b"From: a@example.org\r\nSubject: hi\r\n\r\nhi\r\n")
    # A report sent after it is handled; the ordinary message left no row at all.
    stack.mox.deliver("bounces@localhost", b"From: x@example.org\r\nSubject: ?\r\n\r\n??\r\n")
    rows = await inbound_done(stack, "bounces@localhost", 2)
    assert rows[-1]["status"] == "unparsed"
    kept = await stack.runtime.store.db.fetchall("SELECT rcpt_to FROM inbound")
    assert "mox@localhost" not in {r[0] for r in kept}
