"""The send relay's answers, and the error answer every route shares."""

from __future__ import annotations

from typing import Annotated

from msgspec import UNSET, UnsetType

from moxhooks.errors import ErrorCode
from moxhooks.kinds import Kind
from moxhooks.models.base import Model, doc, one_of


class RelaySent(Model):
    """A recipient mox queued a message for."""

    address: Annotated[str, doc("the recipient, e.g. John.Doe@example.org")]
    queue_msg_id: Annotated[int, doc("mox's QueueMsgID of its message")]
    message_id: Annotated[str, doc("the message's Message-ID, e.g. <x@localhost>")]


class RelayRefusal(Model):
    """A recipient not sent to: an active entry blocks it."""

    address: Annotated[str, doc("as given, parsed")]
    kind: Annotated[
        str,
        one_of(
            sorted({*(str(k) for k in Kind), "paused"}),
            "the blocking entry's kind; paused: the recipient paused the topic (or all mail)",
        ),
    ]
    scope: Annotated[str, doc("the entry's scope: '' account-wide, else the topic")]
    code: Annotated[str, one_of([ErrorCode.SUPPRESSED.value])] = ErrorCode.SUPPRESSED


class Error(Model, omit_defaults=True):
    """Every error answer: {"code", "message"}, and a few members some codes add."""

    code: ErrorCode
    message: Annotated[str, doc("in words, for people")]
    id: Annotated[int | None | UnsetType, doc("alreadySuppressed only: the existing entry")] = (
        UNSET
    )
    failed: Annotated[
        str | UnsetType,
        doc(
            "send relay, after mox failed: the recipient whose Send failed (after"
            " moxUnavailable it may or may not be queued)"
        ),
    ] = UNSET
    sent: Annotated[
        list[RelaySent] | UnsetType, doc("send relay, after mox failed: sent before that")
    ] = UNSET
    refused: Annotated[
        list[RelayRefusal] | UnsetType,
        doc("send relay only (suppressed, and after mox failed): the refused recipients"),
    ] = UNSET


class RelayResult(Model):
    """Sent to at least one recipient."""

    sent: list[RelaySent]
    refused: list[RelayRefusal]
