"""Round 25 part m: submit one test message over SMTP (run inside the namespace r25m).
usage: submit25.py PORT SITUATION-ID FROM RCPT[,RCPT...] [--subject S] [--display NAME]
       [--size N] [--notify F] [--ret HDRS|FULL] [--envid X]
Logs each submission to /opt/r25m/submitted.jsonl."""
import argparse
import json
import smtplib
import time
from email.header import Header
from email.utils import formataddr, formatdate

p = argparse.ArgumentParser()
p.add_argument("port", type=int)
p.add_argument("sid")
p.add_argument("sender")
p.add_argument("rcpts")
p.add_argument("--subject", default="")
p.add_argument("--display", default="")
p.add_argument("--size", type=int, default=0)
p.add_argument("--notify", default="")
p.add_argument("--ret", default="")
p.add_argument("--envid", default="")
p.add_argument("--body-file", default="", help="append this file to the body (GTUBE taken from rspamd's library)")
p.add_argument("--no-date", action="store_true", help="leave out the Date header")
p.add_argument("--dup-subject", action="store_true", help="a second Subject header")
p.add_argument("--date", default="", help="the Date header to write")
p.add_argument("--auth", default="", help="user:password, after STARTTLS (chasquid submission)")
a = p.parse_args()
rcpts = a.rcpts.split(",")
dom = a.sender.split("@")[1]
subject = a.subject or f"Round 25 test {a.sid}"
subj_hdr = Header(subject, "utf-8").encode() if not subject.isascii() else subject
frm = formataddr((str(Header(a.display, "utf-8").encode()) if a.display and not a.display.isascii() else a.display, a.sender)) if a.display else a.sender
body = f"Test message for situation {a.sid}.\r\n"
if a.body_file:
    body += open(a.body_file).read().replace("\n", "\r\n")
if a.size:
    line = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.\r\n"
    body += line * (a.size // len(line) + 1)
date_hdr = "" if a.no_date else f"Date: {a.date or formatdate()}\r\n"
dup = f"Subject: {subj_hdr} (2)\r\n" if a.dup_subject else ""
msg = (f"From: {frm}\r\nTo: {', '.join(rcpts)}\r\nSubject: {subj_hdr}\r\n{dup}{date_hdr}"
       f"Message-ID: <r25m.{a.sid}@{dom}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
       f"Content-Transfer-Encoding: 8bit\r\n\r\n{body}")
mopts, ropts = [], []
if a.ret:
    mopts.append(f"RET={a.ret}")
if a.envid:
    mopts.append(f"ENVID={a.envid}")
if a.notify:
    ropts.append(f"NOTIFY={a.notify}")
s = smtplib.SMTP("127.0.0.1", a.port, local_hostname="client.example.com")
s.ehlo()
if a.auth.startswith("plain:"):
    s.login(*a.auth[6:].split(":", 1))
elif a.auth:
    import ssl
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    s.starttls(context=ctx)
    s.ehlo()
    s.login(*a.auth.split(":", 1))
if not s.has_extn("dsn"):
    mopts, ropts = [], []
res = {}
try:
    refused = s.sendmail(a.sender, rcpts, msg.encode("utf-8"), mail_options=mopts, rcpt_options=ropts)
    res = {k: [v[0], v[1].decode("utf-8", "replace")] for k, v in refused.items()}
except smtplib.SMTPException as e:
    res = {"error": repr(e)}
s.quit()
with open("/opt/r25m/submitted.jsonl", "a") as f:
    f.write(json.dumps({"t": time.strftime("%H:%M:%S"), "port": a.port, "sid": a.sid, "from": a.sender,
                        "rcpts": rcpts, "mopts": mopts, "ropts": ropts, "subject": subject, "refused": res}, ensure_ascii=False) + "\n")
print(a.sid, res)
