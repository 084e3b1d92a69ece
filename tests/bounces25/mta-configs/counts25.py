"""Round 25 part m: count messages and recipients of messages/expected.json by bounce writer,
receiver software and kind (for SOURCES-messages.md)."""
import collections
import json
import re
from pathlib import Path

d = json.loads((Path(__file__).resolve().parent.parent / "messages" / "expected.json").read_text())
RXSW = {"moxrx": "mox", "chrx": "chasquid", "hrrx": "Haraka", "qprx": "qpsmtpd", "pfrx": "Postfix + postgrey",
        "psrx": "Postfix postscreen (DNSBL)", "rlrx": "Postfix anvil rate limit", "mfrx": "Postfix + rspamd milter"}
AB = {"mailbox_unknown": "MU", "domain_unknown": "DU", "mailbox_disabled": "MD", "mailbox_full": "MF",
      "content_rejected": "CR", "sender_blocked": "SB", "rate_limited": "RL", "message_too_large": "TL",
      "expired": "EX", "transient": "TR", "undetermined": "UN"}


def table(key, title):
    msgs, rcps, kinds, warn = collections.Counter(), collections.Counter(), collections.defaultdict(collections.Counter), collections.Counter()
    for name, v in d.items():
        k = key(name)
        msgs[k] += 1
        rcps[k] += len(v["recipients"])
        if "-delay" in name:
            warn[k] += 1
        for r in v["recipients"]:
            kinds[k][r["kind"]] += 1
    print(f"| {title} | messages | recipients | of them delay notices | by kind |\n| --- | --- | --- | --- | --- |")
    for k in sorted(msgs, key=lambda x: -msgs[x]):
        ks = ", ".join(f"{AB[x]} {n}" for x, n in sorted(kinds[k].items(), key=lambda i: list(AB).index(i[0])))
        print(f"| {k} | {msgs[k]} | {rcps[k]} | {warn[k]} | {ks} |")
    allk = collections.Counter()
    for c in kinds.values():
        allk.update(c)
    print(f"| **all** | **{sum(msgs.values())}** | **{sum(rcps.values())}** | {sum(warn.values())} | "
          + ", ".join(f"{AB[x]} {n}" for x, n in sorted(allk.items(), key=lambda i: list(AB).index(i[0]))) + " |\n")


def rx(name):
    m = re.match(r"[a-z]+-([a-z]+rx)-", name)
    return RXSW[m.group(1)] if m else "none (the sender's own DNS or connection)"


table(lambda n: n.split("-")[0], "bounce writer")
table(rx, "refusing receiver software")
sizes = collections.Counter(len(v["recipients"]) for v in d.values())
print("recipients per message:", dict(sorted(sizes.items())))
print("types:", dict(collections.Counter(v["type"] for v in d.values())))
