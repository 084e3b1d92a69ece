"""The typed models of the JSON API: every resource it answers with, every request body and
query string it reads, as msgspec Structs (chosen by measurement: bench/models_bench.py).

One source of truth: the handlers encode their answers and decode request bodies and
query strings through these, the store builds Suppression and AutoHold straight from its
rows, and the OpenAPI document (web/api_spec.py) is generated from them, descriptions
included. A field's description is one line: what it is, whether it may be null, an
example.
"""

from __future__ import annotations

from moxhooks.models.activity import (
    EventList,
    MailboxDetail,
    MailboxMessage,
    MailboxPage,
    MailboxResult,
    Stats,
    StatsDay,
    Thresholds,
)
from moxhooks.models.admin import (
    AccountSummary,
    AuditLog,
    AutoHold,
    HoldRule,
    HoldRules,
    ImapMailbox,
    MoxServer,
    NewHoldRule,
    Overview,
    Released,
)
from moxhooks.models.base import (
    DateTime,
    Empty,
    Model,
    encode,
)
from moxhooks.models.entries import (
    AlsoBlocks,
    AuditEntry,
    Blocks,
    EndSuppression,
    EntryDetail,
    EntryReport,
    Event,
    HistoryItem,
    ImportResult,
    NewSuppression,
    Rejected,
    ReportRequest,
    ReportResult,
    Suppression,
    SuppressionPage,
)
from moxhooks.models.health import (
    DatabaseCheck,
    EventsCheck,
    Health,
    HealthChecks,
    MoxCheck,
    OutboxCheck,
    WorkerCheck,
)
from moxhooks.models.prefs import (
    Period,
    Prefs,
    PrefsRequest,
    ScopeState,
    Topic,
    TopicState,
)
from moxhooks.models.queries import (
    MAX_ID,
    MAX_LIMIT,
    AuditQuery,
    BlocksQuery,
    EventQuery,
    HoldRulesQuery,
    MailboxQuery,
    MailboxStatus,
    StatsQuery,
    SuppressionQuery,
)
from moxhooks.models.relay import (
    Error,
    RelayRefusal,
    RelayResult,
    RelaySent,
)
from moxhooks.models.sessions import (
    AdminLoginRequest,
    LoginRequest,
    Session,
)
from moxhooks.models.webhooks import (
    IncomingMeta,
    IncomingWebhook,
    OutgoingWebhook,
)

__all__ = [
    "AccountSummary",
    "AdminLoginRequest",
    "AlsoBlocks",
    "AuditEntry",
    "AuditLog",
    "AuditQuery",
    "AutoHold",
    "Blocks",
    "BlocksQuery",
    "DatabaseCheck",
    "DateTime",
    "Empty",
    "EndSuppression",
    "EntryDetail",
    "EntryReport",
    "Error",
    "Event",
    "EventList",
    "EventQuery",
    "EventsCheck",
    "Health",
    "HealthChecks",
    "HistoryItem",
    "HoldRule",
    "HoldRules",
    "HoldRulesQuery",
    "ImapMailbox",
    "ImportResult",
    "IncomingMeta",
    "IncomingWebhook",
    "LoginRequest",
    "MAX_ID",
    "MAX_LIMIT",
    "MailboxDetail",
    "MailboxMessage",
    "MailboxPage",
    "MailboxQuery",
    "MailboxResult",
    "MailboxStatus",
    "Model",
    "MoxCheck",
    "MoxServer",
    "NewHoldRule",
    "NewSuppression",
    "OutboxCheck",
    "OutgoingWebhook",
    "Overview",
    "Period",
    "Prefs",
    "PrefsRequest",
    "Rejected",
    "RelayRefusal",
    "RelayResult",
    "RelaySent",
    "Released",
    "ReportRequest",
    "ReportResult",
    "ScopeState",
    "Session",
    "Stats",
    "StatsDay",
    "StatsQuery",
    "Suppression",
    "SuppressionPage",
    "SuppressionQuery",
    "Thresholds",
    "Topic",
    "TopicState",
    "WorkerCheck",
    "encode",
]
