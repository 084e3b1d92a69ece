"""msgspec or pydantic for the typed models: both, and today's code, on the two hot paths.

    python bench/models_bench.py [ROUNDS]

(a) a mox webhook body (bench/data.outgoing_body: 9 in 10 delivered, 1 in 10 a 5.1.1
    failure) decoded and validated into a typed object;
(b) a page of 500 suppression entries, read from SQLite rows, encoded to the JSON the
    API answers (GET suppressions?limit=500).

Prints microseconds per call (best of 5 runs) for each way; asserts only that each way
gives the same answer as today's code.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import sqlite3
import sys
import time
from collections.abc import Callable
from typing import Any

import msgspec
import pydantic

from bench.data import addresses, outgoing_body
from moxhooks import models
from moxhooks.mox.payload import parse_outgoing

# ---- (a) the webhook payload --------------------------------------------------------------


class OutgoingStruct(msgspec.Struct, rename="pascal", frozen=True):
    """mox's webhook.Outgoing as a msgspec Struct (unknown fields ignored)."""

    event: str
    queue_msg_id: int = msgspec.field(name="QueueMsgID")
    version: int = 0
    dsn: bool = msgspec.field(default=False, name="DSN")
    suppressing: bool = False
    from_id: str = msgspec.field(default="", name="FromID")
    message_id: str = msgspec.field(default="", name="MessageID")
    subject: str = ""
    webhook_queued: str = ""
    smtp_code: int = msgspec.field(default=0, name="SMTPCode")
    smtp_enhanced_code: str = msgspec.field(default="", name="SMTPEnhancedCode")
    error: str = ""
    extra: dict[str, str] | None = None


class OutgoingModel(pydantic.BaseModel):
    """The same as a pydantic model, strict (no "5" for 5)."""

    model_config = pydantic.ConfigDict(strict=True, frozen=True)

    event: str = pydantic.Field(alias="Event")
    queue_msg_id: int = pydantic.Field(alias="QueueMsgID")
    version: int = pydantic.Field(0, alias="Version")
    dsn: bool = pydantic.Field(False, alias="DSN")
    suppressing: bool = pydantic.Field(False, alias="Suppressing")
    from_id: str = pydantic.Field("", alias="FromID")
    message_id: str = pydantic.Field("", alias="MessageID")
    subject: str = pydantic.Field("", alias="Subject")
    webhook_queued: str = pydantic.Field("", alias="WebhookQueued")
    smtp_code: int = pydantic.Field(0, alias="SMTPCode")
    smtp_enhanced_code: str = pydantic.Field("", alias="SMTPEnhancedCode")
    error: str = pydantic.Field("", alias="Error")
    extra: dict[str, str] | None = pydantic.Field(None, alias="Extra")


_OUTGOING_DECODER = msgspec.json.Decoder(OutgoingStruct)
_ANY_DECODER = msgspec.json.Decoder()


def msgspec_payload(body: bytes) -> tuple[OutgoingStruct, dict[str, Any]]:
    """Typed, plus the whole object (moxhooks keeps unknown fields): two decodes."""
    return _OUTGOING_DECODER.decode(body), _ANY_DECODER.decode(body)


def msgspec_payload_convert(body: bytes) -> tuple[OutgoingStruct, dict[str, Any]]:
    """One decode to a dict, then converted (validated) into the Struct."""
    raw = _ANY_DECODER.decode(body)
    return msgspec.convert(raw, OutgoingStruct), raw


def pydantic_payload(body: bytes) -> tuple[OutgoingModel, dict[str, Any]]:
    raw = json.loads(body)
    return OutgoingModel.model_validate(raw), raw


def pydantic_payload_json(body: bytes) -> OutgoingModel:
    """Typed only, straight from the JSON text (pydantic-core's own parser)."""
    return OutgoingModel.model_validate_json(body)


# ---- (b) a page of suppression entries ------------------------------------------------------


class EntryStruct(msgspec.Struct, frozen=True):
    id: int
    account: str
    base_address: str
    original_address: str
    scope: str
    kind: str
    source: str
    reason: str
    created: str
    created_by: str
    expires: str | None
    event_id: int | None
    active: bool
    ended: str | None
    ended_by: str | None
    end_reason: str | None
    mox_state: str


class EntryModel(pydantic.BaseModel):
    id: int
    account: str
    base_address: str
    original_address: str
    scope: str
    kind: str
    source: str
    reason: str
    created: str
    created_by: str
    expires: str | None
    event_id: int | None
    active: bool
    ended: str | None
    ended_by: str | None
    end_reason: str | None
    mox_state: str


class PageStruct(msgspec.Struct):
    entries: list[EntryStruct]
    limit: int
    offset: int
    has_more: bool


class PageModel(pydantic.BaseModel):
    entries: list[EntryModel]
    limit: int
    offset: int
    has_more: bool


def rows(n: int) -> list[sqlite3.Row]:
    """n suppression rows as the store reads them (sqlite3.Row)."""
    db = sqlite3.connect(":memory:")
    db.row_factory = sqlite3.Row
    db.execute(
        "CREATE TABLE s (id INTEGER PRIMARY KEY, account TEXT, base_address TEXT,"
        " original_address TEXT, scope TEXT, kind TEXT, source TEXT, reason TEXT, created TEXT,"
        " created_by TEXT, expires TEXT, event_id INTEGER, ended TEXT, ended_by TEXT,"
        " end_reason TEXT, mox_state TEXT)"
    )
    for i, a in enumerate(addresses(n)):
        db.execute(
            "INSERT INTO s VALUES (NULL, 'mox', ?, ?, '', 'mailbox_unknown', 'webhook',"
            " '550 5.1.1 no such user', '2026-11-22T01:52:56Z', 'webhook 5', ?, ?, NULL, NULL,"
            " NULL, 'synced')",
            (a.lower(), a, "2026-12-22T01:52:56Z" if i % 3 == 0 else None, i or None),
        )
    return db.execute("SELECT * FROM s").fetchall()


def today_page(rs: list[sqlite3.Row]) -> bytes:
    """What list_suppressions did before the models: a dataclass per row, its to_json, and
    json.dumps (web.json_response)."""
    entries = [_to_json(_OldSuppression(**{k: r[k] for k in r.keys()})) for r in rs]
    page = {"entries": entries, "limit": 500, "offset": 0, "has_more": False}
    return json.dumps(page).encode()


@dataclasses.dataclass(frozen=True)
class _OldSuppression:
    """store.Suppression as it was: a frozen dataclass."""

    id: int
    account: str
    base_address: str
    original_address: str
    scope: str
    kind: str
    source: str
    reason: str
    created: str
    created_by: str
    expires: str | None
    event_id: int | None
    ended: str | None
    ended_by: str | None
    end_reason: str | None
    mox_state: str


def _to_json(e: _OldSuppression) -> dict[str, Any]:
    """Its to_json, as it was."""
    return {
        "id": e.id, "account": e.account, "base_address": e.base_address,
        "original_address": e.original_address, "scope": e.scope, "kind": e.kind,
        "source": e.source, "reason": e.reason, "created": e.created,
        "created_by": e.created_by, "expires": e.expires, "event_id": e.event_id,
        "active": e.ended is None, "ended": e.ended, "ended_by": e.ended_by,
        "end_reason": e.end_reason, "mox_state": e.mox_state,
    }  # fmt: skip


_PAGE_ENCODER = msgspec.json.Encoder()


def msgspec_page(rs: list[sqlite3.Row]) -> bytes:
    entries = [EntryStruct(**{k: r[k] for k in r.keys()}, active=r["ended"] is None) for r in rs]
    return _PAGE_ENCODER.encode(PageStruct(entries, 500, 0, False))


def shipped_page(rs: list[sqlite3.Row]) -> bytes:
    """What list_suppressions does since: the store's rows are models.Suppression."""
    entries = [models.Suppression.from_row(r) for r in rs]
    page = models.SuppressionPage(
        entries=entries, limit=500, offset=0, has_more=False, next_before=None
    )
    return models.encode(page)


def pydantic_page(rs: list[sqlite3.Row]) -> bytes:
    entries = [EntryModel(**{k: r[k] for k in r.keys()}, active=r["ended"] is None) for r in rs]
    return PageModel(entries=entries, limit=500, offset=0, has_more=False).model_dump_json().encode()


# ---- Timing --------------------------------------------------------------------------------


def best_us(fn: Callable[[], Any], rounds: int) -> float:
    """Microseconds per call, best of 5 runs of rounds calls."""
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(rounds):
            fn()
        best = min(best, (time.perf_counter() - start) / rounds)
    return best * 1e6


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    bodies = [outgoing_body(i) for i in range(1, 11)]  # one failure, nine deliveries
    for b in bodies:
        want = parse_outgoing(b)
        for got, _ in (msgspec_payload(b), msgspec_payload_convert(b), pydantic_payload(b)):
            assert (got.event, got.queue_msg_id, got.smtp_code, got.error) == (
                want.event, want.queue_msg_id, want.smtp_code, want.error,
            )  # fmt: skip

    def each(fn: Callable[[bytes], Any]) -> Callable[[], None]:
        def run() -> None:
            for b in bodies:
                fn(b)

        return run

    print(f"(a) webhook body ({len(bodies[0])} bytes) decoded and validated, us per body:")
    for name, fn in (
        ("today: payload.parse_outgoing (strict json)", parse_outgoing),
        ("msgspec: Struct decode + dict decode", msgspec_payload),
        ("msgspec: dict decode + convert", msgspec_payload_convert),
        ("pydantic: json.loads + model_validate", pydantic_payload),
        ("pydantic: model_validate_json (no raw)", pydantic_payload_json),
    ):
        print(f"  {name:48} {best_us(each(fn), rounds // 10) / len(bodies):8.2f}")

    rs = rows(500)
    want_page = json.loads(today_page(rs))
    assert json.loads(msgspec_page(rs)) == want_page
    assert json.loads(pydantic_page(rs)) == want_page
    # The shipped page has gained next_before (keyset paging) since the others were written.
    assert json.loads(shipped_page(rs)) == {**want_page, "next_before": None}
    print(f"(b) page of 500 entries ({len(today_page(rs)) // 1024} KiB JSON), us per page:")
    for name, page_fn in (
        ("before: dataclass + to_json + json.dumps", today_page),
        ("msgspec: Struct + Encoder.encode", msgspec_page),
        ("pydantic: model + model_dump_json", pydantic_page),
        ("moxhooks now: models.Suppression + encode", shipped_page),
    ):
        print(f"  {name:48} {best_us(functools.partial(page_fn, rs), max(1, rounds // 100)):8.0f}")


if __name__ == "__main__":
    main()
