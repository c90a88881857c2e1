"""Round trips, format detection and writer behaviour of core.formats (small fixtures only)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from core.domain import Polarity, Prediction, TermExample
from core.formats import FORMATS, FormatError, ReadResult, detect_format, read_examples, write_examples

EXTENSIONS = {"tsv": ".tsv", "semeval14": ".xml", "semeval16": ".xml", "jsonl": ".jsonl", "csv": ".csv"}


def ex(sentence: str, term: str, polarity: Polarity | None = Polarity.POSITIVE, category: str = "",
       sentence_id: str | None = None, nth: int = 0) -> TermExample:
    start = -1
    for _ in range(nth + 1):
        start = sentence.index(term, start + 1)
    return TermExample(sentence, start, start + len(term), polarity, category, sentence_id)


def sample(with_ids: bool = True) -> list[TermExample]:
    """Awkward but legal content: quotes, commas, <&>, non-ASCII, trailing space, unlabeled."""
    sid = (lambda s: s) if with_ids else (lambda s: None)
    first = 'The "house" wine, and the café crème were great. '
    return [
        ex(first, "house", Polarity.POSITIVE, "DRINKS#QUALITY", sid("1:0")),
        ex(first, "café crème", Polarity.NEUTRAL, "FOOD#QUALITY", sid("1:0")),
        ex("Service < expectations & slow", "Service", Polarity.NEGATIVE, "SERVICE#GENERAL", sid("1:1")),
        ex("Nobody labeled this menu yet", "menu", None, "", sid("2:0")),
        ex("menu, menu, menu", "menu", Polarity.POSITIVE, "", sid("3:0"), nth=2),
    ]


def drop_category(examples: list[TermExample]) -> list[TermExample]:
    return [TermExample(e.sentence, e.start, e.end, e.polarity, "", e.sentence_id) for e in examples]


def expected_after(fmt: str, examples: list[TermExample]) -> list[TermExample]:
    """What a format keeps: tsv has no sentence id, SemEval-2014 terms have no category."""
    if fmt == "tsv":
        return [TermExample(e.sentence, e.start, e.end, e.polarity, e.category) for e in examples]
    if fmt == "semeval14":
        return drop_category(examples)
    return examples


# -- round trips -----------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("with_ids", [True, False])
def test_write_then_read_gives_the_same_examples(tmp_path: Path, fmt: str, with_ids: bool) -> None:
    examples = sample(with_ids)
    path = tmp_path / f"out{EXTENSIONS[fmt]}"
    write_examples(path, examples, fmt)
    result = read_examples(path, fmt)
    assert result.format == fmt
    assert result.examples == expected_after(fmt, examples)
    assert (result.skipped_conflict, result.skipped_mismatch, result.skipped_no_target) == (0, 0, 0)
    assert all(e.line is not None and e.line >= 1 for e in result.examples)


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_keeps_tricky_characters(tmp_path: Path, fmt: str) -> None:
    # Tabs and line breaks only where the format can hold them (tsv has no quoting).
    sentence = "Tom's  \"pizza\"\u2028is ]]> 😀 ok" if fmt == "tsv" else "Tom's\t\"pizza\"\r\nis ]]> 😀 ok\u2028"
    examples = [ex(sentence, "pizza", Polarity.POSITIVE, sentence_id="7" if fmt != "tsv" else None),
                ex(sentence, "😀", Polarity.NEUTRAL, sentence_id="7" if fmt != "tsv" else None)]
    path = tmp_path / f"x{EXTENSIONS[fmt]}"
    write_examples(path, examples, fmt)
    assert read_examples(path, fmt).examples == examples


def test_tsv_writes_the_seed_rows_with_lf(tmp_path: Path) -> None:
    path = tmp_path / "seed.tsv"
    write_examples(path, [ex("Fish is so fresh.", "Fish", Polarity.POSITIVE, "FOOD#QUALITY"),
                          ex("The menu.", "menu", None)])
    assert path.read_bytes() == ("positive\tFOOD#QUALITY\tFish\t0:4\tFish is so fresh.\n"
                                 "\t\tmenu\t4:8\tThe menu.\n").encode()


def test_tsv_reads_crlf_lf_blank_lines_and_keeps_trailing_spaces(tmp_path: Path) -> None:
    path = tmp_path / "seed.csv"  # the CentraleSupélec naming: .csv but seed format
    path.write_bytes(b'positive\tFOOD#QUALITY\tFish\t0:4\tFish is "so" fresh. \r\n\r\n'
                     b"negative\t\tplace\t2:7\tA place\n")
    result = read_examples(path)
    assert result.format == "tsv"
    assert [(e.sentence, e.term, e.category, e.line) for e in result.examples] == [
        ('Fish is "so" fresh. ', "Fish", "FOOD#QUALITY", 1), ("A place", "place", "", 3)]


def test_unlabeled_rows_read_as_none(tmp_path: Path) -> None:
    path = tmp_path / "u.tsv"
    path.write_text("\t\tmenu\t4:8\tThe menu.\n", encoding="utf-8")
    assert read_examples(path).examples[0].polarity is None


def test_labels_are_parsed_loosely(tmp_path: Path) -> None:
    path = tmp_path / "l.jsonl"
    rows = [{"text": "good food", "start": 5, "end": 9, "label": label} for label in ("Positive", " neg ", 0)]
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    assert [e.polarity for e in read_examples(path).examples] == [
        Polarity.POSITIVE, Polarity.NEGATIVE, Polarity.NEUTRAL]


@pytest.mark.parametrize("fmt", FORMATS)
def test_utf8_bom_is_accepted(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"bom{EXTENSIONS[fmt]}"
    write_examples(path, sample(), fmt)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert read_examples(path, fmt).examples == expected_after(fmt, sample())
    assert detect_format(path) == fmt


# -- format-specific reading -------------------------------------------------------------

def test_csv_header_aliases_term_only_and_quoting(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text('Sentence,Polarity,Term,ID\n"Great pizza, bad ""wine""\nand beer",negative,WINE,s1\n'
                    "Cheap eats,POS,eats,\n", encoding="utf-8")
    result = read_examples(path)
    assert result.format == "csv"
    first, second = result.examples
    assert (first.term, first.polarity, first.sentence_id, first.line) == ("wine", Polarity.NEGATIVE, "s1", 2)
    assert first.sentence == 'Great pizza, bad "wine"\nand beer'
    assert (second.term, second.sentence_id, second.line) == ("eats", None, 4)


def test_csv_semicolon_delimiter_from_header(tmp_path: Path) -> None:
    path = tmp_path / "semi.csv"
    path.write_text("text;start;end;label\nGood, cheap food;12;16;positive\n", encoding="utf-8")
    assert read_examples(path).examples[0].term == "food"


def test_jsonl_term_alone_is_located_and_id_becomes_sentence_id(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text('{"text": "The Staff were kind", "term": "staff", "id": 12}\n\n', encoding="utf-8")
    (example,) = read_examples(path).examples
    assert (example.term, example.sentence_id, example.polarity) == ("Staff", "12", None)


SEMEVAL16_DOC = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Reviews>
    <Review rid="1004293">
        <sentences>
            <sentence id="1004293:0">
                <text>Judging from previous posts this used to be a good place, but not any longer.</text>
                <Opinions>
                    <Opinion target="place" category="RESTAURANT#GENERAL" polarity="negative" from="51" to="56"/>
                    <Opinion target="NULL" category="SERVICE#GENERAL" polarity="negative" from="0" to="0"/>
                </Opinions>
            </sentence>
            <sentence id="1004293:1" OutOfScope="TRUE">
                <text>Not about food at all.</text>
            </sentence>
            <sentence id="1004293:2">
                <text>The pasta was mixed.</text>
                <Opinions>
                    <Opinion target="pasta" category="FOOD#QUALITY" polarity="conflict" from="4" to="9"/>
                    <Opinion target="pasta" category="FOOD#PRICES" polarity="neutral" from="4" to="9"/>
                </Opinions>
            </sentence>
        </sentences>
    </Review>
</Reviews>
"""


def test_semeval16_reads_opinions_and_counts_null_targets(tmp_path: Path) -> None:
    path = tmp_path / "restaurants16.xml"
    path.write_text(SEMEVAL16_DOC, encoding="utf-8")
    result = read_examples(path)
    assert result.format == "semeval16"
    assert [(e.term, e.category, e.polarity, e.sentence_id, e.line) for e in result.examples] == [
        ("place", "RESTAURANT#GENERAL", Polarity.NEGATIVE, "1004293:0", 8),
        ("pasta", "FOOD#PRICES", Polarity.NEUTRAL, "1004293:2", 19)]
    assert (result.skipped_no_target, result.skipped_conflict, result.skipped_mismatch) == (1, 1, 0)


def test_semeval16_writer_groups_sentences_into_reviews(tmp_path: Path) -> None:
    path = tmp_path / "out.xml"
    write_examples(path, sample(), "semeval16")
    text = path.read_text(encoding="utf-8")
    assert text.count('<Review rid="1">') == 1 and text.count("<Review ") == 3
    assert text.count("<sentence ") == 4  # two terms of one sentence share it


def test_semeval14_sentences_without_terms_count_nothing(tmp_path: Path) -> None:
    path = tmp_path / "s14.xml"
    path.write_text('<sentences><sentence id="1"><text>Nothing here.</text></sentence>\n'
                    '<sentence id="2"><text>Fine wine</text><aspectTerms>'
                    '<aspectTerm term="wine" polarity="positive" from="5" to="9"/>'
                    '<aspectTerm term="Fine" polarity="conflict" from="0" to="4"/>'
                    "</aspectTerms></sentence></sentences>", encoding="utf-8")
    result = read_examples(path)
    assert [(e.term, e.sentence_id, e.line) for e in result.examples] == [("wine", "2", 2)]
    assert (result.skipped_conflict, result.skipped_mismatch, result.skipped_no_target) == (1, 0, 0)


@pytest.mark.parametrize("fmt", FORMATS)
def test_conflict_rows_are_skipped_and_counted_in_every_format(tmp_path: Path, fmt: str) -> None:
    # Written through the format itself, then the label text is swapped for "conflict".
    examples = [ex("good food", "food", Polarity.POSITIVE, sentence_id="1"),
                ex("bad wine", "wine", Polarity.NEUTRAL, sentence_id="2")]
    path = tmp_path / f"c{EXTENSIONS[fmt]}"
    write_examples(path, examples, fmt)
    path.write_text(path.read_text(encoding="utf-8").replace("neutral", "conflict"), encoding="utf-8")
    result = read_examples(path, fmt)
    assert [e.term for e in result.examples] == ["food"]
    assert (result.skipped_conflict, result.skipped_mismatch) == (1, 0)


# -- detection ---------------------------------------------------------------------------

def test_detect_format_by_extension_and_content(tmp_path: Path) -> None:
    seed = tmp_path / "train.csv"
    seed.write_text("\n\npositive\tFOOD\tFish\t0:4\tFish is fresh.\r\n", encoding="utf-8")
    real_csv = tmp_path / "table.CSV"
    real_csv.write_text("text,start,end\nFish is fresh.,0,4\n", encoding="utf-8")
    s14, s16 = tmp_path / "a.xml", tmp_path / "b.xml"
    s14.write_text("<sentences/>", encoding="utf-8")
    s16.write_text(SEMEVAL16_DOC, encoding="utf-8")
    assert detect_format(seed) == "tsv"
    assert detect_format(real_csv) == "csv"
    assert detect_format(s14) == "semeval14" and detect_format(s16) == "semeval16"
    assert detect_format(tmp_path / "x.tsv") == "tsv"  # by extension: need not exist
    assert detect_format(tmp_path / "x.jsonl") == "jsonl" and detect_format(tmp_path / "x.ndjson") == "jsonl"
    assert detect_format(str(seed), "CSV") == "csv"  # an override wins over content


def test_override_reads_an_odd_extension(tmp_path: Path) -> None:
    path = tmp_path / "data.txt"
    path.write_text("negative\t\tplace\t2:7\tA place\n", encoding="utf-8")
    assert read_examples(path, "tsv").examples[0].term == "place"


def test_unknown_extension_and_unknown_format_are_errors(tmp_path: Path) -> None:
    path = tmp_path / "data.txt"
    with pytest.raises(FormatError) as info:
        detect_format(path)
    assert info.value.path == str(path) and info.value.line is None and ".txt" in info.value.reason
    with pytest.raises(FormatError, match="unknown format 'parquet'"):
        read_examples(path, "parquet")
    with pytest.raises(FormatError, match="cannot tell the format"):
        write_examples(tmp_path / "out.bin", sample())


# -- writers -----------------------------------------------------------------------------

PREDICTIONS = [Prediction(Polarity.POSITIVE, (0.1, 0.2, 0.7)), None,
               Prediction(Polarity.NEGATIVE, (0.8, 0.15, 0.05)), None, None]


def test_jsonl_writes_predictions(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    write_examples(path, sample(), predictions=PREDICTIONS)
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert rows[0]["term"] == "house" and rows[0]["prediction"] == "positive"
    assert rows[0]["probabilities"] == {"negative": 0.1, "neutral": 0.2, "positive": 0.7}
    assert "prediction" not in rows[1]
    assert read_examples(path).examples == sample()  # the extra keys do not disturb reading


def test_csv_writes_predictions(tmp_path: Path) -> None:
    import csv
    path = tmp_path / "p.csv"
    write_examples(path, sample(), predictions=PREDICTIONS)
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["text", "start", "end", "term", "label", "category", "id",
                             "prediction", "p_negative", "p_neutral", "p_positive"]
    assert (rows[2]["prediction"], float(rows[2]["p_negative"])) == ("negative", 0.8)
    assert rows[1]["prediction"] == ""
    assert read_examples(path).examples == sample()


@pytest.mark.parametrize("fmt", ["tsv", "semeval14", "semeval16"])
def test_formats_without_prediction_columns_write_the_predicted_label(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"p{EXTENSIONS[fmt]}"
    write_examples(path, sample(), fmt, predictions=PREDICTIONS)
    labels = [e.polarity for e in read_examples(path, fmt).examples]
    assert labels == [Polarity.POSITIVE, Polarity.NEUTRAL, Polarity.NEGATIVE, None, Polarity.POSITIVE]


def test_predictions_must_line_up_with_examples(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="2 predictions for 5 examples"):
        write_examples(tmp_path / "p.jsonl", sample(), predictions=PREDICTIONS[:2])


def test_writer_refuses_bad_spans_and_unrepresentable_text(tmp_path: Path) -> None:
    target = tmp_path / "out.tsv"
    target.write_text("old content\n", encoding="utf-8")
    with pytest.raises(FormatError, match="example 1 cannot be written: span 3:99 lies outside"):
        write_examples(target, [TermExample("short", 3, 99)])
    with pytest.raises(FormatError, match="tab or line break"):
        write_examples(target, [ex("two\nlines", "two")])
    with pytest.raises(FormatError, match="control character"):
        write_examples(tmp_path / "x.xml", [ex("bell \x07 here", "bell")])
    assert target.read_text(encoding="utf-8") == "old content\n"  # untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.tsv"]  # and no temp left behind


def test_write_is_atomic_when_serialisation_fails_midway(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    target.write_text("old\n", encoding="utf-8")
    lone_surrogate = ex("bad \udcff text", "bad")  # cannot be encoded as UTF-8
    with pytest.raises(UnicodeEncodeError):
        write_examples(target, [*sample(), lone_surrogate])
    assert target.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]


def test_write_into_a_missing_folder_is_a_format_error(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="cannot write the file"):
        write_examples(tmp_path / "no" / "such" / "out.jsonl", sample())


def test_written_file_gets_normal_permissions_and_utf8(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    write_examples(path, sample())
    assert "café crème" in path.read_bytes().decode("utf-8")
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_read_result_is_frozen(tmp_path: Path) -> None:
    result = ReadResult([], 0, 0, "tsv")
    assert result.skipped_no_target == 0
    with pytest.raises(AttributeError):
        result.format = "csv"  # type: ignore[misc]


@pytest.mark.parametrize("fmt", FORMATS)
def test_crlf_files_read_like_lf_files(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"crlf{EXTENSIONS[fmt]}"
    write_examples(path, sample(), fmt)
    lf_lines = [e.line for e in read_examples(path, fmt).examples]
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    result = read_examples(path, fmt)
    assert result.examples == expected_after(fmt, sample())
    assert [e.line for e in result.examples] == lf_lines  # a CR does not shift line numbers
