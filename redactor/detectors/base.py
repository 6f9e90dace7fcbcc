"""What every detector shares: the Region it returns, the per-image Context, the protocol, and
the registry that names each detector once.

A detector is built once per process (heavy models load in `__init__`) and then called per
image. Work that several detectors need (OCR lines, model outputs) is memoised in the Context,
so OCR runs once per image however many text attributes are hidden.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Protocol, TypeVar

import numpy as np

RegionKind = Literal["face", "text", "person", "model"]
Shape = Literal["box", "ellipse", "polygon", "mask"]

T = TypeVar("T")


@dataclass
class Region:
    """One thing found in an image.

    `attributes` are the attribute ids this region is evidence of (an address line counts for
    home and current address alike); the region is hidden when any of them is hidden. `kind`
    picks the default obfuscation (faces blur in an ellipse, text is filled). Geometry is in
    the pixels of the oriented image: `box` always; `polygon` (K x 2 float, x/y) for shape
    "polygon"; `mask` (bool, box height x box width) for shape "mask".
    `text` is the recognised text, kept in memory only: never logged, reported only when the
    user asks for it.
    """

    attributes: tuple[str, ...]
    box: tuple[int, int, int, int]  # x0, y0, x1, y1; x1/y1 exclusive
    score: float
    detector: str
    kind: RegionKind
    shape: Shape = "box"
    polygon: np.ndarray | None = None
    mask: np.ndarray | None = None
    text: str | None = field(default=None, repr=False)
    label: str | None = None  # the detector's own entity name, e.g. "PERSON", "EMAIL_ADDRESS"
    # Model regions: the attribute's measured real-image validity ({"auc", "n_pos", ...}), or
    # {"auc": None} when never measured (ModelMeta.validity).
    validity: dict[str, Any] | None = None

    def to_report(self, *, with_text: bool = False) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "attributes": list(self.attributes),
            "box": [int(v) for v in self.box],
            "confidence": round(float(self.score), 4),
            "detector": self.detector,
            "kind": self.kind,
        }
        if self.label:
            entry["label"] = self.label
        if self.validity is not None:
            entry["validity"] = dict(self.validity)
        if with_text and self.text is not None:
            entry["text"] = self.text
        return entry


class Context:
    """Per-image scratch space shared by the detectors of one run.

    `memo(key, compute)` runs `compute` once per image and key; `provide(key, value)` fills a
    memo in advance (the daemon's micro-batches compute model outputs for several images at
    once). `timings` collects seconds per stage for the report.
    """

    def __init__(self, image: np.ndarray):
        self.image = image  # H x W x 3 uint8 RGB, orientation applied
        self._memo: dict[str, Any] = {}
        self.timings: dict[str, float] = {}
        # Image-level findings for the report ("privacy_score", "attribute_probabilities").
        self.findings: dict[str, Any] = {}

    def memo(self, key: str, compute: Callable[[], T]) -> T:
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def provide(self, key: str, value: Any) -> None:
        self._memo[key] = value

    def peek(self, key: str, default: Any = None) -> Any:
        """A memo's value if a detector already computed it, else `default`; computes nothing
        (the model refines its maps with OCR text only where OCR ran anyway)."""
        return self._memo.get(key, default)

    def timed(self, stage: str, compute: Callable[[], T]) -> T:
        start = time.perf_counter()
        try:
            return compute()
        finally:
            self.timings[stage] = self.timings.get(stage, 0.0) + time.perf_counter() - start


class Detector(Protocol):
    """Detector modules import their heavy dependencies inside `__init__`, never at module
    level, so reading a class's `attributes` (the coverage check) loads nothing."""

    name: str
    # Attribute ids this detector can find: a class attribute for the built-in detectors, so the
    # pipeline can check coverage (fail closed) before any model is built; the model detector
    # sets it from its checkpoint's metadata.
    attributes: frozenset[str]

    def detect(self, image: np.ndarray, ctx: Context) -> list[Region]: ...
