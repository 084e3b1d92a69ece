"""The server side of the ingest benchmark, run as its own process.

    python bench/server_proc.py moxhooks --db X [--db-url postgresql://...] --mox-url URL
        [--no-workers]
    python bench/server_proc.py bare

Listens on 127.0.0.1 (a free port), prints "READY <port>" and serves until SIGTERM.
moxhooks runs exactly as `moxhooks serve` wires it (create_app, logging at info,
aiohttp's access log), with its event processor and sync worker unless --no-workers.
The ceiling ("bare") is an aiohttp handler that reads the body and answers 200 {}.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

from aiohttp import web
from aiohttp.web_log import AccessLogger

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from moxhooks.config import config_from_dict

SECRET = "bench-secret"
# The log format of `moxhooks serve` (moxhooks/cli/serve.py).
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


# POSTs the bare handler has answered, for GET /count (bench/drain.py counts with it).
BARE_ANSWERED = web.AppKey("bare_answered", list[int])


async def bare_handler(request: web.Request) -> web.Response:
    """The ceiling: read the body, answer 200."""
    await request.read()
    request.app[BARE_ANSWERED][0] += 1
    return web.json_response({})


async def bare_count(request: web.Request) -> web.Response:
    """How many POSTs the bare handler has answered: {"count": n}."""
    return web.json_response({"count": request.app[BARE_ANSWERED][0]})


def build_app(args: argparse.Namespace) -> web.Application:
    if args.mode == "bare":
        app = web.Application(client_max_size=1024 * 1024)
        app[BARE_ANSWERED] = [0]
        app.router.add_post("/hooks/outgoing/{account}", bare_handler)
        app.router.add_get("/count", bare_count)
        return app
    from moxhooks.runtime.supervisor import WorkerProcess
    from moxhooks.web.app import create_app, freeze_after_startup

    config = config_from_dict(
        {
            # With --db-url the store is PostgreSQL and --db only names this node's
            # intake directory; without it, --db is the SQLite file.
            "database": {"path": args.db, "url": args.db_url, "synchronous": args.synchronous},
            # Recipients come from the events' Extra; the admin API is not asked.
            "mox": {"url": args.mox_url, "admin_password": "", "timeout": 5.0},
            "dns": {"nameservers": ["127.0.0.1"], "port": 9, "timeout": 0.2},
            "accounts": [
                {
                    "name": "mox",
                    "login": "mox@localhost",
                    "password": "moxmoxmox",
                    "webhook_secret": SECRET,
                }
            ],
        }
    )
    # As `moxhooks serve` runs it: the event processor in a process of its own, and the
    # objects alive at startup out of the garbage collector's way.
    app = create_app(config, worker=WorkerProcess if args.workers else None)
    freeze_after_startup(app)
    return app


async def serve(args: argparse.Namespace) -> None:
    if args.mode == "moxhooks":  # --no-access-log applies to the bare server only
        # Exactly `moxhooks serve`'s server: its own accept loop and connection limits.
        from moxhooks.web.limits import Limits, effective_max, serve_app

        limits = Limits(max_connections=effective_max(4096), max_per_peer=256,
                        header_timeout=10.0, keepalive_timeout=75.0)
        await serve_app(build_app(args), "127.0.0.1", 0, limits,
                        on_ready=lambda port: print(f"READY {port}", flush=True))
        return
    # The bare handler: aiohttp's own server, access log as web.run_app has it.
    access_log = None if args.no_access_log else logging.getLogger("aiohttp.access")
    runner = web.AppRunner(build_app(args), access_log=access_log, access_log_class=AccessLogger)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    port = runner.addresses[0][1]
    print(f"READY {port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    await stop.wait()
    await runner.cleanup()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=("moxhooks", "bare"))
    p.add_argument("--db", default="")
    p.add_argument("--db-url", default="", help="postgresql:// URL: the store on PostgreSQL")
    p.add_argument("--mox-url", default="http://127.0.0.1:9")
    p.add_argument("--synchronous", default="normal", choices=("normal", "full"))
    p.add_argument("--no-workers", dest="workers", action="store_false")
    p.add_argument("--no-access-log", action="store_true")
    p.add_argument("--log", default="", help="log file (default: discard)")
    p.add_argument("--profile", default="", help="write a cProfile of the run to this file")
    p.add_argument(
        "--switch-interval", type=float, default=0.0, help="sys.setswitchinterval (s), to try"
    )
    args = p.parse_args()
    if args.switch_interval:
        sys.setswitchinterval(args.switch_interval)
    # Like `moxhooks serve`: logging at info, access log on; the lines go to a file.
    handler: logging.Handler = logging.FileHandler(args.log) if args.log else logging.NullHandler()
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT, handlers=[handler])
    if args.profile:
        import cProfile

        cProfile.runctx("asyncio.run(serve(args))", globals(), {"args": args}, args.profile)
    else:
        asyncio.run(serve(args))


if __name__ == "__main__":
    main()
