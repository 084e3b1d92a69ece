"""Round 21 part m, eighth pass: the Dovecot quota again through the Exim and OpenSMTPD senders
(their first messages to carol@lmtp-rx.example.org still fitted in her quota and were delivered)."""

import json
import smtplib
from email.message import EmailMessage
from email.utils import formatdate

with open("/opt/r21m/submitted.jsonl", "a") as log:
    for tx, port, domain, rcpts, o in (
        ("exim", 2621, "ex-tx.example.com", ["carol@lmtp-rx.example.org", "bob@pf-rx.example.org"], {"notify": "FAILURE", "ret": "HDRS"}),
        ("opensmtpd", 2631, "os-tx.example.com", ["carol@lmtp-rx.example.org"], {}),
    ):
        sender = f"alice@{domain}"
        msg = EmailMessage()
        msg["From"] = sender
        msg["To"] = ", ".join(rcpts)
        msg["Subject"] = "Round 21 test message"
        msg["Date"] = formatdate()
        msg["Message-ID"] = f"<r21m.{tx}.over-quota-lmtp-3@{domain}>"
        msg.set_content("Hello,\n\nthis is a test message of the moxhooks bounce data, round 21.\n")
        mail_opts = [f"RET={o['ret']}"] if "ret" in o else []
        rcpt_opts = [f"NOTIFY={o['notify']}"] if "notify" in o else []
        with smtplib.SMTP("127.0.0.1", port) as s:
            s.ehlo("client.example.com")
            refused = s.send_message(msg, sender, rcpts, mail_options=mail_opts, rcpt_options=rcpt_opts)
        log.write(json.dumps({"tag": f"r21m.{tx}.over-quota-lmtp-3", "rcpts": rcpts, "refused": {k: str(v) for k, v in refused.items()}}) + "\n")
        print(tx, refused)
