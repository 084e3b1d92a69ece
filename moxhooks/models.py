"""The typed models of the JSON API: every resource it answers with and every request body
it reads, as msgspec Structs (chosen by measurement: bench/models_bench.py).

One source of truth: the handlers encode their answers and decode request bodies through
these, the store builds Suppression and AutoHold straight from its rows, and the OpenAPI
document (web/api_spec.py) is generated from them, descriptions included. A field's
description is one line: what it is, whether it may be null, an example.
"""

from __future__ import annotations

import sqlite3
from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from moxhooks.errors import ErrorCode
from moxhooks.kinds import Kind, MoxState, Source


def _enum(values: list[str], description: str = "") -> Meta:
    """A str field whose values are one of values (kept as str in Python: read from SQLite)."""
    if description:
        return Meta(description=description, extra_json_schema={"enum": values})
    return Meta(extra_json_schema={"enum": values})


def _d(description: str) -> Meta:
    return Meta(description=description)


_DATE_TIME = Meta(extra_json_schema={"format": "date-time"})
DateTime = Annotated[str, _DATE_TIME]  # RFC 3339 UTC, e.g. "2026-11-22T01:52:56Z"
KindName = Annotated[str, _enum([str(k) for k in Kind], "failure kind, e.g. mailbox_unknown")]
SourceName = Annotated[str, _enum([str(s) for s in Source], "where the entry came from")]
MoxStateName = Annotated[
    str, _enum([str(s) for s in MoxState], "how far mox's own list has caught up")
]


class Model(msgspec.Struct):
    """Base of the models. (Neither frozen nor kw_only: mypy does not see a base class's
    options, so each model's fields with defaults come last.)"""


# ---- Errors --------------------------------------------------------------------------------


class RelaySent(Model):
    """A recipient mox queued a message for."""

    address: Annotated[str, _d("the recipient, e.g. John.Doe@example.org")]
    queue_msg_id: Annotated[int, _d("mox's QueueMsgID of its message")]
    message_id: Annotated[str, _d("the message's Message-ID, e.g. <x@localhost>")]


class RelayRefusal(Model):
    """A recipient not sent to: an active entry blocks it."""

    address: Annotated[str, _d("as given, parsed")]
    kind: Annotated[
        str,
        _enum(
            sorted({*(str(k) for k in Kind), "paused"}),
            "the blocking entry's kind; paused: the recipient paused the topic (or all mail)",
        ),
    ]
    scope: Annotated[str, _d("the entry's scope: '' account-wide, else the topic")]
    code: Annotated[str, _enum([ErrorCode.SUPPRESSED.value])] = ErrorCode.SUPPRESSED


class Error(Model, omit_defaults=True):
    """Every error answer: {"code", "message"}, and a few members some codes add."""

    code: ErrorCode
    message: Annotated[str, _d("in words, for people")]
    id: Annotated[int | None | UnsetType, _d("alreadySuppressed only: the existing entry")] = (
        UNSET
    )
    failed: Annotated[
        str | UnsetType,
        _d(
            "send relay, after mox failed: the recipient whose Send failed (after"
            " moxUnavailable it may or may not be queued)"
        ),
    ] = UNSET
    sent: Annotated[
        list[RelaySent] | UnsetType, _d("send relay, after mox failed: sent before that")
    ] = UNSET
    refused: Annotated[
        list[RelayRefusal] | UnsetType,
        _d("send relay only (suppressed, and after mox failed): the refused recipients"),
    ] = UNSET


# ---- Sessions ------------------------------------------------------------------------------


class Session(Model, omit_defaults=True):
    """Who is signed in; the answer of sign-in and GET session."""

    role: Literal["account", "admin"]
    csrf: Annotated[str, _d("send as X-CSRF-Token on every call; '' for API tokens")]
    via: Literal["session", "token"]
    account: Annotated[str | UnsetType, _d("account role only: the mox account, e.g. mox")] = (
        UNSET
    )
    email: Annotated[str | UnsetType, _d("account role only: the address signed in with")] = (
        UNSET
    )


class LoginRequest(Model):
    """POST login."""

    email: str
    password: str


class AdminLoginRequest(Model):
    """POST admin/login."""

    password: str


# ---- Suppressions --------------------------------------------------------------------------


class Suppression(Model):
    """One entry of an account's suppression list (the store's row type too)."""

    id: int
    account: str
    base_address: Annotated[str, _d("mox's base address, e.g. johndoe@gmail.com")]
    original_address: Annotated[str, _d("as added, e.g. John.Doe+x@gmail.com")]
    scope: Annotated[str, _d("'' for the whole account, else a topic")]
    kind: KindName
    source: SourceName
    reason: str
    created: DateTime
    created_by: Annotated[str, _d("e.g. web:mox@localhost, webhook 5, import")]
    expires: Annotated[str | None, _DATE_TIME, _d("null: never")]
    event_id: Annotated[int | None, _d("the event that made it, if one did")]
    active: Annotated[bool, _d("not ended (ended is null)")]
    ended: Annotated[str | None, _DATE_TIME]
    ended_by: str | None
    end_reason: str | None
    mox_state: MoxStateName

    @classmethod
    def from_row(cls, r: sqlite3.Row) -> Suppression:
        return cls(
            id=r["id"],
            account=r["account"],
            base_address=r["base_address"],
            original_address=r["original_address"],
            scope=r["scope"],
            kind=r["kind"],
            source=r["source"],
            reason=r["reason"],
            created=r["created"],
            created_by=r["created_by"],
            expires=r["expires"],
            event_id=r["event_id"],
            active=r["ended"] is None,
            ended=r["ended"],
            ended_by=r["ended_by"],
            end_reason=r["end_reason"],
            mox_state=r["mox_state"],
        )


class SuppressionPage(Model):
    entries: list[Suppression]
    limit: int
    offset: int
    has_more: Annotated[bool, _d("more entries follow (use offset)")]


class NewSuppression(Model):
    """POST suppressions: a manual entry."""

    address: Annotated[str, _d("the address, e.g. john@example.org")]
    scope: Annotated[str, _d("a topic; omitted or '' for the whole account")] = ""
    expires: Annotated[str, _d("a duration (7d, 36h, 90m) or an RFC 3339 time; '' never")] = ""
    reason: Annotated[str, _d("at most 1000 characters")] = ""


class EndSuppression(Model):
    """DELETE suppressions/{id}: the body is optional."""

    reason: Annotated[str, _d("required to end a complaint entry")] = ""


class HistoryItem(Model):
    """One change of an entry, from the audit log."""

    at: DateTime
    action: Annotated[
        str,
        _d(
            "added, changed, ended, complaint_ended, report_recorded, mox_false_removed,"
            " sync_failed, auto_hold, auto_hold_lifted, hold_rule_added, hold_rule_removed,"
            " hold_released, ..."
        ),
    ]
    actor: str
    detail: str


class AuditEntry(HistoryItem):
    """One line of the audit log."""

    id: int
    account: str
    suppression_id: int | None


class Event(Model):
    """A webhook event as kept (without its payload)."""

    id: int
    account: str
    webhook_id: int
    received: DateTime
    event: Annotated[str, _d("mox's event: delivered, failed, delayed, ...")]
    queue_msg_id: int
    message_id: str
    status: Annotated[str, _enum(["pending", "unresolved", "done", "abandoned"])]
    recipient: str | None
    kind: Annotated[str | None, _d("failure kind, for failures")]
    decision: str | None
    detail: str


class EntryReport(Model):
    """A report message whose results made or touched an entry."""

    id: Annotated[int, _d("the report message (GET inbound/{id})")]
    received: DateTime
    report_type: str | None
    subject: str
    mail_from: str
    status: str
    recipient: str
    action: str
    decision: str
    detail: str


class AlsoBlocks(Model, omit_defaults=True):
    """What an entry blocks under mox's base-address rule."""

    base_address: str
    explanation: Annotated[str, _d("mox's base-address rule, in words")]
    examples: list[str]
    entries: Annotated[
        list[Suppression] | UnsetType,
        _d("entry page only: other active entries with this base address"),
    ] = UNSET


class EntryDetail(Model):
    """GET suppressions/{id}."""

    entry: Suppression
    history: list[HistoryItem]
    events: list[Event]
    reports: Annotated[
        list[EntryReport],
        _d("report messages whose results made or touched the entry, newest first (at most 50)"),
    ]
    also_blocks: AlsoBlocks


class Blocks(Model):
    """GET blocks?address=."""

    address: str
    base_address: str
    explanation: str
    examples: list[str]
    blocked_by: list[Suppression]


class Rejected(Model):
    line: int
    error: str


class ImportResult(Model):
    """POST suppressions/import."""

    added: int
    already_present: int
    rejected: list[Rejected]
    rejected_total: Annotated[int, _d("rejected lists at most 1000")]


# ---- Reports -------------------------------------------------------------------------------


class ReportRequest(Model):
    """POST reports."""

    message_id: Annotated[str, _d("the Message-ID of the sent message, with or without <>")]
    type: Literal["bounce", "complaint"]
    detail: Annotated[
        str,
        _d(
            "the bounce's reply or the complaint, kept in the entry's reason; a bounce's kind"
            " is classified from it"
        ),
    ] = ""
    recipient: Annotated[str, _d("which recipient, for a message sent to several")] = ""


class ReportResult(Model):
    """What a report did."""

    action: Annotated[str, _d("suppress, suppress_topic, suppress_for:<duration> or record")]
    added: Annotated[bool, _d("entry is new")]
    entry: Annotated[
        Suppression | None,
        _d("the entry added, or the one that already covered the address; null for record"),
    ]
    recipient: Annotated[str, _d("the message's recipient")]
    mail_type: Annotated[str | None, _d("from the message's Extra")]
    detail: Annotated[str, _d("what was done and why, in words")]


# ---- Events, statistics, the bounce mailbox --------------------------------------------------


class EventList(Model):
    events: list[Event]


class StatsDay(Model, omit_defaults=True):
    """One day's counts (or the totals, without date)."""

    sent: Annotated[int, _d("distinct messages with any event")]
    delivered: int
    delayed: int
    failed: int
    failed_hard: Annotated[int, _d("failed as mailbox/domain unknown or disabled")]
    suppressed: int
    complaints: int
    suppressions_added: int
    suppressions_removed: int
    failed_by_kind: dict[str, int]
    bounce_rate: Annotated[float, _d("failed_hard / sent")]
    complaint_rate: Annotated[float, _d("complaints / sent")]
    date: Annotated[
        str | UnsetType, Meta(extra_json_schema={"format": "date"}), _d("absent in totals")
    ] = UNSET


class Thresholds(Model):
    bounce_rate: float
    complaint_rate: float


class Stats(Model):
    """Per-day statistics, oldest first, with totals and warnings."""

    days: list[StatsDay]
    totals: StatsDay
    thresholds: Thresholds
    warnings: list[str]


class InboundMessage(Model, omit_defaults=True):
    """A message kept from the bounce and complaint mailbox."""

    id: int
    account: Annotated[str, _d("the mox account that received it")]
    source: Literal["webhook", "imap"]
    received: DateTime
    rcpt_to: Annotated[str, _d("the report address it was sent to")]
    mail_from: Annotated[str, _d("its From (the reporter)")]
    subject: str
    message_id: str
    status: Literal["pending", "done", "unparsed", "failed"]
    report_type: Annotated[
        Literal["dsn", "arf", "bounce", "autoreply", "unparsed"] | None, _d("null until read")
    ]
    outcome: Annotated[str, _d("what it came to, in words")]
    raw_size: Annotated[int | None, _d("bytes kept; null until fetched from mox")] = (
        msgspec.field(name="size")
    )
    raw_text: Annotated[
        str | None | UnsetType,
        _d(
            "detail only: the message's first 1 MiB as UTF-8 (invalid bytes replaced); null"
            " until fetched. Written by whoever sent the mail: show it as text, never as HTML"
        ),
    ] = msgspec.field(default=UNSET, name="raw")
    raw_truncated: Annotated[bool | UnsetType, _d("detail only: raw is cut at 1 MiB")] = UNSET


class InboundPage(Model):
    messages: list[InboundMessage]
    limit: int
    has_more: Annotated[bool, _d("older messages follow (use before)")]


class InboundResult(Model):
    """What one recipient of a report came to."""

    recipient: str
    kind: str | None
    action: Annotated[str, _d("the report's: failed, delayed, complaint, ...")]
    decision: Annotated[
        str, _d("what was done: suppress, suppress_topic, suppress_for:<duration>, record, ...")
    ]
    detail: str
    entry_id: Annotated[int | None, _d("the entry made or found")]
    created: DateTime


class InboundDetail(Model):
    """GET inbound/{id}."""

    message: InboundMessage
    parsed: Annotated[
        dict[str, Any] | None,
        _d(
            "the parsed report (null if none): type, recipients [{address, kind, action,"
            " status, diagnostic}], original_message_id, original_headers, feedback_type,"
            " reporter, reason, problems"
        ),
    ]
    results: list[InboundResult]


# ---- The send relay ------------------------------------------------------------------------


class RelayResult(Model):
    """Sent to at least one recipient."""

    sent: list[RelaySent]
    refused: list[RelayRefusal]


# ---- Admin ---------------------------------------------------------------------------------


class AccountSummary(Model):
    """One configured account at a glance."""

    name: str
    login: str
    suppressions: int
    suppressions_by_kind: dict[str, int]
    sent_30d: int
    bounce_rate: float
    complaint_rate: float
    unresolved_events: int
    abandoned_events: int
    outbox_backlog: int
    last_reconcile: Annotated[str | None, _d("null: never")]
    sync_error: str
    auto_holds: int
    inbound_addresses: Annotated[list[str], _d("accounts[].inbound_addresses")]
    inbound: Annotated[
        dict[str, int], _d("kept report messages by status: pending, done, unparsed, failed")
    ]


class ImapMailbox(Model):
    """One [[imap]] mailbox moxhooks reads."""

    account: str
    host: str
    port: int
    mailbox: str
    interval: Annotated[float, _d("seconds between looks")]
    last_pass: Annotated[str | None, _DATE_TIME, _d("null: not looked yet")]
    last_error: Annotated[str, _d("'' when the last look worked")]
    kept: Annotated[int, _d("messages kept since moxhooks started")]


class Overview(Model):
    """GET admin/accounts."""

    accounts: list[AccountSummary]
    imap: Annotated[list[ImapMailbox], _d("each [[imap]] mailbox, in configuration order")]
    mox_reachable: bool
    mox_error: str


class AutoHold(Model):
    """A hold rule moxhooks added by itself (the store's row type too)."""

    id: int
    account: str
    recipient_domain: str
    rule_id: Annotated[int, _d("mox's hold rule")]
    reason: str
    recipients: Annotated[int, _d("distinct recipients that failed within the window")]
    created: DateTime
    lift_after: DateTime
    active: bool
    lifted: Annotated[str | None, _DATE_TIME]
    lifted_by: str | None
    released: Annotated[int | None, _d("messages released when lifted")]
    last_error: Annotated[str, _d("why the last attempt to lift failed, if it did")]

    @classmethod
    def from_row(cls, r: sqlite3.Row) -> AutoHold:
        return cls(
            id=r["id"],
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
    account: Annotated[str, _d("'' for all accounts")]
    sender_domain: Annotated[str, _d("'' for all")]
    recipient_domain: Annotated[str, _d("'' for all")]
    auto: Annotated[AutoHold | None, _d("moxhooks' automatic hold behind it, if any")]


class HoldRules(Model):
    rules: list[HoldRule]
    auto_holds: Annotated[list[AutoHold], _d("the 50 most recent automatic holds")]


class NewHoldRule(Model):
    """POST admin/holdrules: at most one field set; all empty holds all."""

    account: str = ""
    sender_domain: str = ""
    recipient_domain: str = ""


class Released(Model):
    released: Annotated[int, _d("messages released")]


class AuditLog(Model):
    entries: list[AuditEntry]


class Empty(Model):
    """{}: done, nothing to say."""


# ---- The preference page (/u/{token}/prefs) --------------------------------------------------


class Topic(Model):
    name: str
    description: str


class ScopeState(Model):
    """Whether the recipient gets mail of a scope."""

    state: Literal["subscribed", "unsubscribed", "paused", "blocked"]
    until: Annotated[str | None, _DATE_TIME, _d("the end of a pause or block; null: none")]


class TopicState(Model):
    name: str
    description: str
    state: Literal["subscribed", "unsubscribed", "paused", "blocked"]
    until: Annotated[str | None, _DATE_TIME]


class Period(Model):
    id: Annotated[str, _d("e.g. 1w")]
    days: int
    label: Annotated[str, _d("e.g. 1 week")]


class Prefs(Model):
    """What the preference page shows."""

    address: Annotated[str, _d("the recipient, masked, e.g. j***@example.org")]
    topic: Annotated[Topic | None, _d("the link's topic; null: the link is for all mail")]
    everything: ScopeState
    topics: list[TopicState]
    periods: list[Period]
    now: DateTime


class PrefsRequest(Model):
    """POST /u/{token}/prefs."""

    action: Literal["unsubscribe", "pause", "resubscribe"]
    scope: Annotated[str, _d("a topic, or '' for everything")]
    period: Annotated[str, _d("pause only: 1w, 1m or 3m")] = ""


# ---- Query parameters ----------------------------------------------------------------------
# Read by web.bodies.read_query: a missing or empty parameter takes the default; a whole
# number must lie within the field's bounds; the OpenAPI parameters are generated from these.

MAX_LIMIT = 500  # the most rows one page of a listing has
MAX_ID = 2**63 - 1  # SQLite's largest row id
InboundStatus = Literal["pending", "done", "unparsed", "failed"]


Page50 = Annotated[int, Meta(ge=1, le=MAX_LIMIT, description="rows per page, default 50")]
Page100 = Annotated[int, Meta(ge=1, le=MAX_LIMIT, description="rows per page, default 100")]

_BEFORE = Annotated[int, Meta(ge=0, le=MAX_ID, description="only rows with a smaller id (paging)")]


class SuppressionQuery(Model):
    """GET suppressions."""

    search: Annotated[str, _d("substring of the original or base address")] = ""
    kind: Annotated[str, _d("failure kind")] = ""
    source: Annotated[str, _d("entry source")] = ""
    scope: Annotated[str, _d("a topic; '-' for account-wide entries only; empty for all")] = ""
    active: Annotated[Literal["true", "false", "all"], _d("ended entries too: false, all")] = (
        "true"
    )
    expiring: Annotated[bool, _d("true: only entries with an expiry")] = False
    limit: Page50 = 50
    offset: Annotated[int, Meta(ge=0, le=10**9)] = 0


class BlocksQuery(Model):
    """GET blocks."""

    address: Annotated[str, _d("the address (required)")] = ""


class EventQuery(Model):
    """GET events."""

    event: Annotated[str, _d("delivered, failed, delayed, ...")] = ""
    kind: Annotated[str, _d("failure kind")] = ""
    status: Annotated[str, _d("pending, unresolved, done, abandoned")] = ""
    address: Annotated[str, _d("events of this address's base address")] = ""
    limit: Page100 = 100
    before: _BEFORE = 0


class StatsQuery(Model):
    """GET stats."""

    days: Annotated[int, Meta(ge=1, le=366, description="days back from today, default 30")] = 30


class InboundQuery(Model):
    """GET inbound."""

    status: Annotated[
        Literal["", InboundStatus], _d("pending, done, unparsed or failed; empty for all")
    ] = ""
    limit: Page50 = 50
    before: _BEFORE = 0


class AuditQuery(Model):
    """GET admin/audit."""

    account: Annotated[str, _d("only this account")] = ""
    limit: Page100 = 100
    before: _BEFORE = 0


_ENCODER = msgspec.json.Encoder()


def encode(value: Any) -> bytes:
    """JSON of a model (or of lists and dicts of them)."""
    return _ENCODER.encode(value)
