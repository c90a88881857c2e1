"""The one encoding function: the term is marked, pooled, and never cut off."""

from __future__ import annotations

import pytest

from core.ml.encoding import TermEncoder, length_buckets, token_window


@pytest.fixture(scope="module")
def tokenizer():
    from core.ml.base_models import bundled_model_path
    from core.ml.network import load_tokenizer

    return load_tokenizer(str(bundled_model_path()))


def _tokens(encoder: TermEncoder, enc) -> list[str]:
    return encoder.tokenizer.convert_ids_to_tokens(enc.input_ids)


def test_markers_wrap_the_term_and_mask_covers_it(tokenizer):
    enc_ = TermEncoder.from_tokenizer(tokenizer, "markers", 64)
    sentence = "The pasta was cold but the staff were lovely"
    enc = enc_.encode(sentence, 27, 32)
    toks = _tokens(enc_, enc)
    m1, m2 = enc_.markers
    assert toks[toks.index(m1) + 1] == "staff" and toks[toks.index(m1) + 2] == m2
    masked = [t for t, m in zip(toks, enc.term_mask) if m]
    assert masked == [m1, "staff", m2]
    assert len(tokenizer) == tokenizer.vocab_size  # BERT vocab already had the markers


def test_pair_style_pools_the_span_in_the_sentence(tokenizer):
    enc_ = TermEncoder.from_tokenizer(tokenizer, "pair", 64)
    sentence = "Good staff, bad staff."
    enc = enc_.encode(sentence, 16, 21)  # the second "staff"
    toks = _tokens(enc_, enc)
    positions = [i for i, m in enumerate(enc.term_mask) if m]
    assert [toks[i] for i in positions] == ["staff"]
    assert positions[0] > toks.index("bad")  # the second occurrence, not the first
    assert toks[-2] == "staff" and enc.token_type_ids[-2] == 1  # the term as second segment


@pytest.mark.parametrize("position", ["start", "middle", "end"])
def test_long_sentences_keep_the_whole_term(tokenizer, position):
    filler = " ".join(["word"] * 300)
    term = "salt encrusted shrimp appetizer"
    sentence = {"start": f"{term} {filler}", "middle": f"{filler} {term} {filler}",
                "end": f"{filler} {term}"}[position]
    start = sentence.index(term)
    for style in ("markers", "pair"):
        enc_ = TermEncoder.from_tokenizer(tokenizer, style, 32)
        enc = enc_.encode(sentence, start, start + len(term))
        assert len(enc.input_ids) <= 32
        toks = [t for t, m in zip(_tokens(enc_, enc), enc.term_mask) if m and not t.startswith("[unused")]
        assert tokenizer.convert_tokens_to_string(toks) == term


def test_token_window_centres_on_term():
    offsets = [(i * 2, i * 2 + 1) for i in range(100)]  # 100 one-char tokens, spaced
    ws, we = token_window(offsets, 100, 101, 10, 200)  # token 50
    assert ws <= 100 and we >= 101
    assert (we - ws + 1) // 2 <= 10
    assert token_window(offsets, 0, 1, 200, 200) == (0, 200)


def test_batches_have_similar_lengths_and_cover_everything():
    lengths = [5, 50, 6, 49, 7, 48, 8, 47]
    batches = length_buckets(lengths, 2, None)
    assert sorted(i for b in batches for i in b) == list(range(8))
    assert all(abs(lengths[b[0]] - lengths[b[-1]]) <= 1 for b in batches)
    shuffled = length_buckets(lengths, 2, 3)
    assert sorted(i for b in shuffled for i in b) == list(range(8))
    assert shuffled == length_buckets(lengths, 2, 3)  # seeded: reproducible


def test_collate_pads_to_longest(tokenizer):
    enc_ = TermEncoder.from_tokenizer(tokenizer, "markers", 64)
    a = enc_.encode("Nice pasta", 5, 10)
    b = enc_.encode("The soup in this place was really far too salty", 4, 8)
    batch = enc_.collate([a, b])
    assert batch["input_ids"].shape == batch["term_mask"].shape == (2, len(b.input_ids))
    assert batch["attention_mask"][0].sum().item() == len(a.input_ids)
