"""The policy, table-driven: every kind with and without mox suppressing, thresholds, expiry."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from moxhooks.config import PolicySettings
from moxhooks.jobs.policy import (
    NOT_RECIPIENTS_FAULT,
    Action,
    Decision,
    EventFacts,
    History,
    decide,
    format_duration,
    soft_expiry_for,
)
from moxhooks.kinds import Kind

DEFAULT = PolicySettings()
FRESH = History(soft_failures=0, soft_suppressions=0, active_entry=False, active_entry_kind=None)
A, R, S, U, N = Action.ALREADY, Action.RECORD, Action.SUPPRESS, Action.UNSUPPRESS_MOX, Action.NONE
F = Action.FOLLOW_MOX
DAY = timedelta(days=1)

# kind -> (action without mox suppressing, action with mox suppressing), for a first
# "failed" event with default settings and no history. Where mox suppresses and the
# failure is not the sender's, moxhooks never knows less than mox: S stays S (our own
# entry), a mere record becomes F (mox's entry, listed here too).
FIRST_FAILURE: dict[Kind, tuple[Action, Action]] = {
    Kind.MAILBOX_UNKNOWN: (S, S),
    Kind.DOMAIN_UNKNOWN: (R, F),  # not confirmed by DNS: a first soft failure
    Kind.MAILBOX_DISABLED: (S, S),
    Kind.MAILBOX_FULL: (R, F),
    Kind.CONTENT_REJECTED: (R, U),
    Kind.SENDER_BLOCKED: (R, U),
    Kind.RATE_LIMITED: (R, U),
    Kind.MESSAGE_TOO_LARGE: (R, U),
    Kind.EXPIRED: (R, F),  # mox's third failure in a row
    Kind.TRANSIENT: (R, F),
    Kind.COMPLAINT: (S, S),
    Kind.UNSUBSCRIBED: (R, F),  # handled by the unsubscribe flow, not as a failure
    Kind.MANUAL: (R, F),
    Kind.UNDETERMINED: (R, F),  # e.g. a bare "550 5.0.0" with no words we know
}


def test_table_covers_every_kind() -> None:
    assert set(FIRST_FAILURE) == set(Kind)


@pytest.mark.parametrize("kind", list(Kind))
@pytest.mark.parametrize("suppressing", [False, True])
def test_first_failure(kind: Kind, suppressing: bool) -> None:
    d = decide(EventFacts("failed", kind, suppressing, None), FRESH, DEFAULT)
    assert d.action == FIRST_FAILURE[kind][suppressing]
    assert d.kind == kind
    assert d.counts_soft == (kind in DEFAULT.soft_kinds or kind == Kind.DOMAIN_UNKNOWN)
    assert d.expires_after is None
    assert d.reason


@pytest.mark.parametrize("kind", list(Kind))
@pytest.mark.parametrize("suppressing", [False, True])
def test_already_suppressed(kind: Kind, suppressing: bool) -> None:
    history = dataclasses.replace(FRESH, active_entry=True, active_entry_kind=kind)
    d = decide(EventFacts("failed", kind, suppressing, True), history, DEFAULT)
    if kind in DEFAULT.immediate_kinds or kind in DEFAULT.soft_kinds:
        assert d.action == A
        assert d.reason.endswith(f"already suppressed for {kind}")
    else:  # our entry is for a kind mox's false entry would not be: nothing to keep
        assert d.action == (U if suppressing and kind in NOT_RECIPIENTS_FAULT else R)


@pytest.mark.parametrize(
    "event", ["delivered", "suppressed", "relayed", "expanded", "canceled", "unrecognized"]
)
@pytest.mark.parametrize("kind", [None, Kind.MAILBOX_UNKNOWN])
def test_non_failure_events(event: str, kind: Kind | None) -> None:
    d = decide(EventFacts(event, kind, False), FRESH, DEFAULT)
    assert d == Decision(N, kind, None, f"{event}: not a failure", False)


def test_unknown_event_without_kind() -> None:
    d = decide(EventFacts("bounced-in-future", None, False), FRESH, DEFAULT)
    assert d == Decision(N, None, None, "bounced-in-future: no failure kind", False)


def test_unknown_event_with_kind_follows_the_kind() -> None:
    # e.g. a complaint report, passed in with its own event name
    d = decide(EventFacts("complaint", Kind.COMPLAINT, False), FRESH, DEFAULT)
    assert (d.action, d.expires_after) == (S, None)


def test_failure_without_kind_is_undetermined() -> None:
    d = decide(EventFacts("failed", None, False), FRESH, DEFAULT)
    assert (d.action, d.kind, d.counts_soft) == (R, Kind.UNDETERMINED, True)


def test_immediate_reason() -> None:
    d = decide(EventFacts("failed", Kind.MAILBOX_UNKNOWN, True), FRESH, DEFAULT)
    assert d == Decision(
        S,
        Kind.MAILBOX_UNKNOWN,
        None,
        "mailbox_unknown (the mailbox does not exist); suppressed without expiry",
        False,
    )


@pytest.mark.parametrize(
    ("confirmed", "action", "reason"),
    [
        (
            True,
            S,
            (
                "domain_unknown confirmed by DNS (the domain does not exist or accepts no mail); "
                "suppressed without expiry"
            ),
        ),
        (
            False,
            R,
            (
                "domain_unknown (the domain does not exist or accepts no mail); DNS says the domain "
                "exists, so counted as a soft failure; 1 soft failure in 14 days; suppressed at 3"
            ),
        ),
        (
            None,
            R,
            (
                "domain_unknown (the domain does not exist or accepts no mail); not confirmed by DNS, "
                "so counted as a soft failure; 1 soft failure in 14 days; suppressed at 3"
            ),
        ),
    ],
)
def test_domain_unknown(confirmed: bool | None, action: Action, reason: str) -> None:
    d = decide(EventFacts("failed", Kind.DOMAIN_UNKNOWN, False, confirmed), FRESH, DEFAULT)
    assert (d.action, d.reason, d.counts_soft) == (action, reason, not confirmed)


def test_unconfirmed_domain_unknown_reaches_threshold() -> None:
    history = dataclasses.replace(FRESH, soft_failures=2)
    d = decide(EventFacts("failed", Kind.DOMAIN_UNKNOWN, False, None), history, DEFAULT)
    assert (d.action, d.expires_after) == (S, 7 * DAY)


# (soft_failures before, soft_suppressions before) -> (action, expires_after)
@pytest.mark.parametrize(
    ("failures", "suppressions", "action", "expires"),
    [
        (0, 0, R, None),
        (1, 0, R, None),
        (2, 0, S, 7 * DAY),
        (5, 0, S, 7 * DAY),
        (2, 1, S, 14 * DAY),
        (2, 2, S, 28 * DAY),
        (2, 3, S, 56 * DAY),
        (2, 4, S, 90 * DAY),  # 112 days capped at soft_expiry_max
        (2, 1000, S, 90 * DAY),
    ],
)
@pytest.mark.parametrize("kind", sorted(DEFAULT.soft_kinds))
@pytest.mark.parametrize("event", ["failed", "delayed"])
def test_soft_threshold_and_expiry(
    failures: int,
    suppressions: int,
    action: Action,
    expires: timedelta | None,
    kind: Kind,
    event: str,
) -> None:
    history = History(failures, suppressions, False, None)
    d = decide(EventFacts(event, kind, False), history, DEFAULT)
    assert (d.action, d.expires_after, d.counts_soft, d.kind) == (action, expires, True, kind)


def test_soft_reason() -> None:
    d = decide(EventFacts("failed", Kind.MAILBOX_FULL, False), History(2, 0, False, None), DEFAULT)
    assert d.reason == (
        "mailbox_full (the mailbox is full); 3 soft failures in 14 days; suppressed for 7 days"
    )
    d = decide(EventFacts("failed", Kind.MAILBOX_FULL, False), History(1, 0, False, None), DEFAULT)
    assert (
        d.reason
        == "mailbox_full (the mailbox is full); 2 soft failures in 14 days; suppressed at 3"
    )


@pytest.mark.parametrize("kind", sorted(DEFAULT.immediate_kinds))
def test_delayed_immediate_kind_counts_soft(kind: Kind) -> None:
    d = decide(EventFacts("delayed", kind, False, True), FRESH, DEFAULT)
    assert (d.action, d.counts_soft) == (R, True)
    assert "delayed, so counted as a soft failure" in d.reason
    d = decide(EventFacts("delayed", kind, False, True), History(2, 0, False, None), DEFAULT)
    assert (d.action, d.expires_after) == (S, 7 * DAY)


@pytest.mark.parametrize("kind", sorted(NOT_RECIPIENTS_FAULT))
def test_delayed_never_suppress_kind(kind: Kind) -> None:
    d = decide(EventFacts("delayed", kind, False), History(10, 0, False, None), DEFAULT)
    assert (d.action, d.counts_soft) == (R, False)


def test_false_mox_entry_reason() -> None:
    d = decide(EventFacts("failed", Kind.SENDER_BLOCKED, True), FRESH, DEFAULT)
    assert d == Decision(
        U,
        Kind.SENDER_BLOCKED,
        None,
        "mox suppressed the recipient for sender_blocked (the sender (IP, domain or "
        "authentication) was blocked), not the recipient's fault; removing it",
        False,
    )


@pytest.mark.parametrize(
    ("entry_kind", "action"),
    [
        (Kind.MAILBOX_UNKNOWN, R),  # ours is real: mox's entry stays
        (Kind.MANUAL, R),
        (Kind.UNSUBSCRIBED, R),
        (None, U),  # unknown kind, e.g. adopted from mox: not a reason to keep it
        (Kind.SENDER_BLOCKED, U),
    ],
)
def test_false_mox_entry_with_our_entry(entry_kind: Kind | None, action: Action) -> None:
    history = dataclasses.replace(FRESH, active_entry=True, active_entry_kind=entry_kind)
    d = decide(EventFacts("failed", Kind.CONTENT_REJECTED, True), history, DEFAULT)
    assert d.action == action
    if action == R:
        assert d.reason.endswith(f"left in mox, the address is suppressed here for {entry_kind}")


def test_undo_false_mox_off() -> None:
    settings = PolicySettings(undo_false_mox=False)
    d = decide(EventFacts("failed", Kind.RATE_LIMITED, True), FRESH, settings)
    assert d.action == R
    assert d.reason.endswith("left in mox (undo_false_mox is off)")


def test_never_suppress_reason() -> None:
    d = decide(
        EventFacts("failed", Kind.MESSAGE_TOO_LARGE, False), History(9, 0, False, None), DEFAULT
    )
    assert d == Decision(
        R,
        Kind.MESSAGE_TOO_LARGE,
        None,
        "message_too_large (the message was too large); not the recipient's fault, "
        "never suppressed",
        False,
    )


# Overrides through PolicySettings.
def test_override_soft_kind_made_immediate() -> None:
    settings = PolicySettings(
        immediate_kinds=DEFAULT.immediate_kinds | {Kind.MAILBOX_FULL},
        soft_kinds=DEFAULT.soft_kinds - {Kind.MAILBOX_FULL},
    )
    d = decide(EventFacts("failed", Kind.MAILBOX_FULL, False), FRESH, settings)
    assert (d.action, d.expires_after) == (S, None)


def test_override_immediate_kind_made_soft() -> None:
    settings = PolicySettings(
        immediate_kinds=DEFAULT.immediate_kinds - {Kind.MAILBOX_UNKNOWN},
        soft_kinds=DEFAULT.soft_kinds | {Kind.MAILBOX_UNKNOWN},
    )
    d = decide(EventFacts("failed", Kind.MAILBOX_UNKNOWN, False), FRESH, settings)
    assert (d.action, d.counts_soft) == (R, True)
    # mox listed it all the same: the list here follows, whatever the override says.
    d = decide(EventFacts("failed", Kind.MAILBOX_UNKNOWN, True), FRESH, settings)
    assert (d.action, d.counts_soft, d.expires_after) == (F, True, None)


def test_override_kind_in_no_set_is_recorded() -> None:
    settings = PolicySettings(immediate_kinds=frozenset(), soft_kinds=frozenset())
    d = decide(
        EventFacts("failed", Kind.MAILBOX_UNKNOWN, False), History(9, 0, False, None), settings
    )
    assert (d.action, d.counts_soft) == (R, False)
    assert d.reason.endswith("not set to suppress, never suppressed")
    d = decide(
        EventFacts("failed", Kind.MAILBOX_UNKNOWN, True), History(9, 0, False, None), settings
    )
    assert (d.action, d.kind) == (F, Kind.MAILBOX_UNKNOWN)
    assert d.reason == (
        "mox suppressed the recipient for mailbox_unknown (the mailbox does not exist); listed"
        " as mox's entry (by itself moxhooks would have: mailbox_unknown (the mailbox does not"
        " exist); not set to suppress, never suppressed)"
    )


def test_mox_suppressing_a_soft_threshold_makes_mox_entry_without_expiry() -> None:
    # The third soft failure would suppress for 7 days; mox listed it for good.
    d = decide(EventFacts("failed", Kind.MAILBOX_FULL, True), History(2, 0, False, None), DEFAULT)
    assert (d.action, d.expires_after, d.counts_soft) == (F, None, True)
    d = decide(EventFacts("failed", Kind.MAILBOX_FULL, False), History(2, 0, False, None), DEFAULT)
    assert (d.action, d.expires_after) == (S, 7 * DAY)


def test_mox_suppressing_with_an_entry_here_changes_nothing() -> None:
    history = History(0, 0, True, None)
    d = decide(EventFacts("failed", Kind.UNDETERMINED, True), history, DEFAULT)
    assert d.action == A


def test_override_rate_limited_made_soft_keeps_mox_entry() -> None:
    settings = PolicySettings(soft_kinds=DEFAULT.soft_kinds | {Kind.RATE_LIMITED})
    d = decide(EventFacts("failed", Kind.RATE_LIMITED, True), History(2, 0, False, None), settings)
    assert (d.action, d.expires_after) == (S, 7 * DAY)


@pytest.mark.parametrize(
    ("threshold", "failures", "action"),
    [(1, 0, S), (2, 0, R), (2, 1, S), (5, 3, R), (5, 4, S)],
)
def test_override_threshold(threshold: int, failures: int, action: Action) -> None:
    settings = PolicySettings(soft_threshold=threshold)
    d = decide(
        EventFacts("failed", Kind.TRANSIENT, False), History(failures, 0, False, None), settings
    )
    assert d.action == action


def test_override_expiry_and_window() -> None:
    settings = PolicySettings(
        soft_threshold=1,
        soft_window=timedelta(hours=36),
        soft_expiry=timedelta(hours=1),
        soft_expiry_max=timedelta(hours=5),
    )
    d = decide(EventFacts("failed", Kind.EXPIRED, False), History(0, 2, False, None), settings)
    assert d.expires_after == timedelta(hours=4)
    assert d.reason.endswith("1 soft failure in 36 hours; suppressed for 4 hours")


@pytest.mark.parametrize(
    ("n", "expected"),
    [(-1, 7), (0, 7), (1, 14), (2, 28), (3, 56), (4, 90), (10**9, 90)],
)
def test_soft_expiry_for(n: int, expected: int) -> None:
    assert soft_expiry_for(n, DEFAULT) == expected * DAY


def test_soft_expiry_for_edge_settings() -> None:
    zero = PolicySettings(soft_expiry=timedelta(0))
    assert soft_expiry_for(10**9, zero) == timedelta(0)
    above_cap = PolicySettings(soft_expiry=100 * DAY)
    assert soft_expiry_for(0, above_cap) == 90 * DAY
    huge = PolicySettings(soft_expiry_max=timedelta.max)
    assert soft_expiry_for(10**6, huge) <= timedelta.max


@pytest.mark.parametrize(
    ("d", "text"),
    [
        (timedelta(days=14), "14 days"),
        (timedelta(days=1), "1 day"),
        (timedelta(hours=36), "36 hours"),
        (timedelta(minutes=90), "90 minutes"),
        (timedelta(seconds=1), "1 second"),
        (timedelta(seconds=61), "61 seconds"),
        (timedelta(0), "0 seconds"),
    ],
)
def test_format_duration(d: timedelta, text: str) -> None:
    assert format_duration(d) == text
