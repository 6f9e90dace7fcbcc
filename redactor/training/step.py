"""One training step's forward and losses, shared by the trainer and benchmarks/gpu_train.py.
Needs only torch and redactor.model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from redactor.training import losses
from redactor.training.config import TrainConfig
from redactor.training.crops import cut_crops, cut_maps, sample_crop_corners

LOSS_NAMES = ("cam", "img", "cr", "priv", "att")


@dataclass
class Batch:
    images: torch.Tensor  # [B, 3, S, S] normalised
    labels: torch.Tensor  # [B, C] 0/1
    scores: torch.Tensor | None = None  # [B] privacy-score targets
    masks: torch.Tensor | None = None  # [B, 2, S, S] human, text in [0, 1]

    def to(self, device: torch.device | str) -> Batch:
        def move(t: torch.Tensor | None) -> torch.Tensor | None:
            return None if t is None else t.to(device, non_blocking=True)

        images, labels = move(self.images), move(self.labels)
        assert images is not None and labels is not None
        return Batch(images, labels, move(self.scores), move(self.masks))


def autocast_context(config: TrainConfig, device: torch.device) -> Any:
    """torch.autocast for config.amp: none (fp32), bf16, or fp16 (with a GradScaler)."""
    if config.amp == "none":
        return torch.autocast(device.type, enabled=False)
    dtype = torch.bfloat16 if config.amp == "bf16" else torch.float16
    return torch.autocast(device.type, dtype=dtype)


def loss_weights(config: TrainConfig) -> dict[str, float]:
    return {
        "cam": config.lambda_cam,
        "img": config.lambda_img,
        "cr": config.lambda_cr,
        "priv": config.lambda_priv,
        "att": config.lambda_att,
    }


def compute_losses(
    model: nn.Module,
    batch: Batch,
    config: TrainConfig,
    stride: int,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Forward `model` (a PrivObfNet, possibly DDP-wrapped) and return (L, parts).

    Parts present: "cam" (Attention (Image) task, when lambda_cam > 0), "img" and "cr"
    (use_cropped), "priv" (use_priv), "att" (use_attr).
    """
    masks = batch.masks if config.use_masks else None
    crops = crop_masks = corners = None
    if config.use_cropped:
        corners = sample_crop_corners(
            batch.images.shape[0],
            config.num_crops,
            batch.images.shape[-1],
            config.crop_size,
            stride,
            generator,
        )
        crops = cut_crops(batch.images, corners, config.crop_size)
        if masks is not None:
            crop_masks = cut_crops(masks, corners, config.crop_size)
    out = model(batch.images, masks, crops, crop_masks)
    image = out["image"]
    parts: dict[str, torch.Tensor] = {}
    if config.lambda_cam > 0:
        parts["cam"] = losses.soft_margin_loss(image["attention_logits"].float(), batch.labels)
    if config.use_cropped:
        crop = out["crops"]
        crop_labels = batch.labels.repeat_interleave(config.num_crops, dim=0)
        parts["cr"] = losses.cropped_loss(crop["attention_logits"].float(), crop_labels)
        target = torch.softmax(crop["attention"].float(), dim=1)  # S_i: [B*N, C, h, w]
        if config.crop_target_detach:
            target = target.detach()
        global_cut = cut_maps(
            image["attention"].float(), corners, config.crop_size, stride, target.shape[-2:]
        )
        parts["img"] = losses.image_loss(global_cut, target)
    if config.use_priv:
        if batch.scores is None:
            raise ValueError("use_priv needs privacy-score targets; this data set has none")
        parts["priv"] = losses.privacy_loss(image["score"].float(), batch.scores)
    if config.use_attr:
        parts["att"] = losses.attribute_loss(image["attribute_logits"].float(), batch.labels)
    parts = {k: v.float() for k, v in parts.items()}
    return losses.total_loss(parts, loss_weights(config)), parts
