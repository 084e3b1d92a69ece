"""How often two labellers agree, and how moxhooks compares with each.

    python tools/labeller_agreement.py

Each `tests/bounces*/second-labelling.jsonl` holds a second, blind labelling of reply lines:
`tests/bounces/` 200 lines drawn at random (seed 20261206) from the test parts of rounds 2-9,
`tests/bounces10/` to `tests/bounces19/` every line of their rounds, labelled before their first
scorings were seen; `tests/bounces20/` every recipient of round 20's messages (an entry's id is
"<file> <address>", with `message` and `address`). The second labeller saw only each line's
source name, code, enhanced code and text (or the message, renamed), and `LABELLING.md`: not
the first labels, not moxhooks' classifier nor its output. The figures say how far the labels
themselves can be trusted: a classifier cannot be measured more finely than two careful readers
agree.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

from score_bounces import IMMEDIATE, load_messages, load_replies, message_items, reply_kind  # noqa: E402


def first_labels(round_: int) -> dict[str, dict[str, object]]:
    """The first labels of a round: its reply lines by id, and its messages' recipients by
    "<file> <address>" (with moxhooks' reading of the message beside each)."""
    folder = ROOT / "tests" / ("bounces" if round_ == 1 else f"bounces{round_}")
    labels: dict[str, dict[str, object]] = {str(row["id"]): row for row in load_replies(folder)}
    messages = folder / "messages"
    for item in message_items(messages, sorted(load_messages(messages))):
        name, address = item.id.split(" ", 1)
        labels[item.id] = {"kind": item.label, "text": f"{name}: {item.text}", "got": item.got,
                           "label_by": next(r["label_by"] for r in load_messages(messages)[name]["recipients"]
                                            if r["address"] == address)}
    return labels


def moxhooks_kind(first: dict[str, object]) -> str:
    """moxhooks' kind for a first label: the message's reading, or the reply line's."""
    if "got" in first:
        return str(first["got"])
    return reply_kind(first)


def share(n: int, of: int) -> str:
    return f"{n}/{of} ({100 * n / of:.1f}%)" if of else "0/0"


def main() -> None:
    for path in sorted((ROOT / "tests").glob("bounces*/second-labelling.jsonl")):
        print(f"## {path.relative_to(ROOT)}")
        report([json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()])


def report(second: list[dict[str, Any]]) -> None:
    by_round: dict[int, dict[str, dict[str, object]]] = {}
    rows = []
    for s in second:
        first = by_round.setdefault(int(s["round"]), first_labels(int(s["round"])))[s["id"]]
        rows.append((s, first, moxhooks_kind(first)))
    n = len(rows)
    print(f"{n} {'message recipients' if 'message' in second[0] else 'reply lines'} labelled twice")
    for title, part in (("all", rows), ("first label by the source", [r for r in rows if r[1].get("label_by") == "source"]),
                        ("first label by hand", [r for r in rows if r[1].get("label_by") == "hand"]),
                        ("second labeller sure", [r for r in rows if r[0]["sure"]])):
        m = len(part)
        both = sum(s["kind"] == f["kind"] for s, f, _ in part)
        now = sum((s["kind"] in IMMEDIATE) == (f["kind"] in IMMEDIATE) for s, f, _ in part)
        first_mox = sum(g == f["kind"] for _, f, g in part)
        second_mox = sum(g == s["kind"] for s, _, g in part)
        print(f"  {title}: {m} lines; the two labellers agree on the kind {share(both, m)}, on "
              f"suppress-now {share(now, m)}; moxhooks agrees with the first {share(first_mox, m)}, "
              f"with the second {share(second_mox, m)}")
    split = Counter("moxhooks = first" if g == f["kind"] else "moxhooks = second" if g == s["kind"] else "moxhooks = neither"
                    for s, f, g in rows if s["kind"] != f["kind"])
    print(f"  where the labellers disagree ({sum(split.values())}): " + ", ".join(f"{k} {v}" for k, v in sorted(split.items())))
    for s, f, g in rows:
        if s["kind"] != f["kind"]:
            print(f"    {s['id']}: first {f['kind']}, second {s['kind']}{'' if s['sure'] else ' (not sure)'}, "
                  f"moxhooks {g}: {str(f['text'])[:100]}")


if __name__ == "__main__":
    main()
