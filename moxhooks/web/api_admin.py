"""The admin's part of the JSON API, /api/v1/admin/...: accounts, hold rules, audit log.

Only the admin session may call these (403 user:forbidden otherwise). Hold rules live
in mox, each in one server (?mox=, the first when not given; 404 notFound for one not
configured): an unreachable mox answers 503 moxUnavailable, a request mox refuses (a bad
domain) 422 moxRefused and a failure on mox's side 502 moxError, both with mox's message.
"""

from __future__ import annotations

import contextlib
import typing
from collections.abc import Iterator
from typing import Any

import msgspec
from aiohttp import web

from moxhooks import models
from moxhooks.config import Config
from moxhooks.errors import ApiError, ErrorCode
from moxhooks.jobs.holds import release_held, rule_fields, rule_removed
from moxhooks.jobs.mailbox.imap import ImapState
from moxhooks.mox.client import AdminAPI, MoxError
from moxhooks.web import auth
from moxhooks.web.api_stats import account_stats
from moxhooks.web.bodies import answer, read_body, read_query
from moxhooks.web.errors import mox_api_error
from moxhooks.web.health import COUNTS_KEY, mox_checks
from moxhooks.web.keys import CONFIG_KEY, RUNTIME_KEY


@contextlib.contextmanager
def mox_errors() -> Iterator[None]:
    """Translate the mox client's errors into API errors."""
    try:
        yield
    except MoxError as e:
        raise mox_api_error(e) from None


def _admin_api(request: web.Request) -> tuple[str, AdminAPI]:
    """The key (Config.mox_key) and admin API of the mox server the request names."""
    rt = request.app[RUNTIME_KEY]
    name = read_query(request, models.HoldRulesQuery).mox or rt.config.default_mox.name
    if rt.config.mox_named(name) is None:
        raise ApiError(ErrorCode.NOT_FOUND, f"no mox server {name!r} is configured")
    admin = rt.admins.get(name, rt.admin if name == rt.config.default_mox.name else None)
    if admin is None:
        raise ApiError(
            ErrorCode.ADMIN_DISABLED, "hold rules need the mox admin password (mox.admin_password)"
        )
    return rt.config.mox_key(name), admin


def _of(key: str) -> str:
    """Which server a rule is in, for the audit log: nothing for the first (key "")."""
    return f" of mox {key}" if key else ""


def _shown(config: Config, hold: models.AutoHold) -> models.AutoHold:
    """An automatic hold as the API shows it: its mox server by name (the store keeps the
    server's key)."""
    return msgspec.structs.replace(hold, mox=config.mox_name(hold.mox))


# The statuses of kept report messages, each counted (0 too) per account.
_INBOUND_STATUSES: tuple[str, ...] = typing.get_args(models.MailboxStatus)


async def accounts(request: web.Request) -> web.StreamResponse:
    """GET accounts: each configured account at a glance, its bounce mailbox, every IMAP
    mailbox read, and whether mox answers."""
    await auth.require_admin(request)
    rt = request.app[RUNTIME_KEY]
    by_kind: dict[str, dict[str, int]] = {}
    for account, kind, n in await request.app[COUNTS_KEY].get(rt):
        by_kind.setdefault(account, {})[kind] = n
    backlog = await rt.store.outbox.backlog_by_account()
    unprocessed = await rt.store.events.unfinished_by_account()
    sync = await rt.store.outbox.sync_states()
    holds = await rt.store.holds.list(active_only=True)
    inbound: dict[str, dict[str, int]] = {}
    for (account, status), n in (await rt.store.inbound.counts()).items():
        inbound.setdefault(account, dict.fromkeys(_INBOUND_STATUSES, 0))[status] = n
    out = []
    for acct in rt.config.accounts:
        st = await account_stats(rt.store.stats, acct.name, 30, request.app[CONFIG_KEY].web)
        totals = st["totals"]
        s = sync.get(acct.name)
        out.append(
            models.AccountSummary(
                name=acct.name,
                login=acct.login,
                suppressions=sum(by_kind.get(acct.name, {}).values()),
                suppressions_by_kind=by_kind.get(acct.name, {}),
                sent_30d=totals["sent"],
                bounce_rate=totals["bounce_rate"],
                complaint_rate=totals["complaint_rate"],
                unresolved_events=unprocessed.get((acct.name, "pending"), 0)
                + unprocessed.get((acct.name, "unresolved"), 0),
                abandoned_events=unprocessed.get((acct.name, "abandoned"), 0),
                outbox_backlog=backlog.get(acct.name, 0),
                last_reconcile=s.last_reconcile if s else None,
                sync_error=s.last_error if s else "",
                auto_holds=sum(1 for h in holds if h.account == acct.name),
                inbound_addresses=list(acct.inbound_addresses),
                inbound=inbound.get(acct.name, dict.fromkeys(_INBOUND_STATUSES, 0)),
            )
        )
    imap = []
    for i, cfg in enumerate(rt.config.imap):
        state = rt.worker_state.imap.get(i) or ImapState()
        imap.append(
            models.ImapMailbox(
                account=cfg.account,
                host=cfg.host,
                port=cfg.port,
                mailbox=cfg.mailbox,
                interval=cfg.interval,
                last_pass=state.last_pass or None,
                last_error=state.last_error,
                kept=state.kept,
            )
        )
    checks = await mox_checks(request.app)
    first = checks[rt.config.default_mox.name]
    return answer(
        models.Overview(
            accounts=out, imap=imap,
            # The first server's, as before there were several.
            mox_reachable=first.ok, mox_error=first.error,
            mox_servers=[models.MoxServer(n, c.url, c.ok, c.error) for n, c in checks.items()],
        )
    )  # fmt: skip


def _rule(rule: dict[str, Any], auto: models.AutoHold | None) -> models.HoldRule:
    """One of mox's hold rules (as its admin API gives it) with its automatic hold."""
    return models.HoldRule(
        id=int(rule.get("ID") or 0),
        account=str(rule.get("Account") or ""),
        sender_domain=str(rule.get("SenderDomainStr") or ""),
        recipient_domain=str(rule.get("RecipientDomainStr") or ""),
        auto=auto,
    )


async def hold_rules(request: web.Request) -> web.StreamResponse:
    """GET holdrules: one mox server's hold rules, each with moxhooks' automatic-hold
    record if any, and the recent automatic holds of every server."""
    await auth.require_admin(request)
    key, admin = _admin_api(request)
    rt = request.app[RUNTIME_KEY]
    holds = rt.store.holds
    with mox_errors():
        rules = await admin.hold_rule_list()
    recent = await holds.list(limit=50)
    # Rule ids are each server's own: only this server's holds go with its rules.
    active = {h.rule_id: h for h in await holds.list(active_only=True) if h.mox == key}
    return answer(
        models.HoldRules(
            rules=[
                _rule(r, _shown(rt.config, h) if (h := active.get(int(r.get("ID") or 0))) else None)
                for r in rules
            ],
            auto_holds=[_shown(rt.config, h) for h in recent],
        )
    )


async def hold_rule_add(request: web.Request) -> web.StreamResponse:
    """POST holdrules {"account","sender_domain","recipient_domain"}: all empty holds all."""
    p = await auth.require_admin(request)
    key, admin = _admin_api(request)
    body = await read_body(request, models.NewHoldRule)
    account = body.account.strip()
    sender = body.sender_domain.strip()
    recipient = body.recipient_domain.strip()
    if rule_fields(account, sender, recipient) > 1:
        # mox holds a message when any one field matches: "account A and domain D" would
        # hold all of A's mail and all mail to D. Refused rather than added by surprise.
        raise ApiError(
            ErrorCode.BAD_REQUEST,
            "mox holds a message when any one field of a rule matches, so a rule with"
            " several fields holds more than it says: add one rule for each field",
        )
    with mox_errors():
        rule = await admin.hold_rule_add(account, sender, recipient)
    out = _rule(rule, None)
    await request.app[RUNTIME_KEY].store.suppressions.audit(
        account,
        "hold_rule_added",
        p.actor,
        f"hold rule {out.id}{_of(key)}: account {account or '*'},"
        f" sender domain {out.sender_domain or '*'},"
        f" recipient domain {out.recipient_domain or '*'}",
    )
    return answer(out, status=201)


async def _find_rule(admin: AdminAPI, rule_id: int) -> dict[str, Any]:
    with mox_errors():
        rules = await admin.hold_rule_list()
    for r in rules:
        if int(r.get("ID") or 0) == rule_id:
            return r
    raise ApiError(ErrorCode.NOT_FOUND, f"no hold rule {rule_id}")


async def hold_rule_remove(request: web.Request) -> web.StreamResponse:
    """DELETE holdrules/{id}: remove a rule; messages it held stay held until released."""
    p = await auth.require_admin(request)
    key, admin = _admin_api(request)
    rule_id = auth.path_id(request)
    rule = await _find_rule(admin, rule_id)
    with mox_errors():
        await admin.hold_rule_remove(rule_id)
    await rule_removed(request.app[RUNTIME_KEY].store.holds, key, rule_id, p.actor)
    await request.app[RUNTIME_KEY].store.suppressions.audit(
        str(rule.get("Account") or ""), "hold_rule_removed", p.actor,
        f"hold rule {rule_id}{_of(key)}",
    )  # fmt: skip
    return answer(models.Empty())


async def hold_rule_release(request: web.Request) -> web.StreamResponse:
    """POST holdrules/{id}/release: release the queued messages on hold that the rule matches."""
    p = await auth.require_admin(request)
    key, admin = _admin_api(request)
    rule_id = auth.path_id(request)
    rule = await _find_rule(admin, rule_id)
    with mox_errors():
        released = await release_held(admin, rule)
    await request.app[RUNTIME_KEY].store.suppressions.audit(
        str(rule.get("Account") or ""),
        "hold_released",
        p.actor,
        f"released {released} messages held by rule {rule_id}{_of(key)}",
    )
    return answer(models.Released(released=released))


async def audit(request: web.Request) -> web.StreamResponse:
    """GET audit?account=&limit=&before=: the audit log, newest first."""
    await auth.require_admin(request)
    rt = request.app[RUNTIME_KEY]
    q = read_query(request, models.AuditQuery)
    entries = await rt.store.suppressions.audit_log(q.account or None, q.limit, q.before or None)
    return answer(models.AuditLog(entries=msgspec.convert(entries, list[models.AuditEntry])))
