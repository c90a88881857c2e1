"""The term extractor: words and spans, exact-span scoring, annotated-data reading, and a tiny
real training run through `polarity terms train` that then evaluates, extracts and suggests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.cli import main
from core.formats import FormatError
from core.ml.terms.data import read_annotated
from core.ml.terms.spans import B, I, O, best_tags, decode_tags, normalize_spans, score_spans, tag_words, tags_to_spans, words

NBSP = "\u00a0"
# Hand-written sentences (not from any dataset), SemEval-2014 style.
SENTENCES = [
    ("The pasta was delicious and the waiter was friendly.", ["pasta", "waiter"], "positive"),
    ("The soup was cold and far too salty.", ["soup"], "negative"),
    ("Battery life is excellent on this laptop.", ["Battery life"], "positive"),
    ("The screen scratches far too easily.", ["screen"], "negative"),
    ("We went there on a Sunday.", [], None),
    ("The staff were lovely but the music was loud.", ["staff", "music"], "conflict"),
    ("The keyboard comes in grey or silver.", ["keyboard"], "neutral"),
    ("I would come back.", [], None),
    ("The dessert was stale and the coffee was bitter.", ["dessert", "coffee"], "negative"),
    ("Great prices and a lovely terrace.", ["prices", "terrace"], "positive"),
]


def semeval_xml(rows: list[tuple[str, list[str], str | None]]) -> str:
    out = ['<?xml version="1.0" encoding="UTF-8"?>', "<sentences>"]
    for n, (text, terms, label) in enumerate(rows):
        out.append(f'<sentence id="{n}"><text>{text}</text>')
        if terms:
            out.append("<aspectTerms>")
            for t in terms:
                a = text.index(t)
                out.append(f'<aspectTerm term="{t}" polarity="{label}" from="{a}" to="{a + len(t)}"/>')
            out.append("</aspectTerms>")
        out.append("</sentence>")
    out.append("</sentences>")
    return "\n".join(out) + "\n"


@pytest.fixture
def train_xml(tmp_path: Path) -> Path:
    path = tmp_path / "train.xml"
    path.write_text(semeval_xml(SENTENCES * 3), encoding="utf-8")
    return path


# -- words, spans, scoring ----------------------------------------------------------------------

def test_onnx_extractor_batches_keep_every_item_once_within_the_token_budget():
    from core.ml.terms.onnx_extractor import token_batches

    lengths = [5, 40, 12, 12, 3, 300, 12, 7]
    batches = token_batches(lengths, rows=3, tokens=40)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    assert all(len(b) <= 3 and (len(b) == 1 or len(b) * max(lengths[i] for i in b) <= 40) for b in batches)
    assert [300] in [[lengths[i] for i in b] for b in batches]  # longer than the budget alone: its own batch
    assert [lengths[i] for b in batches for i in b] == sorted(lengths)  # by length: little padding


def test_words_split_letters_from_punctuation():
    text = "Wi-Fi, and the dress code!"
    assert [text[a:b] for a, b in words(text)] == ["Wi", "-", "Fi", ",", "and", "the", "dress", "code", "!"]


def test_gold_spans_are_widened_to_whole_words_stripped_and_counted_once():
    text = f"The dress code and chicken in curry sauce{NBSP}were fine."
    cod = (4, 13)                                    # "dress cod": ends mid-word
    sauce = (text.index("chicken"), text.index("sauce") + 6)   # ends in the non-breaking space
    assert text[cod[0]:cod[1]] == "dress cod" and text[sauce[1] - 1] == NBSP
    spans = normalize_spans(text, [cod, sauce, cod])  # the XML repeats some spans
    assert [text[a:b] for a, b in spans] == ["dress code", "chicken in curry sauce"]


def test_bio_tags_round_trip_and_a_stray_inside_tag_starts_a_term():
    text = "The battery life and the screen are great"
    grid = words(text)
    spans = [(4, 16), (25, 31)]
    tags = tag_words(grid, spans)
    assert tags == [O, B, I, O, O, B, O, O]
    assert tags_to_spans(grid, tags) == spans
    assert [(a, b) for a, b, _ in decode_tags(grid, [O, I, I, O, O, O, O, B])] == [(1, 3), (7, 8)]


def _valid(tags: list[int]) -> bool:
    return all(t != I or (k > 0 and tags[k - 1] in (B, I)) for k, t in enumerate(tags))


def test_decoding_picks_the_best_valid_bio_sequence_not_each_words_argmax():
    # Word by word: O then I (a term of the second word only). Together: B I is far more likely.
    assert best_tags([[0.40, 0.35, 0.25], [0.1, 0.1, 0.8]]) == [B, I]
    assert best_tags([[0.1, 0.2, 0.7]]) == [B]  # a sentence never starts inside a term
    assert best_tags([]) == []
    # The bias towards O decides a word the tagger is unsure of: B 0.50 against O 0.45.
    assert best_tags([[0.45, 0.5, 0.05]]) == [B] and best_tags([[0.45, 0.5, 0.05]], 0.5) == [O]


def test_decoding_is_the_exhaustive_optimum_on_random_probabilities():
    import itertools
    import math
    import random

    rng = random.Random(7)
    for _ in range(200):
        n, bias = rng.randint(1, 5), rng.choice((0.0, 0.5, 1.3))
        probs = [[x / sum(row) for x in row] for row in ([rng.random() ** 3 for _ in range(3)] for _ in range(n))]

        def score(tags):
            return sum(math.log(probs[k][t] + 1e-12) + (bias if t == O else 0.0) for k, t in enumerate(tags))

        tags = best_tags(probs, bias)
        best = max((c for c in itertools.product((O, B, I), repeat=n) if _valid(list(c))), key=score)
        assert _valid(tags) and score(tags) == pytest.approx(score(best))


def test_exact_span_scoring_on_a_hand_made_case():
    gold = [[(0, 5), (10, 15)], [], [(3, 8)]]
    predicted = [[(0, 5), (10, 14)], [(1, 2)], [(3, 8)]]  # one boundary off, one spurious
    s = score_spans(gold, predicted)
    assert (s.n_terms, s.n_predicted, s.n_correct, s.n_sentences) == (3, 4, 2, 3)
    assert s.precision == pytest.approx(0.5) and s.recall == pytest.approx(2 / 3)
    assert s.f1 == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))
    assert score_spans([[]], [[]]).f1 == 0.0


# -- reading annotated sentences ----------------------------------------------------------------

def test_semeval_xml_keeps_term_free_sentences_and_conflict_terms(train_xml):
    data = read_annotated(train_xml)
    assert len(data) == 30
    assert sum(1 for s in data if not s.spans) == 6
    staff = next(s for s in data if s.text.startswith("The staff"))
    assert [staff.text[a:b] for a, b in staff.spans] == ["staff", "music"]  # conflict counts


@pytest.mark.parametrize("content, line, reason", [
    ("", None, "empty"),
    ('<sentences><sentence><text>ab</text>\n<aspectTerms><aspectTerm from="0" to="9"/></aspectTerms>'
     "</sentence></sentences>", 2, "inside the sentence"),
    ("<sentences><sentence><text>ab</text>", 1, "malformed XML"),
])
def test_bad_annotated_files_name_the_line(tmp_path, content, line, reason):
    path = tmp_path / "bad.xml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(FormatError) as err:
        read_annotated(path)
    assert err.value.line == line and reason in str(err.value)


def test_jsonl_annotated_sentences(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"text": "Nice staff here", "terms": [{"start": 5, "end": 10}]}) + "\n"
                    + json.dumps({"text": "No terms", "terms": []}) + "\n", encoding="utf-8")
    assert [s.spans for s in read_annotated(path)] == [((5, 10),), ()]
    path.write_text('{"text": "x"}\n', encoding="utf-8")
    with pytest.raises(FormatError, match="terms"):
        read_annotated(path)


# -- a tiny real run through the CLI --------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_extractor(tiny_base_model, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("ext")
    xml = folder / "train.xml"
    xml.write_text(semeval_xml(SENTENCES * 3), encoding="utf-8")
    out = folder / "model"
    code = main(["terms", "train", "--train", str(xml), "--dev", str(xml), "--out", str(out), "--base-model",
                 str(tiny_base_model), "--epochs", "4", "--lr", "5e-3", "--batch-size", "8", "--lora-rank", "4",
                 "--device", "cpu", "--json"])
    assert code == 0
    return out


@pytest.mark.slow
def test_train_reports_and_saves_a_small_extractor_folder(tiny_extractor, capsys):
    info = json.loads((tiny_extractor / "model.json").read_text())
    assert info["model_type"] == "term_extractor" and info["kind"] == "lora" and info["tags"] == ["O", "B", "I"]
    assert sorted(p.name for p in tiny_extractor.iterdir()) == ["adapter.safetensors", "head.safetensors",
                                                               "model.int8.onnx", "model.json", "model.onnx",
                                                               "tokenizer"]
    assert info["serving"]["runtime"] == "onnx"  # the merged network's export, for torch-free extraction
    assert len(info["history"]) == 4 and all(h["dev_f1"] is not None for h in info["history"])
    assert not list(tiny_extractor.parent.glob(".model.tmp-*"))  # the atomic save left no temp folder


@pytest.mark.slow
def test_evaluate_scores_what_the_loaded_model_extracts(tiny_extractor, train_xml, capsys):
    from core.ml.terms.extractor import TermExtractor

    assert main(["terms", "evaluate", "--model", str(tiny_extractor), "--data", str(train_xml), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) >= {"precision", "recall", "f1", "n_sentences", "n_terms"}
    assert (report["n_sentences"], report["n_terms"]) == (30, 36)
    model = TermExtractor.load(tiny_extractor, device="cpu")
    data = read_annotated(train_xml)
    expected = score_spans([s.spans for s in data], model.extract_spans([s.text for s in data]))
    assert report["f1"] == round(expected.f1, 4)


@pytest.mark.slow
def test_extract_writes_one_line_per_sentence_with_terms_and_polarity(tiny_extractor, tmp_path, capsys):
    from core.ml.terms.extractor import TermExtractor

    raw = tmp_path / "reviews.txt"
    raw.write_text("The pasta was delicious. The soup was cold.\nI would come back.\n", encoding="utf-8")
    out = tmp_path / "terms.jsonl"
    code = main(["terms", "extract", "--model", str(tiny_extractor), "--no-polarity", "--input", str(raw),
                 "--output", str(out), "--json"])
    assert code == 0
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [(x["text"], x["document_id"], x["position"]) for x in lines] == [
        ("The pasta was delicious.", "1", 0), ("The soup was cold.", "1", 1), ("I would come back.", "2", 0)]
    model = TermExtractor.load(tiny_extractor, device="cpu")
    for line in lines:
        assert [(t["start"], t["end"]) for t in line["terms"]] == model.extract_spans([line["text"]])[0]
        assert all(line["text"][t["start"]:t["end"]] == t["term"] and t["polarity"] is None for t in line["terms"])
    assert json.loads(capsys.readouterr().out)["sentences"] == 3


@pytest.mark.slow
def test_extract_with_a_polarity_model_gives_probabilities(tiny_extractor, tiny_base_model, small_examples, tmp_path):
    from core.ml.config import TrainConfig
    from core.ml.train import train

    cfg = TrainConfig(engine="two-phase", base_model=str(tiny_base_model), epochs=(1, 2), batch_size=8, device="cpu")
    polarity = tmp_path / "polarity"
    train(cfg, small_examples[:12], None).model.save(polarity)
    raw = tmp_path / "r.csv"
    raw.write_text("id,text\na1,The pasta was delicious and the waiter was friendly.\n", encoding="utf-8")
    out = tmp_path / "o.jsonl"
    assert main(["terms", "extract", "--model", str(tiny_extractor), "--polarity-model", str(polarity),
                 "--input", str(raw), "--output", str(out), "--id-column", "id"]) == 0
    line = json.loads(out.read_text(encoding="utf-8"))
    assert line["document_id"] == "a1"
    for t in line["terms"]:
        assert t["polarity"] in ("negative", "neutral", "positive")
        assert sum(t["probabilities"].values()) == pytest.approx(1.0, abs=1e-3)


@pytest.mark.slow
def test_project_suggest_then_summary(tiny_extractor, tmp_path, capsys):
    from core.ml.terms.extractor import TermExtractor
    from core.storage import Project

    db = tmp_path / "p.db"
    raw = tmp_path / "r.txt"
    raw.write_text("The pasta was delicious and the waiter was friendly.\nThe soup was cold.\n", encoding="utf-8")
    assert main(["project", "init", str(db), "--no-starter"]) == 0
    assert main(["project", "import", str(db), str(raw)]) == 0
    capsys.readouterr()
    assert main(["project", "suggest", str(db), "--model", str(tiny_extractor), "--no-polarity", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    model = TermExtractor.load(tiny_extractor, device="cpu")
    with Project.open(db) as p:
        texts = [s.text for s in p.page()]
        expected = sum(len(x) for x in model.extract_spans(texts))
        assert report["added"] == expected == p.suggestion_counts()["open"] and report["sentences"] == 2
    assert main(["project", "suggest", str(db), "--model", str(tiny_extractor), "--no-polarity", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["added"] == 0  # running it again adds nothing
    assert main(["project", "summary", str(db), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert sum(r["mentions"] for r in rows) == expected and all(r["suggested"] == r["mentions"] for r in rows)
    assert all(set(r) >= {"term", "mentions", "negative", "neutral", "positive", "labeled"} for r in rows)


def test_a_polarity_model_folder_is_no_extractor(tmp_path):
    from core.ml.terms.extractor import TermExtractor
    from core.paths import starter_model_dir
    from core.serve.info import ModelLoadError

    with pytest.raises(ModelLoadError, match="not a term extractor"):
        TermExtractor.load(starter_model_dir(), device="cpu")
    assert main(["terms", "evaluate", "--model", str(tmp_path / "none"), "--data", str(tmp_path / "x.xml")]) == 2
