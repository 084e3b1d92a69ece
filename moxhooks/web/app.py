"""create_app(config) -> web.Application: the whole HTTP service."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator

from aiohttp import web
from aiohttp.web_middlewares import normalize_path_middleware

from moxhooks.config import Config
from moxhooks.mox.client import MoxClient
from moxhooks.runtime.supervisor import StartWorker, WorkerProcess
from moxhooks.runtime.web import open_web_runtime
from moxhooks.store import Clock, utcnow
from moxhooks.web import api, health, routes
from moxhooks.web.errors import error_middleware, quiet_client_http_errors
from moxhooks.web.keys import CONFIG_KEY, RUNTIME_KEY
from moxhooks.web.limits import guard_middleware
from moxhooks.web.pages import setup_pages
from moxhooks.web.unsubscribe import setup_unsubscribe


def create_app(
    config: Config,
    *,
    mox: MoxClient | None = None,
    clock: Clock = utcnow,
    worker: StartWorker | None = WorkerProcess,
) -> web.Application:
    """The moxhooks web application; everything it needs is passed in.

    mox, clock: the web process's own (the worker makes its own).
    worker: how the worker starts beside it: a process of its own (WorkerProcess, as
    under `moxhooks serve`), a task of this event loop (supervisor.in_process(), for
    tests that move the clock), or None for no worker.
    """
    quiet_client_http_errors()
    app = web.Application(
        # "/admin/" and the other trailing-slash variants redirect to the route without it.
        middlewares=[
            guard_middleware, error_middleware,
            normalize_path_middleware(append_slash=False, remove_slash=True),
        ],
        client_max_size=config.server.max_body,
    )
    app[CONFIG_KEY] = config
    app[health.PROBE_KEY] = health.MoxProbe()
    app[health.COUNTS_KEY] = health.SuppressionCounts()

    async def runtime_ctx(app: web.Application) -> AsyncIterator[None]:
        async with open_web_runtime(config, mox=mox, clock=clock, worker=worker) as rt:
            app[RUNTIME_KEY] = rt
            yield

    app.cleanup_ctx.append(runtime_ctx)
    api.setup_api(app)
    # Every route but the pages comes from the route table that the OpenAPI document is
    # generated from: a route cannot exist without its description.
    routes.add_routes(app)
    setup_pages(app)
    setup_unsubscribe(app)
    return app


def freeze_after_startup(app: web.Application) -> None:
    """Once the app has started, move every object alive then (the modules, mox's
    Unicode tables, the configuration) out of the garbage collector's sight: a full
    collection walked them all, 16 ms every few thousand requests, the worst of the
    webhooks' tail latency. For a long-running server (`moxhooks serve`), not for tests
    that create many apps in one process."""

    async def freeze(app: web.Application) -> None:
        gc.freeze()

    app.on_startup.append(freeze)
