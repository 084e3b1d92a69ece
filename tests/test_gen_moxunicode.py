"""tools/gen_moxunicode.py: the writer reproduces moxhooks/mail/_moxunicode.py byte for byte
from its tables, and the tables computed from UCD files agree with the committed ones.

The whole UCD is not shipped with the tests (it is several megabytes); an excerpt of the
real Unicode 17.0.0 files, for code points that exercise every rule, is written to a
directory and run through the same code that reads the full files.
"""

from __future__ import annotations

import bisect
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from moxhooks.mail import _moxunicode

ROOT = Path(__file__).parent.parent


def _load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_moxunicode", ROOT / "tools" / "gen_moxunicode.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_moxunicode"] = module
    spec.loader.exec_module(module)
    return module


gen = _load_tool()

# Lines of the Unicode 17.0.0 files, as they are there (ranges kept where the file has them,
# a few cut down to the code points used).
UCD = {
    "UnicodeData.txt": """\
0020;SPACE;Zs;0;WS;;;;;N;;;;;
0041;LATIN CAPITAL LETTER A;Lu;0;L;;;;;N;;;;0061;
0061;LATIN SMALL LETTER A;Ll;0;L;;;;;N;;;0041;;0041
00A0;NO-BREAK SPACE;Zs;0;CS;<noBreak> 0020;;;;N;NON-BREAKING SPACE;;;;
00C0;LATIN CAPITAL LETTER A WITH GRAVE;Lu;0;L;0041 0300;;;;N;LATIN CAPITAL LETTER A GRAVE;;;00E0;
00DF;LATIN SMALL LETTER SHARP S;Ll;0;L;;;;;N;;;;;
00E0;LATIN SMALL LETTER A WITH GRAVE;Ll;0;L;0061 0300;;;;N;LATIN SMALL LETTER A GRAVE;;00C0;;00C0
0300;COMBINING GRAVE ACCENT;Mn;230;NSM;;;;;N;NON-SPACING GRAVE;;;;
0301;COMBINING ACUTE ACCENT;Mn;230;NSM;;;;;N;NON-SPACING ACUTE;;;;
0307;COMBINING DOT ABOVE;Mn;230;NSM;;;;;N;NON-SPACING DOT ABOVE;;;;
0340;COMBINING GRAVE TONE MARK;Mn;230;NSM;0300;;;;N;NON-SPACING GRAVE TONE MARK;;;;
05B4;HEBREW POINT HIRIQ;Mn;14;NSM;;;;;N;;;;;
05D0;HEBREW LETTER ALEF;Lo;0;R;;;;;N;;;;;
05D9;HEBREW LETTER YOD;Lo;0;R;;;;;N;;;;;
0628;ARABIC LETTER BEH;Lo;0;AL;;;;;N;ARABIC LETTER BAA;;;;
0660;ARABIC-INDIC DIGIT ZERO;Nd;0;AN;;0;0;0;N;;;;;
094D;DEVANAGARI SIGN VIRAMA;Mn;9;NSM;;;;;N;;;;;
200D;ZERO WIDTH JOINER;Cf;0;BN;;;;;N;;;;;
202A;LEFT-TO-RIGHT EMBEDDING;Cf;0;LRE;;;;;N;;;;;
2066;LEFT-TO-RIGHT ISOLATE;Cf;0;LRI;;;;;N;;;;;
4E00;<CJK Ideograph, First>;Lo;0;L;;;;;N;;;;;
9FFF;<CJK Ideograph, Last>;Lo;0;L;;;;;N;;;;;
FB1D;HEBREW LETTER YOD WITH HIRIQ;Lo;0;R;05D9 05B4;;;;N;;;;;
105C9;TODHRI LETTER EI;Lo;0;L;105D2 0307;;;;N;;;;;
105D2;TODHRI LETTER I;Lo;0;L;;;;;N;;;;;
""",
    "extracted/DerivedBidiClass.txt": """\
# DerivedBidiClass-17.0.0.txt
# @missing: 0590..05FF; Right_To_Left
0020          ; WS # Zs       SPACE
0041..005A    ; L # L&  [26] LATIN CAPITAL LETTER A..LATIN CAPITAL LETTER Z
0061..007A    ; L # L&  [26] LATIN SMALL LETTER A..LATIN SMALL LETTER Z
00A0          ; CS # Zs       NO-BREAK SPACE
00C0..00D6    ; L # L&  [23] LATIN CAPITAL LETTER A WITH GRAVE..LATIN CAPITAL LETTER O WITH DIAERESIS
00D8..00F6    ; L # L&  [31] LATIN CAPITAL LETTER O WITH STROKE..LATIN SMALL LETTER O WITH DIAERESIS
0300..036F    ; NSM # Mn [112] COMBINING GRAVE ACCENT..COMBINING LATIN SMALL LETTER X
05B4          ; NSM # Mn       HEBREW POINT HIRIQ
05D0..05EA    ; R # Lo  [27] HEBREW LETTER ALEF..HEBREW LETTER TAV
0620..063F    ; AL # Lo  [32] ARABIC LETTER KASHMIRI YEH..ARABIC LETTER FARSI YEH WITH THREE DOTS ABOVE
0660..0669    ; AN # Nd  [10] ARABIC-INDIC DIGIT ZERO..ARABIC-INDIC DIGIT NINE
094D          ; NSM # Mn       DEVANAGARI SIGN VIRAMA
200B..200D    ; BN # Cf   [3] ZERO WIDTH SPACE..ZERO WIDTH JOINER
202A          ; LRE # Cf       LEFT-TO-RIGHT EMBEDDING
2066          ; LRI # Cf       LEFT-TO-RIGHT ISOLATE
4E00..9FFF    ; L # Lo [20992] CJK UNIFIED IDEOGRAPH-4E00..CJK UNIFIED IDEOGRAPH-9FFF
FB1D          ; R # Lo       HEBREW LETTER YOD WITH HIRIQ
105C0..105F3  ; L # Lo  [52] TODHRI LETTER A..TODHRI LETTER OO
""",
    "extracted/DerivedJoiningType.txt": """\
# DerivedJoiningType-17.0.0.txt
0628          ; D # Lo       ARABIC LETTER BEH
094D          ; T # Mn       DEVANAGARI SIGN VIRAMA
200D          ; C # Cf       ZERO WIDTH JOINER
202A..202E    ; T # Cf   [5] LEFT-TO-RIGHT EMBEDDING..RIGHT-TO-LEFT OVERRIDE
0300..036F    ; T # Mn [112] COMBINING GRAVE ACCENT..COMBINING LATIN SMALL LETTER X
""",
    "DerivedNormalizationProps.txt": """\
# DerivedNormalizationProps-17.0.0.txt
0340..0341    ; Full_Composition_Exclusion # Mn   [2] COMBINING GRAVE TONE MARK..COMBINING ACUTE TONE MARK
FB1D          ; Full_Composition_Exclusion # Lo       HEBREW LETTER YOD WITH HIRIQ
""",
    "PropList.txt": """\
# PropList-17.0.0.txt
FDD0..FDEF    ; Noncharacter_Code_Point # Cn  [32] <noncharacter-FDD0>..<noncharacter-FDEF>
""",
    "DerivedCoreProperties.txt": """\
# DerivedCoreProperties-17.0.0.txt
E0080..E00FF  ; Default_Ignorable_Code_Point # Cn [128] <reserved-E0080>..<reserved-E00FF>
""",
}
IDNA = """\
# IdnaMappingTable.txt
0020          ; valid      ;      ; NV8    # 1.1  SPACE
0041          ; mapped     ; 0061          # 1.1  LATIN CAPITAL LETTER A
0061..007A    ; valid                      # 1.1  LATIN SMALL LETTER A..LATIN SMALL LETTER Z
00C0          ; mapped     ; 00E0          # 1.1  LATIN CAPITAL LETTER A WITH GRAVE
00DF          ; deviation  ; 0073 0073     # 1.1  LATIN SMALL LETTER SHARP S
0300..0301    ; valid                      # 1.1  COMBINING GRAVE ACCENT..COMBINING ACUTE ACCENT
0307          ; valid                      # 1.1  COMBINING DOT ABOVE
0340          ; mapped     ; 0300          # 1.1  COMBINING GRAVE TONE MARK
05D0..05EA    ; valid                      # 1.1  HEBREW LETTER ALEF..HEBREW LETTER TAV
0628          ; valid                      # 1.1  ARABIC LETTER BEH
0660..0669    ; valid                      # 1.1  ARABIC-INDIC DIGIT ZERO..ARABIC-INDIC DIGIT NINE
094D          ; valid                      # 1.1  DEVANAGARI SIGN VIRAMA
200D          ; deviation  ;               # 1.1  ZERO WIDTH JOINER
2028..202E    ; disallowed                 # 1.1  LINE SEPARATOR..RIGHT-TO-LEFT OVERRIDE
2066..2069    ; disallowed                 # 6.3  LEFT-TO-RIGHT ISOLATE..POP DIRECTIONAL ISOLATE
4E00..9FA5    ; valid                      # 1.1  CJK UNIFIED IDEOGRAPH-4E00..CJK UNIFIED IDEOGRAPH-9FA5
FB1D          ; mapped     ; 05D9 05B4     # 3.0  HEBREW LETTER YOD WITH HIRIQ
105C9         ; valid                      # 16.0 TODHRI LETTER EI
105D2         ; valid                      # 16.0 TODHRI LETTER I
"""
# The code points the excerpt decides, and unassigned ones whose defaults it decides.
CHECKED = [
    0x20, 0x41, 0x61, 0xA0, 0xC0, 0xDF, 0x301, 0x307, 0x340, 0x5D0, 0x5FF, 0x628, 0x660,
    0x94D, 0x200D, 0x202A, 0x2066, 0x4E00, 0x6C34, 0x9FA5, 0xFB1D, 0xFDD0, 0x105C9,
    0x105D2, 0xE0080,
]  # fmt: skip


def _value(table: list[list[int]], c: int) -> int:
    deltas, values = table
    starts = []
    s = 0
    for d in deltas:
        s += d
        starts.append(s)
    return values[bisect.bisect_right(starts, c) - 1]


@pytest.fixture(scope="module")
def excerpt(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    ucd = tmp_path_factory.mktemp("ucd")
    for name, text in UCD.items():
        (ucd / name).parent.mkdir(parents=True, exist_ok=True)
        (ucd / name).write_text(text)
    idna = tmp_path_factory.mktemp("idna")
    (idna / "IdnaMappingTable.txt").write_text(IDNA)
    tables: dict[str, Any] = gen.tables(ucd, idna)
    return tables


def test_the_writer_reproduces_the_committed_module_byte_for_byte() -> None:
    text = gen.render(_moxunicode.TABLES, version="17.0.0", mox="v0.0.17", go="1.27")
    assert text == (ROOT / "moxhooks" / "mail" / "_moxunicode.py").read_text()


@pytest.mark.parametrize("table", ["lower", "print", "ccc", "bidi", "idna", "assigned"])
def test_the_range_tables_from_the_ucd_agree_with_the_committed_ones(
    excerpt: dict[str, Any], table: str
) -> None:
    mine = {hex(c): _value(excerpt[table], c) for c in CHECKED}
    committed = {hex(c): _value(_moxunicode.TABLES[table], c) for c in CHECKED}
    assert mine == committed


def test_the_rules_behind_the_values(excerpt: dict[str, Any]) -> None:
    # The values the excerpt must give, each for the rule named.
    assert _value(excerpt["lower"], 0x41) == 0x20  # simple lowercase mapping, as a delta
    assert _value(excerpt["print"], 0xA0) == 0  # only the ASCII space of the spaces
    assert _value(excerpt["ccc"], 0x94D) == 9
    assert _value(excerpt["bidi"], 0x5FF) == 1  # unassigned in Hebrew: R by default
    assert _value(excerpt["bidi"], 0x202A) == 18  # LRE, as Properties.Class splits Control
    assert _value(excerpt["bidi"], 0xFDD0) == 11  # a noncharacter: BN
    assert _value(excerpt["idna"], 0x628) == 2 * 8 + 1  # joining type D, rtl
    assert _value(excerpt["idna"], 0x94D) == 3 * 8 + 4 + 2  # T, modifier, virama
    assert _value(excerpt["idna"], 0x41) == 0  # mapped: nothing
    assert _value(excerpt["assigned"], 0x6C34) == 1  # inside the CJK First..Last range
    assert [0x41, 0x300, 0xC0] in excerpt["pairs"]
    assert [0x105D2, 0x307, 0x105C9] in excerpt["pairs"]
    assert not any(c in (0x340, 0xFB1D) for _, _, c in excerpt["pairs"])  # exclusions


def test_decompositions_python_lacks_agree_with_the_committed_ones(excerpt: dict[str, Any]) -> None:
    # Todhri (Unicode 16) is newer than Python 3.11's unicodedata; the rest it knows.
    assert excerpt["decomp"] == {"67017": [67026, 775]}
    assert _moxunicode.TABLES["decomp"]["67017"] == [67026, 775]
    assert excerpt["compose"] == {"67026,775": 67017}
    assert _moxunicode.TABLES["compose"]["67026,775"] == 67017
