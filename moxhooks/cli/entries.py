"""The commands about entries and events: check, suppressions list/add/remove, events."""

from __future__ import annotations

import argparse
from datetime import datetime

import msgspec

from moxhooks.cli.common import CliError, mox_unreachable, parse
from moxhooks.cli.output import describe, print_json, scope_text, short, table
from moxhooks.config import Config
from moxhooks.csvio import parse_expiry
from moxhooks.jobs.reports import COMPLAINT_REASON_REQUIRED, reason_required
from moxhooks.jobs.sync import SyncWorker
from moxhooks.kinds import MoxState, Source
from moxhooks.mail.address import base_address
from moxhooks.runtime.resources import open_moxes, open_store
from moxhooks.store import NewEntry, Store, Suppression, utcnow


async def check(config: Config, args: argparse.Namespace) -> int:
    """check: exit 1 when the address is suppressed."""
    addr = parse(args.address)
    base = base_address(addr)
    async with open_store(config) as store:
        entries = await store.suppressions.matching(args.account, base)
    if args.scope is not None:
        entries = [e for e in entries if e.scope in ("", args.scope)]
    if args.json:
        print_json(
            {
                "address": str(addr),
                "base_address": base,
                "suppressed": bool(entries),
                "entries": msgspec.to_builtins(entries),
            }
        )
    elif entries:
        print(f"suppressed: {addr} (base address {base})")
        for e in entries:
            print("  " + describe(e))
    else:
        print(f"not suppressed: {addr} (base address {base})")
    return 1 if entries else 0


async def list_entries(config: Config, args: argparse.Namespace) -> int:
    """suppressions list: entries, newest first, as a table or JSON."""
    async with open_store(config) as store:
        entries = await store.suppressions.list(
            args.account,
            limit=args.limit,
            search=args.search,
            kind=args.kind or "",
            source=args.source or "",
            scope=args.scope,
            active=None if args.all else True,
        )
    if args.json:
        print_json(msgspec.to_builtins(entries))
        return 0
    if not entries:
        print("no entries")
        return 0
    headers = ["ID", "ADDRESS", "SCOPE", "KIND", "SOURCE", "CREATED", "EXPIRES", "MOX", "REASON"]
    if args.all:
        headers.insert(8, "ENDED")
    rows = []
    for e in entries:
        row = [
            str(e.id),
            e.original_address,
            scope_text(e.scope),
            e.kind,
            e.source,
            e.created[:19],
            (e.expires or "never")[:19],
            e.mox_state,
            short(e.reason, 50),
        ]
        if args.all:
            row.insert(8, (e.ended or "-")[:19])
        rows.append(row)
    print(table(headers, rows))
    return 0


def _expiry(value: str, now: datetime) -> datetime:
    try:
        when = parse_expiry(value, now)
    except ValueError:
        raise CliError(
            f'--expires: {value!r} is neither a duration like "30d" nor a time like 2027-01-31'
        ) from None
    if when <= now:
        raise CliError(f"--expires: {value!r} is in the past")
    return when


async def add_entry(config: Config, args: argparse.Namespace) -> int:
    """suppressions add: a manual entry, pushed to mox at once when it answers."""
    addr = parse(args.address)
    expires = _expiry(args.expires, utcnow()) if args.expires else None
    entry = NewEntry(
        account=args.account,
        original_address=str(addr),
        base_address=base_address(addr),
        kind=args.kind,
        source=Source.MANUAL,
        reason=args.reason,
        created_by="cli",
        scope=args.scope,
        expires=expires,
    )
    async with open_store(config) as store:
        added = await store.suppressions.add(entry)
        if added is None:
            existing = await store.suppressions.active(
                args.account, entry.base_address, args.scope
            )
            print(f"already suppressed: {addr}")
            if existing is not None:
                print("  " + describe(existing))
            return 1
        print("added " + describe(added))
        if added.scope:
            print("topic entries stay in moxhooks: mox only knows account-wide ones")
        else:
            await _push(config, store, added, "added to")
    return 0


async def remove_entry(config: Config, args: argparse.Namespace) -> int:
    """suppressions remove: end the active entry, removed from mox at once when it answers."""
    addr = parse(args.address)
    base = base_address(addr)
    async with open_store(config) as store:
        entry = await store.suppressions.active(args.account, base, args.scope)
        if entry is None:
            print(
                f"no active entry for {addr} (base address {base}, scope {scope_text(args.scope)});"
                " entries only mox has appear after `moxhooks sync`"
            )
            return 1
        if reason_required(entry, args.reason):
            raise CliError(COMPLAINT_REASON_REQUIRED)
        ended = await store.suppressions.end(
            args.account, entry.id, "cli", args.reason.strip() or "removed with the CLI"
        )
        if ended is None:  # Ended meanwhile by someone else.
            print(f"no active entry for {addr} (base address {base})")
            return 1
        print("ended " + describe(ended))
        if ended.mox_state == MoxState.PENDING_REMOVE:
            await _push(config, store, ended, "removed from")
    return 0


async def _push(config: Config, store: Store, entry: Suppression, what: str) -> None:
    """Push the outbox now if mox answers, and say whether the change reached mox."""
    later = "it is queued and reaches mox on the next `moxhooks serve` or `moxhooks sync`"
    err = await mox_unreachable(config)
    if err is not None:
        print(f"mox at {config.default_mox.url} is not reachable ({err}); {later}")
        return
    async with open_moxes(config) as clients:
        sync = SyncWorker(config, store, clients[config.default_mox.name], clients)
        if not await sync.hold_all():
            # A running node pushes it (it holds a mox server's sync lock, on PostgreSQL).
            print("a running moxhooks node pushes it to mox")
            return
        await sync.push_due()
        await sync.push_further()
    now = await store.suppressions.get(entry.account, entry.id)
    state = now.mox_state if now else entry.mox_state
    if state in (MoxState.SYNCED, MoxState.REMOVED):
        print(f"{what} mox too")
    elif state == MoxState.ERROR:
        history = await store.suppressions.history(entry.id)
        why = next((h["detail"] for h in reversed(history) if h["action"] == "sync_failed"), "")
        print(f"mox refused the change: {why}")
    else:
        print(f"not in mox yet ({sync.mox_error or 'earlier changes are waiting'}); {later}")


async def events(config: Config, args: argparse.Namespace) -> int:
    """events: received webhook events, newest first, as a table or JSON."""
    async with open_store(config) as store:
        found = await store.events.list(
            args.account, limit=args.limit, status=args.status, kind=args.kind
        )
    if args.json:
        print_json(msgspec.to_builtins(found))
        return 0
    if not found:
        print("no events")
        return 0
    headers = [
        "ID",
        "RECEIVED",
        "EVENT",
        "MSG",
        "STATUS",
        "RECIPIENT",
        "KIND",
        "DECISION",
        "DETAIL",
    ]
    rows = [
        [
            str(e.id),
            e.received[:19],
            e.event,
            str(e.queue_msg_id),
            e.status,
            e.recipient or "-",
            e.kind or "-",
            e.decision or "-",
            short(e.detail),
        ]
        for e in found
    ]
    print(table(headers, rows))
    return 0
