"""JSON Lines: one object per line, ``{"text", "start", "end", "label", "category"}``.

Optional keys: ``"term"`` (checked against the span; alone, without offsets, it is looked
up in the text), ``"id"`` (the sentence id). ``label`` absent, null or "" means unlabeled.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from core.domain import Prediction, TermExample, find_term
from core.formats._common import Collector, decode_text, parse_offset, split_lines
from core.formats.errors import FormatError


def read(path: str, data: bytes, rows: Collector) -> None:
    for number, line in enumerate(split_lines(decode_text(path, data)), 1):
        if line.strip():
            read_line(path, number, line, rows)


def read_line(path: str, number: int, line: str, rows: Collector) -> None:
    """Parse one non-blank line (also used by the streaming reader)."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise FormatError(path, number, f"malformed JSON: {exc.msg} (column {exc.colno})") from None
    except ValueError as exc:  # an integer of more than 4300 digits
        raise FormatError(path, number, f"malformed JSON: {exc}".split(";")[0]) from None
    except RecursionError:  # thousands of nested [ or {
        raise FormatError(path, number, "malformed JSON: nested too deeply") from None
    if not isinstance(obj, dict):
        raise FormatError(path, number, f"expected a JSON object, got {type(obj).__name__}")
    _add(path, number, obj, rows)


def _text_field(path: str, number: int, obj: dict[str, Any], key: str) -> str | None:
    """A string field, None when absent or null; numbers (ids, labels like 1) become text."""
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise FormatError(path, number, f"{key!r} must be a string, got {json.dumps(value)}")
    return str(value)


def _add(path: str, number: int, obj: dict[str, Any], rows: Collector) -> None:
    text = obj.get("text")
    if not isinstance(text, str):
        reason = "missing 'text'" if text is None else "'text' must be a string"
        raise FormatError(path, number, reason)
    term = _text_field(path, number, obj, "term")
    has_start, has_end = obj.get("start") is not None, obj.get("end") is not None
    if has_start and has_end:
        start = parse_offset(path, number, "start", obj["start"])
        end = parse_offset(path, number, "end", obj["end"])
    elif not has_start and not has_end and term is not None:
        try:
            start, end = find_term(text, term)
        except ValueError as exc:
            raise FormatError(path, number, str(exc)) from None
        term = text[start:end]  # find_term may have matched another case
    else:
        raise FormatError(path, number, "needs 'start' and 'end' (or 'term' alone)")
    rows.add(number, text, start, end, _text_field(path, number, obj, "label"),
             _text_field(path, number, obj, "category") or "", term,
             _text_field(path, number, obj, "id"))


def write(path: str, examples: Sequence[TermExample], predictions: Sequence[Prediction | None] | None,
          documents: Sequence[tuple[str, int] | None] | None = None) -> str:
    out: list[str] = []
    for i, ex in enumerate(examples):
        obj: dict[str, Any] = {
            "text": ex.sentence, "start": ex.start, "end": ex.end, "term": ex.term,
            "label": ex.polarity.value if ex.polarity is not None else None,
            "category": ex.category,
        }
        if ex.sentence_id is not None:
            obj["id"] = ex.sentence_id
        document = documents[i] if documents is not None else None
        if document is not None:
            obj["document_id"], obj["document_position"] = document
        pred = predictions[i] if predictions is not None else None
        if pred is not None:
            obj["prediction"] = pred.label.value
            obj["probabilities"] = pred.as_dict()
        # ensure_ascii=False keeps the file readable UTF-8; json escapes \n so one object stays one line.
        out.append(json.dumps(obj, ensure_ascii=False) + "\n")
    return "".join(out)
