"""Sync with mox at scale: push N new entries, reconcile against M entries in mox.

    python bench/sync_bench.py push --db X --n 10000
    python bench/sync_bench.py reconcile --db X --n 100000

The fake mox runs in a process of its own (bench/fakemox_proc.py); the requests are
counted there. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from data import addresses
from procstat import peak_rss_mb

from moxhooks.config import config_from_dict
from moxhooks.jobs.sync import SyncWorker
from moxhooks.mail.address import base_address, parse_address
from moxhooks.mox.client import MoxClient
from moxhooks.store import NewEntry, Store


class FakeMoxProcess:
    """bench/fakemox_proc.py as a child process."""

    def __init__(self, preload: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve().parent / "fakemox_proc.py"),
             "--preload", str(preload)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith("READY "):
            raise RuntimeError(f"fake mox did not start: {line!r}")
        self.url = f"http://127.0.0.1:{int(line.split()[1])}"

    def ask(self, command: str) -> Any:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self) -> None:
        try:
            self.ask("quit")
        except (BrokenPipeError, ValueError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


def _config(db: str, mox_url: str) -> Any:
    return config_from_dict(
        {
            "database": {"path": db},
            "mox": {"url": mox_url, "admin_password": "", "timeout": 10.0},
            "accounts": [{"name": "mox", "login": "mox@localhost", "password": "moxmoxmox"}],
        }
    )


async def push(db: str, n: int) -> dict[str, Any]:
    fake = FakeMoxProcess(0)
    try:
        config = _config(db, fake.url)
        store = await Store.open(db)
        client = MoxClient(fake.url, timeout=10.0)
        try:
            entries = []
            for a in addresses(n, seed=5):
                addr = parse_address(a)
                entries.append(
                    NewEntry("mox", str(addr), base_address(addr), "mailbox_unknown",
                             "webhook", "550 5.1.1", "bench")
                )  # fmt: skip
            await store.suppressions.add_many(entries)
            backlog = await store.outbox.backlog()
            sync = SyncWorker(config, store, client)
            t0 = time.perf_counter()
            pushed = await sync.push_due()
            elapsed = time.perf_counter() - t0
            left = await store.outbox.backlog()
        finally:
            await client.close()
            await store.close()
        calls = fake.ask("calls")
        in_mox = fake.ask("count")
    finally:
        fake.close()
    return {
        "n": n,
        "backlog_before": backlog,
        "pushed": pushed,
        "backlog_after": left,
        "in_mox": in_mox,
        "push_s": elapsed,
        "per_s": pushed / elapsed if elapsed else 0.0,
        "requests": sum(calls.values()),
        "calls": calls,
        "peak_rss_mb": peak_rss_mb(),
    }


async def reconcile(db: str, n: int) -> dict[str, Any]:
    t_fake = time.perf_counter()
    fake = FakeMoxProcess(n)
    t_fake = time.perf_counter() - t_fake
    try:
        config = _config(db, fake.url)
        store = await Store.open(db)
        client = MoxClient(fake.url, timeout=120.0)
        try:
            sync = SyncWorker(config, store, client)
            t0 = time.perf_counter()
            first = await sync.reconcile(config.accounts[0])
            t1 = time.perf_counter()
            second = await sync.reconcile(config.accounts[0])
            t2 = time.perf_counter()
            outbox = await store.outbox.backlog()
        finally:
            await client.close()
            await store.close()
        calls = fake.ask("calls")
    finally:
        fake.close()
    return {
        "n": n,
        "fake_start_s": t_fake,
        "first_s": t1 - t0,
        "first_adopted": first.adopted,
        "first_errors": len(first.errors),
        "again_s": t2 - t1,
        "again_adopted": second.adopted,
        "outbox_rows": outbox,
        "requests": sum(calls.values()),
        "calls": calls,
        "peak_rss_mb": peak_rss_mb(),
    }


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=("push", "reconcile"))
    p.add_argument("--db", required=True)
    p.add_argument("--n", type=int, required=True)
    a = p.parse_args()
    fn = push if a.what == "push" else reconcile
    print(json.dumps(asyncio.run(fn(a.db, a.n))))


if __name__ == "__main__":
    main()
