"""Reports of a bounce or a complaint about a message moxhooks saw sent: find it, act.

A report names the sent message by its Message-ID: the report API (web/api.py) takes it
from the sender's program, the bounce mailbox (jobs/mailbox/) from the returned message.
find_sends looks it up among the events mox's outgoing webhook delivered (which carry
the Message-ID, the QueueMsgID, the sender's Extra, and once resolved the recipient);
choose_send picks the one send a report is about (mox queues a message to several
recipients as one queue message each, all with the same Message-ID); apply_report does
what the account's report_actions say for the message's mail type, in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from moxhooks.config import REPORT_TYPES, Config, ReportActions, parse_report_action
from moxhooks.errors import MoxhooksError
from moxhooks.jobs.policy import NOT_RECIPIENTS_FAULT, format_duration
from moxhooks.kinds import Kind, Source
from moxhooks.mail.address import AddressError, base_address, parse_address
from moxhooks.store import NewEntry, Store, Suppression
from moxhooks.store.suppressions import REPORT_RECORDED

__all__ = [
    "COMPLAINT_REASON_REQUIRED",
    "REPORT_TYPES",
    "OriginalSend",
    "RecipientAmbiguous",
    "RecipientUnknown",
    "ReportOutcome",
    "SendNotFound",
    "apply_report",
    "choose_send",
    "find_sends",
    "reason_required",
]

# Why ending a complaint entry without a reason is refused (the API, the CLI).
COMPLAINT_REASON_REQUIRED = "a complaint entry is ended only with a reason"


@dataclass(frozen=True)
class OriginalSend:
    """What moxhooks knows about one sent message: one recipient, one queue message."""

    account: str  # the mox account that sent it, e.g. "mox"
    queue_msg_id: int  # mox's QueueMsgID, e.g. 5
    message_id: str  # as mox's webhook gave it, with <>, e.g. "<tJTDlvgz@localhost>"
    recipient: str | None  # the recipient address; None while it is not resolved yet
    extra: dict[str, str]  # the Extra given at submission, e.g. {"mailtype": "newsletter"}


@dataclass(frozen=True)
class ReportOutcome:
    """What a report did."""

    # The configured action carried out: "suppress", "suppress_topic",
    # "suppress_for:<duration>" or "record" (also when nothing could be suppressed).
    action: str
    # The entry added, changed, or already covering the address; None for "record".
    entry_id: int | None
    detail: str  # in words, e.g. "complaint: a@example.org suppressed for the whole account ..."
    added: bool = False  # entry_id is a new entry
    mail_type: str | None = None  # the message's mail type from its Extra; None if it has none


class SendNotFound(MoxhooksError):
    """No send with that Message-ID (to that recipient)."""


class RecipientUnknown(MoxhooksError):
    """The send's recipient is not resolved yet; the report may be tried again later."""


class RecipientAmbiguous(MoxhooksError):
    """The Message-ID was sent to several recipients and the report does not say which."""


def _message_id_forms(message_id: str) -> list[str]:
    """The Message-ID as given, and with <> added or taken away."""
    mid = message_id.strip()
    bare = mid[1:-1] if mid.startswith("<") and mid.endswith(">") else mid
    if not bare:
        return []
    return [mid, bare] if bare != mid else [mid, f"<{mid}>"]


async def find_sends(
    store: Store, message_id: str, *, account: str | None = None
) -> list[OriginalSend]:
    """Every send with that Message-ID (of any account, or only of account), by account and
    QueueMsgID: one per queue message, from its newest event with a recipient (else its
    newest event, with the recipient moxhooks recorded for it, if any).

    The Message-ID matches exactly, tried as given and with <> added or taken away.
    """
    forms = _message_id_forms(message_id)
    if not forms:
        return []
    return [
        OriginalSend(
            account=s.account,
            queue_msg_id=s.queue_msg_id,
            message_id=s.message_id,
            recipient=s.recipient,
            extra=_extra(s.payload),
        )
        for s in await store.events.sends(forms, account)
    ]


def _extra(payload: str) -> dict[str, str]:
    """The Extra of a stored webhook payload ({} when absent, null or unreadable)."""
    try:
        data = json.loads(payload)
    except ValueError:
        return {}
    extra = data.get("Extra") if isinstance(data, dict) else None
    if not isinstance(extra, dict):
        return {}
    return {str(k): v for k, v in extra.items() if isinstance(v, str)}


def _base(address: str | None) -> str | None:
    if address is None:
        return None
    try:
        return base_address(parse_address(address))
    except AddressError:
        return None


def choose_send(sends: Sequence[OriginalSend], recipient: str | None = None) -> OriginalSend:
    """The send a report is about, among the sends of one Message-ID.

    recipient (any address with the recipient's base address) picks among several; without
    it the sends must all be to one recipient. Of several sends to the recipient, the last
    (the highest QueueMsgID) is taken. Raises SendNotFound, RecipientUnknown or
    RecipientAmbiguous.
    """
    if not sends:
        raise SendNotFound("no message with that Message-ID was sent")
    unknown = [s for s in sends if s.recipient is None]
    if recipient is not None:
        wanted = _base(recipient)
        same = [s for s in sends if wanted is not None and _base(s.recipient) == wanted]
        if same:
            return same[-1]
        if unknown:
            raise RecipientUnknown(
                "a recipient of that message is not known yet (moxhooks is still looking it"
                " up in mox); try again later"
            )
        raise SendNotFound(f"that message was not sent to {recipient}")
    if unknown:
        raise RecipientUnknown(
            "the recipient of that message is not known yet (moxhooks is still looking it up"
            " in mox); try again later"
        )
    bases = {_base(s.recipient) or s.recipient for s in sends}
    if len(bases) > 1:
        raise RecipientAmbiguous(
            f"that message was sent to {len(bases)} recipients; name the one the report is"
            " about in recipient"
        )
    return sends[-1]


def reason_required(entry: Suppression, reason: str) -> bool:
    """Whether a person ending entry must give a reason: an active complaint entry.

    Mailing someone who reported the mail as spam is what mailbox providers punish, so
    such an entry does not end silently; its end is audited as complaint_ended.
    """
    return entry.ended is None and entry.kind == Kind.COMPLAINT and not reason.strip()


def _kind(report_type: str, kind: Kind | None) -> Kind:
    if report_type == "complaint":
        # An opt-out (ARF feedback type "opt-out", from the bounce mailbox) stays one.
        return Kind.UNSUBSCRIBED if kind == Kind.UNSUBSCRIBED else Kind.COMPLAINT
    return kind or Kind.UNDETERMINED


async def apply_report(
    store: Store,
    config: Config,
    send: OriginalSend,
    report_type: str,
    kind: Kind | None,
    detail: str,
    source: Source,
    created_by: str,
) -> ReportOutcome:
    """Carry out what a report_type ("bounce" or "complaint") about send does to its
    recipient: the action the send's account configures for the send's mail type
    (accounts[].report_actions), in one transaction (entry, audit, outbox).

    kind: a complaint is Kind.COMPLAINT (Kind.UNSUBSCRIBED stays so); a bounce is kind,
    or Kind.UNDETERMINED. A bounce of a kind that is not the recipient's fault
    (sender_blocked, content_rejected, rate_limited, message_too_large) is only recorded.
    An active entry of the same scope is kept ("already suppressed"), made to last as
    long as the action asks if it would expire sooner.
    """
    if report_type not in REPORT_TYPES:
        raise ValueError(f"report_type must be bounce or complaint, not {report_type!r}")
    if send.recipient is None:
        raise ValueError("the send's recipient is not known")
    acct = config.account(send.account)
    configured = dict(acct.report_actions) if acct is not None else {}
    mail_type = send.extra.get(config.reports.mail_type_key) or None
    if mail_type is not None and mail_type in configured:
        rule, chosen_by = configured[mail_type], f'mail type "{mail_type}"'
    else:
        rule = configured.get("*", ReportActions())
        chosen_by = (
            f'mail type "{mail_type}" not listed, so "*"' if mail_type else 'no mail type, so "*"'
        )
    action = str(getattr(rule, report_type))
    why = f'({chosen_by}: {report_type} = "{action}")'
    kind = _kind(report_type, kind)
    about = f"{report_type} reported for message {send.message_id}"
    reason = f"{about}: {detail}" if detail else about
    name, duration = parse_report_action(action)

    def outcome(done: str, entry_id: int | None, text: str, added: bool = False) -> ReportOutcome:
        return ReportOutcome(done, entry_id, f"{text} {why}", added, mail_type)

    async def record(text: str) -> ReportOutcome:
        await store.suppressions.audit(
            send.account, REPORT_RECORDED, created_by, f"{reason}; {text} {why}"
        )
        return outcome("record", None, text)

    try:
        addr = parse_address(send.recipient)
    except AddressError as e:
        return await record(f"the recipient {send.recipient!r} is not an address ({e}): recorded")
    if name == "record":
        return await record(f"{kind} for {addr}: recorded, nothing suppressed")
    if report_type == "bounce" and kind in NOT_RECIPIENTS_FAULT:
        return await record(
            f"{kind} for {addr}: not the recipient's fault, so recorded, nothing suppressed"
        )

    scope, where = "", "the whole account"
    if name == "suppress_topic":
        topic = send.extra.get(config.reports.topic_key, "").strip()
        if topic:
            scope, where = topic, f'topic "{topic}"'
        else:
            where = (
                f"the whole account (the message has no topic in its Extra key"
                f' "{config.reports.topic_key}")'
            )
    expires = store.clock() + duration if duration is not None else None
    lasting = f"for {format_duration(duration)}" if duration is not None else "without expiry"
    entry, what = await store.suppressions.add_reported(
        NewEntry(
            account=send.account,
            original_address=str(addr),
            base_address=base_address(addr),
            kind=kind,
            source=source,
            reason=reason,
            created_by=created_by,
            scope=scope,
            expires=expires,
        ),
        f"{reason}; already suppressed {why}",
    )
    if what == "added":
        text = f"{kind}: {addr} suppressed for {where}, {lasting} (entry {entry.id})"
    elif what == "changed":
        until = f"expires {entry.expires}" if entry.expires else "has no expiry"
        text = (
            f"{kind}: {addr} was already suppressed for {where}, for a shorter time;"
            f" entry {entry.id} now {until}"
        )
    else:
        text = f"{kind}: {addr} is already suppressed for {where} (entry {entry.id}, {entry.kind})"
    return outcome(action, entry.id, text, what == "added")
