"""Round 21 part m: copies the collected bounces (byte for byte) into tests/bounces21/messages/
as <mta>-<situation>[-n].eml and writes expected.json. The kind of each failed or delayed
recipient is the reading of what the bounce says (LABELLING.md), given per situation built
below and confirmed against the recipient's own words, which are printed for review and quoted
in the note. Read with Python's email package; moxhooks is not used.
usage: build21.py SINK_DIR DEST_DIR [--write]"""

import email
import email.message
import json
import re
import sys
from pathlib import Path

OUT = Path(sys.argv[1])
DEST = Path(sys.argv[2])
WRITE = "--write" in sys.argv

# Collected files left out, with the reason (recorded in SOURCES-messages.md).
SUCCESS_REPORT = "a success report (NOTIFY=SUCCESS), not a bounce"
# Exim queue ids of messages that were stuck on an expansion failure of the Exim sender's own
# transport (its port computed from $domain, unset for a mixed-domain delivery): their warnings
# name no situation that was built; the messages were removed from its queue and sent again.
STUCK_EXIM = [b"1xaMWL-0005pz-2B", b"1xaMWL-0005qL-2r", b"1xaMZf-0006ec-2N", b"1xaMc4-0007dx-0O",
              b"1xaMcq-00007J-00"]
# The Postfix receiver's quota reports are one template whatever the sender: four of the nine are
# left out so that no bounce writer gives much more than ~30 messages.
REPEATS = {"002629-042.eml", "002452-015.eml", "003104-091.eml", "003631-114.eml"}
LEFT_OUT_TAGS = {
    # dma's smarthost was still the SPF listener: an SPF refusal already made as dma-spf-fail.
    "r21m.dma.over-quota-lmtp": "dma's smarthost was still the SPF listener (a repeat of dma's SPF refusal)",
}

RX = {
    "pf-rx.example.org": "the Postfix receiver",
    "sm-rx.example.org": "the Sendmail receiver",
}


def situation(addr: str, tag: str, action: str, cause: bool = True) -> tuple[str, str]:
    """(what was built for this recipient, the kind its bounce words and the situation give).
    A delay notice that names no cause is transient (F3) whatever was built."""
    built, kind = built_kind(addr, tag, action)
    if action == "delayed" and not cause:
        kind = "transient"
    return built, kind


def built_kind(addr: str, tag: str, action: str) -> tuple[str, str]:
    local, domain = addr.split("@")
    delayed = action == "delayed"
    if local.startswith("nosuch") and domain in RX:
        how = "virtual_mailbox_maps holds bob and carol only" if domain.startswith("pf") else "no such local user"
        return f"recipient {local}@ is not a user of {RX[domain]} ({how})", "mailbox_unknown"
    if addr == "carol@pf-rx.example.org":
        return ("carol's mailbox at the Postfix receiver is over its size limit "
                "(virtual_mailbox_limit = 30000, mbox pre-filled to 29 320 bytes)"), "mailbox_full"
    if addr == "carol@lmtp-rx.example.org":
        return ("carol's maildir behind the Postfix receiver is over its Dovecot quota "
                "(LMTP, quota_rule = *:storage=10K, 8 852 bytes used)"), "mailbox_full"
    if addr == "bob@pf-rx.example.org" and "too-large" in tag:
        return "a 30 KB message to the Postfix receiver, whose message_size_limit is 20000", "message_too_large"
    if domain == "relay-pf.example.net":
        if tag.startswith("r21m.postfix.multi-spf-relay"):
            return ("a domain for which the Postfix sender has no transport entry; its own DNS "
                    "lookup got NXDOMAIN (local DNS stub)"), "domain_unknown"
        if ".exim." in tag:
            return ("a domain for which the Exim sender has no route (no router accepts it; "
                    "the words do not say the domain does not exist)"), "undetermined"
        return ("a domain the Postfix receiver does not serve (relay attempt from 127.0.0.1, "
                "not in its mynetworks)"), "undetermined"
    if domain == "rbl-rx.example.org":
        return ("the Postfix receiver's reject_rbl_client dnsbl.example.net, a DNS list (the local "
                "DNS stub) that lists 127.0.0.1"), "sender_blocked"
    if domain == "smbl-rx.example.org":
        return ("the Sendmail receiver's FEATURE(dnsbl) with dnsbl.example.net, a DNS list (the "
                "local DNS stub) that lists 127.0.0.1"), "sender_blocked"
    if domain == "nofqdn-rx.example.org":
        return ("the sender greets with a HELO name that is not fully qualified; the Postfix "
                "receiver has reject_non_fqdn_helo_hostname"), "sender_blocked"
    if domain == "invhelo-rx.example.org":
        return ("the sender greets with a syntactically invalid HELO name (bad!host.example.com); "
                "the Postfix receiver has reject_invalid_helo_hostname"), "sender_blocked"
    if domain == "unkhelo-rx.example.org":
        return ("the sender greets with a HELO name that does not resolve; the Postfix receiver "
                "has reject_unknown_helo_hostname (450 by default) until the sender gives up"), "sender_blocked"
    if domain == "ptr-rx.example.org":
        return ("127.0.0.1 has no PTR record (local DNS stub); the Postfix receiver has "
                "reject_unknown_client_hostname (450 by default) until the sender gives up"), "sender_blocked"
    if domain == "access-rx.example.org":
        return ("the Postfix receiver's check_sender_access table holds the sender's domain "
                "with REJECT"), "sender_blocked"
    if addr == "bob@sm-rx.example.org" and "sender-access" in tag:
        return ("the Sendmail receiver's access database holds 'From:mallory@<sender domain> "
                "REJECT'"), "sender_blocked"
    if domain == "spf-rx.example.org":
        return ("the sender's domain publishes 'v=spf1 -all'; the Postfix receiver asks "
                "postfix-policyd-spf-python (check_policy_service)"), "sender_blocked"
    if domain == "grey-rx.example.org":
        return ("the Postfix receiver greylists through postgrey (check_policy_service, delay "
                "300 s) and the sender gives up first"), ("transient" if delayed else "expired")
    if domain == "down.example.net":
        return ("the receiver is down (nothing listens on its port) until the queue lifetime "
                "ends"), ("transient" if delayed else "expired")
    raise ValueError(addr)


def blocks(msg: email.message.Message) -> list[dict[str, str]]:
    found = []
    for part in msg.walk():
        if part.get_content_type() == "message/delivery-status":
            payload = part.get_payload()
            for sub in payload[1:] if isinstance(payload, list) else []:
                found.append({k.lower(): " ".join(str(v).split()) for k, v in sub.items()})
    return found


def writer(msg: email.message.Message, raw: bytes) -> str:
    sender = str(msg.get("From", ""))
    if b"DragonFly Mail Agent" in raw and "MAILER-DAEMON <>" in sender:
        return "dma"
    if "Message Delivery Subsystem" in sender:
        return "nullmailer"
    if "@ex-tx.example.com" in sender:
        return "exim"
    if "@pf-tx.example.com" in sender:
        return "postfix"
    if "@mx.os-tx.example.com" in sender:
        return "opensmtpd"
    if "@pf-rx.example.org" in sender:
        return "postfix-rx"
    raise ValueError(sender)


def text_words(msg: email.message.Message, addr: str) -> str:
    """The recipient's lines in the report's first text part: Postfix's "<addr>: ..." paragraph,
    Exim's indented lines under the address, OpenSMTPD's "addr: reply" line."""
    part = next((p for p in msg.walk() if p.get_content_type() == "text/plain"), None)
    if part is None:
        return ""
    text = part.get_payload(decode=True).decode("utf-8", "replace").replace("\r\n", "\n")
    for pattern in (rf"^<{re.escape(addr)}>:? ?(.*?)(?:\n\n|\Z)",
                    rf"^  {re.escape(addr)}\n((?:    .*\n?)+)",
                    rf"^{re.escape(addr)}: (.*?)$"):
        m = re.search(pattern, text, re.M | re.S)
        if m:
            return " ".join(m.group(1).split())
    return ""


def dma_words(raw: bytes) -> list[tuple[str, str]]:
    """dma's report (no DSN part): the address it names and the lines up to 'Message headers'."""
    text = raw.decode("utf-8", "replace").replace("\r\n", "\n")
    m = re.search(r"There was an error delivering your mail to <([^>]+)>\.\n\n(.*?)\n\nMessage headers", text, re.S)
    assert m, "dma report"
    return [(m.group(1), " ".join(m.group(2).split()))]


def main() -> None:
    files = sorted(p for p in OUT.glob("*.eml"))
    expected: dict[str, dict] = {}
    seen_warning: set[str] = set()
    left_out: list[tuple[str, str]] = []
    names: dict[str, int] = {}
    for path in files:
        raw = path.read_bytes()
        msg = email.message_from_bytes(raw)
        tags = re.findall(rb"r21m\.([a-z]+)\.([a-z0-9-]+)@", raw)
        assert tags, path
        tx, sit = (t.decode() for t in tags[0])
        tag = f"r21m.{tx}.{sit}"
        subject = str(msg.get("Subject", ""))
        if subject.startswith("Successful Mail Delivery Report"):
            left_out.append((path.name, SUCCESS_REPORT))
            continue
        if path.name in REPEATS:
            left_out.append((path.name, "a near repeat of the Postfix receiver's quota report (~30 per bounce writer)"))
            continue
        if any(qid in raw for qid in STUCK_EXIM):
            left_out.append((path.name, "the Exim sender's own transport expansion failure (queue removed, sent again)"))
            continue
        if tag in LEFT_OUT_TAGS:
            left_out.append((path.name, LEFT_OUT_TAGS[tag]))
            continue
        w = writer(msg, raw)
        if w == "exim" and subject.startswith("Warning: message"):
            qid = subject.split()[2]
            if qid in seen_warning:
                left_out.append((path.name, "a repeated Exim delay warning (delay_warning repeats each minute)"))
                continue
            seen_warning.add(qid)
        recipients = []
        if w == "dma":
            kind_type = "bounce"
            for addr, said in dma_words(raw):
                built, kind = situation(addr, tag, "failed")
                recipients.append({"address": addr, "kind": kind, "label": built, "label_by": "hand",
                                   "note": f"{built}; dma's report: \"{said}\""})
        else:
            kind_type = "dsn"
            for block in blocks(msg):
                addr = block.get("final-recipient", "").split(";", 1)[1].strip()
                action = block.get("action", "").lower()
                if action not in ("failed", "delayed"):
                    continue
                diag = block.get("diagnostic-code", "")
                diag = diag.split(";", 1)[1].strip() if ";" in diag else diag
                text = text_words(msg, addr)
                named = re.findall(r"<([^<>@\s]+@[^<>\s]+)>", diag)
                if named and addr not in named and not named[0].endswith("-tx.example.com"):
                    # nullmailer fails the whole message on one refused RCPT and reports every
                    # recipient with that reply: the words are about another address (rule 1).
                    built = (f"recipient {addr} was never refused; the sender (nullmailer) failed the "
                             f"whole message when the receiver refused {named[0]}, and reports it "
                             f"with that reply")
                    kind = "undetermined"
                else:
                    built, kind = situation(addr, tag, action, cause=bool(diag or text))
                said = f"Action {action}, Status {block.get('status', '')}"
                said += f": \"{diag}\"" if diag else " (no Diagnostic-Code)"
                if text and (not diag or diag.lower() not in text.lower()):
                    said += f"; the report's text: \"{text}\""
                note = f"{built}; {said}"
                if action == "delayed":
                    note += f"; a delay notice (F3): {'the cause it gives' if kind != 'transient' else 'transient'}"
                elif kind == "expired":
                    note += "; the sender gave up after retrying (F4)"
                elif block.get("status", "").startswith("4") or diag.startswith("4"):
                    note += "; a final report on a temporary refusal that names the sender's side (F4 keeps a named cause)"
                if kind == "undetermined":
                    note += "; rule 4"
                recipients.append({"address": addr, "kind": kind, "label": built, "label_by": "hand", "note": note})
        assert recipients, path
        mta = "postfix" if w == "postfix-rx" else w
        stem = re.sub(r"-[23]$", "", sit)
        if w == "postfix-rx":
            stem = f"{stem}-from-{tx}"
        if subject.startswith(("Warning: message", "Delayed Mail")) or any(b.get("action", "").lower() == "delayed" for b in blocks(msg)):
            stem += "-warning"
        base = f"{mta}-{stem}"
        names[base] = names.get(base, 0) + 1
        name = base + (f"-{names[base]}" if names[base] > 1 else "") + ".eml"
        expected[name] = {"type": kind_type, "recipients": recipients}
        print(f"{path.name} -> {name}")
        for r in recipients:
            print(f"    {r['address']}: {r['kind']} | {r['note'][:300]}")
        if WRITE:
            (DEST / name).write_bytes(raw)
    print("left out:")
    for f, why in left_out:
        print("   ", f, why)
    if WRITE:
        (DEST / "expected.json").write_text(json.dumps(dict(sorted(expected.items())), indent=1, ensure_ascii=False) + "\n")


main()
