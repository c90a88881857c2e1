"""Raw text readers: every input shape, the column choice, bad rows, a missing column, an empty
file, undecodable bytes; sentence splitting with pysbd; the preview an import dialog shows."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from core.formats import FormatError
from core.formats import sentences
from core.formats.raw import is_raw, preview, read_raw


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def xlsx(tmp_path: Path, rows: list[list[object]], name: str = "book.xlsx") -> Path:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    path = tmp_path / name
    book.save(path)
    return path


def texts(result) -> list[tuple[str, str, int, int]]:
    return [(s.text, s.document_id, s.position, s.line) for s in result.sentences]


def test_txt_is_one_text_a_line_split_into_sentences(tmp_path: Path) -> None:
    path = write(tmp_path, "r.txt", "The soup was cold. The staff were lovely!\r\n\n  Nice view.  \n")
    result = read_raw(path)
    assert texts(result) == [("The soup was cold.", "1", 0, 1), ("The staff were lovely!", "1", 1, 1),
                             ("Nice view.", "3", 0, 3)]
    assert (result.documents, result.format) == (2, "txt")
    assert [s.text for s in read_raw(path, split=False).sentences] == [
        "The soup was cold. The staff were lovely!", "Nice view."]


def test_csv_with_a_chosen_text_column_and_an_id_column(tmp_path: Path) -> None:
    path = write(tmp_path, "s.csv", 'id,answer,score\nr1,"Loved it. Will return, maybe.",5\nr2,,3\n'
                                    'r3,"He said ""fine"".",1\n')
    result = read_raw(path, text_column="Answer", id_column="id")  # names match case-insensitively
    assert texts(result) == [("Loved it.", "r1", 0, 2), ("Will return, maybe.", "r1", 1, 2),
                             ('He said "fine".', "r3", 0, 4)]
    assert result.skipped_empty == 1 and result.text_column == "answer"


def test_tsv_with_header_semicolon_csv_and_a_default_text_column(tmp_path: Path) -> None:
    tsv = write(tmp_path, "t.tsv", "ticket\tbody\n7\tPrinter is broken. Please help.\n")
    assert texts(read_raw(tsv, id_column="ticket")) == [("Printer is broken.", "7", 0, 2),
                                                        ("Please help.", "7", 1, 2)]
    semi = write(tmp_path, "s.csv", "review;stars\nGreat pasta;5\n")
    assert texts(read_raw(semi)) == [("Great pasta", "2", 0, 2)]


def test_jsonl_and_xlsx(tmp_path: Path) -> None:
    jsonl = write(tmp_path, "r.jsonl", '{"id": 12, "text": "Cold soup. Warm beer."}\n\n{"id": 13, "text": "ok"}\n')
    assert texts(read_raw(jsonl, id_column="id")) == [("Cold soup.", "12", 0, 1), ("Warm beer.", "12", 1, 1),
                                                      ("ok", "13", 0, 3)]
    book = xlsx(tmp_path, [["Ticket", "Body"], [17, "Printer broken. Help!"], [18, None], [19.0, 42]])
    assert texts(read_raw(book, text_column="body", id_column="Ticket")) == [
        ("Printer broken.", "17", 0, 2), ("Help!", "17", 1, 2), ("42", "19", 0, 4)]


@pytest.mark.parametrize(("name", "content", "kwargs", "line", "reason"), [
    ("m.csv", "id,body,x\n1,hello\n", {"text_column": "body"}, 2, "expected 3 columns"),
    ("m.csv", "id,body\n1,hello\n", {"text_column": "answer"}, 1, "no text column 'answer' (columns: id, body)"),
    ("m.csv", "id,notes\n1,hello\n", {}, 1, "which column holds the text"),
    ("m.csv", "id,text\n1,hello\n", {"id_column": "doc"}, 1, "no id column 'doc'"),
    ("m.csv", "id,text\n1,hello\n1,again\n", {"id_column": "id"}, 3, "document id '1' is also on line 2"),
    ("m.csv", "id,text\n,hello\n", {"id_column": "id"}, 2, "empty document id"),
    ("m.csv", 'text\n"unclosed\n', {}, 2, "malformed CSV"),
    ("m.jsonl", '{"text": "a"}\n{"text": oops}\n', {}, 2, "malformed JSON"),
    ("m.jsonl", '{"text": "a"}\n[1]\n', {}, 2, "expected a JSON object"),
    ("m.jsonl", '{"text": {"a": 1}}\n', {}, 1, "must be a string or a number"),
    ("m.jsonl", "[" * 100000 + "\n", {}, 1, "nested too deeply"),
    ("m.txt", b"fine\nbad \xff byte\n", {}, 2, "not valid UTF-8"),
    ("m.txt", "", {}, None, "file is empty"),
    ("m.txt", "\n  \n", {}, None, "file is empty"),
    ("m.csv", "id,text\n1,\n", {}, None, "no examples found: no text (1 empty rows)"),
    ("m.xlsx", b"PK\x03\x04 not a zip", {}, None, "not a readable .xlsx workbook"),
    ("m.doc", "text", {}, None, "cannot read raw text from '.doc'"),
])
def test_bad_input_names_file_line_and_reason(tmp_path: Path, name: str, content: str | bytes, kwargs: dict,
                                              line: int | None, reason: str) -> None:
    path = write(tmp_path, name, content)
    with pytest.raises(FormatError) as info:
        read_raw(path, **kwargs)
    assert (info.value.path, info.value.line) == (str(path), line) and reason in info.value.reason, str(info.value)


def test_missing_file_and_empty_sheet(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="does not exist"):
        read_raw(tmp_path / "none.txt")
    with pytest.raises(FormatError, match="file is empty"):
        read_raw(xlsx(tmp_path, []))


def pysbd_sentences(text: str) -> list[str]:
    """What pysbd's own ``segment`` gives, stripped, with a piece that has no letter or digit
    (pysbd makes '"' or '!!' a sentence of its own) joined to the one before, as ``split`` does."""
    out: list[str] = []
    for piece in (p.strip() for p in sentences._segmenter().segment(text)):
        if piece and out and not any(ch.isalnum() for ch in piece):
            out[-1] = text[text.index(out[-1]):text.index(piece, text.index(out[-1]) + len(out[-1])) + len(piece)]
        elif piece:
            out.append(piece)
    return out


@pytest.mark.parametrize("text", [
    "The food was great. But the staff were rude! Would I go back? No.",
    "Dr. Smith recommended it, e.g. the soup. It was fine.",
    "Price: high; value: low", "Great food", "Great food!!!", "Wait... what?", "One\nTwo", "(see above) ok",
    "  padded sentence.  ", "Ends with a quote.\"", "3.5 stars for the 2.0 version",
])
def test_split_spans_point_into_the_text_and_agree_with_pysbd(text: str) -> None:
    spans = sentences.split(text)
    pieces = [text[a:b] for a, b in spans]
    assert all(p == p.strip() and p for p in pieces)
    assert pieces == pysbd_sentences(text)  # neither the shortcut nor str.find changes pysbd's answer


def test_split_of_a_long_ticket_and_of_blank_text() -> None:
    ticket = "Hi team. My laptop won't boot since the update! I tried safe mode. Nothing works. Thanks, Ana"
    assert len(sentences.split(ticket)) == 5
    assert sentences.split("   ") == [] and sentences.split("") == []
    assert not sentences.needs_segmenter("A single review without a stop") and sentences.needs_segmenter("A. B")


def test_the_splitter_keeps_pysbds_abbreviation_patterns_in_the_regex_cache() -> None:
    import re

    sentences.split("Dr. Smith came at 5 p.m. and left. Mr. Jones stayed.")
    assert re._MAXCACHE >= sentences._RE_CACHE  # pysbd's ~600 patterns would thrash the default 512


def test_is_raw_tells_raw_text_from_labeled_files(tmp_path: Path) -> None:
    assert is_raw(write(tmp_path, "a.txt", "x\n")) and is_raw(write(tmp_path, "a.xlsx", b""))
    assert is_raw(write(tmp_path, "b.csv", "id,answer\n1,x\n"))
    assert not is_raw(write(tmp_path, "c.csv", "text,term,label\nNice soup,soup,positive\n"))
    assert not is_raw(write(tmp_path, "d.csv", "positive\tFOOD\tsoup\t5:9\tNice soup\n"))  # the seed format
    assert is_raw(write(tmp_path, "e.tsv", "id\tbody\n1\tx\n"))
    assert not is_raw(write(tmp_path, "f.tsv", "positive\tFOOD\tsoup\t5:9\tNice soup\n"))
    assert is_raw(write(tmp_path, "g.jsonl", '{"text": "x"}\n'))
    assert not is_raw(write(tmp_path, "h.jsonl", '{"text": "x y", "term": "y"}\n'))
    assert is_raw(tmp_path / "c.csv", text_column="text")  # a chosen column means raw text
    assert not is_raw(write(tmp_path, "i.xml", "<sentences/>"))


def test_preview_gives_columns_first_rows_and_the_columns_it_would_pick(tmp_path: Path) -> None:
    path = write(tmp_path, "p.csv", "ID,Comment,Stars\n" + "".join(f"{i},Text {i}.,{i % 5}\n" for i in range(50)))
    p = preview(path, n=3)
    assert (p.format, p.columns, p.text_column, p.id_column) == ("csv", ["ID", "Comment", "Stars"], "Comment", "ID")
    assert p.rows == [["0", "Text 0.", "0"], ["1", "Text 1.", "1"], ["2", "Text 2.", "2"]]
    unknown = preview(write(tmp_path, "q.csv", "a,b\n1,2\n"))
    assert unknown.text_column is None and unknown.notes == ["choose the text column"]
    book = preview(xlsx(tmp_path, [["Body"], ["Hello there."]]))
    assert (book.columns, book.rows, book.text_column) == (["Body"], [["Hello there."]], "Body")


@settings(max_examples=150, deadline=None, database=None)
@given(st.text(alphabet=st.sampled_from(list("ab A.!?,;:)(\"'\n\t…-19")), max_size=40))
def test_the_shortcut_past_pysbd_never_changes_a_split(text: str) -> None:
    if not sentences.needs_segmenter(text):
        assert [text[a:b] for a, b in sentences.split(text)] == (pysbd_sentences(text) if text.strip() else [])


ABBREVIATION_BITS = ["Dr", "dr", "st", "St", "no", "No", "e.g", "i.e", "U.S", "vs", "etc", "Mr", "approx", "a", "p.m",
                     "best", "5", " ", "  ", ".", ". ", "!", "?", ",", ":", "\n", "(", ")", "'s", "\"", "The", "I",
                     "\u0130", "\u0131", "\u017f", "\u212a", "caf\u00e9", "\u2019"]


@settings(max_examples=400, deadline=None, database=None)
@given(st.lists(st.sampled_from(ABBREVIATION_BITS), max_size=25).map("".join))
def test_the_cheaper_abbreviation_pass_gives_pysbds_own_sentences(text: str) -> None:
    # core.formats.segmenter hands pysbd only the abbreviations that can change a line.
    assert sentences._pieces(text) == (sentences._segmenter().processor(text).process() if text else [])


@pytest.mark.parametrize("text", [
    "Dr. Smith and St. Mark's no. 5 were there. Approx. 3 p.m. it rained, e.g. at the U.S. border.",
    "Best. Worst. Most dr.  Dr.\nNo. 7 vs. no 8", "The \u017ft. food was great. Then we left.",
    "Ask for \u212aen. He knows. \u0130t was fine.",
])
def test_the_cheaper_abbreviation_pass_on_hand_cases(text: str) -> None:
    assert sentences._pieces(text) == sentences._segmenter().processor(text).process()


LIST_BITS = ["1", "2", "3", "9", "10", "0", "a", "b", "c", "i", "ii", "iii", "iv", "v", "x", "A", "B", "I", "II",
             ".", ". ", ")", "(", " ", "\n", "-", "\u2043", "for ", "\u2668", "\u261d", "Good", "bad", "\u0663"]


@settings(max_examples=400, deadline=None, database=None)
@given(st.lists(st.sampled_from(LIST_BITS), max_size=30).map("".join))
def test_skipping_list_passes_without_their_trigger_gives_pysbds_own_sentences(text: str) -> None:
    # core.formats.segmenter skips a list sub-pass when the text lacks what its first regex finds.
    assert sentences._pieces(text) == (sentences._segmenter().processor(text).process() if text else [])


@pytest.mark.parametrize("text", [
    "Pros: 1. fast 2. cheap 3. quiet. Cons: none.", "a. the food b. the staff c. the view. Fine.",
    "Options (a) soup (b) salad. i) cheap ii) cool iii) calm.", "We got 1) bread 2) wine. Then 3) dessert.",
    "Rated 4. Then 5. Not \u2668 or \u261d here.", "(ii) Next. (iii) Then. No list 7 here.",
])
def test_list_passes_on_hand_cases(text: str) -> None:
    assert sentences._pieces(text) == sentences._segmenter().processor(text).process()


PUNCTUATION_BITS = ["Good", "food", "I", "it", " ", ".", "!", "?", "...", "!!!", "?!", "'", "\"", "\u2018", "\u2019",
                    "\u201c", "\u201d", "\u00ab", "\u00bb", "(", ")", "[", "]", "--", "3", "12", "\u00b0", ".jpg ",
                    "a.b", "Yahoo!", "\n", "\u2209", "\u222f", "&\u1574&", "\u0238", "\u266c", "\u2609", "\u2026",
                    ".'s ", "Co. KG", "p.m. ", "A.M. ", "P.M.", "\u00b0. 5", "....", " . . . ", "U.S. ", "\u01c3Kung",
                    "The", " A ", "a. b. c. d.", "X. ", "Mr. "]


@settings(max_examples=500, deadline=None, database=None)
@given(st.lists(st.sampled_from(PUNCTUATION_BITS), max_size=30).map("".join))
def test_skipping_rules_without_their_text_gives_pysbds_own_sentences(text: str) -> None:
    # core.formats.segmenter skips plain-text rules, number rules and quote passes that cannot
    # apply; the input may hold pysbd's own placeholder marks too.
    assert sentences._pieces(text) == (sentences._segmenter().processor(text).process() if text else [])


@pytest.mark.parametrize("text", [  # each where a skipped rule does apply
    "Wait.... The end.", "Hmm.... Then it. . . . Ok", "So . . . The end. Go... Now.", "It was a.m. The end.",
    "Meet at 5 P.M. Then A.M. Then p.m. The end.", "Ask Co. KG. Then the U.S. The end.", "Bob's dog.'s Then.",
    "I. The list. Lat N°. 5 miles", "Yahoo! is a site. Y!J too!", "The \u01c3Kung. people. They left.", "He said \"Hi.\" (It. Was.) Ok.",
    "What?' she asked. No!' Yes! no. Stop!, he said", "(iv) The end. Tab\tthen\nnew line.", "Done!!! Really???",
])
def test_skipped_rules_on_hand_cases(text: str) -> None:
    assert sentences._pieces(text) == sentences._segmenter().processor(text).process()


def test_split_many_on_worker_processes_gives_what_one_process_gives(monkeypatch) -> None:
    texts = ["Cold soup. Warm beer!", "Great view", "", "Dr. Smith came. He left.", "Wait... what? Fine."] * 3
    serial = [sentences.split(t) for t in texts]
    monkeypatch.setattr(sentences, "PARALLEL_FROM", 2)
    monkeypatch.setattr(sentences, "_CHUNK", 4)
    monkeypatch.setattr(sentences, "_workers", lambda: 2)
    assert sentences.split_many(texts) == serial


def test_preview_of_a_large_file_reads_only_its_head(tmp_path: Path, monkeypatch) -> None:
    import core.formats.raw as raw

    monkeypatch.setattr(raw, "PREVIEW_BYTES", 50)  # cuts inside the quoted record 3
    path = write(tmp_path, "big.csv", 'id,text\n1,"first"\n2,"second"\n3,"a long quoted\ntext cut"\n' + "4,x\n" * 50)
    p = preview(path, n=20)
    assert p.rows == [["1", "first"], ["2", "second"]]  # the record cut at byte 50 is left out, not an error
    bad = write(tmp_path, "bad.csv", 'id,text\n1,"unclosed\n' + "2,x\n" * 50)
    with pytest.raises(FormatError, match="malformed CSV"):
        preview(bad)
    with pytest.raises(FormatError, match="does not exist"):
        preview(tmp_path / "none.txt")


def test_a_piece_without_letters_joins_the_sentence_before_it() -> None:
    text = "They never brought a check! The grilled cheese at home was better.!!"
    assert [text[a:b] for a, b in sentences.split(text)] == [
        "They never brought a check!", "The grilled cheese at home was better.!!"]


def test_a_split_stream_yields_in_order_and_can_stop_early(monkeypatch) -> None:
    texts = ["Cold soup. Warm beer!", "Great view", "Dr. Smith came. He left.", "Wait... what? Fine."] * 4
    monkeypatch.setattr(sentences, "PARALLEL_FROM", 2)
    monkeypatch.setattr(sentences, "_CHUNK", 2)
    monkeypatch.setattr(sentences, "_workers", lambda: 2)
    stream = sentences.split_stream(texts)
    assert next(stream) == sentences.split(texts[0])
    stream.close()  # a failed store stops the stream: the workers are let go, not waited for
    assert list(sentences.split_stream(texts)) == [sentences.split(t) for t in texts]
