"""Bad input at the door: every malformed webhook gets a 4xx JSON {"code","message"},
never a 500 or a stack trace, and nothing is stored or changed.

A hand-written table with the exact status and code of each case, then hypothesis:
arbitrary bytes and arbitrary JSON must be answered 200 exactly when the payload
parser (the written contract) accepts them, and 4xx otherwise.
"""

from __future__ import annotations

import asyncio
import gzip
import http.client
import json
import sqlite3
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from conftest import SECRET, Moxhooks, moved
from fakemox import FakeMox
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moxsender import EVENTS, go_marshal, outgoing_event
from multidict import CIMultiDict
from openapi_check import Checked, check_answer, request_problem

from moxhooks.config import Config, config_from_dict
from moxhooks.mox.payload import PayloadError, parse_outgoing
from moxhooks.store.intake import all_records
from moxhooks.web.app import create_app

Start = Callable[..., Awaitable[Moxhooks]]

# As `moxhooks serve` runs: the worker in a process of its own.
pytestmark = [pytest.mark.worker_process, pytest.mark.openapi_responses]

OTHER_SECRET = "the-other-accounts-secret"
MAX_BODY = 1024 * 1024
GOOD = go_marshal(outgoing_event("failed", queue_msg_id=7, extra={"recipient": "x@example.org"}))


def two_accounts(make_config: Callable[..., Config]) -> Config:
    return make_config(
        accounts=[
            {"name": "mox", "login": "mox@localhost", "password": "moxmoxmox",
             "webhook_secret": SECRET},
            {"name": "other", "login": "other@localhost", "password": "x",
             "webhook_secret": OTHER_SECRET},
        ]
    )  # fmt: skip


def nested(depth: int) -> str:
    return '{"Event":"failed","QueueMsgID":1,"Deep":' + "[" * depth + "]" * depth + "}"


def with_field(**fields: Any) -> str:
    ev = outgoing_event("failed", queue_msg_id=7)
    ev.update(fields)
    return json.dumps(ev)


def raw_field(name: str, raw: str) -> str:
    """The good event with one field's value replaced by raw JSON text."""
    ev = outgoing_event("failed", queue_msg_id=7)
    ev[name] = "@@RAW@@"
    return json.dumps(ev).replace('"@@RAW@@"', raw)


def without(name: str) -> str:
    ev = outgoing_event("failed", queue_msg_id=7)
    del ev[name]
    return json.dumps(ev)


@dataclass(frozen=True)
class Case:
    """One bad request: what to change from a good one, and the answer expected."""

    name: str
    status: int
    code: str
    body: bytes | str = GOOD
    # Headers replacing the good ones (a list of pairs allows repeats); None: keep.
    headers: list[tuple[str, str]] | None = None
    drop: tuple[str, ...] = ()  # good headers to leave out
    account: str = "mox"
    method: str = "POST"
    chunked: bool = False


def good_headers(hook_id: int) -> list[tuple[str, str]]:
    return [
        ("User-Agent", "mox/v0.0.17 (webhook)"),
        ("Content-Type", "application/json; charset=utf-8"),
        ("Authorization", f"Bearer {SECRET}"),
        ("X-Mox-Webhook-ID", str(hook_id)),
        ("X-Mox-Webhook-Attempt", "1"),
    ]


CASES = [
    # Who is asking.
    Case("no authorization", 401, "noAuth", drop=("Authorization",)),
    Case("wrong secret", 401, "noAuth", headers=[("Authorization", "Bearer wrong")]),
    Case("other account's secret", 401, "noAuth",
         headers=[("Authorization", f"Bearer {OTHER_SECRET}")]),
    Case("secret without Bearer", 401, "noAuth", headers=[("Authorization", SECRET)]),
    Case("basic scheme", 401, "noAuth", headers=[("Authorization", f"Basic {SECRET}")]),
    Case("bearer in lower case", 401, "noAuth", headers=[("Authorization", f"bearer {SECRET}")]),
    Case("secret with a trailing byte", 401, "noAuth",
         headers=[("Authorization", f"Bearer {SECRET}x")]),
    Case("authorization twice", 401, "noAuth",
         headers=[("Authorization", f"Bearer {SECRET}"), ("Authorization", f"Bearer {SECRET}")]),
    Case("unknown account", 404, "notFound", account="nobody"),
    Case("wrong method", 405, "methodNotAllowed", method="GET"),
    # Headers.
    Case("webhook id missing", 400, "badHeader", drop=("X-Mox-Webhook-ID",)),
    Case("webhook id twice", 400, "badHeader",
         headers=[("X-Mox-Webhook-ID", "901"), ("X-Mox-Webhook-ID", "902")]),
    Case("webhook id empty", 400, "badHeader", headers=[("X-Mox-Webhook-ID", "")]),
    Case("webhook id not a number", 400, "badHeader", headers=[("X-Mox-Webhook-ID", "abc")]),
    Case("webhook id negative", 400, "badHeader", headers=[("X-Mox-Webhook-ID", "-5")]),
    Case("webhook id fraction", 400, "badHeader", headers=[("X-Mox-Webhook-ID", "5.0")]),
    Case("webhook id past int64", 400, "badHeader",
         headers=[("X-Mox-Webhook-ID", "9223372036854775808")]),
    Case("webhook id absurdly long", 400, "badHeader", headers=[("X-Mox-Webhook-ID", "9" * 5000)]),
    Case("webhook id in Arabic digits", 400, "badHeader",
         headers=[("X-Mox-Webhook-ID", "\u0661\u0662")]),
    Case("attempt twice", 400, "badHeader",
         headers=[("X-Mox-Webhook-Attempt", "1"), ("X-Mox-Webhook-Attempt", "2")]),
    Case("attempt not a number", 400, "badHeader", headers=[("X-Mox-Webhook-Attempt", "first")]),
    # Size.
    Case("body over 1 MiB with Content-Length", 413, "tooLarge",
         body=b'{"Event":"failed","QueueMsgID":1,"Pad":"' + b"x" * MAX_BODY + b'"}'),
    Case("body over 1 MiB chunked", 413, "tooLarge", chunked=True,
         body=b'{"Event":"failed","QueueMsgID":1,"Pad":"' + b"x" * MAX_BODY + b'"}'),
    # A body that cannot be read as sent.
    Case("gzip that is not gzip", 400, "badRequest", headers=[("Content-Encoding", "gzip")]),
    Case("deflate that is not deflate", 400, "badRequest", headers=[("Content-Encoding", "deflate")]),
    # A gzip stream cut short decompresses to a prefix of the JSON: read, but not a payload.
    Case("gzip cut short", 400, "badPayload", headers=[("Content-Encoding", "gzip")],
         body=gzip.compress(GOOD.encode())[:30]),
    # Not JSON.
    Case("empty body", 400, "badPayload", body=b""),
    Case("plain text", 400, "badPayload", body=b"hello mox"),
    Case("form data", 400, "badPayload", body=b"request=%7B%7D"),
    Case("truncated JSON", 400, "badPayload", body=GOOD[:-10]),
    Case("invalid UTF-8", 400, "badPayload", body=b'{"Event":"failed\xff","QueueMsgID":1}'),
    Case("Latin-1 text", 400, "badPayload", body='{"Event":"fäiled","QueueMsgID":1}'.encode("latin-1")),
    Case("byte order mark", 400, "badPayload", body=b"\xef\xbb\xbf" + GOOD.encode()),
    Case("NaN", 400, "badPayload", body=raw_field("SMTPCode", "NaN")),
    Case("lone surrogate", 400, "badPayload", body='{"Event":"failed\\ud800","QueueMsgID":1}'),
    Case("duplicate field", 400, "badPayload", body='{"Event":"failed","Event":"delivered","QueueMsgID":1}'),
    Case("trailing garbage", 400, "badPayload", body=GOOD + "}"),
    Case("two objects", 400, "badPayload", body=GOOD + GOOD),
    # JSON of the wrong shape.
    Case("array", 400, "badPayload", body=f"[{GOOD}]"),
    Case("string", 400, "badPayload", body='"failed"'),
    Case("null", 400, "badPayload", body="null"),
    Case("empty object", 400, "badPayload", body="{}"),
    Case("no Event", 400, "badPayload", body=without("Event")),
    Case("Event empty", 400, "badPayload", body=with_field(Event="")),
    Case("Event a number", 400, "badPayload", body=with_field(Event=3)),
    Case("Event null", 400, "badPayload", body=with_field(Event=None)),
    Case("no QueueMsgID", 400, "badPayload", body=without("QueueMsgID")),
    Case("QueueMsgID a string", 400, "badPayload", body=with_field(QueueMsgID="7")),
    Case("QueueMsgID a fraction", 400, "badPayload", body=with_field(QueueMsgID=7.5)),
    Case("QueueMsgID negative", 400, "badPayload", body=with_field(QueueMsgID=-1)),
    Case("QueueMsgID a bool", 400, "badPayload", body=with_field(QueueMsgID=True)),
    Case("Suppressing a string", 400, "badPayload", body=with_field(Suppressing="yes")),
    Case("SMTPCode a string", 400, "badPayload", body=with_field(SMTPCode="550")),
    Case("Extra a list", 400, "badPayload", body=with_field(Extra=["topic"])),
    Case("Extra with a number", 400, "badPayload", body=with_field(Extra={"recipient": 5})),
    Case("Extra with an object", 400, "badPayload",
         body=with_field(Extra={"recipient": {"Address": "a@example.org"}})),
    # Absurd numbers.
    Case("QueueMsgID 2^64", 400, "badPayload", body=with_field(QueueMsgID=2**64)),
    Case("QueueMsgID 1e400", 400, "badPayload", body=raw_field("QueueMsgID", "1e400")),
    Case("SMTPCode -2^63-1", 400, "badPayload", body=with_field(SMTPCode=-(2**63) - 1)),
    Case("a 5000-digit number", 400, "badPayload", body=raw_field("SMTPCode", "9" * 5000)),
    Case("Version 1e999", 400, "badPayload", body=raw_field("Version", "1e999")),
    # Deep nesting.
    Case("nesting 33 deep", 400, "badPayload", body=nested(33)),
    Case("nesting 100000 deep", 400, "badPayload", body=nested(100_000)),
    Case("unclosed nesting", 400, "badPayload", body='{"Event":"failed","X":' + "[" * 50_000),
]  # fmt: skip


async def send(
    session: aiohttp.ClientSession, base: str, case: Case, hook_id: int
) -> aiohttp.ClientResponse:
    headers = [h for h in good_headers(hook_id) if h[0] not in case.drop]
    if case.headers is not None:
        replaced = {k.lower() for k, _ in case.headers}
        headers = [h for h in headers if h[0].lower() not in replaced] + case.headers
    body = case.body.encode() if isinstance(case.body, str) else case.body
    data: Any = body
    if case.chunked:

        async def chunks() -> AsyncIterator[bytes]:
            for i in range(0, len(body), 65536):
                yield body[i : i + 65536]

        data = chunks()
    url = f"{base}hooks/outgoing/{case.account}"
    return await session.request(case.method, url, data=data, headers=CIMultiDict(headers))


async def stored_nothing(mh: Moxhooks) -> None:
    db = mh.runtime.store.db
    assert all_records(db.path) == [], "intake is not empty"
    for table in ("events", "suppressions", "outbox", "audit", "recipients"):
        row = await db.fetchone(f"SELECT COUNT(*) FROM {table}")
        assert row is not None and row[0] == 0, f"{table} is not empty"
    assert [c for c in mh.fakemox.calls if c[1].startswith("Suppression")
            and c[1] != "SuppressionList"] == []  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_bad_request_is_refused_and_nothing_stored(
    case: Case, start_moxhooks: Start, make_config: Callable[..., Config]
) -> None:
    mh = await start_moxhooks(two_accounts(make_config))
    async with aiohttp.ClientSession() as s:
        resp = await send(s, mh.url, case, hook_id=900)
        async with resp:
            text = await resp.text()
            assert resp.status == case.status, text
            assert resp.content_type == "application/json"
    answer = json.loads(text)
    assert set(answer) == {"code", "message"}
    assert answer["code"] == case.code
    assert isinstance(answer["message"], str) and answer["message"]
    assert "Traceback" not in text and len(text) < 1000
    await stored_nothing(mh)


# The bodies mox/payload.py refuses that the OpenAPI document's OutgoingWebhook allows:
# exactly the rules of its docstring that a JSON Schema cannot state.
PARSER_ONLY = {"byte order mark", "lone surrogate", "duplicate field", "nesting 33 deep"}


def test_the_document_refuses_what_the_parser_refuses() -> None:
    """The request body schema describes the parser: each refused body of the table is
    refused by the document too, but for the rules no schema can state; what mox sends
    is allowed."""
    allowed = set()
    for case in CASES:
        if case.code != "badPayload":
            continue
        body = case.body.encode() if isinstance(case.body, str) else case.body
        if request_problem("POST", "/hooks/outgoing/mox", dict(good_headers(1)), body) == "":
            allowed.add(case.name)
    assert allowed == PARSER_ONLY
    for event in EVENTS:
        body = go_marshal(outgoing_event(event, code=550, secode="5.1.1", error="no such user",
                                         extra={"topic": "news"}, dsn=True)).encode()  # fmt: skip
        parse_outgoing(body)
        assert request_problem("POST", "/hooks/outgoing/mox", dict(good_headers(1)), body) == ""
    headers = dict(good_headers(1))
    del headers["Authorization"]
    problem = request_problem("POST", "/hooks/outgoing/mox", headers, GOOD.encode())
    assert "Security not found" in problem


async def test_messages_name_the_problem(start_moxhooks: Start) -> None:
    mh = await start_moxhooks()
    expect = {
        "webhook id missing": "missing header X-Mox-Webhook-ID",
        "webhook id twice": "header X-Mox-Webhook-ID given more than once",
        "no QueueMsgID": 'field "QueueMsgID" is required',
        "QueueMsgID 2^64": 'field "QueueMsgID" is out of range',
        "nesting 33 deep": "body nests deeper than 32 levels",
        "invalid UTF-8": "body is not valid UTF-8",
        "Extra with a number": 'field "Extra" must be an object of strings',
        "wrong secret": "missing or wrong webhook secret",
    }
    by_name = {c.name: c for c in CASES}
    async with aiohttp.ClientSession() as s:
        for name, message in expect.items():
            resp = await send(s, mh.url, by_name[name], hook_id=901)
            async with resp:
                assert (await resp.json())["message"] == message, name


async def test_unknown_event_and_fields_are_accepted_and_kept(start_moxhooks: Start) -> None:
    mh = await start_moxhooks()
    ev = outgoing_event("bounced-in-2030", queue_msg_id=4242)
    ev["NewField"] = {"nested": [1, 2, 3]}
    body = json.dumps(ev)
    attempts = await mh.sender.deliver(body, hook_id=31)
    assert [a.status for a in attempts] == [200]
    await moved(mh.runtime)
    row = await mh.runtime.store.db.fetchone(
        "SELECT event, payload FROM events WHERE webhook_id = 31"
    )
    assert row is not None
    assert row["event"] == "bounced-in-2030"
    assert json.loads(row["payload"])["NewField"] == {"nested": [1, 2, 3]}


async def test_recipient_in_extra_that_is_not_an_address(start_moxhooks: Start) -> None:
    """Extra is the sender's free-form map: the event is valid and kept (mox would retry a
    4xx for 16 hours and then drop it), but no entry is made for a non-address."""
    mh = await start_moxhooks()
    for i, bad in enumerate(("not an address", "a@b@c", "@example.org", "x" * 300 + "@e.org")):
        ev = outgoing_event("failed", queue_msg_id=5000 + i, extra={"recipient": bad})
        attempts = await mh.sender.deliver(ev, hook_id=40 + i)
        assert [a.status for a in attempts] == [200]

    async def looked_at() -> bool:
        rows = await mh.runtime.store.db.fetchall(
            "SELECT status FROM events WHERE webhook_id BETWEEN 40 AND 43"
        )
        return len(rows) == 4 and all(r[0] in ("unresolved", "abandoned") for r in rows)

    from conftest import wait_for

    await wait_for(looked_at, what="events looked at")
    for table in ("suppressions", "outbox"):
        row = await mh.runtime.store.db.fetchone(f"SELECT COUNT(*) FROM {table}")
        assert row is not None and row[0] == 0
    assert not [c for c in mh.fakemox.calls if c[1] == "SuppressionAdd"]


# ---- hypothesis: a moxhooks in a thread of its own, driven synchronously -------------------


@dataclass
class ThreadedMoxhooks:
    """moxhooks and a fake mox on a loop in another thread, for synchronous tests."""

    port: int
    db_path: str
    stop: Callable[[], None]
    checked: Checked

    def post(self, body: bytes, headers: Mapping[str, str]) -> tuple[int, bytes]:
        """POST to /hooks/outgoing/mox; the answer is checked against the OpenAPI document
        (conftest's check covers aiohttp's clients only)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("POST", "/hooks/outgoing/mox", body=body, headers=dict(headers))
            resp = conn.getresponse()
            raw = resp.read()
        finally:
            conn.close()
        assert resp.getheader("Content-Type", "").startswith("application/json"), raw
        check_answer("POST", "/hooks/outgoing/mox", resp.status, raw, self.checked)
        return resp.status, raw

    def _acknowledged(self) -> set[tuple[str, int]]:
        """In the intake segments or already moved into events (read in that order: a
        segment is deleted only after its records are in events)."""
        records = {(r.account, r.webhook_id) for r in all_records(self.db_path)}
        conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=5)
        try:
            rows = conn.execute("SELECT account, webhook_id FROM events").fetchall()
        finally:
            conn.close()
        return records | {(str(r[0]), int(r[1])) for r in rows}

    def stored(self, hook_id: int) -> bool:
        return ("mox", hook_id) in self._acknowledged()

    def events(self) -> int:
        return len(self._acknowledged())


@pytest.fixture(scope="module")
def threaded_moxhooks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThreadedMoxhooks]:
    db_path = str(tmp_path_factory.mktemp("hyp") / "moxhooks.db")
    ready: dict[str, Any] = {}
    started = threading.Event()
    loop = asyncio.new_event_loop()
    stop_event = asyncio.Event()

    async def main() -> None:
        async with FakeMox() as fm:
            config = config_from_dict(
                {
                    "database": {"path": db_path},
                    "mox": {"url": fm.url, "timeout": 2.0, "admin_password": ""},
                    "dns": {"nameservers": ["127.0.0.1"], "port": 9, "timeout": 0.2},
                    "sync": {"reconcile_interval": 3600.0},
                    "accounts": [{"name": "mox", "login": "mox@localhost",
                                  "password": "moxmoxmox", "webhook_secret": SECRET}],
                }
            )  # fmt: skip
            # Only intake is under test: no processing, so the stored rows stay as they came.
            server = TestServer(create_app(config, worker=None), host="127.0.0.1")
            await server.start_server()
            ready["port"] = server.port
            started.set()
            await stop_event.wait()
            await server.close()

    thread = threading.Thread(target=lambda: loop.run_until_complete(main()), daemon=True)
    thread.start()
    assert started.wait(15), "moxhooks did not start"

    def stop() -> None:
        loop.call_soon_threadsafe(stop_event.set)
        thread.join(15)

    tm = ThreadedMoxhooks(ready["port"], db_path, stop, Checked())
    yield tm
    stop()
    loop.close()


_hook_ids = iter(range(1_000_000, 10_000_000))

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
# Objects shaped like Outgoing, each field present or not, with any JSON value.
FIELDS = ("Version", "Event", "DSN", "Suppressing", "QueueMsgID", "FromID", "MessageID",
          "Subject", "WebhookQueued", "SMTPCode", "SMTPEnhancedCode", "Error", "Extra")  # fmt: skip
_field_values = {
    "Event": st.sampled_from(["failed", "delivered", "", "new-event"]) | json_values,
    "QueueMsgID": st.integers(min_value=-5, max_value=2**64) | json_values,
    "Extra": st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3) | json_values,
}
outgoing_like = st.fixed_dictionaries(
    {}, optional={f: _field_values.get(f, json_values) for f in FIELDS}
)
bodies = (
    st.binary(max_size=300)
    | json_values.map(lambda v: json.dumps(v).encode())
    | outgoing_like.map(lambda v: json.dumps(v).encode())
    | outgoing_like.map(lambda v: json.dumps(v)[: max(1, len(json.dumps(v)) // 2)].encode())
)


def _accepted(body: bytes) -> bool:
    try:
        parse_outgoing(body)
    except PayloadError:
        return False
    return True


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=bodies)
def test_any_body_is_answered_by_the_contract(
    threaded_moxhooks: ThreadedMoxhooks, body: bytes
) -> None:
    hook_id = next(_hook_ids)
    headers = dict(good_headers(hook_id))
    before = threaded_moxhooks.events()
    status, raw = threaded_moxhooks.post(body, headers)
    assert threaded_moxhooks.checked.validated[-1] == ("POST", "/hooks/outgoing/mox", status)
    if _accepted(body):
        # What the parser takes, the document allows (the converse does not hold: JSON
        # Schema's integer takes 1.0, and no schema refuses a duplicate key).
        assert request_problem("POST", "/hooks/outgoing/mox", headers, body) == ""
        assert status == 200, raw
        assert json.loads(raw) == {}
        assert threaded_moxhooks.stored(hook_id)
    else:
        assert status == 400, raw
        answer = json.loads(raw)
        assert set(answer) == {"code", "message"} and answer["code"] == "badPayload"
        assert threaded_moxhooks.events() == before


def _header_text(n: int) -> st.SearchStrategy[str]:
    # Printable ASCII and spaces: what an HTTP client can put in a header value at all.
    return st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=n)


def _whole(v: str) -> bool:
    v = v.strip(" \t")
    return v.isascii() and v.isdigit() and int(v) < 2**63


def test_thread_server_sees_nothing_from_refused_requests(
    threaded_moxhooks: ThreadedMoxhooks,
) -> None:
    """Every row in the database came from a request that was answered 200."""
    with sqlite3.connect(f"file:{threaded_moxhooks.db_path}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT payload FROM events").fetchall()
    conn.close()
    for (payload,) in rows:
        parse_outgoing(payload.encode())


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    auth=_header_text(40) | st.just(f"Bearer {SECRET}") | st.just(f" Bearer {SECRET} "),
    hook_id=_header_text(25) | st.integers(min_value=-(2**65), max_value=2**65).map(str),
    attempt=st.none() | _header_text(6) | st.integers(min_value=-3, max_value=10).map(str),
)
def test_any_headers_never_store_without_auth_and_id(
    threaded_moxhooks: ThreadedMoxhooks, auth: str, hook_id: str, attempt: str | None
) -> None:
    before = threaded_moxhooks.events()
    headers = {"Authorization": auth, "X-Mox-Webhook-ID": hook_id,
               "Content-Type": "application/json"}  # fmt: skip
    if attempt is not None:
        headers["X-Mox-Webhook-Attempt"] = attempt
    status, raw = threaded_moxhooks.post(GOOD.encode(), headers)
    good_id = _whole(hook_id)
    good_attempt = attempt is None or _whole(attempt)
    # HTTP drops the spaces around a header value.
    if auth.strip(" \t") != f"Bearer {SECRET}":
        assert status == 401, raw
    elif not (good_id and good_attempt):
        assert status == 400, raw
        assert json.loads(raw)["code"] == "badHeader"
    else:
        assert status == 200, raw
        assert threaded_moxhooks.stored(int(hook_id))
        return
    answer = json.loads(raw)
    assert set(answer) == {"code", "message"}
    assert threaded_moxhooks.events() == before
