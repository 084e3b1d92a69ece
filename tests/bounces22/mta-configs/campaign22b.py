"""Round 22 part m, second batch: an overlong line sent as 8-bit text (the first batch's long
line was quoted-printable-encoded by Python's email package and never reached the receiver as
a long line), and a forwarding loop between the Exim receiver and the Exim sender. Uses
campaign22.py's SMTP submission; runs inside the namespace."""

import sys

sys.path.insert(0, "/opt/r22m")
from campaign22 import raw, send

LONG = "Lorem ipsum dolor sit amet, " * 45  # 1260 characters on one line

for mta in sys.argv[1:]:
    one = ["bob@ex-rx.example.org"]
    send(mta, "long-line-exrx-2", one,
         raw(mta, "long-line-exrx-2", one,
             "Subject: Long line\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
             "Content-Transfer-Encoding: 8bit\r\n", f"Hello Bob.\n{LONG}\nBye.\n"),
         ("BODY=8BITMIME",), "FAILURE")
    mix = ["carol@ex-rx.example.org", "bob@pf-rx.example.org"]
    send(mta, "multi-long-line-delivered", mix,
         raw(mta, "multi-long-line-delivered", mix,
             "Subject: =?utf-8?q?Z=C3=BCrich_Protokoll?=\r\nMIME-Version: 1.0\r\n"
             "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n",
             f"Grüezi.\n{LONG}\n"), ("BODY=8BITMIME", "RET=HDRS"))
    loop = ["bob@loop-ex.example.org"]
    send(mta, "forward-loop-exim", loop,
         raw(mta, "forward-loop-exim", loop, "Subject: Loop test\r\n", "Hello.\n"))
