"""Data-parallel training under torchrun / accelerate launch (DistributedDataParallel).

Launchers set WORLD_SIZE, RANK and LOCAL_RANK. Every rank trains on its own shard of the
batches (gradients are averaged by DDP); only rank 0 evaluates and writes the model.
NCCL on GPUs, gloo on CPU.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Dist:
    rank: int = 0
    world: int = 1
    local_rank: int = 0
    owns_group: bool = False  # this process initialised the group, so it tears it down

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world > 1


def launched_world_size() -> int:
    try:
        return int(os.environ.get("WORLD_SIZE", "1"))
    except ValueError:
        return 1


def is_main_process() -> bool:
    """True unless this is a non-zero rank of a distributed launch (for CLI output and saving)."""
    return int(os.environ.get("RANK", "0") or 0) == 0


def setup(device_preference: str) -> tuple[Dist, str]:
    """Join the process group if launched distributed; returns (Dist, device)."""
    import torch
    import torch.distributed as dist

    from core.ml.device import pick_device

    device = pick_device(device_preference)
    world = launched_world_size()
    if world <= 1:
        return Dist(), device
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if device == "cuda":
        torch.cuda.set_device(local_rank)  # "cuda" now means this rank's own GPU
    owns = False
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device == "cuda" else "gloo")
        owns = True
    return Dist(dist.get_rank(), dist.get_world_size(), local_rank, owns), device


def teardown(info: Dist) -> None:
    if info.owns_group:
        import torch.distributed as dist

        dist.destroy_process_group()


def shard(batches: list[Any], info: Dist) -> list[Any]:
    """This rank's share of the batches. Every rank gets the same count (DDP steps in lockstep),
    so the list is padded by wrapping around rather than letting one rank run short."""
    if not info.enabled or not batches:
        return batches
    per_rank = -(-len(batches) // info.world)
    padded = (batches * (per_rank * info.world // len(batches) + 1))[: per_rank * info.world]
    return padded[info.rank::info.world]


def wrap(module: Any, info: Dist, device: str) -> Any:
    if not info.enabled:
        return module
    from torch.nn.parallel import DistributedDataParallel as DDP

    if device == "cuda":
        return DDP(module, device_ids=[info.local_rank])
    return DDP(module)
