"""Every reader, fed mutated copies of small valid files, fails only with a FormatError that names
the file and, unless the trouble is the whole file, a line inside it.

A property-based test (hypothesis): bytes flipped, cut, repeated; tabs, quotes, angle brackets,
huge numbers, deep nesting and XML declarations inserted; files truncated. The default run
takes a few seconds; before a release run the long profile:

    POLARITY_FUZZ_EXAMPLES=20000 .venv/bin/python -m pytest -q tests/core/test_fuzz_readers.py
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.formats import FormatError, read_examples
from core.formats.raw import preview, read_raw
from core.formats.stream import iter_examples

EXAMPLES = int(os.environ.get("POLARITY_FUZZ_EXAMPLES", "60"))

# Small valid files, one of every shape a reader takes (the file name gives the format).
SEEDS: dict[str, bytes] = {
    "seed.tsv": (b"positive\tFOOD\tpasta\t4:9\tThe pasta was great.\r\n"
                 b"negative\tSERVICE\tstaff\t4:9\tThe staff were rude.\r\n"),
    "centrale.csv": b"negative\tAMBIENCE#GENERAL\troom\t4:8\tThe room was noisy.\n",
    "header.csv": (b'text,start,end,label,category,id\n"The soup, sadly, was cold.",4,8,negative,FOOD,s1\n'
                   b'"He said ""fine"" pasta",15,20,neutral,,s2\n'),
    "terms.csv": b"sentence;term;polarity\nGreat view from the deck.;view;positive\n",
    "rows.jsonl": (b'{"text": "The fries were soggy.", "start": 4, "end": 9, "label": "negative", "id": 7}\n'
                   b'{"text": "Nice desk", "term": "desk", "label": null}\n'),
    "s14.xml": (b'<?xml version="1.0" encoding="UTF-8"?>\n<sentences>\n <sentence id="1">\n'
                b'  <text>The pizza &amp; wine</text>\n  <aspectTerms>\n'
                b'   <aspectTerm term="pizza" polarity="positive" from="4" to="9"/>\n'
                b'   <aspectTerm term="wine" polarity="conflict" from="16" to="20"/>\n'
                b'  </aspectTerms>\n </sentence>\n <sentence id="2"><text>No terms.</text></sentence>\n'
                b'</sentences>\n'),
    "s16.xml": (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Reviews>\n <Review rid="r1">\n'
                b'  <sentences>\n   <sentence id="r1:0">\n    <text>Cheap beer.</text>\n    <Opinions>\n'
                b'     <Opinion target="beer" category="DRINKS#PRICES" polarity="positive" from="6" to="10"/>\n'
                b'     <Opinion target="NULL" category="RESTAURANT#GENERAL" polarity="neutral" from="0" to="0"/>\n'
                b'    </Opinions>\n   </sentence>\n  </sentences>\n </Review>\n</Reviews>\n'),
}



def _xlsx_seed() -> bytes:
    import io

    from openpyxl import Workbook

    book = Workbook()
    for row in (["id", "answer"], [1, "The room was clean. The staff were rude!"], [2, None], [3.0, 42]):
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# Raw text (core/formats/raw.py): the file, and the column choices an import may pass.
RAW_SEEDS: dict[str, tuple[bytes, dict[str, str]]] = {
    "raw.txt": (b"The soup was cold. The staff were lovely!\r\n\nNice view.\n", {}),
    "raw.csv": (b'id,answer,score\na1,"Clean room. Rude staff, sadly!",2\na2,,3\na3,Great breakfast,5\n',
                {"text_column": "answer", "id_column": "id"}),
    "raw.tsv": (b"ticket\tbody\n7\tPrinter broken. Please help.\n8\tWorks\n", {"id_column": "ticket"}),
    "raw.jsonl": (b'{"id": 12, "text": "Cold soup. Warm beer."}\n{"id": 13, "text": "ok"}\n', {"id_column": "id"}),
    "raw.xlsx": (_xlsx_seed(), {"text_column": "answer", "id_column": "id"}),
}

# What a hostile or broken file holds more often than random bytes do.
TOKENS = [b"\t", b'"', b"'", b"<", b">", b"&", b"&#0;", b"\r", b"\n", b"\r\n", b"\x00", b"\xff", b"\xc3",
          b"\xef\xbb\xbf", b",", b";", b":", b"-1", b"9" * 30, b"9" * 5000, b"1e999", b"NaN", b"[" * 3000,
          b"{" * 3000, b'{"text": 1}', b"]]>", b"<!DOCTYPE x [<!ENTITY a 'b'>]>", b"&a;", b"<![CDATA[",
          b'<?xml version="1.0" encoding="UTl-8"?>', b'<?xml version="1.0" encoding="shift_jis"?>',
          b'<?xml version="1.0" encoding="rot13"?>', b'<?xml version="1.0" encoding="utf-16"?>',
          b"\xff\xfe", b"\xfe\xff", b"conflict", b"NULL", "\u2028".encode()]

# A FormatError without a line is about the whole file; every other one points at a line.
WHOLE_FILE = ("file is empty", "no examples found", "not a readable .xlsx workbook")


NUMBERS = [b"0", b"-1", b"007", b"9" * 19, b"9" * 5000, b"1e999", b"4.5", b"NaN", b"true", b"null", b'"4"', b""]
HEADS = [b'<?xml version="1.0" encoding="UTl-8"?>', b'<?xml version="1.0" encoding="shift_jis"?>',
         b'<?xml version="1.0" encoding="rot13"?>', b'<?xml version="1.0" encoding="utf-16"?>',
         b'<?xml version="1.0" encoding="cp1252"?>', b"\xef\xbb\xbf", b"\xff\xfe", b"[" * 3000, b"{" * 3000]
OPS = ["flip", "cut", "repeat", "insert", "line_start", "number", "head", "truncate", "bytes"]


def _places(data: bytearray, op: str) -> list[tuple[int, int]]:
    """(start, end) spans an edit aims at: the starts of lines, the runs of digits; else anywhere."""
    if op == "line_start":
        return [(0, 0)] + [(i + 1, i + 1) for i, b in enumerate(data) if b == 10]
    if op == "number":
        runs, i = [], 0
        while i < len(data):
            j = i
            while j < len(data) and 48 <= data[j] <= 57:
                j += 1
            if j > i:
                runs.append((i, j))
            i = j + 1
        return runs
    return []


@st.composite
def mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    """``seed`` with 1 to 4 edits: anywhere, or aimed at line starts, numbers and the file's head."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(OPS))
        places = _places(data, op) or [(at := draw(st.integers(0, len(data))), at)]
        start, end = draw(st.sampled_from(places))
        if op == "flip" and start < len(data):
            data[start] ^= 1 << draw(st.integers(0, 7))
        elif op == "cut":
            del data[start:start + draw(st.integers(1, 12))]
        elif op == "repeat":
            data[start:start] = data[start:start + draw(st.integers(1, 40))] * draw(st.integers(1, 50))
        elif op in ("insert", "line_start"):
            data[start:start] = draw(st.sampled_from(TOKENS))
        elif op == "number":
            data[start:end] = draw(st.sampled_from(NUMBERS))
        elif op == "head":  # a new first line: a declaration, a BOM, deep nesting
            data[0:data.find(b"\n") + 1 if draw(st.booleans()) else 0] = draw(st.sampled_from(HEADS)) + b"\n"
        elif op == "truncate":
            del data[start:]
        else:
            data[start:start] = draw(st.binary(min_size=1, max_size=4))
    return bytes(data)


def check_error(error: FormatError, path: Path, data: bytes, rows_are_lines: bool = True) -> None:
    """The error names the file; a line when it has one, within the file, on one text line."""
    assert error.path == str(path), str(error)
    assert error.reason and "\n" not in error.reason, repr(error.reason)
    if error.line is None:
        assert error.reason.startswith(WHOLE_FILE), f"no line for {error.reason!r}"
        return
    assert isinstance(error.line, int) and error.line >= 1, str(error)
    if rows_are_lines:
        lines = len(re.split(rb"\r\n|\r|\n", data))  # XML counts a lone CR as a line break too
        assert error.line <= lines, f"line {error.line} of a file of {lines}: {error}"


def assert_only_format_errors(read: Callable[[], object], path: Path, data: bytes,
                              rows_are_lines: bool = True) -> None:
    """``read()`` returns, or raises a FormatError that passes ``check_error``; nothing else."""
    try:
        read()
    except FormatError as error:
        check_error(error, path, data, rows_are_lines)


_WORK = Path(tempfile.mkdtemp(prefix="polarity-fuzz-"))


def _fuzz_settings() -> settings:
    return settings(max_examples=EXAMPLES, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_seeds_are_valid(name: str) -> None:
    path = _WORK / f"valid-{name}"
    path.write_bytes(SEEDS[name])
    assert read_examples(path).examples


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_mutated_files_raise_only_format_errors(name: str) -> None:
    path = _WORK / name

    @_fuzz_settings()
    @given(data=mutated(SEEDS[name]))
    def check(data: bytes) -> None:
        path.write_bytes(data)
        for lenient in (False, True):
            assert_only_format_errors(lambda: read_examples(path, lenient=lenient), path, data)
            assert_only_format_errors(lambda: list(iter_examples(path, lenient=lenient)), path, data)
        assert_only_format_errors(lambda: read_examples(path, require_labels=True), path, data)

    check()


@pytest.mark.parametrize("name", sorted(RAW_SEEDS))
def test_raw_seeds_are_valid(name: str) -> None:
    path = _WORK / f"valid-{name}"
    data, columns = RAW_SEEDS[name]
    path.write_bytes(data)
    assert read_raw(path, **columns).sentences and preview(path).rows


@pytest.mark.parametrize("name", sorted(RAW_SEEDS))
def test_mutated_raw_files_raise_only_format_errors(name: str) -> None:
    path = _WORK / name
    seed, columns = RAW_SEEDS[name]
    lines = not name.endswith(".xlsx")  # a sheet's errors name its row, not a line of the zip

    @_fuzz_settings()
    @given(data=mutated(seed))
    def check(data: bytes) -> None:
        path.write_bytes(data)
        for split in (True, False):
            assert_only_format_errors(lambda: read_raw(path, split=split), path, data, lines)
            assert_only_format_errors(lambda: read_raw(path, split=split, **columns), path, data, lines)
        assert_only_format_errors(lambda: preview(path), path, data, lines)

    check()


def test_an_unknown_declared_xml_encoding_names_file_line_1_and_the_encoding(tmp_path: Path) -> None:
    """The case the first fuzzing found: pyexpat raised LookupError (a traceback in the CLI)."""
    path = tmp_path / "f.xml"
    path.write_bytes(SEEDS["s14.xml"].replace(b'encoding="UTF-8"', b'encoding="UTl-8"'))
    with pytest.raises(FormatError) as info:
        read_examples(path)
    assert (info.value.path, info.value.line) == (str(path), 1) and "'UTl-8'" in info.value.reason
    assert "not a known encoding" in info.value.reason


@pytest.mark.parametrize(("encoding", "why"), [("shift_jis", "not supported"), ("utf-32", "not supported"),
                                               ("utf-16-be", "not supported"), ("rot13", "not a text encoding"),
                                               ("base64", "not a text encoding"), ("idna", "not supported")])
def test_declared_encodings_expat_cannot_use_are_format_errors(tmp_path: Path, encoding: str, why: str) -> None:
    path = tmp_path / "f.xml"
    path.write_bytes(SEEDS["s14.xml"].replace(b"UTF-8", encoding.encode()))
    with pytest.raises(FormatError) as info:
        read_examples(path)
    assert info.value.line == 1 and repr(encoding) in info.value.reason and why in info.value.reason


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1", "koi8-r", "ASCII", "utf8", "UTF-16LE"])
def test_single_byte_and_native_declared_encodings_still_read(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "f.xml"
    text = SEEDS["s14.xml"].decode().replace("UTF-8", encoding)
    path.write_bytes(text.encode("utf-16-le" if encoding == "UTF-16LE" else "latin-1"))
    assert [e.term for e in read_examples(path).examples] == ["pizza"]


@pytest.mark.parametrize(("name", "content", "line", "reason"), [
    ("big.tsv", "positive\t\tpasta\t4:" + "9" * 5000 + "\tThe pasta was great.\n", 1, "end is too large"),
    ("big.csv", "text,start,end\nThe pasta,4," + "9" * 5000 + "\n", 2, "end is too large"),
    ("big.xml", SEEDS["s14.xml"].decode().replace('to="9"', 'to="' + "9" * 5000 + '"'), 6, "'to' is too large"),
    ("big.jsonl", '{"text": "The pasta", "start": 4, "end": ' + "9" * 5000 + "}\n", 1, "malformed JSON"),
    ("deep.jsonl", "[" * 100000 + "\n", 1, "nested too deeply"),
])
def test_huge_numbers_and_deep_nesting_are_format_errors(tmp_path: Path, name: str, content: str, line: int,
                                                         reason: str) -> None:
    """Found by this fuzz test: int() of 4300+ digits raised ValueError, json.loads RecursionError."""
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    for read in (lambda: read_examples(path), lambda: list(iter_examples(path))):
        with pytest.raises(FormatError) as info:
            read()
        assert info.value.line == line and reason in info.value.reason
