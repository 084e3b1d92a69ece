"""Fuzz at the door: thousands of malformed requests to one running moxhooks, over real HTTP.

Two seeded generators (random.Random with a fixed seed, printed; MOXHOOKS_FUZZ_SEED picks
another), no hypothesis shrinking: the point is volume and variety.

- Webhooks: >= 10,000 requests to /hooks/outgoing/{account} and /hooks/incoming/{account}
  from a few concurrent clients: mutated good payloads, random bytes, bad, missing and
  repeated headers, bodies that lie about their Content-Encoding, wrong accounts, wrong
  methods, and a few hundred requests that are not HTTP at all (raw sockets). No answer
  is >= 500; every refusal is {"code","message"} (or aiohttp's own 400 text for what it
  cannot parse as HTTP); an outgoing event is answered 200 exactly when the headers are
  right and the payload contract (parse_outgoing) accepts the body; and what is stored
  (intake records, events, kept inbound messages) is exactly what was answered 200.
- API: >= 3,000 requests across every route of the app, each route with and without a
  session (account session with CSRF header, admin session, API tokens, a wrong CSRF
  header, none), with fuzzed path parameters, query strings and JSON, form and CSV
  bodies. No answer is >= 500, GETs change nothing, and a refused request changes nothing
  (suppressions, audit, outbox, events, inbound, links, holds, and the fake mox's
  mutating calls).

Neither may log at ERROR or log a traceback. Each test prints a table of what it sent.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import logging
import os
import random
import secrets
import time
import zlib
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from conftest import SECRET, Moxhooks, moved, wait_for
from fakemox import FakeMox
from moxsender import go_marshal, outgoing_event
from multidict import CIMultiDict
from test_api import FAKE_ACCOUNTS, MOX_TOKEN, OTHER_TOKEN, sign_in, sign_in_admin
from test_fault_input import OTHER_SECRET, good_headers
from test_inbound import REPORTS, incoming_json
from yarl import URL

from moxhooks.config import Config
from moxhooks.jobs.mailbox import takes_rcpt_to
from moxhooks.jobs.unsubscribe import issue_link
from moxhooks.mox.payload import PayloadError, parse_incoming, parse_outgoing
from moxhooks.store.intake import all_records
from moxhooks.web.auth import SESSION_COOKIE

pytestmark = pytest.mark.openapi_responses

Start = Callable[..., Awaitable[Moxhooks]]

SEED = int(os.environ.get("MOXHOOKS_FUZZ_SEED", "20260517"))
N_WEBHOOKS = 10_000
N_RAW = 300  # of them, requests that are not HTTP aiohttp can parse
WEBHOOK_CLIENTS = 6
RAW_WAIT = 1.0  # seconds to wait for an answer to a raw request
MAX_BODY = 1024 * 1024
MAX_INT64 = 2**63 - 1

TOPICS = [{"name": "news", "description": "News"}, {"name": "offers"}]
ACCOUNTS = [
    {"name": "mox", "login": "mox@localhost", "password": "moxmoxmox",
     "webhook_secret": SECRET, "api_token": MOX_TOKEN, "inbound_addresses": REPORTS,
     "topics": TOPICS},
    {"name": "other", "login": "other@localhost", "password": "otherpw",
     "webhook_secret": OTHER_SECRET, "api_token": OTHER_TOKEN},
]  # fmt: skip
SECRETS = {"mox": SECRET, "other": OTHER_SECRET}


@pytest.fixture
async def fakemox() -> AsyncIterator[FakeMox]:
    async with FakeMox(FAKE_ACCOUNTS) as fm:
        yield fm


def fuzz_config(make_config: Callable[..., Config]) -> Config:
    return make_config(
        accounts=ACCOUNTS,
        mox={"admin_password": "moxadmin"},
        # Three failed sign-ins, then 429: the growing delay of each failure is not what
        # is under test here, and would cost seconds.
        web={"login_max_failures": 3},
        server={"public_url": "https://hooks.example.org/"},
    )


# ---- Logs ------------------------------------------------------------------------------------


class LogWatch(logging.Handler):
    """Every record at WARNING or above on the root logger, formatted with its traceback."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []
        self.text: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.text.append(self.format(record))

    def errors(self) -> list[str]:
        return [t for r, t in zip(self.records, self.text, strict=True) if r.levelno >= logging.ERROR]

    def tracebacks(self) -> list[str]:
        return [t for t in self.text if "Traceback" in t]


@pytest.fixture
def logwatch(caplog: pytest.LogCaptureFixture) -> Iterator[LogWatch]:
    watch = LogWatch()
    root = logging.getLogger()
    old = root.level
    root.addHandler(watch)
    if root.level > logging.WARNING or root.level == logging.NOTSET:
        root.setLevel(logging.WARNING)
    caplog.set_level(logging.WARNING)
    yield watch
    root.removeHandler(watch)
    root.setLevel(old)


def check_logs(watch: LogWatch, caplog: pytest.LogCaptureFixture) -> tuple[int, int]:
    errors = watch.errors() + [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    tracebacks = len(watch.tracebacks()) + caplog.text.count("Traceback")
    assert not errors, "\n".join(errors[:5])
    assert tracebacks == 0, "\n".join(watch.tracebacks()[:3]) or caplog.text[:3000]
    return len(errors), tracebacks


def print_table(title: str, stats: dict[str, Counter[int]], tracebacks: int, seconds: float) -> None:
    width = max(len(k) for k in stats) + 2
    total = sum(sum(c.values()) for c in stats.values())
    lines = [f"\n{title} (seed {SEED}, {total} requests, {seconds:.1f} s)"]
    lines.append(f"{'route':<{width}}{'requests':>9}  statuses")
    for name in sorted(stats):
        c = stats[name]
        seen = " ".join(f"{s}:{n}" for s, n in sorted(c.items()))
        lines.append(f"{name:<{width}}{sum(c.values()):>9}  {seen}")
    every: Counter[int] = Counter()
    for c in stats.values():
        every.update(c)
    lines.append(f"{'all':<{width}}{total:>9}  {' '.join(f'{s}:{n}' for s, n in sorted(every.items()))}")
    lines.append(f"responses >= 500: {sum(n for s, n in every.items() if s >= 500)}")
    lines.append(f"tracebacks in the log: {tracebacks}")
    print("\n".join(lines))


def is_error_body(status: int, ctype: str, text: str) -> bool:
    """The project's JSON error body, or aiohttp's own 400 for what is not HTTP."""
    if ctype == "application/json":
        try:
            body = json.loads(text)
        except ValueError:
            return False
        return (
            isinstance(body, dict)
            and {"code", "message"} <= set(body)
            and isinstance(body["code"], str)
            and isinstance(body["message"], str)
            and bool(body["message"])
            and "Traceback" not in text
        )
    return status == 400 and ctype in ("text/plain", "") and "Traceback" not in text


# ---- Webhook generator -----------------------------------------------------------------------

# Values of the wrong type or out of range, for any field.
WEIRD: list[Any] = [
    None, True, False, 0, -1, 1.5, -0.0, 1e308, MAX_INT64, MAX_INT64 + 1, 2**64, -(2**63),
    -(2**63) - 1, 10**30, "", "x", "7", "550", "\x00", "a\x00b", "\u202egnp.exe", "😀" * 40,
    "e\u0301", "\ufeff", "\uffff", "\U0010ffff", "x" * 20_000, [], [1, 2], [None], {}, {"a": 1},
    {"Address": "x@example.org"}, {"recipient": 5}, [{"Event": "failed"}],
]  # fmt: skip
# JSON number (and not-quite-number) text put raw into a body.
RAW_VALUES = [
    "1e400", "-1e400", "9" * 5000, "-" + "9" * 4400, "-0", "NaN", "Infinity", "-Infinity",
    "0x10", "01", "1.0", "1E2", "+1", ".5", "1.", "9223372036854775807", "9223372036854775808",
    "-9223372036854775809", "18446744073709551616", '"\\ud800"', '"\\udfff\\ud800"', "true",
    "nul", '"\\u0000"', '"\\x41"', "[1,]", "{,}", "'single'",
]  # fmt: skip
ODD_TEXT = [
    "\u0000", "\u0007", "\u200b", "\u200d", "\u2028", "\u2029", "\u202e", "\ufeff", "\ufffd",
    "\U0001f4a9", "\U000e0001", "\ud7ff", "\ue000", "ß", "İ", "ﬃ", "Ω", "\u0661\u0662",
    "<script>", "'; DROP TABLE events; --", "%00", "../..", "\\", '"', "\r\n",
]  # fmt: skip
FIELDS = ("Version", "Event", "DSN", "Suppressing", "QueueMsgID", "FromID", "MessageID",
          "Subject", "WebhookQueued", "SMTPCode", "SMTPEnhancedCode", "Error", "Extra")  # fmt: skip
EVENTS = ("delivered", "suppressed", "delayed", "failed", "relayed", "expanded", "canceled",
          "unrecognized", "bounced-in-2030")  # fmt: skip


def odd_text(rng: random.Random, n: int = 4) -> str:
    return "".join(rng.choice(ODD_TEXT) for _ in range(rng.randint(1, n)))


def good_event(rng: random.Random) -> dict[str, Any]:
    event = rng.choice(EVENTS)
    rcpt = rng.choice(["x@example.org", "a.b+c@example.com", "nobody@nxdomain.example",
                       "u@nullmx.example", "x@gmail.com"])  # fmt: skip
    extra = rng.choice([None, {}, {"recipient": rcpt}, {"topic": "news", "recipient": rcpt}])
    return outgoing_event(event, queue_msg_id=rng.randint(0, 10**6), extra=extra,
                          dsn=rng.random() < 0.2, suppressing=rng.random() < 0.1)  # fmt: skip


def serialize(rng: random.Random, obj: Any) -> str:
    r = rng.random()
    if r < 0.5:
        return go_marshal(obj)
    if r < 0.8:
        return json.dumps(obj)
    return json.dumps(obj, ensure_ascii=False, indent=rng.choice([None, 1, "\t"]))


def mutate_object(rng: random.Random, ev: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """One structural change to a payload object."""
    ev = dict(ev)
    op = rng.randrange(7)
    name = rng.choice(names)
    if op == 0:
        for n in rng.sample(names, rng.randint(1, 3)):
            ev.pop(n, None)
    elif op == 1:
        ev[name] = rng.choice(WEIRD)
    elif op == 2 and isinstance(ev.get(name), str):
        s = ev[name]
        i = rng.randint(0, len(s))
        ev[name] = s[:i] + odd_text(rng) + s[i:]
    elif op == 3:
        ev[rng.choice(["New", "Deep", odd_text(rng), "", "event", "queuemsgid"])] = rng.choice(WEIRD)
    elif op == 4:
        ev["Extra"] = rng.choice(
            [{"recipient": odd_text(rng)}, {odd_text(rng): "x"}, {"topic": rng.choice(WEIRD)},
             {"recipient": "x" * 300 + "@example.org"}, {"recipient": "a@b@c"}]
        )  # fmt: skip
    elif op == 5:
        ev[name] = [ev.get(name)] * rng.randint(1, 3)
    else:
        ev[name] = {"nested": ev.get(name)}
    return ev


def mutate_text(rng: random.Random, text: str, names: tuple[str, ...]) -> bytes:
    """One change to the serialized payload."""
    op = rng.randrange(12)
    if op == 0:  # truncated
        return text[: rng.randint(0, max(0, len(text) - 1))].encode()
    if op == 1:  # a raw value for a field
        name = rng.choice(names)
        marker = '"@@RAW@@"'
        obj = json.loads(text) if text.startswith("{") else {}
        obj[name] = "@@RAW@@"
        return json.dumps(obj).replace(marker, rng.choice(RAW_VALUES)).encode()
    if op == 2:  # nested deeply
        depth = rng.choice([1, 16, 31, 32, 33, 64, 1000, 50_000])
        return (text[:-1] + ',"Deep":' + "[" * depth + "]" * depth + "}").encode()
    if op == 3:  # unclosed nesting
        return (text[:-1] + ',"X":' + rng.choice(["[", "{", '{"a":']) * rng.randint(1, 3000)).encode()
    if op == 4:  # a duplicate key
        name = rng.choice(names)
        return ("{" + json.dumps(name) + ":" + json.dumps(rng.choice(WEIRD)) + "," + text[1:]).encode()
    if op == 5:  # around the object
        pre = rng.choice(["", " ", "\n", "\ufeff", "\x00", "[", "//c\n"])
        post = rng.choice(["", " \n", "}", "]", text, "\x00", ",", " x"])
        return (pre + text + post).encode()
    if op == 6:  # not UTF-8
        b = bytearray(text.encode())
        i = rng.randrange(len(b) + 1)
        b[i:i] = rng.choice([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf"])
        return bytes(b)
    if op == 7:  # another encoding
        return text.encode(rng.choice(["utf-16", "utf-16-le", "utf-32", "latin-1"]), "replace")
    if op == 8:  # bytes flipped
        b = bytearray(text.encode())
        for _ in range(rng.randint(1, 5)):
            if b:
                b[rng.randrange(len(b))] = rng.randrange(256)
        return bytes(b)
    if op == 9:  # not an object
        return rng.choice([f"[{text}]", '"failed"', "null", "0", "{}", "[]", "true", ""]).encode()
    if op == 10:  # random bytes
        return rng.randbytes(rng.randint(0, 400))
    return rng.choice([b"hello mox", b"request=%7B%7D", b"<xml/>", b"Event=failed&QueueMsgID=1"])


def webhook_body(rng: random.Random, incoming: bool) -> bytes:
    """A good body (about a third), or a mutated one."""
    if incoming:
        msg = incoming_json(rng.randint(1, 10**6), rcpt_to=rng.choice(
            [*REPORTS, "someone@localhost", "Bounces@LOCALHOST", "", "x"]))  # fmt: skip
        names: tuple[str, ...] = ("Meta", "Subject", "MessageID", "Text", "From", "To")
        if rng.random() < 0.3:
            meta = dict(msg["Meta"])
            meta[rng.choice(["MsgID", "RcptTo", "MailFrom"])] = rng.choice(WEIRD)
            msg["Meta"] = meta
    else:
        msg = good_event(rng)
        names = FIELDS
    r = rng.random()
    if r < 0.33:
        return serialize(rng, msg).encode()
    for _ in range(rng.randint(1, 3)):
        msg = mutate_object(rng, msg, names)
    try:
        text = serialize(rng, msg)
    except (ValueError, TypeError):
        text = json.dumps(msg, default=str)
    if r < 0.66:
        return text.encode("utf-8", "surrogatepass")
    return mutate_text(rng, text, names)


def whole(v: str) -> int | None:
    """What the handler reads from a header value (HTTP drops spaces and tabs around it)."""
    v = v.strip(" \t").strip()
    if v.isascii() and v.isdigit() and len(v) <= 19 and int(v) <= MAX_INT64:
        return int(v)
    return None


@dataclass
class Hook:
    """One webhook request and what the contract says of it."""

    family: str
    method: str
    path: str
    headers: list[tuple[str, str]]
    body: bytes
    kind: str  # "outgoing" or "incoming"
    account: str
    decoded: bytes | None  # the body after its Content-Encoding; None if it cannot be
    raw: bytes | None = None  # sent as these bytes on a socket instead
    unsure: bool = False  # a compressed stream cut short: it may still decode whole
    status: int = 0
    text: str = ""
    ctype: str = ""

    def hook_id(self) -> int | None:
        values = [v for k, v in self.headers if k.lower() == "x-mox-webhook-id"]
        return whole(values[0]) if len(values) == 1 else None

    def aiohttp_refuses(self) -> bool:
        """aiohttp's own 400: a header that may come once came twice, or a Content-Encoding
        it cannot decode."""
        names = Counter(k.lower() for k, _ in self.headers)
        encodings = [v.lower() for k, v in self.headers if k.lower() == "content-encoding"]
        return any(names[k] > 1 for k in ("content-type", "user-agent")) or encodings == ["br"]

    def expected_ok(self) -> bool | None:
        """200 by the contract; None where the model does not say (non-ASCII headers)."""
        if any(not v.isascii() for _, v in self.headers):
            return None
        secret = SECRETS.get(self.account)
        auths = [v for k, v in self.headers if k.lower() == "authorization"]
        if self.method != "POST" or secret is None or self.path.count("/") != 3:
            return False
        if self.unsure or len([k for k, _ in self.headers if k.lower() == "content-encoding"]) > 1:
            return None
        if self.aiohttp_refuses():
            return False
        if [a.strip(" \t") for a in auths] != [f"Bearer {secret}"] or self.hook_id() is None:
            return False
        if self.kind == "outgoing":
            attempts = [v for k, v in self.headers if k.lower() == "x-mox-webhook-attempt"]
            if len(attempts) > 1 or (attempts and whole(attempts[0]) is None):
                return False
        if self.decoded is None or len(self.decoded) > MAX_BODY:
            return False
        parse = parse_outgoing if self.kind == "outgoing" else parse_incoming
        try:
            parse(self.decoded)
        except PayloadError:
            return False
        return True


UNSURE = b"\x00unsure:"  # marks a decoded body that aiohttp may or may not accept
ENCODINGS = ["gzip", "deflate", "br", "identity", "compress", "gzip, deflate", "x-bogus",
             "GZIP", "deflate, gzip"]  # fmt: skip


def encode(rng: random.Random, body: bytes) -> tuple[str | None, bytes, bytes | None]:
    """(Content-Encoding, body sent, body decoded or None when unreadable) — mostly none."""
    r = rng.random()
    if r < 0.85:
        return None, body, body
    enc = rng.choice(ENCODINGS)
    good = rng.random() < 0.5
    if enc in ("gzip", "GZIP") and good:
        return enc, gzip.compress(body), body
    if enc == "deflate" and good:
        return enc, zlib.compress(body), body
    if enc in ("gzip", "GZIP", "deflate") and rng.random() < 0.5:
        whole = gzip.compress(body) if enc != "deflate" else zlib.compress(body)
        cut = whole[: rng.randint(0, len(whole))]
        try:  # what decodes of it (a stream cut short decodes to a prefix)
            wbits = zlib.MAX_WBITS + (16 if enc != "deflate" else 0)
            return enc, cut, UNSURE + zlib.decompressobj(wbits).decompress(cut)
        except zlib.error:
            return enc, cut, None
    return enc, body if rng.random() < 0.5 else rng.randbytes(rng.randint(0, 64)), None


def make_hook(rng: random.Random, next_id: Callable[[], int], good_ids: list[int]) -> Hook:
    kind = "incoming" if rng.random() < 0.3 else "outgoing"
    account = "mox" if rng.random() < 0.8 else "other"
    family = kind
    method = "POST"
    if rng.random() < 0.04:
        account = rng.choice(["nobody", "MOX", "mox%20", "m%C3%B6x", "%00", "..", "x" * 2000,
                              "mox%2Fx", "%ff", ""])  # fmt: skip
        family = "wrong account"
    if rng.random() < 0.03:
        method = rng.choice(["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"])
        family = "wrong method"
    body = webhook_body(rng, kind == "incoming")
    headers = good_headers(next_id())
    headers = [(k, f"Bearer {SECRETS.get(account, SECRET)}" if k == "Authorization" else v)
               for k, v in headers]  # fmt: skip
    if kind == "incoming":
        headers = [h for h in headers if h[0] != "X-Mox-Webhook-Attempt"]
    if rng.random() < 0.35:
        for _ in range(rng.randint(1, 3)):
            headers = mutate_headers(rng, headers, good_ids)
    enc, sent, decoded = encode(rng, body)
    if enc is not None:
        headers.append(("Content-Encoding", enc))
        if rng.random() < 0.1:
            headers.append(("Content-Encoding", rng.choice(ENCODINGS)))
        if enc.lower() == "br":
            decoded = None  # aiohttp's 400 without the Brotli package
        elif enc.lower() not in ("gzip", "deflate"):
            decoded = sent  # aiohttp decodes only what it knows, and passes the rest as sent
    path = f"/hooks/{kind}/{account}"
    unsure = decoded is not None and decoded.startswith(UNSURE)
    if unsure:
        assert decoded is not None
        decoded = decoded[len(UNSURE) :]
    return Hook(family, method, path, headers, sent, kind, account, decoded, unsure=unsure)


def mutate_headers(
    rng: random.Random, headers: list[tuple[str, str]], good_ids: list[int]
) -> list[tuple[str, str]]:
    name = rng.choice(["Authorization", "X-Mox-Webhook-ID", "X-Mox-Webhook-Attempt",
                       "Content-Type", "User-Agent"])  # fmt: skip
    current = [v for k, v in headers if k == name]
    rest = [(k, v) for k, v in headers if k != name]
    op = rng.randrange(4)
    if op == 0:
        return rest  # missing
    if op == 1 and current:
        return headers + [(name, rng.choice(current + ["1", "x"]))]  # twice
    if name == "Authorization":
        value = rng.choice([f"Bearer {OTHER_SECRET}", "Bearer wrong", SECRET, f"Basic {SECRET}",
                            f"bearer {SECRET}", f"Bearer {SECRET}x", "Bearer", "", f"Bearer  {SECRET}",
                            f" Bearer {SECRET} ", f"Bearer {SECRET}\u00e9", "Bearer " + "x" * 4000])  # fmt: skip
    elif name in ("X-Mox-Webhook-ID", "X-Mox-Webhook-Attempt"):
        value = rng.choice(["", "abc", "-5", "5.0", "+5", "0x1f", "1_000", " 77 ", "0",
                            str(MAX_INT64), str(MAX_INT64 + 1), str(2**64), "9" * 5000,
                            "\u0661\u0662", "\uff11\uff12", "1e3", "\t8\t", "00000000000000000042",
                            str(rng.choice(good_ids)) if good_ids else "1"])  # fmt: skip
    elif name == "Content-Type":
        value = rng.choice(["text/plain", "application/x-www-form-urlencoded", "",
                            "multipart/form-data; boundary=x", "application/json; charset=latin-1",
                            ";;;", "application/json; charset=utf-16", "\u00e9/json"])  # fmt: skip
    else:
        value = rng.choice(["", "curl/8", "x" * 3000, "mox\u00e9"])
    return rest + [(name, value)]


RAW_LINES = [
    b"POST /hooks/outgoing/mox HTTP/1.1\r\n",
    b"POST /hooks/incoming/mox HTTP/1.1\r\n",
    b"POST /hooks/outgoing/mox HTTP/9.9\r\n",
    b"POST /hooks/outgoing/mox\r\n",
    b"P\x00ST /hooks/outgoing/mox HTTP/1.1\r\n",
    b"POST /hooks/outgoing/m\x00x HTTP/1.1\r\n",
    b"POST  /hooks/outgoing/mox  HTTP/1.1\r\n",
    b"POST /hooks/outgoing/" + b"x" * 9000 + b" HTTP/1.1\r\n",
    b"\r\n\r\nPOST /hooks/outgoing/mox HTTP/1.1\r\n",
    b"GET /hooks/outgoing/mox HTTP/1.0\r\n",
    b"POST http://127.0.0.1/hooks/outgoing/mox HTTP/1.1\r\n",
    b"POST /hooks/outgoing/mox?x=%zz HTTP/1.1\r\n",
    b"POST /hooks/outgoing/%ff%fe HTTP/1.1\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",  # a TLS hello
]


def make_raw(rng: random.Random, hook_id: int) -> Hook:
    """Bytes on a socket: a broken request line, header block or chunked body."""
    line = rng.choice(RAW_LINES)
    body = serialize(rng, good_event(rng)).encode()
    heads = [b"Host: 127.0.0.1", f"Authorization: Bearer {SECRET}".encode(),
             f"X-Mox-Webhook-ID: {hook_id}".encode(), b"Connection: close",
             b"Content-Type: application/json"]  # fmt: skip
    op = rng.randrange(8)
    if op == 0:
        heads.append(b"NoColonHere")
    elif op == 1:
        heads.append(b"X-Bad\x00: v")
    elif op == 2:
        heads.append(b"X-Long: " + b"y" * 9000)
    elif op == 3:
        heads.append(b" folded: continuation")
    elif op == 4:
        heads.append(b"X-Mox-Webhook-ID: \xff\xfe")
    elif op == 5:
        heads.append(b"Content-Length: x")
    elif op == 6:
        heads.append(b"Transfer-Encoding: chunked")
        chunked = rng.choice([b"zz\r\n" + body + b"\r\n0\r\n\r\n", b"5\r\nab\r\n0\r\n\r\n",
                              b"%x\r\n" % len(body) + body + b"\r\n", b"-1\r\n\r\n",
                              b"%x;ext=\x00\r\n" % len(body) + body + b"\r\n0\r\n\r\n"])  # fmt: skip
        raw = line + b"\r\n".join(heads) + b"\r\n\r\n" + chunked
        return Hook("raw http", "POST", "/hooks/outgoing/mox", [], body, "outgoing", "mox", None, raw)
    else:
        heads.append(b"Transfer-Encoding: chunked")
        heads.append(b"Content-Length: %d" % len(body))
    if op != 5 and op != 7:
        heads.append(b"Content-Length: %d" % len(body))
    raw = line + b"\r\n".join(heads) + b"\r\n\r\n" + body
    return Hook("raw http", "POST", "/hooks/outgoing/mox", [], body, "outgoing", "mox", None, raw)


async def send_hook(session: aiohttp.ClientSession, base: str, h: Hook) -> None:
    url = URL(base.rstrip("/") + h.path, encoded=True)
    try:
        async with session.request(
            h.method, url, data=h.body, headers=CIMultiDict(h.headers),
            skip_auto_headers=("Content-Type",) if not any(k == "Content-Type" for k, _ in h.headers)
            else (),
        ) as resp:  # fmt: skip
            h.status = resp.status
            h.ctype = resp.content_type if resp.headers.get("Content-Type") else ""
            h.text = await resp.text(errors="replace")
    except aiohttp.ClientError as e:
        h.status, h.text = 0, repr(e)


async def send_raw(port: int, h: Hook) -> None:
    assert h.raw is not None
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        # No half-close: asyncio closes the server's side on EOF, before it can answer.
        writer.write(h.raw)
        await writer.drain()
        try:
            data = await asyncio.wait_for(reader.read(), timeout=RAW_WAIT)
        except TimeoutError:
            data = b""  # the server still waits for the rest of the request
        except ConnectionResetError:
            data = b""
    finally:
        writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    first = head.split(b"\r\n", 1)[0].split()
    h.status = int(first[1]) if len(first) > 1 and first[1].isdigit() else 0
    h.text = body.decode(errors="replace")
    ctypes = [ln.split(b":", 1)[1].strip() for ln in head.split(b"\r\n")[1:]
              if ln.lower().startswith(b"content-type:")]  # fmt: skip
    h.ctype = ctypes[0].split(b";")[0].decode() if ctypes else ""


def stored_outgoing(mh: Moxhooks) -> set[tuple[str, int]]:
    """(account, webhook id) of every outgoing event in the intake log or in events."""
    db_path = mh.runtime.store.db.path
    return {(r.account, r.webhook_id) for r in all_records(db_path)}


async def test_fuzz_webhooks(
    start_moxhooks: Start, make_config: Callable[..., Config], logwatch: LogWatch,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    print(f"\nwebhook fuzz seed: {SEED}")
    rng = random.Random(SEED)
    mh = await start_moxhooks(fuzz_config(make_config))
    ids = iter(range(10_000, 10**9))
    good_ids: list[int] = []

    def next_id() -> int:
        i = next(ids)
        if rng.random() < 0.02:
            good_ids.append(i)
        return i

    hooks = [make_hook(rng, next_id, good_ids) for _ in range(N_WEBHOOKS - N_RAW)]
    hooks += [make_raw(rng, next(ids)) for _ in range(N_RAW)]
    rng.shuffle(hooks)
    queue: asyncio.Queue[Hook] = asyncio.Queue()
    for h in hooks:
        queue.put_nowait(h)
    port = mh.server.port
    assert port is not None
    started = time.perf_counter()

    async def worker() -> None:
        async with aiohttp.ClientSession(auto_decompress=False) as session:
            while not queue.empty():
                h = queue.get_nowait()
                if h.raw is not None:
                    await send_raw(port, h)
                else:
                    await send_hook(session, mh.url, h)

    await asyncio.gather(*(worker() for _ in range(WEBHOOK_CLIENTS)))
    sent_seconds = time.perf_counter() - started
    await moved(mh.runtime, timeout=60)

    stats: dict[str, Counter[int]] = defaultdict(Counter)
    for h in hooks:

        stats[h.family][h.status] += 1
    problems = []
    for h in hooks:
        if h.status == 0 and (h.raw is not None or (h.method == "HEAD" and h.aiohttp_refuses())):
            continue  # no answer to an incomplete request, or aiohttp's 400 with a body to a HEAD
        if h.status >= 500 or h.status == 0:
            problems.append(f"{h.status} {h.method} {h.path[:80]} {h.headers} {h.body[:200]!r}: {h.text[:300]}")
        elif h.status != 200 and h.method != "HEAD" and not is_error_body(h.status, h.ctype, h.text):
            problems.append(f"not an error body: {h.status} {h.ctype} {h.path[:80]}: {h.text[:300]}")
        else:
            ok = h.expected_ok()
            if ok is not None and ok != (h.status == 200) and h.method != "HEAD":
                problems.append(f"contract says {ok} ({h.decoded!r:.300}), got {h.status} {h.text[:200]}: "
                                f"{h.path[:80]} {h.headers} {h.body[:300]!r}")  # fmt: skip
    assert not problems, f"{len(problems)} problems, e.g.:\n" + "\n".join(problems[:10])

    # What is stored is exactly what was answered 200.
    answered = {(h.account, h.hook_id()) for h in hooks
                if h.status == 200 and h.kind == "outgoing" and h.raw is None}  # fmt: skip
    answered |= {("mox", int(h.raw.split(b"X-Mox-Webhook-ID: ")[1].split(b"\r\n")[0]))
                 for h in hooks if h.raw is not None and h.status == 200}  # fmt: skip
    rows = await mh.runtime.store.db.fetchall("SELECT account, webhook_id FROM events")
    stored = stored_outgoing(mh) | {(str(r[0]), int(r[1])) for r in rows}
    assert stored == answered, (sorted(stored - answered)[:10], sorted(answered - stored)[:10])
    kept = await mh.runtime.store.db.fetchall(
        "SELECT account, external_id FROM inbound WHERE source = 'webhook'"
    )
    expected_kept = set()
    for h in hooks:
        if h.status == 200 and h.kind == "incoming":
            assert h.decoded is not None
            msg = parse_incoming(h.decoded)
            if takes_rcpt_to(REPORTS if h.account == "mox" else (), msg.rcpt_to):
                expected_kept.add((h.account, str(h.hook_id())))
    assert {(str(r[0]), str(r[1])) for r in kept} == expected_kept

    _, tracebacks = check_logs(logwatch, caplog)
    print_table("webhook fuzz", stats, tracebacks, sent_seconds)
    assert sum(sum(c.values()) for c in stats.values()) >= 10_000


# ---- API -------------------------------------------------------------------------------------

# Mox methods that change something there.
# The fake mox's calls that change something there (a refused Send changes nothing, so
# mox's sent messages and queue are compared instead of Send calls).
MOX_MUTATING = {"SuppressionAdd", "SuppressionRemove"}
TABLES = ("suppressions", "audit", "outbox", "events", "recipients", "inbound",
          "inbound_results", "unsubscribe_links", "unsubscribe_keys", "auto_holds", "accounts")  # fmt: skip
AUTH_ROUTES = {"/api/v1/login", "/api/v1/admin/login", "/api/v1/logout"}

ID_VALUES = ["1", "2", "3", "0", "-1", "00", "01", str(MAX_INT64), str(MAX_INT64 + 1), str(2**64),
             "9" * 40, "9" * 5000, "abc", "1.5", "1e3", "0x10", "\u0661", "\uff11", "١٢٣",
             "1%20", "%31", "😀", "x" * 9000, "", "%00", "1/2", "..", "%2e%2e"]  # fmt: skip
ACCOUNT_VALUES = ["mox", "mox", "other", "nosuch", "MOX", "mox%00", "%ff", "m%C3%B6x", "..",
                  "x" * 3000, "%2F", "", "mox%20"]  # fmt: skip
NAME_VALUES = ["app.css", "index.html", "admin.html", "app.js", "unsubscribe.html", ".env",
               "..%2Fpyproject.toml", "%2e%2e", "x" * 5000, "%00", "nosuch.js", "%ff", "😀.png", ""]  # fmt: skip
FIELD_VALUES: list[Any] = [
    None, 5, -1, 2**64, 1.5, True, [], {}, ["a@example.org"], {"a": 1}, "", " ", "\x00",
    "a\x00b", "x" * 5000, "😀" * 50, "\u202e", "\ufeff", "'; DROP TABLE suppressions; --",
    "<img src=x onerror=alert(1)>", "no-at-sign", "a@b@c", "@example.org", "a@", "a@[127.0.0.1]",
    "\"quoted local\"@example.org", "x@xn--", "x@" + "a" * 300 + ".org", "ünicode@exämple.org",
    "1s", "-7d", "99999999999d", "7d", "2001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "news",
    "offers", "bounce", "complaint", "<m1@localhost>", "1w", "3m", "resubscribe",
]  # fmt: skip
QUERY_NAMES = ["limit", "offset", "active", "expiring", "search", "kind", "source", "scope",
               "status", "before", "days", "address", "event", "account", "x", ""]  # fmt: skip
QUERY_VALUES = ["", "0", "1", "-1", "50", "501", "500", str(MAX_INT64), str(MAX_INT64 + 1),
                "9" * 5000, "true", "false", "all", "maybe", "TRUE", "%zz", "%ff%fe", "%00",
                "\u0661", "😀", "x" * 3000, "a@example.org", "no-at", "pending", "done", "-",
                "manual", "complaint", "failed", "1.5", "1e3", " 5", "5 "]  # fmt: skip


@dataclass
class Caller:
    """Who sends a request: its cookie jar and headers."""

    name: str
    session: aiohttp.ClientSession
    headers: dict[str, str]
    role: str = ""  # "account"/"admin" when it has a session to restore
    account: str = ""
    email: str = ""
    csrf_ok: bool = True


class Http:
    """The two calls test_api's sign_in needs, over one ClientSession."""

    def __init__(self, base: str, session: aiohttp.ClientSession) -> None:
        self.base = base.rstrip("/")
        self.session = session

    def request(self, method: str, path: str, **kw: Any) -> Any:
        return self.session.request(method, self.base + path, **kw)

    def post(self, path: str, **kw: Any) -> Any:
        return self.request("POST", path, **kw)


@dataclass
class ApiReq:
    route: str  # "METHOD /canonical/path"
    caller: str
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes | None
    status: int = 0
    text: str = ""
    ctype: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def fill(rng: random.Random, canonical: str, tokens: list[str]) -> str:
    out = canonical
    if "{account}" in out:
        out = out.replace("{account}", rng.choice(ACCOUNT_VALUES))
    if "{id}" in out:
        out = out.replace("{id}", rng.choice(ID_VALUES))
    if "{name}" in out:
        out = out.replace("{name}", rng.choice(NAME_VALUES))
    if "{token}" in out:
        out = out.replace("{token}", rng.choice(tokens))
    for ch in ("😀", "١", "\u0661", "\uff11", "\ufffd"):
        out = out.replace(ch, quote(ch))
    return out


def fuzz_query(rng: random.Random) -> str:
    if rng.random() < 0.4:
        return ""
    parts = []
    for _ in range(rng.randint(1, 4)):
        name = rng.choice(QUERY_NAMES)
        value = rng.choice(QUERY_VALUES)
        enc = value if "%" in value else quote(value, safe="")
        parts.append(f"{name}={enc}" if rng.random() < 0.9 else name)
    if rng.random() < 0.05:
        parts.append(rng.choice(["&&", "=", "a=b=c", "%", "limit", ";x"]))
    return "?" + "&".join(parts)


def good_body(route: str, rng: random.Random, n: int) -> dict[str, Any] | None:
    if route.endswith("/login") and "admin" in route:
        return {"password": rng.choice(["moxadmin", "wrong"])}
    if route.endswith("/login"):
        return {"email": "mox@localhost", "password": rng.choice(["moxmoxmox", "wrong"])}
    if route == "POST /api/v1/accounts/{account}/suppressions":
        return {"address": f"fuzz{n}@example.org", "scope": rng.choice(["", "news"]),
                "reason": "fuzz", "expires": rng.choice(["", "7d", "36h"])}  # fmt: skip
    if route == "DELETE /api/v1/accounts/{account}/suppressions/{id}":
        return {"reason": rng.choice(["", "typo", "asked"])}
    if route == "POST /api/v1/reports":
        return {"message_id": "<m1@localhost>", "type": rng.choice(["bounce", "complaint"]),
                "detail": "550 5.1.1 user unknown", "recipient": "r@example.org"}  # fmt: skip
    if route == "POST /api/v1/admin/holdrules":
        return {"account": "", "sender_domain": "",
                "recipient_domain": rng.choice(["example.org", "held.example"])}  # fmt: skip
    if route.endswith("/send"):
        return {"To": [{"Address": f"to{n}@example.org"}], "Subject": "hi", "Text": "hello\n",
                "topic": rng.choice(["", "news"])}  # fmt: skip
    if route == "POST /u/{token}/prefs":
        return {"action": rng.choice(["unsubscribe", "pause", "resubscribe"]),
                "scope": rng.choice(["", "news"]), "period": rng.choice(["1w", "1m"])}  # fmt: skip
    return None


def fuzz_json(rng: random.Random, body: dict[str, Any] | None) -> Any:
    body = dict(body or {})
    for _ in range(rng.randint(1, 3)):
        op = rng.randrange(4)
        keys = list(body) or ["address"]
        if op == 0 and body:
            body.pop(rng.choice(keys))
        elif op == 1:
            body[rng.choice(keys)] = rng.choice(FIELD_VALUES)
        elif op == 2:
            body[rng.choice(["extra", "", "😀", "To", "Headers", "Extra", "id"])] = rng.choice(FIELD_VALUES)
        else:
            k = rng.choice(keys)
            if isinstance(body.get(k), str):
                body[k] = body[k] + odd_text(rng)
    return body


def make_body(rng: random.Random, route: str, n: int) -> tuple[bytes | None, str | None]:
    """(body, Content-Type) for a route; mostly a mutation of what the route takes."""
    good = good_body(route, rng, n)
    method = route.split()[0]
    r = rng.random()
    if route == "POST /u/{token}":
        if r < 0.5:
            return b"List-Unsubscribe=One-Click", "application/x-www-form-urlencoded"
        return rng.choice([
            (b"List-Unsubscribe=One-Clic", "application/x-www-form-urlencoded"),
            (b"List-Unsubscribe=%zz&&=", "application/x-www-form-urlencoded"),
            (b"%ff%fe=%ff", "application/x-www-form-urlencoded; charset=latin-1"),
            (b"List-Unsubscribe=One-Click", "application/x-www-form-urlencoded; charset=bogus"),
            (b"List-Unsubscribe=One-Click", "text/plain"),
            (b"--x\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--x--\r\n",
             "multipart/form-data; boundary=x"),
            (b"--x\r\nContent-Disposition: form-data\r\n\r\nOne-Click\r\n--x--\r\n", "multipart/form-data; boundary=x"),
            (b"garbage", "multipart/form-data; boundary=x"),
            (b"garbage", "multipart/form-data"),
            (b"\xff" * 50, "multipart/form-data; boundary=\xe9"),
            (rng.randbytes(100), "application/x-www-form-urlencoded"),
            (b"List-Unsubscribe=One-Click", None),
        ])  # fmt: skip
    if route.endswith("/suppressions/import"):
        rows = ["address,scope,reason,expires", f"imp{n}@example.org,,fuzz,", "bad-address,,,",
                f'"q{n}@example.org","news","a ""quoted"" reason",7d']
        if r < 0.3:
            return "\n".join(rows).encode(), "text/csv"
        return rng.choice([
            ("\n".join(rows[:1] + [odd_text(rng) + ",x"]).encode(), "text/csv"),
            (b"\xef\xbb\xbf" + "\n".join(rows).encode(), "text/csv"),
            (b"address\n\xff\xfe@example.org\n", "text/csv"),
            (b"address\n\"unclosed@example.org\n", "text/csv"),
            (b"", "text/csv"),
            (b"nope,header\nx,y\n", "text/csv"),
            (b"address\x00,scope\na@example.org,\x00\n", "text/csv"),
            (b"address\n" + b"a" * 200_000 + b"@example.org\n", "text/plain"),
            (b"address," * 5000 + b"\n", "text/csv"),
            ("\n".join(rows).encode("utf-16"), "text/csv"),
            ("\n".join(rows).encode(), "application/json"),
            ("\n".join(rows).encode(), "text/csv; charset=latin-1"),
            (rng.randbytes(300), "text/csv"),
            (("address,expires\n" + f"e{n}@example.org,{rng.choice(FIELD_VALUES)}\n")
             .encode("utf-8", "replace"), "text/csv"),
        ])  # fmt: skip
    if good is None and method in ("GET", "HEAD") and r < 0.85:
        return None, None
    if good is not None and r < 0.25:
        return json.dumps(good).encode(), "application/json"
    if r < 0.65:
        value = fuzz_json(rng, good)
        return json.dumps(value, default=str).encode("utf-8", "surrogatepass"), "application/json"
    choice = rng.randrange(12)
    if choice == 0:
        return b"", "application/json"
    if choice == 1:
        return rng.randbytes(rng.randint(1, 200)), "application/json"
    if choice == 2:
        return b"[" * 100_000 + b"]" * 100_000, "application/json"
    if choice == 3:
        return b'{"a":' * 50_000 + b"1" + b"}" * 50_000, "application/json"
    if choice == 4:
        return b'{"address": ' + b"9" * 5000 + b"}", "application/json"
    if choice == 5:
        return b'{"address": NaN, "x": 1e999}', "application/json"
    if choice == 6:
        return json.dumps(good or {}).encode(), rng.choice(
            ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
             "application/json; charset=utf-16", "application/jsonx", "", "text/csv",
             "application/json; charset=bogus"])  # fmt: skip
    if choice == 7:
        return json.dumps(good or {}).encode("utf-16"), "application/json"
    if choice == 8:
        return b'{"address":"a@example.org"}{"x":1}', "application/json"
    if choice == 9:
        return b'{"address":"\\ud800@example.org"}', "application/json"
    if choice == 10:
        return json.dumps([good]).encode(), "application/json"
    return b"address=a%40example.org&scope=", "application/x-www-form-urlencoded"


async def api_state(mh: Moxhooks) -> dict[str, Any]:
    """A digest of everything a request could change."""
    db = mh.runtime.store.db
    out: dict[str, Any] = {}
    for table in TABLES:
        rows = sorted(repr(tuple(r)) for r in await db.fetchall(f"SELECT * FROM {table}"))
        out[table] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    fm = mh.fakemox
    out["mox Suppression* calls"] = sum(1 for c in fm.calls if c[1] in MOX_MUTATING)
    out["mox sent"] = len(fm.sent)
    out["mox queue"] = repr(sorted((k, m.get("Hold")) for k, m in fm.queue.items()))
    out["mox suppressions"] = repr({a: fm.suppressions(a) for a in ("mox", "other")})
    out["mox hold rules"] = repr(sorted(fm.hold_rules.items()))
    return out


async def settle(mh: Moxhooks) -> None:
    """Wait until what a successful request set going (pushing entries to mox) is done."""

    async def idle() -> bool:
        backlog = await mh.runtime.store.outbox.backlog_by_account()
        return not any(backlog.values()) and await mh.runtime.store.events.intake_backlog() == 0

    await wait_for(idle, timeout=10, what="the outbox pushed to mox")


async def seed(mh: Moxhooks, token_headers: dict[str, str]) -> list[str]:
    """Data for the ids and tokens in URLs to find: entries, a sent message, a kept report
    message, unsubscribe links. Returns the tokens to use in /u/{token}."""
    async with aiohttp.ClientSession() as s:
        base = mh.url + "api/v1/accounts/mox/suppressions"
        for addr in ("seed1@example.org", "seed2@example.org", "seed3@example.org"):
            resp = await s.post(base, json={"address": addr}, headers=token_headers)
            assert resp.status == 201, await resp.text()
        # A message mox delivered to r@example.org, for the report endpoint to find.
        mh.fakemox.add_retired(77, "mox", "r@example.org", 0, "", success=True,
                               message_id="<m1@localhost>")  # fmt: skip
        hook = outgoing_event("delivered", queue_msg_id=77, message_id="<m1@localhost>")
        resp = await s.post(mh.hook_url(), json=hook, headers=dict(good_headers(5)))
        assert resp.status == 200
        # A report message in the bounce mailbox.
        msg_id = mh.fakemox.add_incoming("mox", b"Subject: hi\r\n\r\nhi\r\n")
        headers = {"Authorization": f"Bearer {SECRET}", "X-Mox-Webhook-ID": "6"}
        resp = await s.post(mh.url + "hooks/incoming/mox", json=incoming_json(msg_id,
                            rcpt_to=REPORTS[0]), headers=headers)  # fmt: skip
        assert resp.status == 200
    db = mh.runtime.store.db

    async def processed() -> bool:
        ev = await db.fetchone("SELECT COUNT(*) FROM events WHERE status IN ('pending')")
        inb = await db.fetchone("SELECT COUNT(*) FROM inbound WHERE status = 'pending'")
        return ev is not None and inb is not None and ev[0] == 0 and inb[0] == 0

    await moved(mh.runtime)
    await wait_for(processed, timeout=10, what="seeded events and messages processed")
    await settle(mh)
    tokens = []
    for topic, addr in (("news", "john.doe@example.org"), ("", "jane@example.org"),
                        ("gone", "x@example.org")):  # fmt: skip
        _, tok = await issue_link(mh.runtime.store.unsubscribe, "mox", addr, topic, "<m1@localhost>")
        tokens.append(tok)
    tampered = tokens[0][:-2] + ("A" if tokens[0][-2] != "A" else "B") + tokens[0][-1]
    return tokens + [tokens[0], tampered, "", "x", "x" * 5000, "%00", "%ff", "..", "AAAA" * 8,
                     quote("😀"), tokens[0] + "%20", tokens[0].upper()]  # fmt: skip


def routes_of(mh: Moxhooks) -> list[tuple[str, str]]:
    app = mh.server.app
    assert app is not None
    return sorted({(r.method, r.resource.canonical) for r in app.router.routes()
                   if r.resource is not None})  # fmt: skip


async def restore(mh: Moxhooks, c: Caller) -> None:
    """After a sign-in or sign-out went through: the caller's own session again."""
    c.session.cookie_jar.clear()
    if not c.role:
        return
    from moxhooks.web.auth import _hash

    tok, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    await mh.runtime.store.sessions.create(
        _hash(tok), c.role, c.account, c.email, csrf, "127.0.0.1",
        idle=mh.runtime.config.web.session_idle, lifetime=mh.runtime.config.web.session_lifetime,
    )  # fmt: skip
    c.session.cookie_jar.update_cookies({SESSION_COOKIE: tok}, URL(mh.url + "api/"))
    if c.csrf_ok:
        c.headers["X-CSRF-Token"] = csrf


async def send_api(mh: Moxhooks, c: Caller, r: ApiReq) -> None:
    url = URL(mh.url.rstrip("/") + r.path + r.query, encoded=True)
    headers = {**c.headers, **r.headers}
    skip = () if "Content-Type" in headers else ("Content-Type",)
    try:
        async with c.session.request(r.method, url, data=r.body, headers=headers,
                                     skip_auto_headers=skip, allow_redirects=False) as resp:  # fmt: skip
            r.status = resp.status
            r.ctype = resp.content_type if resp.headers.get("Content-Type") else ""
            r.text = await resp.text(errors="replace")
    except aiohttp.ServerDisconnectedError as e:  # pragma: no cover - reported below
        r.status, r.text = 0, repr(e)


def mox_refused(r: ApiReq) -> bool:
    """The send relay's 422 moxRefused: mox refused the message as given (moxhooks does not
    judge mox's Send fields itself: test_relay's test_an_unknown_field_reaches_mox_as_given)."""
    if not (r.route.endswith("/send") and r.status == 422 and r.ctype == "application/json"):
        return False
    body = json.loads(r.text)
    return body.get("code") == "moxRefused" and body.get("sent") == []


def refused_body_ok(r: ApiReq) -> bool:
    if r.method == "HEAD" or r.status in (304,) or r.status < 400:
        return True
    if r.route.startswith("GET /u/{token}") and not r.route.endswith("prefs") and r.ctype == "text/html":
        return r.status == 404  # the page for a refused link
    return is_error_body(r.status, r.ctype, r.text)


async def test_fuzz_api(
    start_moxhooks: Start, make_config: Callable[..., Config], logwatch: LogWatch,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    print(f"\nAPI fuzz seed: {SEED}")
    rng = random.Random(SEED + 1)
    mh = await start_moxhooks(fuzz_config(make_config))
    jar = lambda: aiohttp.CookieJar(unsafe=True)  # noqa: E731 - cookies for 127.0.0.1
    sessions = [aiohttp.ClientSession(cookie_jar=jar(), auto_decompress=False) for _ in range(8)]
    try:
        account = await sign_in(Http(mh.url, sessions[0]))
        admin = await sign_in_admin(Http(mh.url, sessions[1]))
        await sign_in(Http(mh.url, sessions[2]))  # a session, sent with a wrong CSRF header
        other = await sign_in(Http(mh.url, sessions[3]), "other@localhost", "otherpw")
        callers = [
            Caller("none", sessions[4], {}),
            Caller("account session", sessions[0], dict(account.headers), "account", "mox",
                   "mox@localhost"),
            Caller("other account session", sessions[3], dict(other.headers), "account", "other",
                   "other@localhost"),
            Caller("admin session", sessions[1], dict(admin.headers), "admin"),
            Caller("bad csrf", sessions[2], {"X-CSRF-Token": "wrong"}, "account", "mox",
                   "mox@localhost", csrf_ok=False),
            Caller("api token", sessions[5], {"Authorization": f"Bearer {MOX_TOKEN}"}),
            Caller("other api token", sessions[6], {"Authorization": f"Bearer {OTHER_TOKEN}"}),
            Caller("bad token", sessions[7], {"Authorization": "Bearer nope"}),
        ]  # fmt: skip
        by_name = {c.name: c for c in callers}
        tokens = await seed(mh, {"Authorization": f"Bearer {MOX_TOKEN}"})
        routes = routes_of(mh)
        families = {p.split("/")[1] for _, p in routes}
        assert {"api", "u", "admin", "static", "healthz", "metrics", "hooks", ""} <= families | {""}
        per_route_caller = 12
        reqs: list[ApiReq] = []
        n = 0
        for method, canonical in routes:
            for c in callers:
                for _ in range(per_route_caller):
                    n += 1
                    route = f"{method} {canonical}"
                    body, ctype = make_body(rng, route, n)
                    headers: dict[str, str] = {}
                    if ctype is not None:
                        headers["Content-Type"] = ctype
                    if canonical.startswith("/u/") and rng.random() < 0.7:
                        headers["X-Requested-With"] = rng.choice(["moxhooks", " ", "x" * 100])
                    if rng.random() < 0.05:
                        headers[rng.choice(["X-CSRF-Token", "Authorization", "Cookie"])] = rng.choice(
                            ["", "x", f"Bearer {MOX_TOKEN}", "moxhooks_session=x", "\u00e9"])  # fmt: skip
                    path = fill(rng, canonical, tokens)
                    reqs.append(ApiReq(route, c.name, method, path, fuzz_query(rng), headers, body))
        rng.shuffle(reqs)
        assert len(reqs) >= 3000
        started = time.perf_counter()
        problems: list[str] = []
        i = 0
        while i < len(reqs):
            if reqs[i].method in ("GET", "HEAD"):
                batch = []
                while i < len(reqs) and reqs[i].method in ("GET", "HEAD") and len(batch) < 6:
                    batch.append(reqs[i])
                    i += 1
                before = await api_state(mh)
                await asyncio.gather(*(send_api(mh, by_name[r.caller], r) for r in batch))
                after = await api_state(mh)
                if before != after:
                    changed = [k for k in before if before[k] != after[k]]
                    problems.append(f"GETs changed {changed}: {[(r.route, r.path[:60], r.status) for r in batch]}")
                continue
            r = reqs[i]
            i += 1
            c = by_name[r.caller]
            before = await api_state(mh)
            await send_api(mh, c, r)
            if 200 <= r.status < 300:
                await settle(mh)
                if r.route.split()[1] in AUTH_ROUTES:
                    await restore(mh, c)
            else:
                after = await api_state(mh)
                if before != after:
                    changed = [k for k in before if before[k] != after[k]]
                    problems.append(f"refused {r.status} changed {changed}: {r.route} {r.caller} "
                                    f"{r.path[:80]}{r.query[:80]} {r.body[:200] if r.body else b''!r}")  # fmt: skip
        seconds = time.perf_counter() - started
        stats: dict[str, Counter[int]] = defaultdict(Counter)
        callers_seen: dict[str, Counter[int]] = defaultdict(Counter)
        passed_through = 0
        for r in reqs:
            stats[r.route][r.status] += 1
            callers_seen[r.caller][r.status] += 1
            passed_through += mox_refused(r)
            if r.status >= 500 or r.status == 0:
                problems.append(f"{r.status} {r.route} {r.caller} {r.path[:100]}{r.query[:100]} "
                                f"{r.headers} {r.body[:300] if r.body else b''!r}: {r.text[:300]}")  # fmt: skip
            elif not refused_body_ok(r):
                problems.append(f"not an error body {r.status} {r.ctype} {r.route} {r.path[:80]}: {r.text[:200]}")
        assert not problems, f"{len(problems)} problems, e.g.:\n" + "\n".join(problems[:12])
        assert {r.route for r in reqs} == {f"{m} {p}" for m, p in routes}
        _, tracebacks = check_logs(logwatch, caplog)
        print_table("API fuzz, per route", stats, tracebacks, seconds)
        print_table("API fuzz, per caller", callers_seen, tracebacks, seconds)
        print(f"of them 422 moxRefused from /send, mox refusing the message as given: {passed_through}")
    finally:
        for s in sessions:
            await s.close()
