"""SemEval XML: 2014 (``<sentence><text/><aspectTerms><aspectTerm term polarity from to/>``)
and 2016 (``<Reviews><Review><sentences><sentence><text/><Opinions><Opinion target category
polarity from to/>``).

Read with expat, streaming, because it tells the line of every element: errors can then
point at the ``<aspectTerm>`` or ``<Opinion>`` that is wrong, not just at the file.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Sequence
from dataclasses import dataclass
from xml.parsers import expat

from core.domain import Polarity, Prediction, TermExample
from core.formats._common import Collector, parse_offset, strip_bom
from core.formats.errors import FormatError


@dataclass(frozen=True)
class _Dialect:
    root: str       # the document element
    term_tag: str   # the element holding one term
    term_attr: str  # its attribute with the term text


SEMEVAL14 = _Dialect("sentences", "aspectTerm", "term")
SEMEVAL16 = _Dialect("Reviews", "Opinion", "target")
DIALECTS = {"semeval14": SEMEVAL14, "semeval16": SEMEVAL16}

# Characters XML 1.0 cannot hold at all, not even as character references.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


# The declaration's encoding name, read from the bytes (it is ASCII in every encoding expat
# reads without a BOM; with a UTF-16 BOM expat decodes the file itself).
_DECLARED = re.compile(rb"""^<\?xml[^>]*?\sencoding\s*=\s*(["'])([^"'>]*)\1""")
# Names expat decodes itself (compared case-insensitively, as expat does); any other name is
# handed to Python's codec, which must map each of the 256 byte values to one character
# (pyexpat's own rule: it refuses multi-byte codecs).
_NATIVE = {"UTF-8", "UTF-16", "UTF-16BE", "UTF-16LE", "ISO-8859-1", "US-ASCII"}


def check_declared_encoding(path: str, data: bytes) -> None:
    """An encoding named by the XML declaration that expat cannot use is a FormatError on line 1
    (pyexpat would raise LookupError, ValueError or UnicodeError from deep inside the parser)."""
    match = _DECLARED.match(strip_bom(data))
    if match is None:
        return
    name = match[2].decode("ascii", errors="replace")
    why = _encoding_problem(name)
    if why is not None:
        shown = name if len(name) <= 40 else name[:40] + "..."
        raise FormatError(path, 1, f"the XML declaration names the encoding {shown!r}, which {why}")


def _encoding_problem(name: str) -> str | None:
    if not name.strip() or name.upper() in _NATIVE:
        return None  # expat decodes it, or reports the malformed declaration itself
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return "is not a known encoding"
    if not getattr(info, "_is_text_encoding", True):
        return "is not a text encoding"
    try:
        decoded = bytes(range(256)).decode(name, "replace")
    except (UnicodeError, ValueError, TypeError, LookupError):
        decoded = ""
    return None if len(decoded) == 256 else "is not supported (only single-byte encodings, UTF-8 and UTF-16)"


def looks_like_semeval16(head: bytes) -> bool:
    return b"<Reviews" in head or b"<Opinion" in head


class _Reader:
    """Expat callbacks: gathers one sentence at a time, hands its terms to the Collector."""

    def __init__(self, path: str, rows: Collector, dialect: _Dialect) -> None:
        self.path, self.rows, self.dialect = path, rows, dialect
        self.parser = expat.ParserCreate()
        self.parser.buffer_text = True  # one callback per text run, not one per chunk
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.parser.CharacterDataHandler = self.chars
        self.seen_root = False
        self.in_sentence = self.in_text = False
        self.sentence_id: str | None = None
        self.sentence_line = 0
        self.text: str | None = None
        self.parts: list[str] = []
        self.terms: list[tuple[int, dict[str, str]]] = []

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        line = self.parser.CurrentLineNumber
        if not self.seen_root:
            self.seen_root = True
            if tag != self.dialect.root:
                other = "semeval16" if self.dialect is SEMEVAL14 else "semeval14"
                raise FormatError(self.path, line, f"expected the root element <{self.dialect.root}>, "
                                  f"found <{tag}> (is this {other}?)")
        if tag == "sentence":
            self.in_sentence, self.sentence_id, self.sentence_line = True, attrs.get("id"), line
            self.text, self.terms = None, []
        elif tag == "text" and self.in_sentence:
            self.in_text, self.parts = True, []
        elif tag == self.dialect.term_tag:
            if not self.in_sentence:
                raise FormatError(self.path, line, f"<{tag}> outside a <sentence>")
            self.terms.append((line, attrs))

    def end(self, tag: str) -> None:
        if tag == "text" and self.in_text:
            self.text, self.in_text = "".join(self.parts), False
        elif tag == "sentence":
            self.in_sentence = False
            self.flush()

    def chars(self, data: str) -> None:
        if self.in_text:
            self.parts.append(data)

    def flush(self) -> None:
        """Validate and keep the terms of the sentence that just ended."""
        if not self.terms:
            # Without terms a sentence is no example; an import keeps it, as raw text to label.
            if self.rows.keep_bare and self.text is not None and self.text.strip():
                self.rows.bare.append((self.sentence_line, self.sentence_id, self.text))
            return
        if self.text is None:
            raise FormatError(self.path, self.sentence_line, "<sentence> has terms but no <text>")
        for line, attrs in self.terms:
            self.term(line, attrs)

    def term(self, line: int, attrs: dict[str, str]) -> None:
        assert self.text is not None
        tag, term = self.dialect.term_tag, attrs.get(self.dialect.term_attr)
        if self.dialect is SEMEVAL16 and (term is None or term == "NULL"
                                          or (attrs.get("from"), attrs.get("to")) == ("0", "0")):
            self.rows.skipped_no_target += 1  # an opinion about the sentence, not about a term
            return
        for key in ("from", "to"):
            if key not in attrs:
                raise FormatError(self.path, line, f"<{tag}> lacks the attribute {key!r}")
        start = parse_offset(self.path, line, "'from'", attrs["from"])
        end = parse_offset(self.path, line, "'to'", attrs["to"])
        self.rows.add(line, self.text, start, end, attrs.get("polarity"),
                      attrs.get("category", ""), term, self.sentence_id)


def read(path: str, data: bytes, rows: Collector, fmt: str) -> None:
    if not strip_bom(data).strip():
        raise FormatError(path, None, "file is empty")
    check_declared_encoding(path, data)
    reader = _Reader(path, rows, DIALECTS[fmt])
    try:
        reader.parser.Parse(data, True)  # bytes: expat honours the BOM and the declared encoding
    except expat.ExpatError as exc:
        raise FormatError(path, exc.lineno, f"malformed XML: {expat.ErrorString(exc.code)} "
                          f"(column {exc.offset + 1})") from None
    except (LookupError, UnicodeError) as exc:  # a codec that passed the check, yet fails mid-file
        raise FormatError(path, reader.parser.CurrentLineNumber, f"cannot decode the XML: {exc}") from None


# -- writing ----------------------------------------------------------------------------

def _text(value: str) -> str:
    # A raw CR would be turned into LF by any XML parser, shifting no offset but changing
    # the sentence: keep it as a character reference.
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _attr(value: str) -> str:
    # Parsers turn raw tabs and line breaks in attributes into spaces: write references.
    escaped = _text(value).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")
    return f'"{escaped}"'


def _group(path: str, examples: Sequence[TermExample], labels: Sequence[Polarity | None]
           ) -> dict[tuple[str | None, str], list[tuple[TermExample, Polarity | None]]]:
    """Examples grouped by sentence (id and text), in first-seen order."""
    groups: dict[tuple[str | None, str], list[tuple[TermExample, Polarity | None]]] = {}
    for i, (ex, label) in enumerate(zip(examples, labels), 1):
        if _NOT_XML.search(ex.sentence) or _NOT_XML.search(ex.category) or _NOT_XML.search(ex.sentence_id or ""):
            raise FormatError(path, None, f"example {i} holds a control character XML cannot represent")
        groups.setdefault((ex.sentence_id, ex.sentence), []).append((ex, label))
    return groups


def _term_element(dialect: _Dialect, ex: TermExample, label: Polarity | None) -> str:
    attrs = [f"{dialect.term_attr}={_attr(ex.term)}"]
    if dialect is SEMEVAL16 and ex.category:
        attrs.append(f"category={_attr(ex.category)}")
    if label is not None:
        attrs.append(f"polarity={_attr(label.value)}")
    attrs.append(f'from="{ex.start}" to="{ex.end}"')
    return f"<{dialect.term_tag} {' '.join(attrs)}/>"


def _sentence(dialect: _Dialect, key: tuple[str | None, str],
              terms: list[tuple[TermExample, Polarity | None]], indent: str) -> list[str]:
    sentence_id, text = key
    id_attr = f" id={_attr(sentence_id)}" if sentence_id is not None else ""  # omitted: reads back as None
    wrapper = "aspectTerms" if dialect is SEMEVAL14 else "Opinions"
    lines = [f"{indent}<sentence{id_attr}>", f"{indent}    <text>{_text(text)}</text>",
             f"{indent}    <{wrapper}>"]
    lines += [f"{indent}        {_term_element(dialect, ex, label)}" for ex, label in terms]
    lines += [f"{indent}    </{wrapper}>", f"{indent}</sentence>"]
    return lines


def _review_id(sentence_id: str | None) -> str | None:
    """SemEval-2016 sentence ids are ``rid:n``: the review is the part before the colon."""
    return sentence_id.split(":", 1)[0] if sentence_id and ":" in sentence_id else None


def _reviews(groups: dict[tuple[str | None, str], list[tuple[TermExample, Polarity | None]]]
             ) -> list[str]:
    """SemEval-2016 body: runs of consecutive sentences of one review share a <Review>."""
    runs: list[tuple[str | None, list[str]]] = []
    for key, terms in groups.items():
        rid = _review_id(key[0])
        if not runs or runs[-1][0] != rid:
            runs.append((rid, []))
        runs[-1][1].extend(_sentence(SEMEVAL16, key, terms, "            "))
    lines: list[str] = []
    for rid, body in runs:
        rid_attr = f" rid={_attr(rid)}" if rid is not None else ""
        lines += [f"    <Review{rid_attr}>", "        <sentences>", *body, "        </sentences>", "    </Review>"]
    return lines


def write(path: str, examples: Sequence[TermExample],
          predictions: Sequence[Prediction | None] | None, fmt: str) -> str:
    """The document's text. A prediction, when given, is written as the term's polarity."""
    dialect = DIALECTS[fmt]
    labels = [p.label if p is not None else ex.polarity
              for ex, p in zip(examples, predictions or [None] * len(examples))]
    groups = _group(path, examples, labels)
    lines = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>', f"<{dialect.root}>"]
    if dialect is SEMEVAL14:
        for key, terms in groups.items():
            lines += _sentence(dialect, key, terms, "    ")
    else:
        lines += _reviews(groups)
    lines.append(f"</{dialect.root}>")
    return "\n".join(lines) + "\n"
