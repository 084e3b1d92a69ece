"""The send relay against a real mox: a message sent through moxhooks is delivered by mox
(localserve puts every sent message into its own account's Inbox), read back over IMAP
with its List-Unsubscribe headers; the one-click POST to the URL in that header
unsubscribes the recipient, the next relay send to it is refused with kind `unsubscribed`,
and an account-wide unsubscribe reaches mox's own SuppressionList."""

from __future__ import annotations

import asyncio
import email
import email.policy
import imaplib
import json
import re
import secrets
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from realmox import IMAP_PORT, LOGIN, PASSWORD, RealMox
from realstack import API_TOKEN, SECRET, Stack, running_stack, wait_until

pytestmark = pytest.mark.asyncio(loop_scope="module")

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
ACCOUNTS = [
    {
        "name": "mox",
        "login": LOGIN,
        "password": PASSWORD,
        "webhook_secret": SECRET,
        "api_token": API_TOKEN,
        "topics": [
            {"name": "news", "description": "The monthly newsletter"},
            {"name": "offers", "description": "Special offers"},
        ],
    }
]


# mox's default DKIM headers, and the two RFC 8058 says the signature must cover.
DKIM_HEADERS = (
    "From To Cc Bcc Reply-To References In-Reply-To Subject Date Message-Id Content-Type"
    " List-Unsubscribe List-Unsubscribe-Post"
).split()


def sign_list_unsubscribe(mox: RealMox) -> None:
    """Make localserve's DKIM selector sign List-Unsubscribe and List-Unsubscribe-Post (its
    default header list does not), as docs/unsubscribe.md tells operators to, and restart mox."""
    conf = mox.dir / "config" / "domains.conf"
    text = conf.read_text()
    selector = "\t\t\t\tlocalserve:\n"
    assert text.count(selector) == 1
    listed = "".join(f"\t\t\t\t\t\t- {h}\n" for h in DKIM_HEADERS)
    conf.write_text(text.replace(selector, selector + "\t\t\t\t\tHeaders:\n" + listed))
    mox.restart()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def stack(realmox: RealMox, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    sign_list_unsubscribe(realmox)
    async with running_stack(realmox, tmp_path_factory.mktemp("moxhooks"), accounts=ACCOUNTS) as s:
        yield s


async def relay(stack: Stack, to: str, subject: str, topic: str = "") -> tuple[int, Any]:
    body: dict[str, Any] = {"To": [{"Address": to}], "Subject": subject, "Text": "hello\n"}
    if topic:
        body["topic"] = topic
    async with aiohttp.ClientSession() as s:
        async with s.post(f"{stack.url}/api/v1/accounts/mox/send", json=body, headers=AUTH) as resp:
            return resp.status, await resp.json()


def _fetch(mox: RealMox, subject: str) -> bytes | None:
    conn = imaplib.IMAP4(mox.ip, IMAP_PORT, timeout=10)
    try:
        conn.login(LOGIN, PASSWORD)
        conn.select("Inbox", readonly=True)
        _, data = conn.uid("SEARCH", "HEADER", "Subject", f'"{subject}"')
        uids = (data[0] or b"").split()
        if not uids:
            return None
        _, parts = conn.uid("FETCH", uids[-1], "(BODY.PEEK[])")
        for part in parts:
            if isinstance(part, tuple):
                return bytes(part[1])
        return None
    finally:
        conn.logout()


async def delivered(mox: RealMox, subject: str, timeout: float = 30) -> bytes:
    """The raw message with this subject, once mox has put it into the Inbox."""
    found: list[bytes] = []

    async def there() -> bool:
        raw = await asyncio.to_thread(_fetch, mox, subject)
        if raw is not None:
            found.append(raw)
        return raw is not None

    await wait_until(there, timeout, f"the message {subject!r} in mox's Inbox over IMAP")
    return found[0]


def raw_headers(raw: bytes, name: str) -> list[str]:
    """The header lines called name exactly as in the message (folded lines joined)."""
    head = raw.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")
    fields = re.split(r"\r\n(?![ \t])", head)
    return [f for f in fields if f.lower().startswith(name.lower() + ":")]


async def one_click(url: str, body: str = "List-Unsubscribe=One-Click") -> tuple[int, str]:
    async with aiohttp.ClientSession() as s:
        async with s.post(
            url, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
        ) as resp:
            return resp.status, await resp.text()


async def test_relay_one_click_then_refused_and_in_mox(stack: Stack) -> None:
    address = "Relay.Reader@example.org"
    subject = f"relay {secrets.token_hex(4)}"
    status, body = await relay(stack, address, subject)
    assert status == 200, body
    [sent] = body["sent"]
    assert body["refused"] == [] and sent["address"] == address

    raw = await delivered(stack.mox, subject)
    [unsub] = raw_headers(raw, "List-Unsubscribe")
    [post] = raw_headers(raw, "List-Unsubscribe-Post")
    print("\nraw headers of the delivered message:\n" + unsub + "\n" + post)
    assert post == "List-Unsubscribe-Post: List-Unsubscribe=One-Click"
    m = re.fullmatch(
        r"List-Unsubscribe: <(http://127\.0\.0\.1:\d+/u/([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+))>", unsub
    )
    assert m, unsub
    url, token = m[1], m[2]
    assert url.startswith(stack.url + "/u/")
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["To"] == address and msg["Message-ID"] == sent["message_id"]
    # RFC 8058: the DKIM signature covers both headers (with the selector set up for it).
    dkim = re.sub(r"\s+", "", str(msg["DKIM-Signature"]))
    signed = {h.lower() for h in re.search(r"(?:^|;)h=([^;]*)", dkim)[1].split(":")}  # type: ignore[index]
    assert {"list-unsubscribe", "list-unsubscribe-post"} <= signed, dkim
    assert "dkim=pass" in str(msg["Authentication-Results"])
    # The token names no address; the message names moxhooks' own link.
    assert "relay" not in token.lower() and "reader" not in token.lower()

    # mox's webhook for it resolves through moxhooks' own record, with the right address.
    row = await stack.processed(sent["queue_msg_id"], "delivered")
    assert row["recipient"] == address

    # Looking at the link changes nothing.
    async with aiohttp.ClientSession() as s:
        async with s.get(url) as resp:
            assert resp.status == 200
            assert "text/html" in resp.headers["Content-Type"]
    assert await stack.runtime.store.suppressions.matching("mox", "relayreader@example.org") == []

    # A wrong body is refused; then the one-click POST from the header's URL.
    assert (await one_click(url, "List-Unsubscribe=Yes"))[0] == 400
    assert await one_click(url) == (200, "unsubscribed")
    [entry] = await stack.runtime.store.suppressions.matching("mox", "relayreader@example.org")
    assert (entry.kind, entry.source, entry.scope) == ("unsubscribed", "unsubscribe", "")

    # The next send to that address (any form of it) is refused with kind unsubscribed ...
    status, refusal = await relay(stack, "relay.reader+again@example.org", subject + " again")
    print("refusal JSON:\n" + json.dumps(refusal, indent=2))
    assert status == 409
    assert refusal == {
        "code": "suppressed",
        "message": "nothing was sent: the recipient is suppressed",
        "refused": [
            {
                "address": "relay.reader+again@example.org",
                "code": "suppressed",
                "kind": "unsubscribed",
                "scope": "",
            }
        ],
    }
    # ... and mox's own list has it too.
    await stack.until_in_mox("relayreader@example.org")
    sup = next(
        s
        for s in stack.mox.webapi("SuppressionList", {})["Suppressions"]
        if s["BaseAddress"] == "relayreader@example.org"
    )
    assert sup["OriginalAddress"] == address and "one-click unsubscribe" in sup["Reason"]


async def test_topic_one_click_refuses_that_topic_only(stack: Stack) -> None:
    address = "topic.reader@example.org"
    subject = f"news {secrets.token_hex(4)}"
    status, body = await relay(stack, address, subject, topic="news")
    assert status == 200, body
    raw = await delivered(stack.mox, subject)
    [unsub] = raw_headers(raw, "List-Unsubscribe")
    url = unsub.split("<", 1)[1].rstrip(">")
    # The topic went into the message's Extra, as mox reports it in its webhook.
    row = await stack.processed(body["sent"][0]["queue_msg_id"], "delivered")
    assert json.loads(row["payload"])["Extra"] == {"topic": "news"}

    assert await one_click(url) == (200, "unsubscribed")
    status, refusal = await relay(stack, address, subject + " again", topic="news")
    assert status == 409
    assert refusal["refused"] == [
        {"address": address, "code": "suppressed", "kind": "unsubscribed", "scope": "news"}
    ]
    # Another topic still goes; a topic entry is never pushed to mox.
    status, body = await relay(stack, address, subject + " offers", topic="offers")
    assert status == 200 and len(body["sent"]) == 1
    await delivered(stack.mox, subject + " offers")
    assert "topicreader@example.org" not in stack.mox.suppression_bases()


async def test_a_message_mox_refuses_is_422_with_moxs_words(stack: Stack) -> None:
    """Real mox refuses a Send it does not take (a field it does not know, a control
    character in a display name) with a non-"server" code: 422 moxRefused, mox's message,
    nothing sent, and no link kept for the recipient."""
    async with aiohttp.ClientSession() as s:
        url = f"{stack.url}/api/v1/accounts/mox/send"
        to = [{"Address": "refused@example.org"}]
        for extra, words in (
            ({"NoSuchField": 1}, 'unknown field "NoSuchField"'),
            ({"To": [{"Name": "bad\u0001name", **to[0]}]}, "control characters"),
        ):
            body = {"To": to, "Subject": "refused", "Text": "hi\n", **extra}
            async with s.post(url, json=body, headers=AUTH) as resp:
                answer = await resp.json()
                assert resp.status == 422, answer
            assert answer["code"] == "moxRefused" and words in answer["message"], answer
            assert answer["sent"] == [] and answer["failed"] == "refused@example.org"
    row = await stack.runtime.store.db.fetchone(
        "SELECT count(*) FROM unsubscribe_links WHERE recipient = 'refused@example.org'"
    )
    assert row is not None and row[0] == 0
