"""Round 23 part m: test messages for the OpenSMTPD receiver (127.0.0.1:2731), sent to it
directly (OpenSMTPD writes the bounces of its MDA failures) or through the Postfix receiver
(127.0.0.1:2712, which writes the bounces of OpenSMTPD's SMTP refusals); logged to
submitted.jsonl."""

import json
import smtplib
from email.message import EmailMessage
from email.utils import formatdate

OS = ("127.0.0.1", 2731)
PF = ("127.0.0.1", 2712)

# (situation, writer tag, server, envelope sender, From, recipients, subject, mail opts, rcpt opts)
PLAN: list[tuple[str, str, tuple[str, int], str, str, list[str], str, list[str], list[str]]] = [
    ("mda-false", "opensmtpd", OS, "alice@os-tx.example.com", "alice@os-tx.example.com",
     ["frank@mdafail.example.org"], "Quarterly figures", [], []),
    ("mda-exit75", "opensmtpd", OS, "alice@os-tx.example.com",
     "Alice Martin <alice@os-tx.example.com>", ["hank@mdatemp.example.org"], "Status update",
     [], ["NOTIFY=FAILURE,DELAY"]),
    ("mda-missing", "opensmtpd", OS, "alice@os-tx.example.com", "alice@os-tx.example.com",
     ["gina@mdamissing.example.org"], "Réunion de lundi", ["RET=HDRS"], ["NOTIFY=FAILURE"]),
    ("multi-mda-delivered", "opensmtpd", OS, "alice@os-tx.example.com",
     "Zoë Keller <alice@os-tx.example.com>",
     ["frank@mdafail.example.org", "ivy@os-rx.example.org"], "Отчёт за неделю", ["RET=FULL"], []),
    ("multi-mda-fail-temp", "opensmtpd", OS, "alice@os-tx.example.com", "alice@os-tx.example.com",
     ["gina@mdamissing.example.org", "hank@mdatemp.example.org"], "Invoice 2291",
     ["RET=HDRS", "ENVID=r23m-os-multi"], ["NOTIFY=FAILURE,DELAY"]),
    ("reject-rule-osrx", "postfix", PF, "alice@pf-tx.example.com", "alice@pf-tx.example.com",
     ["bob@blocked.example.org"], "Newsletter December", [], []),
    ("multi-max-rcpt-osrx", "postfix", PF, "alice@pf-tx.example.com", "alice@pf-tx.example.com",
     ["ivy@os-rx.example.org", "carol@os-rx.example.org", "dave@os-rx.example.org",
      "frank@os-rx.example.org"], "Team offsite", [], []),
    ("multi-reject-local", "postfix", PF, "alice@pf-tx.example.com",
     "Alice Martin <alice@pf-tx.example.com>",
     ["bob@blocked.example.org", "ghost@lx.example.org", "ivy@os-rx.example.org"],
     "Programme du séminaire", ["RET=HDRS"], ["NOTIFY=FAILURE"]),
    ("mda-false-from-postfix", "opensmtpd", PF, "alice@pf-tx.example.com",
     "alice@pf-tx.example.com", ["frank@mdafail.example.org"], "Order confirmation", [], []),
]


def main() -> None:
    with open("/opt/r23m/submitted.jsonl", "a") as log:
        for situation, writer, server, sender, from_, rcpts, subject, mopts, ropts in PLAN:
            msg = EmailMessage()
            msg["From"] = from_
            msg["To"] = ", ".join(rcpts)
            msg["Subject"] = subject
            msg["Date"] = formatdate(localtime=False)
            domain = sender.split("@")[1]
            msg["Message-ID"] = f"<r23m.{writer}.{situation}@{domain}>"
            msg.set_content(f"Test message for situation {situation}.\n")
            try:
                with smtplib.SMTP(*server) as smtp:
                    refused = list(smtp.send_message(msg, from_addr=sender, to_addrs=rcpts,
                                                     mail_options=mopts, rcpt_options=ropts))
            except smtplib.SMTPException as exc:
                refused = [repr(exc)]
            log.write(json.dumps({"situation": situation, "server": server[1], "rcpts": rcpts,
                                  "mail": mopts, "rcpt": ropts, "refused": refused}) + "\n")


main()
