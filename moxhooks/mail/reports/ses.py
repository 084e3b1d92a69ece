"""Bounce and complaint notifications that arrive as JSON in a mail's body: Amazon SES.

SES publishes bounces and complaints to an SNS topic; an e-mail subscription delivers the SES
notification itself as the body ("email"), or the SNS envelope whose `Message` field holds it
as a string ("email-json"). Either way the recipients are in `bounce.bouncedRecipients` or
`complaint.complainedRecipients`, never in the JSON's text, which a generic bounce reader would
otherwise take a fragment of as an address.

Reference: the SES developer guide's "Contents of notifications" (notificationType, bounceType,
bounceSubType, bouncedRecipients[].emailAddress/action/status/diagnosticCode).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

from moxhooks.kinds import Kind

__all__ = ["JsonRecipient", "JsonReport", "read_json_report"]

_MAX_JSON: Final = 256 * 1024

# SES bounceSubType -> kind, used when a bounced recipient carries no diagnostic code.
_SUBTYPE_KINDS: Final[dict[tuple[str, str], Kind]] = {
    ("permanent", "noemail"): Kind.MAILBOX_UNKNOWN,
    ("permanent", "general"): Kind.UNDETERMINED,
    # SES refused to send: the address is on its suppression list after an earlier hard bounce
    # there. That bounce's reason is not in this notification.
    ("permanent", "suppressed"): Kind.UNDETERMINED,
    ("permanent", "onaccountsuppressionlist"): Kind.UNDETERMINED,
    ("transient", "mailboxfull"): Kind.MAILBOX_FULL,
    ("transient", "messagetoolarge"): Kind.MESSAGE_TOO_LARGE,
    ("transient", "contentrejected"): Kind.CONTENT_REJECTED,
    ("transient", "attachmentrejected"): Kind.CONTENT_REJECTED,
    ("transient", "general"): Kind.EXPIRED,  # SES gave up after retrying
}


@dataclass(frozen=True)
class JsonRecipient:
    address: str
    status: str  # the enhanced status code, or ""
    diagnostic: str  # the diagnostic code, "smtp; 550 5.1.1 ...", or ""
    fallback: Kind | None  # the kind the notification's type says, for a recipient with no code


@dataclass(frozen=True)
class JsonReport:
    type: str  # "bounce", "complaint" or "delivery"
    recipients: tuple[JsonRecipient, ...]
    feedback_type: str | None  # a complaint's complaintFeedbackType, lowercased
    message_id: str | None  # the original's Message-ID header, "<...>", if the JSON has it
    reporter: str  # the reporting MTA, or "amazonses.com"


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _first_json(text: str) -> dict[str, Any] | None:
    start = text.find("{")
    if start < 0:
        return None
    try:
        value, _ = json.JSONDecoder().raw_decode(text[start:start + _MAX_JSON])
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _str(value: object) -> str:
    return value.strip()[:500] if isinstance(value, str) else ""


def _message_id(mail: object) -> str | None:
    if not isinstance(mail, dict):
        return None
    headers = mail.get("headers")
    if isinstance(headers, list):
        for h in headers[:200]:
            if isinstance(h, dict) and _str(h.get("name")).lower() == "message-id":
                value = _str(h.get("value"))
                return value if value.startswith("<") else f"<{value}>" if value else None
    common = mail.get("commonHeaders")
    if isinstance(common, dict) and _str(common.get("messageId")):
        value = _str(common.get("messageId"))
        return value if value.startswith("<") else f"<{value}>"
    return None


def read_json_report(text: str) -> JsonReport | None:
    """The SES notification in a mail's text, or None if the text holds none."""
    if '"notificationType"' not in text and '"eventType"' not in text and '"Message"' not in text:
        return None
    data = _first_json(text)
    if data is None:
        return None
    if isinstance(data.get("Message"), str) and data.get("Type") == "Notification":
        data = _first_json(data["Message"]) or {}
    kind = _str(data.get("notificationType") or data.get("eventType")).lower()
    mail = data.get("mail")
    if kind == "bounce":
        bounce = _dict(data.get("bounce"))
        btype = _str(bounce.get("bounceType")).lower()
        subtype = _str(bounce.get("bounceSubType")).lower()
        fallback = _SUBTYPE_KINDS.get((btype, subtype), Kind.UNDETERMINED)
        recipients = []
        for r in (bounce.get("bouncedRecipients") or [])[:500]:
            if isinstance(r, dict) and "@" in _str(r.get("emailAddress")):
                recipients.append(JsonRecipient(_str(r.get("emailAddress")), _str(r.get("status")),
                                                _str(r.get("diagnosticCode")), fallback))
        reporter = _str(bounce.get("reportingMTA")).removeprefix("dsn;").strip() or "amazonses.com"
        return JsonReport("bounce", tuple(recipients), None, _message_id(mail), reporter)
    if kind == "complaint":
        complaint = _dict(data.get("complaint"))
        recipients = [
            JsonRecipient(_str(r.get("emailAddress")), "", "", Kind.COMPLAINT)
            for r in (complaint.get("complainedRecipients") or [])[:500]
            if isinstance(r, dict) and "@" in _str(r.get("emailAddress"))
        ]
        ftype = _str(complaint.get("complaintFeedbackType")).lower() or "abuse"
        return JsonReport("complaint", tuple(recipients), ftype, _message_id(mail), "amazonses.com")
    if kind == "delivery":
        return JsonReport("delivery", (), None, _message_id(mail), "amazonses.com")
    return None
