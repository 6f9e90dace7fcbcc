"""Backbone registry: each backbone registers a factory under its name (timm's
`register_model` pattern), so the model, the CLI and the tests list them from one place.

A backbone is an `nn.Module` mapping images [B, 3, H, W] to features [B, out_channels, H/stride,
W/stride], with two facts the heads need, `out_channels` and `stride`, and `stages()`: its
modules from input to output, so fine-tuning can freeze the first N.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from torch import nn

from redactor.errors import UsageError


@dataclass(frozen=True)
class BackboneInfo:
    name: str
    factory: Callable[[], nn.Module]
    out_channels: int
    stride: int
    # Keys of the torchvision-format (or reference) classifier that the backbone drops.
    classifier_prefixes: tuple[str, ...]
    description: str


_REGISTRY: dict[str, BackboneInfo] = {}


def register_backbone(
    name: str,
    *,
    out_channels: int,
    stride: int,
    classifier_prefixes: tuple[str, ...] = (),
    description: str = "",
) -> Callable[[Callable[[], nn.Module]], Callable[[], nn.Module]]:
    def decorate(factory: Callable[[], nn.Module]) -> Callable[[], nn.Module]:
        if name in _REGISTRY:
            raise ValueError(f"backbone {name!r} registered twice")
        _REGISTRY[name] = BackboneInfo(
            name, factory, out_channels, stride, classifier_prefixes, description
        )
        return factory

    return decorate


def list_backbones() -> list[str]:
    return sorted(_REGISTRY)


def backbone_info(name: str) -> BackboneInfo:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UsageError(
            f"unknown backbone {name!r}; choose one of: {', '.join(list_backbones())}"
        ) from None
