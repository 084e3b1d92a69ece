"""Round 21 part m: submits the situations to dma and nullmailer (both take mail on the command
line, not over SMTP) one batch at a time: each batch points the smarthost (dma PORT,
nullmailer remotes) at one listener of the Postfix receiver. Runs inside the namespace.
usage: newwriters.py dma|nullmailer BATCH"""

import subprocess
import sys
import time

SIT = {
    # batch: (port, [(situation, recipients, mkmsg options)])
    "hub": (2612, [
        ("unknown-user-pfrx", ["nosuch@pf-rx.example.org"], []),
        ("over-quota-pfrx", ["carol@pf-rx.example.org"], ["--subject", "Réservation confirmée"]),
        ("too-large-pfrx", ["bob@pf-rx.example.org"], ["--size", "30000"]),
        ("relay-denied-pfrx", ["someone@relay-pf.example.net"], ["--display", "Alice Example"]),
        ("multi-unknown-quota-delivered", ["bob@pf-rx.example.org", "nosuch2@pf-rx.example.org", "carol@pf-rx.example.org"], ["--subject", "Недельный отчёт"]),
    ]),
    "rbl": (2614, [("dnsbl-pfrx", ["bob@rbl-rx.example.org"], [])]),
    "access": (2618, [("sender-access-reject-pfrx", ["bob@access-rx.example.org"], ["--subject", "注文の確認"])]),
    "spf": (2610, [("spf-fail-pfrx-3", ["bob@spf-rx.example.org"], ["--display", "Alice Ëxample"])]),
    "helo": (2615, [("helo-non-fqdn-pfrx", ["bob@nofqdn-rx.example.org"], [])]),
    "ptr": (2617, [("client-no-ptr-pfrx", ["bob@ptr-rx.example.org"], [])]),
    "grey": (2619, [("greylisted-pfrx", ["bob@grey-rx.example.org"], ["--subject", "Relevé de compte"])]),
    "quota-lmtp": (2612, [("over-quota-lmtp", ["carol@lmtp-rx.example.org"], ["--size", "3000"])]),
    "down": (2699, [("receiver-down", ["user@down.example.net"], [])]),
}
DOMAIN = {"dma": "dma-tx.example.com", "nullmailer": "nm-tx.example.com"}

mta, batch = sys.argv[1], sys.argv[2]
port, plan = SIT[batch]
if mta == "dma":
    conf = open("/etc/dma/dma.conf").read().splitlines()
    conf = [f"PORT {port}" if line.startswith("PORT ") else line for line in conf]
    if batch == "helo":
        conf = ["MAILNAME dmatx" if line.startswith("MAILNAME ") else line for line in conf]
    else:
        conf = ["MAILNAME mx.dma-tx.example.com" if line.startswith("MAILNAME ") else line for line in conf]
    open("/etc/dma/dma.conf", "w").write("\n".join(conf) + "\n")
else:
    open("/etc/nullmailer/remotes", "w").write(f"127.0.0.1 smtp --port={port}\n")
    open("/etc/nullmailer/helohost", "w").write("nmtx\n" if batch == "helo" else "nm-tx.example.com\n")
sender = f"alice@{DOMAIN[mta]}"
for situation, rcpts, opts in plan:
    tag = f"r21m.{mta}.{situation}"
    msg = subprocess.run(["/usr/bin/python3", "/opt/r21m/mkmsg.py", tag, sender, ",".join(rcpts), *opts],
                         check=True, capture_output=True).stdout
    cmd = ["/usr/sbin/dma", "-f", sender] if mta == "dma" else ["/usr/bin/nullmailer-inject", "-f", sender]
    r = subprocess.run(cmd + rcpts, input=msg, capture_output=True)
    print(time.strftime("%H:%M:%S"), tag, rcpts, "rc", r.returncode, r.stderr.decode()[:200])
    time.sleep(1)
