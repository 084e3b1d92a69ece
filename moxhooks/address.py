"""Email addresses exactly as mox parses, prints and simplifies them.

mox and moxhooks must agree on every address, or the two suppression lists
drift apart. This module ports mox's rules rather than approximating them:

- parse_address is smtp.ParseAddress (smtp/address.go): a dot-atom or quoted
  localpart (UTF-8 allowed, NFC-normalised, at most 128 octets), "@", and a
  domain parsed by dns.ParseDomain (dns/dns.go), which is UTS #46
  non-transitional lookup processing as in golang.org/x/net/idna's Lookup
  profile: case and compatibility mapping, STD3 rules, hyphen, joiner and bidi
  checks, but no DNS length checks.
- str(Address) is smtp.Path.XString(true): the localpart quoted when needed
  (smtp.Localpart.String), "@", the lower-case Unicode domain.
- base_address is baseAddress (queue/suppression.go).

The UTS #46 tables, punycode and the joiner and bidi rules come from the idna
package. email_validator is not used: it rejects addresses mox accepts
(""@example.org, user@localhost, user@test☺.example) and its messages differ.
"""

from __future__ import annotations

import ipaddress
import unicodedata
from dataclasses import dataclass

import idna
from idna.core import check_bidi, uts46_remap, valid_contextj


class AddressError(ValueError):
    """An address mox would refuse; the message is mox's, e.g. "invalid email address: expected @"."""


# Characters allowed unquoted in a dot-atom localpart, besides letters, digits and non-ASCII.
_ATEXT_SPECIALS = frozenset("!#$%&'*+-/=?^_`{|}~")
# ASCII allowed in a domain after mapping under the STD3 rules (the dot separates labels).
_STD3_ASCII = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-.")
_MAX_LOCALPART_OCTETS = 128  # mox allows 128, more than RFC 5321's 64, for bounce addresses.
_ACE_PREFIX = "xn--"
_ZW_JOINERS = ("\u200c", "\u200d")
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


def parse_address(s: str) -> Address:
    """Parse s like mox's smtp.ParseAddress; raise AddressError with mox's message."""
    if any("\ud800" <= c <= "\udfff" for c in s):
        # Not representable in UTF-8; Go strings never hold these.
        raise AddressError("invalid email address: invalid utf-8")
    try:
        localpart, rest = _parse_localpart(s)
    except _ParseError as e:
        raise AddressError(f"invalid email address: invalid localpart: {e}") from None
    if not rest.startswith("@"):
        raise AddressError("invalid email address: expected @")
    try:
        domain = _parse_domain(rest[1:])
    except _ParseError as e:
        raise AddressError(f"invalid email address: {e}") from None
    return Address(localpart, domain)


def base_address(address: str | Address) -> str:
    """mox's base address: localpart cut at "+" then "-", dots removed, lower-cased."""
    a = parse_address(address) if isinstance(address, str) else address
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


def _go_lower(s: str) -> str:
    # Go's strings.ToLower applies unicode.ToLower (the simple 1:1 mapping) to each rune.
    # Python's str.lower uses the full mapping with context: "İ".lower() is "i̇" (two
    # code points) where Go gives "i", and a word-final "Σ" becomes "ς" where Go gives
    # "σ". Lowering one character at a time removes the context; U+0130 is the only
    # code point whose full lower case differs from its simple one.
    return "".join("i" if c == "\u0130" else c.lower() for c in s)


class _ParseError(Exception):
    """A mox parse error message, wrapped into AddressError by parse_address."""


def _parse_localpart(s: str) -> tuple[str, str]:
    """The unquoted localpart and the remainder, like smtp's parser.xlocalpart."""
    if s.startswith('"'):
        lp, i = _quoted_string(s)
    else:
        lp, i = _atom(s, 0)
        while s.startswith(".", i):
            atom, i = _atom(s, i + 1)
            lp += "." + atom
    if len(lp.encode("utf-8")) > _MAX_LOCALPART_OCTETS:
        raise _ParseError("localpart longer than 64 octets")  # sic: mox's text
    return unicodedata.normalize("NFC", lp), s[i:]


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


def _idna_lookup(s: str) -> str:
    """UTS #46 processing as x/net/idna's Lookup profile does it; returns the U-labels."""
    mapped = unicodedata.normalize("NFC", "".join(_map_char(c) for c in s))
    labels = mapped.split(".")
    for n, label in enumerate(labels):
        if label.startswith(_ACE_PREFIX):
            u = _decode_punycode(label)
            if unicodedata.normalize("NFC", u) != u:
                raise _ParseError(f"idna: invalid label {_go_quote(u)}")  # V1
            try:
                if "".join(_map_char(c) for c in u) != u:
                    raise _ParseError("mapped")
            except _ParseError:
                raise _ParseError(f"idna: invalid label {_go_quote(u)}") from None  # V6
            _validate_label(u, ace=True)
            labels[n] = u
        elif label:
            _validate_label(label, ace=False)
    if any(unicodedata.bidirectional(c) in ("R", "AL", "AN") for label in labels for c in label):
        for label in labels:
            if not label:
                continue
            try:
                check_bidi(label, check_ltr=True)
            except idna.IDNAError:
                raise _ParseError(f"idna: invalid label {_go_quote(mapped)}") from None
    return ".".join(labels)


def _map_char(c: str) -> str:
    """The UTS #46 mapping of one character; disallowed ones (STD3 rules included) raise."""
    try:
        m = uts46_remap(c, std3_rules=True, transitional=False)
    except idna.IDNAError:
        m = None
    # idna's Unicode 16 tables leave STD3 to the caller; Go's tables mark the same
    # characters disallowed_STD3_*: ASCII other than [a-z0-9-], and what maps or
    # decomposes to it ("⑴" maps to "(1)", "≠" decomposes to "=" and U+0338).
    if m is None or any(
        ch.isascii() and ch not in _STD3_ASCII for ch in unicodedata.normalize("NFD", m)
    ):
        raise _ParseError(f"idna: disallowed rune U+{ord(c):04X}")
    return m


def _decode_punycode(label: str) -> str:
    try:
        return label[len(_ACE_PREFIX) :].encode("ascii").decode("punycode")
    except (UnicodeError, ValueError, OverflowError):
        raise _ParseError(f"idna: invalid label {_go_quote(label)}") from None


def _validate_label(label: str, *, ace: bool) -> None:
    """The checks of x/net/idna validateLabel: hyphens (V2, V3), initial mark (V5), joiners (C)."""
    if not label:  # "xn--" decodes to nothing; Go lets it pass
        return
    b = label.encode("utf-8")
    if ace and len(b) > 4 and b[2:4] == b"--" or b[:1] == b"-" or b[-1:] == b"-":
        raise _ParseError(f"idna: invalid label {_go_quote(label)}")
    if unicodedata.category(label[0]).startswith("M"):
        raise _ParseError(f"idna: invalid label {_go_quote(label)}")
    for pos, c in enumerate(label):
        if c in _ZW_JOINERS:
            try:
                ok = valid_contextj(label, pos)
            except ValueError:
                ok = False
            if not ok:
                raise _ParseError(f"idna: invalid label {_go_quote(label)}")


def _go_quote(s: str) -> str:
    """s quoted like Go's %q verb (strconv.Quote)."""
    out = ['"']
    for c in s:
        if c in '"\\':
            out.append("\\" + c)
        elif c.isprintable():
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
