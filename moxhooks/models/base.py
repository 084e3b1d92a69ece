"""What every model shares: the base class, field helpers, the JSON encoder."""

from __future__ import annotations

from typing import Annotated, Any, Protocol

import msgspec
from msgspec import Meta

from moxhooks.kinds import Kind, MoxState, Source


class Row(Protocol):
    """A database row as the store hands it to from_row: its columns by name (SQLite's
    sqlite3.Row, PostgreSQL's asyncpg Record)."""

    def __getitem__(self, key: str, /) -> Any: ...


def one_of(values: list[str], description: str = "") -> Meta:
    """A str field whose values are one of values (kept as str in Python: read from SQLite)."""
    if description:
        return Meta(description=description, extra_json_schema={"enum": values})
    return Meta(extra_json_schema={"enum": values})


def doc(description: str) -> Meta:
    return Meta(description=description)


DATE_TIME_FORMAT = Meta(extra_json_schema={"format": "date-time"})
DateTime = Annotated[str, DATE_TIME_FORMAT]  # RFC 3339 UTC, e.g. "2026-11-22T01:52:56Z"
KindName = Annotated[str, one_of([str(k) for k in Kind], "failure kind, e.g. mailbox_unknown")]
SourceName = Annotated[str, one_of([str(s) for s in Source], "where the entry came from")]
MoxStateName = Annotated[
    str, one_of([str(s) for s in MoxState], "how far mox's own list has caught up")
]


class Model(msgspec.Struct):
    """Base of the models. (Neither frozen nor kw_only: mypy does not see a base class's
    options, so each model's fields with defaults come last.)"""


class Empty(Model):
    """{}: done, nothing to say."""


_ENCODER = msgspec.json.Encoder()


def encode(value: Any) -> bytes:
    """JSON of a model (or of lists and dicts of them)."""
    return _ENCODER.encode(value)
