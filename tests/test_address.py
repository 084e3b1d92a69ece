"""Address rules: each case checked against mox's source (smtp/address.go, dns/dns.go,
queue/suppression.go)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from moxhooks.mail.address import (
    Address,
    AddressError,
    base_address,
    parse_address,
    quote_localpart,
    same_base,
)

# (input, str(parse_address(input)) as mox stores OriginalAddress, base address)
GOOD = [
    ("John.Doe+x@Gmail.com", "John.Doe+x@gmail.com", "johndoe@gmail.com"),
    ("Jürgen.M-x@Bücher.example", "Jürgen.M-x@bücher.example", "jürgenm@bücher.example"),
    ("user@xn--bcher-kva.example", "user@bücher.example", "user@bücher.example"),
    ("user@XN--BCHER-KVA.EXAMPLE", "user@bücher.example", "user@bücher.example"),
    ('"quoted.local"@example.org', "quoted.local@example.org", "quotedlocal@example.org"),
    ("a.b-c+d@example.org", "a.b-c+d@example.org", "ab@example.org"),
    ("a+b-c@example.org", "a+b-c@example.org", "a@example.org"),
    ("AB@EXAMPLE.ORG", "AB@example.org", "ab@example.org"),
    (
        '"<img src=x onerror=alert(1)>"@example.org',
        '"<img src=x onerror=alert(1)>"@example.org',
        '"<img src=x onerror=alert(1)>"@example.org',
    ),
    ('"a b"@example.org', '"a b"@example.org', '"a b"@example.org'),
    ('"a\\"b\\\\c"@example.org', '"a\\"b\\\\c"@example.org', '"a\\"b\\\\c"@example.org'),
    ('"a."@example.org', '"a."@example.org', "a@example.org"),
    # An empty localpart is valid in mox when quoted; so is an empty base localpart.
    ('""@example.org', '""@example.org', '""@example.org'),
    ("+tag@example.org", "+tag@example.org", '""@example.org'),
    ("-x@example.org", "-x@example.org", '""@example.org'),
    ("mox@localhost", "mox@localhost", "mox@localhost"),
    ("user@TEST☺.XMOX.NL", "user@test☺.xmox.nl", "user@test☺.xmox.nl"),  # UTS 46 allows ☺
    ("user@ℂᵤⓇℒ。𝐒🄴", "user@curl.se", "user@curl.se"),  # mox's own test case
    ("user@straße.de", "user@straße.de", "user@straße.de"),  # non-transitional: ß stays
    ("user@عربي.example", "user@عربي.example", "user@عربي.example"),
    # Found against the real mox (tests/test_realmox_address.py); mox uses Unicode 17 and
    # x/net/idna's Unicode 16+ rules.
    ("user@a≠b.org", "user@a≠b.org", "user@a≠b.org"),  # valid since UTS 46 version 16
    ("user@xn--.org", "user@.org", "user@.org"),  # an empty A-label decodes to nothing
    ("\ua7da@example.org", "\ua7da@example.org", "\ua7db@example.org"),  # cased in 16
    ("\u1c89@example.org", "\u1c89@example.org", "\u1c8a@example.org"),
    ("\ua7cb@example.org", "\ua7cb@example.org", "\u0264@example.org"),
    ("\U00010d50@example.org", "\U00010d50@example.org", "\U00010d70@example.org"),
    ("user@\ua7da.example", "user@\ua7db.example", "user@\ua7db.example"),
    # NFC with Unicode 17 compositions, and x/text/unicode/norm's quirks: it composes by
    # the low 16 bits of both runes, and puts a CGJ (U+034F) after 30 non-starters.
    ("\U0001611e\U0001611e@example.org", "\U00016121@example.org", "\U00016121@example.org"),
    ("\U00016d63\U00016d67@example.org", "\U00016d69@example.org", "\U00016d69@example.org"),
    ("\U00010041\u0301@example.org", "\u00c1@example.org", "\u00e1@example.org"),
    (
        "a" + "\u0316" * 31 + "@example.org",
        "a" + "\u0316" * 30 + "\u034f\u0316@example.org",
        "a" + "\u0316" * 30 + "\u034f\u0316@example.org",
    ),
    # Go's strings.ToLower is 1:1 per rune: "İ" -> "i", "Σ" -> "σ" even at a word's end.
    ("İstanbul@example.org", "İstanbul@example.org", "istanbul@example.org"),
    ("ΟΔΟΣ@example.org", "ΟΔΟΣ@example.org", "οδοσ@example.org"),
    ("STRASSE.ẞ@example.org", "STRASSE.ẞ@example.org", "strasseß@example.org"),
    ("e\u0301@example.org", "\u00e9@example.org", "\u00e9@example.org"),  # localpart NFC
    ("x" * 128 + "@example.org", "x" * 128 + "@example.org", "x" * 128 + "@example.org"),
    # Go's idna Lookup profile checks no lengths and no empty labels: mox accepts these.
    ("user@a..b", "user@a..b", "user@a..b"),
    ("user@", "user@", "user@"),
    ('""@', "", ""),
]


@pytest.mark.parametrize(("s", "original", "base"), GOOD)
def test_good(s: str, original: str, base: str) -> None:
    a = parse_address(s)
    assert str(a) == original
    assert base_address(s) == base
    assert base_address(a) == base


def test_fields() -> None:
    a = parse_address('"Quoted Local"@Bücher.Example')
    assert a == Address("Quoted Local", "bücher.example")
    assert a.domain_ascii == "xn--bcher-kva.example"


BAD = [
    ("", "invalid email address: invalid localpart: need at least one char for atom"),
    ("user", "invalid email address: expected @"),
    ("user@@example.com", "invalid email address: idna: to ascii: idna: disallowed rune U+0040"),
    (
        "@example.com",
        "invalid email address: invalid localpart: expected at least one char for atom, got char @",
    ),
    ("a b@example.org", "invalid email address: expected @"),
    (
        " user@example.org",
        "invalid email address: invalid localpart: expected at least one char for atom, got char  ",
    ),
    ("user@example.org ", "invalid email address: idna: to ascii: idna: disallowed rune U+0020"),
    (
        "a..b@example.org",
        "invalid email address: invalid localpart: expected at least one char for atom, got char .",
    ),
    (
        "a.@example.org",
        "invalid email address: invalid localpart: expected at least one char for atom, got char @",
    ),
    ('"abc@example.org', "invalid email address: invalid localpart: need another character"),
    ('"\\', "invalid email address: invalid localpart: need another character"),
    ('""leftover@example.org', "invalid email address: expected @"),
    (
        '"\x01"@example.org',
        "invalid email address: invalid localpart: invalid localpart, invalid character \x01",
    ),
    (
        '"\\\x01"@example.org',
        "invalid email address: invalid localpart: invalid localpart, bad escaped char \x01",
    ),
    (
        "\x00@example.org",
        (
            "invalid email address: invalid localpart: expected at least one char "
            "for atom, got char \x00"
        ),
    ),
    (
        "x" * 129 + "@example.org",
        "invalid email address: invalid localpart: localpart longer than 64 octets",
    ),
    (
        "ü" * 65 + "@example.org",
        "invalid email address: invalid localpart: localpart longer than 64 octets",
    ),
    ("user@example.org.", "invalid email address: dns name has trailing dot"),
    ("user@1.2.3.4", "invalid email address: ip address while name required"),
    ("user@::1", "invalid email address: ip address while name required"),
    ("user@[1.2.3.4]", "invalid email address: idna: to ascii: idna: disallowed rune U+005B"),
    ("user@ex_ample.org", "invalid email address: idna: to ascii: idna: disallowed rune U+005F"),
    # "⑴" maps to "(1)", whose "(" breaks the STD3 rules.
    ("user@⑴.org", "invalid email address: idna: to ascii: idna: disallowed rune U+0028"),
    # Found against the real mox: x/net/idna checks hyphens in every label, a disallowed
    # rune fails its label, an A-label may not decode to ASCII, the first error wins.
    ("user@ab--c.org", 'invalid email address: idna: to ascii: idna: invalid label "ab--c"'),
    ("user@xn--abc-.org", 'invalid email address: idna: to ascii: idna: invalid label "abc-"'),
    ("user@xn---.org", 'invalid email address: idna: to ascii: idna: invalid label "-"'),
    ("user@⒈com", 'invalid email address: idna: to ascii: idna: invalid label "⒈com"'),
    (
        "user@\u0378.example",
        'invalid email address: idna: to ascii: idna: invalid label "\\u0378"',
    ),
    (
        "user@mY-DOMAIn-.ex\tample",
        'invalid email address: idna: to ascii: idna: invalid label "my-domain-"',
    ),
    (
        "user@a" + "\u0301" * 31 + ".org",  # the CGJ norm inserts is ignored: not valid
        'invalid email address: idna: to ascii: idna: invalid label "\u00e1'
        + "\u0301" * 29
        + '\u034f\u0301"',
    ),
    ("user@-abc.org", 'invalid email address: idna: to ascii: idna: invalid label "-abc"'),
    ("user@abc-.org", 'invalid email address: idna: to ascii: idna: invalid label "abc-"'),
    ("user@xn--a.org", 'invalid email address: idna: to ascii: idna: invalid label "\\u0080"'),
    (
        "user@\u0301a.org",
        'invalid email address: idna: to ascii: idna: invalid label "\u0301a"',
    ),
    (
        "user@a\u200db.org",
        'invalid email address: idna: to ascii: idna: invalid label "a\\u200db"',  # Go's %q
    ),
    (
        "user@a1عربي.example",
        'invalid email address: idna: to ascii: idna: invalid label "a1عربي.example"',
    ),
    ("us\ud800er@example.org", "invalid email address: invalid utf-8"),
]


@pytest.mark.parametrize(("s", "message"), BAD)
def test_bad(s: str, message: str) -> None:
    with pytest.raises(AddressError) as e:
        parse_address(s)
    assert str(e.value) == message
    with pytest.raises(AddressError):
        base_address(s)


def test_pedantic_localpart_limit() -> None:
    # mox in pedantic mode (mox.conf Pedantic, as `mox localserve` sets it) allows 64 octets.
    assert str(parse_address("x" * 64 + "@example.org", pedantic=True)) == "x" * 64 + "@example.org"
    with pytest.raises(AddressError) as e:
        parse_address("ü" * 33 + "@example.org", pedantic=True)
    assert str(e.value) == (
        "invalid email address: invalid localpart: localpart longer than 64 octets"
    )
    assert base_address("x" * 100 + "@example.org") == "x" * 100 + "@example.org"
    with pytest.raises(AddressError):
        base_address("x" * 100 + "@example.org", pedantic=True)


def test_address_error_is_value_error() -> None:
    assert issubclass(AddressError, ValueError)


@pytest.mark.parametrize(
    ("localpart", "packed"),
    [  # mox's TestPackLocalpart
        ("", '""'),
        ("a.", '"a."'),
        ("a.b", "a.b"),
        ("azAZ09!#$%&'*+-/=?^_`{|}~", "azAZ09!#$%&'*+-/=?^_`{|}~"),
        (" ", '" "'),
        ("<>", '"<>"'),
        ("jürgen", "jürgen"),
    ],
)
def test_quote_localpart(localpart: str, packed: str) -> None:
    assert quote_localpart(localpart) == packed


def test_same_base() -> None:
    assert same_base("AB@EXAMPLE.ORG", "a.b-c+d@example.org")
    assert same_base(parse_address("user@xn--bcher-kva.example"), "User+x@Bücher.example")
    assert not same_base("ab@example.org", "ab@example.com")


# Hypothesis: localparts of atext (ASCII and some non-ASCII letters), domains of simple labels.
_ATEXT = st.sampled_from(list("abcxyzABCXYZ0189!#$%&'*/=?^_`{|}~") + list("äßéÅÜİΣω"))
_ATOMS = st.text(_ATEXT, min_size=1, max_size=8)
_LOCALPARTS = st.lists(_ATOMS, min_size=1, max_size=4).map(".".join)
_LABELS = st.text(st.sampled_from(list("abcxyz019ABCÜß")), min_size=1, max_size=10)
_DOMAINS = st.lists(_LABELS, min_size=1, max_size=3).map(".".join)


@st.composite
def _addresses(draw: st.DrawFn) -> str:
    return f"{draw(_LOCALPARTS)}@{draw(_DOMAINS)}"


@given(_addresses())
def test_base_address_idempotent(s: str) -> None:
    base = base_address(s)
    assert base_address(base) == base


def _simple(c: str, changed: str) -> str:
    # One-to-one case mapping as Go's unicode.ToUpper/ToLower: "ß".upper() is "SS" in Python.
    return "i" if c == "\u0130" else changed if len(changed) == 1 else c


@given(_addresses(), st.data())
def test_base_address_case_insensitive_in_localpart(s: str, data: st.DataObject) -> None:
    lp, domain = s.rsplit("@", 1)
    flips = data.draw(st.lists(st.booleans(), min_size=len(lp), max_size=len(lp)))
    variant = "".join(
        _simple(c, c.upper()) if up else _simple(c, c.lower()) for c, up in zip(lp, flips, strict=False)
    )
    assert base_address(f"{variant}@{domain}") == base_address(s)


@given(_LOCALPARTS, _DOMAINS)
def test_base_address_ignores_dots(lp: str, domain: str) -> None:
    assert base_address(f"{lp}@{domain}") == base_address(f"{lp.replace('.', '')}@{domain}")


@given(_LOCALPARTS.filter(lambda lp: "+" not in lp and "-" not in lp), _DOMAINS, _ATOMS)
def test_base_address_ignores_plus_tag(lp: str, domain: str, tag: str) -> None:
    assert base_address(f"{lp}+{tag}@{domain}") == base_address(f"{lp}@{domain}")


@given(_addresses())
def test_str_parses_back(s: str) -> None:
    a = parse_address(s)
    assert parse_address(str(a)) == a


@given(st.text())
def test_arbitrary_text_raises_only_address_error(s: str) -> None:
    try:
        a = parse_address(s)
    except AddressError:
        return
    base_address(a)
    str(a)


@given(st.text(st.characters(codec="utf-8"), max_size=30), st.text(max_size=30))
def test_arbitrary_parts_raise_only_address_error(lp: str, domain: str) -> None:
    for s in (f"{lp}@{domain}", f'"{lp}"@{domain}'):
        try:
            base_address(s)
        except AddressError:
            pass
