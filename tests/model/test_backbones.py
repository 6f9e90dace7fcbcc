"""Every registered backbone: forward and backward; weights loading from files."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from redactor.errors import ModelError, UsageError, WeightsUnavailableError
from redactor.model import backbone_info, list_backbones
from redactor.model.backbones.mobilenet import MobileNetV2
from redactor.model.pretrained import apply_pretrained, imagenet_weights_path, read_state_dict

SIZE = {"resnet38d": 16, "resnet50": 32}  # the big ones at a tiny input, to stay fast


def test_registry_lists_the_papers_backbones() -> None:
    assert {"resnet38d", "resnet50", "mobilenet_v2", "tiny"} <= set(list_backbones())
    with pytest.raises(UsageError, match="unknown backbone 'vgg'.*resnet38d"):
        backbone_info("vgg")


# The full-size ResNet-38d's training step is a slow test (the fast loop checks the others).
@pytest.mark.parametrize(
    "name",
    [pytest.param(n, marks=pytest.mark.slow) if n == "resnet38d" else n for n in list_backbones()],
)
def test_forward_backward(name: str) -> None:
    torch.manual_seed(0)
    info = backbone_info(name)
    backbone = info.factory()
    size = SIZE.get(name, 64)
    images = torch.randn(2, 3, size, size, requires_grad=True)
    features = backbone(images)
    expected = math.ceil(size / info.stride)
    assert features.shape == (2, info.out_channels, expected, expected)
    assert backbone.out_channels == info.out_channels and backbone.stride == info.stride
    # stages() covers every parameter once, input to output (freezing the first N relies on it).
    staged = [id(p) for stage in backbone.stages() for p in stage.parameters()]
    assert sorted(staged) == sorted(id(p) for p in backbone.parameters())
    features.pow(2).mean().backward()
    grads = [p.grad for p in backbone.parameters() if p.requires_grad]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert images.grad is not None and images.grad.abs().sum() > 0
    if name == "resnet38d":
        check_resnet38d_is_the_wide_wsss_network(backbone)


def check_resnet38d_is_the_wide_wsss_network(backbone: torch.nn.Module) -> None:
    parameters = sum(p.numel() for p in backbone.parameters())
    assert 100e6 < parameters < 110e6  # ~104.9M, as the WSSS ResNet-38
    names = set(backbone.state_dict())
    assert {
        "conv1a.weight",
        "b7.conv_branch2b2.weight",
        "bn7.running_var",
        "b5.conv_branch1.weight",
    } <= names


def test_imagenet_mobilenet_v2_loads_strictly_with_its_classifier() -> None:
    """The shipped file is torchvision's: every key of the full classifier network matches."""
    path = imagenet_weights_path("mobilenet_v2")
    state = read_state_dict(path)
    network = MobileNetV2(output_stride=32, imagenet_classes=1000).eval()
    network.load_state_dict(state, strict=True)
    # A flat grey image is not a confident class for a trained ImageNet network, but the
    # output is a proper distribution and differs from a random network's.
    logits = network.classify(torch.zeros(1, 3, 224, 224))
    assert logits.shape == (1, 1000) and torch.isfinite(logits).all()
    random_logits = (
        MobileNetV2(output_stride=32, imagenet_classes=1000)
        .eval()
        .classify(torch.zeros(1, 3, 224, 224))
    )
    assert not torch.allclose(logits, random_logits)
    # The dilated backbone takes the same file (the classifier dropped).
    backbone = backbone_info("mobilenet_v2").factory()
    apply_pretrained(backbone, "mobilenet_v2", "imagenet")
    assert torch.equal(backbone.features[3].conv[1][0].weight, state["features.3.conv.1.0.weight"])


def test_imagenet_is_unavailable_for_resnets() -> None:
    for name in ("resnet38d", "resnet50"):
        with pytest.raises(WeightsUnavailableError, match="path of a state dict"):
            apply_pretrained(torch.nn.Identity(), name, "imagenet")  # fails before loading


def test_weights_from_a_path(tmp_path: Path) -> None:
    """A torchvision-format ResNet-50 file (with its fc classifier) loads from a path."""
    source = backbone_info("resnet50").factory()
    state = dict(source.state_dict())
    state["fc.weight"], state["fc.bias"] = torch.zeros(1000, 2048), torch.zeros(1000)
    path = tmp_path / "resnet50.pth"
    torch.save({"state_dict": {f"module.{k}": v for k, v in state.items()}}, path)
    target = backbone_info("resnet50").factory()
    apply_pretrained(target, "resnet50", str(path))
    assert torch.equal(target.layer4[2].conv3.weight, source.layer4[2].conv3.weight)
    # Wrong network, missing file, corrupt file: clear errors.
    with pytest.raises(ModelError, match="do not fit backbone mobilenet_v2"):
        apply_pretrained(backbone_info("mobilenet_v2").factory(), "mobilenet_v2", str(path))
    with pytest.raises(WeightsUnavailableError, match="does not exist"):
        apply_pretrained(target, "resnet50", str(tmp_path / "none.pth"))
    corrupt = tmp_path / "corrupt.pth"
    corrupt.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(ModelError, match="cannot read weights file"):
        apply_pretrained(target, "resnet50", str(corrupt))
