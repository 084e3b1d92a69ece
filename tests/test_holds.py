"""Automatic holds, end to end: webhooks in, hold rules in the fake mox, lifted after the
cool-down (with a clock the test moves), shown and audited through the API.

The worker (which holds) runs in a process of its own, as under `moxhooks serve`; tests
that move the test clock run it in-process (one_process). Each test runs on SQLite and,
where the tests have a PostgreSQL (as test_store_backends.py), on a PostgreSQL database
of its own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from conftest import SECRET, Clock, wait_for, worker_mode, worker_runtime
from fakemox import FakeMox
from moxsender import MoxSender, outgoing_event

from moxhooks.jobs.holds import AutoHolds, HoldSettings
from moxhooks.mail.dnscheck import DomainChecker
from moxhooks.mox.client import MoxClient
from moxhooks.web.app import create_app
from moxhooks.web.keys import RUNTIME_KEY

pytestmark = [pytest.mark.worker_process, pytest.mark.openapi_responses]

Client = TestClient[web.Request, web.Application]
BLOCKED = (
    "delivering message to 192.0.2.1:25: remote smtp server sent unexpected response status"
    " code: got 554, expected 2xx, permanent: 554 5.7.1 Service unavailable; Client host"
    " [198.51.100.7] blocked using zen.spamhaus.org"
)
SLOW_DOWN = (
    "delivering message to 192.0.2.1:25: remote smtp server sent unexpected response status"
    " code: got 421, expected 2xx, transient: 421 4.7.0 Try again later, closing connection"
)
SETTINGS = HoldSettings(
    threshold=3,
    window=timedelta(minutes=10),
    cooldown=timedelta(hours=1),
    check_interval=0.05,
)


@pytest.fixture
def settings() -> HoldSettings:
    return SETTINGS


@pytest.fixture
async def client(
    make_config: Any, clock: Clock, aiohttp_client: Any, settings: HoldSettings,
    request: pytest.FixtureRequest, database: dict[str, str],
) -> AsyncIterator[Client]:
    # The worker in its own process reads [holds] (window and cool-down as in settings).
    cfg = make_config(holds={"enabled": settings.enabled, "threshold": settings.threshold},
                      database=database)  # fmt: skip
    async with MoxClient(cfg.default_mox.url, timeout=2) as mc:
        dns = DomainChecker(nameservers=cfg.dns.nameservers, port=cfg.dns.port, timeout=0.5)
        worker = worker_mode(request, dns, clock, holds=settings)
        app = create_app(cfg, mox=mc, clock=clock, worker=worker)
        c: Client = await aiohttp_client(app)
        assert type(app[RUNTIME_KEY].store.db).__name__ == (
            "PgDatabase" if database else "SqliteDatabase"
        )
        yield c
        await c.close()


class Failures:
    """Posts failure webhooks for recipients the fake mox knows."""

    def __init__(self, client: Client, fakemox: FakeMox) -> None:
        self.client = client
        self.fakemox = fakemox

    async def send(self, *recipients: str, kind: str = "blocked") -> None:
        async with MoxSender(
            str(self.client.make_url("/hooks/outgoing/mox")), authorization=f"Bearer {SECRET}"
        ) as sender:
            for rcpt in recipients:
                if kind == "blocked":
                    qid = self.fakemox.add_retired(None, "mox", rcpt, 554, "5.7.1", BLOCKED)["ID"]
                    ev = outgoing_event(
                        "failed", queue_msg_id=qid, code=554, secode="5.7.1", error=BLOCKED
                    )
                else:
                    qid = self.fakemox.add_queued(None, "mox", rcpt)["ID"]
                    ev = outgoing_event(
                        "delayed", queue_msg_id=qid, code=421, secode="4.7.0", error=SLOW_DOWN
                    )
                assert (await sender.deliver(ev))[-1].ok
            # Observers (the automatic holds) run after their event's commit and before the
            # next event's: once one more event is processed, theirs have run.
            last = self.fakemox.add_retired(None, "mox", "last@other.example", success=True,
                                            code=250, secode="")["ID"]
            assert (await sender.deliver(outgoing_event("delivered", queue_msg_id=last)))[-1].ok
        rt = self.client.app[RUNTIME_KEY]

        async def processed() -> bool:
            done = await rt.store.events.list("mox", status="done", limit=10)
            return any(e.queue_msg_id == last for e in done)

        await wait_for(processed, what="events processed")


async def admin(client: Client) -> dict[str, str]:
    resp = await client.post("/api/v1/admin/login", json={"password": "moxadmin"})
    assert resp.status == 200
    return {"X-CSRF-Token": (await resp.json())["csrf"]}


async def get(client: Client, path: str, headers: dict[str, str]) -> Any:
    resp = await client.get(path, headers=headers)
    assert resp.status == 200, await resp.text()
    return await resp.json()


def holds_of(client: Client) -> AutoHolds:
    """The automatic holds of the worker running in the test's process."""
    return worker_runtime(client.app[RUNTIME_KEY]).holds


@pytest.mark.one_process  # moves the test clock, which only an in-process worker reads
async def test_hold_added_shown_and_lifted_after_cooldown(
    client: Client, fakemox: FakeMox, clock: Clock
) -> None:
    f = Failures(client, fakemox)
    await f.send("a@blocked.example", "b@blocked.example", "c@other.example")
    assert fakemox.hold_rules == {}
    await f.send("C.X+1@Blocked.example")

    async def held() -> bool:
        return len(fakemox.hold_rules) == 1

    await wait_for(held, what="a hold rule in mox")
    (rule,) = fakemox.hold_rules.values()
    # The recipient domain only: mox holds a message when any field of a rule matches,
    # so naming the account too would hold all of its mail.
    assert (rule["Account"], rule["SenderDomainStr"], rule["RecipientDomainStr"]) == (
        "",
        "",
        "blocked.example",
    )
    # No entry was made for the recipients: the fault is ours.
    h = await admin(client)
    assert (await get(client, "/api/v1/accounts/mox/suppressions", h))["entries"] == []

    listed = await get(client, "/api/v1/admin/holdrules", h)
    (shown,) = listed["rules"]
    assert shown["id"] == rule["ID"]
    assert shown["auto"]["recipients"] == 3
    assert "blocked.example" in shown["auto"]["reason"]
    assert shown["auto"]["active"] is True
    audit = (await get(client, "/api/v1/admin/audit", h))["entries"]
    assert [(e["action"], e["account"], e["actor"]) for e in audit] == [
        ("auto_hold", "mox", "holds")
    ]
    overview = await get(client, "/api/v1/admin/accounts", h)
    assert overview["accounts"][0]["auto_holds"] == 1

    # New mail to the domain is held by mox; other mail is not.
    waiting = fakemox.add_queued(recipient="new@blocked.example")
    free = fakemox.add_queued(recipient="new@other.example")
    assert fakemox.queue[waiting["ID"]]["Hold"] is True
    assert fakemox.queue[free["ID"]]["Hold"] is False

    # More failures while held do not add a second rule.
    await f.send("d@blocked.example", "e@blocked.example", "f@blocked.example")
    assert len(fakemox.hold_rules) == 1

    clock.advance(timedelta(minutes=59))
    holds = holds_of(client)
    assert await holds.lift_due() == 0
    clock.advance(timedelta(minutes=2))

    async def lifted() -> bool:
        return fakemox.hold_rules == {} and fakemox.queue[waiting["ID"]]["Hold"] is False

    await wait_for(lifted, what="the hold lifted by the background task")
    audit = (await get(client, "/api/v1/admin/audit", h))["entries"]
    assert audit[0]["action"] == "auto_hold_lifted"
    assert "released 1 messages" in audit[0]["detail"]
    listed = await get(client, "/api/v1/admin/holdrules", h)
    assert listed["rules"] == []
    assert listed["auto_holds"][0]["active"] is False
    assert listed["auto_holds"][0]["released"] == 1
    assert listed["auto_holds"][0]["lifted_by"] == "holds"


@pytest.mark.one_process  # moves the test clock
async def test_only_distinct_recipients_within_the_window_count(
    client: Client, fakemox: FakeMox, clock: Clock
) -> None:
    f = Failures(client, fakemox)
    await f.send("a@slow.example", "a+again@slow.example")  # one base address
    await f.send("b@slow.example", kind="rate_limited")
    assert fakemox.hold_rules == {}  # two distinct recipients
    clock.advance(timedelta(minutes=11))
    await f.send("c@slow.example")
    assert fakemox.hold_rules == {}  # a and b are out of the window
    await f.send("d@slow.example")
    await f.send("e@slow.example", kind="rate_limited")
    assert [r["RecipientDomainStr"] for r in fakemox.hold_rules.values()] == ["slow.example"]


async def test_admin_removing_an_automatic_rule_ends_the_hold(
    client: Client, fakemox: FakeMox
) -> None:
    f = Failures(client, fakemox)
    await f.send("a@blocked.example", "b@blocked.example", "c@blocked.example")
    (rule_id,) = fakemox.hold_rules
    h = await admin(client)
    resp = await client.delete(f"/api/v1/admin/holdrules/{rule_id}", headers=h)
    assert resp.status == 200
    listed = await get(client, "/api/v1/admin/holdrules", h)
    assert listed["auto_holds"][0]["active"] is False
    assert listed["auto_holds"][0]["lifted_by"] == "web:admin"
    actions = [e["action"] for e in (await get(client, "/api/v1/admin/audit", h))["entries"]]
    assert actions == ["hold_rule_removed", "auto_hold_lifted", "auto_hold"]


@pytest.mark.one_process  # moves the test clock
async def test_lifting_is_retried_while_mox_is_away(
    client: Client, fakemox: FakeMox, clock: Clock
) -> None:
    f = Failures(client, fakemox)
    await f.send("a@blocked.example", "b@blocked.example", "c@blocked.example")
    holds = holds_of(client)
    await fakemox.fail("refuse")
    clock.advance(timedelta(hours=2))
    assert await holds.lift_due() == 0
    (hold,) = await holds.store.list(active_only=True)
    assert hold.last_error
    await fakemox.restore()

    async def lifted() -> bool:
        return await holds.store.list(active_only=True) == []

    await wait_for(lifted, what="the hold lifted once mox is back")
    assert fakemox.hold_rules == {}


@pytest.mark.parametrize("settings", [HoldSettings(enabled=False, threshold=1)])
async def test_disabled(client: Client, fakemox: FakeMox) -> None:
    await Failures(client, fakemox).send("a@blocked.example", "b@blocked.example")
    assert fakemox.hold_rules == {}
