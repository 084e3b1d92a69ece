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


def arf(original_to: str, message_id: str) -> bytes:
    """A Yahoo-style feedback report (RFC 5965) about a message mox sent."""
    return (
        "From: Yahoo! Mail AntiSpam Feedback <feedback@arf.mail.yahoo.com>\r\n"
        "To: fbl@localhost\r\n"
        "Subject: FW: hello\r\n"
        "Date: Wed, 02 Dec 2026 12:00:00 +0000\r\n"
        "Message-ID: <arf-1@arf.mail.yahoo.com>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=feedback-report; boundary="A"\r\n'
        "\r\n--A\r\nContent-Type: text/plain\r\n\r\n"
        "This is an email abuse report for an email message received from IP 127.0.0.1.\r\n"
        "\r\n--A\r\nContent-Type: message/feedback-report\r\n\r\n"
        "Feedback-Type: abuse\r\n"
        "User-Agent: Yahoo!-Mail-Feedback/2.0\r\n"
        "Version: 1\r\n"
        "Original-Mail-From: <mox@localhost>\r\n"
        f"Original-Rcpt-To: <{original_to}>\r\n"
        "Source-IP: 127.0.0.1\r\n"
        "\r\n--A\r\nContent-Type: message/rfc822\r\n\r\n"
        "From: mox@localhost\r\n"
        f"To: {original_to}\r\n"
        "Subject: hello\r\n"
        f"Message-ID: {message_id}\r\n"
        "\r\nhello\r\n"
        "\r\n--A--\r\n"
    ).encode()


def qmail_bounce(original_to: str, message_id: str) -> bytes:
    """qmail's plain-text bounce: no DSN, the failed address in its own words."""
    return (
        "From: MAILER-DAEMON@mx.example.org\r\n"
        "To: bounces@localhost\r\n"
        "Subject: failure notice\r\n"
        "Date: Wed, 02 Dec 2026 12:00:00 +0000\r\n"
        "Message-ID: <qmail-1@mx.example.org>\r\n"
        "\r\n"
        "Hi. This is the qmail-send program at mx.example.org.\r\n"
        "I'm afraid I wasn't able to deliver your message to the following addresses.\r\n"
        "This is a permanent error; I've given up. Sorry it didn't work out.\r\n"
        "\r\n"
        f"<{original_to}>:\r\n"
        "Sorry, no mailbox here by that name. (#5.1.1)\r\n"
        "\r\n"
        "--- Below this line is a copy of the message.\r\n"
        "\r\n"
        "From: mox@localhost\r\n"
        f"To: {original_to}\r\n"
        f"Message-ID: {message_id}\r\n"
        "Subject: hello\r\n"
        "\r\nhello\r\n"
    ).encode()


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
