"""Round 19 part m: copies the collected bounces (byte for byte) into tests/bounces20/messages/
as <mta>-<situation>[-n].eml and writes expected.json. The kind of each failed or delayed
recipient is the reading of what the bounce says (LABELLING.md), given per situation built
below and confirmed against the recipient's own words, which are printed for review and
quoted in the note. Read with Python's email package; moxhooks is not used."""

import email
import email.message
import json
import re
import sys
from pathlib import Path

OUT = Path(sys.argv[1])
DEST = Path(sys.argv[2])
HELO = {"mx.pf-tx.example.com": "postfix", "mx.pf-rx.example.org": "postfix",
        "mx.ex-tx.example.com": "exim", "mx.ex-rx.example.org": "exim",
        "mx.os-tx.example.com": "opensmtpd", "mx.os-rx.example.org": "opensmtpd",
        "mx.sm-tx.example.com": "sendmail"}
RX = {"pf-rx.example.org": "the Postfix receiver", "ex-rx.example.org": "the Exim receiver",
      "os-rx.example.org": "the OpenSMTPD receiver"}


def situation(addr: str, tag: str) -> tuple[str, str]:
    """(what was built for this recipient, the kind its bounce words and the situation give)."""
    local, domain = addr.split("@")
    if domain in RX and local.startswith("nosuch"):
        kind = "undetermined" if domain == "os-rx.example.org" else "mailbox_unknown"
        return f"recipient {local}@ is not a user of {RX[domain]}", kind
    if domain.startswith("mx.") and local == "nosuch":
        return f"recipient {local}@ is not a local user of the sending MTA itself", "mailbox_unknown"
    if local == "carol":
        how = "virtual_mailbox_limit" if domain.startswith("pf") else "appendfile quota"
        return f"carol's mailbox at {RX[domain]} is over its size limit ({how})", "mailbox_full"
    if "sender-domain-unknown" in tag:
        return (f"the envelope sender's domain ghost-sender.example.net does not resolve "
                f"(NXDOMAIN); {RX[domain]} checks senders"), "sender_blocked"
    if local == "bob" and "too-large" in tag:
        return f"a 30 KB message to {RX[domain]}, whose size limit is 20 KB", "message_too_large"
    if local == "bob" and domain in RX:
        # An existing mailbox: it fails only where something else happened (see the caller).
        return f"recipient bob@ exists at {RX[domain]}", "undetermined"
    if domain.startswith("relay-"):
        rx = {"pf": "Postfix", "ex": "Exim", "os": "OpenSMTPD"}[domain[6:8]]
        return f"a domain the {rx} receiver does not serve (relay attempt from 127.0.0.1)", "undetermined"
    if domain == "nowhere.example.net":
        if tag.endswith("-2"):
            return ("a recipient domain that does not resolve (NXDOMAIN), sent to the Postfix "
                    "receiver with reject_unknown_recipient_domain before its relay check"), "domain_unknown"
        return ("a recipient domain that does not resolve, sent to the Postfix receiver whose "
                "relay check came first"), "undetermined"
    if domain == "pfrx":
        if tag.endswith("-2"):
            return ("a recipient without a fully-qualified domain, sent to the Postfix receiver "
                    "with reject_non_fqdn_recipient before its relay check"), "mailbox_unknown"
        return ("a recipient without a fully-qualified domain, sent to the Postfix receiver "
                "whose relay check came first"), "undetermined"
    if domain.endswith(".invalid"):
        return "the recipient domain does not exist (.invalid, NXDOMAIN from the local DNS)", "domain_unknown"
    if domain == "down.example.net":
        return "the receiver is down (nothing listens on its port) until the queue lifetime ends", "expired"
    raise ValueError(addr)


def blocks(msg: email.message.Message) -> list[dict[str, str]]:
    found = []
    for part in msg.walk():
        if part.get_content_type() == "message/delivery-status":
            payload = part.get_payload()
            for sub in payload[1:] if isinstance(payload, list) else []:
                found.append({k.lower(): " ".join(v.split()) for k, v in sub.items()})
    return found


def words(msg: email.message.Message, addr: str, block: dict[str, str]) -> str:
    """The recipient's own reason: its Diagnostic-Code, and its lines in the human-readable part
    when they say more; a notice that names no reason gives its opening sentence."""
    diag = block["diagnostic-code"].split(";", 1)[1].strip() if block.get("diagnostic-code") else ""
    text = text_words(msg, addr)
    if diag and text and diag.lower() not in text.lower() and text.lower() not in diag.lower():
        return f"{diag}\" / text: \"{text}"
    if diag or text:
        return diag or text
    first = next(p for p in msg.walk() if p.get_content_type() == "text/plain")
    body = first.get_payload(decode=True).decode("utf-8", "replace")
    keys = ("connection refused", "could not be delivered", "could not send message",
            "will be deleted", "still undelivered", "not yet been delivered", "still trying", "delivery attempts will continue")
    found = [" ".join(line.split()) for line in body.splitlines() if any(k in line.lower() for k in keys)]
    return " / ".join(found[:3])


def text_words(msg: email.message.Message, addr: str) -> str:
    first = next(p for p in msg.walk() if p.get_content_type() == "text/plain")
    text = first.get_payload(decode=True).decode("utf-8", "replace")
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if addr in line:
            rest = line.split(addr, 1)[1].lstrip(" :>").rstrip()
            more = [rest] if rest else []
            for nxt in lines[i + 1:]:
                if not nxt.startswith("    ") or not nxt.strip():
                    break
                more.append(nxt.strip())
            return " ".join(more)
    return ""


def why(kind: str, said: str) -> str:
    """The rule of LABELLING.md that decided, where one did."""
    low = said.lower()
    if kind == "undetermined" and ("relay" in low or "invalid recipient" in low):
        return "; a refused relay: undetermined, as the kinds table reads relay denied and F13 a receiver's choice of recipients (rule 4)"
    if kind == "undetermined":
        return "; the words name no missing mailbox and no side: undetermined (rule 4)"
    if kind == "expired":
        return "; gave up after temporary failures: expired (F4)"
    if kind == "mailbox_full" and "retry timeout" in low:
        return "; gave up on a named cause, the full mailbox: that kind (F4)"
    if kind == "sender_blocked":
        return "; the envelope sender's domain is refused: sender_blocked (rule 2)"
    return ""


expected: dict[str, dict] = {}
warned: set[tuple[str, str, bool]] = set()
repeats = 0
names: dict[str, int] = {}
review = []
for line in open(OUT / "index.jsonl"):
    r = json.loads(line)
    raw = (OUT / r["file"]).read_bytes()
    msg = email.message_from_bytes(raw)
    mta = HELO[r["helo"]]
    tag = sorted(set(t.decode() for t in re.findall(rb"r19m\.[a-z]+\.[a-z0-9-]+", raw)))[0]
    _, tx, sit = tag.split(".")
    bl = [b for b in blocks(msg) if b.get("action") in ("failed", "delayed")]
    delayed = all(b["action"] == "delayed" for b in bl)
    by_receiver = r["helo"].endswith(".example.org")
    if delayed:
        # A repeated delay warning for the same message says the same again: the first is kept.
        if (mta, tag, by_receiver) in warned:
            repeats += 1
            continue
        warned.add((mta, tag, by_receiver))
    base = f"{mta}-{sit}" + ("-warning" if delayed else "") + (f"-receiver-for-{tx}" if by_receiver else "")
    names[base] = names.get(base, 0) + 1
    name = base + (f"-{names[base]}" if names[base] > 1 else "") + ".eml"
    recipients, labels = [], []
    for b in bl:
        addr = (b.get("original-recipient") or b["final-recipient"]).split(";", 1)[1].strip()
        built, kind = situation(addr, tag)
        said = words(msg, addr, b)
        temporary = (b.get("status") or "").startswith("4") or said.startswith("4")
        if tx == "sendmail" and addr.split("@")[1] in ("ex-rx.example.org", "relay-ex.example.net") and temporary:
            # The Exim receiver could not verify this sender: its dnslookup router sends
            # sm-tx.example.com (A 127.0.0.1) to its own address and defers (self = freeze).
            built = (f"{built}; but the Exim receiver deferred every RCPT of the Sendmail sender "
                     f"(its sender verification of alice@sm-tx.example.com routed to itself), "
                     f"until Sendmail's queue lifetime ran out")
            kind = "expired"
        if b["action"] == "delayed":
            kind = "mailbox_full" if addr.startswith("carol@") else "transient"
            note = (f"{built}; delay warning (F3), Action delayed, Status {b.get('status')}: "
                    f"\"{said}\"; nothing gave up yet")
        else:
            note = f"{built}; Action failed, Status {b.get('status')}: \"{said}\""
        note += why(kind, said)
        recipients.append({"address": addr, "kind": kind, "label": built, "label_by": "hand", "note": note})
        labels.append(built)
        review.append((name, addr, b["action"], b.get("status"), kind, said))
    (DEST / name).write_bytes(raw)
    dsn = re.search(rb"(?im)^content-type:\s*message/(global-)?delivery-status", raw) is not None
    expected[name] = {"type": "dsn" if dsn else "bounce", "recipients": recipients}
(DEST / "expected.json").write_text(json.dumps(expected, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
print("repeated warnings left out:", repeats)
for row in review:
    print(" | ".join(str(x) for x in row))
