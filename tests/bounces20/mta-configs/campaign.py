"""Round 19 part m: the situations submitted to each sending MTA (scenario id -> submission).

Each message gets a Message-ID whose left part names its scenario, so that the bounce (which
returns the headers or the message) can be matched to the situation that was built."""

import json
import smtplib
import sys
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate

TX = {"postfix": 2620, "exim": 2621, "opensmtpd": 2631, "sendmail": 2641}
DOM = {"postfix": "pf-tx.example.com", "exim": "ex-tx.example.com", "opensmtpd": "os-tx.example.com",
       "sendmail": "sm-tx.example.com"}
LOCAL = {"postfix": "nosuch@mx.pf-tx.example.com", "exim": "nosuch@mx.ex-tx.example.com"}

# (situation, recipients, options); a recipient list may mix failures with a delivered address.
COMMON = [
    ("unknown-user-pfrx", ["nosuch@pf-rx.example.org"], {}),
    ("unknown-user-exrx", ["nosuch@ex-rx.example.org"], {"notify": "FAILURE", "ret": "HDRS"}),
    ("unknown-user-osrx", ["nosuch@os-rx.example.org"], {"display": "Alice Example"}),
    ("over-quota-pfrx", ["carol@pf-rx.example.org"], {}),
    ("over-quota-exrx", ["carol@ex-rx.example.org"], {}),
    ("too-large-pfrx", ["bob@pf-rx.example.org"], {"size": 30000, "ret": "HDRS"}),
    ("too-large-exrx", ["bob@ex-rx.example.org"], {"size": 30000}),
    ("too-large-osrx", ["bob@os-rx.example.org"], {"size": 30000, "notify": "FAILURE,DELAY", "ret": "HDRS"}),
    ("relay-denied-pfrx", ["someone@relay-pf.example.net"], {}),
    ("relay-denied-exrx", ["someone@relay-ex.example.net"], {"subject": "Réunion de l'équipe — ordre du jour"}),
    ("relay-denied-osrx", ["someone@relay-os.example.net"], {}),
    ("unknown-rcpt-domain-pfrx", ["user@nowhere.example.net"], {}),
    ("nxdomain", ["user@nosuch-domain.invalid"], {"notify": "SUCCESS,FAILURE", "ret": "FULL", "envid": "r19m-nx"}),
    ("receiver-down", ["user@down.example.net"], {"subject": "Отчёт за неделю"}),
    ("receiver-down-notify", ["user2@down.example.net"], {"notify": "FAILURE,DELAY", "ret": "HDRS", "display": "Alice Ëxample"}),
    ("sender-domain-unknown-pfrx", ["bob@pf-rx.example.org"], {"sender": "ghost-sender.example.net"}),
    ("sender-domain-unknown-exrx", ["bob@ex-rx.example.org"], {"sender": "ghost-sender.example.net"}),
    ("multi-unknown-delivered", ["bob@pf-rx.example.org", "nosuch@pf-rx.example.org", "nosuch2@ex-rx.example.org"], {}),
    ("multi-mixed", ["bob@ex-rx.example.org", "nosuch@os-rx.example.org", "someone@relay-pf.example.net", "user@nosuch-domain.invalid"], {"subject": "日本語の件名"}),
    ("multi-down-unknown", ["user3@down.example.net", "nosuch3@pf-rx.example.org"], {"notify": "FAILURE,DELAY"}),
    ("multi-all-fail", ["nosuch4@ex-rx.example.org", "someone@relay-ex.example.net", "user@nowhere.example.net", "carol@pf-rx.example.org", "x@nosuch2.invalid"], {"display": "Alice Example"}),
]


def submit(tx: str, tag: str, rcpts: list[str], o: dict) -> dict:
    sender = f"alice@{o.get('sender', DOM[tx])}"
    msg = EmailMessage()
    msg["From"] = Address(o["display"], "alice", sender.split("@")[1]) if "display" in o else sender
    msg["To"] = ", ".join(rcpts)
    msg["Subject"] = o.get("subject", "Round 19 test message")
    msg["Date"] = formatdate()
    msg["Message-ID"] = f"<{tag}@{sender.split('@')[1]}>"
    body = "Hello,\n\nthis is a test message of the moxhooks bounce data, round 19.\n"
    body += "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_.,;:\n" * (o.get("size", 0) // 70)
    msg.set_content(body)
    mail_opts = [f"RET={o['ret']}"] if "ret" in o else []
    if "envid" in o:
        mail_opts.append(f"ENVID={o['envid']}")
    rcpt_opts = [f"NOTIFY={o['notify']}"] if "notify" in o else []
    with smtplib.SMTP("127.0.0.1", TX[tx]) as s:
        s.ehlo("client.example.com")
        refused = s.send_message(msg, sender, rcpts, mail_options=mail_opts, rcpt_options=rcpt_opts)
    return {"tag": tag, "tx": tx, "sender": sender, "rcpts": rcpts, "opts": o, "refused_at_submission": {k: [v[0], v[1].decode()] for k, v in refused.items()}}


log = []
for tx in sys.argv[1:]:
    plan = list(COMMON)
    if tx == "sendmail":
        # The receivers route bounces back only to the three first senders' domains, and
        # Sendmail refuses an unresolvable sender domain itself at MAIL FROM: no quota and
        # no sender-domain situations for it; its all-fail mix is without carol.
        plan = [p for p in plan if "quota" not in p[0] and "sender-domain" not in p[0]
                and p[0] != "multi-all-fail"]
        plan.append(("multi-all-fail", ["nosuch4@ex-rx.example.org", "someone@relay-ex.example.net",
                                        "user@nowhere.example.net", "x@nosuch2.invalid"],
                     {"display": "Alice Example"}))
    if tx in LOCAL:
        plan.append(("local-unknown-user", [LOCAL[tx]], {}))
    if tx == "postfix":
        plan.append(("non-fqdn-rcpt-pfrx", ["bob@pfrx"], {}))
    for situation, rcpts, o in plan:
        tag = f"r19m.{tx}.{situation}"
        try:
            log.append(submit(tx, tag, rcpts, o))
        except smtplib.SMTPException as e:
            log.append({"tag": tag, "tx": tx, "rcpts": rcpts, "opts": o, "error": repr(e)})
with open("/opt/r19m/submitted.jsonl", "a") as f:
    for entry in log:
        f.write(json.dumps(entry, ensure_ascii=False) + "\n")
        print(entry["tag"], entry.get("error") or entry.get("refused_at_submission"))
