"""mox's webhook payloads (webhook.Outgoing, webhook.Incoming).

moxhooks/mox/payload.py parses the webhook bodies itself, more strictly than a schema can
say (no duplicate keys, no lone surrogates, no null except in Extra); these models give
the shapes their names and descriptions for the OpenAPI document. mox may add fields:
the objects are open (no additionalProperties: false), and what moxhooks does not read
is described only where it helps.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from moxhooks.models.base import Model, doc

_INT64_MAX = 2**63 - 1
Int64 = Annotated[int, Meta(ge=-(2**63), le=_INT64_MAX)]


class OutgoingWebhook(Model):
    """One outgoing-delivery event, as mox POSTs it to /hooks/outgoing/{account}."""

    event: Annotated[
        str, Meta(min_length=1, description="required, e.g. failed; unknown events are kept")
    ] = msgspec.field(name="Event")
    queue_msg_id: Annotated[
        int, Meta(ge=0, le=_INT64_MAX, description="required, the message in mox's queue, e.g. 5")
    ] = msgspec.field(name="QueueMsgID")
    version: Annotated[Int64, doc("format of the payload, currently 0")] = msgspec.field(
        default=0, name="Version"
    )
    dsn: Annotated[bool, doc("true if the event came from an incoming DSN message")] = (
        msgspec.field(default=False, name="DSN")
    )
    suppressing: Annotated[
        bool, doc("true if mox just added the recipient to its own suppression list")
    ] = msgspec.field(default=False, name="Suppressing")
    from_id: Annotated[str, doc("the unique part of MAIL FROM, e.g. yNA_hS-0ZN")] = msgspec.field(
        default="", name="FromID"
    )
    message_id: Annotated[str, doc("the message's Message-ID, with <>")] = msgspec.field(
        default="", name="MessageID"
    )
    subject: Annotated[str, doc("the original message's subject")] = msgspec.field(
        default="", name="Subject"
    )
    # A plain string: its default "" (absent) is no date-time.
    webhook_queued: Annotated[
        str, doc("when mox queued this webhook, RFC 3339, e.g. 2026-11-22T01:52:56.5Z")
    ] = msgspec.field(default="", name="WebhookQueued")
    smtp_code: Annotated[Int64, doc("errors only, e.g. 550")] = msgspec.field(
        default=0, name="SMTPCode"
    )
    smtp_enhanced_code: Annotated[str, doc("errors only, e.g. 5.1.1")] = msgspec.field(
        default="", name="SMTPEnhancedCode"
    )
    error: Annotated[str, doc("the delivery error, or the remote's DSN text")] = msgspec.field(
        default="", name="Error"
    )
    extra: Annotated[
        dict[str, str] | None,
        doc('set at submission, e.g. {"topic": "news"}; null and absent both mean {}'),
    ] = msgspec.field(default=None, name="Extra")


class IncomingMeta(Model):
    """What mox's SMTP session knew about a received message (webhook.IncomingMeta)."""

    msg_id: Annotated[
        int, Meta(ge=1, le=_INT64_MAX, description="required, the message in mox's store")
    ] = msgspec.field(name="MsgID")
    mail_from: Annotated[str, doc("SMTP MAIL FROM; empty for a bounce")] = msgspec.field(
        default="", name="MailFrom"
    )
    rcpt_to: Annotated[str, doc("SMTP RCPT TO, e.g. bounces@example.org")] = msgspec.field(
        default="", name="RcptTo"
    )


class IncomingWebhook(Model):
    """A message mox received, as it POSTs it to /hooks/incoming/{account} (webhook.Incoming;
    moxhooks reads these members and keeps the whole body)."""

    meta: Annotated[IncomingMeta, doc("required")] = msgspec.field(name="Meta")
    message_id: Annotated[str, doc("the received message's Message-ID, with <>")] = msgspec.field(
        default="", name="MessageID"
    )
    subject: Annotated[str, doc("the received message's subject")] = msgspec.field(
        default="", name="Subject"
    )
    text: Annotated[str, doc("the text part, cut at 1 MiB by mox")] = msgspec.field(
        default="", name="Text"
    )
