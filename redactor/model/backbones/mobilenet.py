"""MobileNetV2 (Sandler et al. 2018) with torchvision's module names, so torchvision's ImageNet
state dict (`mobilenet_v2-b0353104.pth`) loads key for key.

For class-activation maps the last stride-2 stage is dilated instead (output stride 16, as
segmentation models do); dilation changes no parameter shape, so the ImageNet weights still fit.
"""

from __future__ import annotations

import torch
from torch import nn

from redactor.model.backbones.registry import register_backbone

# (expansion t, output channels c, repeats n, first stride s): the paper's Table 2.
_SETTINGS = (
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)
LAST_CHANNELS = 1280


class ConvBNReLU6(nn.Sequential):
    """conv -> BN -> ReLU6; children named 0, 1, 2 like torchvision's Conv2dNormActivation."""

    def __init__(
        self,
        inp: int,
        out: int,
        kernel: int = 3,
        stride: int = 1,
        groups: int = 1,
        dilation: int = 1,
    ) -> None:
        padding = (kernel - 1) // 2 * dilation
        super().__init__(
            nn.Conv2d(
                inp, out, kernel, stride, padding, dilation=dilation, groups=groups, bias=False
            ),
            nn.BatchNorm2d(out),
            nn.ReLU6(inplace=True),
        )


class InvertedResidual(nn.Module):
    def __init__(self, inp: int, out: int, stride: int, expansion: int, dilation: int) -> None:
        super().__init__()
        hidden = round(inp * expansion)
        self.use_residual = stride == 1 and inp == out
        layers: list[nn.Module] = []
        if expansion != 1:
            layers.append(ConvBNReLU6(inp, hidden, kernel=1))
        layers += [
            ConvBNReLU6(hidden, hidden, stride=stride, groups=hidden, dilation=dilation),
            nn.Conv2d(hidden, out, 1, bias=False),
            nn.BatchNorm2d(out),
        ]
        self.conv = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv(x) if self.use_residual else self.conv(x)


class MobileNetV2(nn.Module):
    out_channels = LAST_CHANNELS

    def __init__(self, output_stride: int = 16, imagenet_classes: int | None = None) -> None:
        super().__init__()
        layers: list[nn.Module] = [ConvBNReLU6(3, 32, stride=2)]
        current_stride, dilation, channels = 2, 1, 32
        for expansion, out, repeats, first_stride in _SETTINGS:
            for i in range(repeats):
                stride = first_stride if i == 0 else 1
                if stride > 1 and current_stride >= output_stride:
                    # Past the output stride: keep the resolution, widen the receptive field.
                    dilation *= stride
                    stride = 1
                current_stride *= stride
                layers.append(InvertedResidual(channels, out, stride, expansion, dilation))
                channels = out
        layers.append(ConvBNReLU6(channels, LAST_CHANNELS, kernel=1))
        self.features = nn.Sequential(*layers)
        self.stride = current_stride
        # Only for checking ImageNet weights end to end; the PrivObfNet heads replace it.
        self.classifier: nn.Module | None = None
        if imagenet_classes is not None:
            self.classifier = nn.Sequential(
                nn.Dropout(0.2), nn.Linear(LAST_CHANNELS, imagenet_classes)
            )
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out")
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.features(images)  # [B, 1280, H/16, W/16]

    def stages(self) -> list[nn.Module]:
        """Input-to-output order, for freezing the first N (19: stem, 17 blocks, head conv)."""
        return list(self.features)

    def classify(self, images: torch.Tensor) -> torch.Tensor:
        """ImageNet logits [B, classes] (needs `imagenet_classes`)."""
        if self.classifier is None:
            raise RuntimeError("built without an ImageNet classifier")
        return self.classifier(self.features(images).mean((2, 3)))


@register_backbone(
    "mobilenet_v2",
    out_channels=LAST_CHANNELS,
    stride=16,
    classifier_prefixes=("classifier.",),
    description="MobileNetV2, output stride 16 (last stage dilated); ImageNet weights ship offline",
)
def mobilenet_v2() -> nn.Module:
    return MobileNetV2(output_stride=16)
