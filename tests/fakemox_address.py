"""Addresses and domains as mox parses and prints them (smtp.ParseAddress,
dns.ParseDomain with its IDNA rules), for the fake mox: an implementation of its own,
independent of moxhooks.address, so that the two check each other."""

from __future__ import annotations

import bisect
import ipaddress
import unicodedata

import idna
from fakemox_go import (
    _go_quote,
)
from idna.core import check_bidi, valid_contextj
from idna.uts46data import uts46_replacements, uts46_starts, uts46_statuses

# ---- Addresses and domains, as mox parses and prints them -----------------------------------


class AddressError(Exception):
    """An address smtp.ParseAddress rejects; str() is mox's error text."""


_ATEXT = frozenset("!#$%&'*+-/=?^_`{|}~")
# localserve runs mox in pedantic mode: localparts of at most 64 octets (otherwise 128).
MAX_LOCALPART_OCTETS = 64


def _is_atext(c: str) -> bool:
    return c.isascii() and c.isalnum() or c in _ATEXT or ord(c) > 0x7F


def _parse_localpart(s: str) -> tuple[str, str]:
    """(decoded localpart, remainder), like mox smtp's xlocalpart."""
    i = 0
    if s.startswith('"'):
        i, out, esc = 1, [], False
        while True:
            if i >= len(s):
                raise AddressError("invalid localpart: need another character")
            c = s[i]
            i += 1
            if esc:
                if not " " <= c < "\x7f":
                    raise AddressError(
                        f"invalid localpart: invalid localpart, bad escaped char {c}"
                    )
                out.append(c)
                esc = False
            elif c == "\\":
                esc = True
            elif c == '"':
                break
            elif " " <= c < "\x7f" or c > "\x7f":
                out.append(c)
            else:
                raise AddressError(f"invalid localpart: invalid localpart, invalid character {c}")
        lp = "".join(out)
    else:
        atoms = []
        while True:
            j = i
            while j < len(s) and _is_atext(s[j]):
                j += 1
            if j == i:
                if i >= len(s):
                    raise AddressError("invalid localpart: need at least one char for atom")
                raise AddressError(
                    f"invalid localpart: expected at least one char for atom, got char {s[i]}"
                )
            atoms.append(s[i:j])
            i = j
            if i < len(s) and s[i] == ".":
                i += 1
                continue
            break
        lp = ".".join(atoms)
    if len(lp.encode("utf-8", "surrogatepass")) > MAX_LOCALPART_OCTETS:
        raise AddressError("invalid localpart: localpart longer than 64 octets")
    return unicodedata.normalize("NFC", lp), s[i:]


def _uts46(c: str) -> tuple[int, str | None]:
    """The UTS #46 status (V, M, D, I or X, as a byte) and mapping of one character."""
    cp = ord(c)
    i = cp if cp < 256 else bisect.bisect_right(uts46_starts, cp) - 1
    return uts46_statuses[i], uts46_replacements[i]


def _punycode_decode(encoded: str) -> str:
    """x/net/idna's punycode decode; ValueError when it fails."""
    base, tmin, tmax, skew, damp = 36, 1, 26, 38, 700
    raw = encoded.encode("utf-8", "surrogatepass")
    pos = 1 + raw.rfind(b"-")
    if pos == 1:
        raise ValueError
    if pos == len(raw):
        return encoded[:-1]
    output = list(raw[: pos - 1].decode("utf-8", "replace")) if pos else []
    i, n, bias = 0, 128, 72

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
                raise ValueError
            x = raw[pos]
            pos += 1
            if 48 <= x <= 57:
                digit = x - 22
            elif 65 <= x <= 90:
                digit = x - 65
            elif 97 <= x <= 122:
                digit = x - 97
            else:
                raise ValueError
            i += digit * w
            if i > 2**31 - 1:
                raise ValueError
            t = tmin if k <= bias else tmax if k >= bias + tmax else k - bias
            if digit < t:
                break
            w *= base - t
            if w > 2**31 - 1:
                raise ValueError
            k += base
        if len(output) >= 1024:
            raise ValueError
        bias = adapt(i - old_i, len(output) + 1, old_i == 0)
        n += i // (len(output) + 1)
        i %= len(output) + 1
        if n > 0x10FFFF:
            raise ValueError
        output.insert(i, "\ufffd" if 0xD800 <= n <= 0xDFFF else chr(n))
        i += 1
    return "".join(output)


def _idna_label_error(label: str) -> AddressError:
    return AddressError(f"idna: invalid label {_go_quote(label)}")


def _idna_validate_label(label: str) -> None:
    """x/net/idna validateLabel for the Lookup profile (Unicode 16 rules)."""
    if not label:
        return
    b = label.encode("utf-8", "surrogatepass")
    if len(b) > 4 and b[2:4] == b"--" or label[0] == "-" or label[-1] == "-":
        raise _idna_label_error(label)
    for c in label:
        status, _ = _uts46(c)
        if status not in (ord("V"), ord("D")):
            raise _idna_label_error(label)
        if c.isascii() and not (c.islower() or c.isdigit() or c in "-."):
            raise AddressError(f"idna: disallowed rune U+{ord(c):04X}")
    if unicodedata.category(label[0]).startswith("M"):
        raise _idna_label_error(label)
    for pos, c in enumerate(label):
        if c in "\u200c\u200d":
            try:
                ok = valid_contextj(label, pos)
            except ValueError:
                ok = False
            if not ok:
                raise _idna_label_error(label)


def _idna_lookup(s: str) -> tuple[str, str]:
    """x/net/idna Lookup.ToASCII and ToUnicode of s: (ASCII name, Unicode name)."""
    rtl = ("R", "AL", "AN")
    is_bidi = any(unicodedata.bidirectional(c) in rtl for c in s)
    mapped = []
    for c in s:
        status, replacement = _uts46(c)
        if status == ord("M"):
            mapped.append(replacement or "")
        elif status != ord("I"):
            mapped.append(c)  # disallowed runes are reported per label
    m = unicodedata.normalize("NFC", "".join(mapped))
    labels = m.split(".")
    for n, label in enumerate(labels):
        if not label:
            continue
        if label.startswith("xn--"):
            try:
                u = _punycode_decode(label[4:])
            except ValueError:
                raise _idna_label_error(label[4:]) from None
            if u and u.isascii():
                raise _idna_label_error(label[4:])
            is_bidi = is_bidi or any(unicodedata.bidirectional(c) in rtl for c in u)
            labels[n] = u
            if unicodedata.normalize("NFC", u) != u or any(
                _uts46(c)[0] not in (ord("V"), ord("D")) for c in u
            ):
                raise _idna_label_error(u)
            _idna_validate_label(u)
        else:
            _idna_validate_label(label)
    if is_bidi:
        for label in labels:
            try:
                ok = not label or check_bidi(label, check_ltr=True)
            except idna.IDNAError:
                ok = False
            if not ok:
                raise _idna_label_error(m)
    unicode_name = ".".join(labels)
    ascii_name = ".".join(
        label if label.isascii() else "xn--" + label.encode("punycode").decode("ascii")
        for label in labels
    )
    return ascii_name, unicode_name


def parse_domain_ascii_unicode(s: str) -> tuple[str, str]:
    """dns.ParseDomain: (ASCII, Unicode) as in dns.Domain JSON (Unicode "" if the same)."""
    if s.endswith("."):
        raise AddressError("dns name has trailing dot")
    if "%" not in s:  # net.ParseIP knows no IPv6 zones; Python's ipaddress does
        try:
            ipaddress.ip_address(s)
        except ValueError:
            pass
        else:
            raise AddressError("ip address while name required")
    try:
        ascii_name, unicode_name = _idna_lookup(s)
    except AddressError as e:
        raise AddressError(f"idna: to ascii: {e}") from None
    return ascii_name, unicode_name if unicode_name != ascii_name else ""


def parse_domain(s: str) -> str:
    """The domain's name as mox shows it (dns.ParseDomain + Domain.Name()): Unicode form."""
    ascii_name, unicode_name = parse_domain_ascii_unicode(s)
    return unicode_name or ascii_name


def parse_address(s: str) -> tuple[str, str]:
    """(localpart, unicode domain); AddressError with mox's text on failure."""
    try:
        lp, rest = _parse_localpart(s)
        if not rest.startswith("@"):
            raise AddressError("expected @")
        domain = parse_domain(rest[1:])
    except AddressError as e:
        raise AddressError(f"invalid email address: {e}") from None
    return lp, domain


def localpart_string(lp: str) -> str:
    """smtp.Localpart.String: dot-atom when possible, else quoted."""
    if all(a and all(_is_atext(c) for c in a) for a in lp.split(".")):
        return lp
    return '"' + lp.replace("\\", "\\\\").replace('"', '\\"') + '"'


def address_string(lp: str, domain: str) -> str:
    """smtp.Path.XString(true): "" for the zero path (empty localpart and domain)."""
    if not lp and not domain:
        return ""
    return localpart_string(lp) + "@" + domain


def _go_lower_rune(c: str) -> str:
    if c == "\u0130":  # Python's full mapping gives "i" + U+0307
        return "i"
    if unicodedata.category(c) == "Cn":
        # Unassigned in Python's older Unicode, assigned in mox's (Go's Unicode 17): an
        # upper-case letter's UTS #46 mapping (newer tables, from idna) is its lower case.
        status, replacement = _uts46(c)
        if status == ord("M") and replacement and len(replacement) == 1:
            return replacement
        return c
    return c.lower()


def go_lower(s: str) -> str:
    """Go's strings.ToLower: unicode.ToLower of each rune (simple case mapping, no context)."""
    return "".join(_go_lower_rune(c) for c in s)


def base_address(lp: str, domain: str) -> str:
    """queue/suppression.go baseAddress: cut at +, cut at -, drop dots, lower case."""
    s = go_lower(lp.split("+", 1)[0].split("-", 1)[0].replace(".", ""))
    return address_string(s, domain)


def _domain_json(unicode_domain: str) -> dict[str, str]:
    """dns.Domain JSON: ASCII always, Unicode only for IDNA domains."""
    if not unicode_domain:
        return {"ASCII": "", "Unicode": ""}
    ascii_name, unicode_name = parse_domain_ascii_unicode(unicode_domain)
    return {"ASCII": ascii_name, "Unicode": unicode_name}


