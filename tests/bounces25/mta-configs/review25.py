"""Round 25 part m: list what each collected bounce says (email package only): the situation
(Message-ID r25m.<sid> of the returned message), Subject, and per recipient the DSN fields."""
import email
import email.policy
import re
import sys
from pathlib import Path

for path in sys.argv[1:]:
    raw = Path(path).read_bytes()
    m = email.message_from_bytes(raw, policy=email.policy.compat32)
    sids = sorted(set(re.findall(rb"r25m\.([A-Za-z0-9_.-]+?)@", raw)))
    print(f"== {Path(path).name}  sid={[s.decode() for s in sids]}  from={m['From']!r}  subj={m['Subject']!r}  ct={m.get_content_type()}")
    for part in m.walk():
        if part.get_content_type() in ("message/delivery-status", "message/global-delivery-status"):
            blocks = part.get_payload()
            for b in blocks[1:]:
                print("   ", {k: re.sub(r"\s+", " ", str(v))[:200] for k, v in b.items() if k.lower() in ("final-recipient", "action", "status", "diagnostic-code")})
