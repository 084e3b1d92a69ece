"""The JSON API, /api/v1/...: an account's suppression list, events, statistics and reports.

Mounted by setup_api(app), which also mounts sign-in (auth.py), the admin endpoints
(api_admin.py) and the OpenAPI document (api_spec.py).
Every endpoint and error code is described in api_spec.py, served at
/api/openapi.json; a test checks that every route is there.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from aiohttp import web

from moxhooks.csvio import (
    CsvError,
    ImportReport,
    ImportRow,
    export_entries,
    import_entries,
    parse_expiry,
    parse_import,
)
from moxhooks.errors import ApiError
from moxhooks.jobs.reports import (
    COMPLAINT_REASON_REQUIRED,
    REPORT_TYPES,
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
from moxhooks.web import api_admin, api_spec, auth
from moxhooks.web.api_stats import account_stats
from moxhooks.web.keys import CONFIG_KEY, RUNTIME_KEY

# Paging limits of the list endpoints.
MAX_LIMIT = 500
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
# Statuses of a kept report message (store/inbound.py), the values of the status filter.
INBOUND_STATUSES = ("pending", "done", "unparsed", "failed")
# Most of a kept message's raw bytes sent by GET inbound/{id} (it keeps up to 4 MiB).
MAX_RAW_SENT = 1024 * 1024
# The largest row id SQLite has: a larger one in a URL is simply not there.
MAX_ID = 2**63 - 1


def setup_api(app: web.Application) -> None:
    """Mount /api: sign-in, account and admin endpoints, the OpenAPI document."""
    cfg = app[CONFIG_KEY]
    app[auth.AUTH_SETTINGS_KEY] = auth.AuthSettings(
        idle=cfg.web.session_idle,
        lifetime=cfg.web.session_lifetime,
        throttle_window=cfg.web.login_window,
        max_failures=cfg.web.login_max_failures,
    )

    app[auth.SIGNIN_LOCKS_KEY] = auth.SignInLocks()
    app.on_response_prepare.append(_api_headers)

    r = app.router
    v1 = "/api/v1"
    r.add_get("/api/openapi.json", api_spec.openapi, allow_head=False)
    r.add_post(f"{v1}/login", auth.login)
    r.add_post(f"{v1}/admin/login", auth.admin_login)
    r.add_post(f"{v1}/logout", auth.logout)
    r.add_get(f"{v1}/session", auth.session, allow_head=False)
    acc = f"{v1}/accounts/{{account}}"
    r.add_get(f"{acc}/suppressions", list_suppressions, allow_head=False)
    r.add_post(f"{acc}/suppressions", add_suppression)
    r.add_get(f"{acc}/suppressions.csv", export_csv, allow_head=False)
    r.add_post(f"{acc}/suppressions/import", import_csv)
    r.add_get(f"{acc}/suppressions/{{id:\\d+}}", get_suppression, allow_head=False)
    r.add_delete(f"{acc}/suppressions/{{id:\\d+}}", remove_suppression)
    r.add_get(f"{acc}/blocks", blocks, allow_head=False)
    r.add_get(f"{acc}/events", list_events, allow_head=False)
    r.add_get(f"{acc}/stats", stats, allow_head=False)
    r.add_get(f"{acc}/inbound", list_inbound, allow_head=False)
    r.add_get(f"{acc}/inbound/{{id:\\d+}}", get_inbound, allow_head=False)
    r.add_post(f"{v1}/reports", report)
    api_admin.add_routes(app)


async def _api_headers(request: web.Request, response: web.StreamResponse) -> None:
    # API answers carry session data: never cached, never sniffed into HTML.
    if request.path.startswith("/api/"):
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")


# ---- Parameters --------------------------------------------------------------------------


def _bool_param(request: web.Request, name: str) -> bool:
    raw = request.query.get(name, "").lower()
    if raw in ("", "false", "0"):
        return False
    if raw in ("true", "1"):
        return True
    raise ApiError(400, "badRequest", f"{name} must be true or false")


def _parse(address: str) -> Address:
    try:
        return parse_address(address.strip())
    except AddressError as e:
        raise ApiError(400, "badAddress", str(e)) from None


def _expires(value: str, now: datetime) -> datetime | None:
    """An expiry: "" for none, a duration from now ("7d", "36h"), or an RFC 3339 time."""
    value = value.strip()
    if not value:
        return None
    try:
        at = parse_expiry(value, now)
    except ValueError:
        raise ApiError(
            400,
            "badExpires",
            'expires must be a duration like "7d", "36h", "90m" or an RFC 3339 time',
        ) from None
    if at <= now:
        raise ApiError(400, "badExpires", "expires must be in the future")
    return at


def _clean_text(value: str, name: str, limit: int) -> str:
    value = value.strip()
    if len(value) > limit:
        raise ApiError(400, "badRequest", f"{name} is longer than {limit} characters")
    if any(ord(c) < 32 for c in value):
        raise ApiError(400, "badRequest", f"{name} must not contain control characters")
    return value


# ---- Suppressions ------------------------------------------------------------------------


async def list_suppressions(request: web.Request) -> web.StreamResponse:
    """GET suppressions: newest first, filtered, paged with limit and offset."""
    _, acct = await auth.account_access(request)
    rt = request.app[RUNTIME_KEY]
    q = request.query
    limit = auth.int_param(request, "limit", 50, 1, MAX_LIMIT)
    offset = auth.int_param(request, "offset", 0, 0, 10**9)
    active_raw = q.get("active", "true").lower() or "true"
    if active_raw not in ("true", "false", "all"):
        raise ApiError(400, "badRequest", "active must be true, false or all")
    scope = q.get("scope", "")
    rows = await rt.store.suppressions.list(
        acct.name,
        limit=limit + 1,  # one more than asked tells whether there is a next page
        offset=offset,
        search=q.get("search", "").strip(),
        kind=q.get("kind", ""),
        source=q.get("source", ""),
        scope=None if not scope else "" if scope == ACCOUNT_WIDE else scope,
        active={"true": True, "false": False, "all": None}[active_raw],
        expiring=_bool_param(request, "expiring"),
    )
    entries = [e.to_json() for e in rows[:limit]]
    return web.json_response(
        {"entries": entries, "limit": limit, "offset": offset, "has_more": len(rows) > limit}
    )


def also_blocks(address: Address) -> dict[str, Any]:
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
    return {"base_address": base, "explanation": text, "examples": examples}


async def blocks(request: web.Request) -> web.StreamResponse:
    """GET blocks?address=: what an entry for address would block, and what blocks it now."""
    _, acct = await auth.account_access(request)
    rt = request.app[RUNTIME_KEY]
    raw = request.query.get("address", "")
    if not raw.strip():
        raise ApiError(400, "badAddress", "address is required")
    addr = _parse(raw)
    info = also_blocks(addr)
    matching = await rt.store.suppressions.matching(acct.name, info["base_address"])
    return web.json_response(
        {"address": str(addr), **info, "blocked_by": [e.to_json() for e in matching]}
    )


async def get_suppression(request: web.Request) -> web.StreamResponse:
    """GET suppressions/{id}: the entry, its history, the events behind it, what it blocks."""
    _, acct = await auth.account_access(request)
    rt = request.app[RUNTIME_KEY]
    entry = await rt.store.suppressions.get(acct.name, auth.path_id(request))
    if entry is None:
        raise ApiError(404, "notFound", "no such entry")
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
        blocks_info = {"base_address": entry.base_address, "explanation": "", "examples": []}
    others = await rt.store.suppressions.matching(acct.name, entry.base_address)
    blocks_info["entries"] = [o.to_json() for o in others if o.id != entry.id]
    # The report messages (bounce and complaint mailbox) that made or touched the entry.
    reports = await rt.store.inbound.for_entry(acct.name, entry.id)
    return web.json_response(
        {
            "entry": entry.to_json(),
            "history": history,
            "events": [e.to_json() for e in events],
            "reports": reports,
            "also_blocks": blocks_info,
        }
    )


async def add_suppression(request: web.Request) -> web.StreamResponse:
    """POST suppressions {"address","scope"?,"expires"?,"reason"?}: add a manual entry."""
    p, acct = await auth.account_access(request)
    rt = request.app[RUNTIME_KEY]
    body = await auth.read_json(request)
    addr = _parse(auth.str_field(body, "address"))
    scope = _clean_text(auth.str_field(body, "scope", default=""), "scope", MAX_SCOPE)
    reason = _clean_text(auth.str_field(body, "reason", default=""), "reason", MAX_REASON)
    expires = _expires(auth.str_field(body, "expires", default=""), rt.store.db.clock())
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
        return web.json_response(
            {
                "code": "alreadySuppressed",
                "message": f"{base} is already suppressed for {where}"
                + (f" (entry {existing.id})" if existing else ""),
                "id": existing.id if existing else None,
            },
            status=409,
        )
    rt.wake_sync()
    return web.json_response(entry.to_json(), status=201)


async def remove_suppression(request: web.Request) -> web.StreamResponse:
    """DELETE suppressions/{id} {"reason"?}: end an entry, keeping its history."""
    p, acct = await auth.account_access(request)
    rt = request.app[RUNTIME_KEY]
    body = await auth.read_json(request, optional=True)
    reason = _clean_text(auth.str_field(body, "reason", default=""), "reason", MAX_REASON)
    entry_id = auth.path_id(request)
    current = await rt.store.suppressions.get(acct.name, entry_id)
    if current is not None and reason_required(current, reason):
        raise ApiError(400, "reasonRequired", COMPLAINT_REASON_REQUIRED)
    entry = await rt.store.suppressions.end(
        acct.name, entry_id, p.actor, reason or "removed by a person"
    )
    if entry is None:
        raise ApiError(404, "notFound", "no such active entry")
    rt.wake_sync()
    return web.json_response(entry.to_json())


# ---- Reports -------------------------------------------------------------------------------


async def report(request: web.Request) -> web.StreamResponse:
    """POST reports {"message_id","type","detail"?,"recipient"?}: a bounce or complaint about
    a message the caller's account sent; does what accounts[].report_actions say."""
    p = await auth.authenticate(request)
    rt = request.app[RUNTIME_KEY]
    acct = rt.config.account(p.account)  # None for the admin, who has no account
    if acct is None:
        raise ApiError(
            403, "user:forbidden", "a report is made as the account that sent the message"
        )
    body = await auth.read_json(request)
    message_id = _clean_text(auth.str_field(body, "message_id"), "message_id", MAX_MESSAGE_ID)
    if message_id.strip("<>") == "":
        raise ApiError(400, "badRequest", "message_id must not be empty")
    report_type = auth.str_field(body, "type")
    if report_type not in REPORT_TYPES:
        raise ApiError(400, "badRequest", 'type must be "bounce" or "complaint"')
    detail = _clean_text(auth.str_field(body, "detail", default=""), "detail", MAX_REASON)
    recipient = auth.str_field(body, "recipient", default="").strip()
    if recipient:
        recipient = str(_parse(recipient))
    # Only the caller's own mail: another account's Message-ID is not found either.
    sends = await find_sends(rt.store, message_id, account=acct.name)
    if not sends:
        raise ApiError(404, "notFound", "no message with that Message-ID was sent by this account")
    try:
        send = choose_send(sends, recipient or None)
    except SendNotFound:
        raise ApiError(
            404,
            "notFound",
            "no message with that Message-ID was sent by this account to that recipient",
        ) from None
    except RecipientUnknown as e:
        raise ApiError(409, "recipientUnknown", str(e)) from None
    except RecipientAmbiguous as e:
        raise ApiError(409, "ambiguousRecipient", str(e)) from None
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
    return web.json_response(
        {
            "action": outcome.action,
            "added": outcome.added,
            "entry": entry.to_json() if entry else None,
            "recipient": send.recipient,
            "mail_type": outcome.mail_type,
            "detail": outcome.detail,
        }
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
        raise ApiError(415, "unsupportedMediaType", "send the file as text/csv")
    importer = _Importer(rt.store, acct.name, p.actor, rt.store.db.clock())
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    pending = ""
    size = 0
    try:
        async for chunk in request.content.iter_chunked(64 * 1024):
            size += len(chunk)
            if size > IMPORT_MAX_BYTES:
                raise ApiError(413, "tooLarge", f"the file is larger than {IMPORT_MAX_BYTES} bytes")
            parts = (pending + decoder.decode(chunk)).split("\n")
            pending = parts.pop()
            await importer.lines(part + "\n" for part in parts)
        pending += decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise ApiError(400, "badCsv", "the file is not UTF-8 text") from None
    if pending:
        await importer.lines([pending])
    await importer.finish()
    rt.wake_sync()
    rep = importer.report
    return web.json_response(
        {
            "added": rep.added,
            "already_present": rep.already_present,
            "rejected": [
                {"line": line, "error": err} for line, err in rep.rejected[:MAX_REJECTED_LISTED]
            ],
            "rejected_total": len(rep.rejected),
        }
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
            raise ApiError(400, "badCsv", str(e)) from None
        except csv.Error as e:
            raise ApiError(
                400,
                "badCsv",
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
    status = request.query.get("status", "")
    if status and status not in INBOUND_STATUSES:
        raise ApiError(400, "badRequest", "status must be pending, done, unparsed or failed")
    limit = auth.int_param(request, "limit", 50, 1, MAX_LIMIT)
    before = auth.int_param(request, "before", 0, 0, MAX_ID)
    # One more than asked tells whether there is an older page.
    rows = await rt.store.inbound.list(acct.name, status=status, limit=limit + 1, before=before)
    return web.json_response(
        {
            "messages": [m.to_json() for m in rows[:limit]],
            "limit": limit,
            "has_more": len(rows) > limit,
        }
    )


async def get_inbound(request: web.Request) -> web.StreamResponse:
    """GET inbound/{id}: one kept message with its raw text (at most 1 MiB), its parsed
    report and what each recipient came to."""
    _, acct = await auth.account_access(request)
    rt = request.app[RUNTIME_KEY]
    inbound_id = auth.path_id(request)
    msg = await rt.store.inbound.get(acct.name, inbound_id) if inbound_id <= MAX_ID else None
    if msg is None:
        raise ApiError(404, "notFound", "no such report message")
    truncated = msg.raw is not None and len(msg.raw) > MAX_RAW_SENT
    if truncated and msg.raw is not None:
        msg = dataclasses.replace(msg, raw=msg.raw[:MAX_RAW_SENT])
    out = msg.to_json(with_raw=True)
    out["raw_truncated"] = truncated
    return web.json_response(
        {
            "message": out,
            "parsed": await rt.store.inbound.parsed(msg.id),
            "results": await rt.store.inbound.results(msg.id),
        }
    )


# ---- Events and statistics -----------------------------------------------------------------


async def list_events(request: web.Request) -> web.StreamResponse:
    """GET events?event=&kind=&status=&address=&limit=&before=: newest first."""
    _, acct = await auth.account_access(request)
    rt = request.app[RUNTIME_KEY]
    q = request.query
    limit = auth.int_param(request, "limit", 100, 1, MAX_LIMIT)
    before = auth.int_param(request, "before", 0, 0, 2**63 - 1) or None
    recipient = base_address(_parse(q["address"])) if q.get("address") else None
    events = await rt.store.events.list(
        acct.name,
        limit=limit,
        before_id=before,
        event=q.get("event") or None,
        kind=q.get("kind") or None,
        status=q.get("status") or None,
        recipient=recipient,
    )
    return web.json_response({"events": [e.to_json() for e in events]})


async def stats(request: web.Request) -> web.StreamResponse:
    """GET stats?days=30: per day sent, delivered, delayed, failed by kind, rates."""
    _, acct = await auth.account_access(request)
    days = auth.int_param(request, "days", 30, 1, 366)
    return web.json_response(
        await account_stats(
            request.app[RUNTIME_KEY].store.stats, acct.name, days, request.app[CONFIG_KEY].web
        )
    )
