"""Round 21 part m, third pass for the Postfix and Exim senders: the SPF situations once the
policy server ran with its corrected configuration (the earlier ones were delivered: a
policyd-spf process spawned before the correction kept answering "dunno")."""

import json
import sys

sys.argv = [sys.argv[0]]
exec(open("/opt/r21m/campaign21.py").read().split("with open(")[0])
PLAN3 = [
    ("spf-fail-pfrx-3", ["bob@spf-rx.example.org"], {"notify": "SUCCESS,FAILURE"}),
    ("multi-spf-relay-delivered", ["bob@pf-rx.example.org", "bob@spf-rx.example.org", "someone@relay-pf.example.net"], {"display": "Alice Ëxample", "ret": "HDRS"}),
]
with open("/opt/r21m/submitted.jsonl", "a") as log:
    for tx in ("postfix", "exim"):
        for situation, rcpts, o in PLAN3:
            entry = submit(tx, situation, rcpts, o)  # noqa: F821 (defined by the exec above)
            log.write(json.dumps(entry, ensure_ascii=False) + "\n")
            print(entry["tag"], entry["refused"])
