"""Fully annotated sentences for the term extractor: every term marked, none-term sentences too.

Read from SemEval XML (2014 ``aspectTerm`` or 2016 ``Opinion``; ``conflict`` terms count as
terms, sentences without terms are kept) or from JSONL lines ``{"text", "terms": [{"start",
"end"}, ...]}`` (what ``polarity terms extract`` writes). Spans are normalized onto word
boundaries and each is kept once (see ``spans``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from xml.parsers import expat

from core.formats._common import decode_text, parse_offset, read_bytes, split_lines, strip_bom
from core.formats.errors import FormatError
from core.formats.xml_semeval import check_declared_encoding
from core.ml.terms.spans import Span, normalize_spans, validate_raw_span


@dataclass(frozen=True)
class AnnotatedSentence:
    text: str
    spans: tuple[Span, ...]  # normalized, sorted, each once
    sentence_id: str | None = None


def read_annotated(path: str | os.PathLike[str]) -> list[AnnotatedSentence]:
    """Every sentence of an XML or JSONL file; FormatError(path, line, reason) on bad input."""
    where = os.fspath(path)
    data = read_bytes(where)
    if not strip_bom(data).strip():
        raise FormatError(where, None, "file is empty")
    ext = os.path.splitext(where)[1].lower()
    if ext == ".xml":
        out = _read_xml(where, data)
    elif ext in (".jsonl", ".json"):
        out = _read_jsonl(where, data)
    else:
        raise FormatError(where, None, f"term training data must be SemEval .xml or .jsonl, not {ext or '(none)'!r}")
    if not out:
        raise FormatError(where, None, "no sentences found")
    return out


def _read_xml(path: str, data: bytes) -> list[AnnotatedSentence]:
    check_declared_encoding(path, data)
    parser = expat.ParserCreate()
    parser.buffer_text = True
    out: list[AnnotatedSentence] = []
    state: dict = {"in_text": False, "text": None, "parts": [], "spans": [], "id": None, "line": 0}

    def start(tag: str, attrs: dict[str, str]) -> None:
        line = parser.CurrentLineNumber
        if tag == "sentence":
            state.update(text=None, spans=[], id=attrs.get("id"), line=line)
        elif tag == "text":
            state.update(in_text=True, parts=[])
        elif tag in ("aspectTerm", "Opinion"):
            if "from" not in attrs or "to" not in attrs:
                raise FormatError(path, line, f"<{tag}> lacks 'from' or 'to'")
            if tag == "Opinion" and (attrs.get("target") in (None, "NULL") or (attrs["from"], attrs["to"]) == ("0", "0")):
                return  # an opinion about the sentence, not about a term
            span = (parse_offset(path, line, "'from'", attrs["from"]), parse_offset(path, line, "'to'", attrs["to"]))
            state["spans"].append((line, span))

    def end(tag: str) -> None:
        if tag == "text" and state["in_text"]:
            state.update(text="".join(state["parts"]), in_text=False)
        elif tag == "sentence":
            _finish_xml_sentence(path, state, out)

    def chars(text: str) -> None:
        if state["in_text"]:
            state["parts"].append(text)

    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, chars
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise FormatError(path, exc.lineno, f"malformed XML: {expat.ErrorString(exc.code)}") from None
    return out


def _finish_xml_sentence(path: str, state: dict, out: list[AnnotatedSentence]) -> None:
    text = state["text"]
    if text is None or not text.strip():
        if state["spans"]:
            raise FormatError(path, state["line"], "<sentence> has terms but no <text>")
        return
    for line, span in state["spans"]:
        why = validate_raw_span(text, span)
        if why:
            raise FormatError(path, line, why)
    out.append(AnnotatedSentence(text, normalize_spans(text, [s for _, s in state["spans"]]), state["id"]))


def _read_jsonl(path: str, data: bytes) -> list[AnnotatedSentence]:
    out: list[AnnotatedSentence] = []
    for number, line in enumerate(split_lines(decode_text(path, data)), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise FormatError(path, number, f"not JSON: {exc.msg}") from None
        text, terms = (row.get("text"), row.get("terms")) if isinstance(row, dict) else (None, None)
        if not isinstance(text, str) or not isinstance(terms, list):
            raise FormatError(path, number, 'each line needs "text" (a string) and "terms" (a list)')
        spans = [_json_span(path, number, text, t) for t in terms]
        out.append(AnnotatedSentence(text, normalize_spans(text, spans), _str_or_none(row.get("document_id"))))
    return out


def _json_span(path: str, line: int, text: str, term: object) -> Span:
    if not isinstance(term, dict) or not isinstance(term.get("start"), int) or not isinstance(term.get("end"), int):
        raise FormatError(path, line, 'each term needs integer "start" and "end"')
    span = (term["start"], term["end"])
    why = validate_raw_span(text, span)
    if why:
        raise FormatError(path, line, why)
    return span


def _str_or_none(value: object) -> str | None:
    return None if value is None else str(value)
