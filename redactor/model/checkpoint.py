"""Checkpoints: one `.pt` dict that rebuilds the model by itself (nanoGPT's checkpoint dict).

    {"format": "redactor.privobfnet", "format_version": 1,
     "model_args": ModelArgs.to_dict(), "meta": ModelMeta.to_dict(), "config": {...},
     "epoch": int, "model": state_dict, "optimizer": state_dict | None,
     "scheduler": state_dict | None}

Only plain data and tensors: files load with `torch.load(weights_only=True)`, which runs no
code from the file.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import torch

from redactor.errors import ModelError, first_line
from redactor.files import atomic_output
from redactor.model.privobfnet import ModelArgs, PrivObfNet

# ModelMeta needs no torch: it lives in redactor.model_meta (the ONNX runtime path reads it).
from redactor.model_meta import FORMAT_VERSION, ModelMeta

FORMAT = "redactor.privobfnet"


def save_checkpoint(
    path: str | Path,
    model: PrivObfNet,
    meta: ModelMeta,
    *,
    config: dict[str, Any] | None = None,
    epoch: int = 0,
    optimizer: torch.optim.Optimizer | None = None,
    scheduler: Any | None = None,
) -> Path:
    """Write atomically (redactor.files: temporary file in the same folder, then rename)."""
    path = Path(path)
    meta = dataclasses.replace(meta, epoch=epoch)
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "model_args": model.args.to_dict(),
        "meta": meta.to_dict(),
        "config": dict(config or {}),
        "epoch": epoch,
        "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "optimizer": None if optimizer is None else optimizer.state_dict(),
        "scheduler": None if scheduler is None else scheduler.state_dict(),
    }
    with atomic_output(path) as stream:
        torch.save(payload, stream)
    return path


def read_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """The checkpoint dict, checked for its format; ModelError for anything else."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(
            f"model file {path} does not exist; train one with `redact train` "
            "or pass the path of a .pt checkpoint"
        )
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as error:  # noqa: BLE001 - truncated zip, pickle errors, unsafe globals, ...
        raise ModelError(
            f"{path} is not a readable PrivObfNet checkpoint ({error.__class__.__name__}); "
            "it may be truncated or of another kind: retrain or copy it again"
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ModelError(f"{path} is not a PrivObfNet checkpoint (no '{FORMAT}' format marker)")
    if int(payload.get("format_version", 0)) > FORMAT_VERSION:
        raise ModelError(
            f"{path} has checkpoint format {payload['format_version']}, newer than this redactor "
            f"reads ({FORMAT_VERSION}); upgrade redactor"
        )
    for key in ("model_args", "meta", "model"):
        if key not in payload:
            raise ModelError(f"{path} lacks '{key}'; it is incomplete")
    return payload


def model_from_payload(
    payload: dict[str, Any], *, image_only: bool = False, source: str = "checkpoint"
) -> tuple[PrivObfNet, ModelMeta]:
    try:
        args = ModelArgs.from_dict(payload["model_args"])
    except (TypeError, ValueError, KeyError) as error:
        raise ModelError(f"{source} has unusable model arguments: {error}") from None
    state = payload["model"]
    if image_only:
        args = dataclasses.replace(args, use_cropped=False)
        state = {k: v for k, v in state.items() if not k.startswith("cropped.")}
    model = PrivObfNet(args)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as error:
        raise ModelError(
            f"{source} weights do not fit its model arguments: {first_line(error, limit=1000)}"
        ) from None
    model.eval()
    return model, ModelMeta.from_dict(payload["meta"])


def load_checkpoint(
    path: str | Path, map_location: str | torch.device = "cpu", *, image_only: bool = False
) -> tuple[PrivObfNet, ModelMeta]:
    """Rebuild the model (in eval mode) and its metadata from the file alone.

    `image_only` skips Model-Cropped (inference never uses it): half the memory.
    """
    payload = read_checkpoint(path, map_location)
    return model_from_payload(payload, image_only=image_only, source=str(path))
