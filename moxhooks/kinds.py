"""The fixed vocabularies: failure kinds, entry sources, mox sync states."""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    """Why a delivery failed, or why an address is suppressed. Stable, machine-readable."""

    MAILBOX_UNKNOWN = "mailbox_unknown"
    DOMAIN_UNKNOWN = "domain_unknown"
    MAILBOX_DISABLED = "mailbox_disabled"
    MAILBOX_FULL = "mailbox_full"
    CONTENT_REJECTED = "content_rejected"
    SENDER_BLOCKED = "sender_blocked"
    RATE_LIMITED = "rate_limited"
    MESSAGE_TOO_LARGE = "message_too_large"
    EXPIRED = "expired"
    TRANSIENT = "transient"
    COMPLAINT = "complaint"
    UNSUBSCRIBED = "unsubscribed"
    MANUAL = "manual"
    UNDETERMINED = "undetermined"


# Plain words for each kind, for the pages and the docs' vocabulary reference.
KIND_DESCRIPTIONS: dict[Kind, str] = {
    Kind.MAILBOX_UNKNOWN: "the mailbox does not exist",
    Kind.DOMAIN_UNKNOWN: "the domain does not exist or accepts no mail",
    Kind.MAILBOX_DISABLED: "the mailbox is disabled or suspended",
    Kind.MAILBOX_FULL: "the mailbox is full",
    Kind.CONTENT_REJECTED: "the message was rejected for its content",
    Kind.SENDER_BLOCKED: "the sender (IP, domain or authentication) was blocked",
    Kind.RATE_LIMITED: "the receiver asked to slow down",
    Kind.MESSAGE_TOO_LARGE: "the message was too large",
    Kind.EXPIRED: "delivery gave up after retries",
    Kind.TRANSIENT: "a temporary failure",
    Kind.COMPLAINT: "the recipient reported the mail as spam",
    Kind.UNSUBSCRIBED: "the recipient unsubscribed",
    Kind.MANUAL: "added by a person",
    Kind.UNDETERMINED: "the failure could not be recognised",
}


class Source(StrEnum):
    """Where a suppression entry came from."""

    WEBHOOK = "webhook"  # moxhooks' own policy, from an event mox posted
    MOX = "mox"  # mox's own entry: adopted by reconcile, or followed (decision follow_mox)
    COMPLAINT = "complaint"  # an ARF complaint from the bounce mailbox
    UNSUBSCRIBE = "unsubscribe"  # an unsubscribe link or the preference page
    MANUAL = "manual"  # added by a person (page, API or CLI)
    IMPORT = "import"  # a CSV import
    REPORT = "report"  # a program's report (POST /api/v1/reports)
    BOUNCE = "bounce"  # an asynchronous bounce read from the bounce mailbox


class MoxState(StrEnum):
    """Where an entry stands with mox's own suppression list."""

    NOT_APPLICABLE = "n/a"  # topic-scoped entries: mox knows only account-wide ones
    PENDING_ADD = "pending_add"  # an outbox row will add it to mox
    SYNCED = "synced"  # mox has it
    PENDING_REMOVE = "pending_remove"  # ended here; an outbox row will remove it from mox
    REMOVED = "removed"  # ended here and gone from mox
    ERROR = "error"  # mox refused the change for good (the outbox row says why)
