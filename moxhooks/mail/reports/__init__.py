"""Parsing bounce and complaint messages: raw bytes -> ParsedReport. Pure, never raises.

`parse_report(raw)` reads one message as it arrived in a bounce mailbox and says what it is:

- ``dsn``: an RFC 3464 delivery status notification (``message/delivery-status``, or RFC 6533's
  ``message/global-delivery-status``), one recipient per per-recipient block;
- ``arf``: an RFC 5965 feedback report (``message/feedback-report``), and Microsoft's JMRP
  reports (a ``multipart/mixed`` from staff@hotmail.com with the complained-about message),
  which carry the same meaning without the standard part;
- ``bounce``: a non-standard bounce (qmail, Exim, Postfix without DSN, Sendmail, Exchange,
  Lotus Notes, GroupWise, Yahoo, AOL, ...): flufl.bounce finds the addresses and
  `reports_vendors` the sentence about each one;
- ``autoreply``: a vacation or out-of-office reply (RFC 3834 ``Auto-Submitted: auto-replied``,
  ``X-Autoreply``, "Out of Office"/"Automatic reply" subjects); the recipient is the sender of
  the autoreply, kind None: the address works;
- ``unparsed``: nothing recognised. Never an exception: any failure inside ends here too, with
  the reason in `problems`.

Recipients and kinds:

- A DSN recipient's address is its Original-Recipient when that is an address (what was sent
  to; the Final-Recipient may be an internal alias), else its Final-Recipient, without the
  "rfc822;" type and angle brackets, as written.
- Failed and delayed recipients (DSN and bounce) get a kind from
  `classify_failure(code, status, text)`: the SMTP code at the start of the Diagnostic-Code, the
  Status, and the Diagnostic-Code text (or the Status comment, or the vendor's sentence).
  A *failed* recipient whose evidence is temporary (kind ``transient``, or ``undetermined`` with
  a 4.x.x status) is ``expired``: a relay gave up after retrying, as `classify_event` does for
  mox's own failures. A *delayed* recipient is never a recipient-side hard kind: the relay is
  still trying, so nothing about the address is decided yet (``transient``); a cause its last
  reply names on another side stays (a full mailbox, throttling, a block of the sender); a
  Status of X.4.7 ("delivery time expired") says the relay gave up: ``expired``. Delivered, relayed and
  expanded recipients have kind None.
- ARF: ``abuse``, ``fraud``, ``virus``, ``other`` and unknown types are ``complaint``;
  ``opt-out`` and ``unsubscribe`` are ``unsubscribed``; ``not-spam`` and ``auth-failure`` /
  ``dmarc`` (RFC 6591 authentication failure reports, about our signatures, not the
  recipient's wish) have kind None, meaning "no action". The recipients are the report's
  Original-Rcpt-To fields, else its Removal-Recipient fields, else the addresses in the To of the
  reported message. Redacted placeholders without a domain are left out.

Bounded work: a part larger than 256 KiB is read to its first 256 KiB and the whole message to
its first 1 MiB (boundaries are kept, so the report parts after a huge text part still count),
so a 20 MB attachment costs a byte scan, not a parse.
"""

from __future__ import annotations

import email.header
import html
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from email.message import Message
from email.parser import BytesParser, HeaderParser
from email.policy import compat32
from typing import Final, Literal

from moxhooks.kinds import Kind
from moxhooks.mail.classify import RECIPIENT_HARD, classify_failure, still_being_tried
from moxhooks.mail.replywords import UNDELIVERED_FOR, Signal, read_signals
from moxhooks.mail.reports import vendors
from moxhooks.mail.reports.ses import JsonReport, read_json_report
from moxhooks.mail.reports.stage import continued_reply, stage_note

__all__ = ["ParsedRecipient", "ParsedReport", "ReportType", "parse_report", "stage_note"]

ReportType = Literal["dsn", "arf", "bounce", "autoreply", "unparsed"]

MAX_PART: Final = 256 * 1024  # bytes of one part (or of a non-MIME body) that are read
MAX_MESSAGE: Final = 1024 * 1024  # bytes of the whole message that are read
MAX_PARTS: Final = 200
MAX_RECIPIENTS: Final = 500
MAX_REASON: Final = 500
MAX_HEADER_VALUE: Final = 500
_MAX_SNIFF: Final = 64 * 1024

_ACTIONS: Final = frozenset({"failed", "delayed", "delivered", "relayed", "expanded"})
_COMPLAINT_TYPES: Final = frozenset({"abuse", "fraud", "virus", "other"})
_UNSUBSCRIBE_TYPES: Final = frozenset({"opt-out", "unsubscribe"})
_NO_ACTION_TYPES: Final = frozenset({"not-spam", "auth-failure", "dmarc"})
_HEADER_PARTS: Final = frozenset({
    "text/rfc822-headers", "text/rfc822-header", "message/rfc822-headers",
    "message/global-headers", "message/partial",
})
_MESSAGE_PARTS: Final = frozenset({"message/rfc822", "message/global"})
_DSN_PARTS: Final = frozenset({"message/delivery-status", "message/global-delivery-status"})


@dataclass(frozen=True)
class ParsedRecipient:
    """One recipient a report is about."""

    address: str  # as written, without "rfc822;" and angle brackets
    kind: Kind | None  # None: no failure (delivered, autoreply) or no action (not-spam)
    action: str  # failed, delayed, delivered, relayed, expanded, complaint, autoreply
    status: str = ""  # the enhanced status code, "5.1.1", or ""
    diagnostic: str = ""  # the Diagnostic-Code text or the vendor's sentence, short


@dataclass(frozen=True)
class ParsedReport:
    """What a bounce, complaint or autoreply message says."""

    type: ReportType
    recipients: tuple[ParsedRecipient, ...] = ()
    original_message_id: str | None = None  # "<id@host>" of the message that bounced
    original_headers: dict[str, str] = field(default_factory=dict)  # lowercased keys
    feedback_type: str | None = None  # ARF Feedback-Type, lowercased
    reporter: str = ""  # Reporting-MTA, ARF User-Agent, or the report's From
    reason: str = ""  # human-readable, at most ~500 characters
    problems: tuple[str, ...] = ()  # what was odd about the message


def parse_report(raw: bytes) -> ParsedReport:
    """Parse a bounce, complaint or autoreply. Pure and bounded; never raises."""
    problems: list[str] = []
    try:
        data = _as_bytes(raw, problems)
        return _parse(data, problems)
    except Exception as exc:  # never raise: the caller files the message as unparsed
        problems.append(f"internal error: {type(exc).__name__}")
        return ParsedReport(type="unparsed", problems=tuple(problems))


# --- Input ---------------------------------------------------------------------------------------


def _as_bytes(raw: object, problems: list[str]) -> bytes:
    if isinstance(raw, bytes):
        return raw
    if isinstance(raw, bytearray | memoryview):
        return bytes(raw)
    problems.append("input is not bytes")
    if isinstance(raw, str):
        return raw.encode("utf-8", "surrogateescape")
    return b""


# A line starting with "--" may be a MIME boundary; parts are cut between such lines.
_BOUNDARY_RE: Final = re.compile(rb"(?:\r\n|\r|\n)--")


def _trim(raw: bytes, problems: list[str]) -> bytes:
    """The message with every part cut to MAX_PART bytes and the whole to MAX_MESSAGE."""
    if len(raw) <= MAX_PART:
        return raw
    pieces: list[bytes] = []
    size = 0
    cut = False
    start = 0
    ends = [m.start() for m in _BOUNDARY_RE.finditer(raw, 1)] + [len(raw)]
    for end in ends:
        piece = raw[start:end]
        if len(piece) > MAX_PART:
            nl = piece.rfind(b"\n", MAX_PART - 4096, MAX_PART)  # end on a line if one is near
            piece = piece[: nl if nl > 0 else MAX_PART]
            cut = True
        pieces.append(piece)
        size += len(piece)
        start = end
        if size >= MAX_MESSAGE:
            problems.append(f"message too large, read the first {MAX_MESSAGE} bytes")
            break
    if cut:
        problems.append(f"part too large, read the first {MAX_PART} bytes")
    return b"".join(pieces)[:MAX_MESSAGE]


# --- Parts and text ------------------------------------------------------------------------------


def _parts(msg: Message) -> list[Message]:
    """The message's parts in order, not descending into attached messages or reports."""
    out: list[Message] = []
    todo = [msg]
    while todo and len(out) < MAX_PARTS:
        part = todo.pop()
        out.append(part)
        if part.get_content_maintype() == "multipart":
            payload = part.get_payload()
            if isinstance(payload, list):
                todo.extend(reversed([p for p in payload[:MAX_PARTS] if isinstance(p, Message)]))
    return out


def _decode(data: bytes, charset: str | None) -> str:
    if b"\x1b$B" in data[:_MAX_SNIFF] and (charset or "").lower() in ("", "us-ascii", "ascii"):
        charset = "iso-2022-jp"  # Japanese bounces that do not say so
    try:
        return data.decode(charset or "utf-8", "replace")
    except (LookupError, ValueError):
        return data.decode("utf-8", "replace")


_HTML_BREAK_RE: Final = re.compile(r"<(?:br|/?p|/?div|/?tr|/?li|/?h[1-6]|/?pre|/?table|hr)\b[^<>]{0,2000}>", re.I)


def _text(part: Message) -> str:
    """A leaf part's decoded text, at most MAX_PART characters."""
    payload = part.get_payload()
    if isinstance(payload, list):  # message/* parsed into sub-messages
        return "\n\n".join(_headers_text(p) for p in payload[:50] if isinstance(p, Message))
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return ""
    if part.get_content_maintype() == "multipart":  # its boundary never came: read it as text
        return _decode(data[:MAX_PART], None).replace("\r\n", "\n").replace("\r", "\n")
    text = _decode(data[:MAX_PART], part.get_content_charset())
    if part.get_content_subtype() == "html":
        # Block-level tags end a line, as the text part of the same report would: a bounce's
        # words about one address stay apart from the next address and the returned headers.
        text = html.unescape(re.sub(r"<[^<>]{0,2000}>", " ", _HTML_BREAK_RE.sub("\n", text)))
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _headers_text(block: Message) -> str:
    # A DSN's fields are not RFC 2047 text: only a value compat32 left as a Header is decoded.
    lines = [f"{k}: {v if isinstance(v, str) else _header_value(v)}" for k, v in block.items()]
    body = block.get_payload(decode=True)  # bytes as they came: 8-bit text stays UTF-8
    if isinstance(body, bytes) and body.strip():
        lines.append(_decode(body[:MAX_PART], None))
    return _unescape("\n".join(lines))


def _unescape(text: str) -> str:
    """compat32 keeps 8-bit header bytes as surrogates: read them as UTF-8."""
    if not any("\udc80" <= c <= "\udcff" for c in text):
        return text
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


_MIME_LINE_RE: Final = re.compile(
    r"(?im)^(?:content-[\w-]+:.*|\s*boundary=.*|--[-=_.\w]{6,}(?:--)?\s*|this is a multi-?part message.*)$"
)


def _human_text(parts: list[Message]) -> str:
    """The report's own words: its text parts, outside attached messages and report parts."""
    texts: list[str] = []
    size = 0
    for part in parts:
        broken = part.is_multipart() is False and part.get_content_maintype() == "multipart"
        if (part.get_content_maintype() != "text" and not broken) or (
            part.get_content_type() in _HEADER_PARTS
        ):
            continue
        if part.get_content_type() == "text/html" and texts:
            continue  # the plain alternative said it already
        text = _text(part)
        if broken:
            # A multipart whose boundary could not be read comes as its raw body: its MIME
            # lines (boundaries, Content-* fields) are structure, nobody's words ("charset").
            text = _MIME_LINE_RE.sub("", text)
        texts.append(text)
        size += len(text)
        if size >= MAX_PART:
            break
    return "\n\n".join(texts)[:MAX_PART]


def _one_line(text: str, limit: int = MAX_REASON) -> str:
    return " ".join(text.split())[:limit]


def _header(msg: Message, name: str) -> str:
    """A header of the report, RFC 2047-decoded, on one line."""
    value = msg.get(name)
    if value is None:
        return ""
    return _one_line(_header_value(value), MAX_HEADER_VALUE)


def _header_value(value: object) -> str:
    """A header's value as text: RFC 2047 words decoded, and a Header object (raw 8-bit bytes
    compat32 could not decode) read as UTF-8, the charset RFC 6532 and RFC 6533 give them."""
    try:
        chunks = email.header.decode_header(value if isinstance(value, str) else value)  # type: ignore[arg-type]
        text = "".join(
            _decode(c, cs) if isinstance(c, bytes) and cs != "unknown-8bit"
            else _decode(c, "utf-8") if isinstance(c, bytes) else c
            for c, cs in chunks
        )
    except Exception:  # malformed encoded words: the raw value is better than nothing
        text = str(value)
    return _unescape(text)


# --- Fields (DSN and ARF) --------------------------------------------------------------------------

_FIELD_RE: Final = re.compile(r"([A-Za-z][A-Za-z0-9-]{0,60})[ \t]*:[ \t]*(.*)")
_TYPE_PREFIX_RE: Final = re.compile(r"^\s*[A-Za-z0-9.+-]{1,30}\s*;\s*")
# Not the first three numbers of an IP address ("[4.79.181.168]").
_STATUS_RE: Final = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?!\d|\.\d)")
# The reply code of a diagnostic: at its start, after a relay's "said:" (or Postfix's "refused
# to talk to me:" for a greeting), a transcript's "<<<", Exim's "after RCPT TO:<b@y>:" or "after
# end of data:", words that introduce the remote server's answer ("The response from the remote
# server was:", Sendmail's "(reason: 550 ...)"), Exchange's "#550 5.1.1 ... ##" and "Remote
# Server returned '550 ...'", or opening a bracketed reply ("[550 5.1.1 User unknown]"). Not the
# first number of a bracketed IP address ("[203.0.113.1]") nor a server's reference ("[416]").
_CODE_RE: Final = re.compile(
    r"^\s*#?([245]\d\d)(?=[\s-]|$)|(?:said:|refused to talk to me:|<<<|error[ _]code\s*:?|\bafter [^:\n]{1,40}:(?:<[^>\n]{0,300}>[^:\n]{0,60}:)?)"
    r"\s*([245]\d\d)(?!\d)|(?:\[|\s#|\b(?:response|reply|answer|reason)\b[^:\n]{0,40}:\s*|\bremote server returned ')"
    r"([245]\d\d)(?=[\s-])", re.I
)
# Evidence the classifier's tables do not weigh, checked by `failure_kind` around it:
# mail loops are nobody's fault ("Too many hops" is not pacing), Postfix's "Host not found,
# try again" is a temporary DNS failure, and these phrases mean a relay gave up after retrying.
_LOOP_RE: Final = re.compile(r"too many hops|hop count|mail(?:ing)? loop|routing loop|loop detected", re.I)
_TEMP_DNS_RE: Final = re.compile(r"host not found, try again|name service error.{0,80}try again"
                                  r"|malformed (?:or unexpected )?name server reply", re.I)
_UNDELIVERED_FOR_RE: Final = re.compile(UNDELIVERED_FOR, re.I)
_GAVE_UP_RE: Final = re.compile(
    r"not (?:been )?delivered (?:with)?in \d+|failed \d+ attempts|in the queue too long"
    r"|cannot send (?:the )?message (?:for|in) \d+|could not be delivered for \d+|delivery time expired"
    r"|retry time(?:out)? (?:exceeded|expired)|message expired|envelope expired|too long in (?:the )?queue", re.I,
)


def _fields(block: str) -> list[tuple[str, str]]:
    """(lowercased name, unfolded value) for each field of a header-like block."""
    out: list[tuple[str, str]] = []
    for line in block.split("\n")[:400]:
        if line[:1] in (" ", "\t"):
            if out:
                out[-1] = (out[-1][0], f"{out[-1][1]} {line.strip()}".strip())
            continue
        m = _FIELD_RE.match(line)
        if m:
            out.append((m[1].lower(), m[2].strip()))
    return out


def _strip_type(value: str) -> str:
    return _TYPE_PREFIX_RE.sub("", value, count=1).strip()


def _address(value: str) -> str:
    """The address in a recipient field, as written; "" if there is none.

    The field holds one address after its type ("rfc822; a=b#c@example.org"): taken whole
    when it is one word with an @, so that local parts with "=", "#" and the like (VERP)
    stay intact; otherwise the first address-looking word in it."""
    whole = _strip_type(value).strip().strip("<>").strip()
    if "@" in whole and len(whole) <= 320 and not any(c.isspace() or c in "<>()," for c in whole):
        return whole
    return vendors.find_address(_strip_type(value))


def _status(value: str) -> str:
    m = _STATUS_RE.search(value)
    return f"{m[1]}.{int(m[2])}.{int(m[3])}" if m else ""


def _smtp_code(text: str) -> int:
    m = _CODE_RE.search(text)
    return int(m[1] or m[2] or m[3]) if m else 0


# Our own SMTP commands echoed in a reply ("after MAIL FROM:<a@b> SIZE=1543:") are not the
# server's words; "SIZE=" would read as a size problem.
_ECHO_RE: Final = re.compile(r"(?i)(?:mail from|rcpt to):\s*<[^>]{0,300}>(?:\s+[A-Z-]+=\S*)*")
# Exim's "after RCPT TO:<a@example.org>:" says the stage: kept, as Postfix's note after the reply.
_AFTER_ECHO_RE: Final = re.compile(r"(?i)\bafter (?:pipelined )?(mail from|rcpt to):\s*<[^>]{0,300}>(?:\s+[A-Z-]+=\S*)*:?")


# What a relay writes in Status when the reply it got had no enhanced code: Sendmail's
# smtptodsn() table (550 "mailbox unavailable" becomes 5.1.1, 553 becomes 5.1.3, ...). Such a
# Status is the relay's translation of the reply code, not the receiving server's verdict.
_TRANSLATED_STATUS: Final = {550: "5.1.1", 551: "5.1.6", 552: "5.2.2", 553: "5.1.3", 554: "5.0.0"}


def _remote_status(code: int, status: str, text: str) -> str:
    """The enhanced code to classify by: the remote reply's own before the relay's Status."""
    own = _status(text)
    if own and not own.endswith(".0.0"):
        return own  # the receiving server said it itself
    if status and code and _TRANSLATED_STATUS.get(code) == status:
        return own  # the Status only restates the reply code
    return status


def failure_kind(action: str, code: int, status: str, text: str) -> Kind:
    """The kind of a failed or delayed recipient; see the module docstring."""
    after = _AFTER_ECHO_RE.search(text[:8192])
    text = _ECHO_RE.sub(" ", text[:8192]) + (f" (in reply to {after[1].upper()} command)" if after else "")
    status = _remote_status(code, status, text)
    if _LOOP_RE.search(text):
        return Kind.TRANSIENT if action == "delayed" else Kind.UNDETERMINED
    kind = Kind.TRANSIENT if _TEMP_DNS_RE.search(text) else classify_failure(code, status, text)
    if action == "failed" and kind in (Kind.TRANSIENT, Kind.UNDETERMINED) and _GAVE_UP_RE.search(text):
        return Kind.EXPIRED
    if action == "failed":
        temporary = status.startswith("4.") or (not status and code // 100 == 4)
        # A relay that gave up on temporary errors (its Status 4.x.x, or none): expired. A
        # permanent Status says it failed at once, not that its queue ran out (LABELLING.md F4).
        if (kind is Kind.TRANSIENT and not status.startswith("5.")) or (kind is Kind.UNDETERMINED and temporary):
            return Kind.EXPIRED
    elif action == "delayed":
        if status[1:] == ".4.7" and (_GAVE_UP_RE.search(text)
                                     or Signal.EXPIRED in read_signals(_UNDELIVERED_FOR_RE.sub(" ", text)).strong):
            # RFC 3463's X.4.7, "delivery time expired", with words that say so: the relay gave
            # up, whatever its Action field says (OpenSMTPD's "Envelope expired" is "delayed").
            # Without them, X.4.7 in a delay notice only says it has been a while.
            return Kind.EXPIRED
        return still_being_tried(kind)
    return kind


# --- The parse ----------------------------------------------------------------------------------------


@dataclass
class _Context:
    msg: Message
    parts: list[Message]
    text: str  # the report's own words
    problems: list[str]
    eight_bit: bool  # the message has bytes beyond ASCII


def _parse(raw: bytes, problems: list[str]) -> ParsedReport:
    data = _trim(raw, problems)
    msg = BytesParser(policy=compat32).parsebytes(data)
    if msg.get("content-type") is None and msg.get("mime-version") is None:
        problems.append("not MIME")
    return _analyse(msg, problems, forwarded=False, eight_bit=not data.isascii())


def _analyse(msg: Message, problems: list[str], forwarded: bool, eight_bit: bool) -> ParsedReport:
    parts = _parts(msg)
    for part in parts:
        if any(type(d).__name__ in ("CloseBoundaryNotFoundDefect", "StartBoundaryNotFoundDefect")
               for d in getattr(part, "defects", ())):
            problems.append("truncated report")
            break
    ctx = _Context(msg, parts, _human_text(parts), problems, eight_bit)
    types = {p.get_content_type() for p in parts}
    report_type = ""
    if msg.get_content_type() == "multipart/report":
        report_type = str(msg.get_param("report-type", "", "content-type") or "").lower()

    if types & _DSN_PARTS:
        report = _dsn(ctx)
    elif "message/feedback-report" in types or report_type == "feedback-report":
        report = _arf(ctx)
    elif vendors.is_jmrp(msg, _header(msg, "from"), _header(msg, "subject")):
        report = _jmrp(ctx)
    elif (inner := None if forwarded else _forwarded_report(ctx)) is not None:
        return inner
    elif (notification := read_json_report(ctx.text)) is not None:
        report = _json_report(notification)
    elif _autoreply(msg, strong=True):
        report = _autoreply_report(ctx)
    else:
        if report_type == "delivery-status":
            problems.append("truncated report")  # a DSN without its delivery-status part
        report = _text_dsn(ctx) or _bounce(ctx, "bounce")
        if not report.recipients:
            if _autoreply(msg, strong=False):
                report = _autoreply_report(ctx)
            elif not (report_type or _says_undelivered(ctx) or vendors.looks_like_bounce(
                _header(msg, "from"), _header(msg, "subject")
            )):
                report = ParsedReport(type="unparsed")
    return _finish(ctx, report)


def _forwarded_report(ctx: _Context) -> ParsedReport | None:
    """A DSN or ARF report that a gateway forwarded as an attachment, parsed; or None."""
    for part in ctx.parts:
        if part.get_content_type() not in _MESSAGE_PARTS:
            continue
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        if isinstance(inner, Message) and inner.get_content_type() == "multipart/report":
            report = _analyse(inner, ctx.problems, forwarded=True, eight_bit=ctx.eight_bit)
            if report.type in ("dsn", "arf"):
                ctx.problems.append("report forwarded as an attachment")
                return replace(report, problems=tuple(dict.fromkeys(ctx.problems)))
    return None


_DS_FIELD_RE: Final = re.compile(r"(?im)^(?:reporting-mta|final-recipient|original-recipient)[ \t]*:")
_DS_PART_RE: Final = re.compile(r"(?im)^content-type:[ \t]*message/(?:global-)?delivery-status")


def _text_dsn(ctx: _Context) -> ParsedReport | None:
    """Delivery-status fields in the text of a message whose MIME structure lost them."""
    start = _DS_FIELD_RE.search(ctx.text)
    if start is None:
        return None
    report = _dsn_from_text(ctx, ctx.text[start.start():start.start() + 64 * 1024], fallback=False)
    if not report.recipients:
        return None
    if _DS_PART_RE.search(ctx.text):  # the part is there, its MIME boundary is broken
        return report
    return replace(report, type="bounce")


def _finish(ctx: _Context, report: ParsedReport) -> ParsedReport:
    """Fill in what every type shares: the original message, the reporter, the problems."""
    headers, mid = _original(ctx) if report.type != "unparsed" else ({}, None)
    if report.type != "unparsed" and not report.recipients:
        ctx.problems.append("no recipient found")
    reporter = report.reporter or vendors.find_address(_header(ctx.msg, "from"))
    if report.type == "autoreply":  # In-Reply-To names the message the autoreply answers
        mid = vendors.message_id(_header(ctx.msg, "in-reply-to")) or mid
    mid = report.original_message_id or mid  # a JSON notification names it itself
    return ParsedReport(
        type=report.type,
        recipients=report.recipients[:MAX_RECIPIENTS],
        original_message_id=mid,
        original_headers=headers,
        feedback_type=report.feedback_type,
        reporter=reporter[:200] if report.type != "unparsed" else "",
        reason=_one_line(report.reason),
        problems=tuple(dict.fromkeys(ctx.problems)),
    )


def _original(ctx: _Context) -> tuple[dict[str, str], str | None]:
    """The original message's interesting headers and its Message-ID."""
    block: Message | None = None
    for part in ctx.parts:
        ctype = part.get_content_type()
        if part is not ctx.msg and "message-id" in part and ctype not in _MESSAGE_PARTS:
            block = part  # the original message is the part itself (it lost its wrapper)
        elif ctype in _MESSAGE_PARTS:
            payload = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                block = payload[0]
                inner = block.get_payload()
                if not len(block) and isinstance(inner, str):  # a blank line before its headers
                    block = HeaderParser(policy=compat32).parsestr(inner.lstrip()[:MAX_PART], headersonly=True)
            else:
                data = part.get_payload(decode=True)
                if isinstance(data, bytes):
                    block = BytesParser(policy=compat32).parsebytes(data[:MAX_PART], headersonly=True)
        elif ctype in _HEADER_PARTS:
            block = HeaderParser(policy=compat32).parsestr(_text(part).lstrip(), headersonly=True)
        if block is not None and len(block):
            break
    else:
        block = vendors.quoted_headers(ctx.text)
    headers: dict[str, str] = {}
    if block is not None:
        for name in block.keys()[:200]:
            key = name.strip().lower()
            if key in ("from", "to", "subject", "message-id", "return-path") or key.startswith("x-"):
                if key not in headers and len(headers) < 50:
                    headers[key] = _header(block, name)
    mid = vendors.message_id(headers.get("message-id", ""))
    if mid is None:
        mid = vendors.message_id(_header(ctx.msg, "in-reply-to"))
    if mid is None:
        mid = vendors.quoted_message_id(ctx.text)
    if mid is None:
        refs = _header(ctx.msg, "references").split()
        mid = vendors.message_id(refs[-1]) if refs else None
    return headers, mid


def _dsn(ctx: _Context) -> ParsedReport:
    text = "\n\n".join(
        _ds_text(p) for p in ctx.parts if p.get_content_type() in _DSN_PARTS
    )
    return _dsn_from_text(ctx, text, fallback=True)


def _dsn_from_text(ctx: _Context, text: str, fallback: bool) -> ParsedReport:
    per_message: dict[str, str] = {}
    records: list[dict[str, str]] = []
    for block in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n").replace("\r", "\n")):
        current: dict[str, str] | None = None
        block_fields = _fields(block)
        has_recipient = any(
            n in ("final-recipient", "original-recipient", "action") for n, _ in block_fields
        )
        for name, value in block_fields:
            if not has_recipient:
                per_message.setdefault(name, value)
                continue
            if current is None or (name in ("final-recipient", "original-recipient") and name in current):
                current = {}
                records.append(current)
            current.setdefault(name, value)
        if len(records) >= MAX_RECIPIENTS:
            break
    recipients: list[ParsedRecipient] = []
    for rec in records:
        recipient = _dsn_recipient(ctx, rec)
        if recipient is not None and recipient.address.lower() not in {
            r.address.lower() for r in recipients
        }:
            recipients.append(recipient)
    if not records and fallback:
        ctx.problems.append("truncated report")
        recipients = list((_text_dsn(ctx) or _bounce(ctx, "dsn")).recipients)
    recipients = _others_reply(recipients)
    reporter = _strip_type(per_message.get("reporting-mta", ""))
    failed = [r for r in recipients if r.action == "failed"] or recipients
    reason = failed[0].diagnostic if failed else _one_line(ctx.text)
    return ParsedReport(type="dsn", recipients=tuple(recipients), reporter=reporter, reason=reason)


# The address a reply names in its slot, after its codes: "550 5.1.1 <a@b>: ...", "<a@b>... ".
_REPLY_ADDRESS_RE: Final = re.compile(r"^\s*[245]\d\d[ -](?:[245]\.\d{1,3}\.\d{1,3} )?<([^<>\s]+@[^<>\s]+)>(?::|\.\.\.)")


def _others_reply(recipients: list[ParsedRecipient]) -> list[ParsedRecipient]:
    """Recipients whose reply names another failed recipient of the same report: that one's
    verdict, copied to every recipient of a message the relay gave up on as a whole
    (nullmailer fails the message for one refused RCPT TO), is no verdict on this address."""
    failed = {r.address.lower() for r in recipients if r.action == "failed"}
    out = []
    for r in recipients:
        named = _REPLY_ADDRESS_RE.match(r.diagnostic)
        if (r.kind in RECIPIENT_HARD and named and named[1].lower() != r.address.lower()
                and named[1].lower() in failed):
            r = replace(r, kind=Kind.UNDETERMINED)
        out.append(r)
    return out


def _ds_text(part: Message) -> str:
    text = _text(part)
    payload = part.get_payload()
    cte = str(part.get("content-transfer-encoding", "")).strip().lower()
    if isinstance(payload, list) and cte in ("base64", "quoted-printable"):
        text = vendors.decode_transfer(text, cte)  # compat32 parsed the encoded text as fields
    return text


def _words_address(ctx: _Context) -> str:
    """The one failed address a report names outside its DSN fields, or "": Exim's
    X-Failed-Recipients, else the one address of the report's own words that is not ours."""
    failed = vendors.addresses_in(_header(ctx.msg, "x-failed-recipients"))
    if len(failed) == 1:
        return failed[0]
    if failed:
        return ""
    exclude = {a for h in ("from", "to", "cc", "reply-to", "sender", "return-path")
               for a in vendors.addresses_in(_header(ctx.msg, h))}
    headers, _ = _original(ctx)
    exclude.update(vendors.addresses_in(headers.get("from", "")))
    named = {a.lower(): a for a, _ in vendors.generic_addresses(ctx.text, exclude)}
    return next(iter(named.values())) if len(named) == 1 else ""


def _dsn_recipient(ctx: _Context, rec: dict[str, str]) -> ParsedRecipient | None:
    address = _address(rec.get("original-recipient", "")) or _address(rec.get("final-recipient", ""))
    if not address.partition("@")[0]:
        # A recipient field with no address in it (Exim's mailbox path
        # "rfc822;/mail/spool/...", Sendmail's "@mx.example.org"): the address the report
        # names elsewhere, when it names exactly one.
        address = _words_address(ctx)
    if not address:
        value = rec.get("final-recipient") or rec.get("original-recipient") or ""
        ctx.problems.append(f"recipient without address: {_one_line(value, 80)}")
        return None
    status_field = rec.get("status", "")
    status = _status(status_field)
    diagnostic = continued_reply(ctx.text, _strip_type(rec.get("diagnostic-code", "")))
    if not diagnostic:  # "5.0.0 (recipient reached disk quota)": the comment is the reason
        comment = re.search(r"\((.*)\)", status_field)
        diagnostic = comment[1].strip() if comment else ""
    if not diagnostic:
        diagnostic = vendors.reason_near(ctx.text, address)
    action = rec.get("action", "").strip().lower().split(" ")[0] if rec.get("action") else ""
    if action not in _ACTIONS:
        action = {"2": "delivered", "4": "delayed"}.get(status[:1], "failed")
    kind: Kind | None = None
    if action in ("failed", "delayed"):
        evidence = f"{diagnostic} {stage_note(ctx.text, diagnostic)}".strip()
        kind = failure_kind(action, _smtp_code(diagnostic), status, evidence)
        if kind in _OURS_READ_AGAIN and (ours := _ours_named(ctx, evidence, address)) != evidence:
            kind = failure_kind(action, _smtp_code(diagnostic), status, ours)
    return ParsedRecipient(address, kind, action, status, _one_line(diagnostic))


def _arf(ctx: _Context) -> ParsedReport:
    fields: list[tuple[str, str]] = []
    for part in ctx.parts:
        if part.get_content_type() == "message/feedback-report":
            fields += _fields(_text(part).replace("\r\n", "\n"))
    first = {n: v for n, v in reversed(fields)}
    ftype = first.get("feedback-type", "").strip().lower().split(" ")[0] or None
    if ftype is None:
        ctx.problems.append("truncated report")
    elif ftype not in _COMPLAINT_TYPES | _UNSUBSCRIBE_TYPES | _NO_ACTION_TYPES:
        ctx.problems.append(f"unknown feedback type: {ftype[:40]}")
    kind: Kind | None = Kind.COMPLAINT
    if ftype in _UNSUBSCRIBE_TYPES:
        kind = Kind.UNSUBSCRIBED
    elif ftype in _NO_ACTION_TYPES:
        kind = None
    addresses = [_address(v) for n, v in fields if n == "original-rcpt-to"]
    if not any(addresses):
        addresses = [_address(v) for n, v in fields if n == "removal-recipient"]
    if not any(addresses):
        addresses = _original_to(ctx)
    recipients = _unique(ParsedRecipient(a, kind, "complaint") for a in addresses if a)
    reporter = first.get("user-agent") or _strip_type(first.get("reporting-mta", ""))
    return ParsedReport(
        type="arf", recipients=recipients, feedback_type=ftype, reporter=reporter,
        reason=_one_line(ctx.text),
    )


def _jmrp(ctx: _Context) -> ParsedReport:
    addresses: list[str] = []
    for part in ctx.parts:
        if part.get_content_type() in _MESSAGE_PARTS:
            payload = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                addresses += [_address(str(v)) for v in payload[0].get_all("x-hmxmroriginalrecipient", [])]
    if not any(addresses):
        addresses = _original_to(ctx)
    recipients = _unique(ParsedRecipient(a, Kind.COMPLAINT, "complaint") for a in addresses if a)
    return ParsedReport(
        type="arf", recipients=recipients, feedback_type="abuse",
        reporter=vendors.find_address(_header(ctx.msg, "from")),
        reason=_header(ctx.msg, "subject"),
    )


def _json_report(n: JsonReport) -> ParsedReport:
    """An SES notification (`reports_json`) as a report: a bounce, a complaint, or nothing."""
    recipients: list[ParsedRecipient] = []
    if n.type == "complaint":
        kind = Kind.COMPLAINT if n.feedback_type in _COMPLAINT_TYPES else None
        if n.feedback_type in _UNSUBSCRIBE_TYPES:
            kind = Kind.UNSUBSCRIBED
        recipients = [ParsedRecipient(r.address, kind, "complaint") for r in n.recipients]
        return ParsedReport(type="arf", recipients=_unique(recipients), feedback_type=n.feedback_type,
                            reporter=n.reporter, original_message_id=n.message_id)
    if n.type != "bounce":
        return ParsedReport(type="unparsed")
    for r in n.recipients:
        diagnostic = _strip_type(r.diagnostic)
        status = _status(r.status) or _status(diagnostic)
        kind = failure_kind("failed", _smtp_code(diagnostic), status, diagnostic)
        if not diagnostic and not r.status and r.fallback is not None:
            kind = r.fallback
        elif kind is Kind.UNDETERMINED and r.fallback is not None:
            kind = r.fallback
        recipients.append(ParsedRecipient(r.address, kind, "failed", status, _one_line(diagnostic)))
    reason = recipients[0].diagnostic if recipients else ""
    return ParsedReport(type="bounce", recipients=_unique(recipients), reporter=n.reporter,
                        original_message_id=n.message_id, reason=reason)


def _original_to(ctx: _Context) -> list[str]:
    headers, _ = _original(ctx)
    return vendors.addresses_in(headers.get("to", ""))


def _autoreply(msg: Message, strong: bool) -> bool:
    return vendors.is_autoreply(
        {k.lower(): _one_line(str(v), 200) for k, v in msg.items()[:200]},
        _header(msg, "subject"), _header(msg, "from"), strong,
    )


def _autoreply_report(ctx: _Context) -> ParsedReport:
    sender = vendors.find_address(_header(ctx.msg, "from"))
    recipients = (ParsedRecipient(sender, None, "autoreply"),) if sender else ()
    return ParsedReport(
        type="autoreply", recipients=recipients, reporter=sender,
        reason=_header(ctx.msg, "subject"),
    )


# A report's own words that the delivery failed (not merely the word "bounce").
_UNDELIVERED_RE: Final = re.compile(
    r"(?:could|can)(?:not|n't| not) be delivered|undeliverable|was not delivered"
    r"|delivery (?:has )?failed|failed to deliver|unable to deliver|delivery to the following", re.I,
)


# Kinds read again when the reply names our own address in its slot: a recipient-side verdict
# or none may be about our sender ("550 5.7.1 <bounces@example.net>... Access denied").
_OURS_READ_AGAIN: Final = RECIPIENT_HARD | {Kind.UNDETERMINED}


def _ours_named(ctx: _Context, text: str, recipient: str) -> str:
    """text with our own addresses, where a reply names the address it answers about
    ("<a@b>...", "<a@b>:"), written as "the sender address".

    Ours are the returned message's From and Return-Path and the address the report was sent
    to. A reply about our envelope sender ("550 5.7.1 <bounces-123@example.net>... Access
    denied") is about us, not the recipient, whatever its code says; the classifier reads it so
    once the address is called what it is. The recipient's own address is never replaced."""
    headers, _ = _original(ctx)
    ours = {a.lower() for h in ("from", "return-path") for a in vendors.addresses_in(headers.get(h, ""))}
    ours.update(a.lower() for a in vendors.addresses_in(_header(ctx.msg, "to")))
    ours.discard(recipient.lower())
    for address in ours:
        if "@" in address:
            text = re.sub(rf"<{re.escape(address)}>(?=\.\.\.|:)", "<the sender address>", text, flags=re.I)
    return text


def _says_undelivered(ctx: _Context) -> bool:
    """Whether the message returns ours and its own first words say it was not delivered.

    A bounce is known by its structure as much as by its From and Subject (KDDI's come from
    "no-reply@" with the Subject "Mail"): the returned message, or its headers, beside words
    of the report's own that say the delivery failed."""
    returned = any(p.get_content_type() in ("message/rfc822", "text/rfc822-headers") for p in ctx.parts)
    return returned and _UNDELIVERED_RE.search(ctx.text[:1000]) is not None


def _bounce(ctx: _Context, rtype: ReportType) -> ParsedReport:
    found = vendors.bounce_addresses(ctx.msg, ctx.eight_bit, ctx.problems)
    if not found and (rtype == "dsn" or _says_undelivered(ctx) or vendors.looks_like_bounce(
        _header(ctx.msg, "from"), _header(ctx.msg, "subject")
    )):
        exclude = {a for h in ("from", "to", "cc", "reply-to", "sender", "return-path")
                   for a in vendors.addresses_in(_header(ctx.msg, h))}
        headers, _ = _original(ctx)
        exclude.update(vendors.addresses_in(headers.get("from", "")))
        found = vendors.generic_addresses(ctx.text, exclude)
        to = [a for a in vendors.addresses_in(headers.get("to", "")) if a.lower() not in exclude]
        if not found and len(to) == 1:
            # The bounce's words name no address ("Message could not be delivered to mobile"):
            # the message it returns was sent to one address, and that is the one that failed.
            found = [(to[0], "failed")]
    recipients: list[ParsedRecipient] = []
    for address, action in found:
        reason = vendors.reason_near(ctx.text, address)
        status = _status(reason)
        evidence = f"{reason} {stage_note(ctx.text, reason)}".strip()
        kind = failure_kind(action, _smtp_code(reason), status, evidence)
        if kind in _OURS_READ_AGAIN and (ours := _ours_named(ctx, evidence, address)) != evidence:
            kind = failure_kind(action, _smtp_code(reason), status, ours)
        if kind is Kind.UNDETERMINED and not re.search(r"(?<![\w.:])[45]\d\d(?:[ -]|$)", reason):
            # Nothing about this address (a reply to it is a verdict, even an open one): what
            # the whole text says.
            head = vendors.report_head(ctx.text)
            kind = failure_kind(action, _smtp_code(head), _status(head), head)
        recipients.append(ParsedRecipient(address, kind, action, status, _one_line(reason)))
    reason = recipients[0].diagnostic if recipients else ""
    return ParsedReport(
        type=rtype, recipients=_unique(recipients),
        reason=reason or _one_line(vendors.report_head(ctx.text)),
    )


def _unique(recipients: Iterable[ParsedRecipient]) -> tuple[ParsedRecipient, ...]:
    out: dict[str, ParsedRecipient] = {}
    for r in recipients:
        out.setdefault(r.address.lower(), r)
    return tuple(out.values())
