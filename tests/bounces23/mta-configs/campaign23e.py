"""Round 23 part m: test messages for Dovecot LMTP (127.0.0.1:2724) behind the Exim receiver
(127.0.0.1:2760), which writes the bounces with Dovecot's replies; logged to submitted.jsonl."""

import json
import smtplib
from email.message import EmailMessage
from email.utils import formatdate

EX = ("127.0.0.1", 2760)
PLAN: list[tuple[str, str, list[str], str, list[str], list[str]]] = [
    ("lmtp-no-such-user", "alice@ex-tx.example.com", ["nosuch@dv-rx.example.org"],
     "Quarterly figures", [], []),
    ("lmtp-bad-mail-location", "Alice Martin <alice@ex-tx.example.com>",
     ["badloc@dv-rx.example.org"], "Réunion de lundi", ["RET=HDRS"], ["NOTIFY=FAILURE,DELAY"]),
    ("multi-lmtp-delivered", "Zoë Keller <alice@ex-tx.example.com>",
     ["nosuch@dv-rx.example.org", "badloc@dv-rx.example.org", "ivy@dv-rx.example.org"],
     "Отчёт за неделю", ["RET=FULL", "ENVID=r23m-dv-multi"], ["NOTIFY=FAILURE,DELAY"]),
    ("multi-lmtp-mailbox", "alice@ex-tx.example.com",
     ["nosuch@dv-rx.example.org", "fuller@ex-rx.example.org"], "Grüezi mitenand", [], []),
]


def main() -> None:
    with open("/opt/r23m/submitted.jsonl", "a") as log:
        for situation, from_, rcpts, subject, mopts, ropts in PLAN:
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
