"""Round 24 part m: messages whose headers the Exim receiver's DATA ACL (Debian's header_syntax
and header_sender stanzas) refuses, submitted as raw bytes to the Exim sender (127.0.0.1:2850),
which writes the bounces. Logged to submitted.jsonl."""

import json
import smtplib
from email.utils import formatdate

TX = ("127.0.0.1", 2850)
R = "sa-rx.example.org"


def raw(headers: list[str], body: str) -> bytes:
    return ("\r\n".join(headers) + "\r\n\r\n" + body.replace("\n", "\r\n")).encode()


DATE = f"Date: {formatdate(localtime=False)}"
PLAN: list[tuple[str, list[str], bytes, list[str], list[str]]] = [
    ("no-date-no-msgid-no-from", [f"bob@{R}"],
     raw([f"To: bob@{R}", "Subject: no-date-no-msgid-no-from"],
         "A message without Date, Message-ID or From.\n"), [], []),
    ("no-date-no-msgid-no-from-2rcpt", [f"bob@{R}", f"carl@{R}"],
     raw([f"To: bob@{R}, carl@{R}", "Subject: =?utf-8?q?Grundst=C3=BCck?="],
         "A message without Date, Message-ID or From, two recipients.\n"),
     ["RET=HDRS"], ["NOTIFY=FAILURE"]),
    ("from-unverifiable-domain", [f"dora@{R}"],
     raw(["From: Alice Martin <alice@nowhere.example.invalid>", f"To: dora@{R}",
          "Subject: from-unverifiable-domain", DATE,
          "Message-ID: <r24m.exim.from-unverifiable-domain@ex-tx.example.com>"],
         "The From domain does not route at the receiver.\n"), [], []),
    ("bad-to-syntax", [f"bob@{R}"],
     raw(["From: alice@ex-tx.example.com", f"To: bob@{R}, <carl@{R}", "Subject: bad-to-syntax",
          DATE, "Message-ID: <r24m.exim.bad-to-syntax@ex-tx.example.com>"],
         "The To header has an unclosed angle bracket.\n"), [], []),
    ("bad-cc-syntax-3rcpt", [f"bob@{R}", f"carl@{R}", f"dora@{R}"],
     raw(['From: "Zoë Keller" <alice@ex-tx.example.com>'.encode().decode(), f"To: bob@{R}",
          f"Cc: carl@{R} dora@{R}", "Subject: bad-cc-syntax", DATE,
          "Message-ID: <r24m.exim.bad-cc-syntax-3rcpt@ex-tx.example.com>"],
         "The Cc header has two addresses without a comma.\n"),
     ["RET=FULL", "ENVID=r24m-badcc"], ["NOTIFY=SUCCESS,FAILURE"]),
]


def main() -> None:
    with open("/opt/r24m/submitted.jsonl", "a") as log:
        for situation, rcpts, data, mopts, ropts in PLAN:
            if any(ord(c) > 127 for c in data.decode()):
                mopts = [*mopts, "SMTPUTF8"] if False else mopts
            with smtplib.SMTP(*TX) as smtp:
                refused = list(smtp.sendmail("alice@ex-tx.example.com", rcpts, data,
                                             mail_options=mopts, rcpt_options=ropts))
            log.write(json.dumps({"situation": situation, "server": 2850, "rcpts": rcpts,
                                  "mail_options": mopts, "rcpt_options": ropts,
                                  "refused": refused}) + "\n")


main()
