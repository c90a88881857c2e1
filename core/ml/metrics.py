"""Accuracy, macro-F1, per-class precision/recall/F1 and the confusion matrix, in LABELS order;
ECE and NLL of the predicted probabilities."""

from __future__ import annotations

from typing import Any, Sequence

from core.domain import LABEL_NAMES, LABELS, Polarity


def confusion_matrix(gold: Sequence[Polarity], pred: Sequence[Polarity]) -> list[list[int]]:
    """Rows are gold labels, columns predictions, both in LABELS order."""
    matrix = [[0] * len(LABELS) for _ in LABELS]
    for g, p in zip(gold, pred, strict=True):
        matrix[LABELS.index(g)][LABELS.index(p)] += 1
    return matrix


def evaluate(gold: Sequence[Polarity], pred: Sequence[Polarity]) -> dict[str, Any]:
    if len(gold) != len(pred):
        raise ValueError(f"{len(gold)} gold labels but {len(pred)} predictions")
    matrix = confusion_matrix(gold, pred)
    n = len(gold)
    correct = sum(matrix[i][i] for i in range(len(LABELS)))
    per_class: dict[str, dict[str, float | int]] = {}
    for i, name in enumerate(LABEL_NAMES):
        tp = matrix[i][i]
        predicted = sum(row[i] for row in matrix)
        support = sum(matrix[i])
        precision = tp / predicted if predicted else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[name] = {"precision": round(precision, 4), "recall": round(recall, 4),
                           "f1": round(f1, 4), "support": support}
    present = [c for c in per_class.values() if c["support"]]
    macro = sum(c["f1"] for c in present) / len(present) if present else 0.0
    return {
        "accuracy": round(correct / n, 4) if n else 0.0,
        "macro_f1": round(macro, 4),
        "n": n,
        "per_class": per_class,
        "confusion": matrix,
    }


def calibration_metrics(examples: Sequence[Any], preds: Sequence[Any]) -> dict[str, float]:
    """"ece" (10 equal-width bins) and "nll" of predictions (core.domain.Prediction) against gold."""
    from core.ml.calibration import ece, nll

    probs = [list(p.probabilities) for p in preds]
    gold = [LABELS.index(e.polarity) for e in examples]
    if not probs:
        return {"ece": 0.0, "nll": 0.0}
    return {"ece": round(ece(probs, gold), 4), "nll": round(nll(probs, gold), 4)}
