"""The policy: given one classified event and the address's history, what to do.

Pure decisions, no I/O: the caller gathers the facts (classifier, DNS, store)
and carries out the decision (store, outbox). The rules are design.md's table,
tuned per account through PolicySettings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from moxhooks.config import PolicySettings
from moxhooks.kinds import KIND_DESCRIPTIONS, Kind

# Events that report a failure to deliver (the message may still be retried after "delayed").
FAILURE_EVENTS = frozenset({"failed", "delayed"})
# mox events that are not failures of the recipient: nothing to decide.
NON_FAILURE_EVENTS = frozenset(
    {"delivered", "suppressed", "relayed", "expanded", "canceled", "unrecognized"}
)
# Failures caused by the sender or its message, never by the recipient. mox still
# suppresses the recipient for some of them (any 550, and 5.7.1): those entries are false.
NOT_RECIPIENTS_FAULT = frozenset(
    {Kind.CONTENT_REJECTED, Kind.SENDER_BLOCKED, Kind.RATE_LIMITED, Kind.MESSAGE_TOO_LARGE}
)


class Action(StrEnum):
    """What the caller should do with the suppression list."""

    NONE = "none"  # Not a failure (e.g. delivered): nothing to record.
    RECORD = "record"  # Record the failure; the list does not change.
    SUPPRESS = "suppress"  # Add an account-wide entry (expiring if expires_after is set).
    # Remove the entry mox just added for a failure that was not the recipient's fault
    # (and end our own entry for the address if it was adopted from mox).
    UNSUPPRESS_MOX = "unsuppress_mox"
    ALREADY = "already_suppressed"  # An active account-wide entry covers the address already.
    # mox suppressed the recipient where moxhooks alone would not (yet): list it too, as
    # mox's entry (source mox, no expiry, already in mox), so this list never knows less.
    FOLLOW_MOX = "follow_mox"


@dataclass(frozen=True)
class EventFacts:
    """What is known about one event."""

    event: str  # mox's event name, e.g. "failed"; "complaint" etc. for other sources.
    kind: Kind | None  # The classified failure kind; None if not classified.
    mox_suppressing: bool  # mox added the recipient to its own list for this event.
    # For domain_unknown: True if DNS confirmed it (NXDOMAIN or null MX), False if DNS
    # says the domain exists, None if not checked or DNS did not answer.
    domain_confirmed: bool | None = None


@dataclass(frozen=True)
class History:
    """What the store knows about the recipient's base address in this account."""

    soft_failures: int  # Distinct OTHER messages that soft-failed within the soft window.
    soft_suppressions: int  # Earlier soft (expiring) suppressions, for doubling the expiry.
    active_entry: bool  # An active account-wide entry exists.
    active_entry_kind: Kind | None  # Its kind; None if unknown (e.g. adopted from mox).


@dataclass(frozen=True)
class Decision:
    """The outcome, with a reason a person can read."""

    action: Action
    kind: Kind | None  # The kind an entry gets, or the event's kind.
    expires_after: timedelta | None  # For SUPPRESS: None means no expiry.
    reason: str  # e.g. "3 soft failures in 14 days; suppressed for 7 days"
    counts_soft: bool  # The event counts as a soft failure of the recipient.


def decide(facts: EventFacts, history: History, settings: PolicySettings) -> Decision:
    """Decide what one event does to the suppression list."""
    decision = _decide(facts, history, settings)
    if (
        facts.mox_suppressing
        and not history.active_entry
        and decision.kind not in NOT_RECIPIENTS_FAULT
        and decision.action in (Action.RECORD, Action.SUPPRESS)
        and (decision.action == Action.RECORD or decision.expires_after is not None)
    ):
        # mox has just listed the address for good (a 5xx it treats as final, or its third
        # failure in a row) and the failure was not the sender's: list it here too.
        kind = decision.kind or Kind.UNDETERMINED
        return Decision(
            Action.FOLLOW_MOX,
            kind,
            None,
            f"mox suppressed the recipient for {_label(kind)}; listed as mox's entry"
            f" (by itself moxhooks would have: {decision.reason})",
            decision.counts_soft,
        )
    return decision


def _decide(facts: EventFacts, history: History, settings: PolicySettings) -> Decision:
    if facts.event in NON_FAILURE_EVENTS:
        return Decision(Action.NONE, facts.kind, None, f"{facts.event}: not a failure", False)
    kind = facts.kind
    if kind is None:
        if facts.event not in FAILURE_EVENTS:
            return Decision(Action.NONE, None, None, f"{facts.event}: no failure kind", False)
        kind = Kind.UNDETERMINED

    if kind in settings.immediate_kinds:
        if facts.event == "delayed":
            return _soft(kind, history, settings, "delayed, so counted as a soft failure")
        if kind == Kind.DOMAIN_UNKNOWN and facts.domain_confirmed is not True:
            why = "not confirmed by DNS"
            if facts.domain_confirmed is False:
                why = "DNS says the domain exists"
            return _soft(kind, history, settings, f"{why}, so counted as a soft failure")
        if history.active_entry:
            return _already(kind, history, counts_soft=False)
        what = "confirmed by DNS" if kind == Kind.DOMAIN_UNKNOWN else ""
        return Decision(
            Action.SUPPRESS,
            kind,
            None,
            f"{_label(kind, what)}; suppressed without expiry",
            False,
        )

    if kind in settings.soft_kinds:
        return _soft(kind, history, settings, "")

    if facts.mox_suppressing and kind in NOT_RECIPIENTS_FAULT:
        by_mox = f"mox suppressed the recipient for {_label(kind)}, not the recipient's fault"
        if not settings.undo_false_mox:
            return Decision(
                Action.RECORD, kind, None, f"{by_mox}; left in mox (undo_false_mox is off)", False
            )
        held = history.active_entry_kind
        if history.active_entry and held is not None and held not in NOT_RECIPIENTS_FAULT:
            return Decision(
                Action.RECORD,
                kind,
                None,
                f"{by_mox}; left in mox, the address is suppressed here for {held}",
                False,
            )
        return Decision(Action.UNSUPPRESS_MOX, kind, None, f"{by_mox}; removing it", False)

    why = "not the recipient's fault" if kind in NOT_RECIPIENTS_FAULT else "not set to suppress"
    return Decision(Action.RECORD, kind, None, f"{_label(kind)}; {why}, never suppressed", False)


def soft_expiry_for(n_previous: int, settings: PolicySettings) -> timedelta:
    """Expiry of a soft suppression after n_previous earlier ones: doubles each time, capped."""
    expiry, cap = settings.soft_expiry, settings.soft_expiry_max
    for _ in range(max(0, n_previous)):
        if expiry <= timedelta(0) or expiry >= cap:
            break
        try:
            expiry *= 2
        except OverflowError:
            return cap
    return min(expiry, cap)


def _soft(kind: Kind, history: History, settings: PolicySettings, note: str) -> Decision:
    prefix = f"{_label(kind)}; {note}; " if note else f"{_label(kind)}; "
    if history.active_entry:
        return _already(kind, history, counts_soft=True)
    n = history.soft_failures + 1
    window = format_duration(settings.soft_window)
    failures = f"{n} soft failure{'' if n == 1 else 's'} in {window}"
    if n >= settings.soft_threshold:
        expiry = soft_expiry_for(history.soft_suppressions, settings)
        reason = f"{prefix}{failures}; suppressed for {format_duration(expiry)}"
        return Decision(Action.SUPPRESS, kind, expiry, reason, True)
    reason = f"{prefix}{failures}; suppressed at {settings.soft_threshold}"
    return Decision(Action.RECORD, kind, None, reason, True)


def _already(kind: Kind, history: History, *, counts_soft: bool) -> Decision:
    held = history.active_entry_kind
    reason = f"{_label(kind)}; already suppressed" + (f" for {held}" if held else "")
    return Decision(Action.ALREADY, kind, None, reason, counts_soft)


def _label(kind: Kind, qualifier: str = "") -> str:
    q = f" {qualifier}" if qualifier else ""
    return f"{kind}{q} ({KIND_DESCRIPTIONS.get(kind, kind.value)})"


def format_duration(d: timedelta) -> str:
    """A duration in the largest whole unit, e.g. "14 days", "36 hours", "90 seconds"."""
    seconds = int(d.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds and seconds % size == 0:
            n = seconds // size
            return f"{n} {unit}{'' if n == 1 else 's'}"
    return f"{seconds} second{'' if seconds == 1 else 's'}"
