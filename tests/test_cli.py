"""The moxhooks command line, run in-process with main([...]) and as a real process.

main() runs its own event loop (asyncio.run), so the fake mox lives on an event
loop in a thread of its own, on a real port on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest

from moxhooks.cli.main import main
from moxhooks.config import without_password
from moxhooks.csvio import EXPORT_COLUMNS, ImportRow, export_entries, parse_import
from moxhooks.kinds import Kind, MoxState, Source
from moxhooks.store import Store
from moxhooks.store.intake import IntakeWriter
from tests.fakemox import FakeMox

T = TypeVar("T")
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parent.parent


class MoxThread:
    """A FakeMox served by an event loop in its own thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

        async def make() -> FakeMox:
            mox = FakeMox()
            await mox.start()
            return mox

        self.mox = asyncio.run_coroutine_threadsafe(make(), self.loop).result(10)

    def call(self, fn: Callable[[], T]) -> T:
        """Run fn on the fake's loop, so its state is never touched from two threads."""

        async def run() -> T:
            return fn()

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(10)

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.mox.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture
def fake() -> Iterator[MoxThread]:
    m = MoxThread()
    yield m
    m.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_config(
    tmp_path: Path,
    mox_url: str | None = None,
    *,
    accounts: str = "",
    extra: str = "",
    port: int = 0,
) -> Path:
    """A config on tmp_path; without mox_url mox is a closed port on 127.0.0.1."""
    url = mox_url or f"http://127.0.0.1:{free_port()}"
    accounts = accounts or (
        '[[accounts]]\nname = "mox"\nlogin = "mox@localhost"\npassword = "moxmoxmox"\n'
    )
    path = tmp_path / "moxhooks.toml"
    path.write_text(
        f"{extra}\n"
        f'[server]\nhost = "127.0.0.1"\nport = {port or free_port()}\n'
        f'[database]\npath = "{tmp_path / "moxhooks.db"}"\n'
        f'[mox]\nurl = "{url}"\ntimeout = 3\n'
        f"{accounts}"
    )
    return path


@pytest.fixture
def cfg(tmp_path: Path) -> Path:
    return write_config(tmp_path)


@pytest.fixture
def cfg_mox(tmp_path: Path, fake: MoxThread) -> Path:
    return write_config(tmp_path, fake.mox.url)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def db(cfg: Path) -> str:
    return str(cfg.parent / "moxhooks.db")


def in_store(cfg: Path, fn: Callable[[Store], Any]) -> Any:
    async def go() -> Any:
        store = await Store.open(db(cfg))
        try:
            return await fn(store)
        finally:
            await store.close()

    return asyncio.run(go())


# ---- configuration and usage


def test_help_documents_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    assert "exit codes" in out
    for cmd in ("serve", "setup", "sync", "check", "suppressions", "events"):
        assert cmd in out
    code, out, _ = run(capsys, "check", "--help")
    assert code == 0 and "Exit 0: not suppressed; 1: suppressed; 2: error" in out
    code, out, _ = run(capsys, "suppressions", "import", "--help")
    assert code == 0 and "line N: reason" in out and "export-only" in out


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str], cfg: Path) -> None:
    code, _, err = run(capsys, "--config", str(cfg), "frobnicate")
    assert code == 2 and "invalid choice" in err
    code, _, err = run(capsys, "--config", str(cfg), "suppressions", "list", "--kind", "nope")
    assert code == 2 and "not a failure kind" in err


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[server]\nprot = 1\n", "moxhooks: config: server.prot: unknown key\n"),
        ("[server]\nport = 0\n", "moxhooks: config: server.port: must be between 1 and 65535\n"),
        ('log_level = "loud"\n', "moxhooks: config: log_level: must be one of"),
        ('[[accounts]]\nname = "x"\n', "moxhooks: config: accounts[0].login: required key"),
        ("[server\n", "not valid TOML"),
    ],
)
def test_config_errors_name_the_key(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, toml: str, message: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(toml)
    code, out, err = run(capsys, "--config", str(path), "events")
    assert code == 2 and out == ""
    assert err.startswith("moxhooks: config: ") and message in err


def test_missing_config_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "--config", str(tmp_path / "nope.toml"), "events")
    assert code == 2 and "no such file" in err


def test_config_from_working_directory(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(
        tmp_path, accounts='[[accounts]]\nname = "news"\nlogin = "n@localhost"\npassword = "p"\n'
    )
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "events", "--account", "news")
    assert code == 0 and out == "no events\n"
    # --config after the command name works too.
    code, _, err = run(capsys, "events", "--config", str(tmp_path / "x.toml"))
    assert code == 2 and "no such file" in err


def test_builtin_defaults_without_config(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no moxhooks.toml: account "mox", database ./moxhooks.db
    code, out, _ = run(capsys, "suppressions", "list", "--account", "mox")
    assert code == 0 and out == "no entries\n"
    assert (tmp_path / "moxhooks.db").exists()


def test_unknown_account(capsys: pytest.CaptureFixture[str], cfg: Path) -> None:
    for argv in (
        ["check", "a@example.org"],
        ["suppressions", "list"],
        ["suppressions", "add", "a@example.org"],
        ["events"],
    ):
        code, out, err = run(capsys, "--config", str(cfg), *argv, "--account", "X")
        assert (code, out) == (2, "")
        assert err == 'moxhooks: no account "X" in the configuration\n'


def test_account_needed_when_several(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    two = (
        '[[accounts]]\nname = "a"\nlogin = "a@localhost"\npassword = "p"\n'
        '[[accounts]]\nname = "b"\nlogin = "b@localhost"\npassword = "p"\n'
    )
    cfg = write_config(tmp_path, accounts=two)
    code, _, err = run(capsys, "--config", str(cfg), "events")
    assert code == 2 and "--account is needed" in err and "a, b" in err


# ---- check, add, remove, list (mox down: changes are queued)


def test_check_add_remove_without_mox(capsys: pytest.CaptureFixture[str], cfg: Path) -> None:
    c = ["--config", str(cfg)]
    code, out, _ = run(capsys, *c, "check", "John.Doe+x@Gmail.com")
    assert code == 0
    assert out == "not suppressed: John.Doe+x@gmail.com (base address johndoe@gmail.com)\n"

    code, out, _ = run(
        capsys, *c, "suppressions", "add", "John.Doe+x@Gmail.com", "--reason", "asked us"
    )
    assert code == 0
    assert out.startswith("added entry 1: John.Doe+x@gmail.com, scope (all), kind manual")
    assert "is not reachable" in out and "queued" in out

    code, out, _ = run(capsys, *c, "suppressions", "add", "johndoe-y@gmail.com")
    assert code == 1 and out.startswith("already suppressed: johndoe-y@gmail.com\n  entry 1:")

    code, out, _ = run(capsys, *c, "check", "j.o.h.n.doe@gmail.com")
    assert code == 1
    assert out.startswith("suppressed: j.o.h.n.doe@gmail.com (base address johndoe@gmail.com)")
    assert "entry 1: John.Doe+x@gmail.com, scope (all), kind manual, source manual" in out
    assert "reason: asked us" in out

    code, out, _ = run(capsys, *c, "check", "johndoe@gmail.com", "--json")
    assert code == 1
    doc = json.loads(out)
    assert doc["suppressed"] is True and doc["base_address"] == "johndoe@gmail.com"
    (e,) = doc["entries"]
    assert e["id"] == 1 and e["source"] == "manual" and e["created_by"] == "cli"
    assert e["original_address"] == "John.Doe+x@gmail.com" and e["mox_state"] == "pending_add"

    code, out, _ = run(capsys, *c, "suppressions", "remove", "JOHNDOE@gmail.com", "--reason", "ok")
    assert code == 0 and out.startswith("ended entry 1:") and "queued" in out
    code, out, _ = run(capsys, *c, "suppressions", "remove", "johndoe@gmail.com")
    assert code == 1 and out.startswith("no active entry for johndoe@gmail.com")
    code, out, _ = run(capsys, *c, "check", "johndoe@gmail.com", "--json")
    assert code == 0 and json.loads(out)["entries"] == []

    # The change waits in the outbox: the add and the remove.
    rows = in_store(cfg, lambda s: s.db.fetchall("SELECT op FROM outbox WHERE state='pending'"))
    assert [r[0] for r in rows] == ["add", "remove"]


def test_bad_address(capsys: pytest.CaptureFixture[str], cfg: Path) -> None:
    for argv in (["check", "x"], ["suppressions", "add", "x"], ["suppressions", "remove", "x"]):
        code, out, err = run(capsys, "--config", str(cfg), *argv)
        assert (code, out) == (2, "")
        assert err == "moxhooks: bad address 'x': invalid email address: expected @\n"


def test_add_options(capsys: pytest.CaptureFixture[str], cfg: Path) -> None:
    c = ["--config", str(cfg), "suppressions", "add"]
    code, out, _ = run(capsys, *c, "a@example.org", "--scope", "news", "--kind", "unsubscribed")
    assert code == 0 and "scope news, kind unsubscribed" in out and "mox only knows" in out
    code, out, _ = run(capsys, *c, "b@example.org", "--expires", "30d", "--kind", "mailbox_full")
    assert code == 0
    code, out, _ = run(capsys, *c, "c@example.org", "--expires", "2999-01-31")
    assert code == 0 and "expires 2999-01-31T00:00:00.000000Z" in out
    code, _, err = run(capsys, *c, "d@example.org", "--expires", "2001-01-01T00:00:00Z")
    assert code == 2 and "in the past" in err
    code, _, err = run(capsys, *c, "d@example.org", "--expires", "soon")
    assert code == 2 and "neither a duration" in err
    code, _, err = run(capsys, *c, "d@example.org", "--kind", "bogus")
    assert code == 2 and "not a failure kind" in err

    code, out, _ = run(capsys, "--config", str(cfg), "check", "a@example.org", "--scope", "other")
    assert code == 0  # the topic entry does not block another topic
    code, out, _ = run(capsys, "--config", str(cfg), "check", "a@example.org", "--scope", "news")
    assert code == 1
    code, out, _ = run(capsys, "--config", str(cfg), "suppressions", "remove", "a@example.org")
    assert code == 1  # account-wide: none
    code, out, _ = run(
        capsys, "--config", str(cfg), "suppressions", "remove", "a@example.org", "--scope", "news"
    )
    assert code == 0 and "ended entry 1" in out and "queued" not in out


def test_list(capsys: pytest.CaptureFixture[str], cfg: Path) -> None:
    c = ["--config", str(cfg), "suppressions"]
    run(capsys, *c, "add", "one@example.org", "--reason", "first")
    run(capsys, *c, "add", "two@example.org", "--kind", "complaint")
    run(capsys, *c, "add", "three@example.com", "--scope", "news")
    run(capsys, *c, "remove", "one@example.org")

    code, out, _ = run(capsys, *c, "list")
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == [
        "ID", "ADDRESS", "SCOPE", "KIND", "SOURCE", "CREATED", "EXPIRES", "MOX", "REASON"
    ]  # fmt: skip
    assert [line.split()[1] for line in lines[1:]] == ["three@example.com", "two@example.org"]
    assert lines[1].split()[2] == "news" and lines[2].split()[2] == "(all)"

    code, out, _ = run(capsys, *c, "list", "--json", "--all")
    doc = json.loads(out)
    assert [e["original_address"] for e in doc] == [
        "three@example.com",
        "two@example.org",
        "one@example.org",
    ]
    assert set(doc[0]) >= {
        "id", "account", "base_address", "original_address", "scope", "kind", "source",
        "reason", "created", "created_by", "expires", "active", "ended", "mox_state",
    }  # fmt: skip
    assert doc[2]["active"] is False and doc[2]["ended_by"] == "cli"

    def addresses(*argv: str) -> list[str]:
        code, out, _ = run(capsys, *c, "list", "--json", *argv)
        assert code == 0
        return [e["original_address"] for e in json.loads(out)]

    assert addresses("--kind", "complaint") == ["two@example.org"]
    assert addresses("--source", "import") == []
    assert addresses("--scope", "") == ["two@example.org"]
    assert addresses("--scope", "news") == ["three@example.com"]
    assert addresses("--search", "example.com") == ["three@example.com"]
    assert addresses("--limit", "1") == ["three@example.com"]
    assert "ENDED" in run(capsys, *c, "list", "--all")[1]
    code, _, err = run(capsys, *c, "list", "--limit", "0")
    assert code == 2 and "positive" in err


# ---- import and export

IMPORT_CSV = """\
Kind,address,reason,expires,scope
mailbox_unknown,good1@example.org,bounced,,
,bad-address,x,,
nonsense,k@example.org,,,
,e@example.org,,not a date,
,p@example.org,,2001-01-01T00:00:00Z,
,,no address,,
complaint,"good2@example.org","multi
line reason",2999-01-01T00:00:00Z,news

,good1+again@example.org,duplicate base,,
,x@example.org,,,,extra
"""


def test_import_reports_bad_rows_and_keeps_good_ones(
    capsys: pytest.CaptureFixture[str], cfg: Path, tmp_path: Path
) -> None:
    path = tmp_path / "in.csv"
    path.write_text(IMPORT_CSV)
    code, out, err = run(capsys, "--config", str(cfg), "suppressions", "import", str(path))
    assert code == 0
    assert err.splitlines() == [
        "line 3: bad address 'bad-address': invalid email address: expected @",
        "line 4: unknown kind 'nonsense'",
        "line 5: bad expiry 'not a date': not an RFC 3339 / ISO 8601 time",
        "line 6: expiry '2001-01-01T00:00:00Z' is in the past",
        "line 7: missing address",
        "line 12: 6 fields, but the header has 5",
    ]
    assert out.startswith("2 added, 1 already present, 6 rejected\n")

    code, out, _ = run(capsys, "--config", str(cfg), "suppressions", "list", "--json")
    doc = {e["original_address"]: e for e in json.loads(out)}
    assert set(doc) == {"good1@example.org", "good2@example.org"}
    assert doc["good1@example.org"]["kind"] == "mailbox_unknown"
    assert doc["good1@example.org"]["source"] == "import"
    assert doc["good1@example.org"]["mox_state"] == "pending_add"
    g2 = doc["good2@example.org"]
    assert (g2["scope"], g2["kind"], g2["reason"]) == ("news", "complaint", "multi\nline reason")
    assert g2["expires"] == "2999-01-01T00:00:00.000000Z" and g2["mox_state"] == "n/a"


def test_import_from_stdin(
    capsys: pytest.CaptureFixture[str], cfg: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("address\na@example.org\nb@example.org\n"))
    code, out, err = run(capsys, "--config", str(cfg), "suppressions", "import", "-")
    assert (code, err) == (0, "")
    assert out.startswith("2 added, 0 already present, 0 rejected")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "the file is empty"),
        ("address,colour\n", "line 1: unknown column 'colour'"),
        ("reason\nx\n", "the header has no address column"),
        ("address,address\n", "column 'address' appears twice"),
    ],
)
def test_import_bad_file(
    capsys: pytest.CaptureFixture[str], cfg: Path, tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "in.csv"
    path.write_text(content)
    code, out, err = run(capsys, "--config", str(cfg), "suppressions", "import", str(path))
    assert (code, out) == (2, "")
    assert err.startswith(f"moxhooks: {path}: ") and message in err


def test_import_missing_file(capsys: pytest.CaptureFixture[str], cfg: Path) -> None:
    code, _, err = run(capsys, "--config", str(cfg), "suppressions", "import", "/nonexistent.csv")
    assert code == 2 and err == "moxhooks: /nonexistent.csv: No such file or directory\n"


def test_export_round_trip(capsys: pytest.CaptureFixture[str], tmp_path: Path, cfg: Path) -> None:
    c = ["--config", str(cfg), "suppressions"]
    run(capsys, *c, "add", "Jürgen.M-x@Bücher.example", "--reason", 'says "no", twice')
    run(capsys, *c, "add", "b@example.org", "--scope", "news", "--expires", "2999-01-01")
    run(capsys, *c, "add", "gone@example.org")
    run(capsys, *c, "remove", "gone@example.org")

    code, out, _ = run(capsys, *c, "export")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert out.splitlines()[0] == ",".join(EXPORT_COLUMNS)
    assert [r["address"] for r in rows] == ["Jürgen.M-x@bücher.example", "b@example.org"]
    assert rows[0]["base_address"] == "jürgenm@bücher.example"
    assert rows[0]["reason"] == 'says "no", twice' and rows[0]["source"] == "manual"
    assert rows[1]["expires"] == "2999-01-01T00:00:00.000000Z" and rows[1]["scope"] == "news"

    path = tmp_path / "out.csv"
    code, out, _ = run(capsys, *c, "export", "-o", str(path))
    assert code == 0 and out == f"exported 2 entries to {path}\n"

    # Into a fresh database: the same entries come back, now with source import.
    other = tmp_path / "other"
    other.mkdir()
    cfg2 = write_config(other)
    code, out, err = run(capsys, "--config", str(cfg2), "suppressions", "import", str(path))
    assert (code, err) == (0, "") and out.startswith("2 added, 0 already present, 0 rejected")
    code, out, _ = run(capsys, "--config", str(cfg2), "suppressions", "export")
    again = list(csv.DictReader(io.StringIO(out)))
    keep = ("address", "base_address", "scope", "kind", "reason", "expires")
    assert [{k: r[k] for k in keep} for r in again] == [{k: r[k] for k in keep} for r in rows]
    assert {r["source"] for r in again} == {"import"}


def test_export_pages_by_id(tmp_path: Path) -> None:
    """export_entries reads in keyset pages: every row once, header once."""

    async def go() -> list[str]:
        store = await Store.open(str(tmp_path / "x.db"))
        try:
            rows = parse_import(
                ["address\n", *(f"u{i}@example.org\n" for i in range(25))], "mox", "t", NOW
            )
            entries = [r.entry for r in rows if r.entry is not None]
            await store.suppressions.add_many(entries)
            seen: list[int] = []
            chunks = [c async for c in export_entries(store, "mox", batch=10, progress=seen.append)]
            assert seen == [10, 10, 5]
            return chunks
        finally:
            await store.close()

    chunks = asyncio.run(go())
    assert len(chunks) == 4  # header + 3 pages
    lines = "".join(chunks).splitlines()
    assert lines[0] == ",".join(EXPORT_COLUMNS)
    assert [line.split(",")[0] for line in lines[1:]] == [f"u{i}@example.org" for i in range(25)]


def test_parse_import_rows() -> None:
    rows = list(
        parse_import(
            ["\ufeffaddress,base_address,source,created,mox_state\n", "A@Example.ORG,x,y,z,w\n"],
            "acct",
            "tester",
            NOW,
        )
    )
    assert rows == [ImportRow(line=2, entry=rows[0].entry)]
    e = rows[0].entry
    assert e is not None
    assert (e.account, e.original_address, e.base_address) == (
        "acct",
        "A@example.org",
        "a@example.org",
    )
    assert (e.kind, e.source, e.created_by, e.scope, e.expires) == (
        Kind.MANUAL, Source.IMPORT, "tester", "", None
    )  # fmt: skip
    (r,) = parse_import(
        ["address,expires\n", "a@example.org,2027-01-01T01:00:00+01:00\n"], "a", "t", NOW
    )
    assert r.entry is not None and r.entry.expires == datetime(2027, 1, 1, tzinfo=UTC)


# ---- events


def test_events(capsys: pytest.CaptureFixture[str], cfg: Path) -> None:
    async def add(store: Store) -> None:
        # As the web process and the worker do: appended to the intake log, then moved.
        writer = IntakeWriter.open(store.db.path, on_commit=lambda: None)
        try:
            for wid, ev in ((1, "delivered"), (2, "failed")):
                await writer.add("mox", wid, 1, store.db.now(), ev, 10 + wid, f"<m{wid}@localhost>", "{}")
        finally:
            await writer.close()
        assert await store.events.take_intake() == 2

    in_store(cfg, add)
    code, out, _ = run(capsys, "--config", str(cfg), "events", "--json")
    assert code == 0
    doc = json.loads(out)
    assert [e["webhook_id"] for e in doc] == [2, 1]
    assert set(doc[0]) >= {
        "id", "webhook_id", "event", "queue_msg_id", "message_id", "recipient", "kind",
        "decision", "status", "received",
    }  # fmt: skip
    assert doc[0]["event"] == "failed" and doc[0]["queue_msg_id"] == 12
    assert doc[0]["recipient"] is None and doc[0]["status"] == "pending"

    code, out, _ = run(capsys, "--config", str(cfg), "events", "--limit", "1")
    lines = out.splitlines()
    assert code == 0 and lines[0].split()[:3] == ["ID", "RECEIVED", "EVENT"] and len(lines) == 2
    code, out, _ = run(capsys, "--config", str(cfg), "events", "--status", "done")
    assert (code, out) == (0, "no events\n")
    code, out, _ = run(capsys, "--config", str(cfg), "events", "--kind", "complaint", "--json")
    assert (code, json.loads(out)) == (0, [])
    code, _, err = run(capsys, "--config", str(cfg), "events", "--status", "bogus")
    assert code == 2 and "invalid choice" in err


# ---- with the fake mox


def test_setup_registers_webhook(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, fake: MoxThread
) -> None:
    cfg = write_config(tmp_path, fake.mox.url)
    # mox's default: retired messages are not kept (localserve, which the fake models, keeps them).
    fake.call(
        lambda: fake.mox.accounts["mox"].update(
            KeepRetiredMessagePeriod=0, KeepRetiredWebhookPeriod=0
        )
    )
    code, out, _ = run(capsys, "--config", str(cfg), "setup")
    assert code == 0
    secret = in_store(cfg, lambda s: s.webhook_secret("mox", ""))
    port = cfg.read_text().split("port = ")[1].split("\n")[0]
    url = f"http://127.0.0.1:{port}/hooks/outgoing/mox"
    assert out == (
        f"account mox: mox now posts all outgoing delivery events to {url}"
        " with Authorization: Bearer <the account's webhook secret>\n"
        "account mox: mox now keeps retired messages for 7 days, so moxhooks can find the"
        " recipient of a failed delivery\n"
    )
    # Keeping retired messages was off (mox's default): turned on, webhook period kept.
    keeps = [p for api, m, p in fake.mox.calls if (api, m) == ("account", "KeepRetiredPeriodsSave")]
    assert keeps == [[7 * 86400 * 10**9, 0]]
    # A second setup finds it on and leaves it alone.
    code, out, _ = run(capsys, "--config", str(cfg), "setup")
    assert code == 0 and "keeps retired" not in out
    saves = [p for api, m, p in fake.mox.calls if (api, m) == ("account", "OutgoingWebhookSave")]
    assert saves == [[url, f"Bearer {secret}", []]] * 2
    assert fake.call(lambda: fake.mox.outgoing_webhooks["mox"]) == {
        "URL": url, "Authorization": f"Bearer {secret}", "Events": [],
    }  # fmt: skip
    assert secret not in out


def test_setup_failures(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, fake: MoxThread
) -> None:
    accounts = '[[accounts]]\nname = "mox"\nlogin = "mox@localhost"\npassword = "wrong"\n'
    cfg = write_config(tmp_path, fake.mox.url, accounts=accounts)
    code, out, _ = run(capsys, "--config", str(cfg), "setup")
    assert code == 1 and out.startswith("account mox: mox refused the login mox@localhost:")
    cfg = write_config(tmp_path)  # mox not there
    code, out, _ = run(capsys, "--config", str(cfg), "setup")
    assert code == 1 and out.startswith("account mox: failed: ")


def test_add_remove_reach_mox(
    capsys: pytest.CaptureFixture[str], cfg_mox: Path, fake: MoxThread
) -> None:
    c = ["--config", str(cfg_mox), "suppressions"]
    code, out, _ = run(capsys, *c, "add", "John.Doe+x@Gmail.com", "--reason", "asked")
    assert code == 0 and out.endswith("added to mox too\n")
    in_mox = fake.call(lambda: fake.mox.suppressions("mox"))
    assert [(s["BaseAddress"], s["OriginalAddress"]) for s in in_mox] == [
        ("johndoe@gmail.com", "John.Doe+x@gmail.com")
    ]
    code, out, _ = run(capsys, *c, "list", "--json")
    assert json.loads(out)[0]["mox_state"] == MoxState.SYNCED

    code, out, _ = run(capsys, *c, "remove", "johndoe@gmail.com")
    assert code == 0 and out.endswith("removed from mox too\n")
    assert fake.call(lambda: fake.mox.suppressions("mox")) == []


def test_sync(capsys: pytest.CaptureFixture[str], cfg_mox: Path, fake: MoxThread) -> None:
    # An entry only mox has, and one queued here while mox was away.
    fake.call(lambda: fake.mox.add_suppression("mox", "Only.Mox@example.org", reason="550 5.1.1"))
    fake.call(lambda: fake.mox.add_suppression("mox", "manual@example.org", manual=True))

    async def queue(store: Store) -> None:
        from moxhooks.store import NewEntry

        await store.suppressions.add(
            NewEntry("mox", "queued@example.org", "queued@example.org", "manual", "manual", "", "t")
        )

    in_store(cfg_mox, queue)
    code, out, _ = run(capsys, "--config", str(cfg_mox), "sync")
    assert code == 0
    assert out == (
        "account mox: mox lists 3; adopted 2, ended 0 removed in mox; 0 changes wait for mox\n"
        "pushed 1 changes to mox; 0 entries expired\n"
    )
    code, out, _ = run(capsys, "--config", str(cfg_mox), "suppressions", "list", "--json")
    doc = {e["original_address"]: e for e in json.loads(out)}
    assert doc["Only.Mox@example.org"]["source"] == "mox"
    assert doc["Only.Mox@example.org"]["mox_state"] == "synced"
    assert doc["manual@example.org"]["kind"] == "manual"
    assert doc["queued@example.org"]["mox_state"] == "synced"
    assert {s["BaseAddress"] for s in fake.call(lambda: fake.mox.suppressions("mox"))} == {
        "onlymox@example.org", "manual@example.org", "queued@example.org"
    }  # fmt: skip

    # Removed in mox by a person: ended here on the next sync, not added again.
    fake.call(lambda: fake.mox.remove_suppression("mox", "manual@example.org"))
    code, out, _ = run(capsys, "--config", str(cfg_mox), "sync")
    assert code == 0 and "adopted 0, ended 1 removed in mox" in out
    code, _, _ = run(capsys, "--config", str(cfg_mox), "check", "manual@example.org")
    assert code == 0


def test_sync_without_mox(capsys: pytest.CaptureFixture[str], cfg: Path) -> None:
    run(capsys, "--config", str(cfg), "suppressions", "add", "a@example.org")
    code, out, _ = run(capsys, "--config", str(cfg), "sync")
    assert code == 1
    assert out.startswith("account mox: mox webapi SuppressionList: ")
    assert "1 changes wait for mox\n" in out


def test_sync_expires_entries(
    capsys: pytest.CaptureFixture[str], cfg_mox: Path, fake: MoxThread
) -> None:
    async def add_expired(store: Store) -> None:
        from moxhooks.store import NewEntry

        past = datetime.now(UTC) - timedelta(minutes=1)
        e = NewEntry("mox", "t@example.org", "t@example.org", "mailbox_full", "webhook", "", "t")
        await store.suppressions.add_many([e.__class__(**{**e.__dict__, "expires": past})])

    in_store(cfg_mox, add_expired)
    code, out, _ = run(capsys, "--config", str(cfg_mox), "sync")
    assert code == 0 and "1 entries expired" in out
    assert fake.call(lambda: fake.mox.suppressions("mox")) == []


# ---- as a real process


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def test_subprocess_check_and_add(tmp_path: Path, cfg: Path) -> None:
    def moxhooks(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "moxhooks", "--config", str(cfg), *argv],
            check=False,
            capture_output=True,
            text=True,
            env=_env(),
            cwd=tmp_path,
            timeout=60,
        )

    p = moxhooks("suppressions", "add", "a@example.org")
    assert p.returncode == 0 and "added entry 1" in p.stdout and p.stderr == ""
    p = moxhooks("check", "a@example.org")
    assert p.returncode == 1 and p.stdout.startswith("suppressed: a@example.org")
    p = moxhooks("check", "nobody")
    assert p.returncode == 2 and "expected @" in p.stderr


def test_subprocess_serve(tmp_path: Path) -> None:
    port = free_port()
    cfg = write_config(tmp_path, port=port)
    lines = served_lines(tmp_path, cfg, port)
    assert lines[0] == f"moxhooks 0.1.0 listening on http://127.0.0.1:{port}"
    assert lines[1] == (
        f"account page (sign in with a mox account's email address): http://127.0.0.1:{port}/"
    )
    assert lines[2] == (
        f"admin page (sign in with the mox admin password): http://127.0.0.1:{port}/admin"
    )
    assert lines[3] == f"webhook URL for account mox: http://127.0.0.1:{port}/hooks/outgoing/mox"
    assert lines[4] == f"database: {tmp_path / 'moxhooks.db'}"
    assert lines[5].startswith("mox at http://127.0.0.1:")
    assert lines[5].endswith("moxhooks runs anyway and catches up when mox appears")
    assert "is not reachable (" in lines[5]


def test_subprocess_serve_says_whether_each_mox_server_is_reachable(
    tmp_path: Path, fake: MoxThread
) -> None:
    """Two [[mox]] servers, a up (the fake) and b down (a closed port): a line each."""
    port = free_port()
    down = f"http://127.0.0.1:{free_port()}"
    cfg = tmp_path / "moxhooks.toml"
    cfg.write_text(
        f'[server]\nhost = "127.0.0.1"\nport = {port}\n'
        f'[database]\npath = "{tmp_path / "moxhooks.db"}"\n'
        f'[[mox]]\nname = "a"\nurl = "{fake.mox.url}"\ntimeout = 3\n'
        f'[[mox]]\nname = "b"\nurl = "{down}"\ntimeout = 3\n'
        '[[accounts]]\nname = "mox"\nlogin = "mox@localhost"\npassword = "moxmoxmox"\n'
    )
    lines = served_lines(tmp_path, cfg, port)
    # After the database, a line for each server, in the configuration's order; no more.
    database = next(i for i, line in enumerate(lines) if line.startswith("database: "))
    a, b = lines[database + 1 : database + 3]
    assert a == f"mox a at {fake.mox.url} is reachable"
    assert b.startswith(f"mox b at {down} is not reachable (")
    assert b.endswith("); moxhooks runs anyway and catches up when it appears")
    assert lines[database + 3 :] == ["moxhooks stopped"], lines


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://mh:s3cret@127.0.0.1:5432/moxhooks", "postgresql://mh@127.0.0.1:5432/moxhooks"),
        ("postgresql://mh@[::1]/moxhooks", "postgresql://mh@[::1]/moxhooks"),
        ("postgres://mh:p%40ss:w@db.example/mh?sslmode=require&password=x",
         "postgres://mh@db.example/mh?sslmode=require"),
        ("postgresql://127.0.0.1/moxhooks", "postgresql://127.0.0.1/moxhooks"),
    ],
)
def test_a_database_url_is_shown_without_its_password(url: str, shown: str) -> None:
    assert without_password(url) == shown


def served_lines(tmp_path: Path, cfg: Path, port: int) -> list[str]:
    """What `moxhooks serve` printed, once it answered /healthz and was interrupted."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "moxhooks", "--config", str(cfg), "serve"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
        cwd=tmp_path,
    )
    try:
        body = b""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"serve exited with {proc.returncode}: {proc.communicate()[1]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    body = r.read()
            except urllib.error.HTTPError as e:  # 503: mox is not there
                body = e.read()
                break
            except OSError:
                time.sleep(0.1)
                continue
            break
        assert json.loads(body)["checks"]["database"]["ok"] is True
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    return out.splitlines()


def test_a_database_that_cannot_be_opened_is_one_line(
    capsys: pytest.CaptureFixture[str], cfg: Path
) -> None:
    """The store's StoreUnavailable (here: its directory is missing) is a message and
    exit code 1, not a traceback."""
    missing = cfg.parent / "no-such-dir" / "moxhooks.db"
    cfg.write_text(cfg.read_text().replace(db(cfg), str(missing)))
    code, _, err = run(capsys, "--config", str(cfg), "events")
    assert (code, err) == (1, "moxhooks: database unavailable: unable to open database file\n")


def test_refuses_a_database_newer_than_the_code(
    capsys: pytest.CaptureFixture[str], cfg: Path
) -> None:
    """A database migrated by a newer moxhooks: every command refuses it and says why,
    `serve` included (a real process), and the database is left as it was."""
    import sqlite3

    from moxhooks.store.db import MIGRATIONS

    in_store(cfg, lambda s: s.db.schema_version())  # create and migrate it
    with sqlite3.connect(db(cfg)) as con:
        con.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    code, _, err = run(capsys, "--config", str(cfg), "events")
    assert code == 2
    assert f"has schema {len(MIGRATIONS) + 1}, this moxhooks knows up to {len(MIGRATIONS)}" in err
    assert "refusing to start" in err
    proc = subprocess.run(
        [sys.executable, "-m", "moxhooks", "--config", str(cfg), "serve"],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
    )
    assert proc.returncode == 2, proc.stderr
    assert "refusing to start" in proc.stderr and "Traceback" not in proc.stderr
    with sqlite3.connect(db(cfg)) as con:
        assert con.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS) + 1
