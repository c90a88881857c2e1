"""The one encoding function: (sentence, term span) -> model input, for training and inference alike.

The term is shown to the encoder in one of two ways (``input_style``):
- ``markers``: two marker tokens wrap the term inside the sentence: "the [T] pasta [/T] was cold";
- ``pair``: the sentence, then the term as a second segment (BERT-SPC).
Either way ``term_mask`` flags the term's own tokens (and the markers) so the model can pool them.

Long sentences are cut to ``max_length`` tokens by a window of whole tokens centred on the term,
so the term itself is never cut off.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

# Marker strings: prefer tokens the vocabulary already has (BERT-family vocabularies carry unused
# slots), so no embedding matrix has to grow and LoRA needs no trainable embedding rows.
_VOCAB_MARKERS = ("[unused0]", "[unused1]")
_NEW_MARKERS = ("<term>", "</term>")


@dataclass(frozen=True)
class Encoded:
    input_ids: list[int]
    token_type_ids: list[int]
    term_mask: list[int]


def choose_markers(tokenizer: Any) -> tuple[str, str]:
    vocab = tokenizer.get_vocab()
    if all(m in vocab for m in _VOCAB_MARKERS):
        return _VOCAB_MARKERS
    return _NEW_MARKERS


def register_markers(tokenizer: Any, markers: Sequence[str]) -> int:
    """Make the markers unsplittable special tokens; returns how many new ids the vocab gained."""
    before = len(tokenizer)
    tokenizer.add_special_tokens({"additional_special_tokens": list(markers)})
    return len(tokenizer) - before


class TermEncoder:
    """Turns term examples into padded tensors. Construct through ``from_tokenizer``."""

    def __init__(self, tokenizer: Any, style: str, max_length: int, markers: tuple[str, str] | None):
        self.tokenizer = tokenizer
        self.style = style
        self.max_length = max_length
        self.markers = markers
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        self._specials = tokenizer.num_special_tokens_to_add(pair=style == "pair")

    @classmethod
    def from_tokenizer(cls, tokenizer: Any, style: str, max_length: int,
                       markers: Sequence[str] | None = None) -> "TermEncoder":
        """Set up the tokenizer for ``style``; ``markers`` are given when loading a saved model."""
        chosen: tuple[str, str] | None = None
        if style == "markers":
            chosen = tuple(markers) if markers else choose_markers(tokenizer)  # type: ignore[assignment]
            register_markers(tokenizer, chosen)  # type: ignore[arg-type]
        return cls(tokenizer, style, max_length, chosen)

    # -- the encoding itself ------------------------------------------------------------------
    def encode_many(self, items: Sequence[tuple[str, int, int]]) -> list[Encoded]:
        """Encode (sentence, start, end) triples; one tokenizer call per pass, not per item."""
        if not items:
            return []
        windows = self._windows(items)
        texts, seconds, spans = [], [], []
        for (sentence, start, end), (ws, we) in zip(items, windows):
            text, span = self._render(sentence, start, end, ws, we)
            texts.append(text)
            spans.append(span)
            seconds.append(sentence[start:end])
        if self.style == "pair":
            enc = self.tokenizer(texts, seconds, return_offsets_mapping=True,
                                 return_special_tokens_mask=True, truncation=False)
        else:
            enc = self.tokenizer(texts, return_offsets_mapping=True,
                                 return_special_tokens_mask=True, truncation=False)
        out = []
        for i, span in enumerate(spans):
            ids = enc["input_ids"][i]
            types = enc["token_type_ids"][i] if "token_type_ids" in enc else [0] * len(ids)
            mask = self._term_mask(enc["offset_mapping"][i], enc["special_tokens_mask"][i],
                                   enc.sequence_ids(i), span)
            out.append(Encoded(list(ids), list(types), mask))
        return out

    def encode(self, sentence: str, start: int, end: int) -> Encoded:
        return self.encode_many([(sentence, start, end)])[0]

    def _windows(self, items: Sequence[tuple[str, int, int]]) -> list[tuple[int, int]]:
        """Character window per item that fits the token budget and contains the whole term."""
        sentences = [s for s, _, _ in items]
        enc = self.tokenizer(sentences, add_special_tokens=False, return_offsets_mapping=True)
        windows = []
        for (sentence, start, end), offsets in zip(items, enc["offset_mapping"]):
            term_tokens = 0
            if self.style == "pair":
                term_tokens = len(self.tokenizer(sentence[start:end], add_special_tokens=False)["input_ids"])
            budget = self.max_length - self._specials - (2 if self.markers else 0) - term_tokens
            windows.append(token_window(offsets, start, end, max(budget, 1), len(sentence)))
        return windows

    def _render(self, sentence: str, start: int, end: int, ws: int, we: int) -> tuple[str, tuple[int, int]]:
        """The text the tokenizer sees and the character span (in it) whose tokens form the term."""
        left, term, right = sentence[ws:start], sentence[start:end], sentence[end:we]
        if self.markers:
            m1, m2 = self.markers
            text = f"{left}{m1}{term}{m2}{right}"
            return text, (len(left), len(left) + len(m1) + len(term) + len(m2))
        return f"{left}{term}{right}", (len(left), len(left) + len(term))

    @staticmethod
    def _term_mask(offsets: Sequence[tuple[int, int]], specials: Sequence[int],
                   seq_ids: Sequence[int | None], span: tuple[int, int]) -> list[int]:
        lo, hi = span
        mask = [
            1 if (not sp and sid == 0 and a < hi and b > lo) else 0
            for (a, b), sp, sid in zip(offsets, specials, seq_ids)
        ]
        if not any(mask):  # defensive: a term made only of characters the tokenizer drops
            mask[min(1, len(mask) - 1)] = 1
        return mask

    # -- batching --------------------------------------------------------------------------
    def collate(self, batch: Sequence[Encoded]) -> dict[str, Any]:
        """Pad a batch to its own longest item (dynamic padding), as torch tensors."""
        import torch

        return {k: torch.tensor(rows, dtype=torch.long) for k, rows in self.padded(batch).items()}

    def padded(self, batch: Sequence[Encoded]) -> dict[str, list[list[int]]]:
        """The padded rows of a batch: the one padding rule of the torch and the ONNX paths."""
        width = max(len(e.input_ids) for e in batch)

        def pad(rows: list[list[int]], value: int) -> list[list[int]]:
            return [r + [value] * (width - len(r)) for r in rows]

        return {
            "input_ids": pad([e.input_ids for e in batch], self.pad_id),
            "attention_mask": pad([[1] * len(e.input_ids) for e in batch], 0),
            "token_type_ids": pad([e.token_type_ids for e in batch], 0),
            "term_mask": pad([e.term_mask for e in batch], 0),
        }

    def describe(self) -> dict[str, Any]:
        return {"style": self.style, "max_length": self.max_length,
                "markers": list(self.markers) if self.markers else None}


def token_window(offsets: Sequence[tuple[int, int]], start: int, end: int, budget: int,
                 length: int) -> tuple[int, int]:
    """Characters [ws, we) covering at most ``budget`` tokens, centred on the term's tokens.

    The term's tokens are always inside; only if the term alone exceeds the budget is the
    window just the term (the model's hard limit is then the only thing that can cut it).
    """
    n = len(offsets)
    if n <= budget:
        return 0, length
    inside = [i for i, (a, b) in enumerate(offsets) if a < end and b > start]
    ts, te = (inside[0], inside[-1] + 1) if inside else (0, 1)
    if te - ts >= budget:
        return min(offsets[ts][0], start), max(offsets[te - 1][1], end)
    extra = budget - (te - ts)
    a = max(0, ts - extra // 2)
    b = min(n, a + (te - ts) + extra)
    a = max(0, b - budget)
    return min(offsets[a][0], start), max(offsets[b - 1][1], end)


def length_buckets(lengths: Sequence[int], batch_size: int, shuffle_seed: int | None) -> list[list[int]]:
    """Group indices into batches of similar length (less padding, faster on CPU).

    With a seed, items are shuffled within a few length-sorted chunks and the batches are
    shuffled too, so training still sees varied batches; without one, order is deterministic.
    """
    import random

    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    if shuffle_seed is not None:
        rng = random.Random(shuffle_seed)
        chunk = batch_size * 8
        order = [i for s in range(0, len(order), chunk) for i in rng.sample(order[s:s + chunk], len(order[s:s + chunk]))]
        batches = [order[s:s + batch_size] for s in range(0, len(order), batch_size)]
        rng.shuffle(batches)
        return batches
    return [order[s:s + batch_size] for s in range(0, len(order), batch_size)]
