"""mox's webhook payloads (webhook.Outgoing, webhook.Incoming), and their strict parser.

The wire contract only; what an event means is for the classifier and policy.
mox may add fields and events: unknown ones are accepted and kept in Outgoing.raw.

Parsing is stricter than Go's encoding/json in a few ways, all on purpose
(mox never sends any of these): field names match exactly (Go also matches
"queuemsgid"), null is refused except for Extra, duplicate keys anywhere are
refused (Go keeps the last; a second reader could keep the first), and so are
NaN/Infinity, lone UTF-16 surrogates in \\u escapes (Go turns them into U+FFFD)
and nesting deeper than MAX_DEPTH.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

# Every event mox sends today (webhook.OutgoingEvent); others may come later.
KNOWN_EVENTS: tuple[str, ...] = (
    "delivered",
    "suppressed",
    "delayed",
    "failed",
    "relayed",
    "expanded",
    "canceled",
    "unrecognized",
)

# Deepest nesting of arrays and objects accepted; mox's payload needs 2.
MAX_DEPTH = 32

_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1


class PayloadError(ValueError):
    """The body is not a valid Outgoing payload; the message says what is wrong."""


@dataclass(frozen=True)
class Outgoing:
    """One outgoing-delivery event, as mox POSTs it."""

    version: int  # "Version": format of the payload, currently 0. Optional, e.g. 0.
    event: str  # "Event": required, e.g. "failed"; unknown values are kept as they are.
    dsn: bool  # "DSN": optional; true if the event came from an incoming DSN message.
    suppressing: bool  # "Suppressing": optional; true if mox just added the recipient
    # to its own suppression list because of this failure.
    queue_msg_id: int  # "QueueMsgID": required, the message's ID in mox's queue, e.g. 5.
    from_id: str  # "FromID": optional, the unique part of MAIL FROM, e.g. "" or "yNA_hS-0ZN".
    message_id: str  # "MessageID": optional, with <>, e.g. "<tJTDlvgz@localhost>".
    subject: str  # "Subject": optional, of the original message, e.g. "Your order".
    webhook_queued: str  # "WebhookQueued": optional, as received, RFC 3339,
    # e.g. "2026-11-22T01:52:56.505784585Z"; "" if absent.
    smtp_code: int  # "SMTPCode": optional, errors only, e.g. 550; 0 if absent.
    smtp_enhanced_code: str  # "SMTPEnhancedCode": optional, errors only, e.g. "5.1.1".
    error: str  # "Error": optional, the delivery error or the remote's DSN text.
    extra: dict[str, str]  # "Extra": optional, set at submission, e.g. {"topic": "news"};
    # null and absent both give {}.
    raw: dict[str, Any] = field(repr=False)  # The whole object, unknown fields included.


@dataclass(frozen=True)
class Incoming:
    """The parts of mox's incoming-delivery webhook (webhook.Incoming) moxhooks reads."""

    message_id: str  # "MessageID": optional, of the received message, with <>.
    subject: str  # "Subject": optional.
    msg_id: int  # "Meta.MsgID": required, the message in mox's store, for MessageRawGet.
    mail_from: str  # "Meta.MailFrom": optional, SMTP MAIL FROM ("" for a bounce).
    rcpt_to: str  # "Meta.RcptTo": optional, SMTP RCPT TO, e.g. "bounces@example.org".
    text: str  # "Text": optional, the text part, cut at 1 MiB by mox.


def parse_incoming(body: bytes) -> Incoming:
    """Parse an incoming-delivery webhook body; PayloadError says what is wrong."""
    data = _load_object(body)
    meta = data.get("Meta")
    if not isinstance(meta, dict):
        raise PayloadError('field "Meta" is required and must be an object')
    if "MsgID" not in meta:
        raise PayloadError('field "Meta.MsgID" is required')
    msg_id = _int(meta, "MsgID")
    if msg_id <= 0:
        raise PayloadError('field "Meta.MsgID" must be positive')
    return Incoming(
        message_id=_str(data, "MessageID"),
        subject=_str(data, "Subject"),
        msg_id=msg_id,
        mail_from=_str(meta, "MailFrom"),
        rcpt_to=_str(meta, "RcptTo"),
        text=_str(data, "Text"),
    )


def parse_outgoing(body: bytes) -> Outgoing:
    """Parse and check a webhook body; raise PayloadError with a short, precise message."""
    data = _load_object(body)
    event = data.get("Event")
    if event is None:
        raise PayloadError('field "Event" is required')
    if not isinstance(event, str):
        raise PayloadError('field "Event" must be a string')
    if not event:
        raise PayloadError('field "Event" must not be empty')
    if "QueueMsgID" not in data:
        raise PayloadError('field "QueueMsgID" is required')
    queue_msg_id = _int(data, "QueueMsgID")
    if queue_msg_id < 0:
        raise PayloadError('field "QueueMsgID" must not be negative')
    return Outgoing(
        version=_int(data, "Version"),
        event=event,
        dsn=_bool(data, "DSN"),
        suppressing=_bool(data, "Suppressing"),
        queue_msg_id=queue_msg_id,
        from_id=_str(data, "FromID"),
        message_id=_str(data, "MessageID"),
        subject=_str(data, "Subject"),
        webhook_queued=_str(data, "WebhookQueued"),
        smtp_code=_int(data, "SMTPCode"),
        smtp_enhanced_code=_str(data, "SMTPEnhancedCode"),
        error=_str(data, "Error"),
        extra=_extra(data),
        raw=data,
    )


def _load_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, read strictly (see the module docstring)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise PayloadError("body is not valid UTF-8") from None
    if text.startswith("\ufeff"):
        raise PayloadError("body is not valid JSON: byte order mark at offset 0")
    try:
        data = _DECODER.decode(text)
    except PayloadError:
        raise
    except json.JSONDecodeError as e:
        raise PayloadError(f"body is not valid JSON: {e.msg} at offset {e.pos}") from None
    except RecursionError:
        raise PayloadError(f"body nests deeper than {MAX_DEPTH} levels") from None
    except ValueError:  # e.g. an integer with more than 4300 digits
        raise PayloadError("body is not valid JSON: number too long") from None
    # The walk is needed only when the text could hold what it looks for: a surrogate
    # comes only from a \u escape (UTF-8 text cannot carry one), and the depth is at
    # most the number of brackets. A mox event has neither (the walk was half the time
    # of a webhook's parse).
    if "\\u" in text or text.count("{") + text.count("[") > MAX_DEPTH:
        _check_tree(data)
    if not isinstance(data, dict):
        raise PayloadError("body must be a JSON object")
    return data


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise PayloadError(f"body has a duplicate field {json.dumps(key)}")
        obj[key] = value
    return obj


def _refuse_constant(name: str) -> Any:
    raise PayloadError(f"body is not valid JSON: {name} is not a number")


def _finite_float(s: str) -> float:
    f = float(s)
    if not math.isfinite(f):
        raise PayloadError(f"body is not valid JSON: number {s[:20]} is out of range")
    return f


# One decoder for every body: json.loads with these hooks built a new one (and its
# scanner) per call.
_DECODER = json.JSONDecoder(
    object_pairs_hook=_object_without_duplicates,
    parse_constant=_refuse_constant,
    parse_float=_finite_float,
)


def _check_tree(root: Any) -> None:
    """Check depth and strings without recursion: json may accept what recursion cannot walk."""
    stack: list[tuple[Any, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise PayloadError(f"body nests deeper than {MAX_DEPTH} levels")
        if isinstance(node, dict):
            for key, value in node.items():
                _check_string(key)
                stack.append((value, depth + 1))
        elif isinstance(node, list):
            stack.extend((value, depth + 1) for value in node)
        elif isinstance(node, str):
            _check_string(node)


# Any UTF-16 surrogate code point: in a str, one can only come from a \u escape.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _check_string(s: str) -> None:
    # A lone surrogate (from a \ud800 escape) cannot be stored or sent as UTF-8.
    # (A regular expression: a generator over the characters was most of the parse time.)
    if _SURROGATE.search(s):
        raise PayloadError("body is not valid JSON: lone surrogate in a string")


_ABSENT = object()


def _bool(data: dict[str, Any], name: str) -> bool:
    value = data.get(name, _ABSENT)
    if value is _ABSENT:
        return False
    if value is not True and value is not False:
        raise PayloadError(f'field "{name}" must be true or false')
    return bool(value)


def _str(data: dict[str, Any], name: str) -> str:
    value = data.get(name, _ABSENT)
    if value is _ABSENT:
        return ""
    if not isinstance(value, str):
        raise PayloadError(f'field "{name}" must be a string')
    return value


def _int(data: dict[str, Any], name: str) -> int:
    value = data.get(name, _ABSENT)
    if value is _ABSENT:
        return 0
    if not isinstance(value, int) or isinstance(value, bool):
        raise PayloadError(f'field "{name}" must be a whole number')
    if not _INT64_MIN <= value <= _INT64_MAX:
        raise PayloadError(f'field "{name}" is out of range')
    return value


def _extra(data: dict[str, Any]) -> dict[str, str]:
    value = data.get("Extra")
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise PayloadError('field "Extra" must be an object of strings')
    return dict(value)
