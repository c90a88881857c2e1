"""What the app reads and writes for term suggestions: the open suggestions and "done" marks of a
page in one read, the "open suggestions" filter with a search text, and a suggested span labeled
directly (added as a term) closing its suggestion."""

from __future__ import annotations

import pytest

from core.domain import Polarity
from core.storage import Project
from core.storage.suggestions import NewSuggestion

PROBS = (0.05, 0.15, 0.8)


@pytest.fixture
def project(store_url):
    with Project.create(store_url) as p:
        yield p


def span(text: str, word: str) -> tuple[int, int]:
    a = text.index(word)
    return a, a + len(word)


def test_the_overview_of_many_sentences_is_their_open_suggestions_and_done_marks(project):
    a = project.add_sentence("Great pasta and friendly staff.")
    b = project.add_sentence("The wine list is long.")
    c = project.add_sentence("Nothing here.")
    project.store_suggestions([NewSuggestion(a.id, *span(a.text, w), 0.9, PROBS) for w in ("staff", "pasta")]
                              + [NewSuggestion(b.id, *span(b.text, "wine list"))])
    project.reject_suggestion(project.suggestions(a.id)[1].id)  # "staff"
    project.set_terms_done(c.id)
    view = project.suggestion_overview([a.id, b.id, c.id, a.id])
    assert {sid: [s.text for s in found] for sid, found in view.open.items()} == {
        a.id: ["pasta"], b.id: ["wine list"], c.id: []}
    assert view.open[a.id][0].predicted is Polarity.POSITIVE and view.open[b.id][0].predicted is None
    assert view.done == frozenset({c.id})
    assert project.suggestion_overview([]).open == {}


def test_the_open_suggestions_filter_narrows_by_text(project):
    a = project.add_sentence("Great pasta and friendly staff.")
    b = project.add_sentence("The pasta was cold.")
    c = project.add_sentence("The wine list is long.")
    project.store_suggestions([NewSuggestion(x.id, *span(x.text, w)) for x, w in ((a, "staff"), (b, "pasta"),
                                                                                 (c, "wine"))])
    assert [r.id for r in project.page_with_suggestions(text="pasta")] == [a.id, b.id]
    assert project.count_with_suggestions(text="PASTA") == 2 and project.count_with_suggestions() == 3
    assert [r.id for r in project.page_with_suggestions(offset=1, limit=1, text="pasta")] == [b.id]
    assert project.count_with_suggestions(text="nowhere") == 0


def test_a_suggested_span_added_as_a_term_is_no_longer_open(project):
    s = project.add_sentence("The pasta was cold but the staff were lovely.")
    project.store_suggestions([NewSuggestion(s.id, *span(s.text, w)) for w in ("pasta", "staff")])
    term = project.add_term(s.id, *span(s.text, "staff"))  # labeled with 1/2/3 without accepting first
    assert [x.text for x in project.suggestions(s.id)] == ["pasta"]
    [closed] = project.suggestions(s.id, ("accepted",))
    assert (closed.text, closed.term_id) == ("staff", term.id)
    assert project.count_with_suggestions() == 1
    project.add_term(s.id, *span(s.text, "cold"))  # no suggestion there: nothing else changes
    assert project.suggestion_counts() == {"open": 1, "accepted": 1, "rejected": 0}
