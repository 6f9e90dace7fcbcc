"""Random crops for Model-Cropped and the matching cut of Model-Image's maps (paper §3.3).

Crop corners are multiples of the backbone stride, so a crop's cells in Model-Image's map are
an exact slice; the slice is then resized to the crop maps' size when the two differ.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def sample_crop_corners(
    batch: int,
    crops: int,
    image_size: int,
    crop_size: int,
    stride: int,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Top-left corners (y, x) in pixels, [batch, crops, 2], on the stride grid."""
    positions = (image_size - crop_size) // stride + 1
    cells = torch.randint(0, positions, (batch, crops, 2), generator=generator)
    return cells * stride


def cut_crops(images: torch.Tensor, corners: torch.Tensor, crop_size: int) -> torch.Tensor:
    """images [B, K, H, W] -> crops [B*N, K, crop, crop], image-major (image 0's N crops first)."""
    pieces = []
    for b in range(images.shape[0]):
        for y, x in corners[b].tolist():
            pieces.append(images[b, :, y : y + crop_size, x : x + crop_size])
    return torch.stack(pieces)


def cut_maps(
    maps: torch.Tensor,
    corners: torch.Tensor,
    crop_size: int,
    stride: int,
    size: tuple[int, int],
) -> torch.Tensor:
    """G_i: Model-Image's maps [B, C, h, w] cut at each crop -> [B*N, C, *size]."""
    cells = max(1, round(crop_size / stride))
    pieces = []
    for b in range(maps.shape[0]):
        for y, x in corners[b].tolist():
            y0, x0 = y // stride, x // stride
            pieces.append(maps[b, :, y0 : y0 + cells, x0 : x0 + cells])
    cut = torch.stack(pieces)
    if tuple(cut.shape[-2:]) != tuple(size):
        cut = F.interpolate(cut, size=size, mode="bilinear", align_corners=False)
    return cut
