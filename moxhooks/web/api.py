"""The JSON API, /api/v1/...: an account's suppression list, events, statistics and reports.

Sign-in is in auth.py, the admin endpoints in api_admin.py; the routes are registered
from the route table (routes.py). Answers and request bodies are models (moxhooks.models);
the OpenAPI document, served at /api/openapi.json, is generated from them and the table.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import re
from collections.abc import Iterable
from datetime import datetime

import msgspec
from aiohttp import web

from moxhooks import models
from moxhooks.csvio import (
    CsvError,
    ImportReport,
    ImportRow,
    export_entries,
    import_entries,
    parse_expiry,
    parse_import,
)
from moxhooks.errors import ApiError, ErrorCode
from moxhooks.jobs.reports import (
    COMPLAINT_REASON_REQUIRED,
    RecipientAmbiguous,
    RecipientUnknown,
    SendNotFound,
    apply_report,
    choose_send,
    find_sends,
    reason_required,
)
from moxhooks.kinds import Kind, Source
from moxhooks.mail.address import (
    Address,
    AddressError,
    base_address,
    parse_address,
    quote_localpart,
)
from moxhooks.mail.classify import classify_failure
from moxhooks.store import NewEntry, Store
from moxhooks.web import auth
from moxhooks.web.api_stats import account_stats
from moxhooks.web.bodies import answer, read_body, read_query
from moxhooks.web.keys import CONFIG_KEY, RUNTIME_KEY

# Largest CSV import, in bytes; it is read as a stream, never whole into memory.
IMPORT_MAX_BYTES = 512 * 1024 * 1024
# Lines of CSV parsed and added per transaction while importing.
IMPORT_BATCH_LINES = 5000
# Rejected rows listed in an import report; rejected_total counts them all.
MAX_REJECTED_LISTED = 1000
MAX_SCOPE = 100
MAX_REASON = 1000
# Longest Message-ID in a report (a header line is at most 998 characters, RFC 5322).
MAX_MESSAGE_ID = 998
ACCOUNT_WIDE = "-"  # The scope filter value meaning "account-wide entries only".
# Most of a kept message's raw bytes sent by GET inbound/{id} (it keeps up to 4 MiB).
MAX_RAW_SENT = 1024 * 1024
# The largest row id SQLite has: a larger one in a URL is simply not there.
MAX_ID = 2**63 - 1


def setup_api(app: web.Application) -> None:
    """Set up what the /api handlers share: sign-in settings and locks, the answers' headers.
    (The routes are registered from routes.ROUTES.)"""
    cfg = app[CONFIG_KEY]
    app[auth.AUTH_SETTINGS_KEY] = auth.AuthSettings(
        idle=cfg.web.session_idle,
        lifetime=cfg.web.session_lifetime,
        throttle_window=cfg.web.login_window,
        max_failures=cfg.web.login_max_failures,
    )

    app[auth.SIGNIN_LOCKS_KEY] = auth.SignInLocks()
    app.on_response_prepare.append(_api_headers)


async def _api_headers(request: web.Request, response: web.StreamResponse) -> None:
    # API answers carry session data: never cached, never sniffed into HTML.
    if request.path.startswith("/api/"):
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")


# ---- Parameters --------------------------------------------------------------------------


def _parse(address: str) -> Address:
    try:
        return parse_address(address.strip())
    except AddressError as e:
        raise ApiError(ErrorCode.BAD_ADDRESS, str(e)) from None


def _expires(value: str, now: datetime) -> datetime | None:
    """An expiry: "" for none, a duration from now ("7d", "36h"), or an RFC 3339 time."""
    value = value.strip()
    if not value:
        return None
    try:
        at = parse_expiry(value, now)
    except ValueError:
        raise ApiError(
            ErrorCode.BAD_EXPIRES,
            'expires must be a duration like "7d", "36h", "90m" or an RFC 3339 time',
        ) from None
    if at <= now:
        raise ApiError(ErrorCode.BAD_EXPIRES, "expires must be in the future")
    return at


def _clean_text(value: str, name: str, limit: int) -> str:
    value = value.strip()
    if len(value) > limit:
        raise ApiError(ErrorCode.BAD_REQUEST, f"{name} is longer than {limit} characters")
    if any(ord(c) < 32 for c in value):
        raise ApiError(ErrorCode.BAD_REQUEST, f"{name} must not contain control characters")
    return value


# ---- Suppressions ------------------------------------------------------------------------


async def list_suppressions(request: web.Request) -> web.StreamResponse:
    """GET suppressions: newest first (by id), filtered, paged with limit and before or
    offset."""
    _, acct = await auth.account_access(request)
    rt = request.app[RUNTIME_KEY]
    q = read_query(request, models.SuppressionQuery)
    limit, offset, scope = q.limit, q.offset, q.scope
    if q.before and offset:
        # Either could be meant: refused rather than one silently ignored.
        raise ApiError(ErrorCode.BAD_REQUEST, "before and offset cannot be given together")
    rows = await rt.store.suppressions.list(
        acct.name,
        limit=limit + 1,  # one more than asked tells whether there is a next page
        offset=offset,
        before_id=q.before or None,
        search=q.search.strip(),
        kind=q.kind,
        source=q.source,
        scope=None if not scope else "" if scope == ACCOUNT_WIDE else scope,
        active={"true": True, "false": False, "all": None}[q.active],
        expiring=q.expiring,
    )
    more = len(rows) > limit
    return answer(
        models.SuppressionPage(
            entries=rows[:limit],
            limit=limit,
            offset=offset,
            has_more=more,
            next_before=rows[limit - 1].id if more else None,
        )
    )


def also_blocks(address: Address) -> models.AlsoBlocks:
    """What an entry for address blocks, by mox's base-address rule, in words and examples."""
    base = base_address(address)
    b = parse_address(base)
    lp = b.localpart
    candidates = [
        base,
        # Dots are ignored too; shown only where the dotted form looks like an address.
        ".".join(lp) + "@" + b.domain if len(lp) > 1 and lp.isalnum() else base,
        quote_localpart(lp + "+anything") + "@" + b.domain,
        quote_localpart(lp + "-anything") + "@" + b.domain,
        quote_localpart(lp.upper()) + "@" + b.domain,
    ]
    original = str(address)
    examples: list[str] = []
    for c in candidates:
        try:
            same = base_address(c) == base
        except AddressError:
            same = False
        if same and c != original and c not in examples:
            examples.append(c)
    text = (
        "mox matches suppressed addresses by their base address: it cuts the local part at"
        ' the first "+", then at the first "-", removes every "." and lower-cases it.'
        f" {original} has the base address {base}, so an entry for it blocks every address"
        f" with that base address, for example {', '.join(examples)}."
    )
    return models.AlsoBlocks(base_address=base, explanation=text, examples=examples)


async def blocks(request: web.Request) -> web.StreamResponse:
    """GET blocks?address=: what an entry for address would block, and what blocks it now."""
    _, acct = await auth.account_access(request)
    rt = request.app[RUNTIME_KEY]
    raw = read_query(request, models.BlocksQuery).address
    if not raw.strip():
        raise ApiError(ErrorCode.BAD_ADDRESS, "address is required")
    addr = _parse(raw)
    info = also_blocks(addr)
    matching = await rt.store.suppressions.matching(acct.name, info.base_address)
    return answer(
        models.Blocks(
            address=str(addr),
            base_address=info.base_address,
            explanation=info.explanation,
            examples=info.examples,
            blocked_by=matching,
        )
    )


async def get_suppression(request: web.Request) -> web.StreamResponse:
    """GET suppressions/{id}: the entry, its history, the events behind it, what it blocks."""
    _, acct = await auth.account_access(request)
    rt = request.app[RUNTIME_KEY]
    entry = await rt.store.suppressions.get(acct.name, auth.path_id(request))
    if entry is None:
        raise ApiError(ErrorCode.NOT_FOUND, "no such entry")
    history = await rt.store.suppressions.history(entry.id)
    events = await rt.store.events.list(acct.name, recipient=entry.base_address, limit=50)
    # The event that made the entry comes first, even if it is older than the last 50.
    if entry.event_id is not None and all(e.id != entry.event_id for e in events):
        ev = await rt.store.events.get(entry.event_id)
        if ev is not None:
            events.insert(0, ev)
    try:
        blocks_info = also_blocks(parse_address(entry.original_address))
    except AddressError:
        blocks_info = models.AlsoBlocks(
            base_address=entry.base_address, explanation="", examples=[]
        )
    others = await rt.store.suppressions.matching(acct.name, entry.base_address)
    blocks_info.entries = [o for o in others if o.id != entry.id]
    # The report messages (bounce and complaint mailbox) that made or touched the entry.
    reports = await rt.store.inbound.for_entry(acct.name, entry.id)
    return answer(
        models.EntryDetail(
            entry=entry,
            history=msgspec.convert(history, list[models.HistoryItem]),
            events=msgspec.convert(events, list[models.Event], from_attributes=True),
            reports=msgspec.convert(reports, list[models.EntryReport]),
            also_blocks=blocks_info,
        )
    )


async def add_suppression(request: web.Request) -> web.StreamResponse:
    """POST suppressions {"address","scope"?,"expires"?,"reason"?}: add a manual entry."""
    p, acct = await auth.account_access(request)
    rt = request.app[RUNTIME_KEY]
    body = await read_body(request, models.NewSuppression)
    addr = _parse(body.address)
    scope = _clean_text(body.scope, "scope", MAX_SCOPE)
    reason = _clean_text(body.reason, "reason", MAX_REASON)
    expires = _expires(body.expires, rt.store.clock())
    base = base_address(addr)
    entry = await rt.store.suppressions.add(
        NewEntry(
            account=acct.name,
            original_address=str(addr),
            base_address=base,
            kind=Kind.MANUAL,
            source=Source.MANUAL,
            reason=reason,
            created_by=p.actor,
            scope=scope,
            expires=expires,
        )
    )
    if entry is None:
        existing = await rt.store.suppressions.active(acct.name, base, scope)
        where = f"topic {scope!r}" if scope else "the whole account"
        # The answer names the existing entry, so a page can link to it.
        code = ErrorCode.ALREADY_SUPPRESSED
        return answer(
            models.Error(
                code=code,
                message=f"{base} is already suppressed for {where}"
                + (f" (entry {existing.id})" if existing else ""),
                id=existing.id if existing else None,
            ),
            status=code.status,
        )
    rt.wake_sync()
    return answer(entry, status=201)


async def remove_suppression(request: web.Request) -> web.StreamResponse:
    """DELETE suppressions/{id} {"reason"?}: end an entry, keeping its history."""
    p, acct = await auth.account_access(request)
    rt = request.app[RUNTIME_KEY]
    body = await read_body(request, models.EndSuppression, optional=True)
    reason = _clean_text(body.reason, "reason", MAX_REASON)
    entry_id = auth.path_id(request)
    current = await rt.store.suppressions.get(acct.name, entry_id)
    if current is not None and reason_required(current, reason):
        raise ApiError(ErrorCode.REASON_REQUIRED, COMPLAINT_REASON_REQUIRED)
    entry = await rt.store.suppressions.end(
        acct.name, entry_id, p.actor, reason or "removed by a person"
    )
    if entry is None:
        raise ApiError(ErrorCode.NOT_FOUND, "no such active entry")
    rt.wake_sync()
    return answer(entry)


# ---- Reports -------------------------------------------------------------------------------


async def report(request: web.Request) -> web.StreamResponse:
    """POST reports {"message_id","type","detail"?,"recipient"?}: a bounce or complaint about
    a message the caller's account sent; does what accounts[].report_actions say."""
    p = await auth.authenticate(request)
    rt = request.app[RUNTIME_KEY]
    acct = rt.config.account(p.account)  # None for the admin, who has no account
    if acct is None:
        raise ApiError(
            ErrorCode.FORBIDDEN, "a report is made as the account that sent the message"
        )
    body = await read_body(request, models.ReportRequest)
    message_id = _clean_text(body.message_id, "message_id", MAX_MESSAGE_ID)
    if message_id.strip("<>") == "":
        raise ApiError(ErrorCode.BAD_REQUEST, "message_id must not be empty")
    report_type = body.type
    detail = _clean_text(body.detail, "detail", MAX_REASON)
    recipient = body.recipient.strip()
    if recipient:
        recipient = str(_parse(recipient))
    # Only the caller's own mail: another account's Message-ID is not found either.
    sends = await find_sends(rt.store, message_id, account=acct.name)
    if not sends:
        raise ApiError(ErrorCode.NOT_FOUND, "no message with that Message-ID was sent by this account")
    try:
        send = choose_send(sends, recipient or None)
    except SendNotFound:
        raise ApiError(
            ErrorCode.NOT_FOUND,
            "no message with that Message-ID was sent by this account to that recipient",
        ) from None
    except RecipientUnknown as e:
        raise ApiError(ErrorCode.RECIPIENT_UNKNOWN, str(e)) from None
    except RecipientAmbiguous as e:
        raise ApiError(ErrorCode.AMBIGUOUS_RECIPIENT, str(e)) from None
    if report_type == "complaint":
        kind = Kind.COMPLAINT
    else:
        kind = classify_failure(0, "", detail) if detail else Kind.UNDETERMINED
    outcome = await apply_report(
        rt.store, rt.config, send, report_type, kind, detail, Source.REPORT, p.actor
    )
    entry = None
    if outcome.entry_id is not None:
        entry = await rt.store.suppressions.get(acct.name, outcome.entry_id)
        rt.wake_sync()
    return answer(
        models.ReportResult(
            action=outcome.action,
            added=outcome.added,
            entry=entry,
            recipient=send.recipient or "",  # choose_send returns resolved sends only
            mail_type=outcome.mail_type,
            detail=outcome.detail,
        )
    )


# ---- CSV -----------------------------------------------------------------------------------


async def export_csv(request: web.Request) -> web.StreamResponse:
    """GET suppressions.csv: the active entries as CSV, streamed."""
    _, acct = await auth.account_access(request)
    rt = request.app[RUNTIME_KEY]
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", acct.name)
    resp = web.StreamResponse(
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="suppressions-{safe}.csv"',
        }
    )
    resp.enable_chunked_encoding()
    await resp.prepare(request)
    async for chunk in export_entries(rt.store, acct.name):
        await resp.write(chunk.encode("utf-8"))
    await resp.write_eof()
    return resp


async def import_csv(request: web.Request) -> web.StreamResponse:
    """POST suppressions/import (text/csv): add the rows; report the rejected ones."""
    p, acct = await auth.account_access(request)
    rt = request.app[RUNTIME_KEY]
    if request.content_type not in ("text/csv", "text/plain"):
        raise ApiError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "send the file as text/csv")
    importer = _Importer(rt.store, acct.name, p.actor, rt.store.clock())
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    pending = ""
    size = 0
    try:
        async for chunk in request.content.iter_chunked(64 * 1024):
            size += len(chunk)
            if size > IMPORT_MAX_BYTES:
                raise ApiError(ErrorCode.TOO_LARGE, f"the file is larger than {IMPORT_MAX_BYTES} bytes")
            parts = (pending + decoder.decode(chunk)).split("\n")
            pending = parts.pop()
            await importer.lines(part + "\n" for part in parts)
        pending += decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise ApiError(ErrorCode.BAD_CSV, "the file is not UTF-8 text") from None
    if pending:
        await importer.lines([pending])
    await importer.finish()
    rt.wake_sync()
    rep = importer.report
    return answer(
        models.ImportResult(
            added=rep.added,
            already_present=rep.already_present,
            rejected=[
                models.Rejected(line=line, error=err)
                for line, err in rep.rejected[:MAX_REJECTED_LISTED]
            ],
            rejected_total=len(rep.rejected),
        )
    )


class _Importer:
    """Feeds CSV lines to csvio in batches that end on record boundaries.

    A record ends at a line end outside quotes (an even number of '"' so far); each
    batch is parsed with the header in front, and line numbers are shifted back.
    """

    def __init__(self, store: Store, account: str, actor: str, now: datetime) -> None:
        self.store = store
        self.account = account
        self.actor = actor
        self.now = now
        self.report = ImportReport()
        self.header: list[str] | None = None
        self.record: list[str] = []
        self.quotes = 0
        self.batch: list[str] = []
        self.next_line = 1  # Line number of the first line not yet in a finished batch.

    async def lines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.record.append(line)
            self.quotes += line.count('"')
            if self.quotes % 2:
                continue
            if self.header is None:
                self.header = self.record
                self.next_line += len(self.record)
            else:
                self.batch += self.record
            self.record, self.quotes = [], 0
            if len(self.batch) >= IMPORT_BATCH_LINES:
                await self._flush()

    async def finish(self) -> None:
        if self.record:
            if self.header is None:
                self.header = self.record
                self.next_line += len(self.record)
            else:
                self.batch += self.record
        await self._flush()

    async def _flush(self) -> None:
        header = self.header or []
        shift = self.next_line - (len(header) + 1)
        try:
            rows: list[ImportRow] = [
                dataclasses.replace(r, line=r.line + shift)
                for r in parse_import([*header, *self.batch], self.account, self.actor, self.now)
            ]
        except CsvError as e:
            raise ApiError(ErrorCode.BAD_CSV, str(e)) from None
        except csv.Error as e:
            raise ApiError(
                ErrorCode.BAD_CSV,
                f"after line {self.next_line - 1}: {e}; {self.report.added} entries"
                " before it were added",
            ) from None
        self.next_line += len(self.batch)
        self.batch = []
        rep = await import_entries(self.store, rows)
        self.report.added += rep.added
        self.report.already_present += rep.already_present
        self.report.rejected += rep.rejected


# ---- The bounce and complaint mailbox -------------------------------------------------------


async def list_inbound(request: web.Request) -> web.StreamResponse:
    """GET inbound?status=&limit=&before=: kept report messages, newest first, without raw."""
    _, acct = await auth.account_access(request)
    rt = request.app[RUNTIME_KEY]
    q = read_query(request, models.MailboxQuery)
    status, limit, before = q.status, q.limit, q.before
    # One more than asked tells whether there is an older page.
    rows = await rt.store.inbound.list(acct.name, status=status, limit=limit + 1, before=before)
    return answer(
        models.MailboxPage(
            messages=msgspec.convert(
                rows[:limit], list[models.MailboxMessage], from_attributes=True
            ),
            limit=limit,
            has_more=len(rows) > limit,
        )
    )


async def get_inbound(request: web.Request) -> web.StreamResponse:
    """GET inbound/{id}: one kept message with its raw text (at most 1 MiB), its parsed
    report and what each recipient came to."""
    _, acct = await auth.account_access(request)
    rt = request.app[RUNTIME_KEY]
    inbound_id = auth.path_id(request)
    msg = await rt.store.inbound.get(acct.name, inbound_id) if inbound_id <= MAX_ID else None
    if msg is None:
        raise ApiError(ErrorCode.NOT_FOUND, "no such report message")
    out = msgspec.convert(msg, models.MailboxMessage, from_attributes=True)
    if msg.raw is None:
        out.raw_text, out.raw_truncated = None, False
    else:
        out.raw_text = msg.raw[:MAX_RAW_SENT].decode("utf-8", "replace")
        out.raw_truncated = len(msg.raw) > MAX_RAW_SENT
    results = await rt.store.inbound.results(msg.id)
    return answer(
        models.MailboxDetail(
            message=out,
            parsed=await rt.store.inbound.parsed(msg.id),
            results=msgspec.convert(results, list[models.MailboxResult]),
        )
    )


# ---- Events and statistics -----------------------------------------------------------------


async def list_events(request: web.Request) -> web.StreamResponse:
    """GET events?event=&kind=&status=&address=&limit=&before=: newest first."""
    _, acct = await auth.account_access(request)
    rt = request.app[RUNTIME_KEY]
    q = read_query(request, models.EventQuery)
    recipient = base_address(_parse(q.address)) if q.address else None
    events = await rt.store.events.list(
        acct.name,
        limit=q.limit,
        before_id=q.before or None,
        event=q.event or None,
        kind=q.kind or None,
        status=q.status or None,
        recipient=recipient,
    )
    return answer(
        models.EventList(events=msgspec.convert(events, list[models.Event], from_attributes=True))
    )


async def stats(request: web.Request) -> web.StreamResponse:
    """GET stats?days=30: per day sent, delivered, delayed, failed by kind, rates."""
    _, acct = await auth.account_access(request)
    days = read_query(request, models.StatsQuery).days
    st = await account_stats(
        request.app[RUNTIME_KEY].store.stats, acct.name, days, request.app[CONFIG_KEY].web
    )
    return answer(msgspec.convert(st, models.Stats))
