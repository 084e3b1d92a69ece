"""Round 21 part m, fourth pass for the Postfix and Exim senders: the Sendmail receivers
(2640: local users and an access table; 2642: FEATURE(dnsbl))."""

import json
import smtplib
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate

TX = {"postfix": (2620, "pf-tx.example.com"), "exim": (2621, "ex-tx.example.com")}
PLAN4 = [
    ("unknown-user-smrx", "alice", ["nosuch@sm-rx.example.org"], {}),
    ("sender-access-reject-smrx", "mallory", ["bob@sm-rx.example.org"], {"display": "Mallory Example"}),
    ("dnsbl-smrx", "alice", ["bob@smbl-rx.example.org"], {"subject": "Προσφορά για το έργο"}),
    ("multi-unknown-dnsbl-smrx-delivered", "alice", ["bob@pf-rx.example.org", "nosuch@sm-rx.example.org", "bob@smbl-rx.example.org", "nosuch3@pf-rx.example.org"], {"notify": "FAILURE", "ret": "HDRS"}),
]
with open("/opt/r21m/submitted.jsonl", "a") as log:
    for tx, (port, domain) in TX.items():
        for situation, local, rcpts, o in PLAN4:
            sender = f"{local}@{domain}"
            msg = EmailMessage()
            msg["From"] = Address(o["display"], local, domain) if "display" in o else sender
            msg["To"] = ", ".join(rcpts)
            msg["Subject"] = o.get("subject", "Round 21 test message")
            msg["Date"] = formatdate()
            msg["Message-ID"] = f"<r21m.{tx}.{situation}@{domain}>"
            msg.set_content("Hello,\n\nthis is a test message of the moxhooks bounce data, round 21.\n")
            mail_opts = [f"RET={o['ret']}"] if "ret" in o else []
            rcpt_opts = [f"NOTIFY={o['notify']}"] if "notify" in o else []
            with smtplib.SMTP("127.0.0.1", port) as s:
                s.ehlo("client.example.com")
                refused = s.send_message(msg, sender, rcpts, mail_options=mail_opts, rcpt_options=rcpt_opts)
            entry = {"tag": f"r21m.{tx}.{situation}", "rcpts": rcpts, "opts": o, "refused": {k: str(v) for k, v in refused.items()}}
            log.write(json.dumps(entry, ensure_ascii=False) + "\n")
            print(entry["tag"], entry["refused"])
