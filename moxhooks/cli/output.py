"""What the commands print: tables, JSON, entry descriptions, progress bars."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any, Protocol

from tqdm import tqdm  # type: ignore[import-untyped,unused-ignore]

from moxhooks.store import Suppression


class Progress(Protocol):
    """A progress bar: tqdm's, drawn on standard error only when it is a terminal."""

    def update(self, n: int = 1) -> object: ...

    def close(self) -> None: ...


def progress(total: int | None, desc: str, unit: str) -> Progress:
    """A progress bar on standard error, hidden when that is not a terminal."""
    bar: Progress = tqdm(
        total=total, desc=desc, unit=unit, file=sys.stderr, disable=not sys.stderr.isatty()
    )
    return bar


def scope_text(s: str) -> str:
    """A scope as shown: "(all)" for account-wide."""
    return s or "(all)"


def short(s: str | None, n: int = 60) -> str:
    """s on one line, cut to n characters."""
    s = (s or "").replace("\n", " ")
    return s if len(s) <= n else s[: n - 1] + "…"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Rows under headers, in columns two spaces apart."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    lines = [
        "  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip()
        for r in [headers, *rows]
    ]
    return "\n".join(lines)


def print_json(value: Any) -> None:
    """Print value as indented JSON."""
    print(json.dumps(value, indent=2, ensure_ascii=False))


def describe(e: Suppression) -> str:
    """An entry in one line."""
    text = (
        f"entry {e.id}: {e.original_address}, scope {scope_text(e.scope)}, kind {e.kind},"
        f" source {e.source}, created {e.created}, expires {e.expires or 'never'}"
    )
    if e.ended:
        text += f", ended {e.ended} by {e.ended_by}"
    return text + (f", reason: {e.reason}" if e.reason else "")
