"""Round 22 part m: submits test messages to dma and nullmailer (both take mail on the command
line) one batch at a time; each batch points the smarthost (dma PORT, nullmailer remotes) at one
receiver. Runs inside the namespace. usage: newwriters22.py dma|nullmailer BATCH
The messages carry a subject marker the Postfix receiver's header check looks for, or a
malformed Cc header for the Exim receiver's header-syntax check; no reply text is written here."""

import subprocess
import sys
import time
from datetime import UTC, datetime
from email.utils import format_datetime

DOMAIN = {"dma": "dma-tx.example.com", "nullmailer": "nm-tx.example.com"}
SIT: dict[str, tuple[int, list[tuple[str, list[str], str, str]]]] = {
    # batch: (port, [(situation, recipients, subject, extra header)])
    "pfrx": (2612, [
        ("header-check", ["bob@pf-rx.example.org"], "Réunion [r22-hdr]", ""),
        ("multi-header-check", ["bob@pf-rx.example.org", "carol@pf-rx.example.org"],
         "Quarterly figures [r22-hdr]", ""),
    ]),
    "exrx": (2660, [
        ("header-syntax-exrx", ["carol@ex-rx.example.org"], "Minutes",
         "Cc: dave@ex-rx.example.org <<broken\n"),
    ]),
    "mime": (2612, [
        ("mime-header-check", ["bob@pf-rx.example.org"], "Invoice", "MIME"),
    ]),
    "long": (2660, [
        ("long-line-exrx", ["bob@ex-rx.example.org"], "Long line", "LONG"),
    ]),
    "exrate": (2660, [
        ("ratelimit-exrx", ["carol@exrate-rx.example.org"], "Отчёт", ""),
    ]),
}


def message(tag: str, sender: str, rcpts: list[str], subject: str, extra: str) -> bytes:
    body = "Hello,\n\nthis is a test message of the moxhooks bounce data, round 22.\n"
    ctype = "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n"
    if extra == "LONG":  # one 1260-character line, sent as it is
        body += "Lorem ipsum dolor sit amet, " * 45 + "\n"
    if extra == "MIME":  # a multipart message with an .exe attachment
        ctype = 'Content-Type: multipart/mixed; boundary="r22b"\n'
        body = ("--r22b\nContent-Type: text/plain; charset=utf-8\n\nSee attachment.\n--r22b\n"
                'Content-Type: application/octet-stream\nContent-Disposition: attachment; filename="invoice.exe"\n'
                "Content-Transfer-Encoding: base64\n\nTVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAA\n--r22b--\n")
    if extra in ("LONG", "MIME"):
        extra = ""
    head = (f"From: Alice Example <{sender}>\nTo: {', '.join(rcpts)}\n{extra}"
            f"Subject: {subject}\nDate: {format_datetime(datetime.now(UTC))}\n"
            f"Message-ID: <{tag}@{sender.split('@')[1]}>\nMIME-Version: 1.0\n" + ctype)
    return (head + "\n" + body).encode()


mta, batch = sys.argv[1], sys.argv[2]
port, plan = SIT[batch]
if mta == "dma":
    with open("/etc/dma/dma.conf") as f:
        conf = f.read().splitlines()
    conf = [f"PORT {port}" if line.startswith("PORT ") else line for line in conf]
    with open("/etc/dma/dma.conf", "w") as f:
        f.write("\n".join(conf) + "\n")
else:
    with open("/etc/nullmailer/remotes", "w") as f:
        f.write(f"127.0.0.1 smtp --port={port}\n")
sender = f"alice@{DOMAIN[mta]}"
for situation, rcpts, subject, extra in plan:
    tag = f"r22m.{mta}.{situation}"
    msg = message(tag, sender, rcpts, subject, extra)
    cmd = ["/usr/sbin/dma", "-f", sender] if mta == "dma" else ["/usr/bin/nullmailer-inject", "-f", sender]
    r = subprocess.run(cmd + rcpts, input=msg, capture_output=True)
    print(time.strftime("%H:%M:%S"), tag, rcpts, "rc", r.returncode, r.stderr.decode()[:200])
    time.sleep(1)
