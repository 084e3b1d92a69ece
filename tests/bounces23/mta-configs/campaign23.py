"""Round 23 part m: submit the test messages to the Postfix receiver (127.0.0.1:2712) over SMTP,
each with a Message-ID naming its situation; log every submission to submitted.jsonl."""

import json
import smtplib
from email.message import EmailMessage
from email.utils import formatdate

RX = ("127.0.0.1", 2712)
LX = "lx.example.org"

# (situation, from, recipients, subject, mail options, rcpt options)
PLAN: list[tuple[str, str, list[str], str, list[str], list[str]]] = [
    ("alias-nonexistent", "alice@pf-tx.example.com", ["ghost"], "Quarterly figures", [], []),
    ("forward-loop", "Alice Martin <alice@pf-tx.example.com>", ["carol"], "Lunch on Friday?", [], []),
    ("pipe-exit67", "alice@pf-tx.example.com", ["piperr67"], "Réunion de lundi", ["RET=HDRS"],
     ["NOTIFY=FAILURE"]),
    ("pipe-exit75", "alice@pf-tx.example.com", ["pipetemp75"], "Status update", [],
     ["NOTIFY=FAILURE,DELAY"]),
    ("pipe-exit77", "Alice Martin <alice@pf-tx.example.com>", ["pipenoperm77"], "Отчёт за неделю",
     ["RET=FULL"], []),
    ("pipe-not-found", "alice@pf-tx.example.com", ["pipenotfound"], "Invoice 2291", [], []),
    ("alias-file-error", "alice@pf-tx.example.com", ["fileerr"], "Newsletter December", [], []),
    ("mailbox-command-false", "Zoë Keller <alice@pf-tx.example.com>", ["frank"], "Grüezi mitenand",
     [], []),
    ("mailbox-command-missing", "alice@pf-tx.example.com", ["gina"], "Password reset", ["RET=HDRS"],
     []),
    ("mailbox-command-exit75", "alice@pf-tx.example.com", ["hank"], "Weekly digest", [], []),
    ("multi-alias-loop-delivered", "alice@pf-tx.example.com", ["ghost", "dave", "ivy"],
     "Team offsite", ["RET=HDRS"], ["NOTIFY=FAILURE"]),
    ("multi-pipe-command", "Alice Martin <alice@pf-tx.example.com>",
     ["piperr67", "frank", "pipenotfound", "ivy"], "Order confirmation", ["RET=FULL"], []),
    ("multi-deferred-failed", "alice@pf-tx.example.com", ["pipetemp75", "fileerr", "gina"],
     "Programme du séminaire", [], []),
    ("multi-notify-all", "alice@pf-tx.example.com", ["ghost", "pipenoperm77", "ivy"],
     "Board minutes", ["RET=HDRS", "ENVID=r23m-notify-all"], ["NOTIFY=SUCCESS,FAILURE,DELAY"]),
    ("multi-command-deferred", "alice@pf-tx.example.com", ["hank", "carol"], "Reminder",
     [], ["NOTIFY=FAILURE,DELAY"]),
]


def main() -> None:
    with open("/opt/r23m/submitted.jsonl", "a") as log:
        for situation, sender, rcpts, subject, mopts, ropts in PLAN:
            msg = EmailMessage()
            msg["From"] = sender
            msg["To"] = ", ".join(f"{r}@{LX}" for r in rcpts)
            msg["Subject"] = subject
            msg["Date"] = formatdate(localtime=False)
            msg["Message-ID"] = f"<r23m.postfix.{situation}@pf-tx.example.com>"
            msg.set_content(f"Test message for situation {situation}.\n")
            with smtplib.SMTP(*RX) as smtp:
                refused = smtp.send_message(
                    msg, from_addr="alice@pf-tx.example.com",
                    to_addrs=[f"{r}@{LX}" for r in rcpts], mail_options=mopts, rcpt_options=ropts)
            log.write(json.dumps({"situation": situation, "rcpts": rcpts, "mail": mopts,
                                  "rcpt": ropts, "refused": list(refused)}) + "\n")


main()
