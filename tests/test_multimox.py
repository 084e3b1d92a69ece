"""Several mox servers behind one moxhooks: the [[mox]] tables and accounts[].mox."""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import sqlite3
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import msgspec
import pytest
from aiohttp.test_utils import TestServer
from conftest import Clock, wait_for
from fakemox import FakeMox
from moxsender import MoxSender, outgoing_event
from reportmail import arf
from test_holds import BLOCKED
from test_inbound import incoming_json

from moxhooks.cli.serve import setup
from moxhooks.cli.serve import sync as sync_command
from moxhooks.config import Config, MoxConfig, config_from_dict
from moxhooks.errors import ConfigError
from moxhooks.jobs.holds import AutoHolds, HoldSettings
from moxhooks.jobs.sync import SyncWorker
from moxhooks.runtime.resources import open_moxes, open_store, webhook_secrets
from moxhooks.runtime.supervisor import in_process
from moxhooks.runtime.web import WebRuntime
from moxhooks.store import NewEntry, Store
from moxhooks.store.db import MIGRATIONS
from moxhooks.store.intake import Record, encode, read_records
from moxhooks.store.suppressions import EventOutcome
from moxhooks.web.app import create_app
from moxhooks.web.keys import RUNTIME_KEY

IDS = itertools.count(1)

ACCOUNT = {"name": "shop", "login": "shop@example.org", "password": "pw"}


def _two(**account: Any) -> dict[str, Any]:
    return {
        "mox": [
            {"name": "a", "url": "http://127.0.0.1:1080", "admin_password": "x"},
            {"name": "b", "url": "http://127.0.0.2:1080", "timeout": 3.0},
        ],
        "accounts": [{**ACCOUNT, **account}],
    }


def test_a_single_mox_table_is_one_server_named_default() -> None:
    cfg = config_from_dict({"mox": {"url": "http://127.0.0.1:9", "timeout": 2.0}})
    assert cfg.mox == (MoxConfig(url="http://127.0.0.1:9", timeout=2.0),)
    assert cfg.default_mox.name == "default"
    assert cfg.account_moxes(cfg.accounts[0]) == ("default",)
    assert Config().mox == (MoxConfig(),)


def test_mox_tables_and_the_servers_an_account_is_on() -> None:
    cfg = config_from_dict(_two())
    assert [m.name for m in cfg.mox] == ["a", "b"]
    assert cfg.mox_named("b") == MoxConfig(name="b", url="http://127.0.0.2:1080", timeout=3.0)
    assert cfg.mox_named("c") is None
    # No mox named: the first server.
    assert cfg.account_moxes(cfg.accounts[0]) == ("a",)
    # One name as a string, or a list: shared by both servers.
    assert config_from_dict(_two(mox="b")).accounts[0].mox == ("b",)
    shared = config_from_dict(_two(mox=["a", "b"]))
    assert shared.account_moxes(shared.accounts[0]) == ("a", "b")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_two(mox="c"), "accounts[0].mox: no mox server 'c' is configured ([[mox]] names: a, b)"),
        (_two(mox=["a", "a"]), "accounts[0].mox: a mox server is named twice"),
        (_two(mox=3), "accounts[0].mox: must be a list"),
        ({"mox": [{"url": "http://127.0.0.1:1"}]},
         "mox[0].name: required key is missing (each [[mox]] is named)"),
        ({"mox": [{"name": "a"}, {"name": "a"}]}, "mox[1].name: mox server 'a' is listed twice"),
        ({"mox": [{"name": "A/b"}]},
         'mox[0].name: \'A/b\' is not a mox name: 1-40 characters of a-z, 0-9, "_" and "-"'),
        ({"mox": [{"name": "a", "url": "ftp://x"}]},
         "mox[0].url: must start with http:// or https://"),
        ({"mox": {"url": "localhost"}}, "mox.url: must start with http:// or https://"),
        ({"mox": []}, "mox: must be a [mox] table or a non-empty list of [[mox]] tables"),
        ({"mox": [{"name": "a", "port": 1}]}, "mox[0].port: unknown key"),
    ],
)
def test_wrong_mox_configuration_is_refused_by_name(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as e:
        config_from_dict(data)
    assert str(e.value) == message


# ---- webhooks name their mox server ----------------------------------------------------


def _fakes_config(tmp_path: Path, a: FakeMox, b: FakeMox, **sections: Any) -> Config:
    """Two mox servers "a" and "b": account "shop" on both, "solo" on b only."""
    data: dict[str, Any] = {
        "server": {"host": "127.0.0.1", "port": 8025},
        "database": {"path": str(tmp_path / "moxhooks.db")},
        "mox": [
            {"name": "a", "url": a.url, "timeout": 2.0},
            {"name": "b", "url": b.url, "timeout": 2.0},
        ],
        "sync": {"retry_min": 0.05, "retry_max": 0.2, "reconcile_interval": 3600.0},
        "resolve": {"retry_min": 0.05, "retry_max": 0.2},
        "accounts": [
            {"name": "shop", "login": "mox@localhost", "password": "moxmoxmox",
             "mox": ["a", "b"]},
            {"name": "solo", "login": "solo@localhost", "password": "moxmoxmox", "mox": "b"},
        ],
    }  # fmt: skip
    data.update(sections)
    return config_from_dict(data)


@pytest.fixture
async def two_fakes() -> AsyncIterator[tuple[FakeMox, FakeMox]]:
    async with FakeMox(ACCOUNTS) as a, FakeMox(ACCOUNTS) as b:
        yield a, b


# Both fakes have the accounts shop and solo.
ACCOUNTS = {
    "shop": {"logins": {"mox@localhost": "moxmoxmox"}},
    "solo": {"logins": {"solo@localhost": "moxmoxmox"}},
}


async def test_secrets_are_kept_per_mox_server_and_account(tmp_path: Path) -> None:
    store = await Store.open(str(tmp_path / "moxhooks.db"))
    try:
        s_a = await store.webhook_secret("shop", "")
        s_b = await store.webhook_secret("shop", "", "b")
        assert s_a != s_b
        assert await store.webhook_secret("shop", "") == s_a
        assert await store.webhook_secret("shop", "", "b") == s_b
        assert await store.webhook_secret("shop", "given", "b") == "given"
    finally:
        await store.close()


async def test_a_secret_made_before_several_mox_servers_stays_the_first_servers(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    con = sqlite3.connect(path)
    for n, script in enumerate(MIGRATIONS[:11], start=1):
        con.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {n};\nCOMMIT;")
    con.execute(
        "INSERT INTO accounts (name, webhook_secret, created) VALUES ('shop', 'old-secret', 'x')"
    )
    con.commit()
    con.close()
    store = await Store.open(str(path))
    try:
        assert await store.schema_version() == len(MIGRATIONS)
        assert await store.webhook_secret("shop", "") == "old-secret"
        assert await store.webhook_secret("shop", "", "b") != "old-secret"
    finally:
        await store.close()


async def test_webhooks_name_their_mox_and_carry_its_secret(
    tmp_path: Path, two_fakes: tuple[FakeMox, FakeMox]
) -> None:
    cfg = _fakes_config(tmp_path, *two_fakes)
    app = create_app(cfg, worker=None)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        rt = app[RUNTIME_KEY]
        assert set(rt.secrets) == {("a", "shop"), ("b", "shop"), ("b", "solo")}
        assert rt.secrets["a", "shop"] != rt.secrets["b", "shop"]

        async def post(path: str, secret_of: tuple[str, str]) -> int | None:
            url = str(server.make_url(path))
            async with MoxSender(url, authorization=f"Bearer {rt.secrets[secret_of]}") as s:
                hook_id = next(IDS)
                answer = await s.post(outgoing_event("failed"), hook_id=hook_id, attempt=1)
                return answer.status

        assert await post("/hooks/outgoing/a/shop", ("a", "shop")) == 200
        assert await post("/hooks/outgoing/b/shop", ("b", "shop")) == 200
        assert await post("/hooks/outgoing/b/solo", ("b", "solo")) == 200
        # The path without a mox is the first server's.
        assert await post("/hooks/outgoing/shop", ("a", "shop")) == 200
        # One server's secret does not open another's URL.
        assert await post("/hooks/outgoing/b/shop", ("a", "shop")) == 401
        assert await post("/hooks/outgoing/shop", ("b", "shop")) == 401
        # An account is only where the configuration puts it; an unknown server is 404.
        assert await post("/hooks/outgoing/a/solo", ("b", "solo")) == 404
        assert await post("/hooks/outgoing/c/shop", ("a", "shop")) == 404
        assert await post("/hooks/incoming/c/shop", ("a", "shop")) == 404
        assert await post("/hooks/incoming/b/shop", ("a", "shop")) == 401
    finally:
        await server.close()


async def test_setup_registers_each_servers_own_url_and_secret(
    tmp_path: Path, two_fakes: tuple[FakeMox, FakeMox], capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = two_fakes
    cfg = _fakes_config(tmp_path, a, b)
    assert await setup(cfg, argparse.Namespace()) == 0
    async with open_store(cfg) as store:
        secrets = await webhook_secrets(cfg, store)
    base = "http://127.0.0.1:8025/hooks/outgoing"
    assert a.outgoing_webhooks == {
        "shop": {"URL": f"{base}/a/shop", "Authorization": f"Bearer {secrets['a', 'shop']}",
                 "Events": []},
    }  # fmt: skip
    assert b.outgoing_webhooks == {
        "shop": {"URL": f"{base}/b/shop", "Authorization": f"Bearer {secrets['b', 'shop']}",
                 "Events": []},
        "solo": {"URL": f"{base}/b/solo", "Authorization": f"Bearer {secrets['b', 'solo']}",
                 "Events": []},
    }  # fmt: skip
    out = capsys.readouterr().out
    assert f"account shop on mox a: mox now posts all outgoing delivery events to {base}/a/shop" in out
    assert f"account solo on mox b: mox now posts all outgoing delivery events to {base}/b/solo" in out
    # A server that refuses the login fails setup for that server only.
    a.accounts["shop"]["logins"]["mox@localhost"] = "changed"
    assert await setup(cfg, argparse.Namespace()) == 1
    out = capsys.readouterr().out
    assert "account shop on mox a: mox refused the login mox@localhost" in out
    assert "account shop on mox b: mox now posts" in out


# ---- keys from mox are scoped by the server ----------------------------------------------


def _record(webhook_id: int, mox: str = "") -> Record:
    return Record(
        "shop", webhook_id, 1, "2026-12-06T10:00:00.000000Z", "failed", 70, "<m@x>", "{}", mox
    )


def test_intake_records_carry_the_mox_and_old_ones_read_as_the_first(tmp_path: Path) -> None:
    path = tmp_path / "segment.log"
    # A segment written before there were several servers (version 0), then new records.
    path.write_bytes(
        encode(_record(1, "b"), version=0) + encode(_record(2, "b")) + encode(_record(3))
    )
    fd = os.open(path, os.O_RDONLY)
    try:
        records, end, torn = read_records(fd, 0, 100)
    finally:
        os.close(fd)
    assert [(r.webhook_id, r.mox) for r in records] == [(1, ""), (2, "b"), (3, "")]
    assert (end, torn) == (path.stat().st_size, False)
    # A damaged version bit is a damaged record (the CRC covers the version), not another.
    data = bytearray(encode(_record(4, "b")))
    data[3] ^= 0x20  # the version (top bits of the little-endian length) 1 -> 0
    path.write_bytes(encode(_record(5)) + bytes(data))
    fd = os.open(path, os.O_RDONLY)
    try:
        records, end, torn = read_records(fd, 0, 100)
    finally:
        os.close(fd)
    assert [r.webhook_id for r in records] == [5] and torn


async def test_migrating_events_and_recipients_keeps_them_as_the_first_servers(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    con = sqlite3.connect(path)
    con.execute("PRAGMA foreign_keys = ON")
    for n, script in enumerate(MIGRATIONS[:12], start=1):
        con.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {n};\nCOMMIT;")
    con.execute(
        "INSERT INTO events (id, account, webhook_id, attempt, received, event, queue_msg_id,"
        " message_id, payload, status) VALUES (5, 'shop', 7, 1, 'r', 'failed', 70, '<m@x>',"
        " '{}', 'pending')"
    )
    con.execute(
        "INSERT INTO suppressions (account, base_address, original_address, kind, source,"
        " created, created_by, event_id, mox_state) VALUES ('shop', 'a@x', 'a@x',"
        " 'mailbox_unknown', 'webhook', 'c', 'webhook 7', 5, 'pending')"
    )
    con.execute(
        "INSERT INTO recipients (account, queue_msg_id, address, source, topic)"
        " VALUES ('shop', 70, 'a@x', 'mox', 'news')"
    )
    con.commit()
    con.close()
    store = await Store.open(str(path))
    try:
        assert await store.schema_version() == len(MIGRATIONS)
        (ev,) = await store.events.due()
        assert (ev.id, ev.mox, ev.webhook_id) == (5, "", 7)
        assert await store.events.recipients_for([("shop", 70)]) == {("shop", 70): "a@x"}
        row = await store.db.fetchone("SELECT topic FROM recipients WHERE queue_msg_id = 70")
        assert row is not None and row[0] == "news"
        # The entry still refers to its event, and the processed-events trigger is back.
        row = await store.db.fetchone("SELECT e.id FROM suppressions s JOIN events e ON e.id = s.event_id")
        assert row is not None and row[0] == 5
        await store.suppressions.apply_event(
            EventOutcome(5, "shop", None, None, None, "ignore", "", counts_soft=False)
        )
        assert await store.events.processed_counts() == [("shop", "failed", "", "ignore", 1)]
    finally:
        await store.close()


async def test_holds_made_before_several_mox_servers_stay_the_first_servers(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    con = sqlite3.connect(path)
    for n, script in enumerate(MIGRATIONS[:14], start=1):
        con.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {n};\nCOMMIT;")
    con.execute(
        "INSERT INTO auto_holds (account, recipient_domain, rule_id, reason, recipients,"
        " created, lift_after) VALUES ('shop', 'held.example', 4, 'r', 3,"
        " '2026-12-01T12:00:00.000000Z', '2026-12-01T13:00:00.000000Z')"
    )
    con.commit()
    con.close()
    store = await Store.open(str(path))
    try:
        assert await store.schema_version() == len(MIGRATIONS)
        hold = await store.holds.active("", "shop", "held.example")
        assert hold is not None and (hold.mox, hold.rule_id) == ("", 4)
        assert await store.holds.by_rule("", 4) == hold
        assert await store.holds.active("b", "shop", "held.example") is None
        assert await store.holds.by_rule("b", 4) is None
    finally:
        await store.close()


async def test_the_same_ids_from_two_servers_resolve_through_each_servers_admin_api(
    tmp_path: Path, two_fakes: tuple[FakeMox, FakeMox]
) -> None:
    a, b = two_fakes
    # Both servers number their messages alike: QueueMsgID 70 is a different message,
    # and a different recipient, on each.
    a.add_retired(id=70, account="shop", recipient="on-a@example.org")
    b.add_retired(id=70, account="shop", recipient="on-b@example.org")
    cfg = _fakes_config(tmp_path, a, b)
    app = create_app(cfg, worker=in_process())
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        rt = app[RUNTIME_KEY]
        for name in ("a", "b"):
            url = str(server.make_url(f"/hooks/outgoing/{name}/shop"))
            async with MoxSender(url, authorization=f"Bearer {rt.secrets[name, 'shop']}") as s:
                answers = await s.deliver(outgoing_event("failed", queue_msg_id=70), hook_id=900)
                assert [x.status for x in answers] == [200]

        async def both_done() -> bool:
            rows = await rt.store.db.fetchall(
                "SELECT mox, recipient FROM events WHERE status = 'done' ORDER BY mox"
            )
            return [tuple(r) for r in rows] == [
                ("", "on-a@example.org"), ("b", "on-b@example.org")
            ]

        await wait_for(both_done, 10.0, "both events resolved through their own server")
        rows = await rt.store.db.fetchall(
            "SELECT mox, address, source FROM recipients ORDER BY mox"
        )
        assert [tuple(r) for r in rows] == [
            ("", "on-a@example.org", "mox"), ("b", "on-b@example.org", "mox")
        ]
    finally:
        await server.close()


# ---- one list, pushed to every server the account is on -----------------------------------


@contextlib.asynccontextmanager
async def running(cfg: Config) -> AsyncIterator[tuple[TestServer, WebRuntime]]:
    """moxhooks on a real port with its worker (in this process's event loop)."""
    app = create_app(cfg, worker=in_process())
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield server, app[RUNTIME_KEY]
    finally:
        await server.close()


async def bounce(server: TestServer, rt: WebRuntime, fake: FakeMox, name: str, rcpt: str) -> None:
    """A hard bounce of a message to rcpt, sent through the mox server name (fake)."""
    msg = fake.add_retired(account="shop", recipient=rcpt, code=550, secode="5.1.1")
    url = str(server.make_url(f"/hooks/outgoing/{name}/shop"))
    async with MoxSender(url, authorization=f"Bearer {rt.secrets[name, 'shop']}") as s:
        event = outgoing_event("failed", queue_msg_id=msg["ID"], code=550, secode="5.1.1",
                               suppressing=True)  # fmt: skip
        answers = await s.deliver(event, hook_id=next(IDS))
    assert [x.status for x in answers] == [200]


def listed(fake: FakeMox, account: str = "shop") -> set[str]:
    return {str(s["BaseAddress"]) for s in fake.suppressions(account)}


async def until(check: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    async def ok() -> bool:
        return check()

    await wait_for(ok, timeout, what)


async def test_a_hard_bounce_through_either_server_is_listed_in_both(
    tmp_path: Path, two_fakes: tuple[FakeMox, FakeMox]
) -> None:
    a, b = two_fakes
    async with running(_fakes_config(tmp_path, a, b)) as (server, rt):
        await bounce(server, rt, a, "a", "gone@example.org")
        await until(lambda: listed(a) == listed(b) == {"gone@example.org"}, "listed in a and b")
        # Through the further server too: its event, the entry here, and both lists.
        await bounce(server, rt, b, "b", "left@example.org")
        both = {"gone@example.org", "left@example.org"}
        await until(lambda: listed(a) == listed(b) == both, "listed in a and b")
        # solo is on b only: nothing of shop's reaches it, and a never lists solo's.
        assert listed(b, "solo") == listed(a, "solo") == set()
        # b's list shows the second add a moment before the worker writes its cursor down.
        await wait_for(lambda: _cursor_done(rt, 2), 10.0, "b's cursor past both adds")


async def test_a_server_that_is_away_gets_the_changes_in_order_when_back(
    tmp_path: Path, two_fakes: tuple[FakeMox, FakeMox]
) -> None:
    a, b = two_fakes
    async with running(_fakes_config(tmp_path, a, b)) as (server, rt):
        await reconciled(rt)
        await b.fail("refuse")
        await bounce(server, rt, a, "a", "gone@example.org")
        await until(lambda: listed(a) == {"gone@example.org"}, "listed in a")
        # Removed again while b is away: b must see the add, then the remove, never
        # the other way round.
        (entry,) = await rt.store.suppressions.synced_active("shop")
        await rt.store.suppressions.end("shop", entry.id, "test", "a mistake")
        rt.wake_sync()
        await until(lambda: listed(a) == set(), "removed from a")
        await wait_for(
            lambda: _cursor_failed(rt), 10.0, "b's failed attempt noted"
        )
        b.add_suppression("shop", "gone@example.org", manual=False, reason="550 by b itself")
        await b.restore()
        rt.wake_sync()
        await until(lambda: listed(b) == set(), "the add and the remove reached b")
        # The fake answers the remove before the worker writes down that it was sent: the
        # cursor moves on a moment after b's list is empty.
        await wait_for(lambda: _cursor_done(rt, 2), 10.0, "b's cursor past both changes")
        pushed = [(m, p) for _, m, p in b.calls if m in ("SuppressionAdd", "SuppressionRemove")]
        assert [m for m, _ in pushed] == ["SuppressionAdd", "SuppressionRemove"]


async def _cursor_done(rt: WebRuntime, last_id: int) -> bool:
    cursor = await rt.store.outbox.cursor("b", "shop")
    return (cursor.last_id, cursor.attempts, cursor.next_attempt) == (last_id, 0, None)


async def _cursor_failed(rt: WebRuntime) -> bool:
    cursor = await rt.store.outbox.cursor("b", "shop")
    return cursor.attempts > 0 and cursor.last_error != ""


async def reconciled(rt: WebRuntime) -> None:
    async def done() -> bool:
        states = await rt.store.outbox.sync_states()
        return all(a.name in states for a in rt.config.accounts)

    await wait_for(done, 10.0, "the first reconcile")


async def test_reconcile_makes_the_lists_of_a_shared_account_one(
    tmp_path: Path, two_fakes: tuple[FakeMox, FakeMox]
) -> None:
    a, b = two_fakes
    b.add_suppression("shop", "onlyb@example.org", manual=True, reason="by hand in b")
    a.add_suppression("shop", "onlya@example.org", manual=True, reason="by hand in a")
    cfg = _fakes_config(tmp_path, a, b)
    async with open_store(cfg) as store, open_moxes(cfg) as clients:
        sync = SyncWorker(cfg, store, clients["a"], clients)
        reports = await sync.reconcile_all()
        assert [(r.account, r.mox, r.adopted, r.errors) for r in reports] == [
            ("shop", "", 1, []), ("shop", "b", 1, []), ("solo", "", 0, []),
        ]  # fmt: skip
        # What each server had alone is an entry here now, on its way to the other.
        await sync.push_due()
        await sync.push_further()
        both = {"onlya@example.org", "onlyb@example.org"}
        assert listed(a) == listed(b) == both
        # An entry b lost (a person removed it there) is added to b again by reconcile:
        # the list is the account's, kept here.
        b.remove_suppression("shop", "onlya@example.org")
        (report,) = [r for r in await sync.reconcile_all() if r.mox == "b"]
        assert (report.added_there, report.adopted) == (1, 0)
        assert listed(b) == both
        # A person removing it from the first server ends it here, and so in b too.
        a.remove_suppression("shop", "onlyb@example.org")
        (report,) = [r for r in await sync.reconcile_all() if r.account == "shop" and not r.mox]
        assert report.ended == 1
        await sync.push_due()
        await sync.push_further()
        assert listed(a) == listed(b) == {"onlya@example.org"}


async def test_what_one_server_listed_itself_reaches_the_other(
    tmp_path: Path, two_fakes: tuple[FakeMox, FakeMox]
) -> None:
    # mox lists a recipient itself on a bare 550 (Suppressing): moxhooks follows it, and
    # for a shared account pushes it to the other server, which did not see the bounce.
    a, b = two_fakes
    async with running(_fakes_config(tmp_path, a, b)) as (server, rt):
        await reconciled(rt)
        msg = b.add_retired(account="shop", recipient="plain@example.org", code=550, secode="5.0.0")
        b.add_suppression("shop", "plain@example.org", manual=False, reason="550 5.0.0")
        url = str(server.make_url("/hooks/outgoing/b/shop"))
        async with MoxSender(url, authorization=f"Bearer {rt.secrets['b', 'shop']}") as s:
            event = outgoing_event("failed", queue_msg_id=msg["ID"], code=550, secode="5.0.0",
                                   suppressing=True)  # fmt: skip
            assert [x.status for x in await s.deliver(event, hook_id=77)] == [200]
        await until(lambda: listed(a) == {"plain@example.org"}, "listed in a")
        row = await rt.store.db.fetchone("SELECT decision FROM events WHERE webhook_id = 77")
        assert row is not None and row[0] == "follow_mox"

        # The push is recorded after mox answered it: a busy machine looks in between.
        async def synced() -> bool:
            entries = await rt.store.suppressions.synced_active("shop")
            return [(e.source, e.mox_state) for e in entries] == [("mox", "synced")]

        await wait_for(synced, 10.0, "the entry synced")


async def test_a_complaint_through_the_further_server_is_read_there_and_listed_in_both(
    tmp_path: Path, two_fakes: tuple[FakeMox, FakeMox]
) -> None:
    a, b = two_fakes
    shop = {"name": "shop", "login": "mox@localhost", "password": "moxmoxmox",
            "mox": ["a", "b"], "inbound_addresses": ["fbl@localhost"]}  # fmt: skip
    cfg = _fakes_config(tmp_path, a, b, accounts=[shop])
    async with running(cfg) as (server, rt):
        await reconciled(rt)
        # A message sent through b (mox b's numbering), then a complaint about it that mox
        # b received: its bytes are in mox b only.
        b.add_retired(5, "shop", "Angry.Reader@example.org", 0, "", success=True,
                      message_id="<m5@localhost>")  # fmt: skip
        a.add_retired(5, "shop", "someone.else@example.org", 0, "", success=True,
                      message_id="<other@localhost>")  # fmt: skip
        url = str(server.make_url("/hooks/outgoing/b/shop"))
        async with MoxSender(url, authorization=f"Bearer {rt.secrets['b', 'shop']}") as s:
            event = outgoing_event("delivered", queue_msg_id=5, message_id="<m5@localhost>")
            assert [x.status for x in await s.deliver(event, hook_id=1)] == [200]

        async def resolved() -> bool:
            row = await rt.store.db.fetchone("SELECT recipient FROM events WHERE mox = 'b'")
            return row is not None and row[0] == "Angry.Reader@example.org"

        await wait_for(resolved, 10.0, "the send through b resolved through b")
        msg_id = b.add_incoming("shop", arf("Angry.Reader@example.org", "<m5@localhost>"))
        headers = {"Authorization": f"Bearer {rt.secrets['b', 'shop']}",
                   "X-Mox-Webhook-ID": "1", "Content-Type": "application/json"}  # fmt: skip
        async with aiohttp.ClientSession() as http:
            resp = await http.post(
                str(server.make_url("/hooks/incoming/b/shop")),
                data=json.dumps(incoming_json(msg_id)), headers=headers,
            )
            assert resp.status == 200
        await until(
            lambda: listed(a) == listed(b) == {"angryreader@example.org"}, "listed in a and b"
        )
        row = await rt.store.db.fetchone("SELECT external_id, report_type FROM inbound")
        assert row is not None and tuple(row) == ("b:1", "arf")


async def test_an_account_signs_in_with_the_mox_server_it_is_on(
    tmp_path: Path, two_fakes: tuple[FakeMox, FakeMox]
) -> None:
    a, b = two_fakes
    # solo is on b only; a has an account of that name with another password.
    a.accounts["solo"]["logins"]["solo@localhost"] = "not-this-one"
    async with running(_fakes_config(tmp_path, a, b)) as (server, rt):
        async with aiohttp.ClientSession() as http:
            resp = await http.post(
                str(server.make_url("/api/v1/login")),
                json={"email": "solo@localhost", "password": "moxmoxmox"},
            )
            assert resp.status == 200, await resp.text()
            assert (await resp.json())["account"] == "solo"
        assert rt.mox_for(rt.config.accounts[1]) is rt.clients["b"]
        assert rt.mox_for(rt.config.accounts[0]) is rt.clients["a"] is rt.mox


async def test_moxhooks_sync_pushes_and_reconciles_every_server(
    tmp_path: Path, two_fakes: tuple[FakeMox, FakeMox], capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = two_fakes
    b.add_suppression("shop", "onlyb@example.org", manual=True, reason="by hand in b")
    cfg = _fakes_config(tmp_path, a, b)
    async with open_store(cfg) as store:
        await store.suppressions.add(
            NewEntry("shop", "Kept@example.org", "kept@example.org", "manual", "manual", "", "t")
        )
    assert await sync_command(cfg, argparse.Namespace()) == 0
    # The pending entry went to a and b before reconcile; b's own entry was adopted
    # (and waits for a: the next run pushes it there).
    assert capsys.readouterr().out.splitlines() == [
        "account shop: mox lists 1; adopted 0, ended 0 removed in mox; 1 changes wait for mox",
        "account shop on mox b: mox lists 2; added there 0, adopted 1",
        "account solo: mox lists 0; adopted 0, ended 0 removed in mox; 0 changes wait for mox",
        "pushed 1 changes to mox; 0 entries expired",
        "pushed 2 changes to the further mox servers of shared accounts",
    ]
    # b's own entry is an entry here now, pushed on the next run to a (and to b, which
    # has it already).
    assert listed(a) == {"kept@example.org"}
    assert listed(b) == {"kept@example.org", "onlyb@example.org"}
    assert await sync_command(cfg, argparse.Namespace()) == 0
    assert listed(a) == listed(b) == {"kept@example.org", "onlyb@example.org"}


async def test_healthz_reports_each_mox_server(
    tmp_path: Path, two_fakes: tuple[FakeMox, FakeMox]
) -> None:
    a, b = two_fakes
    cfg = _fakes_config(tmp_path, a, b)

    async def healthz() -> tuple[int, dict[str, Any]]:
        app = create_app(cfg, worker=None)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        try:
            async with aiohttp.ClientSession() as http:
                async with http.get(str(server.make_url("/healthz"))) as resp:
                    return resp.status, await resp.json()
        finally:
            await server.close()

    status, body = await healthz()
    assert status == 200
    assert body["checks"]["mox"] == {"ok": True, "url": a.url, "error": ""}
    assert body["checks"]["mox_servers"] == {
        "a": {"ok": True, "url": a.url, "error": ""},
        "b": {"ok": True, "url": b.url, "error": ""},
    }
    # The further server is away: unhealthy, and it says which.
    await b.fail("refuse")
    status, body = await healthz()
    assert status == 503
    assert body["status"] == "unhealthy"
    assert body["checks"]["mox"]["ok"] is True
    servers = body["checks"]["mox_servers"]
    assert servers["a"] == {"ok": True, "url": a.url, "error": ""}
    assert servers["b"]["ok"] is False
    assert b.url in servers["b"]["error"]
    await b.restore()


# ---- automatic holds are each server's -----------------------------------------------------


async def blocked(server: TestServer, rt: WebRuntime, fake: FakeMox, name: str,
                  *recipients: str) -> None:  # fmt: skip
    """Failures of messages to recipients that the receiver refused for the sending IP,
    sent through the mox server name (fake), processed to the end."""
    ids = []
    url = str(server.make_url(f"/hooks/outgoing/{name}/shop"))
    async with MoxSender(url, authorization=f"Bearer {rt.secrets[name, 'shop']}") as s:
        for rcpt in recipients:
            msg = fake.add_retired(account="shop", recipient=rcpt, code=554, secode="5.7.1",
                                   error=BLOCKED)  # fmt: skip
            ids.append(msg["ID"])
            event = outgoing_event("failed", queue_msg_id=msg["ID"], code=554, secode="5.7.1",
                                   error=BLOCKED)  # fmt: skip
            answers = await s.deliver(event, hook_id=next(IDS))
            assert [x.status for x in answers] == [200]
        # Observers (the automatic holds) run after their event's commit and before the
        # next event's: once one more event is processed, theirs have run.
        last = fake.add_retired(account="shop", recipient="last@other.example", success=True,
                                code=250, secode="")["ID"]  # fmt: skip
        answers = await s.deliver(outgoing_event("delivered", queue_msg_id=last),
                                  hook_id=next(IDS))  # fmt: skip
        assert [x.status for x in answers] == [200]
    key = rt.config.mox_key(name)

    async def done() -> bool:
        events = await rt.store.events.list("shop", status="done", limit=100)
        return {*ids, last} <= {e.queue_msg_id for e in events if e.mox == key}

    await wait_for(done, 10.0, f"the failures through {name} processed")


@pytest.mark.openapi_responses
async def test_failures_through_one_server_hold_the_domain_in_that_server_only(
    tmp_path: Path, two_fakes: tuple[FakeMox, FakeMox], clock: Clock, database: dict[str, str]
) -> None:
    """On each engine (database)."""
    a, b = two_fakes
    # The same rule id in both fakes: a's rule 1 is not b's hold.
    a.hold_rules[1] = {"ID": 1, "Account": "", "SenderDomainStr": "",
                       "RecipientDomainStr": "manual.example"}  # fmt: skip
    cfg = _fakes_config(tmp_path, a, b)
    cfg = msgspec.structs.replace(cfg, database=msgspec.structs.replace(cfg.database, **database))
    settings = HoldSettings(threshold=2, check_interval=0.05)
    app = create_app(cfg, clock=clock, worker=in_process(clock=clock, holds=settings))
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        rt = app[RUNTIME_KEY]
        assert type(rt.store.db).__name__ == ("PgDatabase" if database else "SqliteDatabase")
        # One failure through each server: counted apart, neither reaches the threshold.
        await blocked(server, rt, a, "a", "one@blocked.example")
        await blocked(server, rt, b, "b", "two@blocked.example")
        assert set(b.hold_rules) == set() and set(a.hold_rules) == {1}
        # A second through b: the domain is held in b, where the failures came through.
        await blocked(server, rt, b, "b", "three@blocked.example")
        (rule,) = b.hold_rules.values()
        assert rule["RecipientDomainStr"] == "blocked.example" and rule["ID"] == 1
        assert set(a.hold_rules) == {1}
        assert [c for c in a.calls if c[1] == "QueueHoldRuleAdd"] == []
        (hold,) = await rt.store.holds.list(active_only=True)
        assert (hold.mox, hold.rule_id, hold.recipients) == ("b", 1, 2)
        # New mail to the domain waits in b; in a it goes on.
        held_b = b.add_queued(account="shop", recipient="new@blocked.example")
        free_a = a.add_queued(account="shop", recipient="new@blocked.example")
        assert (b.queue[held_b["ID"]]["Hold"], a.queue[free_a["ID"]]["Hold"]) == (True, False)

        # unsafe: keep the session cookie of an IP address (127.0.0.1).
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            base = str(server.make_url("/api/v1/admin"))
            login = await http.post(f"{base}/login", json={"password": "moxadmin"})
            assert login.status == 200
            h = {"X-CSRF-Token": (await login.json())["csrf"]}
            # The first server's rules: its own rule 1, not b's automatic hold.
            async with http.get(f"{base}/holdrules", headers=h) as resp:
                body = await resp.json()
            assert [(r["id"], r["recipient_domain"], r["auto"]) for r in body["rules"]] == [
                (1, "manual.example", None)
            ]
            assert [(x["mox"], x["rule_id"]) for x in body["auto_holds"]] == [("b", 1)]
            async with http.get(f"{base}/holdrules?mox=b", headers=h) as resp:
                body = await resp.json()
            (shown,) = body["rules"]
            assert (shown["recipient_domain"], shown["auto"]["mox"]) == ("blocked.example", "b")
            async with http.get(f"{base}/holdrules?mox=c", headers=h) as resp:
                assert resp.status == 404
                assert (await resp.json())["message"] == "no mox server 'c' is configured"

        # After the cool-down the hold is lifted in b, and what it held released there.
        clock.advance(timedelta(hours=2))

        async def lifted() -> bool:
            # The rule removed and the message released in b, then the lift recorded.
            return (not b.hold_rules and b.queue[held_b["ID"]]["Hold"] is False
                    and await rt.store.holds.list(active_only=True) == [])  # fmt: skip

        await wait_for(lifted, 10.0, "the hold lifted in b")
        assert set(a.hold_rules) == {1}
        assert [c for c in a.calls if c[1] in ("QueueHoldRuleRemove", "QueueHoldSet")] == []
        (ended,) = await rt.store.holds.list()
        assert (ended.mox, ended.released, ended.lifted_by) == ("b", 1, "holds")
        log = await rt.store.suppressions.audit_log("shop")
        assert log[0]["detail"] == (
            "lifted hold on blocked.example (hold rule 1 of mox b), released 1 messages"
        )
    finally:
        await server.close()


@pytest.mark.openapi_responses
async def test_healthz_and_the_overview_show_each_servers_state_as_the_worker_saw_it(
    tmp_path: Path, two_fakes: tuple[FakeMox, FakeMox]
) -> None:
    a, b = two_fakes
    # b answers HTTP but refuses moxhooks' logins: only the worker's calls tell.
    for account, login in (("shop", "mox@localhost"), ("solo", "solo@localhost")):
        b.accounts[account]["logins"][login] = "changed-in-b"
    async with running(_fakes_config(tmp_path, a, b)) as (server, rt):

        async def b_refused() -> bool:
            return rt.worker_state.mox.get("b", (None, ""))[0] is False

        await wait_for(b_refused, 10.0, "the worker's report of b")
        assert rt.worker_state.mox["a"] == (True, "")
        # unsafe: keep the session cookie of an IP address (127.0.0.1).
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            async with http.get(str(server.make_url("/healthz"))) as resp:
                assert resp.status == 503
                checks = (await resp.json())["checks"]
            assert checks["mox"] == {"ok": True, "url": a.url, "error": ""}
            assert checks["mox_servers"]["a"] == {"ok": True, "url": a.url, "error": ""}
            in_b = checks["mox_servers"]["b"]
            assert in_b["ok"] is False and in_b["url"] == b.url
            assert in_b["error"] == rt.worker_state.mox["b"][1] != ""

            base = str(server.make_url("/api/v1/admin"))
            login = await http.post(f"{base}/login", json={"password": "moxadmin"})
            assert login.status == 200
            h = {"X-CSRF-Token": (await login.json())["csrf"]}
            async with http.get(f"{base}/accounts", headers=h) as resp:
                body = await resp.json()
            assert (body["mox_reachable"], body["mox_error"]) == (True, "")
            assert body["mox_servers"] == [
                {"name": "a", "url": a.url, "ok": True, "error": ""},
                {"name": "b", "url": b.url, "ok": False, "error": in_b["error"]},
            ]

            # b takes the logins again: the next reconcile says so, and both are ok.
            for account, login_name in (("shop", "mox@localhost"), ("solo", "solo@localhost")):
                b.accounts[account]["logins"][login_name] = "moxmoxmox"

            async def b_ok() -> bool:
                return rt.worker_state.mox.get("b") == (True, "")

            await wait_for(b_ok, 10.0, "b ok again in the worker's report")
            async with http.get(str(server.make_url("/healthz"))) as resp:
                assert resp.status == 200
                assert (await resp.json())["checks"]["mox_servers"]["b"]["ok"] is True


async def test_a_hold_of_a_server_no_longer_configured_stays_and_says_why(
    tmp_path: Path,
) -> None:
    store = await Store.open(str(tmp_path / "moxhooks.db"))
    try:
        hold = await store.holds.add("gone", "shop", "held.example", 3, "r", 2, timedelta(0), "t")
        holds = AutoHolds(store, {"": None}, HoldSettings())
        assert await holds.lift_due() == 0
        (kept,) = await store.holds.list(active_only=True)
        assert kept.id == hold.id
        assert kept.last_error == (
            "no admin API for mox gone: is it configured, with mox.admin_password?"
        )
    finally:
        await store.close()
