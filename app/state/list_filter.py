"""What the sentence list shows: one of the store's ``SentenceFilter``s, or the list's own
"Open suggestions" (sentences with open suggested terms, read with ``page_with_suggestions``).

The suggestions filter has no label (a suggestion has no label yet) but keeps the search text,
so the places code and the list pane treat both kinds alike: ``kind``, ``label``, ``text``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from core.domain import Polarity
from core.storage import SentenceFilter

SUGGESTED = "suggested"


@dataclass(frozen=True)
class SuggestedFilter:
    """Sentences with open suggestions, in sentence order; ``text``: those holding it too."""

    text: str = ""
    kind: str = SUGGESTED
    label: Polarity | None = None


ListFilter = Union[SentenceFilter, SuggestedFilter]


def make_filter(kind: str, label: Polarity | None = None, text: str = "") -> ListFilter:
    return SuggestedFilter(text) if kind == SUGGESTED else SentenceFilter(kind, label, text)  # type: ignore[arg-type]
