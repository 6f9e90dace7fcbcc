"""Backbones, registered by name. Importing this package registers every built-in one."""

from __future__ import annotations

from redactor.model.backbones import mobilenet, resnet, resnet38d, tiny  # noqa: F401  (register)
from redactor.model.backbones.registry import (
    BackboneInfo,
    backbone_info,
    list_backbones,
    register_backbone,
)

__all__ = ["BackboneInfo", "backbone_info", "list_backbones", "register_backbone"]
