"""Automatic queue holds: stop sending to a domain that is blocking or throttling us.

When `sender_blocked` or `rate_limited` failures of one account through one mox server
reach `threshold` distinct recipients of one recipient domain within `window`, moxhooks
adds a hold rule for that recipient domain in that mox server: mox keeps new messages to
the domain queued instead of hammering a receiver that refuses them, which would only
deepen a blocklisting. The rule names the recipient domain only, so it holds every
account's mail to that domain: mox matches a rule on any one of its fields, and a rule
that also named the account would hold all of the account's mail. The hold is recorded
(table auto_holds) and audited (`auto_hold`); after `cooldown` it is lifted: the rule is
removed and the messages it held are released with QueueHoldSet (`auto_hold_lifted`). If the failures go on,
the next ones hold the domain again.

Everything here is per mox server (the events' key, Config.mox_key): the failures that
came through server a count towards a hold in a, apart from b's; the receiver refused a's
IP address, not necessarily b's, and a hold rule is one server's. The hold is added,
lifted and its messages released through that server's admin API.

Counting is the store's (note_failure): in memory on SQLite, where one worker runs (a
window is minutes long, so a restart only delays a hold), in a table on PostgreSQL,
where each node processes some of the events. A hold is added under a lock of its
(server, account, domain), so two nodes crossing the threshold together add one rule.
Suppressions those failures made in mox are undone by the policy, not here.

Settings have defaults here (HoldSettings); the configuration keys are `[holds]`
enabled, threshold, window, cooldown.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from moxhooks.config import HoldsConfig
from moxhooks.jobs.processing import Processed
from moxhooks.kinds import Kind
from moxhooks.mail.address import AddressError, base_address, parse_address
from moxhooks.mox.client import QUEUE_FILTER, QUEUE_SORT, AdminAPI, MoxApiError, MoxError
from moxhooks.store import AutoHold, AutoHoldStore, Store, parse_iso
from moxhooks.store.holds import rule_name

log = logging.getLogger(__name__)

# Messages released per QueueHoldSet call.
RELEASE_BATCH = 1000
ACTOR = "holds"


@dataclass(frozen=True)
class HoldSettings:
    """When moxhooks holds a recipient domain by itself, and for how long."""

    enabled: bool = True
    # Distinct recipients of one domain failing within window that trigger a hold.
    threshold: int = 5
    window: timedelta = timedelta(minutes=10)
    # How long an automatic hold stays before it is lifted and its messages released.
    cooldown: timedelta = timedelta(hours=1)
    # Failure kinds that count.
    kinds: frozenset[Kind] = frozenset({Kind.SENDER_BLOCKED, Kind.RATE_LIMITED})
    # Seconds between checks for holds whose cool-down has passed.
    check_interval: float = 30.0


_RULE_FIELDS = (
    ("Account", "SenderAccount"),
    ("SenderDomainStr", "SenderDomainStr"),
    ("RecipientDomainStr", "RecipientDomainStr"),
)


def rule_matches(rule: dict[str, Any], msg: dict[str, Any]) -> bool:
    """Whether a mox hold rule (QueueHoldRuleList form) holds a new message, as mox decides.

    mox (queue.HoldRule.matches, v0.0.17) holds a message when ANY ONE field of the rule
    equals the message's, or when every field is empty: a rule naming an account and a
    recipient domain holds all of that account's mail and all mail to that domain. That
    is why moxhooks' own rules name one field only (see rule_fields).
    """
    values = [str(rule.get(r) or "") for r, _ in _RULE_FIELDS]
    if not any(values):
        return True
    return any(v and v == msg.get(m) for v, (_, m) in zip(values, _RULE_FIELDS, strict=True))


def rule_fields(account: str, sender_domain: str, recipient_domain: str) -> int:
    """How many fields a hold rule names (mox ORs them; moxhooks adds rules with 0 or 1)."""
    return sum(1 for v in (account, sender_domain, recipient_domain) if v)


async def release_held(admin: AdminAPI, rule: dict[str, Any]) -> int:
    """Release the queued messages on hold that this rule matches; returns how many.

    mox's queue filter matches From/To as substrings (and ORs them), so the held
    messages are listed and matched exactly here, then released by ID.
    """
    flt = {**QUEUE_FILTER, "Hold": True, "Account": rule.get("Account") or ""}
    msgs = await admin.call("QueueList", [flt, QUEUE_SORT]) or []
    ids = [int(m["ID"]) for m in msgs if isinstance(m, dict) and rule_matches(rule, m)]
    released = 0
    for i in range(0, len(ids), RELEASE_BATCH):
        # Never an empty IDs list: mox would take it as "every message".
        chunk: Sequence[int] = ids[i : i + RELEASE_BATCH]
        released += await admin.queue_hold_set({"IDs": list(chunk), "Hold": True}, False)
    return released


class AutoHolds:
    """Watches processed events, adds holds, and lifts them after the cool-down.

    Runs in the worker process beside the event processor it observes; the lock keeps a
    hold and its lifting apart there. The web process only reads the holds, and ends one
    whose rule the admin removed (rule_removed), in the database.
    """

    def __init__(
        self, store: Store, admins: Mapping[str, AdminAPI | None], settings: HoldSettings
    ) -> None:
        """admins: each mox server's admin API by its key (Config.mox_key), None for a
        server without mox.admin_password."""
        self.admins = admins
        self.settings = settings
        self.store = store.holds
        self.db = store.db
        self.clock = store.db.clock
        self._lock = asyncio.Lock()
        # The servers (keys) already warned about lacking an admin password.
        self._warned_no_admin: set[str] = set()
        # Holds are lifted by one node at a time: the one holding this lock (on SQLite,
        # the one worker).
        self.lock = store.db.job_lock("holds")

    async def observe(self, p: Processed) -> None:
        """A processor observer: count the failure, hold the domain when it is time."""
        s = self.settings
        if not s.enabled or p.kind not in s.kinds or not p.recipient:
            return
        try:
            addr = parse_address(p.recipient)
        except AddressError:
            return
        now = self.clock()
        at = parse_iso(p.event.received)
        if at <= now - s.window:
            return  # An old event worked off late says nothing about now.
        mox = p.event.mox
        failing = await self.store.note_failure(
            mox, p.event.account, addr.domain, base_address(addr), at, now - s.window
        )
        if failing >= s.threshold:
            await self._hold(mox, p.event.account, addr.domain, failing, p.kind)

    async def _hold(
        self, mox: str, account: str, domain: str, recipients: int, kind: Kind | None
    ) -> None:
        admin = self.admins.get(mox)
        if admin is None:
            if mox not in self._warned_no_admin:
                log.warning("automatic holds need mox.admin_password (mox %r); %s not held",
                            mox, domain)  # fmt: skip
                self._warned_no_admin.add(mox)
            return
        # Another node may be holding the domain right now: it adds the rule, this one finds
        # the hold made when it looks (or leaves it to that node while it works).
        hold_lock = self.db.job_lock(f"hold {mox} {account} {domain}")
        async with self._lock:
            if not await hold_lock.held():
                return
            try:
                hold = await self._add_hold(mox, account, domain, recipients, kind, admin)
            finally:
                await hold_lock.release()
        if hold is not None:
            log.warning(
                "automatic hold mox=%r account=%s domain=%s rule=%d: %s",
                mox, account, domain, hold.rule_id, hold.reason,
            )  # fmt: skip

    async def _add_hold(
        self,
        mox: str,
        account: str,
        domain: str,
        recipients: int,
        kind: Kind | None,
        admin: AdminAPI,
    ) -> AutoHold | None:
        """Add the rule in mox and record the hold, unless the domain is held there already."""
        if await self.store.active(mox, account, domain) is not None:
            return None
        s = self.settings
        reason = (
            f"{recipients} distinct recipients at {domain} failed with"
            f" {'/'.join(sorted(s.kinds))} within {_span(s.window)} (last: {kind})"
        )
        try:
            # The recipient domain alone: mox would hold every message of the account
            # if the rule named the account too (rule_matches). The receiver blocks
            # the server's IP as a rule, so all accounts' mail to it waits.
            rule = await admin.hold_rule_add(recipient_domain=domain)
        except MoxError as e:
            log.error("adding automatic hold for %s mox=%r account=%s failed: %s",
                      domain, mox, account, e)  # fmt: skip
            return None
        hold = await self.store.add(
            mox, account, domain, int(rule["ID"]), reason, recipients, s.cooldown, ACTOR
        )
        await self.store.forget_failures(mox, account, domain)
        return hold

    async def lift_due(self) -> int:
        """Lift every hold whose cool-down has passed; returns how many were lifted."""
        n = 0
        for hold in await self.store.due():
            if await self.lift(hold, ACTOR):
                n += 1
        return n

    async def lift(self, hold: AutoHold, by: str) -> bool:
        """Remove the hold's rule from its mox server and release what it held; False if
        mox failed (or the server has no admin password now)."""
        admin = self.admins.get(hold.mox)
        if admin is None:
            # The server is no longer configured (renamed, removed), or has no admin
            # password now: the hold stays until that is fixed, and says why.
            why = (
                f"no admin API for mox {hold.mox or '(the first)'}:"
                " is it configured, with mox.admin_password?"
            )
            if hold.last_error != why:
                await self.store.lift_failed(hold, why)
            return False
        async with self._lock:
            rule = {
                "Account": hold.account,
                "SenderDomainStr": "",
                "RecipientDomainStr": hold.recipient_domain,
            }
            try:
                try:
                    await admin.hold_rule_remove(hold.rule_id)
                except MoxApiError as e:
                    # Removed in mox already (by a person, or by an earlier try): go on.
                    if "absent" not in e.message:
                        raise
                released = await release_held(admin, rule)
            except MoxError as e:
                log.error(
                    "lifting automatic hold %d for %s failed: %s", hold.id, hold.recipient_domain, e
                )
                await self.store.lift_failed(hold, str(e))
                return False
            await self.store.lifted(
                hold,
                by,
                released,
                f"lifted hold on {hold.recipient_domain} ({rule_name(hold.mox, hold.rule_id)}),"
                f" released {released} messages",
            )
        log.info(
            "automatic hold lifted mox=%r account=%s domain=%s released=%d",
            hold.mox, hold.account, hold.recipient_domain, released,
        )  # fmt: skip
        return True

    async def run(self) -> None:
        """Lift due holds every check_interval seconds while this node holds the holds'
        lock, until cancelled."""
        while True:
            await asyncio.sleep(self.settings.check_interval)
            if not await self.lock.held():
                continue  # another node lifts them
            try:
                await self.lift_due()
            except Exception:
                log.exception("lifting automatic holds failed")


def settings_from(cfg: HoldsConfig) -> HoldSettings:
    """The hold settings of the configuration's [holds]."""
    return HoldSettings(
        enabled=cfg.enabled, threshold=cfg.threshold, window=cfg.window, cooldown=cfg.cooldown
    )


async def rule_removed(holds: AutoHoldStore, mox: str, rule_id: int, by: str) -> None:
    """A person removed a hold rule of mox (its key); if it was automatic, it has ended.

    Written straight to the database by the web process: the worker's AutoHolds keeps
    nothing about a hold in memory (it reads active holds from the table); should it lift
    the same hold meanwhile, the row keeps the first ending (lifted IS NULL).
    """
    hold = await holds.by_rule(mox, rule_id)
    if hold is not None:
        await holds.lifted(
            hold, by, 0,
            f"{rule_name(mox, rule_id)} on {hold.recipient_domain} removed by {by}",
        )  # fmt: skip


def _span(d: timedelta) -> str:
    secs = int(d.total_seconds())
    for unit, n in (("d", 86400), ("h", 3600), ("m", 60)):
        if secs >= n and secs % n == 0:
            return f"{secs // n}{unit}"
    return f"{secs}s"
