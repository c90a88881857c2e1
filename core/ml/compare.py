"""Honest comparison of two accuracies measured on the same dev split.

A 45-term dev split moves 2.2 points per term, so two versions a few points apart may not
differ at all. Each accuracy gets its 95 % Wilson interval (good at small n and near 0 or 1,
where the normal approximation is not); when the two intervals overlap the data cannot tell
the versions apart, and the verdict says so in words.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959964  # two-sided 95 % normal quantile


def wilson_interval(correct: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for ``correct`` successes out of ``n`` (0..1; (0, 1) when n = 0)."""
    if n <= 0:
        return 0.0, 1.0
    p = correct / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Scored:
    """An accuracy on ``n`` items with its 95 % interval."""

    accuracy: float
    n: int
    low: float
    high: float

    @classmethod
    def of(cls, accuracy: float, n: int) -> "Scored":
        correct = round(accuracy * n)  # stored accuracies are rounded to 4 digits
        low, high = wilson_interval(correct, n)
        return cls(accuracy, n, low, high)

    def text(self) -> str:
        """"82.2 % (n = 45, 95 %: 68.7-90.7 %)"."""
        return (f"{self.accuracy * 100:.1f} % (n = {self.n}, 95 %: "
                f"{self.low * 100:.1f}–{self.high * 100:.1f} %)")


def verdict(new: Scored, previous: Scored | None, new_name: str = "the new version",
            previous_name: str = "the previous one") -> str:
    """One sentence on whether the dev split tells the two apart."""
    if previous is None:
        return (f"No earlier version to compare with; {new.n} held-out labels put {new_name} "
                f"between {new.low * 100:.0f} and {new.high * 100:.0f} %.")
    if new.high < previous.low:
        return f"{new_name} is worse than {previous_name} on these {new.n} held-out labels (the intervals do not overlap)."
    if new.low > previous.high:
        return f"{new_name} is better than {previous_name} on these {new.n} held-out labels (the intervals do not overlap)."
    return (f"The intervals overlap: {new.n} held-out labels are too few to tell {new_name} and "
            f"{previous_name} apart; the difference may be chance.")
