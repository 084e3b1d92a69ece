"""Unsubscribe link tokens (moxhooks.unsubscribe): signed, bound to their row, refused when
touched anywhere, rotated keys verify for unsubscribe.old_key_days and then not, and no
address in them in any encoding."""

from __future__ import annotations

import asyncio
import base64
import binascii
import codecs
import json
import urllib.parse
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import Clock

from moxhooks.cli.main import main
from moxhooks.config import config_from_dict
from moxhooks.errors import ConfigError
from moxhooks.jobs.unsubscribe import (
    BAD_TOKEN,
    MAC_BYTES,
    BadToken,
    TokenParts,
    format_token,
    issue_link,
    mask_address,
    parse_token,
    verify_token,
)
from moxhooks.store import Store

ADDRESS = "John.Doe+news@Example.org"
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


@pytest.fixture
async def store(tmp_path: Path, clock: Clock) -> AsyncIterator[Store]:
    s = await Store.open(str(tmp_path / "moxhooks.db"), clock=clock)
    yield s
    await s.close()


async def issue(store: Store, address: str = ADDRESS, topic: str = "news") -> str:
    _, token = await issue_link(store.unsubscribe, "mox", address, topic, "<m1@localhost>")
    return token


async def test_a_token_verifies_to_its_link(store: Store) -> None:
    token = await issue(store)
    link = await verify_token(store.unsubscribe, token, 30)
    assert (link.account, link.recipient, link.topic, link.message) == (
        "mox",
        ADDRESS,
        "news",
        "<m1@localhost>",
    )
    assert len(link.id) == 16
    parts = parse_token(token)
    assert parts.link_id == link.id and len(parts.mac) == MAC_BYTES
    key = await store.unsubscribe.current_key()
    assert parts.key_id == key.id and len(key.secret) == 32
    # URL-safe as it is, 50 characters.
    assert urllib.parse.quote(token, safe="") == token and len(token) == 50


async def test_two_links_for_the_same_values_differ(store: Store) -> None:
    assert await issue(store) != await issue(store)


async def test_every_changed_character_is_refused(store: Store) -> None:
    token = await issue(store)
    for i, c in enumerate(token):
        for other in {
            ALPHABET[(ALPHABET.find(c) + 1) % 64],
            ALPHABET[(ALPHABET.find(c) + 33) % 64],
            ".",
            "=",
        }:
            if other == c:
                continue
            tampered = token[:i] + other + token[i + 1 :]
            with pytest.raises(BadToken):
                await verify_token(store.unsubscribe, tampered, 30)


async def test_every_changed_bit_is_refused(store: Store) -> None:
    token = await issue(store)
    parts = parse_token(token)
    raw = bytearray(parts.link_id + parts.key_id.to_bytes(4, "big") + parts.mac)
    for i in range(len(raw)):
        for bit in range(8):
            b = bytearray(raw)
            b[i] ^= 1 << bit
            changed = TokenParts(bytes(b[:16]), int.from_bytes(b[16:20], "big"), bytes(b[20:]))
            with pytest.raises(BadToken):
                await verify_token(store.unsubscribe, format_token(changed), 30)


@pytest.mark.parametrize(
    "token",
    [
        "",
        ".",
        "abc",
        "a.b",
        "x" * 27 + "." + "y" * 21,
        "x" * 27 + "." + "y" * 23,
        "x" * 27 + "y" * 22,
        "x" * 27 + ".." + "y" * 22,
        "x" * 27 + "." + "y" * 22 + ".z",
        "x" * 27 + "+" + "y" * 22,
        "x" * 26 + "/." + "y" * 22,
        "\u00e9" * 27 + "." + "y" * 22,
        "x" * 5000,
    ],
)
async def test_malformed_tokens_are_refused(store: Store, token: str) -> None:
    await issue(store)
    with pytest.raises(BadToken) as e:
        await verify_token(store.unsubscribe, token, 30)
    assert str(e.value) == BAD_TOKEN


async def test_a_well_formed_unknown_link_is_refused(store: Store) -> None:
    token = await issue(store)
    parts = parse_token(token)
    forged = TokenParts(bytes(16), parts.key_id, parts.mac)
    with pytest.raises(BadToken):
        await verify_token(store.unsubscribe, format_token(forged), 30)
    unknown_key = TokenParts(parts.link_id, 999, parts.mac)
    with pytest.raises(BadToken):
        await verify_token(store.unsubscribe, format_token(unknown_key), 30)


@pytest.mark.parametrize(
    "column,value",
    [
        ("account", "other"),
        ("recipient", "jane@example.org"),
        ("topic", ""),
        ("message", "<m2@localhost>"),
    ],
)
async def test_the_signature_covers_each_value_of_the_link(
    store: Store, column: str, value: str
) -> None:
    token = await issue(store)
    await store.db.write(f"UPDATE unsubscribe_links SET {column} = ?", (value,))
    with pytest.raises(BadToken):
        await verify_token(store.unsubscribe, token, 30)


async def test_rotation_old_key_verifies_for_old_key_days_then_not(
    store: Store, clock: Clock
) -> None:
    old = await issue(store)
    old_key = await store.unsubscribe.current_key()
    new_key = await store.unsubscribe.rotate_key("test")
    assert new_key.id != old_key.id and new_key.secret != old_key.secret
    assert (await store.unsubscribe.current_key()).id == new_key.id
    new = await issue(store)
    assert parse_token(new).key_id == new_key.id
    clock.advance(timedelta(days=29, hours=23))
    await verify_token(store.unsubscribe, old, 30)
    clock.advance(timedelta(hours=2))
    with pytest.raises(BadToken):
        await verify_token(store.unsubscribe, old, 30)
    # The current key never runs out; a longer period would still take the old one.
    await verify_token(store.unsubscribe, new, 30)
    await verify_token(store.unsubscribe, old, 31)
    with pytest.raises(BadToken):
        await verify_token(store.unsubscribe, old, 0)
    keys = await store.unsubscribe.keys()
    assert [k.id for k in keys] == [new_key.id, old_key.id]
    assert keys[0].retired is None and keys[1].retired is not None


async def test_a_second_rotation_retires_only_the_current_key(store: Store, clock: Clock) -> None:
    first = await issue(store)
    await store.unsubscribe.rotate_key("test")
    clock.advance(timedelta(days=20))
    second = await issue(store)
    await store.unsubscribe.rotate_key("test")
    clock.advance(timedelta(days=20))
    with pytest.raises(BadToken):
        await verify_token(store.unsubscribe, first, 30)  # retired 40 days ago
    await verify_token(store.unsubscribe, second, 30)  # retired 20 days ago


def _encodings(text: str) -> set[str]:
    """text as it might hide in a URL: plain, cased, percent-encoded, base64 (standard and
    URL-safe, each of the three alignments, padded or not), base32, hex, rot13."""
    out = {
        text,
        text.lower(),
        text.upper(),
        urllib.parse.quote(text),
        urllib.parse.quote_plus(text),
    }
    raw = text.encode()
    for variant in (raw, raw.lower()):
        for shift in range(3):
            data = b"\0" * shift + variant
            for enc in (base64.b64encode, base64.urlsafe_b64encode):
                s = enc(data).decode()
                # Characters that do not depend on the unknown bytes before the text.
                skip = {0: 0, 1: 2, 2: 3}[shift]
                out.add(s[skip:].rstrip("=")[:-2])
        out.add(base64.b32encode(variant).decode().rstrip("="))
        out.add(binascii.hexlify(variant).decode())
    out.add(codecs.encode(text, "rot13"))
    return {s for s in out if len(s) >= 4}


@pytest.mark.parametrize(
    "address", [ADDRESS, "a.very.long.local.part.for.testing@subdomain.example.org", "jo@x.io"]
)
async def test_a_token_never_contains_the_address(store: Store, address: str) -> None:
    token = await issue(store, address)
    parts = parse_token(token)
    decoded = parts.link_id + parts.mac
    local, _, domain = address.partition("@")
    for piece in (address, local, domain, address.lower()):
        for form in _encodings(piece):
            assert form not in token, (piece, form)
            assert form.lower() not in token.lower(), (piece, form)
        assert piece.encode() not in decoded
    # Nothing but random bytes, a key number and a MAC: the same address gives unrelated tokens.
    other = await issue(store, address)
    assert parse_token(other).link_id != parts.link_id


@pytest.mark.parametrize(
    "address,masked",
    [
        ("john.doe@example.org", "j\u2022\u2022\u2022@example.org"),
        ("J@Example.ORG", "J\u2022\u2022\u2022@example.org"),
        ("j\u00fcrgen@b\u00fccher.example", "j\u2022\u2022\u2022@b\u00fccher.example"),
        ('"quoted local"@example.org', "q\u2022\u2022\u2022@example.org"),
        ("not an address", "\u2022\u2022\u2022@not an address"),
    ],
)
def test_mask_address(address: str, masked: str) -> None:
    assert mask_address(address) == masked


def test_cli_rotate_key_keeps_old_links_working(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "moxhooks.db"
    conf = tmp_path / "moxhooks.toml"
    conf.write_text(f'[database]\npath = "{db}"\n[unsubscribe]\nold_key_days = 7\n')

    async def link() -> str:
        store = await Store.open(str(db))
        try:
            return await issue(store)
        finally:
            await store.close()

    async def check(token: str) -> None:
        store = await Store.open(str(db))
        try:
            await verify_token(store.unsubscribe, token, 7)
        finally:
            await store.close()

    token = asyncio.run(link())
    assert main(["--config", str(conf), "unsubscribe", "rotate-key"]) == 0
    out = capsys.readouterr().out
    assert "key 2 now signs new unsubscribe links" in out
    assert "links signed with key 1 still work until" in out and "old_key_days = 7" in out
    asyncio.run(check(token))
    assert main(["--config", str(conf), "unsubscribe", "keys", "--json"]) == 0
    keys = json.loads(capsys.readouterr().out)
    assert [(k["id"], k["state"]) for k in keys] == [(2, "current"), (1, "verifies")]
    assert main(["--config", str(conf), "unsubscribe", "keys"]) == 0
    assert "verifies until" in capsys.readouterr().out


@pytest.mark.parametrize(
    "topics,error",
    [
        ([{"name": "News"}], "accounts[0].topics[0].name: 'News' is not a topic name"),
        ([{"name": "a" * 41}], "is not a topic name"),
        ([{"name": "a b"}], "is not a topic name"),
        (
            [{"name": "news"}, {"name": "news"}],
            "accounts[0].topics[1].name: topic 'news' is listed twice",
        ),
        ([{"description": "x"}], "accounts[0].topics[0].name: required key is missing"),
        ([{"name": "news", "colour": "red"}], "accounts[0].topics[0].colour: unknown key"),
        ([{"name": "news", "description": "a\nb"}], "no control characters"),
        ("news", "accounts[0].topics: must be a list"),
    ],
)
def test_bad_topics_are_reported_by_key(topics: Any, error: str) -> None:
    account = {"name": "mox", "login": "mox@localhost", "password": "x", "topics": topics}
    with pytest.raises(ConfigError) as e:
        config_from_dict({"accounts": [account]})
    assert error in str(e.value)


def test_topics_and_old_key_days_are_read() -> None:
    account = {
        "name": "mox",
        "login": "mox@localhost",
        "password": "x",
        "topics": [{"name": "news", "description": "The news"}, {"name": "offers_2"}],
    }
    cfg = config_from_dict({"accounts": [account], "unsubscribe": {"old_key_days": 3}})
    acct = cfg.accounts[0]
    assert [(t.name, t.description) for t in acct.topics] == [
        ("news", "The news"),
        ("offers_2", ""),
    ]
    assert acct.topic("offers_2") is not None and acct.topic("other") is None
    assert cfg.unsubscribe.old_key_days == 3
    with pytest.raises(ConfigError, match="unsubscribe.old_key_days: must not be negative"):
        config_from_dict({"unsubscribe": {"old_key_days": -1}})
