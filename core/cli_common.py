"""Pieces shared by the `polarity` commands: training options, progress bars, JSON output, errors."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Callable, Iterator
from contextlib import contextmanager


class UserError(Exception):
    """A problem the user can fix (bad argument, missing file); printed without a traceback, exit 2."""


def user_error_types() -> tuple[type[BaseException], ...]:
    """Every exception type that means 'bad input', not 'bug': the CLI exits 2 with its message."""
    from core.formats import FormatError
    from core.ml.base_models import BaseModelError

    types: list[type[BaseException]] = [UserError, FormatError, BaseModelError, FileNotFoundError, FileExistsError]
    from core.serve.info import ModelLoadError  # torch-free: an error needs no torch import

    types.append(ModelLoadError)
    try:
        from core.storage.errors import StoreError

        types.append(StoreError)
    except ImportError:
        pass
    return tuple(types)


def add_train_options(parser: argparse.ArgumentParser) -> None:
    """Options of `polarity train` and `polarity project train` (defaults come from TrainConfig)."""
    g = parser.add_argument_group("training")
    g.add_argument("--engine", choices=("two-phase", "lora"), default="two-phase")
    g.add_argument("--base-model", default=None, metavar="bundled|mpnet|DIR|ID",
                   help="base encoder: 'bundled' (all-MiniLM-L6-v2, default on CPU), 'mpnet' (all-mpnet-base-v2, "
                        "more accurate, slower; default with a CUDA GPU once installed by `polarity base-models "
                        "install mpnet`), a local model folder, or a hub id")
    g.add_argument("--epochs", type=int, help="two-phase: whole-network epochs (2); LoRA: epochs (4)")
    g.add_argument("--head-epochs", type=int, help="two-phase: head-only epochs on cached features (20)")
    g.add_argument("--lr", type=float, help="two-phase: whole-network rate (1e-4); LoRA: adapter rate (2e-3)")
    g.add_argument("--head-lr", type=float, help="two-phase: rate of the head-only phase (2e-4)")
    g.add_argument("--lora-rank", type=int)
    g.add_argument("--lora-alpha", type=int)
    g.add_argument("--batch-size", type=int)
    g.add_argument("--max-length", type=int)
    g.add_argument("--input-style", choices=("markers", "pair"))
    g.add_argument("--class-weights", choices=("none", "sqrt", "balanced"))
    g.add_argument("--device", choices=("auto", "cpu", "cuda"))
    g.add_argument("--no-amp", action="store_true", help="train in float32 even on CUDA")
    g.add_argument("--seed", type=int)


def config_from_args(args: argparse.Namespace) -> Any:
    from core.ml.config import ENGINE_DEFAULTS, TrainConfig

    defaults = ENGINE_DEFAULTS[args.engine]
    epochs = (args.epochs if args.epochs is not None else defaults["epochs"][0],
              args.head_epochs if args.head_epochs is not None else defaults["epochs"][1])
    lr = (args.lr if args.lr is not None else defaults["lr"][0],
          args.head_lr if args.head_lr is not None else defaults["lr"][1])
    overrides = {
        "base_model": args.base_model, "lora_rank": args.lora_rank, "lora_alpha": args.lora_alpha,
        "batch_size": args.batch_size, "max_length": args.max_length, "input_style": args.input_style,
        "class_weights": args.class_weights, "device": args.device, "seed": args.seed,
        "amp": False if args.no_amp else None,
    }
    try:
        return TrainConfig.for_engine(args.engine, epochs=epochs, lr=lr, **overrides)
    except ValueError as exc:
        raise UserError(f"invalid training settings: {exc}") from exc


@contextmanager
def progress_bar(enabled: bool, unit: str = "step") -> Iterator[Callable[..., None]]:
    """An ``on_progress`` callback drawing a bar on stderr (only when stderr is a terminal).

    It takes a training event (``TrainingProgress``) or the prediction form ``(step, total, message)``.
    """
    from tqdm import tqdm

    bar = tqdm(total=1, unit=unit, file=sys.stderr, disable=None if enabled else True, leave=False,
               dynamic_ncols=True)

    def update(step: Any, total: int = 0, message: str = "") -> None:
        if not isinstance(step, int):  # a TrainingProgress event
            step, total, message = step.step, step.total, step.message
        if bar.total != total:
            bar.total = total
        bar.n = step
        bar.set_description_str(message[:60], refresh=False)
        bar.refresh()

    try:
        yield update
    finally:
        bar.close()


def emit(data: dict[str, Any], as_json: bool, human: Callable[[dict[str, Any]], str]) -> None:
    if as_json:
        print(json.dumps(data, ensure_ascii=False))
    else:
        print(human(data))


def parse_span(text: str) -> tuple[int, int]:
    try:
        a, b = text.split(":")
        return int(a), int(b)
    except ValueError as exc:
        raise UserError(f"--span must look like START:END (e.g. 27:32), not {text!r}") from exc
