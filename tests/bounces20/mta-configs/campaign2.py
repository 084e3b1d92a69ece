"""Round 19 part m, pass 2: with Postfix-rx's recipient checks moved before its relay check
(postfix-rx/main-pass2.cf), the unknown-domain and non-FQDN recipients reach those checks."""

import json
import sys

sys.argv = [sys.argv[0]]
import campaign  # noqa: E402  (runs nothing: its loop takes the MTAs from argv, now empty)

log = []
for tx, situation, rcpts, o in [
    ("postfix", "unknown-rcpt-domain-pfrx-2", ["user@nowhere.example.net"], {"notify": "FAILURE", "ret": "HDRS"}),
    ("postfix", "non-fqdn-rcpt-pfrx-2", ["bob@pfrx"], {}),
    ("exim", "unknown-rcpt-domain-pfrx-2", ["user@nowhere.example.net"], {"display": "Alice Example"}),
    ("opensmtpd", "unknown-rcpt-domain-pfrx-2", ["user@nowhere.example.net", "bob@pf-rx.example.org"], {}),
    ("exim", "multi-unknown-domain-delivered-2", ["bob@pf-rx.example.org", "user2@nowhere.example.net", "nosuch5@pf-rx.example.org"], {"subject": "Ünïcödé subject ✓"}),
]:
    log.append(campaign.submit(tx, f"r19m.{tx}.{situation}", rcpts, o))
with open("/opt/r19m/submitted.jsonl", "a") as f:
    for entry in log:
        f.write(json.dumps(entry, ensure_ascii=False) + "\n")
        print(entry["tag"], entry["refused_at_submission"])
