"""core.formats against the real public datasets in ../shared/data (skipped when absent).

Read in place, never copied into the project.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.domain import Polarity
from core.formats import FormatError, read_examples, write_examples

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"

pytestmark = pytest.mark.shared_data


def shared(relative: str) -> Path:
    path = DATA / relative
    if not path.is_file():
        pytest.skip(f"shared dataset {path} is not available on this machine")
    return path


def test_centrale_train_round_trips_through_tsv(tmp_path: Path) -> None:
    source = shared("centrale/traindata.csv")
    result = read_examples(source)
    assert result.format == "tsv" and len(result.examples) == 1503
    assert (result.skipped_conflict, result.skipped_mismatch) == (0, 0)
    out = tmp_path / "train.tsv"
    write_examples(out, result.examples)
    original = source.read_bytes().decode("utf-8").replace("\r\n", "\n")
    assert out.read_text(encoding="utf-8") == original  # same rows, LF line endings
    assert read_examples(out).examples == result.examples


def test_centrale_dev_strict_fails_at_line_12_lenient_skips_it() -> None:
    source = shared("centrale/devdata.csv")
    with pytest.raises(FormatError) as info:
        read_examples(source)
    assert info.value.line == 12 and "salt encrusted shrimp appetizer" in info.value.reason
    assert str(info.value).startswith(f"{source}:12: ")
    result = read_examples(source, lenient=True)
    assert (len(result.examples), result.skipped_mismatch) == (375, 1)


def test_semeval14_restaurants_xml_matches_the_converted_tsv() -> None:
    xml = read_examples(shared("semeval14/Restaurants_Train_v2.xml"))
    assert xml.format == "semeval14"
    assert (len(xml.examples), xml.skipped_conflict) == (3602, 91)
    counts = {p: sum(e.polarity is p for e in xml.examples) for p in Polarity}
    assert counts == {Polarity.POSITIVE: 2164, Polarity.NEUTRAL: 633, Polarity.NEGATIVE: 805}
    tsv = read_examples(shared("semeval14/restaurants_train.tsv"))

    def key(e):  # type: ignore[no-untyped-def]
        return (e.sentence, e.start, e.end, e.polarity)
    assert sorted(map(key, xml.examples)) == sorted(map(key, tsv.examples))
