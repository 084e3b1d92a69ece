"""The README is the user's manual: it must name everything the code offers."""

from __future__ import annotations

import argparse
import dataclasses
import re
from pathlib import Path

import pytest

from moxhooks.cli.parser import build_parser
from moxhooks.config import Config, load_config
from moxhooks.jobs.policy import Action
from moxhooks.kinds import Kind, MoxState, Source
from moxhooks.metrics import Metrics
from moxhooks.web.app import create_app

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()
EXAMPLE = ROOT / "conf" / "moxhooks.example.toml"


def test_every_config_key_is_documented() -> None:
    keys = _all_keys()
    assert len(keys) > 30
    missing = [k for k in keys if f"`{k}`" not in README]
    assert missing == []


def _all_keys() -> list[str]:
    out: list[str] = []

    def walk(obj: object, prefix: str) -> None:
        for f in dataclasses.fields(obj):  # type: ignore[arg-type]
            v = getattr(obj, f.name)
            if f.name == "accounts":
                walk_account(v[0])
            elif dataclasses.is_dataclass(v):
                walk(v, f"{prefix}{f.name}.")
            else:
                out.append(f"{prefix}{f.name}")

    def walk_account(acc: object) -> None:
        for f in dataclasses.fields(acc):  # type: ignore[arg-type]
            if f.name == "policy":
                out.append("accounts[].policy.*")
            else:
                out.append(f"accounts[].{f.name}")

    walk(Config(), "")
    return out


def test_example_config_is_complete_and_equals_the_defaults() -> None:
    text = EXAMPLE.read_text()
    for key in _all_keys():
        leaf = key.rsplit(".", 1)[-1].rstrip("*")
        if leaf:
            assert re.search(rf"^{re.escape(leaf)} = ", text, re.M), key
    assert load_config(EXAMPLE) == Config()


@pytest.mark.parametrize("kind", list(Kind))
def test_every_failure_kind_is_documented(kind: Kind) -> None:
    assert f"| `{kind}` |" in README


def test_sources_and_mox_states_are_documented() -> None:
    for v in [*Source, *MoxState]:
        assert f"`{v}`" in README, v


def test_every_route_is_documented() -> None:
    app = create_app(Config())
    paths = set()
    for r in app.router.routes():
        info = r.resource.get_info() if r.resource else {}
        path = info.get("path") or info.get("formatter") or info.get("prefix")
        if path and r.method != "HEAD":
            paths.add((r.method, path))
    assert ("POST", "/hooks/outgoing/{account}") in paths
    missing = sorted(
        f"{m} {p}" for m, p in paths if f"`{m} {p}`" not in README and m != "*"
    )
    assert missing == []


def _commands(parser: argparse.ArgumentParser, prefix: str) -> list[str]:
    out = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                out.append(f"{prefix} {name}")
                out += _commands(sub, f"{prefix} {name}")
    return out


def test_every_cli_command_is_documented() -> None:
    commands = _commands(build_parser(), "moxhooks")
    assert "moxhooks suppressions import" in commands
    missing = [
        c for c in commands
        if not any(c in line for line in README.splitlines() if line.startswith("| `moxhooks"))
        and not _is_group(c, commands)
    ]
    assert missing == []


def _is_group(c: str, commands: list[str]) -> bool:
    return any(o.startswith(c + " ") for o in commands)


def test_every_error_code_is_documented() -> None:
    codes = set()
    for path in (ROOT / "moxhooks").rglob("*.py"):
        text = path.read_text()
        codes |= set(re.findall(r"ApiError\(\s*\d+,\s*\"([\w:]+)\"", text))
        codes |= set(re.findall(r"error_response\(\s*\d+,\s*\"([\w:]+)\"", text))
        codes |= set(re.findall(r"\"code\": \"([\w:]+)\"", text))
    from moxhooks.web.errors import _HTTP_CODES

    codes |= set(_HTTP_CODES.values())
    assert {"badPayload", "noAuth", "server", "unavailable"} <= codes
    missing = sorted(c for c in codes if f"`{c}`" not in README)
    assert missing == []


def test_every_metric_is_documented() -> None:
    names = {m.name for m in Metrics().registry.collect()}
    assert "moxhooks_outbox_backlog" in names
    missing = sorted(n for n in names if n not in README)
    assert missing == []


def test_every_decision_is_documented() -> None:
    missing = [a.value for a in Action if f"| `{a.value}` |" not in README]
    assert missing == []
