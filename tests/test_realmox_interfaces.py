"""Every mox interface moxhooks uses, exercised against a real mox: setup, the webapi
suppression methods, reconcile, resolution through the admin API (and logging in again
after mox forgot the session), sign-in, and hold rules."""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from realmox import LOGIN, PASSWORD, RealMox, account, admin
from realstack import API_TOKEN, SECRET, Stack, real_config, running_stack, wait_until

from moxhooks.cli.serve import KEEP_RETIRED_DAYS, setup
from moxhooks.jobs.holds import rule_matches
from moxhooks.jobs.sync import SyncWorker
from moxhooks.kinds import Source
from moxhooks.mox.client import MoxClient, recipient_address
from moxhooks.store import NewEntry

NS_PER_DAY = 86400 * 10**9
TOKEN = {"Authorization": f"Bearer {API_TOKEN}"}


@pytest.fixture
async def stack(realmox: RealMox, tmp_path: Path) -> AsyncIterator[Stack]:
    """moxhooks against the module's mox, without taking over its webhook."""
    async with running_stack(realmox, tmp_path, register=False) as s:
        yield s


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    # unsafe: keep cookies set by 127.0.0.1 (aiohttp refuses cookies of IP hosts by default).
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


def clear_mox_list(mox: RealMox) -> None:
    for base in mox.suppression_bases():
        mox.webapi("SuppressionRemove", {"EmailAddress": base})


async def test_setup_registers_the_webhook_and_keeps_retired_messages(
    realmox: RealMox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    acc = account(realmox)
    acc.call("KeepRetiredPeriodsSave", 0, 0)
    cfg = real_config(realmox, tmp_path / "m.db", 8025, 53)
    assert await setup(cfg, argparse.Namespace()) == 0
    conf = acc.call("Account")[0]
    assert conf["OutgoingWebhook"] == {
        "URL": "http://127.0.0.1:8025/hooks/outgoing/mox",
        "Authorization": f"Bearer {SECRET}",
        "Events": [],
    }
    assert conf["KeepRetiredMessagePeriod"] == KEEP_RETIRED_DAYS * NS_PER_DAY
    out = capsys.readouterr().out
    assert "mox now keeps retired messages for 7 days" in out
    # A second run finds retirement kept already and leaves it alone.
    acc.call("KeepRetiredPeriodsSave", 3 * NS_PER_DAY, 0)
    assert await setup(cfg, argparse.Namespace()) == 0
    assert acc.call("Account")[0]["KeepRetiredMessagePeriod"] == 3 * NS_PER_DAY
    assert "keeps retired" not in capsys.readouterr().out


async def test_setup_with_a_wrong_password_says_so(
    realmox: RealMox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = real_config(
        realmox, tmp_path / "m.db", 8025, 53,
        accounts=[{"name": "mox", "login": LOGIN, "password": "wrong", "webhook_secret": "x"}],
    )
    assert await setup(cfg, argparse.Namespace()) == 1
    assert "account mox: mox refused the login mox@localhost" in capsys.readouterr().out


async def test_pushes_adds_and_removes_to_mox(stack: Stack, http: aiohttp.ClientSession) -> None:
    clear_mox_list(stack.mox)
    url = f"{stack.url}/api/v1/accounts/mox/suppressions"
    resp = await http.post(url, json={"address": "Pat.Smith+x@Example.ORG", "reason": "asked"},
                           headers=TOKEN)
    assert resp.status == 201, await resp.text()
    entry = await resp.json()
    assert entry["base_address"] == "patsmith@example.org"

    await stack.until_in_mox("patsmith@example.org")
    listed = stack.mox.webapi("SuppressionList", {})["Suppressions"]
    (sup,) = [s for s in listed if s["BaseAddress"] == "patsmith@example.org"]
    assert sup["OriginalAddress"] == "Pat.Smith+x@example.org"

    # A second add of the same base in mox answers "not unique": moxhooks counts it as done.
    resp = await http.post(url, json={"address": "patsmith@example.org"}, headers=TOKEN)
    assert resp.status == 409

    resp = await http.delete(f"{url}/{entry['id']}", json={"reason": "ok now"}, headers=TOKEN)
    assert resp.status == 200, await resp.text()

    await stack.until_in_mox("patsmith@example.org", present=False)
    e = await stack.runtime.store.suppressions.get("mox", entry["id"])
    assert e is not None and e.mox_state == "removed"


async def test_remove_of_an_entry_already_gone_from_mox_is_done(stack: Stack) -> None:
    """mox answers "absent": the outbox takes it as done, not as an error."""
    clear_mox_list(stack.mox)
    store = stack.runtime.store.suppressions
    e = await store.add(NewEntry("mox", "gone@example.org", "gone@example.org", "manual",
                                 Source.MANUAL, "test", "test"))
    assert e is not None
    await stack.until_in_mox(e.base_address)
    stack.mox.webapi("SuppressionRemove", {"EmailAddress": "gone@example.org"})
    await store.end("mox", e.id, "test", "gone")
    stack.runtime.wake_sync()

    async def removed() -> bool:
        got = await store.get("mox", e.id)
        return got is not None and got.mox_state == "removed"

    await wait_until(removed, 10, "the remove to count as done")


async def test_reconcile_adopts_entries_added_in_mox_and_ends_those_removed_there(
    stack: Stack,
) -> None:
    clear_mox_list(stack.mox)
    stack.mox.webapi("SuppressionAdd", {"EmailAddress": "Added.In+mox@example.org",
                                        "Manual": True, "Reason": "by hand in mox"})
    store = stack.runtime.store.suppressions
    kept = await store.add(NewEntry("mox", "kept@example.org", "kept@example.org", "manual",
                                    Source.MANUAL, "test", "test"))
    assert kept is not None
    await stack.until_in_mox("kept@example.org")
    # Synced, then removed in mox by a person.
    stack.mox.webapi("SuppressionRemove", {"EmailAddress": "kept@example.org"})

    # A reconcile pass from beside the running worker, as `moxhooks sync` runs one.
    sync = SyncWorker(stack.config, stack.runtime.store, stack.runtime.mox)
    report = await sync.reconcile(stack.config.accounts[0])
    assert (report.adopted, report.ended, report.errors) == (1, 1, [])
    bases = await stack.active_bases()
    assert bases["addedin@example.org"]["source"] == "mox"
    assert bases["addedin@example.org"]["original_address"] == "Added.In+mox@example.org"
    assert "kept@example.org" not in bases
    assert set(bases) == set(stack.mox.suppression_bases())
    # Nothing was pushed back to mox.
    assert "kept@example.org" not in stack.mox.suppression_bases()


async def test_resolution_through_retired_and_queue_lists_with_relogin(
    realmox: RealMox, stack: Stack
) -> None:
    adm = stack.runtime.admin
    assert adm is not None
    assert await adm.accounts() == ["mox"]
    assert (await adm.account("mox"))["KeepRetiredMessagePeriod"] > 0
    # One message on hold stays in the queue; one delivered is retired.
    rule = admin(realmox).call("QueueHoldRuleAdd", {"ID": 0, "Account": "", "SenderDomainStr": "",
                                                      "RecipientDomainStr": "held.example"})
    try:
        held = realmox.send("Waiting.Reader@held.example")
        done = realmox.send("Done.Reader@example.org")
        queued = await adm.queue_list([held])
        assert [recipient_address(m) for m in queued] == ["Waiting.Reader@held.example"]

        async def retired() -> bool:
            return bool(await adm.retired_list([done]))

        await wait_until(retired, 10, "the delivered message to retire")
        (msg,) = await adm.retired_list([done])
        assert recipient_address(msg) == "Done.Reader@example.org"
        assert await adm.retired_list([999999]) == []

        # mox keeps admin sessions in memory: after a restart the session is unknown
        # (user:badAuth); the client logs in again and the call succeeds.
        realmox.restart()
        (msg,) = await adm.retired_list([done])
        assert msg["ID"] == done
    finally:
        admin(realmox).call("QueueHoldRuleRemove", rule["ID"])
        admin(realmox).call("QueueDrop", {"Max": 10, "IDs": [held], "Account": "", "From": "",
                                          "To": "", "Hold": None, "Submitted": "",
                                          "NextAttempt": "", "Transport": None})


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/api/v1/login", {"email": LOGIN, "password": PASSWORD}, 200),
        ("/api/v1/login", {"email": LOGIN, "password": "wrong"}, 401),
        ("/api/v1/login", {"email": "nobody@localhost", "password": PASSWORD}, 401),
        ("/api/v1/admin/login", {"password": "moxadmin"}, 200),
        ("/api/v1/admin/login", {"password": "wrong"}, 401),
    ],
)
async def test_sign_in_is_checked_by_mox(
    stack: Stack, http: aiohttp.ClientSession, path: str, body: dict[str, str], status: int
) -> None:
    resp = await http.post(stack.url + path, json=body)
    assert resp.status == status, await resp.text()
    answer = await resp.json()
    if status == 200:
        assert len(answer["csrf"]) >= 32
        who = await http.get(f"{stack.url}/api/v1/session")
        assert who.status == 200
    else:
        assert answer["code"] == "user:loginFailed"


async def admin_session(stack: Stack, http: aiohttp.ClientSession) -> dict[str, str]:
    resp = await http.post(f"{stack.url}/api/v1/admin/login", json={"password": "moxadmin"})
    assert resp.status == 200
    return {"X-CSRF-Token": (await resp.json())["csrf"]}


async def test_hold_rules_add_list_release_remove(
    realmox: RealMox, stack: Stack, http: aiohttp.ClientSession
) -> None:
    h = await admin_session(stack, http)
    rules = f"{stack.url}/api/v1/admin/holdrules"
    # Two fields are refused (mox would OR them), before anything reaches mox.
    resp = await http.post(rules, json={"account": "mox", "recipient_domain": "hold.example"},
                           headers=h)
    assert resp.status == 400
    assert admin(realmox).call("QueueHoldRuleList") == []
    resp = await http.post(rules, json={"recipient_domain": "Hold.Example"}, headers=h)
    assert resp.status == 201, await resp.text()
    rule = await resp.json()
    rule_id = rule["id"]
    assert (rule["account"], rule["recipient_domain"]) == ("", "hold.example")
    in_mox = admin(realmox).call("QueueHoldRuleList")
    assert [(r["ID"], r["Account"], r["RecipientDomainStr"]) for r in in_mox] == [
        (rule_id, "", "hold.example")
    ]
    listed = await (await http.get(rules, headers=h)).json()
    assert [r["id"] for r in listed["rules"]] == [rule_id]

    qid = realmox.send("someone@hold.example")
    (msg,) = admin(realmox).call("QueueList", _queue_filter([qid]), _queue_sort())
    assert msg["Hold"] is True

    resp = await http.post(f"{rules}/{rule_id}/release", headers=h)
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["released"] == 1
    msgs = admin(realmox).call("QueueList", _queue_filter([qid]), _queue_sort()) or []
    assert all(m["Hold"] is False for m in msgs)

    resp = await http.delete(f"{rules}/{rule_id}", headers=h)
    assert resp.status == 200, await resp.text()
    assert admin(realmox).call("QueueHoldRuleList") == []


def _queue_filter(ids: list[int]) -> dict[str, Any]:
    return {"Max": 100, "IDs": ids, "Account": "", "From": "", "To": "", "Hold": None,
            "Submitted": "", "NextAttempt": "", "Transport": None}


def _queue_sort() -> dict[str, Any]:
    return {"Field": "Queued", "LastID": 0, "Last": None, "Asc": True}


async def test_mox_client_answers_for_a_wrong_account_password(realmox: RealMox) -> None:
    async with MoxClient(realmox.url, timeout=5) as mc:
        assert await mc.webapi(LOGIN, PASSWORD).verify_login() is True
        assert await mc.webapi(LOGIN, "wrong").verify_login() is False
        assert await mc.admin("moxadmin").verify_password() is True
        assert await mc.admin("wrong").verify_password() is False


@pytest.mark.parametrize(
    "rule",
    [
        {"Account": "mox", "SenderDomainStr": "", "RecipientDomainStr": ""},
        {"Account": "", "SenderDomainStr": "", "RecipientDomainStr": "a.example"},
        {"Account": "", "SenderDomainStr": "localhost", "RecipientDomainStr": ""},
        {"Account": "", "SenderDomainStr": "other.example", "RecipientDomainStr": ""},
        # Two fields: mox holds mail that matches EITHER (the reason moxhooks refuses them).
        {"Account": "mox", "SenderDomainStr": "", "RecipientDomainStr": "a.example"},
        {"Account": "nobody", "SenderDomainStr": "", "RecipientDomainStr": "a.example"},
        {"Account": "", "SenderDomainStr": "", "RecipientDomainStr": ""},
    ],
)
def test_hold_rule_matching_agrees_with_mox(realmox: RealMox, rule: dict[str, str]) -> None:
    """moxhooks' rule_matches (used to release what a rule held) against mox's own choice."""
    adm = admin(realmox)
    added = adm.call("QueueHoldRuleAdd", {"ID": 0, **rule})
    sent = {realmox.send(f"x@{d}"): d for d in ("a.example", "b.example")}
    try:
        # A message mox did not hold is delivered and leaves the queue; a held one stays.
        held = {
            m["ID"] for m in adm.call("QueueList", _queue_filter(list(sent)), _queue_sort()) or []
            if m["Hold"]
        }
        for qid, domain in sent.items():
            msg = {"SenderAccount": "mox", "SenderDomainStr": "localhost",
                   "RecipientDomainStr": domain}
            assert (qid in held) == rule_matches(added, msg), (rule, domain)
    finally:
        adm.call("QueueHoldRuleRemove", added["ID"])
        adm.call("QueueDrop", _queue_filter(list(sent)))
