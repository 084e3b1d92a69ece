"""Score moxhooks' classifier and report parser against the labelled bounce data.

    python tools/score_bounces.py                   # every round: figures and confusion tables
    python tools/score_bounces.py --round 1         # round 1 (and tests/corpus) only
    python tools/score_bounces.py --misses train    # also list round 1's training disagreements
    python tools/score_bounces.py --misses train3   # ... or round 3's
    python tools/score_bounces.py --split --round 4 # draw round 4's split (once; refuses if it exists)
    python tools/score_bounces.py --review 4        # list round 4's test disagreements, once, to a file

The data, round 1: `tests/bounces/replies/*.jsonl` (SMTP reply lines), `tests/bounces/messages/`
(bounce messages with `expected.json`), and `tests/corpus/` (the older corpus). Each later round
(`tests/bounces2` to `tests/bounces5`) was gathered from new sources after the
round before had been read, laid out the same way. Each round is split once at random into a
training part and a test part (`split.json` beside the data, seed recorded there); rules are
written from a training part only, a test part is scored. A later round's test part is read
once: `--review N` writes its disagreements to `test-disagreements.txt` beside the data (refused
if that file exists), for the hand review (`REVIEW.md`). Until then, `--misses testN` is refused:
a test part nobody has read is the only measure of bounces no rule was written from.

A reply line with an `event` (a mox webhook event's fields) is read as the worker reads that
event (`classify_event`); any other as a reply alone (`classify_failure`).

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
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from moxhooks.kinds import Kind  # noqa: E402
from moxhooks.mail.classify import classify_event, classify_failure  # noqa: E402
from moxhooks.mail.reports import parse_report  # noqa: E402

BOUNCES = ROOT / "tests" / "bounces"
CORPUS = ROOT / "tests" / "corpus"
SPLIT = BOUNCES / "split.json"
IMMEDIATE = {Kind.MAILBOX_UNKNOWN.value, Kind.DOMAIN_UNKNOWN.value, Kind.MAILBOX_DISABLED.value}
SEED = 20261204
TEST_SHARE = 0.4
# Each later round N lives in tests/bounces<N>, split once (half for testing) with its seed.
LATER_SEEDS = {2: 20261206, 3: 20261207, 4: 20261208, 5: 20261209, 6: 20261210, 7: 20261211, 8: 20261212, 9: 20261213, 10: 20261214, 11: 20261215, 12: 20261216, 13: 20261217, 14: 20261218, 15: 20261219, 16: 20261220, 17: 20261221, 18: 20261222, 19: 20261223, 20: 20261224, 21: 20261225, 22: 20261226, 23: 20261227, 24: 20261228, 25: 20261229, 26: 20261230}
# round -> (folder, split file, seed, test share)
LATER_ROUNDS = {
    n: (ROOT / "tests" / f"bounces{n}", ROOT / "tests" / f"bounces{n}" / "split.json", seed, 0.5)
    for n, seed in LATER_SEEDS.items()
}
BOUNCES2 = LATER_ROUNDS[2][0]
REVIEW_LIST = "test-disagreements.txt"


def unread(round_: int) -> str:
    return (f"the test part of round {round_} has not been read: it measures bounces no rule was "
            f"written from. Rules come from training parts; `--review {round_}` lists its "
            f"disagreements once, for the hand review")


@dataclass(frozen=True)
class Item:
    """One labelled decision: a reply line, or one recipient of a message."""

    id: str
    label: str | None
    got: str | None
    text: str


def load_replies(folder: Path = BOUNCES) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for path in sorted((folder / "replies").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rows.append(json.loads(line))
    return rows


def load_messages(folder: Path) -> dict[str, dict[str, Any]]:
    path = folder / "expected.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def draw_split(folder: Path = BOUNCES, path: Path = SPLIT, seed: int = SEED,
               test_share: float = TEST_SHARE) -> None:
    """Draw a round's split once; the file, with its seed, is then part of the repository."""
    if path.exists():
        sys.exit(f"{path} exists: the split is drawn once and never again")
    rng = random.Random(seed)
    replies = sorted(str(r["id"]) for r in load_replies(folder))
    messages = sorted(load_messages(folder / "messages"))
    split = {
        "seed": seed,
        "test_share": test_share,
        "how": "random.Random(seed); each sorted id in turn is 'test' if rng.random() < test_share",
        "replies": {i: ("test" if rng.random() < test_share else "train") for i in replies},
        "messages": {m: ("test" if rng.random() < test_share else "train") for m in messages},
    }
    path.write_text(json.dumps(split, indent=1, sort_keys=True) + "\n")
    print(f"split written: {path}")


def reply_items(part: str, split: dict[str, dict[str, str]], folder: Path = BOUNCES) -> list[Item]:
    items = []
    for r in load_replies(folder):
        rid = str(r["id"])
        if split["replies"].get(rid) != part:
            continue
        items.append(Item(rid, str(r["kind"]), reply_kind(r), str(r["text"])))
    return items


def reply_kind(row: dict[str, object]) -> str:
    """moxhooks' kind for a reply line; a mox webhook event's (`event` given) as production reads it."""
    code = row.get("code") or 0
    code = code if isinstance(code, int) else 0
    if row.get("event"):
        kind = classify_event(str(row["event"]), code, str(row.get("enhanced") or ""), str(row["text"]))
        return kind.value if kind else "(none)"
    return classify_failure(code, str(row.get("enhanced") or ""), str(row["text"])).value


def message_items(folder: Path, names: list[str]) -> list[Item]:
    expected = load_messages(folder)
    items = []
    for name in names:
        want = expected[name]
        got = parse_report((folder / name).read_bytes())
        by_address = {x.address.lower(): x for x in got.recipients}
        for rec in want["recipients"]:
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


def score_round1(misses: list[str]) -> None:
    split = json.loads(SPLIT.read_text())
    for part in ("train", "test"):
        score(f"reply lines, {part} part", reply_items(part, split), part in misses)
        names = sorted(m for m, p in split["messages"].items() if p == part)
        score(f"message recipients, {part} part", message_items(BOUNCES / "messages", names),
              part in misses)
    score("tests/corpus message recipients", message_items(CORPUS, sorted(load_messages(CORPUS))),
          "corpus" in misses)


def score_later_round(round_: int, misses: list[str]) -> None:
    """A later round's figures; its test part's disagreements only once that part was reviewed."""
    folder, split_path, _, _ = LATER_ROUNDS[round_]
    split = json.loads(split_path.read_text())
    for part in ("train", "test"):
        show = f"{part}{round_}" in misses
        score(f"reply lines, round {round_} {part}", reply_items(part, split, folder), show)
        names = sorted(m for m, p in split["messages"].items() if p == part)
        score(f"message recipients, round {round_} {part}", message_items(folder / "messages", names), show)


def write_review_list(round_: int) -> None:
    """List a later round's test disagreements once, to the file its hand review starts from."""
    folder, split_path, _, _ = LATER_ROUNDS[round_]
    out = folder / REVIEW_LIST
    if out.exists():
        sys.exit(f"{out} exists: a test part's disagreements are listed once")
    split = json.loads(split_path.read_text())
    names = sorted(m for m, p in split["messages"].items() if p == "test")
    lines = [f"# Round {round_} test part: every disagreement, listed once ({date.today().isoformat()})"]
    for title, found in (("replies", reply_items("test", split, folder)),
                         ("messages", message_items(folder / "messages", names))):
        lines.append(f"# {title}")
        lines += [f"- {i.id} | label {i.label} | moxhooks {i.got} | {' '.join(i.text.split())[:400]}"
                  for i in found if i.label != i.got]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"written: {out} ({len(lines) - 3} disagreements)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    rounds = ["1", *(str(r) for r in LATER_ROUNDS)]
    ap.add_argument("--split", action="store_true", help="draw the split of --round (once)")
    ap.add_argument("--round", choices=[*rounds, "all"], default="all",
                    help="which round of data to score (default: all)")
    ap.add_argument("--misses", action="append", default=[],
                    choices=["train", "test", "corpus", *(f"{p}{r}" for r in LATER_ROUNDS for p in ("train", "test"))],
                    help="list the disagreements of this part (a later round's test part only once reviewed)")
    ap.add_argument("--review", type=int, choices=sorted(LATER_ROUNDS),
                    help="write this round's test disagreements to its test-disagreements.txt (once)")
    args = ap.parse_args()
    for round_, (folder, _, _, _) in LATER_ROUNDS.items():
        if f"test{round_}" in args.misses and not (folder / REVIEW_LIST).exists():
            sys.exit(unread(round_))
    if args.review:
        write_review_list(args.review)
        return
    if args.split:
        if args.round == "1":
            draw_split()
        elif args.round in rounds:
            folder, split_path, seed, share = LATER_ROUNDS[int(args.round)]
            draw_split(folder, split_path, seed, share)
        else:
            sys.exit("--split needs --round " + ", ".join(rounds))
        return
    if args.round in ("1", "all"):
        score_round1(args.misses)
    for round_, (_, split_path, _, _) in LATER_ROUNDS.items():
        if args.round in (str(round_), "all") and split_path.exists():
            score_later_round(round_, args.misses)


if __name__ == "__main__":
    main()
