"""Email addresses exactly as mox parses, prints and simplifies them.

mox and moxhooks must agree on every address, or the two suppression lists
drift apart. This module ports mox's rules rather than approximating them:

- parse_address is smtp.ParseAddress (smtp/address.go): a dot-atom or quoted
  localpart (UTF-8 allowed, NFC-normalised, at most 128 octets, or 64 when mox
  runs in pedantic mode, as `mox localserve` does), "@", and a domain parsed by
  dns.ParseDomain (dns/dns.go): not an IP address, then golang.org/x/net/idna's
  Lookup profile with its Unicode 16+ rules: UTS #46 non-transitional mapping,
  then per label, in order, the hyphen rules, rune validity (a disallowed rune
  fails its label, an ASCII rune outside [a-z0-9-] is a "disallowed rune"), no
  leading mark, the joiner rules, and at the end the bidi rule; the first error
  wins. No DNS length checks.
- str(Address) is smtp.Path.XString(true): the localpart quoted when needed
  (smtp.Localpart.String), "@", the lower-case Unicode domain.
- base_address is baseAddress (queue/suppression.go): cut at "+", then at "-",
  drop dots, strings.ToLower (Go's simple per-rune lower case).

mox v0.0.17 is built with Go 1.27, so all its Unicode data is Unicode 17. The
properties that decide an address (lower case, canonical combining classes and
the compositions Python's unicodedata lacks, bidi classes, joining types and
marks, printability for %q, which code points are assigned) come from
moxhooks._moxunicode, dumped from mox's own Go packages. The UTS #46 mapping is
the idna package's (its tables agree with mox's for every code point assigned in
Unicode 17; the ones assigned later are disallowed for mox), and NFC is Python's
for text whose characters Python and Unicode 17 both know (normalisation is
stable for assigned characters). email_validator is not used: it rejects
addresses mox accepts (""@example.org, user@localhost, user@test☺.example) and
its messages differ.
"""

from __future__ import annotations

import bisect
import functools
import ipaddress
import unicodedata
from dataclasses import dataclass
from typing import Any

import idna
from idna.core import uts46_remap

from moxhooks.mail._moxunicode import TABLES


class AddressError(ValueError):
    """An address mox would refuse; the message is mox's, e.g. "invalid email address: expected @"."""


# Characters allowed unquoted in a dot-atom localpart, besides letters, digits and non-ASCII.
_ATEXT_SPECIALS = frozenset("!#$%&'*+-/=?^_`{|}~")
_MAX_LOCALPART_OCTETS = 128  # mox allows 128, more than RFC 5321's 64, for bounce addresses.
_MAX_LOCALPART_OCTETS_PEDANTIC = 64  # mox's Pedantic setting (localserve sets it).
_ACE_PREFIX = "xn--"
_ZWNJ = "\u200c"
_ZWJ = "\u200d"
_GO_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
}


@dataclass(frozen=True)
class Address:
    """A parsed address: the unquoted, NFC localpart and the lower-case Unicode domain."""

    localpart: str  # Unquoted, case kept, e.g. "John.Doe+x" or "quoted local".
    domain: str  # Lower case, IDNA A-labels decoded, e.g. "bücher.example".

    def __str__(self) -> str:
        return _pack(self.localpart, self.domain)

    @property
    def domain_ascii(self) -> str:
        """The domain with A-labels, for DNS lookups, e.g. "xn--bcher-kva.example"."""
        return ".".join(
            label if label.isascii() else _ACE_PREFIX + label.encode("punycode").decode("ascii")
            for label in self.domain.split(".")
        )


def parse_address(s: str, *, pedantic: bool = False) -> Address:
    """Parse s like mox's smtp.ParseAddress; raise AddressError with mox's message.

    pedantic is mox's Pedantic setting (mox.conf; on in `mox localserve`): localparts
    of at most 64 octets instead of 128.
    """
    if any("\ud800" <= c <= "\udfff" for c in s):
        # Not representable in UTF-8; Go strings never hold these.
        raise AddressError("invalid email address: invalid utf-8")
    try:
        localpart, rest = _parse_localpart(s, pedantic)
    except _ParseError as e:
        raise AddressError(f"invalid email address: invalid localpart: {e}") from None
    if not rest.startswith("@"):
        raise AddressError("invalid email address: expected @")
    try:
        domain = _parse_domain(rest[1:])
    except _ParseError as e:
        raise AddressError(f"invalid email address: {e}") from None
    return Address(localpart, domain)


def base_address(address: str | Address, *, pedantic: bool = False) -> str:
    """mox's base address: localpart cut at "+" then "-", dots removed, lower-cased."""
    a = parse_address(address, pedantic=pedantic) if isinstance(address, str) else address
    lp = a.localpart.split("+", 1)[0]
    lp = lp.split("-", 1)[0]
    lp = lp.replace(".", "")
    return _pack(_go_lower(lp), a.domain)


def same_base(a: str | Address, b: str | Address) -> bool:
    """Whether mox treats a and b as the same suppression entry."""
    return base_address(a) == base_address(b)


def quote_localpart(localpart: str) -> str:
    """The localpart as mox writes it (smtp.Localpart.String): bare if a dot-atom, else quoted."""
    parts = localpart.split(".")
    if all(part and all(_is_atext(c) for c in part) for part in parts):
        return localpart
    return '"' + localpart.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _pack(localpart: str, domain: str) -> str:
    # smtp.Path.XString returns "" for the zero path.
    if localpart == "" and domain == "":
        return ""
    return quote_localpart(localpart) + "@" + domain


def _is_atext(c: str) -> bool:
    return c.isascii() and (c.isalnum() or c in _ATEXT_SPECIALS) or ord(c) > 0x7F


# ---- mox's Unicode 17 data ------------------------------------------------------------------


class _Ranges:
    """A range table from moxhooks._moxunicode: the value for a code point."""

    def __init__(self, table: Any) -> None:
        deltas, self.values = table
        self.starts: list[int] = []
        start = 0
        for d in deltas:
            start += d
            self.starts.append(start)

    def __call__(self, c: str) -> int:
        v: int = self.values[bisect.bisect_right(self.starts, ord(c)) - 1]
        return v


_LOWER_DELTA = _Ranges(TABLES["lower"])
_PRINTABLE = _Ranges(TABLES["print"])
_CCC = _Ranges(TABLES["ccc"])
_BIDI = _Ranges(TABLES["bidi"])
_IDNA_ATTRS = _Ranges(TABLES["idna"])
_ASSIGNED = _Ranges(TABLES["assigned"])
_DECOMPOSITIONS = {chr(int(k)): "".join(map(chr, v)) for k, v in TABLES["decomp"].items()}

# Bidi classes (golang.org/x/text/unicode/bidi).
_L, _R, _EN, _ES, _ET, _AN, _CS, _B, _S, _WS, _ON, _BN, _NSM, _AL = range(14)
_RTL = (_R, _AL, _AN)


def _go_lower(s: str) -> str:
    # Go's strings.ToLower: unicode.ToLower, the simple 1:1 mapping, on each rune. Python's
    # str.lower uses the full mapping with context ("İ" becomes two code points, a final
    # "Σ" becomes "ς") and its own Unicode version.
    if s.isascii():
        return s.lower()
    return "".join(chr(ord(c) + _LOWER_DELTA(c)) for c in s)


def _known(c: str) -> bool:
    """Whether both Python's unicodedata and Unicode 17 have c assigned."""
    return bool(_ASSIGNED(c)) and unicodedata.category(c) != "Cn"


def _nfc(s: str) -> str:
    """NFC as golang.org/x/text/unicode/norm does it, with Unicode 17 data.

    Python's unicodedata gives the same for text it knows, with two exceptions that the
    slow path below reproduces: norm composes by the low 16 bits of both runes (U+10041
    U+0301 becomes U+00C1), and it inserts U+034F (CGJ) after 30 non-starters in a row
    (Stream-Safe Text Format).
    """
    if s.isascii() or (len(s) <= _MAX_NON_STARTERS and all(c <= "\uffff" and _known(c) for c in s)):
        return unicodedata.normalize("NFC", s)
    chars: list[str] = []
    run = 0  # non-starters since the last starter, for the stream-safe rule
    for c in s:
        if c in _DECOMPOSITIONS:
            d = _DECOMPOSITIONS[c]
        elif _known(c):
            d = unicodedata.normalize("NFD", c)
        else:
            d = c
        lead = _count_non_starters(d)
        if lead == 0:
            run = _count_non_starters(d[::-1])
        elif run + lead > _MAX_NON_STARTERS:
            chars.append(_CGJ)
            run = 0
        else:
            run += lead
        chars.extend(d)
    i = 0
    while i < len(chars):  # canonical ordering of each run of marks
        if _CCC(chars[i]) == 0:
            i += 1
            continue
        j = i
        while j < len(chars) and _CCC(chars[j]) != 0:
            j += 1
        chars[i:j] = sorted(chars[i:j], key=_CCC)
        i = j
    out: list[str] = []
    starter = 0
    for c in chars:
        if not out:
            out.append(c)
            continue
        last_ccc = _CCC(out[-1])
        if last_ccc == 0:
            starter = len(out) - 1
        composed = None
        if _is_jamo_lv(out[starter], c) or _is_jamo_lvt(out[starter], c):
            if starter == len(out) - 1:
                composed = _compose_hangul(out[starter], c)
        elif c in _COMBINES_BACKWARD and (starter == len(out) - 1 or 0 != last_ccc < _CCC(c)):
            composed = _RECOMPOSITIONS.get((ord(out[starter]) & 0xFFFF, ord(c) & 0xFFFF))
        if composed is not None:
            out[starter] = composed
        else:
            out.append(c)
    return "".join(out)


_MAX_NON_STARTERS = 30
_CGJ = "\u034f"
_RECOMPOSITIONS = {(a & 0xFFFF, b & 0xFFFF): chr(c) for a, b, c in TABLES["pairs"]}
_COMBINES_BACKWARD = frozenset(chr(b) for _, b, _ in TABLES["pairs"])
_HANGUL_BASE, _JAMO_L, _JAMO_V, _JAMO_T = 0xAC00, 0x1100, 0x1161, 0x11A7


def _count_non_starters(d: str) -> int:
    n = 0
    while n < len(d) and _CCC(d[n]):
        n += 1
    return n


def _is_jamo_lv(a: str, b: str) -> bool:
    return _JAMO_L <= ord(a) < _JAMO_L + 19 and _JAMO_V <= ord(b) < _JAMO_V + 21


def _is_jamo_lvt(a: str, b: str) -> bool:
    s = ord(a) - _HANGUL_BASE
    return 0 <= s < 11172 and s % 28 == 0 and _JAMO_T < ord(b) < _JAMO_T + 28


def _compose_hangul(a: str, b: str) -> str:
    if _is_jamo_lv(a, b):
        return chr(_HANGUL_BASE + ((ord(a) - _JAMO_L) * 21 + ord(b) - _JAMO_V) * 28)
    return chr(ord(a) + ord(b) - _JAMO_T)


def _go_quote(s: str) -> str:
    """s quoted like Go's %q verb (strconv.Quote)."""
    out = ['"']
    for c in s:
        if c in '"\\':
            out.append("\\" + c)
        elif _PRINTABLE(c):
            out.append(c)
        elif c in _GO_ESCAPES:
            out.append(_GO_ESCAPES[c])
        elif ord(c) < 0x80:
            out.append(f"\\x{ord(c):02x}")
        elif ord(c) < 0x10000:
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(f"\\U{ord(c):08x}")
    out.append('"')
    return "".join(out)


# ---- Localparts -----------------------------------------------------------------------------


class _ParseError(Exception):
    """A mox parse error message, wrapped into AddressError by parse_address."""


def _parse_localpart(s: str, pedantic: bool) -> tuple[str, str]:
    """The unquoted localpart and the remainder, like smtp's parser.xlocalpart."""
    if s.startswith('"'):
        lp, i = _quoted_string(s)
    else:
        lp, i = _atom(s, 0)
        while s.startswith(".", i):
            atom, i = _atom(s, i + 1)
            lp += "." + atom
    limit = _MAX_LOCALPART_OCTETS_PEDANTIC if pedantic else _MAX_LOCALPART_OCTETS
    if len(lp.encode("utf-8")) > limit:
        raise _ParseError("localpart longer than 64 octets")  # sic: mox's text, either limit
    return _nfc(lp), s[i:]


def _atom(s: str, i: int) -> tuple[str, int]:
    if i == len(s):
        raise _ParseError("need at least one char for atom")
    j = i
    while j < len(s) and _is_atext(s[j]):
        j += 1
    if j == i:
        raise _ParseError(f"expected at least one char for atom, got char {s[i]}")
    return s[i:j], j


def _quoted_string(s: str) -> tuple[str, int]:
    out: list[str] = []
    i = 1
    escaped = False
    while True:
        if i == len(s):
            raise _ParseError("need another character")
        c = s[i]
        i += 1
        if escaped:
            if " " <= c < "\x7f":
                out.append(c)
                escaped = False
                continue
            raise _ParseError(f"invalid localpart, bad escaped char {c}")
        if c == "\\":
            escaped = True
        elif c == '"':
            return "".join(out), i
        elif " " <= c < "\x7f" or c > "\x7f":
            out.append(c)
        else:
            raise _ParseError(f"invalid localpart, invalid character {c}")


# ---- Domains: dns.ParseDomain and x/net/idna's Lookup profile --------------------------------


def _parse_domain(s: str) -> str:
    """The Unicode name of domain s, like mox's dns.ParseDomain followed by Domain.Name."""
    if s.endswith("."):
        raise _ParseError("dns name has trailing dot")
    if _is_ip(s):
        raise _ParseError("ip address while name required")
    try:
        return _idna_lookup(s)
    except _ParseError as e:
        raise _ParseError(f"idna: to ascii: {e}") from None


def _is_ip(s: str) -> bool:
    if "%" in s:  # Go's net.ParseIP has no IPv6 zones; Python's ipaddress does.
        return False
    try:
        ipaddress.ip_address(s)
    except ValueError:
        return False
    return True


_VALID, _MAPPED, _IGNORED, _DISALLOWED = range(4)


@functools.lru_cache(maxsize=4096)
def _uts46(c: str) -> tuple[int, str]:
    """The UTS #46 status of c in mox's tables and what it maps to (non-transitional)."""
    if c.isascii():
        return (_MAPPED, c.lower()) if "A" <= c <= "Z" else (_VALID, c)
    if not _ASSIGNED(c):
        return _DISALLOWED, c  # the idna package's tables may be newer than Unicode 17
    try:
        m = uts46_remap(c, std3_rules=False)
    except idna.IDNAError:
        return _DISALLOWED, c
    if m == c:
        return _VALID, c  # valid or deviation: the same for non-transitional processing
    return (_IGNORED, "") if m == "" else (_MAPPED, m)


def _label_error(label: str) -> str:
    return f"idna: invalid label {_go_quote(label)}"


def _idna_lookup(s: str) -> str:
    """x/net/idna Lookup.ToASCII (then ToUnicode) of s; returns the U-labels."""
    parts: list[str] = []
    is_bidi = False
    for c in s:  # validateAndMap: disallowed runes stay, to fail their label later
        status, m = _uts46(c)
        if status == _MAPPED:
            is_bidi = is_bidi or _BIDI(c) in _RTL
        else:
            is_bidi = is_bidi or bool(_IDNA_ATTRS(c) & 1)
        parts.append(m)
    mapped = _nfc("".join(parts))
    labels = mapped.split(".")
    err: str | None = None  # the first error wins, as in x/net/idna
    for n, label in enumerate(labels):
        if not label:
            continue
        if label.startswith(_ACE_PREFIX):
            enc = label[len(_ACE_PREFIX) :]
            try:
                u = _punycode_decode(enc)
            except ValueError:
                err = err or _label_error(enc)
                continue
            if err is None and u and u.isascii():
                err = _label_error(enc)
            is_bidi = is_bidi or any(_BIDI(c) in _RTL for c in u)
            labels[n] = u
            if err is None:
                err = _validate_from_punycode(u) or _validate_label(u)
        elif err is None:
            err = _validate_label(label)
    if is_bidi and err is None and not all(_bidi_rule(label) for label in labels):
        err = _label_error(mapped)
    if err is not None:
        raise _ParseError(err)
    return ".".join(labels)


def _validate_from_punycode(u: str) -> str | None:
    if _nfc(u) != u or any(_uts46(c)[0] != _VALID for c in u):
        return _label_error(u)
    return None


def _validate_label(label: str) -> str | None:
    """x/net/idna validateLabel: hyphens, rune validity and STD3, leading mark, joiners."""
    if not label:  # "xn--" decodes to nothing; Go lets it pass
        return None
    b = label.encode("utf-8")
    if len(b) > 4 and b[2:4] == b"--" or b[:1] == b"-" or b[-1:] == b"-":
        return _label_error(label)
    for c in label:
        if _uts46(c)[0] != _VALID:
            return _label_error(label)
        if c.isascii() and not ("a" <= c <= "z" or "0" <= c <= "9" or c == "-"):
            return f"idna: disallowed rune U+{ord(c):04X}"
    if _IDNA_ATTRS(label[0]) & 4:  # a mark (modifier) may not start a label
        return _label_error(label)
    if _ZWJ in label or _ZWNJ in label:
        state = _START
        for c in label:
            attrs = _IDNA_ATTRS(c)
            join = _JOIN_ZWJ if c == _ZWJ else _JOIN_ZWNJ if c == _ZWNJ else attrs >> 3
            state = _JOIN_STATES[state].get(join, _FAIL if state == _FAIL else _START)
            if attrs & 2:  # virama
                state = _JOIN_STATES[state].get(_JOIN_VIRAMA, _FAIL if state == _FAIL else _START)
        if state in (_FAIL, _AFTER):
            return _label_error(label)
    return None


# x/net/idna's joiner state machine (CONTEXTJ); a missing entry is the start state.
_JOIN_L, _JOIN_D, _JOIN_T, _JOIN_R, _JOIN_ZWJ, _JOIN_ZWNJ, _JOIN_VIRAMA = range(1, 8)
_START, _VIRAMA, _BEFORE, _BEFORE_VIRAMA, _AFTER, _FAIL = range(6)
_JOIN_STATES: dict[int, dict[int, int]] = {
    _START: {
        _JOIN_L: _BEFORE,
        _JOIN_D: _BEFORE,
        _JOIN_ZWNJ: _FAIL,
        _JOIN_ZWJ: _FAIL,
        _JOIN_VIRAMA: _VIRAMA,
    },
    _VIRAMA: {_JOIN_L: _BEFORE, _JOIN_D: _BEFORE},
    _BEFORE: {
        _JOIN_L: _BEFORE,
        _JOIN_D: _BEFORE,
        _JOIN_T: _BEFORE,
        _JOIN_ZWNJ: _AFTER,
        _JOIN_ZWJ: _FAIL,
        _JOIN_VIRAMA: _BEFORE_VIRAMA,
    },
    _BEFORE_VIRAMA: {_JOIN_L: _BEFORE, _JOIN_D: _BEFORE, _JOIN_T: _BEFORE},
    _AFTER: {
        _JOIN_L: _FAIL,
        _JOIN_D: _BEFORE,
        _JOIN_T: _AFTER,
        _JOIN_R: _START,
        _JOIN_ZWNJ: _FAIL,
        _JOIN_ZWJ: _FAIL,
        _JOIN_VIRAMA: _AFTER,
    },
    _FAIL: {},  # every join type stays in _FAIL
}

# golang.org/x/text/secure/bidirule: RFC 5893 as a state machine.
_RULE_INITIAL, _RULE_LTR, _RULE_LTR_FINAL, _RULE_RTL, _RULE_RTL_FINAL, _RULE_INVALID = range(6)
_RULE_TRANSITIONS: dict[int, tuple[tuple[int, frozenset[int]], tuple[int, frozenset[int]]]] = {
    _RULE_INITIAL: ((_RULE_LTR_FINAL, frozenset({_L})), (_RULE_RTL_FINAL, frozenset({_R, _AL}))),
    _RULE_RTL: (
        (_RULE_RTL_FINAL, frozenset({_R, _AL, _EN, _AN})),
        (_RULE_RTL, frozenset({_ES, _CS, _ET, _ON, _BN, _NSM})),
    ),
    _RULE_RTL_FINAL: (
        (_RULE_RTL_FINAL, frozenset({_R, _AL, _EN, _AN, _NSM})),
        (_RULE_RTL, frozenset({_ES, _CS, _ET, _ON, _BN})),
    ),
    _RULE_LTR: (
        (_RULE_LTR_FINAL, frozenset({_L, _EN})),
        (_RULE_LTR, frozenset({_ES, _CS, _ET, _ON, _BN, _NSM})),
    ),
    _RULE_LTR_FINAL: (
        (_RULE_LTR_FINAL, frozenset({_L, _EN, _NSM})),
        (_RULE_LTR, frozenset({_ES, _CS, _ET, _ON, _BN})),
    ),
    _RULE_INVALID: ((_RULE_INVALID, frozenset()), (_RULE_INVALID, frozenset())),
}


def _bidi_rule(label: str) -> bool:
    """bidirule.ValidString."""
    state = _RULE_INITIAL
    seen: set[int] = set()
    for c in label:
        cls = _BIDI(c)
        seen.add(cls)
        if _EN in seen and _AN in seen:
            return False
        first, second = _RULE_TRANSITIONS[state]
        if cls in first[1]:
            state = first[0]
        elif cls in second[1]:
            state = second[0]
        else:
            state = _RULE_INVALID
            if seen & set(_RTL):
                return False
    return state in (_RULE_INITIAL, _RULE_LTR_FINAL, _RULE_RTL_FINAL)


def _punycode_decode(encoded: str) -> str:
    """x/net/idna's punycode decode (punycode.go); ValueError where it fails."""
    base, tmin, tmax, skew, damp = 36, 1, 26, 38, 700
    if encoded == "":
        return ""
    raw = encoded.encode("utf-8")
    pos = 1 + raw.rfind(b"-")
    if pos == 1:
        raise ValueError(encoded)
    if pos == len(raw):
        return encoded[:-1]
    output = list(raw[: pos - 1].decode("utf-8")) if pos else []
    i, n, bias = 0, 128, 72
    int32_max = 2**31 - 1

    def adapt(delta: int, points: int, first: bool) -> int:
        delta = delta // damp if first else delta // 2
        delta += delta // points
        k = 0
        while delta > ((base - tmin) * tmax) // 2:
            delta //= base - tmin
            k += base
        return k + (base - tmin + 1) * delta // (delta + skew)

    while pos < len(raw):
        old_i, w, k = i, 1, base
        while True:
            if pos == len(raw):
                raise ValueError(encoded)
            x = raw[pos]
            pos += 1
            if 48 <= x <= 57:
                digit = x - 22
            elif 65 <= x <= 90:
                digit = x - 65
            elif 97 <= x <= 122:
                digit = x - 97
            else:
                raise ValueError(encoded)
            i += digit * w
            if i > int32_max:
                raise ValueError(encoded)
            t = tmin if k <= bias else tmax if k >= bias + tmax else k - bias
            if digit < t:
                break
            w *= base - t
            if w > int32_max:
                raise ValueError(encoded)
            k += base
        if len(output) >= 1024:
            raise ValueError(encoded)
        bias = adapt(i - old_i, len(output) + 1, old_i == 0)
        n += i // (len(output) + 1)
        i %= len(output) + 1
        if n > 0x10FFFF:
            raise ValueError(encoded)
        # A surrogate is no valid rune: Go's string conversion makes it U+FFFD.
        output.insert(i, "\ufffd" if 0xD800 <= n <= 0xDFFF else chr(n))
        i += 1
    return "".join(output)
