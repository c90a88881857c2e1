"""A seeded, stratified dev split that keeps the terms of one sentence together.

Terms of the same sentence on both sides would let the dev score reward memorised sentences,
so whole sentences go to one side. Sentences are shuffled (seeded) and a sentence joins the dev
side while every label it carries is still below its share; a label with fewer than two
examples stays in training.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Sequence

from core.domain import TermExample


def stratified_split(examples: Sequence[TermExample], dev_fraction: float, seed: int
                     ) -> tuple[list[TermExample], list[TermExample]]:
    """(train, dev): about ``dev_fraction`` of each label in dev; same input and seed, same split."""
    if not 0.0 <= dev_fraction < 1.0:
        raise ValueError(f"dev_fraction must lie in [0, 1), not {dev_fraction}")
    if dev_fraction == 0.0 or not examples:
        return list(examples), []
    totals = Counter(e.polarity for e in examples)
    target = {label: (round(n * dev_fraction) if n >= 2 else 0) for label, n in totals.items()}
    for label, n in totals.items():
        target[label] = min(target[label], n - 1)  # every label keeps a training example
    groups: dict[tuple[str, str | None], list[int]] = {}
    for i, e in enumerate(examples):
        groups.setdefault((e.sentence, e.sentence_id), []).append(i)
    order = sorted(groups)  # independent of input order
    random.Random(seed).shuffle(order)
    in_dev: set[int] = set()
    taken: Counter = Counter()
    for key in order:
        idx = groups[key]
        need = Counter(examples[i].polarity for i in idx)
        if all(taken[label] + n <= target[label] for label, n in need.items()):
            in_dev.update(idx)
            taken.update(need)
    train = [e for i, e in enumerate(examples) if i not in in_dev]
    dev = [e for i, e in enumerate(examples) if i in in_dev]
    return train, dev
