"""The bounce and complaint mailbox over the JSON API: kept report messages listed, filtered
and paged, one with its raw text, parsed report and results, the reports behind an entry,
and the admin's counts and IMAP state. Real SQLite, the real app over HTTP, the fake mox.

Messages are put into the inbound table the way the intake and the processor do
(MailboxStore.add, then finish), so these tests do not depend on the report parser.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from conftest import Clock, wait_for
from fakemox import FakeMox
from test_api import (
    ACCOUNTS,
    FAKE_ACCOUNTS,
    OTHER_TOKEN,
    Api,
    Client,
    sign_in,
    sign_in_admin,
    token,
)

from moxhooks.mail.dnscheck import DomainChecker
from moxhooks.mox.client import MoxClient
from moxhooks.runtime.supervisor import in_process
from moxhooks.runtime.web import WebRuntime
from moxhooks.store import MailboxResult
from moxhooks.web.app import create_app
from moxhooks.web.keys import RUNTIME_KEY

MOX_ACCOUNTS = [
    {**ACCOUNTS[0], "inbound_addresses": ["fbl@localhost", "bounces@localhost"]},
    ACCOUNTS[1],
]
# Every JSON answer is checked against the OpenAPI document (tests/openapi_check.py).
pytestmark = pytest.mark.openapi_responses

BASE = "/api/v1/accounts/mox/inbound"
# A report's raw message is written by whoever sent the mail.
HOSTILE = (
    "From: <script>alert(1)</script> <x@example.com>\r\n"
    "Subject: <img src=x onerror=alert(1)>\r\n\r\n"
    "<script>alert(1)</script>\r\n<img src=x onerror=alert(1)>\r\n"
)
ARF = (
    "From: staff@hotmail.com\r\n"
    "To: fbl@localhost\r\n"
    "Subject: complaint about message from 192.0.2.1\r\n"
    "Message-ID: <arf-1@hotmail.com>\r\n"
    'Content-Type: multipart/report; report-type=feedback-report; boundary="b"\r\n\r\n'
    "--b\r\nContent-Type: text/plain\r\n\r\nThis is an email abuse report.\r\n"
    "--b\r\nContent-Type: message/feedback-report\r\n\r\n"
    "Feedback-Type: abuse\r\nUser-Agent: Hotmail FBL\r\nVersion: 1\r\n"
    "Original-Rcpt-To: jane@example.org\r\n"
    "--b--\r\n"
)

ARF_PARSED: dict[str, Any] = {
    "type": "arf",
    "recipients": [
        {
            "address": "jane@example.org",
            "kind": "complaint",
            "action": "complaint",
            "status": "",
            "diagnostic": "",
        }
    ],
    "original_message_id": "<sent-1@localhost>",
    "original_headers": {"message-id": "<sent-1@localhost>"},
    "feedback_type": "abuse",
    "reporter": "Hotmail FBL",
    "reason": "abuse report",
    "problems": [],
}
UNPARSED: dict[str, Any] = {
    "type": "unparsed",
    "recipients": [],
    "original_message_id": None,
    "original_headers": {},
    "feedback_type": None,
    "reporter": "",
    "reason": "",
    "problems": ["not a report"],
}


@pytest.fixture
async def fakemox() -> AsyncIterator[FakeMox]:
    async with FakeMox(FAKE_ACCOUNTS) as fm:
        yield fm


StartClient = Callable[..., Awaitable[Client]]


@pytest.fixture
async def start_client(
    make_config: Any, clock: Clock, aiohttp_client: Any
) -> AsyncIterator[StartClient]:
    """The app on a real port against the fake mox; keyword sections go to the config.

    Without a worker unless asked for: the tests keep and finish messages themselves, as
    intake and the worker do, and a worker would parse those they keep as pending."""
    started: list[tuple[Client, MoxClient]] = []

    async def start(*, worker: bool = False, **sections: Any) -> Client:
        cfg = make_config(accounts=MOX_ACCOUNTS, **sections)
        mc = MoxClient(cfg.default_mox.url, timeout=2)
        dns = DomainChecker(nameservers=cfg.dns.nameservers, port=cfg.dns.port, timeout=0.5)
        start_worker = in_process(dns=dns, clock=clock) if worker else None
        c: Client = await aiohttp_client(create_app(cfg, mox=mc, clock=clock, worker=start_worker))
        started.append((c, mc))
        return c

    yield start
    for c, mc in started:
        await c.close()
        await mc.close()


@pytest.fixture
async def client(start_client: StartClient) -> Client:
    return await start_client()


def runtime(client: Client) -> WebRuntime:
    return client.app[RUNTIME_KEY]


async def keep(
    rt: WebRuntime,
    external_id: str,
    *,
    account: str = "mox",
    raw: bytes | None = b"",
    subject: str = "",
    mail_from: str = "",
    status: str = "done",
    report_type: str | None = "dsn",
    parsed: dict[str, Any] | None = None,
    outcome: str = "",
    results: tuple[MailboxResult, ...] = (),
) -> int:
    """Keep a message as the intake does, and (unless pending) finish it as the processor does."""
    assert await rt.store.inbound.add(
        account,
        "webhook",
        external_id,
        rcpt_to="fbl@localhost",
        mail_from=mail_from,
        subject=subject,
        message_id=f"<{external_id}@example.com>",
        raw=raw,
    )
    row = await rt.store.db.fetchone(
        "SELECT id FROM inbound WHERE account = ? AND external_id = ?", (account, external_id)
    )
    assert row is not None
    if status != "pending":
        await rt.store.inbound.finish(row[0], status, report_type, parsed, outcome, results)
    return int(row[0])


async def five(rt: WebRuntime) -> dict[str, int]:
    """Five messages of account mox in every status, and one of account other."""
    ids = {
        "unparsed": await keep(
            rt, "w1", raw=HOSTILE.encode(), subject="hello", status="unparsed",
            report_type="unparsed", parsed=UNPARSED, outcome="no report recognised; kept as it is",
        ),
        "arf": await keep(
            rt, "w2", raw=ARF.encode(), subject="complaint about message from 192.0.2.1",
            mail_from="staff@hotmail.com", report_type="arf", parsed=ARF_PARSED,
            outcome="arf: jane@example.org: suppress",
            results=(MailboxResult("mox", "jane@example.org", "complaint", "complaint", "suppress", "added"),),
        ),
        "dsn": await keep(rt, "w3", raw=b"dsn", subject="Undelivered Mail", outcome="dsn: x"),
        "failed": await keep(
            rt, "w4", raw=None, status="failed", report_type=None,
            outcome="fetching the message from mox: refused; gave up",
        ),
        "pending": await keep(rt, "w5", raw=None, status="pending"),
        "other": await keep(rt, "o1", account="other", raw=b"theirs", subject="not yours"),
    }  # fmt: skip
    return ids


# ---- Listing -------------------------------------------------------------------------------


async def test_list_newest_first_filtered_and_paged(client: Client) -> None:
    ids = await five(runtime(client))
    api = await sign_in(client)
    body = await api.get(BASE)
    msgs = body["messages"]
    order = ["pending", "failed", "dsn", "arf", "unparsed"]
    assert [m["id"] for m in msgs] == [ids[k] for k in order]
    assert (body["limit"], body["has_more"]) == (50, False)
    arf = msgs[3]
    assert arf == {
        "id": ids["arf"],
        "account": "mox",
        "source": "webhook",
        "received": arf["received"],
        "rcpt_to": "fbl@localhost",
        "mail_from": "staff@hotmail.com",
        "subject": "complaint about message from 192.0.2.1",
        "message_id": "<w2@example.com>",
        "status": "done",
        "report_type": "arf",
        "outcome": "arf: jane@example.org: suppress",
        "size": len(ARF),
    }
    assert all("raw" not in m for m in msgs)
    assert msgs[0]["size"] is None and msgs[0]["report_type"] is None  # not fetched yet

    for status, expected in (
        ("unparsed", ["unparsed"]),
        ("failed", ["failed"]),
        ("done", ["dsn", "arf"]),
        ("pending", ["pending"]),
        ("", order),
    ):
        got = await api.get(BASE, params={"status": status})
        assert [m["id"] for m in got["messages"]] == [ids[k] for k in expected], status

    # Paging by id: each page is older than the last message of the one before.
    first = await api.get(BASE, params={"limit": "2"})
    assert [m["id"] for m in first["messages"]] == [ids["pending"], ids["failed"]]
    assert first["has_more"] is True
    second = await api.get(BASE, params={"limit": "2", "before": str(ids["failed"])})
    assert [m["id"] for m in second["messages"]] == [ids["dsn"], ids["arf"]]
    assert second["has_more"] is True
    third = await api.get(BASE, params={"limit": "2", "before": str(ids["arf"])})
    assert [m["id"] for m in third["messages"]] == [ids["unparsed"]]
    assert third["has_more"] is False
    done = await api.get(BASE, params={"limit": "1", "status": "done", "before": str(ids["dsn"])})
    assert [m["id"] for m in done["messages"]] == [ids["arf"]]

    for params in (
        {"status": "bogus"},
        {"status": "DONE"},
        {"limit": "0"},
        {"limit": "501"},
        {"before": "-1"},
        {"before": "x"},
    ):
        status, err = await api.call("GET", BASE, params=params)
        assert (status, err["code"]) == (400, "badRequest"), params
    status, err = await api.call("GET", BASE, params={"status": "bogus"})
    assert err["message"] == "status must be pending, done, unparsed or failed"

    # Account other sees its own message only, and the admin sees both lists.
    other = token(client, OTHER_TOKEN)
    theirs = await other.get("/api/v1/accounts/other/inbound")
    assert [m["id"] for m in theirs["messages"]] == [ids["other"]]
    admin = await sign_in_admin(client)
    assert len((await admin.get(BASE))["messages"]) == 5
    assert len((await admin.get("/api/v1/accounts/other/inbound"))["messages"]) == 1


# ---- One message ---------------------------------------------------------------------------


async def test_detail_has_raw_parsed_and_results(client: Client) -> None:
    rt = runtime(client)
    ids = await five(rt)
    api = await sign_in(client)

    body = await api.get(f"{BASE}/{ids['arf']}")
    assert set(body) == {"message", "parsed", "results"}
    msg = body["message"]
    assert msg["raw"] == ARF and msg["raw_truncated"] is False
    assert msg["report_type"] == "arf" and msg["status"] == "done"
    assert body["parsed"] == ARF_PARSED
    assert [
        {k: r[k] for k in ("recipient", "kind", "action", "decision", "detail", "entry_id")}
        for r in body["results"]
    ] == [
        {
            "recipient": "jane@example.org",
            "kind": "complaint",
            "action": "complaint",
            "decision": "suppress",
            "detail": "added",
            "entry_id": None,
        }
    ]
    assert body["results"][0]["created"]

    # The hostile message comes back as the same JSON text, nothing escaped or dropped.
    resp = await client.get(f"{BASE}/{ids['unparsed']}", headers=api.headers)
    assert resp.headers["Content-Type"].startswith("application/json")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    body = await resp.json()
    assert body["message"]["raw"] == HOSTILE
    assert body["parsed"] == UNPARSED and body["results"] == []

    # Not fetched yet, or given up: no raw text, no parse.
    for key in ("pending", "failed"):
        body = await api.get(f"{BASE}/{ids[key]}")
        assert body["message"]["raw"] is None, key
        assert body["message"]["raw_truncated"] is False
        assert (body["parsed"], body["results"]) == (None, [])


async def test_large_and_undecodable_raw(client: Client) -> None:
    rt = runtime(client)
    big = b"X-Big: yes\r\n\r\n" + b"a" * (2 * 1024 * 1024)
    big_id = await keep(rt, "big", raw=big)
    odd_id = await keep(rt, "odd", raw=b"Subject: caf\xe9\r\n\r\n\xff\xfe ok")
    api = await sign_in(client)
    body = await api.get(f"{BASE}/{big_id}")
    assert body["message"]["raw_truncated"] is True
    assert body["message"]["raw"] == big[: 1024 * 1024].decode()
    assert body["message"]["size"] == len(big)  # the size kept, not the size sent
    body = await api.get(f"{BASE}/{odd_id}")
    assert body["message"]["raw"] == "Subject: caf\ufffd\r\n\r\n\ufffd\ufffd ok"
    assert body["message"]["raw_truncated"] is False


async def test_another_accounts_message_is_not_found(client: Client) -> None:
    ids = await five(runtime(client))
    api = await sign_in(client)
    for path in (
        f"{BASE}/{ids['other']}",
        f"{BASE}/999999",
        f"{BASE}/99999999999999999999999",
    ):
        status, err = await api.call("GET", path)
        assert (status, err["code"]) == (404, "notFound"), path
    status, err = await api.call("GET", f"{BASE}/{ids['other']}")
    assert err["message"] == "no such report message"
    # The admin reads any account's message under that account only.
    admin = await sign_in_admin(client)
    theirs = await admin.get(f"/api/v1/accounts/other/inbound/{ids['other']}")
    assert theirs["message"]["raw"] == "theirs"
    status, err = await admin.call("GET", f"{BASE}/{ids['other']}")
    assert (status, err["code"]) == (404, "notFound")


async def test_inbound_needs_a_session_or_token(client: Client) -> None:
    ids = await five(runtime(client))
    for path in (BASE, f"{BASE}/{ids['arf']}"):
        resp = await client.get(path)
        assert resp.status == 401
        assert (await resp.json())["code"] == "user:noAuth"
        # A session without the CSRF header is no session either.
        await sign_in(client)
        resp = await client.get(path)
        assert (resp.status, (await resp.json())["code"]) == (401, "user:badAuth")
        client.session.cookie_jar.clear()
    mine = token(client)
    assert len((await mine.get(BASE))["messages"]) == 5
    assert (await mine.get(f"{BASE}/{ids['arf']}"))["message"]["id"] == ids["arf"]
    for path in ("/api/v1/accounts/other/inbound", f"/api/v1/accounts/other/inbound/{ids['other']}"):
        status, err = await mine.call("GET", path)
        assert (status, err["code"]) == (403, "user:forbidden"), path
    status, err = await mine.call("GET", "/api/v1/accounts/nosuch/inbound")
    assert (status, err["code"]) == (403, "user:forbidden")
    admin = await sign_in_admin(client)
    status, err = await admin.call("GET", "/api/v1/accounts/nosuch/inbound")
    assert (status, err["code"]) == (404, "notFound")


# ---- The reports behind an entry -----------------------------------------------------------


async def test_entry_lists_the_reports_behind_it(client: Client) -> None:
    rt = runtime(client)
    api = await sign_in(client)
    status, entry = await api.call(
        "POST", "/api/v1/accounts/mox/suppressions", {"address": "jane@example.org"}
    )
    assert status == 201
    status, unrelated = await api.call(
        "POST", "/api/v1/accounts/mox/suppressions", {"address": "joe@example.org"}
    )
    assert status == 201
    first = await keep(
        rt, "r1", raw=ARF.encode(), subject="complaint 1", mail_from="staff@hotmail.com",
        report_type="arf", parsed=ARF_PARSED,
        results=(
            MailboxResult("mox", "jane@example.org", "complaint", "complaint", "suppress",
                          "added to the list", entry["id"]),
            MailboxResult("mox", "nobody@example.org", None, "complaint", "record",
                          "no message of mox to nobody@example.org found"),
        ),
    )  # fmt: skip
    second = await keep(
        rt, "r2", raw=b"dsn", subject="Undelivered", report_type="dsn",
        results=(
            MailboxResult("mox", "Jane@example.org", "mailbox_unknown", "failed",
                          "already_suppressed", "already suppressed", entry["id"]),
        ),
    )  # fmt: skip
    # Account other's report naming the same entry id is not listed for mox.
    await keep(
        rt, "o2", account="other", raw=b"x",
        results=(MailboxResult("other", "jane@example.org", "complaint", "complaint",
                               "suppress", "x", entry["id"]),),
    )  # fmt: skip

    detail = await api.get(f"/api/v1/accounts/mox/suppressions/{entry['id']}")
    reports = detail["reports"]
    assert [r["id"] for r in reports] == [second, first]
    assert reports[1] == {
        "id": first,
        "received": reports[1]["received"],
        "report_type": "arf",
        "subject": "complaint 1",
        "mail_from": "staff@hotmail.com",
        "status": "done",
        "recipient": "jane@example.org",
        "action": "complaint",
        "decision": "suppress",
        "detail": "added to the list",
    }
    assert (reports[0]["decision"], reports[0]["report_type"]) == ("already_suppressed", "dsn")
    # Each report named there opens.
    for r in reports:
        assert (await api.get(f"{BASE}/{r['id']}"))["message"]["id"] == r["id"]
    other = await api.get(f"/api/v1/accounts/mox/suppressions/{unrelated['id']}")
    assert other["reports"] == []
    # The lookup uses the index of migration 7, not a scan.
    plan = await rt.store.db.fetchall(
        "EXPLAIN QUERY PLAN SELECT * FROM inbound_results WHERE entry_id = ?", (entry["id"],)
    )
    assert any("inbound_results_entry" in str(tuple(p)) for p in plan), [tuple(p) for p in plan]


# ---- Admin ---------------------------------------------------------------------------------


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


async def test_admin_sees_counts_and_imap_state(start_client: StartClient) -> None:
    port = closed_port()
    client = await start_client(
        worker=True,
        imap=[
            {
                "account": "other",
                "host": "127.0.0.1",
                "port": port,
                "mailbox": "Reports",
                "interval": 3600.0,
            }
        ],
    )
    admin = await sign_in_admin(client)

    async def looked() -> bool:
        body = await admin.get("/api/v1/admin/accounts")
        return bool(body["imap"] and body["imap"][0]["last_error"])

    # The worker reads the mailbox and reports how it went (runtime/messages.py). Its
    # mailbox job looked for kept messages when it started, and sleeps till woken now:
    # the pending message kept below stays pending.
    await wait_for(looked, timeout=10, what="the IMAP reader's first look")
    ids = await five(runtime(client))
    body = await admin.get("/api/v1/admin/accounts")
    mox, other = body["accounts"]
    assert mox["inbound"] == {"pending": 1, "done": 2, "unparsed": 1, "failed": 1}
    assert mox["inbound_addresses"] == ["fbl@localhost", "bounces@localhost"]
    assert other["inbound"] == {"pending": 0, "done": 1, "unparsed": 0, "failed": 0}
    assert other["inbound_addresses"] == []
    # The fields that were there before are unchanged.
    for key in ("name", "login", "suppressions", "sent_30d", "bounce_rate", "auto_holds"):
        assert key in mox
    [box] = body["imap"]
    assert box == {
        "account": "other",
        "host": "127.0.0.1",
        "port": port,
        "mailbox": "Reports",
        "interval": 3600.0,
        "last_pass": box["last_pass"],
        "last_error": box["last_error"],
        "kept": 0,
    }
    assert box["last_pass"] and box["last_pass"].endswith("Z")
    assert box["last_error"].startswith(f"127.0.0.1:{port} Reports: ")
    assert "refused" in box["last_error"].lower()
    assert ids  # the messages above are what was counted


async def test_admin_without_imap_or_messages(client: Client) -> None:
    admin = await sign_in_admin(client)
    body = await admin.get("/api/v1/admin/accounts")
    assert body["imap"] == []
    assert [a["inbound"] for a in body["accounts"]] == [
        {"pending": 0, "done": 0, "unparsed": 0, "failed": 0}
    ] * 2
    # Accounts see neither the overview nor the IMAP state.
    api: Api = await sign_in(client)
    status, err = await api.call("GET", "/api/v1/admin/accounts")
    assert (status, err["code"]) == (403, "user:forbidden")


async def test_openapi_names_the_new_fields(client: Client) -> None:
    doc = await (await client.get("/api/openapi.json")).json()

    def schema_of(op: dict[str, Any]) -> dict[str, Any]:
        ref = op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        return doc["components"]["schemas"][ref.rsplit("/", 1)[1]]

    listing = doc["paths"]["/api/v1/accounts/{account}/inbound"]["get"]
    assert {p["name"] for p in listing["parameters"]} == {"account", "status", "limit", "before"}
    assert "404" in doc["paths"]["/api/v1/accounts/{account}/inbound/{id}"]["get"]["responses"]
    entry = schema_of(doc["paths"]["/api/v1/accounts/{account}/suppressions/{id}"]["get"])
    assert "reports" in entry["properties"]
    admin = schema_of(doc["paths"]["/api/v1/admin/accounts"]["get"])
    assert "imap" in admin["properties"]
    account = doc["components"]["schemas"]["AccountSummary"]["properties"]
    assert {"inbound", "inbound_addresses"} <= set(account)
    msg = doc["components"]["schemas"]["MailboxMessage"]["properties"]
    assert {"raw", "raw_truncated", "status", "report_type", "outcome"} <= set(msg)
