"""Helpers shared by the benchmark scripts: data paths, grouped stratified folds, resource figures."""

from __future__ import annotations

import random
import resource
import sys
from collections import defaultdict
from pathlib import Path
from typing import Callable, Sequence

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.domain import TermExample  # noqa: E402


def shared_data_dir() -> Path:
    """../shared/data beside the checkout, or .devdata/ (a git-ignored copy carried to the GPU machine)."""
    for candidate in (ROOT.parent / "shared" / "data", ROOT / ".devdata"):
        if candidate.is_dir():
            return candidate
    raise SystemExit("benchmarks need ../shared/data (the public datasets); it is not here")


def load(path: Path | str, lenient: bool = True) -> list[TermExample]:
    from core.formats import read_examples

    return read_examples(str(path), lenient=lenient, require_labels=True).examples


def grouped_folds(examples: Sequence[TermExample], k: int, seed: int) -> list[list[int]]:
    """k folds of example indices; every term of a sentence lands in the same fold (no leakage
    between a sentence's terms), and folds are balanced by label as far as grouping allows."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, e in enumerate(examples):
        groups[e.sentence].append(i)
    keys = sorted(groups)
    rng = random.Random(seed)
    rng.shuffle(keys)
    # Rarest label first, so the few neutral sentences spread over all folds.
    rarity = {lab: n for lab, n in _label_counts(examples).items()}
    keys.sort(key=lambda s: min(rarity[examples[i].polarity] for i in groups[s]))
    folds: list[list[int]] = [[] for _ in range(k)]
    for j, key in enumerate(keys):
        folds[j % k].extend(groups[key])
    return folds


def _label_counts(examples: Sequence[TermExample]) -> dict:
    counts: dict = defaultdict(int)
    for e in examples:
        counts[e.polarity] += 1
    return counts


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def replace_shipped(out: Path, save: Callable[[Path], object]) -> int:
    """Swap a shipped model folder (resources/) for a new one: ``save`` writes a staging sibling,
    then the old folder goes and the new one takes its name. Returns the new folder's bytes."""
    import shutil

    staging = out.with_name(out.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    save(staging)
    shutil.rmtree(out, ignore_errors=True)
    staging.rename(out)
    return sum(f.stat().st_size for f in out.rglob("*") if f.is_file())


def shown_path(path: Path) -> str:
    """``path`` relative to the project when inside it (for the JSON a build script prints)."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
