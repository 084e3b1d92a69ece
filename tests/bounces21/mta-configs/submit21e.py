"""Round 21 part m, fifth pass: carol@lmtp-rx.example.org, whose Dovecot maildir quota (10 KB)
is nearly used, through the Exim sender and dma (the Postfix receiver writes these bounces)."""
import smtplib
import subprocess
from email.message import EmailMessage
from email.utils import formatdate

msg = EmailMessage()
msg["From"] = "alice@ex-tx.example.com"
msg["To"] = "carol@lmtp-rx.example.org, bob@pf-rx.example.org"
msg["Subject"] = "Round 21 test message"
msg["Date"] = formatdate()
msg["Message-ID"] = "<r21m.exim.over-quota-lmtp-delivered@ex-tx.example.com>"
msg.set_content("Hello,\n\nthis is a test message of the moxhooks bounce data, round 21.\n" + "z" * 2000 + "\n")
with smtplib.SMTP("127.0.0.1", 2621) as s:
    print(s.send_message(msg, "alice@ex-tx.example.com", ["carol@lmtp-rx.example.org", "bob@pf-rx.example.org"],
                         mail_options=["RET=HDRS"], rcpt_options=["NOTIFY=FAILURE"]))
m = subprocess.run(["/usr/bin/python3", "/opt/r21m/mkmsg.py", "r21m.dma.over-quota-lmtp", "alice@dma-tx.example.com",
                    "carol@lmtp-rx.example.org", "--size", "3000", "--subject", "Ärger mit dem Postfach"],
                   check=True, capture_output=True).stdout
print(subprocess.run(["/usr/sbin/dma", "-f", "alice@dma-tx.example.com", "carol@lmtp-rx.example.org"], input=m).returncode)
