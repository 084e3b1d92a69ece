"""CSV import and export of suppression lists, for the CLI and the web API.

Import columns (a header row is required; column order is free; names are
case-insensitive):

    address   required; any address mox accepts, e.g. John.Doe+x@example.org
    scope     "" (the default) for the whole account, else a topic name
    kind      a failure kind (moxhooks.kinds.Kind); default "manual"
    reason    free text; default ""
    expires   RFC 3339 / ISO 8601 time ("2027-01-31T12:00:00Z", "2027-01-31"; no zone
              means UTC) or empty for never

Export writes, for every active, unexpired entry, oldest first:

    address,base_address,scope,kind,source,reason,created,expires,mox_state

An export imports back unchanged: import ignores the export-only columns
base_address, source, created and mox_state (the base address is computed again,
imported entries get source "import", created is the time of the import, and the
sync state starts over). Any other unknown column rejects the whole file.

A row with a problem (bad address, unknown kind, bad or past expiry, missing
address, too many fields) is reported with its line number and skipped; it
never stops the import.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from moxhooks.config import parse_duration
from moxhooks.errors import ConfigError, MoxhooksError
from moxhooks.kinds import Kind, Source
from moxhooks.mail.address import AddressError, base_address, parse_address
from moxhooks.store import NewEntry, Store

# Columns an import understands, and the columns only an export has (ignored on import).
IMPORT_COLUMNS = ("address", "scope", "kind", "reason", "expires")
EXPORT_ONLY_COLUMNS = ("base_address", "source", "created", "mox_state")
EXPORT_COLUMNS = (
    "address",
    "base_address",
    "scope",
    "kind",
    "source",
    "reason",
    "created",
    "expires",
    "mox_state",
)

# Rows read per query while exporting; memory stays bounded by this, not the list.
EXPORT_BATCH = 1000


class CsvError(MoxhooksError):
    """The file as a whole cannot be imported: no header, no address column, unknown columns."""


@dataclass(frozen=True)
class ImportRow:
    """One data row of an import: an entry to add, or why the row was rejected."""

    line: int  # Line number in the file where the row starts (the header is line 1).
    entry: NewEntry | None = None
    error: str | None = None


@dataclass
class ImportReport:
    """What an import did."""

    added: int = 0
    already_present: int = 0  # An active entry for that base address and scope existed.
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line, why)


def parse_time(value: str) -> datetime:
    """Parse an RFC 3339 / ISO 8601 time or date; no zone means UTC. Raises ValueError."""
    s = value.strip()
    if not s:
        raise ValueError("empty time")
    dt = datetime.fromisoformat(s)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def parse_expiry(value: str, now: datetime) -> datetime:
    """An expiry: a duration from now ("30d", "36h") or a time for parse_time. Raises ValueError.

    Whether it lies in the future is for the caller to check.
    """
    try:
        return now + parse_duration(value, "expires")
    except ConfigError:
        return parse_time(value)


def _header(fields: list[str]) -> list[str]:
    names = [f.strip().lower() for f in fields]
    if names and names[0].startswith("\ufeff"):
        names[0] = names[0][1:]  # A byte order mark that was not decoded as one.
    known = set(IMPORT_COLUMNS) | set(EXPORT_ONLY_COLUMNS)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise CsvError(
            f"line 1: unknown column {unknown[0]!r}; an import has the columns "
            f"{', '.join(IMPORT_COLUMNS)} (export-only columns "
            f"{', '.join(EXPORT_ONLY_COLUMNS)} are ignored)"
        )
    dups = sorted({n for n in names if names.count(n) > 1})
    if dups:
        raise CsvError(f"line 1: column {dups[0]!r} appears twice")
    if "address" not in names:
        raise CsvError("line 1: the header has no address column")
    return names


def parse_import(
    lines: Iterable[str], account: str, actor: str, now: datetime
) -> Iterator[ImportRow]:
    """Read CSV lines (header first) into entries for account, source "import".

    Raises CsvError for a file that cannot be imported at all (when the header is read).
    """
    reader = csv.reader(lines)
    try:
        header = next(reader)
    except StopIteration:
        raise CsvError("the file is empty; it needs a header row with an address column") from None
    names = _header(header)
    start = reader.line_num + 1
    for fields in reader:
        line, start = start, reader.line_num + 1
        if not any(f.strip() for f in fields):
            continue  # Blank lines are not rows.
        yield _row(line, names, fields, account, actor, now)


def _row(
    line: int, names: list[str], fields: list[str], account: str, actor: str, now: datetime
) -> ImportRow:
    if len(fields) > len(names):
        return ImportRow(line, error=f"{len(fields)} fields, but the header has {len(names)}")
    # Fewer fields than the header: the missing ones are empty.
    values = {n: fields[i].strip() if i < len(fields) else "" for i, n in enumerate(names)}
    raw = values["address"]
    if not raw:
        return ImportRow(line, error="missing address")
    try:
        addr = parse_address(raw)
    except AddressError as e:
        return ImportRow(line, error=f"bad address {raw!r}: {e}")
    try:
        kind = Kind(values.get("kind") or Kind.MANUAL)
    except ValueError:
        return ImportRow(line, error=f"unknown kind {values['kind']!r}")
    expires: datetime | None = None
    if values.get("expires"):
        try:
            expires = parse_time(values["expires"])
        except ValueError:
            return ImportRow(
                line,
                error=f"bad expiry {values['expires']!r}: not an RFC 3339 / ISO 8601 time",
            )
        if expires <= now:
            return ImportRow(line, error=f"expiry {values['expires']!r} is in the past")
    entry = NewEntry(
        account=account,
        original_address=str(addr),
        base_address=base_address(addr),
        kind=str(kind),
        source=Source.IMPORT,
        reason=values.get("reason", ""),
        created_by=actor,
        scope=values.get("scope", ""),
        expires=expires,
    )
    return ImportRow(line, entry=entry)


async def import_entries(
    store: Store,
    rows: Iterable[ImportRow],
    *,
    chunk: int = 5000,
    progress: Callable[[int], object] | None = None,
) -> ImportReport:
    """Add the rows' entries, one transaction per chunk; progress(n) after each chunk of n rows."""
    report = ImportReport()
    pending: list[NewEntry] = []
    seen = 0

    async def flush() -> None:
        nonlocal seen
        if pending:
            added, present = await store.suppressions.add_many(pending)
            report.added += added
            report.already_present += present
            pending.clear()
        if progress is not None and seen:
            progress(seen)
        seen = 0

    for row in rows:
        seen += 1
        if row.entry is None:
            report.rejected.append((row.line, row.error or "rejected"))
        else:
            pending.append(row.entry)
            if len(pending) >= chunk:
                await flush()
    await flush()
    return report


async def export_entries(
    store: Store,
    account: str,
    *,
    batch: int = EXPORT_BATCH,
    progress: Callable[[int], object] | None = None,
) -> AsyncIterator[str]:
    """The account's active, unexpired entries as CSV text, header first, in chunks.

    Reads in keyset-paged batches by id, so memory does not grow with the list.
    """
    now = store.now()
    yield _csv_text([EXPORT_COLUMNS])
    last_id = 0
    while True:
        # The rows come in EXPORT_COLUMNS order, ready for the CSV writer.
        last_id, rows = await store.export.page(account, now, last_id, batch)
        if not rows:
            return
        yield _csv_text(rows)
        if progress is not None:
            progress(len(rows))


def _csv_text(rows: Iterable[Iterable[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()
