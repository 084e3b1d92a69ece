"""What the words of an SMTP reply are about: the evidence tables the classifier weighs.

A reply's words are read as *signals*: each says who or what the refusal is about (the
recipient's mailbox or domain, the sender's address, IP or authentication, the message, the
receiver's capacity) and how plainly (`strong`: a phrase that names its subject; `weak`: a
word that leans one way). The classifier (`classify.py`) decides from the SMTP stage and the
enhanced code first and uses these signals as evidence; it never takes the first phrase that
matches as the answer.

The rules are tried in the order written, and each match *consumes* its words: once
"delivery temporarily suspended" has been read as a temporary condition, its "suspended" can
no longer count as a disabled account; once "not listed in Domino Directory" has been read as
an unknown recipient, its "listed" is not a block list. So specific phrases come before the
single words they contain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Final

__all__ = ["LOCAL_DELIVERY_DOWN", "NO_VALID_RECIPIENTS", "SCANNER_DOWN", "SIGNAL_RULES", "STAGE_RULES", "Signal", "SignalRule", "Stage", "read_signals"]


class Signal(Enum):
    """What a phrase of a reply is about."""

    EXPIRED = "expired"  # a relay gave up after retrying
    GREYLIST = "greylist"  # a deliberate first-time deferral
    RATE = "rate"  # the receiver asks us to slow down
    SENDER = "sender"  # our IP, host, domain, authentication or envelope sender is refused
    CONTENT = "content"  # the message itself (spam verdict, virus, headers, charset)
    SIZE = "size"  # the message is too large
    STORAGE = "storage"  # the recipient's mailbox is full
    RELAY = "relay"  # the host does not serve that domain (stale MX, relay denied)
    LOOP = "loop"  # a mail loop: nobody's fault
    TEMPORARY = "temporary"  # the receiver's own temporary trouble
    PROTOCOL = "protocol"  # a syntax or sequence error in the SMTP dialogue
    POLICY = "policy"  # refused by the receiver's policy, without saying whose or what's fault
    DISABLED = "disabled"  # the mailbox exists but is switched off
    DOMAIN = "domain"  # the recipient's domain does not exist or takes no mail
    MAILBOX = "mailbox"  # the recipient's mailbox does not exist


class Stage(Enum):
    """The SMTP command the reply answered, when the text says (RFC 5321 order)."""

    UNKNOWN = "unknown"
    CONNECT = "connect"  # greeting, HELO/EHLO, STARTTLS, AUTH: before any address is named
    MAIL = "mail"  # MAIL FROM: only the sender is known
    RCPT = "rcpt"  # RCPT TO: the recipient is named
    DATA = "data"  # after the message: the recipient was accepted already


@dataclass(frozen=True)
class SignalRule:
    signal: Signal | None  # None: words that say nothing (RFC 5321's stock texts), used up
    strong: bool
    pattern: re.Pattern[str]


def _rule(signal: Signal | None, strong: bool, pattern: str) -> SignalRule:
    # Written in lower case and matched against the lowered text (read_signals): the same
    # matches as re.IGNORECASE at half the cost, since most of a reply's time goes here.
    letters = re.sub(r"\\.", "", pattern)  # \S, \W, \B are classes, not letters
    if letters != letters.lower():
        raise ValueError(f"signal rules match lowered text, so write this one in lower case: {pattern[:60]!r}")
    return SignalRule(signal, strong, re.compile(pattern))


S, W = True, False

# What may stand between a recipient word and what is said of it: the address or name itself
# ("User <jdoe> unknown", "Mailbox ( x@example.org ) not found"), or a relative clause
# ("The email account that you tried to reach is disabled").
_NAMED = r"(?:[<(\[] ?[^\s<>()\[\]]{1,100} ?[>)\]] |(?:that|which) you (?:tried|are trying|attempted) to (?:reach|contact) )?"

# Words that name our side: the envelope sender, our IP, host, server, domain or connection.
_OURS = (r"\bsenders?\b(?! (?:has been |was )?notified)|\bsending (?:domain|server|host|ip|address|mta|system)"
         r"|\byour (?:ip|server|host|domain|mail ?server|network|e-?mail server|mta|system|address|(?:mail )?(?:software|client|mailer))\b"
         r"|\bclient (?:host|ip|address)\b|\bconnecting (?:host|ip|server|client)\b|\bconnections? from\b"
         r"|\b(?:for|from) \[?(?:\d{1,3}|x{1,3})(?:\.(?:\d{1,3}|x{1,3})){3}\b")
# A refusal or a bad verdict, whoever it is about.
_VERDICT = (r"(?:rejected|refused|denied|blocked|banned|blacklisted|black ?listed|untrusted|disallowed|forbidden"
            # "not allowed to relay" is a relay denial, whoever it names (RELAY reads it).
            r"|not (?:allowed|authori[sz]ed|permitted|trusted|accepted|welcome|properly configured)(?! to relay)"
            r"|(?:does not|doesn't|not) exist|not verified|verification failed|violat\w*|not owned|(?:un|not )acceptable"
            r"|caught|trapped|flagged|has no|have no|does not have|doesn't have)")

# An IPv4 address (digits or the "x.xx.xx.xx" of redacted examples), or an IPv6 address.
# A loopback address (127.0.0.0/8) is a hop inside the receiver (amavis's "MTA([127.0.0.1]:10025)"),
# never the address our client connected from.
_IP = r"(?:(?!127\.)(?:\d{1,3}|x{1,3})(?:\.(?:\d{1,3}|x{1,3})){3}(?![\w.])|(?:ipv6:)?(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{1,4}\b)"

# DATA's answer when every RCPT TO was refused (Postfix's "554 5.5.1 Error: no valid recipients",
# "503 All recipients are invalid"): it names nobody; the RCPT TO replies were the verdicts
# (LABELLING.md, F10). A vendor's "No valid recipients for this MM" is about its one recipient.
NO_VALID_RECIPIENTS: Final = (r"no valid recipients(?! for)(?: (?:at|in|among) (?:the )?(?:rcpt|recipient) addresses)?"
                               r"|no (?:rcpt|recipient) addresses(?: at all)?|all recipients (?:are |were )?(?:invalid|rejected|refused)")

# "unable to deliver this message after 18 hours": a time spent trying, which in a failure
# report is a relay that gave up, and in a delay notice only that it has been a while.
UNDELIVERED_FOR = r"(?:unable|not able|failed) to deliver (?:this |the |your )?(?:message |mail )?(?:to \S+ )?(?:for|within|in|after) \d+ (?:days?|hours?)"

# A domain reserved for examples and tests (RFC 2606, RFC 6761), which never receives mail.
_RESERVED = r"(?:reserved by rfc ?(?:2606|6761)|(?:rfc ?(?:2606|6761) )?(?:reserved|special[- ]use) (?:domain|tld|top[- ]level domain))"

# The receiver's scanner or filter that could not run ("anti-virus unavailable"): its own trouble,
# no verdict on the message (LABELLING.md, F14's named trouble; classify reads it so in a
# permanent reply too).
SCANNER_DOWN: Final = (r"(?:anti-?virus|virus ?scanner|spam ?filter|content ?filter|scanner)(?: service)? (?:is )?"
                        r"(?:unavailable|not available|down|not running|failed)")
# A delivery agent's own failure on the receiving host: a file or directory it cannot create,
# a program it runs that is not there ("execvp ...: No such file or directory", "sh: 1: ...: not
# found"). The receiver's trouble, not a verdict on the address it was delivering to.
LOCAL_DELIVERY_DOWN: Final = (r"no such file or directory|\bexecv?p?\b[^.;]{0,80}(?:failed|no such|not found)"
                              r"|\bcommand not found|\bsh: (?:line )?\d+: [^;]{0,200}?\bnot found"
                              r"|(?:cannot|can't|unable to|could not|couldn't) (?:append|create|open|write)\b[^.;]{0,40}\b(?:file|directory)")

# "Your", in the languages whose words for an account the rules read: the SMTP client, us.
_YOURS = ("your", "votre", "su", "tu", "sua", "ihr", "dein")

# Who or what a recipient-related phrase names: the words mail servers use for "the recipient".
_WHO = r"(?:user|recipient|mailbox|mail[- ]?box|address|addressee|account|e-?mail(?: address)?|local[- ]?part|alias|destination)"

SIGNAL_RULES: Final[tuple[SignalRule, ...]] = (
    # RFC 5321's own texts for 550 and 553 ("mailbox unavailable (e.g., mailbox not found, no
    # access, or command rejected for policy reasons)", "mailbox name not allowed"): a server
    # that says only these has said nothing beyond its code.
    _rule(None, S, r"(?:requested action not taken:? )?mail ?box (?:\S+ )?(?:is )?(?:currently )?(?:unavailable|not available)(?! (?:or|and) (?:not local|disabled))"
          r"|(?:requested action not taken:? )?mailbox name not allowed"

          # RFC 3463's own text for X.7.1, which adds nothing to the code.
          r"|delivery not authori[sz]ed(?:,? message refused)?"
          # DATA's answer when every RCPT TO was refused: the RCPT TO replies were the verdicts.
          rf"|{NO_VALID_RECIPIENTS}"
          # Exchange's RESOLVER.ADR.BadPrimary: the recipient's directory entry lacks a valid
          # primary address, a fault of the receiving organisation's set-up for its admin to
          # mend, not a verdict that the address does not exist.
          r"|resolver\.adr\.badprimary|primary smtp address (?:is )?(?:missing|invalid)(?: or (?:missing|invalid))?"),
    # A recipient on the receiver's own list of refused recipients (qmail's badrcptto, "blacklisted
    # recipient"): such a list holds dead addresses and traps alike, a policy that names neither
    # a dead mailbox nor our block (LABELLING.md, F12); read before the block-list words. So is
    # a recipient left off the receiver's own allow list ("recipient not in whitelist", "User
    # unauthorized to receive external mail"): it may take mail from elsewhere (F13).
    _rule(Signal.POLICY, W, r"badrcptto|(?:black ?listed|block ?listed) recipient"
          r"|recipient (?:has been |is |was )?(?:black ?listed|block ?listed)"
          # A recipient blocked by the receiver's policy ("Recipient blocked by destination",
          # "recipient <x> black listed"), not its account switched off ("The recipient account
          # is blocked", read with the disabled accounts below).
          r"|(?:recipient|rcpt)(?: address)? (?:<[^>\s]*> |[^\s@<>]+@[^\s@<>]+ )?(?:has been |is |was )?"
          r"(?:blocked|black ?listed|block ?listed|deny ?listed)\b"
          r"|rcpt \S+ is (?:in|on) the (?:black|block|deny) ?list"
          r"|(?:is (?:a |an )?)?spam ?trap (?:e-?mail )?address[^.;]*"
          r"|(?:recipient|rcpt|addressee)(?:'s)? (?:e-?mail )?(?:address )?(?:\S+ )?(?:is )?not (?:in|on) (?:the |my |our |this )?"
          r"(?:white|allow|accept|permit(?:ted)?) ?list"
          r"|(?:user|recipient|rcpt|address|mailbox) (?:is )?(?:not authori[sz]ed|unauthori[sz]ed|not allowed|not permitted) to receive"
          r"|unauthori[sz]ed (?:to|rcpt|recipient) domain"
          r"|only accepts? (?:e-?)?mails? (?:for|to) (?:its |the )?(?:listed|registered|known|allowed|authori[sz]ed|permitted) (?:recipients|addresses|users)"),
    # --- Phrases that contain words of other subjects: read first, so their words are used up.
    # A relay's "gave up" report (the last reply it got may follow; the giving up is the news).
    _rule(Signal.EXPIRED, S, r"retry time ?out (?:exceeded|expired)|delivery time expired|message (?:has )?expired"
          r"|(?:could not|couldn't|was not|has not been|not been|cannot) (?:be )?(?:delivered|sent|send (?:the )?message)"
          r"(?: to [^ ]+)? (?:for|within|in|after) (?:the last )?\d+ (?:days?|hours?)"
          r"|in the queue too long|too long in (?:the )?queue|queue\.expired|failed \d+ attempts"
          rf"|{UNDELIVERED_FOR}"
          r"|retry time not reached for any host after a long failure period|(?:giving|gave) up(?! on)"
          r"|(?:have been|has been|were) failing for (?:a long time|\d+)"
          r"|maximum (?:time|number of (?:delivery )?attempts)|expired after|past (?:the |its )?expiration"
          # A sending MTA that reached none of the domain's mail servers (Haraka's "Tried all
          # MXs", whatever Status it writes beside it): connections, not a verdict on the domain.
          r"|tried all (?:the )?(?:mxs?|mx (?:hosts|servers|records)|mail exchangers)\b"
          r"|(?:could not|couldn't|unable to|cannot|can't) (?:connect|deliver) to any (?:of (?:the|its) )?(?:mxs?|mx hosts|mail exchangers|mail servers)\b"),
    # A relay denial worded with why relaying is refused ("unauthenticated relaying denied"), and
    # a host that serves other domains only ("Domain not served here", "this SMTP server only
    # accepts emails for example.com"): this host does not serve the address; "unauthenticated"
    # is not a block of our host.
    _rule(Signal.RELAY, S, r"unauthenti[ck]ated relay(?:ing)? (?:is )?(?:denied|not (?:allowed|permitted)|prohibited|refused)"
          r"|(?:domain|address|recipient) (?:is )?not served here|only accepts? (?:e-?mails?|mail|messages) for\b"
          # Sendmail's "553 Local configuration error, hostname not recognized as local": the
          # recipient's host name is not one this server takes mail for.
          r"|(?:host ?name|domain|host) (?:is )?not recogni[sz]ed as (?:a )?local"),
    # A busy or locked mailbox is the mailbox's passing state, not a pace ("450 4.2.1 mailbox
    # busy"), read before "busy" leans to a pace.
    _rule(Signal.TEMPORARY, S, r"mail ?box (?:is )?(?:currently )?(?:busy|in use|locked)"),
    # Commands in the wrong order (RFC 5321's 503): the client's slip, which names no cause; the
    # command's name (HELO, AUTH) is not a refusal of our host ("503 Start by saying HELO",
    # "Duplicate HELO/EHLO", "Authentication not allowed in transaction state").
    _rule(Signal.PROTOCOL, S, r"(?:send |say |issue |use )?(?:helo|ehlo)(?:/(?:helo|ehlo))? first|(?:start|begin) (?:by|with) (?:saying |sending |issuing )?(?:helo|ehlo)"
          r"|duplicate (?:helo|ehlo)(?:/(?:helo|ehlo))?|(?:helo|ehlo) (?:already (?:given|sent|received)|twice)"
          r"|(?<!mail )(?<!from )(?:must have|requires?|needs?) an? (?:address )?(?:operand|argument|parameter)\b"
          r"|(?:authentication|auth) (?:is )?not allowed (?:in|during) (?:the |a )?(?:mail )?transaction(?: state)?|polite people say (?:helo|ehlo)"),
    # A check that could not be made because a lookup failed ("SPF: example.com: 'SERVFAIL' error
    # on DNS 'TXT' lookup", "Time-out on DNS lookup"): the check's subject is not its verdict.
    _rule(Signal.TEMPORARY, S, r"(?:\b(?:spf|dkim|dmarc)\b[^.;]{0,60}?)?(?:'?servfail'? (?:error )?|(?:error|time-?out|timeout) )on dns\b[^.;]{0,60}"
          r"|\bservfail\b"),
    # The sender's From: address that could not be verified names its subject (the sender),
    # though it uses the words of a temporary check.
    _rule(Signal.SENDER, S, r"(?:verify|verification of) (?:the )?\"?from:?\"? (?:header )?address"),
    # RFC 5321's stock 421/554 "Service not available" beside a detail or a code: leaning to
    # a refusal of our client, never more (the detail decides: 4.3.2 is the system's state).
    _rule(Signal.SENDER, W, r"smtp service (?:is )?(?:not available|unavailable)"),
    # "This is a temporary error" beside a cause says how long the refusal lasts, not that the
    # receiver could not decide: the cause it names decides ("Peak SMTP relay limit exceeded").
    _rule(Signal.TEMPORARY, W, r"this is (?:only )?a temporary (?:error|failure|problem|condition|rejection)"),
    # The receiver could not do its own work (a lookup, a check, a disk): temporary, whatever
    # the check was about. Postfix's "delivery temporarily suspended" note is about the
    # connection, not an account.
    # A permanent error in our SPF record ("Permanent DNS error while checking SPF record", SPF's
    # permerror) is our broken record, not a check that could not run for now.
    _rule(Signal.SENDER, S, r"perm(?:anent)? (?:dns )?error\b[^.;]{0,40}\bspf\b|\bspf\b[^.;]{0,30}\bperm ?error\b"),
    # A check that failed to run: what it was checking is not its verdict ("Internal server error
    # while checking return path", "DNS error while checking SPF record").
    _rule(Signal.TEMPORARY, S, r"\b(?:[\w-]+ ){0,2}(?:error|failure|problem|timeout|timed out)\b[^.;]{0,30}? (?:while|when|during) "
          r"(?:checking|verifying|validating|looking up|resolving|querying|scanning)\b[^.;]{0,40}"),
    # A filter daemon's own name is not a verdict ("Calling rspamd timed out"); "Blocked by
    # SpamAssassin" names the content filter that refused, and stays the message's.
    _rule(Signal.CONTENT, S, r"(?:message|mail|e-?mail)\b[^.;]{0,20}?(?:rejected|refused|blocked) by (?:r?spamd|spamassassin|spamc|amavisd?|clamd|clamav)\b"
          # GTUBE, the test string every spam filter knows (SpamAssassin, rspamd's "Gtube
          # pattern"), is found in a message body only.
          r"|\bgtube\b"),
    # The receiver's scanner or filter that could not run ("anti-virus unavailable"): its own
    # trouble, no verdict on the message (LABELLING.md, F14's named trouble).
    _rule(Signal.TEMPORARY, S, SCANNER_DOWN),
    _rule(Signal.TEMPORARY, S, LOCAL_DELIVERY_DOWN),
    _rule(None, S, r"\b(?:r?spamd|spamc|clamd|amavisd)\b"),
    _rule(Signal.TEMPORARY, S, r"delivery temporarily suspended|host not found, try again|retry time not (?:yet )?reached"
          r"|(?:administratively )?set to defer\b"
          # A delivery agent's or queue's own failure (maildrop, qmail-queue's "qq ..."), even
          # when it names the virus scanner it could not run.
          r"|unable to (?:open|deliver to|write to|lock) (?:the )?mail ?box|cannot find system user|server is down"
          r"|unable to (?:get privilege to )?run [\w ]{0,30}(?:scanner|filter|program)|\bqq (?:unable|temporary|read|write|trouble)\b"
          r"|(?:unable to|could not|couldn't|cannot|can't|failed to|problem (?:running|with)|error (?:running|starting)) (?:the )?"
          r"(?:scan\b|scan for|run(?:ning)? (?:the )?(?:virus|spam|content)|(?:virus|anti-?virus|spam|content)[ -]?(?:scanner|filter|check))"
          r"|(?:unable to|could not|cannot|can't|failed to) (?:create|write to|open|make) (?:a |the )?(?:temporary|temp|tmp|lock|dot-lock|spool|queue)"
          r"|\b(?:time ?out|cpu|time|process) quota|\bcrash(?:ed|es)?\b|\bnot ready\b|(?:agent|filter|server|scanner|system|service|daemon) (?:is )?mis-?configured"
          r"|\bno response\b|validation error"
          r"|malformed (?:or unexpected )?name server reply|internal (?:server |system )?error"
          r"|name service error.{0,80}try again|insufficient system (?:storage|resources)|insufficient disk space"
          r"|mail system full|system (?:storage|disk) (?:is )?full|queue file write error|(?:space|disk|resource) shortage"
          # The receiver's own disk or spool, not a mailbox: "No space left on device", "out of
          # disk space", "spool full".
          r"|no space left on device|out of (?:free )?(?:disk|spool) space|(?:spool|file ?system|queue) (?:disk )?(?:is )?full"
          # A file the receiver could not use ("The process cannot access the file because it is
          # being used by another process", "Error writing spool").
          r"|(?:cannot|can't|could not|unable to) access (?:the )?file|(?:file )?(?:is )?being used by another process"
          r"|error (?:writing|reading) (?:the )?(?:spool|queue|file)"
          r"|local error in processing|\blocal error\b|(?:cannot|can't|unable to|failed to) (?:start|create|spawn|fork) (?:a )?(?:new )?(?:thread|process|child)|temporar(?:y|ily) (?:\w+ ){0,2}(?:failure|problem|error|unavailable)"
          r"|temporary rejection|upstream error|configuration error|temporary failure in name resolution"
          r"|(?:could|did) not complete|(?<!you )(?:unable to|could not|cannot|can't) (?:verify|validate|look ?up|resolve(?! your| (?:the )?ptr\b| (?:the )?reverse)|connect)"
          r"|(?:network|connection) (?:failure|problem)|connection (?:\S+ ){0,2}(?:was |is |has been )?(?:dropped|broken|lost|reset)\b"
          # A delivery agent that could not do its own work: a lock, a file, a directory, a
          # program it runs, a back end ("Unable to run qmail-local", "Lock failure on ...").
          r"|lock failure|error (?:while )?writing to|(?:can ?not|unable to|could not) (?:open|create) (?:a )?(?:new )?(?:e-?mail |mail |message )?file"
          r"|(?:unable to|could not|cannot|failed to) (?:save|store) (?:the )?(?:\w+ )?(?:message|mail)"
          r"|(?:unable to|could not|cannot|failed to) (?:[\w-]+ )?scan (?:the )?(?:message|mail|e-?mail)"
          r"|unable to (?:change to|chdir to) (?:the )?(?:home )?dir|unable to run [\w.-]+|backend (?:is )?not running|transaction time ?out"
          r"|verification (?:problem|failed temporarily)|local problem|temporarily rejected|tls (?:handshake )?(?:failed|not available)|failed to establish"
          r"|(?<!ip name )lookup (?:failure|failed|timeout|timed out|error)|unverified address|(?:rdns|dns|spf|dkim|dmarc) (?:lookup )?(?:timeout|timed out)"
          r"|(?:connect|connection) (?:timeout|timed out)|error connecting to|temporarily disabled"
          # "SPF check failed" is a verdict on our SPF, not a check that could not be made.
          r"|(?:scan|scanner|scanning|filter) (?:error|timeout|timed out|failed|failure)|check (?:error|timeout|timed out)"
          # The receiver's own machinery failed ("internal DKIM error", "DKIM key retrieval
          # failed"): whatever it was checking, it did not decide.
          r"|internal (?:\w+ )?error|(?:key|record) retrieval failed|system i/o error|i/o error|write error|out of memory"),
    _rule(Signal.GREYLIST, S, r"gr[ae]y ?list|(?:set|triplet|tuple|combination) not seen before"),
    _rule(None, S, r"are you a spammer\??|\bdspam\b"),
    # A DNS query that failed (also one to a block list's zone) is the receiver's trouble.
    _rule(Signal.TEMPORARY, S, r"\bdns (?:error|failure|timeout|lookup failure) (?:on|for|while|when|querying|asking|doing)\b(?: [\w.-]+)?"),
    # An attachment, its file or its extension named as what is black-listed or banned; a
    # header of the message (BCC, its From address); a bounce with several recipients: the
    # message, read before the sender's block-list words and "from address".
    _rule(Signal.CONTENT, S, r"(?:attach\w*|files?|file ?names?|extensions?)\b(?: \w+){0,4} (?:is |are |was )?(?:black ?listed|banned|blocked|forbidden|not allowed)"
          r"|(?<![\w.-])bcc(?![\w.-])|html (?:mail|messages?|e-?mails?|content)|(?:black ?listed|blocked|listed|banned) (?:body|message) (?:urls?|links?|uris?|hosts?|domains?)"
          r"|\(score:? ?-?\d|(?:mail|message|spam) score\b[^;]{0,20}?\b(?:over|above|exceeds?|too high)|recurrent pattern detection|heuristic|\"?from\"? (?:address|header) in the message|bounce messages? (?:with|should|must|that)"
          r"|(?:bounces?|dsns?|/dev/null|null sender|sender <>)(?: \w+){0,4} (?:more than one|several|multiple) recipients?"
          r"|(?:message|mail|e-?mail) (?:matches|contains|matched) (?:a |an )?(?:black ?listed|banned|forbidden|blocked|prohibited)"
          r"|(?:black ?listed|blocked|listed|banned) (?:urls?|uris?|links?|domains?) in (?:the |your )?(?:message|body|mail|e-?mail)"),
    # A relay denial, whatever it asks for relaying: the host does not serve the domain.
    _rule(Signal.RELAY, S, r"relay(?:ing)? (?:access )?(?:\w+ ){0,4}requires? authentication"),
    # A pace said as a count per period: "only allowed to send 100 messages in a 24-hour period",
    # "not more than once per 5 minutes".
    _rule(Signal.RATE, S, r"(?:message|mail|recipient) count (?:quota )?(?:exceeded|reached)|(?:smtp )?traffic quota"
          r"|cumulative message size(?: quota)?|(?:monthly|weekly|daily|hourly) limit|allowed to send \d+ (?:messages|mails|e-?mails)|(?:once|\d+ times?) (?:per|every|in) \d* ?(?:seconds?|minutes?|hours?)"
          r"|\d+ (?:messages|msgs|mails|e-?mails|requests) (?:per|in|every) (?:a |an |\d+ ?)?(?:[\w-]+ )?(?:second|minute|hour|day|period|[smhd]\b)"
          r"|(?:system|server|cpu) load (?:is )?(?:too )?high|\bhigh load\b|load (?:is )?too high"
          r"|reached (?:the )?max(?:imum)? (?:number of )?(?:messages|connections|recipients|rcpts|mails)\b"
          r"|sending too (?:much|many) (?:e-?mails?|mails?|messages)"
          r"|number of (?:\w+ ){0,2}(?:recipients|rcpts|messages|e-?mails|mails|connections) (?:has |have )?(?:been )?exceeded"),
    # A hit on a spam trap, an early talker, a client told it cannot connect: what the sending
    # host did or is (read before "spam" counts for the message).
    _rule(Signal.SENDER, S, r"(?:sent|mailed|sending|sends|hit|hits) (?:mail |e-?mail |messages? )?(?:to )?(?:an? |the |our )?(?:[\w.-]+ )?spam ?traps?"
          r"|\bip (?:address )?(?:has been |is |was )?(?:caught|trapped|flagged)\b|(?:started|began) (?:transmitting|talking|sending) before|before (?:the )?(?:smtp )?(?:greeting|banner)"
          r"|pre-?greeting|early talker|(?:must|should) wait for (?:my|the) (?:reply|greeting|banner)|\byou (?:cannot|can't|may not|can not|are not allowed to) (?:connect|send)\b"
          r"|domain ?keys|(?:your|the) (?:client|ip|host|server|sending)(?: address| host| server)? (?:is |looks |seems )?suspicious"
          r"|sending (?:mail |e-?mail )?from (?:a )?suspicious|without (?:a )?(?:correct|valid|proper) (?:dns|ptr|reverse dns|rdns)"
          rf"|dns (?:records?|entries) (?:for|of) \[?{_IP}|dictionary attack|directory harvest|(?:will not|won't) talk to you|wait for (?:the |my |our )?(?:mta |smtp |server )?(?:greeting|banner)"
          r"|(?:does not|doesn't|did not|didn't) identify itself|spamming (?:mail )?(?:server|host|ip|network)|known spammer"),
    # A hedge is not a verdict: "the group may not exist, or you may not have permission",
    # "the account or domain may not exist, they may be blacklisted" say the server does not know.
    _rule(None, S, r"\b(?:may|might) (?:not|no longer) (?:exist|be (?:valid|active))\b"
          r"|\b(?:may|might) (?:have been |be )(?:\w+ )?(?:disabled|deactivated|suspended|closed|blocked|blacklisted|listed|removed|deleted)\b"
          r"|\b(?:may|might) not have (?:the )?permission"),
    # Loops, before the words they use ("too many Received headers", "forwarded").
    _rule(Signal.LOOP, S, r"too many hops|hop count|(?:mail|mailing|routing|forwarding) loop|loop detected"
          r"|(?:too many )?recursive forward(?:s|ing)?"
          r"|loops back to myself|too many received|(?:server|verification|delivery|smtp|relay) loop"),
    # The sender's own sending limits (quota words that are not about storage).
    # RFC 5321's own words for a message too big for the server ("too much mail data").
    _rule(Signal.SIZE, S, r"too much (?:mail )?data|no more than \d+ ?[kmg]i?b\b"),
    # A size limit the message exceeded, and a mailbox over its limit: read before the pace words
    # "exceeded the limit" take them.
    _rule(Signal.STORAGE, S, r"(?:mail ?box|inbox|account|mail ?folder) (?:has |have )?(?:exceeded|exceeds|reached) (?:the |its |their )?(?:\w+ )?(?:limit|quota)"
          r"|(?:mail ?box|inbox|account|mail ?folder) (?:size |storage )?(?:limit|quota)"
          # A delivery that would take the mailbox over its storage ("mailbox would exceed maximum
          # allowed storage"); Postfix local(8)'s mailbox file over mailbox_size_limit ("mail file
          # size exceeds the maximum size allowed for mail delivery"); the user's space used up;
          # an account over what it may receive ("disabled temporarily for exceeding receiving
          # limits"): the recipient's allowance, not the message's size or our pace.
          r"|(?:mail ?box|inbox|account) (?:would|will) (?:exceed|go over) (?:the |its )?(?:\w+ ){0,2}(?:storage|quota|size|limit)"
          r"|mail ?file size exceeds|(?:user|mailbox|account|recipient)'?s? (?:storage |disk )?space (?:has been |is )?(?:used up|exhausted|run out)"
          r"|exceed\w* (?:the |its |their )?(?:receiving|incoming|reception) (?:limits?|quotas?)"),
    _rule(Signal.SIZE, S, r"(?:exceeded|exceeds|over) (?:the |its |our |a )?(?:\w+ )?size limit|size limit (?:exceeded|reached)"
          # French: "Taille limite du message atteinte", "message trop volumineux".
          r"|taille (?:limite |maximale )?(?:du|de|des) messages?|messages? trop (?:gros|volumineux|grand)"),
    _rule(Signal.RATE, S, r"\bflood(?:ing|ed)?(?: (?:policy|protection|control))?(?: violation)?\b|too busy|(?:limit of|more than|maximum of) \d+ (?:recipients|rcpts|messages|connections)|(?:try again|send) slower|messages? exceeded (?:the )?(?:\w+ ){0,2}limit|relay limit (?:exceeded|reached)"
          r"|(?:submission|transfer|sending|send|outbound|queue) ?(?:mail |message )?quota|limit of \d+ (?:\w+ )?(?:exceeded|reached)|quota for (?:sending|send)|(?:hourly|daily|weekly|per (?:hour|day|minute)) (?:\w+ ){0,2}quota|sender thread limit"
          r"|(?:thread|receive|hourly|daily|per hour|per day|connection|session) (?:\w+ )?limit"
          # A count over a time: "360 recipients per 1h", "11 exceed 10/60s".
          r"|\b\d+ (?:recipients|rcpts|messages|mails|e-?mails|connections) (?:per|an?|each) (?:\d+ ?)?(?:h|hours?|m|min|minutes?|s|seconds?|day)\b"
          r"|exceeds? \d+ ?/ ?\d+ ?(?:s|m|h|sec|min)\b"
          r"|exceeded the limit|limit for the number of|exceeded the max(?:imum)? (?:number of )?(?:e-?mails|messages|mails) (?:per|an?) (?:hour|minute|day)|(?<!size )(?<!space )(?<!line )\blimit (?:exceeded|reached)"),
    # The mailbox is full, said with words that elsewhere mean size or pace.
    _rule(Signal.STORAGE, S, r"too many messages (?:in|on) (?:the|this|his|her|their|user'?s?) (?:mail ?box|account|folder|server)"
          r"|(?:mail ?box|mail ?folder|inbox|account|mail ?store)(?:'s)? (?:size |storage |space )?(?:has )?exceed(?:s|ed)?"
          r"|exceeds? (?:the |his |her |their )?(?:allowed |maximum )?(?:mail ?box|storage|disk) ?(?:size|space|quota|limit)?"
          r"|file too large|mailbox size limit|(?:mail ?box|inbox|storage|disk) (?:space )?(?:is )?(?:full|exhausted)"
          r"|over ?quota|quota|out of (?:storage|disk|space)|storage (?:space|limit|allocation|full)"
          r"|insufficient (?:storage|space|disk)|(?:not enough|(?:not|n't) have enough|no) (?:disk |storage |mail ?box )?space|space (?:is )?not enough"
          r"|no space left|space limit|mail ?folder is full|(?:mail ?box|inbox) full|recipient'?s? (?:mail ?box|inbox) is full"
          r"|full (?:mail ?box|inbox)|(?:mail ?box|inbox|account) <?[^\s<>]+@[^\s<>]+>? (?:is )?(?:full|over quota)"),
    # An SMTP command line over the server's line length (RFC 5321 4.5.3.1.4: 512 octets): the
    # dialogue's, read before the message's line length and size take "line too long"
    # and "line size exceeds".
    _rule(Signal.PROTOCOL, S, r"\b(?:command|smtp|input) line(?: size| length)? (?:\S+ ){0,2}(?:exceeds?|exceeded|is too long|too long|too big|limit)[^.;]*"),
    # How the message is written on the wire: its line lengths and line endings, 8-bit or UTF-8
    # data, a body or delivery extension it needs (BINARYMIME, SMTPUTF8, REQUIRETLS). The
    # message, like mox's own "does not implement ... extension, required by message", not the
    # dialogue's syntax nor the mailbox (read before the protocol words "line too long").
    _rule(Signal.CONTENT, S, r"(?:text )?lines? (?:is |are )?too long|too long (?:text )?lines?|line (?:length|limit) (?:exceeded|exceeds?|too)"
          r"|line delimiter|line endings?|must be crlf|smtplf|strict ascii|non-ascii"
          r"|\b(?:smtputf8|binarymime|requiretls|8bitmime)\b"),
    # Things about the message that mention a domain, an address, a header or "too many".
    _rule(Signal.CONTENT, S, r"(?:non-?latin|foreign|unsupported|unknown|invalid|bad) (?:character ?sets?|charsets?|encoding)"
          # A URI block list lists what the message links to, not our IP: its "listed" and
          # "blacklisted" are the message's (read before the sender's block-list words).
          r"|(?:black ?listed|blocked|listed|banned) (?:urls?|links?|uris?)\b|(?:black ?listed|listed|found) (?:[\w.-]+ )?(?:by|in|on|at) [\w.-]*(?:surbl|uribl|\bdbl)"
          r"|(?:message|body) contains (?:a |the )?(?:black ?listed |listed |blocked )?(?:domain|url|link|uri)s?\b"
          r"|character ?sets?|charset|8-?bit|bare (?:lf|line-?feeds?|cr|newlines?|\\r|\\n)|smtp smuggling|surbl|uribl"
          # (not a label of a host name: "maine.link.net")
          r"|(?<![\w.-])(?:url|uri|links?)(?![\w.-])|too many (?:equal |duplicate )?[\w-]*headers?"
          r"|(?:invalid|missing|malformed|bad|duplicate|illegal) (?:message )?(?:headers?(?: '?[\w-]+:?'?)?|from:? header|date|message-id)"
          # Header fields named as such: a List-Id header, a "To line", List-Unsubscribe-Post.
          r"|\blist-(?:id|unsubscribe(?:-post)?|post|help|owner|archive)\b|(?:a|an|the|no) (?:to|from|cc|subject) line\b"
          r"|\b(?:from|to|date|subject|message-id|sender|reply-to):? header|header (?:error|is|contains|line)"
          r"|\bheaders?\b.{0,20}(?:rfc|invalid|missing|malformed|not (?:allowed|valid))|multiple from"
          r"|\brfc ?(?:2822|5322|822|2045)\b(?!;)|not (?:rfc|standards?)[- ]?compliant|non[- ]?compliant"
          r"|(?:message|mail|e-?mail)\b.{0,20}(?:does not|doesn't|not) conform"
          r"|(?:failed to parse|malformed|unparsable|corrupt) (?:the )?message|quarantin|mass mail|duplicate message"
          # The message's parts named as what is wrong: its Subject, body, text, language, a
          # forward, its MIME boundaries or headers that could not be parsed, its line length.
          r"|\bsubject\b (?:line )?(?:is |was )?(?:not allowed|forbidden|rejected|banned|blocked)|(?:that|this) subject\b"
          r"|bad body|no (?:message )?text\b|(?:your|offensive|foul|bad) language|profanity|unedited forwards?"
          r"|(?:boundary|mime|header) (?:parse |parsing )?error|(?:max(?:imum)? )?line length"
          r"|message (?:was |is |has been )?(?:rejected|refused|not accepted|blocked|not allowed) (?:\w+ )?(?:due to|because of|for|by|per|under) (?:a |the )?content polic(?:y|ies)"
          r"|content polic(?:y|ies) violation|violat\w* (?:our |the )?content polic"
          r"|message (?:format|structure|encoding) (?:is )?(?:wrong|invalid|bad|error|not)|(?:wrong|invalid|bad|unknown) message format"
          r"|messages? (?:\w+ ){0,2}(?:shorter|smaller) than|(?:message|body) (?:is )?too (?:short|small)|empty (?:message|body)|(?:message|body) is empty"
          r"|(?:without|missing|no|empty|in|the|invalid|bad) (?:to|cc|bcc|subject):|\b(?:to|cc):? or (?:to|cc|bcc)\b|\bbanned:"),
    # The message's own header fields named as such ("Multiple From addresses", "Blank From:
    # addresses are not allowed", "should not have Return-Path header"): the message, read before
    # the envelope sender's words ("from address", "return-path") take them.
    _rule(Signal.CONTENT, S, r"\bfrom: (?:address|header|field)|addresses in (?:the )?from:|as an? from:? address"
          # A sender address looked for in the message's headers (Exim's header_sender check).
          r"|(?:sender|from) address(?:es)? in (?:the )?(?:message(?:'s)? )?headers?"
          r"|(?:multiple|blank|empty|missing|several) (?:\w+ )?from:? (?:addresses|address|headers?|fields?)\b"
          r"|return-path header|(?:have|has|contain|with) an? return-path"),
    # A receiving server telling us that our domain publishes a null MX (RFC 7505 4.2: mail
    # from such a domain is refused, 5.7.27): the sender's domain, not the recipient's.
    _rule(Signal.DOMAIN, S, r"(?:recipient|destination)(?:'s)? (?:address |domain |e-?mail )*(?:has|publishes) (?:an? )?null ?mx"),
    _rule(Signal.SENDER, S, r"(?:published|publishes|has) (?:an? )?(?:rfc ?7505 )?null ?mx"),
    # A whole server switched off ("Mail server has been suspended"): the receiving
    # organisation's, not one mailbox; nobody's verdict on the address.
    _rule(Signal.POLICY, W, r"(?:mail ?)?server (?:has been |is |was )?(?:suspended|disabled|deactivated)"),
    # A sending MTA's own finding that the destination domain has no mail host (qmail's "I
    # couldn't find a mail exchanger or IP address", Exim's "an MX or SRV record indicated no SMTP
    # service"): the recipient's domain, read before "IP address" and "no SMTP service" lean to
    # our side.
    _rule(Signal.DOMAIN, S, r"(?:mx|srv) records? indicated no smtp service"
          r"|(?:couldn't|could not|cannot|can't|unable to) find (?:a |any |the )?(?:mail exchanger|mx)(?: (?:record )?(?:of|for) (?:the )?domain)?"
          r"(?: (?:or|nor) (?:a |an )?(?:ip address|a record))?|illegal host/domain name"),
    # A limit on the message's length ("email content must be less than 6000"), read before
    # "content" counts for the message's content.
    _rule(Signal.SIZE, S, r"(?:content|message|body|e-?mail|mail)\b[^.;]{0,20}\bmust be (?:less|smaller|shorter) than \d"),
    # The message's parts named as what is refused: a content type ("Content-Type text/html is
    # blacklisted", "messages of type message/partial", "one text/plain part is required"), an
    # attachment ("attachments called 'setup.exe'"), a part; amavisd-new's content categories
    # ("Reject, id=12345-01 - BANNED"). Read before "blacklisted" counts for our side.
    _rule(Signal.CONTENT, S, r"content-type:? [\w/.+-]+ (?:is |are )?(?:black ?listed|blocked|banned|not allowed|forbidden|rejected|refused)"
          r"|messages? of (?:the )?type|\b(?:text|multipart|message|application)/[\w.+-]+ parts?\b|\bmessage/partial\b"
          r"|(?:accept|allow|permit)s? (?:no )?attachments?|attachments? (?:called|named|of (?:the )?type|with (?:the )?(?:name|extension))"
          r"|(?:prohibited|forbidden|banned|disallowed) (?:message )?parts?\b|message parts? detected"
          r"|\bid=[\w-]+ - (?:unchecked|banned|bad-header|spam(?:my)?|infected|virus)\b"),
    # A bounce refused as backscatter: the message answers mail the recipient never sent ("You
    # are responding to a forged sender address", "does not match a valid, signed return path",
    # "This address never sends outgoing mail"): the message (rounds 3, 4 and 10 read BATV and
    # SRS refusals so), read before "forged" counts for our side.
    _rule(Signal.CONTENT, S, r"respond(?:ing)? to (?:a )?forged(?: sender)?(?: (?:e-?mail )?address| e-?mail| mail| message)?|(?:valid,? )?signed return[ -]path|bogus bounce|backscatter"
          r"|never sends? (?:outgoing |any )?(?:e-?mail|mail)"
          # A delivery or read receipt refused for answering mail the receiver did not send.
          r"|(?:dsn|mdn|bounce|receipt)s?(?: or (?:dsn|mdn))? (?:in response to|for) (?:an? )?(?:old |unknown )?message"),
    _rule(Signal.SENDER, S, r"do not believe you are|\byou are not\b|\bkarma\b|(?:dkim )?signature (?:is )?invalid|invalid (?:dkim )?signature"
          r"|body has been altered|only (?:on|over|via|with) (?:an? )?(?:tls|ssl|encrypted|secure)\b"
          # Bulk-mail software on the sending host; how our client greets (HELO), in plain words;
          # MAIL FROM named in a syntax complaint.
          r"|\bratware\b|(?:the way|how) you introduce yourself|introduce yourself properly"
          r"|\bmail(?: from)?:? (?:requires|needs|must (?:have|be|contain)|expects)\b"
          # Posting reserved to members, subscribers or registered users: our sender is not one.
          r"|non-?(?:subscribers?|members?) (?:are |is )?not (?:allowed|permitted)|(?:users|senders) without an account"
          r"|(?:use|usage) of this (?:gateway|server|service|relay|system) is restricted to"
          r"|your (?:site|node)\b|only accepts? (?:messages|mail|e-?mails?) from (?:its )?(?:subscribers|members)"
          r"|(?:user ?name|login) (?:and|or) password|(?:user ?name|login|account) (?:used )?for (?:smtp )?auth(?:entication)?\b"
          r"|\b(?:ip|domain|server|host|you)\b[^.;]{0,20}\b(?:is |are )?spamming\b|(?:address(?:es)?|argument|value) in mail from\b"
          r"|\bmay not send (?:e-?mails?|mail|messages)\b|(?:prohibited|forbidden|banned) sender|you (?:do not|don't) have (?:the )?permission to\b"
          # The sender said to be unable to send here ("That sender cannot send mail here").
          r"|\bsender (?:cannot|can't|can not|may not|is not (?:allowed|permitted) to) send\b"),
    # Our own account refused ("the sender account is disabled", "account outbounds disabled",
    # "Your account is suspended", "Votre compte est bloqué": "your" is the client, us): the
    # sender, though the words are those of a disabled mailbox.
    _rule(Signal.SENDER, S, r"\bsender(?:'s)? (?:e-?mail )?account\b.{0,30}?(?:disabled|suspended|not registered|locked|blocked|inactive)"
          rf"|\b(?:{'|'.join(_YOURS)}) (?:e-?mail |mail )?(?:account|compte|cuenta|conta|konto)\b.{{0,30}}?"
          r"(?:disabled|suspended|locked|blocked|deactivated|compromised|hacked|bloqu|suspendu|d[ée]sactiv|desativad|suspendid|gesperrt|deaktiviert)"
          r"|outbounds? (?:mail |sending )?(?:is |are |has been )?disabled|invalid credentials?|password transition"
          # Credentials are what an SMTP client logs in with: ours, whatever state they are in.
          r"|\bcredentials?\b[^.;]{0,20}?(?:no longer valid|not valid|invalid|expired|rejected|incorrect|wrong|failed)"
          r"|\bre-?authenticate\b"),
    # Our side named as the subject of a refusal: the sender, our IP, host, server, domain or
    # connection, with any verdict ("Sender is not authorized", "Mail refused from your IP",
    # "Access denied for 203.0.113.5", "your sending domain is not properly configured").
    _rule(Signal.SENDER, S, rf"(?:{_OURS}).{{0,40}}?{_VERDICT}|{_VERDICT}.{{0,25}}?(?:{_OURS})"
          r"|open proxy|botnet|\bzombie\b"),
    # A part of the message with a refusal's adjective: the message, though the adjective is a
    # word that elsewhere names a blocked sender ("a banned attachment", "blocked content").
    _rule(Signal.CONTENT, S, r"(?:banned|forbidden|prohibited|blocked|black ?listed|illegal|dangerous|disallowed) "
          r"(?:attachments?|files?|file types?|file extensions?|content|extensions?|words?|key ?words?|key ?phrases?|phrases?|urls?|links?)"
          r"|multi-?recipient bounce"),
    # The sender as a spammer is the sender, not the message.
    _rule(Signal.SENDER, S, r"spammers?\b|spam ?(?:list|sender|source|host|ip)\b|(?:suspected|known) spam (?:sender|source)"
          r"|(?:has been|have been|is|are|was)(?: currently| still)? sending (?:\w+ )?spam|black ?(?:ip|host)s?\b"
          # Spam counted against where it came from ("Too many spams from your IP", "spam IPs
          # blocked"), or unwanted mail sent from our IP: our reputation, not this message.
          r"|spams? (?:\w+ )?from (?:your|this|the) (?:ip|server|host|network|mail server|domain)|spam ips\b"
          r"|unwanted (?:messages|mails?|e-?mails) (?:have |has )?(?:been )?sent from"
          # A sender that must be known in advance, or whose envelope is bogus; French "émetteur".
          r"|sender (?:is )?not (?:pre-?approved|approved)|bogus (?:mail from|sender|envelope)"
          r"|(?:[ée]metteur|exp[ée]diteur) (?:invalide|inconnu|refus[ée]|non autoris[ée])"
          r"|not (?:authori[sz]ed|allowed|permitted) to use (?:the |this )?(?:mail from|envelope sender|sender address)"
          r"|(?:did not|didn't|failed to) authenticate|\byou (?:are|have been|were) (?:blocked|banned|black ?listed|listed)\b"
          r"|invalid (?:source |sending |client |helo |ehlo )host ?name|invalid host ?name ['\"]"
          r"|(?:rejected|refused|denied) (?:the )?(?:mail ?from|envelope sender)|return mx"
          r"|(?:mail from|sender|reverse[- ]path)(?: address)? syntax|syntax error in (?:the )?(?:mail from|sender|reverse[- ]path)"
          r"|\bblock(?:ed)? for (?:spam|abuse)"
          # The recipient's own block of us: "Your message was rejected by this user".
          r"|(?:rejected|refused|blocked) by (?:this|the) (?:user|recipient)\b(?!'s| domain| server| system| host| mail)"),
    # The envelope sender (MAIL FROM), its domain and our authentication: our side.
    _rule(Signal.SENDER, S, r"sender (?:address |domain |e-?mail )?(?:was |is )?(?:rejected|refused|denied|blocked|unknown|invalid|unacceptable|not (?:allowed|accepted|acceptable|permitted|verified|found|authenticated))"
          r"|(?:domain|address) of (?:the )?sender|sender'?s? (?:\w+ )?(?:address|domain|e-?mail)|(?:unknown|invalid|unauthori[sz]ed|unauthenticated|unverified|forged|null) sender"
          r"|sender (?:verify|verification|check)|sender (?:is )?(?:on|in) (?:the |a |your )?(?:block|black|deny)"
          r"|(?:mail|envelope)[ -]?from\b.{0,80}(?:rejected|refused|denied|blocked|not (?:allowed|accepted|owned|permitted)|mismatch)|mail from (?:failure|failed)"
          # An address "denied access" (to the recipient's): the party refused is the one that
          # wants in, us. The "from" address not recognised is ours, named as such.
          r"|[\w.+-]+@[\w.-]+['\">]? (?:has been|have been|was|is) denied access\b"
          r"|[\"']?\bfrom[\"']? (?:e-?mail )?address (?:was |is )?(?:not recogni[sz]ed|unrecogni[sz]ed|unknown)\b"
          # Mail "from" an address that is refused names our envelope or header sender, whatever
          # the address's local part says ("Message from <a@b> not permitted", 'FROM "a@b" not allowed').
          r"|\bfrom:? [<\"']?[^\s<>\"'@]+@[^\s<>\"']+[>\"']? (?:is |are )?not (?:allowed|permitted|accepted)\b"
          # Where our mail must come from: "Must be sent from an @example.org address", "sent
          # from X using non-X domain", our From not matching our login.
          r"|must be sent from\b|(?:sent|sending) (?:from (?:\S+ ){1,3})?using (?:a |an )?(?:non-\S+|unauthori[sz]ed|foreign|external) domain"
          r"|\bfrom\b[^.;]{0,20}?(?:does not|doesn't|do not) match (?:the |your )?(?:auth(?:enticated)?|login|sasl)\b"
          r"|envelope (?:sender|from)|return[ -]path|bounce address|reverse[ -]path|\bfrom\"?[: ]+(?:address|domain)|sending address"
          r"|(?:verify|verification of) (?:the )?\"?from:?\"? (?:header )?address"
          r"|unverifiable sender|sender (?:domain )?(?:must|does not|doesn't|not) (?:exist|resolve|have)"
          r"|(?:from|sender|ehlo|helo) domain|purported responsible address|blocked senders?|senders? (?:list|policy)|recipient preferences"
          r"|(?:you|your (?:e-?mail |mail )?(?:address|domain)) (?:are|is) not (?:allowed|authori[sz]ed|permitted|a member)"
          r"|(?:not|isn't|is not) a (?:group )?member(?! of (?:this |the )?domain)|only members|restricted to members"
          r"|must be (?:a |an )?(?:list |group )?(?:member|subscriber)s? (?:of \S+ )?to (?:send|post|write|mail)"
          # Our sending identity (the sender address or domain a sending service was told of)
          # unknown to the service: "identity not found".
          r"|\b(?:sending |sender )?identity (?:\S+ )?(?:not found|not verified|unknown|is not verified|does not exist)"
          r"|not (?:accepting|accept) (?:e-?)?mail from|from (?:your|this) (?:domain|address|sender) (?:is|are) (?:not|blocked|rejected)"
          r"|(?:identity|identities|e-?mail address) (?:is |are )?not verified|failed the check"
          r"|(?:starttls|tls|encryption|authentication|auth|secure connection) (?:is )?(?:required|needed)|must (?:issue|use) (?:a |an )?(?:starttls|auth|tls)"
          r"|must (?:first )?authenticate|must be authenticated|authenticate first|certificate not verified"
          # A server that requires our client to encrypt or to log in refuses the client, not
          # an address: "this route requires encryption", "refused due to lack of security",
          # "Needs to be logged in", "submitter failed to authenticate", "Auth aborted".
          r"|requires? (?:\w+ )?(?:encrypt\w*|tls|starttls|authentication)|(?:lack of|without) (?:security|encryption|tls|authentication)"
          r"|(?:needs?|has|have) to be logged in|failed to authenticate|auth(?:entication)? aborted"
          r"|no smtp service"
          # Permission to post or send is the sender's right ("You do not have permission to
          # post a message to this mailbox"); a hedge ("may not have permission") was read above.
          r"|(?:do not|don't|does not|doesn't) have (?:the )?permission to (?:post|send|submit)"
          # The service itself refused to the connecting client (Orange's "Service refusé",
          # Apple's "not accepting connections"): nothing was said about a message or address.
          r"|service refus|not accepting connections"),
    # Recipients in a directory or list: Domino's "not listed in Domino Directory", qmail's
    # badrcptto, an ambiguous address (RFC 3463's X.1.4).
    _rule(Signal.MAILBOX, S, r"not (?:listed|found) in (?:the )?(?:domino|public|names|address|global|local|ldap|recipient|directory|\S+ directory)"
          r"|badrcptto|not a member of (?:this |the )?domain"
          rf"|{_WHO} (?:cannot|could not|can not) be verified"),
    # The same verdicts from servers that answer in Spanish, Portuguese, French, German or
    # Italian: a full mailbox, an unknown recipient, a switched-off account.
    _rule(Signal.STORAGE, S, r"(?:casilla|buz[oó]n|mailbox|caixa|bo[iî]te|postfach)\b.{0,20}?(?:llen[oa]|chei[oa]|pleine?|voll)\b"
          r"|zu ?viele? (?:e-?mails|mails|nachrichten)"),
    # The same verdicts in Russian, Chinese and Japanese: an unknown recipient, a full mailbox,
    # a frozen account.
    _rule(Signal.MAILBOX, S, r"пользовател[ья] не (?:найден|существует)|нет такого (?:пользователя|ящика|адреса)"
          r"|(?:почтов(?:ый|ого) )?ящик(?:а)? не (?:найден|существует)|адрес(?:ат)? не (?:найден|существует)"
          r"|用户不存在|收件人不存在|邮箱不存在|收件人地址不存在|該用戶不存在|用戶不存在|宛先(?:が)?(?:不明|見つかりません)|存在しないアドレス"),
    _rule(Signal.STORAGE, S, r"ящик (?:переполнен|заполнен)|превышен(?:а)? квота|邮箱(?:已满|空间不足)|信箱已满|メールボックスが(?:いっぱい|満杯)"),
    _rule(Signal.DISABLED, S, r"(?:ящик|аккаунт|учетная запись|пользователь) (?:заблокирован|отключен)|(?:用户|帐号|账号|账户)已(?:冻结|停用|禁用)"),
    # NetEase's documented reply codes: DT:SPM, the message judged spam; DT:RBL, our IP on a
    # block list.
    _rule(Signal.CONTENT, S, r"\bdt:spm\b"),
    _rule(Signal.SENDER, S, r"\bdt:rbl\b"),
    # A mailbox named between its word and its state ("Mailbox 'alice' is full").
    _rule(Signal.STORAGE, S, r"(?:mail ?box|inbox)\b.{0,40}?\b(?:is|are) (?:now |currently )?(?:full|over (?:its |their )?quota)\b"),
    # A recipient list switched off ("Distribution list is not active").
    _rule(Signal.DISABLED, S, r"(?:distribution |mailing )?list (?:is )?(?:not active|inactive|disabled)\b"),
    # A pace: a sending rate exceeded, one recipient per transaction, too many connections (in
    # French and its neighbours).
    _rule(Signal.RATE, S, r"(?:submission|sending|message|connection) rate\b.{0,40}\bexceed"
          r"|exceed(?:ed|s)? (?:the |your |its )?(?:submission|sending|message|connection|recipient) rate\b"
          r"|(?:(?:accept|take|allow)s? )?(?:only )?one recipient (?:at a time|per (?:message|transaction|session|connection))"
          r"|trop de connexions|demasiadas conexiones|zu viele verbindungen|muitas conex(?:õ|o)es|troppe connessioni"),
    # Postfix's "Recipient address rejected:" followed by the mailbox's state: the verdict is
    # about the recipient, plainly.
    _rule(Signal.DISABLED, S, r"recipient address rejected: (?:account |mailbox |user )?(?:is )?(?:inactive|disabled|suspended|locked|blocked)"),
    _rule(Signal.MAILBOX, S, r"(?:usuario|destinatario|utilisateur|destinataire|adresse|benutzer|empf[aä]nger|utente|usu[aá]rio)"
          r"\b.{0,20}?(?:desconocid[oa]|inexistente|no existe|inconnue?|n'existe pas|unbekannt|existiert nicht|sconosciut[oa]|non esiste|n[aã]o existe)"
          # The same said verb first ("No existe ese usuario", "Nessun utente simile").
          r"|no existe (?:ese |dicho |dicha |el |la |tal )?(?:usuario|persona|destinatario|buz[oó]n|cuenta)|nessun (?:utente|destinatario)"
          r"|(?:utente|destinatario) inesistente"),
    # (Not "votre compte", "su cuenta": our own account, read with the sender's words.)
    _rule(Signal.DISABLED, S, "".join(f"(?<!{w} )" for w in _YOURS) +
          r"(?:casilla|cuenta|buz[oó]n|conta|compte|konto|postfach|account)\b.{0,30}?"
          r"(?:ha expirado|expirad[oa]|desactivad[oa]|suspendid[oa]|bloquead[oa]|desativad[oa]|d[ée]sactiv[ée]e?|suspendue?|bloqu[ée]e?|gesperrt|deaktiviert|disattivat[oa])"),
    # A mailbox its provider archived, or whose service it suspended, is closed (La Poste's
    # "Archived recipient", Orange's "Boite du destinataire archivee", "Recipient suspend the
    # service"): the account exists and takes no mail.
    _rule(Signal.DISABLED, S, r"archived (?:recipient|mailbox|account|user)|(?:recipient|mailbox|account|user|destinataire)\b.{0,20}?archiv[ée]e?s?\b"
          r"|(?:recipient|user|account) suspends?\b"),
    # A domain that is gone, said with words that elsewhere mean a switched-off account.
    _rule(Signal.DOMAIN, S, r"domain (?:\S+ )?no longer (?:available|exists|active|valid)|domain (?:\S+ )?cannot receive (?:e-?)?mail"
          r"|(?:recipient|destination)(?:'s)? (?:address )?domain (?:name )?must exist"
          # A domain reserved for examples and tests (RFC 2606, RFC 6761) never receives mail:
          # the recipient's, when the words name the recipient.
          rf"|(?:recipient|destination|rcpt)\b[^;]{{0,60}}?{_RESERVED}"),
    # The same words about our host or sender ("host mail.example.com [192.0.2.25] from RFC2606
    # reserved domain") are ours; said of nobody named ("x@example.com has a reserved domain"),
    # they do not say whose domain: no verdict (rule 4).
    _rule(Signal.SENDER, S, rf"(?:\bhost|\bclient|\bsender|\bhelo|\behlo|mail from)\b[^;]{{0,60}}?{_RESERVED}"),
    _rule(None, S, _RESERVED),
    # The address itself as the subject of a state: "550 <jdoe> is now disabled".
    _rule(Signal.DISABLED, S, r"<[^>\s]+> (?:is |has been )(?:now )?(?:disabled|deactivated|suspended|closed)\b"),
    # A recipient's account that the provider switched off ("The recipient account is blocked").
    _rule(Signal.DISABLED, S, rf"{_WHO}(?:'s)?(?: account| status)? {_NAMED}(?:has been |is |was |is currently |currently )?(?:temporarily |permanently )?"
          r"(?:disabled|suspended|deactivated|inactive|closed|locked|frozen|blocked|terminated|discontinued|not active|not enabled|expired|on hold)"
          r"|(?:disabled|suspended|deactivated|inactive|closed|locked|frozen|blocked) (?:user|recipient|mailbox|account|e-?mail address)(?! group)"
          r"|no longer (?:active|in use|available|valid|accepts)|account (?:is )?not (?:active|activated)"
          # The recipient's account may not receive: "This account is not authorized to receive email".
          r"|not (?:authori[sz]ed|allowed|permitted|enabled) to receive|(?:extended |long )?inactivity"
          r"|(?:receiving|inbound|incoming|delivery|mail) (?:is |has been )?disabled"
          r"|mailbox (?:is )?(?:currently )?(?:unavailable|not available) (?:or|and) (?:not local|disabled)|\bmailbox disabled|deactivated|suspended"),
    # Throttling: a pace request (classify.py makes it a block when the cause named is our
    # reputation or our mail's).
    _rule(Signal.RATE, S, r"unusual rate of|temporarily (?:rate[- ]?limited|blocked|throttled)"
          r"|rate[- ]?limit|ratelimit|throttl|(?:deferred|delayed) (?:due to|because of) (?:excessive|unexpected|high|unusual)"
          r"|receiving (?:mail|messages|e-?mails?) (?:too quickly|too fast|at (?:a|too \w+ a) rate)|too (?:fast|quickly|frequent)"
          r"|\[tss?0[124]\]|sending (?:quota|limit|rate)|frequency (?:limit|restriction)|(?:ip|connection) frequency"
          r"|too many (?:\w+ ){0,2}(?:connections|concurrent|simultaneous|sessions|messages|mails|e-?mails|recipients|rcpts?|requests|invalid recipients|hosts)"
          r"|(?:connection|message|recipient|session|hourly|daily) (?:count |rate |sending )?(?:limit|rate|quota) (?:exceeded|reached)"
          r"|max(?:imum)? (?:number of )?(?:[\w/-]+ )?(?:messages?(?! size)|connections|recipients|rcpts|mails)\b.{0,40}?(?:per|reached|exceeded|allowed)"
          r"|exceeded (?:the )?(?:max(?:imum)? )?(?:number of )?(?:connections|messages|recipients|mails)\b"
          r"|slow down|excessive (?:volume|traffic|load|mail)|(?:high|unusual|unexpected) (?:volume|traffic)|too much (?:mail|traffic)"
          r"|(?:ports?|servers?|system) (?:are |is )?(?:too )?busy"),
    # Our sending infrastructure: block lists, reputation, the IP, the HELO name, reverse DNS.
    # Spamhaus's page for a domain ("See https://www.spamhaus.org/query/domain/x") is its domain
    # list's: the domain may be a link in the message as well as ours, so the link alone names
    # neither (read before "spamhaus" counts for our side and "spam" for the message).
    _rule(None, S, r"\bspamhaus\.org/query/domain/\S*"),
    _rule(Signal.SENDER, S, r"spamhaus|spamcop|barracuda|\bsorbs\b|uceprotect|abuseat|\bcbl\b|psbl|mailspike|invaluement"
          r"|dnsbl|\brbl\b|\bdnsrbl|block ?list|black ?list|deny ?list|lista negra|liste noire|schwarze liste|(?<!not )(?<!n't )\blisted\b"
          r"|reputation|(?:user|spam|abuse) complaints?|complaint rate|(?:high |excessive )?bounce rate|sender ?score|senderbase|\bbanned\b(?! recipient)|\bbad ip\b|traffic not accepted|permanently deferred"
          r"|\((?:s3150|s3140)\)|\b(?:sc|ou|dy|rp|sp|ui)-00\d\b|\baup#|ipcheck|dynamic (?:ip|address|pool|range|host)"
          r"|dial-?up|residential|(?:not|n't) (?:allowed|permitted|authori[sz]ed) to (?:connect|send|relay mail from)"
          r"|(?:your|the|this|sending|client|remote) ?(?:ip|ip address|host|server|network|mail server|hostname|mta|domain|connection)"
          r"(?: address)?(?: \S+)? (?:has been |is |was )?(?:temporarily |permanently )?(?:blocked|banned|rejected|refused|not allowed(?! to relay)|blacklisted|denied|listed)"
          # French: "Adresse IP source bloquée".
          r"|adresse ip (?:source |d'envoi )?(?:bloqu[ée]e|refus[ée]e|blacklist[ée]e)"
          # The words in the other order: "Blocked IP address for spam reasons".
          r"|blocked (?:ip address|sending ip|(?:sending |client )?(?:host|client|mail server|network))\b"
          r"|client host (?:\S+ )?(?:rejected|blocked|refused)|connection refused (?:by policy|due to|for|because)|connection (?:rejected|denied)\b"
          r"|(?:ip|host|client|connections?|network) (?:address )?(?:is |are )?not (?:allowed|permitted|accepted|authori[sz]ed)(?! to relay)"
          r"|refused to talk|(?:do not|don't|does not|doesn't) accept (?:e-?)?mails? from|not (?:currently )?accepting (?:e-?)?mails? from"
          # Our host named as where access or sending comes from, or as unresolvable (PTR).
          r"|no access from (?:your |the )?(?:mail )?(?:server|host|ip)|invalid ip for sending"
          r"|cannot resolve your (?:address|ip|host)|unresolvable (?:relay |client )?host ?name"
          r"|use (?:the |your )?(?:smtp|mail) (?:server|relay) of your|smtp (?:server|relay) (?:of|at) your (?:isp|provider)"
          r"|(?:isp|provider)'?s? (?:smtp|mail) (?:server|relay)|host network not allowed|envelope blocked"
          r"|\bspf\b|sender policy framework|\bdkim\b|\bdmarc\b|\bptr\b|reverse[ _](?:client[ _])?(?:dns|lookup|hostname|host ?name|name)|\brdns\b"
          r"|fcrdns|\b(?:helo|ehlo)\b(?![)=])|invalid (?:helo|ehlo|domain name)|hostname (?:lookup|verification|does not|doesn't|not)"
          r"|cannot find your (?:reverse )?hostname|host ?name (?:is )?not (?:authori[sz]ed|allowed|permitted)|unauthenticated|authentication (?:failed|failures?|errors?|check|information|results|unsuccessful)"
          r"|(?:not |un)authori[sz]ed to send|spoof|forged|forgery|(?:server|host|sender|you)\b.{0,30}\bimpersonat|\byou(?: are|'re) (?:violating|in violation|breaking|abusing)"
          r"|accept (?:that|this|the|your) sender\b|(?:ip|host) name lookup failed|sending ip|\bsending host\b"
          r"|not permitted from your|access denied, (?:banned send|sending)"
          r"|(?:ip|host|client|server|sender|domain|you|your (?:e-?mail )?address)\b.{0,30}\bnot (?:in|on) (?:the |our |an? )?(?:white ?list|allow ?list|safe ?list)"),
    # The message: spam verdicts, malware, attachments, content policy.
    _rule(Signal.CONTENT, S, r"(?:message|mime|body|attachment|content|data) (?:decod|pars)(?:e|ing) (?:failed|failure|error)"
          r"|(?:failed|unable|could not|couldn't|cannot|can't) (?:to )?(?:decode|parse) (?:the |your )?(?:message|mime|body|attachment|content)"
          r"|subject(?: line| header)? (?:contains|has|with) (?:\w+ )?(?:invalid|illegal|forbidden|bad|unsupported|non-ascii|8-?bit)"
          r"|(?:empty|missing|no|blank|wrongly formatted|malformed|improper|invalid|bad) subject\b|(?:password[- ]protected|encrypted) (?:zip|archive|attachment|file)s?|\bzip files?\b"
          r"|spam|\bjunk\b|unsolicited|bulk (?:mail|e-?mail)(?! senders?)|virus|malware|infected|phish|trojan|worm\b"
          r"|nested too deep|too deeply nested"
          r"|\"?subject\"? (?:line )?is required|requires? a \"?subject\"?|(?:mail|message|e-?mail)\b[^.;]{0,20}\binvalid format\b"
          r"|\b(?:your |the )?(?:message |mail )?data (?:is |was )?corrupt(?:ed)?\b"
          r"|\bcontent\b|(?:message|mail|e-?mail) (?:content|body)|body of the (?:message|mail)|dangerous|executable|prohibited (?:file|attachment)"
          r"|suspicious|security (?:issue|threat|risk)|\[ph\d\d\]"
          # Yahoo's documented meaning: the message looked like spam (postmaster-28, 5.7.9).
          r"|message not accepted for policy reasons"
          r"|\bmime\b|(?:contains|includes) (?:a |an )?(?:forbidden|banned|blocked|prohibited|illegal)"),
    # The recipient address too long (RFC 5321's limits), read before the message's size takes
    # "length exceeds maximum".
    _rule(Signal.MAILBOX, S, r"(?:recipient|destination) address(?: length)? (?:is )?(?:too long|exceeds)"),
    # The message's size (after the mailbox's storage, which used its "size" and "exceeds").
    _rule(Signal.SIZE, S, r"(?:message|mail|e-?mail|data) ?(?:size|length) (?:\S+ ){0,2}(?:exceeds?|too|limit|is (?:larger|greater|over))"
          r"|exceeded (?:the )?(?:message|mail|e-?mail) ?size"
          r"|headers? size (?:is )?(?:too|exceeds?)"
          r"|(?:message|mail|e-?mail|data|it) (?:is |was )?too (?:big|large|long)|too (?:big|large) (?:for|message)"
          r"|too (?:big|large|long) (?:e-?mails?|messages|mails)\b"

          r"|(?:accepts?|allows?|takes?) (?:only )?(?:messages?|e-?mails?|mails?) (?:of )?(?:up to|at most|no (?:larger|bigger) than) \d"
          r"|size (?:limit|exceeds|exceeded|too)|exceeds? (?:the )?(?:max(?:imum)?|fixed|permitted|allowed|size) (?:message )?(?:size|limit|permitted)?"
          r"|maximum (?:message )?size|bytes max|message size|databytes|message (?:is )?(?:larger|bigger) than"),
    _rule(Signal.SIZE, W, r"\bsize\b|too (?:big|large)"),
    # The recipient's domain (after the sender's domain, which used its words). A host name
    # that "does not exist" is a domain, not a mailbox (a mailbox is never a bare host name).
    _rule(Signal.DOMAIN, S, r"(?<![@\w.-])(?:[a-z0-9-]+\.)+[a-z]{2,}\.? (?:does not|doesn't) exist"
          r"|(?:non-?existent|unknown|invalid|unresolvable|unroutable|unrouteable|bad|nonexisting) (?:recipient |destination |mail )?domain"
          r"|domain (?:name )?(?:\S+ )?(?:not found|does not exist|doesn't exist|unknown|is not (?:valid|configured|hosted|known))"
          r"|no such domain|host (?:or domain name )?(?:is )?(?:not found|unknown)|unknown host|no mx (?:record|host|for)|invalid mx"
          r"|null ?mx|(?:domain|host) (?:\S+ )?(?:does not|doesn't) accept (?:e-?)?mail|domain is not reachable|\bnxdomain\b"
          r"|no (?:valid )?(?:mx|mail exchanger)|(?:can't|cannot|could not|couldn't|unable to) find (?:a |any )?(?:valid )?mx\b|domain (?:has )?no (?:mx|mail)"
          r"|domain (?:name )?(?:has )?expired|no such host|name or service not known|(?:couldn't|could not|cannot|can't) find (?:any )?host"
          r"|bad destination system(?: address)?|\bhost (?:[a-z0-9-]+\.)+[a-z]{2,}\.? (?:not found|unknown)\b"
          # Exim's "Unrouteable address": no router found a way to the address's domain (no MX,
          # no such domain); a domain written as one label ("single label domains").
          r"|unroute?able address|single[- ]label domains?"),
    # The recipient's mailbox.
    _rule(Signal.MAILBOX, S, r"no ?such ?(?:user|mailbox|recipient|address|account|person|local user|alias|e-?mail(?! (?:log|record|thread|message|id)\b))"
          rf"|{_WHO} (?:name )?{_NAMED}(?:is )?(?:unknown|not known|not found|not exist|does not exist|doesn't exist|non-?existent|not recogni[sz]ed|not valid|invalid)"
          rf"|unknown {_WHO}|(?:invalid|bad|non-?existent|nonexisting|illegal|unrecogni[sz]ed)[ _-](?:recipient|mailbox|mail ?box|address|user|addressee|e-?mail|destination)"
          r"|(?:is )?not an? (?:known|valid|registered|active|local) (?:user|recipient|mailbox|address|e-?mail)"
          r"|no (?:mail ?box|such mail ?box|account|user)(?: here| available| by that name| with that name| for)?"
          r"|rejected:? (?:user|recipient) (?:unknown|not)|(?:does not|doesn't) have an? [\w.-]{0,40} ?account|not our customer|addressee unknown"
          r"|recip(?:ient)?notfound|resolver\.adr\.(?:ex)?recipnotfound|(?:couldn't|could not|cannot|can't) be found"
          r"|(?:does not|doesn't|doesnt|dosn't|not|no longer) exists?|<[^>\s]+> (?:\.\.\. )?not found|not a registered gateway user"
          rf"|{_WHO} (?:is )?not present|not our (?:user|customer)"
          r"|no matches to nameserver query|unknown or illegal alias|no valid recipient(?:s for|\b)"
          r"|(?:has|have) moved|moved (?:permanently|away)|no longer (?:with|employed|works|here|at)"
          r"|invalid (?:recipient )?address|not a valid (?:user|mailbox|address|recipient)|undeliverable address"
          # IMail's "Invalid final delivery userid": the recipient's user id.
          r"|invalid (?:final )?(?:delivery )?user ?id\b"
          # "Receiver not found: user1"; "The following destination addresses were unknown".
          r"|\bmoved[;,:]? (?:please )?try <|\breceiver (?:not found|unknown|does not exist)|(?:destination|recipient) addresses (?:were|are) (?:unknown|invalid)"
          # "There is no one at this address"; "userunknown" written as one word ("Recipient address
          # rejected: userunknown").
          r"|there is no(?: ?one|body) (?:at|by) (?:this|that) (?:address|name)|\buserunknown\b"),
    # Relay denied: this host does not serve the domain (a stale MX or a misrouted message).
    # RFC 5321's 551 "User not local" without a new address, and a server that takes no incoming mail at all ("This
    # server is not configured for incoming email"): this host does not serve the address, as a
    # relay denial says; nothing about a mailbox elsewhere.
    _rule(Signal.MAILBOX, S, r"not local;? (?:please )?try <"),  # 551 with the user's new address: moved
    _rule(Signal.RELAY, S, r"(?:user|recipient|address|mailbox|account) (?:is )?not local\b"
          r"|(?:server|host|system|domain) (?:is )?not configured (?:for|to (?:accept|receive)) (?:incoming |inbound )?(?:e-?mails?|mail)"),
    _rule(Signal.RELAY, S, r"relay(?:ing)? (?:access )?(?:temporarily )?(?:denied|not permitted|prohibited|disallowed|not allowed|rejected|refused)"
          r"|not (?:configured|permitted|allowed|authori[sz]ed) to relay"
          r"|(?:not|n't) (?:permitted|allowed|authori[sz]ed) to relay|unable to relay|we do not relay|no relay"
          r"|forwarding to remote hosts? (?:is )?disabled|rcpthosts|relay not permitted|unauthori[sz]ed relay|not a gateway|cannot relay|relaying|as a relay|(?:don't|do not|won't) relay"
          # mox's own reply for a domain or IP it does not serve (smtpserver: "not accepting
          # email for domain"), whatever code it gives.
          r"|(?:not accepting|(?:does not|doesn't|do not|don't) accept) (?:e-?)?mail for (?:this |that )?(?:domain|ip|address)\b"
          # A relay that would not pass the message on because of its own suppression list
          # (Amazon SES, an ESP's "recipient address suppressed"): an earlier verdict of its
          # own, whose cause it does not say; nobody's verdict now.
          r"|on (?:the|its|your|an?) (?:account[- ]level |global )?suppression list|(?:recipient |e-?mail )?address (?:is |was )?suppressed"
          r"|(?:has |have )?suppressed (?:sending|delivery|mail) to (?:this|the|that) (?:e-?mail )?address[^.;]*"),
    # Postfix's "Recipient address rejected:" is a prefix: what follows says why.
    _rule(Signal.MAILBOX, W, r"(?:recipient|address|mailbox|user) (?:address(?:es)? )?rejected"),
    # "Try again later" names no cause: a temporary reply, not by itself a request to slow
    # down (that needs "busy", "too many", a rate, or a pacing code such as Gmail's 4.7.0).
    _rule(Signal.TEMPORARY, W, r"(?:try|retry|come back|send)(?: (?:again|it))? later"),
    _rule(Signal.RATE, W, r"temporarily deferred"),
    _rule(Signal.TEMPORARY, W, r"try again|timed? ?out|connection (?:lost|reset|dropped|closed)|lost (?:\w+ )?connection"
          r"|could not connect|can't connect|no route to host|network is unreachable|network error|unreachable"
          r"|temporar|(?:un|not )available|system (?:busy|overload|error)|server (?:busy|error|unavailable|too busy|overload)"
          r"|resources? (?:temporarily )?unavailable|out of memory|internal (?:server )?error|dns (?:failure|error|timeout|lookup)"
          r"|\bdeferr?ed\b|\bdelayed\b|socket error|(?:not|n't) accept (?:our|the) (?:requests? to )?connect\w*"),
    _rule(Signal.PROTOCOL, W, r"syntax error|command (?:not )?(?:recogni[sz]ed|unrecogni[sz]ed|not implemented|unknown)"
          r"|bad sequence of commands|unrecogni[sz]ed command|invalid command|line too long|protocol (?:error|violation)"
          r"|pipelin|not implemented|too many (?:errors|bad commands|unrecogni[sz]ed commands)"
          r"|\bsyntax\b"),
    # An error the receiver cannot name: nobody's verdict, and in a 4xx a passing one.
    _rule(Signal.TEMPORARY, W, r"unknown (?:error|reason)"),
    # --- Words that lean one way without naming their subject.
    _rule(Signal.RATE, W, r"\bbusy\b|too many"),
    # Our client's authentication, our IP named, or "blocked" with no other subject: what mail
    # servers block is a sender (a block list), so the word leans to the sender.
    # An IP address named as such ("IP=203.0.113.9", "[203.0.113.9] Access denied", "from
    # 203.0.113.9"): a recipient is an address, so the number names the connecting client, us.
    _rule(Signal.SENDER, W, r"authentication|\bip address\b|\bblocked\b|\bblock\b"
          rf"|(?:\bip ?[=:]? ?|\bfrom |\bclient |(?<![\w.-])[\[(])\[?{_IP}"),
    # Refusals that name no subject: the receiver's policy said no, about whom it does not say
    # ("550 5.7.1 Command rejected", "Access denied", "rejected due to local policy").
    _rule(Signal.POLICY, W, r"access[- ]denied|\bdenied\b|\bdenies\b|\brefused\b|not (?:allowed|permitted|authori[sz]ed)"
          r"|prohibit|\bpolic(?:y|ies)\b|command rejected|rejecting (?:the )?command"
          # "message 1a2b3c4d rejected" and nothing more: no cause named (F11).
          r"|\bmessage(?: [0-9a-f][0-9a-f.-]{5,}| <[^>\s]*>)? (?:was |has been )?rejected(?=\s*(?:#|$))|no permit|restrict"),
    _rule(Signal.CONTENT, W, r"attachment|\bheader|\bfilter"),
    _rule(Signal.DISABLED, W, r"\binactive\b|\bdisabled\b"),
    _rule(Signal.MAILBOX, W, r"\bnot found\b|\binvalid\b|\bunknown\b|\bundeliverable\b"),
)

# The stage, from how MTAs say which command was answered.
STAGE_RULES: Final[tuple[tuple[Stage, re.Pattern[str]], ...]] = (
    (Stage.DATA, re.compile(r"in reply to (?:end of )?data|after (?:pipelined )?(?:end of )?data|after (?:the )?message|>>> \.(?:\s|$)"
                            r"|^data closing\b"  # chasquid names the command before the reply
                            r"|for text command"  # 1&1 (einsundeins) names DATA's text "TEXT"
                            r"|while (?:sending|transmitting) (?:the )?(?:message|data)", re.I)),
    # DragonFly's "mx.example.org [192.0.2.25] did not like our RCPT TO: 550 ..." too.
    (Stage.RCPT, re.compile(r"in reply to rcpt|after (?:pipelined )?rcpt|>>> rcpt to|rcpt to:\s*<|\bour rcpt to\b", re.I)),
    (Stage.MAIL, re.compile(r"in reply to mail|after (?:pipelined )?mail from|>>> mail from|but sender was rejected", re.I)),
    (Stage.CONNECT, re.compile(r"in reply to (?:helo|ehlo|starttls|auth)|after (?:helo|ehlo|initial connection|starttls)"
                               r"|>>> (?:helo|ehlo)|greeting failed|but my name was rejected|"
                               r"(?:in reply to|after) (?:the )?(?:initial|smtp) (?:greeting|banner)", re.I)),
)


@dataclass(frozen=True)
class Signals:
    """The signals found in a text: for each, whether a strong phrase said it."""

    strong: frozenset[Signal]
    weak: frozenset[Signal]

    def has(self, signal: Signal) -> bool:
        return signal in self.strong or signal in self.weak


# Typographic apostrophes and quotes, as some servers and documentation write them ("doesn’t").
_TYPOGRAPHIC: Final = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})


def read_signals(text: str) -> Signals:
    """The signals in a reply's words, each phrase counted once (see the module docstring)."""
    strong: set[Signal] = set()
    weak: set[Signal] = set()
    text = text.translate(_TYPOGRAPHIC).lower()
    for rule in SIGNAL_RULES:
        text, n = rule.pattern.subn(" \x00 ", text)
        if n and rule.signal is not None:
            (strong if rule.strong else weak).add(rule.signal)
    return Signals(frozenset(strong), frozenset(weak - strong))


def read_stage(text: str) -> Stage:
    """The SMTP command the text says was answered, or UNKNOWN."""
    for stage, pattern in STAGE_RULES:
        if pattern.search(text):
            return stage
    return Stage.UNKNOWN
