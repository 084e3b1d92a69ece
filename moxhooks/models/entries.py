"""The suppression list: entries, their history and events, imports, reports."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import UNSET, UnsetType

from moxhooks.models.base import (
    DATE_TIME_FORMAT,
    DateTime,
    KindName,
    Model,
    MoxStateName,
    Row,
    SourceName,
    doc,
    one_of,
)


class Suppression(Model):
    """One entry of an account's suppression list (the store's row type too)."""

    id: int
    account: str
    base_address: Annotated[str, doc("mox's base address, e.g. johndoe@gmail.com")]
    original_address: Annotated[str, doc("as added, e.g. John.Doe+x@gmail.com")]
    scope: Annotated[str, doc("'' for the whole account, else a topic")]
    kind: KindName
    source: SourceName
    reason: str
    created: DateTime
    created_by: Annotated[str, doc("e.g. web:mox@localhost, webhook 5, import")]
    expires: Annotated[str | None, DATE_TIME_FORMAT, doc("null: never")]
    event_id: Annotated[int | None, doc("the event that made it, if one did")]
    active: Annotated[bool, doc("not ended (ended is null)")]
    ended: Annotated[str | None, DATE_TIME_FORMAT]
    ended_by: str | None
    end_reason: str | None
    mox_state: MoxStateName

    @classmethod
    def from_row(cls, r: Row) -> Suppression:
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
    has_more: Annotated[bool, doc("more entries follow")]
    next_before: Annotated[
        int | None, doc("before for the next page (its cost stays that of the first); null: none")
    ]


class NewSuppression(Model):
    """POST suppressions: a manual entry."""

    address: Annotated[str, doc("the address, e.g. john@example.org")]
    scope: Annotated[str, doc("a topic; omitted or '' for the whole account")] = ""
    expires: Annotated[str, doc("a duration (7d, 36h, 90m) or an RFC 3339 time; '' never")] = ""
    reason: Annotated[str, doc("at most 1000 characters")] = ""


class EndSuppression(Model):
    """DELETE suppressions/{id}: the body is optional."""

    reason: Annotated[str, doc("required to end a complaint entry")] = ""


class HistoryItem(Model):
    """One change of an entry, from the audit log."""

    at: DateTime
    action: Annotated[
        str,
        doc(
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
    event: Annotated[str, doc("mox's event: delivered, failed, delayed, ...")]
    queue_msg_id: int
    message_id: str
    status: Annotated[str, one_of(["pending", "unresolved", "done", "abandoned"])]
    recipient: str | None
    kind: Annotated[str | None, doc("failure kind, for failures")]
    decision: str | None
    detail: str


class EntryReport(Model):
    """A report message whose results made or touched an entry."""

    id: Annotated[int, doc("the report message (GET inbound/{id})")]
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
    explanation: Annotated[str, doc("mox's base-address rule, in words")]
    examples: list[str]
    entries: Annotated[
        list[Suppression] | UnsetType,
        doc("entry page only: other active entries with this base address"),
    ] = UNSET


class EntryDetail(Model):
    """GET suppressions/{id}."""

    entry: Suppression
    history: list[HistoryItem]
    events: list[Event]
    reports: Annotated[
        list[EntryReport],
        doc("report messages whose results made or touched the entry, newest first (at most 50)"),
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
    rejected_total: Annotated[int, doc("rejected lists at most 1000")]


class ReportRequest(Model):
    """POST reports."""

    message_id: Annotated[str, doc("the Message-ID of the sent message, with or without <>")]
    type: Literal["bounce", "complaint"]
    detail: Annotated[
        str,
        doc(
            "the bounce's reply or the complaint, kept in the entry's reason; a bounce's kind"
            " is classified from it"
        ),
    ] = ""
    recipient: Annotated[str, doc("which recipient, for a message sent to several")] = ""


class ReportResult(Model):
    """What a report did."""

    action: Annotated[str, doc("suppress, suppress_topic, suppress_for:<duration> or record")]
    added: Annotated[bool, doc("entry is new")]
    entry: Annotated[
        Suppression | None,
        doc("the entry added, or the one that already covered the address; null for record"),
    ]
    recipient: Annotated[str, doc("the message's recipient")]
    mail_type: Annotated[str | None, doc("from the message's Extra")]
    detail: Annotated[str, doc("what was done and why, in words")]
