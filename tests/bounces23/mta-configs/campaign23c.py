"""Round 23 part m: a second try at OpenSMTPD's `smtp limit max-rcpt 2` (four recipients without
a .forward, through the Postfix receiver), and a deferred MDA for a Postfix-relayed message."""

import json
import smtplib
from email.message import EmailMessage
from email.utils import formatdate

PF = ("127.0.0.1", 2712)
PLAN: list[tuple[str, list[str], str, list[str], list[str]]] = [
    ("multi-max-rcpt-osrx-2", ["ivy@os-rx.example.org", "frank@os-rx.example.org",
                               "hank@os-rx.example.org", "gina@os-rx.example.org"],
     "Weekly digest", [], []),
    ("mda-exit75-from-postfix", ["hank@mdatemp.example.org"], "Grüezi mitenand", ["RET=HDRS"],
     ["NOTIFY=FAILURE,DELAY"]),
]


def main() -> None:
    with open("/opt/r23m/submitted.jsonl", "a") as log:
        for situation, rcpts, subject, mopts, ropts in PLAN:
            msg = EmailMessage()
            msg["From"] = "Alice Martin <alice@pf-tx.example.com>"
            msg["To"] = ", ".join(rcpts)
            msg["Subject"] = subject
            msg["Date"] = formatdate(localtime=False)
            msg["Message-ID"] = f"<r23m.postfix.{situation}@pf-tx.example.com>"
            msg.set_content(f"Test message for situation {situation}.\n")
            with smtplib.SMTP(*PF) as smtp:
                refused = list(smtp.send_message(msg, from_addr="alice@pf-tx.example.com",
                                                 to_addrs=rcpts, mail_options=mopts,
                                                 rcpt_options=ropts))
            log.write(json.dumps({"situation": situation, "server": 2712, "rcpts": rcpts,
                                  "mail": mopts, "rcpt": ropts, "refused": refused}) + "\n")


main()
