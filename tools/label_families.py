"""Apply LABELLING.md's family decisions to every labelled bounce, in every round and part.

    python tools/label_families.py           # report what would change (ids, except round 2's test part)
    python tools/label_families.py --write   # change the labels, recording the old one

Some families of replies carried opposite labels between sources (round 1, round 2, the corpus),
because each source labels them its own way. LABELLING.md decides each family once; this script
applies the decision by the family's *structure* (the SMTP stage, the DSN's Action and Status,
the words), the same way to every item, and never runs moxhooks. A changed item keeps its old
kind in `relabelled` ("F2: was rate_limited"). For round 2's test part only counts are printed:
that part is reviewed once, by hand, after the rules are final. The same holds for any later round
whose test part has no review list yet.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import json
import re
import sys
from collections import Counter
from email.message import Message
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BOUNCES = ROOT / "tests" / "bounces"
# Later rounds: tests/bounces2, tests/bounces3, ... (those with a split drawn are read).
LATER = [ROOT / "tests" / f"bounces{n}" for n in range(2, 100) if (ROOT / "tests" / f"bounces{n}").is_dir()]
CORPUS = ROOT / "tests" / "corpus"
RECIPIENT_HARD = {"mailbox_unknown", "domain_unknown", "mailbox_disabled"}

# F1: a verdict on the recipient answered to DATA. The recipient had been accepted at RCPT TO; a
# refusal of the message worded "user unknown" is often a filter's (Japanese carriers answer so
# for a recipient's reception settings): in doubt, not a verdict on the address.
RECIPIENT_WORDS = re.compile(r"user unknown|unknown user|no such user|not a known user|unknown recipient"
                             r"|recipient unknown|does not exist", re.I)
SPECIFIC_RECIPIENT_CODE = re.compile(r"(?<![\d.])5\.(?:1\.(?:1|2|6|10)|2\.1)(?![\d])")
DATA_AFTER = re.compile(r"^.{0,200}?\(in reply to (?:end of )?data command\)|^.{0,200}?after end of data", re.I)
DATA_BEFORE = re.compile(r">>> (?:data|\.)\s*<<<\s*$", re.I)
# Sendmail's transcript of a PIPELINING batch shows only its last command (">>> DATA"), then the
# RCPT TO reply, then DATA's own "503 need RCPT" / "554 no valid recipients": the RCPT TO failed.
PIPELINED = re.compile(r"(?:(?!>>>).){0,300}?<<< ?(?:50[34]\b|554[^<]{0,40}no valid recipients)", re.I)
MFILTER_DATA = re.compile(r"\s*-+ ?smtp command ?-*\s*data\b", re.I)
DATA_IN_TEXT = re.compile(r"in reply to (?:end of )?data command|after end of data", re.I)
# What Sendmail writes in Status for a reply without an enhanced code (smtptodsn()): a
# translation of the reply code, not the receiving server's own detail.
TRANSLATED_STATUS = {550: "5.1.1", 551: "5.1.6", 552: "5.2.2", 553: "5.1.3", 554: "5.0.0"}
# F6: RFC 5321's stock text for 550 ("mailbox not found, no access, or command rejected for
# policy reasons"), said alone: it names no cause.
STOCK = re.compile(r"(?:requested action not taken: )?mailbox (?:is )?unavailable", re.I)
# F2: throttling for the sender's reputation (named: reputation, complaints, unsolicited mail).
REPUTATION = re.compile(r"reputation|user complaints|unsolicited mail", re.I)
# F3: a delay notice says the message will still be tried; F4's relay gave up.
STILL_TRYING = re.compile(r"will be retried|will (?:continue|keep) (?:to )?try|this is only a warning", re.I)
GAVE_UP = re.compile(r"expired|gave up|giving up|retry time|too long|could not be delivered for", re.I)
# F7: a DNS lookup that failed (a malformed answer, SERVFAIL, a time-out), not an answer that the
# domain does not exist.
DNS_TROUBLE = re.compile(r"malformed (?:or unexpected )?name server reply|\bservfail\b|dns (?:lookup |query )?(?:timeout|timed out)"
                         r"|name server (?:timeout|timed out|failure)", re.I)
# F8: RFC 5321's own reply for a message over the size limit (section 4.5.3.1.10), "552 Too much
# mail data": the message's size, unless words name the mailbox's storage.
TOO_MUCH_DATA = re.compile(r"too much mail data", re.I)
STORAGE_WORDS = re.compile(r"\b(?:quota|mailbox (?:is )?full|storage|disk space|over quota)\b", re.I)
# F10: DATA's reply when every RCPT TO had been refused (Postfix's "554 5.5.1 Error: no valid
# recipients", "503 All recipients are invalid"): it names no recipient and no cause. Not a vendor's "no valid recipients for this
# <message>", which is about the one recipient it names.
NO_VALID = re.compile(r"no valid recipients(?! for)|all recipients (?:are |were )?(?:invalid|rejected|refused)", re.I)
# F11: the message named as what was refused, a policy the only reason given ("Message rejected
# due to local policy", "This message violates example.com email policy", "Email rejected due to
# security policies"), with no word of another subject.
MESSAGE_POLICY = re.compile(r"\b(?:message|e-?mail)\b(?: (?!system|server|address|account|domain|host)\S+)? "
                            r"(?:was |is |has been )?(?:rejected|refused|not accepted|violates)\b.{0,60}?\bpolic(?:y|ies)\b", re.I)
OTHER_SUBJECT = re.compile(r"\b(?:sender|ip|host|client|spam|virus|recipient|user|mailbox|domain is|reputation|"
                           r"dkim|spf|dmarc|rate|too many|size|attachment)\b", re.I)
# F12: a recipient on the receiver's own list of refused recipients (qmail's badrcptto,
# "blacklisted recipient", "Recipient has been blacklisted", "RCPT x is in the blacklist"): such a list holds dead addresses and traps alike, so it proves neither; unless the
# words also say the mailbox does not exist ("badrcptto(user mail-box not found)").
DENY_LISTED_RECIPIENT = re.compile(
    r"badrcptto|(?:black ?listed|block ?listed) recipient|recipient (?:has been |is |was )?(?:black ?listed|block ?listed)"
    r"|rcpt \S+ is (?:in|on) the (?:black|block|deny) ?list", re.I)
MAILBOX_GONE = re.compile(r"not found|does not exist|doesn't exist|unknown|no such", re.I)
# F14: the receiver's own error in a permanent reply: a trouble of its own that it names (its
# spool, disk, database, back end, a time-out: "550 Error writing Spool") is a system problem,
# transient; an error it does not name ("554 Server error", "unknown mailer error") is an unknown
# error, undetermined. A failed DNS lookup is F7's.
OWN_TROUBLE = re.compile(
    r"(?:error|failure|failed|problem|cannot|can't|could not|couldn't|unable to)\b[^.;]{0,30}\b(?:spool|disk|database|back ?end|queue file|ldap|directory server)"
    r"|\b(?:spool|disk|database|back ?end|queue file)\b[^.;]{0,30}\b(?:error|failure|failed|not running|down|gone|unavailable|full)"
    r"|error (?:writing|reading|receiving) (?:the )?(?:spool|data|file)|transaction time ?out", re.I)
UNNAMED_ERROR = re.compile(r"internal (?:server |mailer )?error|\bserver error\b|unknown (?:mailer |server |internal )?error"
                           r"|\bmailer error\b", re.I)
LOOKUP = re.compile(r"\bdns\b|lookup|name server|resolv", re.I)
# F15: Google Groups' notice that the group "may not exist, or you may not have permission to
# post" (in the sender's language, with the group's help link and no DSN part): it offers two
# subjects and says neither is the case, so it names nobody.
GROUP_NOTICE = re.compile(r"https?://groups\.google\.com/support", re.I)
# F5: mail loops.
LOOP = re.compile(r"mail loop|routing loop|loop detected|too many hops|hop count|loops back"
                  r"|too many received|possible loop", re.I)


def _flat(text: str) -> str:
    return " ".join(text.split())


def _dsn_fields(msg: Message) -> list[dict[str, str]]:
    """Per-recipient fields of every message/delivery-status part (lower-cased names)."""
    out: list[dict[str, str]] = []
    for part in msg.walk():
        if part.get_content_type() not in ("message/delivery-status", "message/global-delivery-status"):
            continue
        payload = part.get_payload()
        blocks: list[Any] = payload if isinstance(payload, list) else []
        if not blocks:
            raw = part.get_payload(decode=True)
            text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else ""
            blocks = [email.message_from_string(b) for b in re.split(r"\n\s*\n", text) if b.strip()]
        for block in blocks[1:]:
            out.append({k.lower(): _flat(str(v)) for k, v in block.items()})
    return out


def _fields_for(fields: list[dict[str, str]], address: str) -> dict[str, str]:
    for f in fields:
        rcpt = (f.get("original-recipient", "") + " " + f.get("final-recipient", "")).lower()
        if address.lower() in rcpt:
            return f
    return fields[0] if len(fields) == 1 else {}


def _reply_code(text: str) -> int:
    """The code of the reply a text quotes: the last one a relay says it was given ("said: 550
    ..."), else the one it starts with."""
    said = re.findall(r"(?:said|permanent|transient):\s*([245]\d\d)\b", text, re.I)
    if said:
        return int(said[-1])
    lead = re.match(r"\s*(?:smtp;\s*)?([245]\d\d)\b", text, re.I)
    return int(lead[1]) if lead else 0


def _terse(text: str) -> bool:
    """Whether a reply says nothing but a stock "user unknown": no words of its own besides the
    code, the address, the stage note and the phrase ("550 Unknown user x@example.jp", "550 :
    User unknown"). A server that checks recipients after DATA on purpose explains itself
    ("This mailbox is disabled", "Local mailbox x is unavailable: user not found")."""
    rest = DATA_IN_TEXT.sub(" ", RECIPIENT_WORDS.sub(" ", text))
    rest = re.sub(r"<[^>]*>|\S+@\S+|\S*\d\S*|\((?:in reply to|command)\b[^)]*\)?|\b(?:rcpt|to|host|said|command)\b", " ",
                  rest, flags=re.I)
    return len(re.findall(r"[^\W\d_]{3,}", rest)) == 0


def _only_stock(text: str) -> bool:
    """Whether a reply says RFC 5321's stock 550 text and nothing of its own."""
    rest = STOCK.sub(" ", DATA_IN_TEXT.sub(" ", text))
    rest = re.sub(r"<[^>]*>|\S+@\S+|\S*\d\S*|\[[^\]]*\]|\([^)]*\)|\b(?:smtp|host|said|error|code)\b", " ", rest,
                  flags=re.I)
    return len(re.findall(r"[^\W\d_]{3,}", rest)) == 0


def _data_stage(raw: str, reply: str) -> bool:
    """Whether the report says `reply` answered DATA (Postfix's note after it, Sendmail's
    transcript before it)."""
    key = _flat(reply)[:60].lower()
    if len(key) < 8:
        return False
    flat = _flat(raw)
    low = flat.lower()
    at = low.find(key)
    while at >= 0:
        if DATA_AFTER.match(flat[at + len(key):]):
            return True
        if DATA_BEFORE.search(flat[max(0, at - 120):at]) and not PIPELINED.match(flat, at + len(key)):
            return True
        at = low.find(key, at + 1)
    return False


def decide(kind: str | None, text: str, label: str, *, data_stage: bool, action: str = "",
           status: str = "", group_notice: bool = False) -> tuple[str, str] | None:
    """The family and new kind of one item, or None if no decision changes it."""
    if kind is None:
        return None
    if group_notice and kind != "undetermined":
        return "F15", "undetermined"
    code = re.match(r"\s*([245]\d\d)", text)
    if code and TRANSLATED_STATUS.get(int(code[1])) == status:
        status = ""  # Sendmail's translation of the reply code, not the server's verdict
    if (data_stage and RECIPIENT_WORDS.search(text) and _terse(text)
            and not SPECIFIC_RECIPIENT_CODE.search(text + " " + status)
            and (kind in RECIPIENT_HARD or (kind == "sender_blocked" and label.startswith("rejected ")))):
        return "F1", "undetermined"
    if kind in RECIPIENT_HARD and STOCK.search(text) and _only_stock(text) and not SPECIFIC_RECIPIENT_CODE.search(text):
        return "F6", "undetermined"
    if kind == "rate_limited" and REPUTATION.search(text):
        return "F2", "sender_blocked"
    if kind == "expired" and (action == "delayed" or STILL_TRYING.search(text)) and not GAVE_UP.search(text):
        return "F3", "transient"
    if kind == "transient" and action == "failed" and status.startswith("4."):
        return "F4", "expired"
    if kind in RECIPIENT_HARD and _reply_code(text) // 100 == 4:
        return "F9", ("expired" if action == "failed" else "transient")
    if kind == "mailbox_full" and TOO_MUCH_DATA.search(text) and not STORAGE_WORDS.search(TOO_MUCH_DATA.sub(" ", text)):
        return "F8", "message_too_large"
    if kind in RECIPIENT_HARD and DNS_TROUBLE.search(text):
        return "F7", "transient"
    if kind in RECIPIENT_HARD and NO_VALID.search(text):
        return "F10", "undetermined"
    if (kind == "undetermined" and _reply_code(text) // 100 != 4 and MESSAGE_POLICY.search(text)
            and not OTHER_SUBJECT.search(MESSAGE_POLICY.sub(" ", text))):
        return "F11", "content_rejected"
    if kind in RECIPIENT_HARD and DENY_LISTED_RECIPIENT.search(text) and not MAILBOX_GONE.search(text):
        return "F12", "undetermined"
    if _reply_code(text) // 100 == 5 and not LOOKUP.search(text):
        if kind == "undetermined" and OWN_TROUBLE.search(text):
            return "F14", "transient"
        if kind == "transient" and UNNAMED_ERROR.search(text) and not OWN_TROUBLE.search(text):
            return "F14", "undetermined"
    if kind != "undetermined" and LOOP.search(text):
        return "F5", "undetermined"
    return None


def reply_changes(folder: Path) -> list[tuple[Path, int, dict[str, Any], str, str]]:
    out = []
    for path in sorted((folder / "replies").glob("*.jsonl")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
            if not line.strip():
                continue
            row = json.loads(line)
            text = str(row["text"])
            got = decide(row["kind"], text, str(row.get("label", "")), data_stage=bool(DATA_IN_TEXT.search(text)))
            if got:
                out.append((path, n, row, *got))
    return out


def message_changes(folder: Path) -> list[tuple[str, int, dict[str, Any], str, str]]:
    if not (folder / "expected.json").exists():
        return []  # a round without messages (round 6)
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    out = []
    for name, want in sorted(expected.items()):
        raw_bytes = (folder / name).read_bytes()
        msg = email.message_from_bytes(raw_bytes, policy=email.policy.compat32)
        raw = raw_bytes.decode("utf-8", "replace")
        fields = _dsn_fields(msg)
        for i, rec in enumerate(want["recipients"]):
            f = _fields_for(fields, rec["address"])
            diag = re.sub(r"^\s*smtp\s*;\s*", "", f.get("diagnostic-code", ""), flags=re.I)
            if diag:
                text, data_stage = diag, _data_stage(raw, diag)
            else:
                # No DSN part: the reply line with recipient words nearest the address, and its
                # stage as the report words it (Exim's "after end of data", m-FILTER's "SMTP
                # command" section, Sendmail's transcript).
                at = _flat(raw).lower().find(rec["address"].lower())
                text, data_stage = (_flat(raw)[at:at + 400] if at >= 0 else ""), False
                for m in re.finditer(r"[245]\d\d\b[^\n]{0,200}", raw):
                    if RECIPIENT_WORDS.search(m[0]) and rec["address"].split("@")[0].lower() in raw.lower():
                        text = m[0]
                        after = raw[m.end():m.end() + 300]
                        data_stage = (_data_stage(raw, text) or bool(DATA_IN_TEXT.search(raw[max(0, m.start() - 300):m.end()]))
                                      or bool(MFILTER_DATA.match(after)))
                        break
            got = decide(rec["kind"], text, str(rec.get("label", "")), data_stage=data_stage,
                         action=f.get("action", "").lower(), status=f.get("status", ""),
                         group_notice=not diag and bool(GROUP_NOTICE.search(raw)))
            if got:
                out.append((name, i, rec, *got))
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--write", action="store_true")
    a = p.parse_args()
    rounds = [(f"round {n}", folder, json.loads((folder / "split.json").read_text()))
              for n, folder in enumerate((BOUNCES, *LATER), 1)
              if (folder / "split.json").exists()]
    # A later round's test part is unread until its one review list (tools/score_bounces.py
    # --review): for it only the counts are printed.
    unread = {where for where, folder, _ in rounds[1:] if not (folder / "test-disagreements.txt").exists()}
    counts: Counter[tuple[str, str]] = Counter()

    def show(where: str, part: str, ident: str, old: str, fam: str, new: str, text: str) -> None:
        counts[(f"{where} {part}", fam)] += 1
        if not (where.removesuffix(" messages") in unread and part == "test"):
            print(f"{fam} {where} {part}: {ident}: {old} -> {new}: {_flat(text)[:120]}")

    for where, folder, split in rounds:
        changes = reply_changes(folder)
        by_file: dict[Path, dict[int, tuple[str, str]]] = {}
        for path, n, row, fam, new in changes:
            show(where, split["replies"].get(row["id"], "?"), row["id"], row["kind"], fam, new, row["text"])
            by_file.setdefault(path, {})[n] = (fam, new)
        if a.write:
            for path, lines_changed in by_file.items():
                lines = path.read_text(encoding="utf-8").splitlines()
                for n, (fam, new) in lines_changed.items():
                    row = json.loads(lines[n])
                    row["relabelled"] = f"{fam}: was {row['kind']}"
                    row["kind"] = new
                    lines[n] = json.dumps(row, ensure_ascii=False)
                path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for where, folder, split in [("corpus", CORPUS, None),
                                 *((w, f / "messages", sp) for w, f, sp in rounds)]:
        changes2 = message_changes(folder)
        for name, _i, rec, fam, new in changes2:
            part = split["messages"].get(name, "?") if split else "-"
            show(where + " messages", part, f"{name} {rec['address']}", rec["kind"], fam, new, "")
        if a.write and changes2:
            path = folder / "expected.json"
            expected = json.loads(path.read_text(encoding="utf-8"))
            for name, i, _rec, fam, new in changes2:
                target = expected[name]["recipients"][i]
                target["relabelled"] = f"{fam}: was {target['kind']}"
                target["kind"] = new
            path.write_text(json.dumps(expected, indent=1, ensure_ascii=False, sort_keys=True) + "\n",
                            encoding="utf-8")
    for (where, fam), n in sorted(counts.items()):
        print(f"  {where}: {fam} {n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
