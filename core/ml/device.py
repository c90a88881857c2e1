"""Device choice and mixed precision in one place (nanoGPT style).

AMP = autocast + GradScaler, only on CUDA; CPU always trains in float32.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any


def pick_device(preference: str = "auto") -> str:
    import torch

    if preference == "cuda":
        if not torch.cuda.is_available():
            raise ValueError("device 'cuda' was asked for, but no CUDA GPU is available")
        return "cuda"
    if preference == "cpu":
        return "cpu"
    return "cuda" if torch.cuda.is_available() else "cpu"


def amp_enabled(device: str, amp: bool) -> bool:
    return amp and device == "cuda"


def autocast(device: str, amp: bool, dtype_name: str = "float16") -> Any:
    import torch

    if not amp_enabled(device, amp):
        return nullcontext()
    return torch.autocast(device_type="cuda", dtype=getattr(torch, dtype_name))


def grad_scaler(device: str, amp: bool, dtype_name: str = "float16") -> Any:
    """A GradScaler that scales only under float16 autocast; a no-op otherwise."""
    import torch

    fp16 = amp_enabled(device, amp) and dtype_name == "float16"
    return torch.amp.GradScaler("cuda" if device == "cuda" else "cpu", enabled=fp16)


def set_seed(seed: int) -> None:
    import random

    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
