"""Shared fixtures: a tiny real BERT encoder (trains in about a second) and small labeled data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

# A few dozen hand-written sentences with labeled terms (not from any dataset).
SMALL_ROWS = [
    ("positive", "The pasta was delicious and the waiter was friendly.", "pasta"),
    ("positive", "The pasta was delicious and the waiter was friendly.", "waiter"),
    ("negative", "The soup was cold and far too salty.", "soup"),
    ("negative", "Our waiter ignored us for twenty minutes.", "waiter"),
    ("neutral", "We ordered the soup and a salad.", "salad"),
    ("positive", "Battery life is excellent on this laptop.", "Battery life"),
    ("negative", "The screen scratches far too easily.", "screen"),
    ("neutral", "The keyboard comes in grey or silver.", "keyboard"),
    ("positive", "The room was spotless and the bed was comfortable.", "bed"),
    ("negative", "The room was spotless but the wifi kept dropping.", "wifi"),
    ("positive", "Support answered within minutes and fixed my issue.", "Support"),
    ("negative", "The app crashes every time I open the settings page.", "app"),
    ("neutral", "I called the help desk on Monday morning.", "help desk"),
    ("positive", "Great prices and a lovely view from the terrace.", "prices"),
    ("negative", "The dessert was stale and overpriced.", "dessert"),
    ("positive", "The staff were lovely and very attentive.", "staff"),
    ("negative", "The music was so loud we could not talk.", "music"),
    ("neutral", "The menu changes every season.", "menu"),
    ("positive", "The charger is light and compact.", "charger"),
    ("negative", "Delivery took three weeks and the box was damaged.", "Delivery"),
    ("positive", "Check-in was quick and the receptionist was kind.", "receptionist"),
    ("negative", "The trackpad feels cheap and unresponsive.", "trackpad"),
    ("neutral", "The hotel is next to the train station.", "train station"),
    ("positive", "The new dashboard is clean and easy to use.", "dashboard"),
]


def small_tsv_text() -> str:
    lines = []
    for label, sentence, term in SMALL_ROWS:
        start = sentence.index(term)
        lines.append(f"{label}\tGENERAL\t{term}\t{start}:{start + len(term)}\t{sentence}")
    return "\r\n".join(lines) + "\r\n"


@pytest.fixture
def small_tsv(tmp_path: Path) -> Path:
    path = tmp_path / "small.tsv"
    path.write_text(small_tsv_text(), encoding="utf-8", newline="")
    return path


@pytest.fixture(scope="session")
def small_tsv_session(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("data") / "small.tsv"
    path.write_text(small_tsv_text(), encoding="utf-8", newline="")
    return path


@pytest.fixture(scope="session")
def small_examples() -> list:
    from core.domain import Polarity, TermExample

    return [TermExample(s, s.index(t), s.index(t) + len(t), Polarity(lab)) for lab, s, t in SMALL_ROWS]


@pytest.fixture(scope="session")
def tiny_base_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real BERT with 1 layer and hidden size 32 (random weights), with the bundled tokenizer."""
    from transformers import AutoTokenizer, BertConfig, BertModel

    from core.ml.base_models import bundled_model_path, quiet_transformers

    quiet_transformers()
    folder = tmp_path_factory.mktemp("tiny-bert")
    tokenizer = AutoTokenizer.from_pretrained(str(bundled_model_path()))
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=1,
                        num_attention_heads=2, intermediate_size=64, max_position_embeddings=128)
    import torch

    torch.manual_seed(0)
    BertModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"needs the public datasets in {SHARED_DATA}, which are absent")
    return SHARED_DATA
