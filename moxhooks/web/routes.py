"""The route table of the HTTP service: every route but the pages (web/pages.py), with its
handler and its description. create_app registers the routes from it and the OpenAPI
document (GET /api/openapi.json) is generated from it (web/api_spec.py), so a route
cannot exist without its description.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from moxhooks import models
from moxhooks.errors import ErrorCode
from moxhooks.web import api, api_admin, api_spec, auth, health, intake, relay, unsubscribe
from moxhooks.web.api_spec import Route, param

E = ErrorCode
_AUTH = (E.NO_AUTH, E.BAD_AUTH)
_ACCOUNT = (*_AUTH, E.FORBIDDEN, E.NOT_FOUND)
_ADMIN = (*_AUTH, E.FORBIDDEN)
_MOX = (E.ADMIN_DISABLED, E.MOX_REFUSED, E.MOX_ERROR, E.MOX_UNAVAILABLE)
_SIGN_IN = (
    E.BAD_REQUEST, E.UNSUPPORTED_MEDIA_TYPE, E.LOGIN_FAILED, E.THROTTLED,
    E.MOX_REFUSED, E.MOX_ERROR, E.MOX_UNAVAILABLE,
)  # fmt: skip

_ACCOUNT_PARAM = param("account", "path", "the mox account's name, as configured")
_MOX_PARAM = param("mox", "path", "the mox server's name, as configured in [[mox]]")
_ID = param("id", "path", "a whole number from 1 to 2^63-1", {"type": "integer", "minimum": 1})
_TOKEN = param("token", "path", "the link's token, from List-Unsubscribe")
_WEBHOOK_ID = param(
    "X-Mox-Webhook-ID", "header",
    "mox's ID of this webhook call, the same on every retry: a retry changes nothing",
    {"type": "integer", "minimum": 0, "maximum": 2**63 - 1}, required=True,
)  # fmt: skip
_WEBHOOK_ATTEMPT = param(
    "X-Mox-Webhook-Attempt", "header", "which attempt this is, from 1; absent counts as 1",
    {"type": "integer", "minimum": 0, "maximum": 2**63 - 1},
)  # fmt: skip
_WEBHOOK_ERRORS = (
    E.WEBHOOK_NO_AUTH, E.NOT_FOUND, E.BAD_HEADER, E.BAD_REQUEST, E.BAD_PAYLOAD, E.TIMEOUT,
    E.TOO_LARGE, E.UNAVAILABLE,
)  # fmt: skip
_REQUESTED_WITH = param(
    "X-Requested-With", "header", "any value; the page sends it, a form of another site cannot",
    required=True,
)  # fmt: skip

# The send relay's body is mox's SendRequest, passed on as given: described, not modelled.
_ADDRESSES = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {"Name": {"type": "string"}, "Address": {"type": "string"}},
        "required": ["Address"],
    },
}
_SEND_REQUEST = {
    "type": "object",
    "description": "a webapi SendRequest (shared/mox-api.md), e.g. {To, Subject, Text, Extra,"
    " Headers, ...}, plus topic",
    "properties": {
        "topic": {
            "type": "string",
            "description": "one of accounts[].topics, or absent (also read from Extra's"
            " reports.topic_key)",
        },
        "To": _ADDRESSES,
        "CC": _ADDRESSES,
        "BCC": _ADDRESSES,
    },
    "additionalProperties": True,
}


async def openapi(request: web.Request) -> web.StreamResponse:
    """GET /api/openapi.json."""
    return web.json_response(document())


ROUTES: tuple[Route, ...] = (
    Route(
        "POST", "/hooks/outgoing/{account}", intake.outgoing,
        "mox's outgoing-delivery webhook: one event (delivered, failed, delayed, ...) of a"
        " message the account sent. Stored before the answer, processed afterwards; a retry"
        " with the same X-Mox-Webhook-ID changes nothing. Authorization: Bearer"
        " <accounts[].webhook_secret>. Any answer but 200 makes mox retry.",
        models.Empty, _WEBHOOK_ERRORS, body=models.OutgoingWebhook,
        params=(_ACCOUNT_PARAM, _WEBHOOK_ID, _WEBHOOK_ATTEMPT), security="webhook",
    ),  # fmt: skip
    Route(
        "POST", "/hooks/outgoing/{mox}/{account}", intake.outgoing,
        "The outgoing-delivery webhook of the mox server named mox (several mox servers:"
        " [[mox]]); as /hooks/outgoing/{account}, which is the first server's. Each server's"
        " account has its own secret.",
        models.Empty, _WEBHOOK_ERRORS, body=models.OutgoingWebhook,
        params=(_MOX_PARAM, _ACCOUNT_PARAM, _WEBHOOK_ID, _WEBHOOK_ATTEMPT), security="webhook",
    ),  # fmt: skip
    Route(
        "POST", "/hooks/incoming/{account}", intake.incoming,
        "mox's incoming-delivery webhook: a message the account received. Kept (for the"
        " worker to read its report) when Meta.RcptTo is one of the account's"
        " inbound_addresses, answered and dropped otherwise; a retry with the same"
        " X-Mox-Webhook-ID changes nothing. Authorization: Bearer"
        " <accounts[].webhook_secret>.",
        models.Empty, _WEBHOOK_ERRORS, body=models.IncomingWebhook,
        params=(_ACCOUNT_PARAM, _WEBHOOK_ID), security="webhook",
    ),  # fmt: skip
    Route(
        "POST", "/hooks/incoming/{mox}/{account}", intake.incoming,
        "The incoming-delivery webhook of the mox server named mox; as"
        " /hooks/incoming/{account}, which is the first server's.",
        models.Empty, _WEBHOOK_ERRORS, body=models.IncomingWebhook,
        params=(_MOX_PARAM, _ACCOUNT_PARAM, _WEBHOOK_ID), security="webhook",
    ),  # fmt: skip
    Route(
        "GET", "/healthz", health.healthz,
        "Health: the database, mox, the worker process, the outbox backlog and unprocessed"
        " events; 503 with the same answer when unhealthy.",
        models.Health, (), also=(503,), head=True, security="none",
    ),
    Route(
        "GET", "/metrics", health.metrics,
        "Prometheus metrics (text exposition format 0.0.4); gauges are read from the"
        " database at scrape time.",
        {"type": "string"}, (), answer_type="text/plain", head=True, security="none",
    ),
    Route(
        "GET", "/api/openapi.json", openapi, "This document.", {"type": "object"}, (),
        security="none",
    ),
    Route(
        "POST", "/api/v1/login", auth.login,
        "Sign in with a mox account's email address and password; sets the session cookie"
        " moxhooks_session (HttpOnly, SameSite=Strict, Path=/api/, Secure over HTTPS).",
        models.Session, (*_SIGN_IN, E.FORBIDDEN), body=models.LoginRequest, security="none",
    ),
    Route(
        "POST", "/api/v1/admin/login", auth.admin_login,
        "Sign in as the mox admin with mox's admin password; sets the session cookie.",
        models.Session, _SIGN_IN, body=models.AdminLoginRequest, security="none",
    ),
    Route("POST", "/api/v1/logout", auth.logout, "End the session and clear the cookie.", models.Empty, _AUTH),
    Route(
        "GET", "/api/v1/session", auth.session,
        "Who is signed in, with the CSRF token; needs only the cookie (no X-CSRF-Token).",
        models.Session, _AUTH, security="cookie",
    ),
    Route(
        "GET", "/api/v1/accounts/{account}/suppressions", api.list_suppressions, "The suppression list, newest first.",
        models.SuppressionPage, (*_ACCOUNT, E.BAD_REQUEST),
        params=(_ACCOUNT_PARAM,), query=models.SuppressionQuery,
    ),
    Route(
        "POST", "/api/v1/accounts/{account}/suppressions", api.add_suppression,
        "Add an entry (source manual, kind manual); mox gets account-wide entries within"
        " seconds.",
        models.Suppression,
        (*_ACCOUNT, E.BAD_REQUEST, E.BAD_ADDRESS, E.BAD_EXPIRES, E.ALREADY_SUPPRESSED,
         E.UNSUPPORTED_MEDIA_TYPE),
        status=201, body=models.NewSuppression, params=(_ACCOUNT_PARAM,),
    ),  # fmt: skip
    Route(
        "GET", "/api/v1/accounts/{account}/suppressions/{id}", api.get_suppression,
        "One entry with its history, the events of its base address, the report messages"
        " behind it, and what it blocks.",
        models.EntryDetail, _ACCOUNT, params=(_ACCOUNT_PARAM, _ID),
    ),
    Route(
        "DELETE", "/api/v1/accounts/{account}/suppressions/{id}", api.remove_suppression,
        "End an entry (history is kept); the body is optional, except that an active"
        " complaint entry is ended only with a reason (audited as complaint_ended).",
        models.Suppression,
        (*_ACCOUNT, E.BAD_REQUEST, E.REASON_REQUIRED, E.UNSUPPORTED_MEDIA_TYPE),
        body=models.EndSuppression, body_required=False, params=(_ACCOUNT_PARAM, _ID),
    ),
    Route(
        "GET", "/api/v1/accounts/{account}/suppressions.csv", api.export_csv,
        "Active, unexpired entries as CSV, streamed (columns: address, base_address, scope,"
        " kind, source, reason, created, expires, mox_state).",
        {"type": "string"}, _ACCOUNT, answer_type="text/csv", params=(_ACCOUNT_PARAM,),
    ),
    Route(
        "POST", "/api/v1/accounts/{account}/suppressions/import", api.import_csv,
        "Import CSV (header row with an address column; scope, kind, reason, expires"
        " optional). Rows with problems are reported and skipped.",
        models.ImportResult, (*_ACCOUNT, E.BAD_CSV, E.TOO_LARGE, E.UNSUPPORTED_MEDIA_TYPE),
        body={"type": "string"}, body_type="text/csv", params=(_ACCOUNT_PARAM,),
    ),
    Route(
        "GET", "/api/v1/accounts/{account}/blocks", api.blocks,
        "What an entry for this address would block under mox's base-address rule, and the"
        " active entries that block it already.",
        models.Blocks, (*_ACCOUNT, E.BAD_ADDRESS),
        params=(_ACCOUNT_PARAM,), query=models.BlocksQuery, required_query=("address",),
    ),
    Route(
        "GET", "/api/v1/accounts/{account}/events", api.list_events, "Webhook events, newest first.",
        models.EventList, (*_ACCOUNT, E.BAD_REQUEST, E.BAD_ADDRESS),
        params=(_ACCOUNT_PARAM,), query=models.EventQuery,
    ),
    Route(
        "GET", "/api/v1/accounts/{account}/stats", api.stats,
        "Per-day delivery statistics (UTC days, oldest first) with bounce and complaint"
        " rates, the thresholds mailbox providers enforce, and warnings in words.",
        models.Stats, (*_ACCOUNT, E.BAD_REQUEST),
        params=(_ACCOUNT_PARAM,), query=models.StatsQuery,
    ),
    Route(
        "GET", "/api/v1/accounts/{account}/inbound", api.list_inbound,
        "Messages kept from the bounce and complaint mailbox, newest first (without the raw"
        " message).",
        models.MailboxPage, (*_ACCOUNT, E.BAD_REQUEST),
        params=(_ACCOUNT_PARAM,), query=models.MailboxQuery,
    ),
    Route(
        "GET", "/api/v1/accounts/{account}/inbound/{id}", api.get_inbound,
        "One kept message: its raw text (the first 1 MiB), the report parsed from it (null"
        " if none), and what each recipient came to. Another account's message is not"
        " found.",
        models.MailboxDetail, _ACCOUNT, params=(_ACCOUNT_PARAM, _ID),
    ),
    Route(
        "POST", "/api/v1/reports", api.report,
        "Report a bounce or a complaint about a message the caller's account sent, named by"
        " its Message-ID; does what the account's report_actions say for the message's mail"
        " type (Extra key reports.mail_type_key). A Message-ID the account did not send is"
        " not found, and nothing changes.",
        models.ReportResult,
        (*_AUTH, E.FORBIDDEN, E.BAD_REQUEST, E.BAD_ADDRESS, E.UNSUPPORTED_MEDIA_TYPE,
         E.NOT_FOUND, E.RECIPIENT_UNKNOWN, E.AMBIGUOUS_RECIPIENT),
        body=models.ReportRequest,
    ),  # fmt: skip
    Route(
        "POST", "/api/v1/accounts/{account}/send", relay.send,
        "Send relay: mox's webapi Send request (passed on as given) plus topic. Recipients"
        " (To, CC, BCC) with an active entry (account-wide, or for the topic) are refused;"
        " every other recipient gets a message of its own (one mox Send each) with"
        " List-Unsubscribe: <public_url/u/token> and List-Unsubscribe-Post:"
        " List-Unsubscribe=One-Click, the topic in Extra.",
        models.RelayResult,
        (*_ACCOUNT, E.BAD_REQUEST, E.BAD_ADDRESS, E.UNKNOWN_TOPIC, E.UNSUPPORTED_MEDIA_TYPE,
         E.SUPPRESSED, E.MOX_REFUSED, E.MOX_ERROR, E.MOX_UNAVAILABLE),
        body=_SEND_REQUEST, params=(_ACCOUNT_PARAM,),
    ),  # fmt: skip
    Route(
        "GET", "/api/v1/admin/accounts", api_admin.accounts,
        "Admin: every configured account at a glance (with its bounce mailbox), every IMAP"
        " mailbox read, and whether mox answers.",
        models.Overview, _ADMIN, security="session",
    ),
    Route(
        "GET", "/api/v1/admin/holdrules", api_admin.hold_rules,
        "Admin: one mox server's queue hold rules (?mox=, the first by default), with"
        " moxhooks' automatic holds there and everywhere (recent 50).",
        models.HoldRules, (*_ADMIN, *_MOX, E.NOT_FOUND),
        query=models.HoldRulesQuery, security="session",
    ),
    Route(
        "POST", "/api/v1/admin/holdrules", api_admin.hold_rule_add,
        "Admin: add a hold rule in a mox server (?mox=, the first by default); empty fields"
        " match everything (all empty: hold all).",
        models.HoldRule, (*_ADMIN, *_MOX, E.BAD_REQUEST, E.NOT_FOUND, E.UNSUPPORTED_MEDIA_TYPE),
        status=201, body=models.NewHoldRule, query=models.HoldRulesQuery, security="session",
    ),
    Route(
        "DELETE", "/api/v1/admin/holdrules/{id}", api_admin.hold_rule_remove,
        "Admin: remove a hold rule of a mox server (?mox=, the first by default); messages"
        " it held stay held until released.",
        models.Empty, (*_ADMIN, *_MOX, E.NOT_FOUND), params=(_ID,),
        query=models.HoldRulesQuery, security="session",
    ),
    Route(
        "POST", "/api/v1/admin/holdrules/{id}/release", api_admin.hold_rule_release,
        "Admin: release the queued messages on hold that this rule of a mox server (?mox=,"
        " the first by default) matches (QueueHoldSet).",
        models.Released, (*_ADMIN, *_MOX, E.NOT_FOUND), params=(_ID,),
        query=models.HoldRulesQuery, security="session",
    ),
    Route(
        "GET", "/api/v1/admin/audit", api_admin.audit, "Admin: the audit log, newest first.",
        models.AuditLog, (*_ADMIN, E.BAD_REQUEST),
        query=models.AuditQuery, security="session",
    ),
    Route(
        "GET", "/u/{token}", unsubscribe.page,
        "The recipient's preference page (HTML); changes nothing. A refused token: a 404"
        " page.",
        {"type": "string"}, (), answer_type="text/html", params=(_TOKEN,), head=True,
        security="none",
    ),
    Route(
        "POST", "/u/{token}", unsubscribe.one_click,
        "One-click unsubscribe (RFC 8058): the form body List-Unsubscribe=One-Click"
        " unsubscribes the link's recipient from the link's topic (or all mail) at once.",
        {"type": "string", "enum": ["unsubscribed"]}, (E.BAD_REQUEST, E.BAD_TOKEN),
        answer_type="text/plain", params=(_TOKEN,), security="none",
        body={
            "type": "object",
            "properties": {"List-Unsubscribe": {"enum": ["One-Click"]}},
            "required": ["List-Unsubscribe"],
        },
        body_type="application/x-www-form-urlencoded",
    ),
    Route(
        "GET", "/u/{token}/prefs", unsubscribe.get_prefs,
        "The preference page's data: the masked address, the link's topic, each topic's"
        " state.",
        models.Prefs, (E.NOT_PAGE, E.BAD_TOKEN), params=(_TOKEN, _REQUESTED_WITH),
        security="none",
    ),
    Route(
        "POST", "/u/{token}/prefs", unsubscribe.set_prefs,
        "Unsubscribe, pause or resubscribe the link's recipient for a topic ('' for"
        " everything); answers the new state.",
        models.Prefs,
        (E.BAD_REQUEST, E.UNKNOWN_TOPIC, E.NOT_PAGE, E.BAD_TOKEN, E.UNSUPPORTED_MEDIA_TYPE),
        body=models.PrefsRequest, params=(_TOKEN, _REQUESTED_WITH), security="none",
    ),
)


def document() -> dict[str, Any]:
    """The OpenAPI document of ROUTES."""
    return api_spec.document(ROUTES)


def add_routes(app: web.Application) -> None:
    """Register every route of the table on app."""
    api_spec.add_routes(app, ROUTES)
