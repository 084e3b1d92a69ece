"""`moxhooks serve` as a real process (web process + event worker), as production runs it."""

from __future__ import annotations

import asyncio
import contextlib
import resource
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
from conftest import wait_for

REPO = Path(__file__).resolve().parent.parent


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return str(value)


def write_config(tmp_path: Path, port: int, mox_url: str, secret: str, **sections: dict[str, object]) -> Path:
    """moxhooks.toml for `moxhooks serve` on 127.0.0.1:port against the mox at mox_url,
    quick to retry, one account "mox" with the webhook secret; keyword sections add keys
    (account= to the account)."""
    data: dict[str, dict[str, object]] = {
        "server": {"host": "127.0.0.1", "port": port},
        "database": {"path": str(tmp_path / "moxhooks.db")},
        "mox": {"url": mox_url, "admin_password": "", "timeout": 1.0},
        "sync": {"retry_min": 0.05, "retry_max": 0.2, "reconcile_interval": 3600.0},
        "dns": {"nameservers": ["127.0.0.1"], "port": 9, "timeout": 0.2},
    }
    account: dict[str, object] = {"name": "mox", "login": "mox@localhost",
                                  "password": "moxmoxmox", "webhook_secret": secret}
    account.update(sections.pop("account", {}))
    for name, keys in sections.items():
        data.setdefault(name, {}).update(keys)
    lines = ['log_level = "info"']
    for name, keys in [*data.items(), ("[accounts]", account)]:
        lines.append(f"[{name}]")
        lines += [f"{k} = {_toml(v)}" for k, v in keys.items()]
    path = tmp_path / "moxhooks.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def serve(
    config: Path, log: Path, *args: str, nofile: int | None = None
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`python -m moxhooks --config X serve`, running until the block ends (or killed);
    nofile: the process's limit on open files."""

    def limit() -> None:
        if nofile is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

    with open(log, "ab") as out:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "moxhooks", "--config", str(config), "serve", *args,
            stdout=out, stderr=out, cwd=REPO, preexec_fn=limit,
        )  # fmt: skip
    try:
        yield proc
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 10)
            except TimeoutError:
                proc.kill()
                await proc.wait()


async def wait_ready(base: str, proc: asyncio.subprocess.Process, log: Path) -> None:
    """Until the web process answers /healthz (200 or 503: it is up either way)."""

    async def up() -> bool:
        assert proc.returncode is None, log.read_text()
        try:
            async with aiohttp.ClientSession() as s, s.get(base + "healthz") as resp:
                return resp.status in (200, 503)
        except aiohttp.ClientError:
            return False

    await wait_for(up, timeout=20, what="moxhooks serve listening")


def children(pid: int) -> list[int]:
    """The processes pid started (the event worker of `moxhooks serve`)."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except FileNotFoundError:
        return []
    return [int(p) for p in text.split()]
