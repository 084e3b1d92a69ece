"""Reports of bounces and complaints (POST /api/v1/reports), per-mail-type actions, and
complaint entries that are not ended silently: the real app over HTTP, real SQLite, the
fake mox over real HTTP, sends made by posting mox's outgoing webhooks."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from conftest import SECRET, Clock, reconciled_once, wait_for
from fakemox import FakeMox
from moxsender import MoxSender, outgoing_event

from moxhooks.cli.main import main
from moxhooks.config import ReportActions, config_from_dict
from moxhooks.errors import ConfigError
from moxhooks.mail.dnscheck import DomainChecker
from moxhooks.mox.client import MoxClient
from moxhooks.runtime.supervisor import in_process
from moxhooks.store import Store, parse_iso
from moxhooks.web.app import create_app
from moxhooks.web.keys import RUNTIME_KEY

pytestmark = pytest.mark.openapi_responses

Client = TestClient[web.Request, web.Application]
TOKEN = "report-token-mox"
OTHER_TOKEN = "report-token-other"
OTHER_SECRET = "other-s3cret-for-tests"
URL = "/api/v1/reports"
FAKE_ACCOUNTS = {
    "mox": {"logins": {"mox@localhost": "moxmoxmox"}},
    "other": {"logins": {"other@localhost": "otherpw"}},
}
ACTIONS = {
    "*": {"bounce": "suppress", "complaint": "suppress"},
    "newsletter": {"complaint": "suppress_topic"},  # bounce: from "*"
    "promo": {"bounce": "record", "complaint": "suppress_for:30d"},
    "receipt": {"complaint": "record"},
}
ACCOUNTS = [
    {
        "name": "mox",
        "login": "mox@localhost",
        "password": "moxmoxmox",
        "webhook_secret": SECRET,
        "api_token": TOKEN,
        "report_actions": ACTIONS,
    },
    {
        "name": "other",
        "login": "other@localhost",
        "password": "otherpw",
        "webhook_secret": OTHER_SECRET,
        "api_token": OTHER_TOKEN,
    },
]
_hook_ids = itertools.count(1000)


@pytest.fixture
async def fakemox() -> AsyncIterator[FakeMox]:
    async with FakeMox(FAKE_ACCOUNTS) as fm:
        yield fm


@pytest.fixture
async def client(make_config: Any, clock: Clock, aiohttp_client: Any) -> AsyncIterator[Client]:
    cfg = make_config(accounts=ACCOUNTS)
    async with MoxClient(cfg.default_mox.url, timeout=2) as mc:
        dns = DomainChecker(nameservers=cfg.dns.nameservers, port=cfg.dns.port, timeout=0.5)
        c: Client = await aiohttp_client(create_app(cfg, mox=mc, clock=clock, worker=in_process(dns=dns, clock=clock)))
        rt = c.app[RUNTIME_KEY]
        await reconciled_once(rt)
        yield c
        await c.close()


def new_message_id() -> str:
    return f"<{uuid.uuid4().hex}@localhost>"


async def post_event(client: Client, account: str, event: dict[str, Any]) -> int:
    """Post one outgoing webhook as mox does; returns its webhook ID once it is processed."""
    secret = SECRET if account == "mox" else OTHER_SECRET
    hook_id = next(_hook_ids)
    async with MoxSender(
        str(client.make_url(f"/hooks/outgoing/{account}")), authorization=f"Bearer {secret}"
    ) as sender:
        attempts = await sender.deliver(event, hook_id=hook_id)
    assert attempts[-1].ok
    return hook_id


async def event_status(client: Client, account: str, hook_id: int) -> str | None:
    row = await client.app[RUNTIME_KEY].store.db.fetchone(
        "SELECT status FROM events WHERE account = ? AND webhook_id = ?", (account, hook_id)
    )
    return str(row[0]) if row else None


async def send(
    client: Client,
    fakemox: FakeMox,
    recipient: str,
    extra: dict[str, str] | None = None,
    *,
    message_id: str | None = None,
    account: str = "mox",
) -> str:
    """A message mox delivered (retired in the fake, so moxhooks resolves its recipient
    through the admin API), announced by a "delivered" webhook; returns its Message-ID."""
    message_id = message_id or new_message_id()
    msg = fakemox.add_retired(
        account=account,
        recipient=recipient,
        success=True,
        extra=extra or {},
        message_id=message_id,
    )
    ev = outgoing_event(
        "delivered", queue_msg_id=msg["ID"], extra=extra or {}, message_id=message_id
    )
    hook_id = await post_event(client, account, ev)

    async def done() -> bool:
        return await event_status(client, account, hook_id) == "done"

    await wait_for(done, what=f"event {hook_id} processed")
    return message_id


async def report(
    client: Client, body: Any, token: str | None = TOKEN, **kw: Any
) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    resp = await client.post(URL, json=body, headers=headers, **kw)
    return resp.status, await resp.json()


async def tables(client: Client) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables a report may change."""
    db = client.app[RUNTIME_KEY].store.db
    out = {}
    for table in ("suppressions", "audit", "outbox"):
        rows = await db.fetchall(f"SELECT * FROM {table} ORDER BY id")
        out[table] = [tuple(r) for r in rows]
    return out


async def settled(client: Client) -> dict[str, list[tuple[Any, ...]]]:
    """The tables once the outbox has been pushed to mox (nothing moves any more)."""
    store = client.app[RUNTIME_KEY].store

    async def idle() -> bool:
        row = await store.db.fetchone("SELECT COUNT(*) FROM outbox WHERE state = 'pending'")
        return row is not None and row[0] == 0

    await wait_for(idle, what="the outbox pushed")
    return await tables(client)


def adds(fakemox: FakeMox) -> list[str]:
    return [c[2]["EmailAddress"] for c in fakemox.calls if c[1] == "SuppressionAdd"]


def mox_bases(fakemox: FakeMox, account: str = "mox") -> set[str]:
    return {s["BaseAddress"] for s in fakemox.suppressions(account)}


# ---- The action for each mail type ---------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "report_type", "detail", "action", "kind", "scope", "days", "says"),
    [
        # No mail type: the "*" actions.
        ({}, "complaint", "", "suppress", "complaint", "", None, "no mail type, so"),
        (
            {},
            "bounce",
            "550 5.1.1 <x@example.org>: Recipient address rejected: User unknown",
            "suppress",
            "mailbox_unknown",
            "",
            None,
            "suppressed for the whole account, without expiry",
        ),
        ({}, "bounce", "", "suppress", "undetermined", "", None, '"*": bounce = "suppress"'),
        # A mail type not listed: "*".
        (
            {"mailtype": "invoice"},
            "complaint",
            "",
            "suppress",
            "complaint",
            "",
            None,
            'mail type "invoice" not listed, so "*"',
        ),
        # newsletter: complaints per topic, bounces from "*".
        (
            {"mailtype": "newsletter", "topic": "weekly"},
            "complaint",
            "marked as spam",
            "suppress_topic",
            "complaint",
            "weekly",
            None,
            'suppressed for topic "weekly"',
        ),
        (
            {"mailtype": "newsletter"},
            "complaint",
            "",
            "suppress_topic",
            "complaint",
            "",
            None,
            'the message has no topic in its Extra key "topic"',
        ),
        (
            {"mailtype": "newsletter", "topic": "weekly"},
            "bounce",
            "",
            "suppress",
            "undetermined",
            "",
            None,
            'mail type "newsletter": bounce = "suppress"',
        ),
        # promo: complaints for 30 days, bounces recorded.
        (
            {"mailtype": "promo"},
            "complaint",
            "",
            "suppress_for:30d",
            "complaint",
            "",
            30,
            "for 30 days",
        ),
        (
            {"mailtype": "promo"},
            "bounce",
            "550 5.1.1 user unknown",
            "record",
            None,
            None,
            None,
            "mailbox_unknown for ",
        ),
        ({"mailtype": "receipt"}, "complaint", "", "record", None, None, None, "recorded"),
    ],
)
async def test_action_by_mail_type(
    client: Client,
    fakemox: FakeMox,
    extra: dict[str, str],
    report_type: str,
    detail: str,
    action: str,
    kind: str | None,
    scope: str | None,
    days: int | None,
    says: str,
) -> None:
    mid = await send(client, fakemox, "Jane.Doe+x@example.org", extra)
    body = {"message_id": mid, "type": report_type}
    if detail:
        body["detail"] = detail
    status, answer = await report(client, body)
    assert status == 200, answer
    assert answer["action"] == action
    assert answer["recipient"] == "Jane.Doe+x@example.org"
    assert answer["mail_type"] == extra.get("mailtype")
    assert says in answer["detail"]
    rows = await tables(client)
    if kind is None:  # record: an audit row, nothing else
        assert (answer["entry"], answer["added"]) == (None, False)
        assert rows["suppressions"] == [] and rows["outbox"] == []
        (audit,) = await client.app[RUNTIME_KEY].store.suppressions.audit_log("mox")
        assert (audit["action"], audit["actor"], audit["suppression_id"]) == (
            "report_recorded",
            "api:mox",
            None,
        )
        assert mid in audit["detail"]
        return
    entry = answer["entry"]
    assert answer["added"] is True
    assert (entry["kind"], entry["source"], entry["scope"], entry["created_by"]) == (
        kind,
        "report",
        scope,
        "api:mox",
    )
    assert entry["base_address"] == "janedoe@example.org"
    assert entry["reason"] == f"{report_type} reported for message {mid}" + (
        f": {detail}" if detail else ""
    )
    if days is None:
        assert entry["expires"] is None
    else:
        left = parse_iso(entry["expires"]) - parse_iso(entry["created"])
        assert timedelta(days=days, seconds=-5) < left <= timedelta(days=days)
    store = client.app[RUNTIME_KEY].store
    assert [h["action"] for h in await store.suppressions.history(entry["id"])] == ["added"]
    outbox = await store.db.fetchall("SELECT op, address FROM outbox")
    if scope:  # mox knows only account-wide entries
        assert entry["mox_state"] == "n/a" and outbox == []
        return
    assert [tuple(r) for r in outbox] == [("add", "Jane.Doe+x@example.org")]

    async def in_mox() -> bool:
        return mox_bases(fakemox) == {"janedoe@example.org"}

    await wait_for(in_mox, what="the entry in mox")


async def test_already_suppressed_adds_nothing(client: Client, fakemox: FakeMox) -> None:
    first = await send(client, fakemox, "a@example.org")
    second = await send(client, fakemox, "A+other@example.org")
    status, one = await report(client, {"message_id": first, "type": "complaint"})
    assert status == 200 and one["added"] is True
    before = await settled(client)
    status, two = await report(client, {"message_id": second, "type": "complaint"})
    assert status == 200
    assert (two["action"], two["added"], two["entry"]["id"]) == (
        "suppress",
        False,
        one["entry"]["id"],
    )
    assert "is already suppressed for the whole account" in two["detail"]
    after = await tables(client)
    assert after["suppressions"] == before["suppressions"]
    assert after["outbox"] == before["outbox"]
    store = client.app[RUNTIME_KEY].store
    history = await store.suppressions.history(one["entry"]["id"])
    assert [h["action"] for h in history] == ["added", "report_recorded"]
    assert second in history[1]["detail"] and "already suppressed" in history[1]["detail"]
    assert adds(fakemox) == ["a@example.org"]


async def test_expiring_entry_is_made_to_last(client: Client, fakemox: FakeMox) -> None:
    promo = await send(client, fakemox, "b@example.org", {"mailtype": "promo"})
    plain = await send(client, fakemox, "b@example.org")
    status, first = await report(client, {"message_id": promo, "type": "complaint"})
    assert status == 200 and first["entry"]["expires"] is not None
    status, second = await report(client, {"message_id": plain, "type": "complaint"})
    assert status == 200
    assert (second["added"], second["entry"]["id"]) == (False, first["entry"]["id"])
    assert second["entry"]["expires"] is None
    assert "now has no expiry" in second["detail"]
    history = await client.app[RUNTIME_KEY].store.suppressions.history(first["entry"]["id"])
    assert [h["action"] for h in history] == ["added", "changed"]


async def test_sender_side_bounce_is_only_recorded(client: Client, fakemox: FakeMox) -> None:
    mid = await send(client, fakemox, "c@example.org")
    status, answer = await report(
        client,
        {
            "message_id": mid,
            "type": "bounce",
            "detail": "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using"
            " zen.spamhaus.org",
        },
    )
    assert status == 200
    assert (answer["action"], answer["entry"]) == ("record", None)
    assert "sender_blocked for c@example.org: not the recipient's fault" in answer["detail"]
    assert (await tables(client))["suppressions"] == []


# ---- Finding the message ------------------------------------------------------------------


async def test_message_id_with_or_without_brackets(client: Client, fakemox: FakeMox) -> None:
    mid = await send(client, fakemox, "d@example.org")
    status, answer = await report(client, {"message_id": f"  {mid[1:-1]} ", "type": "bounce"})
    assert (status, answer["recipient"]) == (200, "d@example.org")
    bare = "e-bare@localhost"
    await send(client, fakemox, "e@example.org", message_id=bare)
    status, answer = await report(client, {"message_id": f"<{bare}>", "type": "bounce"})
    assert (status, answer["recipient"]) == (200, "e@example.org")


async def test_unknown_or_foreign_message_changes_nothing(client: Client, fakemox: FakeMox) -> None:
    mine = await send(client, fakemox, "f@example.org")
    theirs = await send(client, fakemox, "g@example.org", account="other")
    await report(client, {"message_id": mine, "type": "complaint"})
    before = await settled(client)
    calls = len(fakemox.calls)
    for message_id in (
        new_message_id(),
        theirs,  # sent by another account
        theirs[1:-1],
        mine[:-2] + ">",  # close is not enough
        "<f@example.org>",  # nor is the recipient's address
    ):
        for report_type in ("bounce", "complaint"):
            status, answer = await report(client, {"message_id": message_id, "type": report_type})
            assert (status, answer) == (
                404,
                {
                    "code": "notFound",
                    "message": "no message with that Message-ID was sent by this account",
                },
            ), message_id
    assert await tables(client) == before
    assert len(fakemox.calls) == calls
    assert mox_bases(fakemox, "other") == set()
    # The account that sent it may report it.
    status, answer = await report(client, {"message_id": theirs, "type": "complaint"}, OTHER_TOKEN)
    assert (status, answer["entry"]["account"], answer["recipient"]) == (
        200,
        "other",
        "g@example.org",
    )


async def test_recipient_not_known_yet(client: Client, fakemox: FakeMox) -> None:
    mid = new_message_id()
    # mox says the message was delayed; its queue entry is not visible to moxhooks yet.
    ev = outgoing_event("delayed", queue_msg_id=777, code=451, secode="4.3.0", message_id=mid)
    hook_id = await post_event(client, "mox", ev)

    async def unresolved() -> bool:
        return await event_status(client, "mox", hook_id) == "unresolved"

    await wait_for(unresolved, what="the event unresolved")
    before = await tables(client)
    status, answer = await report(client, {"message_id": mid, "type": "complaint"})
    assert (status, answer) == (
        409,
        {
            "code": "recipientUnknown",
            "message": "the recipient of that message is not known yet (moxhooks is still"
            " looking it up in mox); try again later",
        },
    )
    assert await tables(client) == before
    # Once mox shows the message, the event is resolved and the report goes through.
    fakemox.add_queued(777, recipient="late@example.org", message_id=mid)

    async def done() -> bool:
        return await event_status(client, "mox", hook_id) == "done"

    await wait_for(done, what="the event resolved")
    status, answer = await report(client, {"message_id": mid, "type": "complaint"})
    assert (status, answer["recipient"], answer["added"]) == (200, "late@example.org", True)


async def test_message_to_several_recipients(client: Client, fakemox: FakeMox) -> None:
    mid = new_message_id()
    for rcpt in ("h1@example.org", "h2@example.org"):
        await send(client, fakemox, rcpt, message_id=mid)
    status, answer = await report(client, {"message_id": mid, "type": "complaint"})
    assert (status, answer) == (
        409,
        {
            "code": "ambiguousRecipient",
            "message": "that message was sent to 2 recipients; name the one the report is"
            " about in recipient",
        },
    )
    status, answer = await report(
        client, {"message_id": mid, "type": "complaint", "recipient": "x@example.org"}
    )
    assert (status, answer["code"]) == (404, "notFound")
    assert (await tables(client))["suppressions"] == []
    status, answer = await report(
        client, {"message_id": mid, "type": "complaint", "recipient": "H2+any@Example.org"}
    )
    assert (status, answer["recipient"], answer["entry"]["base_address"]) == (
        200,
        "h2@example.org",
        "h2@example.org",
    )


# ---- Who may report, and what a report must look like ----------------------------------------


async def test_authentication(client: Client, fakemox: FakeMox) -> None:
    mid = await send(client, fakemox, "i@example.org")
    body = {"message_id": mid, "type": "complaint"}
    for headers, status, code, message in (
        ({}, 401, "user:noAuth", "not signed in"),
        ({"Authorization": "Bearer wrong"}, 401, "user:badAuth", "unknown API token"),
        (
            {"Authorization": f"Basic {TOKEN}"},
            401,
            "user:badAuth",
            "the Authorization header must be: Bearer <api token>",
        ),
        (
            {"Authorization": "Bearer"},
            401,
            "user:badAuth",
            "the Authorization header must be: Bearer <api token>",
        ),
    ):
        resp = await client.post(URL, json=body, headers=headers)
        assert (resp.status, await resp.json()) == (status, {"code": code, "message": message})
    # The admin has no account to report for.
    resp = await client.post("/api/v1/admin/login", json={"password": "moxadmin"})
    csrf = (await resp.json())["csrf"]
    resp = await client.post(URL, json=body, headers={"X-CSRF-Token": csrf})
    assert (resp.status, await resp.json()) == (
        403,
        {
            "code": "user:forbidden",
            "message": "a report is made as the account that sent the message",
        },
    )
    assert (await tables(client))["suppressions"] == []


LONG = "x" * 999


@pytest.mark.parametrize(
    ("body", "status", "code", "message"),
    [
        ({"type": "bounce"}, 400, "badRequest", "message_id is required"),
        ({"message_id": 5, "type": "bounce"}, 400, "badRequest", "message_id must be a string"),
        ({"message_id": " ", "type": "bounce"}, 400, "badRequest", "message_id must not be empty"),
        ({"message_id": "<>", "type": "bounce"}, 400, "badRequest", "message_id must not be empty"),
        (
            {"message_id": f"<{LONG}>", "type": "bounce"},
            400,
            "badRequest",
            "message_id is longer than 998 characters",
        ),
        (
            {"message_id": "<a\nb@x>", "type": "bounce"},
            400,
            "badRequest",
            "message_id must not contain control characters",
        ),
        ({"message_id": "<a@x>"}, 400, "badRequest", "type is required"),
        ({"message_id": "<a@x>", "type": 1}, 400, "badRequest", "type must be a string"),
        (
            {"message_id": "<a@x>", "type": "spam"},
            400,
            "badRequest",
            'type must be "bounce" or "complaint"',
        ),
        (
            {"message_id": "<a@x>", "type": "Complaint"},
            400,
            "badRequest",
            'type must be "bounce" or "complaint"',
        ),
        (
            {"message_id": "<a@x>", "type": "bounce", "detail": ["550"]},
            400,
            "badRequest",
            "detail must be a string",
        ),
        (
            {"message_id": "<a@x>", "type": "bounce", "detail": "d" * 1001},
            400,
            "badRequest",
            "detail is longer than 1000 characters",
        ),
        (
            {"message_id": "<a@x>", "type": "bounce", "detail": "a\x00b"},
            400,
            "badRequest",
            "detail must not contain control characters",
        ),
        (
            {"message_id": "<a@x>", "type": "bounce", "recipient": 7},
            400,
            "badRequest",
            "recipient must be a string",
        ),
        (
            {"message_id": "<a@x>", "type": "bounce", "recipient": "nobody"},
            400,
            "badAddress",
            "invalid email address: expected @",
        ),
        (["<a@x>", "bounce"], 400, "badRequest", "the body must be a JSON object"),
        ("<a@x>", 400, "badRequest", "the body must be a JSON object"),
    ],
)
async def test_bad_bodies(
    client: Client, fakemox: FakeMox, body: Any, status: int, code: str, message: str
) -> None:
    await send(client, fakemox, "j@example.org", message_id="<a@x>")
    got, answer = await report(client, body)
    assert (got, answer) == (status, {"code": code, "message": message})
    assert (await tables(client))["suppressions"] == []


@pytest.mark.parametrize(
    ("data", "ctype", "status", "code", "message"),
    [
        ("{", "application/json", 400, "badRequest", "the body is not valid JSON"),
        ("", "application/json", 400, "badRequest", "the body is not valid JSON"),
        (
            '{"message_id": "<a@x>", "type": "bounce"}',
            "text/plain",
            415,
            "unsupportedMediaType",
            "send the body as application/json",
        ),
    ],
)
async def test_bad_body_encoding(
    client: Client, data: str, ctype: str, status: int, code: str, message: str
) -> None:
    resp = await client.post(
        URL, data=data, headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": ctype}
    )
    assert (resp.status, await resp.json()) == (status, {"code": code, "message": message})


# ---- Complaint entries end only with a reason ----------------------------------------------


async def test_complaint_entry_ends_only_with_a_reason(client: Client, fakemox: FakeMox) -> None:
    mid = await send(client, fakemox, "K.Lee@example.org")
    status, answer = await report(client, {"message_id": mid, "type": "complaint"})
    assert status == 200
    entry = answer["entry"]
    store = client.app[RUNTIME_KEY].store

    async def synced() -> bool:
        e = await store.suppressions.get("mox", entry["id"])
        return (
            e is not None and e.mox_state == "synced" and mox_bases(fakemox) == {"klee@example.org"}
        )

    await wait_for(synced, what="the complaint entry in mox")
    url = f"/api/v1/accounts/mox/suppressions/{entry['id']}"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    before = await tables(client)
    for kw in ({}, {"json": {}}, {"json": {"reason": ""}}, {"json": {"reason": "   "}}):
        resp = await client.delete(url, headers=auth, **kw)
        assert (resp.status, await resp.json()) == (
            400,
            {"code": "reasonRequired", "message": "a complaint entry is ended only with a reason"},
        ), kw
    assert await tables(client) == before
    assert mox_bases(fakemox) == {"klee@example.org"}

    resp = await client.delete(url, headers=auth, json={"reason": "asked to be mailed again"})
    assert resp.status == 200
    ended = await resp.json()
    assert (ended["active"], ended["end_reason"], ended["ended_by"]) == (
        False,
        "asked to be mailed again",
        "api:mox",
    )
    history = await store.suppressions.history(entry["id"])
    assert [(h["action"], h["detail"]) for h in history] == [
        ("added", f"complaint from report: complaint reported for message {mid}"),
        ("complaint_ended", "asked to be mailed again"),
    ]

    async def gone() -> bool:
        return mox_bases(fakemox) == set()

    await wait_for(gone, what="the entry removed from mox")
    # Ended already: 404, as for any entry.
    resp = await client.delete(url, headers=auth)
    assert (resp.status, (await resp.json())["code"]) == (404, "notFound")


async def test_other_entries_end_without_a_reason(client: Client) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    base = "/api/v1/accounts/mox/suppressions"
    resp = await client.post(base, json={"address": "m@example.org"}, headers=auth)
    entry = await resp.json()
    resp = await client.delete(f"{base}/{entry['id']}", headers=auth)
    assert resp.status == 200
    history = await client.app[RUNTIME_KEY].store.suppressions.history(entry["id"])
    assert [(h["action"], h["detail"]) for h in history] == [
        ("added", "manual from manual"),
        ("ended", "removed by a person"),
    ]


def test_cli_remove_of_a_complaint_entry_needs_a_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "moxhooks.toml"
    cfg.write_text(
        f'[database]\npath = "{tmp_path / "moxhooks.db"}"\n'
        '[mox]\nurl = "http://127.0.0.1:9"\ntimeout = 0.5\n'
    )

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(["--config", str(cfg), *argv])
        out, err = capsys.readouterr()
        return code, out, err

    assert run("suppressions", "add", "n@example.org", "--kind", "complaint")[0] == 0
    assert run("suppressions", "add", "o@example.org")[0] == 0
    for extra in ([], ["--reason", " "]):
        assert run("suppressions", "remove", "n@example.org", *extra) == (
            2,
            "",
            "moxhooks: a complaint entry is ended only with a reason\n",
        )
    code, out, _ = run("suppressions", "remove", "n@example.org", "--reason", "asked by phone")
    assert code == 0 and out.startswith("ended entry 1:")
    assert run("suppressions", "remove", "o@example.org")[0] == 0

    async def audit() -> list[tuple[str, str]]:
        store = await Store.open(str(tmp_path / "moxhooks.db"))
        try:
            log = await store.suppressions.audit_log("mox")
        finally:
            await store.close()
        return [(a["action"], a["detail"]) for a in reversed(log)]

    assert asyncio.run(audit()) == [
        ("added", "complaint from manual"),
        ("added", "manual from manual"),
        ("complaint_ended", "asked by phone"),
        ("ended", "removed with the CLI"),
    ]


# ---- Configuration ------------------------------------------------------------------------


def _account(**kw: Any) -> dict[str, Any]:
    return {"accounts": [{"name": "mox", "login": "mox@localhost", "password": "x", **kw}]}


def test_report_actions_fall_back_to_star() -> None:
    cfg = config_from_dict(
        _account(
            report_actions={
                "*": {"bounce": "record"},
                "news": {"complaint": "suppress_topic"},
                "promo": {"bounce": "suppress_for:12h", "complaint": "record"},
            }
        )
    )
    assert dict(cfg.accounts[0].report_actions) == {
        "*": ReportActions(bounce="record", complaint="suppress"),
        "news": ReportActions(bounce="record", complaint="suppress_topic"),
        "promo": ReportActions(bounce="suppress_for:12h", complaint="record"),
    }
    default = config_from_dict(_account())
    assert default.accounts[0].report_actions == (("*", ReportActions("suppress", "suppress")),)
    assert (default.reports.mail_type_key, default.reports.topic_key) == ("mailtype", "topic")


ACTION_HELP = (
    'use "suppress", "suppress_topic", "suppress_for:<duration>" (e.g. "suppress_for:30d")'
    ' or "record"'
)
DURATION_HELP = 'suppress_for needs a duration over 0 like "30d" or "12h"'


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            _account(report_actions="suppress"),
            "accounts[0].report_actions: must be a table of mail types",
        ),
        (
            _account(report_actions={"*": "suppress"}),
            "accounts[0].report_actions.*: must be a table with bounce and complaint",
        ),
        (
            _account(report_actions={"": {"bounce": "record"}}),
            'accounts[0].report_actions: a mail type must not be empty ("*" is for all others)',
        ),
        (
            _account(report_actions={"news": {"bounce": "delete"}}),
            f"accounts[0].report_actions.news.bounce: 'delete' is not an action: {ACTION_HELP}",
        ),
        (
            _account(report_actions={"*": {"complaint": "Suppress"}}),
            f"accounts[0].report_actions.*.complaint: 'Suppress' is not an action: {ACTION_HELP}",
        ),
        (
            _account(report_actions={"news": {"complaint": "suppress_for"}}),
            "accounts[0].report_actions.news.complaint: 'suppress_for' is not an action:"
            f" {ACTION_HELP}",
        ),
        (
            _account(report_actions={"news": {"complaint": "suppress_for:soon"}}),
            f"accounts[0].report_actions.news.complaint: 'suppress_for:soon': {DURATION_HELP}",
        ),
        (
            _account(report_actions={"news": {"complaint": "suppress_for:0d"}}),
            f"accounts[0].report_actions.news.complaint: 'suppress_for:0d': {DURATION_HELP}",
        ),
        (
            _account(report_actions={"news": {"complaint": "suppress_for:1e400d"}}),
            f"accounts[0].report_actions.news.complaint: 'suppress_for:1e400d': {DURATION_HELP}",
        ),
        (
            _account(report_actions={"news": {"bounced": "record"}}),
            "accounts[0].report_actions.news.bounced: unknown key",
        ),
        (
            _account(report_actions={"news": {"bounce": True}}),
            "accounts[0].report_actions.news.bounce: must be a string",
        ),
        # A bad "*" is found through the mail type that falls back to it, too.
        (
            _account(report_actions={"*": {"bounce": "x"}, "news": {}}),
            f"accounts[0].report_actions.*.bounce: 'x' is not an action: {ACTION_HELP}",
        ),
        ({"reports": {"mail_type_key": 5}}, "reports.mail_type_key: must be a string"),
        ({"reports": {"topic": "t"}}, "reports.topic: unknown key"),
    ],
)
def test_config_errors(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        config_from_dict(data)
    assert str(err.value) == message


def test_config_error_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "moxhooks.toml"
    cfg.write_text(
        '[[accounts]]\nname = "mox"\nlogin = "mox@localhost"\npassword = "x"\n'
        '[accounts.report_actions.news]\ncomplaint = "suppress_for:-1d"\n'
    )
    assert main(["--config", str(cfg), "events"]) == 2
    assert capsys.readouterr().err == (
        "moxhooks: config: accounts[0].report_actions.news.complaint: 'suppress_for:-1d':"
        f" {DURATION_HELP}\n"
    )
