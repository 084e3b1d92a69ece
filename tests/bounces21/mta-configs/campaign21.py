"""Round 21 part m: the situations submitted over SMTP to the Postfix (2620) and Exim (2621)
senders. Each message's Message-ID names its situation, so the bounce (which returns the
headers or the message) ties back to what was built. Every failure text comes from the MTAs."""

import json
import smtplib
import sys
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate

TX = {"postfix": (2620, "pf-tx.example.com"), "exim": (2621, "ex-tx.example.com")}

# (situation, recipients, options); bob@pf-rx.example.org is delivered.
PLAN = [
    ("dnsbl-pfrx", ["bob@rbl-rx.example.org"], {}),
    ("helo-non-fqdn-pfrx", ["bob@nofqdn-rx.example.org"], {"notify": "FAILURE", "ret": "HDRS"}),
    ("helo-invalid-pfrx", ["bob@invhelo-rx.example.org"], {"display": "Alice Example"}),
    ("helo-unknown-pfrx", ["bob@unkhelo-rx.example.org"], {"subject": "Compte rendu de la réunion"}),
    ("client-no-ptr-pfrx", ["bob@ptr-rx.example.org"], {"notify": "FAILURE,DELAY", "ret": "HDRS"}),
    ("sender-access-reject-pfrx", ["bob@access-rx.example.org"], {"ret": "FULL", "envid": "r21m-access"}),
    ("greylisted-pfrx", ["bob@grey-rx.example.org"], {"subject": "Счёт за декабрь"}),
    ("spf-fail-pfrx", ["bob@spf-rx.example.org"], {"notify": "SUCCESS,FAILURE"}),
    ("multi-dnsbl-access-delivered", ["bob@pf-rx.example.org", "bob@rbl-rx.example.org", "bob@access-rx.example.org"], {"subject": "会議の議事録"}),
    ("multi-spf-unknown-greylist", ["bob@spf-rx.example.org", "nosuch@pf-rx.example.org", "bob@grey-rx.example.org"], {"display": "Alice Ëxample"}),
    ("multi-helo-ptr-quota", ["bob@nofqdn-rx.example.org", "bob@ptr-rx.example.org", "carol@pf-rx.example.org", "bob@pf-rx.example.org"], {"notify": "FAILURE,DELAY"}),
]


def submit(tx: str, situation: str, rcpts: list[str], o: dict) -> dict:
    port, domain = TX[tx]
    sender = f"alice@{domain}"
    msg = EmailMessage()
    msg["From"] = Address(o["display"], "alice", domain) if "display" in o else sender
    msg["To"] = ", ".join(rcpts)
    msg["Subject"] = o.get("subject", "Round 21 test message")
    msg["Date"] = formatdate()
    msg["Message-ID"] = f"<r21m.{tx}.{situation}@{domain}>"
    msg.set_content("Hello,\n\nthis is a test message of the moxhooks bounce data, round 21.\n")
    mail_opts = [f"RET={o['ret']}"] if "ret" in o else []
    if "envid" in o:
        mail_opts.append(f"ENVID={o['envid']}")
    rcpt_opts = [f"NOTIFY={o['notify']}"] if "notify" in o else []
    with smtplib.SMTP("127.0.0.1", port) as s:
        s.ehlo("client.example.com")
        refused = s.send_message(msg, sender, rcpts, mail_options=mail_opts, rcpt_options=rcpt_opts)
    return {"tag": f"r21m.{tx}.{situation}", "rcpts": rcpts, "opts": o, "refused": {k: str(v) for k, v in refused.items()}}


with open("/opt/r21m/submitted.jsonl", "a") as log:
    for tx in sys.argv[1:]:
        for situation, rcpts, o in PLAN:
            entry = submit(tx, situation, rcpts, o)
            log.write(json.dumps(entry, ensure_ascii=False) + "\n")
            print(entry["tag"], entry["refused"])
