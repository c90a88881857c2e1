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


PRECISIONS = ("auto", "float32", "bfloat16")


def native_bf16_cpu() -> bool:
    """True where the CPU multiplies bfloat16 in hardware (AMX tiles, e.g. Xeon Sapphire Rapids)."""
    import torch

    try:
        return bool(torch.cpu._is_amx_tile_supported())  # private, hence the guard
    except Exception:
        return False


def inference_precision(device: str, requested: str = "auto") -> str:
    """Precision for prediction. "auto": bfloat16 on CUDA and on CPUs with AMX (several times faster,
    labels agree with float32 on the dev set, see README), float32 elsewhere."""
    if requested not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, not {requested!r}")
    if requested != "auto":
        return requested
    if device == "cuda":
        import torch

        return "bfloat16" if torch.cuda.is_bf16_supported() else "float32"
    return "bfloat16" if native_bf16_cpu() else "float32"


def inference_autocast(device: str, precision: str) -> Any:
    import torch

    if precision != "bfloat16":
        return nullcontext()
    return torch.autocast(device_type="cuda" if device == "cuda" else "cpu", dtype=torch.bfloat16)
