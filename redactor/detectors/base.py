"""What every detector shares: the Region it returns, the per-image Context with its typed memo
keys, the settings every detector is built from, the protocol, and the spec table (SPECS) that
says once per detector what the pipeline needs to know about it.

A detector is built once per process (heavy models load in `__init__`) and then called per
image. Work that several detectors need (OCR lines, model outputs) is memoised in the Context,
so OCR runs once per image however many text attributes are hidden.
"""

from __future__ import annotations

import importlib
import importlib.util
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Literal, Protocol, TypeVar

import numpy as np

from redactor import attributes

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


class Key(str, Generic[T]):
    """A Context memo key and the type of what it holds. A `str` (old string keys still work),
    typed so that `ctx.memo(OCR_LINES, ...)` is known to give OCR lines."""

    __slots__ = ()


# What detectors share per image: one key each, named here only.
OCR_LINES: Key[list[Any]] = Key("ocr_lines")  # every OcrLine OCR read (ocr)
PERSON_MASK: Key[np.ndarray] = Key("person_mask")  # H x W float person probability (person)
MODEL_OUTPUTS: Key[dict[str, np.ndarray]] = Key("model_outputs")  # score, attributes, cams
SCORE_PROFILE: Key[Any] = Key("score_profile")  # the loaded model's ScoreProfile (fusion)
MODEL_HUMAN_MASK: Key[np.ndarray] = Key("model_human_mask")  # PERSON_MASK at the CAM's size
MODEL_TEXT_MASK: Key[np.ndarray] = Key("model_text_mask")  # OCR_LINES filled, the CAM's size


class Context:
    """Per-image scratch space shared by the detectors of one run.

    `memo(key, compute)` runs `compute` once per image and key; `provide(key, value)` fills a
    memo in advance (the daemon's micro-batches compute model outputs for several images at
    once). `timings` collects seconds per stage for the report.
    """

    def __init__(self, image: np.ndarray):
        self.image = image  # H x W x 3 uint8 RGB, orientation applied
        self._memo: dict[Key[Any], Any] = {}
        self.timings: dict[str, float] = {}
        # Image-level findings for the report ("privacy_score", "attribute_probabilities").
        self.findings: dict[str, Any] = {}

    def memo(self, key: Key[T], compute: Callable[[], T]) -> T:
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def provide(self, key: Key[T], value: T) -> None:
        self._memo[key] = value

    def peek(self, key: Key[T], default: Any = None) -> T | Any:
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


@dataclass(frozen=True)
class DetectorSettings:
    """What every detector is built from: `Class.from_settings(settings)`, the one constructor
    the pipeline calls. Each detector reads the fields it uses."""

    threshold: float | None = None  # None: the detector's own default
    threads: int | None = None  # ONNX Runtime threads; None: the detector's choice
    model: Path | None = None  # the PrivObfNet checkpoint (the model detector)
    # Built detectors this one reads, by name (the private-text detector reads "ocr"'s lines).
    upstream: Mapping[str, Any] = field(default_factory=dict)


def _ids(*ids: str) -> Callable[[], frozenset[str]]:
    return lambda: frozenset(ids)


_NONE = _ids()


def _default_text() -> frozenset[str]:
    return attributes.resolve(attributes.DEFAULT_HIDE)


def _model_attributes() -> frozenset[str]:
    return frozenset(a.id for a in attributes.ATTRIBUTES if a.index >= 0)


TEXT_HINT = "needs the text detectors (rapidocr, presidio-analyzer): not installed"


@dataclass(frozen=True)
class DetectorSpec:
    """One detector as the pipeline sees it. SPECS' order is the stage order of the report."""

    name: str  # also its stage in the report's timings and its key in --threshold
    target: str  # "module:Class", imported on first need
    needs: tuple[Key[Any], ...] = ()  # Context keys it reads when present
    provides: tuple[Key[Any], ...] = ()  # Context keys it fills
    reads: tuple[str, ...] = ()  # detectors it is built on (DetectorSettings.upstream)
    # The method of this detector that fills `provides` for a reader, run (and timed under
    # this detector's name) before the reader: OCR is timed "ocr", not "pii".
    fill: str | None = None
    times_itself: bool = False  # its detect() adds its own stage time
    extra: str | None = None  # the pip extra it lives in; None: the base install
    hint: str = "no detector available for it"  # why an attribute it finds is not hideable
    # Attribute ids the hint is given for while this detector is not configured (a detector's
    # module may be missing, so its class cannot be asked).
    hint_for: Callable[[], frozenset[str]] = _NONE
    hint_when_loaded: str | None = None  # the hint for what it was expected to find but does not
    option: str | None = None  # the command-line option that loads it (`redact attributes`)
    default: bool = True  # in every Redactor; False: asked for (Redactor(person=, model=))
    dark_view: bool = True  # also runs on a transparent image's view over black
    recheck: bool = False  # looks again at the redacted pixels (Redactor._second_look)
    always_runs: bool = False  # runs whatever is hidden (the model gives the privacy score)
    batches: bool = False  # has detect_batch(images, ctxs): one call for many images
    fusion_evidence: bool = False  # its regions are evidence of VISPR attributes (fusion.py)
    # Its attributes come from what it loads (a checkpoint), not from its class.
    loaded_attributes: bool = False

    def load(self) -> type:
        module, _, cls = self.target.partition(":")
        return getattr(importlib.import_module(module), cls)

    def installed(self) -> bool:
        """Whether its module is in this install (nothing is imported)."""
        return importlib.util.find_spec(self.target.partition(":")[0]) is not None

    def build(self, settings: DetectorSettings) -> Any:
        return self.load().from_settings(settings)


SPECS: tuple[DetectorSpec, ...] = (
    DetectorSpec(
        "faces", "redactor.detectors.faces:FaceDetector", recheck=True, fusion_evidence=True,
    ),
    DetectorSpec(
        "ocr", "redactor.detectors.ocr:TextDetector", provides=(OCR_LINES,), fill="lines",
        times_itself=True, hint=TEXT_HINT, hint_for=_ids(attributes.TEXT_ANY),
    ),
    DetectorSpec(
        "pii", "redactor.detectors.pii:PrivateTextDetector", needs=(OCR_LINES,), reads=("ocr",),
        hint=TEXT_HINT, hint_for=_default_text, fusion_evidence=True,
    ),
    DetectorSpec(
        "person", "redactor.detectors.person:PersonDetector", provides=(PERSON_MASK,),
        extra="human", default=False, hint_for=_ids(attributes.PERSON), option="--person",
        hint="needs the person detector: pass --person (with the `human` extra installed)",
    ),
    DetectorSpec(
        "model", "redactor.detectors.model:ModelDetector",
        needs=(OCR_LINES, PERSON_MASK), provides=(MODEL_OUTPUTS, SCORE_PROFILE),
        default=False, dark_view=False, always_runs=True, batches=True, loaded_attributes=True,
        option="--model",
        hint="no loaded detector finds it; needs a PrivObfNet model: pass --model FILE",
        hint_for=_model_attributes,
        hint_when_loaded="no loaded detector finds it, and the loaded model does not predict it",
    ),
)  # fmt: skip
BY_NAME: dict[str, DetectorSpec] = {spec.name: spec for spec in SPECS}
