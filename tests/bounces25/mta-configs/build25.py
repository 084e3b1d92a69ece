"""Round 25 part m: copy the collected bounces byte for byte under their situation names and write
messages/expected.json. The situation of each bounce is the Message-ID of the returned test
message (<r25m.SID@...>, SID as submit25.py logged it); the bounce's deciding words are read with
Python's email package (and a regular expression for chasquid's message/global-delivery-status);
the kind of each reply family is decided by hand below (WORDS), from LABELLING.md's kinds table,
rules 1-4 and F1-F16. Nothing here runs or imports moxhooks."""

import email
import email.policy
import json
import re
from pathlib import Path

SINK = Path("/opt/r25m/sink")
CHMAIL = Path("/opt/r25m/chmail")
MOXMAIL = Path("/opt/r25m/moxmail")
OUT = Path(__file__).resolve().parent.parent / "messages"
WRITER = {"pf": "postfix", "ex": "exim", "ch": "chasquid", "hr": "haraka", "mox": "mox"}

# The situations built (the label), by the SID with the writer prefix and a -N suffix removed.
RX = {
    "moxrx": "the mox v0.0.17 receiver (mox-rx.example.org; accounts bob and carol, no catch-all)",
    "chrx": "the chasquid 1.11 receiver (ch-rx.example.org; user bob only)",
    "hrrx": "the Haraka 3.3.4 receiver (hr-rx.example.org in host_list; bundled plugins)",
    "qprx": "the qpsmtpd 0.94 receiver (qp-rx.example.org in rcpthosts; Debian's shipped plugins)",
    "pfrx": "the Postfix 3.7.11 receiver with postgrey 1.37 as its check_policy_service (pf-rx.example.org, port 2960)",
    "rlrx": "the Postfix 3.7.11 receiver's port 2965 with -o smtpd_client_message_rate_limit=1 (anvil, default anvil_rate_time_unit 60 s; domain rl-rx.example.org)",
    "psrx": "the Postfix 3.7.11 receiver's postscreen (port 2962) with postscreen_dnsbl_sites = bl.example.net, threshold 1, action enforce; the DNS stub lists every address in bl.example.net",
    "mfrx": "the Postfix 3.7.11 receiver with the rspamd 3.4 milter (its proxy worker as Debian ships it) on port 2963 (mf-rx.example.org)",
}
SITUATION = {
    "moxrx-unknown-user": "recipient not an address of any mox account (no catch-all)",
    "moxrx-too-large": "a 30 KB message; mox listener SMTPMaxMessageSize 20000",
    "moxrx-relay": "relay-mox.example.net is not a domain mox serves",
    "moxrx-disabled-domain": "disabled-rx.example.org is a mox domain with Disabled: true",
    "moxrx-over-quota": "carol's account has QuotaMessageSize 12000 and is full",
    "prefill-carol": "carol's account (QuotaMessageSize 12000) filled by an earlier 5 KB message",
    "moxrx-dmarc-reject": "sender domain dm-tx.example.com: SPF -all without 127.0.0.1 and DMARC p=reject (DNS stub); mox checks DMARC",
    "moxrx-multi-mixed": "mixed recipients: an unknown address, bob (exists), full carol and/or a domain mox does not serve",
    "moxrx-multi-unknown": "two unknown addresses and bob (exists, delivered)",
    "chrx-unknown-user": "recipient not a chasquid user of ch-rx.example.org",
    "chrx-relay": "relay-ch.example.net is not a chasquid domain",
    "chrx-too-large": "a 1.1 MB message; chasquid max_data_size_mb 1",
    "chrx-spf-fail": "sender domain dm-tx.example.com: SPF -all without 127.0.0.1 (DNS stub); chasquid's built-in SPF check",
    "chrx-multi-mixed": "mixed recipients: unknown users, bob (exists) and a domain chasquid does not serve",
    "hrrx-relay": "relay-hr.example.net not in the Haraka receiver's host_list (rcpt_to.in_host_list)",
    "hrrx-too-large": "a 30 KB message; Haraka connection.ini [max] bytes=20000",
    "hrrx-spf-fail": "sender domain dm-tx.example.com: SPF -all without 127.0.0.1; Haraka spf plugin with [deny] mfrom_fail=true",
    "hrrx-sender-unresolvable": "sender alice@ghost-sender.example.net, a domain the DNS stub answers NXDOMAIN; Haraka mail_from.is_resolvable",
    "hrrx-multi-mixed": "bob (exists) and domains not in the Haraka receiver's host_list",
    "qprx-relay": "relay-qp.example.net not in qpsmtpd's rcpthosts",
    "qprx-badrcptto": "gone@qp-rx.example.org listed in qpsmtpd's badrcptto",
    "qprx-badmailfrom": "envelope sender spammer@<sender domain> listed in qpsmtpd's badmailfrom",
    "qprx-too-large": "a 30 KB message; qpsmtpd databytes 20000",
    "qprx-sender-unresolvable": "sender alice@ghost-sender.example.net (NXDOMAIN); qpsmtpd resolvable_fromhost",
    "qprx-multi-mixed": "bob (exists), a badrcptto address and domains not in rcpthosts",
    "hrrx-no-date": "a message without a Date header; Haraka headers plugin with [reject] missing_required=true",
    "hrrx-dup-subject": "a message with two Subject headers; Haraka headers plugin with [reject] duplicate_singular=true",
    "hrrx-old-date": "a message dated 2 Nov 2026 (35 days old); Haraka headers plugin with date_past_days=15 and [reject] invalid_date=true",
    "qprx-no-date": "a message without a Date header; qpsmtpd headers plugin (headers past 15)",
    "qprx-dup-subject": "a message with two Subject headers; qpsmtpd headers plugin (headers past 15)",
    "qprx-old-date": "a message dated 2 Nov 2026 (35 days old); qpsmtpd headers plugin (headers past 15)",
    "moxrx-old-date": "recipient nosuch9@ not an address of any mox account (the message also dated 2 Nov 2026)",
    "pfrx-greylisted": "first delivery attempt from this client, sender and recipient: postgrey (default delay 300 s) greylists; the sender's retry period (Exim F,3m,20s; Haraka two retries a minute apart; Postfix 4 minutes) ends before the greylisting does",
    "pfrx-multi-greylisted": "bob greylisted by postgrey, nosuch@ not in the Postfix receiver's virtual_mailbox_maps",
    "rlrx-rate-limit": "four (Exim) or three (Haraka) messages to bob@rl-rx.example.org submitted within seconds: the receiver takes one message a minute from 127.0.0.1",
    "psrx-dnsbl": "the sending IP 127.0.0.1 is listed in bl.example.net (DNS stub)",
    "mfrx-rspamd-gtube": "the message body carries the GTUBE test string (read from rspamd's librspamd-server.so, not typed)",
    "mfrx-multi-gtube": "GTUBE body to bob (exists) and nosuch@ (not in virtual_mailbox_maps)",
    "nxdomain": "recipient domain nowhere.invalid: the DNS stub answers NXDOMAIN",
    "receiver-down": "down.example.net resolves to 127.0.0.1, nothing listens on the port used: connection refused until the sender gives up",
}
# What happened instead of the situation aimed at, by SID (kept as it happened).
HAPPENED = {
    "hrrx-relay": "the Haraka receiver's mail_from.is_resolvable refused the sender first: every test domain resolves to 127.0.0.1, which the plugin's shipped re_bogus_ip counts as no valid MX",
    "hrrx-too-large": "the Haraka receiver's mail_from.is_resolvable refused the sender first (127.0.0.1 counts as no valid MX)",
    "hrrx-spf-fail": "the Haraka receiver's mail_from.is_resolvable refused the sender first (127.0.0.1 counts as no valid MX)",
    "hrrx-multi-mixed": "the Haraka receiver's mail_from.is_resolvable refused the sender first (127.0.0.1 counts as no valid MX)",
    "qprx-first": "Debian's shipped qpsmtpd plugins file (the check_* wrappers) with 127.0.0.1 in Debian's relayclients: the client relayed, and the check_loop wrapper refused every message at end of DATA",
}


def situation_of(sid: str) -> tuple[str, str, str]:
    """(writer, situation key, receiver key) of a SID."""
    pre, rest = sid.split("-", 1)
    rest = re.sub(r"-\d+$", "", rest)
    rx = rest.split("-", 1)[0] if rest.split("-", 1)[0] in RX else ""
    return WRITER[pre], rest, rx


def recipients(raw: bytes) -> tuple[str, list[dict[str, str]]]:
    m = email.message_from_bytes(raw, policy=email.policy.compat32)
    out = []
    for part in m.walk():
        ct = part.get_content_type()
        if ct == "message/delivery-status":
            for b in part.get_payload()[1:]:
                out.append({k.lower(): re.sub(r"\s+", " ", str(v)).strip() for k, v in b.items()})
        elif ct == "message/global-delivery-status":
            pl = part.get_payload()
            if isinstance(pl, list):
                text = "\n\n".join(b.as_string() for b in pl)
            else:
                text = pl if isinstance(pl, str) else pl.decode("utf-8", "replace")
            for block in re.split(r"\r?\n\r?\n", text)[1:]:
                fields = dict(re.findall(r"^([A-Za-z-]+):\s*(.*)$", block, re.M))
                if fields:
                    out.append({k.lower(): v.strip() for k, v in fields.items()})
    return ("dsn" if out else "bounce"), out


# The reply families met, their kind and why (the bounce's deciding words).
WORDS = [
    (r"Required header 'Date' missing", "content_rejected", "Haraka's headers plugin: \"550 Required header 'Date' missing\": the message's header (content)"),
    (r"Only one Subject header allowed", "content_rejected", "Haraka's headers plugin: \"550 Only one Subject header allowed. See RFC 5322, Section 3.6\": the message's header (content, RFC non-compliance)"),
    (r"Date header is too", "content_rejected", "the headers plugin's \"The Date header is too far in the past\" / \"too old\": the message's Date header (content)"),
    (r"^smtp; ?552 901\b", "undetermined", "qpsmtpd's headers plugin answered a duplicate Subject header with \"552 901\" (its deferred-reject text lost, a number in its place): the reply names nothing"),
    (r"blocked using bl\.example\.net", "sender_blocked", "postscreen's \"550 5.7.1 Service unavailable; client [127.0.0.1] blocked using bl.example.net\": the sending IP on a DNS block list"),
    (r"Gtube pattern", "content_rejected", "rspamd's milter reply \"554 5.7.1 Gtube pattern\": a spam verdict on the message (the GTUBE test string)"),
    (r"Greylisted", "TEMP", "postgrey's \"450 4.2.0 <x>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/...\": greylisting, temporary (kinds table: transient)"),
    (r"too much mail from", "rate_limited", "Postfix anvil's \"450 4.7.1 Error: too much mail from 127.0.0.1\" (smtpd_client_message_rate_limit = 1): the receiver holds the sender to a pace (kinds table: rate_limited; F3/F4: a named pace keeps its kind in a delay notice and after the sender gave up)"),
    (r"User unknown in virtual mailbox table", "mailbox_unknown", "Postfix's \"550 5.1.1 <x>: Recipient address rejected: User unknown in virtual mailbox table\""),
    (r"no such user\(s\)", "mailbox_unknown", "mox's \"550 5.1.1 no such user(s)\" at end of DATA: the recipient is no address of the receiver (5.1.1, F1 does not apply: a specific enhanced code of the recipient)"),
    (r"Destination address is unknown", "mailbox_unknown", "chasquid's \"550 5.1.1 Destination address is unknown (user does not exist)\""),
    (r"not accepting email for domain", "undetermined", "mox's \"550 5.1.1 not accepting email for domain\": a domain the receiver does not serve, the receiver's choice of recipients like a relay denied (kinds table, F13 also beside 5.1.1); the address may exist elsewhere"),
    (r"Relay not allowed", "undetermined", "chasquid's \"503 5.7.1 Relay not allowed\": relay denied (kinds table: undetermined)"),
    (r"Relaying denied", "undetermined", "qpsmtpd's \"550 Relaying denied (#5.7.1)\": relay denied (kinds table: undetermined)"),
    (r"I cannot deliver mail for", "undetermined", "Haraka's \"550 I cannot deliver mail for <x>\" (rcpt_to.in_host_list): a domain the receiver does not take, relay denied (undetermined, F13)"),
    (r"not accepted here", "undetermined", "qpsmtpd's badrcptto reply \"550 mail to x not accepted here (#5.1.1)\": a recipient on the receiver's own refused list (F12), no words that the mailbox does not exist"),
    (r"message too large|Message too big|exceeds size limit", "message_too_large", "the message over the receiver's size limit"),
    (r"error copying data to file", "expired", "mox answered the over-size message with \"451 4.2.3 error copying data to file\" and Haraka gave up after its retries (Status 5.2.3): a relay that gave up on a temporary error (F4); message_too_large is defensible from 4.2.3/5.2.3, neither suppresses (rule 4)"),
    (r"account storage full", "mailbox_full", "mox's \"452 4.2.2 account storage full\": the account is over quota (F3/F4: the named cause keeps its kind)"),
    (r"recipient domain temporarily disabled", "TEMP", "mox's \"450 4.2.1 recipient domain temporarily disabled\": a temporary reply about the recipient's domain, not a recipient-side hard kind (F9)"),
    (r"rejecting per dmarc policy", "sender_blocked", "mox's \"550 5.7.26 rejecting per dmarc policy\": the sender's domain fails DMARC (sender side)"),
    (r"SPF check failed", "sender_blocked", "chasquid's \"550 5.7.23 SPF check failed\": the sender's SPF (sender side)"),
    (r"No valid MX for your FROM address|No MX for your FROM address", "sender_blocked", "Haraka's mail_from.is_resolvable refusal of MAIL FROM (\"No valid MX\"/\"No MX for your FROM address\"): the envelope sender's domain refused (rule 2)"),
    (r"badmailfrom", "sender_blocked", "qpsmtpd's \"550 Your envelope sender is in my badmailfrom list\": the envelope sender refused (rule 2)"),
    (r"only one recipient allowed without spf pass", "sender_blocked", "mox's \"452 4.5.3 only one recipient allowed without spf pass\": the recipient count held to one because the sender's SPF did not pass; the subject is the sender's authentication (rule 1, as F2 reads a throttle for the sender's reputation); rate_limited is defensible, neither suppresses (rule 4)"),
    (r"Temporary address resolution failure", "TEMP", "qpsmtpd resolvable_fromhost's \"450 Temporary address resolution failure (#4.4.3)\" at MAIL FROM for an NXDOMAIN sender domain: a temporary DNS failure (F7); sender_blocked is defensible (rule 2), neither suppresses (rule 4)"),
    (r"Too many hops", "undetermined", "qpsmtpd's \"552 Too many hops (#5.4.6)\": a loop verdict (F5: undetermined)"),
    (r"Nowhere to deliver mail to for domain", "domain_unknown", "Haraka's \"5.1.2 (550 Nowhere to deliver mail to for domain: x)\": the DNS stub answered NXDOMAIN for the domain"),
    (r"Tried all MXs", "expired", "Haraka's \"5.1.2 (550 Tried all MXs x)\" after two retries a minute apart on connection refused: a relay that gave up (F4); its 5.1.2 is contradicted by the words (the domain has a host; nothing answered), so not domain_unknown (rule 1)"),
    (r"SMTP error from remote mail server|retry timeout exceeded", "expired", "Exim gave up (retry time exceeded)"),
]


def judge(rc: dict[str, str], whole: str) -> tuple[str, str]:
    diag = rc.get("diagnostic-code", "") + " " + rc.get("status", "")
    action = rc.get("action", "").lower()
    for rx, kind, why in WORDS:
        if re.search(rx, diag, re.I):
            if kind == "TEMP":
                kind = "transient" if action == "delayed" else "expired"
                why += "; " + ("a delay notice: transient (F3)" if action == "delayed" else "the sender gave up after its queue lifetime: expired (F4)")
            elif action == "delayed" and kind not in ("mailbox_full", "sender_blocked", "rate_limited"):
                kind = "transient"
            if action == "delayed":
                why += "; Action: delayed (F3: nothing gave up yet)"
            return kind, why
    if action == "delayed":
        return "transient", "a delay notice without a reply text of the receiver (F3: transient)"
    return "undetermined", "the DSN names the recipient but gives no Action, Status or reply text for it: nothing says whose problem it is"


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for old in OUT.glob("*.eml"):
        old.unlink()
    table = json.loads((Path(__file__).parent / "collected-as.json").read_text())
    expected = {}
    for src, spec in table.items():
        if spec.get("leave_out"):
            continue
        path = {"sink": SINK, "chmail": CHMAIL, "moxmail": MOXMAIL}[spec["from"]] / src
        raw = path.read_bytes()
        typ, rcs = recipients(raw)
        sid = spec["sid"]
        writer, sit, rx = situation_of(sid)
        label_base = SITUATION.get(sit, spec.get("situation", ""))
        if rx:
            label_base = f"{label_base} ({RX[rx]})"
        if spec.get("label"):
            label_base = spec["label"]
        if spec.get("happened"):
            label_base += "; what happened: " + HAPPENED[spec["happened"]]
        entries = []
        for rc in rcs:
            addr = re.sub(r"^(rfc822|utf-8);\s*", "", rc.get("final-recipient", ""), flags=re.I)
            if rc.get("action", "").lower() in ("delivered", "relayed", "expanded"):
                continue
            kind, why = judge(rc, "")
            words = rc.get("diagnostic-code") or rc.get("status", "")
            note = f"{label_base}; Action: {rc.get('action', '(none)')}, Status: {rc.get('status', '(none)')}, Diagnostic-Code: \"{words}\"; {why}"
            if spec.get("note"):
                note += "; " + spec["note"]
            entries.append({"address": addr, "kind": kind, "label": label_base, "label_by": "hand", "note": note})
        name = spec["name"]
        assert name not in expected, name
        (OUT / name).write_bytes(raw)
        expected[name] = {"type": typ, "recipients": entries}
    (OUT / "expected.json").write_text(json.dumps(expected, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    print(len(expected), "messages", sum(len(v["recipients"]) for v in expected.values()), "recipients")


if __name__ == "__main__":
    main()
