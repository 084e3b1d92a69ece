"""Events, statistics and the bounce mailbox's messages."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from moxhooks.models.base import DateTime, Model, doc
from moxhooks.models.entries import Event


class EventList(Model):
    events: list[Event]


class StatsDay(Model, omit_defaults=True):
    """One day's counts (or the totals, without date)."""

    sent: Annotated[int, doc("distinct messages with any event")]
    delivered: int
    delayed: int
    failed: int
    failed_hard: Annotated[int, doc("failed as mailbox/domain unknown or disabled")]
    suppressed: int
    complaints: int
    suppressions_added: int
    suppressions_removed: int
    failed_by_kind: dict[str, int]
    bounce_rate: Annotated[float, doc("failed_hard / sent")]
    complaint_rate: Annotated[float, doc("complaints / sent")]
    date: Annotated[
        str | UnsetType, Meta(extra_json_schema={"format": "date"}), doc("absent in totals")
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


class MailboxMessage(Model, omit_defaults=True):
    """A message kept from the bounce and complaint mailbox."""

    id: int
    account: Annotated[str, doc("the mox account that received it")]
    source: Literal["webhook", "imap"]
    received: DateTime
    rcpt_to: Annotated[str, doc("the report address it was sent to")]
    mail_from: Annotated[str, doc("its From (the reporter)")]
    subject: str
    message_id: str
    status: Literal["pending", "done", "unparsed", "failed"]
    report_type: Annotated[
        Literal["dsn", "arf", "bounce", "autoreply", "unparsed"] | None, doc("null until read")
    ]
    outcome: Annotated[str, doc("what it came to, in words")]
    raw_size: Annotated[int | None, doc("bytes kept; null until fetched from mox")] = (
        msgspec.field(name="size")
    )
    raw_text: Annotated[
        str | None | UnsetType,
        doc(
            "detail only: the message's first 1 MiB as UTF-8 (invalid bytes replaced); null"
            " until fetched. Written by whoever sent the mail: show it as text, never as HTML"
        ),
    ] = msgspec.field(default=UNSET, name="raw")
    raw_truncated: Annotated[bool | UnsetType, doc("detail only: raw is cut at 1 MiB")] = UNSET


class MailboxPage(Model):
    messages: list[MailboxMessage]
    limit: int
    has_more: Annotated[bool, doc("older messages follow (use before)")]


class MailboxResult(Model):
    """What one recipient of a report came to."""

    recipient: str
    kind: str | None
    action: Annotated[str, doc("the report's: failed, delayed, complaint, ...")]
    decision: Annotated[
        str, doc("what was done: suppress, suppress_topic, suppress_for:<duration>, record, ...")
    ]
    detail: str
    entry_id: Annotated[int | None, doc("the entry made or found")]
    created: DateTime


class MailboxDetail(Model):
    """GET inbound/{id}."""

    message: MailboxMessage
    parsed: Annotated[
        dict[str, Any] | None,
        doc(
            "the parsed report (null if none): type, recipients [{address, kind, action,"
            " status, diagnostic}], original_message_id, original_headers, feedback_type,"
            " reporter, reason, problems"
        ),
    ]
    results: list[MailboxResult]
