"""Optimiser, learning-rate schedule and BatchNorm handling shared by the trainer and
benchmarks/gpu_train.py (torch only)."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from redactor.model import PrivObfNet
from redactor.training.config import TrainConfig


def lr_factor(config: TrainConfig, epoch: int) -> float:
    """Learning-rate multiplier for 0-based `epoch`: lr_decay once for each decay epoch
    (1-based, the paper's "decay at the sixth epoch") already reached."""
    return config.lr_decay ** sum(1 for e in config.lr_decay_epochs if epoch + 1 >= e)


def freeze_batchnorm(model: nn.Module) -> None:
    """Keep BatchNorm statistics and affine parameters as loaded: batches of 4 are too small
    to estimate them (WSSS practice with pretrained backbones)."""
    for module in model.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.eval()
            for parameter in module.parameters():
                parameter.requires_grad_(False)


def set_class_prior(model: PrivObfNet, labels: Any) -> None:
    """Start every class's bias at the log-odds of its frequency in the training labels
    [N, C], so rare attributes begin near their prior instead of p = 0.5 (with 68 mostly rare
    attributes, a privacy score computed from the probabilities would otherwise saturate)."""
    labels = torch.as_tensor(labels, dtype=torch.float32)
    if labels.shape[0] == 0:
        return
    frequency = labels.mean(dim=0).clamp(1e-3, 1 - 1e-3)
    prior = torch.log(frequency / (1 - frequency))
    with torch.no_grad():
        for branch in (model.image, model.cropped):
            if branch is None:
                continue
            branch.class_bias.copy_(prior)
            if branch.attribute_head is not None:
                last = branch.attribute_head[-1]
                last.bias.copy_(prior)


def freeze_stages(model: PrivObfNet, count: int) -> None:
    """Fix the first `count` backbone stages of both models (-1: all): no gradients, and their
    BatchNorm layers in eval mode (call again after every `model.train()`)."""
    if count == 0:
        return
    for branch in (model.image, model.cropped):
        if branch is None:
            continue
        stages = branch.backbone.stages()
        for stage in stages if count < 0 else stages[:count]:
            stage.requires_grad_(False)
            for module in stage.modules():
                if isinstance(module, nn.modules.batchnorm._BatchNorm):
                    module.eval()


def make_optimizer(model: PrivObfNet, config: TrainConfig) -> torch.optim.Optimizer:
    head_ids = {id(p) for p in model.image.head_parameters()}
    if model.cropped is not None:
        head_ids |= {id(p) for p in model.cropped.head_parameters()}
    trainable = [p for p in model.parameters() if p.requires_grad]
    groups = [
        {"params": [p for p in trainable if id(p) not in head_ids], "lr_mult": 1.0},
        {"params": [p for p in trainable if id(p) in head_ids], "lr_mult": config.head_lr_mult},
    ]
    groups = [g for g in groups if g["params"]]
    for group in groups:
        group["lr"] = config.lr * group["lr_mult"]
    if config.optimizer == "sgd":
        return torch.optim.SGD(
            groups, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay
        )
    return torch.optim.AdamW(groups, lr=config.lr, weight_decay=config.weight_decay)
