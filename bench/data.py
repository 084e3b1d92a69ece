"""Deterministic test data for the benchmarks: addresses, CSV files, webhook bodies."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

FIRST = (
    "john", "mary", "peter", "anna", "james", "linda", "robert", "susan", "michael", "karen",
    "david", "lisa", "jürgen", "sofia", "lukas", "emma", "noah", "olivia", "liam", "mia",
    "chen", "wei", "yuki", "hana", "omar", "fatima", "ivan", "olga", "pierre", "claire",
)  # fmt: skip
LAST = (
    "smith", "jones", "miller", "brown", "davis", "garcia", "wilson", "moore", "taylor",
    "müller", "schmidt", "schneider", "fischer", "weber", "meyer", "wagner", "becker",
    "dupont", "martin", "bernard", "rossi", "russo", "kowalski", "nowak", "tanaka", "sato",
)  # fmt: skip
BIG_DOMAINS = (
    "gmail.com", "outlook.com", "yahoo.com", "hotmail.com", "icloud.com", "gmx.de",
    "web.de", "proton.me", "aol.com", "mail.ru",
)  # fmt: skip

# Searches used by the list benchmark: one that matches a large share of the list, one
# that matches a handful of entries (planted by entries()), one that matches nothing.
COMMON_SEARCH = "gmail"
RARE_SEARCH = "zebracorn"
ABSENT_SEARCH = "qqqxqqq"
RARE_COUNT = 7


def address(rng: random.Random, i: int) -> str:
    """A plausible recipient address, unique by i."""
    first, last = rng.choice(FIRST), rng.choice(LAST)
    style = rng.randrange(4)
    local = (
        f"{first}.{last}{i}",
        f"{first[0]}{last}{i}",
        f"{first}_{i}",
        f"{first}.{last}{i}+news",
    )[style]
    if rng.random() < 0.6:
        domain = rng.choice(BIG_DOMAINS)
    else:
        domain = f"{rng.choice(LAST)}{rng.randrange(20000)}.example"
    return f"{local}@{domain}"


def addresses(n: int, seed: int = 42) -> Iterator[str]:
    """n unique addresses; RARE_COUNT of them, spread out, contain RARE_SEARCH."""
    rng = random.Random(seed)
    step = max(1, n // RARE_COUNT)
    for i in range(n):
        if i % step == step // 2 and i // step < RARE_COUNT:
            yield f"{RARE_SEARCH}{i}@example.org"
        else:
            yield address(rng, i)


def write_import_csv(path: Path, n: int, seed: int = 42) -> None:
    """An import file: address, kind, reason."""
    kinds = ("mailbox_unknown", "complaint", "manual", "domain_unknown", "unsubscribed")
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("address,kind,reason\n")
        for i, a in enumerate(addresses(n, seed)):
            f.write(f"{a},{kinds[i % len(kinds)]},imported for the benchmark\n")


def outgoing_body(webhook_id: int) -> bytes:
    """A mox-shaped Outgoing event: 9 in 10 delivered, 1 in 10 a 5.1.1 failure."""
    failed = webhook_id % 10 == 0
    code, secode, error = 0, "", ""
    if failed:
        code, secode = 550, "5.1.1"
        error = (
            "delivering message to 127.0.0.1:1025: remote smtp server sent unexpected response"
            " status code: got 550, expected 2xx, permanent: 550 5.1.1 no such user"
        )
    ev = {
        "Version": 0,
        "Event": "failed" if failed else "delivered",
        "DSN": False,
        "Suppressing": failed,
        "QueueMsgID": webhook_id,
        "FromID": "yNA_hS-0ZNhzV-C55FLyWg",
        "MessageID": f"<bench{webhook_id}@localhost>",
        "Subject": "Your order has shipped",
        "WebhookQueued": "2026-11-22T01:52:56.505784585Z",
        "SMTPCode": code,
        "SMTPEnhancedCode": secode,
        "Error": error,
        "Extra": {"recipient": f"rcpt{webhook_id}@example.org", "topic": "orders"},
    }
    return json.dumps(ev, separators=(",", ":")).encode()
