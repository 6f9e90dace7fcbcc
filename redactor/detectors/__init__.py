"""Detector registry: adding a detector touches its own module and one line here.

Entries are "module:Class" so nothing is imported until a detector is needed.
"""

from __future__ import annotations

import importlib

from redactor.detectors.base import Context, Detector, Region

REGISTRY: dict[str, str] = {
    "faces": "redactor.detectors.faces:FaceDetector",
    "ocr": "redactor.detectors.ocr:TextDetector",
    "pii": "redactor.detectors.pii:PrivateTextDetector",
    "person": "redactor.detectors.person:PersonDetector",
    "model": "redactor.detectors.model:ModelDetector",
}


def detector_class(name: str) -> type:
    module, _, cls = REGISTRY[name].partition(":")
    return getattr(importlib.import_module(module), cls)


__all__ = ["REGISTRY", "Context", "Detector", "Region", "detector_class"]
