"""Where each project was left: the filter, the sentence and the term, restored when it reopens.

Kept in the settings (``Key.PLACES``) as one JSON object keyed by the project's location (a file
path or a URL without password), newest last, at most ``MAX_PLACES`` projects.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass

from app.state.list_filter import ListFilter, make_filter
from app.state.settings import Key, Settings
from core.domain import Polarity

log = logging.getLogger(__name__)
MAX_PLACES = 30


@dataclass(frozen=True)
class Place:
    sentence_id: int
    row: int                    # the sentence's row in the filtered list then: where to look first
    start: int | None = None    # the chosen term's span (None: the sentence's first unlabeled term)
    end: int | None = None
    kind: str = "all"
    label: str | None = None
    text: str = ""

    @property
    def filter(self) -> ListFilter:
        return make_filter(self.kind, Polarity(self.label) if self.label else None, self.text)

    @property
    def span(self) -> tuple[int, int] | None:
        return (self.start, self.end) if self.start is not None and self.end is not None else None


def _all(settings: Settings) -> dict[str, dict]:
    try:
        data = json.loads(settings.get(Key.PLACES) or "{}")
        return data if isinstance(data, dict) else {}
    except ValueError:  # a hand-edited settings file: start afresh rather than fail
        return {}


def load_place(settings: Settings, location: str) -> Place | None:
    raw = _all(settings).get(location)
    try:
        return Place(**raw) if isinstance(raw, dict) else None
    except TypeError:
        log.debug("ignoring a stored place for %s: %r", location, raw)
        return None


def save_place(settings: Settings, location: str, place: Place) -> None:
    places = _all(settings)
    places.pop(location, None)
    places[location] = asdict(place)
    for old in list(places)[:-MAX_PLACES]:
        places.pop(old)
    settings.set(Key.PLACES, json.dumps(places))


def place_of(f: ListFilter, sentence_id: int, row: int, span: tuple[int, int] | None) -> Place:
    return Place(sentence_id, row, span[0] if span else None, span[1] if span else None, f.kind,
                 f.label.value if f.label is not None else None, f.text)
