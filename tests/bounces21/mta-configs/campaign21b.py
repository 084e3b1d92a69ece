"""Round 21 part m, second pass for the Postfix sender: the SPF situations again, after the
policy server's TestOnly setting was corrected (the first ones were delivered)."""

import json
import sys

sys.argv = [sys.argv[0]]
exec(open("/opt/r21m/campaign21.py").read().split("with open(")[0])
PLAN2 = [
    ("spf-fail-pfrx-2", ["bob@spf-rx.example.org"], {"notify": "SUCCESS,FAILURE"}),
    ("multi-spf-unknown-ptr", ["bob@spf-rx.example.org", "nosuch@pf-rx.example.org", "bob@ptr-rx.example.org"], {"display": "Alice Ëxample"}),
]
with open("/opt/r21m/submitted.jsonl", "a") as log:
    for situation, rcpts, o in PLAN2:
        entry = submit("postfix", situation, rcpts, o)  # noqa: F821 (defined by the exec above)
        log.write(json.dumps(entry, ensure_ascii=False) + "\n")
        print(entry["tag"], entry["refused"])
