"""Several mox servers behind one moxhooks: the [[mox]] tables and accounts[].mox."""

from __future__ import annotations

from typing import Any

import pytest

from moxhooks.config import Config, MoxConfig, config_from_dict
from moxhooks.errors import ConfigError

ACCOUNT = {"name": "shop", "login": "shop@example.org", "password": "pw"}


def _two(**account: Any) -> dict[str, Any]:
    return {
        "mox": [
            {"name": "a", "url": "http://127.0.0.1:1080", "admin_password": "x"},
            {"name": "b", "url": "http://127.0.0.2:1080", "timeout": 3.0},
        ],
        "accounts": [{**ACCOUNT, **account}],
    }


def test_a_single_mox_table_is_one_server_named_default() -> None:
    cfg = config_from_dict({"mox": {"url": "http://127.0.0.1:9", "timeout": 2.0}})
    assert cfg.mox == (MoxConfig(url="http://127.0.0.1:9", timeout=2.0),)
    assert cfg.default_mox.name == "default"
    assert cfg.account_moxes(cfg.accounts[0]) == ("default",)
    assert Config().mox == (MoxConfig(),)


def test_mox_tables_and_the_servers_an_account_is_on() -> None:
    cfg = config_from_dict(_two())
    assert [m.name for m in cfg.mox] == ["a", "b"]
    assert cfg.mox_named("b") == MoxConfig(name="b", url="http://127.0.0.2:1080", timeout=3.0)
    assert cfg.mox_named("c") is None
    # No mox named: the first server.
    assert cfg.account_moxes(cfg.accounts[0]) == ("a",)
    # One name as a string, or a list: shared by both servers.
    assert config_from_dict(_two(mox="b")).accounts[0].mox == ("b",)
    shared = config_from_dict(_two(mox=["a", "b"]))
    assert shared.account_moxes(shared.accounts[0]) == ("a", "b")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_two(mox="c"), "accounts[0].mox: no mox server 'c' is configured ([[mox]] names: a, b)"),
        (_two(mox=["a", "a"]), "accounts[0].mox: a mox server is named twice"),
        (_two(mox=3), "accounts[0].mox: must be a list"),
        ({"mox": [{"url": "http://127.0.0.1:1"}]},
         "mox[0].name: required key is missing (each [[mox]] is named)"),
        ({"mox": [{"name": "a"}, {"name": "a"}]}, "mox[1].name: mox server 'a' is listed twice"),
        ({"mox": [{"name": "A/b"}]},
         'mox[0].name: \'A/b\' is not a mox name: 1-40 characters of a-z, 0-9, "_" and "-"'),
        ({"mox": [{"name": "a", "url": "ftp://x"}]},
         "mox[0].url: must start with http:// or https://"),
        ({"mox": {"url": "localhost"}}, "mox.url: must start with http:// or https://"),
        ({"mox": []}, "mox: must be a [mox] table or a non-empty list of [[mox]] tables"),
        ({"mox": [{"name": "a", "port": 1}]}, "mox[0].port: unknown key"),
    ],
)
def test_wrong_mox_configuration_is_refused_by_name(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as e:
        config_from_dict(data)
    assert str(e.value) == message
