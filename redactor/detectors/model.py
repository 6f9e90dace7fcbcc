"""PrivObfNet as a detector: privacy score, attribute probabilities, and one mask region per
attribute the model finds in the image.

    image ─► preprocess (resize to the model's input, normalise) ─► runtime (.pt | .onnx | .engine)
          ─► score, probabilities, CAMs [C, h, w]             memoised per image (MODEL_OUTPUTS)
          ─► for each attribute with probability >= threshold:
               CAM upsampled to the image (bilinear), normalised to [0, 1]
               x human mask (attributes of mask type "human") where a person mask was computed
               x text mask  (mask type "text") where OCR ran          (paper §3.2, inference)
               >= cam_threshold ─► Region(kind "model", shape "mask")

Masks come from the shared Context and are never computed here: OCR lines (OCR_LINES) exist
when a text attribute is hidden, a person mask (PERSON_MASK: H x W, > 0 on people, float or
bool) when the person detector ran. Without one, the attribute keeps its whole map.

`attributes` are the checkpoint's attribute ids that the attribute table knows, minus "safe";
the probability threshold is the checkpoint's own (`meta.extra["attribute_threshold"]`, else
0.5) unless the user gives one; the CAM threshold is `meta.extra["cam_threshold"]` (the best
one `redact evaluate` found), else 0.4. Each region carries its attribute's recorded
real-image validity (`meta.validity`) for the report; the pipeline refuses attributes only the
model finds while that validity is missing or under the bar (Redactor.check).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from redactor import attributes
from redactor.detectors.base import (
    MODEL_HUMAN_MASK,
    MODEL_OUTPUTS,
    MODEL_TEXT_MASK,
    OCR_LINES,
    PERSON_MASK,
    SCORE_PROFILE,
    Context,
    DetectorSettings,
    Region,
)
from redactor.errors import ModelError
from redactor.privacy_score import profile_of

DEFAULT_ATTRIBUTE_THRESHOLD = 0.5
DEFAULT_CAM_THRESHOLD = 0.4
NOT_HIDEABLE = frozenset({"a0_safe"})  # "safe" is a finding, not something to cover
MAX_BATCH = 16  # images per runtime call in detect_batch (memory stays bounded)
WORK_SIDE = 1024  # maps become masks at most this many pixels on the long side


class ModelDetector:
    name = "model"

    def __init__(
        self,
        path: str | Path,
        threshold: float | None = None,
        *,
        threads: int | None = None,
        backend: str | None = None,
        device: str = "auto",
    ) -> None:
        from redactor.runtime import open_model

        self.runtime = open_model(path, backend, device=device, threads=threads)
        meta = self.runtime.meta
        self.meta = meta
        extra = meta.extra or {}
        self.threshold = float(
            threshold
            if threshold is not None
            else extra.get("attribute_threshold", DEFAULT_ATTRIBUTE_THRESHOLD)
        )
        self.cam_threshold = float(extra.get("cam_threshold", DEFAULT_CAM_THRESHOLD))
        # The profile the score was trained against: detector fusion rescores with it.
        self.score_profile = profile_of(meta.privacy_profile)
        self.attributes = frozenset(
            i for i in meta.attribute_ids if i in attributes.BY_ID and i not in NOT_HIDEABLE
        )
        self._hideable = [
            (index, attribute_id, meta.mask_types[index])
            for index, attribute_id in enumerate(meta.attribute_ids)
            if attribute_id in self.attributes
        ]

    @classmethod
    def from_settings(cls, settings: DetectorSettings) -> ModelDetector:
        if settings.model is None:
            raise ModelError("the model detector needs a PrivObfNet model: pass --model FILE")
        return cls(settings.model, settings.threshold, threads=settings.threads)

    # -- model outputs -------------------------------------------------------------------------

    def _infer(self, images: Sequence[np.ndarray]) -> list[dict[str, np.ndarray]]:
        """One row per image: {"score": (), "attributes": [C], "cams": [C, h, w]}."""
        from redactor.runtime import preprocess

        rows: list[dict[str, np.ndarray]] = []
        for start in range(0, len(images), MAX_BATCH):
            out = self.runtime(preprocess(images[start : start + MAX_BATCH], self.meta))
            rows.extend(
                {name: value[i] for name, value in out.items()} for i in range(len(out["score"]))
            )
        return rows

    def outputs(self, image: np.ndarray, ctx: Context) -> dict[str, np.ndarray]:
        return ctx.memo(MODEL_OUTPUTS, lambda: self._infer([image])[0])

    # -- detector protocol ---------------------------------------------------------------------

    def detect(self, image: np.ndarray, ctx: Context) -> list[Region]:
        out = self.outputs(image, ctx)
        probabilities = out["attributes"]
        ctx.findings["privacy_score"] = float(out["score"])
        ctx.provide(SCORE_PROFILE, self.score_profile)
        ctx.findings["attribute_probabilities"] = {
            attribute_id: float(p)
            for attribute_id, p in zip(self.meta.attribute_ids, probabilities)
        }
        regions: list[Region] = []
        for index, attribute_id, mask_type in self._hideable:
            probability = float(probabilities[index])
            if probability < self.threshold:
                continue
            region = self._region(
                image, ctx, out["cams"][index], mask_type, attribute_id, probability
            )
            if region is not None:
                regions.append(region)
        return regions

    def detect_batch(
        self, images: Sequence[np.ndarray], ctxs: Sequence[Context]
    ) -> list[list[Region]]:
        """Daemon micro-batches: one runtime call for every image whose outputs are not known yet."""
        todo = [i for i, ctx in enumerate(ctxs) if ctx.peek(MODEL_OUTPUTS) is None]
        if todo:
            for i, row in zip(todo, self._infer([images[i] for i in todo])):
                ctxs[i].provide(MODEL_OUTPUTS, row)
        return [self.detect(image, ctx) for image, ctx in zip(images, ctxs)]

    # -- maps to masks -------------------------------------------------------------------------

    def _region(
        self,
        image: np.ndarray,
        ctx: Context,
        cam: np.ndarray,
        mask_type: str,
        attribute_id: str,
        probability: float,
    ) -> Region | None:
        height, width = image.shape[:2]
        # Maps are thresholded at most WORK_SIDE px on the long side (a CAM has ~28 cells
        # across: more pixels add no detail), then the mask is scaled to the image.
        work_h, work_w = work_size(height, width)
        heat = upsample(cam, work_h, work_w)
        peak = float(heat.max())
        if peak <= 0.0:
            return None
        heat /= peak
        refine = self._refinement(ctx, mask_type, work_h, work_w, scale=work_w / width)
        if refine is not None:
            heat *= refine
        mask = heat >= self.cam_threshold
        if not mask.any():
            return None
        if (work_h, work_w) != (height, width):
            mask = upsample(mask.astype(np.float32), height, width) >= 0.5
        rows = np.flatnonzero(mask.any(axis=1))
        if rows.size == 0:
            return None
        cols = np.flatnonzero(mask.any(axis=0))
        y0, y1, x0, x1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
        return Region(
            attributes=(attribute_id,),
            box=(x0, y0, x1, y1),
            score=probability,
            detector=self.name,
            kind="model",
            shape="mask",
            mask=mask[y0:y1, x0:x1].copy(),
            label=attribute_id,
            validity=self._validity(attribute_id),
        )

    def _validity(self, attribute_id: str) -> dict[str, Any]:
        """What the report says of a model finding's trustworthiness (issue 13)."""
        entry = (self.meta.validity or {}).get(attribute_id)
        if not entry:
            return {"auc": None, "note": "never measured on real images"}
        keys = ("auc", "n_pos", "n_neg", "dataset", "measured_at")
        return {k: entry[k] for k in keys if k in entry}

    def _refinement(
        self, ctx: Context, mask_type: str, height: int, width: int, scale: float
    ) -> np.ndarray | None:
        """The human or text mask (float32 height x width in [0, 1], the working size) where
        it was computed, else None. `scale`: working pixels per image pixel."""
        if mask_type == "human":
            person = ctx.peek(PERSON_MASK)
            if person is None:
                return None
            return ctx.memo(MODEL_HUMAN_MASK, lambda: _as_unit_mask(person, height, width))
        if mask_type == "text":
            lines = ctx.peek(OCR_LINES)
            if lines is None:
                return None
            return ctx.memo(MODEL_TEXT_MASK, lambda: text_mask(lines, height, width, scale))
        return None


def work_size(height: int, width: int) -> tuple[int, int]:
    scale = min(1.0, WORK_SIDE / max(height, width))
    return max(1, round(height * scale)), max(1, round(width * scale))


def upsample(cam: np.ndarray, height: int, width: int) -> np.ndarray:
    """[h, w] float -> [height, width] float32, bilinear (half-pixel centres, as training's
    F.interpolate(align_corners=False) for upsampling)."""
    from PIL import Image

    small = np.ascontiguousarray(cam, dtype=np.float32)
    return np.asarray(
        Image.fromarray(small).resize((width, height), Image.BILINEAR), dtype=np.float32
    ).copy()


def text_mask(lines: Sequence[Any], height: int, width: int, scale: float = 1.0) -> np.ndarray:
    """OCR line polygons (Nx2 x/y, image px) filled into a float32 mask of height x width
    (the image scaled by `scale`)."""
    from PIL import Image, ImageDraw

    canvas = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(canvas)
    for line in lines:
        polygon = getattr(line, "polygon", None)
        if polygon is not None and len(polygon) >= 3:
            draw.polygon([(float(x) * scale, float(y) * scale) for x, y in polygon], fill=255)
    return np.asarray(canvas, dtype=np.float32) / 255.0


def _as_unit_mask(mask: Any, height: int, width: int) -> np.ndarray:
    array = np.asarray(mask)
    if array.dtype == bool:
        array = array.astype(np.float32)
    elif array.dtype == np.uint8 and array.max(initial=0) > 1:
        array = array.astype(np.float32) / 255.0
    array = np.clip(array.astype(np.float32), 0.0, 1.0)
    if array.shape != (height, width):
        array = upsample(array, height, width)
    return array


__all__ = ["ModelDetector", "text_mask", "upsample", "work_size"]
