"""Round 21 part m, sixth pass for the Exim sender: its mixed-domain messages again, after its
transports were split one per port (the first ones were stuck on an expansion failure of the
sender's own configuration and were removed from its queue; their warnings are not kept)."""

import json
import sys

sys.argv = [sys.argv[0]]
exec(open("/opt/r21m/campaign21.py").read().split("with open(")[0])
PLAN6 = [
    ("multi-dnsbl-access-delivered-2", ["bob@pf-rx.example.org", "bob@rbl-rx.example.org", "bob@access-rx.example.org"], {"subject": "会議の議事録"}),
    ("multi-spf-unknown-ptr-2", ["bob@spf-rx.example.org", "nosuch@pf-rx.example.org", "bob@ptr-rx.example.org"], {"display": "Alice Ëxample"}),
    ("multi-spf-relay-delivered-2", ["bob@pf-rx.example.org", "bob@spf-rx.example.org", "someone@relay-pf.example.net"], {"display": "Alice Ëxample", "ret": "HDRS"}),
    ("multi-unknown-dnsbl-smrx-delivered-2", ["bob@pf-rx.example.org", "nosuch@sm-rx.example.org", "bob@smbl-rx.example.org", "nosuch3@pf-rx.example.org"], {"notify": "FAILURE", "ret": "HDRS"}),
    ("over-quota-lmtp-delivered-2", ["carol@lmtp-rx.example.org", "bob@pf-rx.example.org"], {"notify": "FAILURE", "ret": "HDRS"}),
]
with open("/opt/r21m/submitted.jsonl", "a") as log:
    for situation, rcpts, o in PLAN6:
        entry = submit("exim", situation, rcpts, o)  # noqa: F821 (defined by the exec above)
        log.write(json.dumps(entry, ensure_ascii=False) + "\n")
        print(entry["tag"], entry["refused"])
