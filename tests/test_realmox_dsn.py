"""DSNs with a real mox: a message is delivered, then the remote MTA bounces it later with
a DSN (RFC 3464) sent back to mox by SMTP. mox matches the DSN to the message by the
FromID in its envelope sender (FromIDLoginAddresses on for the login) and posts a
webhook with "DSN": true, with the DSN's codes but without its words. A hard bounce is
suppressed; a burst of authentication (DMARC) bounces is undone in mox and holds the
recipient domain in mox's queue."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from realmox import LOGIN, RealMox, account, admin
from realstack import Stack, running_stack, wait_until

pytestmark = pytest.mark.asyncio(loop_scope="module")

SPAMHAUS = "550 5.7.1 Service unavailable; client host [127.0.0.1] blocked using zen.spamhaus.org"
# Gmail's answer to mail that fails DMARC: the sender's authentication, not the recipient.
DMARC = (
    "550 5.7.26 Unauthenticated email from localhost is not accepted due to domain's"
    " DMARC policy"
)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def stack(realmox: RealMox, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    # Without a FromID in the envelope sender mox cannot match a DSN to what it sent.
    account(realmox).call("FromIDLoginAddressesSave", [LOGIN])
    async with running_stack(
        realmox, tmp_path_factory.mktemp("moxhooks"), holds={"threshold": 3}
    ) as s:
        yield s


async def delivered_then_bounced(
    stack: Stack, to: str, status: str, diagnostic: str
) -> dict[str, Any]:
    sub = stack.mox.submit(to, subject=f"to {to}")
    qid = int(sub["QueueMsgID"])
    assert sub["FromID"], "mox gave the message no FromID"
    await stack.processed(qid, "delivered")
    stack.mox.deliver_dsn(sub["FromID"], to, status, diagnostic)
    return await stack.processed(qid, "failed")


async def test_hard_bounce_by_dsn_is_suppressed(stack: Stack) -> None:
    row = await delivered_then_bounced(
        stack, "Late.Bounce@example.org", "5.1.1",
        "550 5.1.1 <Late.Bounce@example.org>: Recipient address rejected: User unknown",
    )
    payload = json.loads(row["payload"])
    assert (payload["DSN"], payload["Suppressing"], payload["SMTPCode"]) == (True, True, 550)
    assert payload["SMTPEnhancedCode"] == "5.1.1"
    assert (row["recipient"], row["kind"], row["decision"]) == (
        "Late.Bounce@example.org", "mailbox_unknown", "suppress"
    )
    entries = await stack.active_bases()
    assert entries["latebounce@example.org"]["source"] == "webhook"

    async def synced() -> bool:
        e = (await stack.active_bases()).get("latebounce@example.org")
        return e is not None and e["mox_state"] == "synced"

    await wait_until(synced, 10, "the entry synced")
    assert "latebounce@example.org" in stack.mox.suppression_bases()


async def test_dsn_reaches_moxhooks_without_the_remote_words(stack: Stack, realmox: RealMox) -> None:
    """mox passes a DSN's codes on but not its Diagnostic-Code text (Error is empty).

    A blocklist bounce "550 5.7.1 ... blocked using zen.spamhaus.org" therefore arrives as
    a bare 550 5.7.1. RFC 3463's 5.7.1 says the sender is not authorized to send there:
    `sender_blocked`, so the entry mox made for it is false and is removed from mox again.
    """
    row = await delivered_then_bounced(stack, "Listed.Sender@example.org", "5.7.1", SPAMHAUS)
    payload = json.loads(row["payload"])
    assert (payload["Error"], payload["SMTPCode"], payload["SMTPEnhancedCode"]) == (
        "", 550, "5.7.1"
    )
    assert payload["Suppressing"] is True  # mox listed the address
    assert (row["kind"], row["decision"]) == ("sender_blocked", "unsuppress_mox")

    async def undone() -> bool:
        return "listedsender@example.org" not in realmox.suppression_bases()

    await wait_until(undone, 10, "mox's false entry removed")
    assert "listedsender@example.org" not in await stack.active_bases()


async def test_authentication_bounces_are_undone_in_mox_and_hold_the_domain(
    stack: Stack, realmox: RealMox
) -> None:
    rows = [
        await delivered_then_bounced(stack, f"reader{i}@blocked.example", "5.7.26", DMARC)
        for i in range(3)
    ]
    for row in rows:
        assert json.loads(row["payload"])["Suppressing"] is True  # mox listed each one
        assert (row["kind"], row["decision"]) == ("sender_blocked", "unsuppress_mox")

    async def undone() -> bool:
        return not any(b.endswith("@blocked.example") for b in realmox.suppression_bases())

    await wait_until(undone, 10, "mox's false entries removed")
    assert not any(b.endswith("@blocked.example") for b in await stack.active_bases())

    async def held() -> bool:
        rules = admin(realmox).call("QueueHoldRuleList") or []
        return any(r["RecipientDomainStr"] == "blocked.example" for r in rules)

    await wait_until(held, 10, "the automatic hold rule in mox")
    (rule,) = [r for r in admin(realmox).call("QueueHoldRuleList")
               if r["RecipientDomainStr"] == "blocked.example"]
    # The recipient domain only (mox would hold all of the account's mail otherwise).
    assert (rule["Account"], rule["SenderDomainStr"]) == ("", "")
    hold = await stack.runtime.store.holds.active("", "mox", "blocked.example")
    assert hold is not None and hold.rule_id == rule["ID"]

    # The next message to that domain waits in mox's queue.
    qid = realmox.send("reader9@blocked.example")
    (msg,) = admin(realmox).call(
        "QueueList",
        {"Max": 1, "IDs": [qid], "Account": "", "From": "", "To": "", "Hold": None,
         "Submitted": "", "NextAttempt": "", "Transport": None},
        {"Field": "Queued", "LastID": 0, "Last": None, "Asc": True},
    )
    assert msg["Hold"] is True
    # Mail to other domains goes on.
    other = realmox.send("reader10@example.com")
    await stack.processed(other, "delivered")


async def test_third_failure_in_a_row_is_listed_by_mox_and_here(stack: Stack) -> None:
    """554 is not one of mox's immediate codes; mox lists the address at the third failed
    message in a row. moxhooks alone would suppress it for 7 days; it follows mox."""
    rows = []
    for i in range(3):
        qid = stack.mox.send("Three.Times554@example.org", subject=f"try {i}")
        rows.append(await stack.processed(qid, "failed"))
    suppressing = [json.loads(r["payload"])["Suppressing"] for r in rows]
    assert suppressing == [False, False, True]
    assert [(r["kind"], r["decision"]) for r in rows] == [
        ("undetermined", "record"), ("undetermined", "record"), ("undetermined", "follow_mox")
    ]
    assert "3 soft failures in 14 days; suppressed for 7 days" in rows[2]["detail"]
    entry = (await stack.active_bases())["threetimes554@example.org"]
    assert (entry["source"], entry["expires"], entry["mox_state"]) == ("mox", None, "synced")


async def test_a_send_mox_refuses_brings_its_entry_over_at_once(stack: Stack) -> None:
    """An entry only mox has (added there by hand): the first send mox refuses for it
    ("suppressed") makes moxhooks reconcile now, not at the next interval (an hour here)."""
    stack.mox.webapi("SuppressionAdd", {"EmailAddress": "Only.In.Mox@example.org",
                                        "Manual": True, "Reason": "asked by phone"})
    assert "onlyinmox@example.org" not in await stack.active_bases()
    qid = stack.mox.send("only.in.mox+news@example.org")
    row = await stack.processed(qid, "suppressed")
    assert (row["recipient"], row["decision"]) == ("only.in.mox+news@example.org", "none")

    async def adopted() -> bool:
        return "onlyinmox@example.org" in await stack.active_bases()

    await wait_until(adopted, 10, "the entry adopted from mox")
    entry = (await stack.active_bases())["onlyinmox@example.org"]
    assert (entry["source"], entry["kind"], entry["reason"]) == ("mox", "manual", "asked by phone")


async def test_lists_agree_at_the_end(stack: Stack) -> None:
    async def agree() -> bool:
        return set(await stack.active_bases()) == set(stack.mox.suppression_bases())

    await wait_until(agree, 10, "moxhooks' list to equal mox's")
    assert set(stack.mox.suppression_bases()) == {
        "latebounce@example.org", "threetimes554@example.org", "onlyinmox@example.org",
    }
