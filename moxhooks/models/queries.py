"""Query parameters, read by web.bodies.read_query; the OpenAPI parameters come from these."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta

from moxhooks.models.base import Model, doc

# Read by web.bodies.read_query: a missing or empty parameter takes the default; a whole
# number must lie within the field's bounds; the OpenAPI parameters are generated from these.

MAX_LIMIT = 500  # the most rows one page of a listing has
MAX_ID = 2**63 - 1  # SQLite's largest row id
MailboxStatus = Literal["pending", "done", "unparsed", "failed"]


Page50 = Annotated[int, Meta(ge=1, le=MAX_LIMIT, description="rows per page, default 50")]
Page100 = Annotated[int, Meta(ge=1, le=MAX_LIMIT, description="rows per page, default 100")]

_BEFORE = Annotated[int, Meta(ge=0, le=MAX_ID, description="only rows with a smaller id (paging)")]


class SuppressionQuery(Model):
    """GET suppressions."""

    search: Annotated[str, doc("substring of the original or base address")] = ""
    kind: Annotated[str, doc("failure kind")] = ""
    source: Annotated[str, doc("entry source")] = ""
    scope: Annotated[str, doc("a topic; '-' for account-wide entries only; empty for all")] = ""
    active: Annotated[Literal["true", "false", "all"], doc("ended entries too: false, all")] = (
        "true"
    )
    expiring: Annotated[bool, doc("true: only entries with an expiry")] = False
    limit: Page50 = 50
    offset: Annotated[
        int, Meta(ge=0, le=10**9, description="rows to skip; not together with before")
    ] = 0
    before: Annotated[
        int,
        Meta(
            ge=0,
            le=MAX_ID,
            description="only entries with a smaller id: a page's next_before; not with offset",
        ),
    ] = 0


class BlocksQuery(Model):
    """GET blocks."""

    address: Annotated[str, doc("the address (required)")] = ""


class EventQuery(Model):
    """GET events."""

    event: Annotated[str, doc("delivered, failed, delayed, ...")] = ""
    kind: Annotated[str, doc("failure kind")] = ""
    status: Annotated[str, doc("pending, unresolved, done, abandoned")] = ""
    address: Annotated[str, doc("events of this address's base address")] = ""
    limit: Page100 = 100
    before: _BEFORE = 0


class StatsQuery(Model):
    """GET stats."""

    days: Annotated[int, Meta(ge=1, le=366, description="days back from today, default 30")] = 30


class MailboxQuery(Model):
    """GET inbound."""

    status: Annotated[
        Literal["", MailboxStatus], doc("pending, done, unparsed or failed; empty for all")
    ] = ""
    limit: Page50 = 50
    before: _BEFORE = 0


class HoldRulesQuery(Model):
    """GET, POST admin/holdrules and its rule's DELETE and release: which mox server."""

    mox: Annotated[str, doc("the mox server ([[mox]] name); empty: the first")] = ""


class AuditQuery(Model):
    """GET admin/audit."""

    account: Annotated[str, doc("only this account")] = ""
    limit: Page100 = 100
    before: _BEFORE = 0
