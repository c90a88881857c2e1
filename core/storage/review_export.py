"""Export with every annotator's label (``polarity project export P FILE --all-annotators``).

The rows are what the format's own writer gives (``core.formats``), with the annotators added:
JSONL gains ``"annotators": {"anna": "positive", "bob": null}`` (null: that annotator did not
label the term, or cleared it); CSV gains a column ``label_<name>`` per annotator, empty where
they gave none. ``label`` stays the final label (adjudicated, else current). TSV and SemEval XML
have no place for them: the export says so instead of writing a file that drops them.
"""

from __future__ import annotations

import csv
import io
import json
import os
from typing import Sequence

from core.domain import Prediction, TermExample
from core.formats import csv_format, jsonl
from core.formats._common import atomic_write_text, check_for_writing
from core.storage.errors import StoreError

FORMATS = ("jsonl", "csv")


def _format(path: str, fmt: str | None) -> str:
    name = (fmt or os.path.splitext(path)[1].lstrip(".")).lower()
    if name not in FORMATS:
        raise StoreError(f"{path}: --all-annotators writes JSONL or CSV (columns per annotator), not "
                         f"{name or 'a file without extension'}")
    return name


def write_with_annotators(path: str | os.PathLike[str], fmt: str | None, examples: Sequence[TermExample],
                          predictions: Sequence[Prediction | None] | None,
                          annotators: Sequence[dict[str, str | None]]) -> None:
    """Write ``examples`` with, per row, {annotator: label}; atomically, like every export."""
    where = os.fspath(path)
    name = _format(where, fmt)
    check_for_writing(where, examples, predictions)
    names = sorted({a for row in annotators for a in row})
    if name == "jsonl":
        lines = []
        for line, labels in zip(jsonl.write(where, examples, predictions).splitlines(), annotators):
            obj = json.loads(line)
            obj["annotators"] = {a: labels.get(a) for a in names}
            lines.append(json.dumps(obj, ensure_ascii=False) + "\n")
        atomic_write_text(where, "".join(lines))
        return
    rows = list(csv.reader(io.StringIO(csv_format.write(where, examples, predictions), newline="")))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(rows[0] + [f"label_{a}" for a in names])
    for row, labels in zip(rows[1:], annotators):
        writer.writerow(row + [labels.get(a) or "" for a in names])
    atomic_write_text(where, out.getvalue())
