"""Non-standard bounce formats and the small text helpers `reports` shares.

The addresses of a non-standard bounce (qmail, Exim, Postfix without DSN, Sendmail, Exchange,
Lotus Notes, GroupWise, Yahoo, AOL, Netscape, SMTP32, ...) come from flufl.bounce, GNU
Mailman's bounce detectors; the sentence about each address is read here, from the lines around
the address, and classified by the caller. All functions are pure and bounded, and none raises on
odd input (flufl.bounce's detectors are guarded).
"""

from __future__ import annotations

import base64
import binascii
import quopri
import re
from email.header import decode_header
from email.message import Message
from email.parser import HeaderParser
from email.policy import compat32
from email.utils import getaddresses
from itertools import islice
from typing import Final

from flufl.bounce import all_failures

from moxhooks.mail.reports.stage import unquoted

__all__ = [
    "addresses_in", "bounce_addresses", "decode_transfer", "find_address", "generic_addresses",
    "is_autoreply",
    "is_jmrp", "looks_like_bounce", "message_id", "quoted_headers", "quoted_message_id",
    "reason_near", "report_head",
]

_MAX_SCAN: Final = 256 * 1024

# An address as it appears in bounces: no spaces, brackets or quotes; a dot-less domain is
# allowed ("user@localhost"), a missing domain is not ("redacted@").
_ADDRESS_RE: Final = re.compile(r"[^\s<>()\[\],;:\"'@=]{1,200}@[\w\[][\w.\-\]:]{0,250}")
_MSGID_RE: Final = re.compile(r"<([^<>\s]{1,250}@[^<>\s]{1,250})>|([^<>\s@]{1,250}@[^<>\s@]{1,250})")


def find_address(text: str) -> str:
    """The first address in text, as written, without brackets and trailing dots; or ""."""
    m = _ADDRESS_RE.search(text[:2000])
    return m[0].rstrip(".-:") if m else ""


def addresses_in(header: str) -> list[str]:
    """The addresses of an address header (To, From), skipping names and placeholders."""
    try:
        pairs = getaddresses([header[:2000]])
    except Exception:  # a broken header names nobody
        return []
    return [a for a in (find_address(addr) for _, addr in pairs) if a]


def message_id(value: str) -> str | None:
    """A Message-ID as "<left@right>", or None when value holds none."""
    m = _MSGID_RE.search(value[:1000])
    if not m:
        return None
    return f"<{(m[1] or m[2]).strip()}>"


_QUOTED_MSGID_RE: Final = re.compile(r"(?im)^[ \t>]*message-id:[ \t]*(\S+)")


def quoted_message_id(text: str) -> str | None:
    """The Message-ID of the original message as quoted in a bounce's text, or None."""
    m = _QUOTED_MSGID_RE.search(text[:_MAX_SCAN])
    return message_id(m[1]) if m else None


_HEADER_START_RE: Final = re.compile(
    r"(?im)^(?:return-path|received|from|message-id|date|subject|to|x-[\w-]+):[ \t]*\S"
)
# Where a bounce starts quoting the original message.
_QUOTE_MARK_RE: Final = re.compile(
    r"(?im)^[ \t>|]*[-=_*]*[ \t]*(?:original message|(?:below|under) this line|this is a copy"
    r"|unsent message|returned (?:mail|message)|message header|original message follows"
    r"|the header of the original|text of the message|copy of the message|message text follows"
    r"|undelivered message|returned message)"
)


def quoted_headers(text: str) -> Message | None:
    """The header block of an original message quoted in a non-MIME bounce, or None."""
    mark = _QUOTE_MARK_RE.search(text[:_MAX_SCAN])
    rest = text[mark.end():_MAX_SCAN] if mark else ""
    start = _HEADER_START_RE.search(rest)
    if start is None or start.start() > 2000:
        return None
    block = rest[start.start():].split("\n\n", 1)[0][:64 * 1024]
    block = re.sub(r"(?m)^>[ \t]?", "", block)
    parsed = HeaderParser(policy=compat32).parsestr(block, headersonly=True)
    return parsed if len(parsed) else None


def report_head(text: str) -> str:
    """The bounce's own words before it quotes the original message, at most 2000 characters."""
    mark = _QUOTE_MARK_RE.search(text[:_MAX_SCAN])
    return text[: mark.start() if mark else 2000][:2000]


def decode_transfer(text: str, cte: str) -> str:
    """Undo a transfer encoding on text that the MIME parser did not decode."""
    try:
        data = text.encode("ascii", "ignore")
        if cte == "base64":
            data = base64.b64decode(re.sub(rb"[^A-Za-z0-9+/=]", b"", data) + b"==")
        else:
            data = quopri.decodestring(data)
        return data.decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return text


# --- Recognising the kind of message -----------------------------------------------------------

_BOUNCE_FROM_RE: Final = re.compile(
    r"mailer-daemon|post[_.-]?master|mail delivery|mail-daemon|mailer daemon|\bmdaemon\b|noreply-dmarc"
    r"|bounce|mail system|delivery subsystem", re.I,
)
_BOUNCE_SUBJECT_RE: Final = re.compile(
    r"undeliver|undelivered|delivery (status|failure|failed|notification|problem|report)"
    r"|returned mail|failure notice|mail delivery failed|non[- ]?delivery|delivery has failed"
    r"|could not be delivered|not delivered|mail system error|returned to sender|\bbounce"
    r"|failed mail|permanent (delivery )?failure|message delayed|\bwarning: message"
    r"|delivery (has )?failed|nicht zustellbar|unzustellbar|non remis|no entregado"
    r"|エラー|不達|配信不能", re.I,
)
_AUTOREPLY_SUBJECT_RE: Final = re.compile(
    r"^\s*(?:re:\s*)?(?:auto(?:matic|matische)?[ -]?(?:reply|response|respons|antwort|answer)"
    r"|autoreply|out of (?:the )?office|vacation|abwesenheit|absence|away from|i am away"
    r"|on vacation|r[ée]ponse automatique|respuesta autom[aá]tica)"
    # Lotus Notes: "AUTO: Jane Doe is out of the office (returning ...)", also without "AUTO:".
    r"|\bis out of (?:the )?office\b", re.I,
)


def looks_like_bounce(sender: str, subject: str) -> bool:
    return bool(_BOUNCE_FROM_RE.search(sender) or _BOUNCE_SUBJECT_RE.search(subject))


def is_autoreply(headers: dict[str, str], subject: str, sender: str, strong: bool) -> bool:
    """Whether a message is a vacation or out-of-office reply.

    strong: only the unmistakable signs (X-Autoreply, an autoreply subject, an RFC 3834
    auto-replied message that is not from a mail system); otherwise any auto-replied message.
    """
    if looks_like_bounce(sender, subject):
        return False
    if any(h in headers for h in ("x-autoreply", "x-autorespond", "x-autoresponder")):
        return True
    if _AUTOREPLY_SUBJECT_RE.search(subject):
        return True
    auto = headers.get("auto-submitted", "").strip().lower()
    if auto.startswith("auto-replied"):
        return True
    return not strong and headers.get("precedence", "").strip().lower() == "auto_reply"


def is_jmrp(msg: Message, sender: str, subject: str) -> bool:
    """Microsoft's Junk Mail Reporting Program report (no message/feedback-report part)."""
    return "staff@hotmail.com" in sender.lower() or (
        subject.lower().lstrip().startswith("complaint about message from")
        and msg.get_content_type() == "multipart/mixed"
    )


# --- Addresses and reasons of a non-standard bounce ----------------------------------------------


def bounce_addresses(msg: Message, eight_bit: bool, problems: list[str]) -> list[tuple[str, str]]:
    """(address, "failed" or "delayed") for each address flufl.bounce finds in msg."""
    try:
        if not getaddresses([str(msg.get("from", ""))]):
            # flufl.bounce 6.0's Yale detector indexes the From's first address and raises
            # without one, which ends the whole scan; an empty From lets the others run.
            del msg["from"]
            msg["From"] = "<>"
        if eight_bit:  # a header of raw 8-bit bytes is a Header object, and detectors want str
            for part in islice(msg.walk(), 200):
                for name, value in part.items()[:100]:
                    if not isinstance(value, str):
                        part.replace_header(name, _header_str(value))
        temporary, permanent = all_failures(msg)
    except Exception as exc:  # a detector choked on odd input: treat as found nothing
        problems.append(f"bounce detectors failed: {type(exc).__name__}")
        return []
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for found, action in ((permanent, "failed"), (temporary, "delayed")):
        for raw in sorted(found)[:500]:
            address = raw.decode("utf-8", "replace").strip().strip("<>")
            if "@" in address and address.lower() not in seen:
                seen.add(address.lower())
                out.append((address, action))
    return out


def _header_str(value: object) -> str:
    """A header compat32 kept as a Header object (raw 8-bit bytes), as text."""
    try:
        return "".join(
            c.decode("utf-8", "replace") if isinstance(c, bytes) else c
            for c, _ in decode_header(value)  # type: ignore[arg-type]
        )
    except Exception:  # whatever it is, a string of it is enough for the detectors
        return str(value)


_SEPARATOR_RE: Final = re.compile(r"^\s*(?:[-=_*|]{3,}|[-=_*]+ ?[A-Z])")
# Lines of quoted headers ("Received: ... for <a@b>"), not the bounce's words about an address.
_HEADERISH_RE: Final = re.compile(
    r"^\s*(?:(?:received|to|cc|from|return-path|delivered-to|x-[\w-]+|message-id|references"
    r"|in-reply-to|reply-to|sender|envelope-to|x-original-to):|for <|by \S+ with|\(envelope-from"
    # A Received header's folded line: "for a@b; Fri, 01 Oct 2010 ...".
    r"|for \S+@\S+;)",
    re.I,
)
# A report's quotation of our own envelope ("Message details: ... RCPT TO: a@b"): it names the
# recipient (generic_addresses reads it) but is not the server's words about it.
_ENVELOPE_LINE_RE: Final = re.compile(r"^\s*(?:rcpt to|mail from)\s*:", re.I)
_REPLY_CODE_RE: Final = re.compile(r"(?<![\d.])[245]\d\d(?=[\s\-\]:,)]|$)|(?<![\d.])[245]\.\d{1,3}\.\d{1,3}")
_MARK_IN_LINE_RE: Final = re.compile(
    r"copy of the (?:original )?message|original message|message (?:header|text) follows"
    r"|below this line|included is a copy", re.I,
)


# A line of an SMTP transcript (Sendmail's ">>> RCPT To:<b@y>" / "<<< 550 5.1.1 <b@y>...",
# Exim's "SMTP error from remote mail server after RCPT TO:<b@y>:"): about the address it names.
_TRANSCRIPT_LINE_RE: Final = re.compile(
    r"^(?:>>>|<<<|rcpt to|smtp error from|\(?reason:|\d{3}[ -](?:\d\.\d{1,3}\.\d{1,3} )?<)", re.I
)


# A reply line, whose first word may be an address ("550-ana@example.com is not ..."): not the
# next recipient's line.
_REPLY_START_RE: Final = re.compile(r"[245]\d\d[ -]")
# The command a transcript line sends, after which the server's reply follows ("SMTP error from
# remote mail server after RCPT TO:<b@y>:", ">>> RCPT To:<b@y>").
_COMMAND_RE: Final = re.compile(r"(?:\bafter (?:pipelined )?|^>>> )rcpt to:", re.I)


def _window(text: str, at: int, address: str) -> str:
    line_start = text.rfind("\n", 0, at) + 1
    lines = text[line_start:line_start + 4000].split("\n")
    # A bounce quoted in a forward: every line of its block starts with one "> " more (a
    # Sendmail transcript's own ">>> " is not such a mark). Taken off, the block reads as sent.
    if lines[0].startswith(">") and not lines[0].startswith(">>> "):
        lines = [unquoted(line) for line in lines]
    window = [lines[0].strip()]
    answering = _COMMAND_RE.search(window[0]) is not None
    for line in lines[1:10]:
        stripped = line.strip()
        if not stripped:
            if len(window) > 1:
                break
            continue
        if _SEPARATOR_RE.match(line) or _MARK_IN_LINE_RE.search(stripped):
            break
        other = find_address(stripped)
        command = _COMMAND_RE.search(stripped)
        if other and other.lower() != address.lower() and (
            (stripped.lstrip("<\"").startswith(other) and not _REPLY_START_RE.match(stripped)) or command
            or (_TRANSCRIPT_LINE_RE.match(stripped) and not answering)
        ):
            break  # the next recipient's line, or its turn in an SMTP transcript
        # The reply to our RCPT TO is the address's, whatever address the reply names (a
        # forward's target, an address the server rewrote).
        answering = answering or command is not None
        window.append(stripped)
    return " ".join(" ".join(window).split())[:500]


def reason_near(text: str, address: str) -> str:
    """The bounce's words about address: its line and the lines after, up to a blank line.

    The bounce's own words come first (before it quotes the original message), lines that are
    quoted headers are skipped, and a mention with an SMTP reply code is preferred.
    """
    if not address or "@" not in address:
        return ""
    scan = text[:_MAX_SCAN]
    low = scan.lower()
    needle = address.lower()
    head_end = len(report_head(scan)) if _QUOTE_MARK_RE.search(scan) else len(scan)
    windows: list[tuple[int, str]] = []
    at = low.find(needle)
    while at >= 0 and len(windows) < 8:
        line_start = scan.rfind("\n", 0, at) + 1
        line = scan[line_start:scan.find("\n", at) if "\n" in scan[at:] else len(scan)]
        if not (_HEADERISH_RE.match(line) or _ENVELOPE_LINE_RE.match(line)):
            window = _window(scan, at, address)
            rank = (at >= head_end, _REPLY_CODE_RE.search(window) is None)
            windows.append((rank[0] * 2 + rank[1], window))
        at = low.find(needle, at + len(needle))
    if not windows:
        return ""
    return min(windows, key=lambda w: w[0])[1]


_SKIP_LOCAL_RE: Final = re.compile(
    r"^(?:postmaster|mailer-daemon|mail-daemon|maildaemon|noreply|no-reply|do-not-reply"
    r"|donotreply|abuse|bounces?)(?:[+-].*)?$", re.I,
)
_DELAY_RE: Final = re.compile(
    r"\bdelayed\b|not (?:yet )?been delivered|will (?:continue|keep) (?:trying|to try)"
    r"|will (?:be )?retr(?:y|ied)|warning: message|delivery attempts will continue", re.I,
)


def generic_addresses(text: str, exclude: set[str]) -> list[tuple[str, str]]:
    """Addresses in a bounce's own words that are not the sender, the bounce's or a mail system's.

    For bounces none of flufl.bounce's detectors knows: the words before the quoted original
    message name the failed addresses; everything named in headers is left out.
    """
    head = report_head(text) if _QUOTE_MARK_RE.search(text[:_MAX_SCAN]) else text[:4000]
    out: list[tuple[str, str]] = []
    seen = {e.lower() for e in exclude}
    action = "delayed" if _DELAY_RE.search(head) else "failed"
    for line in head.split("\n")[:200]:
        if _HEADERISH_RE.match(line) or "message-id" in line.lower():
            continue
        for m in _ADDRESS_RE.finditer(line):
            address = m[0].rstrip(".-:")
            local, _, domain = address.partition("@")
            if "." not in domain or _SKIP_LOCAL_RE.match(local) or address.lower() in seen:
                continue
            seen.add(address.lower())
            out.append((address, action))
    return out[:20]
