"""End to end with a real mox: mail sent through mox's webapi, delivered or refused by
localserve's special localparts, mox's own webhooks into moxhooks, and afterwards
moxhooks' list and mox's SuppressionList agree entry for entry.

All messages are sent at once by a module fixture (one mox, one moxhooks); each case is
then its own test. localserve fails a recipient by its localpart: "...permerror" 550,
"...temperror" 451, three digits 400-599 that code, "...timeout" no answer (mox's client
gives up after 30 s and retries later; the test then fails the message in mox's queue
with the admin API, as an operator gives up on it, so mox reports the failure).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio
from realmox import RealMox, admin
from realstack import Stack, running_stack, wait_until

pytestmark = pytest.mark.asyncio(loop_scope="module")


@dataclass(frozen=True)
class Case:
    address: str
    event: str  # the event that settles the case
    kind: str | None
    decision: str
    listed: str | None  # the base address listed in both moxhooks and mox, or None
    source: str | None = None  # the listed entry's source in moxhooks
    extra: dict[str, str] | None = None


CASES: dict[str, Case] = {
    "delivered": Case("Ok.Reader@example.org", "delivered", None, "none", None),
    # A bare "550 5.0.0" with no words: undetermined; mox lists it, so moxhooks does too.
    "550 permerror": Case(
        "John.Doe+permerror@example.org", "failed", "undetermined", "follow_mox",
        "johndoe@example.org", "mox",
    ),
    "451 temperror": Case("tom.temperror@example.org", "delayed", "transient", "record", None),
    "552": Case("x552@example.org", "failed", "mailbox_full", "record", None),
    "554": Case("x554@example.org", "failed", "undetermined", "record", None),
    "421": Case("x421@example.org", "delayed", "rate_limited", "record", None),
    # 521: the host takes no mail; DNS says the domain exists, so moxhooks alone would count
    # a soft failure, but mox lists the address at once.
    "521": Case("x521@example.org", "failed", "domain_unknown", "follow_mox", "x521@example.org", "mox"),
    "550 with Extra": Case(
        "Extra.Reader-permerror@example.org", "failed", "undetermined", "follow_mox",
        "extrareader@example.org", "mox", {"topic": "news", "campaign": "winter"},
    ),
    "timeout": Case("slow.timeout@example.org", "failed", "expired", "record", None),
}


@dataclass
class Sent:
    stack: Stack
    ids: dict[str, int]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def sent(realmox: RealMox, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Sent]:
    async with running_stack(realmox, tmp_path_factory.mktemp("moxhooks")) as stack:
        ids = {
            name: realmox.send(c.address, subject=f"case {name}", extra=c.extra)
            for name, c in CASES.items()
        }
        # mox's client waits 30 s for an answer that never comes, then reports a delay.
        timeout_id = ids["timeout"]
        delayed = await stack.processed(timeout_id, "delayed", timeout=60)
        assert delayed["kind"] == "transient", delayed
        queue_filter = {
            "Max": 1, "IDs": [timeout_id], "Account": "", "From": "", "To": "", "Hold": None,
            "Submitted": "", "NextAttempt": "", "Transport": None,
        }
        assert admin(realmox).call("QueueFail", queue_filter) == 1
        yield Sent(stack, ids)


@pytest.mark.parametrize("name", list(CASES))
async def test_case(sent: Sent, name: str) -> None:
    case = CASES[name]
    row = await sent.stack.processed(sent.ids[name], case.event)
    assert row["recipient"] is not None
    assert row["recipient"].lower() == case.address.lower()
    assert (row["kind"], row["decision"]) == (case.kind, case.decision), row["detail"]
    payload = json.loads(row["payload"])
    if case.extra:
        assert payload["Extra"] == case.extra
    entries = await sent.stack.active_bases()
    if case.listed is None:
        assert row["recipient_base"] not in entries
        return
    assert row["recipient_base"] == case.listed
    entry = entries[case.listed]
    assert (entry["kind"], entry["source"], entry["expires"], entry["mox_state"]) == (
        case.kind, case.source, None, "synced"
    )
    assert case.listed in sent.stack.mox.suppression_bases()


async def test_permanent_failure_reports_what_mox_said(sent: Sent) -> None:
    """mox's own words for localserve's 550, as docs/classification.md records them."""
    row = await sent.stack.processed(sent.ids["550 permerror"], "failed")
    payload: dict[str, Any] = json.loads(row["payload"])
    assert payload["Suppressing"] is True
    assert (payload["SMTPCode"], payload["SMTPEnhancedCode"]) == (550, "5.0.0")
    assert "got 550, expected 2xx" in payload["Error"]


async def test_lists_agree_entry_for_entry(sent: Sent) -> None:
    stack = sent.stack
    for name, case in CASES.items():
        await stack.processed(sent.ids[name], case.event)

    async def agree() -> bool:
        return set(await stack.active_bases()) == set(stack.mox.suppression_bases())

    await wait_until(agree, 10, "moxhooks' list to equal mox's")
    expected = {c.listed for c in CASES.values() if c.listed}
    assert set(stack.mox.suppression_bases()) == expected
    ours = await stack.active_bases()
    theirs = stack.mox.suppression_bases()
    for base, entry in ours.items():
        assert entry["original_address"].lower() == theirs[base].lower()

