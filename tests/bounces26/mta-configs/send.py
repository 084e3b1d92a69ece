"""Round 26: submit one message to the sending mox over SMTP submission (127.0.0.1:2926, AUTH PLAIN),
inside the namespace r26w. usage: send.py SID FROM RCPT[,RCPT..] [--size N] [--body-file F]
[--no-date] [--header 'Name: value']. Logged to /opt/r26w/submitted.jsonl."""
import argparse, json, smtplib, time
from email.utils import formatdate
p = argparse.ArgumentParser()
p.add_argument("sid"); p.add_argument("sender"); p.add_argument("rcpts")
p.add_argument("--size", type=int, default=0); p.add_argument("--body-file", default="")
p.add_argument("--attach", default="", help="a multipart message with an attachment of this file name")
p.add_argument("--to-header", default="", help="the To header to write (default: all recipients)")
p.add_argument("--no-date", action="store_true"); p.add_argument("--header", action="append", default=[])
a = p.parse_args()
rc = a.rcpts.split(",")
body = f"Test message for round 26 situation {a.sid}.\r\n"
if a.body_file:
    body += open(a.body_file).read().replace("\n", "\r\n")
if a.size:
    line = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.\r\n"
    body += line * (a.size // len(line) + 1)
ctype = "Content-Type: text/plain; charset=utf-8"
if a.attach:
    ctype = 'Content-Type: multipart/mixed; boundary="r26wb"'
    body = (f"--r26wb\r\nContent-Type: text/plain\r\n\r\n{body}--r26wb\r\nContent-Type: application/octet-stream\r\n"
            f"Content-Disposition: attachment; filename=\"{a.attach}\"\r\nContent-Transfer-Encoding: base64\r\n\r\nTVqQAAMAAAAEAAAA\r\n--r26wb--\r\n")
hdrs = "".join(h + "\r\n" for h in a.header)
date = "" if a.no_date else f"Date: {formatdate()}\r\n"
msg = (f"From: {a.sender}\r\nTo: {a.to_header or ', '.join(rc)}\r\nSubject: Round 26 test {a.sid}\r\n{date}{hdrs}"
       f"Message-ID: <r26w.{a.sid}@{a.sender.split('@')[1]}>\r\nMIME-Version: 1.0\r\n"
       f"{ctype}\r\n\r\n{body}")
s = smtplib.SMTP("127.0.0.1", 2926, local_hostname="client.example.com")
s.login("alice@mox-tx.example.com", "r26wsecret1")
r = s.sendmail(a.sender, rc, msg.encode())
s.quit()
with open("/opt/r26w/submitted.jsonl", "a") as f:
    f.write(json.dumps({"t": time.time(), "sid": a.sid, "from": a.sender, "rcpts": rc, "size": a.size,
                        "body_file": a.body_file, "no_date": a.no_date, "attach": a.attach, "headers": a.header, "refused": r}) + "\n")
print("ok", a.sid)
