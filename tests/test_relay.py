"""The send relay, POST /api/v1/accounts/{account}/send, against the fake mox: refusals with
kinds, partial batches, one Send per recipient with its own List-Unsubscribe link, the
request passed on untouched, QueueMsgID -> recipient kept for the resolver, mox failures."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from conftest import SECRET, Clock, Moxhooks, wait_for
from fakemox import FakeMox
from moxsender import outgoing_event

from moxhooks.jobs.unsubscribe import verify_token
from moxhooks.kinds import Kind, Source
from moxhooks.mail.dnscheck import DomainChecker
from moxhooks.mox.client import MoxClient
from moxhooks.runtime.supervisor import in_process
from moxhooks.runtime.web import WebRuntime
from moxhooks.store import NewEntry
from moxhooks.web.app import create_app
from moxhooks.web.keys import RUNTIME_KEY

# Every JSON answer is checked against the OpenAPI document (tests/openapi_check.py).
pytestmark = pytest.mark.openapi_responses

Client = TestClient[web.Request, web.Application]
TOKEN = "api-token-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
PUBLIC = "https://hooks.example.org"
ACCOUNTS = [
    {
        "name": "mox",
        "login": "mox@localhost",
        "password": "moxmoxmox",
        "webhook_secret": SECRET,
        "api_token": TOKEN,
        "topics": [{"name": "news", "description": "News"}, {"name": "offers"}],
    },
    {"name": "other", "login": "other@localhost", "password": "otherpw", "api_token": "other-t"},
]
SEND = "/api/v1/accounts/mox/send"


@pytest.fixture
async def fakemox() -> AsyncIterator[FakeMox]:
    accounts = {
        "mox": {"logins": {"mox@localhost": "moxmoxmox"}},
        "other": {"logins": {"other@localhost": "otherpw"}},
    }
    async with FakeMox(accounts) as fm:
        yield fm


@pytest.fixture
async def client(make_config: Any, clock: Clock, aiohttp_client: Any) -> AsyncIterator[Client]:
    cfg = make_config(accounts=ACCOUNTS, server={"public_url": PUBLIC + "/"})
    async with MoxClient(cfg.default_mox.url, timeout=2) as mc:
        dns = DomainChecker(nameservers=cfg.dns.nameservers, port=cfg.dns.port, timeout=0.5)
        c: Client = await aiohttp_client(create_app(cfg, mox=mc, clock=clock, worker=in_process(dns=dns, clock=clock)))
        yield c
        await c.close()


def runtime(client: Client) -> WebRuntime:
    return client.app[RUNTIME_KEY]


def message(*to: str, **more: Any) -> dict[str, Any]:
    return {
        "To": [{"Address": a} for a in to],
        "Subject": "hello",
        "Text": "hello\n",
        **more,
    }


async def send(client: Client, body: Any, headers: dict[str, str] = AUTH) -> tuple[int, Any]:
    resp = await client.post(SEND, json=body, headers=headers)
    return resp.status, await resp.json()


async def suppress(
    client: Client, address: str, kind: Kind, scope: str = "", expires: Any = None,
    source: Source = Source.MANUAL,
) -> None:  # fmt: skip
    from moxhooks.mail.address import base_address, parse_address

    addr = parse_address(address)
    entry = await runtime(client).store.suppressions.add(
        NewEntry("mox", str(addr), base_address(addr), kind, source, "test", "test", scope, expires)
    )
    assert entry is not None


def headers_of(sent: dict[str, Any]) -> dict[str, str]:
    return {k: v for k, v in sent["request"]["Headers"] or []}


# ---- Sending ------------------------------------------------------------------------------


async def test_one_send_per_recipient_each_with_its_own_link(
    client: Client, fakemox: FakeMox
) -> None:
    status, body = await send(client, message("a@example.org", "B.One+x@example.org", topic="news"))
    assert status == 200, body
    assert body["refused"] == []
    assert [s["address"] for s in body["sent"]] == ["a@example.org", "B.One+x@example.org"]
    assert len(fakemox.sent) == 2
    tokens = []
    for sent, answer in zip(fakemox.sent, body["sent"], strict=True):
        req = sent["request"]
        assert [t["Address"] for t in req["To"]] == [answer["address"]]  # alone
        assert req["Extra"] == {"topic": "news"}
        h = headers_of(sent)
        assert h["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        url = h["List-Unsubscribe"]
        assert url.startswith(f"<{PUBLIC}/u/") and url.endswith(">")
        token = url[len(PUBLIC) + 4 : -1]
        tokens.append(token)
        link = await verify_token(runtime(client).store.unsubscribe, token, 30)
        assert (link.account, link.recipient, link.topic) == ("mox", answer["address"], "news")
        assert link.message.startswith("relay:")
        assert (answer["queue_msg_id"], answer["message_id"]) == (
            sent["Submissions"][0]["QueueMsgID"],
            sent["MessageID"],
        )
    assert tokens[0] != tokens[1]
    # The header's token never names the address.
    assert "b.one" not in tokens[1].lower()
    # QueueMsgID -> recipient and topic, for the resolver.
    rows = await runtime(client).store.db.fetchall(
        "SELECT queue_msg_id, address, source, topic FROM recipients ORDER BY queue_msg_id"
    )
    assert [tuple(r) for r in rows] == [
        (body["sent"][0]["queue_msg_id"], "a@example.org", "relay", "news"),
        (body["sent"][1]["queue_msg_id"], "B.One+x@example.org", "relay", "news"),
    ]


async def test_the_request_is_passed_on_untouched(client: Client, fakemox: FakeMox) -> None:
    req = message(
        "a@example.org",
        From=[{"Name": "Sender", "Address": "mox@localhost"}],
        CC=[{"Name": "Cee", "Address": "c@example.org"}],
        BCC=[{"Address": "d@example.org"}],
        ReplyTo=[{"Address": "reply@example.org"}],
        MessageID="<own-id@localhost>",
        References=["<earlier@localhost>"],
        HTML="<p>hello</p>",
        Extra={"mailtype": "newsletter"},
        Headers=[["X-Campaign", "winter"], ["list-unsubscribe", "<mailto:x@y>"]],
        topic="offers",
    )
    original = copy.deepcopy(req)
    status, body = await send(client, req)
    assert status == 200, body
    assert [s["address"] for s in body["sent"]] == [
        "a@example.org",
        "c@example.org",
        "d@example.org",
    ]
    # What reached mox, as sent on the wire: the request as given, addressed to one
    # recipient in the field it was named in, with moxhooks' headers and the topic.
    raw = [c[2] for c in fakemox.calls if c[:2] == ("webapi", "Send")]
    assert len(raw) == 3
    untouched = {k: v for k, v in original.items() if k not in ("topic", "To", "CC", "BCC")}
    for sent, field, item in zip(
        raw, ("To", "CC", "BCC"), (original["To"][0], original["CC"][0], original["BCC"][0]),
        strict=True,
    ):  # fmt: skip
        link = sent["Headers"][1][1]
        assert sent == {
            **untouched,
            field: [item],
            "Extra": {"mailtype": "newsletter", "topic": "offers"},
            # The caller's own List-Unsubscribe is replaced by moxhooks' link.
            "Headers": [
                ["X-Campaign", "winter"],
                ["List-Unsubscribe", link],
                ["List-Unsubscribe-Post", "List-Unsubscribe=One-Click"],
            ],
        }
        assert link.startswith(f"<{PUBLIC}/u/")
    assert [s["MessageID"] for s in fakemox.sent] == ["<own-id@localhost>"] * 3
    link_message = await runtime(client).store.db.fetchall(
        "SELECT DISTINCT message FROM unsubscribe_links"
    )
    assert [r[0] for r in link_message] == ["<own-id@localhost>"]


async def test_an_unknown_field_reaches_mox_as_given(client: Client, fakemox: FakeMox) -> None:
    """moxhooks does not filter mox's request: mox itself judges a field it does not know."""
    status, body = await send(client, message("a@example.org", NoSuchField=1))
    assert status == 422
    assert body["code"] == "moxRefused"
    assert body["message"] == 'parsing request: json: unknown field "NoSuchField"'
    assert body["sent"] == [] and body["failed"] == "a@example.org"


async def test_a_repeated_address_gets_one_message(client: Client, fakemox: FakeMox) -> None:
    status, body = await send(
        client, message("a@example.org", "a@example.org", CC=[{"Address": "a@Example.ORG"}])
    )
    assert status == 200 and len(body["sent"]) == 1 and len(fakemox.sent) == 1


async def test_no_topic_needs_no_topics(client: Client, fakemox: FakeMox) -> None:
    status, body = await send(client, message("a@example.org"))
    assert status == 200
    assert fakemox.sent[0]["request"]["Extra"] is None
    link = await verify_token(
        runtime(client).store.unsubscribe,
        headers_of(fakemox.sent[0])["List-Unsubscribe"][len(PUBLIC) + 4 : -1],
        30,
    )
    assert link.topic == ""


async def test_the_topic_may_come_in_extra(client: Client, fakemox: FakeMox) -> None:
    status, _ = await send(client, message("a@example.org", Extra={"topic": "news"}))
    assert status == 200
    link = await runtime(client).store.db.fetchone("SELECT topic FROM unsubscribe_links")
    assert link is not None and link[0] == "news"


# ---- Refusals -----------------------------------------------------------------------------


async def test_a_partly_refused_batch_says_who_went_and_who_did_not(
    client: Client, fakemox: FakeMox, clock: Clock
) -> None:
    await suppress(client, "dead@example.org", Kind.MAILBOX_UNKNOWN, source=Source.WEBHOOK)
    await suppress(client, "angry@example.org", Kind.COMPLAINT, source=Source.COMPLAINT)
    await suppress(
        client, "John.Doe@example.org", Kind.UNSUBSCRIBED, "news", source=Source.UNSUBSCRIBE
    )
    await suppress(
        client, "rest@example.org", Kind.UNSUBSCRIBED, "news", clock() + timedelta(days=7),
        Source.UNSUBSCRIBE,
    )  # fmt: skip
    await suppress(client, "other.topic@example.org", Kind.UNSUBSCRIBED, "offers")
    status, body = await send(
        client,
        message(
            "dead@example.org",
            "Angry+list@example.org",
            "j.o.h.n.d.o.e-x@example.org",  # the same base address as John.Doe
            "rest@example.org",
            "other.topic@example.org",
            "fine@example.org",
            topic="news",
        ),
    )
    assert status == 200
    assert [s["address"] for s in body["sent"]] == ["other.topic@example.org", "fine@example.org"]
    assert body["refused"] == [
        {"address": "dead@example.org", "code": "suppressed", "kind": "mailbox_unknown", "scope": ""},
        {"address": "Angry+list@example.org", "code": "suppressed", "kind": "complaint", "scope": ""},
        {"address": "j.o.h.n.d.o.e-x@example.org", "code": "suppressed", "kind": "unsubscribed", "scope": "news"},
        {"address": "rest@example.org", "code": "suppressed", "kind": "paused", "scope": "news"},
    ]  # fmt: skip
    assert [s["request"]["To"][0]["Address"] for s in fakemox.sent] == [
        "other.topic@example.org",
        "fine@example.org",
    ]


async def test_all_refused_is_409_and_nothing_is_sent(client: Client, fakemox: FakeMox) -> None:
    await suppress(client, "dead@example.org", Kind.MAILBOX_UNKNOWN)
    await suppress(client, "gone@example.org", Kind.UNSUBSCRIBED, "offers")
    status, body = await send(
        client, message("dead@example.org", "gone@example.org", topic="offers")
    )
    assert status == 409
    assert body == {
        "code": "suppressed",
        "message": "nothing was sent: all 2 recipients are suppressed",
        "refused": [
            {"address": "dead@example.org", "code": "suppressed", "kind": "mailbox_unknown", "scope": ""},
            {"address": "gone@example.org", "code": "suppressed", "kind": "unsubscribed", "scope": "offers"},
        ],
    }  # fmt: skip
    assert fakemox.sent == []
    status, body = await send(client, message("dead@example.org"))
    assert (status, body["message"]) == (409, "nothing was sent: the recipient is suppressed")


async def test_an_expired_or_ended_entry_refuses_nobody(
    client: Client, fakemox: FakeMox, clock: Clock
) -> None:
    await suppress(client, "paused@example.org", Kind.UNSUBSCRIBED, "", clock() + timedelta(days=1))
    clock.advance(timedelta(days=1, seconds=1))
    status, body = await send(client, message("paused@example.org"))
    assert status == 200 and body["refused"] == []


# ---- Bad requests, auth, mox trouble ------------------------------------------------------


@pytest.mark.parametrize(
    "body,code,text",
    [
        (message("a@example.org", topic="sports"), "unknownTopic", "topic 'sports' is not one of account mox's topics (accounts[].topics: news, offers)"),
        (message("a@example.org", topic=3), "badRequest", "topic must be a string"),
        (message("a@example.org", topic="news", Extra={"topic": "offers"}), "badRequest", "topic 'news' and Extra.topic 'offers' differ"),
        (message("a@example.org", Extra={"n": 1}), "badRequest", "Extra must be an object of strings"),
        (message("not an address"), "badAddress", "To: parsing address 'not an address': invalid email address: expected @"),
        (message(), "badRequest", "no recipients: To, CC or BCC must name one"),
        ({"To": "a@example.org"}, "badRequest", "To must be a list of {Name, Address}"),
        ({"To": [{"Name": "x"}]}, "badRequest", "each of To must be an object with a string Address"),
        (message("a@example.org", Headers=[["X-A"]]), "badRequest", "Headers must be a list of [name, value] pairs"),
    ],
)  # fmt: skip
async def test_bad_requests_send_nothing(
    client: Client, fakemox: FakeMox, body: dict[str, Any], code: str, text: str
) -> None:
    status, answer = await send(client, body)
    assert (status, answer) == (400, {"code": code, "message": text})
    assert fakemox.sent == []


async def test_an_account_without_topics_refuses_any_topic(client: Client) -> None:
    status, answer = await send_as_other(client, message("a@example.org", topic="news"))
    assert (status, answer["code"]) == (400, "unknownTopic")
    assert answer["message"].endswith("(accounts[].topics: none are configured)")


async def send_as_other(client: Client, body: Any) -> tuple[int, Any]:
    resp = await client.post(
        "/api/v1/accounts/other/send", json=body, headers={"Authorization": "Bearer other-t"}
    )
    return resp.status, await resp.json()


async def test_auth(client: Client, fakemox: FakeMox) -> None:
    resp = await client.post(SEND, json=message("a@example.org"))
    assert (resp.status, (await resp.json())["code"]) == (401, "user:noAuth")
    status, body = await send(client, message("a@example.org"), {"Authorization": "Bearer other-t"})
    assert (status, body["code"]) == (403, "user:forbidden")
    # The account's owner, signed in, with the CSRF header.
    resp = await client.post(
        "/api/v1/login", json={"email": "mox@localhost", "password": "moxmoxmox"}
    )
    csrf = (await resp.json())["csrf"]
    status, body = await send(client, message("a@example.org"), {"X-CSRF-Token": csrf})
    assert status == 200 and len(body["sent"]) == 1
    assert fakemox.sent[0]["account"] == "mox"


async def test_mox_down_is_503(client: Client, fakemox: FakeMox) -> None:
    await fakemox.fail("refuse")
    status, body = await send(client, message("a@example.org", "b@example.org"))
    await fakemox.restore()
    assert status == 503
    assert body["code"] == "moxUnavailable"
    assert body["sent"] == [] and body["failed"] == "a@example.org"


async def test_mox_refusing_midway_says_what_went(client: Client, fakemox: FakeMox) -> None:
    """mox refuses one recipient's message (a display name with a control character): the
    ones before it went, and the answer says so, so a retry does not send them twice."""
    await suppress(client, "dead@example.org", Kind.MAILBOX_UNKNOWN)
    body = message("a@example.org", "dead@example.org")
    body["To"].append({"Name": "bad\u0001name", "Address": "b@example.org"})
    body["To"].append({"Address": "c@example.org"})
    status, answer = await send(client, body)
    assert status == 422 and answer["code"] == "moxRefused"
    assert answer["message"] == "checking header values: control characters not allowed"
    assert answer["failed"] == "b@example.org"
    assert [s["address"] for s in answer["sent"]] == ["a@example.org"]
    assert [r["address"] for r in answer["refused"]] == ["dead@example.org"]
    assert len(fakemox.sent) == 1


# ---- The resolver knows the recipient -----------------------------------------------------


async def test_events_of_relayed_mail_resolve_without_the_admin_api(
    start_moxhooks: Callable[..., Awaitable[Moxhooks]], fakemox: FakeMox
) -> None:
    mh = await start_moxhooks(
        accounts=ACCOUNTS, mox={"admin_password": ""}, server={"public_url": PUBLIC}
    )
    import aiohttp

    async with aiohttp.ClientSession() as s:
        async with s.post(
            mh.url + "api/v1/accounts/mox/send",
            json=message("Dead.Box@example.org", topic="news"),
            headers=AUTH,
        ) as resp:
            assert resp.status == 200
            body = await resp.json()
    qid = body["sent"][0]["queue_msg_id"]
    attempts = await mh.sender.deliver(
        outgoing_event("failed", queue_msg_id=qid, extra={"topic": "news"})
    )
    assert attempts[-1].ok

    async def suppressed() -> bool:
        return bool(await mh.runtime.store.suppressions.matching("mox", "deadbox@example.org"))

    await wait_for(suppressed, what="the entry for the relayed message's recipient")
    [entry] = await mh.runtime.store.suppressions.matching("mox", "deadbox@example.org")
    assert (entry.kind, entry.original_address) == ("mailbox_unknown", "Dead.Box@example.org")
    ev = await mh.runtime.store.db.fetchone("SELECT recipient, status FROM events")
    assert ev is not None and tuple(ev) == ("Dead.Box@example.org", "done")
    # Not one call to mox's admin API was needed.
    assert [c for c in fakemox.calls if c[0] == "admin"] == []
    # And the next send to that address is refused.
    async with aiohttp.ClientSession() as s:
        async with s.post(
            mh.url + "api/v1/accounts/mox/send",
            json=message("dead.box+again@example.org", topic="news"),
            headers=AUTH,
        ) as resp:
            assert resp.status == 409
            assert (await resp.json())["refused"][0]["kind"] == "mailbox_unknown"
