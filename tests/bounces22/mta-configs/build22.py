"""Round 22 part m: copies the kept collected files byte for byte to messages/<name>.eml and
writes messages/expected.json. The writer, situation and recipients are read from each file
with Python's email package; the kind of each situation was decided by reading the bounces
(SOURCES-messages.md, "How the labels were made") and is written in SITUATIONS below; the
deciding words in each note are the file's own (Diagnostic-Code, or the report's text).
usage: build22.py COLLECTED_DIR MESSAGES_DIR"""

import json
import re
import shutil
import sys
from email import message_from_bytes, policy
from pathlib import Path

SRC, DST = Path(sys.argv[1]), Path(sys.argv[2])

# Files left out (see SOURCES-messages.md, "Left out"): success reports, Exim's repeated
# warnings, and six of the twelve Postfix-receiver reports about the unwritable mailbox.
LEFT_OUT = {
    "005221-004.eml": "success report", "005221-007.eml": "success report",
    "005223-015.eml": "success report", "005223-016.eml": "success report",
    "005224-018.eml": "success report", "005255-026.eml": "success report",
    "005431-048.eml": "Exim's second warning", "005431-049.eml": "Exim's second warning",
    "005446-050.eml": "Exim's second warning", "005446-051.eml": "Exim's second warning",
    "005320-036.eml": "Postfix receiver, unwritable mailbox, one of 12",
    "005403-041.eml": "Postfix receiver, unwritable mailbox, one of 12",
    "005403-044.eml": "Postfix receiver, unwritable mailbox, one of 12",
    "005533-066.eml": "Postfix receiver, unwritable mailbox, one of 12",
    "005533-068.eml": "Postfix receiver, unwritable mailbox, one of 12",
    "005533-069.eml": "Postfix receiver, unwritable mailbox, one of 12",
}

HDR = "the Postfix receiver's header_checks, a REJECT with no text of ours for a marker in the Subject"
BODY = "the Postfix receiver's body_checks, a REJECT with no text of ours for a marker line in the body"
MIME = "the Postfix receiver's mime_header_checks, a REJECT with no text of ours for an attachment named invoice.exe"
SYNTAX = ("the Exim receiver's DATA ACL from Exim's example.conf (deny !verify = header_syntax, "
          "its documented message), a malformed Cc header")
LONGRX = ("the Exim receiver's DATA ACL from Exim's example.conf (deny an overlong line, its documented "
          "message), a 1260-character line sent as 8-bit text")
LONGTX = ("a 1260-character line sent as 8-bit text towards the Exim receiver; the Exim sender's own smtp "
          "transport (message_linelength_limit, default 998) refused to send it")
LOOP_PF = "a forwarding loop: the Postfix receiver relays loop-rx.example.org to the Postfix sender, which relays it back"
SELF = "the Postfix sender's transport for self-loop.example.org points at its own listener"
LOOP_EX = "a forwarding loop: the Exim receiver relays loop-ex.example.org to the Exim sender, which relays it back"
UNWR = ("dave's mailbox file on the Postfix receiver is owned by root, mode 0600; virtual(8) delivers "
        "as uid 8 and cannot open it")
RATE = "the Postfix receiver's smtpd_client_message_rate_limit = 1 (anvil_rate_time_unit 3600s) on its listener 2652"
RRATE = "the Postfix receiver's smtpd_client_recipient_rate_limit = 2 (anvil_rate_time_unit 3600s) on its listener 2653"
RLIM = "the Postfix receiver's smtpd_recipient_limit = 2 on its listener 2654"
XRATE = ("the Exim receiver's RCPT ACL 'defer ratelimit = 2 / 1h / strict / per_rcpt' for exrate-rx.example.org "
         "(the Exim specification's ratelimit condition, no message of ours)")

# situation -> (label, kind of a failure, kind of a delay notice, reading)
SITUATIONS = {
    "header-check": (HDR, "content_rejected", "", "the message refused for its content"),
    "multi-header-check": (HDR, "content_rejected", "", "the message refused for its content"),
    "body-check": (BODY, "content_rejected", "", "the message refused for its content"),
    "multi-body-check": (BODY, "content_rejected", "", "the message refused for its content"),
    "mime-header-check": (MIME, "content_rejected", "", "the message refused for its content"),
    "header-syntax-exrx": (SYNTAX, "content_rejected", "", "the message's header syntax refused"),
    "long-line-exrx-2": (LONGRX, "content_rejected", "", "the message refused for a line over 998 octets"),
    "multi-long-line-delivered": (LONGRX, "content_rejected", "", "the message refused for a line over 998 octets"),
    "forward-loop": (LOOP_PF, "undetermined", "", "a mail loop (the kinds table: undetermined)"),
    "self-loop": (SELF, "undetermined", "", "a mail loop (the kinds table: undetermined)"),
    "forward-loop-exim": (LOOP_EX, "undetermined", "",
                          "the report names no reason at all (rule 4); the situation was a mail loop"),
    "unwritable-mailbox-pfrx": (UNWR, "expired", "transient",
                                "the receiver's own local problem, temporary (4.2.0): a notice is transient (F3); "
                                "the final report after the lifetime, Status 4.2.0, is expired (F4)"),
    "rate-message-pfrx": (RATE, "rate_limited", "rate_limited",
                          "pace: too much mail from the client (F3 names the cause; F4 keeps it)"),
    "multi-rate-recipient-pfrx": (RRATE, "rate_limited", "rate_limited",
                                  "pace: too many recipients from the client (F3; F4 keeps the cause)"),
    "multi-recipient-limit-pfrx": (RLIM, "rate_limited", "rate_limited",
                                   "452 too many recipients (the kinds table: rate_limited; F3)"),
    "multi-ratelimit-exrx": (XRATE, "expired", "transient",
                             "Exim's default words for a deferring ACL say a temporary local problem (transient, "
                             "the kinds table; F3); the final report after the retry time is expired (F4)"),
    "ratelimit-exrx": (XRATE, "expired", "transient",
                       "Exim's default words for a deferring ACL say a temporary local problem (transient; F3)"),
}
# erin@rate-rx and dave@pf-rx in the mixed messages
MIXED = {"rate-rx.example.org": "rate-message-pfrx", "pf-rx.example.org": "unwritable-mailbox-pfrx",
         "ex-rx.example.org": "multi-long-line-delivered", "exrate-rx.example.org": "multi-ratelimit-exrx"}
OS_EXPIRED = ("OpenSMTPD's report at the end of its queue ttl: Action delayed, Status 4.4.7, \"Envelope expired\", "
              "\"only a temporary failure report\"; a delay notice by its DSN (F3, nothing else named): "
              "transient (rule 4: its words also say the envelope expired)")


def writer(msg, data: bytes) -> str:
    sender = str(msg["From"])
    if "DragonFly Mail Agent" in data.decode("utf-8", "replace"):
        return "dma"
    if "Message Delivery Subsystem" in sender:
        return "nullmailer"
    for dom, name in (("pf-tx", "postfix"), ("pf-rx", "postfix-rx"), ("ex-tx", "exim"), ("os-tx", "opensmtpd")):
        if dom in sender:
            return name
    raise ValueError(sender)


def words(text: str, fields: dict[str, str], address: str, mta: str) -> str:
    if fields.get("Diagnostic-Code"):
        said = " ".join(fields["Diagnostic-Code"].split())
        if mta == "exim":  # Exim's warnings carry the reply in their text only, and failures say more there
            pass
        else:
            return f"Status {fields.get('Status')}, Diagnostic-Code \"{said}\""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith(f"{address}:"):  # OpenSMTPD
            return f"Status {fields.get('Status')}; the report: \"{stripped}\""
        if stripped == address and line.startswith("  "):  # Exim
            more = []
            for follow in lines[i + 1:]:
                if follow.startswith("    "):
                    more.append(follow.strip())
                else:
                    break
            said = " ".join(more) if more else "(no reason given under the address)"
            return f"Status {fields.get('Status')}; the report: \"{said}\""
        if stripped == f"There was an error delivering your mail to <{address}>.":  # dma
            return f"dma's report: \"{lines[i + 2].strip()} {lines[i + 3].strip()}\""
    raise ValueError(address)


def recipients_of(msg, text: str, mta: str) -> list[dict[str, str]]:
    found = []
    for part in msg.walk():
        if part.get_content_type() == "message/delivery-status":
            for block in part.get_payload()[1:]:
                fields = {k: str(block[k]) for k in ("Final-Recipient", "Action", "Status", "Diagnostic-Code") if block[k]}
                if fields.get("Action") in ("failed", "delayed"):
                    fields["address"] = fields["Final-Recipient"].split(";", 1)[1].strip()
                    found.append(fields)
    if not found and mta == "dma":
        for m in re.finditer(r"There was an error delivering your mail to <([^>]+)>\.", text):
            found.append({"address": m.group(1), "Action": "failed"})
    return found


def main() -> None:
    DST.mkdir(parents=True, exist_ok=True)
    expected: dict[str, dict[str, object]] = {}
    for line in open(SRC / "index.jsonl"):
        src = json.loads(line)["file"]
        if src in LEFT_OUT:
            continue
        data = (SRC / src).read_bytes()
        msg = message_from_bytes(data, policy=policy.default)
        text = data.decode("utf-8", "replace").replace("\r\n", "\n")
        mta = writer(msg, data)
        tags = [t for t in re.findall(r"r22m\.([a-z]+)\.([a-z0-9-]+)@", text)]
        origin, situation = tags[0]
        rcpts = recipients_of(msg, text, mta)
        warning = all(r["Action"] == "delayed" for r in rcpts)
        name = f"{'postfix' if mta == 'postfix-rx' else mta}-{situation}"
        if mta == "postfix-rx" or origin != mta:
            name += f"-from-{origin}"
        if warning and mta == "opensmtpd" and all(r.get("Status") == "4.4.7" for r in rcpts):
            name += "-expiry-notice"
        elif warning:
            name += "-warning"
        n = 1
        final = name
        while f"{final}.eml" in expected:
            n += 1
            final = f"{name}-{n}"
        entries = []
        for r in rcpts:
            address = r["address"]
            sit = situation
            if situation == "multi-mixed-delivered":
                sit = MIXED[address.split("@")[1]]
            label, fail_kind, delay_kind, reading = SITUATIONS[sit]
            said = words(text, r, address, mta)
            if r["Action"] == "delayed" and r.get("Status") == "4.4.7" and mta == "opensmtpd":
                kind, reading = "transient", OS_EXPIRED
            elif r["Action"] == "delayed":
                kind = delay_kind
            elif mta == "nullmailer" and sit == "ratelimit-exrx":
                kind = fail_kind
                reading = ("nullmailer gave up at the end of its queuelifetime (150 s) on the 451: a sender that "
                           "gave up on a temporary reply, expired (F4's reading; its Status says 5.0.0)")
            else:
                kind = fail_kind
            if kind == "expired" and sit in ("multi-ratelimit-exrx", "unwritable-mailbox-pfrx") and mta != "nullmailer":
                reading = reading.split("; the final")[0] + "; this is the final report after the lifetime: expired (F4)"
            if sit == "multi-long-line-delivered" and mta == "exim":
                label = LONGTX
            if sit == "long-line-exrx-2" and mta == "exim":
                label = LONGTX
            note = f"{label}; {'delay notice' if r['Action'] == 'delayed' else 'failure'}: {said}; {reading}"
            entries.append({"address": address, "kind": kind, "label": label, "label_by": "hand", "note": note})
        is_dsn = any(p.get_content_type() == "message/delivery-status" for p in msg.walk())
        expected[f"{final}.eml"] = {"type": "dsn" if is_dsn else "bounce", "recipients": entries}
        shutil.copyfile(SRC / src, DST / f"{final}.eml")
        print(src, "->", final)
    with open(DST / "expected.json", "w") as out:
        json.dump(expected, out, indent=1, ensure_ascii=False, sort_keys=True)
        out.write("\n")


main()
