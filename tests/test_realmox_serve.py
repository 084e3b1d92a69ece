"""`moxhooks serve` as production runs it (a web process and its event worker, two real
processes) beside a real mox: mox's own webhook reaches it, the worker processes the event
and pushes into mox, and the web process's /metrics shows what the worker counted."""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path

import aiohttp
import pytest
from conftest import wait_for
from realmox import ADMIN_PASSWORD, LOGIN, PASSWORD, RealMox
from served import REPO, children, free_port, serve, wait_ready, write_config

SECRET = "serve-webhook-secret"
TOKEN = "serve-api-token"


def serve_config(tmp_path: Path, port: int, mox: RealMox) -> Path:
    return write_config(
        tmp_path, port, mox.url, SECRET,
        server={"public_url": f"http://127.0.0.1:{port}"},
        mox={"admin_password": ADMIN_PASSWORD, "timeout": 5.0},
        sync={"retry_min": 0.1, "retry_max": 1.0},
        account={"login": LOGIN, "password": PASSWORD, "api_token": TOKEN},
    )


def metric(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample of the Prometheus text, or None if it is not there."""
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        m = re.fullmatch(rf"{name}\{{(.*)\}} (\S+)", line)
        if m and ",".join(sorted(m[1].split(","))) == want:
            return float(m[2])
    return None


async def test_serve_pushes_into_mox_and_metrics_show_the_workers_counts(
    tmp_path: Path, realmox: RealMox
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    config, log = serve_config(tmp_path, port, realmox), tmp_path / "serve.log"
    setup = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "moxhooks", "--config", str(config), "setup", cwd=REPO,
    )  # fmt: skip
    assert await setup.wait() == 0
    auth = {"Authorization": f"Bearer {TOKEN}"}
    async with serve(config, log) as proc, aiohttp.ClientSession(headers=auth) as s:
        await wait_ready(base, proc, log)
        assert len(children(proc.pid)) == 1, "serve runs its event worker in a process of its own"
        # A change made in the web process, pushed into mox by the worker.
        async with s.post(base + "api/v1/accounts/mox/suppressions",
                          json={"address": "Pushed.Reader@example.org", "reason": "asked"}) as r:
            assert r.status in (200, 201), await r.text()

        async def in_mox() -> bool:
            return "pushedreader@example.org" in realmox.suppression_bases()

        await wait_for(in_mox, timeout=15, what="the entry pushed into mox")
        # A permanent failure mox reports by webhook, processed by the worker.
        realmox.send("Gone.Reader+permerror@example.org")

        async def processed() -> bool:
            async with s.get(base + "metrics") as r:
                text = await r.text()
            return (metric(text, "moxhooks_events_processed_total", account="mox", event="failed",
                           kind="undetermined", decision="follow_mox") or 0) >= 1

        await wait_for(processed, timeout=30, what="mox's failure processed by the worker")
        async with s.get(base + "metrics") as r:
            text = await r.text()
        # /healthz of the web process shows the worker: its process, and mox as the worker's
        # sync worker last saw it (reported over their socket pair).
        async with s.get(base + "healthz") as r:
            health = await r.json()
        assert r.status == 200, health
        (worker,) = children(proc.pid)
        assert health["checks"]["worker"] == {"ok": True, "pid": worker, "restarts": 0}
        assert (health["checks"]["mox"]["ok"], health["checks"]["mox"]["error"]) == (True, "")
    print("\n".join(line for line in text.splitlines() if line.startswith("moxhooks_sync")
                    or line.startswith("moxhooks_events_processed")))
    assert metric(text, "moxhooks_sync_pushed_total", account="mox", op="add") == 1.0, text
    assert metric(text, "moxhooks_sync_failures_total", account="mox", reason="unavailable") is None
    assert "# TYPE moxhooks_sync_failures_total counter" in text
    assert "Traceback" not in log.read_text()


@pytest.mark.parametrize("path", ["/admin/", "/healthz/"])
async def test_serve_redirects_trailing_slashes(tmp_path: Path, realmox: RealMox, path: str) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    config, log = serve_config(tmp_path, port, realmox), tmp_path / "serve.log"
    async with serve(config, log) as proc, aiohttp.ClientSession() as s:
        await wait_ready(base, proc, log)
        async with s.get(base + path.lstrip("/"), allow_redirects=False) as r:
            assert r.status in (301, 308) and r.headers["Location"] == path.rstrip("/")
