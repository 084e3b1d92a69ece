"""The docs site is the user's manual: it must build, and name everything the code offers.

The site is built once per session with `mkdocs build --strict` (a broken link or anchor
fails it), as a real subprocess; the checks then read the built reference pages.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import subprocess
import sys
from pathlib import Path

import msgspec
import pytest

from moxhooks.cli.parser import build_parser
from moxhooks.config import Config, ImapConfig, MoxConfig, TopicConfig, load_config
from moxhooks.errors import ErrorCode
from moxhooks.jobs.policy import Action
from moxhooks.kinds import Kind, MoxState, Source
from moxhooks.metrics import Metrics
from moxhooks.web.app import create_app

ROOT = Path(__file__).parent.parent
EXAMPLE = ROOT / "conf" / "moxhooks.example.toml"
README = (ROOT / "README.md").read_text()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return out


def _text(site: Path, page: str) -> str:
    """A built page as text: tags dropped, entities decoded."""
    raw = (site / page).read_text()
    return html.unescape(re.sub(r"<[^>]+>", "", raw))


def _code_spans(site: Path, page: str) -> set[str]:
    """Everything a built page shows as code (`...`)."""
    raw = (site / page).read_text()
    return {html.unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<code>(.*?)</code>", raw, re.S)}


def test_site_builds_and_has_the_guide_and_reference_pages(site: Path) -> None:
    for page in [
        "index.html",
        "install.html",
        "mox.html",
        "pages.html",
        "bounces.html",
        "unsubscribe.html",
        "operations.html",
        "performance/index.html",
        "performance/2026-12-03.html",
        "performance/2026-11-22.html",
        "reliability.html",
        "development.html",
        *(f"reference/{p}.html" for p in ("configuration", "http", "cli", "errors", "vocabulary", "metrics")),
    ]:
        assert (site / page).is_file(), page
    # Built to be read offline: no web fonts, no stylesheet or script from another host.
    for page in site.rglob("*.html"):
        raw = page.read_text()
        assert "fonts.googleapis" not in raw, page
        assert not re.search(r"<(?:script|link)[^>]+(?:src|href)=\"https?://", raw), page


def _all_keys() -> list[str]:
    out: list[str] = []

    def walk(obj: object, prefix: str) -> None:
        for f in msgspec.structs.fields(obj):  # type: ignore[arg-type]
            v = getattr(obj, f.name)
            if f.name == "accounts":
                walk_account(v[0])
            elif isinstance(v, msgspec.Struct):
                walk(v, f"{prefix}{f.name}.")
            else:
                out.append(f"{prefix}{f.name}")

    def walk_account(acc: object) -> None:
        for f in msgspec.structs.fields(acc):  # type: ignore[arg-type]
            if f.name == "policy":
                out.append("accounts[].policy.*")
            else:
                out.append(f"accounts[].{f.name}")

    walk(Config(), "")
    return out


def test_every_config_key_is_documented(site: Path) -> None:
    # Lists of tables that are empty by default: their keys too.
    keys = [
        *_all_keys(),
        *(f"imap[].{f.name}" for f in msgspec.structs.fields(ImapConfig)),
        *(f"accounts[].topics[].{f.name}" for f in msgspec.structs.fields(TopicConfig)),
        *(f"mox[].{f.name}" for f in msgspec.structs.fields(MoxConfig)),
    ]
    assert len(keys) > 60
    shown = _code_spans(site, "reference/configuration.html")
    missing = [k for k in keys if k not in shown]
    assert missing == []
    # Each row has a description, taken from the comment above the field in config.py.
    text = _text(site, "reference/configuration.html")
    assert "The port to listen on." in text
    assert "Seconds a webhook's body may take to arrive" in text


def test_example_config_is_complete_and_equals_the_defaults() -> None:
    text = EXAMPLE.read_text()
    for key in [*_all_keys(), *(f"mox[].{f.name}" for f in msgspec.structs.fields(MoxConfig))]:
        leaf = key.rsplit(".", 1)[-1].rstrip("*")
        if leaf:
            assert re.search(rf"^{re.escape(leaf)} = ", text, re.M), key
    assert load_config(EXAMPLE) == Config()


def test_every_failure_kind_decision_source_and_state_is_documented(site: Path) -> None:
    shown = _code_spans(site, "reference/vocabulary.html")
    values = [*Kind, *Action, *Source, *MoxState]
    assert len(values) > 30
    missing = [v.value for v in values if v.value not in shown]
    assert missing == []


def test_every_route_is_documented(site: Path) -> None:
    app = create_app(Config())
    paths = set()
    for r in app.router.routes():
        info = r.resource.get_info() if r.resource else {}
        path = info.get("path") or info.get("formatter") or info.get("prefix")
        if path and r.method not in ("HEAD", "*"):
            paths.add((r.method, path))
    assert ("POST", "/hooks/outgoing/{account}") in paths
    assert len(paths) >= 35
    shown = _code_spans(site, "reference/http.html")
    missing = sorted(f"{m} {p}" for m, p in paths if f"{m} {p}" not in shown)
    assert missing == []


def _commands(parser: argparse.ArgumentParser, prefix: str) -> list[str]:
    out = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                out.append(f"{prefix} {name}")
                out += _commands(sub, f"{prefix} {name}")
    return out


def test_every_cli_command_is_documented(site: Path) -> None:
    commands = _commands(build_parser(), "moxhooks")
    assert "moxhooks suppressions import" in commands
    assert len(commands) > 12
    shown = _code_spans(site, "reference/cli.html")
    missing = [c for c in commands if c not in shown]
    assert missing == []
    # Every option of every command is in its table.
    text = _text(site, "reference/cli.html")
    for option in ("--expires WHEN", "--output FILE", "--scope T", "--limit N"):
        assert option in text, option


def test_every_error_code_is_documented(site: Path) -> None:
    codes = {c.value for c in ErrorCode}
    assert {"badPayload", "noAuth", "server", "unavailable", "badToken"} <= codes
    assert len(codes) > 25
    shown = _code_spans(site, "reference/errors.html")
    missing = sorted(c for c in codes if c not in shown)
    assert missing == []


def test_every_metric_is_documented(site: Path) -> None:
    names = {m.name for m in Metrics().registry.collect()}
    assert "moxhooks_outbox_backlog" in names
    assert len(names) >= 8
    text = _text(site, "reference/metrics.html")
    missing = sorted(n for n in names if n not in text)
    assert missing == []


def test_readme_is_short_and_keeps_the_quick_start() -> None:
    assert len(README.encode()) < 15000
    assert "moxhooks serve" in README
    assert "python -m pytest" in README
    for page in re.findall(r"\]\((docs/[^)#]+)", README):
        assert (ROOT / page).is_file(), page


def test_gen_docs_writes_the_man_page(tmp_path: Path) -> None:
    out = tmp_path / "moxhooks.1"
    run = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "gen_docs.py"), "--man", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    roff = out.read_text()
    assert roff.startswith(".TH MOXHOOKS")
    for command in ("serve", "setup", "suppressions", "unsubscribe", "events"):
        assert command in roff, command
