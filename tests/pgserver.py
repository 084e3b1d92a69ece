"""A throwaway PostgreSQL for the tests and the benchmarks, on 127.0.0.1 and a free port.

Where the server comes from, in this order:

- MOXHOOKS_PG_URL: a server of the user's own (`postgresql://user:password@host:port/db`,
  a role allowed to create databases); the tests create a database of their own on it and
  drop it at the end. Nothing is started.
- MOXHOOKS_PG_BIN: the bin directory of a PostgreSQL installation (initdb, pg_ctl, postgres).
- pg_ctl on PATH, then Debian's /usr/lib/postgresql/<version>/bin (package postgresql,
  which .ci/run installs), the newest version first.

A cluster lives in a fresh directory under the system's temporary directory and is removed
at stop. PostgreSQL refuses to run as root, so under root initdb and the server run as an
unprivileged system user: Debian's `postgres` when the package made it, otherwise
`moxhooks-pg`, created on first use. A non-root user runs them as themselves. The server
listens on 127.0.0.1 only (no Unix socket), with a password (scram-sha-256) for its one
role.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

PG_URL_ENV = "MOXHOOKS_PG_URL"
PG_BIN_ENV = "MOXHOOKS_PG_BIN"
SERVICE_USER = "moxhooks-pg"
ROLE = "moxhooks"
DEBIAN_ROOT = Path("/usr/lib/postgresql")


def pg_url_env() -> str | None:
    """The user's own server named by MOXHOOKS_PG_URL, or None when unset or empty."""
    url = os.environ.get(PG_URL_ENV, "").strip()
    return url or None


def pg_bindir() -> Path | None:
    """The bin directory of a PostgreSQL installation, or None when there is none."""
    named = os.environ.get(PG_BIN_ENV, "").strip()
    if named:
        # A directory the user named but that holds no server is their mistake to see,
        # not a reason to fall back to another installation.
        return Path(named).resolve()
    on_path = shutil.which("pg_ctl")
    if on_path:
        # Debian links pg_ctl into PATH from its version's directory; the real one has
        # initdb and postgres beside it.
        return Path(on_path).resolve().parent
    versions = sorted(
        (p for p in DEBIAN_ROOT.glob("*/bin") if (p / "pg_ctl").exists()),
        key=lambda p: [int(x) for x in re.findall(r"\d+", p.parent.name)],
    )
    return versions[-1] if versions else None


def postgresql_source() -> str | None:
    """What the PostgreSQL tests will run against, said in a few words; None without any."""
    url = pg_url_env()
    if url is not None:
        return f"the server at {PG_URL_ENV} ({_without_password(url)})"
    bindir = pg_bindir()
    if bindir is not None:
        return f"a throwaway cluster from {bindir}"
    return None


def _without_password(url: str) -> str:
    return re.sub(r"(//[^:/@]+):[^@]*@", r"\1:***@", url)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _service_account() -> pwd.struct_passwd:
    """The unprivileged user the server runs as under root, created when missing."""
    for name in ("postgres", SERVICE_USER):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
         "--home-dir", "/nonexistent", SERVICE_USER],
        check=True, capture_output=True,
    )
    return pwd.getpwnam(SERVICE_USER)


class PgCluster:
    """One PostgreSQL cluster in a directory of its own: initdb, start, stop, remove."""

    def __init__(self, bindir: Path, *, durable: bool = False) -> None:
        # durable=False turns fsync off: a test cluster is thrown away, so waiting for the
        # disk buys nothing; a clean stop still writes everything (restarts keep rows).
        # The benchmarks use durable=True, the settings a real server runs with.
        self.bindir = bindir
        self.durable = durable
        self.password = secrets.token_hex(16)
        self.port = 0
        self._account = _service_account() if os.geteuid() == 0 else None
        self.root = Path(tempfile.mkdtemp(prefix="moxhooks-pg-", dir=self._parent_dir()))
        self.datadir = self.root / "data"
        self.logfile = self.root / "server.log"
        self.startup_seconds = 0.0
        if self._account is not None:
            os.chown(self.root, self._account.pw_uid, self._account.pw_gid)

    def _parent_dir(self) -> str | None:
        """Where the cluster's directory goes: the temporary directory, unless the service
        user could not reach it (a TMPDIR under /root, say), then /tmp."""
        if self._account is None:
            return None
        tmp = Path(tempfile.gettempdir()).resolve()
        if all(p.stat().st_mode & 0o001 for p in (tmp, *tmp.parents)):
            return None
        return "/tmp"

    def url(self, database: str = "postgres") -> str:
        """A postgresql:// URL for the cluster's role and the given database."""
        return f"postgresql://{ROLE}:{self.password}@127.0.0.1:{self.port}/{database}"

    def _run(self, args: Sequence[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        extra: dict[str, Any] = {}
        if self._account is not None:
            extra = {"user": self._account.pw_uid, "group": self._account.pw_gid,
                     "extra_groups": []}
        env = {**os.environ, "LC_ALL": "C.UTF-8", "TZ": "UTC"}
        if self._account is not None:
            env["HOME"] = str(self.root)
        return subprocess.run(
            [str(self.bindir / args[0]), *args[1:]], env=env, cwd=self.root, text=True,
            capture_output=True, **extra, **kwargs,
        )

    def init(self) -> None:
        """Create the cluster: one superuser role with a password, UTF-8, UTC."""
        if not (self.bindir / "initdb").exists():
            raise RuntimeError(f"no initdb in {self.bindir} (check {PG_BIN_ENV})")
        pwfile = self.root / "pwfile"
        pwfile.write_text(self.password + "\n")
        if self._account is not None:
            os.chown(pwfile, self._account.pw_uid, self._account.pw_gid)
        done = self._run(["initdb", "-D", str(self.datadir), "-U", ROLE, "--pwfile", str(pwfile),
                          "--auth", "scram-sha-256", "-E", "UTF8", "--locale", "C.UTF-8",
                          "--no-sync"])
        pwfile.unlink()
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{done.stdout}\n{done.stderr}")

    def start(self) -> None:
        """Start the server on a free port (the same port again after a stop), and wait."""
        options = ["-c listen_addresses=127.0.0.1", "-c unix_socket_directories=''",
                   "-c timezone=UTC", "-c max_connections=200"]
        if not self.durable:
            options += ["-c fsync=off", "-c full_page_writes=off"]
        for _attempt in range(3):
            # Another process can take a port between free_port() and the server's bind.
            if self.port == 0 or not self._port_reusable():
                self.port = free_port()
            done = self._run(["pg_ctl", "start", "-w", "-t", "60", "-D", str(self.datadir),
                              "-l", str(self.logfile),
                              "-o", " ".join([f"-c port={self.port}", *options])])
            if done.returncode == 0:
                return
            if "could not bind" not in self.log_tail():
                break
            self.port = 0
        raise RuntimeError(f"PostgreSQL did not start:\n{done.stderr}\n{self.log_tail()}")

    def _port_reusable(self) -> bool:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            # As the server binds (SO_REUSEADDR): connections it closed at its stop linger
            # in TIME_WAIT on the port, which would otherwise send it to another port.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", self.port))
            except OSError:
                return False
        return True

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (fast: roll back open transactions, write everything, exit)."""
        done = self._run(["pg_ctl", "stop", "-w", "-t", "60", "-m", mode, "-D", str(self.datadir)])
        if done.returncode != 0 and "Is server running?" not in done.stderr:
            raise RuntimeError(f"pg_ctl stop failed:\n{done.stderr}")

    def running(self) -> bool:
        return self._run(["pg_ctl", "status", "-D", str(self.datadir)]).returncode == 0

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def remove(self) -> None:
        """Stop the server if it runs and delete the cluster's directory."""
        if self.datadir.exists() and self.running():
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PgCluster:
        started = time.monotonic()
        try:
            self.init()
            self.start()
        except BaseException:
            self.remove()
            raise
        self.startup_seconds = time.monotonic() - started
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def _with_database(url: str, database: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + database))


async def _admin(url: str, sql: str) -> None:
    import asyncpg  # here, not at the top: starting a cluster needs no driver

    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextlib.contextmanager
def postgresql_database() -> Iterator[str]:
    """A new, empty database and its postgresql:// URL; dropped (and its cluster removed) after.

    On the server at MOXHOOKS_PG_URL when that is set, else on a throwaway cluster.
    """
    name = "moxhooks_test_" + secrets.token_hex(4)
    with contextlib.ExitStack() as stack:
        admin = pg_url_env()
        if admin is None:
            bindir = pg_bindir()
            if bindir is None:
                raise RuntimeError(f"no PostgreSQL: set {PG_BIN_ENV} or {PG_URL_ENV}")
            admin = stack.enter_context(PgCluster(bindir)).url()
        asyncio.run(_admin(admin, f'CREATE DATABASE "{name}"'))
        try:
            yield _with_database(admin, name)
        finally:
            # FORCE: a test that failed may have left a connection open.
            asyncio.run(_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
