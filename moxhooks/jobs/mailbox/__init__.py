"""The bounce and complaint mailbox: kept messages are fetched, parsed and applied.

Works from the inbound table (store/inbound.py) like the event processor works from
events: a message kept but not yet handled (a crash, mox away) is handled later. For a
message that came through mox's incoming webhook the raw message is fetched first
(webapi MessageRawGet); then reports.parse_report reads it, and each recipient it names
is matched to a message the account sent:

1. by the original Message-ID (from the report's attached headers) among the events
   mox posted for the account's own outgoing mail;
2. failing that, by the recipient's base address among the account's recent sends.

A report is applied to the receiving account's own mail only: a report about a message
of another account is recorded as such and changes nothing. Complaints (ARF abuse,
fraud, virus, other) become `complaint` entries through reporting.apply_report, with
the account's per-mail-type action; ARF opt-outs become `unsubscribed` entries; hard
bounces (a kind the account suppresses at once) become entries through the same path;
soft and sender-side bounces, delays and autoreplies are recorded only. Nothing here
raises on bad input: what cannot be parsed is kept as `unparsed`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from moxhooks.config import AccountConfig, Config
from moxhooks.jobs.leases import renewed
from moxhooks.jobs.policy import NOT_RECIPIENTS_FAULT
from moxhooks.jobs.reports import (
    OriginalSend,
    RecipientAmbiguous,
    RecipientUnknown,
    SendNotFound,
    apply_report,
    choose_send,
    find_sends,
)
from moxhooks.jobs.wakeup import sleep_until_woken
from moxhooks.kinds import Kind, Source
from moxhooks.mail.address import AddressError, base_address, parse_address
from moxhooks.mail.reports import ParsedRecipient, ParsedReport, parse_report
from moxhooks.mox.client import MoxApiError, MoxClient, MoxError
from moxhooks.store import LeaseLost, Store, StoreUnavailable, iso
from moxhooks.store.mailbox import MailboxMessage, MailboxResult

log = logging.getLogger(__name__)

# The largest raw message kept; a larger one is kept cut (its first bytes hold the
# report; a 20 MB attachment is no part of one).
MAX_RAW = 4 * 1024 * 1024
# A send matched by recipient only must be this recent.
RECENT_SEND = timedelta(days=30)
RETRY_MIN, RETRY_MAX, MAX_TRIES = 5.0, 3600.0, 20


def takes_rcpt_to(wanted: Sequence[str], rcpt_to: str) -> bool:
    """Whether mail to rcpt_to is a report: its base address is listed, or "*" is."""
    if "*" in wanted:
        return True
    if not wanted or not rcpt_to:
        return False
    try:
        base = base_address(parse_address(rcpt_to))
    except AddressError:
        return False
    for w in wanted:
        try:
            if base_address(parse_address(w)) == base:
                return True
        except AddressError:
            continue
    return False


def webhook_external_id(mox: str, webhook_id: int) -> str:
    """The external id a message from mox's incoming webhook is kept under: mox's webhook
    id, which is unique only per mox server, so prefixed by the server's key
    (Config.mox_key) for every server but the first ("b:17")."""
    return f"{mox}:{webhook_id}" if mox else str(webhook_id)


def webhook_mox(msg: MailboxMessage) -> str:
    """The key of the mox server a message from the incoming webhook came from."""
    if msg.source != "webhook":
        return ""
    mox, sep, _ = msg.external_id.rpartition(":")
    return mox if sep else ""


class MailboxProcessor:
    """Turns kept report messages into entries; run() loops until cancelled."""

    def __init__(
        self,
        config: Config,
        store: Store,
        mox: MoxClient,
        on_change: Callable[[], None] = lambda: None,
        clients: Mapping[str, MoxClient] | None = None,
    ) -> None:
        """mox: the first mox server's client; clients: every server's by its key
        (Config.mox_key), when there are several."""
        self.config = config
        self.store = store
        self.mox = mox
        self.clients: Mapping[str, MoxClient] = clients or {"": mox}
        self.on_change = on_change
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """A message was kept."""
        self._wake.set()

    async def run(self) -> None:
        while True:
            try:
                n = await self.process_due()
            except Exception:
                log.exception("handling inbound messages failed")
                n = 0
            if n:
                continue
            try:
                next_try = await self.store.inbound.next_retry()
            except StoreUnavailable as e:
                # The database is away (a PostgreSQL restart): look again after the sleep;
                # raised here it would end the loop for good.
                log.warning("inbound messages: %s", e)
                next_try = None
            await sleep_until_woken(self._wake, 30.0, next_try, self.store.clock)

    async def process_due(self) -> int:
        """Handle the due messages; returns how many were looked at."""
        due = await self.store.inbound.due()
        changed = False
        # Kept while they are handled (jobs/leases.py): fetching and parsing reports may
        # outlast one lease.
        async with renewed(self.store.inbound.renew, self.store.inbound.lease, [m.id for m in due]):
            for msg in due:
                try:
                    changed |= await self._handle(msg)
                except LeaseLost as e:
                    # Another node took the message over (this one was too slow): its
                    # outcome stands.
                    log.warning("%s; its outcome is the other node's", e)
                except Exception as e:
                    log.exception("inbound message %d failed", msg.id)
                    await self._retry(msg, f"failed: {e}")
        if changed:
            self.on_change()
        return len(due)

    async def _handle(self, msg: MailboxMessage) -> bool:
        acct = self.config.account(msg.account)
        if acct is None:
            await self.store.inbound.finish(
                msg.id, "failed", None, None, f"account {msg.account} is no longer configured"
            )
            return False
        raw, note = await self._raw(msg, acct)
        if raw is None:
            return False  # retry later
        report = parse_report(raw)
        parsed = _parsed_json(report)
        if note:
            parsed["problems"] = [*list(parsed.get("problems") or []), note]
        if report.type == "unparsed":
            await self.store.inbound.finish(
                msg.id, "unparsed", report.type, parsed, "no report recognised; kept as it is"
            )
            return False
        try:
            results = [await self._apply(msg, acct, report, r) for r in report.recipients]
        except _RetryLater as e:
            await self._retry(msg, str(e))
            return False
        outcome = _summary(report, results)
        await self.store.inbound.finish(msg.id, "done", report.type, parsed, outcome, results)
        log.info("inbound account=%s id=%d type=%s: %s", msg.account, msg.id, report.type, outcome)
        return any(r.entry_id is not None for r in results)

    async def _raw(self, msg: MailboxMessage, acct: AccountConfig) -> tuple[bytes | None, str]:
        """The message's bytes, fetched from mox once; (None, "") to try again later."""
        if msg.raw is not None:
            return msg.raw, ""
        if msg.mox_msg_id is None:
            return b"", "no message kept"
        try:
            # The message is in the mox server whose webhook brought it.
            client = self.clients.get(webhook_mox(msg), self.mox)
            raw = await client.webapi(acct.login, acct.password).message_raw_get(msg.mox_msg_id)
        except MoxApiError as e:
            # Gone from mox (removed by a person): read what the webhook carried.
            text = _webhook_text(msg.meta)
            note = f"mox no longer has the message ({e.message}); read the webhook's text part"
            raw = text.encode("utf-8")
            await self.store.inbound.set_raw(msg.id, raw)
            return raw, note
        except MoxError as e:
            await self._retry(msg, f"fetching the message from mox: {e}")
            return None, ""
        note = ""
        if len(raw) > MAX_RAW:
            raw, note = raw[:MAX_RAW], f"message of {len(raw)} bytes, kept its first {MAX_RAW}"
        await self.store.inbound.set_raw(msg.id, raw)
        return raw, note

    async def _retry(self, msg: MailboxMessage, why: str) -> None:
        if msg.tries + 1 >= MAX_TRIES:
            await self.store.inbound.finish(msg.id, "failed", None, None, f"{why}; gave up")
            return
        wait = min(RETRY_MIN * 2**msg.tries, RETRY_MAX)
        await self.store.inbound.retry_later(
            msg.id, self.store.clock() + timedelta(seconds=wait), why
        )

    async def _apply(
        self, msg: MailboxMessage, acct: AccountConfig, report: ParsedReport, r: ParsedRecipient
    ) -> MailboxResult:
        def result(decision: str, detail: str, entry_id: int | None = None) -> MailboxResult:
            kind = str(r.kind) if r.kind is not None else None
            return MailboxResult(acct.name, r.address, kind, r.action, decision, detail, entry_id)

        if r.kind is None or r.action in ("delayed", "delivered", "relayed", "expanded"):
            return result("record", f"{r.action}: nothing to do")
        send, why = await self._find_send(acct, report, r)
        if send is None:
            return result("record", why)
        if r.kind in (Kind.COMPLAINT, Kind.UNSUBSCRIBED):
            source, report_type = Source.COMPLAINT, "complaint"
        elif r.kind in acct.policy.immediate_kinds and r.kind not in NOT_RECIPIENTS_FAULT:
            source, report_type = Source.BOUNCE, "bounce"
        else:
            return result("record", f"{r.kind} bounce: not suppressed from a report")
        outcome = await apply_report(
            self.store,
            self.config,
            send,
            report_type,
            r.kind,
            f"{report.type} {r.status} {r.diagnostic or report.reason}".strip()[:500],
            source,
            f"{report.type} report {msg.id}",
        )
        return result(outcome.action, outcome.detail, outcome.entry_id)

    async def _find_send(
        self, acct: AccountConfig, report: ParsedReport, r: ParsedRecipient
    ) -> tuple[OriginalSend | None, str]:
        """The account's send the report is about, or None and why not."""
        try:
            rcpt_base = base_address(parse_address(r.address))
        except AddressError:
            return None, f"recipient {r.address!r} is not an address"
        if report.original_message_id:
            sends = await find_sends(self.store, report.original_message_id)
            own = [s for s in sends if s.account == acct.name]
            if own:
                try:
                    return choose_send(own, r.address), ""
                except RecipientUnknown as e:
                    raise _RetryLater(str(e)) from None
                except (SendNotFound, RecipientAmbiguous) as e:
                    return None, str(e)
            others = sorted({s.account for s in sends})
            if others:
                return None, (
                    f"message {report.original_message_id} was sent by account"
                    f" {', '.join(others)}; reports to {acct.name} apply to its own mail only"
                )
        since = iso(self.store.clock() - RECENT_SEND)
        send = await self.store.events.latest_send_to(acct.name, rcpt_base, since)
        if send is None:
            return None, f"no message of {acct.name} to {r.address} found"
        extra = json.loads(send.payload).get("Extra") or {}
        return OriginalSend(
            acct.name, send.queue_msg_id, send.message_id, send.recipient,
            {str(k): str(v) for k, v in extra.items()},
        ), ""  # fmt: skip


class _RetryLater(Exception):
    """The report can be applied later (the sent message's recipient is not known yet)."""


def _webhook_text(meta: str) -> str:
    try:
        data = json.loads(meta)
    except ValueError:
        return ""
    text = data.get("Text") if isinstance(data, dict) else None
    return text if isinstance(text, str) else ""


def _parsed_json(report: ParsedReport) -> dict[str, Any]:
    out = asdict(report)
    out["recipients"] = [
        {**asdict(r), "kind": str(r.kind) if r.kind is not None else None}
        for r in report.recipients
    ]
    return out


def _summary(report: ParsedReport, results: Sequence[MailboxResult]) -> str:
    if not results:
        return f"{report.type}: no recipient found"
    parts = [f"{r.recipient}: {r.decision} ({r.detail})" if r.detail else
             f"{r.recipient}: {r.decision}" for r in results]  # fmt: skip
    return f"{report.type}: " + "; ".join(parts)
