"""Round 22 part m: a reading aid. For every collected file it prints the writer (From), the
situation tag found in the returned Message-ID, the DSN fields per recipient and, for reports
without a DSN part, the text lines that carry an SMTP reply. It reads with Python's email
package only; it decides nothing."""

import json
import re
import sys
from email import message_from_bytes, policy
from pathlib import Path

DIR = Path(sys.argv[1])
for line in open(DIR / "index.jsonl"):
    entry = json.loads(line)
    data = (DIR / entry["file"]).read_bytes()
    msg = message_from_bytes(data, policy=policy.default)
    tags = sorted(set(re.findall(rb"r22m\.[a-z]+\.[a-z0-9-]+", data)))
    out = {"file": entry["file"], "from": str(msg["From"]), "subject": str(msg["Subject"]),
           "tags": [t.decode() for t in tags], "dsn": []}
    for part in msg.walk():
        if part.get_content_type() == "message/delivery-status":
            for block in part.get_payload()[1:]:
                out["dsn"].append({k: str(block[k]) for k in
                                   ("Final-Recipient", "Action", "Status", "Diagnostic-Code")
                                   if block[k]})
    if not out["dsn"]:
        text = data.decode("utf-8", "replace")
        out["lines"] = [ln.strip() for ln in text.splitlines()
                        if re.search(r"\b[245]\d\d[ -]|error|fail|delay", ln, re.I)][:8]
    print(json.dumps(out, ensure_ascii=False))
