"""Round 25 part m: list the collected files with the SID of the returned message and propose
names; writes collected-as.json (then edited by hand where a situation turned out otherwise:
"happened", "leave_out")."""
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from build25 import CHMAIL, MOXMAIL, SINK, WRITER, recipients

old = {}
p = Path(__file__).parent / "collected-as.json"
if p.exists():
    old = json.loads(p.read_text())
table, used = {}, {}
srcs = [("sink", f) for f in sorted(SINK.glob("*.eml"))] + [("chmail", f) for f in sorted(CHMAIL.glob("*.eml"))] + [("moxmail", f) for f in sorted(MOXMAIL.glob("*.eml"))]
for where, f in srcs:
    raw = f.read_bytes()
    sids = sorted(set(re.findall(rb"r25m\.([A-Za-z0-9_.-]+?)@", raw)))
    sid = sids[0].decode() if sids else "?"
    typ, rcs = recipients(raw)
    actions = {r.get("action", "").lower() for r in rcs}
    spec = {"from": where, "sid": sid}
    if f.name in old:
        spec = old[f.name]
    else:
        pre, rest = sid.split("-", 1)
        rest = re.sub(r"-\d+$", "", rest)
        if rest == "prefill-carol":
            rest = "moxrx-over-quota"
        if actions and actions <= {"delivered", "relayed"}:
            spec["leave_out"] = "a success notice (NOTIFY=SUCCESS), not a failure"
        if actions == {"delayed"}:
            rest += "-delay"
        base = f"{WRITER[pre]}-{rest}"
        taken = {v["name"] for v in table.values()} | {v["name"] for v in old.values()}
        n = 1
        while base + ("" if n == 1 else f"-{n}") + ".eml" in taken:
            n += 1
        spec["name"] = base + ("" if n == 1 else f"-{n}") + ".eml"
    table[f.name] = spec
p.write_text(json.dumps(table, indent=1) + "\n")
for k, v in table.items():
    print(k, v["sid"], v.get("name"), v.get("leave_out", ""), v.get("happened", ""))
