"""moxhooks' address rules against the real mox: thousands of addresses through SuppressionAdd.

Each generated address goes to the real mox webapi (SuppressionAdd, then SuppressionList),
never through moxhooks' client, and is compared with moxhooks.address:

- validity: mox's 400 badAddress against parse_address raising AddressError, and the
  error text: mox's Message is `parsing address %q: <error>`, the error being what
  AddressError says;
- for accepted addresses: mox's BaseAddress and OriginalAddress against
  base_address(parse_address(a)) and str(parse_address(a)).

The fake mox (tests/fakemox.py) is held to the same rules, so the same table checks it.

The addresses come from random.Random(SEED) (no hypothesis), so every run sends the same
ones. mox keeps one entry per base address: the addresses go in rounds in which no two
share a base as moxhooks computes it, and each round is removed again before the next.
A "not unique" answer therefore means mox found a base that moxhooks did not predict,
unless the base is one mox could not remove (listed in `stuck`).
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import json
import random
import time
import unicodedata
import urllib.parse
import urllib.request
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import fakemox
from realmox import RealMox

from moxhooks.mail.address import AddressError, base_address, parse_address

SEED = 20261122
COUNT = 2400  # addresses generated besides the fixed ones below
EMPTY_BASE = 'must be nonzero: "BaseAddress"'
NOT_UNIQUE = 'updating indices for inserted value: not unique: "Account+BaseAddress"'

# ---- The addresses ------------------------------------------------------------------------

# Hand-picked cases: the rules' corners. The generator adds random ones around them.
FIXED = [
    "John.Doe+x@Gmail.com",
    "Jürgen.M-x@Bücher.example",
    "user@xn--bcher-kva.example",
    "user@XN--BCHER-KVA.EXAMPLE",
    '"quoted.local"@example.org',
    '"a b"@example.org',
    '"a\\"b\\\\c"@example.org',
    '"a."@example.org',
    '".a"@example.org',
    '""@example.org',
    '""@',
    "user@",
    "+tag@example.org",
    "-x@example.org",
    "a+b-c@example.org",
    "a-b+c@example.org",
    "mox@localhost",
    "user@TEST☺.XMOX.NL",
    "user@ℂᵤⓇℒ。𝐒🄴",
    "user@straße.de",
    "user@STRAẞE.de",
    "user@عربي.example",
    "user@a1عربي.example",
    "user@ab--c.org",
    "user@xn--abc-.org",
    "user@xn--.org",
    "user@xn---.org",
    "user@xn--a.org",
    "user@xn--ls8h.la",
    "user@a..b",
    "user@.example.org",
    "user@example.org.",
    "user@example。",
    "user@⒈com",
    "user@⑴.org",
    "user@a≠b.org",
    "user@a\u200db.org",
    "user@\u0301a.org",
    "user@ex\u00adample.org",
    "user@1.2.3.4",
    "user@01.2.3.4",
    "user@1.2.3",
    "user@::1",
    "user@::ffff:1.2.3.4",
    "user@fe80::1%eth0",
    "user@[1.2.3.4]",
    "İstanbul@example.org",
    "ΟΔΟΣ@example.org",
    "STRASSE.ẞ@example.org",
    "e\u0301@example.org",
    "\u212a\u2126\u212b@example.org",
    "ǅ@example.org",
    "\u1c89@example.org",
    "\ua7da@example.org",
    "\U00010d50@example.org",
    "\U00016ea0@example.org",
    "\U0001611e\U0001611e@example.org",
    "\U00016d63\U00016d67@example.org",
    "user@\ua7da.example",
    "user@\U00010d50.example",
    "user@\u0378.example",
    "x" * 128 + "@example.org",
    "x" * 129 + "@example.org",
    "x" * 127 + "ü@example.org",
    "",
    "user",
    "@example.org",
    "user@@example.org",
    "a..b@example.org",
    "a.@example.org",
    ".a@example.org",
    '"abc@example.org',
    '""leftover@example.org',
    '"\\ü"@example.org',
    '"\x7f"@example.org',
    '"\\\x7f"@example.org',
    "us\x00er@example.org",
    "user@exa mple.org",
    "user@ex_ample.org",
]

_ATEXT_SPECIALS = "!#$%&'*/=?^_`{|}~"
_WORDS = [
    "john",
    "jane",
    "doe",
    "mary",
    "info",
    "support",
    "noreply",
    "bounce",
    "admin",
    "postmaster",
    "news",
    "sales",
    "mail",
    "x",
    "a1",
    "user",
    "test",
    "abc",
    "zz9",
]
_TAGS = ["x", "tag", "news", "2024", "a.b", "A", "", "-", "+", "foo-bar", "x+y", "ü"]
# Letters whose case or normal form is special: Turkish I, final sigma, sharp s, title
# case digraphs, compatibility signs (Kelvin, Ohm, Angstrom), decomposed accents, scripts
# with case (Greek, Cyrillic, Armenian, Georgian, Cherokee, Deseret, Adlam), and letters
# cased or assigned only in Unicode 15 to 17 (mox is built with Unicode 17 tables).
_UNICODE_LETTERS = [
    "ä",
    "Ä",
    "ö",
    "Ö",
    "ü",
    "Ü",
    "ß",
    "ẞ",
    "é",
    "É",
    "e\u0301",
    "E\u0301",
    "a\u0308",
    "İ",
    "ı",
    "I",
    "Σ",
    "σ",
    "ς",
    "Ο",
    "Δ",
    "ǅ",
    "Ǆ",
    "ǆ",
    "ﬀ",
    "ﬁ",
    "\u212a",
    "\u2126",
    "\u212b",
    "Ж",
    "ж",
    "Ё",
    "Ա",
    "ա",
    "Ა",
    "ა",
    "Ꭰ",
    "ꭰ",
    "𐐀",
    "𐐨",
    "𞤀",
    "𞤢",
    "日",
    "本",
    "中",
    "😀",
    "👍🏽",
    "ع",
    "ر",
    "ب",
    "א",
    "ש",
    "क",
    "्",
    "ष",
    "\u200c",
    "\u200d",
    "\u00ad",
    "\u00a0",
    "\u3000",
    "\ue000",
    "\u0378",
    "\ufffd",
    "\uffff",
    "\u1c89",
    "\u1c8a",
    "\ua7cb",
    "\ua7cc",
    "\ua7da",
    "\ua7db",
    "\ua7dc",
    "\U00010d50",
    "\U00010d70",
    "\U00016ea0",
    "\U00016ebb",
    "\u1acf",
    "\U0001611e",
    "\U0001611f",
    "\U00016d63",
    "\U00016d67",
    "\U00011f04",
    "\U0001e4d0",
    "\U0002ebf0",
    "\u0897",
    "\U0001fae9",
]
_ASCII_LABELS = ["example", "mail", "gmail", "host-1", "a", "x1", "my-domain", "123", "b2b"]
_TLDS = ["org", "com", "net", "de", "example", "nl", "io", "COM", "Org", "localhost"]
_UNICODE_LABELS = [
    "bücher",
    "münchen",
    "straße",
    "日本",
    "пример",
    "рф",
    "ПРИМЕР",
    "BÜCHER",
    "☺",
    "😀",
    "عربي",
    "עברית",
    "١٢٣",
    "ελληνικά",
    "ΕΛΛΗΝΙΚΆ",
    "ǅemal",
    "ǆemal",
    "ｅｘａｍｐｌｅ",
    "ℂᵤⓇℒ",
    "𝐒🄴",
    "㎏",
    "ﬀ",
    "½",
    "ɑ",
    "ꟛ",
    "\ua7da",
    "\U00010d50",
    "\U00016ea0",
    "ex\u00adample",
    "a\u200cb",
    "क्\u200cष",
    "i\u0307",
    "İ",
    "e\u0301",
    "ⓐⓑ",
    "한국",
    "ไทย",
    "\u0378x",
    "x\ue000",
    "\U0001fae9",
]
_PUNY_SOURCES = [
    "bücher",
    "münchen",
    "日本",
    "пример",
    "☺",
    "😀",
    "عربي",
    "straße",
    "ꟛ",
    "\U00010d70",
    "Bücher",
    "a@ü",
    "e\u0301ü",
    "\u0301ü",
    "ab--ü",
    "ü-",
    "-ü",
    "ü\u200d",
    "ü.x",
    "üA",
    "\u0378ü",
    "i\u0307ü",
    "a1عربي",
]
_DOMAIN_SEPARATORS = [".", ".", ".", ".", "。", "．", "｡"]
_IPS = ["1.2.3.4", "127.0.0.1", "::1", "1::2", "01.2.3.4", "1.2.3", "256.1.1.1", "::ffff:1.2.3.4"]
# Characters that break or bend addresses, inserted at random places.
_NOISE = list(' \t\n\r\x00\x01\x7f"\\()<>[]:;,@.+-_%') + ["\u0085", "\u200b", "\u2028", "ü"]


def _case(rng: random.Random, s: str) -> str:
    mode = rng.randrange(4)
    if mode == 0:
        return s
    if mode == 1:
        return s.upper()
    if mode == 2:
        return s.capitalize()
    return "".join(c.upper() if rng.random() < 0.5 else c for c in s)


def _ascii_localpart(rng: random.Random) -> str:
    lp = ".".join(_case(rng, rng.choice(_WORDS)) for _ in range(rng.randint(1, 3)))
    for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
        lp += rng.choice("+-") + rng.choice(_TAGS)
    if rng.random() < 0.15:
        lp += rng.choice(_ATEXT_SPECIALS) + rng.choice(_WORDS)
    return lp


def _unicode_localpart(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(1, 3)):
        atom = "".join(rng.choice(_UNICODE_LETTERS) for _ in range(rng.randint(1, 5)))
        if rng.random() < 0.3:
            atom = rng.choice(_WORDS) + atom
        parts.append(atom)
    sep = rng.choice([".", ".", "+", "-", ""])
    lp = sep.join(parts)
    if rng.random() < 0.3:
        lp += rng.choice("+-") + rng.choice(_TAGS + _UNICODE_LETTERS)
    return lp


def _quoted_localpart(rng: random.Random) -> str:
    pieces = [
        " ",
        ".",
        "..",
        '\\"',
        "\\\\",
        "@",
        "+",
        "-",
        ",",
        "(",
        ")",
        "<",
        ">",
        ":",
        ";",
        "[",
        "]",
        "\\a",
        "\\ ",
        "ü",
        "İ",
        "Σ",
        "日",
        "\u200d",
        "\\.",
        "'",
        "\t",
    ]
    body = ""
    for _ in range(rng.randint(0, 6)):
        body += rng.choice(pieces) if rng.random() < 0.5 else _case(rng, rng.choice(_WORDS))
    return '"' + body + '"'


def _domain(rng: random.Random) -> str:
    kind = rng.randrange(10)
    if kind <= 3:
        labels = [_case(rng, rng.choice(_ASCII_LABELS)) for _ in range(rng.randint(0, 2))]
        return ".".join([*labels, rng.choice(_TLDS)])
    if kind <= 6:
        labels = [rng.choice(_UNICODE_LABELS) for _ in range(rng.randint(1, 2))]
        if rng.random() < 0.3:
            labels = [_case(rng, x) for x in labels]
        out = labels[0]
        for x in [*labels[1:], rng.choice(_TLDS)]:
            out += rng.choice(_DOMAIN_SEPARATORS) + x
        return out
    if kind <= 8:
        source = rng.choice(_PUNY_SOURCES)
        label = "xn--" + source.encode("punycode").decode("ascii")
        if rng.random() < 0.3:
            label = label.upper()
        return f"{rng.choice(['', 'mail.'])}{label}.{rng.choice(_TLDS)}"
    odd = [
        "localhost",
        "a..b",
        ".example.org",
        "example.org.",
        "",
        "x" * 64 + ".org",
        ".".join(["abcdefghij"] * 30),
        "ab--cd.org",
        "-ab.org",
        "ab-.org",
        "a_b.org",
        "xn--.org",
        "xn--zz.org",
        "xn--abc-.org",
        "[1.2.3.4]",
        "a:b.org",
        "a/b.org",
        "EXAMPLE.ORG",
        "exa mple.org",
    ]
    return rng.choice(odd + _IPS)


def _corrupt(rng: random.Random, s: str) -> str:
    for _ in range(rng.randint(1, 2)):
        i = rng.randint(0, len(s))
        s = s[:i] + rng.choice(_NOISE) + s[i:]
    return s


def _long_localpart(rng: random.Random) -> str:
    ch = rng.choice(["x", "ü", "日", "😀", "e\u0301"])
    width = len(ch.encode())
    n = 128 // width + rng.choice([-1, 0, 0, 1])
    return ch * n


def generate(seed: int = SEED, count: int = COUNT) -> list[str]:
    """FIXED plus count random addresses, without duplicates, always the same for a seed."""
    rng = random.Random(seed)
    makers: list[tuple[int, Callable[[random.Random], str]]] = [
        (30, lambda r: f"{_ascii_localpart(r)}@{_domain(r)}"),
        (20, lambda r: f"{_unicode_localpart(r)}@{_domain(r)}"),
        (12, lambda r: f"{_quoted_localpart(r)}@{_domain(r)}"),
        (4, lambda r: f"{_long_localpart(r)}@{_domain(r)}"),
        (14, lambda r: _corrupt(r, f"{_ascii_localpart(r)}@{_domain(r)}")),
        (8, lambda r: _corrupt(r, f"{_unicode_localpart(r)}@{_domain(r)}")),
        (6, lambda r: _corrupt(r, f"{_quoted_localpart(r)}@{_domain(r)}")),
    ]
    weights = [w for w, _ in makers]
    out = list(dict.fromkeys(FIXED))
    seen = set(out)
    while len(out) < len(FIXED) + count:
        ((_, make),) = rng.choices(makers, weights)
        s = make(rng)
        if s not in seen:
            seen.add(s)
            out.append(s)
    return out


# ---- Talking to mox -----------------------------------------------------------------------

# mox's HTTP server allows 1000 requests a minute from one IP address (5000 an hour; a /26
# 3000 and a /21 9000 a minute: http/web.go limiterConnectionrate). This test makes about
# 5000, so its requests come from a new loopback address, in a /21 of its own, every
# REQUESTS_PER_SOURCE requests. They still go through RealMox.webapi_raw (urllib).
REQUESTS_PER_SOURCE = 500


class _RotatingSourceHandler(urllib.request.HTTPHandler):
    def __init__(self) -> None:
        super().__init__()
        self.requests = 0

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        n = self.requests // REQUESTS_PER_SOURCE
        self.requests += 1
        source = f"127.{200 + n // 32}.{(n % 32) * 8}.1"
        connection = functools.partial(http.client.HTTPConnection, source_address=(source, 0))
        return self.do_open(connection, req)


@contextlib.contextmanager
def _rotating_source_addresses() -> Iterator[None]:
    urllib.request.install_opener(urllib.request.build_opener(_RotatingSourceHandler()))
    try:
        yield
    finally:
        urllib.request.install_opener(None)


def _webapi(mox: RealMox, method: str, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    body = urllib.parse.urlencode({"request": json.dumps(request)}).encode()
    status, _, data = mox.webapi_raw(method, body)
    result: dict[str, Any] = json.loads(data)
    return status, result


@dataclass
class Verdict:
    """What one implementation says about an address: valid with (base, original), or an error."""

    valid: bool
    base: str = ""
    original: str = ""
    error: str = ""  # mox: its message, `parsing address "...": ...`; ours: AddressError's text

    def describe(self) -> str:
        if self.valid:
            return f"valid base={self.base!r} original={self.original!r}"
        return f"invalid {self.error!r}"


def mox_pedantic(mox: RealMox) -> bool:
    """Whether mox runs in pedantic mode (localserve does): localparts of 64 octets at most."""
    conf = (mox.dir / "config" / "mox.conf").read_text()
    return any(line.strip() == "Pedantic: true" for line in conf.splitlines())


def moxhooks_verdict(a: str, pedantic: bool = False) -> Verdict:
    try:
        parsed = parse_address(a, pedantic=pedantic)
    except AddressError as e:
        return Verdict(False, error=str(e))
    return Verdict(True, base_address(parsed), str(parsed))


def fakemox_verdict(a: str) -> Verdict:
    try:
        lp, dom = fakemox.parse_address(a)
    except fakemox.AddressError as e:
        return Verdict(False, error=str(e))
    return Verdict(True, fakemox.base_address(lp, dom), fakemox.address_string(lp, dom))


@dataclass
class MoxRun:
    """mox's verdicts, gathered round by round."""

    verdicts: dict[int, Verdict] = field(default_factory=dict)
    surprises: list[str] = field(default_factory=list)  # answers no rule explains
    stuck: set[str] = field(default_factory=set)  # bases mox could not remove again
    rounds: int = 0
    requests: int = 0


def ask_mox(mox: RealMox, addresses: list[str], predicted: list[str | None]) -> MoxRun:
    """Add every address to mox's suppression list, in rounds of distinct predicted bases."""
    run = MoxRun()
    # Round r takes the r-th address of each predicted base; addresses moxhooks rejects
    # have no base and go in the first round.
    by_base: dict[str | None, list[int]] = defaultdict(list)
    for i, base in enumerate(predicted):
        by_base[base if base is not None else f"\0invalid{i}"].append(i)
    rounds: list[list[int]] = []
    for group in by_base.values():
        for r, i in enumerate(group):
            if r == len(rounds):
                rounds.append([])
            rounds[r].append(i)
    pending = rounds.pop(0) if rounds else []
    while pending:
        run.rounds += 1
        retry: list[int] = []
        added: set[int] = set()
        for i in pending:
            status, answer = _webapi(
                mox,
                "SuppressionAdd",
                {"EmailAddress": addresses[i], "Manual": True, "Reason": str(i)},
            )
            run.requests += 1
            if status == 200:
                added.add(i)
            elif answer.get("Code") == "badAddress":
                run.verdicts[i] = Verdict(False, error=str(answer.get("Message")))
            elif answer.get("Message") == EMPTY_BASE:
                # mox parsed it, but bstore refuses the empty base of the zero path ""@.
                run.verdicts[i] = Verdict(True, "", "")
            elif answer.get("Message") == NOT_UNIQUE:
                retry.append(i)  # its base is taken in this round: try again in a later one
            else:
                run.surprises.append(f"{addresses[i]!r}: SuppressionAdd {status} {answer}")
        _, listing = _webapi(mox, "SuppressionList", {})
        run.requests += 1
        for sup in listing["Suppressions"]:
            i = int(sup["Reason"])
            if i in added:
                run.verdicts[i] = Verdict(True, sup["BaseAddress"], sup["OriginalAddress"])
                added.discard(i)
        for i in added:
            run.surprises.append(f"{addresses[i]!r}: added, but not in SuppressionList")
        # Clear the list for the next round: remove by the original address (same base).
        for sup in listing["Suppressions"]:
            if sup["BaseAddress"] in run.stuck:
                continue
            status, _ = _webapi(mox, "SuppressionRemove", {"EmailAddress": sup["OriginalAddress"]})
            run.requests += 1
        _, listing = _webapi(mox, "SuppressionList", {})
        run.requests += 1
        run.stuck |= {sup["BaseAddress"] for sup in listing["Suppressions"]}
        # An address refused as "not unique" whose base stays taken can never be added.
        for i in list(retry):
            if predicted[i] in run.stuck:
                retry.remove(i)
                run.verdicts[i] = Verdict(
                    True, str(predicted[i]), "(base taken by an entry mox cannot remove)"
                )
        later = rounds.pop(0) if rounds else []
        if retry and not later and set(retry) == set(pending):
            for i in retry:  # no progress: mox keeps refusing; report instead of looping
                run.surprises.append(f"{addresses[i]!r}: not unique in an otherwise empty round")
            break
        pending = retry + later
    return run


def _compare(
    addresses: list[str], mox_says: dict[int, Verdict], verdict: Callable[[str], Verdict]
) -> tuple[int, int, int, list[tuple[str, str]]]:
    """(checked, agreeing on validity/base/original, agreeing on error texts, mismatches)."""
    agree = texts = 0
    mismatches: list[tuple[str, str]] = []
    for i, a in enumerate(addresses):
        theirs = mox_says.get(i)
        if theirs is None:
            continue
        ours = verdict(a)
        if theirs.original.startswith("(base taken"):
            same = ours.valid and ours.base == theirs.base
        elif theirs.valid:
            same = ours.valid and (ours.base, ours.original) == (theirs.base, theirs.original)
        else:
            same = not ours.valid
        if same:
            agree += 1
        # mox's message is `parsing address %q: <error>`; the error is what AddressError says.
        if same and (theirs.valid or theirs.error.endswith(f": {ours.error}")):
            texts += 1
        elif same:
            mismatches.append((a, f"{a!r}: error text: mox {theirs.error!r}, ours {ours.error!r}"))
        else:
            mismatches.append((a, f"{a!r}: mox {theirs.describe()}, ours {ours.describe()}"))
    return len([i for i in range(len(addresses)) if i in mox_says]), agree, texts, mismatches


def _figure(what: str, n: int, agree: int, texts: int) -> str:
    return (
        f"{what} agreement with mox: {agree}/{n} ({100 * agree / max(n, 1):.2f}%), "
        f"error texts {texts}/{n} ({100 * texts / max(n, 1):.2f}%)"
    )


def test_addresses_agree_with_real_mox(realmox: RealMox) -> None:
    started = time.monotonic()
    addresses = generate()
    assert len(addresses) >= 2000
    pedantic = mox_pedantic(realmox)
    verdict = functools.partial(moxhooks_verdict, pedantic=pedantic)
    ours = [verdict(a) for a in addresses]
    with _rotating_source_addresses():
        run = ask_mox(realmox, addresses, [v.base if v.valid else None for v in ours])
    elapsed = time.monotonic() - started

    n, agree, texts, mismatches = _compare(addresses, run.verdicts, verdict)
    fn, fagree, ftexts, fmismatches = _compare(addresses, run.verdicts, fakemox_verdict)
    # The fake imports nothing from moxhooks, so it has Python's Unicode data (14.0 on
    # Python 3.11), not mox's Unicode 17: it is held to mox only where that suffices.
    fmismatches_known = [
        m for a, m in fmismatches if not any(unicodedata.category(c) == "Cn" for c in a)
    ]
    valid = sum(v.valid for v in run.verdicts.values())
    summary = (
        f"base address {_figure('', n, agree, texts).lstrip()} "
        f"[{len(addresses)} addresses, {valid} valid in mox, {run.rounds} rounds, "
        f"{run.requests} requests, {len(run.stuck)} stuck, {elapsed:.1f} s, seed {SEED}, "
        f"pedantic {pedantic}]; "
        f"fakemox: {_figure('', fn, fagree, ftexts).lstrip()}"
    )
    print(f"\n{summary}")
    for _, m in mismatches[:40]:
        print("  moxhooks:", m)
    for _, m in fmismatches[:20]:
        print("  fakemox:", m)

    problems = run.surprises + [
        f"no answer from mox for {a!r}" for i, a in enumerate(addresses) if i not in run.verdicts
    ]
    assert not problems, f"{summary}\n" + "\n".join(problems[:20])
    assert not mismatches, f"{summary}\nfirst mismatches:\n" + "\n".join(
        m for _, m in mismatches[:20]
    )
    assert not fmismatches_known, f"{summary}\nfirst fakemox mismatches:\n" + "\n".join(
        fmismatches_known[:20]
    )
