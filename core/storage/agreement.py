"""Agreement between annotators: Cohen's kappa per pair, Krippendorff's alpha over all.

Short numpy functions instead of scikit-learn / statsmodels, which this install leaves out (they
would bring scipy and hundreds of MB for three formulas). Labels are category indexes in the one
label order (``core.domain.LABELS``). A coefficient that is undefined (every rating the same
category, so chance agreement is 1 and the formula divides by zero) is None: JSON ``null``.

    kappa = (p_o - p_e) / (1 - p_e)             p_o: observed agreement, p_e: by chance from the marginals
    alpha = 1 - (n - 1) * sum_{c != k} o_ck / sum_{c != k} n_c n_k    (nominal; o: coincidence matrix)

Alpha is used over all annotators, not Fleiss' kappa, because annotators label different subsets of
the terms: alpha takes any number of ratings per term (a term needs two to count), Fleiss needs the
same number for every term.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Any, Iterable, Mapping

import numpy as np

from core.domain import LABEL_NAMES

K = len(LABEL_NAMES)


def confusion(a: Iterable[int], b: Iterable[int], k: int = K) -> np.ndarray:
    """Counts of (a's category, b's category) over the items both rated: rows a, columns b."""
    matrix = np.zeros((k, k), dtype=np.int64)
    np.add.at(matrix, (np.asarray(list(a), dtype=np.int64), np.asarray(list(b), dtype=np.int64)), 1)
    return matrix


def cohen_kappa(matrix: np.ndarray) -> float | None:
    """Cohen's kappa from a confusion matrix; None when it is undefined (no items, or p_e = 1)."""
    n = matrix.sum()
    if n == 0:
        return None
    p_o = np.trace(matrix) / n
    p_e = float((matrix.sum(axis=1) / n) @ (matrix.sum(axis=0) / n))
    if np.isclose(p_e, 1.0):
        return None
    return float((p_o - p_e) / (1.0 - p_e))


def coincidences(units: Iterable[list[int]], k: int = K) -> np.ndarray:
    """Krippendorff's coincidence matrix: each unit with m >= 2 ratings adds 1 / (m - 1) for every
    ordered pair of its ratings by different annotators."""
    o = np.zeros((k, k), dtype=np.float64)
    for ratings in units:
        m = len(ratings)
        if m < 2:
            continue
        counts = np.bincount(np.asarray(ratings, dtype=np.int64), minlength=k).astype(np.float64)
        o += (np.outer(counts, counts) - np.diag(counts)) / (m - 1)
    return o


def krippendorff_alpha(o: np.ndarray) -> float | None:
    """Nominal alpha from a coincidence matrix; None when undefined (fewer than 2 pairable values,
    or every value in one category)."""
    n_c = o.sum(axis=1)
    n = n_c.sum()
    if n < 2:
        return None
    off = ~np.eye(len(n_c), dtype=bool)
    expected = (np.outer(n_c, n_c)[off]).sum()
    if np.isclose(expected, 0.0):
        return None
    return float(1.0 - (n - 1) * o[off].sum() / expected)


@dataclass(frozen=True)
class PairAgreement:
    a: str
    b: str
    n: int  # terms both labeled
    kappa: float | None
    agreement: float | None  # share of those terms with the same label
    confusion: tuple[tuple[int, ...], ...]  # rows a's labels, columns b's, in LABEL_NAMES order


@dataclass(frozen=True)
class LabelAgreement:
    n: int  # pairable ratings with this label (on terms with >= 2 annotators)
    agreement: float | None  # share of its pairings that are with the same label (o_cc / n_c)
    by_author: tuple[tuple[str, int], ...]  # how often each annotator gave it, over all their terms


@dataclass(frozen=True)
class AgreementReport:
    annotators: tuple[str, ...]
    pairs: tuple[PairAgreement, ...]
    n: int  # terms labeled by two or more annotators
    alpha: float | None
    per_label: tuple[tuple[str, LabelAgreement], ...]

    @property
    def labeled_by(self) -> tuple[str, ...]:
        """The annotators with at least one label (a name asked for may have none)."""
        totals: dict[str, int] = {}
        for _label, la in self.per_label:
            for name, n in la.by_author:
                totals[name] = totals.get(name, 0) + n
        return tuple(name for name in self.annotators if totals.get(name))

    @property
    def enough(self) -> bool:
        """Agreement needs labels from at least two annotators."""
        return len(self.labeled_by) >= 2

    def as_dict(self) -> dict[str, Any]:
        """The CLI's JSON: ``pairs``, ``overall`` (n, alpha), ``per_label``, ``annotators``."""
        return {
            "pairs": [{"a": p.a, "b": p.b, "n": p.n, "kappa": _round(p.kappa), "agreement": _round(p.agreement),
                       "confusion": [list(row) for row in p.confusion]} for p in self.pairs],
            "overall": {"n": self.n, "alpha": _round(self.alpha)},
            "per_label": {name: {"n": la.n, "agreement": _round(la.agreement), "by_author": dict(la.by_author)}
                          for name, la in self.per_label},
            "annotators": list(self.annotators),
            "labels": list(LABEL_NAMES),
        }


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 6)


def agreement_report(labels: Mapping[str, Mapping[int, int]]) -> AgreementReport:
    """From {annotator: {term id: category index}}: every pair, the overall alpha, per label."""
    names = tuple(sorted(labels))
    pairs = []
    for a, b in combinations(names, 2):
        shared = sorted(labels[a].keys() & labels[b].keys())
        matrix = confusion([labels[a][t] for t in shared], [labels[b][t] for t in shared])
        n = len(shared)
        pairs.append(PairAgreement(a, b, n, cohen_kappa(matrix), float(np.trace(matrix) / n) if n else None,
                                   tuple(tuple(int(x) for x in row) for row in matrix)))
    units: dict[int, list[int]] = {}
    for name in names:
        for term, category in labels[name].items():
            units.setdefault(term, []).append(category)
    o = coincidences(units.values())
    per_label = []
    for c, label in enumerate(LABEL_NAMES):
        n_c = float(o[c].sum())
        by_author = tuple((name, sum(1 for v in labels[name].values() if v == c)) for name in names)
        per_label.append((label, LabelAgreement(int(round(n_c)), float(o[c, c] / n_c) if n_c else None, by_author)))
    n_units = sum(1 for ratings in units.values() if len(ratings) >= 2)
    return AgreementReport(names, tuple(pairs), n_units, krippendorff_alpha(o), tuple(per_label))
