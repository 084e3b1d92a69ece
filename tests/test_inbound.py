"""The bounce and complaint mailbox against the fake mox over real HTTP: mox's incoming
webhook in, the raw message fetched with MessageRawGet, parsed, matched and applied;
bad input and a failing mox lose nothing and make no wrong entry.

The fake answers MessageRawGet like mox (tests/test_realmox_differential.py checks its
errors); tests/test_realmox_inbound.py does the same flow against a real mox."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import msgspec
import pytest
from conftest import SECRET, Moxhooks, wait_for
from moxsender import outgoing_event
from openapi_check import Checked, request_problem
from reportmail import arf, qmail_bounce

Start = Callable[..., Awaitable[Moxhooks]]

# As `moxhooks serve` runs: the worker (which parses the reports) in a process of its own.
pytestmark = [pytest.mark.worker_process, pytest.mark.openapi_responses]

REPORTS = ["bounces@localhost", "fbl@localhost"]


def accounts(**extra: Any) -> list[dict[str, Any]]:
    return [
        {"name": "mox", "login": "mox@localhost", "password": "moxmoxmox",
         "webhook_secret": SECRET, "api_token": "api-token-for-tests",
         "inbound_addresses": REPORTS, **extra},
        {"name": "other", "login": "other@localhost", "password": "otherpass",
         "webhook_secret": "other-secret"},
    ]  # fmt: skip


def incoming_json(msg_id: int, rcpt_to: str = "fbl@localhost", text: str = "") -> dict[str, Any]:
    """A webhook.Incoming body as mox posts it (the fields moxhooks reads, and more)."""
    return {
        "Version": 0,
        "From": [{"Name": "", "Address": "feedback@arf.mail.yahoo.com"}],
        "To": [{"Name": "", "Address": rcpt_to}],
        "CC": None, "BCC": None, "ReplyTo": None,
        "Subject": "FW: hello",
        "MessageID": f"<report-{msg_id}@example.com>",
        "InReplyTo": "", "References": None, "Date": "2026-12-02T12:00:00Z",
        "Text": text, "HTML": "",
        "Structure": {"ContentType": "multipart/report", "ContentTypeParams": {},
                      "ContentID": "", "ContentDisposition": "", "Filename": "",
                      "DecodedSize": 0, "Parts": None},
        "Meta": {"MsgID": msg_id, "MailFrom": "", "MailFromValidated": False,
                 "MsgFromValidated": False, "RcptTo": rcpt_to, "DKIMVerifiedDomains": None,
                 "RemoteIP": "127.0.0.1", "Received": "2026-12-02T12:00:00Z",
                 "MailboxName": "Inbox", "Automated": False},
    }  # fmt: skip


async def post_incoming(
    mh: Moxhooks, body: bytes | dict[str, Any], hook_id: int, *, account: str = "mox",
    secret: str = SECRET, headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    h = {"Authorization": f"Bearer {secret}", "X-Mox-Webhook-ID": str(hook_id),
         "X-Mox-Webhook-Attempt": "1", "Content-Type": "application/json; charset=utf-8",
         **(headers or {})}  # fmt: skip
    async with aiohttp.ClientSession() as s:
        resp = await s.post(mh.url + f"hooks/incoming/{account}", data=data, headers=h)
        return resp.status, await resp.json()


async def sent(mh: Moxhooks, qid: int, to: str, message_id: str, account: str = "mox") -> None:
    """A message moxhooks saw mox deliver (an outgoing event, resolved)."""
    mh.fakemox.add_retired(qid, account, to, 0, "", success=True, message_id=message_id)
    url = mh.hook_url(account)
    secret = SECRET if account == "mox" else "other-secret"
    async with aiohttp.ClientSession() as s:
        resp = await s.post(url, json=outgoing_event("delivered", queue_msg_id=qid,
                                                     message_id=message_id),
                            headers={"Authorization": f"Bearer {secret}",
                                     "X-Mox-Webhook-ID": str(1000 + qid)})
        assert resp.status == 200

    async def resolved() -> bool:
        row = await mh.runtime.store.db.fetchone(
            "SELECT recipient FROM events WHERE account = ? AND queue_msg_id = ?", (account, qid)
        )
        return row is not None and row[0] is not None

    await wait_for(resolved, what=f"send {qid} resolved")


async def handled(mh: Moxhooks, hook_id: int) -> dict[str, Any]:
    found: dict[str, Any] = {}

    async def done() -> bool:
        row = await mh.runtime.store.db.fetchone(
            "SELECT * FROM inbound WHERE external_id = ? AND status != 'pending'", (str(hook_id),)
        )
        if row is not None:
            found.update(dict(row))
        return row is not None

    await wait_for(done, timeout=10, what=f"inbound {hook_id} handled")
    return found


async def entries(mh: Moxhooks) -> dict[str, dict[str, Any]]:
    return {e.base_address: msgspec.to_builtins(e)
            for e in await mh.runtime.store.suppressions.synced_active("mox")}  # fmt: skip


async def count_rows(mh: Moxhooks, table: str) -> int:
    row = await mh.runtime.store.db.fetchone(f"SELECT COUNT(*) FROM {table}")
    assert row is not None
    return int(row[0])


@pytest.mark.parametrize(
    ("account", "secret", "headers", "body", "status", "code"),
    [
        ("nobody", SECRET, {}, incoming_json(1), 404, "notFound"),
        ("mox", "wrong", {}, incoming_json(1), 401, "noAuth"),
        ("mox", SECRET, {"X-Mox-Webhook-ID": "x"}, incoming_json(1), 400, "badHeader"),
        ("mox", SECRET, {}, b"not json", 400, "badPayload"),
        ("mox", SECRET, {}, b"[]", 400, "badPayload"),
        ("mox", SECRET, {}, {"Version": 0}, 400, "badPayload"),
        ("mox", SECRET, {}, {"Meta": {"MsgID": 0}}, 400, "badPayload"),
        ("mox", SECRET, {}, {"Meta": {"MsgID": "5"}}, 400, "badPayload"),
        ("mox", SECRET, {}, b"{" + b" " * (8 * 1024 * 1024) + b"}", 413, "tooLarge"),
    ],
)
async def test_bad_requests_keep_nothing(
    start_moxhooks: Start, account: str, secret: str, headers: dict[str, str],
    body: Any, status: int, code: str, openapi_checked: Checked,
) -> None:
    mh = await start_moxhooks(accounts=accounts())
    got_status, got = await post_incoming(mh, body, 7, account=account, secret=secret,
                                          headers=headers)
    assert (got_status, got["code"]) == (status, code)
    assert ("POST", f"/hooks/incoming/{account}", status) in openapi_checked.validated
    if code == "badPayload":  # the document's IncomingWebhook refuses it as well
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        good = {"Authorization": "Bearer x", "X-Mox-Webhook-ID": "7"}
        assert request_problem("POST", "/hooks/incoming/mox", good, data) != ""
    assert await count_rows(mh, "inbound") == 0


async def test_complaint_is_kept_fetched_parsed_and_applied(start_moxhooks: Start) -> None:
    mh = await start_moxhooks(accounts=accounts())
    await sent(mh, 5, "Angry.Reader@example.org", "<m5@localhost>")
    msg_id = mh.fakemox.add_incoming("mox", arf("Angry.Reader@example.org", "<m5@localhost>"))
    good = {"Authorization": "Bearer x", "X-Mox-Webhook-ID": "1"}
    body = json.dumps(incoming_json(msg_id)).encode()
    assert request_problem("POST", "/hooks/incoming/mox", good, body) == ""  # what mox sends
    assert await post_incoming(mh, incoming_json(msg_id), 1) == (200, {})
    # A retry of the same webhook keeps one copy.
    assert await post_incoming(mh, incoming_json(msg_id), 1) == (200, {})
    row = await handled(mh, 1)
    assert (row["status"], row["report_type"], row["rcpt_to"]) == ("done", "arf", "fbl@localhost")
    assert await count_rows(mh, "inbound") == 1
    e = (await entries(mh))["angryreader@example.org"]
    assert (e["kind"], e["source"], e["scope"]) == ("complaint", "complaint", "")

    async def in_mox() -> bool:
        return any(s["BaseAddress"] == "angryreader@example.org"
                   for s in mh.fakemox.suppressions("mox"))  # fmt: skip

    await wait_for(in_mox, what="the complaint entry in mox")
    results = await mh.runtime.store.inbound.results(row["id"])
    assert [(r["recipient"], r["kind"], r["action"]) for r in results] == [
        ("Angry.Reader@example.org", "complaint", "complaint")
    ]
    assert results[0]["entry_id"] == e["id"]


async def test_mail_not_for_a_report_address_is_answered_and_not_kept(
    start_moxhooks: Start,
) -> None:
    mh = await start_moxhooks(accounts=accounts())
    msg_id = mh.fakemox.add_incoming("mox", b"Subject: hi\r\n\r\nhi\r\n")
    assert await post_incoming(mh, incoming_json(msg_id, "mox@localhost"), 2) == (200, {})
    assert await post_incoming(mh, incoming_json(msg_id, "Bounces+x@LOCALHOST"), 3) == (200, {})
    rows = await mh.runtime.store.db.fetchall("SELECT rcpt_to FROM inbound")
    assert [r[0] for r in rows] == ["Bounces+x@LOCALHOST"]  # same base address as bounces@


async def test_mox_away_the_fetch_is_retried(start_moxhooks: Start) -> None:
    mh = await start_moxhooks(accounts=accounts())
    await sent(mh, 6, "Gone.Later@example.org", "<m6@localhost>")
    msg_id = mh.fakemox.add_incoming("mox", qmail_bounce("Gone.Later@example.org", "<m6@localhost>"))
    await mh.fakemox.fail("500")
    assert await post_incoming(mh, incoming_json(msg_id, "bounces@localhost"), 4) == (200, {})

    async def waiting() -> bool:
        row = await mh.runtime.store.db.fetchone("SELECT status, tries, outcome FROM inbound")
        return row is not None and row["tries"] >= 1

    await wait_for(waiting, what="a failed fetch")
    row = await mh.runtime.store.db.fetchone("SELECT status, outcome, raw FROM inbound")
    assert row is not None
    assert (row["status"], row["raw"]) == ("pending", None)
    assert row["outcome"].startswith("fetching the message from mox: ")
    await mh.fakemox.restore()
    await mh.runtime.store.db.write("UPDATE inbound SET next_try = NULL")
    mh.runtime.wake_mailbox()
    row2 = await handled(mh, 4)
    assert (row2["status"], row2["report_type"]) == ("done", "bounce")
    e = (await entries(mh))["gonelater@example.org"]
    assert (e["kind"], e["source"]) == ("mailbox_unknown", "bounce")


async def test_message_gone_from_mox_reads_the_webhooks_text(start_moxhooks: Start) -> None:
    mh = await start_moxhooks(accounts=accounts())
    await sent(mh, 7, "Text.Only@example.org", "<m7@localhost>")
    text = qmail_bounce("Text.Only@example.org", "<m7@localhost>").decode().replace("\r\n", "\n")
    assert await post_incoming(mh, incoming_json(424242, "bounces@localhost", text), 5) == (200, {})
    row = await handled(mh, 5)
    assert row["status"] == "done"
    assert "mox no longer has the message (message not found)" in row["parsed"]
    assert "textonly@example.org" in await entries(mh)


async def test_a_report_about_another_accounts_message_changes_nothing(
    start_moxhooks: Start,
) -> None:
    mh = await start_moxhooks(accounts=accounts())
    mh.fakemox.accounts["other"] = {"logins": {"other@localhost": "otherpass"}}
    await sent(mh, 8, "Their.Reader@example.org", "<m8@localhost>", account="other")
    msg_id = mh.fakemox.add_incoming("mox", arf("Their.Reader@example.org", "<m8@localhost>"))
    assert await post_incoming(mh, incoming_json(msg_id), 6) == (200, {})
    row = await handled(mh, 6)
    assert row["status"] == "done"
    assert "was sent by account other; reports to mox apply to its own mail only" in row["outcome"]
    assert await count_rows(mh, "suppressions") == 0
    assert await mh.runtime.store.suppressions.synced_active("other") == []


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"\x00\xff\xfe garbage, not a message at all", "unparsed"),
        (b"Subject: hello\r\n\r\njust a note\r\n", "unparsed"),
        # A feedback report cut in the middle of its report part.
        (arf("Cut.Short@example.org", "<m9@localhost>")[:700], "done"),
    ],
)
async def test_odd_messages_are_kept_with_a_clear_record(
    start_moxhooks: Start, raw: bytes, status: str
) -> None:
    mh = await start_moxhooks(accounts=accounts())
    msg_id = mh.fakemox.add_incoming("mox", raw)
    assert await post_incoming(mh, incoming_json(msg_id), 9) == (200, {})
    row = await handled(mh, 9)
    assert row["status"] == status
    assert row["raw"] == raw
    assert row["outcome"]
    assert await count_rows(mh, "suppressions") == 0


async def test_a_20_mb_attachment_is_kept_cut_and_the_report_still_read(
    start_moxhooks: Start,
) -> None:
    mh = await start_moxhooks(accounts=accounts())
    await sent(mh, 10, "Big.Mail@example.org", "<m10@localhost>")
    report = arf("Big.Mail@example.org", "<m10@localhost>")
    head, tail = report.rsplit(b"\r\n--A--\r\n", 1)
    big = (head + b"\r\n--A\r\nContent-Type: application/octet-stream\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\n" + b"QUFB" * (5 * 1024 * 1024)
           + b"\r\n--A--\r\n")  # fmt: skip
    assert len(big) > 20 * 1024 * 1024
    msg_id = mh.fakemox.add_incoming("mox", big)
    assert await post_incoming(mh, incoming_json(msg_id), 11) == (200, {})
    row = await handled(mh, 11)
    assert row["status"] == "done"
    assert len(row["raw"]) == 4 * 1024 * 1024
    assert f"message of {len(big)} bytes, kept its first {4 * 1024 * 1024}" in row["parsed"]
    assert (await entries(mh))["bigmail@example.org"]["kind"] == "complaint"


async def test_no_sent_message_found_is_recorded(start_moxhooks: Start) -> None:
    mh = await start_moxhooks(accounts=accounts())
    msg_id = mh.fakemox.add_incoming("mox", arf("Never.Mailed@example.org", "<nope@localhost>"))
    assert await post_incoming(mh, incoming_json(msg_id), 12) == (200, {})
    row = await handled(mh, 12)
    assert "no message of mox to Never.Mailed@example.org found" in row["outcome"]
    assert await count_rows(mh, "suppressions") == 0


async def test_setup_registers_the_incoming_webhook(
    start_moxhooks: Start, make_config: Callable[..., Any]
) -> None:
    import argparse

    from moxhooks.cli.serve import setup

    cfg = make_config(accounts=accounts(), server={"public_url": "http://127.0.0.1:9999"})
    assert await setup(cfg, argparse.Namespace()) == 1  # "other" has no login in the fake
    mh = await start_moxhooks(cfg)
    hook = mh.fakemox.incoming_webhooks["mox"]
    assert hook["URL"] == "http://127.0.0.1:9999/hooks/incoming/mox"
    assert hook["Authorization"] == f"Bearer {SECRET}"


async def test_each_complaint_report_counts_in_the_stats(start_moxhooks: Start) -> None:
    mh = await start_moxhooks(accounts=accounts())
    await sent(mh, 11, "Twice@example.org", "<m11@localhost>")
    for hook_id in (21, 22):  # the same complaint twice: one entry, two complaints
        msg_id = mh.fakemox.add_incoming("mox", arf("Twice@example.org", "<m11@localhost>"))
        assert await post_incoming(mh, incoming_json(msg_id), hook_id) == (200, {})
        await handled(mh, hook_id)
    assert await count_rows(mh, "suppressions") == 1
    async with aiohttp.ClientSession() as s:
        resp = await s.get(mh.url + "api/v1/accounts/mox/stats?days=1",
                           headers={"Authorization": "Bearer api-token-for-tests"})
        stats = await resp.json()
    assert resp.status == 200, stats
    assert stats["totals"]["complaints"] == 2
    assert stats["totals"]["sent"] == 1
