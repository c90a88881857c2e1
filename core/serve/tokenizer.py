"""The saved tokenizer, read with the ``tokenizers`` library alone (no transformers).

``FastTokenizer`` offers the few calls of a transformers fast tokenizer that
``core.ml.encoding.TermEncoder`` makes, so both prediction paths run the very same encoding
code (markers, the window around the term, the term mask); tests/core/test_serve_encoding.py
checks that both give identical ids and masks.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

# Tokenizer classes whose transformers wrapper returns no token_type_ids (its model_input_names).
_NO_TYPE_IDS = {"RobertaTokenizer", "MPNetTokenizer", "DistilBertTokenizer", "XLMRobertaTokenizer",
                "CamembertTokenizer", "BartTokenizer", "GPT2Tokenizer", "LongformerTokenizer"}


class _Batch(dict):
    """A transformers-BatchEncoding-like dict that also answers ``sequence_ids(i)``."""

    def __init__(self, encodings: list[Any], with_types: bool):
        super().__init__(input_ids=[e.ids for e in encodings], offset_mapping=[e.offsets for e in encodings],
                         special_tokens_mask=[e.special_tokens_mask for e in encodings])
        if with_types:
            self["token_type_ids"] = [e.type_ids for e in encodings]
        self._encodings = encodings

    def sequence_ids(self, i: int) -> list[int | None]:
        return self._encodings[i].sequence_ids


class FastTokenizer:
    """``tokenizers.Tokenizer`` behind the subset of the transformers API TermEncoder uses."""

    def __init__(self, tokenizer: Any, config: dict[str, Any]):
        self._tok = tokenizer
        # transformers turns these off per call; the saved tokenizer.json may carry them.
        self._tok.no_truncation()
        self._tok.no_padding()
        names = config.get("model_input_names")
        self._with_types = ("token_type_ids" in names) if names else config.get("tokenizer_class") not in _NO_TYPE_IDS
        pad = config.get("pad_token")
        pad = pad.get("content") if isinstance(pad, dict) else pad
        pad_id = self._tok.token_to_id(pad) if pad else None
        self.pad_token_id = pad_id

    @classmethod
    def from_folder(cls, folder: str | Path) -> "FastTokenizer":
        from tokenizers import Tokenizer

        folder = Path(folder)
        config_path = folder / "tokenizer_config.json"
        config = json.loads(config_path.read_text(encoding="utf-8")) if config_path.is_file() else {}
        return cls(Tokenizer.from_file(str(folder / "tokenizer.json")), config)

    @property
    def backend(self) -> Any:
        """The ``tokenizers.Tokenizer`` itself (the term extractor encodes pre-split words with it)."""
        return self._tok

    def __len__(self) -> int:
        return self._tok.get_vocab_size(with_added_tokens=True)

    def get_vocab(self) -> dict[str, int]:
        return self._tok.get_vocab(with_added_tokens=True)

    def num_special_tokens_to_add(self, pair: bool = False) -> int:
        post = self._tok.post_processor
        return post.num_special_tokens_to_add(pair) if post is not None else 0

    def add_special_tokens(self, tokens: dict[str, Sequence[str]]) -> int:
        from tokenizers import AddedToken

        wanted = [AddedToken(t, special=True, normalized=False) for t in tokens.get("additional_special_tokens", [])]
        return self._tok.add_special_tokens(wanted)

    def __call__(self, texts: str | Sequence[str], seconds: Sequence[str] | None = None, *,
                 add_special_tokens: bool = True, return_offsets_mapping: bool = False,
                 return_special_tokens_mask: bool = False, truncation: bool = False) -> Any:
        if isinstance(texts, str):
            enc = self._tok.encode(texts, add_special_tokens=add_special_tokens)
            return {"input_ids": enc.ids}
        inputs = list(zip(texts, seconds)) if seconds is not None else list(texts)
        return _Batch(self._tok.encode_batch(inputs, add_special_tokens=add_special_tokens), self._with_types)
