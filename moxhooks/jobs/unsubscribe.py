"""Signed unsubscribe links: tokens, their verification, and the masked address a page shows.

A token is two base64url parts joined by ".":

    base64url(link id (16 random bytes) + key id (4 bytes, big-endian))
    base64url(HMAC-SHA256(key, link id | account | recipient | topic | message)[:16])

The link id names a row (store/unsubscribe.py) holding account, recipient, topic and
message; the MAC binds the token to exactly those, under a key of the unsubscribe_keys
table. So a token names no address in any encoding, cannot be guessed (128 random bits),
and cannot be moved to another address, topic or message (the row's values are signed).
Keys rotate (`moxhooks unsubscribe rotate-key`); a retired key still verifies for
unsubscribe.old_key_days, then its links are refused. Only hmac, hashlib and secrets.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from moxhooks.errors import MoxhooksError
from moxhooks.mail.address import AddressError, parse_address
from moxhooks.store import UnsubscribeStore, parse_iso
from moxhooks.store.unsubscribe import Link, SigningKey

__all__ = [
    "BadToken",
    "TokenParts",
    "format_token",
    "issue_link",
    "link_path",
    "mask_address",
    "parse_token",
    "sign",
    "verify_token",
]

LINK_ID_BYTES = 16
KEY_ID_BYTES = 4
MAC_BYTES = 16
# One answer for every refused token: which check failed is nobody's business.
BAD_TOKEN = (
    "this unsubscribe link is not valid: it may be cut off or mistyped, or too old;"
    " use the link in a newer message"
)
_B64URL = re.compile(r"[A-Za-z0-9_-]+")
# Lengths of the two parts: 20 and 16 bytes, unpadded.
_HEAD_CHARS = 27
_MAC_CHARS = 22


class BadToken(MoxhooksError):
    """A token that is malformed, unknown, forged, or signed by a key past its time."""

    def __init__(self) -> None:
        super().__init__(BAD_TOKEN)


@dataclass(frozen=True)
class TokenParts:
    """What a token carries."""

    link_id: bytes  # 16 bytes
    key_id: int
    mac: bytes  # 16 bytes


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str, chars: int) -> bytes:
    """Decode unpadded base64url of exactly chars characters; only the canonical form (a
    changed unused bit in the last character is refused, so no two tokens mean the same)."""
    if len(text) != chars or not _B64URL.fullmatch(text):
        raise BadToken
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise BadToken from None
    if _b64encode(data) != text:
        raise BadToken
    return data


def sign(
    key: bytes, link_id: bytes, account: str, recipient: str, topic: str, message: str
) -> bytes:
    """The MAC of a link: HMAC-SHA256 over its id and values (each length-prefixed, so no
    two different tuples give the same input), cut to MAC_BYTES."""
    h = hmac.new(key, digestmod=hashlib.sha256)
    for part in (link_id, account.encode(), recipient.encode(), topic.encode(), message.encode()):
        h.update(len(part).to_bytes(4, "big"))
        h.update(part)
    return h.digest()[:MAC_BYTES]


def format_token(parts: TokenParts) -> str:
    """The token text of parts."""
    head = parts.link_id + parts.key_id.to_bytes(KEY_ID_BYTES, "big")
    return f"{_b64encode(head)}.{_b64encode(parts.mac)}"


def parse_token(token: str) -> TokenParts:
    """The parts of a token; BadToken if it is not one."""
    head, sep, mac = token.partition(".")
    if not sep:
        raise BadToken
    raw = _b64decode(head, _HEAD_CHARS)
    return TokenParts(
        raw[:LINK_ID_BYTES],
        int.from_bytes(raw[LINK_ID_BYTES:], "big"),
        _b64decode(mac, _MAC_CHARS),
    )


def link_path(token: str) -> str:
    """The path of a token's link: /u/<token>."""
    return f"/u/{token}"


async def issue_link(
    store: UnsubscribeStore, account: str, recipient: str, topic: str, message: str
) -> tuple[Link, str]:
    """A new link for (account, recipient, topic, message), signed with the current key:
    the link and its token."""
    key = await store.current_key()
    link_id = secrets.token_bytes(LINK_ID_BYTES)
    await store.add_link(link_id, account, recipient, topic, message)
    link = await store.link(link_id)
    assert link is not None
    mac = sign(key.secret, link_id, account, recipient, topic, message)
    return link, format_token(TokenParts(link_id, key.id, mac))


# Signs the stand-in of an unknown link, so a refusal takes as long as a check.
_DUMMY_KEY = secrets.token_bytes(32)


async def verify_token(store: UnsubscribeStore, token: str, old_key_days: int) -> Link:
    """The link a token stands for; BadToken if it is malformed, unknown, forged, or signed
    with a key retired more than old_key_days ago. The MAC is compared in constant time."""
    parts = parse_token(token)
    key = await store.key(parts.key_id)
    link = await store.link(parts.link_id)
    usable = key is not None and _key_valid(key, store, old_key_days)
    secret = key.secret if key is not None else _DUMMY_KEY
    if link is None:
        expected = sign(secret, parts.link_id, "", "", "", "")
    else:
        expected = sign(secret, link.id, link.account, link.recipient, link.topic, link.message)
    same = hmac.compare_digest(expected, parts.mac)
    if not (same and usable and link is not None):
        raise BadToken
    return link


def _key_valid(key: SigningKey, store: UnsubscribeStore, old_key_days: int) -> bool:
    if key.retired is None:
        return True
    return store.clock() < parse_iso(key.retired) + timedelta(days=old_key_days)


def mask_address(address: str) -> str:
    """The address as a page shows it to whoever holds the link: the local part's first
    character, then dots; the domain in full. "john.doe@example.org" -> "j•••@example.org"."""
    try:
        a = parse_address(address)
        local, domain = a.localpart, a.domain
    except AddressError:
        local, _, domain = address.rpartition("@")
    first = local[:1] if local else ""
    return f"{first}\u2022\u2022\u2022@{domain}"
