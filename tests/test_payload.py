"""The webhook payload: mox's Outgoing, parsed strictly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from moxsender import outgoing_event

from moxhooks.mox.payload import KNOWN_EVENTS, MAX_DEPTH, Outgoing, PayloadError, parse_outgoing

# As seen from mox localserve (shared/mox-api.md).
MOX_BODY = (
    b'{"Version":0,"Event":"failed","DSN":false,"Suppressing":true,"QueueMsgID":5,'
    b'"FromID":"","MessageID":"<tJTDlvgzNfsD9UntJOEtEQ@localhost>",'
    b'"Subject":"t user550@example.org","WebhookQueued":"2026-11-22T01:52:56.505784585Z",'
    b'"SMTPCode":550,"SMTPEnhancedCode":"5.0.0",'
    b'"Error":"delivering message to 127.0.0.1:1025: ... 550 5.0.0 failure",'
    b'"Extra":{"topic":"news"}}'
)


def test_mox_body() -> None:
    o = parse_outgoing(MOX_BODY)
    assert o == Outgoing(
        version=0,
        event="failed",
        dsn=False,
        suppressing=True,
        queue_msg_id=5,
        from_id="",
        message_id="<tJTDlvgzNfsD9UntJOEtEQ@localhost>",
        subject="t user550@example.org",
        webhook_queued="2026-11-22T01:52:56.505784585Z",
        smtp_code=550,
        smtp_enhanced_code="5.0.0",
        error="delivering message to 127.0.0.1:1025: ... 550 5.0.0 failure",
        extra={"topic": "news"},
        raw=json.loads(MOX_BODY),
    )


def _body(**fields: Any) -> bytes:
    base: dict[str, Any] = {"Event": "failed", "QueueMsgID": 1}
    base.update(fields)
    return json.dumps({k: v for k, v in base.items() if v is not _ABSENT}).encode()


_ABSENT: Any = object()


def test_minimal_body_takes_zero_values() -> None:
    o = parse_outgoing(b'{"Event":"delivered","QueueMsgID":0}')
    assert (o.version, o.dsn, o.suppressing, o.smtp_code, o.error, o.extra) == (
        0,
        False,
        False,
        0,
        "",
        {},
    )
    assert o.webhook_queued == ""


def test_unknown_fields_and_events_are_kept() -> None:
    body = _body(Event="complained", Future={"Nested": [1, 2, {"x": None}]}, Extra=None)
    o = parse_outgoing(body)
    assert o.event == "complained"
    assert o.extra == {}
    assert o.raw["Future"] == {"Nested": [1, 2, {"x": None}]}
    assert o.raw["Extra"] is None


@pytest.mark.parametrize("event", KNOWN_EVENTS)
def test_known_events(event: str) -> None:
    assert parse_outgoing(_body(Event=event)).event == event


def test_int64_bounds() -> None:
    assert parse_outgoing(_body(QueueMsgID=2**63 - 1)).queue_msg_id == 2**63 - 1
    assert parse_outgoing(_body(SMTPCode=-(2**63))).smtp_code == -(2**63)


BAD: list[tuple[bytes, str]] = [
    (b"", "body is not valid JSON: Expecting value at offset 0"),
    (b"{", "body is not valid JSON: Expecting property name enclosed in double quotes at offset 1"),
    (b'{"Event":"failed","QueueMsgID":1} x', "body is not valid JSON: Extra data at offset 34"),
    (b"\xff{}", "body is not valid UTF-8"),
    (b'{"Event":"f\xc3","QueueMsgID":1}', "body is not valid UTF-8"),
    (b"\xef\xbb\xbf{}", "body is not valid JSON: byte order mark at offset 0"),
    (b"[]", "body must be a JSON object"),
    (b"null", "body must be a JSON object"),
    (b'"failed"', "body must be a JSON object"),
    (b"5", "body must be a JSON object"),
    (b"{}", 'field "Event" is required'),
    (b'{"QueueMsgID":1}', 'field "Event" is required'),
    (b'{"Event":null,"QueueMsgID":1}', 'field "Event" is required'),
    (b'{"Event":"","QueueMsgID":1}', 'field "Event" must not be empty'),
    (b'{"Event":5,"QueueMsgID":1}', 'field "Event" must be a string'),
    (b'{"Event":"failed"}', 'field "QueueMsgID" is required'),
    (_body(QueueMsgID=None), 'field "QueueMsgID" must be a whole number'),
    (_body(QueueMsgID="5"), 'field "QueueMsgID" must be a whole number'),
    (_body(QueueMsgID=5.0), 'field "QueueMsgID" must be a whole number'),
    (_body(QueueMsgID=5.5), 'field "QueueMsgID" must be a whole number'),
    (b'{"Event":"failed","QueueMsgID":1e2}', 'field "QueueMsgID" must be a whole number'),
    (_body(QueueMsgID=True), 'field "QueueMsgID" must be a whole number'),
    (_body(QueueMsgID=-1), 'field "QueueMsgID" must not be negative'),
    (_body(QueueMsgID=2**63), 'field "QueueMsgID" is out of range'),
    (_body(SMTPCode=-(2**63) - 1), 'field "SMTPCode" is out of range'),
    (_body(Version="0"), 'field "Version" must be a whole number'),
    (_body(SMTPCode=550.0), 'field "SMTPCode" must be a whole number'),
    (_body(DSN=1), 'field "DSN" must be true or false'),
    (_body(Suppressing="true"), 'field "Suppressing" must be true or false'),
    (_body(Suppressing=None), 'field "Suppressing" must be true or false'),
    (_body(FromID=1), 'field "FromID" must be a string'),
    (_body(MessageID=None), 'field "MessageID" must be a string'),
    (_body(Subject=["x"]), 'field "Subject" must be a string'),
    (_body(WebhookQueued=0), 'field "WebhookQueued" must be a string'),
    (_body(SMTPEnhancedCode=511), 'field "SMTPEnhancedCode" must be a string'),
    (_body(Error={}), 'field "Error" must be a string'),
    (_body(Extra=[]), 'field "Extra" must be an object of strings'),
    (_body(Extra="topic=news"), 'field "Extra" must be an object of strings'),
    (_body(Extra={"a": 1}), 'field "Extra" must be an object of strings'),
    (_body(Extra={"a": None}), 'field "Extra" must be an object of strings'),
    (b'{"Event":"failed","QueueMsgID":NaN}', "body is not valid JSON: NaN is not a number"),
    (
        b'{"Event":"failed","QueueMsgID":1,"X":-Infinity}',
        "body is not valid JSON: -Infinity is not a number",
    ),
    (
        b'{"Event":"failed","QueueMsgID":1,"X":1e999}',
        "body is not valid JSON: number 1e999 is out of range",
    ),
    (
        b'{"Event":"failed","QueueMsgID":' + b"9" * 5000 + b"}",
        "body is not valid JSON: number too long",
    ),
    (b'{"Event":"failed","QueueMsgID":1,"Event":"x"}', 'body has a duplicate field "Event"'),
    (b'{"Event":"failed","QueueMsgID":1,"X":{"a":1,"a":2}}', 'body has a duplicate field "a"'),
    (
        b'{"Event":"failed","QueueMsgID":1,"Subject":"\\ud800"}',
        "body is not valid JSON: lone surrogate in a string",
    ),
    (
        b'{"Event":"failed","QueueMsgID":1,"\\udfff":1}',
        "body is not valid JSON: lone surrogate in a string",
    ),
    (b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), "body nests deeper than 32 levels"),
    (
        b'{"Event":"failed","QueueMsgID":1,"X":' + b"[" * MAX_DEPTH + b"]" * MAX_DEPTH + b"}",
        "body nests deeper than 32 levels",
    ),
    (b"[" * 1_000_000, "body nests deeper than 32 levels"),  # RecursionError in json
    (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, "body nests deeper than 32 levels"),
]


@pytest.mark.parametrize(("body", "message"), BAD, ids=[m for _, m in BAD])
def test_bad(body: bytes, message: str) -> None:
    with pytest.raises(PayloadError) as e:
        parse_outgoing(body)
    assert str(e.value) == message


def test_depth_limit_is_inclusive() -> None:
    nested = b"[" * (MAX_DEPTH - 1) + b"]" * (MAX_DEPTH - 1)
    o = parse_outgoing(b'{"Event":"failed","QueueMsgID":1,"X":' + nested + b"}")
    assert o.queue_msg_id == 1


def test_payload_error_is_value_error() -> None:
    assert issubclass(PayloadError, ValueError)


@given(st.binary())
def test_arbitrary_bytes_raise_only_payload_error(body: bytes) -> None:
    try:
        parse_outgoing(body)
    except PayloadError:
        pass


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
_FIELDS = st.sampled_from(
    [
        "Version",
        "Event",
        "DSN",
        "Suppressing",
        "QueueMsgID",
        "FromID",
        "MessageID",
        "Subject",
        "WebhookQueued",
        "SMTPCode",
        "SMTPEnhancedCode",
        "Error",
        "Extra",
        "Other",
    ]
)


@given(st.dictionaries(_FIELDS, _JSON) | _JSON)
def test_arbitrary_json_raises_only_payload_error(value: Any) -> None:
    try:
        o = parse_outgoing(json.dumps(value).encode())
    except PayloadError:
        return
    assert isinstance(o.event, str) and o.event
    assert isinstance(o.queue_msg_id, int) and o.queue_msg_id >= 0
    assert all(isinstance(v, str) for v in o.extra.values())


# Every webhook body a real mox v0.0.17 posted in round 26's runs (delivered, suppressed, delayed,
# failed), kept verbatim.
REAL_BODIES = sorted((Path(__file__).parent / "bounces26" / "mta-configs" / "captured").glob("*.json"))


def test_real_mox_bodies_parse_and_the_fake_sender_writes_their_fields() -> None:
    events = set()
    for path in REAL_BODIES:
        raw = path.read_bytes()
        body = json.loads(raw)
        out = parse_outgoing(raw)
        assert (out.event, out.smtp_code, out.smtp_enhanced_code, out.error) == (
            body["Event"], body["SMTPCode"], body["SMTPEnhancedCode"], body["Error"]), path.name
        fake = outgoing_event(body["Event"])
        # The same fields in the same order, and each event's fields as real mox fills them.
        assert list(fake) == list(body), path.name
        if body["SMTPCode"] or body["Event"] in ("delivered", "suppressed"):  # mox's own network errors carry none
            assert bool(fake["SMTPCode"]) == bool(body["SMTPCode"]), path.name
        assert bool(fake["Error"]) == bool(body["Error"]), path.name
        if body["Event"] == "suppressed":
            prefix, _, rest = body["Error"].partition("@")
            assert fake["Error"].startswith(prefix.rsplit(" ", 1)[0]) and fake["Error"].endswith(rest.split(":", 1)[1])
        events.add(body["Event"])
    assert events == {"delivered", "suppressed", "delayed", "failed"}
