"""Score moxhooks' classifier and report parser against the labelled bounce data.

    python tools/score_bounces.py                  # every part: figures and confusion tables
    python tools/score_bounces.py --misses train   # also list the training part's disagreements
    python tools/score_bounces.py --split          # draw the split (once; refuses if it exists)

The data: `tests/bounces/replies/*.jsonl` (SMTP reply lines), `tests/bounces/messages/`
(bounce messages with `expected.json`), and `tests/corpus/` (the older corpus). The split into
a training part and a test part is `tests/bounces/split.json`, drawn once at random with the
seed recorded there; rules are written from the training part only, the test part is scored.

Figures per part: kind agreement, suppress-now agreement (both say "suppress at once" or both
do not), wrong immediate suppressions (moxhooks suppresses at once, the label does not), and
missed immediate suppressions (the reverse).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from moxhooks.kinds import Kind  # noqa: E402
from moxhooks.mail.classify import classify_failure  # noqa: E402
from moxhooks.mail.reports import parse_report  # noqa: E402

BOUNCES = ROOT / "tests" / "bounces"
CORPUS = ROOT / "tests" / "corpus"
SPLIT = BOUNCES / "split.json"
IMMEDIATE = {Kind.MAILBOX_UNKNOWN.value, Kind.DOMAIN_UNKNOWN.value, Kind.MAILBOX_DISABLED.value}
SEED = 20261204
TEST_SHARE = 0.4


@dataclass(frozen=True)
class Item:
    """One labelled decision: a reply line, or one recipient of a message."""

    id: str
    label: str | None
    got: str | None
    text: str


def load_replies() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for path in sorted((BOUNCES / "replies").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rows.append(json.loads(line))
    return rows


def load_messages(folder: Path) -> dict[str, dict[str, object]]:
    path = folder / "expected.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def draw_split() -> None:
    """Draw the split once; the file, with its seed, is then part of the repository."""
    if SPLIT.exists():
        sys.exit(f"{SPLIT} exists: the split is drawn once and never again")
    rng = random.Random(SEED)
    replies = sorted(str(r["id"]) for r in load_replies())
    messages = sorted(load_messages(BOUNCES / "messages"))
    split = {
        "seed": SEED,
        "test_share": TEST_SHARE,
        "how": "random.Random(seed); each sorted id in turn is 'test' if rng.random() < test_share",
        "replies": {i: ("test" if rng.random() < TEST_SHARE else "train") for i in replies},
        "messages": {m: ("test" if rng.random() < TEST_SHARE else "train") for m in messages},
    }
    SPLIT.write_text(json.dumps(split, indent=1, sort_keys=True) + "\n")
    print(f"split written: {SPLIT}")


def reply_items(part: str, split: dict[str, dict[str, str]]) -> list[Item]:
    items = []
    for r in load_replies():
        rid = str(r["id"])
        if split["replies"].get(rid) != part:
            continue
        code = r.get("code") or 0
        got = classify_failure(int(code) if isinstance(code, int) else 0, str(r.get("enhanced") or ""),
                               str(r["text"]))
        items.append(Item(rid, str(r["kind"]), got.value, str(r["text"])))
    return items


def message_items(folder: Path, names: list[str]) -> list[Item]:
    expected = load_messages(folder)
    items = []
    for name in names:
        want = expected[name]
        got = parse_report((folder / name).read_bytes())
        by_address = {x.address.lower(): x for x in got.recipients}
        for rec in want["recipients"]:  # type: ignore[union-attr]
            parsed = by_address.get(rec["address"].lower())
            if parsed is None:
                kind = "(recipient not found)"
                reason = ""
            else:
                kind = parsed.kind.value if parsed.kind else "(none)"
                reason = parsed.diagnostic
            label = rec["kind"] if rec["kind"] is not None else "(none)"
            items.append(Item(f"{name} {rec['address']}", label, kind, reason))
    return items


def score(title: str, items: list[Item], misses: bool) -> dict[str, float]:
    n = len(items)
    if not n:
        print(f"\n## {title}: no items")
        return {}
    agree = sum(i.label == i.got for i in items)
    now = sum((i.label in IMMEDIATE) == (i.got in IMMEDIATE) for i in items)
    wrong_now = [i for i in items if i.got in IMMEDIATE and i.label not in IMMEDIATE]
    missed_now = [i for i in items if i.label in IMMEDIATE and i.got not in IMMEDIATE]
    print(f"\n## {title}: {n} items")
    print(f"kind agreement {100 * agree / n:.1f}% ({agree}/{n}); suppress-now agreement "
          f"{100 * now / n:.1f}% ({now}/{n}); wrong immediate suppressions {len(wrong_now)}; "
          f"missed immediate suppressions {len(missed_now)}")
    labels = sorted({i.label or "" for i in items} | {i.got or "" for i in items})
    table = Counter((i.label, i.got) for i in items)
    short = {k: k[:10] for k in labels}
    print("\nlabel \\ moxhooks | " + " | ".join(short[k] for k in labels))
    for a in labels:
        row = [str(table.get((a, b), "")) for b in labels]
        if any(row):
            print(f"{a} | " + " | ".join(row))
    if misses:
        print("\ndisagreements:")
        for i in items:
            if i.label != i.got:
                print(f"  {i.id}: label {i.label}, moxhooks {i.got}: {i.text[:300]}")
    return {"kind": agree / n, "now": now / n, "wrong_now": len(wrong_now)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--split", action="store_true", help="draw the split (once)")
    ap.add_argument("--misses", action="append", default=[], choices=["train", "test", "corpus"],
                    help="list the disagreements of this part")
    args = ap.parse_args()
    if args.split:
        draw_split()
        return
    split = json.loads(SPLIT.read_text())
    for part in ("train", "test"):
        score(f"reply lines, {part} part", reply_items(part, split), part in args.misses)
        names = sorted(m for m, p in split["messages"].items() if p == part)
        score(f"message recipients, {part} part", message_items(BOUNCES / "messages", names),
              part in args.misses)
    score("tests/corpus message recipients", message_items(CORPUS, sorted(load_messages(CORPUS))),
          "corpus" in args.misses)


if __name__ == "__main__":
    main()
