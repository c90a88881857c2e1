"""core.ml.loop.adamw: the fused kernel where torch has it, and the same update as torch's
per-tensor AdamW (the speed-up must not change what training learns)."""

from __future__ import annotations

import torch

from core.ml.loop import adamw


def _params(seed: int) -> list[torch.nn.Parameter]:
    gen = torch.Generator().manual_seed(seed)
    return [torch.nn.Parameter(torch.randn(17, 5, generator=gen)), torch.nn.Parameter(torch.randn(5, generator=gen))]


def _run(optimizer: torch.optim.Optimizer, params: list[torch.nn.Parameter]) -> None:
    gen = torch.Generator().manual_seed(7)
    x = torch.randn(8, 17, generator=gen)
    for _ in range(5):
        loss = ((x @ params[0] + params[1]) ** 2).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()


def test_adamw_uses_the_fused_kernel_on_cpu() -> None:
    opt = adamw([{"params": _params(0), "lr": 1e-2}], 0.01)
    assert opt.defaults.get("fused") is True


def test_adamw_matches_per_tensor_adamw_with_two_groups() -> None:
    ours, ref = _params(1), _params(1)
    _run(adamw([{"params": ours[:1], "lr": 1e-2}, {"params": ours[1:], "lr": 5e-2}], 0.01), ours)
    _run(torch.optim.AdamW([{"params": ref[:1], "lr": 1e-2}, {"params": ref[1:], "lr": 5e-2}],
                           weight_decay=0.01), ref)
    for a, b in zip(ours, ref):
        assert not torch.equal(a, _params(1)[0] if a.dim() == 2 else _params(1)[1])  # it did move
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_adamw_fuses_only_float_parameters_on_one_supported_device() -> None:
    from core.ml.loop import can_fuse

    assert can_fuse([{"params": _params(0)}])
    assert not can_fuse([{"params": []}])
    assert not can_fuse([{"params": [torch.nn.Parameter(torch.zeros(3, dtype=torch.float64))]}])
    meta = torch.nn.Parameter(torch.zeros(3, device="meta"))
    assert not can_fuse([{"params": _params(0)}, {"params": [meta]}])  # two devices
    opt = adamw([{"params": iter(_params(2)), "lr": 1e-2}], 0.0)  # a generator of parameters is fine
    assert len(opt.param_groups[0]["params"]) == 2
