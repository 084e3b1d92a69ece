"""Processing stored events: resolve the recipient, classify, decide, record.

Works from the events table, so an event that was stored but not processed
(a crash, a restart) is picked up at the next start. Each event's outcome is
written in one transaction with the suppression and outbox rows it causes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from moxhooks.config import AccountConfig, Config
from moxhooks.jobs.leases import renewed
from moxhooks.jobs.policy import Action, Decision, EventFacts, History, decide
from moxhooks.jobs.resolver import RecipientResolver, Resolved
from moxhooks.jobs.wakeup import sleep_until_woken
from moxhooks.kinds import Kind, MoxState, Source
from moxhooks.mail.address import AddressError, base_address, parse_address
from moxhooks.mail.classify import classify_event
from moxhooks.mail.dnscheck import DomainChecker, DomainStatus, confirms_domain_unknown
from moxhooks.mox.payload import Outgoing, PayloadError, parse_outgoing
from moxhooks.store import (
    EventOutcome,
    LeaseLost,
    NewEntry,
    Store,
    StoredEvent,
    StoreUnavailable,
    iso,
)

log = logging.getLogger(__name__)

BATCH = 200
# After a wake-up, wait this long (seconds) for more events, so that events arriving
# one at a time are processed in batches.
GATHER = 0.05
# How long the processor sleeps when nothing woke it (a missed wake-up costs at most this).
IDLE_LOOK = 5.0


@dataclass(frozen=True)
class Processed:
    """What processing one event found, for observers (automatic holds, stats)."""

    event: StoredEvent
    outgoing: Outgoing
    recipient: str | None
    kind: Kind | None
    decision: Decision


# Called after each event's outcome is committed; must not raise.
Observer = Callable[[Processed], Awaitable[None]]


class Processor:
    """Turns pending events into outcomes; run() loops until cancelled."""

    def __init__(
        self,
        config: Config,
        store: Store,
        resolver: RecipientResolver,
        dns: DomainChecker,
        on_change: Callable[[], None] = lambda: None,
        on_mox_lists_unknown: Callable[[], None] = lambda: None,
    ) -> None:
        self.config = config
        self.store = store
        self.resolver = resolver
        self.dns = dns
        self.on_change = on_change
        self.on_mox_lists_unknown = on_mox_lists_unknown
        self.observers: list[Observer] = []
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """New events were stored."""
        self._wake.set()

    async def run(self) -> None:
        """Process events as they come, and unresolved ones when their retry is due.

        Runs in the worker process, where webhook intake does not wait for it.
        """
        while True:
            try:
                n = await self.process_due()
            except Exception:
                log.exception("processing events failed")
                n = 0
            if n >= BATCH:
                continue
            try:
                next_try = await self.store.events.next_retry()
            except StoreUnavailable as e:
                # The database is away (a PostgreSQL restart): look again after the sleep;
                # raised here it would end the processor for good.
                log.warning("event processing: %s", e)
                next_try = None
            await sleep_until_woken(self._wake, IDLE_LOOK, next_try, self.store.clock)
            await asyncio.sleep(GATHER)

    async def process_due(self) -> int:
        """Process one batch of due events; returns how many were looked at or moved in."""
        # What intake appended since (store/intake.py) becomes events first.
        moved = await self.store.events.take_intake()
        due = await self.store.events.due(BATCH)
        if not due:
            return moved
        # Kept while the batch is worked on (jobs/leases.py): its lookups in mox and DNS may
        # outlast one lease, and another node would then do the work again.
        async with renewed(self.store.events.renew, self.store.events.lease, [e.id for e in due]):
            parsed: list[tuple[StoredEvent, Outgoing]] = []
            for ev in due:
                try:
                    parsed.append((ev, parse_outgoing(ev.payload.encode())))
                except PayloadError as e:  # stored before a stricter parser; keep, don't loop
                    await self.store.events.mark_abandoned(ev.id, f"unreadable payload: {e}")
            resolved = await self.resolver.resolve(
                [(ev, out) for ev, out in parsed if _wants_recipient(out)]
            )
            superseded = await self.store.events.superseded([ev for ev, _ in parsed])
            # The latest webhook processed in this batch, per message: a later one of the
            # batch may come first (ids are arrival order, webhook ids mox's order).
            latest: dict[tuple[str, str, int], int] = {}
            changed = False
            for ev, out in parsed:
                key = (ev.mox, ev.account, ev.queue_msg_id)
                newer = ev.id in superseded or latest.get(key, -1) > ev.webhook_id
                latest[key] = max(latest.get(key, -1), ev.webhook_id)
                try:
                    changed |= await self._process(ev, out, resolved.get(ev.id), newer)
                except LeaseLost as e:
                    # Another node processes it (this one was too slow): its outcome stands.
                    log.warning("%s; its outcome is the other node's", e)
                except Exception as e:
                    log.exception("processing event %d failed", ev.id)
                    await self._retry_later(ev, f"processing failed: {e}")
            if changed:
                self.on_change()
        return moved + len(due)

    async def _process(
        self, ev: StoredEvent, out: Outgoing, rcpt: Resolved | None, superseded: bool
    ) -> bool:
        kind = classify_event(out.event, out.smtp_code, out.smtp_enhanced_code, out.error)
        if superseded:
            decision = Decision(Action.NONE, kind, None, "superseded by a newer event", False)
            await self._record(ev, out, rcpt, None, decision)
            return False
        needs_rcpt = kind is not None or out.suppressing
        if rcpt is None and needs_rcpt:
            await self._retry_later(ev, "recipient not found yet")
            return False
        if rcpt is None:
            decision = Decision(Action.NONE, kind, None, f"{out.event}", False)
            await self._record(ev, out, None, None, decision)
            return False
        try:
            addr = parse_address(rcpt.address)
        except AddressError as e:
            await self.store.events.mark_abandoned(ev.id, f"bad recipient {rcpt.address!r}: {e}")
            return False
        base = base_address(addr)
        acct = self.config.account(ev.account)
        settings = acct.policy if acct else self.config.policy
        kind, confirmed = await self._check_domain(kind, out, addr.domain)
        since = iso(self.store.clock() - settings.soft_window)
        past = await self.store.suppressions.address_history(
            ev.account, base, since, out.queue_msg_id
        )
        active = past.active
        history = History(
            soft_failures=past.soft_failures,
            soft_suppressions=past.soft_suppressions,
            active_entry=active is not None,
            # An entry adopted from mox is mox's own verdict, not evidence of ours.
            active_entry_kind=Kind(active.kind) if active and active.source != Source.MOX else None,
        )
        facts = EventFacts(out.event, kind, out.suppressing, confirmed)
        decision = decide(facts, history, settings)
        entry = None
        permanent = None
        if (
            decision.action == Action.ALREADY
            and active is not None
            and active.expires is not None
            and (
                decision.kind in settings.immediate_kinds
                and (decision.kind != Kind.DOMAIN_UNKNOWN or confirmed)
                # mox listed it for good: an expiring entry here would later remove it there.
                or out.suppressing
            )
        ):
            # A hard failure for an address held only for a while: hold it for good.
            permanent = (active.id, str(decision.kind), f"{decision.kind}; {_reply(out)}")
        if decision.action in (Action.SUPPRESS, Action.FOLLOW_MOX):
            expires = (
                self.store.clock() + decision.expires_after if decision.expires_after else None
            )
            by_mox = decision.action == Action.FOLLOW_MOX
            entry = NewEntry(
                account=ev.account,
                original_address=str(addr),
                base_address=base,
                kind=str(decision.kind or Kind.UNDETERMINED),
                source=Source.MOX if by_mox else Source.WEBHOOK,
                reason=f"{decision.reason}; {_reply(out)}",
                created_by=f"{'mox, ' if by_mox else ''}webhook {ev.webhook_id}",
                expires=expires,
                event_id=ev.id,
                # mox said it added the address itself (Suppressing): nothing to push,
                # unless the account's list is shared by other mox servers that lack it.
                mox_state=MoxState.SYNCED if by_mox and not self._shared(acct) else None,
            )
        await self._record(ev, out, rcpt, entry, decision, str(addr), base, permanent)
        if out.event == "suppressed" and active is None:
            # mox refused to send because its list has the address; ours does not.
            self.on_mox_lists_unknown()
        return decision.action in (Action.SUPPRESS, Action.FOLLOW_MOX, Action.UNSUPPRESS_MOX)

    def _shared(self, acct: AccountConfig | None) -> bool:
        """Is the account on more than one mox server?"""
        return acct is not None and len(self.config.account_moxes(acct)) > 1

    async def _check_domain(
        self, kind: Kind | None, out: Outgoing, domain: str
    ) -> tuple[Kind | None, bool | None]:
        """DNS evidence for domain_unknown; a connection-level failure may turn into it."""
        connection_failure = out.smtp_code == 0 and kind in (Kind.EXPIRED, Kind.TRANSIENT)
        if kind != Kind.DOMAIN_UNKNOWN and not connection_failure:
            return kind, None
        status = await self.dns.check(domain)
        if confirms_domain_unknown(status):
            return Kind.DOMAIN_UNKNOWN, True
        if kind != Kind.DOMAIN_UNKNOWN:
            return kind, None
        return kind, (False if status == DomainStatus.EXISTS else None)

    async def _record(
        self,
        ev: StoredEvent,
        out: Outgoing,
        rcpt: Resolved | None,
        entry: NewEntry | None,
        decision: Decision,
        recipient: str | None = None,
        base: str | None = None,
        permanent: tuple[int, str, str] | None = None,
    ) -> None:
        if recipient is None and rcpt is not None:
            recipient = rcpt.address
        kind = str(decision.kind) if decision.kind else None
        outcome = EventOutcome(
            event_id=ev.id,
            account=ev.account,
            recipient=recipient,
            recipient_base=base,
            kind=kind,
            decision=str(decision.action),
            detail=decision.reason,
            counts_soft=decision.counts_soft,
            suppress=entry,
            unsuppress_mox=recipient if decision.action == Action.UNSUPPRESS_MOX else None,
            make_permanent=permanent,
        )
        await self.store.suppressions.apply_event(outcome)
        for observe in self.observers:
            try:
                await observe(Processed(ev, out, recipient, decision.kind, decision))
            except Exception:
                log.exception("observer failed on event %d", ev.id)
        log.info(
            "event account=%s webhook_id=%d queue_msg_id=%d event=%s recipient=%s kind=%s"
            " decision=%s code=%d",
            ev.account,
            ev.webhook_id,
            out.queue_msg_id,
            out.event,
            recipient or "-",
            kind or "-",
            decision.action,
            out.smtp_code,
        )

    async def _retry_later(self, ev: StoredEvent, why: str) -> None:
        cfg = self.config.resolve
        if ev.tries + 1 >= cfg.max_tries:
            await self.store.events.mark_abandoned(ev.id, f"{why}; gave up after {ev.tries + 1}")
            log.warning("event abandoned account=%s webhook_id=%d: %s", ev.account, ev.webhook_id, why)
            return
        wait = min(cfg.retry_min * 2**ev.tries, cfg.retry_max)
        await self.store.events.mark_unresolved(
            ev.id, self.store.clock() + timedelta(seconds=wait), why
        )


def _wants_recipient(out: Outgoing) -> bool:
    # Every event gets its recipient when it can be had; only failures wait for it.
    return out.queue_msg_id > 0


def _reply(out: Outgoing) -> str:
    """The remote server's answer, short, for an entry's reason."""
    parts = [str(out.smtp_code) if out.smtp_code else "", out.smtp_enhanced_code, out.error]
    text = " ".join(p for p in parts if p)
    return text[:500] if text else f"mox event {out.event}"
