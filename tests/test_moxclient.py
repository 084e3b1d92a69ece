"""The mox client against the fake mox over real HTTP: every method, every error family."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from fakemox import NOT_UNIQUE, UNAUTHORIZED_TEXT, FakeMox, SherpaError

from moxhooks.errors import MoxhooksError
from moxhooks.mox.client import (
    MoxApiError,
    MoxAuthError,
    MoxClient,
    MoxError,
    MoxUnavailable,
    WebAPI,
    recipient_address,
)

TIMEOUT = 0.15


@pytest.fixture
async def fake() -> AsyncIterator[FakeMox]:
    async with FakeMox() as f:
        yield f


@pytest.fixture
async def client(fake: FakeMox) -> AsyncIterator[MoxClient]:
    async with MoxClient(fake.url, timeout=TIMEOUT) as c:
        yield c


@pytest.fixture
def api(client: MoxClient) -> WebAPI:
    return client.webapi("mox@localhost", "moxmoxmox")


def logins(fake: FakeMox, api: str = "admin") -> int:
    return sum(1 for a, m, _ in fake.calls if (a, m) == (api, "Login"))


def test_error_family() -> None:
    assert issubclass(MoxError, MoxhooksError)
    assert issubclass(MoxAuthError, MoxApiError)
    assert issubclass(MoxUnavailable, MoxError) and not issubclass(MoxUnavailable, MoxApiError)
    e = MoxApiError("error", "absent")
    assert (e.code, e.message, str(e)) == ("error", "absent", "error: absent")


# ---- webapi ----


async def test_suppression_round_trip(fake: FakeMox, api: WebAPI) -> None:
    assert await api.suppression_list() == []
    await api.suppression_add("a.b-c+d@example.org", manual=True, reason="bounced")
    (sup,) = await api.suppression_list()
    assert sup["BaseAddress"] == "ab@example.org"
    assert sup["OriginalAddress"] == "a.b-c+d@example.org"
    assert (sup["Manual"], sup["Reason"]) == (True, "bounced")
    assert await api.suppression_present("A.B@example.org")
    assert not await api.suppression_present("other@example.org")
    await api.suppression_remove("AB@EXAMPLE.ORG")  # base-address match
    assert await api.suppression_list() == []
    assert fake.suppressions("mox") == []
    assert [c[1] for c in fake.calls] == [
        "SuppressionList",
        "SuppressionAdd",
        "SuppressionList",
        "SuppressionPresent",
        "SuppressionPresent",
        "SuppressionRemove",
        "SuppressionList",
    ]


@pytest.mark.parametrize(
    ("method", "request_", "code", "message"),
    [
        ("SuppressionAdd", {"EmailAddress": "AB@EXAMPLE.ORG", "Manual": False, "Reason": ""},
         "error", NOT_UNIQUE),
        ("SuppressionRemove", {"EmailAddress": "nobody@example.org"}, "error", "absent"),
        ("SuppressionPresent", {"EmailAddress": "x"}, "badAddress",
         'parsing address "x": invalid email address: expected @'),
        ("SuppressionList", {"X": 1}, "protocol", 'parsing request: json: unknown field "X"'),
        ("Send", {"To": [{"Address": "a@example.org"}]}, "missingBody",
         "at least text or html body required"),
    ],
)  # fmt: skip
async def test_webapi_errors(
    fake: FakeMox, api: WebAPI, method: str, request_: dict[str, Any], code: str, message: str
) -> None:
    fake.add_suppression("mox", "a.b-c+d@example.org")
    with pytest.raises(MoxApiError) as ei:
        await api.call(method, request_)
    assert type(ei.value) is MoxApiError
    assert (ei.value.code, ei.value.message) == (code, message)


async def test_webapi_helpers_raise_api_errors(fake: FakeMox, api: WebAPI) -> None:
    fake.add_suppression("mox", "a.b-c+d@example.org")
    with pytest.raises(MoxApiError) as ei:
        await api.suppression_add("AB@EXAMPLE.ORG", manual=True, reason="")
    assert (ei.value.code, ei.value.message) == ("error", NOT_UNIQUE)
    with pytest.raises(MoxApiError) as ei:
        await api.suppression_remove("nobody@example.org")
    assert (ei.value.code, ei.value.message) == ("error", "absent")


async def test_webapi_401(client: MoxClient) -> None:
    bad = client.webapi("mox@localhost", "wrong")
    with pytest.raises(MoxAuthError) as ei:
        await bad.suppression_list()
    assert (ei.value.code, ei.value.message) == ("user:badAuth", UNAUTHORIZED_TEXT)
    assert not await bad.verify_login()
    assert not await client.webapi("nobody@localhost", "moxmoxmox").verify_login()
    assert await client.webapi("mox@localhost", "moxmoxmox").verify_login()


async def test_send_and_raw_get(fake: FakeMox, api: WebAPI) -> None:
    res = await api.send(
        {
            "To": [{"Address": "a@example.org"}],
            "Subject": "s",
            "Text": "t",
            "Extra": {"topic": "news"},
            "Headers": [["List-Unsubscribe", "<https://example.org/u>"]],
        }
    )
    (sub,) = res["Submissions"]
    assert sub["Address"] == "a@example.org" and sub["QueueMsgID"] == 1
    assert fake.queue[1]["Extra"] == {"topic": "news"}
    msg_id = fake.add_incoming("mox", b"Subject: hi\r\n\r\nbody\r\n")
    assert await api.message_raw_get(msg_id) == b"Subject: hi\r\n\r\nbody\r\n"
    with pytest.raises(MoxApiError) as ei:
        await api.message_raw_get(msg_id + 1)
    assert ei.value.code == "messageNotFound"


async def test_unknown_webapi_method(api: WebAPI) -> None:
    with pytest.raises(MoxApiError) as ei:
        await api.call("NoSuchMethod", {})
    assert (ei.value.code, ei.value.message) == ("http:404", "404 page not found")


# ---- unavailability: every API, every failure mode ----


def _calls(client: MoxClient) -> dict[str, Callable[[], Awaitable[Any]]]:
    return {
        "webapi": client.webapi("mox@localhost", "moxmoxmox").suppression_list,
        "admin": client.admin("moxadmin").accounts,
        "account": lambda: client.account_api("mox@localhost", "moxmoxmox").incoming_webhook_save(
            "", ""
        ),
    }


@pytest.mark.parametrize("mode", ["refuse", "stall", "500"])
@pytest.mark.parametrize("which", ["webapi", "admin", "account"])
async def test_unavailable(fake: FakeMox, client: MoxClient, mode: str, which: str) -> None:
    call = _calls(client)[which]
    await fake.fail(mode)
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    with pytest.raises(MoxUnavailable) as ei:
        await call()
    assert loop.time() - t0 < TIMEOUT + 0.5
    # Translated at the boundary: no chained aiohttp exception.
    assert ei.value.__cause__ is None
    assert ei.value.__context__ is None or ei.value.__suppress_context__
    if mode == "stall":
        assert f"no answer within {TIMEOUT:g}s" in str(ei.value)
    await fake.restore()
    await call()


async def test_unavailable_after_connection_reuse(fake: FakeMox, api: WebAPI) -> None:
    await api.suppression_list()  # leaves a keep-alive connection in the pool
    await fake.fail("refuse")
    with pytest.raises(MoxUnavailable):
        await api.suppression_list()
    await fake.restore()
    assert await api.suppression_list() == []


@pytest.mark.parametrize(
    ("status", "body"),
    [(200, "not json"), (200, "[1, 2]"), (400, "<html>"), (502, "bad gateway"), (429, "slow")],
)
async def test_unparseable_or_overloaded(aiohttp_server: Any, status: int, body: str) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(status=status, text=body)

    app = web.Application()
    app.router.add_route("POST", "/{tail:.*}", handler)
    server = await aiohttp_server(app, host="127.0.0.1")
    async with MoxClient(str(server.make_url("")), timeout=TIMEOUT) as c:
        with pytest.raises(MoxUnavailable):
            await c.webapi("mox@localhost", "x").suppression_list()
        if status != 400:
            with pytest.raises(MoxUnavailable):
                await c.admin("moxadmin").accounts()


async def test_client_session_ownership(fake: FakeMox) -> None:
    async with aiohttp.ClientSession() as session:
        async with MoxClient(fake.url + "/", timeout=TIMEOUT, session=session) as c:
            assert await c.webapi("mox@localhost", "moxmoxmox").suppression_list() == []
        assert not session.closed
    c = MoxClient(fake.url, timeout=TIMEOUT)
    await c.webapi("mox@localhost", "moxmoxmox").suppression_list()
    await c.close()
    await c.close()


# ---- admin API ----


async def test_admin_helpers(fake: FakeMox, client: MoxClient) -> None:
    admin = client.admin("moxadmin")
    fake.add_retired(5, "mox", "user550@example.org", 550, "5.0.0", "failed", {"topic": "news"})
    fake.add_retired(6, "mox", "six@example.org", 550, "5.1.1", "failed", None)
    fake.add_queued(7, "mox", "Delayed@Example.ORG", extra={"recipient": "x"})

    retired = await admin.retired_list([5, 7, 99])
    assert [(m["ID"], m["SenderAccount"], m["RecipientAddress"]) for m in retired] == [
        (5, "mox", "user550@example.org")
    ]
    assert retired[0]["Results"][-1]["Code"] == 550 and retired[0]["Extra"] == {"topic": "news"}
    assert recipient_address(retired[0]) == "user550@example.org"
    assert await admin.retired_list([]) == []

    queued = await admin.queue_list([5, 7])
    assert [m["ID"] for m in queued] == [7]
    assert "RecipientAddress" not in queued[0]  # a queued Msg has no such field in mox
    assert recipient_address(queued[0]) == "Delayed@example.org"
    assert await admin.queue_list([99]) == []

    rule = await admin.hold_rule_add("", "", "example.org")
    assert rule["ID"] == 1 and rule["RecipientDomainStr"] == "example.org"
    assert (await admin.hold_rule_add(account="mox"))["ID"] == 2
    assert [r["ID"] for r in await admin.hold_rule_list()] == [1, 2]
    assert fake.queue[7]["Hold"] is True
    await admin.hold_rule_remove(1)
    assert [r["ID"] for r in await admin.hold_rule_list()] == [2]
    with pytest.raises(MoxApiError) as ei:
        await admin.hold_rule_remove(1)
    assert (ei.value.code, ei.value.message) == ("server:error", "removing queue hold rule: absent")
    assert await admin.queue_hold_set({"IDs": [7]}, False) == 1
    assert fake.queue[7]["Hold"] is False
    assert await admin.queue_hold_set({"Account": "nobody"}, False) == 0

    assert await admin.accounts() == ["mox"]
    acc = await admin.account("mox")
    assert "mox@localhost" in acc["Destinations"]
    with pytest.raises(MoxApiError):
        await admin.account("nobody")
    assert logins(fake) == 1


async def test_admin_shapes_on_the_wire(fake: FakeMox, client: MoxClient) -> None:
    admin = client.admin("moxadmin")
    await admin.retired_list([5])
    await admin.queue_list([5])
    await admin.hold_rule_add(recipient_domain="example.org")
    params = {m: p for a, m, p in fake.calls if a == "admin"}
    assert params["RetiredList"] == [
        {"Max": 1, "IDs": [5], "Account": "", "From": "", "To": "", "Submitted": "",
         "LastActivity": "", "Transport": None, "Success": None},
        {"Field": "LastActivity", "LastID": 0, "Last": None, "Asc": False},
    ]  # fmt: skip
    assert params["QueueList"] == [
        {"Max": 1, "IDs": [5], "Account": "", "From": "", "To": "", "Hold": None,
         "Submitted": "", "NextAttempt": "", "Transport": None},
        {"Field": "Queued", "LastID": 0, "Last": None, "Asc": True},
    ]  # fmt: skip
    assert params["QueueHoldRuleAdd"] == [
        {"ID": 0, "Account": "", "SenderDomainStr": "", "RecipientDomainStr": "example.org"}
    ]


async def test_admin_sherpa_errors(client: MoxClient) -> None:
    admin = client.admin("moxadmin")
    with pytest.raises(MoxApiError) as ei:
        await admin.call("QueueHoldRuleRemove", [])
    assert (ei.value.code, ei.value.message) == (
        "sherpa:badParams",
        'function "QueueHoldRuleRemove": bad number of parameters: got 0, want 1',
    )
    with pytest.raises(MoxApiError) as ei:
        await admin.call("NoSuchFunction", [])
    assert ei.value.code == "sherpa:badFunction"
    with pytest.raises(MoxApiError) as ei:
        await admin.queue_hold_set({"Nope": 1}, True)
    assert ei.value.code == "sherpa:badParams"


async def test_admin_wrong_password(fake: FakeMox, client: MoxClient) -> None:
    admin = client.admin("wrong")
    with pytest.raises(MoxAuthError) as ei:
        await admin.accounts()
    assert (ei.value.code, ei.value.message) == ("user:loginFailed", "invalid credentials")
    assert not await admin.verify_password()
    assert await client.admin("moxadmin").verify_password()
    assert [m for a, m, _ in fake.calls if m == "Logout"] == ["Logout"]


@pytest.mark.parametrize("code", ["user:noAuth", "user:badAuth"])
async def test_admin_relogin_once(fake: FakeMox, client: MoxClient, code: str) -> None:
    admin = client.admin("moxadmin")
    assert await admin.accounts() == ["mox"]
    fake.expire_admin_sessions(code)
    assert await admin.accounts() == ["mox"]
    assert logins(fake) == 2
    assert [m for a, m, _ in fake.calls if m == "Accounts"] == ["Accounts"] * 3


async def test_admin_concurrent_callers_share_one_login(fake: FakeMox, client: MoxClient) -> None:
    admin = client.admin("moxadmin")
    results = await asyncio.gather(*(admin.accounts() for _ in range(8)))
    assert results == [["mox"]] * 8
    assert logins(fake) == 1
    fake.expire_admin_sessions()
    results = await asyncio.gather(*(admin.hold_rule_list() for _ in range(8)))
    assert results == [[]] * 8
    assert logins(fake) == 2


class AlwaysExpiring(FakeMox):
    """A mox whose admin sessions end on every Accounts call."""

    def _a_accounts(self, ctx: dict[str, Any]) -> list[str]:
        self.expire_admin_sessions()
        raise SherpaError("user:noAuth", 'no session for "admin" web interface')


async def test_admin_retries_only_once() -> None:
    async with AlwaysExpiring() as fake, MoxClient(fake.url, timeout=TIMEOUT) as client:
        with pytest.raises(MoxAuthError) as ei:
            await client.admin("moxadmin").accounts()
        assert ei.value.code == "user:noAuth"
        assert logins(fake) == 2
        assert [m for a, m, _ in fake.calls if m == "Accounts"] == ["Accounts"] * 2


async def test_cookies_are_kept_per_api_object(fake: FakeMox, client: MoxClient) -> None:
    one, two = client.admin("moxadmin"), client.admin("moxadmin")
    await one.accounts()
    await two.accounts()
    assert logins(fake) == 2  # no session shared through the HTTP session
    acct = client.account_api("mox@localhost", "moxmoxmox")
    await acct.incoming_webhook_save("http://127.0.0.1:9/in", "")
    assert logins(fake, "account") == 1
    await one.accounts()
    assert logins(fake) == 2


# ---- account API ----


async def test_account_api(fake: FakeMox, client: MoxClient) -> None:
    acct = client.account_api("mox@localhost", "moxmoxmox")
    await acct.outgoing_webhook_save(
        "http://127.0.0.1:8025/hooks/outgoing/mox", "Bearer s", ["failed"]
    )
    await acct.incoming_webhook_save("http://127.0.0.1:8025/hooks/incoming/mox", "Bearer i")
    assert fake.outgoing_webhooks["mox"] == {
        "URL": "http://127.0.0.1:8025/hooks/outgoing/mox",
        "Authorization": "Bearer s",
        "Events": ["failed"],
    }
    assert fake.incoming_webhooks["mox"]["Authorization"] == "Bearer i"
    login_params = next(p for a, m, p in fake.calls if (a, m) == ("account", "Login"))
    assert login_params[1:] == ["mox@localhost", "moxmoxmox"]
    fake.expire_account_sessions()
    await acct.outgoing_webhook_save("", "")
    assert "mox" not in fake.outgoing_webhooks
    assert logins(fake, "account") == 2


async def test_account_api_bad_login(client: MoxClient) -> None:
    acct = client.account_api("mox@localhost", "wrong")
    with pytest.raises(MoxAuthError) as ei:
        await acct.incoming_webhook_save("", "")
    assert ei.value.code == "user:loginFailed"
    assert not await acct.verify_login()
    assert await client.account_api("mox@localhost", "moxmoxmox").verify_login()


def test_recipient_address_from_parts() -> None:
    msg = {"RecipientLocalpart": "a b", "RecipientDomainStr": "", "RecipientDomain": {
        "IP": "", "Domain": {"ASCII": "xn--bcher-kva.example", "Unicode": "bücher.example"}}}  # fmt: skip
    assert recipient_address(msg) == '"a b"@bücher.example'
    assert recipient_address({"RecipientAddress": "x@y.z", "RecipientLocalpart": "q"}) == "x@y.z"


@pytest.mark.parametrize(
    ("code", "refuses"),
    [
        # webapi: every code but "server" names something wrong with the request
        ("protocol", True),
        ("badAddress", True),
        ("user", True),
        ("messageLimitReached", True),
        ("server", False),
        # sherpa: "user:" codes are the caller's, "server:" and "sherpa:" are not
        ("user:error", True),
        ("server:error", False),
        ("sherpa:badParams", False),
        # an HTTP status without mox's JSON says nothing about the request
        ("http:404", False),
    ],
)
def test_whether_mox_refused_the_request_itself(code: str, refuses: bool) -> None:
    assert MoxApiError(code, "words").refuses_request is refuses
