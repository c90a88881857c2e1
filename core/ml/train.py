"""``train()``: orchestrates loading, encoding and one engine; returns a ready PolarityModel.

Long work reports through ``on_progress(TrainingProgress)`` (``core.ml.events``) and polls
``should_stop()`` between batches and between the slow loading steps, so a GUI thread can show
progress and cancel within a second.
"""

from __future__ import annotations

import hashlib
import math
import platform
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Callable, Sequence

from core.domain import LABEL_NAMES, TermExample
from core.ml.base_models import display_name, resolve_base_model
from core.ml.config import TrainConfig
from core.ml.events import DONE, LOADING, Progress, TrainingCancelled, TrainingProgress
from core.ml.loop import Context, metrics_from_logits

__all__ = ["train", "TrainResult", "TrainingCancelled", "data_fingerprint"]


@dataclass
class TrainResult:
    model: Any  # PolarityModel
    metrics: dict[str, Any]
    history: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    device: str = "cpu"
    # False on the non-zero ranks of a torchrun launch: those must not save or report.
    is_main: bool = True


def train(cfg: TrainConfig, train_examples: Sequence[TermExample], dev_examples: Sequence[TermExample] | None = None,
          *, on_progress: Progress | None = None, should_stop: Callable[[], bool] | None = None,
          on_epoch: Callable[[dict[str, Any]], None] | None = None) -> TrainResult:
    """Train a model with ``cfg``; raises TrainingCancelled if ``should_stop()`` turns true."""
    cfg.validate()
    _check_labeled(train_examples, "training")
    _check_labeled(dev_examples or [], "dev")
    started = time.perf_counter()

    from core.ml import distributed

    from core.ml.temperature import REFIT_ON_ALL, holdout

    dist_info, device = distributed.setup(cfg.device)
    # Without a dev set big enough for T, a calibration slice is held out before anything trains.
    rest, held = holdout(train_examples, dev_examples, cfg.seed)
    refit = bool(held) and REFIT_ON_ALL
    passes = _Passes(on_progress, refit)
    run = (dist_info, device, started, passes.report if on_progress else None, should_stop, on_epoch)
    try:
        first = _train(cfg, rest, dev_examples, *run, calib_examples=held)
        if not refit:
            return first
        # T known, the slice's rows join the others: the same recipe again on every row, with that T.
        record = dict(first.model.info["calibration"])
        record["method"] += "; then retrained on all training terms with that T"
        del first
        passes.next()
        return _train(cfg, train_examples, dev_examples, *run, fixed=record)
    finally:
        distributed.teardown(dist_info)


class _Passes:
    """Progress of one or two trainings as one bar: the second pass counts on from where the
    first ended, and the first pass's "done" is not passed on (the job is not finished)."""

    def __init__(self, on_progress: Progress | None, two: bool):
        self.on_progress, self.two, self.offset, self.last = on_progress, two, 0, 0
        self.first = True

    def next(self) -> None:
        self.first, self.offset = False, self.last

    def report(self, event: TrainingProgress) -> None:
        if self.on_progress is None or (self.two and self.first and event.phase == DONE):
            return
        shifted = replace(event, step=event.step + self.offset, total=event.total + self.offset)
        self.last = shifted.total
        self.on_progress(shifted)


def _train(cfg: TrainConfig, train_examples: Sequence[TermExample], dev_examples: Sequence[TermExample] | None,
           dist_info: Any, device: str, started: float, on_progress: Progress | None,
           should_stop: Callable[[], bool] | None, on_epoch: Callable[[dict[str, Any]], None] | None,
           calib_examples: Sequence[TermExample] = (), fixed: dict[str, Any] | None = None) -> TrainResult:
    """One training. ``calib_examples``: the slice T is fitted on; ``fixed``: a calibration record
    already fitted (the retraining on all rows), used as it is."""
    from core.ml import lora, two_phase
    from core.ml.device import set_seed
    from core.ml.encoding import TermEncoder
    from core.ml.model import FORMAT_VERSION, PolarityModel
    from core.ml.network import PolarityNet, load_encoder, load_tokenizer

    set_seed(cfg.seed)
    if on_progress:
        on_progress(TrainingProgress(LOADING, 0, 0, 0, 1))
    base_path = resolve_base_model(cfg.base_model)
    tokenizer = load_tokenizer(base_path)
    _check_stop(should_stop)  # loading the encoder is the slowest step before the first batch
    vocab_before = len(tokenizer)
    encoder = TermEncoder.from_tokenizer(tokenizer, cfg.input_style, cfg.max_length)
    new_ids = list(range(vocab_before, len(tokenizer)))
    body = load_encoder(base_path)
    if new_ids:
        body.resize_token_embeddings(len(tokenizer))
    net = PolarityNet(body, cfg.dropout).to(device)
    _check_stop(should_stop)

    ctx = _context(cfg, device, net, encoder, train_examples, dev_examples or [], on_progress, should_stop, on_epoch,
                   dist_info, list(calib_examples))
    extra: dict[str, Any] = {}
    adapter = None
    train_feats = None
    if cfg.engine == "two-phase":
        train_feats = two_phase.run(ctx)
    else:
        extra["lora"], adapter = lora.run(ctx, new_ids)
    _check_stop(should_stop)
    metrics: dict[str, Any] = {}
    if dist_info.is_main:
        metrics, extra["calibration"] = _finish(ctx, [e.sentence for e in train_examples], train_feats, fixed)
        extra["temperature"] = extra["calibration"]["temperature"]
    _check_stop(should_stop)  # before the model's description, whose version list imports peft (~1 s)
    seconds = time.perf_counter() - started
    info = {
        "format_version": FORMAT_VERSION,
        "kind": "lora" if cfg.engine == "lora" else "full",
        "engine": cfg.engine,
        "base_model": cfg.base_model,
        "base_model_name": display_name(cfg.base_model),
        "labels": list(LABEL_NAMES),
        "encoding": encoder.describe(),
        "config": cfg.to_dict(),
        "metrics": metrics,
        "history": ctx.history,
        "n_train": len(train_examples),  # the rows this model trained on
        "n_dev": len(dev_examples or []),
        "n_calibration": fixed["n"] if fixed else len(calib_examples),  # the slice T was fitted on
        "data_fingerprint": data_fingerprint(list(train_examples) + list(calib_examples)),
        "train_seconds": round(seconds, 2),
        "device": device,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "world_size": dist_info.world,
        "versions": _versions(),
        **extra,
    }
    model = PolarityModel(net.eval(), encoder, info, device, adapter)
    if on_progress:
        on_progress(TrainingProgress(DONE, 0, 0, ctx.total_steps, ctx.total_steps))
    return TrainResult(model, metrics, ctx.history, seconds, device, dist_info.is_main)


def _context(cfg: TrainConfig, device: str, net: Any, encoder: Any, train_ex: Sequence[TermExample],
             dev_ex: Sequence[TermExample], on_progress: Progress | None,
             should_stop: Callable[[], bool] | None, on_epoch: Any, dist_info: Any,
             calib_ex: Sequence[TermExample] = ()) -> Context:
    def encode(examples: Sequence[TermExample]) -> tuple[list[Any], list[int]]:
        return (encoder.encode_many([(e.sentence, e.start, e.end) for e in examples]),
                [e.polarity.index for e in examples])  # type: ignore[union-attr]

    (train_x, train_y), (dev_x, dev_y), (calib_x, calib_y) = encode(train_ex), encode(dev_ex), encode(calib_ex)
    ctx = Context(cfg, device, net, encoder, train_x, train_y, dev_x, dev_y, on_progress, should_stop, on_epoch,
                  dist_info, calib_x, calib_y)
    # The slice is scored once, like a dev set without a head phase.
    ctx.total_steps = _total_steps(cfg, len(train_x), len(dev_x), dist_info.world) + math.ceil(len(calib_x) / 64)
    return ctx


def _total_steps(cfg: TrainConfig, n_train: int, n_dev: int, world: int = 1) -> int:
    batches = math.ceil(math.ceil(n_train / cfg.batch_size) / world)
    feature_batches = math.ceil(n_train / 64) + math.ceil(n_dev / 64)
    if cfg.engine == "two-phase":
        head = (feature_batches + cfg.epochs[1]) if cfg.epochs[1] else 0
        tail = 0 if cfg.epochs[1] else math.ceil(n_dev / 64)
        return max(1, cfg.epochs[0] * batches + head + tail)
    dev_per_epoch = math.ceil(n_dev / 64)
    return max(1, cfg.epochs[0] * (batches + dev_per_epoch))


def _check_stop(should_stop: Callable[[], bool] | None) -> None:
    if should_stop is not None and should_stop():
        raise TrainingCancelled("training was cancelled")


def _finish(ctx: Context, groups: list[str], train_feats: Any,
            fixed: dict[str, Any] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Dev metrics of the finished model (empty without a dev set) and its fitted temperature.

    One pass over the dev set gives both; the metrics' ECE and NLL are those of the calibrated
    probabilities (when T was fitted on this same dev set, they are in-sample)."""
    from core.ml import calibration
    from core.ml.temperature import calibrate, dev_logits

    logits = dev_logits(ctx) if ctx.dev_x else None
    record = fixed if fixed is not None else calibrate(ctx, groups, train_feats, logits)
    if logits is None:
        return {}, record
    metrics = metrics_from_logits(logits, ctx.dev_y)  # numpy argmax, like torch's
    probs = calibration.apply_temperature(logits, record["temperature"])
    metrics["ece"] = round(calibration.ece(probs, ctx.dev_y), 4)
    metrics["nll"] = round(calibration.nll(probs, ctx.dev_y), 4)
    metrics["reliability"] = calibration.reliability(probs, ctx.dev_y)  # the app's reliability diagram
    return metrics, record


def _check_labeled(examples: Sequence[TermExample], what: str) -> None:
    for e in examples:
        if e.polarity is None:
            where = f" (line {e.line})" if e.line else ""
            raise ValueError(f"a {what} example has no label{where}: {e.term!r} in {e.sentence[:60]!r}")
    if what == "training" and not examples:
        raise ValueError("no labeled training examples")


def data_fingerprint(examples: Sequence[TermExample]) -> str:
    """A hash of the labeled data, order-independent, to tell which data a model saw."""
    rows = sorted(f"{e.sentence}\t{e.start}\t{e.end}\t{e.polarity.value if e.polarity else ''}" for e in examples)
    digest = hashlib.sha256("\n".join(rows).encode("utf-8")).hexdigest()
    return f"sha256:{digest[:16]}"


def _versions() -> dict[str, str]:
    import torch
    import transformers

    import core

    out = {"python": platform.python_version(), "torch": torch.__version__,
           "transformers": transformers.__version__, "polarity_studio": core.__version__}
    try:
        import peft

        out["peft"] = peft.__version__
    except ImportError:
        pass
    return out
