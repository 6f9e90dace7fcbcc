"""Training configuration: dataclass defaults in one place (the paper's, §4.1), overridable from
a JSON or TOML file and from `--set key=value`; unknown keys are rejected with the valid ones.

Precedence: defaults < file < --set. The resolved config is stored in every checkpoint.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from redactor.errors import UsageError


@dataclass
class TrainConfig:
    # Model (paper: ResNet-38, ImageNet-initialised; only MobileNetV2's ImageNet weights ship
    # offline, so resnet38d/resnet50 need pretrained=PATH or pretrained=none).
    backbone: str = "resnet38d"
    pretrained: str = "imagenet"  # "imagenet" | "none" | path to a state dict
    head_hidden: int = 256
    # Keep the first N backbone stages fixed (their BatchNorm too); -1 = the whole backbone.
    # Early, high-resolution stages cost most in the backward pass on a CPU.
    frozen_stages: int = 0
    # Sizes: Model-Image input, Model-Cropped input, crops per image.
    image_size: int = 448
    crop_size: int = 320
    num_crops: int = 6
    # Ablation switches (paper Table 4). Attention (Image) is always on.
    use_cropped: bool = True  # Model-Cropped, L_img and L_cr
    use_priv: bool = True  # privacy-score head and L_priv
    use_attr: bool = True  # attribute head and L_att
    use_masks: bool = True  # human/text mask weighting of the attention maps, when cached
    # Loss weights (paper: 10, 1, 1, 1). lambda_cam weighs the Attention (Image) task's own
    # classification loss (soft margin on the GAP of Model-Image's attention maps): without it
    # Model-Image's maps learn nothing when use_cropped is off. 0 gives the paper's four terms.
    lambda_img: float = 10.0
    lambda_cr: float = 1.0
    lambda_priv: float = 1.0
    lambda_att: float = 1.0
    lambda_cam: float = 1.0
    # L_img's target S_i is Model-Cropped's channel-softmaxed attention. False (default): the
    # two models learn from each other (deep mutual learning, the paper's [74]); True: the
    # crops only teach Model-Image. On the synthetic set mutual learning scored higher.
    crop_target_detach: bool = False
    # Optimisation (paper: SGD, lr 0.002, wd 5e-4, batch 4, 10 epochs, decay at the 6th).
    # Departures, for stability (issue 13): batch 8 and gradient clipping at norm 5. At batch 4
    # without clipping the first steps' large gradients (10 L_img with mutual learning: zero
    # features make both models' maps flat, L_img = 0) drive the backbone's last ReLU to zero
    # for every input, and the model comes out constant (redactor/training/collapse.py).
    optimizer: str = "sgd"  # "sgd" | "adamw"
    lr: float = 0.002
    momentum: float = 0.9
    weight_decay: float = 5e-4
    head_lr_mult: float = 10.0  # new heads learn faster than the pretrained backbone
    batch_size: int = 8
    epochs: int = 10
    lr_decay_epochs: list[int] = field(default_factory=lambda: [6])
    lr_decay: float = 0.1
    freeze_bn: str = "auto"  # "auto" (frozen when pretrained) | "yes" | "no"
    grad_clip: float = 5.0  # max gradient norm; 0 = off
    amp: str = "none"  # "none" | "bf16" | "fp16" (autocast; fp16 with a grad scaler)
    # Data.
    train_split: str = "train"
    val_split: str = "val"
    hflip: bool = True
    num_workers: int = 2
    privacy_profile: str = ""  # path of a preference profile; "" = the default profile
    max_steps_per_epoch: int = 0  # 0 = the whole split (for smoke runs and benchmarks)
    max_train_images: int = 0  # 0 = all
    eval_every: int = 1  # validate every N epochs when the val split exists; 0 = never
    seed: int = 0
    device: str = "auto"  # "auto" (this rank's GPU when present) | "cpu" | "cuda" | "cuda:N"

    def validate(self) -> TrainConfig:
        problems = []
        if self.use_cropped and self.crop_size > self.image_size:
            problems.append(f"crop_size {self.crop_size} > image_size {self.image_size}")
        if self.use_cropped and self.num_crops < 1:
            problems.append("num_crops must be >= 1 with use_cropped")
        if self.optimizer not in ("sgd", "adamw"):
            problems.append(f"optimizer {self.optimizer!r} (sgd | adamw)")
        if self.amp not in ("none", "bf16", "fp16"):
            problems.append(f"amp {self.amp!r} (none | bf16 | fp16)")
        if self.freeze_bn not in ("auto", "yes", "no"):
            problems.append(f"freeze_bn {self.freeze_bn!r} (auto | yes | no)")
        for name in ("batch_size", "epochs", "image_size", "crop_size"):
            if getattr(self, name) < 1:
                problems.append(f"{name} must be >= 1")
        if problems:
            raise UsageError("bad training config: " + "; ".join(problems))
        return self

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _field_types() -> dict[str, Any]:
    return typing.get_type_hints(TrainConfig)


def _coerce(key: str, value: Any, kind: Any) -> Any:
    """Turn a file value or a --set string into the field's type, or raise UsageError."""
    try:
        if kind is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError(value)
        if kind is int:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError(value)
            return int(value)
        if kind is float:
            if isinstance(value, bool):
                raise ValueError(value)
            return float(value)
        if kind is str:
            if not isinstance(value, (str, int, float)) or isinstance(value, bool):
                raise ValueError(value)
            return str(value)
        if typing.get_origin(kind) is list:
            (item,) = typing.get_args(kind)
            if isinstance(value, str):
                value = [part for part in value.replace(" ", "").split(",") if part]
            return [_coerce(key, v, item) for v in value]
    except (TypeError, ValueError):
        raise UsageError(
            f"config key {key!r}: {value!r} is not a valid {_type_name(kind)}"
        ) from None
    raise UsageError(f"config key {key!r} has an unsupported type")


def _type_name(kind: Any) -> str:
    return getattr(kind, "__name__", str(kind))


def _check_keys(keys: Iterable[str], source: str) -> None:
    valid = _field_types()
    unknown = sorted(set(keys) - set(valid))
    if unknown:
        raise UsageError(
            f"unknown config key(s) {', '.join(unknown)} in {source}; valid keys: "
            f"{', '.join(sorted(valid))}"
        )


def read_config_file(path: str | Path) -> dict[str, Any]:
    """A flat JSON object or TOML table of config keys."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"config file {path} does not exist")
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() == ".toml":
            if sys.version_info < (3, 11):
                raise UsageError("TOML config files need Python 3.11+; use JSON")
            import tomllib

            data = tomllib.loads(text)
        elif path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            raise UsageError(f"config file {path}: use a .json or .toml file")
    except (ValueError, json.JSONDecodeError) as error:
        raise UsageError(f"config file {path} is not valid: {error}") from None
    if not isinstance(data, dict):
        raise UsageError(f"config file {path} must hold one table of key = value")
    return data


def parse_overrides(pairs: Iterable[str]) -> dict[str, str]:
    """["lr=0.01", "use_priv=false"] -> {"lr": "0.01", "use_priv": "false"}."""
    overrides: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--set expects key=value, got {pair!r}")
        overrides[key.strip()] = value.strip()
    return overrides


def make_config(
    file: str | Path | None = None,
    overrides: Mapping[str, Any] | Iterable[str] = (),
    base: Mapping[str, Any] | None = None,
) -> TrainConfig:
    """Defaults < `base` (e.g. a checkpoint's config) < file < overrides; validated."""
    types = _field_types()
    values: dict[str, Any] = {}
    layers: list[tuple[str, Mapping[str, Any]]] = []
    if base:
        layers.append(("the checkpoint", base))
    if file is not None:
        layers.append((str(file), read_config_file(file)))
    if not isinstance(overrides, Mapping):
        overrides = parse_overrides(overrides)
    layers.append(("--set", overrides))
    for source, layer in layers:
        _check_keys(layer, source)
        for key, value in layer.items():
            values[key] = _coerce(key, value, types[key])
    return TrainConfig(**values).validate()
