"""Agreement between annotators: the kappa and alpha functions against hand-computed and published
values, then two authors labeling through the store (SQLite and PostgreSQL) and `agreement --json`."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core.cli import main
from core.domain import Polarity, TermExample
from core.storage import Project, SentenceFilter
from core.storage.agreement import agreement_report, coincidences, cohen_kappa, confusion, krippendorff_alpha

NEG, NEU, POS = 0, 1, 2


def kappa(a: list[int], b: list[int]) -> float | None:
    return cohen_kappa(confusion(a, b))


def test_perfect_agreement_is_one():
    assert kappa([NEG, POS, NEU, POS], [NEG, POS, NEU, POS]) == pytest.approx(1.0)
    assert krippendorff_alpha(coincidences([[NEG, NEG], [POS, POS, POS], [NEU, NEU]])) == pytest.approx(1.0)


def test_chance_agreement_is_zero():
    # p_o = 2/4; each annotator says pos half the time, so p_e = 0.5 * 0.5 + 0.5 * 0.5 = 0.5.
    assert kappa([POS, POS, NEG, NEG], [POS, NEG, POS, NEG]) == pytest.approx(0.0)


def test_a_label_one_annotator_never_uses():
    # Confusion (rows a, columns b; neg, neu, pos): [[2,0,0],[0,0,1],[1,0,2]]: b never says neutral.
    # p_o = 4/6; p_e = (2*3 + 1*0 + 3*3) / 36 = 15/36; kappa = (24/36 - 15/36) / (21/36) = 3/7.
    a = [POS, POS, POS, NEG, NEG, NEU]
    b = [POS, POS, NEG, NEG, NEG, POS]
    assert confusion(a, b).tolist() == [[2, 0, 0], [0, 0, 1], [1, 0, 2]]
    assert kappa(a, b) == pytest.approx(3 / 7)


def test_the_textbook_two_by_two_case():
    # 50 items: both yes 20, a yes / b no 5, a no / b yes 10, both no 15: p_o 0.7, p_e 0.5, kappa 0.4.
    assert cohen_kappa(np.array([[20, 5], [10, 15]])) == pytest.approx(0.4)


def test_alpha_by_hand_and_krippendorff_s_published_example():
    # Units (pos,pos), (neg,neg), (pos,neg): o_pp = o_nn = 2, o_pn = o_np = 1; n_p = n_n = 3, n = 6.
    # alpha = 1 - (n - 1) * 2 / (2 * 3 * 3) = 4/9.
    assert krippendorff_alpha(coincidences([[POS, POS], [NEG, NEG], [POS, NEG]])) == pytest.approx(4 / 9)
    # Krippendorff (2011), "Computing Krippendorff's alpha-reliability": 4 observers, 12 units,
    # values 1-5 with missing ratings; nominal alpha = 0.743.
    rows = [[1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None], [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
            [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None], [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None]]
    units = [[r[i] - 1 for r in rows if r[i] is not None] for i in range(12)]
    assert krippendorff_alpha(coincidences(units, k=5)) == pytest.approx(0.743, abs=5e-4)


def test_undefined_coefficients_are_none():
    assert kappa([POS, POS], [POS, POS]) is None  # one category only: p_e = 1
    assert cohen_kappa(np.zeros((3, 3))) is None
    assert krippendorff_alpha(coincidences([[POS, POS], [POS, POS]])) is None
    assert krippendorff_alpha(coincidences([[POS]])) is None  # a unit with one rating pairs with nothing


def test_the_report_pairs_every_two_annotators_over_their_shared_terms():
    report = agreement_report({"anna": {1: POS, 2: NEG, 3: NEU}, "bob": {1: POS, 2: POS}, "carl": {3: NEU, 4: NEG}})
    d = report.as_dict()
    assert [(p["a"], p["b"], p["n"]) for p in d["pairs"]] == [("anna", "bob", 2), ("anna", "carl", 1),
                                                              ("bob", "carl", 0)]
    assert d["pairs"][0]["agreement"] == 0.5 and d["pairs"][2]["kappa"] is None
    assert d["overall"]["n"] == 3  # terms 1, 2, 3 have two annotators; term 4 one
    assert d["per_label"]["neutral"] == {"n": 2, "agreement": 1.0, "by_author": {"anna": 1, "bob": 0, "carl": 1}}
    assert not agreement_report({"anna": {1: POS}}).enough


def _project(location) -> tuple[Project, list[int]]:
    project = Project.create(location, author="lead")
    project.import_examples([TermExample(f"Item {i} was fine.", 0, 6) for i in range(6)],
                            source="t.tsv")
    return project, [t.id for s in project.page(limit=10) for t in s.terms]


def test_two_authors_labeling_through_the_store_then_agreement_json(store_url, capsys):
    project, ids = _project(store_url)
    anna = [Polarity.POSITIVE, Polarity.POSITIVE, Polarity.NEGATIVE, Polarity.NEGATIVE, Polarity.NEUTRAL, None]
    bob = [Polarity.POSITIVE, Polarity.NEGATIVE, Polarity.NEGATIVE, Polarity.NEGATIVE, Polarity.POSITIVE,
           Polarity.POSITIVE]
    with project:
        for term, a, b in zip(ids, anna, bob):
            if a is not None:
                project.set_label(term, a, author="anna")
            project.set_label(term, b, author="bob")
        project.set_label(ids[0], Polarity.NEGATIVE, author="anna")  # anna changes her mind ...
        project.set_label(ids[0], Polarity.POSITIVE, author="anna")  # ... and back: her newest counts
        project.set_label(ids[2], Polarity.POSITIVE, author="carl")  # the newest label, of a third person
        assert project.get_term(ids[2]).label is Polarity.POSITIVE
        assert project.count(SentenceFilter("annotators_disagree")) == 3  # terms 1, 2 (carl), 4
    code = main(["project", "agreement", str(store_url), "--authors", "anna,bob", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["annotators"] == ["anna", "bob"]
    (pair,) = data["pairs"]
    # Shared: 5 terms; a = pos,pos,neg,neg,neu; b = pos,neg,neg,neg,pos: p_o 3/5, p_e (2*3+1*0+2*2)/25.
    assert (pair["a"], pair["b"], pair["n"]) == ("anna", "bob", 5)
    assert pair["agreement"] == pytest.approx(0.6) and pair["kappa"] == pytest.approx(1 / 3, abs=1e-6)
    assert pair["confusion"] == [[2, 0, 0], [0, 0, 1], [1, 0, 1]]
    assert set(data["overall"]) == {"n", "alpha"} and data["overall"]["n"] == 5
    assert set(data["per_label"]) == {"negative", "neutral", "positive"}
    code = main(["project", "agreement", str(store_url), "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["annotators"] == ["anna", "bob", "carl"] and len(data["pairs"]) == 3


def test_fewer_than_two_annotators_says_so_and_exits_1(store_url, capsys):
    project, ids = _project(store_url)
    with project:
        project.set_label(ids[0], Polarity.POSITIVE, author="anna")
    assert main(["project", "agreement", str(store_url)]) == 1
    assert "at least two annotators (found: anna)" in capsys.readouterr().err
    assert main(["project", "agreement", str(store_url), "--authors", "anna,zoe"]) == 1  # zoe labeled nothing
    assert "(found: anna)" in capsys.readouterr().err
    assert main(["project", "agreement", str(store_url), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["pairs"] == [] and data["overall"] == {"n": 0, "alpha": None} and "error" in data


def test_import_with_author_records_every_row_also_where_it_equals_the_current_label(store_url, tmp_path, capsys):
    sentences = [f"Dish {i} was tasty." for i in range(4)]
    anna = tmp_path / "anna.jsonl"
    bob = tmp_path / "bob.jsonl"
    labels_a = ["positive", "negative", "neutral", "positive"]
    labels_b = ["positive", "negative", "positive", "negative"]
    for path, labels in ((anna, labels_a), (bob, labels_b)):
        path.write_text("".join(json.dumps({"text": t, "start": 0, "end": 6, "label": lab}) + "\n"
                                for t, lab in zip(sentences, labels)), encoding="utf-8")
    Project.create(store_url).close()
    assert main(["project", "import", str(store_url), str(anna), "--author", "anna"]) == 0
    assert main(["project", "import", str(store_url), str(bob), "--author", "bob", "--json"]) == 0
    capsys.readouterr()
    assert main(["project", "import", str(store_url), str(bob), "--author", "bob", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["labels_added"] == 0  # again: bob said so already
    with Project.open(store_url) as p:
        terms = [t for s in p.page(limit=10) for t in s.terms]
        first = p.annotator_labels(terms[0].id)
        assert [(a.author, a.polarity) for a in first.annotators] == [("anna", Polarity.POSITIVE),
                                                                      ("bob", Polarity.POSITIVE)]
        assert [t.label.value for t in terms] == labels_b  # the newest label is current, whoever gave it
        report = p.agreement()
    assert report.pairs[0].n == 4 and report.pairs[0].agreement == pytest.approx(0.5)
