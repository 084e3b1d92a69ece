"""The send relay: mox's webapi Send, with suppressions enforced and unsubscribe links added.

relay_send takes a Send request (shared/mox-api.md; every field passed on as given) plus
`topic`. Each recipient (To, CC, BCC) blocked by an active entry of the account (account-
wide, or for that topic; by base address) is refused, with the entry's kind (`paused` for a
recipient's pause). Every other recipient gets a message of its own, one mox Send each,
addressed to it alone (in the field it was given in), so each carries its own signed link:

    List-Unsubscribe: <https://moxhooks.example/u/<token>>
    List-Unsubscribe-Post: List-Unsubscribe=One-Click

with the topic in Extra (reports.topic_key), and QueueMsgID -> recipient and topic kept in
the recipients table, so the recipient of mox's webhook events is known without mox's
admin API.
"""

from __future__ import annotations

import copy
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from moxhooks.config import AccountConfig, Config
from moxhooks.errors import ErrorCode, MoxhooksError
from moxhooks.jobs.unsubscribe import issue_link, link_path
from moxhooks.mail.address import AddressError, base_address, parse_address
from moxhooks.models import RelayRefusal, RelaySent
from moxhooks.mox.client import MoxApiError, MoxError, WebAPI
from moxhooks.store import Store, Suppression
from moxhooks.store.unsubscribe import is_pause

__all__ = [
    "RECIPIENT_FIELDS",
    "Refusal",
    "RelayMoxError",
    "RelayRequestError",
    "RelayResult",
    "Sent",
    "refusal_kind",
    "relay_send",
]

RECIPIENT_FIELDS = ("To", "CC", "BCC")
# Headers the relay writes itself; the request's own are dropped.
OWN_HEADERS = frozenset({"list-unsubscribe", "list-unsubscribe-post"})
ONE_CLICK_HEADER = ["List-Unsubscribe-Post", "List-Unsubscribe=One-Click"]
# The kind a refusal names for a recipient's pause (an `unsubscribed` entry that expires).
PAUSED = "paused"
# Recipients of one relay request, at most: each is a Send of its own.
MAX_RECIPIENTS = 1000


class RelayRequestError(MoxhooksError):
    """The request cannot be relayed as it is (answered 400 with code and message)."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# What the relay answers per recipient: the API's models.
Sent = RelaySent
Refusal = RelayRefusal


@dataclass
class RelayResult:
    """What a relay request came to."""

    sent: list[Sent] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)


class RelayMoxError(MoxhooksError):
    """mox failed a Send; result says which recipients were sent before, failed the one."""

    def __init__(self, error: MoxError, result: RelayResult, failed: str) -> None:
        super().__init__(str(error))
        self.error = error
        self.result = result
        self.failed = failed


@dataclass(frozen=True)
class _Recipient:
    field: str  # "To", "CC" or "BCC"
    item: dict[str, Any]  # as given, e.g. {"Name": "John", "Address": "john@example.org"}
    address: str  # parsed
    base: str


def refusal_kind(entry: Suppression) -> str:
    """The kind a refusal names: the entry's, or "paused" for a recipient's pause."""
    return PAUSED if is_pause(entry) else entry.kind


def _topic(body: dict[str, Any], account: AccountConfig, topic_key: str) -> str:
    topic = body.pop("topic", None)
    extra = body.get("Extra")
    if extra is not None and (
        not isinstance(extra, dict) or not all(isinstance(v, str) for v in extra.values())
    ):
        raise RelayRequestError(ErrorCode.BAD_REQUEST, "Extra must be an object of strings")
    in_extra = (extra or {}).get(topic_key)
    if topic is None:
        topic = in_extra or ""
    if not isinstance(topic, str):
        raise RelayRequestError(ErrorCode.BAD_REQUEST, "topic must be a string")
    if in_extra is not None and in_extra != topic:
        raise RelayRequestError(
            ErrorCode.BAD_REQUEST, f"topic {topic!r} and Extra.{topic_key} {in_extra!r} differ"
        )
    if topic and account.topic(topic) is None:
        names = ", ".join(t.name for t in account.topics) or "none are configured"
        raise RelayRequestError(
            ErrorCode.UNKNOWN_TOPIC,
            f"topic {topic!r} is not one of account {account.name}'s topics"
            f" (accounts[].topics: {names})",
        )
    return topic


def _recipients(body: Mapping[str, Any]) -> list[_Recipient]:
    out: list[_Recipient] = []
    seen: set[str] = set()
    for name in RECIPIENT_FIELDS:
        items = body.get(name)
        if items is None:
            continue
        if not isinstance(items, list):
            raise RelayRequestError(ErrorCode.BAD_REQUEST, f"{name} must be a list of {{Name, Address}}")
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("Address"), str):
                raise RelayRequestError(
                    ErrorCode.BAD_REQUEST, f"each of {name} must be an object with a string Address"
                )
            try:
                addr = parse_address(item["Address"])
            except AddressError as e:
                raise RelayRequestError(
                    ErrorCode.BAD_ADDRESS, f"{name}: parsing address {item['Address']!r}: {e}"
                ) from None
            if str(addr) in seen:
                continue  # one message per address, however often it is named
            seen.add(str(addr))
            out.append(_Recipient(name, item, str(addr), base_address(addr)))
    if not out:
        raise RelayRequestError(ErrorCode.BAD_REQUEST, "no recipients: To, CC or BCC must name one")
    if len(out) > MAX_RECIPIENTS:
        raise RelayRequestError(
            ErrorCode.BAD_REQUEST, f"more than {MAX_RECIPIENTS} recipients; split the request"
        )
    return out


def _headers(body: Mapping[str, Any]) -> list[Any]:
    headers = body.get("Headers")
    if headers is None:
        return []
    if not isinstance(headers, list) or not all(
        isinstance(h, list) and len(h) == 2 and all(isinstance(v, str) for v in h) for h in headers
    ):
        raise RelayRequestError(ErrorCode.BAD_REQUEST, "Headers must be a list of [name, value] pairs")
    return [h for h in headers if h[0].strip().lower() not in OWN_HEADERS]


def _one_recipient(
    body: Mapping[str, Any], r: _Recipient, headers: list[Any], url: str, topic: str, topic_key: str
) -> dict[str, Any]:
    """body addressed to r alone, with r's link and the topic in Extra."""
    req = copy.deepcopy(dict(body))
    for name in RECIPIENT_FIELDS:
        req.pop(name, None)
    req[r.field] = [copy.deepcopy(r.item)]
    req["Headers"] = [*copy.deepcopy(headers), ["List-Unsubscribe", f"<{url}>"], ONE_CLICK_HEADER]
    if topic:
        req["Extra"] = {**(req.get("Extra") or {}), topic_key: topic}
    return req


async def relay_send(
    store: Store, webapi: WebAPI, config: Config, account: AccountConfig, body: dict[str, Any]
) -> RelayResult:
    """Send body (a webapi Send request plus `topic`) for account: refuse suppressed
    recipients, one Send per other recipient with its own unsubscribe link.

    RelayRequestError before anything is sent if the request is unusable; RelayMoxError
    if mox fails a Send (with what was sent before it).
    """
    body = dict(body)
    topic_key = config.reports.topic_key
    topic = _topic(body, account, topic_key)
    recipients = _recipients(body)
    headers = _headers(body)
    message_id = body.get("MessageID")
    # What each link is bound to: the caller's Message-ID, else this relay request.
    message = (
        message_id
        if isinstance(message_id, str) and message_id
        else ("relay:" + secrets.token_hex(8))
    )
    result = RelayResult()
    todo: list[_Recipient] = []
    for r in recipients:
        entries = await store.suppressions.matching(account.name, r.base)
        blocking = [e for e in entries if e.scope in ("", topic)]
        if blocking:
            e = blocking[0]  # account-wide first (ordered by scope)
            result.refused.append(Refusal(address=r.address, kind=refusal_kind(e), scope=e.scope))
        else:
            todo.append(r)
    for r in todo:
        link, token = await issue_link(store.unsubscribe, account.name, r.address, topic, message)
        url = config.public_base + link_path(token)
        req = _one_recipient(body, r, headers, url, topic, topic_key)
        try:
            answer = await webapi.send(req)
        except MoxError as e:
            if isinstance(e, MoxApiError):  # refused, so never sent: its link is no link
                await store.unsubscribe.drop_link(link.id)
            raise RelayMoxError(e, result, r.address) from None
        mid = str(answer.get("MessageID") or "")
        for sub in answer.get("Submissions") or []:
            qid = int(sub["QueueMsgID"])
            await store.unsubscribe.record_send(link.id, qid, mid, r.address, "relay")
            result.sent.append(Sent(address=r.address, queue_msg_id=qid, message_id=mid))
    return result
