"""The CSV commands: suppressions import and export."""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import sys
from collections.abc import Iterator
from typing import IO

from moxhooks.cli.common import CliError, run
from moxhooks.cli.output import progress
from moxhooks.config import Config
from moxhooks.csvio import CsvError, export_entries, import_entries, parse_import
from moxhooks.runtime.resources import open_store


def import_csv(config: Config, args: argparse.Namespace) -> int:
    """suppressions import: add the rows of a CSV file (or standard input)."""
    with _input(args.file) as f:
        return run(_import(config, args, f))


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


async def _import(config: Config, args: argparse.Namespace, f: IO[str]) -> int:
    name = "standard input" if args.file == "-" else args.file
    async with open_store(config) as store:
        rows = parse_import(f, args.account, "cli", store.clock())
        bar = progress(None, "import", "rows")
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


def export_csv(config: Config, args: argparse.Namespace) -> int:
    """suppressions export: the active entries as CSV, to a file or standard output."""
    if not args.output:
        return run(_export(config, args, sys.stdout))
    try:
        with open(args.output, "w", encoding="utf-8", newline="") as out:
            return run(_export(config, args, out))
    except OSError as e:
        raise CliError(f"{args.output}: {e.strerror or e}") from None


async def _export(config: Config, args: argparse.Namespace, out: IO[str]) -> int:
    written = 0
    async with open_store(config) as store:
        bar = progress(await store.export.count(args.account), "export", "rows")

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
