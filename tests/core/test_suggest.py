"""Term suggestions in the store (SQLite and PostgreSQL): storing, accept / reject / accept all,
the "open suggestions" filter, "all terms done", and "label every occurrence"."""

from __future__ import annotations

import pytest

from core.domain import Polarity
from core.storage import Project
from core.storage.errors import StoreError
from core.storage.suggestions import NewSuggestion, occurrences

PROBS = (0.1, 0.2, 0.7)


@pytest.fixture
def project(store_url):
    with Project.create(store_url) as p:
        yield p


def span(text: str, word: str) -> tuple[int, int]:
    a = text.index(word)
    return a, a + len(word)


def test_stored_suggestions_are_open_with_their_prediction_and_never_duplicated(project):
    s = project.add_sentence("The pasta was cold but the staff were lovely.")
    project.add_term(s.id, *span(s.text, "staff"))
    items = [NewSuggestion(s.id, *span(s.text, "pasta"), 0.9, PROBS), NewSuggestion(s.id, *span(s.text, "staff"))]
    report = project.store_suggestions(items, extractor="x")
    assert (report.added, report.refreshed, report.known) == (1, 0, 1)  # "staff" is a term already
    [sug] = project.suggestions(s.id)
    assert (sug.text, sug.state, sug.predicted, sug.probabilities, sug.score) == (
        "pasta", "open", Polarity.POSITIVE, PROBS, 0.9)
    again = project.store_suggestions([NewSuggestion(s.id, *span(s.text, "pasta"), 0.8, (0.8, 0.1, 0.1))])
    assert (again.added, again.refreshed) == (0, 1)
    assert project.suggestions(s.id)[0].predicted is Polarity.NEGATIVE
    assert project.suggestion_counts() == {"open": 1, "accepted": 0, "rejected": 0}


def test_bad_suggestions_write_nothing(project):
    s = project.add_sentence("Nice staff.")
    with pytest.raises(StoreError, match="span"):
        project.store_suggestions([NewSuggestion(s.id, 5, 10), NewSuggestion(s.id, 5, 99)])
    with pytest.raises(StoreError, match="no sentence"):
        project.store_suggestions([NewSuggestion(s.id + 100, 0, 4)])
    assert project.suggestion_counts()["open"] == 0


def test_accept_adds_the_term_and_reject_is_remembered(project):
    s = project.add_sentence("The pasta was cold but the staff were lovely.")
    project.store_suggestions([NewSuggestion(s.id, *span(s.text, w), 0.9, PROBS) for w in ("pasta", "staff", "cold")])
    pasta, cold, staff = project.suggestions(s.id)  # by position: pasta, cold, staff
    term = project.accept_suggestion(pasta.id)
    assert (term.text, term.sentence_id, term.label) == ("pasta", s.id, None)
    project.set_label(term.id, Polarity.NEGATIVE)  # then labeled like any term
    rejected = project.reject_suggestion(cold.id)
    assert rejected.state == "rejected"
    assert [x.text for x in project.suggestions(s.id)] == ["staff"]
    assert {x.text: x.state for x in project.suggestions(s.id, ("open", "accepted", "rejected"))} == {
        "pasta": "accepted", "cold": "rejected", "staff": "open"}
    # A later run proposes them again: neither comes back.
    again = project.store_suggestions([NewSuggestion(s.id, *span(s.text, w)) for w in ("pasta", "cold")])
    assert (again.added, again.known) == (0, 2)
    assert [x.text for x in project.suggestions(s.id)] == ["staff"]
    with pytest.raises(StoreError, match="accepted"):
        project.reject_suggestion(pasta.id)
    assert [t.text for t in project.get_sentence(s.id).terms] == ["pasta"]


def test_accept_all_of_a_sentence_and_the_open_suggestions_filter(project):
    a = project.add_sentence("Great pasta and friendly staff.")
    b = project.add_sentence("Nothing to see.")
    c = project.add_sentence("The wine list is long.")
    project.store_suggestions([NewSuggestion(a.id, *span(a.text, "pasta")), NewSuggestion(a.id, *span(a.text, "staff")),
                               NewSuggestion(c.id, *span(c.text, "wine list"))])
    assert [r.id for r in project.page_with_suggestions()] == [a.id, c.id] and project.count_with_suggestions() == 2
    terms = project.accept_all_suggestions(a.id)
    assert [t.text for t in terms] == ["pasta", "staff"]
    assert [r.id for r in project.page_with_suggestions()] == [c.id] and project.count_with_suggestions() == 1
    assert [t.text for t in project.get_sentence(a.id).terms] == ["pasta", "staff"]
    assert project.accept_all_suggestions(b.id) == []


def test_all_terms_done_closes_open_suggestions_and_makes_a_training_example(project, tmp_path):
    xml = tmp_path / "t.xml"
    xml.write_text('<sentences><sentence id="1"><text>Good food.</text><aspectTerms><aspectTerm term="food" '
                   'polarity="positive" from="5" to="9"/></aspectTerms></sentence>'
                   '<sentence id="2"><text>We left.</text></sentence></sentences>', encoding="utf-8")
    project.import_file(xml)
    s = project.add_sentence("The staff and the view.")
    project.add_sentence("Not done yet, the decor.")
    project.add_term(s.id, *span(s.text, "staff"))
    project.store_suggestions([NewSuggestion(s.id, *span(s.text, "view"))])
    assert not project.terms_done(s.id)
    project.set_terms_done(s.id)
    assert project.terms_done(s.id) and project.suggestions(s.id) == []
    assert sorted(project.annotated_sentences()) == [("Good food.", [(5, 9)]), ("The staff and the view.", [(4, 9)]),
                                                     ("We left.", [])]
    project.set_terms_done(s.id, False)
    assert not project.terms_done(s.id)
    assert [t for t, _ in project.annotated_sentences()] == ["Good food.", "We left."]


def test_label_every_occurrence_previews_then_adds_whole_words_once(project):
    texts = ["The staff were kind.", "Staff, staff everywhere!", "Staffing is low.", "The staff room."]
    ids = [project.add_sentence(t).id for t in texts]
    project.add_term(ids[3], 4, 9)  # already a term there
    preview = project.preview_label_everywhere("staff")
    assert (preview.sentences, preview.new_terms) == (3, 3)  # "Staffing" is another word
    added = project.label_everywhere("staff", Polarity.POSITIVE)
    assert sorted((t.sentence_id, t.start, t.end) for t in added) == [(ids[0], 4, 9), (ids[1], 0, 5), (ids[1], 7, 12)]
    assert all(project.get_term(t.id).label is Polarity.POSITIVE for t in added)
    assert project.get_sentence(ids[2]).terms == ()
    assert project.preview_label_everywhere("staff").new_terms == 0 and project.label_everywhere("staff") == []
    with pytest.raises(StoreError):
        project.label_everywhere("  ")


def test_label_everywhere_labels_only_the_new_terms_by_the_author_given(project):
    texts = ["The fries were soggy.", "Fries again: fries!"]
    ids = [project.add_sentence(t).id for t in texts]
    old = project.add_term(ids[0], 4, 9)
    project.set_label(old.id, Polarity.NEGATIVE, author="bob")
    added = project.label_everywhere("fries", Polarity.POSITIVE, author="ann")
    assert [(t.sentence_id, t.start) for t in added] == [(ids[1], 0), (ids[1], 13)]
    for t in added:
        rows = project.history(t.id)
        assert [(r.polarity, r.source, r.author) for r in rows] == [(Polarity.POSITIVE, "human", "ann")]
    assert project.get_term(old.id).label is Polarity.NEGATIVE  # a term that was there keeps its label


def test_label_everywhere_accepts_the_open_suggestion_of_a_span_it_adds(project):
    s = project.add_sentence("The fries were soggy.")
    project.store_suggestions([NewSuggestion(s.id, 4, 9, 0.9, PROBS)])
    (term,) = project.label_everywhere("fries")
    assert project.suggestions(s.id) == []
    (accepted,) = project.suggestions(s.id, states=("accepted",))
    assert accepted.term_id == term.id
    assert project.aspect_summary()[0].mentions == 1  # the span is counted once, as a term


def test_occurrences_match_whole_words_case_insensitively():
    assert occurrences("Wi-Fi and wi-fi, not wi-figure", "wi-fi") == [(0, 5), (10, 15)]
    assert occurrences("battery life", "") == []


def test_sentences_are_read_in_chunks_in_id_order(project):
    ids = [project.add_sentence(f"Sentence number {n}.").id for n in range(7)]
    assert [sid for sid, _ in project.iter_sentence_texts(chunk=3)] == ids


def test_project_training_data_normalizes_the_spans(project):
    from core.ml.terms.pipeline import project_training_data

    s = project.add_sentence("The dress code was odd.")
    project.add_term(s.id, 4, 13)  # "dress cod": ends mid-word
    project.set_terms_done(s.id)
    [only] = project_training_data(project)
    assert only.text[only.spans[0][0]:only.spans[0][1]] == "dress code"
