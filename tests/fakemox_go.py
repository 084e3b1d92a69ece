"""Go-isms for the fake mox: how Go's encoding/json, time, mime, net/url and base64
answer, so the fake's error texts are mox's (tests/test_realmox_differential.py)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import unquote_to_bytes

# ---- Go-isms: quoting, JSON, time, durations, forms -----------------------------------------


def rfc3339nano(dt: datetime) -> str:
    """Go's time.RFC3339Nano in UTC: fraction without trailing zeros."""
    dt = dt.astimezone(UTC)
    frac = f"{dt.microsecond:06d}000".rstrip("0")
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + ("." + frac if frac else "") + "Z"


def go_json(obj: Any, *, escape_html: bool) -> str:
    """json.Encoder output: compact, UTF-8, optional HTML escaping, trailing newline."""
    s = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    if escape_html:
        s = s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return s.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029") + "\n"


_GO_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
}


def _go_quote(s: str) -> str:
    """Go's %q (strconv.Quote): printable characters kept, others escaped."""
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


def _time_quote(s: str) -> str:
    """The time package's own quote: non-ASCII and control bytes as \\x escapes."""
    out = ['"']
    for c in s:
        if ord(c) >= 0x80 or c < " ":
            out.extend(f"\\x{b:02x}" for b in c.encode("utf-8", "surrogatepass"))
        else:
            out.append("\\" + c if c in '"\\' else c)
    out.append('"')
    return "".join(out)


def _go_float(f: float) -> str:
    """Go's %v for a float64 (strconv 'g', shortest)."""
    if f == int(f) and abs(f) < 1e21:
        return str(int(f))
    r = repr(f)
    m = re.fullmatch(r"(-?[\d.]+)e([+-]?)(\d+)", r)
    if m:
        return f"{m[1]}e{m[2] or '+'}{int(m[3]):02d}"
    return r


class GoJSONError(Exception):
    """A decoding error, worded like Go's encoding/json (as built into mox v0.0.17)."""


class GoFloat(float):
    """A JSON number with a fraction or exponent; keeps its literal for Go's error texts."""

    literal: str

    def __new__(cls, literal: str) -> GoFloat:
        f = super().__new__(cls, float(literal))
        f.literal = literal
        return f


def _json_kind(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def _quote_char(c: str) -> str:
    """encoding/json's quoteChar: the offending byte in single quotes."""
    if ord(c) >= 0x80:
        c = chr(c.encode("utf-8", "surrogatepass")[0])
    if c == "'":
        return "'\\''"
    if c == '"':
        return "'\"'"
    return "'" + _go_quote(c)[1:-1] + "'"


class _JSONScanner:
    """Go's JSON syntax check of the first value, with its error texts."""

    def __init__(self, s: str) -> None:
        self.s = s
        self.i = 0

    def fail(self, c: str, context: str) -> GoJSONError:
        return GoJSONError(f"invalid character {_quote_char(c)} {context}")

    def next(self) -> str:
        while self.i < len(self.s) and self.s[self.i] in " \t\r\n":
            self.i += 1
        if self.i >= len(self.s):
            raise GoJSONError("unexpected EOF")
        c = self.s[self.i]
        self.i += 1
        return c

    def char(self) -> str:
        if self.i >= len(self.s):
            raise GoJSONError("unexpected EOF")
        c = self.s[self.i]
        self.i += 1
        return c

    def value(self) -> None:
        c = self.next()
        if c == "{":
            c = self.next()
            if c == "}":
                return
            while True:
                if c != '"':
                    raise self.fail(c, "looking for beginning of object key string")
                self.string()
                c = self.next()
                if c != ":":
                    raise self.fail(c, "after object key")
                self.value()
                c = self.next()
                if c == "}":
                    return
                if c != ",":
                    raise self.fail(c, "after object key:value pair")
                c = self.next()
        elif c == "[":
            c = self.next()
            if c == "]":
                return
            self.i -= 1
            while True:
                self.value()
                c = self.next()
                if c == "]":
                    return
                if c != ",":
                    raise self.fail(c, "after array element")
        elif c == '"':
            self.string()
        elif c == "-" or c.isascii() and c.isdigit():
            self.number(c)
        elif c in "tfn":
            word = {"t": "true", "f": "false", "n": "null"}[c]
            for want in word[1:]:
                got = self.char()
                if got != want:
                    raise self.fail(got, f"in literal {word} (expecting {_quote_char(want)})")
        else:
            raise self.fail(c, "looking for beginning of value")

    def string(self) -> None:
        while True:
            c = self.char()
            if c == '"':
                return
            if c == "\\":
                start = self.i - 1
                e = self.char()
                if e == "u":
                    hexpart = self.s[self.i : self.i + 4]
                    if len(hexpart) < 4 and self.i + 4 > len(self.s):
                        raise GoJSONError("unexpected EOF")
                    if not all(h in "0123456789abcdefABCDEF" for h in hexpart):
                        raise GoJSONError(
                            f"invalid escape sequence `{self.s[start : self.i + 4]}` in string"
                        )
                    self.i += 4
                elif e not in '"\\/bfnrt':
                    raise GoJSONError(f"invalid escape sequence `\\{e}` in string")
            elif c < " ":
                raise self.fail(c, "in string")

    def number(self, c: str) -> None:
        def digits() -> int:
            n = 0
            while self.i < len(self.s) and self.s[self.i].isascii() and self.s[self.i].isdigit():
                self.i += 1
                n += 1
            return n

        def need_digit() -> None:
            c = self.char()
            if not (c.isascii() and c.isdigit()):
                raise self.fail(c, "in numeric literal")
            digits()

        if c == "-":
            c = self.char()
            if not (c.isascii() and c.isdigit()):
                raise self.fail(c, "in numeric literal")
        if c != "0":
            digits()
        if self.s.startswith(".", self.i):
            self.i += 1
            need_digit()
        if self.i < len(self.s) and self.s[self.i] in "eE":
            self.i += 1
            if self.i < len(self.s) and self.s[self.i] in "+-":
                self.i += 1
            need_digit()


def _first_json_value(text: str) -> Any:
    """Decode the first JSON value like json.Decoder.Decode (trailing data ignored)."""
    if not text.strip(" \t\r\n"):
        raise GoJSONError("EOF")
    scanner = _JSONScanner(text)
    scanner.value()
    return json.loads(text[: scanner.i], parse_float=GoFloat)


# Struct types the fake decodes, field -> type. Types: string, bool, int64, int, duration,
# any, time, ?X (pointer: null allowed and kept), []X, map (map[string]string), pair
# ([2]string), or another struct name.
STRUCTS: dict[str, dict[str, str]] = {
    "webapi.SuppressionListRequest": {},
    "webapi.SuppressionAddRequest": {
        "EmailAddress": "string",
        "Manual": "bool",
        "Reason": "string",
    },
    "webapi.SuppressionRemoveRequest": {"EmailAddress": "string"},
    "webapi.SuppressionPresentRequest": {"EmailAddress": "string"},
    "webapi.MessageRawGetRequest": {"MsgID": "int64"},
    "webapi.NameAddress": {"Name": "string", "Address": "string"},
    "webapi.File": {
        "Name": "string",
        "ContentType": "string",
        "ContentID": "string",
        "Data": "string",
    },
    "webapi.SendRequest": {
        "From": "[]webapi.NameAddress",
        "To": "[]webapi.NameAddress",
        "CC": "[]webapi.NameAddress",
        "BCC": "[]webapi.NameAddress",
        "ReplyTo": "[]webapi.NameAddress",
        "MessageID": "string",
        "References": "[]string",
        "Date": "?time",
        "Subject": "string",
        "Text": "string",
        "HTML": "string",
        "Extra": "map",
        "Headers": "[]pair",
        "AlternativeFiles": "[]webapi.File",
        "InlineFiles": "[]webapi.File",
        "AttachedFiles": "[]webapi.File",
        "RequireTLS": "?bool",
        "FutureRelease": "?time",
        "SaveSent": "bool",
    },
    "dns.Domain": {"ASCII": "string", "Unicode": "string"},
    "queue.HoldRule": {
        "ID": "int64",
        "Account": "string",
        "SenderDomain": "dns.Domain",
        "RecipientDomain": "dns.Domain",
        "SenderDomainStr": "string",
        "RecipientDomainStr": "string",
    },
    "queue.Filter": {
        "Max": "int",
        "IDs": "[]int64",
        "Account": "string",
        "From": "string",
        "To": "string",
        "Hold": "?bool",
        "Submitted": "string",
        "NextAttempt": "string",
        "Transport": "?string",
    },
    "queue.RetiredFilter": {
        "Max": "int",
        "IDs": "[]int64",
        "Account": "string",
        "From": "string",
        "To": "string",
        "Submitted": "string",
        "LastActivity": "string",
        "Transport": "?string",
        "Success": "?bool",
    },
    "queue.Sort": {"Field": "string", "LastID": "int64", "Last": "any", "Asc": "bool"},
    "queue.RetiredSort": {"Field": "string", "LastID": "int64", "Last": "any", "Asc": "bool"},
}

_GO_TYPE = {
    "map": "map[string]string",
    "pair": "[2]string",
    "time": "time.Time",
    "duration": "time.Duration",
}
_INT_TYPES = ("int", "int64", "duration")


def _go_type(t: str) -> str:
    if t.startswith("?"):
        return "*" + _go_type(t[1:])
    if t.startswith("[]"):
        return "[]" + _go_type(t[2:])
    return _GO_TYPE.get(t, t)


def _zero(t: str) -> Any:
    if t.startswith(("?", "[]")) or t in ("map", "any", "pair"):
        return None
    if t in STRUCTS:
        return {f: _zero(ft) for f, ft in STRUCTS[t].items()}
    if t in _INT_TYPES:
        return 0
    return {"string": "", "bool": False, "time": None}[t]


def go_decode(v: Any, t: str, root: str = "", path: tuple[str, ...] = ()) -> Any:
    """Decode a JSON value into Go type t, strictly (DisallowUnknownFields).

    root is the name of the Go struct being decoded into ("" when that is not a struct,
    as for sherpa's parameter list), path the JSON path to v; both appear in Go's error
    texts, e.g. 'cannot unmarshal number into Go struct field SendRequest.To.0.Address'.
    """

    def mismatch(what: str | None = None) -> GoJSONError:
        what = what or _json_kind(v)
        if path:
            # encoding/json drops "Go struct field" when the path ends in an array index.
            into = "" if path[-1].isascii() and path[-1].isdigit() else "Go struct field "
            target = f"{into}{root}.{'.'.join(path)}"
        else:
            target = "Go value"
        return GoJSONError(f"json: cannot unmarshal {what} into {target} of type {_go_type(t)}")

    if v is None:
        return _zero(t) if not t.startswith("?") else None
    if t.startswith("?"):
        return go_decode(v, t[1:], root, path)
    if t == "any":
        return v
    if t == "string":
        if not isinstance(v, str):
            raise mismatch()
        return v
    if t == "bool":
        if not isinstance(v, bool):
            raise mismatch()
        return v
    if t in _INT_TYPES:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise mismatch()
        if isinstance(v, float) or not -(2**63) <= v < 2**63:
            literal = v.literal if isinstance(v, GoFloat) else str(v)
            raise mismatch("number " + literal)
        return v
    if t == "time":
        if not isinstance(v, str):
            raise mismatch()
        return go_parse_rfc3339(v)
    if t == "map":
        if not isinstance(v, dict):
            raise mismatch()
        return {str(k): go_decode(x, "string", root, (*path, str(k))) for k, x in v.items()}
    if t == "pair":
        if not isinstance(v, list):
            raise mismatch()
        # A Go array takes the first elements and ignores the rest.
        items = [go_decode(x, "string", root, (*path, str(i))) for i, x in enumerate(v[:2])]
        return (items + ["", ""])[:2]
    if t.startswith("[]"):
        if not isinstance(v, list):
            raise mismatch()
        return [go_decode(x, t[2:], root, (*path, str(i))) for i, x in enumerate(v)]
    fields = STRUCTS[t]
    if not isinstance(v, dict):
        raise mismatch()
    out = _zero(t)
    for key, x in v.items():
        # Go matches field names exactly first, then case-insensitively.
        name = key if key in fields else next((f for f in fields if f.lower() == key.lower()), None)
        if name is None:
            raise GoJSONError(f'json: unknown field "{key}"')
        out[name] = go_decode(x, fields[name], root, (*path, name))
    return out


_RFC3339 = "2006-01-02T15:04:05Z07:00"
# time.Parse's chunks of the RFC 3339 layout: (literal prefix, element).
_RFC3339_CHUNKS = [("", "2006"), ("-", "01"), ("-", "02"), ("T", "15"), (":", "04"), (":", "05"),
                   ("", "Z07:00")]  # fmt: skip


def go_parse_rfc3339(value: str) -> datetime:
    """time.Parse(time.RFC3339, value), as json decodes a time.Time, with Go's errors."""

    def cannot(elem: str, layout_elem: str) -> GoJSONError:
        return GoJSONError(
            f"parsing time {_time_quote(value)} as {_time_quote(_RFC3339)}: cannot parse "
            f"{_time_quote(elem)} as {_time_quote(layout_elem)}"
        )

    def out_of_range(what: str) -> GoJSONError:
        return GoJSONError(f"parsing time {_time_quote(value)}: {what} out of range")

    def getnum(s: str, fixed: bool) -> tuple[int, str] | None:
        if not (s[:1].isascii() and s[:1].isdigit()):
            return None
        if not (s[1:2].isascii() and s[1:2].isdigit()):
            return None if fixed else (int(s[0]), s[1:])
        return int(s[:2]), s[2:]

    rest = value
    nums: dict[str, int] = {}
    frac = 0
    offset = 0
    for prefix, elem in _RFC3339_CHUNKS:
        if not rest.startswith(prefix):
            raise cannot(rest, prefix)
        rest = rest[len(prefix) :]
        hold = rest
        if elem == "2006":
            if len(rest) < 4 or not all(c.isascii() and c.isdigit() for c in rest[:4]):
                raise cannot(hold, elem)
            nums[elem], rest = int(rest[:4]), rest[4:]
        elif elem == "Z07:00":
            if rest.startswith("Z"):
                rest = rest[1:]
                continue
            if len(rest) < 6 or rest[3] != ":":
                raise cannot(hold, elem)
            hh, mm = getnum(rest[1:3], True), getnum(rest[4:6], True)
            if hh is None or mm is None:
                raise cannot(hold, elem)
            # Go checks the ranges before the sign.
            if hh[0] > 24:
                raise out_of_range("time zone offset hour")
            if mm[0] > 60:
                raise out_of_range("time zone offset minute")
            if rest[0] not in "+-":
                raise cannot(hold, elem)
            offset = (hh[0] * 60 + mm[0]) * (1 if rest[0] == "+" else -1)
            rest = rest[6:]
        else:
            got = getnum(rest, elem != "15")
            if got is None:
                raise cannot(hold, elem)
            nums[elem], rest = got
            limit = {"01": (1, 12, "month"), "15": (0, 23, "hour"), "04": (0, 59, "minute"),
                     "05": (0, 59, "second")}.get(elem)  # fmt: skip
            if limit and not limit[0] <= nums[elem] <= limit[1]:
                raise out_of_range(limit[2])
            if elem == "05" and len(rest) >= 2 and rest[0] in ".," and rest[1].isdigit():
                n = 2
                while n < len(rest) and rest[n].isascii() and rest[n].isdigit():
                    n += 1
                frac = int((rest[1:n] + "000000")[:6])
                rest = rest[n:]
    if rest:
        raise GoJSONError(f"parsing time {_time_quote(value)}: extra text: {_time_quote(rest)}")
    year, month, day = nums["2006"], nums["01"], nums["02"]
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    if not 1 <= day <= days:
        raise out_of_range("day")
    try:
        return datetime(
            year, month, day, nums["15"], nums["04"], nums["05"], frac,
            tzinfo=timezone(timedelta(minutes=offset)),
        )  # fmt: skip
    except ValueError:  # year 0, or an offset Python cannot represent
        return datetime.min.replace(tzinfo=UTC)


_DURATION_UNITS = {"ns": 1, "us": 1000, "µs": 1000, "μs": 1000, "ms": 10**6, "s": 10**9,
                   "m": 60 * 10**9, "h": 3600 * 10**9}  # fmt: skip


def go_parse_duration(s: str) -> timedelta:
    """time.ParseDuration, with its error texts (ValueError)."""
    orig = s
    invalid = ValueError(f"time: invalid duration {_time_quote(orig)}")
    neg = s[:1] == "-"
    if s[:1] in "+-" and s:
        s = s[1:]
    if s == "0":
        return timedelta(0)
    if not s:
        raise invalid
    total = 0
    while s:
        m = re.match(r"(\d*)(?:\.(\d*))?", s)
        assert m is not None
        if not (s[0] == "." or s[0].isascii() and s[0].isdigit()) or not (m[1] or m[2]):
            raise invalid
        s = s[m.end() :]
        u = re.match(r"[^.0-9]*", s)
        assert u is not None
        unit = u[0]
        if not unit:
            raise ValueError(f"time: missing unit in duration {_time_quote(orig)}")
        if unit not in _DURATION_UNITS:
            raise ValueError(
                f"time: unknown unit {_time_quote(unit)} in duration {_time_quote(orig)}"
            )
        s = s[len(unit) :]
        scale = _DURATION_UNITS[unit]
        total += int(m[1] or 0) * scale
        if m[2]:
            total += int(int(m[2]) * (scale / 10 ** len(m[2])))
        if total > 2**63 - (0 if neg else 1):
            raise invalid
    return timedelta(microseconds=(-total if neg else total) / 1000)


# A MIME token: printable ASCII without spaces and tspecials.
_TOKEN = r"[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]"


def go_parse_media_type(v: str) -> tuple[str, dict[str, str]]:
    """mime.ParseMediaType; ValueError with Go's text when it fails."""
    base = v.split(";", 1)[0]
    mediatype = base.strip().lower()
    m = re.match(_TOKEN + "*", mediatype)
    assert m is not None
    typ, rest = m[0], mediatype[m.end() :]
    if not typ:
        raise ValueError("mime: no media type")
    if rest:
        if not rest.startswith("/"):
            raise ValueError("mime: expected slash after first token")
        m = re.match(_TOKEN + "*", rest[1:])
        assert m is not None
        if not m[0]:
            raise ValueError("mime: expected token after slash")
        if rest[1 + m.end() :]:
            raise ValueError("mime: unexpected content after media subtype")
    params: dict[str, str] = {}
    v = v[len(base) :]
    param_re = re.compile(rf';\s*({_TOKEN}+)\s*=\s*("(?:[^"\\]|\\.)*"|{_TOKEN}+)')
    while v:
        v = v.lstrip()
        if not v:
            break
        m = param_re.match(v)
        if m is None:
            if v.strip() == ";":
                break
            raise ValueError("mime: invalid media parameter")
        key = m[1].lower()
        if key in params:
            raise ValueError("mime: duplicate parameter name")
        value = m[2]
        if value.startswith('"'):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        params[key] = value
        v = v[m.end() :]
    return mediatype, params


def go_parse_query(query: str) -> tuple[dict[str, list[str]], str | None]:
    """url.ParseQuery: the values, and the first error's text (the semicolon one wins)."""
    values: dict[str, list[str]] = {}
    err: str | None = None

    def unescape(s: str) -> str:
        m = re.search(r"%(?![0-9A-Fa-f]{2})", s)
        if m:
            raise ValueError(f"invalid URL escape {_go_quote(s[m.start() : m.start() + 3])}")
        return unquote_to_bytes(s.replace("+", " ")).decode("utf-8", "replace")

    for part in query.split("&"):
        if ";" in part:
            err = "invalid semicolon separator in query"
            continue
        if not part:
            continue
        key, _, value = part.partition("=")
        try:
            values.setdefault(unescape(key), []).append(unescape(value))
        except ValueError as e:
            err = err or str(e)
    return values, err


def go_base64_check(data: str) -> str | None:
    """The error io.Copy from base64.NewDecoder(StdEncoding, data) gives, or None."""
    raw = data.encode("utf-8").replace(b"\r", b"").replace(b"\n", b"")
    alphabet = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
    # The decoder reads up to 1024 bytes at a time and decodes whole quanta of each.
    while len(raw) >= 4:
        chunk, n = raw[:1024], min(len(raw), 1024) // 4 * 4
        src = chunk[:n]
        si = 0
        while si < len(src):
            for j in range(4):
                c = src[si]
                si += 1
                if c in alphabet:
                    continue
                if c != ord("=") or j < 2:
                    return f"illegal base64 data at input byte {si - 1}"
                if j == 2:
                    if si == len(src):
                        return f"illegal base64 data at input byte {len(src)}"
                    if src[si] != ord("="):
                        return f"illegal base64 data at input byte {si - 1}"
                    si += 1
                if si < len(src):
                    return f"illegal base64 data at input byte {si}"
                break
        raw = raw[n:]
    return "unexpected EOF" if raw else None


