"""End to end over HTTP: mox's webhook in, recipient resolved through the fake admin API,
classified, suppressed, and present in the fake mox."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import aiohttp
import msgspec
import pytest
from conftest import SECRET, Moxhooks, moved, wait_for
from moxsender import outgoing_event
from openapi_check import Checked

from moxhooks.jobs.sync import SyncWorker

# As `moxhooks serve` runs: the event worker in a process of its own.
pytestmark = [pytest.mark.worker_process, pytest.mark.openapi_responses]

Start = Callable[..., Awaitable[Moxhooks]]


def mox_bases(mh: Moxhooks) -> set[str]:
    return {s["BaseAddress"] for s in mh.fakemox.suppressions("mox")}


async def entry(mh: Moxhooks, base: str) -> dict[str, Any] | None:
    e = await mh.runtime.store.suppressions.active("mox", base)
    return msgspec.to_builtins(e) if e else None


async def event_row(mh: Moxhooks, webhook_id: int) -> dict[str, Any]:
    await moved(mh.runtime)
    row = await mh.runtime.store.db.fetchone(
        "SELECT * FROM events WHERE account = 'mox' AND webhook_id = ?", (webhook_id,)
    )
    assert row is not None
    return dict(row)


async def processed(mh: Moxhooks, webhook_id: int) -> dict[str, Any]:
    async def done() -> bool:
        row = await mh.runtime.store.db.fetchone(
            "SELECT status FROM events WHERE account = 'mox' AND webhook_id = ?", (webhook_id,)
        )
        return row is not None and row[0] == "done"

    await wait_for(done, what=f"event {webhook_id} processed")
    return await event_row(mh, webhook_id)


async def test_hard_bounce_is_suppressed_here_and_in_mox(start_moxhooks: Start) -> None:
    mh = await start_moxhooks()
    msg = mh.fakemox.add_retired(
        recipient="User.550+news@Example.org",
        code=550,
        secode="5.1.1",
        error="550 5.1.1 <user.550@example.org>: Recipient address rejected: User unknown",
    )
    ev = outgoing_event("failed", queue_msg_id=msg["ID"], code=550, secode="5.1.1",
                        error="550 5.1.1 Recipient address rejected: User unknown in virtual"
                        " mailbox table", suppressing=True)
    attempts = await mh.sender.deliver(ev, hook_id=101)
    assert [a.status for a in attempts] == [200]

    row = await processed(mh, 101)
    assert row["recipient"] == "User.550+news@example.org"
    assert row["kind"] == "mailbox_unknown"
    assert row["decision"] == "suppress"

    await wait_for(lambda: _true(mox_bases(mh) == {"user550@example.org"}), what="mox entry")
    async def synced() -> bool:
        e = await entry(mh, "user550@example.org")
        return e is not None and e["mox_state"] == "synced"

    await wait_for(synced, what="entry synced")
    e = await entry(mh, "user550@example.org")
    assert e is not None
    assert (e["kind"], e["source"], e["scope"], e["expires"]) == (
        "mailbox_unknown", "webhook", "", None
    )
    assert e["original_address"] == "User.550+news@example.org"
    # mox had it already (Suppressing: true): "not unique" counts as done, one add call.
    adds = [c for c in mh.fakemox.calls if c[1] == "SuppressionAdd"]
    assert len(adds) == 1


async def _true(v: bool) -> bool:
    return v


async def test_queued_message_resolved_after_delay(start_moxhooks: Start) -> None:
    mh = await start_moxhooks()
    msg = mh.fakemox.add_queued(recipient="slow@example.org")
    ev = outgoing_event("delayed", queue_msg_id=msg["ID"], code=451, secode="4.3.0",
                        error="451 4.3.0 Temporary lookup failure")
    await mh.sender.deliver(ev, hook_id=7)
    row = await processed(mh, 7)
    assert row["recipient"] == "slow@example.org"
    assert row["kind"] == "transient"
    assert row["decision"] == "record"
    assert mox_bases(mh) == set()


async def test_false_mox_suppression_is_undone(start_moxhooks: Start) -> None:
    mh = await start_moxhooks()
    msg = mh.fakemox.add_retired(recipient="fine@example.com", code=554, secode="5.7.1")
    # mox added the recipient to its list on this 5.7.1: the reply blames the sender's IP.
    mh.fakemox.add_suppression("mox", "fine@example.com", manual=False, reason="5.7.1")
    ev = outgoing_event(
        "failed", queue_msg_id=msg["ID"], code=554, secode="5.7.1", suppressing=True,
        error="554 5.7.1 Service unavailable; Client host [127.0.0.1] blocked using"
        " zen.spamhaus.org; https://www.spamhaus.org/query/ip/127.0.0.1",
    )
    await mh.sender.deliver(ev, hook_id=9)
    row = await processed(mh, 9)
    assert row["kind"] == "sender_blocked"
    assert row["decision"] == "unsuppress_mox"
    await wait_for(lambda: _true(mox_bases(mh) == set()), what="mox entry removed")
    assert await entry(mh, "fine@example.com") is None
    audit = await mh.runtime.store.suppressions.audit_log("mox")
    assert any(a["action"] == "mox_false_removed" and "fine@example.com" in a["detail"]
               for a in audit)


@pytest.mark.one_process  # moves the test clock, which only an in-process worker reads
async def test_soft_failures_reach_threshold_then_expire(start_moxhooks: Start) -> None:
    mh = await start_moxhooks()
    reply = "452 4.2.2 The email account that you tried to reach is over quota."
    for i in range(3):
        msg = mh.fakemox.add_retired(recipient="full@example.org", code=452, secode="4.2.2")
        ev = outgoing_event("failed", queue_msg_id=msg["ID"], code=452, secode="4.2.2",
                            error=reply)
        await mh.sender.deliver(ev, hook_id=200 + i)
        row = await processed(mh, 200 + i)
        assert row["kind"] == "mailbox_full"
        assert row["decision"] == ("suppress" if i == 2 else "record"), i
    e = await entry(mh, "full@example.org")
    assert e is not None and e["expires"] is not None
    await wait_for(lambda: _true("full@example.org" in mox_bases(mh)), what="mox entry")

    # Past the expiry, the entry ends here and is removed from mox.
    mh.clock.advance(timedelta(days=7, minutes=1))
    mh.runtime.wake_sync()
    await wait_for(lambda: _true(mox_bases(mh) == set()), what="expired entry removed from mox")
    assert await entry(mh, "full@example.org") is None
    ended = await mh.runtime.store.suppressions.list("mox", active=False)
    assert [(x.end_reason, x.mox_state) for x in ended] == [("expired", "removed")]


async def test_soft_expiry_doubles_on_repeat(start_moxhooks: Start) -> None:
    mh = await start_moxhooks(policy={"soft_threshold": 1})
    expiries = []
    for i in range(2):
        msg = mh.fakemox.add_retired(recipient="again@example.org", code=452, secode="4.2.2")
        ev = outgoing_event("failed", queue_msg_id=msg["ID"], code=452, secode="4.2.2",
                            error="452 4.2.2 Mailbox full")
        await mh.sender.deliver(ev, hook_id=300 + i)
        await processed(mh, 300 + i)
        e = await mh.runtime.store.suppressions.active("mox", "again@example.org")
        assert e is not None and e.expires is not None
        expiries.append((e.created, e.expires))
        mh.clock.advance(timedelta(days=8))
        await mh.runtime.store.suppressions.expire_due()
    from moxhooks.store import parse_iso

    lengths = [round((parse_iso(x) - parse_iso(c)).total_seconds()) for c, x in expiries]
    assert lengths == [7 * 86400, 14 * 86400]


async def test_reconcile_adopts_and_detects_removal(start_moxhooks: Start) -> None:
    mh = await start_moxhooks()
    # A reconcile pass from beside the running worker, as `moxhooks sync` runs one.
    sync = SyncWorker(mh.runtime.config, mh.runtime.store, mh.runtime.mox)
    mh.fakemox.add_suppression("mox", "Only.In+Mox@example.org", manual=True, reason="by hand")
    reports = await sync.reconcile_all()
    assert (reports[0].adopted, reports[0].ended) == (1, 0)
    state = (await mh.runtime.store.outbox.sync_states())["mox"]
    assert state.last_reconcile is not None and state.last_error == ""
    e = await entry(mh, "onlyin@example.org")
    assert e is not None
    assert (e["source"], e["kind"], e["mox_state"]) == ("mox", "manual", "synced")

    # A person removes it in mox: it ends here too and is not added back.
    assert mh.fakemox.remove_suppression("mox", "onlyin@example.org")
    reports = await sync.reconcile_all()
    assert (reports[0].adopted, reports[0].ended) == (0, 1)
    assert await entry(mh, "onlyin@example.org") is None
    await sync.push_due()
    assert mox_bases(mh) == set()
    adds = [c for c in mh.fakemox.calls if c[1] == "SuppressionAdd"]
    assert adds == []


async def test_replayed_webhook_changes_nothing(start_moxhooks: Start) -> None:
    mh = await start_moxhooks()
    msg = mh.fakemox.add_retired(recipient="twice@example.org")
    ev = outgoing_event("failed", queue_msg_id=msg["ID"])
    first = await mh.sender.post(ev, hook_id=55, attempt=1)
    await processed(mh, 55)
    again = await mh.sender.post(ev, hook_id=55, attempt=2)
    assert (first.status, again.status) == (200, 200)
    rows = await mh.runtime.store.db.fetchall("SELECT attempt FROM events WHERE webhook_id = 55")
    assert [r[0] for r in rows] == [1]
    n = await mh.runtime.store.db.fetchone("SELECT COUNT(*) FROM suppressions")
    assert n is not None and n[0] == 1


async def test_older_event_after_newer_is_superseded(start_moxhooks: Start) -> None:
    mh = await start_moxhooks(policy={"soft_threshold": 1})
    msg = mh.fakemox.add_retired(recipient="order@example.org", success=True, code=250,
                                 secode="")
    await mh.sender.deliver(outgoing_event("delivered", queue_msg_id=msg["ID"]), hook_id=61)
    await processed(mh, 61)
    # The delayed event (webhook 60) was queued earlier but arrives later.
    late = outgoing_event("delayed", queue_msg_id=msg["ID"], code=452, secode="4.2.2",
                          error="452 4.2.2 Mailbox full")
    await mh.sender.deliver(late, hook_id=60)
    row = await processed(mh, 60)
    assert row["decision"] == "none"
    assert row["detail"] == "superseded by a newer event"
    assert await entry(mh, "order@example.org") is None


async def test_unresolved_event_waits_then_resolves(
    start_moxhooks: Start, openapi_checked: Checked
) -> None:
    mh = await start_moxhooks()
    ev = outgoing_event("failed", queue_msg_id=4242, code=550, secode="5.1.1")
    await mh.sender.deliver(ev, hook_id=70)

    async def unresolved() -> bool:
        return (await event_row(mh, 70))["status"] == "unresolved"

    await wait_for(unresolved, what="event unresolved")
    async with aiohttp.ClientSession() as s, s.get(mh.url + "healthz") as resp:
        health = await resp.json()
    assert health["checks"]["events"]["unresolved"] == 1
    # Both answers were checked against the OpenAPI document (the module's marker).
    assert ("POST", "/hooks/outgoing/mox", 200) in openapi_checked.validated
    assert ("GET", "/healthz", resp.status) in openapi_checked.validated
    # mox learns about the message (e.g. retired messages are now kept): resolved on retry.
    mh.fakemox.add_retired(id=4242, recipient="later@example.org")
    assert mh.runtime.worker is not None
    mh.runtime.worker.wake()
    row = await processed(mh, 70)
    assert row["recipient"] == "later@example.org"
    await wait_for(lambda: _true("later@example.org" in mox_bases(mh)), what="mox entry")


async def test_recipient_from_extra(start_moxhooks: Start) -> None:
    mh = await start_moxhooks()
    ev = outgoing_event("failed", queue_msg_id=9999, extra={"recipient": "Extra@Example.org"})
    await mh.sender.deliver(ev, hook_id=80)
    row = await processed(mh, 80)
    assert row["recipient"] == "Extra@example.org"
    assert row["decision"] == "suppress"


async def test_message_of_another_account_is_not_taken(start_moxhooks: Start) -> None:
    mh = await start_moxhooks()
    msg = mh.fakemox.add_retired(recipient="theirs@example.org")
    msg["SenderAccount"] = "other"  # sent by another mox account
    mh.fakemox.retired[msg["ID"]]["SenderAccount"] = "other"
    await mh.sender.deliver(outgoing_event("failed", queue_msg_id=msg["ID"]), hook_id=90)

    async def unresolved() -> bool:
        return (await event_row(mh, 90))["status"] == "unresolved"

    await wait_for(unresolved, what="event left unresolved")
    assert (await event_row(mh, 90))["recipient"] is None


async def test_domain_unknown_needs_dns_confirmation(start_moxhooks: Start) -> None:
    mh = await start_moxhooks()
    gone = mh.fakemox.add_retired(recipient="a@nxdomain.example", code=550, secode="5.1.2")
    alive = mh.fakemox.add_retired(recipient="b@example.org", code=550, secode="5.1.2")
    for hook, msg in ((110, gone), (111, alive)):
        ev = outgoing_event("failed", queue_msg_id=msg["ID"], code=550, secode="5.1.2",
                            error="550 5.1.2 Host or domain name not found")
        await mh.sender.deliver(ev, hook_id=hook)
    gone_row, alive_row = await processed(mh, 110), await processed(mh, 111)
    assert (gone_row["kind"], gone_row["decision"]) == ("domain_unknown", "suppress")
    assert alive_row["kind"] == "domain_unknown"
    assert alive_row["decision"] == "record"


async def test_wrong_secret_stores_nothing(start_moxhooks: Start) -> None:
    mh = await start_moxhooks()
    body = outgoing_event("failed", queue_msg_id=1)
    async with aiohttp.ClientSession() as s:
        for auth in ("Bearer wrong", "", f"Basic {SECRET}"):
            headers = {**mh.sender.headers(5, 1), "Authorization": auth}
            async with s.post(mh.hook_url(), json=body, headers=headers) as resp:
                assert resp.status == 401
                assert await resp.json() == {
                    "code": "noAuth",
                    "message": "missing or wrong webhook secret",
                }
    n = await mh.runtime.store.db.fetchone("SELECT COUNT(*) FROM events")
    assert n is not None and n[0] == 0


async def test_metrics_count_events_and_entries(start_moxhooks: Start) -> None:
    mh = await start_moxhooks()
    msg = mh.fakemox.add_retired(recipient="m@example.org")
    await mh.sender.deliver(outgoing_event("failed", queue_msg_id=msg["ID"]), hook_id=1)
    await processed(mh, 1)
    async with aiohttp.ClientSession() as s, s.get(mh.url + "metrics") as resp:
        assert resp.status == 200
        text = await resp.text()
    assert (
        'moxhooks_events_processed_total{account="mox",decision="suppress",'
        'event="failed",kind="mailbox_unknown"} 1.0'
    ) in text
    assert 'moxhooks_suppressions{account="mox",kind="mailbox_unknown"} 1.0' in text
    assert 'moxhooks_webhooks_received_total{account="mox",status="200"} 1.0' in text
    assert "moxhooks_request_duration_seconds_bucket" in text


async def test_hard_failure_makes_soft_entry_permanent(start_moxhooks: Start) -> None:
    mh = await start_moxhooks(policy={"soft_threshold": 1})
    msg = mh.fakemox.add_retired(recipient="gone@example.org", code=452, secode="4.2.2")
    full = outgoing_event("failed", queue_msg_id=msg["ID"], code=452, secode="4.2.2",
                          error="452 4.2.2 Mailbox full")
    await mh.sender.deliver(full, hook_id=400)
    await processed(mh, 400)
    e = await entry(mh, "gone@example.org")
    assert e is not None and e["expires"] is not None and e["kind"] == "mailbox_full"

    msg = mh.fakemox.add_retired(recipient="gone@example.org", code=550, secode="5.1.1")
    await mh.sender.deliver(outgoing_event("failed", queue_msg_id=msg["ID"]), hook_id=401)
    row = await processed(mh, 401)
    assert row["decision"] == "already_suppressed"
    e = await entry(mh, "gone@example.org")
    assert e is not None and e["expires"] is None and e["kind"] == "mailbox_unknown"
    history = await mh.runtime.store.suppressions.history(e["id"])
    assert [h["action"] for h in history] == ["added", "changed"]
