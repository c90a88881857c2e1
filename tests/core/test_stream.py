"""Streaming reads and batch prediction: same examples and errors as the whole-file reader."""

from __future__ import annotations

import json

import pytest

from core.formats import FormatError, read_examples
from core.formats.stream import count_lines, iter_examples


def test_stream_matches_whole_file_reader(small_tsv):
    streamed = list(iter_examples(small_tsv))
    assert streamed == read_examples(small_tsv).examples
    assert [e.line for e in streamed] == list(range(1, 25))
    assert count_lines(small_tsv) == 24


def test_stream_is_lazy_and_reports_bad_line_number(tmp_path):
    path = tmp_path / "big.jsonl"
    good = json.dumps({"text": "Nice pasta", "start": 5, "end": 10})
    path.write_text("\n".join([good] * 1000 + ["{broken"]) + "\n")
    it = iter_examples(path)
    assert next(it).term == "pasta"  # the first example comes before the bad line is read
    with pytest.raises(FormatError, match=r"big\.jsonl:1001: malformed JSON"):
        list(it)


def test_stream_errors_for_bytes_and_missing_file(tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_bytes("positive\tF\tpasta\t4:9\tThe pasta\n".encode() + b"positive\tF\tx\t0:1\tx\xff\n")
    with pytest.raises(FormatError, match=r"bad\.tsv:2: not valid UTF-8"):
        list(iter_examples(path))
    with pytest.raises(FormatError, match="does not exist"):
        list(iter_examples(tmp_path / "none.tsv"))


def test_batch_prediction_failure_leaves_no_output(tmp_path):
    from core.batch import predict_file

    class Model:
        def predict(self, examples, batch_size=32):
            raise AssertionError("never reached: the file is bad before the first chunk fills")

    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "Nice pasta", "start": 5, "end": 10}\n{"text": 3}\n')
    out = tmp_path / "out.jsonl"
    with pytest.raises(FormatError, match=":2:"):
        predict_file(Model(), str(src), str(out))
    assert list(tmp_path.iterdir()) == [src]
