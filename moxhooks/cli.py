"""The moxhooks command: serve, setup, sync, check, suppressions, events.

Exit codes, for every command:
  0  done (check: the address is not suppressed)
  1  done, and the answer is "no": check found the address suppressed, add found it
     already present, remove found no entry, setup or sync failed for an account
  2  usage, configuration or input error (bad address, unknown account, unreadable file)

Commands that change entries never need mox: changes wait in the outbox and reach
mox on the next `serve` or `sync`; add and remove push at once when mox answers.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import io
import json
import logging
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from datetime import datetime
from typing import IO, Any, Protocol
from urllib.parse import quote

import aiohttp
from aiohttp import web
from tqdm import tqdm  # type: ignore[import-untyped,unused-ignore]

from . import __version__
from .address import Address, AddressError, base_address, parse_address
from .config import Config, load_config, parse_duration
from .csvio import (
    CsvError,
    count_exportable,
    export_entries,
    import_entries,
    parse_import,
    parse_time,
)
from .errors import ConfigError
from .kinds import Kind, MoxState, Source
from .moxclient import AccountAPI, MoxAuthError, MoxError
from .runtime import Runtime, open_runtime
from .store import NewEntry, Store, Suppression, utcnow
from .web.app import create_app

DEFAULT_CONFIG = "moxhooks.toml"
EVENT_STATUSES = ("pending", "unresolved", "done", "abandoned")
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"

EXIT_CODES = """\
exit codes: 0 done; 1 done, but the answer is "no" (see the command's help);
2 usage, configuration or input error"""

Handler = Callable[[Config, argparse.Namespace], int]


class CliError(Exception):
    """A problem the user must fix; printed as "moxhooks: <message>", exit code 2."""


class _Progress(Protocol):
    def update(self, n: int = 1) -> object: ...

    def close(self) -> None: ...


def main(argv: list[str] | None = None) -> int:
    """Run the moxhooks command line; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help, or a usage error argparse already printed
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 2)
    try:
        config = load_config(_config_path(args.config))
    except ConfigError as e:
        print(f"moxhooks: config: {e}", file=sys.stderr)
        return 2
    handler: Handler = args.handler
    try:
        if hasattr(args, "account"):
            args.account = _account(config, args.account)
        return handler(config, args)
    except CliError as e:
        print(f"moxhooks: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("moxhooks: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`moxhooks suppressions export | head`): stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _config_path(given: str | None) -> str | None:
    # No environment variables: the option, else ./moxhooks.toml if present, else defaults.
    if given is not None:
        return given
    return DEFAULT_CONFIG if os.path.exists(DEFAULT_CONFIG) else None


def _account(config: Config, name: str | None) -> str:
    if name is None:
        if len(config.accounts) == 1:
            return config.accounts[0].name
        names = ", ".join(a.name for a in config.accounts)
        raise CliError(f"--account is needed: the configuration has accounts {names}")
    if config.account(name) is None:
        raise CliError(f'no account "{name}" in the configuration')
    return name


# ---- argument parsing


def build_parser() -> argparse.ArgumentParser:
    """The argparse tree of every command."""
    fmt = argparse.RawDescriptionHelpFormatter
    # --config works before and after the command name.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config", metavar="PATH", default=argparse.SUPPRESS, help=argparse.SUPPRESS
    )
    p = argparse.ArgumentParser(
        prog="moxhooks",
        description="Bounce handling and suppression lists for the mox mail server.",
        epilog=EXIT_CODES,
        formatter_class=fmt,
    )
    p.add_argument("--version", action="version", version=f"moxhooks {__version__}")
    p.add_argument(
        "--config",
        metavar="PATH",
        default=None,
        help=f"configuration file (default: ./{DEFAULT_CONFIG} if it exists, else built-in defaults)",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(
        parent: Any, name: str, handler: Handler, help: str, epilog: str = "", account: bool = True
    ) -> argparse.ArgumentParser:
        c: argparse.ArgumentParser = parent.add_parser(
            name,
            help=help,
            description=help,
            epilog=(epilog + "\n\n" if epilog else "") + EXIT_CODES,
            formatter_class=fmt,
            parents=[common],
        )
        c.set_defaults(handler=handler)
        if account:
            c.add_argument(
                "--account",
                metavar="A",
                help="the mox account (may be left out if only one is configured)",
            )
        return c

    command(
        sub,
        "serve",
        _serve,
        "run the webhook receiver, the event processor and the sync with mox",
        "Runs until interrupted (Ctrl-C or SIGTERM); mox need not be running.\n"
        "Exit 0 when interrupted, 1 if it cannot listen (e.g. the port is taken).",
        account=False,
    )
    command(
        sub,
        "setup",
        _setup,
        "register moxhooks as every configured account's outgoing webhook in mox",
        "Sets <webhook base><account> with Authorization: Bearer <the account's secret>,\n"
        "for all events. Exit 1 if any account failed.",
        account=False,
    )
    command(
        sub,
        "sync",
        _sync,
        "push pending changes to mox, reconcile every account with mox, expire entries",
        "Exit 1 if mox could not be reached or refused for any account.",
        account=False,
    )

    c = command(
        sub,
        "check",
        _check,
        "is an address suppressed?",
        "Exit 0: not suppressed; 1: suppressed; 2: error (e.g. a bad address).\n"
        'Scope "(all)" is an account-wide entry.',
    )
    c.add_argument("address", metavar="ADDRESS")
    c.add_argument(
        "--scope", metavar="T", help="only entries that block topic T (and account-wide)"
    )
    c.add_argument("--json", action="store_true", help="print JSON")

    s = sub.add_parser(
        "suppressions",
        help="list, add, remove, import or export suppression entries",
        description="list, add, remove, import or export suppression entries",
        epilog=EXIT_CODES,
        formatter_class=fmt,
        parents=[common],
    )
    ssub = s.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")

    c = command(ssub, "list", _list, "list entries, newest first", 'Scope "(all)": account-wide.')
    c.add_argument("--json", action="store_true", help="print a JSON array")
    c.add_argument("--search", metavar="S", default="", help="address contains S")
    c.add_argument("--kind", metavar="K", type=_kind, help="only this kind")
    c.add_argument("--source", metavar="S", type=_source, help="only this source")
    c.add_argument("--scope", metavar="S", help='only this scope ("" for account-wide)')
    c.add_argument("--all", action="store_true", help="also ended entries")
    c.add_argument("--limit", metavar="N", type=_positive, default=100, help="at most N (100)")

    c = command(
        ssub,
        "add",
        _add,
        "add an entry (source manual)",
        "Exit 1 if an active entry for that base address and scope exists.\n"
        "Account-wide entries go to mox too: at once if it answers, else queued.",
    )
    c.add_argument("address", metavar="ADDRESS")
    c.add_argument("--scope", metavar="T", default="", help="topic (default: account-wide)")
    c.add_argument(
        "--kind", metavar="K", type=_kind, default=Kind.MANUAL, help="failure kind (manual)"
    )
    c.add_argument("--reason", metavar="R", default="", help="free text")
    c.add_argument(
        "--expires",
        metavar="WHEN",
        help='a duration like "30d", "12h", or a time like 2027-01-31 or 2027-01-31T12:00:00Z',
    )

    c = command(
        ssub,
        "remove",
        _remove,
        "end the active entry for an address's base address and scope (history is kept)",
        "Exit 1 if there is no such entry.\n"
        "Account-wide entries are removed from mox too: at once if it answers, else queued.",
    )
    c.add_argument("address", metavar="ADDRESS")
    c.add_argument("--scope", metavar="T", default="", help="topic (default: account-wide)")
    c.add_argument("--reason", metavar="R", default="", help="why, for the history")

    c = command(
        ssub,
        "import",
        _import,
        "import entries from CSV (source import)",
        "Columns (header row required, any order): address (required), scope, kind\n"
        "(default manual), reason, expires (RFC 3339 / ISO 8601, or empty). The export-only\n"
        "columns base_address, source, created and mox_state are ignored, so an export\n"
        "imports back. Each rejected row is reported as `line N: reason` and skipped;\n"
        "the exit code is 0 when the file was read, even with rejected rows, and 2 when it\n"
        "could not be (missing, not UTF-8, bad header).",
    )
    c.add_argument("file", metavar="FILE", help="CSV file, or - for standard input")

    c = command(
        ssub,
        "export",
        _export,
        "export the active entries as CSV",
        "Columns: address,base_address,scope,kind,source,reason,created,expires,mox_state",
    )
    c.add_argument("-o", "--output", metavar="FILE", help="write to FILE (default: stdout)")

    c = command(sub, "events", _events, "list received webhook events, newest first")
    c.add_argument("--json", action="store_true", help="print a JSON array")
    c.add_argument("--limit", metavar="N", type=_positive, default=50, help="at most N (50)")
    c.add_argument("--status", choices=EVENT_STATUSES, help="only events with this status")
    c.add_argument("--kind", metavar="K", type=_kind, help="only events of this failure kind")
    return p


def _kind(s: str) -> str:
    try:
        return str(Kind(s))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{s!r} is not a failure kind (one of {', '.join(Kind)})"
        ) from None


def _source(s: str) -> str:
    try:
        return str(Source(s))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{s!r} is not a source (one of {', '.join(Source)})"
        ) from None


def _positive(s: str) -> int:
    try:
        n = int(s)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"{s!r} is not a positive whole number")
    return n


# ---- helpers


def _run(coro: Awaitable[int]) -> int:
    async def wrapped() -> int:
        return await coro

    # The CLI reports what matters itself; the workers' log lines would repeat it.
    logger = logging.getLogger("moxhooks")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        return asyncio.run(wrapped())
    finally:
        logger.setLevel(level)


@contextlib.asynccontextmanager
async def _open_store(config: Config) -> AsyncIterator[Store]:
    store = await Store.open(config.database.path, synchronous=config.database.synchronous)
    try:
        yield store
    finally:
        await store.close()


def _progress(total: int | None, desc: str, unit: str) -> _Progress:
    bar: _Progress = tqdm(
        total=total, desc=desc, unit=unit, file=sys.stderr, disable=not sys.stderr.isatty()
    )
    return bar


def _parse(address: str) -> Address:
    try:
        return parse_address(address)
    except AddressError as e:
        raise CliError(f"bad address {address!r}: {e}") from None


def webhook_url(config: Config, account: str) -> str:
    """The URL mox posts the account's outgoing-delivery events to."""
    return config.webhook_base + quote(account, safe="")


async def mox_unreachable(config: Config) -> str | None:
    """None if mox answers HTTP at all, else why not."""
    url = config.mox.url.rstrip("/") + "/webapi/v0/"
    timeout = aiohttp.ClientTimeout(total=min(config.mox.timeout, 3.0))
    try:
        async with aiohttp.ClientSession(timeout=timeout) as s, s.get(url) as resp:
            await resp.read()
    except TimeoutError:
        return f"no answer within {timeout.total:g}s"
    except (aiohttp.ClientError, OSError) as e:
        return f"{type(e).__name__}: {e}".rstrip(": ")
    return None


def _scope(s: str) -> str:
    return s or "(all)"


def _short(s: str | None, n: int = 60) -> str:
    s = (s or "").replace("\n", " ")
    return s if len(s) <= n else s[: n - 1] + "…"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    lines = [
        "  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip()
        for r in [headers, *rows]
    ]
    return "\n".join(lines)


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


def _describe(e: Suppression) -> str:
    text = (
        f"entry {e.id}: {e.original_address}, scope {_scope(e.scope)}, kind {e.kind},"
        f" source {e.source}, created {e.created}, expires {e.expires or 'never'}"
    )
    if e.ended:
        text += f", ended {e.ended} by {e.ended_by}"
    return text + (f", reason: {e.reason}" if e.reason else "")


async def _push(rt: Runtime, entry: Suppression, what: str) -> None:
    """Push the outbox now if mox answers, and say whether the change reached mox."""
    later = "it is queued and reaches mox on the next `moxhooks serve` or `moxhooks sync`"
    err = await mox_unreachable(rt.config)
    if err is not None:
        print(f"mox at {rt.config.mox.url} is not reachable ({err}); {later}")
        return
    await rt.sync.push_due()
    now = await rt.store.suppressions.get(entry.account, entry.id)
    state = now.mox_state if now else entry.mox_state
    if state in (MoxState.SYNCED, MoxState.REMOVED):
        print(f"{what} mox too")
    elif state == MoxState.ERROR:
        history = await rt.store.suppressions.history(entry.id)
        why = next((h["detail"] for h in reversed(history) if h["action"] == "sync_failed"), "")
        print(f"mox refused the change: {why}")
    else:
        print(f"not in mox yet ({rt.sync.mox_error or 'earlier changes are waiting'}); {later}")


# ---- commands


def _serve(config: Config, args: argparse.Namespace) -> int:
    logging.basicConfig(level=config.log_level.upper(), format=LOG_FORMAT)
    host, port = config.server.host, config.server.port
    print(f"moxhooks {__version__} listening on http://{host}:{port}")
    for a in config.accounts:
        print(f"webhook URL for account {a.name}: {webhook_url(config, a.name)}")
    print(f"database: {os.path.abspath(config.database.path)}")
    err = asyncio.run(mox_unreachable(config))
    if err is None:
        print(f"mox at {config.mox.url} is reachable")
    else:
        print(
            f"mox at {config.mox.url} is not reachable ({err}); "
            "moxhooks runs anyway and catches up when mox appears"
        )
    sys.stdout.flush()
    try:
        web.run_app(create_app(config), host=host, port=port, print=None)
    except KeyboardInterrupt:
        pass
    except OSError as e:  # Most often: the port is taken.
        print(f"moxhooks: cannot listen on {host}:{port}: {e}", file=sys.stderr)
        return 1
    print("moxhooks stopped")
    return 0


def _setup(config: Config, args: argparse.Namespace) -> int:
    return _run(_setup_async(config))


async def _setup_async(config: Config) -> int:
    failed = 0
    async with open_runtime(config) as rt:
        for a in config.accounts:
            url = webhook_url(config, a.name)
            api = rt.mox.account_api(a.login, a.password)
            try:
                await api.outgoing_webhook_save(url, "Bearer " + rt.secrets[a.name], [])
                kept = await _keep_retired_messages(api)
            except MoxAuthError as e:
                failed += 1
                print(f"account {a.name}: mox refused the login {a.login}: {e.message}")
                continue
            except MoxError as e:
                failed += 1
                print(f"account {a.name}: failed: {e}")
                continue
            finally:
                with contextlib.suppress(MoxError):
                    await api.logout()
            print(
                f"account {a.name}: mox now posts all outgoing delivery events to {url}"
                " with Authorization: Bearer <the account's webhook secret>"
            )
            if kept:
                print(
                    f"account {a.name}: mox now keeps retired messages for {KEEP_RETIRED_DAYS}"
                    " days, so moxhooks can find the recipient of a failed delivery"
                )
    return 1 if failed else 0


# mox's webhook does not name the recipient; a failed message is only findable in mox
# afterwards (RetiredList) when the account keeps retired messages, which is off by default.
KEEP_RETIRED_DAYS = 7
_NS_PER_DAY = 86400 * 10**9


async def _keep_retired_messages(api: AccountAPI) -> bool:
    """Turn on keeping retired messages when it is off; True when it was changed."""
    conf = await api.account()
    if int(conf.get("KeepRetiredMessagePeriod") or 0) > 0:
        return False
    webhook = int(conf.get("KeepRetiredWebhookPeriod") or 0)
    await api.keep_retired_periods_save(KEEP_RETIRED_DAYS * _NS_PER_DAY, webhook)
    return True


def _sync(config: Config, args: argparse.Namespace) -> int:
    return _run(_sync_async(config))


async def _sync_async(config: Config) -> int:
    async with open_runtime(config) as rt:
        bar = _progress(len(config.accounts) + 2, "sync", "step")
        try:
            pushed = await rt.sync.push_due()
            bar.update(1)
            # One account at a time (what reconcile_all does), so the bar moves.
            reports = []
            for a in config.accounts:
                reports.append(await rt.sync.reconcile(a))
                bar.update(1)
            expired = await rt.store.suppressions.expire_due()
            if expired:
                pushed += await rt.sync.push_due()
            bar.update(1)
        finally:
            bar.close()
        backlog = await rt.store.outbox.backlog_by_account()
    failed = 0
    for r in reports:
        waiting = backlog.get(r.account, 0)
        if r.errors:
            failed += 1
            print(f"account {r.account}: {'; '.join(r.errors)}; {waiting} changes wait for mox")
        else:
            print(
                f"account {r.account}: mox lists {r.in_mox}; adopted {r.adopted},"
                f" ended {r.ended} removed in mox; {waiting} changes wait for mox"
            )
    print(f"pushed {pushed} changes to mox; {expired} entries expired")
    return 1 if failed else 0


def _check(config: Config, args: argparse.Namespace) -> int:
    return _run(_check_async(config, args))


async def _check_async(config: Config, args: argparse.Namespace) -> int:
    addr = _parse(args.address)
    base = base_address(addr)
    async with _open_store(config) as store:
        entries = await store.suppressions.matching(args.account, base)
    if args.scope is not None:
        entries = [e for e in entries if e.scope in ("", args.scope)]
    if args.json:
        _print_json(
            {
                "address": str(addr),
                "base_address": base,
                "suppressed": bool(entries),
                "entries": [e.to_json() for e in entries],
            }
        )
    elif entries:
        print(f"suppressed: {addr} (base address {base})")
        for e in entries:
            print("  " + _describe(e))
    else:
        print(f"not suppressed: {addr} (base address {base})")
    return 1 if entries else 0


def _list(config: Config, args: argparse.Namespace) -> int:
    return _run(_list_async(config, args))


async def _list_async(config: Config, args: argparse.Namespace) -> int:
    async with _open_store(config) as store:
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
        _print_json([e.to_json() for e in entries])
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
            _scope(e.scope),
            e.kind,
            e.source,
            e.created[:19],
            (e.expires or "never")[:19],
            e.mox_state,
            _short(e.reason, 50),
        ]
        if args.all:
            row.insert(8, (e.ended or "-")[:19])
        rows.append(row)
    print(_table(headers, rows))
    return 0


def _expiry(value: str, now: datetime) -> datetime:
    try:
        when = now + parse_duration(value, "--expires")
    except ConfigError:
        try:
            when = parse_time(value)
        except ValueError:
            raise CliError(
                f'--expires: {value!r} is neither a duration like "30d" nor a time like 2027-01-31'
            ) from None
    if when <= now:
        raise CliError(f"--expires: {value!r} is in the past")
    return when


def _add(config: Config, args: argparse.Namespace) -> int:
    return _run(_add_async(config, args))


async def _add_async(config: Config, args: argparse.Namespace) -> int:
    addr = _parse(args.address)
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
    async with open_runtime(config) as rt:
        added = await rt.store.suppressions.add(entry)
        if added is None:
            existing = await rt.store.suppressions.active(
                args.account, entry.base_address, args.scope
            )
            print(f"already suppressed: {addr}")
            if existing is not None:
                print("  " + _describe(existing))
            return 1
        print("added " + _describe(added))
        if added.scope:
            print("topic entries stay in moxhooks: mox only knows account-wide ones")
        else:
            await _push(rt, added, "added to")
    return 0


def _remove(config: Config, args: argparse.Namespace) -> int:
    return _run(_remove_async(config, args))


async def _remove_async(config: Config, args: argparse.Namespace) -> int:
    addr = _parse(args.address)
    base = base_address(addr)
    async with open_runtime(config) as rt:
        entry = await rt.store.suppressions.active(args.account, base, args.scope)
        if entry is None:
            print(
                f"no active entry for {addr} (base address {base}, scope {_scope(args.scope)});"
                " entries only mox has appear after `moxhooks sync`"
            )
            return 1
        ended = await rt.store.suppressions.end(
            args.account, entry.id, "cli", args.reason or "removed with the CLI"
        )
        if ended is None:  # Ended meanwhile by someone else.
            print(f"no active entry for {addr} (base address {base})")
            return 1
        print("ended " + _describe(ended))
        if ended.mox_state == MoxState.PENDING_REMOVE:
            await _push(rt, ended, "removed from")
    return 0


def _import(config: Config, args: argparse.Namespace) -> int:
    with _input(args.file) as f:
        return _run(_import_async(config, args, f))


@contextlib.contextmanager
def _input(name: str) -> Iterator[IO[str]]:
    if name == "-":
        buffer = getattr(sys.stdin, "buffer", None)
        if buffer is None:  # Replaced by a text-only stream (tests).
            yield sys.stdin
            return
        wrapper = io.TextIOWrapper(buffer, encoding="utf-8-sig", newline="")
        try:
            yield wrapper
        finally:
            wrapper.detach()  # Leave standard input open.
        return
    try:
        with open(name, encoding="utf-8-sig", newline="") as f:
            yield f
    except OSError as e:
        raise CliError(f"{name}: {e.strerror or e}") from None


async def _import_async(config: Config, args: argparse.Namespace, f: IO[str]) -> int:
    name = "standard input" if args.file == "-" else args.file
    async with _open_store(config) as store:
        rows = parse_import(f, args.account, "cli", store.db.clock())
        bar = _progress(None, "import", "rows")
        try:
            report = await import_entries(store, rows, progress=bar.update)
        except CsvError as e:
            raise CliError(f"{name}: {e}") from None
        except (UnicodeDecodeError, csv.Error) as e:
            raise CliError(
                f"{name}: cannot be read as CSV in UTF-8 ({e}); the rows before the"
                " problem were imported, importing again is safe"
            ) from None
        finally:
            bar.close()
    for line, why in report.rejected:
        print(f"line {line}: {why}", file=sys.stderr)
    print(
        f"{report.added} added, {report.already_present} already present,"
        f" {len(report.rejected)} rejected"
    )
    if report.added:
        print("account-wide entries reach mox on the next `moxhooks serve` or `moxhooks sync`")
    return 0


def _export(config: Config, args: argparse.Namespace) -> int:
    if not args.output:
        return _run(_export_async(config, args, sys.stdout))
    try:
        with open(args.output, "w", encoding="utf-8", newline="") as out:
            return _run(_export_async(config, args, out))
    except OSError as e:
        raise CliError(f"{args.output}: {e.strerror or e}") from None


async def _export_async(config: Config, args: argparse.Namespace, out: IO[str]) -> int:
    written = 0
    async with _open_store(config) as store:
        bar = _progress(await count_exportable(store, args.account), "export", "rows")

        def count(n: int) -> None:
            nonlocal written
            written += n
            bar.update(n)

        try:
            async for text in export_entries(store, args.account, progress=count):
                out.write(text)
        finally:
            bar.close()
    if args.output:
        print(f"exported {written} entries to {args.output}")
    return 0


def _events(config: Config, args: argparse.Namespace) -> int:
    return _run(_events_async(config, args))


async def _events_async(config: Config, args: argparse.Namespace) -> int:
    async with _open_store(config) as store:
        events = await store.events.list(
            args.account, limit=args.limit, status=args.status, kind=args.kind
        )
    if args.json:
        _print_json([e.to_json() for e in events])
        return 0
    if not events:
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
            _short(e.detail),
        ]
        for e in events
    ]
    print(_table(headers, rows))
    return 0
