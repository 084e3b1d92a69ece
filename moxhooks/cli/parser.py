"""The argparse tree of every command, with its help texts."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from moxhooks import __version__
from moxhooks.cli import entries, serve, transfer, unsubscribe
from moxhooks.cli.common import Handler, blocking
from moxhooks.kinds import Kind, Source

DEFAULT_CONFIG = "moxhooks.toml"
EVENT_STATUSES = ("pending", "unresolved", "done", "abandoned")

EXIT_CODES = """\
exit codes: 0 done; 1 done, but the answer is "no" (see the command's help);
2 usage, configuration or input error"""


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
        serve.serve,
        "run the webhook receiver, the event processor and the sync with mox",
        "Runs until interrupted (Ctrl-C or SIGTERM); mox need not be running.\n"
        "Exit 0 when interrupted, 1 if it cannot listen (e.g. the port is taken).",
        account=False,
    )
    command(
        sub,
        "setup",
        blocking(serve.setup),
        "register moxhooks as every configured account's outgoing webhook in mox",
        "Sets <webhook base><account> (with several [[mox]] servers, in each server the\n"
        "account is on: <webhook base><mox>/<account>) with Authorization: Bearer <the\n"
        "account's secret for that server>, for all events. Exit 1 if any account failed.",
        account=False,
    )
    command(
        sub,
        "sync",
        blocking(serve.sync),
        "push pending changes to mox, reconcile every account with mox, expire entries",
        "Exit 1 if mox could not be reached or refused for any account.",
        account=False,
    )

    c = command(
        sub,
        "check",
        blocking(entries.check),
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

    c = command(
        ssub,
        "list",
        blocking(entries.list_entries),
        "list entries, newest first",
        'Scope "(all)": account-wide.',
    )
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
        blocking(entries.add_entry),
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
        blocking(entries.remove_entry),
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
        transfer.import_csv,
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
        transfer.export_csv,
        "export the active entries as CSV",
        "Columns: address,base_address,scope,kind,source,reason,created,expires,mox_state",
    )
    c.add_argument("-o", "--output", metavar="FILE", help="write to FILE (default: stdout)")

    u = sub.add_parser(
        "unsubscribe",
        help="the keys that sign unsubscribe links",
        description="the keys that sign unsubscribe links",
        epilog=EXIT_CODES,
        formatter_class=fmt,
        parents=[common],
    )
    usub = u.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
    command(
        usub,
        "rotate-key",
        blocking(unsubscribe.rotate_key),
        "make a new key sign unsubscribe links from now on",
        "Links signed with the key it replaces keep working for unsubscribe.old_key_days\n"
        "(default 30), then they are refused. A running moxhooks uses the new key at once.",
        account=False,
    )
    c = command(
        usub,
        "keys",
        blocking(unsubscribe.keys),
        "list the signing keys, newest first, and until when each one verifies",
        account=False,
    )
    c.add_argument("--json", action="store_true", help="print a JSON array")

    c = command(
        sub, "events", blocking(entries.events), "list received webhook events, newest first"
    )
    c.add_argument("--json", action="store_true", help="print a JSON array")
    c.add_argument("--limit", metavar="N", type=_positive, default=50, help="at most N (50)")
    c.add_argument("--status", choices=EVENT_STATUSES, help="only events with this status")
    c.add_argument("--kind", metavar="K", type=_kind, help="only events of this failure kind")
    return p


def _member(enum: type[StrEnum], what: str) -> Callable[[str], str]:
    """An argparse type: a value of enum, else an error naming what it must be."""

    def parse(s: str) -> str:
        try:
            return str(enum(s))
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{s!r} is not {what} (one of {', '.join(enum)})"
            ) from None

    return parse


_kind = _member(Kind, "a failure kind")
_source = _member(Source, "a source")


def _positive(s: str) -> int:
    try:
        n = int(s)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"{s!r} is not a positive whole number")
    return n
