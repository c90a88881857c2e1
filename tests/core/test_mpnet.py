"""The accurate tier's architecture: a tiny MPNet (1 layer, hidden 32, random weights) with a real
MPNet tokenizer, built from the bundled vocabulary, so no test needs the 440 MB weights."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from core.ml.config import TrainConfig
from core.ml.train import train


def _mpnet_folder(folder: Path, with_unused: bool = True) -> Path:
    """MPNet's vocabulary is <s> <pad> </s> <unk>, then BERT's uncased one, then <mask>: the same
    tokens as the bundled MiniLM's vocab.txt, so a faithful MPNet tokenizer can be built from it."""
    import torch
    from transformers import MPNetConfig, MPNetModel, MPNetTokenizer

    from core.ml.base_models import bundled_model_path, quiet_transformers

    quiet_transformers()
    lines = (bundled_model_path() / "vocab.txt").read_text(encoding="utf-8").splitlines()
    if not with_unused:
        lines = [t for t in lines if not t.startswith("[unused")]
    tokens = ["<s>", "<pad>", "</s>", "<unk>"] + lines + ["<mask>"]
    tokenizer = MPNetTokenizer(vocab={t: i for i, t in enumerate(tokens)})
    config = MPNetConfig(vocab_size=len(tokens), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                         intermediate_size=64, max_position_embeddings=130, pad_token_id=1)
    torch.manual_seed(0)
    MPNetModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def tiny_mpnet(tmp_path_factory) -> Path:
    return _mpnet_folder(tmp_path_factory.mktemp("tiny-mpnet"))


def test_pairs_read_s_a_s_s_b_s_and_no_token_types_reach_the_model(tiny_mpnet):
    from core.ml.encoding import TermEncoder
    from core.ml.network import PolarityNet, load_encoder, load_tokenizer

    tokenizer = load_tokenizer(str(tiny_mpnet))
    enc = TermEncoder.from_tokenizer(tokenizer, "pair", 64)
    e = enc.encode("The pasta was cold", 4, 9)
    tokens = tokenizer.convert_ids_to_tokens(e.input_ids)
    assert tokens == ["<s>", "the", "pasta", "was", "cold", "</s>", "</s>", "pasta", "</s>"]
    assert [t for t, m in zip(tokens, e.term_mask) if m] == ["pasta"]  # the sentence's term, not the pair's
    net = PolarityNet(load_encoder(str(tiny_mpnet)))
    assert net._takes_types is False
    assert net(enc.collate([e])).shape == (1, 3)


def test_markers_come_from_the_vocabulary_when_it_has_them(tiny_mpnet):
    from core.ml.encoding import TermEncoder
    from core.ml.network import load_tokenizer

    tokenizer = load_tokenizer(str(tiny_mpnet))
    before = len(tokenizer)
    enc = TermEncoder.from_tokenizer(tokenizer, "markers", 64)
    assert enc.markers == ("[unused0]", "[unused1]") and len(tokenizer) == before
    tokens = tokenizer.convert_ids_to_tokens(enc.encode("The pasta was cold", 4, 9).input_ids)
    assert tokens == ["<s>", "the", "[unused0]", "pasta", "[unused1]", "was", "cold", "</s>"]


@pytest.mark.parametrize("engine", ["two-phase", "lora"])
def test_both_engines_train_save_load_and_predict(tiny_mpnet, small_examples, engine, tmp_path):
    from core.ml.model import PolarityModel

    cfg = TrainConfig.for_engine(engine, base_model=str(tiny_mpnet), epochs=(1, 2) if engine == "two-phase" else (1, 0),
                                 batch_size=8, seed=4, lora_rank=4, lora_alpha=8)
    result = train(cfg, small_examples, small_examples[:8])
    assert result.metrics["n"] == 8 and result.model.info["temperature"] > 0
    if engine == "lora":
        # MPNet names its attention projections q/k/v/o: all four got adapters, in every layer.
        targets = set(result.model.info["lora"]["target_modules"])
        assert {"encoder.layer.0.attention.attn.q", "encoder.layer.0.attention.attn.o"} <= targets
    folder = result.model.save(tmp_path / "m")
    loaded = PolarityModel.load(folder, device="cpu", precision="float32")
    before, after = result.model.predict(small_examples), loaded.predict(small_examples)
    assert [p.label for p in before] == [p.label for p in after]
    assert after[0].probabilities == pytest.approx(before[0].probabilities, abs=1e-5)


def test_markers_missing_from_the_vocabulary_are_added_and_learned(small_examples, tmp_path):
    import torch

    base = _mpnet_folder(tmp_path / "no-unused", with_unused=False)
    cfg = TrainConfig.for_engine("lora", base_model=str(base), epochs=(2, 0), batch_size=8, seed=4,
                                 lora_rank=4, lora_alpha=8)
    result = train(cfg, small_examples, None)
    model = result.model
    assert model.encoder.markers == ("<term>", "</term>")
    ids = model.encoder.tokenizer.convert_tokens_to_ids(["<term>", "</term>"])
    assert model.info["lora"]["trainable_token_indices"] == ids
    # peft keeps the embedding matrix it started from beside the learned marker rows: after merging,
    # the marker rows differ from where they started and every other row is unchanged.
    start = next(v for k, v in model._adapter_state.items() if k.endswith("token_adapter.base_layer.weight"))
    merged = model.net.encoder.get_input_embeddings().weight.detach()
    assert merged.shape == start.shape and max(ids) < merged.shape[0]
    others = [i for i in range(merged.shape[0]) if i not in ids]
    assert torch.equal(merged[others], start[others])
    assert not torch.allclose(merged[ids], start[ids])


def test_mpnet_resolves_once_installed_and_names_the_install_command_before(tiny_mpnet, monkeypatch, tmp_path,
                                                                              small_examples):
    from core.ml import base_models

    monkeypatch.setenv("POLARITY_DATA_DIR", str(tmp_path / "data"))
    with pytest.raises(base_models.BaseModelError, match="polarity base-models install mpnet"):
        base_models.resolve_base_model("mpnet")
    assert base_models.default_base_model() == "bundled"
    shutil.copytree(tiny_mpnet, base_models.mpnet_model_path())
    assert base_models.resolve_base_model("mpnet") == str(base_models.mpnet_model_path())
    assert base_models.display_name("mpnet") == "sentence-transformers/all-mpnet-base-v2"
    cfg = TrainConfig.for_engine("two-phase", base_model="mpnet", epochs=(1, 1), batch_size=8)
    model = train(cfg, small_examples, None).model
    assert model.info["base_model"] == "mpnet" and model.info["base_model_name"].endswith("all-mpnet-base-v2")


def test_mpnet_is_the_default_base_only_with_cuda(tiny_mpnet, monkeypatch, tmp_path):
    import torch

    from core.ml import base_models

    monkeypatch.setenv("POLARITY_DATA_DIR", str(tmp_path / "data"))
    shutil.copytree(tiny_mpnet, base_models.mpnet_model_path())
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert TrainConfig.for_engine("two-phase").base_model == "bundled"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert TrainConfig.for_engine("two-phase").base_model == "mpnet"
    assert TrainConfig.for_engine("lora", base_model="bundled").base_model == "bundled"  # a named base wins


def test_the_default_base_is_found_without_importing_torch_where_cuda_cannot_be(tiny_mpnet, monkeypatch, tmp_path):
    # The app's settings ask for the default at start: on a CPU-only torch build (or with no NVIDIA
    # driver) the answer must not cost a torch import, or the first ONNX prediction waits for it.
    import json
    import os
    import subprocess
    import sys

    from core.ml import base_models

    monkeypatch.setenv("POLARITY_DATA_DIR", str(tmp_path / "data"))
    shutil.copytree(tiny_mpnet, base_models.mpnet_model_path())
    if not base_models.surely_no_cuda():
        pytest.skip("this machine may have CUDA: the default needs torch to tell")
    code = ("import json, sys; from core.ml.config import TrainConfig; "
            "print(json.dumps([TrainConfig.for_engine('two-phase').base_model, 'torch' in sys.modules]))")
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(root)})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == ["bundled", False]


def test_the_frozen_recipe_trains_only_the_head_and_leaves_the_encoder_as_installed(tiny_mpnet, monkeypatch,
                                                                                    tmp_path, small_examples):
    # benchmarks/bench_mpnet.py measures this recipe (epochs (0, N)) on features cached once.
    import torch

    from core.ml import base_models
    from core.ml.network import load_encoder

    monkeypatch.setenv("POLARITY_DATA_DIR", str(tmp_path / "data"))
    shutil.copytree(tiny_mpnet, base_models.mpnet_model_path())
    cfg = TrainConfig.for_engine("two-phase", base_model="mpnet", epochs=(0, 20), lr=(1e-4, 1e-3), seed=4)
    result = train(cfg, small_examples, small_examples[:8])
    assert [h["phase"] for h in result.history] == ["head"] * result.model.info["config"]["epochs"][1]
    installed = load_encoder(str(base_models.mpnet_model_path())).state_dict()
    trained = result.model.net.encoder.state_dict()
    assert installed.keys() == trained.keys()
    assert all(torch.equal(installed[k], trained[k].cpu()) for k in installed)
    assert result.history[-1]["loss"] < result.history[0]["loss"]  # the head did learn
