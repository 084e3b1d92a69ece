"""The fake mox's wire format, checked with plain aiohttp requests against shared/mox-api.md,
and the webhook sender against a small receiver."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from fakemox import NOT_UNIQUE, UNAUTHORIZED_TEXT, FakeMox, base_address, parse_address
from moxsender import HOOK_INTERVALS, MoxSender, go_marshal, outgoing_event

AUTH = "Basic " + base64.b64encode(b"mox@localhost:moxmoxmox").decode()
JSON_CT = "application/json; charset=utf-8"


@pytest.fixture
async def fake() -> AsyncIterator[FakeMox]:
    async with FakeMox() as f:
        yield f


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as s:
        yield s


async def webapi(
    http: aiohttp.ClientSession, fake: FakeMox, method: str, request: Any, auth: str = AUTH
) -> tuple[int, str, str]:
    async with http.post(
        f"{fake.url}/webapi/v0/{method}",
        data={"request": json.dumps(request)},
        headers={"Authorization": auth},
    ) as r:
        return r.status, r.headers.get("Content-Type", ""), await r.text()


async def sherpa(
    http: aiohttp.ClientSession,
    fake: FakeMox,
    path: str,
    params: list[Any],
    csrf: str | None = None,
) -> tuple[int, Any, aiohttp.ClientResponse]:
    headers = {"Content-Type": "application/json"}
    if csrf:
        headers["x-mox-csrf"] = csrf
    async with http.post(fake.url + path, json={"params": params}, headers=headers) as r:
        return r.status, json.loads(await r.text()), r


async def admin_login(http: aiohttp.ClientSession, fake: FakeMox) -> str:
    _, token, _ = await sherpa(http, fake, "/admin/api/LoginPrep", [])
    _, csrf, _ = await sherpa(http, fake, "/admin/api/Login", [token["result"], "moxadmin"])
    return str(csrf["result"])


# ---- webapi ----


async def test_json_body_is_not_accepted(fake: FakeMox, http: aiohttp.ClientSession) -> None:
    async with http.post(
        f"{fake.url}/webapi/v0/SuppressionList", json={}, headers={"Authorization": AUTH}
    ) as r:
        assert r.status == 400
        assert r.headers["Content-Type"] == JSON_CT
        assert await r.text() == '{"Code":"protocol","Message":"missing/empty request"}\n'


async def test_unknown_field(fake: FakeMox, http: aiohttp.ClientSession) -> None:
    status, ct, body = await webapi(http, fake, "SuppressionAdd", {"EmailAddress": "a@b.c", "X": 1})
    assert (status, ct) == (400, JSON_CT)
    assert json.loads(body) == {
        "Code": "protocol",
        "Message": 'parsing request: json: unknown field "X"',
    }


@pytest.mark.parametrize(
    "auth",
    [
        None,
        "Basic " + base64.b64encode(b"mox@localhost:wrong").decode(),
        "Basic " + base64.b64encode(b"nobody@localhost:moxmoxmox").decode(),
        "Bearer moxmoxmox",
    ],
)
async def test_401(fake: FakeMox, http: aiohttp.ClientSession, auth: str | None) -> None:
    headers = {"Authorization": auth} if auth else {}
    async with http.post(
        f"{fake.url}/webapi/v0/SuppressionList", data={"request": "{}"}, headers=headers
    ) as r:
        assert r.status == 401
        assert r.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert r.headers["Www-Authenticate"] == "Basic realm=webapi"
        assert await r.text() == UNAUTHORIZED_TEXT + "\n"


async def test_unknown_method_and_get(fake: FakeMox, http: aiohttp.ClientSession) -> None:
    status, _, body = await webapi(http, fake, "NoSuchMethod", {})
    assert (status, body) == (404, "404 page not found\n")
    # GET shows mox's page with an example request; other methods are refused.
    async with http.get(f"{fake.url}/webapi/v0/SuppressionList") as r:
        assert (r.status, r.headers["Content-Type"]) == (200, "text/html; charset=utf-8")
        assert "<title>Method SuppressionList - WebAPI - Mox</title>" in await r.text()
    async with http.put(f"{fake.url}/webapi/v0/SuppressionList") as r:
        assert r.status == 405


@pytest.mark.parametrize(
    ("address", "base", "original"),
    [
        ("John.Doe+x@Gmail.com", "johndoe@gmail.com", "John.Doe+x@gmail.com"),
        ("Jürgen.M-x@Bücher.example", "jürgenm@bücher.example", "Jürgen.M-x@bücher.example"),
        ("user@xn--bcher-kva.example", "user@bücher.example", "user@bücher.example"),
        ('"quoted.local"@example.org', "quotedlocal@example.org", "quoted.local@example.org"),
        ("a.b-c+d@example.org", "ab@example.org", "a.b-c+d@example.org"),
    ],
)
async def test_suppression_base_address(
    fake: FakeMox, http: aiohttp.ClientSession, address: str, base: str, original: str
) -> None:
    req = {"EmailAddress": address, "Manual": True, "Reason": "test"}
    assert (await webapi(http, fake, "SuppressionAdd", req))[2] == "{}\n"
    status, _, body = await webapi(http, fake, "SuppressionList", {})
    assert status == 200
    (sup,) = json.loads(body)["Suppressions"]
    assert sup["BaseAddress"] == base
    assert sup["OriginalAddress"] == original
    assert (sup["Account"], sup["Manual"], sup["Reason"], sup["ID"]) == ("mox", True, "test", 1)
    assert sup["Created"].endswith("Z")
    assert base_address(*parse_address(address)) == base


async def test_suppression_errors(fake: FakeMox, http: aiohttp.ClientSession) -> None:
    add = {"EmailAddress": "a.b-c+d@example.org", "Manual": False, "Reason": ""}
    assert (await webapi(http, fake, "SuppressionAdd", add))[0] == 200
    again = {"EmailAddress": "AB@EXAMPLE.ORG", "Manual": True, "Reason": "x"}
    status, _, body = await webapi(http, fake, "SuppressionAdd", again)
    assert (status, json.loads(body)) == (400, {"Code": "error", "Message": NOT_UNIQUE})
    assert body == (
        '{"Code":"error","Message":"updating indices for inserted value: not unique: '
        '\\"Account+BaseAddress\\""}\n'
    )

    present = await webapi(http, fake, "SuppressionPresent", {"EmailAddress": "AB@EXAMPLE.ORG"})
    assert json.loads(present[2]) == {"Present": True}
    assert (await webapi(http, fake, "SuppressionRemove", {"EmailAddress": "AB@EXAMPLE.ORG"}))[
        2
    ] == "{}\n"
    assert fake.suppressions("mox") == []
    status, _, body = await webapi(
        http, fake, "SuppressionRemove", {"EmailAddress": "ab@example.org"}
    )
    assert (status, json.loads(body)) == (400, {"Code": "error", "Message": "absent"})

    status, _, body = await webapi(http, fake, "SuppressionPresent", {"EmailAddress": "x"})
    assert json.loads(body) == {
        "Code": "badAddress",
        "Message": 'parsing address "x": invalid email address: expected @',
    }
    status, _, body = await webapi(http, fake, "SuppressionList", {})
    assert json.loads(body) == {"Suppressions": []}


async def test_suppressions_per_account(http: aiohttp.ClientSession) -> None:
    accounts = {
        "mox": {"logins": {"mox@localhost": "moxmoxmox"}},
        "other": {"logins": {"other@localhost": "otherpass"}},
    }
    async with FakeMox(accounts) as fake:
        fake.add_suppression("other", "x@example.org", reason="by hand")
        with pytest.raises(ValueError, match="not unique"):
            fake.add_suppression("other", "X+1@example.org")
        assert json.loads((await webapi(http, fake, "SuppressionList", {}))[2]) == {
            "Suppressions": []
        }
        other = "Basic " + base64.b64encode(b"other@localhost:otherpass").decode()
        body = json.loads((await webapi(http, fake, "SuppressionList", {}, auth=other))[2])
        assert [s["OriginalAddress"] for s in body["Suppressions"]] == ["x@example.org"]
        assert fake.remove_suppression("other", "x-y@example.org")
        assert fake.suppressions("other") == []


async def test_send(fake: FakeMox, http: aiohttp.ClientSession) -> None:
    req = {
        "To": [{"Address": "a@example.org"}, {"Name": "B", "Address": "b@example.org"}],
        "Subject": "hi",
        "Text": "hello",
        "Extra": {"topic": "news"},
        "Headers": [["List-Unsubscribe", "<https://example.org/u>"]],
    }
    status, ct, body = await webapi(http, fake, "Send", req)
    assert (status, ct) == (200, JSON_CT)
    res = json.loads(body)
    assert res["MessageID"].startswith("<") and res["MessageID"].endswith("@localhost>")
    assert res["Submissions"] == [
        {"Address": "a@example.org", "QueueMsgID": 1, "FromID": ""},
        {"Address": "b@example.org", "QueueMsgID": 2, "FromID": ""},
    ]
    (sent,) = fake.sent
    assert sent["request"]["Extra"] == {"topic": "news"}
    assert sent["request"]["Headers"] == [["List-Unsubscribe", "<https://example.org/u>"]]
    assert fake.queue[2]["Extra"] == {"topic": "news"}
    status, _, body = await webapi(http, fake, "Send", {**req, "Text": ""})
    assert json.loads(body) == {
        "Code": "missingBody",
        "Message": "at least text or html body required",
    }
    status, _, body = await webapi(http, fake, "Send", {"Text": "x"})
    assert json.loads(body) == {"Code": "noRecipients", "Message": "no recipients"}
    status, _, body = await webapi(http, fake, "Send", {"To": [{"Adress": "x"}], "Text": "x"})
    assert json.loads(body)["Message"] == 'parsing request: json: unknown field "Adress"'
    status, _, body = await webapi(http, fake, "Send", {"To": [{"Address": "a@b.c"}], "Text": "x"})
    assert json.loads(body)["Submissions"][0]["QueueMsgID"] == 3


async def test_go_json_decoding(fake: FakeMox, http: aiohttp.ClientSession) -> None:
    # Go matches field names case-insensitively and reports type errors its own way.
    req = {"emailaddress": "x@example.org", "manual": True, "reason": ""}
    assert (await webapi(http, fake, "SuppressionAdd", req))[0] == 200
    status, _, body = await webapi(http, fake, "SuppressionAdd", {"EmailAddress": 1})
    assert status == 400
    assert json.loads(body)["Message"] == (
        "parsing request: json: cannot unmarshal number into Go struct field "
        "SuppressionAddRequest.EmailAddress of type string"
    )


async def test_message_raw_get(fake: FakeMox, http: aiohttp.ClientSession) -> None:
    msg_id = fake.add_incoming("mox", b"Subject: x\r\n\r\nbody\r\n")
    status, ct, body = await webapi(http, fake, "MessageRawGet", {"MsgID": msg_id})
    assert (status, ct, body) == (200, "text/plain", "Subject: x\r\n\r\nbody\r\n")
    status, _, body = await webapi(http, fake, "MessageRawGet", {"MsgID": 99})
    assert json.loads(body) == {"Code": "messageNotFound", "Message": "message not found"}


async def test_calls_are_recorded(fake: FakeMox, http: aiohttp.ClientSession) -> None:
    await webapi(http, fake, "SuppressionPresent", {"EmailAddress": "a@b.c"})
    await sherpa(http, fake, "/admin/api/LoginPrep", [])
    assert fake.calls == [
        ("webapi", "SuppressionPresent", {"EmailAddress": "a@b.c"}),
        ("admin", "LoginPrep", []),
    ]


# ---- admin API ----


async def test_admin_no_session(fake: FakeMox, http: aiohttp.ClientSession) -> None:
    status, body, _ = await sherpa(http, fake, "/admin/api/QueueHoldRuleList", [], csrf="x")
    assert status == 200
    assert body == {
        "error": {"code": "user:noAuth", "message": 'no session for "admin" web interface'}
    }
    status, body, _ = await sherpa(http, fake, "/admin/api/QueueHoldRuleList", [])
    assert body["error"] == {"code": "user:noAuth", "message": "missing required csrf header"}


async def test_admin_login_cookies(fake: FakeMox, http: aiohttp.ClientSession) -> None:
    status, body, r = await sherpa(http, fake, "/admin/api/LoginPrep", [])
    token = body["result"]
    (prep_cookie,) = r.headers.getall("Set-Cookie")
    assert (
        prep_cookie == f"webadminlogin={token}; Path=/admin/; Max-Age=30; HttpOnly; SameSite=Strict"
    )

    _, body, _ = await sherpa(http, fake, "/admin/api/Login", [token, "wrong"])
    assert body == {
        "result": None,
        "error": {"code": "user:loginFailed", "message": "invalid credentials"},
    }
    status, body, r = await sherpa(http, fake, "/admin/api/Login", [token, "moxadmin"])
    csrf = body["result"]
    session_cookie, login_cookie = r.headers.getall("Set-Cookie")
    assert session_cookie.startswith('webadminsession="')
    assert session_cookie.endswith(' %28admin%29"; Path=/admin/; HttpOnly; SameSite=Strict')
    assert login_cookie == "webadminlogin=; Path=/admin/; Max-Age=0; HttpOnly; SameSite=Strict"

    status, body, r = await sherpa(http, fake, "/admin/api/QueueHoldRuleList", [], csrf=csrf)
    assert (status, body) == (200, {"result": []})
    assert r.headers["Content-Type"] == JSON_CT
    _, body, _ = await sherpa(http, fake, "/admin/api/QueueHoldRuleList", [], csrf="bad")
    assert body["error"] == {
        "code": "user:badAuth",
        "message": "mismatch between csrf and session tokens",
    }


async def test_login_needs_login_cookie(fake: FakeMox) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        _, body, _ = await sherpa(http, fake, "/admin/api/LoginPrep", [])
        _, body, _ = await sherpa(http, fake, "/admin/api/Login", [body["result"], "moxadmin"])
        assert body["error"] == {"code": "user:error", "message": "missing login token cookie"}


async def test_sherpa_errors(fake: FakeMox, http: aiohttp.ClientSession) -> None:
    csrf = await admin_login(http, fake)
    status, body, _ = await sherpa(http, fake, "/admin/api/QueueHoldRuleRemove", [], csrf=csrf)
    assert (status, body["error"]) == (
        200,
        {
            "code": "sherpa:badParams",
            "message": 'function "QueueHoldRuleRemove": bad number of parameters: got 0, want 1',
        },
    )
    status, body, _ = await sherpa(http, fake, "/admin/api/NoSuchFunction", [], csrf=csrf)
    assert (status, body["error"]["code"]) == (404, "sherpa:badFunction")
    status, body, _ = await sherpa(
        http, fake, "/admin/api/QueueHoldRuleAdd", [{"Acount": "x"}], csrf=csrf
    )
    assert body["error"] == {
        "code": "sherpa:badParams",
        "message": 'function "QueueHoldRuleAdd": parsing parameters: json: unknown field "Acount"',
    }
    status, body, _ = await sherpa(http, fake, "/admin/api/QueueHoldRuleRemove", [7], csrf=csrf)
    assert body["error"] == {"code": "server:error", "message": "removing queue hold rule: absent"}
    async with http.post(
        f"{fake.url}/admin/api/Accounts",
        data="{}",
        headers={"x-mox-csrf": csrf, "Content-Type": "text/plain"},
    ) as r:
        body = await r.json()
        assert body["error"] == {
            "code": "sherpa:badRequest",
            "message": 'unrecognized content-type "text/plain", expecting "application/json"',
        }


async def test_expire_admin_sessions(fake: FakeMox, http: aiohttp.ClientSession) -> None:
    csrf = await admin_login(http, fake)
    fake.expire_admin_sessions()
    _, body, _ = await sherpa(http, fake, "/admin/api/Accounts", [], csrf=csrf)
    assert body["error"]["code"] == "user:noAuth"
    csrf = await admin_login(http, fake)
    fake.expire_admin_sessions("user:badAuth")
    _, body, _ = await sherpa(http, fake, "/admin/api/Accounts", [], csrf=csrf)
    assert body["error"] == {
        "code": "user:badAuth",
        "message": "unknown session (due to server restart or 10 new admin sessions)",
    }
    csrf = await admin_login(http, fake)
    _, body, _ = await sherpa(http, fake, "/admin/api/Accounts", [], csrf=csrf)
    assert body == {"result": [["mox"], None]}


async def test_retired_and_queue_lists(fake: FakeMox, http: aiohttp.ClientSession) -> None:
    csrf = await admin_login(http, fake)
    fake.add_retired(5, "mox", "user550@example.org", 550, "5.0.0", "no", {"topic": "news"})
    fake.add_retired(6, "mox", "Other@Example.org", 0, "", "", None, success=True)
    fake.add_queued(7, "mox", "later@example.org")
    flt = {
        "Max": 10,
        "IDs": [5, 7],
        "Account": "",
        "From": "",
        "To": "",
        "Submitted": "",
        "LastActivity": "",
        "Transport": None,
        "Success": None,
    }
    sort = {"Field": "LastActivity", "LastID": 0, "Last": None, "Asc": False}
    _, body, _ = await sherpa(http, fake, "/admin/api/RetiredList", [flt, sort], csrf=csrf)
    (m,) = body["result"]
    assert (m["ID"], m["SenderAccount"], m["RecipientAddress"]) == (5, "mox", "user550@example.org")
    assert m["Extra"] == {"topic": "news"}
    assert m["Results"][-1]["Code"] == 550
    assert m["Results"][-1]["Secode"] == "0.0"  # mox keeps it without the class digit
    assert m["Success"] is False

    qflt = {k: v for k, v in flt.items() if k not in ("LastActivity", "Success")}
    qflt.update(Hold=None, NextAttempt="")
    qsort = {"Field": "Queued", "LastID": 0, "Last": None, "Asc": True}
    _, body, _ = await sherpa(http, fake, "/admin/api/QueueList", [qflt, qsort], csrf=csrf)
    (q,) = body["result"]
    assert q["ID"] == 7 and "RecipientAddress" not in q
    assert (q["RecipientLocalpart"], q["RecipientDomainStr"]) == ("later", "example.org")

    _, body, _ = await sherpa(
        http, fake, "/admin/api/RetiredList", [{**flt, "IDs": [99]}, sort], csrf=csrf
    )
    assert body == {"result": []}
    _, body, _ = await sherpa(
        http, fake, "/admin/api/RetiredList", [{**flt, "IDs": None}, sort], csrf=csrf
    )
    assert [m["ID"] for m in body["result"]] == [6, 5]
    fake.retire(7, success=False, code=451, secode="4.2.2", error="full")
    assert fake.retired[7]["RecipientAddress"] == "later@example.org"


async def test_hold_rules(fake: FakeMox, http: aiohttp.ClientSession) -> None:
    csrf = await admin_login(http, fake)
    fake.add_queued(1, "mox", "a@example.org")
    fake.add_queued(2, "mox", "b@other.example")
    rule = {"ID": 0, "Account": "", "SenderDomainStr": "", "RecipientDomainStr": "example.org"}
    _, body, _ = await sherpa(http, fake, "/admin/api/QueueHoldRuleAdd", [rule], csrf=csrf)
    assert body["result"] == {
        "ID": 1,
        "Account": "",
        "SenderDomain": {"ASCII": "", "Unicode": ""},
        "RecipientDomain": {"ASCII": "example.org", "Unicode": ""},
        "SenderDomainStr": "",
        "RecipientDomainStr": "example.org",
    }
    _, body, _ = await sherpa(http, fake, "/admin/api/QueueHoldRuleAdd", [rule], csrf=csrf)
    assert body["result"]["ID"] == 2
    assert (fake.queue[1]["Hold"], fake.queue[2]["Hold"]) == (True, False)
    assert fake.add_queued(3, "mox", "c@example.org")["Hold"] is True
    _, body, _ = await sherpa(http, fake, "/admin/api/QueueHoldRuleRemove", [1], csrf=csrf)
    assert body == {"result": None}
    _, body, _ = await sherpa(http, fake, "/admin/api/QueueHoldRuleList", [], csrf=csrf)
    assert [r["ID"] for r in body["result"]] == [2]
    flt = {"Max": 0, "IDs": None, "Account": "", "From": "", "To": "", "Hold": True,
           "Submitted": "", "NextAttempt": "", "Transport": None}  # fmt: skip
    _, body, _ = await sherpa(http, fake, "/admin/api/QueueHoldSet", [flt, False], csrf=csrf)
    assert body == {"result": 2}
    assert not any(m["Hold"] for m in fake.queue.values())


async def test_account_api(fake: FakeMox, http: aiohttp.ClientSession) -> None:
    _, body, _ = await sherpa(http, fake, "/account/api/LoginPrep", [])
    token = body["result"]
    _, body, r = await sherpa(
        http, fake, "/account/api/Login", [token, "mox@localhost", "moxmoxmox"]
    )
    csrf = body["result"]
    assert r.headers.getall("Set-Cookie")[0].startswith('webaccountsession="')
    params = ["http://127.0.0.1:8025/hooks/outgoing/mox", "Bearer s3cret", ["failed"]]
    _, body, _ = await sherpa(http, fake, "/account/api/OutgoingWebhookSave", params, csrf=csrf)
    assert body == {"result": None}
    assert fake.outgoing_webhooks["mox"] == {
        "URL": "http://127.0.0.1:8025/hooks/outgoing/mox",
        "Authorization": "Bearer s3cret",
        "Events": ["failed"],
    }
    _, body, _ = await sherpa(
        http, fake, "/account/api/IncomingWebhookSave", ["http://x/in", ""], csrf=csrf
    )
    assert fake.incoming_webhooks["mox"] == {"URL": "http://x/in", "Authorization": ""}
    _, body, _ = await sherpa(http, fake, "/account/api/IncomingWebhookSave", [], csrf="no")
    assert body["error"]["code"] == "user:badAuth"
    fake.expire_account_sessions()
    _, body, _ = await sherpa(http, fake, "/account/api/IncomingWebhookSave", ["", ""], csrf=csrf)
    assert body["error"] == {
        "code": "user:noAuth",
        "message": 'no session for "account" web interface',
    }


# ---- failure modes ----


async def test_refuse_and_restore_same_port(fake: FakeMox, http: aiohttp.ClientSession) -> None:
    port = fake.port
    await fake.fail("refuse")
    with pytest.raises(aiohttp.ClientConnectorError):
        await webapi(http, fake, "SuppressionList", {})
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0
    await fake.restore()
    assert fake.port == port
    assert (await webapi(http, fake, "SuppressionList", {}))[0] == 200


async def test_stall_and_500(fake: FakeMox) -> None:
    timeout = aiohttp.ClientTimeout(total=0.1)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        await fake.fail("stall")
        with pytest.raises(asyncio.TimeoutError):
            await webapi(http, fake, "SuppressionList", {})
        await fake.fail("500")
        status, ct, body = await webapi(http, fake, "SuppressionList", {})
        assert (status, ct, body) == (
            500,
            "text/plain; charset=utf-8",
            "500 - internal server error\n",
        )
        await fake.restore()
        assert (await webapi(http, fake, "SuppressionList", {}))[0] == 200


async def test_stalled_request_goes_on_after_restore(
    fake: FakeMox, http: aiohttp.ClientSession
) -> None:
    await fake.fail("stall")
    pending = asyncio.ensure_future(webapi(http, fake, "SuppressionList", {}))
    await asyncio.sleep(0.05)
    assert not pending.done()
    await fake.restore()
    assert (await pending)[0] == 200


# ---- the webhook sender ----


async def test_moxsender_headers_and_retries(aiohttp_server: Any) -> None:
    seen: list[tuple[dict[str, str], bytes]] = []
    answers = [503, 500, 200]

    async def hook(request: web.Request) -> web.Response:
        seen.append((dict(request.headers), await request.read()))
        return web.Response(status=answers[len(seen) - 1], text="ok")

    app = web.Application()
    app.router.add_post("/hooks/outgoing/mox", hook)
    server = await aiohttp_server(app, host="127.0.0.1")
    url = str(server.make_url("/hooks/outgoing/mox"))
    event = outgoing_event("failed", queue_msg_id=5, extra={"topic": "news"})
    async with MoxSender(url, authorization="Bearer s3cret", delay_scale=0.0001) as sender:
        attempts = await sender.deliver(event, hook_id=42)
    assert [a.status for a in attempts] == [503, 500, 200]
    assert [a.attempt for a in attempts] == [1, 2, 3]
    for n, (headers, body) in enumerate(seen, 1):
        assert headers["User-Agent"] == "mox/v0.0.17 (webhook)"
        assert headers["Content-Type"] == "application/json; charset=utf-8"
        assert headers["Authorization"] == "Bearer s3cret"
        assert headers["X-Mox-Webhook-ID"] == "42"
        assert headers["X-Mox-Webhook-Attempt"] == str(n)
        assert json.loads(body) == event
        assert b"\\u003ctJTDlvgzNfsD9UntJOEtEQ@localhost\\u003e" in body


async def test_moxsender_one_at_a_time_and_gives_up(aiohttp_server: Any) -> None:
    active = 0
    most = 0

    async def hook(request: web.Request) -> web.Response:
        nonlocal active, most
        active += 1
        most = max(most, active)
        await asyncio.sleep(0.01)
        active -= 1
        return web.Response(status=500)

    app = web.Application()
    app.router.add_post("/h", hook)
    server = await aiohttp_server(app, host="127.0.0.1")
    async with MoxSender(str(server.make_url("/h")), delay_scale=0.00001, max_attempts=3) as s:
        results = await asyncio.gather(*(s.deliver(outgoing_event()) for _ in range(3)))
    assert most == 1
    assert [len(r) for r in results] == [3, 3, 3]
    assert "Authorization" not in s.headers(1, 1)


def test_outgoing_event_shape() -> None:
    ev = outgoing_event("failed", queue_msg_id=5, code=550, secode="5.0.0", suppressing=True)
    # Every field of mox's webhook.Outgoing, in its order.
    assert list(ev) == [
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
    ]
    assert ev["WebhookQueued"].endswith("Z") and "T" in ev["WebhookQueued"]
    assert ev["Extra"] == {} and ev["SMTPCode"] == 550 and "550 5.0.0" in ev["Error"]
    assert outgoing_event("delivered")["SMTPCode"] == 0
    assert outgoing_event("delivered")["SMTPEnhancedCode"] == ""
    dsn = outgoing_event("failed", dsn=True)
    assert (dsn["Extra"], dsn["Error"]) == (None, "")
    assert go_marshal({"a": "<&>"}) == '{"a":"\\u003c\\u0026\\u003e"}'
    assert len(HOOK_INTERVALS) == 11
