"""Round 24 part m: messages submitted to the Sendmail sender (127.0.0.1:2841) for the Exim
receiver's spam and header ACLs (sa-rx.example.org) and the Sendmail receiver's size limit
(sm-rx.example.org); Sendmail writes the bounces. Logged to submitted.jsonl."""

import json
import smtplib
from email.message import EmailMessage
from email.utils import formatdate

TX = ("127.0.0.1", 2841)
GTUBE = open("/usr/share/doc/spamassassin/examples/sample-spam.txt").read().split("\n\n", 1)[1]
D = "sm-tx.example.com"
PLAN: list[tuple[str, str, list[str], str, str, list[str], list[str]]] = [
    ("spam-gtube", f"alice@{D}", ["bob@sa-rx.example.org"], "Hello", GTUBE, [], []),
    ("spam-gtube-2", f"Alice Martin <alice@{D}>", ["bob@sa-rx.example.org", "carl@sa-rx.example.org"],
     "Réunion de lundi", GTUBE, ["RET=HDRS"], ["NOTIFY=FAILURE"]),
    ("spam-gtube-mixed", f"Zoë Keller <alice@{D}>", ["dora@sa-rx.example.org", "fred@sm-rx.example.org"],
     "Grüezi mitenand", GTUBE, ["RET=FULL", "ENVID=r24m-sm-mixed"], ["NOTIFY=SUCCESS,FAILURE"]),
    ("header-sender-unverifiable", "alice@nowhere.example.invalid", ["carl@sa-rx.example.org"],
     "Отчёт за неделю", "The From domain does not route at the receiver.\n", [], []),
    ("too-large-smrx", f"alice@{D}", ["carl@sm-rx.example.org"], "Invoice 2291",
     "Over the size limit.\n" + ("y" * 76 + "\n") * 400, [], []),
]


def main() -> None:
    with open("/opt/r24m/submitted.jsonl", "a") as log:
        for situation, from_, rcpts, subject, body, mopts, ropts in PLAN:
            msg = EmailMessage()
            msg["From"] = from_
            msg["To"] = ", ".join(rcpts)
            msg["Subject"] = subject
            msg["Date"] = formatdate(localtime=False)
            msg["Message-ID"] = f"<r24m.sendmail.{situation}@{D}>"
            msg.set_content(body)
            with smtplib.SMTP(*TX) as smtp:
                refused = list(smtp.send_message(msg, from_addr=f"alice@{D}", to_addrs=rcpts,
                                                 mail_options=mopts, rcpt_options=ropts))
            log.write(json.dumps({"situation": situation, "server": 2841, "rcpts": rcpts,
                                  "mail_options": mopts, "rcpt_options": ropts,
                                  "refused": refused}) + "\n")


main()
