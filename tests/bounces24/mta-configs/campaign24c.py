"""Round 24 part m: messages for the Sendmail receiver (sm-rx.example.org, 127.0.0.1:2870),
submitted to the Exim sender (127.0.0.1:2850) or the Sendmail sender (127.0.0.1:2841) given as
the first argument; the sender writes the bounces. Logged to submitted.jsonl."""

import json
import smtplib
import sys
from email.message import EmailMessage
from email.utils import formatdate

PORT = int(sys.argv[1])
WRITER = {2850: "exim", 2841: "sendmail"}[PORT]
DOM = {2850: "ex-tx.example.com", 2841: "sm-tx.example.com"}[PORT]
GTUBE = open("/usr/share/doc/spamassassin/examples/sample-spam.txt").read().split("\n\n", 1)[1]
R = "sm-rx.example.org"
PLAN: list[tuple[str, str, str, list[str], str, str, list[str], list[str]]] = [
    ("spam-gtube-smrx", f"alice@{DOM}", f"alice@{DOM}", [f"bob@{R}"], "Hello", GTUBE, [], []),
    ("spam-gtube-smrx-2", f"Alice Martin <alice@{DOM}>", f"alice@{DOM}", [f"bob@{R}", f"carl@{R}"],
     "Réunion de lundi", GTUBE, ["RET=HDRS"], ["NOTIFY=FAILURE"]),
    ("too-large-smrx", f"alice@{DOM}", f"alice@{DOM}", [f"carl@{R}"], "Отчёт за неделю",
     "A message over the receiver's MaxMessageSize.\n" + ("y" * 76 + "\n") * 400, [], []),
    ("too-large-smrx-2", f"Zoë Keller <alice@{DOM}>", f"alice@{DOM}", [f"bob@{R}", f"dora@{R}"],
     "Grüezi mitenand", "Over the size limit, two recipients.\n" + ("z" * 76 + "\n") * 400,
     ["RET=FULL", f"ENVID=r24m-{WRITER}-big"], ["NOTIFY=SUCCESS,FAILURE,DELAY"]),
    ("recipient-access-reject-smrx", f"alice@{DOM}", f"alice@{DOM}", [f"refused@{R}"],
     "Invoice 2291", "A recipient the access db refuses.\n", [], []),
    ("recipient-access-reject-delivered-smrx", f"alice@{DOM}", f"alice@{DOM}",
     [f"refused@{R}", f"fred@{R}"], "Invoice 2292", "One refused, one delivered.\n", [],
     ["NOTIFY=FAILURE"]),
    ("sender-domain-unresolvable-smrx", "alice@nodns.example.net", "alice@nodns.example.net",
     [f"bob@{R}"], "Hello from nodns", "The sender's domain does not resolve at the receiver.\n",
     [], []),
]


def main() -> None:
    only = sys.argv[2:]
    with open("/opt/r24m/submitted.jsonl", "a") as log:
        for situation, from_, env, rcpts, subject, body, mopts, ropts in PLAN:
            if only and situation not in only:
                continue
            if PORT == 2841 and env.endswith("nodns.example.net"):
                env = from_ = "alice@nodns2.example.net"
            msg = EmailMessage()
            msg["From"] = from_
            msg["To"] = ", ".join(rcpts)
            msg["Subject"] = subject
            msg["Date"] = formatdate(localtime=False)
            msg["Message-ID"] = f"<r24m.{WRITER}.{situation}@{DOM}>"
            msg.set_content(body)
            with smtplib.SMTP("127.0.0.1", PORT) as smtp:
                refused = list(smtp.send_message(msg, from_addr=env, to_addrs=rcpts,
                                                 mail_options=mopts, rcpt_options=ropts))
            log.write(json.dumps({"situation": situation, "server": PORT, "rcpts": rcpts,
                                  "mail_options": mopts, "rcpt_options": ropts,
                                  "refused": refused}) + "\n")


main()
