"""The four losses against values computed by hand."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from redactor.training import losses

LN3 = math.log(3.0)


def test_image_loss_single_pixel_by_hand() -> None:
    # Crop 1: G = (0, 0) -> softmax (0.5, 0.5); S = (1, 0): squared norm 0.25 + 0.25 = 0.5.
    # Crop 2: G = (ln 3, 0) -> softmax (0.75, 0.25); S = (0.5, 0.5): 0.0625 + 0.0625 = 0.125.
    global_maps = torch.tensor([[0.0, 0.0], [LN3, 0.0]]).view(2, 2, 1, 1)
    crop_maps = torch.tensor([[1.0, 0.0], [0.5, 0.5]]).view(2, 2, 1, 1)
    assert losses.image_loss(global_maps, crop_maps).item() == pytest.approx((0.5 + 0.125) / 2)


def test_image_loss_averages_pixels_and_is_zero_when_maps_agree() -> None:
    # One crop, two pixels: 0.5 and 0.125 -> mean 0.3125.
    global_maps = torch.tensor([[[0.0, LN3]], [[0.0, 0.0]]]).view(1, 2, 1, 2)
    crop_maps = torch.tensor([[[1.0, 0.5]], [[0.0, 0.5]]]).view(1, 2, 1, 2)
    assert losses.image_loss(global_maps, crop_maps).item() == pytest.approx(0.3125)
    g = torch.randn(3, 5, 4, 4)
    assert losses.image_loss(g, torch.softmax(g, dim=1)).item() == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError):
        losses.image_loss(g, g[:, :, :2])


def test_cropped_loss_by_hand() -> None:
    # y=1, f=0: log(1/2);  y=0, f=ln 3: log(exp(-ln3) / (1 + exp(-ln3))) = log(1/4).
    logits = torch.tensor([[0.0, LN3]])
    labels = torch.tensor([[1.0, 0.0]])
    expected = -(math.log(0.5) + math.log(0.25)) / 2
    assert losses.cropped_loss(logits, labels).item() == pytest.approx(expected)
    # Same as torch's multi-label soft margin on random values.
    f, y = torch.randn(6, 7), (torch.rand(6, 7) > 0.5).float()
    assert losses.cropped_loss(f, y).item() == pytest.approx(
        F.multilabel_soft_margin_loss(f, y).item(), rel=1e-6
    )
    # Stable for large logits.
    assert math.isfinite(
        losses.cropped_loss(torch.tensor([[200.0, -200.0]]), torch.tensor([[0.0, 1.0]])).item()
    )


def test_privacy_loss_by_hand() -> None:
    predicted = torch.tensor([0.2, 0.9])
    target = torch.tensor([0.5, 0.5])
    assert losses.privacy_loss(predicted, target).item() == pytest.approx((0.09 + 0.16) / 2)


def test_attribute_loss_by_hand() -> None:
    logits = torch.tensor([[LN3, LN3]])  # sigmoid = 0.75
    labels = torch.tensor([[1.0, 0.0]])
    assert losses.attribute_loss(logits, labels).item() == pytest.approx(
        -(math.log(0.75) + math.log(0.25)) / 2
    )


def test_total_loss_weights_paper_lambdas() -> None:
    parts = {
        "img": torch.tensor(0.5),
        "cr": torch.tensor(1.0),
        "priv": torch.tensor(2.0),
        "att": torch.tensor(3.0),
    }
    weights = {"img": 10.0, "cr": 1.0, "priv": 1.0, "att": 1.0}
    assert losses.total_loss(parts, weights).item() == pytest.approx(5 + 1 + 2 + 3)
    with pytest.raises(KeyError):
        losses.total_loss({"other": torch.tensor(1.0)}, weights)
