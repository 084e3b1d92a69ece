"""The commands about unsubscribe links: unsubscribe rotate-key, unsubscribe keys."""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import Any

from moxhooks.cli.output import print_json, table
from moxhooks.config import Config
from moxhooks.runtime.resources import open_store
from moxhooks.store import parse_iso


async def rotate_key(config: Config, args: argparse.Namespace) -> int:
    """unsubscribe rotate-key: a new current signing key; the old one verifies for a while."""
    days = config.unsubscribe.old_key_days
    async with open_store(config) as store:
        before = await store.unsubscribe.keys()
        key = await store.unsubscribe.rotate_key("cli")
    print(f"key {key.id} now signs new unsubscribe links")
    old = [k for k in before if k.retired is None]
    if old:
        until = parse_iso(key.created) + timedelta(days=days)
        print(
            f"links signed with key {old[0].id} still work until {until:%Y-%m-%d %H:%M} UTC"
            f" (unsubscribe.old_key_days = {days})"
        )
    return 0


async def keys(config: Config, args: argparse.Namespace) -> int:
    """unsubscribe keys: the signing keys, newest first, and until when each verifies."""
    days = config.unsubscribe.old_key_days
    async with open_store(config) as store:
        found = await store.unsubscribe.keys()
        now = store.clock()
    rows: list[dict[str, Any]] = []
    for k in found:
        until = None if k.retired is None else parse_iso(k.retired) + timedelta(days=days)
        state = "current" if until is None else "verifies" if now < until else "expired"
        rows.append(
            {
                "id": k.id,
                "created": k.created,
                "retired": k.retired,
                "verifies_until": until.strftime("%Y-%m-%dT%H:%M:%SZ") if until else None,
                "state": state,
            }
        )
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("no keys yet: the first unsubscribe link makes one")
        return 0
    headers = ["id", "state", "created", "retired", "verifies until"]
    print(
        table(
            headers,
            [
                [
                    str(r["id"]),
                    r["state"],
                    r["created"],
                    r["retired"] or "",
                    r["verifies_until"] or "",
                ]
                for r in rows
            ],
        )
    )
    return 0
