"""Regenerate moxhooks/mail/_moxunicode.py, mox's Unicode tables, from the Unicode data files.

moxhooks.address follows mox's address rules exactly, so it needs the character properties
as mox's Go packages have them (Go's unicode and strconv, golang.org/x/text's unicode/norm
and unicode/bidi, golang.org/x/net/idna), which are newer than Python's unicodedata. The
module holds them as range tables; this program computes each one from the Unicode
Character Database (UCD) the way those packages' generators do, and writes the module
byte for byte as committed (header, compact JSON, zlib level 9, base64 in lines of 96).

Run it when mox moves to a new Unicode version:

    python3.11 tools/gen_moxunicode.py UCD_DIR IDNA_DIR [-o moxhooks/mail/_moxunicode.py]
    python3.11 tools/gen_moxunicode.py UCD_DIR IDNA_DIR --check   # exit 1 if it differs

UCD_DIR is the version's `ucd/` directory from the Unicode Consortium's Public/<version>/
(https://www.unicode.org/Public/17.0.0/ucd/), unzipped from UCD.zip; it must hold
UnicodeData.txt, DerivedCoreProperties.txt, DerivedNormalizationProps.txt, PropList.txt,
extracted/DerivedBidiClass.txt and extracted/DerivedJoiningType.txt. IDNA_DIR is the same
version's `idna/` directory, holding IdnaMappingTable.txt. Run it with Python 3.11: the
decomp table holds exactly the decompositions that Python 3.11's unicodedata (Unicode 14)
lacks, and the program refuses another unicodedata version.

Where each table comes from (the names are those of the module's header):

- lower: UnicodeData.txt's simple lowercase mapping, as Go's unicode.ToLower;
- print: general category L, M, N, P or S, or U+0020 (Go's strconv.IsPrint);
- ccc: UnicodeData.txt's canonical combining class (what norm's Properties.CCC gives);
- bidi: extracted/DerivedBidiClass.txt, then x/text/unicode/bidi's defaults for the code
  points it does not list (Arabic and Hebrew blocks, currency symbols, noncharacters and
  default-ignorables), the explicit formatting characters split as Properties.Class does;
- idna: x/net/idna's attributes: from IdnaMappingTable.txt (mapped, deviation: 0), the
  joining type of DerivedJoiningType.txt, mark (modifier), ccc 9 (virama) and a bidi class
  R, AL or AN (rtl), combined as x/text/internal/export/idna/gen.go does;
- assigned: a general category other than Cn;
- pairs: every canonical composition (a decomposition of two code points, not a
  Full_Composition_Exclusion), Hangul being algorithmic and so absent;
- decomp, compose: the full canonical decompositions that Python's unicodedata does not
  know, and the pairs that compose to them.
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import sys
import unicodedata
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MODULE = ROOT / "moxhooks" / "mail" / "_moxunicode.py"
MAX = 0x110000
PYTHON_UNICODE = "14.0.0"  # Python 3.11's unicodedata, the oldest moxhooks runs on

# x/text/unicode/bidi's Class values (trieval.go), LRO..PDI as Properties.Class returns them.
BIDI = {
    "L": 0, "R": 1, "EN": 2, "ES": 3, "ET": 4, "AN": 5, "CS": 6, "B": 7, "S": 8, "WS": 9,
    "ON": 10, "BN": 11, "NSM": 12, "AL": 13,
    "LRO": 16, "RLO": 17, "LRE": 18, "RLE": 19, "PDF": 20, "LRI": 21, "RLI": 22, "FSI": 23,
    "PDI": 24,
}  # fmt: skip
# x/text/unicode/bidi gen_ranges.go: defaults for code points DerivedBidiClass.txt omits.
BIDI_DEFAULT_RANGES = [
    ("AL", [(0x0600, 0x07BF), (0x08A0, 0x08FF), (0xFB50, 0xFDCF), (0xFDF0, 0xFDFF),
            (0xFE70, 0xFEFF), (0x1EE00, 0x1EEFF)]),
    ("R", [(0x0590, 0x05FF), (0x07C0, 0x089F), (0xFB1D, 0xFB4F), (0x10800, 0x10FFF),
           (0x1E800, 0x1EDFF), (0x1EF00, 0x1EFFF)]),
    ("ET", [(0x20A0, 0x20CF)]),
]  # fmt: skip
JOINING = {"L": 1, "D": 2, "T": 3, "R": 4}
IDNA_MAPPED = {"mapped", "deviation", "disallowed_STD3_mapped"}

HEADER = '''\
"""Unicode {major} character data exactly as mox {mox} uses it (generated; do not edit).

mox is built with Go {go}, whose unicode package, golang.org/x/text (unicode/norm,
unicode/bidi) and golang.org/x/net/idna tables are Unicode {version}. Python's
unicodedata is older (Unicode {py_major} on Python 3.11) and the idna package's tables follow
its own release, so moxhooks.address takes the properties that decide an address from
here instead: they were dumped, one code point at a time, by a Go program compiled
against mox's vendored packages at the {mox} commit:

- lower: unicode.ToLower (what strings.ToLower does per rune), as a delta;
- print: strconv.IsPrint (what %q leaves unescaped);
- ccc: norm.NFC.PropertiesString(r).CCC(), the canonical combining class;
- bidi: bidi.LookupRune(r).Class() (x/text/unicode/bidi: 0 L, 1 R, 2 EN, 3 ES, 4 ET,
  5 AN, 6 CS, 7 B, 8 S, 9 WS, 10 ON, 11 BN, 12 NSM, 13 AL, 14 Control);
- idna: x/net/idna's trie attributes: joining type * 8 + modifier * 4 + virama * 2 + rtl
  (joining types 1 L, 2 D, 3 T, 4 R; all 0 for mapped runes, as in x/net/idna);
- assigned: unicode.In(r, L, M, N, P, S, Z, C), i.e. assigned in Unicode {major};
- pairs: every canonical composition (a, b) -> c but Hangul, which x/text/unicode/norm
  looks up by the low 16 bits of a and b (so U+10041 U+0301 composes to U+00C1);
- decomp: norm.NFD for the code points whose decomposition Python 3.11's unicodedata
  does not know (assigned after Unicode {py_major}), and compose: the canonical pairs that
  compose to them in NFC.

Each range table is [starts as deltas, values]: value i holds from start i up to start
i+1. The blob is zlib-compressed JSON in base64.
"""

from __future__ import annotations

import base64
import json
import zlib
from typing import Any

_BLOB = (
'''

FOOTER = '''\
)

TABLES: dict[str, Any] = json.loads(zlib.decompress(base64.b64decode("".join(_BLOB))))
'''


# ---------------------------------------------------------------- reading the UCD


def parse(path: Path) -> Iterator[tuple[range, list[str]]]:
    """The data lines of a UCD file: (code points, the other fields). Comments (and with
    them the `# @missing` lines) are skipped, as x/text's ucd parser does."""
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            fields = [x.strip() for x in line.split(";")]
            first, _, last = fields[0].partition("..")
            lo = int(first, 16)
            yield range(lo, int(last or first, 16) + 1), fields[1:]


def unicode_data(path: Path) -> dict[int, list[str]]:
    """UnicodeData.txt by code point, its "<..., First>"/"<..., Last>" ranges expanded."""
    out: dict[int, list[str]] = {}
    start: int | None = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            fields = line.rstrip("\n").split(";")
            cp = int(fields[0], 16)
            if fields[1].endswith(", First>"):
                start = cp
                continue
            if fields[1].endswith(", Last>"):
                assert start is not None
                for c in range(start, cp + 1):
                    out[c] = fields
                start = None
                continue
            out[cp] = fields
    return out


def version_of(path: Path) -> str:
    """The Unicode version a UCD file names in its first line ("# DerivedBidiClass-17.0.0.txt")."""
    first = path.read_text(encoding="utf-8").split("\n", 1)[0]
    m = re.search(r"-(\d+\.\d+\.\d+)\.txt", first)
    if not m:
        raise SystemExit(f"{path}: no version in its first line")
    return m.group(1)


# ---------------------------------------------------------------- the tables


def bidi_classes(ucd: Path) -> list[int]:
    """bidi.LookupRune(r).Class() for every code point (x/text/unicode/bidi gen.go)."""
    out: list[int | None] = [None] * MAX
    for cps, (cls, *_) in parse(ucd / "extracted" / "DerivedBidiClass.txt"):
        for c in cps:
            if out[c] is None:
                out[c] = BIDI[cls]

    def default(c: int, cls: str) -> None:
        if out[c] is None:
            out[c] = BIDI[cls]

    for cls, ranges in BIDI_DEFAULT_RANGES:
        for lo, hi in ranges:
            for c in range(lo, hi + 1):
                default(c, cls)
    for cps, (prop, *_) in parse(ucd / "PropList.txt"):
        if prop == "Noncharacter_Code_Point":
            for c in cps:
                default(c, "BN")
    for cps, (prop, *_) in parse(ucd / "DerivedCoreProperties.txt"):
        if prop == "Default_Ignorable_Code_Point":
            for c in cps:
                default(c, "BN")
    return [BIDI["L"] if v is None else v for v in out]


def idna_attributes(ucd: Path, idna: Path, data: dict[int, list[str]], bidi: list[int]) -> list[int]:
    """x/net/idna's per-rune attributes (x/text/internal/export/idna/gen.go), as
    joining type * 8 + modifier * 4 + virama * 2 + rtl; 0 for mapped runes."""
    virama_modifier, modifier, rtl = 0x1800, 0x1000, 0x0800
    runes = [0] * MAX
    for c, fields in data.items():
        if int(fields[3]) == 9:
            runes[c] = virama_modifier
        if fields[2].startswith("M"):
            runes[c] |= modifier
        if bidi[c] in (BIDI["R"], BIDI["AL"], BIDI["AN"]):
            runes[c] = rtl
    joining = [0] * MAX
    for cps, (jt, *_) in parse(ucd / "extracted" / "DerivedJoiningType.txt"):
        if jt in JOINING:
            for c in cps:
                joining[c] = JOINING[jt]
    out = [0] * MAX
    for cps, (status, *_) in parse(idna / "IdnaMappingTable.txt"):
        if status in IDNA_MAPPED:
            continue
        for c in cps:
            if 0xD800 <= c <= 0xDFFF:
                continue  # not a valid rune; x/net/idna has no entry for it
            attrs = runes[c] & 0x1800
            out[c] = (
                joining[c] * 8
                + (attrs & modifier == modifier) * 4
                + (attrs == virama_modifier) * 2
                + (attrs == rtl)
            )
    return out


def compositions(ucd: Path, data: dict[int, list[str]]) -> list[tuple[int, int, int]]:
    """(a, b, c) for every canonical composition a + b -> c, in the order of c."""
    excluded: set[int] = set()
    for cps, (prop, *_) in parse(ucd / "DerivedNormalizationProps.txt"):
        if prop == "Full_Composition_Exclusion":
            excluded.update(cps)
    out = []
    for c, fields in data.items():
        decomp = fields[5]
        if not decomp or decomp.startswith("<") or c in excluded:
            continue
        parts = [int(x, 16) for x in decomp.split()]
        if len(parts) == 2:
            out.append((parts[0], parts[1], c))
    return sorted(out, key=lambda p: p[2])


def nfd(c: int, data: dict[int, list[str]]) -> list[int]:
    """The full canonical decomposition of c, in canonical order (Hangul aside)."""
    decomp = data.get(c, [""] * 6)[5]
    if not decomp or decomp.startswith("<"):
        return [c]
    out = [x for part in decomp.split() for x in nfd(int(part, 16), data)]
    # Canonical ordering: a stable sort of each run of non-starters by combining class.
    ccc = [int(data[x][3]) if x in data else 0 for x in out]
    i = 0
    while i < len(out):
        if ccc[i] == 0:
            i += 1
            continue
        j = i
        while j < len(out) and ccc[j] != 0:
            j += 1
        run = sorted(zip(ccc[i:j], out[i:j], strict=True), key=lambda t: t[0])
        out[i:j] = [x for _, x in run]
        ccc[i:j] = [k for k, _ in run]
        i = j
    return out


def ranges(value: Callable[[int], int]) -> list[list[int]]:
    """A range table [starts as deltas, values] over every rune. Surrogates are no runes:
    they are skipped, so the range before them runs on over them and a new one starts at
    U+E000 whatever its value (as the Go program that first dumped the tables did)."""
    starts: list[int] = []
    values: list[int] = []
    previous = -1
    for c in range(MAX):
        if 0xD800 <= c <= 0xDFFF:
            continue
        v = value(c)
        if not values or values[-1] != v or c != previous + 1:
            starts.append(c)
            values.append(v)
        previous = c
    deltas = [starts[0]] + [b - a for a, b in zip(starts, starts[1:], strict=False)]
    return [deltas, values]


def tables(ucd: Path, idna: Path) -> dict[str, Any]:
    """Every table of the module, computed from the UCD and the IDNA mapping table."""
    if unicodedata.unidata_version != PYTHON_UNICODE:
        raise SystemExit(
            f"run with Python 3.11: its unicodedata is Unicode {PYTHON_UNICODE}, this one's"
            f" {unicodedata.unidata_version}"
        )
    data = unicode_data(ucd / "UnicodeData.txt")
    bidi = bidi_classes(ucd)

    def category(c: int) -> str:
        return data[c][2] if c in data else "Cn"

    def lower(c: int) -> int:
        mapped = data[c][13] if c in data else ""
        return int(mapped, 16) - c if mapped else 0

    def printable(c: int) -> int:
        return int(category(c)[0] in "LMNPS" or c == 0x20)

    def ccc(c: int) -> int:
        return int(data[c][3]) if c in data else 0

    idna_attrs = idna_attributes(ucd, idna, data, bidi)
    pairs = compositions(ucd, data)
    decomp: dict[str, list[int]] = {}
    for c in sorted(data):
        full = nfd(c, data)
        if full != [c] and unicodedata.normalize("NFD", chr(c)) != "".join(map(chr, full)):
            decomp[str(c)] = full
    compose = {f"{a},{b}": c for a, b, c in pairs if str(c) in decomp}
    return {
        "lower": ranges(lower),
        "print": ranges(printable),
        "ccc": ranges(ccc),
        "bidi": ranges(bidi.__getitem__),
        "idna": ranges(idna_attrs.__getitem__),
        "assigned": ranges(lambda c: int(category(c) != "Cn")),
        "pairs": [list(p) for p in pairs],
        "decomp": decomp,
        "compose": compose,
    }


# ---------------------------------------------------------------- writing the module


def render(tables: dict[str, Any], *, version: str, mox: str, go: str) -> str:
    """The module's text for tables: the header, then the blob in lines of 96 characters."""
    blob = base64.b64encode(
        zlib.compress(json.dumps(tables, separators=(",", ":")).encode(), 9)
    ).decode()
    header = HEADER.format(
        major=version.split(".")[0],
        version=version,
        mox=mox,
        go=go,
        py_major=PYTHON_UNICODE.split(".")[0],
    )
    lines = "".join(f'    "{blob[i : i + 96]}"\n' for i in range(0, len(blob), 96))
    return header + lines + FOOTER


def main(argv: list[str] | None = None) -> int:
    """Regenerate the module (or --check it) from UCD_DIR and IDNA_DIR."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    p.add_argument("ucd", type=Path, metavar="UCD_DIR", help="the version's ucd/ directory")
    p.add_argument("idna", type=Path, metavar="IDNA_DIR", help="the version's idna/ directory")
    p.add_argument("-o", "--output", type=Path, default=MODULE, help=f"default: {MODULE}")
    p.add_argument("--mox", default="v0.0.17", help="the mox version the tables are for")
    p.add_argument("--go", default="1.27", help="the Go version that mox is built with")
    p.add_argument("--check", action="store_true", help="compare with the file; exit 1 if different")
    args = p.parse_args(argv)
    version = version_of(args.ucd / "extracted" / "DerivedBidiClass.txt")
    text = render(tables(args.ucd, args.idna), version=version, mox=args.mox, go=args.go)
    if args.check:
        same = args.output.read_text(encoding="utf-8") == text
        print(f"{args.output}: {'the same' if same else 'differs'}")
        return 0 if same else 1
    args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
