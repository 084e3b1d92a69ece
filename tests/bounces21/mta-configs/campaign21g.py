"""Round 21 part m, seventh pass: the OpenSMTPD sender (2631) through the receivers' built-in
checks (DNSBL, HELO, sender access, SPF, the Sendmail receivers, the Dovecot quota)."""

import json
import smtplib
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate

DOMAIN = "os-tx.example.com"
PLAN = [
    ("dnsbl-pfrx", "alice", ["bob@rbl-rx.example.org"], {}),
    ("helo-non-fqdn-pfrx", "alice", ["bob@nofqdn-rx.example.org"], {"notify": "FAILURE", "ret": "HDRS"}),
    ("sender-access-reject-pfrx", "alice", ["bob@access-rx.example.org"], {"display": "Alice Example"}),
    ("spf-fail-pfrx", "alice", ["bob@spf-rx.example.org"], {"subject": "Rapport trimestriel — version définitive"}),
    ("unknown-user-smrx", "alice", ["nosuch@sm-rx.example.org"], {}),
    ("sender-access-reject-smrx", "mallory", ["bob@sm-rx.example.org"], {"display": "Mallory Example"}),
    ("dnsbl-smrx", "alice", ["bob@smbl-rx.example.org"], {"subject": "Счёт-фактура №42"}),
    ("over-quota-lmtp", "alice", ["carol@lmtp-rx.example.org"], {}),
    ("multi-dnsbl-spf-unknown-delivered", "alice", ["bob@pf-rx.example.org", "bob@rbl-rx.example.org", "bob@spf-rx.example.org", "nosuch4@pf-rx.example.org"], {"subject": "打ち合わせの件"}),
]
with open("/opt/r21m/submitted.jsonl", "a") as log:
    for situation, local, rcpts, o in PLAN:
        sender = f"{local}@{DOMAIN}"
        msg = EmailMessage()
        msg["From"] = Address(o["display"], local, DOMAIN) if "display" in o else sender
        msg["To"] = ", ".join(rcpts)
        msg["Subject"] = o.get("subject", "Round 21 test message")
        msg["Date"] = formatdate()
        msg["Message-ID"] = f"<r21m.opensmtpd.{situation}@{DOMAIN}>"
        msg.set_content("Hello,\n\nthis is a test message of the moxhooks bounce data, round 21.\n")
        mail_opts = [f"RET={o['ret']}"] if "ret" in o else []
        rcpt_opts = [f"NOTIFY={o['notify']}"] if "notify" in o else []
        with smtplib.SMTP("127.0.0.1", 2631) as s:
            s.ehlo("client.example.com")
            refused = s.send_message(msg, sender, rcpts, mail_options=mail_opts, rcpt_options=rcpt_opts)
        entry = {"tag": f"r21m.opensmtpd.{situation}", "rcpts": rcpts, "opts": o, "refused": {k: str(v) for k, v in refused.items()}}
        log.write(json.dumps(entry, ensure_ascii=False) + "\n")
        print(entry["tag"], entry["refused"])
