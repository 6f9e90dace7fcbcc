"""A four-layer convolutional backbone for tests and smoke runs: trains in seconds on a CPU."""

from __future__ import annotations

import torch
from torch import nn

from redactor.model.backbones.registry import register_backbone


def _conv_bn_relu(inp: int, out: int, stride: int) -> list[nn.Module]:
    return [
        nn.Conv2d(inp, out, 3, stride, 1, bias=False),
        nn.BatchNorm2d(out),
        nn.ReLU(inplace=True),
    ]


class TinyNet(nn.Module):
    out_channels = 64
    stride = 8

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            *_conv_bn_relu(3, 16, 2),
            *_conv_bn_relu(16, 32, 2),
            *_conv_bn_relu(32, 64, 2),
            *_conv_bn_relu(64, 64, 1),
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.features(images)  # [B, 64, H/8, W/8]

    def stages(self) -> list[nn.Module]:
        """Input-to-output order: the four conv-BN-ReLU layers."""
        return [self.features[i : i + 3] for i in range(0, 12, 3)]


@register_backbone("tiny", out_channels=64, stride=8, description="4 conv layers, for tests")
def tiny() -> nn.Module:
    return TinyNet()
