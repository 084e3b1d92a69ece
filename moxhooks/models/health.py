"""GET /healthz's answer."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import UNSET, UnsetType

from moxhooks.models.base import Model, doc


class DatabaseCheck(Model, omit_defaults=True):
    """Whether the database answers."""

    ok: bool
    schema_version: Annotated[int | UnsetType, doc("when ok: the applied migration")] = UNSET
    error: Annotated[str | UnsetType, doc("when not ok: why")] = UNSET


class MoxCheck(Model):
    """Whether mox answers HTTP, and took the worker's last call."""

    ok: bool
    url: Annotated[str, doc("mox.url from the configuration")]
    error: Annotated[str, doc("why not ok; empty when ok")]


class WorkerCheck(Model):
    """The worker process: events, sync with mox, holds, the bounce mailbox."""

    ok: Annotated[bool, doc("alive")]
    pid: Annotated[int | None, doc("its process id; null when not running")]
    restarts: Annotated[int, doc("times it was restarted after exiting")]


class OutboxCheck(Model):
    """Changes waiting to be pushed to mox."""

    backlog: int
    by_account: dict[str, int]


class EventsCheck(Model):
    """Webhook events not processed to the end."""

    pending: Annotated[int, doc("not yet processed")]
    unresolved: Annotated[int, doc("whose recipient is not known yet; retried")]
    abandoned: Annotated[int, doc("given up on after their retries")]


class HealthChecks(Model, omit_defaults=True):
    """Each check; outbox and events only when the database answers, worker only when one
    runs beside the web process."""

    database: DatabaseCheck
    mox: Annotated[MoxCheck, doc("the first mox server")]
    mox_servers: Annotated[
        dict[str, MoxCheck] | UnsetType,
        doc("every mox server by name, the first included; only when several are configured"),
    ] = UNSET
    worker: WorkerCheck | UnsetType = UNSET
    outbox: OutboxCheck | UnsetType = UNSET
    events: EventsCheck | UnsetType = UNSET


class Health(Model):
    """The service's health: ok (200) or unhealthy (503), and each check."""

    status: Literal["ok", "unhealthy"]
    checks: HealthChecks
