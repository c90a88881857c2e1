"""Mixed precision: on only where CUDA runs the training, float32 on CPU whatever the setting.

The CUDA half runs only on a machine with a GPU (CI has none); it trains both engines with AMP
on a tiny encoder and checks the weights stay finite and the model predicts.
"""

from __future__ import annotations

import math
from contextlib import nullcontext

import pytest
import torch

from core.ml.config import TrainConfig
from core.ml.device import amp_enabled, autocast, grad_scaler
from core.ml.train import train


@pytest.mark.parametrize("amp", [True, False])
def test_cpu_always_trains_in_float32(amp: bool) -> None:
    assert not amp_enabled("cpu", amp)
    assert not grad_scaler("cpu", amp).is_enabled()
    layer = torch.nn.Linear(4, 4)
    with autocast("cpu", amp):
        assert layer(torch.ones(1, 4)).dtype == torch.float32


def test_amp_on_cuda_autocasts_to_the_chosen_dtype_and_off_means_no_autocast() -> None:
    # torch.autocast can be built without a GPU (it disables itself) and still says its dtype
    with pytest.warns(UserWarning) if not torch.cuda.is_available() else nullcontext():
        on16, on_bf16 = autocast("cuda", True, "float16"), autocast("cuda", True, "bfloat16")
    assert isinstance(on16, torch.autocast) and on16.fast_dtype == torch.float16
    assert isinstance(on_bf16, torch.autocast) and on_bf16.fast_dtype == torch.bfloat16
    assert not isinstance(autocast("cuda", False), torch.autocast)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (a scaler disables itself without one)")
def test_only_float16_amp_scales_the_loss() -> None:
    assert grad_scaler("cuda", True, "float16").is_enabled()
    assert not grad_scaler("cuda", True, "bfloat16").is_enabled()
    assert not grad_scaler("cuda", False, "float16").is_enabled()


def test_a_cpu_training_with_amp_requested_is_float32(tiny_base_model, small_examples) -> None:
    cfg = TrainConfig.for_engine("two-phase", base_model=str(tiny_base_model), epochs=(1, 1), batch_size=8,
                                 device="cpu", amp=True, seed=3)
    result = train(cfg, small_examples, None)
    assert all(p.dtype == torch.float32 for p in result.model.net.parameters())


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (the AMP path runs only there)")
@pytest.mark.parametrize("engine", ["two-phase", "lora"])
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_amp_training_on_cuda(tiny_base_model, small_examples, engine: str, dtype: str) -> None:
    if dtype == "bfloat16" and not torch.cuda.is_bf16_supported():
        pytest.skip("this GPU has no bfloat16")
    epochs = (1, 2) if engine == "two-phase" else (2, 0)
    cfg = TrainConfig.for_engine(engine, base_model=str(tiny_base_model), epochs=epochs, batch_size=8,
                                 device="cuda", amp=True, amp_dtype=dtype, seed=3)
    result = train(cfg, small_examples, small_examples[:8])
    assert all(torch.isfinite(p).all() for p in result.model.net.parameters())
    assert math.isfinite(result.metrics["accuracy"])
    preds = result.model.predict(small_examples[:4])
    assert all(abs(sum(p.as_dict().values()) - 1.0) < 1e-3 for p in preds)
