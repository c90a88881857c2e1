"""Bad input: every case gives one FormatError naming the file, the line and the reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.domain import Polarity
from core.formats import FormatError, read_examples

GOOD_TSV = "positive\tFOOD\tFish\t0:4\tFish is fresh.\n"


def fails(path: Path, line: int | None, *reason_parts: str, **kwargs: object) -> FormatError:
    """Read ``path``, expect a FormatError at ``line`` whose reason holds every part."""
    with pytest.raises(FormatError) as info:
        read_examples(path, **kwargs)  # type: ignore[arg-type]
    error = info.value
    assert error.path == str(path)
    assert error.line == line, str(error)
    for part in reason_parts:
        assert part in error.reason, str(error)
    expected = f"{path}:{line}: {error.reason}" if line is not None else f"{path}: {error.reason}"
    assert str(error) == expected
    return error


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


# -- one case per reason, tsv first (the format most errors share code with) ----------

@pytest.mark.parametrize(("row", "reason"), [
    ("positive\tFOOD\tFish\t0:4", "expected 5 tab-separated columns"),
    ("positive\tFOOD\tFish\t0:4\tFish is fresh.\textra", "got 6"),
    ("positive\tFOOD\tFish\t0-4\tFish is fresh.", "bad offsets '0-4'"),
    ("positive\tFOOD\tFish\tx:4\tFish is fresh.", "bad offsets"),
    ("positive\tFOOD\tFish\t-1:4\tFish is fresh.", "bad offsets"),
    ("great\tFOOD\tFish\t0:4\tFish is fresh.", "unknown polarity 'great'"),
    ("positive\tFOOD\tFish\t0:4\t   ", "empty sentence"),
    ("positive\tFOOD\tFish\t0:40\tFish is fresh.", "span 0:40 lies outside the sentence"),
    ("positive\tFOOD\tFish\t4:4\tFish is fresh.", "span 4:4 is empty or reversed"),
    ("positive\tFOOD\tFish\t1:5\tFish is fresh.", "term 'Fish' does not match"),
])
def test_tsv_bad_rows(tmp_path: Path, row: str, reason: str) -> None:
    path = write(tmp_path, "bad.tsv", GOOD_TSV + "\n" + row + "\r\n" + GOOD_TSV)
    fails(path, 3, reason)


def test_term_mismatch_names_both_strings(tmp_path: Path) -> None:
    path = write(tmp_path, "m.tsv", GOOD_TSV + "positive\tFOOD\tFish\t1:5\tFish is fresh.\n")
    fails(path, 2, "term 'Fish'", "'ish '")


def test_lenient_skips_and_counts_mismatches_only(tmp_path: Path) -> None:
    rows = [GOOD_TSV, "positive\tFOOD\tFish\t1:5\tFish is fresh.\n",
            "positive\tFOOD\tFish\t0:40\tFish is fresh.\n", "conflict\tFOOD\tFish\t0:4\tFish is fresh.\n"]
    path = write(tmp_path, "l.tsv", "".join(rows))
    result = read_examples(path, lenient=True)
    assert (len(result.examples), result.skipped_mismatch, result.skipped_conflict) == (1, 2, 1)
    # Structural errors are not forgiven by lenient.
    fails(write(tmp_path, "l2.tsv", GOOD_TSV + "bogus\tF\tFish\t0:4\tFish is fresh.\n"), 2,
          "unknown polarity", lenient=True)


def test_require_labels_rejects_unlabeled_rows(tmp_path: Path) -> None:
    path = write(tmp_path, "u.tsv", GOOD_TSV + "\tFOOD\tFish\t0:4\tFish is fresh.\n")
    assert read_examples(path).examples[1].polarity is None
    fails(path, 2, "missing label", require_labels=True)


def test_undecodable_bytes_name_their_line(tmp_path: Path) -> None:
    path = write(tmp_path, "latin1.tsv", GOOD_TSV.encode() * 2 + "positive\t\tcafé\t0:4\tcafé\n".encode("latin-1"))
    fails(path, 3, "not valid UTF-8")
    bom = write(tmp_path, "bom.jsonl", b"\xef\xbb\xbf{}\n\n\xff\n")
    fails(bom, 3, "not valid UTF-8")


def test_missing_file_folder_and_empty_files(tmp_path: Path) -> None:
    fails(tmp_path / "nope.tsv", None, "file does not exist")
    fails(tmp_path / "nope.csv", None, "file does not exist")  # sniffing must not hide it
    folder = tmp_path / "folder.tsv"
    folder.mkdir()
    fails(folder, None, "folder")
    for name in ("e.tsv", "e.csv", "e.jsonl", "e.xml"):
        fails(write(tmp_path, name, ""), None, "file is empty")
    fails(write(tmp_path, "blank.tsv", "\r\n\n  \n"), None, "file is empty")
    fails(write(tmp_path, "bom_only.jsonl", b"\xef\xbb\xbf"), None, "file is empty")


def test_a_file_of_skipped_rows_has_no_examples(tmp_path: Path) -> None:
    path = write(tmp_path, "c.tsv", "conflict\tFOOD\tFish\t0:4\tFish is fresh.\n")
    fails(path, None, "no examples found (1 rows skipped)")
    fails(write(tmp_path, "h.csv", "text,start,end\n"), None, "no examples found")


# -- jsonl ---------------------------------------------------------------------------

@pytest.mark.parametrize(("obj", "reason"), [
    ("{not json", "malformed JSON"),
    ("[1, 2]", "expected a JSON object, got list"),
    ('{"start": 0, "end": 4}', "missing 'text'"),
    ('{"text": 5, "start": 0, "end": 4}', "'text' must be a string"),
    ('{"text": "Fish", "start": 0}', "needs 'start' and 'end'"),
    ('{"text": "Fish", "start": "a", "end": 4}', "start must be a non-negative integer, got 'a'"),
    ('{"text": "Fish", "start": 0.5, "end": 4}', "start must be a non-negative integer"),
    ('{"text": "Fish", "start": true, "end": 4}', "non-negative integer"),
    ('{"text": "Fish", "start": -1, "end": 4}', "non-negative integer"),
    ('{"text": "Fish", "start": 0, "end": 4, "label": "meh"}', "unknown polarity 'meh'"),
    ('{"text": "Fish", "start": 0, "end": 4, "label": ["x"]}', "'label' must be a string"),
    ('{"text": "Fish", "start": 0, "end": 4, "term": "Fist"}', "term 'Fist' does not match the sentence text at 0:4, which is 'Fish'"),
    ('{"text": "Fish", "term": "Chips"}', "term 'Chips' does not occur"),
    ('{"text": "", "start": 0, "end": 0}', "empty sentence"),
])
def test_jsonl_bad_lines(tmp_path: Path, obj: str, reason: str) -> None:
    good = json.dumps({"text": "Fish", "start": 0, "end": 4, "label": "positive"})
    path = write(tmp_path, "bad.jsonl", f"{good}\n\n{obj}\n{good}\n")
    fails(path, 3, reason)


def test_jsonl_conflict_and_lenient(tmp_path: Path) -> None:
    rows = [{"text": "Fish", "start": 0, "end": 4, "label": "conflict"},
            {"text": "Fish", "start": 0, "end": 4, "term": "fish"},
            {"text": "Fish", "start": 0, "end": 4, "label": None, "category": None}]
    path = write(tmp_path, "c.jsonl", "\n".join(json.dumps(r) for r in rows))
    result = read_examples(path, lenient=True)
    assert (len(result.examples), result.skipped_conflict, result.skipped_mismatch) == (1, 1, 1)
    assert result.examples[0].polarity is None and result.examples[0].category == ""


# -- csv -----------------------------------------------------------------------------

@pytest.mark.parametrize(("header", "reason"), [
    ("start,end,label", "missing column 'text' (or 'sentence')"),
    ("text,start,label", "'start' and 'end' go together"),
    ("text,label", "needs columns 'start' and 'end', or 'term'"),
])
def test_csv_bad_headers(tmp_path: Path, header: str, reason: str) -> None:
    fails(write(tmp_path, "h.csv", header + "\nFish,0,4\n"), 1, reason)


@pytest.mark.parametrize(("row", "reason"), [
    ("Fish,0", "expected 4 columns as in the header, got 2"),
    ("Fish,0,4,positive,extra", "got 5"),
    ("Fish,zero,4,positive", "start must be a non-negative integer, got 'zero'"),
    ("Fish,0,,positive", "end must be a non-negative integer"),
    ("Fish,0,9,positive", "span 0:9 lies outside"),
    ("Fish,0,4,tasty", "unknown polarity 'tasty'"),
    (",0,4,positive", "empty sentence"),
    ('"Fi"sh,0,4,positive', "malformed CSV"),
])
def test_csv_bad_rows(tmp_path: Path, row: str, reason: str) -> None:
    path = write(tmp_path, "r.csv", 'text,start,end,label\n"Fish\nmulti-line",0,4,positive\n' + row + "\n")
    fails(path, 4, reason)


def test_csv_term_is_checked_or_located(tmp_path: Path) -> None:
    fails(write(tmp_path, "t.csv", "text,start,end,term\nFish is fresh,0,4,Fisj\n"), 2, "term 'Fisj'", "'Fish'")
    fails(write(tmp_path, "t2.csv", "text,term\nFish is fresh,chips\n"), 2, "term 'chips' does not occur")
    result = read_examples(write(tmp_path, "t3.csv", "text,term,label\nFish is fresh,FRESH,neg\n"))
    assert (result.examples[0].term, result.examples[0].polarity) == ("fresh", Polarity.NEGATIVE)


# -- xml -----------------------------------------------------------------------------

S14_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<sentences>\n  <sentence id="1">\n    <text>Fish is fresh.</text>\n'


@pytest.mark.parametrize(("body", "line", "reason"), [
    ('    <aspectTerms>\n      <aspectTerm term="Fish" polarity="yummy" from="0" to="4"/>\n', 6, "unknown polarity 'yummy'"),
    ('    <aspectTerms>\n      <aspectTerm term="Fish" polarity="positive" from="0"/>\n', 6, "lacks the attribute 'to'"),
    ('    <aspectTerms>\n      <aspectTerm term="Fish" polarity="positive" from="0" to="x"/>\n', 6, "'to' must be a non-negative integer"),
    ('    <aspectTerms>\n      <aspectTerm term="Fist" polarity="positive" from="0" to="4"/>\n', 6, "term 'Fist'"),
    ('    <aspectTerms>\n      <aspectTerm term="Fish" polarity="positive" from="0" to="44"/>\n', 6, "span 0:44 lies outside"),
    ('    <aspectTerms>\n      <aspectTerm term="Fish" polarity="positive" from="0" to="4">\n', 7, "malformed XML: mismatched tag"),
])
def test_semeval14_bad_terms(tmp_path: Path, body: str, line: int, reason: str) -> None:
    doc = S14_HEAD + body + "    </aspectTerms>\n  </sentence>\n</sentences>\n"
    fails(write(tmp_path, "bad.xml", doc), line, reason)


def test_xml_structure_errors(tmp_path: Path) -> None:
    fails(write(tmp_path, "trunc.xml", S14_HEAD), 5, "malformed XML: no element found")
    fails(write(tmp_path, "notext.xml", '<sentences>\n<sentence id="1"><aspectTerms>'
                '<aspectTerm term="a" from="0" to="1"/></aspectTerms></sentence></sentences>'), 2, "no <text>")
    fails(write(tmp_path, "empty_text.xml", '<sentences><sentence id="1"><text> </text>\n<aspectTerms>'
                '<aspectTerm term="a" from="0" to="1"/></aspectTerms></sentence></sentences>'), 2, "empty sentence")
    fails(write(tmp_path, "bytes.xml", b'<sentences>\n<sentence id="1"><text>caf\xe9</text></sentence>\n</sentences>'),
          2, "malformed XML")
    wrong_root = write(tmp_path, "root.xml", "<Reviews>\n</Reviews>")
    fails(wrong_root, 1, "expected the root element <sentences>, found <Reviews>", fmt="semeval14")
    fails(write(tmp_path, "none.xml", '<sentences><sentence id="1"><text>a</text></sentence></sentences>'),
          None, "no examples found")


def test_xml_declared_encoding_is_honoured(tmp_path: Path) -> None:
    doc = ('<?xml version="1.0" encoding="ISO-8859-1"?><sentences><sentence id="1"><text>caf\xe9 ok</text>'
           '<aspectTerms><aspectTerm term="caf\xe9" polarity="positive" from="0" to="4"/></aspectTerms>'
           "</sentence></sentences>").encode("latin-1")
    assert read_examples(write(tmp_path, "latin.xml", doc)).examples[0].term == "café"


def test_semeval16_missing_offsets(tmp_path: Path) -> None:
    doc = ('<Reviews><Review rid="1"><sentences><sentence id="1:0"><text>Good fish</text>\n<Opinions>'
           '<Opinion target="fish" category="FOOD#QUALITY" polarity="positive"/></Opinions>'
           "</sentence></sentences></Review></Reviews>")
    fails(write(tmp_path, "o.xml", doc), 2, "<Opinion> lacks the attribute 'from'")
