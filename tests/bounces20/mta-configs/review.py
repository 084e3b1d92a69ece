"""Reads the collected bounces with Python's email package (not moxhooks) and prints, per
message, the sending MTA, the scenario tag, the type and every DSN block or report line."""

import email
import email.message
import json
import re
import sys
from pathlib import Path

OUT = Path(sys.argv[1])
HELO = {"mx.pf-tx.example.com": "postfix", "mx.pf-rx.example.org": "postfix",
        "mx.ex-tx.example.com": "exim", "mx.ex-rx.example.org": "exim",
        "mx.os-tx.example.com": "opensmtpd", "mx.os-rx.example.org": "opensmtpd",
        "mx.sm-tx.example.com": "sendmail"}


def blocks(msg: email.message.Message) -> list[dict[str, str]]:
    found = []
    for part in msg.walk():
        if part.get_content_type() in ("message/delivery-status", "message/global-delivery-status"):
            payload = part.get_payload()
            for sub in payload[1:] if isinstance(payload, list) else []:
                found.append({k.lower(): " ".join(v.split()) for k, v in sub.items()})
    return found


rows = []
for line in open(OUT / "index.jsonl"):
    r = json.loads(line)
    raw = (OUT / r["file"]).read_bytes()
    msg = email.message_from_bytes(raw)
    tags = sorted(set(t.decode() for t in re.findall(rb"r19m\.[a-z]+\.[a-z0-9-]+", raw)))
    dsn = re.search(rb"(?im)^content-type:\s*message/(global-)?delivery-status", raw) is not None
    rows.append({"file": r["file"], "mta": HELO[r["helo"]], "helo": r["helo"], "tags": tags,
                 "type": "dsn" if dsn else "bounce", "subject": msg["Subject"],
                 "blocks": blocks(msg)})
print(json.dumps(rows, ensure_ascii=False, indent=1))
