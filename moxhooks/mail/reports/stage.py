"""The SMTP stage a report's own words give a quoted reply. Pure.

A DSN's Diagnostic-Code keeps the remote server's reply but not the SMTP command it answered;
the report's human-readable part says it beside the reply. `stage_note(text, reply)` finds it
and words it as Postfix does, so the classifier's stage rules (`replywords.STAGE_RULES`) read it
with the reply.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["continued_reply", "stage_note", "unquoted"]

_MAX_TEXT: Final = 256 * 1024  # as much of a report as reports.MAX_PART reads


# Where a report says which SMTP command a quoted reply answered, beside the reply rather than
# in it: Postfix's "(in reply to end of DATA command)" after it, m-FILTER's "SMTP command"
# section after it, Sendmail's ">>> DATA" transcript line before its "<<< 550 ...". A DSN's
# Diagnostic-Code keeps only the reply, so the stage is read from the report's own words.
_STAGE_AFTER_RE: Final = re.compile(
    r"[^()<>]{0,160}?(\(in reply to [\w .]{1,30} command\))|\s*-+ ?smtp command -*\s*(data|rcpt to|mail from)\b",
    re.I,
)
# A report quoted in a forward keeps its "> " prefixes: ">>>> DATA > <<< 550 ...".
_STAGE_BEFORE_RE: Final = re.compile(r">>> (data|rcpt to|mail from|\.)\b(?:[^<>]|(?<=\s)>(?=\s)){0,160}<<< ?$", re.I)
# Exim names the command before the reply: "SMTP error from remote mail server after RCPT
# TO:<a@example.org>: host mx.example.org [192.0.2.1]: 550 ...", or, newer, the host first and
# "... after pipelined end of data:" on the line above the reply.
_EXIM_BEFORE_RE: Final = re.compile(
    r"smtp error from remote (?:mail server|mailer) after (?:pipelined )?"
    r"(end of data|sending data(?: block)?|data|rcpt to:\s*<[^<>]*>|mail from:\s*<[^<>]*>[^:<>]{0,40}"
    r"|initial connection|[eh]lo\b[^:<>]{0,80}|starttls|auth\b[^:<>]{0,40}):"
    r"(?:\s*host \S+ \[[^\]]{1,64}\]:?)?\s*$",
    re.I,
)
_EXIM_COMMANDS: Final = (("rcpt", "(in reply to RCPT TO command)"), ("mail", "(in reply to MAIL FROM command)"),
                         ("initial", "(after initial connection)"), ("ehlo", "(in reply to EHLO command)"),
                         ("helo", "(in reply to HELO command)"), ("starttls", "(in reply to STARTTLS command)"),
                         ("auth", "(in reply to AUTH command)"))
# Sendmail sends a PIPELINING (RFC 2920) batch and shows only its last command: ">>> DATA",
# then the RCPT TO reply, then DATA's own "503 need RCPT" (or Postfix's "554 Error: no valid
# recipients"). The refused command was RCPT TO.
_PIPELINED_RE: Final = re.compile(r"(?:(?!>>>).){0,300}?<<< ?(?:50[34]\b|554[^<]{0,40}no valid recipients)",
                                  re.I)  # used with match()


# A forwarded report's quote mark: one ">" at the start of each line ("> <<< 550 ...", ">>>> DATA"
# for Sendmail's own ">>> DATA"), not the ">>> " a transcript line starts with.
_QUOTE_MARK_RE: Final = re.compile(r"^>(?=\s|>>>|$) ?", re.M)
# The SMTP reply inside a report's words about a recipient ("<x> (reason: 550 Unknown user x)").
_REPLY_IN_RE: Final = re.compile(r"(?<![\d.])[245]\d\d[ -][^()<>]{8,}")


def unquoted(text: str) -> str:
    """A report quoted in a forward as it was sent: one quote mark off each line."""
    return _QUOTE_MARK_RE.sub("", text)


def stage_note(text: str, reply: str) -> str:
    """The report's note of the command that `reply` answered, as Postfix words it; "" if none."""
    flat = " ".join(unquoted(text[:_MAX_TEXT]).split())
    inner = _REPLY_IN_RE.search(reply)
    for candidate in (reply, inner[0] if inner else ""):
        note = _note_for(flat, " ".join(candidate.split())[:80].lower())
        if note:
            return note
    return ""


def _note_for(flat: str, key: str) -> str:
    if len(key) < 8:
        return ""
    low = flat.lower()
    at = low.find(key)
    for _ in range(8):  # a summary may quote the reply before the transcript does
        if at < 0:
            break
        after = _STAGE_AFTER_RE.match(flat, at + len(key))
        if after:
            return after[1] or f"(in reply to {after[2]} command)"
        exim = _EXIM_BEFORE_RE.search(flat[max(0, at - 300):at])
        if exim:
            command = exim[1].lower()
            return next((note for word, note in _EXIM_COMMANDS if command.startswith(word)),
                        "(in reply to end of DATA command)")
        before = _STAGE_BEFORE_RE.search(flat[max(0, at - 200):at])
        if before:
            if _PIPELINED_RE.match(flat, at + len(key)):
                return "(in reply to RCPT TO command)"
            command = "end of DATA" if before[1] == "." else before[1]
            return f"(in reply to {command} command)"
        at = low.find(key, at + len(key))
    return ""


# A multi-line SMTP reply's lines as a transcript shows them: "<<< 550-5.7.1 words" (Sendmail),
# the code and a hyphen on every line but the last.
_REPLY_LINE_RE: Final = re.compile(r"^(?:<<<\s*)?(\d{3})([- ])(.*)$")


def continued_reply(text: str, reply: str) -> str:
    """A multi-line reply of which a report kept only the first line ("550-5.7.1 ... this
    message is"), completed from the report's transcript; the reply itself otherwise."""
    first = _REPLY_LINE_RE.match(reply.strip())
    if first is None or first[2] != "-":
        return reply
    key = " ".join(reply.split())
    lines = text[:_MAX_TEXT].splitlines()
    for i, line in enumerate(lines):
        m = _REPLY_LINE_RE.match(line.strip())
        if m is None or " ".join(line.strip().removeprefix("<<<").split()) != key:
            continue
        words = [key]
        for follow in lines[i + 1:i + 40]:
            n = _REPLY_LINE_RE.match(follow.strip())
            if n is None or n[1] != first[1]:
                break
            words.append(re.sub(r"^[245]\.\d{1,3}\.\d{1,3}\s+", "", n[3].strip()))  # its code again
            if n[2] == " ":
                break
        return " ".join(words)
    return reply
