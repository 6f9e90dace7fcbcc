"""ResNet-50 (He et al. 2016, torchvision's v1.5: stride on the 3x3 conv) with torchvision's
module names, so torchvision state dicts load key for key. The last stage is dilated (output
stride 16), as WSSS models do for finer class-activation maps."""

from __future__ import annotations

import torch
from torch import nn

from redactor.model.backbones.registry import register_backbone


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(
        self, inp: int, width: int, stride: int, dilation: int, downsample: nn.Module | None
    ) -> None:
        super().__init__()
        out = width * self.expansion
        self.conv1 = nn.Conv2d(inp, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(
            width, width, 3, stride, padding=dilation, dilation=dilation, bias=False
        )
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, out, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        return self.relu(y + identity)


class ResNet(nn.Module):
    def __init__(self, blocks: tuple[int, int, int, int], dilate_last: bool = True) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self._channels, self._dilation = 64, 1
        self.layer1 = self._make_layer(64, blocks[0], stride=1, dilate=False)
        self.layer2 = self._make_layer(128, blocks[1], stride=2, dilate=False)
        self.layer3 = self._make_layer(256, blocks[2], stride=2, dilate=False)
        self.layer4 = self._make_layer(512, blocks[3], stride=2, dilate=dilate_last)
        self.out_channels = 512 * Bottleneck.expansion
        self.stride = 16 if dilate_last else 32
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)

    def _make_layer(self, width: int, count: int, stride: int, dilate: bool) -> nn.Sequential:
        first_dilation = self._dilation
        if dilate:
            self._dilation *= stride
            stride = 1
        out = width * Bottleneck.expansion
        downsample = None
        if stride != 1 or self._channels != out:
            downsample = nn.Sequential(
                nn.Conv2d(self._channels, out, 1, stride, bias=False), nn.BatchNorm2d(out)
            )
        layers = [Bottleneck(self._channels, width, stride, first_dilation, downsample)]
        self._channels = out
        layers += [Bottleneck(out, width, 1, self._dilation, None) for _ in range(count - 1)]
        return nn.Sequential(*layers)

    def stages(self) -> list[nn.Module]:
        """Input-to-output order, for freezing the first N: stem, layer1..layer4."""
        return [
            nn.ModuleList([self.conv1, self.bn1]),
            self.layer1,
            self.layer2,
            self.layer3,
            self.layer4,
        ]

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(images))))
        x = self.layer2(self.layer1(x))
        return self.layer4(self.layer3(x))  # [B, 2048, H/16, W/16]


@register_backbone(
    "resnet50",
    out_channels=2048,
    stride=16,
    classifier_prefixes=("fc.",),
    description="ResNet-50 (torchvision layout), last stage dilated: output stride 16",
)
def resnet50() -> nn.Module:
    return ResNet((3, 4, 6, 3), dilate_last=True)
