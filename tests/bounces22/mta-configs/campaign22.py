"""Round 22 part m: submit the test messages to the three sending MTAs over SMTP on loopback.

Each message carries a Message-ID naming its situation, which the bounces return. The script
writes no reply text: it only builds ordinary messages (some with a marker the receiver's
content checks look for, an overlong line, a malformed address header, an .exe attachment)
and asks for DSN options on some of them. Submissions are logged to submitted.jsonl.
"""

import json
import smtplib
import sys
import time
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

SENDERS = {"postfix": ("pf-tx.example.com", 2620), "exim": ("ex-tx.example.com", 2621),
           "opensmtpd": ("os-tx.example.com", 2631)}
LOG = "/opt/r22m/submitted.jsonl"


def build(mta: str, tag: str, rcpts: list[str], subject: str, body: str,
          display: str = "", exe: bool = False) -> bytes:
    domain = SENDERS[mta][0]
    msg = EmailMessage()
    msg["From"] = Address(display, "alice", domain) if display else f"alice@{domain}"
    msg["To"] = ", ".join(rcpts)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = f"<r22m.{mta}.{tag}@{domain}>"
    msg.set_content(body)
    if exe:
        msg.add_attachment(b"MZ\x90\x00" + b"\x00" * 60, maintype="application",
                           subtype="octet-stream", filename="invoice.exe")
    return msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))


def raw(mta: str, tag: str, rcpts: list[str], extra_headers: str, body: str) -> bytes:
    domain = SENDERS[mta][0]
    head = (f"From: alice@{domain}\r\nTo: {', '.join(rcpts)}\r\n{extra_headers}"
            f"Date: {format_datetime(datetime.now(UTC))}\r\n"
            f"Message-ID: <r22m.{mta}.{tag}@{domain}>\r\n")
    return (head + "\r\n" + body.replace("\n", "\r\n")).encode()


def send(mta: str, tag: str, rcpts: list[str], data: bytes,
         mail_opts: tuple[str, ...] = (), notify: str = "") -> None:
    domain, port = SENDERS[mta]
    with smtplib.SMTP("127.0.0.1", port, local_hostname="submit.example.com") as smtp:
        smtp.ehlo()
        rcpt_opts = [f"NOTIFY={notify}"] if notify else []
        refused = smtp.sendmail(f"alice@{domain}", rcpts, data, list(mail_opts), rcpt_opts)
    with open(LOG, "a") as log:
        log.write(json.dumps({"t": time.strftime("%H:%M:%S"), "mta": mta, "tag": tag,
                              "rcpts": rcpts, "mail_opts": list(mail_opts), "notify": notify,
                              "refused": {k: list(map(str, v)) for k, v in refused.items()}}) + "\n")


LONG = "x" * 1200
SUBJECTS = ["Quarterly figures", "Réunion de lundi – ordre du jour", "Отчёт за неделю",
            "会議の議事録", "Προσφορά για το έργο"]


def campaign(mta: str) -> None:
    n = list(SENDERS).index(mta)
    s = SUBJECTS[n % len(SUBJECTS)]
    pf, ex = "pf-rx.example.org", "ex-rx.example.org"
    send(mta, "header-check", [f"bob@{pf}"],
         build(mta, "header-check", [f"bob@{pf}"], f"{s} [r22-hdr]", "Hello Bob.\n"))
    send(mta, "body-check", [f"carol@{pf}"],
         build(mta, "body-check", [f"carol@{pf}"], s, "Hello Carol.\nr22-body-marker\n",
               display="Alice Émile Example"), ("RET=FULL",), "FAILURE")
    send(mta, "mime-header-check", [f"bob@{pf}"],
         build(mta, "mime-header-check", [f"bob@{pf}"], "Invoice", "See attachment.\n", exe=True),
         ("RET=HDRS",), "FAILURE,DELAY")
    send(mta, "long-line-exrx", [f"bob@{ex}"],
         build(mta, "long-line-exrx", [f"bob@{ex}"], s, f"Line follows.\n{LONG}\nEnd.\n"))
    send(mta, "header-syntax-exrx", [f"carol@{ex}"],
         raw(mta, "header-syntax-exrx", [f"carol@{ex}"],
             "Cc: dave@ex-rx.example.org <<broken\r\nSubject: Minutes\r\n", "Hello.\n"))
    send(mta, "unwritable-mailbox-pfrx", [f"dave@{pf}"],
         build(mta, "unwritable-mailbox-pfrx", [f"dave@{pf}"], s, "Hello Dave.\n"))
    send(mta, "forward-loop", ["bob@loop-rx.example.org"],
         build(mta, "forward-loop", ["bob@loop-rx.example.org"], "Loop", "Hello.\n"))
    send(mta, "rate-message-pfrx", ["carol@rate-rx.example.org"],
         build(mta, "rate-message-pfrx", ["carol@rate-rx.example.org"], s, "Hello.\n"),
         (), "FAILURE,DELAY")
    rr = [f"{u}@rcptrate-rx.example.org" for u in ("bob", "carol", "dave", "erin")]
    send(mta, "multi-rate-recipient-pfrx", rr,
         build(mta, "multi-rate-recipient-pfrx", rr, s, "Hello all.\n"))
    rl = [f"{u}@rcptlimit-rx.example.org" for u in ("bob", "carol", "dave", "erin")]
    send(mta, "multi-recipient-limit-pfrx", rl,
         build(mta, "multi-recipient-limit-pfrx", rl, s, "Hello all.\n"))
    xr = [f"{u}@exrate-rx.example.org" for u in ("bob", "carol", "dave")]
    send(mta, "multi-ratelimit-exrx", xr,
         build(mta, "multi-ratelimit-exrx", xr, s, "Hello all.\n", display="Alice Example"))
    mix = [f"bob@{pf}", f"dave@{pf}", "erin@rate-rx.example.org", f"erin@{ex}"]
    send(mta, "multi-mixed-delivered", mix,
         build(mta, "multi-mixed-delivered", mix, f"{s} (2)", f"Hello.\n{LONG}\n"),
         ("RET=HDRS", f"ENVID=r22m-{mta}-mix"), "SUCCESS,FAILURE,DELAY")
    both = [f"bob@{pf}", f"carol@{pf}", f"dave@{ex}"]
    send(mta, "multi-body-check", both,
         build(mta, "multi-body-check", both, s, "Hi.\nr22-body-marker again\n"))
    if mta == "postfix":
        send(mta, "self-loop", ["bob@self-loop.example.org"],
             build(mta, "self-loop", ["bob@self-loop.example.org"], s, "Hello.\n"))


if __name__ == "__main__":
    if sys.argv[1] == "primer":
        send("postfix", "primer-rate", ["bob@rate-rx.example.org"],
             build("postfix", "primer-rate", ["bob@rate-rx.example.org"], "Primer", "First.\n"))
    else:
        for name in sys.argv[1:]:
            campaign(name)
