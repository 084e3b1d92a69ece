"""Round 24 part m: GTUBE test messages (the body of SpamAssassin's own examples/sample-spam.txt)
submitted to the Exim sender (127.0.0.1:2850), which relays them to the Exim receiver whose DATA
ACL asks spamd; the sender writes the bounces. Logged to submitted.jsonl."""

import json
import smtplib
from email.message import EmailMessage
from email.utils import formatdate

TX = ("127.0.0.1", 2850)
SAMPLE = "/usr/share/doc/spamassassin/examples/sample-spam.txt"
GTUBE = open(SAMPLE).read().split("\n\n", 1)[1]
PLAN: list[tuple[str, str, list[str], str, list[str], list[str]]] = [
    ("gtube", "alice@ex-tx.example.com", ["bob@sa-rx.example.org"], "Hello", [], []),
    ("gtube-hdrs", "Alice Martin <alice@ex-tx.example.com>", ["carl@sa-rx.example.org"],
     "Réunion de lundi", ["RET=HDRS"], ["NOTIFY=FAILURE"]),
    ("gtube-full-3rcpt", "alice@ex-tx.example.com",
     ["bob@sa-rx.example.org", "carl@sa-rx.example.org", "dora@sa-rx.example.org"],
     "Отчёт за неделю", ["RET=FULL", "ENVID=r24m-gtube-3"], ["NOTIFY=SUCCESS,FAILURE,DELAY"]),
    ("gtube-and-relay-denied", "Zoë Keller <alice@ex-tx.example.com>",
     ["bob@sa-rx.example.org", "erin@sa-rx2.example.net"], "Grüezi mitenand", [], []),
]


def main() -> None:
    with open("/opt/r24m/submitted.jsonl", "a") as log:
        for situation, from_, rcpts, subject, mopts, ropts in PLAN:
            msg = EmailMessage()
            msg["From"] = from_
            msg["To"] = ", ".join(rcpts)
            msg["Subject"] = subject
            msg["Date"] = formatdate(localtime=False)
            msg["Message-ID"] = f"<r24m.exim.{situation}@ex-tx.example.com>"
            msg.set_content(GTUBE)
            with smtplib.SMTP(*TX) as smtp:
                refused = list(smtp.send_message(msg, from_addr="alice@ex-tx.example.com",
                                                 to_addrs=rcpts, mail_options=mopts,
                                                 rcpt_options=ropts))
            log.write(json.dumps({"situation": situation, "server": 2850, "rcpts": rcpts,
                                  "mail_options": mopts, "rcpt_options": ropts,
                                  "refused": refused}) + "\n")


main()
