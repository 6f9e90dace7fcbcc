"""ResNet-38 (Wu, Shen, van den Hengel, "Wider or Deeper", model A), in the dilated form the
weakly supervised segmentation literature uses (output stride 8, 4096 channels) and the
PrivObfNet paper chose. Pre-activation residual blocks (BN -> ReLU -> conv).

Module names follow the WSSS reference code (`conv1a`, `b2`, `b2_1`, ... `b7`, `bn7`; inside a
block `bn_branch2a`, `conv_branch2a`, ...), so a state dict converted for that code (ImageNet
weights of the original model) loads from a path. No such file ships in any package.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from redactor.model.backbones.registry import register_backbone


class PreActBlock(nn.Module):
    """Two 3x3 convs; a 1x1 projection on the pre-activated input when the shape changes."""

    def __init__(
        self,
        inp: int,
        mid: int,
        out: int,
        stride: int = 1,
        dilation: int = 1,
        first_dilation: int | None = None,
    ) -> None:
        super().__init__()
        first_dilation = dilation if first_dilation is None else first_dilation
        self.same_shape = inp == out and stride == 1
        self.bn_branch2a = nn.BatchNorm2d(inp)
        self.conv_branch2a = nn.Conv2d(
            inp, mid, 3, stride, padding=first_dilation, dilation=first_dilation, bias=False
        )
        self.bn_branch2b1 = nn.BatchNorm2d(mid)
        self.conv_branch2b1 = nn.Conv2d(
            mid, out, 3, padding=dilation, dilation=dilation, bias=False
        )
        if not self.same_shape:
            self.conv_branch1 = nn.Conv2d(inp, out, 1, stride, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        activated = F.relu(self.bn_branch2a(x))
        shortcut = x if self.same_shape else self.conv_branch1(activated)
        y = self.conv_branch2a(activated)
        y = self.conv_branch2b1(F.relu(self.bn_branch2b1(y)))
        return shortcut + y


class PreActBottleneck(nn.Module):
    """1x1 -> 3x3 (dilated) -> 1x1 with channel dropout: the two widest blocks (b6, b7)."""

    def __init__(self, inp: int, out: int, dilation: int, dropout: float) -> None:
        super().__init__()
        self.same_shape = inp == out
        self.bn_branch2a = nn.BatchNorm2d(inp)
        self.conv_branch2a = nn.Conv2d(inp, out // 4, 1, bias=False)
        self.bn_branch2b1 = nn.BatchNorm2d(out // 4)
        self.dropout_2b1 = nn.Dropout2d(dropout)
        self.conv_branch2b1 = nn.Conv2d(
            out // 4, out // 2, 3, padding=dilation, dilation=dilation, bias=False
        )
        self.bn_branch2b2 = nn.BatchNorm2d(out // 2)
        self.dropout_2b2 = nn.Dropout2d(dropout)
        self.conv_branch2b2 = nn.Conv2d(out // 2, out, 1, bias=False)
        if not self.same_shape:
            self.conv_branch1 = nn.Conv2d(inp, out, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        activated = F.relu(self.bn_branch2a(x))
        shortcut = x if self.same_shape else self.conv_branch1(activated)
        y = self.conv_branch2a(activated)
        y = self.conv_branch2b1(self.dropout_2b1(F.relu(self.bn_branch2b1(y))))
        y = self.conv_branch2b2(self.dropout_2b2(F.relu(self.bn_branch2b2(y))))
        return shortcut + y


class ResNet38d(nn.Module):
    out_channels = 4096
    stride = 8

    def __init__(self) -> None:
        super().__init__()
        self.conv1a = nn.Conv2d(3, 64, 3, padding=1, bias=False)
        self.b2 = PreActBlock(64, 128, 128, stride=2)
        self.b2_1 = PreActBlock(128, 128, 128)
        self.b2_2 = PreActBlock(128, 128, 128)
        self.b3 = PreActBlock(128, 256, 256, stride=2)
        self.b3_1 = PreActBlock(256, 256, 256)
        self.b3_2 = PreActBlock(256, 256, 256)
        self.b4 = PreActBlock(256, 512, 512, stride=2)
        self.b4_1 = PreActBlock(512, 512, 512)
        self.b4_2 = PreActBlock(512, 512, 512)
        self.b4_3 = PreActBlock(512, 512, 512)
        self.b4_4 = PreActBlock(512, 512, 512)
        self.b4_5 = PreActBlock(512, 512, 512)
        self.b5 = PreActBlock(512, 512, 1024, dilation=2, first_dilation=1)
        self.b5_1 = PreActBlock(1024, 512, 1024, dilation=2)
        self.b5_2 = PreActBlock(1024, 512, 1024, dilation=2)
        self.b6 = PreActBottleneck(1024, 2048, dilation=4, dropout=0.3)
        self.b7 = PreActBottleneck(2048, 4096, dilation=4, dropout=0.5)
        self.bn7 = nn.BatchNorm2d(4096)
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")

    def blocks(self) -> list[nn.Module]:
        return [
            self.b2, self.b2_1, self.b2_2, self.b3, self.b3_1, self.b3_2,
            self.b4, self.b4_1, self.b4_2, self.b4_3, self.b4_4, self.b4_5,
            self.b5, self.b5_1, self.b5_2, self.b6, self.b7,
        ]  # fmt: skip

    def stages(self) -> list[nn.Module]:
        """Input-to-output order, for freezing the first N: conv1a, 17 blocks, bn7."""
        return [self.conv1a, *self.blocks(), self.bn7]

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = self.conv1a(images)
        for block in self.blocks():
            x = block(x)
        return F.relu(self.bn7(x))  # [B, 4096, H/8, W/8]


@register_backbone(
    "resnet38d",
    out_channels=4096,
    stride=8,
    classifier_prefixes=("fc8.", "fc.", "classifier."),
    description="wide ResNet-38 of the WSSS literature (the paper's), output stride 8",
)
def resnet38d() -> nn.Module:
    return ResNet38d()
