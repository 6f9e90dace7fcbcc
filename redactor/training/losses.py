"""The four losses of PrivObfNet (paper §3.3–3.5) as pure functions of tensors.

Shapes: N crops (or images), C classes, maps [N, C, h, w]. Labels are 0/1 floats [N, C].

    L = lambda_img L_img + lambda_cr L_cr + lambda_priv L_priv + lambda_att L_att
      (10, 1, 1, 1 in the paper; see `total_loss`)
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
import torch.nn.functional as F


def image_loss(global_maps: torch.Tensor, crop_maps: torch.Tensor) -> torch.Tensor:
    """L_img (eq. 2): mean over crops i of ||softmax(G_i) - S_i||^2.

    `global_maps` are G_i, Model-Image's maps already cut at each crop's position and resized to
    the crop maps' size; the softmax runs over the class (channel) dimension. `crop_maps` are
    S_i, used as they are (the trainer passes Model-Cropped's channel-softmaxed attention). The
    squared norm is summed over classes and averaged over pixels, so its scale does not grow
    with the map size.
    """
    if global_maps.shape != crop_maps.shape:
        raise ValueError(
            f"map shapes differ: {tuple(global_maps.shape)} vs {tuple(crop_maps.shape)}"
        )
    difference = torch.softmax(global_maps, dim=1) - crop_maps  # [N, C, h, w]
    return difference.pow(2).sum(dim=1).mean()


def soft_margin_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Multi-label soft margin (eq. 3): -1/(NC) sum y log s(f) + (1 - y) log(1 - s(f)).

    log(1 - s(f)) = log(exp(-f) / (1 + exp(-f))) = logsigmoid(-f), computed stably.
    """
    labels = labels.to(logits.dtype)
    terms = labels * F.logsigmoid(logits) + (1 - labels) * F.logsigmoid(-logits)
    return -terms.mean()


def cropped_loss(crop_attention_logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """L_cr (eq. 3) on the global average pool of the crops' attention maps [N, C]; each crop
    carries its image's labels."""
    return soft_margin_loss(crop_attention_logits, labels)


def privacy_loss(predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """L_priv (eq. 4): mean squared error of the privacy score [N]."""
    return (predicted - target.to(predicted.dtype)).pow(2).mean()


def attribute_loss(attribute_logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """L_att (eq. 5): binary cross-entropy of each attribute, averaged over images and classes.

    The paper writes "softmax output"; for independent multi-label attributes that is the
    per-class sigmoid, which `binary_cross_entropy_with_logits` applies stably.
    """
    return F.binary_cross_entropy_with_logits(attribute_logits, labels.to(attribute_logits.dtype))


def total_loss(parts: Mapping[str, torch.Tensor], weights: Mapping[str, float]) -> torch.Tensor:
    """Weighted sum over the parts present; `weights` maps part name -> lambda."""
    missing = sorted(set(parts) - set(weights))
    if missing:
        raise KeyError(f"no weight for loss parts {missing}")
    total = None
    for name, value in parts.items():
        term = weights[name] * value
        total = term if total is None else total + term
    if total is None:
        raise ValueError("no loss parts to sum")
    return total
