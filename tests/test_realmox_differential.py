"""Differential test: one script of raw HTTP requests, run against a real `mox localserve`
and against the fake (tests/fakemox.py); every answer must be the same.

Each step is sent with plain aiohttp (no moxhooks client in between) to both servers, in
the same order, starting from the same state: account "mox", login
mox@localhost/moxmoxmox, admin password "moxadmin", nothing else. What is compared for
each step: the HTTP status, the content type (media type and charset), the body (JSON
parsed and compared whole: error codes and messages exactly, results by keys and
values; text exactly; HTML by its title) and the headers Www-Authenticate, Set-Cookie
and Cache-Control. Values that are random or depend on the clock (tokens, session
cookies, timestamps, generated Message-IDs) are replaced by placeholders after their
form is checked, and so is the account's disk usage (localserve delivers the mail the
script sends into the account; the fake stores none); see normalise(). The real mox
serves the whole module: reset_real() empties what a test left behind, and the fake's
suppression IDs continue where mox's do (mox never reuses one).

A failure lists every difference as `VERB path [step] field: real ... vs fake ...`.
When mox and the fake differ, the fake is wrong.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import aiohttp
from fakemox import KEEP_RETIRED_NS, FakeMox
from realmox import RealMox
from realmox import account as realmox_account
from realmox import admin as realmox_admin

LOGIN = "mox@localhost"
PASSWORD = "moxmoxmox"
ADMIN_PASSWORD = "moxadmin"


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


AUTH = basic(LOGIN, PASSWORD)
FORM = "application/x-www-form-urlencoded"

# Placeholders in a step, filled from what the same target answered before.
TOKEN = "$logintoken"  # the result of the last LoginPrep
RULE_ID = "$ruleid"  # the ID of the last QueueHoldRuleAdd result


@dataclass
class Step:
    """One HTTP request; what it sends is built for each target from its own state."""

    name: str
    path: str
    verb: str = "POST"
    # webapi: the JSON request, sent as form field "request" (a str is sent as is).
    request: Any = None
    # raw body and content type, instead of request/params.
    body: bytes | None = None
    content_type: str | None = None
    auth: str | None = AUTH
    # sherpa: the params list; csrf "session" sends the target's CSRF token.
    params: list[Any] | None = None
    csrf: str | None = None
    # A Cookie header to send instead of the target's cookies.
    cookie: str | None = None
    # The result is a random token (LoginPrep, Login): checked, then replaced.
    token_result: bool = False


def webapi(name: str, method: str, request: Any, **kw: Any) -> Step:
    return Step(name, f"/webapi/v0/{method}", request=request, **kw)


def admin(name: str, function: str, params: list[Any], csrf: str | None = "session") -> Step:
    return Step(
        name,
        f"/admin/api/{function}",
        params=params,
        csrf=csrf,
        auth=None,
        token_result=function in ("LoginPrep", "Login"),
    )


def account(name: str, function: str, params: list[Any], csrf: str | None = "session") -> Step:
    return Step(
        name,
        f"/account/api/{function}",
        params=params,
        csrf=csrf,
        auth=None,
        token_result=function in ("LoginPrep", "Login"),
    )


QUEUE_FILTER = {
    "Max": 10, "IDs": [999], "Account": "", "From": "", "To": "", "Hold": None,
    "Submitted": "", "NextAttempt": "", "Transport": None,
}  # fmt: skip
QUEUE_SORT = {"Field": "Queued", "LastID": 0, "Last": None, "Asc": True}
RETIRED_FILTER = {
    "Max": 10, "IDs": [999], "Account": "", "From": "", "To": "", "Submitted": "",
    "LastActivity": "", "Transport": None, "Success": None,
}  # fmt: skip
RETIRED_SORT = {"Field": "LastActivity", "LastID": 0, "Last": None, "Asc": False}
HOLD_RULE = {"ID": 0, "Account": "", "SenderDomainStr": "", "RecipientDomainStr": "example.org"}

WEBAPI_STEPS = [
    webapi("SuppressionList, empty", "SuppressionList", {}),
    webapi(
        "SuppressionAdd good",
        "SuppressionAdd",
        {"EmailAddress": "John.Doe+x@Gmail.com", "Manual": True, "Reason": "test"},
    ),
    webapi(
        "SuppressionAdd same base address",
        "SuppressionAdd",
        {"EmailAddress": "johndoe@gmail.com", "Manual": False, "Reason": ""},
    ),
    webapi(
        "SuppressionAdd IDNA and unicode",
        "SuppressionAdd",
        {"EmailAddress": "Jürgen.M-x@xn--bcher-kva.example", "Manual": False, "Reason": "ü"},
    ),
    webapi("SuppressionAdd bad address x", "SuppressionAdd", {"EmailAddress": "x"}),
    webapi("SuppressionAdd bad address empty", "SuppressionAdd", {"EmailAddress": ""}),
    webapi("SuppressionAdd bad address user@", "SuppressionAdd", {"EmailAddress": "user@"}),
    webapi("SuppressionAdd bad address @x", "SuppressionAdd", {"EmailAddress": "@example.org"}),
    webapi("SuppressionAdd wrong type", "SuppressionAdd", {"EmailAddress": 1}),
    webapi(
        "SuppressionPresent present", "SuppressionPresent", {"EmailAddress": "JOHNDOE@gmail.com"}
    ),
    webapi("SuppressionPresent absent", "SuppressionPresent", {"EmailAddress": "other@gmail.com"}),
    webapi("SuppressionPresent bad address", "SuppressionPresent", {"EmailAddress": "x"}),
    webapi("SuppressionList, two", "SuppressionList", {}),
    webapi(
        "SuppressionRemove present", "SuppressionRemove", {"EmailAddress": "john.doe-y@gmail.com"}
    ),
    webapi("SuppressionRemove absent", "SuppressionRemove", {"EmailAddress": "johndoe@gmail.com"}),
    webapi("SuppressionRemove bad address", "SuppressionRemove", {"EmailAddress": "x"}),
    webapi("SuppressionList, one", "SuppressionList", {}),
    Step(
        "JSON body instead of form",
        "/webapi/v0/SuppressionList",
        body=b'{"request": "{}"}',
        content_type="application/json",
    ),
    webapi("form with empty request", "SuppressionList", ""),
    Step("no content type", "/webapi/v0/SuppressionList", body=b"request=%7B%7D"),
    Step(
        "bad content type",
        "/webapi/v0/SuppressionList",
        body=b"request=%7B%7D",
        content_type="text/plain; charset",
    ),
    webapi("unknown JSON field", "SuppressionAdd", {"EmailAddress": "a@example.org", "X": 1}),
    webapi(
        "JSON field names in other case", "SuppressionPresent", {"emailaddress": "a@example.org"}
    ),
    webapi("malformed JSON: truncated", "SuppressionList", "{"),
    webapi("malformed JSON: not JSON", "SuppressionList", "xyz"),
    webapi("malformed JSON: array", "SuppressionList", "[]"),
    webapi("malformed JSON: trailing data", "SuppressionList", "{} x"),
    webapi("missing auth", "SuppressionList", {}, auth=None),
    webapi("wrong password", "SuppressionList", {}, auth=basic(LOGIN, "wrong")),
    webapi("unknown login", "SuppressionList", {}, auth=basic("nobody@localhost", PASSWORD)),
    webapi("bearer instead of basic", "SuppressionList", {}, auth="Bearer " + PASSWORD),
    webapi("unknown method", "NoSuchMethod", {}),
    webapi("unknown method without auth", "NoSuchMethod", {}, auth=None),
    Step("GET instead of POST", "/webapi/v0/SuppressionList", verb="GET"),
    Step("GET unknown method", "/webapi/v0/NoSuchMethod", verb="GET"),
    Step("PUT instead of POST", "/webapi/v0/SuppressionList", verb="PUT", request={}),
    webapi("Send without To", "Send", {"Subject": "s", "Text": "hi"}),
    webapi("Send without body", "Send", {"To": [{"Address": "a@example.org"}], "Subject": "s"}),
    webapi("Send bad To", "Send", {"To": [{"Address": "a"}], "Text": "hi"}),
    webapi(
        "Send two From",
        "Send",
        {
            "From": [{"Address": LOGIN}, {"Address": LOGIN}],
            "To": [{"Address": "a@example.org"}],
            "Text": "hi",
        },
    ),
    webapi(
        "Send foreign From",
        "Send",
        {
            "From": [{"Address": "other@example.org"}],
            "To": [{"Address": "a@example.org"}],
            "Text": "hi",
        },
    ),
    webapi(
        "Send bad Message-ID",
        "Send",
        {"To": [{"Address": "a@example.org"}], "Text": "hi", "MessageID": "no-brackets"},
    ),
    webapi(
        "Send with AlternativeFiles field",
        "Send",
        {"To": [{"Address": "a@example.org"}], "AlternativeFiles": [], "RequireTLS": None},
    ),
    webapi(
        "Send good",
        "Send",
        {
            "To": [{"Address": "a@example.org"}, {"Name": "B", "Address": "b@example.org"}],
            "Subject": "hello",
            "Text": "hi\n",
            "Extra": {"topic": "news"},
            "Headers": [["List-Unsubscribe", "<https://example.org/u>"]],
        },
    ),
    webapi(
        "Send control character in name",
        "Send",
        {"To": [{"Name": "a\nb", "Address": "a@example.org"}], "Text": "hi"},
    ),
    webapi(
        "Send control character in subject",
        "Send",
        {"To": [{"Address": "a@example.org"}], "Subject": "a\rb", "Text": "hi"},
    ),
    webapi("MessageRawGet absent", "MessageRawGet", {"MsgID": 999}),
    webapi("type: bool", "SuppressionAdd", {"EmailAddress": "a@example.org", "Manual": "x"}),
    webapi("type: null for string", "SuppressionPresent", {"EmailAddress": None}),
    webapi("type: float for int", "MessageRawGet", {"MsgID": 1.5}),
    webapi("type: string for int", "MessageRawGet", {"MsgID": "1"}),
    webapi("type: huge int", "MessageRawGet", {"MsgID": 10**30}),
    webapi("type: string for list", "Send", {"To": "a@example.org", "Text": "hi"}),
    webapi("type: string for struct in list", "Send", {"To": ["a@example.org"], "Text": "hi"}),
    webapi("type: field of struct in list", "Send", {"To": [{"Address": 1}], "Text": "hi"}),
    webapi(
        "type: map value",
        "Send",
        {"To": [{"Address": "a@example.org"}], "Text": "hi", "Extra": {"a": 1}},
    ),
    webapi(
        "type: header pair",
        "Send",
        {"To": [{"Address": "a@example.org"}], "Text": "hi", "Headers": [["a", 1]]},
    ),
    webapi(
        "type: header triple",
        "Send",
        {"To": [{"Address": "a@example.org"}], "Text": "hi", "Headers": [["a", "b", "c"]]},
    ),
    webapi(
        "time: hour one digit",
        "Send",
        {"To": [{"Address": "a@example.org"}], "Text": "hi", "Date": "2024-01-02T1:04:05Z"},
    ),
    webapi(
        "time: bad month",
        "Send",
        {"To": [{"Address": "a@example.org"}], "Text": "hi", "Date": "2024-13-02T10:04:05Z"},
    ),
    webapi(
        "time: bad day",
        "Send",
        {"To": [{"Address": "a@example.org"}], "Text": "hi", "Date": "2023-02-29T10:04:05Z"},
    ),
    webapi(
        "time: no zone",
        "Send",
        {"To": [{"Address": "a@example.org"}], "Text": "hi", "Date": "2024-01-02T10:04:05"},
    ),
    webapi(
        "time: extra text",
        "Send",
        {"To": [{"Address": "a@example.org"}], "Text": "hi", "Date": "2024-01-02T10:04:05Zx"},
    ),
    webapi(
        "time: comma fraction",
        "Send",
        {"To": [{"Address": "a@example.org"}], "Text": "hi", "Date": "2024-01-02T10:04:05,5Z"},
    ),
    webapi(
        "time: zone hour",
        "Send",
        {"To": [{"Address": "a@example.org"}], "Text": "hi", "Date": "2024-01-02T10:04:05+24:00"},
    ),
    webapi(
        "time: space",
        "Send",
        {"To": [{"Address": "a@example.org"}], "Text": "hi", "Date": "2024-01-02 10:04:05Z"},
    ),
    webapi(
        "time: good with offset",
        "Send",
        {
            "To": [{"Address": "a@example.org"}],
            "Text": "hi",
            "Date": "2024-01-02T10:04:05.123+01:00",
        },
    ),
    webapi(
        "type: bad time",
        "Send",
        {"To": [{"Address": "a@example.org"}], "Text": "hi", "Date": "yesterday"},
    ),
    webapi(
        "type: number for time",
        "Send",
        {"To": [{"Address": "a@example.org"}], "Text": "hi", "Date": 5},
    ),
    webapi("unknown nested field", "Send", {"To": [{"Adress": "a@example.org"}], "Text": "hi"}),
    webapi("request is a JSON string", "SuppressionList", '"x"'),
    webapi("malformed JSON: missing colon", "SuppressionPresent", '{"EmailAddress" "x"}'),
    webapi("malformed JSON: trailing comma", "SuppressionPresent", '{"EmailAddress":"x",}'),
    webapi("malformed JSON: bad literal", "SuppressionAdd", '{"Manual":tru}'),
    webapi("malformed JSON: unterminated", "SuppressionPresent", '{"EmailAddress":"x"'),
    webapi("malformed JSON: bad escape", "SuppressionPresent", '{"EmailAddress":"\\x"}'),
    webapi("malformed JSON: leading zero", "MessageRawGet", '{"MsgID":01}'),
    webapi("malformed JSON: lone minus", "MessageRawGet", '{"MsgID":-}'),
    webapi("malformed JSON: array comma", "Send", '{"To":[{"Address":"a@example.org"},]}'),
    webapi(
        "malformed JSON: bad unicode escape", "SuppressionPresent", '{"EmailAddress":"\\u12x4"}'
    ),
    webapi("malformed JSON: empty", "SuppressionPresent", " "),
    webapi("malformed JSON: number then garbage", "MessageRawGet", '{"MsgID":1x}'),
    webapi("malformed JSON: exponent", "MessageRawGet", '{"MsgID":1e}'),
    webapi("malformed JSON: decimal point", "MessageRawGet", '{"MsgID":1.}'),
    webapi("int as exponent", "MessageRawGet", '{"MsgID":1e3}'),
    webapi("int as float", "MessageRawGet", '{"MsgID":1.0}'),
    webapi("malformed JSON: control in string", "SuppressionPresent", '{"EmailAddress":"a\tb"}'),
    webapi(
        "Send From upper case",
        "Send",
        {
            "From": [{"Address": "MOX@localhost"}],
            "To": [{"Address": "a@example.org"}],
            "Text": "hi",
        },
    ),
    webapi(
        "Send From domain upper case",
        "Send",
        {
            "From": [{"Address": "mox@LOCALHOST"}],
            "To": [{"Address": "a@example.org"}],
            "Text": "hi",
        },
    ),
    webapi(
        "Send From with +tag",
        "Send",
        {
            "From": [{"Address": "mox+x@localhost"}],
            "To": [{"Address": "a@example.org"}],
            "Text": "hi",
        },
    ),
    webapi(
        "Send From with -tag",
        "Send",
        {
            "From": [{"Address": "mox-x@localhost"}],
            "To": [{"Address": "a@example.org"}],
            "Text": "hi",
        },
    ),
    webapi(
        "Send bad base64",
        "Send",
        {
            "To": [{"Address": "a@example.org"}],
            "Text": "hi",
            "AttachedFiles": [{"Name": "x", "Data": "!!!!"}],
        },
    ),
    webapi(
        "Send bad base64 later",
        "Send",
        {
            "To": [{"Address": "a@example.org"}],
            "Text": "hi",
            "AttachedFiles": [{"Name": "x", "Data": "aGVsbG8=x"}],
        },
    ),
    webapi(
        "Send control in header",
        "Send",
        {"To": [{"Address": "a@example.org"}], "Text": "hi", "Headers": [["X-A", "a\nb"]]},
    ),
    Step(
        "multipart form",
        "/webapi/v0/SuppressionPresent",
        body=b'--XX\r\nContent-Disposition: form-data; name="request"\r\n\r\n{"EmailAddress":"a@example.org"}\r\n--XX--\r\n',
        content_type="multipart/form-data; boundary=XX",
    ),
    Step(
        "multipart broken body",
        "/webapi/v0/SuppressionPresent",
        body=b"x",
        content_type="multipart/form-data; boundary=XX",
    ),
    Step(
        "multipart without boundary",
        "/webapi/v0/SuppressionPresent",
        body=b"x",
        content_type="multipart/form-data",
    ),
    Step(
        "form with bad escape",
        "/webapi/v0/SuppressionList",
        body=b"request=%7B%7D&x=%zz",
        content_type=FORM,
    ),
    Step(
        "form with semicolon",
        "/webapi/v0/SuppressionList",
        body=b"request=%7B%7D;x=1",
        content_type=FORM,
    ),
    Step(
        "request in query string only",
        "/webapi/v0/SuppressionList?request=%7B%7D",
        body=b"",
        content_type=FORM,
    ),
    webapi("request is null", "SuppressionList", "null"),
    # An address with an empty base address (localpart cut away, no domain): mox stores none,
    # and Present and Remove then match on the account alone.
    webapi("SuppressionAdd empty base", "SuppressionAdd", {"EmailAddress": "+x@"}),
    webapi("SuppressionAdd zero address", "SuppressionAdd", {"EmailAddress": '""@'}),
    webapi("SuppressionPresent empty base, two", "SuppressionPresent", {"EmailAddress": "+x@"}),
    webapi("SuppressionRemove user@", "SuppressionRemove", {"EmailAddress": "user@"}),
    webapi("SuppressionPresent empty base, one", "SuppressionPresent", {"EmailAddress": "-y@"}),
    webapi("SuppressionRemove empty base: all", "SuppressionRemove", {"EmailAddress": '""@'}),
    webapi("SuppressionPresent empty base, none", "SuppressionPresent", {"EmailAddress": "+x@"}),
    webapi("SuppressionRemove empty base, none", "SuppressionRemove", {"EmailAddress": "+x@"}),
    webapi("SuppressionList, empty again", "SuppressionList", {}),
]

# Addresses as mox parses them: each is added, listed (base and original address) and removed.
ADDRESSES = [
    # Domains: dns.ParseDomain, that is IDNA (UTS #46) lookup processing.
    "user@", "user@.", "user@example.org.", "user@a..b", "user@.a", "user@127.0.0.1",
    "user@[127.0.0.1]", "user@::1", "user@a b", "user@a_b.example", "user@-a.example",
    "user@a-.example", "user@ab--c.example", "user@xn--a.example", "user@xn--abc",
    "user@xn--bcher-kva.example", "user@XN--BCHER-KVA.example", "user@EXAMPLE.ORG",
    "user@Bücher.example", "user@BÜCHER.example", "user@ｅｘａｍｐｌｅ.org",
    "user@exa\u00admple.org", "user@test☺.example", "user@a\u200db.example",
    "user@x.xn--mgbh0fb", "user@1.مثال", "user@e\u0301.example", "user@\u0301e.example",
    "user@straße.example", "user@⑴.example", "user@example.org ", "user@example.org\u0000",
    "a@b@c", '""@', "+x@", "x+y@",
    # Localparts: dot-atom or quoted string, at most 64 octets in localserve's pedantic mode.
    " user@example.org", '""@example.org', '"a b"@example.org', '"a\\"b"@example.org',
    '"a\\\\b"@example.org', '"a\u0001b"@example.org', '"a\\\u0001b"@example.org',
    '"abc@example.org', "a..b@example.org", ".a@example.org", "a.@example.org",
    "a b@example.org", ".@example.org", "Ünï.cødé@example.org", "a" * 64 + "@example.org",
    "a" * 65 + "@example.org", "ü" * 32 + "@example.org", "ü" * 33 + "@example.org",
    "+x@example.org", "-x@example.org", "a+b-c@example.org", "user@localhost",
    '"quoted.local"@example.org', '"a.b+c"@example.org', "e\u0301@example.org",
    "ǅ.İx@example.org",
]  # fmt: skip
ADDRESS_STEPS = [
    step
    for a in ADDRESSES
    for step in (
        webapi(f"SuppressionAdd {a!r}", "SuppressionAdd", {"EmailAddress": a, "Reason": "r"}),
        webapi(f"SuppressionList after {a!r}", "SuppressionList", {}),
        webapi(f"SuppressionRemove {a!r}", "SuppressionRemove", {"EmailAddress": a}),
    )
]

ADMIN_STEPS = [
    admin("no session, no csrf", "QueueHoldRuleList", [], csrf=None),
    admin("no session", "QueueHoldRuleList", [], csrf="bogus"),
    Step(
        "unknown session",
        "/admin/api/QueueHoldRuleList",
        params=[],
        csrf="bogus",
        auth=None,
        cookie='webadminsession="bogus %28admin%29"',
    ),
    Step(
        "malformed session",
        "/admin/api/QueueHoldRuleList",
        params=[],
        csrf="bogus",
        auth=None,
        cookie="webadminsession=bogus",
    ),
    Step("GET instead of POST", "/admin/api/QueueHoldRuleList", verb="GET", auth=None),
    admin("LoginPrep", "LoginPrep", [], csrf=None),
    admin("Login wrong password", "Login", [TOKEN, "wrong"], csrf=None),
    admin("Login wrong token", "Login", ["not-the-token", ADMIN_PASSWORD], csrf=None),
    admin("Login wrong param count", "Login", [TOKEN], csrf=None),
    admin("Login param type", "Login", [1, ADMIN_PASSWORD], csrf=None),
    admin("Login right password", "Login", [TOKEN, ADMIN_PASSWORD], csrf=None),
    admin("bad csrf token", "QueueHoldRuleList", [], csrf="bogus"),
    admin("QueueHoldRuleList, empty", "QueueHoldRuleList", []),
    admin("wrong param count", "QueueHoldRuleRemove", []),
    admin("wrong param type", "QueueHoldRuleRemove", ["x"]),
    admin("unknown function", "NoSuchFunction", []),
    admin("unknown field in param", "QueueHoldRuleAdd", [{**HOLD_RULE, "Acount": ""}]),
    Step(
        "wrong content type",
        "/admin/api/Accounts",
        body=b'{"params":[]}',
        content_type="text/plain",
        csrf="session",
        auth=None,
    ),
    Step(
        "no params member",
        "/admin/api/Accounts",
        body=b"{}",
        content_type="application/json",
        csrf="session",
        auth=None,
    ),
    Step(
        "body not JSON",
        "/admin/api/Accounts",
        body=b"xyz",
        content_type="application/json",
        csrf="session",
        auth=None,
    ),
    Step(
        "params null",
        "/admin/api/Accounts",
        body=b'{"params":null}',
        content_type="application/json",
        csrf="session",
        auth=None,
    ),
    Step(
        "params not a list",
        "/admin/api/Accounts",
        body=b'{"params":{}}',
        content_type="application/json",
        csrf="session",
        auth=None,
    ),
    Step(
        "unknown envelope field",
        "/admin/api/Accounts",
        body=b'{"params":[],"x":1}',
        content_type="application/json",
        csrf="session",
        auth=None,
    ),
    Step(
        "envelope not an object",
        "/admin/api/Accounts",
        body=b"[]",
        content_type="application/json",
        csrf="session",
        auth=None,
    ),
    Step(
        "charset not utf-8",
        "/admin/api/Accounts",
        body=b'{"params":[]}',
        content_type="application/json; charset=latin1",
        csrf="session",
        auth=None,
    ),
    Step(
        "no content type", "/admin/api/Accounts", body=b'{"params":[]}', csrf="session", auth=None
    ),
    admin("Accounts", "Accounts", []),
    admin("Account", "Account", ["mox"]),
    admin("Account unknown", "Account", ["nobody"]),
    admin("param type: string for struct", "QueueHoldRuleAdd", ["x"]),
    admin("param type: field", "QueueHoldRuleAdd", [{**HOLD_RULE, "ID": "x"}]),
    admin("param type: list element", "QueueList", [{**QUEUE_FILTER, "IDs": ["x"]}, QUEUE_SORT]),
    admin(
        "param type: nested struct",
        "QueueHoldRuleAdd",
        [{**HOLD_RULE, "SenderDomain": {"ASCII": 1}}],
    ),
    admin("param type: bool", "QueueHoldSet", [QUEUE_FILTER, "x"]),
    admin("QueueHoldSet no match", "QueueHoldSet", [QUEUE_FILTER, True]),
    admin(
        "QueueHoldRuleAdd unknown account", "QueueHoldRuleAdd", [{**HOLD_RULE, "Account": "nobody"}]
    ),
    admin(
        "QueueHoldRuleAdd IDNA",
        "QueueHoldRuleAdd",
        [{**HOLD_RULE, "RecipientDomainStr": "Bücher.Example"}],
    ),
    admin("QueueHoldRuleRemove IDNA", "QueueHoldRuleRemove", [RULE_ID]),
    admin(
        "QueueHoldRuleAdd all empty", "QueueHoldRuleAdd", [{**HOLD_RULE, "RecipientDomainStr": ""}]
    ),
    admin("QueueHoldRuleRemove all empty", "QueueHoldRuleRemove", [RULE_ID]),
    admin("QueueHoldRuleAdd", "QueueHoldRuleAdd", [HOLD_RULE]),
    admin(
        "QueueHoldRuleAdd bad domain",
        "QueueHoldRuleAdd",
        [{**HOLD_RULE, "RecipientDomainStr": "a b"}],
    ),
    admin("QueueHoldRuleList, one", "QueueHoldRuleList", []),
    admin("QueueHoldRuleRemove", "QueueHoldRuleRemove", [RULE_ID]),
    admin("QueueHoldRuleRemove again", "QueueHoldRuleRemove", [RULE_ID]),
    admin("QueueHoldRuleList, empty again", "QueueHoldRuleList", []),
    admin("RetiredList unknown ID", "RetiredList", [RETIRED_FILTER, RETIRED_SORT]),
    admin("QueueList unknown ID", "QueueList", [QUEUE_FILTER, QUEUE_SORT]),
    admin(
        "RetiredList bad sort field",
        "RetiredList",
        [RETIRED_FILTER, {**RETIRED_SORT, "Field": "X"}],
    ),
    admin(
        "QueueList bad duration", "QueueList", [{**QUEUE_FILTER, "Submitted": "<1d"}, QUEUE_SORT]
    ),
    admin(
        "QueueList missing unit", "QueueList", [{**QUEUE_FILTER, "NextAttempt": ">1"}, QUEUE_SORT]
    ),
    admin(
        "QueueList good duration",
        "QueueList",
        [{**QUEUE_FILTER, "NextAttempt": "> -1h30m0.5s"}, QUEUE_SORT],
    ),
    admin(
        "RetiredList bad duration",
        "RetiredList",
        [{**RETIRED_FILTER, "LastActivity": "<x"}, RETIRED_SORT],
    ),
    admin(
        "RetiredList bad last",
        "RetiredList",
        [RETIRED_FILTER, {**RETIRED_SORT, "LastID": 5, "Last": 3}],
    ),
    admin(
        "RetiredList bad last time",
        "RetiredList",
        [RETIRED_FILTER, {**RETIRED_SORT, "LastID": 5, "Last": "x"}],
    ),
    admin(
        "QueueList bad time filter", "QueueList", [{**QUEUE_FILTER, "Submitted": "x"}, QUEUE_SORT]
    ),
    admin("Logout", "Logout", []),
    admin("after Logout", "QueueHoldRuleList", []),
]

WEBHOOK_URL = "http://127.0.0.1:8025/hooks/outgoing/mox"
ACCOUNT_STEPS = [
    account("no session", "Account", [], csrf="bogus"),
    Step(
        "unknown session",
        "/account/api/Account",
        params=[],
        csrf="bogus",
        auth=None,
        cookie='webaccountsession="bogus mox"',
    ),
    Step(
        "session of unknown account",
        "/account/api/Account",
        params=[],
        csrf="bogus",
        auth=None,
        cookie='webaccountsession="bogus nobody"',
    ),
    account("LoginPrep", "LoginPrep", [], csrf=None),
    account("Login wrong password", "Login", [TOKEN, LOGIN, "wrong"], csrf=None),
    account("Login unknown user", "Login", [TOKEN, "nobody@localhost", PASSWORD], csrf=None),
    account("Login right password", "Login", [TOKEN, LOGIN, PASSWORD], csrf=None),
    account("bad csrf token", "Account", [], csrf="bogus"),
    account(
        "OutgoingWebhookSave", "OutgoingWebhookSave", [WEBHOOK_URL, "Bearer s3cret", ["failed"]]
    ),
    account("OutgoingWebhookSave bad URL", "OutgoingWebhookSave", ["not a url", "", None]),
    account(
        "OutgoingWebhookSave bad URL and event",
        "OutgoingWebhookSave",
        [":x", "", ["nosuch", "failed"]],
    ),
    account("OutgoingWebhookSave bad event", "OutgoingWebhookSave", [WEBHOOK_URL, "", ["nosuch"]]),
    account("IncomingWebhookSave", "IncomingWebhookSave", ["http://127.0.0.1:8025/in", ""]),
    account("IncomingWebhookSave bad URL", "IncomingWebhookSave", ["ftp://x/", ""]),
    account("KeepRetiredPeriodsSave", "KeepRetiredPeriodsSave", [3600_000_000_000, 0]),
    account("KeepRetiredPeriodsSave negative", "KeepRetiredPeriodsSave", [-1, 0]),
    account("Account", "Account", []),
    account("OutgoingWebhookSave clear", "OutgoingWebhookSave", ["", "", None]),
    account("OutgoingWebhookSave all events", "OutgoingWebhookSave", [WEBHOOK_URL, "", []]),
    account("Account again", "Account", []),
    account("wrong param count", "OutgoingWebhookSave", []),
    account("unknown function", "NoSuchFunction", []),
    account("Logout", "Logout", []),
    account("after Logout", "Account", []),
]


# ---- Running a script against one server ---------------------------------------------------


@dataclass
class Target:
    """One server and what the script learned from it so far (cookies, tokens)."""

    url: str
    http: aiohttp.ClientSession
    cookies: dict[str, dict[str, str]] = field(default_factory=dict)  # path prefix -> cookies
    csrf: dict[str, str] = field(default_factory=dict)  # path prefix -> CSRF token
    vars: dict[str, Any] = field(default_factory=dict)


def _prefix(path: str) -> str:
    return "/" + path.split("/")[1] + "/"


def _fill(v: Any, vars: dict[str, Any]) -> Any:
    if isinstance(v, str) and v in (TOKEN, RULE_ID):
        return vars.get(v, v)
    if isinstance(v, list):
        return [_fill(x, vars) for x in v]
    if isinstance(v, dict):
        return {k: _fill(x, vars) for k, x in v.items()}
    return v


async def run_step(t: Target, step: Step) -> dict[str, Any]:
    """Send step to t; the raw observation (status, headers, body)."""
    prefix = _prefix(step.path)
    headers: dict[str, str] = {}
    body: bytes | None = step.body
    if step.content_type is not None:
        headers["Content-Type"] = step.content_type
    if step.auth is not None:
        headers["Authorization"] = step.auth
    if step.params is not None:
        body = json.dumps({"params": _fill(step.params, t.vars)}).encode()
        headers["Content-Type"] = "application/json"
    elif step.request is not None:
        req = step.request if isinstance(step.request, str) else json.dumps(step.request)
        body = urlencode({"request": req}).encode()
        headers["Content-Type"] = FORM
    if step.csrf == "session":
        headers["x-mox-csrf"] = t.csrf.get(prefix, "")
    elif step.csrf is not None:
        headers["x-mox-csrf"] = step.csrf
    jar = t.cookies.setdefault(prefix, {})
    if step.cookie is not None:
        headers["Cookie"] = step.cookie
    elif jar:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in jar.items())
    # skip_auto_headers: no Content-Type unless the step sets one.
    async with t.http.request(
        step.verb,
        t.url + step.path,
        data=body,
        headers=headers,
        skip_auto_headers=["Content-Type"],
    ) as r:
        raw = await r.read()
        set_cookies = r.headers.getall("Set-Cookie", [])
        obs = {
            "status": r.status,
            "headers": {
                k: r.headers.get(k) for k in ("Content-Type", "Www-Authenticate", "Cache-Control")
            },
            "set-cookie": set_cookies,
            "body": raw.decode("utf-8", "replace"),
        }
    for c in set_cookies:
        m = re.match(r"([^=]+)=([^;]*)(.*)", c)
        assert m, c
        if re.search(r"max-age=(0|-)", m[3], re.I):
            jar.pop(m[1], None)
        else:
            jar[m[1]] = m[2]
    if step.params is not None and r.status == 200:
        try:
            result = json.loads(str(obs["body"])).get("result")
        except ValueError:
            result = None
        if step.path.endswith("/LoginPrep") and isinstance(result, str):
            t.vars[TOKEN] = result
        if step.path.endswith("/Login") and isinstance(result, str):
            t.csrf[prefix] = result
        if step.path.endswith("/QueueHoldRuleAdd") and isinstance(result, dict):
            t.vars[RULE_ID] = result["ID"]
    return obs


# ---- Normalising what is inherently different -----------------------------------------------

RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)")
# Fields holding a time of the request: the clock differs between the runs.
TIME_KEYS = {
    "Created",
    "Queued",
    "NextAttempt",
    "LastAttempt",
    "LastActivity",
    "KeepUntil",
    "Start",
}
TOKEN_RE = re.compile(r"[A-Za-z0-9_\-]{8,}")


def _norm_json(v: Any, key: str = "") -> Any:
    if isinstance(v, dict):
        return {k: _norm_json(x, k) for k, x in v.items()}
    if isinstance(v, list):
        return [_norm_json(x, key) for x in v]
    if key in TIME_KEYS and isinstance(v, str):
        # A timestamp: only its form is compared.
        return "<time>" if RFC3339.fullmatch(v) else v
    if key == "MessageID" and isinstance(v, str):
        # Generated Message-IDs are random: <random@localhost>.
        return "<random@localhost>" if re.fullmatch(r"<[A-Za-z0-9_\-]+@localhost>", v) else v
    return v


def _norm_cookie(c: str) -> str:
    # Session and login tokens are random; only the cookie's form and attributes count.
    name, _, rest = c.partition("=")
    value, sep, attrs = rest.partition(";")
    return f"{name}={TOKEN_RE.sub('<token>', value)}{sep}{attrs}"


def _media_type(ct: str | None) -> str | None:
    """Content type family: media type and charset, lower case, without spacing differences."""
    if ct is None:
        return None
    parts = [p.strip().lower() for p in ct.split(";")]
    return "; ".join([parts[0], *sorted(p.replace(" ", "") for p in parts[1:] if p)])


def normalise(step: Step, obs: dict[str, Any]) -> dict[str, Any]:
    """What is compared: random tokens, times and Message-IDs replaced by placeholders."""
    ct = obs["headers"]["Content-Type"]
    mt = _media_type(ct)
    body: Any = obs["body"]
    if mt is not None and mt.startswith("application/json"):
        try:
            body = _norm_json(json.loads(body))
        except ValueError:
            body = ("not JSON", body)
        else:
            result = body.get("result") if isinstance(body, dict) else None
            if step.token_result and isinstance(result, str):
                # A login token or CSRF token: random.
                body["result"] = "<token>" if TOKEN_RE.fullmatch(result) else result
            if step.path.endswith("/api/Account") and isinstance(result, list) and len(result) > 1:
                # The account's disk usage: localserve delivers the messages the webapi
                # script sends to the account itself; the fake stores no messages.
                if isinstance(result[1], int):
                    result[1] = "<disk usage>"
    elif mt is not None and mt.startswith("text/html"):
        # mox's documentation page for a method: compared by its title.
        m = re.search(r"<title>(.*?)</title>", body, re.S)
        body = ("html", m[1] if m else None)
    return {
        "status": obs["status"],
        "content-type": mt,
        "body": body,
        "www-authenticate": obs["headers"]["Www-Authenticate"],
        "cache-control": obs["headers"]["Cache-Control"],
        "set-cookie": [_norm_cookie(c) for c in obs["set-cookie"]],
    }


# ---- The test -------------------------------------------------------------------------------


async def run_script(url: str, steps: list[Step]) -> list[dict[str, Any]]:
    timeout = aiohttp.ClientTimeout(total=20)
    async with aiohttp.ClientSession(timeout=timeout, cookie_jar=aiohttp.DummyCookieJar()) as http:
        t = Target(url, http)
        return [normalise(step, await run_step(t, step)) for step in steps]


def differences(
    steps: list[Step], real: list[dict[str, Any]], fake: list[dict[str, Any]]
) -> list[str]:
    out = []
    for step, r, f in zip(steps, real, fake, strict=True):
        for k in r:
            if r[k] != f[k]:
                out.append(
                    f"{step.verb} {step.path} [{step.name}] {k}: real {r[k]!r} vs fake {f[k]!r}"
                )
    return out


def reset_real(realmox: RealMox) -> int:
    """Put the module's real mox back in its initial state; returns the ID its next
    suppression will get (IDs are not reused, and earlier tests of the module used some)."""
    realmox.webapi("SuppressionAdd", {"EmailAddress": "probe-for-next-id@example.org"})
    suppressions = realmox.webapi("SuppressionList", {})["Suppressions"]
    for sup in suppressions:
        realmox.webapi("SuppressionRemove", {"EmailAddress": sup["OriginalAddress"]})
    adm = realmox_admin(realmox)
    for rule in adm.call("QueueHoldRuleList") or []:
        adm.call("QueueHoldRuleRemove", rule["ID"])
    acc = realmox_account(realmox)
    acc.call("OutgoingWebhookSave", "", "", None)
    acc.call("IncomingWebhookSave", "", "")
    acc.call("KeepRetiredPeriodsSave", KEEP_RETIRED_NS, KEEP_RETIRED_NS)
    return 1 + max(int(sup["ID"]) for sup in suppressions)


async def compare(realmox: RealMox, steps: list[Step]) -> None:
    next_suppression_id = reset_real(realmox)
    real = await run_script(realmox.url, steps)
    async with FakeMox() as fm:
        # Same state as the real mox: its suppression IDs continue where mox's do.
        fm._next_suppression_id = next_suppression_id
        fake = await run_script(fm.url, steps)
    diffs = differences(steps, real, fake)
    assert not diffs, f"{len(diffs)} differences between real mox and the fake:\n" + "\n".join(
        diffs
    )


async def test_webapi(realmox: RealMox) -> None:
    await compare(realmox, WEBAPI_STEPS)


async def test_webapi_addresses(realmox: RealMox) -> None:
    await compare(realmox, ADDRESS_STEPS)


async def test_admin_api(realmox: RealMox) -> None:
    await compare(realmox, ADMIN_STEPS)


async def test_account_api(realmox: RealMox) -> None:
    await compare(realmox, ACCOUNT_STEPS)
