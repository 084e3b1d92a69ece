"""The entry point of the moxhooks command: parse, load the configuration, run, exit code."""

from __future__ import annotations

import os
import sys

from moxhooks.cli.common import CliError, Handler
from moxhooks.cli.parser import DEFAULT_CONFIG, build_parser
from moxhooks.config import Config, load_config
from moxhooks.errors import ConfigError, SchemaTooNew
from moxhooks.store import StoreUnavailable


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
    except SchemaTooNew as e:
        print(f"moxhooks: refusing to start: {e}", file=sys.stderr)
        return 2
    except StoreUnavailable as e:
        # Locked by another writer past the busy timeout, the disk full, no such directory.
        print(f"moxhooks: {e}", file=sys.stderr)
        return 1
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
