"""What a store backend provides: the repositories' methods, as the rest of moxhooks calls them.

moxhooks.store.Store holds one of each, typed by these protocols, so the web process, the
worker and the CLI see these methods and nothing of the engine under them (no connection,
no SQL, no rows). SQLite (store/db.py and the repository modules) is the one backend; a
second one (PostgreSQL) implements the same protocols with the same behaviour, which
the store tests check against both. See moxhooks/store/__init__.py for what else a
backend must provide.

Every method may raise StoreUnavailable (store/errors.py) when the database cannot
answer now; a write that touches several tables (an entry, its audit row, its outbox
row) is one transaction inside the method.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from moxhooks.kinds import MoxState
from moxhooks.models import AutoHold, Suppression
from moxhooks.store.db import Clock
from moxhooks.store.events import Send, StoredEvent
from moxhooks.store.intake import Record
from moxhooks.store.mailbox import MailboxMessage, MailboxResult
from moxhooks.store.outbox import MoxCursor, OutboxRow, SyncState
from moxhooks.store.sessions import Session
from moxhooks.store.suppressions import AddressHistory, EventOutcome, NewEntry
from moxhooks.store.unsubscribe import Link, SigningKey


class JobLock(Protocol):
    """The right to run a job that one node at a time runs (the sync with mox, holds)."""

    @property
    def holding(self) -> bool:
        """Whether this process held the lock when last asked."""

    async def held(self) -> bool:
        """Whether this process holds the lock now, taking it if it is free."""

    async def release(self) -> None:
        """Let another process take it."""


class Database(Protocol):
    """The database itself: its clock, its schema, its upkeep."""

    clock: Clock  # the time the store writes (tests pass a fake one)
    path: str  # the SQLite file, or on PostgreSQL database.path; the intake log is beside it

    def now(self) -> str:
        """The clock's time, as stored."""

    async def close(self) -> None:
        """Close every connection."""

    async def schema_version(self) -> int:
        """The number of the last migration applied."""

    async def defer_checkpoints(self) -> None:
        """Leave the copying of the write log into the database to checkpoint()."""

    async def checkpoint(self) -> None:
        """Copy the write log into the database, without waiting for readers."""

    def log_bytes(self) -> int:
        """The size of the write log not yet copied (0 when there is none)."""

    async def watch(self, wakes: Mapping[str, Callable[[], None]]) -> None:
        """Call wakes["events"] / wakes["outbox"] when another process (a node on the same
        PostgreSQL) commits a webhook's event / an outbox row, until cancelled; returns at
        once where there is no other process to hear from (SQLite)."""

    def job_lock(self, name: str) -> JobLock:
        """The lock of the job called name: held by one process among all that share the
        database (PostgreSQL's nodes), released when that process ends."""


class AccountStore(Protocol):
    """The accounts table: what moxhooks keeps per account."""

    async def webhook_secret(self, account: str, configured: str, mox: str = "") -> str:
        """The configured secret, else one generated once and kept, per mox server
        (Config.mox_key: "" is the first) and account."""


class EventStore(Protocol):
    """The events table."""

    # How a webhook is kept before it is acknowledged: True, committed in the database by
    # receive() (PostgreSQL: any node may take any webhook, and a node's disk may be
    # lost); False, appended to this process's intake log and moved in by take_intake.
    direct_intake: bool
    # Seconds a claim by due() lasts unless renewed (renew()); None where nothing claims
    # (SQLite: one worker per file).
    lease: float | None

    async def receive(self, record: Record) -> bool:
        """Keep a webhook's event, committed when this returns; False if kept already."""

    async def take_intake(self, limit: int = 1000) -> int:
        """Move up to limit webhooks from the intake log into events, once each; how many."""

    async def due(self, limit: int = 200) -> builtins.list[StoredEvent]:
        """Events waiting to be processed: new ones, and unresolved ones whose retry is due."""

    async def renew(self, ids: Sequence[int]) -> int:
        """Extend this process's claim by a lease on those of ids (claimed by due()) it
        still holds unfinished; how many. Nothing where lease is None."""

    async def next_retry(self) -> datetime | None:
        """When the earliest unresolved event is due again, or None."""

    async def superseded(self, events: Sequence[StoredEvent]) -> set[int]:
        """Ids of the events for whose message a later webhook was processed already."""

    async def mark_unresolved(self, event_id: int, next_try: datetime, detail: str) -> None:
        """Note a failed attempt to find the recipient; try again at next_try."""

    async def mark_abandoned(self, event_id: int, detail: str) -> None:
        """Give up on finding an event's recipient."""

    async def list(
        self,
        account: str,
        *,
        limit: int = 100,
        before_id: int | None = None,
        event: str | None = None,
        kind: str | None = None,
        status: str | None = None,
        recipient: str | None = None,
    ) -> builtins.list[StoredEvent]:
        """Events of an account, newest first, filtered."""

    async def get(self, event_id: int) -> StoredEvent | None:
        """One event by id."""

    async def counts(self) -> dict[str, int]:
        """Events not done yet (pending, unresolved, abandoned) by status, for health."""

    async def intake_backlog(self) -> int:
        """Webhooks in the intake segments not yet moved into events (repeats included)."""

    async def unfinished_by_account(self) -> dict[tuple[str, str], int]:
        """Events not done (pending, unresolved, abandoned) per (account, status)."""

    async def processed_counts(self) -> builtins.list[tuple[str, str, str, str, int]]:
        """(account, event, kind, decision, count) of all processed events, for metrics."""

    async def pending_count(self) -> int:
        """Events not yet processed (pending or unresolved, or still in intake)."""

    async def recipients_for(
        self, keys: Sequence[tuple[str, int]], mox: str = ""
    ) -> dict[tuple[str, int], str]:
        """Known recipients of (account, QueueMsgID) pairs of the mox server keyed mox
        (Config.mox_key), in one query."""

    async def sends(
        self, message_ids: Sequence[str], account: str | None = None
    ) -> builtins.list[Send]:
        """The sends with one of message_ids (of account), one per queue message, in order."""

    async def latest_send_to(self, account: str, recipient_base: str, since: str) -> Send | None:
        """The account's newest event for a recipient (base address) received since, or None."""

    async def remember_recipients(
        self, account: str, pairs: builtins.list[tuple[int, str]], source: str, mox: str = ""
    ) -> None:
        """Record QueueMsgID -> address of the mox server keyed mox, from a send or a
        lookup in mox."""


class SuppressionStore(Protocol):
    """The suppressions and audit tables."""

    async def active(self, account: str, base: str, scope: str = "") -> Suppression | None:
        """The active entry for (account, base address, scope), or None."""

    async def matching(self, account: str, base: str) -> builtins.list[Suppression]:
        """Active, unexpired entries (any scope) that block base."""

    async def get(self, account: str, entry_id: int) -> Suppression | None:
        """One entry of the account, active or ended."""

    async def address_history(
        self, account: str, base: str, since: str, exclude_msg: int
    ) -> AddressHistory:
        """What the policy needs to know of an address (soft failures, earlier entries)."""

    async def history(self, entry_id: int) -> builtins.list[dict[str, Any]]:
        """The audit trail of one entry, oldest first."""

    async def list(
        self,
        account: str,
        *,
        limit: int = 50,
        offset: int = 0,
        before_id: int | None = None,
        search: str = "",
        kind: str = "",
        source: str = "",
        scope: str | None = None,
        active: bool | None = True,
        expiring: bool = False,
    ) -> builtins.list[Suppression]:
        """Entries of an account, newest first by id, filtered; search is a substring.

        before_id: only entries with a smaller id (keyset paging, a page's last id).
        """

    async def count(self, account: str | None = None) -> builtins.list[tuple[str, str, int]]:
        """(account, kind, count) of active entries, for metrics and overviews."""

    async def add(self, entry: NewEntry) -> Suppression | None:
        """Add an entry; None if an active one for that base address and scope exists."""

    async def add_many(
        self, entries: Iterable[NewEntry], *, mox_state: MoxState | None = None
    ) -> tuple[int, int]:
        """Add entries in one set-based transaction; returns (added, already present)."""

    async def add_reported(self, entry: NewEntry, note: str) -> tuple[Suppression, str]:
        """Add an entry for a reported bounce or complaint, or keep the one there is."""

    async def end(
        self, account: str, entry_id: int, actor: str, reason: str, *, sync_mox: bool = True
    ) -> Suppression | None:
        """End an active entry, keeping its history; None if there is no such active entry."""

    async def audit(
        self, account: str, action: str, actor: str, detail: str, entry_id: int | None = None
    ) -> None:
        """Record an action that is not a change of an entry (or is, by id)."""

    async def audit_log(
        self, account: str | None = None, limit: int = 100, before_id: int | None = None
    ) -> builtins.list[dict[str, Any]]:
        """The audit log, newest first."""

    async def apply_event(self, out: EventOutcome) -> Suppression | None:
        """Record an event's outcome and its consequences, all in one transaction."""

    async def expire_due(self) -> int:
        """End every entry whose expiry has passed; returns how many."""

    async def synced_active(self, account: str) -> builtins.list[Suppression]:
        """Active account-wide entries of an account, for reconciling with mox."""

    async def adopt(self, entries: Iterable[NewEntry]) -> int:
        """Take entries found only in mox: they are synced already, no outbox row."""


class OutboxStore(Protocol):
    """The outbox table, and the sync_state table beside it."""

    async def due(self, limit: int = 500, skip: Sequence[str] = ()) -> list[OutboxRow]:
        """Pending rows in order; per account, stops at the first row not yet due; none of
        the accounts in skip."""

    async def next_due_time(self) -> str | None:
        """When the earliest pending row is due, or None when there is none."""

    async def done(self, row: OutboxRow, note: str = "", *, pushed: bool = True) -> None:
        """The change reached mox (pushed) or was already there; update the entry's state."""

    async def retry(self, row: OutboxRow, next_attempt: datetime, error: str) -> None:
        """mox could not be reached; push this row again at next_attempt."""

    async def failed(self, row: OutboxRow, error: str, *, refused: bool = True) -> None:
        """mox refused the change for good (or it cannot be made); keep the row, mark the entry."""

    async def retry_now(self) -> None:
        """Make every pending row due now (mox is back)."""

    async def backlog(self) -> int:
        """Rows not yet pushed."""

    async def backlog_by_account(self) -> dict[str, int]:
        """Rows not yet pushed, per account."""

    async def pending_remove(self, account: str) -> set[str]:
        """Addresses with a remove still on its way to mox."""

    async def cursor(self, mox: str, account: str) -> MoxCursor:
        """How far the account's outbox has reached the (further) mox server named mox."""

    async def after(self, account: str, after_id: int, limit: int = 500) -> list[OutboxRow]:
        """The account's outbox rows after after_id, in order, whatever their state."""

    async def advance(self, mox: str, account: str, last_id: int, note: str = "") -> None:
        """Row last_id reached the mox server named mox (or was refused there for good)."""

    async def retry_cursor(
        self, mox: str, account: str, next_attempt: datetime, error: str
    ) -> None:
        """The mox server named mox could not be reached: try its next row at next_attempt."""

    async def record_reconcile(self, account: str, error: str) -> None:
        """Note a reconcile pass of an account: when it succeeded, or why it failed."""

    async def sync_counts(self) -> list[tuple[str, str, str, int]]:
        """(account, metric, label, n): changes pushed into mox and failed attempts, counted."""

    async def sync_states(self) -> dict[str, SyncState]:
        """The reconciliation state of each account that has one."""


class SessionStore(Protocol):
    """The sessions and login_failures tables."""

    async def create(
        self,
        session_id: str,
        role: str,
        account: str,
        email: str,
        csrf: str,
        client: str,
        *,
        idle: timedelta,
        lifetime: timedelta,
    ) -> Session:
        """Store a new session ending idle from now (at most lifetime); ended ones are deleted."""

    async def live(
        self, session_id: str, *, idle: timedelta, lifetime: timedelta
    ) -> Session | None:
        """The session if it has not ended, extended to idle from now (sliding), else None."""

    async def delete(self, session_id: str) -> None:
        """End a session."""

    async def failures(
        self, client: str, username: str, window: timedelta
    ) -> tuple[int, str | None]:
        """Failed sign-ins within window by client or user name, and the oldest counted."""

    async def record_failure(self, client: str, username: str, window: timedelta) -> None:
        """Count a failed sign-in; failures older than the window are dropped."""

    async def clear_failures(self, username: str) -> None:
        """A successful sign-in forgets the user name's failures (not the client's)."""


class AutoHoldStore(Protocol):
    """The auto_holds table; holds and lifts are written with their audit entry.

    Holds and the failures counted towards them are each mox server's: mox is the server's
    key (Config.mox_key, "" for the first), as in events."""

    async def active(self, mox: str, account: str, domain: str) -> AutoHold | None:
        """The active hold of account for domain in mox, or None."""

    async def list(self, *, active_only: bool = False, limit: int = 100) -> builtins.list[AutoHold]:
        """Holds, newest first."""

    async def by_rule(self, mox: str, rule_id: int) -> AutoHold | None:
        """The active hold made with this rule of mox, or None."""

    async def due(self) -> builtins.list[AutoHold]:
        """Active holds whose cool-down has passed."""

    async def add(
        self,
        mox: str,
        account: str,
        domain: str,
        rule_id: int,
        reason: str,
        recipients: int,
        cooldown: timedelta,
        by: str,
    ) -> AutoHold:
        """Record a new hold (its rule in mox) and audit it, in one transaction."""

    async def lifted(self, hold: AutoHold, by: str, released: int, detail: str) -> None:
        """Record that a hold ended, and audit it, in one transaction."""

    async def lift_failed(self, hold: AutoHold, error: str) -> None:
        """Note why lifting failed; it is tried again at the next check."""

    async def note_failure(
        self, mox: str, account: str, domain: str, base: str, at: datetime, since: datetime
    ) -> int:
        """Count a recipient (base address) of domain failing through mox at `at` in a way
        that holds count; how many distinct recipients of domain failed there after since."""

    async def forget_failures(self, mox: str, account: str, domain: str) -> None:
        """Count the domain's failures through mox afresh (it was just held there)."""


class StatsStore(Protocol):
    """Read-only statistics over the events and suppressions tables."""

    clock: Clock  # the store's clock: which day is today

    async def messages_by_day(
        self, account: str, first: date, hard_kinds: Sequence[str]
    ) -> dict[str, dict[str, int]]:
        """Per day from first on: the MESSAGE_COUNTS (failed_hard: failed with hard_kinds)."""

    async def message_totals(
        self, account: str, first: date, hard_kinds: Sequence[str]
    ) -> dict[str, int]:
        """The MESSAGE_COUNTS from first on; a message with events on several days counts once."""

    async def failures_by_day(self, account: str, first: date) -> dict[str, dict[str, int]]:
        """Per day from first on: failed messages by failure kind ("undetermined" for none)."""

    async def suppressions_by_day(self, account: str, first: date) -> dict[str, dict[str, int]]:
        """Per day from first on: suppressions_added, suppressions_removed, complaints."""


class ExportStore(Protocol):
    """The suppressions table, as an export reads it: keyset pages by id."""

    async def count(self, account: str) -> int:
        """How many entries of account are active and unexpired now."""

    async def page(
        self, account: str, now: str, after_id: int, limit: int
    ) -> tuple[int, list[tuple[str, ...]]]:
        """Up to limit entries active and unexpired at now, with ids above after_id, by id."""


class MailboxStore(Protocol):
    """The inbound and inbound_results tables."""

    # Seconds a claim by due() lasts unless renewed; None where nothing claims (SQLite).
    lease: float | None

    async def add(
        self,
        account: str,
        source: str,
        external_id: str,
        *,
        rcpt_to: str = "",
        mail_from: str = "",
        subject: str = "",
        message_id: str = "",
        mox_msg_id: int | None = None,
        meta: str = "{}",
        raw: bytes | None = None,
    ) -> bool:
        """Keep a message durably; False if (account, source, external_id) is kept already."""

    async def due(self, limit: int = 50) -> builtins.list[MailboxMessage]:
        """Pending messages whose (re)try is due, oldest first."""

    async def renew(self, ids: Sequence[int]) -> int:
        """Extend this process's claim by a lease on those of ids (claimed by due()) it
        still holds unfinished; how many. Nothing where lease is None."""

    async def next_retry(self) -> datetime | None:
        """When the earliest pending message waiting for a retry is due, or None."""

    async def set_raw(self, inbound_id: int, raw: bytes) -> None:
        """"""

    async def retry_later(self, inbound_id: int, when: datetime, why: str) -> None:
        """"""

    async def finish(
        self,
        inbound_id: int,
        status: str,
        report_type: str | None,
        parsed: dict[str, Any] | None,
        outcome: str,
        results: Sequence[MailboxResult] = (),
    ) -> None:
        """Record the parse and what it came to, with one row per recipient, at once."""

    async def get(self, account: str | None, inbound_id: int) -> MailboxMessage | None:
        """One message (of account, unless account is None)."""

    async def results(self, inbound_id: int) -> builtins.list[dict[str, Any]]:
        """"""

    async def list(
        self, account: str | None, *, status: str = "", limit: int = 50, before: int = 0
    ) -> builtins.list[MailboxMessage]:
        """Messages newest first (without their raw bytes), filtered by account and status."""

    async def counts(self) -> dict[tuple[str, str], int]:
        """(account, status) -> number of messages, for the admin page."""

    async def parsed(self, inbound_id: int) -> Any:
        """The parsed report kept for a message (its `parsed` JSON), or None."""

    async def for_entry(
        self, account: str, entry_id: int, limit: int = 50
    ) -> builtins.list[dict[str, Any]]:
        """The account's report messages whose results made or touched entry_id, newest first."""


class UnsubscribeStore(Protocol):
    """The unsubscribe_keys and unsubscribe_links tables, and recipients' own entries."""

    clock: Clock  # the store's clock: whether a retired key still verifies

    async def current_key(self) -> SigningKey:
        """The key that signs new links; made on first use."""

    async def rotate_key(self, actor: str) -> SigningKey:
        """Make a new current key; the current one is retired now (it still verifies for a while)."""

    async def key(self, key_id: int) -> SigningKey | None:
        """The key with this id, current or retired, or None."""

    async def keys(self) -> builtins.list[SigningKey]:
        """Every key, newest first."""

    async def add_link(
        self, link_id: bytes, account: str, recipient: str, topic: str, message: str
    ) -> None:
        """Record a new link."""

    async def drop_link(self, link_id: bytes) -> None:
        """Forget a link whose message mox refused: it was never sent."""

    async def link(self, link_id: bytes) -> Link | None:
        """The link with this id, or None."""

    async def record_send(
        self, link_id: bytes, queue_msg_id: int, message_id: str, address: str, source: str
    ) -> None:
        """mox queued the link's message: note it, and its recipient and topic."""

    async def entries(self, account: str, base: str) -> builtins.list[Suppression]:
        """The active, unexpired entries of any scope for base (account-wide first)."""

    async def unsubscribe(self, entry: NewEntry) -> tuple[Suppression, str]:
        """Unsubscribe or pause the recipient for entry.scope: added, changed, already, outweighed."""

    async def resubscribe(
        self, account: str, base: str, scope: str, actor: str, reason: str
    ) -> Suppression | None:
        """End the recipient's own unsubscribe or pause for scope; None if there is none."""
