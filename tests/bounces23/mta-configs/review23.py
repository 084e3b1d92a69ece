"""Round 23 part m: print, for every collected file, the returned Message-ID and each
recipient's Action, Status and Diagnostic-Code from the message/delivery-status part."""

import email
import re
import sys
from email import policy
from pathlib import Path

for path in sorted(Path(sys.argv[1]).glob("*.eml")):
    raw = path.read_bytes()
    msg = email.message_from_bytes(raw, policy=policy.compat32)
    ids = sorted(set(re.findall(rb"<r23m\.[^>]+>", raw)))
    print(f"== {path.name} subj={msg['Subject']!r} ct={msg.get_content_type()} ids={ids}")
    for part in msg.walk():
        if part.get_content_type() == "message/delivery-status":
            for block in part.get_payload()[1:]:
                print("   ", block.get("Final-Recipient"), "|", block.get("Action"), "|",
                      block.get("Status"), "|", str(block.get("Diagnostic-Code"))[:160])
