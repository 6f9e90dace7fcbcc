"""Detector registry: adding a detector touches its own module and one DetectorSpec in
redactor/detectors/base.py (SPECS).

Specs name classes as "module:Class" so nothing is imported until a detector is needed.
"""

from __future__ import annotations

from redactor.detectors.base import (
    BY_NAME,
    SPECS,
    Context,
    Detector,
    DetectorSettings,
    DetectorSpec,
    Key,
    Region,
)

# Name -> "module:Class", in stage order (derived from SPECS; kept for callers that list names).
REGISTRY: dict[str, str] = {spec.name: spec.target for spec in SPECS}


def detector_class(name: str) -> type:
    return BY_NAME[name].load()


__all__ = [
    "BY_NAME",
    "REGISTRY",
    "SPECS",
    "Context",
    "Detector",
    "DetectorSettings",
    "DetectorSpec",
    "Key",
    "Region",
    "detector_class",
]
