"""Classifying a delivery failure: SMTP code + enhanced code + mox's error text -> Kind.

Pure. The reply is read for its *structure* before its phrases (docs/classification.md, "How a
failure is classified", has the same order):

1. No SMTP reply at all (code 0, no reply in mox's text): mox's own errors (null MX, size,
   missing extensions), then network errors, which are transient.
2. The stage, when the text says which command was refused (Postfix's "in reply to RCPT TO
   command", Exim's "after MAIL FROM", Sendmail's ">>> DATA", qmail's "sender was rejected").
   A refusal before RCPT TO cannot be about the recipient: nobody was named yet. It is the
   sender's (`sender_blocked`), unless its words ask us to slow down, say the receiver has
   trouble, or name the message's size. A mail loop or a relay denial is nobody's verdict.
3. An address-syntax complaint (X.1.3, X.5.2, X.5.4, reply 501) is about the recipient only
   when the words name the recipient; otherwise the address may be our MAIL FROM: undetermined.
4. A refusal whose words name nobody ("Access denied", "Command rejected", "rejected due to
   local policy") with no code, a generic one or X.7.0/X.7.1 is `undetermined` (after DATA
   the message was refused: `content_rejected`; in a 4xx reply, `transient`).
5. The enhanced status code's specific detail (RFC 3463, RFC 5248's registry, Microsoft's
   3-digit details): 5.1.1 says "bad destination mailbox" more reliably than any word
   elsewhere in the text. It stands unless the words clearly contradict it: a strong phrase
   about another subject (a block list, authentication, throttling, a full mailbox, spam),
   and then only when the words do not also say what the code says.
6. The words (`replywords.py`): each phrase is a signal about one subject, strong when it
   names its subject, weak when it only leans. The strongest signals decide; among equals the
   sender's, the message's and the receiver's side come before the recipient's.
7. The enhanced code's class and subject, then the bare reply code.

The asymmetry, checked last and on its own (`_recipient_is_clear`): a recipient-side hard
kind (`mailbox_unknown`, `domain_unknown`, `mailbox_disabled`) suppresses the address at once,
so it is kept only on clear evidence that nothing in the reply contradicts. Any word about the
sender (even leaning: an IP address, "blocked"), a relay, a syntax error or a loop, or a strong
word about the message, the pace or the storage, takes it away; a policy word or a temporary
reply needs plain words about the recipient; and a word that only leans ("unknown",
"rejected") needs a code of the same subject (X.1.x, X.2.x) or words naming the recipient.
A reply that fails the check gets the kind its other words say, else `undetermined` (or
`transient` in a 4xx): it counts towards the soft threshold instead.

Judgement calls, documented where they are made:

- 5.7.1 with no words is `sender_blocked`: RFC 3463 defines it as "the sender is not
  authorized to send to the destination"; its words decide first, and words that name
  nobody leave it `undetermined`.
- "Relay access denied" and qmail's "not in my list of allowed rcpthosts" are left
  `undetermined`: the receiving host does not serve that domain (a stale MX), which
  proves neither that the mailbox is gone nor that we are blocked.
- 5.1.10 is `mailbox_unknown`, not `domain_unknown`: RFC 7505 meant it for null MX,
  but nearly every 5.1.10 seen is Microsoft's "RESOLVER.ADR.RecipientNotFound".
  Null MX said in words ("null MX", mox's "single dot for mx record") is `domain_unknown`.
  Microsoft's "550 5.4.1 Recipient address rejected: Access denied" is its documented
  Directory Based Edge Blocking reply for a recipient that does not exist: `mailbox_unknown`.
- Throttling replies that give our reputation or our mail as the cause (Gmail 4.7.28
  "unusual rate of unsolicited mail", Yahoo [TSS04] "... or user complaints", Microsoft
  4.7.650 "temporarily rate limited due to IP reputation") are `sender_blocked`: the block
  lasts as long as its cause, it is no pace to keep (LABELLING.md, F2).
- "try again later" alone names no cause: `transient`; with "busy", "too many" or a pacing
  code (4.7.0, 4.2.1 in a 4xx) it is `rate_limited`. Greylisting and "temporary local
  problem/failure" are `transient`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Final

from moxhooks.kinds import Kind
from moxhooks.mail.replywords import (
    LOCAL_DELIVERY_DOWN,
    NO_VALID_RECIPIENTS,
    SCANNER_DOWN,
    Signal,
    Signals,
    Stage,
    read_signals,
    read_stage,
)

__all__ = ["Evidence", "classify_event", "classify_failure", "read_evidence", "still_being_tried"]

# mox error texts and SMTP replies are short; bounding the input bounds the regex work.
_MAX_TEXT = 8192


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


# --- Reading mox's error text -------------------------------------------------------------

# mox wraps the remote reply: "...status code: got 550, expected 2xx, permanent: 550 5.1.1 ...";
# a Postfix-style DSN says "host mx.example.org[192.0.2.1] said: 550 5.1.1 ...". Only the part
# after that is the remote server's own words.
# DragonFly's "mx.example.org [192.0.2.25] did not like our RCPT TO: 550 ..." too.
# Gmail's "The response from the remote server was: 550 ..." introduces the reply the same way.
_REPLY_RE: Final = _rx(r"(?:permanent|transient|said|our (?:rcpt to|mail from|data|helo|ehlo)"
                       r"|response from the remote server was|remote server (?:replied|responded|answered)): ([245]\d\d(?:[ -].*)?)$")
# Sendmail's list of failed addresses: "<a@b>\n    (reason: 550 5.1.1 User unknown)"; Exchange's
# "Remote Server returned '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found'".
_SENDMAIL_REASON_RE: Final = _rx(r"\(reason: ([245]\d\d(?:[ -].*?)?)\)(?: \(in reply to [^()]*\))?$"
                                 r"|remote server returned '([245]\d\d(?:[ -].*)?)'")
# Exim's own wording around the reply it quotes, in a bounce or its log: "SMTP error from remote
# mail server after RCPT TO:<a@b>: [host mx.example.org [192.0.2.1]:] 450 4.7.1 ...".
_EXIM_REPLY_RE: Final = _rx(r"smtp error from remote (?:mail )?server (?:after|for) [^:<]*?(?::?<[^>]*>[^:]*?)?:\s*"
                            r"(?:host \S+ \[[^\]]*\]:\s*)?([245]\d\d(?:[ -].*)?)$")
# RFC 5321's 503 (bad sequence of commands) that quotes the reply which broke the sequence
# ("503 5.5.1 Error: need MAIL command - MAIL FROM error: 451 4.7.1 Service unavailable"): the
# quoted reply is the cause, the 503 only its consequence.
_SEQUENCE_CAUSE_RE: Final = _rx(r"^503\b.*?\b(mail from|helo|ehlo|auth)\b[^:]{0,20}:\s*([45]\d\d(?:[ -].*)?)$")
# A server's own permanent reply quoted inside a temporary one: Postfix's reject_unverified_recipient
# answers 450 by default, quoting what its probe was told ("450 4.1.1 <a@b>: Recipient address
# rejected: undeliverable address: host mx[192.0.2.1] said: 550 5.1.1 ... User unknown").
_PERMANENT_QUOTE_RE: Final = _rx(r"\bsaid: (5\d\d(?:[ -].*)?)$")
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
# The first line of a multi-line reply ("550-Account is", then "550 not active."): a server that
# does not send enhanced codes repeats only its reply code on each line (RFC 5321, 4.2.1), and
# the last line's "550 " is a prefix too. "250-300 messages" is a range, not a reply line.
_MULTILINE_CODE_RE: Final = re.compile(r"(?:^|\s)(?:smtp;\s*)?([245]\d\d)-(?!\d+\s)")

# A file system path ("/usr/local/bin/spam-filter", "/var/mail/bob"): names of files, not words
# about the failure (a URL's path, after its host, is not one; "/dev/null", the null sender, is).
_PATH_RE: Final = re.compile(r"(?<![\w/.:-])/(?!dev/null\b)(?:[\w.+-]+/)+[\w.+-]*", re.I)

# A relay naming the server it talked to ("host mx.example.org[192.0.2.1] said:", Exim's "host
# mx.example.org [192.0.2.1]: 550 ...", "connect to mx.example.org[192.0.2.1]:25:"): not the
# server's words; its IP address is the receiver's, not ours.
_RELAY_HOST_RE: Final = _rx(r"\b(?:host|connect to) [\w.-]+ ?\[[0-9a-f.:]+\](?::\d+)?(?::| said:)"
                            r"|\bby [\w-]+(?:\.[\w-]+)+\.? ?\[(?:ipv6:)?[0-9a-f.:]+\]"
                            # DragonFly's "mx.example.org [192.0.2.25] did not like our RCPT TO":
                            # a host that speaks is the server, not our client.
                            r"|(?<![\w.-])[\w-]+(?:\.[\w-]+)+\.? ?\[(?:ipv6:)?[0-9a-f.:]+\]"
                            r"(?= (?:did not like|said|replied|responded|answered)\b)"
                            # 1&1's "host: smtp-in.example.org (192.0.2.1)", and any address with a
                            # port ("example.org. [192.0.2.1]:25"): a server we connected to.
                            r"|\bhost:? [\w.-]+ ?\([0-9a-f.:]+\)"
                            r"|(?<![\w.-])[\w-]+(?:\.[\w-]+)+\.? ?\[(?:ipv6:)?[0-9a-f.:]+\]:\d+"
                            # A relay naming the server that refused ("Remote server 10.60.5.4
                            # rejected: 550 ..."): the server's address, not ours.
                            r"|\bremote (?:server|host|mta) \S+(?= (?:rejected|said|replied|responded)\b)"
                            # A greeting that echoes our client ("Hello [192.0.2.25], ..."): trace,
                            # not a word about our IP.
                            r"|\bhello (?:[\w.-]+ )?\[[0-9a-f.:]+\],")

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
    r"|no (?:valid )?route to|network is unreachable|host is down|context deadline exceeded"
    r"|broken pipe|\beof\b|\btls\b|x509|certificate|handshake|dial tcp|dns lookup error"
    r"|temporary failure in name resolution|server misbehaving|mta-sts|\bdane\b"
    r"|smtp connection is botched|smtp protocol error|cname loop|too many cname"
    # A sending MTA's own words for a connection that never came up (nullmailer's "Connect failed").
    r"|\bconnect(?:ion)? failed\b|\bfailed to connect\b|\b(?:unable to|cannot|can't) connect\b"
)

# --- The enhanced code's specific details -------------------------------------------------------

# Details that say on their own what failed (RFC 3463, RFC 5248's registry, RFC 7372, and
# Microsoft's 3-digit details), full-matched against "c.s.d".
_DETAIL_CODES: Final[tuple[tuple[re.Pattern[str], Kind], ...]] = (
    # X.1.1 bad mailbox, X.1.6 moved with no forwarding, 5.7.17 and 5.7.18 the mailbox's or its
    # domain's owner changed since the date we gave (RFC 7293: the address is no longer our
    # recipient's); 5.1.10 is Microsoft's RecipientNotFound far more often than null MX. X.1.3
    # (bad syntax) and X.1.4 (ambiguous) are left to the words: they are often the sending
    # side's mistake.
    (re.compile(r"5\.1\.(1|6|10)|5\.7\.1[78]"), Kind.MAILBOX_UNKNOWN),
    # RFC 7293's X.7.19: the receiver could not tell whether the owner changed: no verdict.
    (re.compile(r"5\.7\.19"), Kind.UNDETERMINED),
    (re.compile(r"5\.1\.2"), Kind.DOMAIN_UNKNOWN),  # bad destination system (domain)
    (re.compile(r"[45]\.1\.[78]"), Kind.SENDER_BLOCKED),  # our sender address is refused
    (re.compile(r"5\.2\.1|5\.7\.13"), Kind.MAILBOX_DISABLED),  # mailbox / user account disabled
    # 4.2.1 is RFC's "disabled", but in a temporary reply (Gmail) it means "receiving too fast".
    (re.compile(r"4\.2\.1"), Kind.RATE_LIMITED),
    (re.compile(r"[45]\.2\.2"), Kind.MAILBOX_FULL),
    (re.compile(r"[45]\.2\.3|[45]\.3\.4|5\.7\.16"), Kind.MESSAGE_TOO_LARGE),
    # The receiving system is full, not accepting messages, congested.
    (re.compile(r"[45]\.3\.[12]|[45]\.4\.5"), Kind.TRANSIENT),
    (re.compile(r"[45]\.4\.7"), Kind.EXPIRED),  # a relay gave up after its retries
    (re.compile(r"[45]\.5\.3"), Kind.RATE_LIMITED),  # too many recipients
    # Microsoft 5.2.121/5.2.122: the sender's or the recipient's hourly message limit.
    (re.compile(r"5\.2\.12\d"), Kind.RATE_LIMITED),
    (re.compile(r"[45]\.6\.\d{1,3}"), Kind.CONTENT_REJECTED),  # media/content errors
    (re.compile(r"[45]\.7\.7"), Kind.CONTENT_REJECTED),  # message integrity failure (RFC 3463)
    # 5.7.1 delivery not authorized (the sender, by host or recipient filtering); 5.7.8/5.7.9
    # authentication; 5.7.20-27 and 29: DKIM, SPF, DMARC, reverse DNS, null MX sender, ARC.
    (re.compile(r"5\.7\.1|[45]\.7\.(8|2[0-7]|29)"), Kind.SENDER_BLOCKED),
    # Microsoft: 5.7.5xx "access denied", 5.7.606-649 banned IP, 5.7.7xx tenant blocked.
    (re.compile(r"5\.7\.(5\d\d|6(0[6-9]|[1-4]\d)|7\d\d)"), Kind.SENDER_BLOCKED),
    # 4.7.0 (Gmail, Yahoo, Apple: "try later"), 4.7.28 (Gmail rate), Microsoft 4.7.5xx/6xx.
    (re.compile(r"[45]\.7\.28|4\.7\.(0|[56]\d\d)"), Kind.RATE_LIMITED),
)

# Bare SMTP reply codes (RFC 5321, RFC 7504).
_BARE_CODES: Final[tuple[tuple[int, Kind], ...]] = (
    (421, Kind.RATE_LIMITED),  # service not available, closing channel: usually pacing
    (552, Kind.MAILBOX_FULL),  # exceeded storage allocation (size words were caught above)
    (521, Kind.DOMAIN_UNKNOWN),  # RFC 7504: host does not accept mail
    (556, Kind.DOMAIN_UNKNOWN),  # RFC 7504: domain does not accept mail (null MX)
    (530, Kind.SENDER_BLOCKED),  # RFC 4954: authentication required
    (535, Kind.SENDER_BLOCKED),  # RFC 4954: authentication credentials invalid
)

RECIPIENT_HARD: Final = frozenset({Kind.MAILBOX_UNKNOWN, Kind.DOMAIN_UNKNOWN, Kind.MAILBOX_DISABLED})

# What each signal says, in the order signals of the same strength are preferred: the
# sender's, the message's and the receiver's side before the recipient's.
_SIGNAL_KINDS: Final[tuple[tuple[Signal, Kind], ...]] = (
    (Signal.GREYLIST, Kind.TRANSIENT),
    (Signal.SENDER, Kind.SENDER_BLOCKED),
    (Signal.CONTENT, Kind.CONTENT_REJECTED),
    (Signal.STORAGE, Kind.MAILBOX_FULL),
    (Signal.SIZE, Kind.MESSAGE_TOO_LARGE),
    # A relay that gave up: after the causes it names, before the pace it met.
    (Signal.EXPIRED, Kind.EXPIRED),
    (Signal.RATE, Kind.RATE_LIMITED),
    (Signal.RELAY, Kind.UNDETERMINED),
    (Signal.LOOP, Kind.UNDETERMINED),
    (Signal.TEMPORARY, Kind.TRANSIENT),
    (Signal.PROTOCOL, Kind.UNDETERMINED),
    (Signal.POLICY, Kind.UNDETERMINED),  # a refusal that names nobody is nobody's verdict
    (Signal.DISABLED, Kind.MAILBOX_DISABLED),
    (Signal.DOMAIN, Kind.DOMAIN_UNKNOWN),
    (Signal.MAILBOX, Kind.MAILBOX_UNKNOWN),
)
_KIND_OF: Final = dict(_SIGNAL_KINDS)
_RECIPIENT_SIGNALS: Final = frozenset({Signal.DISABLED, Signal.DOMAIN, Signal.MAILBOX})


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


@dataclass(frozen=True)
class Evidence:
    """What a failure report says, read once: the facts the decision is made from."""

    code: int  # the SMTP reply code, 0 if none
    enhanced: str  # the enhanced status code "c.s.d", "" if none
    reply: str  # the remote server's words (mox's wrapper removed), one line
    has_reply: bool  # whether mox's text quoted a remote reply
    stage: Stage  # which command was refused, when the text says
    signals: Signals  # what the words are about

    @cached_property
    def temporary(self) -> bool:
        """Whether the reply is temporary: its code, else its enhanced code, else (with neither)
        its own words ("Temporary DNS error while checking SPF record. Try again later.")."""
        if self.code:
            return self.code // 100 == 4
        if self.enhanced:
            return self.enhanced.startswith("4.")
        return bool(_SAYS_TEMPORARY_RE.search(self.reply))


def _receiver_or_network(enhanced: str) -> bool:
    """Whether the enhanced code's subject is RFC 3463's X.3 (the receiving mail system) or X.4
    (the network and routing): their trouble, not a verdict."""
    return enhanced[1:4] in (".3.", ".4.")


def _join_reply_lines(reply: str) -> str:
    """A multi-line reply as one line: its first line's code, then its lines' words without the
    code (and enhanced code) that starts each of them."""
    first = _MULTILINE_CODE_RE.search(reply)
    if not first:
        return reply
    rest = re.sub(rf"(?:^|\s){first[1]}[- ](?:[245]\.\d{{1,3}}\.\d{{1,3}}(?=\s))?", " ", reply[first.end():])
    return " ".join(f"{reply[:first.end() - 1]} {rest}".split())


def read_evidence(code: int, enhanced_code: str, text: str) -> Evidence:
    """The evidence in an event's fields: code, enhanced code and mox's (or a DSN's) text."""
    text = " ".join((text or "")[:_MAX_TEXT].split())
    enhanced_code = (enhanced_code or "")[:32]
    if not isinstance(code, int) or not 200 <= code <= 599:
        code = 0
    reply_match = _REPLY_RE.search(text) or _EXIM_REPLY_RE.search(text) or _SENDMAIL_REASON_RE.search(text)
    reply = _join_reply_lines(next(g for g in reply_match.groups() if g) if reply_match else text)
    stage = read_stage(text)
    leading = _LEADING_CODE_RE.match(reply)
    quoted = _PERMANENT_QUOTE_RE.search(text)
    if quoted and (code or (int(leading[1]) if leading else 0)) // 100 == 4:
        # The temporary reply only relays that verdict; the verdict is the reply (LABELLING.md, F9).
        reply, code, enhanced_code = quoted[1], 0, ""
    cause = _SEQUENCE_CAUSE_RE.search(reply)
    if cause and code in (0, 503):
        # The command the quoted reply answered is the stage, not the one the 503 answered.
        reply, code, enhanced_code = cause[2], 0, ""
        stage = Stage.MAIL if cause[1].lower() == "mail from" else Stage.CONNECT
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
    words = _PATH_RE.sub(" ", _RELAY_HOST_RE.sub(" ", _CONTINUATION_RE.sub("", reply)))
    signals = read_signals(words)
    if reply_match and _SENDER_CHECK_RE.search(text[:reply_match.start(1)]):
        # The relay quotes what it was told while checking our sender address ("Sender address
        # rejected: undeliverable address: host ... said: 550 User unknown"): the quoted reply is
        # about our MAIL FROM, whatever it says of a "user".
        signals = Signals(signals.strong | {Signal.SENDER}, signals.weak)
    return Evidence(code, enhanced, reply, reply_match is not None, stage, signals)


def _strongest(signals: Signals, *, permanent: bool) -> Kind | None:
    """The kind the words say, the asymmetry applied; None if they say nothing."""
    for tier in (signals.strong, signals.weak):
        if not tier:
            continue
        if permanent:
            tier = tier - {Signal.TEMPORARY}  # "554 service unavailable": a refusal, not a passing trouble
        elif tier is signals.weak:
            tier = tier - {Signal.MAILBOX, Signal.DISABLED}  # "450 mailbox unavailable": busy, not gone
            if Signal.RATE in tier:
                # "421 Message from 203.0.113.5 temporarily deferred": a temporary reply that
                # only leans to our side and asks for later asks us to come back, not to stop.
                return Kind.RATE_LIMITED
        for signal, kind in _SIGNAL_KINDS:
            if signal in tier:
                return kind
    return None


def _before_recipient(ev: Evidence) -> Kind:
    """A refusal at the greeting, HELO or MAIL FROM: nobody was named yet but the sender."""
    sig = ev.signals
    for signal in (Signal.GREYLIST, Signal.RATE, Signal.TEMPORARY, Signal.SIZE):
        if signal in sig.strong:
            return _KIND_OF[signal]
    if ev.code // 100 == 4 or ev.enhanced.startswith("4."):
        if sig.has(Signal.SENDER) or ev.enhanced.startswith("4.7."):
            return Kind.SENDER_BLOCKED
        if _receiver_or_network(ev.enhanced) and not sig.has(Signal.RATE):
            return Kind.TRANSIENT  # X.3/X.4: the receiving system or the network, for now
        return Kind.RATE_LIMITED if ev.code == 421 or sig.has(Signal.RATE) else Kind.TRANSIENT
    if Signal.PROTOCOL in sig.weak and not sig.has(Signal.SENDER):
        return Kind.UNDETERMINED
    return Kind.SENDER_BLOCKED


def _detail_kind(enhanced: str) -> Kind | None:
    for pattern, kind in _DETAIL_CODES:
        if pattern.fullmatch(enhanced):
            return kind
    return None


# Details that cover per-recipient refusals too: RFC 3463's X.7.1 ("per-host or per-recipient
# filtering"), and 4.2.1, RFC's "mailbox disabled" that Gmail uses for "receiving too fast":
# plain words about the recipient may overrule them.
_PER_RECIPIENT_RE: Final = re.compile(r"5\.7\.1|4\.2\.1")
# Among words about the recipient, the more specific first: a disabled account or a dead
# domain says more than "recipient rejected".
_RECIPIENT_ORDER: Final = (Signal.DISABLED, Signal.DOMAIN, Signal.MAILBOX)
_NOT_A_VERDICT: Final = frozenset({Signal.LOOP, Signal.PROTOCOL, Signal.TEMPORARY, Signal.RELAY,
                                   Signal.EXPIRED, Signal.POLICY})
# Signals that point away from the recipient: with any of them in the reply, a recipient-side
# hard kind is not clear (the asymmetry, `_recipient_is_clear`).
_OTHER_SUBJECT: Final = frozenset({Signal.SENDER, Signal.RELAY, Signal.PROTOCOL, Signal.LOOP})
# X.7.0 / X.7.1: "refused for security or policy reasons", the generic details of the class.
_GENERIC_POLICY_RE: Final = re.compile(r"[45]\.7\.[01]")
# An address-syntax complaint: X.1.3 (RFC 3463 "bad destination mailbox address syntax", used
# for any address), X.5.2 / X.5.4 (syntax error, invalid command arguments), or reply 501
# ("syntax error in parameters or arguments", RFC 5321).
_ADDRESS_SYNTAX_RE: Final = re.compile(r"[45]\.1\.3|[45]\.5\.[24]")
# Words that say an address is malformed, whatever code stands beside them: servers give the
# same X.1.x code for our MAIL FROM as for the recipient ("554 5.1.2 Address is missing a domain
# name"), so only words can say whose.
_SYNTAX_WORDS_RE: Final = re.compile(
    r"missing (?:a |the )?domain|(?:not|n't) (?:contain |have |include )?(?:a )?fully[- ]qualified"
    r"|(?:illegal|invalid|bad) address syntax|\baddress syntax\b|must (?:include|specify|contain) (?:a )?(?:host ?name|domain)"
    r"|address (?:has|with) no domain\b|domain name required for address"
    r"|(?:user ?name|local[- ]?part|address|mailbox name) (?:is )?too long", re.I)
# A specific detail whose subject is not an address or a mailbox (RFC 3463): X.3 the receiving
# mail system, X.5 the protocol, X.6 the message's media. Words about a recipient beside it
# ("554 qq private key file does not exist (#5.3.5)") are about something else.
_OTHER_SUBJECT_RE: Final = re.compile(r"[45]\.(?:3\.[1-9]|5\.[1-9]|6\.\d)\d*")
# Reply codes about the dialogue itself (RFC 5321: 502 command not implemented, 503 bad sequence
# of commands; RFC 4954: 530/535 authentication), whatever enhanced code a server puts beside
# them ("503 5.1.1 Failed to add user to recipients"). 500, 501 and 504 are not among them:
# servers give them for a recipient's malformed address ("504 5.5.2 <foo>: Recipient address
# rejected: need fully-qualified address"), which the syntax rules read.
_DIALOGUE_CODES: Final = frozenset({502, 503, 530, 535})
# The message named as what was refused, a policy as the reason (LABELLING.md, F11).
_MESSAGE_POLICY_RE: Final = re.compile(
    r"\b(?:message|e-?mail|mail(?: data)?)\b(?: (?!system|server|address|account|domain|host|from)\S+)? "
    r"(?:was |is |has been )?(?:rejected|refused|not accepted|violates)\b.{0,60}?\bpolic(?:y|ies)\b", re.I)
_STOCK_552_RE: Final = re.compile(r"requested mail action aborted:? exceeded storage allocation", re.I)
# A relay's words, before the reply it quotes, that it was checking our sender address.
_SENDER_CHECK_RE: Final = re.compile(r"sender address rejected|sender verif\w*|verification failed for|callout verification", re.I)
# A reply without codes that says by itself it is temporary and asks to be tried again.
_SAYS_TEMPORARY_RE: Final = re.compile(r"\btemporar(?:y|ily)\b.*\b(?:try|retry)(?: it)?(?: again)? later"
                                       r"|\b(?:try|retry)(?: it)? again later\b.*\btemporar(?:y|ily)\b", re.I)
# Words that name a mailbox or its owner's quota, beside a code of the mail system's storage.
_MAILBOX_WORDS_RE: Final = re.compile(r"mail ?box|inbox|quota|\buser|account|recipient", re.I)
# RFC 3463's network and routing details but X.4.7 (delivery time expired).
_NETWORK_DETAIL_RE: Final = re.compile(r"4\.4\.[0-6]")
# Microsoft Exchange Online's Directory Based Edge Blocking: "550 5.4.1 Recipient address
# rejected: Access denied" is documented as "the recipient does not exist in the organisation".
_DBEB_RE: Final = re.compile(r"recipient address rejected: access denied", re.I)
# Exchange Online's own trailer on a reply: its anti-spam tag "AS(123)" or a server name of its
# (…prod.outlook.com, …protection.outlook.com): the same DBEB reply quoted without its 5.4.1.
_MICROSOFT_RE: Final = re.compile(r"\bAS\(\d{3,}\)|\.prod(?:\.protection)?\.outlook\.com\b", re.I)
# The enhanced code's subjects about the destination address and mailbox (not 5.1.7/5.1.8,
# the sender's address).
_RECIPIENT_SUBJECT_RE: Final = re.compile(r"5\.1\.(?:[0-6]|9|1\d)|5\.2\.[01]")
# Postfix's prefix for a refusal while checking the recipient address, and the reason after it.
# Without a reason after it ("554 <a@b>: Recipient address rejected") it says which address was
# refused and nothing of why.
_CHECKED_ADDRESS_RE: Final = re.compile(r"recipient address rejected(?:: ?(.*)|\W*$)", re.I)
# Words that say the refused address is the recipient's, not our MAIL FROM's. The command's
# name ("501 Invalid RCPT TO") says which command was malformed, not whose address.
_NAMES_RECIPIENT_RE: Final = re.compile(
    r"\b(?:recipients?|destination|rcpt(?! ?to\b)|addressee|mailbox|user|account|forward[- ]path)\b"
    r"|\baddress(?:es)? in rcpt to\b", re.I)
# A trouble of the receiver's own that it names: its spool, disk, database or back end failing,
# a read or write that failed, a transaction that timed out (LABELLING.md, F14).
_OWN_TROUBLE_RE: Final = re.compile(
    r"(?:error|failure|failed|problem|cannot|can't|could not|couldn't|unable to)\b[^.;]{0,30}\b(?:spool|disk|database|back ?end|queue file|ldap|directory server)"
    rf"|\bldap (?:query |lookup |search |bind )?(?:failed|error|failure)|{SCANNER_DOWN}|{LOCAL_DELIVERY_DOWN}"
    r"|\b(?:spool|disk|database|back ?end|queue file)\b[^.;]{0,30}\b(?:error|failure|failed|not running|down|gone|unavailable|full)"
    r"|error (?:writing|reading|receiving) (?:the )?(?:spool|data|file)|transaction time ?out"
    # A part of its own out of service ("mailbox plugin unavailable"), its connection broken
    # (RFC 3463's X.4.2, "bad connection").
    r"|\b(?:plug-?in|module|processor|handler)s? (?:is |are )?(?:unavailable|not available|missing|not loaded|down)"
    r"|\bbad connection\b|\bconnection (?:lost|dropped|broken)\b", re.I)
_DNS_RE: Final = re.compile(r"\bdns\b|lookup|name server|resolv", re.I)
# Words that name the recipient itself (not "user" or "account", which may be ours).
_RECIPIENT_NAMED_RE: Final = re.compile(r"\b(?:recipients?|rcpt|addressee)\b", re.I)
_ATTACHMENT_RE: Final = re.compile(r"\battach", re.I)
# "User name" and a quoted local part ("for address \"user\"") name an address's part, not whose.
_USER_NAME_RE: Final = re.compile(r"\buser ?name\b|\"[^\"]*\"", re.I)
# DATA's answer when every RCPT TO was refused uses the word without naming anyone.
_NO_VALID_RE: Final = re.compile(NO_VALID_RECIPIENTS, re.I)


def _names_recipient(reply: str) -> bool:
    return bool(_NAMES_RECIPIENT_RE.search(_NO_VALID_RE.sub(" ", reply)))


# Postfix's prefix that says which address it checked ("Sender address rejected: You are sending
# too many emails"): it names the address, not a cause of the refusal.
_CHECKED_PREFIX_RE: Final = re.compile(r"\b(?:sender|recipient) address rejected:", re.I)
# Words that make a pace request a block: the cause named is our reputation or our mail's.
_REPUTATION: Final = frozenset({Signal.SENDER, Signal.CONTENT})

# Signals that name a subject other than the recipient, even when only leaning.
_SUBJECTS: Final = frozenset({Signal.SENDER, Signal.CONTENT, Signal.SIZE, Signal.STORAGE, Signal.RATE})


# The details that only Gmail's, Yahoo's and Apple's use make a pace request (see _decide).
_PACING_BY_DEFAULT_RE: Final = re.compile(r"4\.2\.1|4\.7\.0")
# "Try again later" and its kin, and RFC 5321's stock words around a deferral: no cause named.
_LATER_RE: Final = re.compile(r"(?:try|retry|come back|send|resend)(?: (?:again|it|your message))?(?: at)? (?:a )?later"
                              r"|closing (?:the )?(?:transmission )?(?:channel|connection)|\bplease\b", re.I)
# A stock phrase that a recipient is unknown, and the words around a reply that only say which
# command it answered: what `_terse` takes away before looking for words of the reply's own.
_RECIPIENT_PHRASE_RE: Final = re.compile(
    r"user unknown|unknown user|no such user|not a known user|unknown recipient|recipient unknown"
    r"|does not exist|\b(?:rcpt|to|user|recipient|mailbox|address)\b", re.I)
_STAGE_WORDS_RE: Final = re.compile(r"\(?in reply to (?:end of )?\w+(?: \w+)? command\)?|after end of data"
                                    r"|smtp error from remote (?:mail )?server|\bsaid\b"
                                    r"|\(reason:"  # Sendmail's wrapper of the reply in its list of addresses
                                    # chasquid's command before the reply ("MAIL+RCPT 550 ...").
                                    r"|^(?:mail\+rcpt|data closing|data|mail|rcpt)(?= [245]\d\d\b)", re.I)
# A reply's own words: what is left without codes, addresses, host names, numbers, a command
# named in brackets ("(EHLO)") and Gmail's server tag ("- gsmtp").
_NOT_WORDS_RE: Final = re.compile(r"\(\w+\)|\bgsmtp\b|[245]\d\d[ -]|\(?#?[245]\.\d{1,3}\.\d{1,3}\)?|<[^>]*>|\S+@\S+|\[[^\]]*\]|\S*\d\S*")


# RFC 7504's meaning in words: the host or domain accepts no mail at all.
_ACCEPTS_NO_MAIL = r"(?:does not accept|(?:is )?not accepting|accepts no) (?:network )?(?:e-?mails?|mail|messages)"
_ACCEPTS_NO_MAIL_RE: Final = _rx(_ACCEPTS_NO_MAIL + r"|null mx")
# RFC 5321's and RFC 7504's own texts for the bare codes 421, 521 and 556, and a farewell: said
# alone, they add nothing to the code.
_CODE_STOCK_RE: Final = _rx(r"service (?:is )?(?:not available|unavailable)|closing (?:the )?(?:transmission )?(?:channel|connection)"
                            r"|(?:please )?try (?:again )?later|(?:smtp )?(?:protocol )?(?:returned )?(?:an? )?(?:permanent|fatal) (?:error|failure)"
                            r"|(?:(?:this |the )?(?:system|server|host|domain|service) )?" + _ACCEPTS_NO_MAIL +
                            r"|no mail service|good ?bye|\bbye\b|\bsmtp\b|\besmtp\b|\berror\b"
                            # mox localserve's own test replies ("421 4.0.0 failure with code 421
                            # due to special localpart"): the code and nothing more.
                            r"|failure with code|due to special localpart|\b(?:transient|permanent):"
                            r"|(?:requested )?(?:mail )?action (?:not taken|aborted):?|exceeded storage allocation")
# A host name or a domain among the words ("mx.example.org", "example.org.").
_DOTTED_RE: Final = re.compile(r"\S+\.\S+")


def _adds_nothing(ev: Evidence) -> bool:
    """Whether the reply's words say nothing beyond its code: none, or only host names, numbers
    and the code's stock text ("421 mx.example.org Service not available, closing channel")."""
    words = _DOTTED_RE.sub(" ", _CODE_STOCK_RE.sub(" ", _NOT_WORDS_RE.sub(" ", _RELAY_HOST_RE.sub(" ", ev.reply))))
    return not re.findall(r"[^\W\d_]{3,}", words)


def _terse(ev: Evidence) -> bool:
    """Whether the reply's words are a recipient phrase and nothing else ("550 : User unknown")."""
    words = _NOT_WORDS_RE.sub(" ", _RELAY_HOST_RE.sub(" ", ev.reply))
    left = read_signals(words)
    if (left.strong | left.weak) - _RECIPIENT_SIGNALS:
        return False
    rest = _RECIPIENT_PHRASE_RE.sub(" ", _STAGE_WORDS_RE.sub(" ", words))
    return not re.findall(r"[^\W\d_]{3,}", rest)


def _says_more_than_later(ev: Evidence) -> bool:
    """Whether the reply's words say something beyond a code and "try again later"."""
    words = _LATER_RE.sub(" ", _NOT_WORDS_RE.sub(" ", ev.reply))
    return len(re.findall(r"[^\W\d_]{3,}", words)) >= 2


def _policy_only(sig: Signals) -> bool:
    """Whether the words refuse by policy without naming whose or what's fault."""
    return (Signal.POLICY in sig.weak and not sig.strong - _NOT_A_VERDICT
            and not sig.weak & _SUBJECTS)


def _address_syntax(ev: Evidence) -> bool:
    """Whether the reply complains about an address's syntax (whose, the words must say).

    A code whose detail says whose address it is (X.1.7/X.1.8: the sender's) settles it: a 501
    with 5.1.7 is a complaint about our MAIL FROM, not an open question."""
    if _detail_kind(ev.enhanced) is Kind.SENDER_BLOCKED and ev.enhanced[2:4] == "1.":
        return False
    if ev.enhanced and not _is_generic(ev.enhanced) and ev.enhanced[2] not in "15":
        return False  # "501 5.6.0 data error", "501 5.7.1 ...": the code says what the 501 was about
    return bool(_ADDRESS_SYNTAX_RE.fullmatch(ev.enhanced) or _SYNTAX_WORDS_RE.search(ev.reply)) or ev.code == 501


# A reply whose slot for the address is empty: the code, then ": " straight away.
_EMPTY_ADDRESS_SLOT_RE: Final = re.compile(r"(?:^|\b)[45]\d\d:? +: *user unknown\b", re.I)


def _names_recipient_itself(reply: str) -> bool:
    """Whether the words name the recipient, not counting the stage's "in reply to RCPT TO"."""
    return bool(_RECIPIENT_NAMED_RE.search(_STAGE_WORDS_RE.sub(" ", reply)))


def _recipient_is_clear(ev: Evidence, temporary: bool, syntax: bool) -> bool:
    """Whether nothing in the reply points away from the recipient (the asymmetry)."""
    sig = ev.signals
    if ev.stage is Stage.DATA and _detail_kind(ev.enhanced) not in RECIPIENT_HARD and _terse(ev):
        # The recipient was accepted at RCPT TO: a bare "550 Unknown user x" in answer to the
        # message is a filter's (Japanese carriers answer so for a recipient's reception
        # settings), not a verdict on the address. A server that checks recipients after DATA
        # on purpose says more ("This mailbox is disabled"); a code of the recipient's (5.1.1,
        # 5.2.1) settles it too (LABELLING.md, F1).
        return False
    if (_GENERIC_POLICY_RE.fullmatch(ev.enhanced) and Signal.DOMAIN in sig.strong
            and ev.code != 551 and ev.stage is not Stage.RCPT
            and not _names_recipient_itself(ev.reply)):
        # "550 5.7.1 Non-existent domain": a domain's verdict beside a policy code, without
        # saying whose domain; sender-domain checks answer so as often as recipient ones. A
        # 551 (RFC 5321: "user not local") or a reply to RCPT TO answers for the recipient.
        return False
    if _EMPTY_ADDRESS_SLOT_RE.search(ev.reply) and _detail_kind(ev.enhanced) not in RECIPIENT_HARD:
        # "550 : User unknown", the address left out where the server puts it ("550 <x>: User
        # unknown"): au/KDDI's (ezweb.ne.jp) answer for a recipient's reception filter, which
        # refuses us, not a verdict on the address; for an unknown address it names it.
        return False
    if (_OTHER_SUBJECT_RE.fullmatch(ev.enhanced) and not _ADDRESS_SYNTAX_RE.fullmatch(ev.enhanced)
            and ev.code not in (521, 556)):
        return False  # the code's detail names the mail system, the protocol or the message
    plain = bool(sig.strong & _RECIPIENT_SIGNALS)  # the words themselves name the recipient's state
    if ev.code in (530, 535) or (ev.code in _DIALOGUE_CODES and not plain):
        return False  # authentication, or a command error whose words do not name the recipient
    other = _OTHER_SUBJECT - {Signal.PROTOCOL} if syntax else _OTHER_SUBJECT  # the address's syntax
    if any(s in sig.strong for s in other) or any(s in sig.weak for s in other - {Signal.SENDER}):
        return False  # the sender, a relay, a syntax error or a loop is named too
    prefix = _CHECKED_ADDRESS_RE.search(ev.reply)
    if prefix and not syntax and _detail_kind(ev.enhanced) not in RECIPIENT_HARD and ev.code not in (521, 556):
        # Postfix's "Recipient address rejected:" only says which address was checked; the
        # words after it are the verdict ("Mailer error", "On hold", "Internal system error"),
        # read with the prefix when they are a state of the address ("...: Blocked").
        after = read_signals(_RELAY_HOST_RE.sub(" ", prefix[1] or ""))
        whole = read_signals(_RELAY_HOST_RE.sub(" ", prefix[0]))
        if not ((after.strong | after.weak) & _RECIPIENT_SIGNALS or whole.strong & _RECIPIENT_SIGNALS):
            return False
    if sig.strong - _RECIPIENT_SIGNALS - {Signal.TEMPORARY}:
        return False  # a strong word about the message, the pace or the storage
    if Signal.TEMPORARY in sig.strong and not plain:
        return False  # the receiver's own failure ("Internal error during delivery") beside a code
    if sig.weak & {Signal.POLICY, Signal.SENDER} or temporary:
        # A policy refusal, a word leaning to the sender (an IP number, "blocked") or a
        # temporary reply: the recipient must be named plainly.
        return plain
    # Otherwise plain words, or a code whose detail is the recipient's: a word that only
    # leans ("unknown", "invalid", "not found", "rejected") is not enough to suppress at once.
    # "Recipient address syntax error"; a "user name too long" names an address's part, which
    # MAIL FROM and RCPT TO both have.
    named = syntax and _names_recipient(_USER_NAME_RE.sub(" ", ev.reply))
    # A leaning word and a code of the same subject (RFC 3463 X.1.x address, X.2.x mailbox
    # status) agree: "550 #5.1.0 Address rejected".
    agreeing = bool(sig.weak & _RECIPIENT_SIGNALS) and bool(
        _RECIPIENT_SUBJECT_RE.fullmatch(ev.enhanced) or _names_recipient(ev.reply))
    # RFC 7504's 521 and 556 say by themselves that the host or domain takes no mail.
    return (plain or named or agreeing or _detail_kind(ev.enhanced) in RECIPIENT_HARD
            or ev.code in (521, 556))


def _not_recipient(ev: Evidence, temporary: bool) -> Kind:
    """The kind when a recipient-side reading is in doubt: what else the words say, or soft."""
    sig = ev.signals
    others = Signals(sig.strong - _RECIPIENT_SIGNALS, sig.weak - _RECIPIENT_SIGNALS)
    said = _strongest(others, permanent=not temporary)
    if said is not None and said is not Kind.UNDETERMINED:
        return said
    return Kind.TRANSIENT if temporary else Kind.UNDETERMINED


def _contradiction(code_kind: Kind, enhanced: str, sig: Signals) -> Kind | None:
    """The kind plain words give instead of the code's, or None if they do not contradict it."""
    if code_kind in RECIPIENT_HARD:
        # The asymmetry: a strong word about another side wins even beside words that agree.
        for signal, kind in _SIGNAL_KINDS:
            if signal in sig.strong and signal not in _RECIPIENT_SIGNALS | _NOT_A_VERDICT:
                return kind
        for signal in _RECIPIENT_ORDER:
            if signal in sig.strong:
                return None if _KIND_OF[signal] is code_kind else _KIND_OF[signal]
        return None
    if any(_KIND_OF[s] is code_kind for s in sig.strong):
        return None  # the words say what the code says
    if code_kind is Kind.TRANSIENT and Signal.EXPIRED in sig.strong:
        return Kind.EXPIRED  # "5.4.5 Delivery not attempted (message expired)": the queue gave up
    for signal, kind in _SIGNAL_KINDS:
        if signal not in sig.strong or signal in _NOT_A_VERDICT:
            continue
        if signal in _RECIPIENT_SIGNALS and not _PER_RECIPIENT_RE.fullmatch(enhanced):
            continue  # words blaming the recipient do not overrule a code that does not
        return kind
    return None


def decide(ev: Evidence) -> Kind:
    """The kind of failure the evidence shows, with the asymmetry applied last."""
    temporary = ev.temporary
    if (ev.enhanced == "5.4.1" or _MICROSOFT_RE.search(ev.reply)) and _DBEB_RE.search(ev.reply):
        return Kind.MAILBOX_UNKNOWN  # Microsoft's documented meaning, see _DBEB_RE
    kind = _decide(ev)
    if kind is Kind.RATE_LIMITED and ev.signals.strong & _REPUTATION:
        # Throttling for a cause on our side, its reputation or its mail's ("rate limited due
        # to IP reputation", "unusual rate of unsolicited mail from your IP", "user
        # complaints"): a block of the sender that lasts as long as the cause, not a pace to
        # keep, even in a temporary reply (LABELLING.md, F2).
        return Kind.SENDER_BLOCKED
    if kind is Kind.SENDER_BLOCKED and Signal.RATE in ev.signals.strong and _CHECKED_PREFIX_RE.search(ev.reply):
        # Postfix's "Sender address rejected:" names the address it checked; the words after it
        # give the cause, here a pace ("You are sending too many emails"), unless it is our
        # reputation (F2).
        cause = read_signals(_CHECKED_PREFIX_RE.sub(" ", ev.reply))
        if Signal.RATE in cause.strong and not cause.strong & _REPUTATION:
            return Kind.RATE_LIMITED
    if kind is Kind.EXPIRED and Signal.STORAGE in ev.signals.strong:
        # A relay that gave up, quoting the last reply it got: the cause that reply names (the
        # recipient's inbox out of storage) keeps its kind (LABELLING.md, F4).
        return Kind.MAILBOX_FULL
    if kind is Kind.EXPIRED and Signal.RATE in ev.signals.strong:
        # ... and so does a pace it was held to ("too much mail from 192.0.2.1: retry timeout
        # exceeded"), or our reputation behind it (F2).
        return Kind.SENDER_BLOCKED if ev.signals.strong & _REPUTATION else Kind.RATE_LIMITED
    if kind is Kind.CONTENT_REJECTED and ev.stage is Stage.RCPT and _detail_kind(ev.enhanced) is not kind:
        # Refused at RCPT TO, before the message was sent: words of a content policy ("Policy
        # violation") cannot be about a body the server has not seen: the rest decides.
        sig = Signals(ev.signals.strong - {Signal.CONTENT}, ev.signals.weak - {Signal.CONTENT})
        if sig != ev.signals:  # else the message's own structure said it ("attachment ... not allowed")
            return decide(Evidence(ev.code, ev.enhanced, ev.reply, ev.has_reply, ev.stage, sig))
    if kind in RECIPIENT_HARD and _NO_VALID_RE.search(ev.reply) and not ev.signals.strong & _RECIPIENT_SIGNALS:
        # DATA's answer when every RCPT TO was refused ("554 5.1.1 Error (DATA): no valid
        # recipients") names no recipient, whatever code it repeats (LABELLING.md, F10).
        return Kind.TRANSIENT if temporary else Kind.UNDETERMINED
    if kind in RECIPIENT_HARD and ev.code // 100 == 4:
        # A temporary reply asks to be asked again, even when it names the recipient's state
        # ("451 4.2.1 Delivery to mailbox is disabled"): never a reason to suppress at once
        # (LABELLING.md, F9); what else it says, else transient. mox's own give-up after such
        # replies is counted as a soft failure (classify_event: expired).
        return _not_recipient(ev, True)
    if (kind is Kind.UNDETERMINED and not temporary and _OWN_TROUBLE_RE.search(ev.reply)
            and not _DNS_RE.search(ev.reply) and not (ev.signals.strong | ev.signals.weak) & _SUBJECTS):
        # The receiver names a trouble of its own in a permanent reply ("550 Error writing
        # Spool", "554 Transaction failed - backend not running"): its system problem, given
        # up on, not a verdict on anyone (LABELLING.md, F14); an error it does not name stays
        # undetermined.
        return Kind.TRANSIENT
    if kind in RECIPIENT_HARD and ev.code // 100 == 5 and ev.enhanced.startswith("4."):
        # A permanent reply with a temporary enhanced code ("550 4.2.1 Account Disabled")
        # contradicts itself about how long the refusal lasts: in that doubt, not a reason to
        # suppress at once (rule 4); the temporary reading, as for F9.
        return _not_recipient(ev, True)
    if kind in RECIPIENT_HARD and not _recipient_is_clear(ev, temporary, _address_syntax(ev)):
        return _not_recipient(ev, temporary)
    return kind


def _decide(ev: Evidence) -> Kind:
    """The kind of failure the evidence shows, in the order of the module docstring."""
    sig = ev.signals
    if ev.code == 0 and not ev.has_reply:
        for pattern, kind in _MOX_RULES:
            if pattern.search(ev.reply):
                return kind
        # A network error, unless the text names a cause too (a relay's "mailbox is full:
        # retry timeout exceeded"); mox's own "no such host" stays transient (dnscheck.py).
        if _NETWORK_RE.search(ev.reply) and not sig.strong - {Signal.TEMPORARY, Signal.DOMAIN}:
            return Kind.TRANSIENT

    temporary = ev.temporary
    permanent = ev.code // 100 == 5 or ev.enhanced.startswith("5.")
    if Signal.LOOP in sig.strong:
        return Kind.UNDETERMINED  # a mail loop is nobody's verdict on the address
    if ev.stage in (Stage.CONNECT, Stage.MAIL):
        return _before_recipient(ev)
    if Signal.RELAY in sig.strong and Signal.SENDER not in sig.strong:
        return Kind.UNDETERMINED  # the host does not serve the domain: nobody's verdict
    if temporary and (Signal.TEMPORARY in sig.strong or Signal.GREYLIST in sig.strong):
        return Kind.TRANSIENT  # the receiver could not check or decide now
    if temporary and _NETWORK_DETAIL_RE.fullmatch(ev.enhanced) and not sig.strong & {Signal.RATE, Signal.STORAGE}:
        # X.4.0-X.4.6 (RFC 3463: no answer, bad connection, routing, congestion): the
        # network's trouble for now, whatever the words name ("no HELO/EHLO response").
        return Kind.TRANSIENT

    if (temporary and (ev.enhanced == "4.3.1" or (ev.enhanced == "4.3.0" and sig.has(Signal.STORAGE)))
            and not sig.strong & {Signal.SIZE, Signal.RATE} and not _MAILBOX_WORDS_RE.search(ev.reply)):
        # RFC 3463's X.3.1 "mail system full", or X.3.0 with words of storage: the receiving
        # system's own ("No space left on device", "insufficient storage"), not the recipient's
        # mailbox, unless words name it.
        return Kind.TRANSIENT

    if _address_syntax(ev):
        # A malformed address: ours (MAIL FROM) or the recipient's; only words can say which.
        if not sig.strong - _RECIPIENT_SIGNALS and not sig.has(Signal.SENDER):
            if not _names_recipient(ev.reply):
                # A temporary reply asks to be asked again, whatever its enhanced code says.
                return Kind.TRANSIENT if temporary else Kind.UNDETERMINED
            said = _strongest(sig, permanent=permanent) or _detail_kind(ev.enhanced)
            return said if said in RECIPIENT_HARD else Kind.MAILBOX_UNKNOWN

    generic = not ev.enhanced or _is_generic(ev.enhanced) or bool(_GENERIC_POLICY_RE.fullmatch(ev.enhanced))
    if ev.code == 530 and not sig.strong - _NOT_A_VERDICT:
        return Kind.SENDER_BLOCKED  # RFC 4954: authentication required, whatever "denied" says
    if ev.code == 535 and not temporary:
        # RFC 4954: the answer to AUTH, our credentials refused, whatever it names ("535 Domain
        # not found" is our login's domain, "535 prohibited method" our mechanism).
        return Kind.SENDER_BLOCKED
    if _policy_only(sig) and generic:
        if _MESSAGE_POLICY_RE.search(ev.reply) and not sig.weak - {Signal.POLICY}:
            # The message named as what broke a policy, nothing else named ("Message rejected
            # due to local policy", "This message violates example.com email policy"): the
            # message, whatever generic code stands beside it (LABELLING.md, F11); in a 4xx,
            # for now. "550 Message rejected" alone names no cause, like "Access denied".
            return Kind.TRANSIENT if temporary else Kind.CONTENT_REJECTED
        # "Access denied", "rejected due to local policy": after DATA the message was refused
        # (the recipient had been accepted); before, nobody is named.
        if ev.stage is Stage.DATA and permanent:
            return Kind.CONTENT_REJECTED
        return Kind.TRANSIENT if temporary else Kind.UNDETERMINED

    if (ev.code in (521, 556) and ev.stage is not Stage.DATA and not ev.enhanced.startswith("5.7.")
            and not (sig.strong | sig.weak) - _RECIPIENT_SIGNALS
            and (_adds_nothing(ev) or Signal.DOMAIN in sig.strong or _ACCEPTS_NO_MAIL_RE.search(ev.reply))):
        # RFC 7504: this host (521) or domain (556) accepts no mail at all, whatever detail
        # code follows ("521 5.3.2 System not accepting network messages"), when the words say
        # so or nothing else. Servers that answer 521 to every refusal ("521 I'm sorry, but your
        # email address is not in whitelist") use it as a general "no": their words decide.
        return Kind.DOMAIN_UNKNOWN
    code_kind = _detail_kind(ev.enhanced) if ev.enhanced else None
    if code_kind is Kind.RATE_LIMITED and _PACING_BY_DEFAULT_RE.fullmatch(ev.enhanced):
        # 4.2.1 and 4.7.0 are Gmail's and Yahoo's "come back later", but RFC 3463 gives them no
        # pace of their own ("mailbox disabled", "other security status"): they are pacing when
        # the words ask for it or add nothing; words about anything else decide, and words that
        # only describe the receiver's own state ("Mailbox is currently reserved", "Unable to
        # chdir to maildir") are its passing trouble.
        if _says_more_than_later(ev) and not sig.has(Signal.RATE):
            said = _strongest(sig, permanent=permanent)
            return said if said not in (None, Kind.UNDETERMINED) else Kind.TRANSIENT
    if code_kind is Kind.MESSAGE_TOO_LARGE and sig.strong <= {Signal.STORAGE} and _STOCK_552_RE.search(ev.reply):
        # RFC 5321's stock text for 552 ("exceeded storage allocation") beside a code that says
        # the message is too big (x.3.4, x.2.3): the stock words say nothing beyond a 552.
        return code_kind
    if (code_kind is Kind.SENDER_BLOCKED and _GENERIC_POLICY_RE.fullmatch(ev.enhanced)
            and not sig.strong and not sig.has(Signal.SENDER)):
        # X.7.1 is "per-host or per-recipient filtering" (RFC 3463): an attachment named ("554
        # 5.7.1 foo attachment") makes it the message's; words about a recipient that say
        # nothing of our side ("Recipient does not have a public key") make it the receiver's
        # choice of recipients, not our block (LABELLING.md, F13).
        if _ATTACHMENT_RE.search(ev.reply):
            return Kind.CONTENT_REJECTED
        if ev.stage is Stage.DATA and permanent and not sig.weak - {Signal.POLICY}:
            # After DATA the sender and the recipients had been accepted: what the filter
            # refused, naming nobody, is the message, as for "Access denied" after DATA above.
            return Kind.CONTENT_REJECTED
        if _names_recipient_itself(ev.reply):
            return Kind.UNDETERMINED
    if code_kind is not None:
        return _contradiction(code_kind, ev.enhanced, sig) or code_kind

    said = _strongest(sig, permanent=permanent)
    if said is Kind.UNDETERMINED and temporary and not sig.has(Signal.PROTOCOL):
        # Words that name nobody, in a reply that asks to be asked again; a client's protocol
        # errors ("421 Too many errors") are its own, not a passing trouble of the receiver.
        return Kind.TRANSIENT
    if said is not None:
        if ev.stage is Stage.DATA and said in RECIPIENT_HARD and not sig.strong & _RECIPIENT_SIGNALS:
            return Kind.CONTENT_REJECTED
        return said
    if ev.stage is Stage.DATA and permanent:
        return Kind.CONTENT_REJECTED  # the recipient was accepted; the message was not

    if permanent and ev.enhanced.startswith("5.7.") and Signal.TEMPORARY not in sig.strong:
        # Unless the words tell the receiver's own trouble ("550 5.7.1 Scanner failed").
        return Kind.SENDER_BLOCKED  # security or policy status (RFC 3463 X.7.x), no words
    if temporary and _receiver_or_network(ev.enhanced):
        # The enhanced code's subject says more than the bare reply code: X.3 is the receiving
        # mail system's status, X.4 the network's; "421 4.3.0 Mail system failure" is their
        # trouble, not a request to slow down.
        return Kind.TRANSIENT
    for bare, kind in _BARE_CODES:
        if ev.code == bare and not (bare == 552 and (sig.strong or sig.weak)):
            # A bare 552 is RFC 5321's "exceeded storage allocation"; a 552 whose words say
            # something else, though nothing decided ("bounce message does not have 1
            # recipient"), is not a full mailbox.
            if bare in (421, 521, 552, 556) and not _adds_nothing(ev):
                # Words the code's meaning does not cover ("421 Broadcast address", "521 Stop
                # sending me this", "552 Mailbox 'news' only accepts commands"): the code is a
                # general refusal, for now or for good.
                break
            return kind
    if temporary:
        return Kind.TRANSIENT
    return Kind.UNDETERMINED


def classify_failure(code: int, enhanced_code: str, text: str) -> Kind:
    """The kind of a failed or delayed delivery attempt, from what mox reported. Never raises."""
    return decide(read_evidence(code, enhanced_code, text))


def classify_event(event: str, code: int, enhanced_code: str, text: str) -> Kind | None:
    """The kind of failure a webhook event reports, or None if nothing failed."""
    name = (event or "").strip().lower()
    if name not in ("delayed", "failed"):
        return None  # delivered, relayed, expanded, canceled, suppressed, unrecognized, unknown
    ev = read_evidence(code, enhanced_code, text)
    kind = decide(ev)
    if name == "failed" and kind in (Kind.TRANSIENT, Kind.UNDETERMINED):
        # mox fails a message on a temporary (or no) reply only after its last retry.
        if ev.code == 0 or ev.code // 100 == 4:
            return Kind.EXPIRED
    return still_being_tried(kind) if name == "delayed" else kind


def still_being_tried(kind: Kind) -> Kind:
    """The kind of a delay (mox's delayed event, a report's delayed recipient): nothing about the
    recipient is decided yet, and a delay that names no cause is a temporary failure; a cause it
    names on another side (a full mailbox, throttling, a block of the sender) keeps its kind
    (LABELLING.md, F3)."""
    return Kind.TRANSIENT if kind in RECIPIENT_HARD | {Kind.UNDETERMINED, Kind.EXPIRED} else kind
