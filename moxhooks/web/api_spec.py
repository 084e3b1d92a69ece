"""The OpenAPI 3.1 document of the JSON API, served at GET /api/openapi.json.

Written by hand, one entry per route, next to a table of every error code. A test
checks that each route under /api is here, so the document cannot fall behind.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from moxhooks.errors import ErrorCode
from moxhooks.kinds import Kind, Source

# Every error code the API answers with: code -> (HTTP status, meaning), from ErrorCode.
ERROR_CODES: dict[str, tuple[int, str]] = {c.value: (c.status, c.description) for c in ErrorCode}

_AUTH_ERRORS = ("user:noAuth", "user:badAuth")
_ACCOUNT_ERRORS = (*_AUTH_ERRORS, "user:forbidden", "notFound")
_ADMIN_ERRORS = (*_AUTH_ERRORS, "user:forbidden")
_MOX_ERRORS = ("adminDisabled", "moxRefused", "moxError", "moxUnavailable")


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(props: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        out["required"] = list(required)
    return out


_S = {"type": "string"}
_I = {"type": "integer"}
_N = {"type": "number"}
_B = {"type": "boolean"}
_SN = {"type": ["string", "null"]}
_IN = {"type": ["integer", "null"]}


def _arr(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


SCHEMAS: dict[str, Any] = {
    "Error": _obj(
        {
            "code": {"type": "string", "enum": sorted(ERROR_CODES)},
            "message": {**_S, "description": "in words, for people"},
            "id": {**_I, "description": "alreadySuppressed only: the existing entry"},
            "refused": {
                **_arr(_ref("RelayRefusal")),
                "description": "send relay only (suppressed, moxRefused, moxError, moxUnavailable)",
            },
            "sent": {
                **_arr(_ref("RelaySent")),
                "description": "send relay, moxRefused, moxError and moxUnavailable only: sent before mox"
                " failed",
            },
            "failed": {
                **_S,
                "description": "send relay, moxRefused, moxError and moxUnavailable only: the recipient"
                " whose Send failed (after moxUnavailable it may or may not be queued)",
            },
        },
        ("code", "message"),
    ),
    "Session": _obj(
        {
            "role": {"type": "string", "enum": ["account", "admin"]},
            "account": {**_S, "description": "account role only: the mox account, e.g. mox"},
            "email": {**_S, "description": "account role only: the address signed in with"},
            "csrf": {**_S, "description": "send as X-CSRF-Token on every call; '' for tokens"},
            "via": {"type": "string", "enum": ["session", "token"]},
        },
        ("role", "csrf"),
    ),
    "Suppression": _obj(
        {
            "id": _I,
            "account": _S,
            "base_address": {**_S, "description": "mox's base address, e.g. johndoe@gmail.com"},
            "original_address": {**_S, "description": "as added, e.g. John.Doe+x@gmail.com"},
            "scope": {**_S, "description": "'' for the whole account, else a topic"},
            "kind": {"type": "string", "enum": [str(k) for k in Kind]},
            "source": {"type": "string", "enum": [str(s) for s in Source]},
            "reason": _S,
            "created": {**_S, "format": "date-time"},
            "created_by": {**_S, "description": "e.g. web:mox@localhost, webhook 5, import"},
            "expires": {**_SN, "format": "date-time"},
            "event_id": _IN,
            "active": _B,
            "ended": _SN,
            "ended_by": _SN,
            "end_reason": _SN,
            "mox_state": {
                "type": "string",
                "enum": ["n/a", "pending_add", "synced", "pending_remove", "removed", "error"],
            },
        }
    ),
    "Event": _obj(
        {
            "id": _I,
            "account": _S,
            "webhook_id": _I,
            "received": {**_S, "format": "date-time"},
            "event": {**_S, "description": "mox's event: delivered, failed, delayed, ..."},
            "queue_msg_id": _I,
            "message_id": _S,
            "status": {**_S, "description": "pending, unresolved, done or abandoned"},
            "recipient": _SN,
            "kind": _SN,
            "decision": _SN,
            "detail": _S,
        }
    ),
    "AuditEntry": _obj(
        {
            "id": _I,
            "at": {**_S, "format": "date-time"},
            "account": _S,
            "suppression_id": _IN,
            "action": {
                **_S,
                "description": "added, changed, ended, complaint_ended, report_recorded,"
                " mox_false_removed, sync_failed, auto_hold, auto_hold_lifted, hold_rule_added,"
                " hold_rule_removed, hold_released, ...",
            },
            "actor": _S,
            "detail": _S,
        }
    ),
    "AlsoBlocks": _obj(
        {
            "base_address": _S,
            "explanation": {**_S, "description": "mox's base-address rule, in words"},
            "examples": _arr(_S),
            "entries": {
                **_arr(_ref("Suppression")),
                "description": "entry page only: other active entries with this base address",
            },
        }
    ),
    "StatsDay": _obj(
        {
            "date": {**_S, "format": "date", "description": "absent in totals"},
            "sent": {**_I, "description": "distinct messages with any event"},
            "delivered": _I,
            "delayed": _I,
            "failed": _I,
            "failed_hard": {**_I, "description": "failed as mailbox/domain unknown or disabled"},
            "suppressed": _I,
            "failed_by_kind": {"type": "object", "additionalProperties": _I},
            "complaints": _I,
            "suppressions_added": _I,
            "suppressions_removed": _I,
            "bounce_rate": {**_N, "description": "failed_hard / sent"},
            "complaint_rate": {**_N, "description": "complaints / sent"},
        }
    ),
    "AutoHold": _obj(
        {
            "id": _I,
            "account": _S,
            "recipient_domain": _S,
            "rule_id": {**_I, "description": "mox's hold rule"},
            "reason": _S,
            "recipients": _I,
            "created": _S,
            "lift_after": _S,
            "active": _B,
            "lifted": _SN,
            "lifted_by": _SN,
            "released": _IN,
            "last_error": _S,
        }
    ),
    "InboundMessage": _obj(
        {
            "id": _I,
            "account": {**_S, "description": "the mox account that received it"},
            "source": {"type": "string", "enum": ["webhook", "imap"]},
            "received": {**_S, "format": "date-time"},
            "rcpt_to": {**_S, "description": "the report address it was sent to"},
            "mail_from": {**_S, "description": "its From (the reporter)"},
            "subject": _S,
            "message_id": _S,
            "status": {"type": "string", "enum": ["pending", "done", "unparsed", "failed"]},
            "report_type": {
                "type": ["string", "null"],
                "enum": ["dsn", "arf", "bounce", "autoreply", "unparsed", None],
                "description": "null until read",
            },
            "outcome": {**_S, "description": "what it came to, in words"},
            "size": {**_IN, "description": "bytes kept; null until fetched from mox"},
            "raw": {
                **_SN,
                "description": "detail only: the message's first 1 MiB as UTF-8 (invalid bytes"
                " replaced); null until fetched. Written by whoever sent the mail: show it as"
                " text, never as HTML",
            },
            "raw_truncated": {**_B, "description": "detail only: raw is cut at 1 MiB"},
        }
    ),
    "InboundResult": _obj(
        {
            "recipient": _S,
            "kind": _SN,
            "action": {**_S, "description": "the report's: failed, delayed, complaint, ..."},
            "decision": {
                **_S,
                "description": "what was done: suppress, suppress_topic, suppress_for:<duration>,"
                " record, ...",
            },
            "detail": _S,
            "entry_id": {**_IN, "description": "the entry made or found"},
            "created": {**_S, "format": "date-time"},
        }
    ),
    "EntryReport": _obj(
        {
            "id": {**_I, "description": "the report message (GET inbound/{id})"},
            "received": {**_S, "format": "date-time"},
            "report_type": _SN,
            "subject": _S,
            "mail_from": _S,
            "status": _S,
            "recipient": _S,
            "action": _S,
            "decision": _S,
            "detail": _S,
        }
    ),
    "ImapMailbox": _obj(
        {
            "account": _S,
            "host": _S,
            "port": _I,
            "mailbox": _S,
            "interval": {**_N, "description": "seconds between looks"},
            "last_pass": {**_SN, "format": "date-time", "description": "null: not looked yet"},
            "last_error": {**_S, "description": "'' when the last look worked"},
            "kept": {**_I, "description": "messages kept since moxhooks started"},
        }
    ),
    "RelaySent": _obj(
        {
            "address": {**_S, "description": "the recipient, e.g. John.Doe@example.org"},
            "queue_msg_id": {**_I, "description": "mox's QueueMsgID of its message"},
            "message_id": {**_S, "description": "the message's Message-ID, e.g. <x@localhost>"},
        }
    ),
    "RelayRefusal": _obj(
        {
            "address": _S,
            "code": {"type": "string", "enum": ["suppressed"]},
            "kind": {
                "type": "string",
                "enum": sorted({*(str(k) for k in Kind), "paused"}),
                "description": "the blocking entry's kind; paused: the recipient paused the"
                " topic (or all mail) for a while",
            },
            "scope": {**_S, "description": "the entry's scope: '' account-wide, else the topic"},
        }
    ),
    "HoldRule": _obj(
        {
            "id": _I,
            "account": {**_S, "description": "'' for all accounts"},
            "sender_domain": {**_S, "description": "'' for all"},
            "recipient_domain": {**_S, "description": "'' for all"},
            "auto": {"oneOf": [_ref("AutoHold"), {"type": "null"}]},
        }
    ),
}


def _q(name: str, desc: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": desc,
        "schema": schema or _S,
    }


_ACCOUNT_PARAM = {
    "name": "account",
    "in": "path",
    "required": True,
    "schema": _S,
    "description": "the mox account's name, as configured",
}
_ID_PARAM = {"name": "id", "in": "path", "required": True, "schema": _I}
_JSON = "application/json"


def _op(
    summary: str,
    ok: tuple[int, str, dict[str, Any]],
    errors: tuple[str, ...],
    *,
    params: tuple[dict[str, Any], ...] = (),
    body: dict[str, Any] | None = None,
    body_type: str = _JSON,
    ok_type: str = _JSON,
    security: str = "any",
) -> dict[str, Any]:
    status, desc, schema = ok
    responses: dict[str, Any] = {
        str(status): {"description": desc, "content": {ok_type: {"schema": schema}}}
    }
    by_status: dict[int, list[str]] = {}
    for code in (*errors, "server"):
        by_status.setdefault(ERROR_CODES[code][0], []).append(code)
    for st, codes in sorted(by_status.items()):
        responses[str(st)] = {
            "description": "\n".join(f"{c}: {ERROR_CODES[c][1]}" for c in codes),
            "content": {_JSON: {"schema": _ref("Error")}},
        }
    op: dict[str, Any] = {"summary": summary, "responses": responses}
    if params:
        op["parameters"] = list(params)
    if body is not None:
        op["requestBody"] = {"required": True, "content": {body_type: {"schema": body}}}
    op["security"] = {
        "none": [],
        "session": [{"session": [], "csrf": []}],
        "cookie": [{"session": []}, {"token": []}],
        "any": [{"session": [], "csrf": []}, {"token": []}],
    }[security]
    return op


_ENTRY = _ref("Suppression")
_ACC = (_ACCOUNT_PARAM,)

PATHS: dict[str, dict[str, Any]] = {
    "/api/openapi.json": {
        "get": _op("This document.", (200, "OpenAPI 3.1", {"type": "object"}), (), security="none"),
    },
    "/api/v1/login": {
        "post": _op(
            "Sign in with a mox account's email address and password; sets the session cookie"
            " moxhooks_session (HttpOnly, SameSite=Strict, Path=/api/, Secure over HTTPS).",
            (200, "signed in", _ref("Session")),
            (
                "badRequest",
                "unsupportedMediaType",
                "user:loginFailed",
                "user:forbidden",
                "user:throttled",
                "moxRefused",
                "moxError",
                "moxUnavailable",
            ),
            body=_obj({"email": _S, "password": _S}, ("email", "password")),
            security="none",
        ),
    },
    "/api/v1/admin/login": {
        "post": _op(
            "Sign in as the mox admin with mox's admin password; sets the session cookie.",
            (200, "signed in", _ref("Session")),
            (
                "badRequest",
                "unsupportedMediaType",
                "user:loginFailed",
                "user:throttled",
                "moxRefused",
                "moxError",
                "moxUnavailable",
            ),
            body=_obj({"password": _S}, ("password",)),
            security="none",
        ),
    },
    "/api/v1/logout": {
        "post": _op(
            "End the session and clear the cookie.", (200, "signed out", _obj({})), _AUTH_ERRORS
        ),
    },
    "/api/v1/session": {
        "get": _op(
            "Who is signed in, with the CSRF token; needs only the cookie (no X-CSRF-Token).",
            (200, "the session", _ref("Session")),
            _AUTH_ERRORS,
            security="cookie",
        ),
    },
    "/api/v1/accounts/{account}/suppressions": {
        "get": _op(
            "The suppression list, newest first.",
            (
                200,
                "a page of entries",
                _obj({"entries": _arr(_ENTRY), "limit": _I, "offset": _I, "has_more": _B}),
            ),
            (*_ACCOUNT_ERRORS, "badRequest"),
            params=(
                _ACCOUNT_PARAM,
                _q("search", "substring of the original or base address"),
                _q("kind", "failure kind"),
                _q("source", "entry source"),
                _q("scope", "a topic; '-' for account-wide entries only; empty for all"),
                _q(
                    "active",
                    "true (default), false or all",
                    {"type": "string", "enum": ["true", "false", "all"]},
                ),
                _q("expiring", "true: only entries with an expiry", _B),
                _q("limit", "1-500, default 50", _I),
                _q("offset", "default 0", _I),
            ),
        ),
        "post": _op(
            "Add an entry (source manual, kind manual); mox gets account-wide entries within"
            " seconds.",
            (201, "the new entry", _ENTRY),
            (
                *_ACCOUNT_ERRORS,
                "badRequest",
                "badAddress",
                "badExpires",
                "alreadySuppressed",
                "unsupportedMediaType",
            ),
            params=_ACC,
            body=_obj(
                {
                    "address": _S,
                    "scope": {**_S, "description": "a topic; omitted or '' for the whole account"},
                    "expires": {**_S, "description": "a duration (7d, 36h, 90m) or RFC 3339 time"},
                    "reason": _S,
                },
                ("address",),
            ),
        ),
    },
    "/api/v1/accounts/{account}/suppressions/{id}": {
        "get": _op(
            "One entry with its history, the events of its base address, the report messages"
            " behind it, and what it blocks.",
            (
                200,
                "the entry",
                _obj(
                    {
                        "entry": _ENTRY,
                        "history": _arr(_ref("AuditEntry")),
                        "events": _arr(_ref("Event")),
                        "reports": {
                            **_arr(_ref("EntryReport")),
                            "description": "report messages whose results made or touched"
                            " the entry, newest first (at most 50)",
                        },
                        "also_blocks": _ref("AlsoBlocks"),
                    }
                ),
            ),
            _ACCOUNT_ERRORS,
            params=(_ACCOUNT_PARAM, _ID_PARAM),
        ),
        "delete": _op(
            "End an entry (history is kept); the body is optional, except that an active"
            " complaint entry is ended only with a reason (audited as complaint_ended).",
            (200, "the ended entry", _ENTRY),
            (*_ACCOUNT_ERRORS, "badRequest", "reasonRequired", "unsupportedMediaType"),
            params=(_ACCOUNT_PARAM, _ID_PARAM),
            body=_obj({"reason": _S}),
        ),
    },
    "/api/v1/accounts/{account}/suppressions.csv": {
        "get": _op(
            "Active, unexpired entries as CSV, streamed (columns: address, base_address,"
            " scope, kind, source, reason, created, expires, mox_state).",
            (200, "CSV", _S),
            _ACCOUNT_ERRORS,
            params=_ACC,
            ok_type="text/csv",
        ),
    },
    "/api/v1/accounts/{account}/suppressions/import": {
        "post": _op(
            "Import CSV (header row with an address column; scope, kind, reason, expires"
            " optional). Rows with problems are reported and skipped.",
            (
                200,
                "the report",
                _obj(
                    {
                        "added": _I,
                        "already_present": _I,
                        "rejected": _arr(_obj({"line": _I, "error": _S})),
                        "rejected_total": {**_I, "description": "rejected lists at most 1000"},
                    }
                ),
            ),
            (*_ACCOUNT_ERRORS, "badCsv", "tooLarge", "unsupportedMediaType"),
            params=_ACC,
            body=_S,
            body_type="text/csv",
        ),
    },
    "/api/v1/accounts/{account}/blocks": {
        "get": _op(
            "What an entry for this address would block under mox's base-address rule, and"
            " the active entries that block it already.",
            (
                200,
                "explanation",
                _obj(
                    {
                        "address": _S,
                        "base_address": _S,
                        "explanation": _S,
                        "examples": _arr(_S),
                        "blocked_by": _arr(_ENTRY),
                    }
                ),
            ),
            (*_ACCOUNT_ERRORS, "badAddress"),
            params=(_ACCOUNT_PARAM, {**_q("address", "the address"), "required": True}),
        ),
    },
    "/api/v1/accounts/{account}/events": {
        "get": _op(
            "Webhook events, newest first.",
            (200, "events", _obj({"events": _arr(_ref("Event"))})),
            (*_ACCOUNT_ERRORS, "badRequest", "badAddress"),
            params=(
                _ACCOUNT_PARAM,
                _q("event", "delivered, failed, delayed, ..."),
                _q("kind", "failure kind"),
                _q("status", "pending, unresolved, done, abandoned"),
                _q("address", "events of this address's base address"),
                _q("limit", "1-500, default 100", _I),
                _q("before", "only events with a smaller id (paging)", _I),
            ),
        ),
    },
    "/api/v1/accounts/{account}/stats": {
        "get": _op(
            "Per-day delivery statistics (UTC days, oldest first) with bounce and complaint"
            " rates, the thresholds mailbox providers enforce, and warnings in words.",
            (
                200,
                "statistics",
                _obj(
                    {
                        "days": _arr(_ref("StatsDay")),
                        "totals": _ref("StatsDay"),
                        "thresholds": _obj({"bounce_rate": _N, "complaint_rate": _N}),
                        "warnings": _arr(_S),
                    }
                ),
            ),
            (*_ACCOUNT_ERRORS, "badRequest"),
            params=(_ACCOUNT_PARAM, _q("days", "1-366, default 30", _I)),
        ),
    },
    "/api/v1/accounts/{account}/inbound": {
        "get": _op(
            "Messages kept from the bounce and complaint mailbox, newest first (without the"
            " raw message).",
            (
                200,
                "a page of messages",
                _obj(
                    {
                        "messages": _arr(_ref("InboundMessage")),
                        "limit": _I,
                        "has_more": {**_B, "description": "older messages follow (use before)"},
                    }
                ),
            ),
            (*_ACCOUNT_ERRORS, "badRequest"),
            params=(
                _ACCOUNT_PARAM,
                _q(
                    "status",
                    "pending, done, unparsed or failed; empty for all",
                    {"type": "string", "enum": ["", "pending", "done", "unparsed", "failed"]},
                ),
                _q("limit", "1-500, default 50", _I),
                _q("before", "only messages with a smaller id (paging)", _I),
            ),
        ),
    },
    "/api/v1/accounts/{account}/inbound/{id}": {
        "get": _op(
            "One kept message: its raw text (the first 1 MiB), the report parsed from it"
            " (null if none), and what each recipient came to. Another account's message is"
            " not found.",
            (
                200,
                "the message",
                _obj(
                    {
                        "message": _ref("InboundMessage"),
                        "parsed": {
                            "type": ["object", "null"],
                            "description": "the parsed report: type, recipients [{address,"
                            " kind, action, status, diagnostic}], original_message_id,"
                            " original_headers, feedback_type, reporter, reason, problems",
                        },
                        "results": _arr(_ref("InboundResult")),
                    }
                ),
            ),
            _ACCOUNT_ERRORS,
            params=(_ACCOUNT_PARAM, _ID_PARAM),
        ),
    },
    "/api/v1/reports": {
        "post": _op(
            "Report a bounce or a complaint about a message the caller's account sent, named"
            " by its Message-ID; does what the account's report_actions say for the"
            " message's mail type (Extra key reports.mail_type_key). A Message-ID the account"
            " did not send is not found, and nothing changes.",
            (
                200,
                "what the report did",
                _obj(
                    {
                        "action": {
                            **_S,
                            "description": "suppress, suppress_topic, suppress_for:<duration>"
                            " or record",
                        },
                        "added": {**_B, "description": "entry is new"},
                        "entry": {
                            "oneOf": [_ENTRY, {"type": "null"}],
                            "description": "the entry added, or the one that already covered"
                            " the address; null for record",
                        },
                        "recipient": {**_S, "description": "the message's recipient"},
                        "mail_type": {**_SN, "description": "from the message's Extra"},
                        "detail": {**_S, "description": "what was done and why, in words"},
                    }
                ),
            ),
            (
                *_AUTH_ERRORS,
                "user:forbidden",
                "badRequest",
                "badAddress",
                "unsupportedMediaType",
                "notFound",
                "recipientUnknown",
                "ambiguousRecipient",
            ),
            body=_obj(
                {
                    "message_id": {
                        **_S,
                        "description": "the Message-ID of the sent message, with or without <>",
                    },
                    "type": {"type": "string", "enum": ["bounce", "complaint"]},
                    "detail": {
                        **_S,
                        "description": "optional: the bounce's reply or the complaint, kept in"
                        " the entry's reason; a bounce's kind is classified from it",
                    },
                    "recipient": {
                        **_S,
                        "description": "optional: which recipient, for a message sent to several",
                    },
                },
                ("message_id", "type"),
            ),
        ),
    },
    "/api/v1/accounts/{account}/send": {
        "post": _op(
            "Send relay: mox's webapi Send request (passed on as given) plus topic. Recipients"
            " (To, CC, BCC) with an active entry (account-wide, or for the topic) are refused;"
            " every other recipient gets a message of its own (one mox Send each) with"
            " List-Unsubscribe: <public_url/u/token> and List-Unsubscribe-Post:"
            " List-Unsubscribe=One-Click, the topic in Extra.",
            (
                200,
                "sent to at least one recipient",
                _obj({"sent": _arr(_ref("RelaySent")), "refused": _arr(_ref("RelayRefusal"))}),
            ),
            (
                *_ACCOUNT_ERRORS,
                "badRequest",
                "badAddress",
                "unknownTopic",
                "unsupportedMediaType",
                "suppressed",
                "moxRefused",
                "moxError",
                "moxUnavailable",
            ),
            params=_ACC,
            body={
                "type": "object",
                "description": "a webapi SendRequest (shared/mox-api.md), e.g. {To, Subject,"
                " Text, Extra, Headers, ...}, plus topic",
                "properties": {
                    "topic": {
                        **_S,
                        "description": "one of accounts[].topics, or absent (also read from"
                        " Extra's reports.topic_key)",
                    },
                    "To": _arr(_obj({"Name": _S, "Address": _S}, ("Address",))),
                    "CC": _arr(_obj({"Name": _S, "Address": _S}, ("Address",))),
                    "BCC": _arr(_obj({"Name": _S, "Address": _S}, ("Address",))),
                },
                "additionalProperties": True,
            },
        ),
    },
    "/api/v1/admin/accounts": {
        "get": _op(
            "Admin: every configured account at a glance (with its bounce mailbox), every"
            " IMAP mailbox read, and whether mox answers.",
            (
                200,
                "overview",
                _obj(
                    {
                        "accounts": _arr(
                            _obj(
                                {
                                    "name": _S,
                                    "login": _S,
                                    "suppressions": _I,
                                    "suppressions_by_kind": {
                                        "type": "object",
                                        "additionalProperties": _I,
                                    },
                                    "sent_30d": _I,
                                    "bounce_rate": _N,
                                    "complaint_rate": _N,
                                    "unresolved_events": _I,
                                    "abandoned_events": _I,
                                    "outbox_backlog": _I,
                                    "last_reconcile": _SN,
                                    "sync_error": _S,
                                    "auto_holds": _I,
                                    "inbound_addresses": {
                                        **_arr(_S),
                                        "description": "accounts[].inbound_addresses",
                                    },
                                    "inbound": {
                                        "type": "object",
                                        "additionalProperties": _I,
                                        "description": "kept report messages by status:"
                                        " pending, done, unparsed, failed",
                                    },
                                }
                            )
                        ),
                        "imap": {
                            **_arr(_ref("ImapMailbox")),
                            "description": "each [[imap]] mailbox, in configuration order",
                        },
                        "mox_reachable": _B,
                        "mox_error": _S,
                    }
                ),
            ),
            _ADMIN_ERRORS,
            security="session",
        ),
    },
    "/api/v1/admin/holdrules": {
        "get": _op(
            "Admin: mox's queue hold rules, with moxhooks' automatic holds (recent 50).",
            (
                200,
                "rules",
                _obj({"rules": _arr(_ref("HoldRule")), "auto_holds": _arr(_ref("AutoHold"))}),
            ),
            (*_ADMIN_ERRORS, *_MOX_ERRORS),
            security="session",
        ),
        "post": _op(
            "Admin: add a hold rule; empty fields match everything (all empty: hold all).",
            (201, "the rule", _ref("HoldRule")),
            (*_ADMIN_ERRORS, *_MOX_ERRORS, "badRequest", "unsupportedMediaType"),
            body=_obj({"account": _S, "sender_domain": _S, "recipient_domain": _S}),
            security="session",
        ),
    },
    "/api/v1/admin/holdrules/{id}": {
        "delete": _op(
            "Admin: remove a hold rule; messages it held stay held until released.",
            (200, "removed", _obj({})),
            (*_ADMIN_ERRORS, *_MOX_ERRORS, "notFound"),
            params=(_ID_PARAM,),
            security="session",
        ),
    },
    "/api/v1/admin/holdrules/{id}/release": {
        "post": _op(
            "Admin: release the queued messages on hold that this rule matches (QueueHoldSet).",
            (200, "released", _obj({"released": _I})),
            (*_ADMIN_ERRORS, *_MOX_ERRORS, "notFound"),
            params=(_ID_PARAM,),
            security="session",
        ),
    },
    "/api/v1/admin/audit": {
        "get": _op(
            "Admin: the audit log, newest first.",
            (200, "entries", _obj({"entries": _arr(_ref("AuditEntry"))})),
            (*_ADMIN_ERRORS, "badRequest"),
            params=(
                _q("account", "only this account"),
                _q("limit", "1-500, default 100", _I),
                _q("before", "only entries with a smaller id (paging)", _I),
            ),
            security="session",
        ),
    },
}


def document() -> dict[str, Any]:
    """The OpenAPI document."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "moxhooks API",
            "version": "1",
            "description": (
                "Suppression lists, delivery events and statistics of mox accounts, and mox's"
                " queue hold rules. Sign in (POST /api/v1/login or /api/v1/admin/login), then"
                " send the session cookie and the X-CSRF-Token header on every call; programs"
                " send Authorization: Bearer <api token> instead. Errors are"
                ' {"code", "message"}; the codes are listed in x-error-codes.'
            ),
        },
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "moxhooks_session"},
                "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token"},
                "token": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "accounts[].api_token from the configuration",
                },
            },
        },
        "x-error-codes": {
            code: {"status": status, "description": desc}
            for code, (status, desc) in ERROR_CODES.items()
        },
    }


async def openapi(request: web.Request) -> web.StreamResponse:
    """GET /api/openapi.json."""
    return web.json_response(document())
