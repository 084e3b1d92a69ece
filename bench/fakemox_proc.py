"""tests/fakemox.FakeMox in a process of its own, for the benchmarks.

    python bench/fakemox_proc.py [--preload N]

Prints "READY <port>", then answers one command per line on standard input:
"calls" prints a JSON object {method: count} of webapi/admin calls so far,
"reset" clears the call log, "count" prints the number of suppressions, "quit" ends.

The fake's list is a Python list searched linearly on every add (fine for tests);
here an index by (account, base address) makes add O(1), so the figures measure
moxhooks, not the fake. The wire behaviour is the fake's, unchanged.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from data import addresses
from fakemox import FakeMox


class IndexedFakeMox(FakeMox):
    """FakeMox with an index on (account, base address) for its suppression list."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self._index: set[tuple[str, str]] = set()

    def _listed(self, account: str, base: str) -> bool:
        return (account, base) in self._index

    def _suppression_add(
        self, account: str, address: str, manual: bool, reason: str
    ) -> dict[str, Any]:
        sup = super()._suppression_add(account, address, manual, reason)
        self._index.add((account, sup["BaseAddress"]))
        return sup

    def remove_suppression(self, account: str, address: str) -> bool:
        removed = super().remove_suppression(account, address)
        self._index = {(s["Account"], s["BaseAddress"]) for s in self._suppressions}
        return removed

    def suppressions(self, account: str) -> list[dict[str, Any]]:
        # Shallow copies: the list is serialised right away (the parent deep-copies).
        return [dict(s) for s in self._suppressions if s["Account"] == account]


async def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--preload", type=int, default=0, help="suppressions to start with")
    p.add_argument("--seed", type=int, default=99)
    a = p.parse_args()
    fake = IndexedFakeMox()
    for addr in addresses(a.preload, a.seed):
        fake._suppression_add("mox", addr, False, "550 5.1.1 preloaded")
    await fake.start()
    print(f"READY {fake.port}", flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    try:
        while True:
            line = (await reader.readline()).decode().strip()
            if line in ("", "quit"):
                break
            if line == "calls":
                print(json.dumps(Counter(c[1] for c in fake.calls)), flush=True)
            elif line == "reset":
                fake.calls.clear()
                print("{}", flush=True)
            elif line == "count":
                print(json.dumps(len(fake._suppressions)), flush=True)
            else:
                print(json.dumps({"error": f"unknown command {line!r}"}), flush=True)
    finally:
        await fake.stop()


if __name__ == "__main__":
    asyncio.run(main())
