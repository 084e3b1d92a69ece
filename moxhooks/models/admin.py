"""The admin's view: accounts, IMAP mailboxes, hold rules, the audit log."""

from __future__ import annotations

from typing import Annotated

from moxhooks.models.base import DATE_TIME_FORMAT, DateTime, Model, Row, doc
from moxhooks.models.entries import AuditEntry


class AccountSummary(Model):
    """One configured account at a glance."""

    name: str
    login: str
    suppressions: Annotated[
        int, doc("active entries, counted at most web.suppression_counts_max_age ago")
    ]
    suppressions_by_kind: Annotated[dict[str, int], doc("the same by failure kind")]
    sent_30d: int
    bounce_rate: float
    complaint_rate: float
    unresolved_events: int
    abandoned_events: int
    outbox_backlog: int
    last_reconcile: Annotated[str | None, doc("null: never")]
    sync_error: str
    auto_holds: int
    inbound_addresses: Annotated[list[str], doc("accounts[].inbound_addresses")]
    inbound: Annotated[
        dict[str, int], doc("kept report messages by status: pending, done, unparsed, failed")
    ]


class ImapMailbox(Model):
    """One [[imap]] mailbox moxhooks reads."""

    account: str
    host: str
    port: int
    mailbox: str
    interval: Annotated[float, doc("seconds between looks")]
    last_pass: Annotated[str | None, DATE_TIME_FORMAT, doc("null: not looked yet")]
    last_error: Annotated[str, doc("'' when the last look worked")]
    kept: Annotated[int, doc("messages kept since moxhooks started")]


class MoxServer(Model):
    """One configured mox server: whether it answers and took the worker's last call."""

    name: Annotated[str, doc("its [[mox]] name")]
    url: Annotated[str, doc("its [[mox]] url")]
    ok: bool
    error: Annotated[str, doc("why not ok; empty when ok")]


class Overview(Model):
    """GET admin/accounts."""

    accounts: list[AccountSummary]
    imap: Annotated[list[ImapMailbox], doc("each [[imap]] mailbox, in configuration order")]
    mox_reachable: Annotated[bool, doc("the first mox server is ok (mox_servers' first)")]
    mox_error: Annotated[str, doc("why the first mox server is not ok; empty when it is")]
    mox_servers: Annotated[
        list[MoxServer], doc("every configured mox server, in configuration order")
    ]


class AutoHold(Model):
    """A hold rule moxhooks added by itself (the store's row type too, where mox is the
    server's key, Config.mox_key: "" for the first)."""

    id: int
    mox: Annotated[str, doc("the mox server ([[mox]] name) the hold rule is in")]
    account: str
    recipient_domain: str
    rule_id: Annotated[int, doc("mox's hold rule, in that server")]
    reason: str
    recipients: Annotated[int, doc("distinct recipients that failed within the window")]
    created: DateTime
    lift_after: DateTime
    active: bool
    lifted: Annotated[str | None, DATE_TIME_FORMAT]
    lifted_by: str | None
    released: Annotated[int | None, doc("messages released when lifted")]
    last_error: Annotated[str, doc("why the last attempt to lift failed, if it did")]

    @classmethod
    def from_row(cls, r: Row) -> AutoHold:
        return cls(
            id=r["id"],
            mox=r["mox"],
            account=r["account"],
            recipient_domain=r["recipient_domain"],
            rule_id=r["rule_id"],
            reason=r["reason"],
            recipients=r["recipients"],
            created=r["created"],
            lift_after=r["lift_after"],
            active=r["lifted"] is None,
            lifted=r["lifted"],
            lifted_by=r["lifted_by"],
            released=r["released"],
            last_error=r["last_error"],
        )


class HoldRule(Model):
    """One of mox's queue hold rules."""

    id: int
    account: Annotated[str, doc("'' for all accounts")]
    sender_domain: Annotated[str, doc("'' for all")]
    recipient_domain: Annotated[str, doc("'' for all")]
    auto: Annotated[AutoHold | None, doc("moxhooks' automatic hold behind it, if any")]


class HoldRules(Model):
    rules: list[HoldRule]
    auto_holds: Annotated[list[AutoHold], doc("the 50 most recent automatic holds")]


class NewHoldRule(Model):
    """POST admin/holdrules: at most one field set; all empty holds all."""

    account: str = ""
    sender_domain: str = ""
    recipient_domain: str = ""


class Released(Model):
    released: Annotated[int, doc("messages released")]


class AuditLog(Model):
    entries: list[AuditEntry]
