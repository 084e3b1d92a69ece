"""Round 26: builds replies/<source>.jsonl and webhooks/<id>.json from the captured webhook bodies
(/opt/r26w/cap/*.json), without moxhooks. One item per situation (the first failed/delayed event
of the message named in PICK, or the given capture file), labelled by hand in PICK; the webhook body
is copied byte for byte. code/enhanced/text are the webhook's SMTPCode/SMTPEnhancedCode/Error."""
import glob, json, os, shutil
CAP = "/opt/r26w/cap"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
SRC = {"mox": "mox-to-mox", "pf": "mox-to-postfix", "ch": "mox-to-chasquid", "qp": "mox-to-qpsmtpd",
       "ex": "mox-to-exim", "ex2": "mox-to-exim", "hr": "mox-to-haraka", "hr2": "mox-to-haraka",
       "hr3": "mox-to-haraka", "none": "mox-to-none", "os": "mox-to-opensmtpd", "sm": "mox-to-sendmail", "sm2": "mox-to-sendmail", "sm3": "mox-to-sendmail", "sm4": "mox-to-sendmail"}
MU, DU, MF, CR, SB, RL, TL, TR, UN = ("mailbox_unknown", "domain_unknown", "mailbox_full", "content_rejected",
    "sender_blocked", "rate_limited", "message_too_large", "transient", "undetermined")
# (situation id [, capture file]) -> kind, label (the situation built), note (deciding words, why)
PICK = [
 ("mox-unknown-1", MU, "mox receiver: address not in any account of mox-rx.example.org", "\"550 5.1.1 no such user(s)\", given at end of DATA; 5.1.1 is a specific recipient code (F1 does not apply)"),
 ("mox-relay-1", UN, "mox receiver: relay-mox.example.net is not a mox domain (relay)", "\"550 5.1.1 not accepting email for domain\": a domain the receiver does not serve, relay denied (kinds table; F13 also beside 5.1.1)"),
 ("mox-disabled-1", TR, "mox receiver: recipient domain configured Disabled: true", "delayed, \"450 4.2.1 recipient domain temporarily disabled\": temporary reply about the recipient (F9, rule 3)"),
 ("mox-dmarc-1", SB, "mox receiver: sender domain dm-tx.example.com with SPF -all not listing 127.0.0.1 and DMARC p=reject (DNS stub)", "\"550 5.7.26 rejecting per dmarc policy\": the sender's DMARC (kinds table: SPF/DKIM/DMARC)"),
 ("mox-toolarge-2", TL, "mox receiver SMTPMaxMessageSize 20000, a 30 KB message; the sending mox read the SIZE and did not send", "code 0, mox's own \"message too large for remote smtp server ... remote has a 20000 bytes maximum size\""),
 ("mox-ghost-2", SB, "mox receiver: MAIL FROM alice@ghost-tx.example.net, a domain the DNS stub answers NXDOMAIN", "\"550 5.7.27 mailfrom domain not configured for mail\": the envelope sender's domain refused (rule 2)"),
 ("mox-quota-2", MF, "mox receiver: carol's account QuotaMessageSize 12000, filled by a first 5 KB message, then a 9 KB one", "delayed, \"452 4.2.2 account storage full\": full storage keeps its kind when temporary (F3)"),
 ("mox-spftemp-1", TR, "mox receiver: MAIL FROM alice@sf-tx.example.net, a domain the DNS stub answers SERVFAIL", "delayed, \"451 4.4.0 cannot verify mx records for mailfrom domain\": a failed DNS lookup (F7), temporary; not a block of the sender"),
 ("pf-unknown-1", MU, "Postfix: reject_unlisted_recipient, address not in virtual_mailbox_maps", "\"550 5.1.1 <x>: Recipient address rejected: User unknown in virtual mailbox table\""),
 ("pf-relay-1", UN, "Postfix: reject_unauth_destination, relay-pf.example.net not a Postfix domain", "\"554 5.7.1 <x>: Relay access denied\": relay denied (kinds table: undetermined)"),
 ("pf-rcptaccess-1", UN, "Postfix: check_recipient_access hash, gone@pf-rx.example.org REJECT (no text)", "\"554 5.7.1 <gone@...>: Recipient address rejected: Access denied\": the receiver's own list of refused recipients (F12), says nothing of the mailbox"),
 ("pf-greylist-1", TR, "Postfix + postgrey 1.37 (check_policy_service, defaults)", "delayed, \"450 4.2.0 ... Greylisted, see http://postgrey.schweikert.ch/help/...\": greylisting (kinds table: transient)"),
 ("pf-rate-2", RL, "Postfix: smtpd_client_message_rate_limit=1 (anvil), second message within the minute", "delayed, \"450 4.7.1 Error: too much mail from 127.0.0.1\": pace (rate_limited, F3 keeps it)"),
 ("pf-rbl-1", SB, "Postfix: smtpd_client_restrictions=reject_rbl_client bl.example.net; the DNS stub lists 127.0.0.1", "\"554 5.7.1 Service unavailable; Client host [127.0.0.1] blocked using bl.example.net\""),
 ("pf-postscreen-1", SB, "Postfix postscreen: postscreen_dnsbl_sites bl.example.net, threshold 1, action enforce", "\"550 5.7.1 Service unavailable; client [127.0.0.1] blocked using bl.example.net\""),
 ("pf-senderdom-1", SB, "Postfix: reject_unknown_sender_domain, MAIL FROM alice@ghost-tx.example.net (NXDOMAIN)", "delayed, \"450 4.1.8 <alice@...>: Sender address rejected: Domain not found\": the envelope sender refused (rule 2); a block of our sender keeps its kind when temporary (F3)"),
 ("pf-senderaccess-1", SB, "Postfix: check_sender_access hash, dm-tx.example.com REJECT (no text)", "\"554 5.7.1 <alice@dm-tx.example.com>: Sender address rejected: Access denied\" (rule 2)"),
 ("pf-soft-senderaccess-1", SB, "Postfix with soft_bounce=yes: check_sender_access, dm-tx.example.com REJECT", "delayed, \"454 4.7.1 <alice@...>: Sender address rejected: Access denied\": the sender refused, temporary (F3 keeps a block of the sender)"),
 ("pf-helo-1", SB, "Postfix: smtpd_helo_restrictions=check_helo_access, the sending mox's EHLO name REJECT (no text)", "\"554 5.7.1 <mx.mox-tx.example.com>: Helo command rejected: Access denied\": HELO check (kinds table)"),
 ("pf-clientaccess-1", SB, "Postfix: smtpd_client_restrictions=check_client_access, 127.0.0.1 REJECT (no text)", "\"554 5.7.1 <localhost[127.0.0.1]>: Client host rejected: Access denied\": the sending host refused"),
 ("pf-soft-unknown-1", TR, "Postfix with soft_bounce=yes: unknown address", "delayed, \"450 4.1.1 <x>: Recipient address rejected: User unknown in virtual mailbox table\": a 4xx reply is never mailbox_unknown (F9, rule 3)"),
 ("pf-soft-relay-1", TR, "Postfix with soft_bounce=yes: relay-sb.example.net not a Postfix domain", "delayed, \"454 4.7.1 <x>: Relay access denied\": temporary, names no cause of another kind (relay denied is no side's)"),
 ("pf-nxrcptdom-2", TR, "Postfix: reject_unknown_recipient_domain (in smtpd_relay_restrictions), nx-pf.example.net NXDOMAIN in the stub", "delayed, \"450 4.1.2 <x>: Recipient address rejected: Domain not found\": 4xx, not domain_unknown (F9)"),
 ("pf-nxrcptdom-3", DU, "Postfix: reject_unknown_recipient_domain with unknown_address_reject_code=550 (default text), nx-pf.example.net NXDOMAIN in the stub", "\"550 5.1.2 <x>: Recipient address rejected: Domain not found\": permanent, the recipient's domain does not exist (5.1.2, kinds table)"),
 ("pf-rcptdefer-3", TR, "Postfix: check_recipient_access held@pf-rx.example.org DEFER_IF_PERMIT (an existing mailbox)", "delayed, \"450 4.7.1 <held@...>: Recipient address rejected: Service unavailable\": temporary, nothing else named"),
 ("pf-size-1", TL, "Postfix port with message_size_limit=20000, a 30 KB message; the sending mox read the SIZE and did not send", "code 0, mox's own \"message too large for remote smtp server ... 20000 bytes maximum size\""),
 ("pf-rcptlimit-1", RL, "Postfix: smtpd_recipient_limit=1, a message to three recipients", "delayed, \"452 4.5.3 Error: too many recipients\" (kinds table: 452 too many recipients)"),
 ("pf-connrate-2", RL, "Postfix: smtpd_client_connection_rate_limit=1, second connection within the minute", "delayed, \"421 4.7.0 mx.pf-rx.example.org Error: too many connections from 127.0.0.1\" at the greeting"),
 ("pf-rcptrate-2", TR, "Postfix: smtpd_client_recipient_rate_limit=1, a second message with two recipients", "delayed, code 0, mox's own \"no recipients accepted in pipelined transaction\": names no cause (the receiver's 450s were the recipients' replies)"),
 ("pf-rcptrate-2", RL, "Postfix: smtpd_client_recipient_rate_limit=1, the same message at mox's retry", "delayed, \"450 4.7.1 Error: too many recipients from 127.0.0.1\": pace", "00141"),
 ("pf-hdr-reject-2", CR, "Postfix: header_checks /^Subject: .*hdr-reject/ REJECT (no text), in a cleanup service of its own", "\"550 5.7.1 message content rejected\": the message refused"),
 ("pf-queuefree-1", TR, "Postfix: queue_minfree=999999999999999 on that smtpd", "delayed, \"452 4.3.1 Insufficient system storage\": the receiver's own trouble"),
 ("pf-starttls-1", SB, "Postfix: smtpd_tls_security_level=encrypt; the sending mox's transport has NoSTARTTLS", "\"530 5.7.0 Must issue a STARTTLS command first\": the sender's session refused for not using TLS (the sender's side; rule 4: neither reading suppresses the recipient)"),
 ("pf-miltertemp-1", TR, "Postfix: smtpd_milters to a port where nothing listens, milter_default_action=tempfail", "delayed, \"451 4.7.1 Service unavailable - try again later\": the receiver's own trouble, temporary"),
 ("pf-milterrej-1", UN, "Postfix: smtpd_milters to a port where nothing listens, milter_default_action=reject", "\"554 mx.pf-rx.example.org ESMTP not accepting connections\" at the greeting: names no cause and no side (rule 4)"),
 ("pf-lookupfail-1", TR, "Postfix: virtual_mailbox_maps names a table that does not exist", "delayed, \"451 4.3.0 <bob@...>: Temporary lookup failure\" (kinds table: temporary lookup problem)"),
 ("pf-policydown-1", TR, "Postfix: check_policy_service to a port where nothing listens", "delayed, \"451 4.3.5 <bob@...>: Recipient address rejected: Server configuration problem\": the receiver's own trouble"),
 ("pf-errlimit-1", TR, "Postfix smtpd_hard_error_limit=3, a message to bob and six unknown addresses; Postfix closed the connection after the third error", "delayed, code 0, mox's own \"rcptto,rcptto,data: unexpected EOF\": the connection was dropped, a network error; names no cause"),
 ("ch-unknown-1", MU, "chasquid: address not a user of ch-rx.example.org", "\"550 5.1.1 Destination address is unknown (user does not exist)\""),
 ("ch-relay-1", UN, "chasquid: relay-ch.example.net not a chasquid domain", "\"503 5.7.1 Relay not allowed\": relay denied (kinds table: undetermined)"),
 ("ch-spf-1", SB, "chasquid built-in SPF check: dm-tx.example.com SPF -all without 127.0.0.1", "\"550 5.7.23 SPF check failed: matched all\": SPF (kinds table)"),
 ("ch-loop-1", UN, "chasquid: a message with 60 Received headers (its built-in loop check, 50 hops)", "\"554 5.4.6 Loop detected (50 hops)\": a mail loop (F5)"),
 ("ch-toolarge-2", TL, "chasquid max_data_size_mb 1, a 1.1 MB message; the sending mox read the SIZE and did not send", "code 0, mox's own \"message too large for remote smtp server ... 1048576 bytes maximum size\""),
 ("qp-relay-1", UN, "qpsmtpd relay plugin, rcpthosts qp-rx.example.org only", "\"550 Relaying denied (#5.7.1)\": relay denied"),
 ("qp-badrcptto-1", UN, "qpsmtpd badrcptto plugin: gone@qp-rx.example.org listed", "\"550 mail to gone@... not accepted here (#5.1.1)\": the receiver's own list of refused recipients (F12)"),
 ("qp-badmailfrom-1", SB, "qpsmtpd badmailfrom plugin: alice@dm-tx.example.com listed", "\"550 Your envelope sender is in my badmailfrom list\" (rule 2)"),
 ("qp-resolvable-1", TR, "qpsmtpd resolvable_fromhost: MAIL FROM alice@ghost-tx.example.net (NXDOMAIN)", "delayed, \"450 Temporary address resolution failure (#4.4.3)\": a temporary lookup failure; names no block (as round 25 read it)"),
 ("qp-olddate-1", CR, "qpsmtpd headers plugin (past 15): a Date header 35 days back", "\"552 The Date header is too far in the past\": the message's header"),
 ("qp-future-1", CR, "qpsmtpd headers plugin (future 2): a Date header four weeks ahead", "\"552 The Date header is too far in the future\": the message's header"),
 ("qp-helo-1", SB, "qpsmtpd helo plugin (reject_type perm), badhelo lists the sending mox's EHLO name", "\"550 I do not believe you are mx.mox-tx.example.com\": HELO check"),
 ("qp-random-1", TR, "qpsmtpd random_error plugin at 100 percent", "delayed, \"450 random failure\" at the greeting: temporary, nothing named"),
 ("qp-loadcheck-1", RL, "qpsmtpd loadcheck plugin, max_load 0.01", "delayed, \"450 Server load too high, please try again later.\": try again later for load (kinds table: rate_limited)"),
 ("qp-loop-1", UN, "qpsmtpd loop plugin (max_hops 100), a message with 101 Received headers", "\"552 Too many hops (#5.4.6)\": a mail loop (F5)"),
 ("ex-unknown-1", MU, "Exim 4.96, example.conf ACL (require verify = recipient): no router for the local part", "\"550 Unrouteable address\" at RCPT for a local domain's unknown user"),
 ("ex-relay-1", UN, "Exim example.conf ACL: relay-ex.example.net neither local nor relay domain", "\"550 relay not permitted\": relay denied"),
 ("ex-senderverify-1", SB, "Exim example.conf ACL (require verify = sender): MAIL FROM alice@ghost-tx.example.net (NXDOMAIN)", "\"550-Verification failed for <alice@...>\": the envelope sender refused (rule 2)"),
 ("ex-senderverifytemp-1", TR, "Exim sender verification for alice@sf-tx.example.net, a domain the DNS stub answers SERVFAIL", "delayed, \"451 Temporary local problem - please try later\": the receiver's own temporary problem"),
 ("ex-dnsbl-1", SB, "Exim: example.conf's commented dnslist stanza enabled (zone bl.example.net) for exd-rx.example.org", "\"550 rejected because 127.0.0.1 is in a black list at bl.example.net\""),
 ("ex-restricted-1", UN, "Exim example.conf ACL: recipient local part a|b", "\"550 Restricted characters in address\": the receiver's rule on characters, not a verdict that the mailbox is missing (rule 4); earlier rounds read it both ways"),
 ("ex-longline-3", CR, "Exim example.conf DATA ACL: a body line of 1200 characters", "\"550 maximum allowed line length is 998 octets, got 1200\": the message's form"),
 ("ex-hdrsyntax-2", CR, "Exim example.conf DATA ACL (verify = header_syntax): a Cc header with an unclosed <", "\"550 header syntax\": the message's header"),
 ("ex-badrcpts-1", RL, "Exim recipients_max = 2, a message to thirteen recipients", "delayed, \"452 too many recipients\" (kinds table: 452 too many recipients)", "00150"),
 ("ex2-spool-1", TR, "Exim second instance with check_spool_space = 100000G", "delayed, \"452 Space shortage, please try later\": the receiver's own trouble"),
 ("hr-relay-1", UN, "Haraka 3.3.4 rcpt_to.in_host_list, relay-hr.example.net not in host_list", "\"550 I cannot deliver mail for <x>\": relay denied"),
 ("hr-rcptblack-1", UN, "Haraka access plugin: rcpt_to.access.blacklist lists gone@hr-rx.example.org", "\"550 gone@... That recipient is not allowed\": the receiver's own list (F12/F13)"),
 ("hr-mfblack-1", SB, "Haraka access plugin: mail_from.access.blacklist lists alice@dm-tx.example.com", "\"550 alice@... That sender cannot send mail here\" (rule 2)"),
 ("hr-nodate-1", TR, "Haraka headers plugin ([reject] missing_required=true): a message without Date", "delayed, \"451  (uuid)\": a temporary reply with no words: transient (no cause named)"),
 ("hr-olddate-1", CR, "Haraka headers plugin (date_past_days 15, invalid_date=true): a Date 35 days back", "\"550 The Date header is too old\": the message's header"),
 ("hr-dupsubj-1", CR, "Haraka headers plugin (duplicate_singular=true): two Subject headers", "\"550 Only one Subject header allowed. See RFC 5322, Section 3.6\": RFC non-compliance"),
 ("hr-attach-1", CR, "Haraka attachment plugin (shipped attachment.ini): an attachment named invoice.exe", "\"550 Message contains disallowed file extension (exe)\": attachment"),
 ("hr2-nomx-1", SB, "Haraka mail_from.is_resolvable: sender domain mox-tx.example.com resolves to 127.0.0.1 (its re_bogus_ip)", "\"550 No valid MX for your FROM address\": the envelope sender's domain (rule 2)"),
 ("hr2-ghost-1", SB, "Haraka mail_from.is_resolvable: MAIL FROM alice@ghost-tx.example.net (NXDOMAIN)", "\"550 No MX for your FROM address\" (rule 2)"),
 ("hr2-servfail-1", TR, "Haraka mail_from.is_resolvable: MAIL FROM alice@sf-tx.example.net (SERVFAIL in the stub)", "delayed, \"450 Temp. resolver error (ESERVFAIL)\": a failed DNS lookup (F7)"),
 ("hr3-received-1", UN, "Haraka connection.ini max_received=5, a message with six Received headers", "\"550 Too many received headers - possible mail loop\": a mail loop (F5)"),
 ("os-unknown-1", UN, "OpenSMTPD 6.8: address not in the virtual users table of os-rx.example.org", "\"524 5.2.4 Mailing list expansion problem: <x>\": OpenSMTPD's reply for a virtual-table miss; the words name a list expansion, not a missing mailbox, and 5.2.4 is no recipient code of the rules (rule 1, rule 4)"),
 ("os-relay-1", UN, "OpenSMTPD: relay-os.example.net matches no rule (relay)", "\"550 Invalid recipient: <x>\": OpenSMTPD writes the same words for any recipient no match rule accepts (here a relay refusal; also a domain reject rule and a sender reject rule gave them): rule 4, relay denied is undetermined"),
 ("os-maxrcpt-1", TR, "OpenSMTPD smtp limit max-rcpt 2, three recipients (bob already on mox's suppression list, two unknown)", "delayed, code 0, mox's own \"no recipients accepted in transaction\": names no cause"),
 ("sm-unknown-1", MU, "Sendmail 8.17.1.9: address with no local user or alias on sm1-rx.example.org", "\"550 5.1.1 <x>... User unknown\" at RCPT"),
 ("sm-senderaccess-1", SB, "Sendmail access_db: From:alice@dm-tx.example.com REJECT", "\"550 5.7.1 <alice@dm-tx.example.com>... Access denied\" at MAIL FROM (rule 2)"),
 ("sm-ghost-2", SB, "Sendmail: MAIL FROM alice@ghost-tx.example.net (NXDOMAIN)", "\"553 5.1.8 <alice@...>... Domain of sender address ... does not exist\" (rule 2)"),
 ("sm-servfail-2", TR, "Sendmail: MAIL FROM alice@sf-tx.example.net (SERVFAIL in the DNS stub)", "delayed, \"451 4.1.8 Domain of sender address ... does not resolve\": a failed DNS lookup, temporary (F7); not a block of the sender"),
 ("sm-maxrcpt-2", RL, "Sendmail confMAX_RCPTS_PER_MESSAGE 2, three recipients", "delayed, \"452 4.5.3 Too many recipients\" (kinds table)"),
 ("sm2-dnsbl-1", SB, "Sendmail FEATURE(dnsbl, bl.example.net) (its default message); the DNS stub lists 127.0.0.1", "\"550 5.7.1 Rejected: 127.0.0.1 listed at bl.example.net\""),
 ("sm3-disk-1", TR, "Sendmail confMIN_FREE_BLOCKS 999999999 (more free blocks than the disk has)", "delayed, \"452 4.4.5 Insufficient disk space; try again later\": the receiver's own storage (not the mailbox's): its own trouble"),
 ("sm4-rate-2", RL, "Sendmail FEATURE(ratecontrol), access ClientRate:127.0.0.1 1; a second connection within the minute", "delayed, \"452 4.3.2 Connection rate limit exceeded.\": pace"),
 ("none-down-1", TR, "transport to down.example.net:2999, nothing listens", "delayed, code 0, mox's own \"dial tcp ... connect: connection refused\": network error"),
 ("none-nx-1", TR, "recipient domain nowhere.invalid, NXDOMAIN from the DNS stub; mox defers", "delayed, code 0, \"lookup nowhere.invalid. ... no such host\": names a missing domain, but mox asks again; a temporary report is never domain_unknown (rule 3, F9)"),
 ("none-nomx-1", TR, "recipient domain nomx.example.net: A 127.0.0.1, no MX; nothing listens on port 25", "delayed, code 0, \"dialing smtp server: dial tcp ... 127.0.0.1:25: connect: connection refused\": network error"),
 ("none-unresolved-2", TR, "transport host mx.unresolved.example.net, NXDOMAIN in the stub", "delayed, code 0, \"transport unresolved: dialing mx.unresolved.example.net:2998 ... no such host\": our own route's host does not resolve; temporary"),
 ("none-servfail-1", TR, "recipient domain sf-rcpt.example.net, SERVFAIL from the DNS stub", "delayed, code 0, \"dns lookup error: cname lookup ... server misbehaving\": a failed DNS lookup (F7)"),
]
caps = {}
for f in sorted(glob.glob(f"{CAP}/*.json")):
    d = json.load(open(f))
    if d["Event"] in ("failed", "delayed"):
        caps.setdefault(d["MessageID"][6:-1].split("@")[0], []).append((os.path.basename(f)[:-5], d, f))
for s in set(SRC.values()):
    pass
shutil.rmtree(f"{OUT}/webhooks", ignore_errors=True); os.makedirs(f"{OUT}/webhooks")
shutil.rmtree(f"{OUT}/replies", ignore_errors=True); os.makedirs(f"{OUT}/replies")
n = {}; rows = {}; texts = set(); index = []
for p in PICK:
    sid, kind, label, note = p[:4]
    evs = caps[sid]
    cap, d, f = [e for e in evs if e[0] == p[4]][0] if len(p) > 4 else evs[0]
    src = SRC[sid.split("-")[0]]
    n[src] = n.get(src, 0) + 1
    iid = f"{src}:{n[src]}"
    assert d["Error"] not in texts, sid
    texts.add(d["Error"])
    rows.setdefault(src, []).append({"id": iid, "source": src, "event": d["Event"], "code": d["SMTPCode"],
        "enhanced": d["SMTPEnhancedCode"], "text": d["Error"], "kind": kind, "label": label, "label_by": "hand", "note": note})
    shutil.copyfile(f, f"{OUT}/webhooks/{iid.replace(':', '-')}.json")
    index.append({"id": iid, "situation": sid, "capture": cap})
for src, rs in rows.items():
    with open(f"{OUT}/replies/{src}.jsonl", "w") as fh:
        for r in rs:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
with open(f"{OUT}/mta-configs/items-index.jsonl", "w") as fh:
    for r in index:
        fh.write(json.dumps(r) + "\n")
print(sum(n.values()), n)
