"""Classifying a delivery failure: SMTP code + enhanced code + mox's error text -> Kind.

Pure and table-driven. The evidence is weighed in a fixed order, first match wins:

1. mox's own error texts (null MX, message too large, missing extensions) and, for
   failures without an SMTP reply, network errors;
2. the remote server's words (`_TEXT_RULES`), because a reply like
   "550 5.1.1 ... blocked using zen.spamhaus.org" says more than its codes;
3. the enhanced status code (`_ENHANCED_CODES`), taken from the field, or from the
   text when the field is empty, malformed or generic (x.0.0);
4. the bare SMTP reply code (`_BARE_CODES`, then any other 4xx is transient);
5. otherwise `undetermined`.

Judgement calls, documented where they are made:

- 5.7.1 on its own is `undetermined`: RFC 3463 says "delivery not authorized", which
  servers use for blocklists, relay denied, per-recipient policy and spam verdicts
  alike. Calling it `sender_blocked` would feed hold rules on guesswork; with RBL,
  authentication or content words in the text it is classified by those words.
- "Relay access denied" and qmail's "not in my list of allowed rcpthosts" are left
  `undetermined`: the receiving host does not serve that domain (a stale MX), which
  proves neither that the mailbox is gone nor that we are blocked.
- 5.1.10 is `mailbox_unknown`, not `domain_unknown`: RFC 7505 meant it for null MX,
  but nearly every 5.1.10 seen is Microsoft's "RESOLVER.ADR.RecipientNotFound".
  Null MX said in words ("null MX", mox's "single dot for mx record") is `domain_unknown`.
- Throttling replies that mention spam (Gmail 4.7.28 "unusual rate of unsolicited
  mail", Yahoo [TSS04], Microsoft 4.7.650 "temporarily rate limited due to IP
  reputation") are `rate_limited`: the receiver asks us to slow down, for now.
- "try again later" is `rate_limited` (the receiver is pacing us), but greylisting and
  "temporary local problem/failure" are `transient`.
"""

from __future__ import annotations

import re
from typing import Final

from .kinds import Kind

__all__ = ["classify_event", "classify_failure"]

# mox error texts and SMTP replies are short; bounding the input bounds the regex work.
_MAX_TEXT = 8192


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


# --- Reading mox's error text -------------------------------------------------------------

# mox wraps the remote reply: "...status code: got 550, expected 2xx, permanent: 550 5.1.1 ...";
# a Postfix-style DSN says "host mx.example.org[192.0.2.1] said: 550 5.1.1 ...". Only the part
# after that is the remote server's own words.
_REPLY_RE: Final = _rx(r"(?:permanent|transient|said): ([245]\d\d(?:[ -].*)?)$")
# A reply code at the start of a text that is itself a reply ("550-5.1.1 ...", "smtp; 550 ...").
_LEADING_CODE_RE: Final = _rx(r"^\s*(?:smtp;\s*)?([245]\d\d)(?:[ -]|$)")
# mox's suppression reason: 'delivery failure from queue with smtp code 550, enhanced code "1.1"'.
_MOX_REASON_RE: Final = _rx(r'smtp code ([245]\d\d)(?:, enhanced code "([245]\.)?(\d{1,3}\.\d{1,3})")?')
# An enhanced status code (RFC 3463) in running text, not part of an IP address or version.
_ENHANCED_IN_TEXT_RE: Final = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?!\.?\d)")
_ENHANCED_FULL_RE: Final = re.compile(r"\s*([245])\.(\d{1,3})\.(\d{1,3})\s*")
_ENHANCED_SHORT_RE: Final = re.compile(r"\s*(\d{1,3})\.(\d{1,3})\s*")  # mox's Secode: "1.1"
# Continuation prefixes inside a multi-line reply joined into one line ("... not authorized to
# 550-5.7.1 send email ..."): removed before matching words, so phrases read as written.
_CONTINUATION_RE: Final = re.compile(
    r"\s[245]\d\d[- ][245]\.\d{1,3}\.\d{1,3}(?=\s)|\s[245]\d\d-(?=\S)"
)


# --- Evidence tables ----------------------------------------------------------------------------

# mox's own errors (smtpclient/gather.go, smtpclient/client.go): no remote reply, code 0.
_MOX_RULES: Final[tuple[tuple[re.Pattern[str], Kind], ...]] = (
    # GatherDestinations' errNoMail: the domain published a null MX (RFC 7505).
    (_rx(r"does not accept email as indicated with single dot for mx record"), Kind.DOMAIN_UNKNOWN),
    # ErrSize: the server announced a SIZE limit below the message's size.
    (_rx(r"message too large for remote smtp server"), Kind.MESSAGE_TOO_LARGE),
    # Err8bitmimeUnsupported / ErrSMTPUTF8Unsupported / ErrRequireTLSUnsupported: the
    # message needs something this server lacks; the message, not the mailbox, is the issue.
    (_rx(r"does not implement \w+ extension, required (by message|for delivery)"),
     Kind.CONTENT_REJECTED),
)

# Failures before any SMTP reply: connection, DNS, TLS, timeouts, MTA-STS. Temporary by nature;
# a DNS check (dnscheck.py) may still turn a dead domain into domain_unknown.
_NETWORK_RE: Final = _rx(
    r"connection refused|connection reset|i/o timeout|\btimeout\b|timed out|no such host"
    r"|no route to host|network is unreachable|host is down|context deadline exceeded"
    r"|broken pipe|\beof\b|\btls\b|x509|certificate|handshake|dial tcp|dns lookup error"
    r"|temporary failure in name resolution|server misbehaving|mta-sts|\bdane\b"
    r"|smtp connection is botched|smtp protocol error|cname loop|too many cname"
)

# The remote server's words, in priority order; the first match decides. Specific phrases
# come before the single words they contain ("temporarily rate limited due to IP
# reputation" before "reputation", "content ... blocked" before "blocked").
_TEXT_RULES: Final[tuple[tuple[re.Pattern[str], Kind], ...]] = (
    # 1. Throttling, even when it mentions spam or reputation: a request to slow down.
    (_rx(r"unusual rate of|temporarily (rate[- ]limited|deferred|blocked)"
         r"|deferred due to (excessive|unexpected) (volume|traffic)"
         r"|receiving mail (too quickly|at a rate)|\[tss?0[1-4]\]|sending (quota|limit)"
         r"|frequency limit"),
     Kind.RATE_LIMITED),
    # 2. Plainly temporary conditions at the receiver: greylisting, lookup failures, disks.
    (_rx(r"gr[ae]ylist|temporary (local )?(failure|problem|error|lookup failure)"
         r"|temporary system problem|insufficient disk space"),
     Kind.TRANSIENT),
    # 3. Blocklists and reputation: the sending IP or domain is listed somewhere.
    (_rx(r"spamhaus|spamcop|barracuda ?(reputation|central|rbl)|barracudacentral|\bsorbs\b"
         r"|uceprotect|dnsbl|\brbl\b|block ?list|black ?list|deny ?list|(?<!not )\blisted\b"
         r"|blocked using|reputation|\bbanned\b|traffic not accepted|permanently deferred"
         r"|\((s3150|s3140)\)|\b(sc|ou|dy)-00\d\b"),
     Kind.SENDER_BLOCKED),
    # 4. The sender's identity: SPF, DKIM, DMARC, PTR/HELO checks, spoofing, sender address.
    (_rx(r"\bdmarc\b|\bspf\b|\bdkim\b|unauthenticated|authentication (check|information|fail)"
         r"|not authorized to send|\bptr\b|reverse dns|\brdns\b|spoof|sender (address|domain)"
         r"|sender verify|helo command rejected|client host rejected"
         r"|cannot find your (reverse )?hostname|valid sender domain|blocked senders"
         r"|sender (was )?rejected|not accepting mail from|mail from \S+ rejected"
         r"|host network not allowed|purported responsible address|recipient preferences"),
     Kind.SENDER_BLOCKED),
    # 5. The message itself: spam verdicts, malware, attachments, headers, content policy.
    (_rx(r"\bcontent\b|unsolicited|\bspam|virus|malware|phish|infected|attachment"
         r"|suspicious|security (issue|polic)|\bheader|\bmime\b|\[ph\d\d\]|\bjunk\b"
         r"|message not accepted for policy reasons"),
     Kind.CONTENT_REJECTED),
    # 6. "Blocked" with nothing more specific (Proofpoint "Blocked - see ipcheck",
    #    Mimecast "Envelope blocked"): a block on us, not a verdict on the address.
    (_rx(r"\bblocked\b"), Kind.SENDER_BLOCKED),
    # 7. The mailbox is full. Before "size": "mailbox size limit exceeded" is about storage.
    (_rx(r"quota|mailbox (is )?full|inbox (is )?full|mail ?folder is full|out of storage"
         r"|storage space|insufficient (system )?storage|exceeded storage"
         r"|mailbox size limit"),
     Kind.MAILBOX_FULL),
    # 8. Pacing in general words.
    (_rx(r"too many|\brate\b|rate[- ]limit|(try|retry|come back)( again)? later|throttl"
         r"|slow down|too (fast|quickly)|excessive|\bdeferr?ed\b|\bbusy\b"
         r"|max(imum)? (number of )?(messages|connections) per"),
     Kind.RATE_LIMITED),
    # 9. Size.
    (_rx(r"\bsize\b|too (big|large)|message length|bytes max"), Kind.MESSAGE_TOO_LARGE),
    # 10. The recipient's domain. Before "does not exist", which would claim "domain does not exist".
    (_rx(r"(non-?existent|unknown|invalid|unresolvable) (recipient )?domain"
         r"|domain (name )?(not found|does not exist|doesn't exist)"
         r"|host or domain name not found|host unknown|unknown host|no mx (record|host)"
         r"|null mx|does not accept (e-?)?mail\b(?! from)|domain is not reachable"),
     Kind.DOMAIN_UNKNOWN),
    # 11. The mailbox does not exist.
    (_rx(r"no such (user|mailbox|recipient|address|account|person)|user unknown"
         r"|unknown (user|recipient|address|mailbox|local[- ]?part)|addressee unknown"
         r"|(does not|doesn't|not) exist|(does not|doesn't) have an? [\w.-]{0,40} ?account"
         r"|recipient (address )?rejected|address rejected"
         r"|invalid (recipient|mailbox|address|user|addressee)|\bnot found\b"
         r"|recip(ient)?notfound|no mailbox here|not our customer|bad destination mailbox"
         r"|unknown or illegal alias|address (couldn't|could not|cannot|can't) be found"
         r"|not a registered gateway user|no matches to nameserver query"),
     Kind.MAILBOX_UNKNOWN),
    # 12. The mailbox exists but is switched off.
    (_rx(r"disabled|suspended|\binactive\b|deactivated|mailbox (is )?(closed|locked|frozen)"
         r"|account (has been |is )?(closed|locked|terminated)|no longer (active|in use)"),
     Kind.MAILBOX_DISABLED),
)

# Words that mean "mailbox unknown" only in a permanent reply: "450 mailbox unavailable"
# usually means busy or locked, "550 ... mailbox unavailable" (Outlook.com) means no such user.
_PERMANENT_TEXT_RULES: Final[tuple[tuple[re.Pattern[str], Kind], ...]] = (
    (_rx(r"mailbox (is )?(currently )?(unavailable|not available)"), Kind.MAILBOX_UNKNOWN),
)

# Enhanced status codes (RFC 3463, RFC 7372, and Microsoft's 3-digit details), full-matched.
_ENHANCED_CODES: Final[tuple[tuple[re.Pattern[str], Kind], ...]] = (
    # X.1.1 bad mailbox, X.1.3 bad syntax, X.1.6 moved with no forwarding; 5.1.10 is
    # Microsoft's RecipientNotFound far more often than RFC 7505's null MX.
    (re.compile(r"5\.1\.(1|3|6|10)"), Kind.MAILBOX_UNKNOWN),
    (re.compile(r"5\.1\.2"), Kind.DOMAIN_UNKNOWN),  # bad destination system (domain)
    (re.compile(r"[45]\.1\.[78]"), Kind.SENDER_BLOCKED),  # our sender address is refused
    (re.compile(r"5\.2\.1"), Kind.MAILBOX_DISABLED),
    # 4.2.1 is RFC's "disabled", but in a temporary reply (Gmail) it means "receiving too fast".
    (re.compile(r"4\.2\.1"), Kind.RATE_LIMITED),
    (re.compile(r"[45]\.2\.2"), Kind.MAILBOX_FULL),
    (re.compile(r"5\.2\.3|[45]\.3\.4"), Kind.MESSAGE_TOO_LARGE),
    (re.compile(r"[45]\.4\.7"), Kind.EXPIRED),  # a relay gave up after its retries
    (re.compile(r"[45]\.6\.\d{1,3}"), Kind.CONTENT_REJECTED),  # media/content errors
    # 5.7.20-27: DKIM, SPF, DMARC, reverse DNS failures (RFC 7372).
    (re.compile(r"[45]\.7\.2[0-7]"), Kind.SENDER_BLOCKED),
    # Microsoft: 5.7.5xx "access denied", 5.7.606-649 banned IP, 5.7.7xx tenant blocked.
    (re.compile(r"5\.7\.(5\d\d|6(0[6-9]|[1-4]\d)|7\d\d)"), Kind.SENDER_BLOCKED),
    # 4.7.0 (Gmail, Yahoo, Apple: "try later"), 4.7.28 (Gmail rate), Microsoft 4.7.5xx/6xx.
    (re.compile(r"4\.7\.(0|28|[56]\d\d)"), Kind.RATE_LIMITED),
    # 5.7.1 is deliberately absent: see the module docstring.
)

# Bare SMTP reply codes (RFC 5321, RFC 7504).
_BARE_CODES: Final[tuple[tuple[int, Kind], ...]] = (
    (421, Kind.RATE_LIMITED),  # service not available, closing channel: usually pacing
    (552, Kind.MAILBOX_FULL),  # exceeded storage allocation (size words were caught above)
    (521, Kind.DOMAIN_UNKNOWN),  # RFC 7504: host does not accept mail
    (556, Kind.DOMAIN_UNKNOWN),  # RFC 7504: domain does not accept mail (null MX)
)

def _is_generic(enhanced: str) -> bool:
    return enhanced.endswith(".0.0")


def _normalise_enhanced(field: str, code: int) -> str:
    """The enhanced code field as "c.s.d", or "" if malformed; mox's short "1.1" gets its class."""
    m = _ENHANCED_FULL_RE.fullmatch(field)
    if m:
        return f"{m[1]}.{int(m[2])}.{int(m[3])}"
    m = _ENHANCED_SHORT_RE.fullmatch(field)
    if m and code // 100 in (4, 5):
        return f"{code // 100}.{int(m[1])}.{int(m[2])}"
    return ""


def _enhanced_from_text(text: str) -> str:
    """The first specific enhanced code in text, else the first generic one, else ""."""
    first = ""
    for m in _ENHANCED_IN_TEXT_RE.finditer(text):
        found = f"{m[1]}.{int(m[2])}.{int(m[3])}"
        if not _is_generic(found):
            return found
        first = first or found
    return first


def _match(rules: tuple[tuple[re.Pattern[str], Kind], ...], text: str) -> Kind | None:
    for pattern, kind in rules:
        if pattern.search(text):
            return kind
    return None


def _evidence(code: int, enhanced_code: str, text: str) -> tuple[int, str, str, bool]:
    """Normalised (code, enhanced code, remote reply, reply found) from the event's fields."""
    text = " ".join((text or "")[:_MAX_TEXT].split())
    enhanced_code = (enhanced_code or "")[:32]
    if not isinstance(code, int) or not 200 <= code <= 599:
        code = 0
    reply_match = _REPLY_RE.search(text)
    reply = reply_match[1] if reply_match else text
    if code == 0:
        # No code in the field: take it from the text (mox's wrapper, a reply, a mox reason).
        leading = _LEADING_CODE_RE.match(reply)
        reason = _MOX_REASON_RE.search(text)
        if leading:
            code = int(leading[1])
        elif reason:
            code = int(reason[1])
            if not enhanced_code and reason[3]:
                enhanced_code = reason[3]
    enhanced = _normalise_enhanced(enhanced_code, code)
    if not enhanced or _is_generic(enhanced):
        enhanced = _enhanced_from_text(reply) or enhanced
    return code, enhanced, reply, reply_match is not None


def classify_failure(code: int, enhanced_code: str, text: str) -> Kind:
    """The kind of a failed or delayed delivery attempt, from what mox reported. Never raises."""
    code, enhanced, reply, has_reply = _evidence(code, enhanced_code, text)

    if code == 0 and not has_reply:
        kind = _match(_MOX_RULES, reply)
        if kind is not None:
            return kind
        if _NETWORK_RE.search(reply):
            return Kind.TRANSIENT

    words = _CONTINUATION_RE.sub("", reply)
    kind = _match(_TEXT_RULES, words)
    if kind is not None:
        return kind
    if code // 100 == 5 or enhanced.startswith("5."):
        kind = _match(_PERMANENT_TEXT_RULES, words)
        if kind is not None:
            return kind

    if enhanced:
        for pattern, kind in _ENHANCED_CODES:
            if pattern.fullmatch(enhanced):
                return kind

    for bare, kind in _BARE_CODES:
        if code == bare:
            return kind
    if code // 100 == 4 or (code == 0 and enhanced.startswith("4.")):
        return Kind.TRANSIENT
    return Kind.UNDETERMINED


def classify_event(event: str, code: int, enhanced_code: str, text: str) -> Kind | None:
    """The kind of failure a webhook event reports, or None if nothing failed."""
    name = (event or "").strip().lower()
    if name not in ("delayed", "failed"):
        return None  # delivered, relayed, expanded, canceled, suppressed, unrecognized, unknown
    kind = classify_failure(code, enhanced_code, text)
    if name == "failed" and kind in (Kind.TRANSIENT, Kind.UNDETERMINED):
        # mox fails a message on a temporary (or no) reply only after its last retry.
        effective, _, _, _ = _evidence(code, enhanced_code, text)
        if effective == 0 or effective // 100 == 4:
            return Kind.EXPIRED
    # A delay is never more than soft, but its kind stays what the reply said; policy decides.
    return kind
