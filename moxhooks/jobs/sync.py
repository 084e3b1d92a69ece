"""Keeping mox's suppression list in step: push the outbox, reconcile, expire.

The outbox is pushed in order per account, with exponential backoff while mox
is away. "not unique" on add and "absent" on remove mean mox already agrees.
Reconcile reads mox's list: entries only in mox are adopted (source mox);
entries we had synced that mox no longer has were removed there by a person,
so they end here too instead of being added again.

An account on several mox servers (accounts[].mox) has one list. Its outbox rows, and
the entries' mox state, are its first server's, as above; each further server gets the
same rows in the same order, its progress kept as a cursor (the last row it took) with
a backoff of its own, so a server that is away holds up no other. Reconcile reads each
further server's list too: what that server lacks is added there, what only it has is
added here as a new entry, and so pushed to every server.

Nodes on one PostgreSQL share the servers: each server's changes are pushed, and its list
reconciled, by the one node holding the server's lock (job_lock "sync:<name>"); a server's
accounts' outbox rows (those whose first server it is) and its cursors are its lock's.
Two nodes push to two servers at once, each server still in order.

What the worker last saw of each server (answering, or failing with an error) is kept per
server (states) and reported to the web process for /healthz and the admin overview.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from moxhooks.config import AccountConfig, Config
from moxhooks.jobs.wakeup import sleep_until_woken
from moxhooks.kinds import Kind, MoxState, Source
from moxhooks.mail.address import AddressError, base_address, parse_address
from moxhooks.mail.classify import classify_failure
from moxhooks.mox.client import MoxApiError, MoxAuthError, MoxClient, MoxError, MoxUnavailable
from moxhooks.store import NewEntry, OutboxRow, Store, StoreUnavailable, parse_iso
from moxhooks.store.contract import JobLock

log = logging.getLogger(__name__)

# mox's answers that mean the change is already in place.
ALREADY_PRESENT = "not unique"
ALREADY_ABSENT = "absent"
# While mox is away, how often (seconds) to check whether it is back.
RECONCILE_RETRY = 30.0  # seconds before a reconcile pass mox did not answer is tried again
PROBE_INTERVAL = 30.0


@dataclass
class ReconcileReport:
    """What one reconcile pass of one account found and did."""

    account: str
    # The mox server (a further one of a shared account); "" for the account's first.
    mox: str = ""
    in_mox: int = 0
    adopted: int = 0
    ended: int = 0
    # Entries of this list a further mox server lacked, added there.
    added_there: int = 0
    errors: list[str] = field(default_factory=list)


# Seconds between asking for a mox server's lock while another node holds it (PostgreSQL):
# how soon this node takes over when the holder dies.
LOCK_RETRY = 1.0
# Looks at a free server's lock that a node already holding another server's lets pass
# before it takes it: the first node to start would otherwise take every server and leave
# the next none. A node holding none takes a free one at once.
SPARE_LOOKS = 3

# Seconds between reconciles asked for by "suppressed" events (mox_lists_unknown).
LISTED_UNKNOWN_GAP = 60.0


class SyncWorker:
    """Pushes outbox rows into mox and reconciles; run() loops until cancelled."""

    def __init__(
        self,
        config: Config,
        store: Store,
        mox: MoxClient,
        clients: Mapping[str, MoxClient] | None = None,
    ) -> None:
        """mox: the first mox server's client; clients: every server's, by name (needed
        when there are several)."""
        self.config = config
        self.store = store
        self.mox = mox
        self.clients: Mapping[str, MoxClient] = clients or {config.default_mox.name: mox}
        self._wake = asyncio.Event()
        self._reconcile_now = asyncio.Event()
        # One node at a time pushes a mox server's changes (in order, per account) and
        # reconciles its lists: the one holding the server's lock (always this one on SQLite).
        self.locks: dict[str, JobLock] = {
            m.name: store.db.job_lock(f"sync:{m.name}") for m in config.mox
        }
        # The first server's, under which entries also expire.
        self.lock = self.locks[config.default_mox.name]
        # Looks passed at each free lock since this node last asked for it (SPARE_LOOKS).
        self._passed: dict[str, int] = {}
        # Each server as last seen, by name: (ok, error text); ok None: not known (yet, or
        # again since it answered a probe).
        self.states: dict[str, tuple[bool | None, str]] = {
            m.name: (None, "") for m in config.mox
        }
        self._listed_unknown_at = -LISTED_UNKNOWN_GAP
        # Told of every change of a server's state (the worker reports them to the web):
        # (server name, ok, error).
        self.on_state: Callable[[str, bool | None, str], None] = lambda name, ok, error: None

    @property
    def mox_ok(self) -> bool | None:
        """Whether the first mox server took the last call (None: not known)."""
        return self.states[self.config.default_mox.name][0]

    @property
    def mox_error(self) -> str:
        """Why the first mox server failed the last call; "" when it did not."""
        return self.states[self.config.default_mox.name][1]

    def _state(self, name: str, ok: bool | None, error: str) -> None:
        if (ok, error) != self.states.get(name):
            self.states[name] = (ok, error)
            self.on_state(name, ok, error)

    def wake(self) -> None:
        """New outbox rows were written."""
        self._wake.set()

    def reconcile_soon(self) -> None:
        """Ask for a reconcile pass now."""
        self._reconcile_now.set()
        self._wake.set()

    def mox_lists_unknown(self) -> None:
        """mox refused a recipient ("suppressed") that has no entry here: mox's list has an
        entry this one lacks, so reconcile now, not at the next interval. At most once a
        minute: a reconcile reads mox's whole list."""
        now = time.monotonic()
        if now - self._listed_unknown_at >= LISTED_UNKNOWN_GAP:
            self._listed_unknown_at = now
            self.reconcile_soon()

    async def held(self) -> set[str]:
        """The mox servers this node syncs now: those whose lock it holds, after taking the
        free ones it may (at once when it holds none, else after SPARE_LOOKS looks)."""
        held: set[str] = set()
        free: list[str] = []
        for name, lock in self.locks.items():
            if not lock.holding:
                free.append(name)
            elif await lock.held():
                held.add(name)
        for name in free:
            passed = self._passed.get(name, 0)
            if held and passed < SPARE_LOOKS:
                self._passed[name] = passed + 1
                continue
            self._passed[name] = 0
            if await self.locks[name].held():
                held.add(name)
        return held

    async def hold_all(self) -> bool:
        """Take every server's lock (the CLI's sync); False when a running node holds one."""
        return all([await lock.held() for lock in self.locks.values()])

    async def _holding(self) -> set[str]:
        """The servers whose lock this node still holds (taking none)."""
        return {n for n, lock in self.locks.items() if lock.holding and await lock.held()}

    async def run(self) -> None:
        """Push, expire and reconcile, forever, for the mox servers whose lock this node
        holds."""
        interval = self.config.sync.reconcile_interval
        # Per server: at start, and when this node takes its lock over.
        next_reconcile: dict[str, float] = {}
        while True:
            held = await self.held()
            for name in set(next_reconcile) - held:
                del next_reconcile[name]
            if not held:
                # Other nodes sync; ask again soon: one may die, and then this one takes over.
                await sleep_until_woken(self._wake, LOCK_RETRY, None, self.store.clock)
                continue
            try:
                now = time.monotonic()
                due = {n for n in held if now >= next_reconcile.get(n, 0.0)}
                if self._reconcile_now.is_set():
                    self._reconcile_now.clear()
                    due = held
                if due:
                    reports = await self.reconcile_all(due)
                    # A pass mox did not answer is tried again soon, not at the next interval:
                    # the lists (and /healthz) catch up once mox is back.
                    failed = any(r.errors for r in reports)
                    for name in due:
                        next_reconcile[name] = time.monotonic() + (
                            min(interval, RECONCILE_RETRY, self.config.sync.retry_max)
                            if failed else interval
                        )
                if self.config.default_mox.name in held:
                    await self.store.suppressions.expire_due()
                await self.push_due()
                await self.push_further()
            except Exception:
                log.exception("sync pass failed")
            try:
                until = min(next_reconcile.values(), default=0.0) - time.monotonic()
                if len(held) < len(self.locks):
                    # Another node's server: ask for its lock again soon.
                    until = min(until, LOCK_RETRY)
                await self._sleep(max(0.0, until))
            except StoreUnavailable as e:
                # The database is away (a PostgreSQL restart): raised here it would end the
                # sync for good.
                log.warning("sync: %s", e)
                await sleep_until_woken(self._wake, 5.0, None, self.store.clock)

    async def _sleep(self, until_reconcile: float = PROBE_INTERVAL) -> None:
        # The servers whose own outbox rows (of the accounts they are first for) may wait
        # in backoff; a further server's cursor has a backoff of its own, looked at each turn.
        firsts = {self.config.account_moxes(a)[0] for a in self.config.accounts}
        away = [n for n, (ok, _) in self.states.items() if ok is False and n in firsts]
        if away and await self.store.outbox.backlog():
            # Changes wait in backoff; the moment their server answers again, push them.
            back = []
            for name in away:
                try:
                    await self.clients[name].ping()
                except MoxUnavailable:
                    continue
                back.append(name)
                self._state(name, None, self.states[name][1])
            if back:
                log.info(
                    "mox %s answers again; pushing %d waiting changes",
                    ", ".join(back), await self.store.outbox.backlog(),
                )  # fmt: skip
                await self.store.outbox.retry_now()
                return
        due = await self.store.outbox.next_due_time()
        await sleep_until_woken(
            self._wake,
            # While the first server is away its rows wait out their backoff (due); the
            # further servers' cursors are looked at on this loop's next turn.
            min(5.0 if self.mox_ok is not False else PROBE_INTERVAL, until_reconcile),
            parse_iso(due) if due is not None else None,
            self.store.clock,
        )

    async def push_due(self) -> int:
        """Push every due outbox row; returns how many reached mox."""
        pushed = 0
        while True:
            held = await self._holding()
            if not held:
                # The locks were lost meanwhile (their connections): other nodes push now.
                return pushed
            # Accounts whose first server another node syncs are that node's to push.
            skip = [
                a.name for a in self.config.accounts
                if self.config.account_moxes(a)[0] not in held
            ]  # fmt: skip
            rows = await self.store.outbox.due(skip=skip)
            if not rows:
                return pushed
            stalled: set[str] = set()
            progress = False
            for row in rows:
                if row.account in stalled:
                    continue
                ok = await self._push(row)
                if ok is None:
                    stalled.add(row.account)  # keep this account's order: stop here
                else:
                    progress = True
                    pushed += ok
            if not progress:
                return pushed

    async def _push(self, row: OutboxRow) -> int | None:
        """1 pushed, 0 refused for good, None: try again later."""
        acct = self.config.account(row.account)
        if acct is None:
            if not self.lock.holding:
                return None  # the first server's holder says so, once
            await self.store.outbox.failed(row, f"account {row.account!r} is not configured",
                                           refused=False)
            return 0
        api = self._client(acct).webapi(acct.login, acct.password)
        try:
            if row.op == "add":
                await api.suppression_add(row.address, manual=False, reason=row.reason[:200])
            else:
                await api.suppression_remove(row.address)
        except MoxApiError as e:
            if (row.op == "add" and ALREADY_PRESENT in e.message) or (
                row.op == "remove" and e.message == ALREADY_ABSENT
            ):
                await self.store.outbox.done(row, f"mox: {e.message}", pushed=False)
                self._seen_ok(acct)
                return 1
            if isinstance(e, MoxAuthError):
                return await self._retry(
                    acct, row, f"mox refused our login for {acct.login}: {e}"
                )
            log.error("mox refused %s %s account=%s: %s", row.op, row.address, row.account, e)
            await self.store.outbox.failed(row, f"{e.code}: {e.message}")
            return 0
        except MoxUnavailable as e:
            return await self._retry(acct, row, str(e))
        await self.store.outbox.done(row)
        self._seen_ok(acct)
        log.info("pushed to mox op=%s account=%s address=%s", row.op, row.account, row.address)
        return 1

    async def _retry(self, acct: AccountConfig, row: OutboxRow, error: str) -> int | None:
        self._state(self.config.account_moxes(acct)[0], False, error)
        s = self.config.sync
        wait = min(s.retry_min * 2 ** min(row.attempts, 30), s.retry_max)
        log.warning(
            "mox unavailable, retrying in %.0fs op=%s account=%s: %s",
            wait,
            row.op,
            row.account,
            error,
        )
        await self.store.outbox.retry(row, self.store.clock() + timedelta(seconds=wait), error)
        return None

    def _seen_ok(self, acct: AccountConfig) -> None:
        """The account's first server took a call."""
        self._state(self.config.account_moxes(acct)[0], True, "")

    def _client(self, acct: AccountConfig) -> MoxClient:
        """The client of the account's first mox server (its outbox rows' own)."""
        return self.clients[self.config.account_moxes(acct)[0]]

    async def push_further(self) -> int:
        """Push every shared account's outbox into its further mox servers, each in order;
        returns how many rows reached one."""
        pushed = 0
        held = await self._holding()
        for acct in self.config.accounts:
            for name in self.config.account_moxes(acct)[1:]:
                if name in held:
                    pushed += await self._push_further(acct, name)
        return pushed

    async def _push_further(self, acct: AccountConfig, name: str) -> int:
        cursor = await self.store.outbox.cursor(name, acct.name)
        if cursor.next_attempt is not None and cursor.next_attempt > self.store.clock():
            return 0  # the server was away: its backoff is not over
        api = self.clients[name].webapi(acct.login, acct.password)
        last, pushed = cursor.last_id, 0
        while rows := await self.store.outbox.after(acct.name, last):
            for row in rows:
                note = ""
                try:
                    if row.op == "add":
                        await api.suppression_add(row.address, manual=False, reason=row.reason[:200])
                    else:
                        await api.suppression_remove(row.address)
                except MoxApiError as e:
                    if (row.op == "add" and ALREADY_PRESENT in e.message) or (
                        row.op == "remove" and e.message == ALREADY_ABSENT
                    ):
                        note = f"mox: {e.message}"
                    elif isinstance(e, MoxAuthError):
                        await self._retry_further(acct, name, cursor.attempts, str(e))
                        return pushed
                    else:
                        # Refused for good by this server: it does not hold up the rest.
                        log.error("mox %s refused %s %s account=%s: %s",
                                  name, row.op, row.address, acct.name, e)  # fmt: skip
                        note = f"{e.code}: {e.message}"
                except MoxUnavailable as e:
                    await self._retry_further(acct, name, cursor.attempts, str(e))
                    return pushed
                await self.store.outbox.advance(name, acct.name, row.id, note)
                self._state(name, True, "")
                last, pushed = row.id, pushed + 1
                log.info("pushed to mox %s op=%s account=%s address=%s",
                         name, row.op, acct.name, row.address)  # fmt: skip
        return pushed

    async def _retry_further(
        self, acct: AccountConfig, name: str, attempts: int, error: str
    ) -> None:
        self._state(name, False, error)
        s = self.config.sync
        wait = min(s.retry_min * 2 ** min(attempts, 30), s.retry_max)
        log.warning("mox %s unavailable, retrying in %.0fs account=%s: %s",
                    name, wait, acct.name, error)  # fmt: skip
        await self.store.outbox.retry_cursor(
            name, acct.name, self.store.clock() + timedelta(seconds=wait), error
        )

    async def reconcile_all(self, servers: Collection[str] | None = None) -> list[ReconcileReport]:
        """Reconcile every configured account, with each mox server it is on (of servers
        only: those this node syncs; every one when None)."""
        reports = []
        for a in self.config.accounts:
            first, *further = self.config.account_moxes(a)
            if servers is None or first in servers:
                reports.append(await self.reconcile(a))
            for name in further:
                if servers is None or name in servers:
                    reports.append(await self.reconcile_further(a, name))
        return reports

    async def reconcile_further(self, acct: AccountConfig, name: str) -> ReconcileReport:
        """Compare a shared account's list with one of its further mox servers: entries the
        server lacks are added there, entries only it has are added here (and so pushed to
        every server). Addresses with changes still on their way there are left alone."""
        report = ReconcileReport(acct.name, name)
        api = self.clients[name].webapi(acct.login, acct.password)
        try:
            in_mox = await api.suppression_list()
        except MoxError as e:
            self._state(name, False, str(e))
            report.errors.append(f"mox {name}: {e}")
            log.warning("reconcile account=%s mox=%s: mox unavailable: %s", acct.name, name, e)
            return report
        self._state(name, True, "")
        report.in_mox = len(in_mox)
        theirs = {str(s.get("BaseAddress", "")): s for s in in_mox}
        cursor = await self.store.outbox.cursor(name, acct.name)
        on_the_way: set[str] = set()
        last = cursor.last_id
        while rows := await self.store.outbox.after(acct.name, last):
            for row in rows:
                with contextlib.suppress(AddressError):
                    on_the_way.add(base_address(row.address))
            last = rows[-1].id
        ours = {e.base_address: e for e in await self.store.suppressions.synced_active(acct.name)}
        for base, entry in ours.items():
            if base in theirs or base in on_the_way:
                continue
            try:
                await api.suppression_add(
                    entry.original_address, manual=False, reason=entry.reason[:200]
                )
            except MoxError as e:
                report.errors.append(f"mox {name}: adding {entry.original_address}: {e}")
                continue
            report.added_there += 1
        adopt = self._found_only_in_mox(
            acct, report, {b: s for b, s in theirs.items() if b not in on_the_way}, set(ours)
        )
        # Pending, not synced: the other servers of the account lack them.
        report.adopted, _ = await self.store.suppressions.add_many(adopt)
        log.info(
            "reconciled account=%s mox=%s in_mox=%d added_there=%d adopted=%d",
            acct.name, name, report.in_mox, report.added_there, report.adopted,
        )  # fmt: skip
        return report

    def _found_only_in_mox(
        self,
        acct: AccountConfig,
        report: ReconcileReport,
        in_mox: dict[str, dict[str, object]],
        skip: set[str],
    ) -> list[NewEntry]:
        """New entries for what mox lists and this list has not (nor skip)."""
        adopt: list[NewEntry] = []
        for base, s in in_mox.items():
            if base in skip:
                continue
            original = str(s.get("OriginalAddress") or base)
            try:
                original = str(parse_address(original))
            except AddressError:
                report.errors.append(f"mox lists an address we cannot parse: {original!r}")
                continue
            reason = str(s.get("Reason") or "")
            kind = Kind.MANUAL if s.get("Manual") else classify_failure(0, "", reason)
            adopt.append(
                NewEntry(
                    account=acct.name,
                    original_address=original,
                    base_address=base,
                    kind=str(kind),
                    source=Source.MOX,
                    reason=reason or "found in mox's suppression list",
                    created_by="reconcile",
                )
            )
        return adopt

    async def reconcile(self, acct: AccountConfig) -> ReconcileReport:
        """Compare one account's list with mox's, adopt and end entries accordingly."""
        report = ReconcileReport(acct.name)
        try:
            in_mox = await self._client(acct).webapi(acct.login, acct.password).suppression_list()
        except MoxError as e:
            self._state(self.config.account_moxes(acct)[0], False, str(e))
            report.errors.append(str(e))
            log.warning("reconcile account=%s: mox unavailable: %s", acct.name, e)
            await self.store.outbox.record_reconcile(acct.name, str(e))
            return report
        self._seen_ok(acct)
        report.in_mox = len(in_mox)
        mox_by_base: dict[str, dict[str, object]] = {}
        for s in in_mox:
            mox_by_base[str(s.get("BaseAddress", ""))] = s
        ours = {e.base_address: e for e in await self.store.suppressions.synced_active(acct.name)}
        removing = set()
        for addr in await self.store.outbox.pending_remove(acct.name):
            try:
                removing.add(base_address(addr))
            except AddressError:
                continue
        adopt = self._found_only_in_mox(acct, report, mox_by_base, set(ours) | removing)
        if len(self.config.account_moxes(acct)) > 1:
            # One list for several servers: what only this one had goes to the others.
            report.adopted, _ = await self.store.suppressions.add_many(adopt)
        else:
            report.adopted = await self.store.suppressions.adopt(adopt)
        for base, entry in ours.items():
            if base not in mox_by_base and entry.mox_state == MoxState.SYNCED:
                ended = await self.store.suppressions.end(
                    acct.name,
                    entry.id,
                    "reconcile",
                    "removed from mox's suppression list by a person",
                    # Shared by several servers: the others are told of the removal too.
                    sync_mox=len(self.config.account_moxes(acct)) > 1,
                )
                if ended is not None:
                    report.ended += 1
        await self.store.outbox.record_reconcile(acct.name, "")
        log.info(
            "reconciled account=%s in_mox=%d adopted=%d ended=%d",
            acct.name,
            report.in_mox,
            report.adopted,
            report.ended,
        )
        return report
