"""Turning a model folder into the predictor lane's model, importing torch only where needed.

``load_predictor`` serves a folder with an ONNX export through ``core.serve`` (onnxruntime and
``tokenizers``: no torch, no transformers), so the first prediction does not wait for torch to
import. Torch is set up (transformers quietened, one intra-op thread) only when the folder is
served by torch: no export, a broken one, a CUDA device, or the starter's export still to build.
Training sets torch's threads back (``use_default_torch_threads``).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Callable

log = logging.getLogger(__name__)

_torch_threads: int | None = None  # torch's own default, before the predictor thread changed it


def use_one_torch_thread() -> None:
    """In the predictor thread: one intra-op thread. One short sentence gains little from more, and
    with training (or anything else) on the same cores, extra threads mostly wait: on 2 busy
    cores a MiniLM prediction took 16 ms median with one thread, 80-135 ms with two."""
    global _torch_threads
    import torch

    if _torch_threads is None:
        _torch_threads = torch.get_num_threads()
    torch.set_num_threads(1)


def use_default_torch_threads() -> None:
    """In a training thread: torch's default again (threads started later inherit the predictor's 1)."""
    import torch

    if _torch_threads is not None:
        torch.set_num_threads(_torch_threads)


def load_predictor(folder: str, device: str, notify: Callable[[str], None] | None = None) -> Any:
    """The served model for ``folder`` (``predict_one``, ``predict_many``, ``device``, ``runtime``):
    ONNX where it has an export, else torch; ``notify`` hears of a fallback or an export build."""
    from core.serve import load_predictor as serve_predictor

    torch_ready = _needs_torch(folder, device) and _prepare_torch()
    # One onnxruntime thread, for the reason use_one_torch_thread gives.
    model = serve_predictor(folder, "auto", device, warn=notify or log.warning, threads=1)
    if model.runtime == "torch" and not torch_ready:
        _prepare_torch()  # a broken export fell back to torch
    return model


def _needs_torch(folder: str, device: str) -> bool:
    """Whether loading ``folder`` will take torch: CUDA, no export, or the starter's yet to build."""
    from core.serve import ModelLoadError, resolve_export
    from core.serve.info import read_info

    if device == "cuda":
        return True
    try:
        return resolve_export(Path(folder), read_info(Path(folder)), build=False)[1] is None
    except (ModelLoadError, OSError, ValueError):
        return False  # the load itself says what is wrong


def _prepare_torch() -> bool:
    """Quiet transformers' load reports and use one torch thread; only once torch is needed."""
    from core.ml.base_models import quiet_transformers

    quiet_transformers()
    use_one_torch_thread()
    return True
