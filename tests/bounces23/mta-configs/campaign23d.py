"""Round 23 part m: test messages for the Exim receiver (127.0.0.1:2760), which writes the
bounces and delay warnings of its own local deliveries; logged to submitted.jsonl."""

import json
import smtplib
import sys
from email.message import EmailMessage
from email.utils import formatdate

EX = ("127.0.0.1", 2760)
D = "ex-rx.example.org"
PLAN: list[tuple[str, str, list[str], str, list[str], list[str]]] = [
    ("unwritable-mailbox", "alice@ex-tx.example.com", ["uwen"], "Quarterly figures", [], []),
    ("full-mailbox", "Alice Martin <alice@ex-tx.example.com>", ["fuller"], "Réunion de lundi",
     ["RET=HDRS"], ["NOTIFY=FAILURE,DELAY"]),
    ("mailbox-must-exist", "alice@ex-tx.example.com", ["mustex"], "Отчёт за неделю", [], []),
    ("multi-unwritable-full-delivered", "Zoë Keller <alice@ex-tx.example.com>",
     ["uwen", "fuller", "ivy"], "Grüezi mitenand", ["RET=FULL", "ENVID=r23m-ex-multi"],
     ["NOTIFY=FAILURE,DELAY"]),
    ("multi-must-exist-unwritable", "alice@ex-tx.example.com", ["mustex", "uwen"],
     "Invoice 2291", [], ["NOTIFY=FAILURE"]),
]


def main() -> None:
    with open("/opt/r23m/submitted.jsonl", "a") as log:
        for situation, from_, locals_, subject, mopts, ropts in PLAN[int(sys.argv[1]):]:
            rcpts = [f"{lp}@{D}" for lp in locals_]
            msg = EmailMessage()
            msg["From"] = from_
            msg["To"] = ", ".join(rcpts)
            msg["Subject"] = subject
            msg["Date"] = formatdate(localtime=False)
            msg["Message-ID"] = f"<r23m.exim.{situation}@ex-tx.example.com>"
            msg.set_content(f"Test message for situation {situation}.\n" + "x" * 2500 + "\n")
            with smtplib.SMTP(*EX) as smtp:
                refused = list(smtp.send_message(msg, from_addr="alice@ex-tx.example.com",
                                                 to_addrs=rcpts, mail_options=mopts,
                                                 rcpt_options=ropts))
            log.write(json.dumps({"situation": situation, "server": 2760, "rcpts": rcpts,
                                  "mail": mopts, "rcpt": ropts, "refused": refused}) + "\n")


main()
