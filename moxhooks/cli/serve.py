"""The commands that talk to mox as a whole: serve, setup, sync."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys

from moxhooks import __version__
from moxhooks.cli.common import mox_unreachable, webhook_url
from moxhooks.cli.output import progress
from moxhooks.config import AccountConfig, Config, without_password
from moxhooks.jobs.sync import SyncWorker
from moxhooks.mox.client import AccountAPI, MoxAuthError, MoxClient, MoxError
from moxhooks.runtime.resources import open_mox, open_moxes, open_store, webhook_secrets
from moxhooks.web.app import create_app, freeze_after_startup
from moxhooks.web.limits import Limits, effective_max, serve_app

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"

# mox's webhook does not name the recipient; a failed message is only findable in mox
# afterwards (RetiredList) when the account keeps retired messages, which is off by default.
KEEP_RETIRED_DAYS = 7
_NS_PER_DAY = 86400 * 10**9


def serve(config: Config, args: argparse.Namespace) -> int:
    """serve: run the web server and the workers until interrupted."""
    logging.basicConfig(level=config.log_level.upper(), format=LOG_FORMAT)
    host, port = config.server.host, config.server.port
    print(f"moxhooks {__version__} listening on http://{host}:{port}")
    print(f"account page (sign in with a mox account's email address): http://{host}:{port}/")
    print(f"admin page (sign in with the mox admin password): http://{host}:{port}/admin")
    for a in config.accounts:
        for m in config.account_moxes(a):
            on = f" on mox {m}" if len(config.mox) > 1 else ""
            print(f"webhook URL for account {a.name}{on}: {webhook_url(config, a.name, mox=m)}")
    db = config.database
    # The PostgreSQL server when database.url names one (the SQLite file is not used then).
    print(f"database: {without_password(db.url) if db.url else os.path.abspath(db.path)}")
    for line in asyncio.run(mox_reachability(config)):
        print(line)
    sys.stdout.flush()
    try:
        app = create_app(config)
        freeze_after_startup(app)
        s = config.server
        limits = Limits(
            max_connections=effective_max(s.max_connections),
            max_per_peer=s.max_connections_per_peer,
            header_timeout=s.header_timeout,
            keepalive_timeout=s.keepalive_timeout,
        )
        asyncio.run(serve_app(app, host, port, limits))
    except KeyboardInterrupt:
        pass
    except OSError as e:  # Most often: the port is taken.
        print(f"moxhooks: cannot listen on {host}:{port}: {e}", file=sys.stderr)
        return 1
    print("moxhooks stopped")
    return 0


async def mox_reachability(config: Config) -> list[str]:
    """One line per mox server: reachable, or why not. The servers are asked at once, so
    several that are down delay the start by one timeout, not one each."""
    errors = await asyncio.gather(*(mox_unreachable(config, m) for m in config.mox))
    several = len(config.mox) > 1
    lines = []
    for server, err in zip(config.mox, errors, strict=True):
        # With one server the line reads as it did before there were several.
        mox = f"mox {server.name}" if several else "mox"
        if err is None:
            lines.append(f"{mox} at {server.url} is reachable")
        else:
            lines.append(
                f"{mox} at {server.url} is not reachable ({err}); moxhooks runs anyway"
                f" and catches up when {'it' if several else 'mox'} appears"
            )
    return lines


async def setup(config: Config, args: argparse.Namespace) -> int:
    """setup: register the webhook of every configured account in each mox server it is on."""
    failed = 0
    async with open_store(config) as store:
        secrets = await webhook_secrets(config, store)
    for server in config.mox:
        accounts = [a for a in config.accounts if server.name in config.account_moxes(a)]
        if not accounts:
            continue
        async with open_mox(config, server=server) as mox:
            for a in accounts:
                secret = secrets[server.name, a.name]
                failed += not await _setup_account(config, mox, server.name, a, secret)
    return 1 if failed else 0


async def _setup_account(
    config: Config, mox: MoxClient, server: str, a: AccountConfig, secret: str
) -> bool:
    """Register the account's webhooks in the mox server named server; False if it failed."""
    # With several servers, every line says which one it is about.
    name = f"{a.name} on mox {server}" if len(config.mox) > 1 else a.name
    url = webhook_url(config, a.name, mox=server)
    incoming = webhook_url(config, a.name, "incoming", mox=server)
    api = mox.account_api(a.login, a.password)
    try:
        await api.outgoing_webhook_save(url, "Bearer " + secret, [])
        kept = await _keep_retired_messages(api)
        if a.inbound_addresses:
            await api.incoming_webhook_save(incoming, "Bearer " + secret)
    except MoxAuthError as e:
        print(f"account {name}: mox refused the login {a.login}: {e.message}")
        return False
    except MoxError as e:
        print(f"account {name}: failed: {e}")
        return False
    finally:
        with contextlib.suppress(MoxError):
            await api.logout()
    print(
        f"account {name}: mox now posts all outgoing delivery events to {url}"
        " with Authorization: Bearer <the account's webhook secret>"
    )
    if a.inbound_addresses:
        print(
            f"account {name}: mox now posts the mail it receives to {incoming};"
            f" moxhooks reads what comes to {', '.join(a.inbound_addresses)} as bounces"
            " and complaints"
        )
    if kept:
        print(
            f"account {name}: mox now keeps retired messages for {KEEP_RETIRED_DAYS}"
            " days, so moxhooks can find the recipient of a failed delivery"
        )
    return True


async def _keep_retired_messages(api: AccountAPI) -> bool:
    """Turn on keeping retired messages when it is off; True when it was changed."""
    conf = await api.account()
    if int(conf.get("KeepRetiredMessagePeriod") or 0) > 0:
        return False
    webhook = int(conf.get("KeepRetiredWebhookPeriod") or 0)
    await api.keep_retired_periods_save(KEEP_RETIRED_DAYS * _NS_PER_DAY, webhook)
    return True


async def sync(config: Config, args: argparse.Namespace) -> int:
    """sync: push pending changes, reconcile every account with mox, expire entries."""
    async with open_store(config) as store, open_moxes(config) as clients:
        worker = SyncWorker(config, store, clients[config.default_mox.name], clients)
        if not await worker.hold_all():
            # A node of `moxhooks serve` on the same PostgreSQL syncs: two pushers would
            # break the order of an account's changes.
            print("a running moxhooks node syncs with mox now; nothing done here")
            return 0
        bar = progress(len(config.accounts) + 2, "sync", "step")
        try:
            pushed = await worker.push_due()
            further = await worker.push_further()
            bar.update(1)
            # One account at a time (what reconcile_all does), so the bar moves.
            reports = []
            for a in config.accounts:
                reports.append(await worker.reconcile(a))
                for name in config.account_moxes(a)[1:]:
                    reports.append(await worker.reconcile_further(a, name))
                bar.update(1)
            expired = await store.suppressions.expire_due()
            if expired:
                pushed += await worker.push_due()
            further += await worker.push_further()
            bar.update(1)
        finally:
            bar.close()
        backlog = await store.outbox.backlog_by_account()
    failed = 0
    for r in reports:
        waiting = backlog.get(r.account, 0)
        if r.mox:
            failed += bool(r.errors)
            print(
                f"account {r.account} on mox {r.mox}: mox lists {r.in_mox}; added there"
                f" {r.added_there}, adopted {r.adopted}"
                + (f"; {'; '.join(r.errors)}" if r.errors else "")
            )
        elif r.errors:
            failed += 1
            print(f"account {r.account}: {'; '.join(r.errors)}; {waiting} changes wait for mox")
        else:
            print(
                f"account {r.account}: mox lists {r.in_mox}; adopted {r.adopted},"
                f" ended {r.ended} removed in mox; {waiting} changes wait for mox"
            )
    print(f"pushed {pushed} changes to mox; {expired} entries expired")
    if further:
        print(f"pushed {further} changes to the further mox servers of shared accounts")
    return 1 if failed else 0
