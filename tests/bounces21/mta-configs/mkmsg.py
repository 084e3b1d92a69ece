"""Writes one test message (round 21 part m) to stdout: headers, a plain body, optional padding.
usage: mkmsg.py TAG SENDER RCPT[,RCPT...] [--subject S] [--display NAME] [--size BYTES]
The Message-ID names the situation (TAG); every failure text in the bounces comes from the MTAs."""

import argparse
import sys
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate

p = argparse.ArgumentParser()
p.add_argument("tag")
p.add_argument("sender")
p.add_argument("rcpts")
p.add_argument("--subject", default="Round 21 test message")
p.add_argument("--display")
p.add_argument("--size", type=int, default=0)
a = p.parse_args()
local, domain = a.sender.split("@")
msg = EmailMessage()
msg["From"] = Address(a.display, local, domain) if a.display else a.sender
msg["To"] = ", ".join(a.rcpts.split(","))
msg["Subject"] = a.subject
msg["Date"] = formatdate()
msg["Message-ID"] = f"<{a.tag}@{domain}>"
body = "Hello,\n\nthis is a test message of the moxhooks bounce data, round 21.\n"
body += "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_.,;:\n" * (a.size // 70)
msg.set_content(body)
sys.stdout.buffer.write(msg.as_bytes())
