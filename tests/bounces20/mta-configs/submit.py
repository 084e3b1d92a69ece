"""Submits one test message over SMTP to a sending MTA on 127.0.0.1 (round 19 part m).

usage: submit.py PORT SENDER RCPT[,RCPT...] [--notify N] [--ret HDRS|FULL] [--envid ID]
                 [--subject S] [--display NAME] [--size BYTES]
The message is written here (headers, a plain body, optional padding to BYTES); every failure
text in the bounces comes from the MTAs."""

import argparse
import smtplib
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

p = argparse.ArgumentParser()
p.add_argument("port", type=int)
p.add_argument("sender")
p.add_argument("rcpts")
p.add_argument("--notify")
p.add_argument("--ret")
p.add_argument("--envid")
p.add_argument("--subject", default="Round 19 test message")
p.add_argument("--display")
p.add_argument("--size", type=int, default=0)
a = p.parse_args()
rcpts = a.rcpts.split(",")
msg = EmailMessage()
local, domain = a.sender.split("@")
msg["From"] = Address(a.display or "", local, domain) if a.display else a.sender
msg["To"] = ", ".join(rcpts)
msg["Subject"] = a.subject
msg["Date"] = formatdate(localtime=False)
msg["Message-ID"] = make_msgid(domain=domain)
body = "Hello,\n\nthis is a test message of the moxhooks bounce data, round 19.\n"
if a.size:
    body += ("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_.,;:\n" * (a.size // 70))
msg.set_content(body)
mail_opts = []
if a.ret:
    mail_opts.append(f"RET={a.ret}")
if a.envid:
    mail_opts.append(f"ENVID={a.envid}")
rcpt_opts = [f"NOTIFY={a.notify}"] if a.notify else []
with smtplib.SMTP("127.0.0.1", a.port) as s:
    s.ehlo("client.example.com")
    refused = s.send_message(msg, a.sender, rcpts, mail_options=mail_opts, rcpt_options=rcpt_opts)
    print("refused at submission:", refused)
