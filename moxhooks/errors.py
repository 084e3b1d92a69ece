"""The exception families and the one enum of API error codes.

One root; every API error renders as {"code", "message"}, its code an ErrorCode. The
OpenAPI document (web/api_spec.py), the pages (webui/errorcodes.js, generated from
here) and the docs all read the codes from ErrorCode.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """Every code an HTTP answer of moxhooks can carry, with its status and meaning.

    camelCase as mox's own codes; "user:" where mox's sherpa API says the caller is at
    fault in the same way (sign-in, session, permissions).
    """

    status: int
    description: str

    def __new__(cls, value: str, status: int, description: str) -> ErrorCode:
        member = str.__new__(cls, value)
        member._value_ = value
        member.status = status
        member.description = description
        return member

    BAD_REQUEST = "badRequest", 400, "a parameter or body member is missing or malformed"
    BAD_ADDRESS = "badAddress", 400, "the address is not valid (mox's parser's message)"
    BAD_EXPIRES = (
        "badExpires", 400, "expires is neither a duration nor an RFC 3339 time, or is past"
    )
    BAD_CSV = (
        "badCsv", 400, "the CSV file cannot be imported (no header, unknown column, not UTF-8)"
    )
    REASON_REQUIRED = "reasonRequired", 400, "a complaint entry is ended only with a reason"
    UNKNOWN_TOPIC = (
        "unknownTopic", 400,
        "send relay and preference page: the topic is not one of the account's"
        " accounts[].topics",
    )
    BAD_HEADER = (
        "badHeader", 400,
        "webhook: X-Mox-Webhook-ID or X-Mox-Webhook-Attempt is missing, repeated or not a"
        " whole number",
    )
    BAD_PAYLOAD = (
        "badPayload", 400, "webhook: the body is not a valid mox webhook payload (message says why)"
    )
    NO_AUTH = "user:noAuth", 401, "not signed in: no session cookie and no API token"
    BAD_AUTH = (
        "user:badAuth", 401,
        "the session has ended or is unknown, the X-CSRF-Token header is missing or wrong,"
        " or the API token is unknown; sign in again",
    )
    LOGIN_FAILED = "user:loginFailed", 401, "wrong email address or password"
    WEBHOOK_NO_AUTH = "noAuth", 401, "webhook: missing or wrong webhook secret"
    FORBIDDEN = (
        "user:forbidden", 403,
        "the caller may not do this: another account's data, an admin endpoint, or an"
        " account moxhooks does not manage",
    )
    NOT_PAGE = (
        "forbidden", 403,
        "preference page API: the X-Requested-With header is missing (the page sends it, a"
        " form of another site cannot)",
    )
    NOT_FOUND = (
        "notFound", 404,
        "no such account, entry, report message or hold rule; no such message sent by the"
        " account",
    )
    BAD_TOKEN = (
        "badToken", 404, "unsubscribe link: the token is not valid (unknown, changed or expired)"
    )
    METHOD_NOT_ALLOWED = "methodNotAllowed", 405, "the route has no such method"
    TIMEOUT = "timeout", 408, "webhook: the body did not arrive within server.body_timeout"
    ALREADY_SUPPRESSED = (
        "alreadySuppressed", 409,
        "an active entry for this base address and scope exists; member id names it",
    )
    ADMIN_DISABLED = (
        "adminDisabled", 409, "hold rules need the mox admin password in the configuration"
    )
    RECIPIENT_UNKNOWN = (
        "recipientUnknown", 409,
        "the recipient of the reported message is not known yet; nothing changed, try again"
        " later",
    )
    AMBIGUOUS_RECIPIENT = (
        "ambiguousRecipient", 409,
        "the reported message went to several recipients; name one in recipient",
    )
    SUPPRESSED = (
        "suppressed", 409,
        "send relay: every recipient is suppressed, nothing was sent; refused lists each with"
        " its kind",
    )
    TOO_LARGE = "tooLarge", 413, "the body is too large"
    UNSUPPORTED_MEDIA_TYPE = (
        "unsupportedMediaType", 415,
        "wrong Content-Type (application/json, or text/csv for import)",
    )
    MOX_REFUSED = (
        "moxRefused", 422,
        "mox refused the request as given (a field or value mox does not take, a send"
        " limit); message is mox's",
    )
    THROTTLED = "user:throttled", 429, "too many failed sign-ins; wait Retry-After seconds"
    SERVER = "server", 500, "an unexpected error; details are in moxhooks' log"
    MOX_ERROR = "moxError", 502, "mox failed the call on its own side; message is mox's"
    MOX_UNAVAILABLE = "moxUnavailable", 503, "mox cannot be reached now; try again later"
    UNAVAILABLE = "unavailable", 503, "the database is busy; try again later"
    HTTP_ERROR = (
        "httpError", 400,
        "another HTTP error from the server itself (the status says which)",
    )


class MoxhooksError(Exception):
    """Root of every error moxhooks raises on purpose."""


class ConfigError(MoxhooksError):
    """The configuration file is missing a key, has a bad value, or cannot be read."""


class SchemaTooNew(MoxhooksError):
    """The database was migrated by a newer moxhooks than this one; refusing to run on it."""


class ApiError(MoxhooksError):
    """An error answered to an HTTP client as {"code": ..., "message": ...}; the status is
    the code's unless given."""

    def __init__(self, code: ErrorCode, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = code.status if status is None else status


def webui_module() -> str:
    """webui/errorcodes.js: the codes for the pages, one spelling, from ErrorCode."""
    lines = [
        "// Generated from moxhooks/errors.py by `python -m moxhooks.errors`; do not edit.",
        "// The error codes of the API, by their names in moxhooks.errors.ErrorCode.",
        "export const ErrorCode = Object.freeze({",
        *(f'  {c.name}: "{c.value}",' for c in ErrorCode),
        "});",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(webui_module(), end="")
