"""Both prediction paths run TermEncoder; this checks that its two tokenizers (transformers' fast
tokenizer for torch, the ``tokenizers`` library alone for onnx) give identical model inputs."""

from __future__ import annotations

import pytest

from core.ml.encoding import TermEncoder
from core.ml.network import load_tokenizer
from core.serve.tokenizer import FastTokenizer

LONG = ("We came for a birthday dinner on a rainy Tuesday and, after a long wait at the bar, the "
        "waiter finally brought the menus; the risotto was creamy and rich, the lamb was overcooked "
        "and tough, the desserts were forgettable, and the bill was far higher than we expected it to be "
        "for a place that still had plastic flowers on every single table near the window.")


def _items() -> list[tuple[str, int, int]]:
    rows = [("The pasta was cold but the staff were lovely", "staff"), ("Battery life is great.", "Battery life"),
            ("Café au lait était délicieux", "lait"), ("WIFI!!! kept dropping...", "WIFI"),
            (LONG, "risotto"), (LONG, "plastic flowers"), (LONG, "waiter"), ("I  love   the    screen", "screen")]
    return [(s, s.index(t), s.index(t) + len(t)) for s, t in rows]


@pytest.mark.parametrize("style,max_length", [("markers", 128), ("markers", 24), ("pair", 128), ("pair", 20)])
def test_tokenizers_alone_encode_exactly_as_transformers(tiny_base_model, tmp_path, style, max_length):
    hf = TermEncoder.from_tokenizer(load_tokenizer(str(tiny_base_model)), style, max_length)
    saved = tmp_path / "tokenizer"
    hf.tokenizer.save_pretrained(saved)  # as PolarityModel.save writes it, markers registered
    fast = TermEncoder.from_tokenizer(FastTokenizer.from_folder(saved), style, max_length,
                                      hf.markers)
    items = _items()
    a, b = hf.encode_many(items), fast.encode_many(items)
    assert a == b
    assert any(len(e.input_ids) == max_length for e in a) or max_length == 128  # the window did cut
    assert fast.pad_id == hf.pad_id and fast.padded(b) == hf.padded(a)


def test_new_marker_tokens_are_unsplit_in_both(tiny_base_model, tmp_path):
    hf_tok = load_tokenizer(str(tiny_base_model))
    hf = TermEncoder.from_tokenizer(hf_tok, "markers", 64, ("<term>", "</term>"))
    hf.tokenizer.save_pretrained(tmp_path / "tok")
    fast = TermEncoder.from_tokenizer(FastTokenizer.from_folder(tmp_path / "tok"), "markers", 64, hf.markers)
    assert hf.encode_many(_items()) == fast.encode_many(_items())
    assert len(fast.tokenizer) == len(hf.tokenizer)
