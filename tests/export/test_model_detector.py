"""The pipeline's model detector: CAMs to masks, refined by the human/text masks that other
detectors left in the Context (never computing them itself), batched for the daemon."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from redactor.detectors import Context
from redactor.detectors.base import OCR_LINES, PERSON_MASK
from redactor.detectors.model import ModelDetector
from tests.export.tiny_model import ASTRONAUT, IDS, PRESENT


@dataclass(frozen=True)
class Line:  # the one field of OcrLine the text mask reads
    polygon: np.ndarray


@pytest.fixture(scope="module")
def detector(tiny_onnx: Path) -> ModelDetector:
    return ModelDetector(tiny_onnx)


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    from redactor.imageio import load

    return load(ASTRONAUT).pixels


def by_attribute(regions) -> dict:
    return {r.attributes[0]: r for r in regions}


def test_attributes_are_what_the_checkpoint_knows_but_safe(detector: ModelDetector) -> None:
    assert detector.attributes == frozenset(IDS) - {"a0_safe"}
    assert detector.threshold == 0.5 and detector.cam_threshold == 0.4  # from the checkpoint


def test_findings_and_mask_regions(detector: ModelDetector, photo: np.ndarray) -> None:
    ctx = Context(photo)
    regions = detector.detect(photo, ctx)
    assert set(ctx.findings["attribute_probabilities"]) == set(IDS)
    assert 0.0 <= ctx.findings["privacy_score"] <= 1.0
    found = by_attribute(regions)
    assert set(found) == PRESENT  # the biased head: present ones only, never "safe"
    for region in regions:
        x0, y0, x1, y1 = region.box
        assert region.kind == "model" and region.shape == "mask" and region.detector == "model"
        assert region.mask.shape == (y1 - y0, x1 - x0) and region.mask.dtype == bool
        assert region.mask.any() and region.score >= 0.5
    assert OCR_LINES not in ctx._memo  # OCR is never forced


def test_text_attributes_stay_inside_the_ocr_text_where_ocr_ran(
    detector: ModelDetector, photo: np.ndarray
) -> None:
    height, width = photo.shape[:2]
    plain = by_attribute(detector.detect(photo, Context(photo)))
    ctx = Context(photo)
    # OCR ran (for another attribute) and found one line in the top-left quarter.
    square = np.array(
        [[0, 0], [width // 2, 0], [width // 2, height // 2], [0, height // 2]], np.float32
    )
    ctx.provide(OCR_LINES, [Line(square)])
    refined = by_attribute(detector.detect(photo, ctx))
    name = refined["a19_name_full"]  # mask type "text"
    x0, y0, x1, y1 = name.box
    assert x1 <= width // 2 + 1 and y1 <= height // 2 + 1
    assert plain["a19_name_full"].mask.sum() > name.mask.sum() > 0
    # a "human" attribute is untouched by a text mask
    assert refined["a12_semi_nudity"].box == plain["a12_semi_nudity"].box
    # no text at all where OCR ran: no text-type region
    empty = Context(photo)
    empty.provide(OCR_LINES, [])
    assert "a19_name_full" not in by_attribute(detector.detect(photo, empty))


def test_human_attributes_follow_the_person_mask(
    detector: ModelDetector, photo: np.ndarray
) -> None:
    height, width = photo.shape[:2]
    person = np.zeros((height, width), bool)
    person[:, width // 2 :] = True  # a person on the right half
    ctx = Context(photo)
    ctx.provide(PERSON_MASK, person)
    found = by_attribute(detector.detect(photo, ctx))
    for attribute_id in ("a12_semi_nudity", "a13_full_nudity", "a9_face_complete"):
        if attribute_id in found:
            assert found[attribute_id].box[0] >= width // 2 - 1
    assert (
        found["a19_name_full"].box
        == by_attribute(detector.detect(photo, Context(photo)))["a19_name_full"].box
    )


class Counting:
    """The detector's runtime, counting the images of each call."""

    def __init__(self, runtime) -> None:
        self.runtime, self.meta, self.calls = runtime, runtime.meta, []

    def __call__(self, batch):
        self.calls.append(len(batch))
        return self.runtime(batch)


def test_detect_batch_is_one_call_and_equals_detect(
    detector: ModelDetector, photo: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    images = [photo, photo[::2, ::3].copy(), np.ascontiguousarray(photo[:, ::-1])]
    counting = Counting(detector.runtime)
    monkeypatch.setattr(detector, "runtime", counting)
    ctxs = [Context(image) for image in images]
    batched = detector.detect_batch(images, ctxs)
    assert counting.calls == [3]
    again = detector.detect_batch(images, ctxs)  # outputs memoised in the contexts
    assert counting.calls == [3]
    assert [[r.box for r in rs] for rs in again] == [[r.box for r in rs] for rs in batched]
    for image, ctx, regions in zip(images, ctxs, batched):
        single_ctx = Context(image)
        single = detector.detect(image, single_ctx)
        assert [r.box for r in single] == [r.box for r in regions]
        assert single_ctx.findings["privacy_score"] == pytest.approx(
            ctx.findings["privacy_score"], abs=1e-5
        )
    assert counting.calls == [3, 1, 1, 1]


def test_user_threshold_overrides_the_checkpoints(tiny_onnx: Path, photo: np.ndarray) -> None:
    strict = ModelDetector(tiny_onnx, threshold=0.999)
    assert strict.detect(photo, Context(photo)) == []


def test_large_images_get_masks_at_full_size(detector: ModelDetector, photo: np.ndarray) -> None:
    """Maps are thresholded at a working size (long side 1024) and scaled back: a 4x larger
    copy of the photo gives the same regions at 4x the coordinates."""
    big = np.repeat(np.repeat(photo, 4, axis=0), 4, axis=1)  # 2048 x 2048
    small_regions = by_attribute(detector.detect(photo, Context(photo)))
    big_regions = by_attribute(detector.detect(big, Context(big)))
    assert small_regions.keys() == big_regions.keys()
    for key, region in big_regions.items():
        x0, y0, x1, y1 = region.box
        assert region.mask.shape == (y1 - y0, x1 - x0)
        assert np.abs(np.subtract(region.box, np.multiply(small_regions[key].box, 4))).max() <= 8
        coverage = region.mask.mean(), small_regions[key].mask.mean()
        assert abs(coverage[0] - coverage[1]) < 0.02


def test_real_person_mask_refines_human_attributes(
    detector: ModelDetector, photo: np.ndarray
) -> None:
    """With the person detector run first (as the pipeline orders them), nudity masks stay on
    the person: every masked pixel is one the person segmentation gives >= 0.4."""
    import importlib.util

    if importlib.util.find_spec("mediapipe") is None:
        pytest.skip("mediapipe (the `human` extra) is not installed")
    from redactor.detectors.person import PersonDetector

    ctx = Context(photo)
    PersonDetector().detect(photo, ctx)
    person = ctx.peek(PERSON_MASK)
    assert person is not None and 0.05 < (person >= 0.5).mean() < 0.95
    refined = by_attribute(detector.detect(photo, ctx))
    plain = by_attribute(detector.detect(photo, Context(photo)))
    for attribute_id in ("a12_semi_nudity", "a13_full_nudity"):
        region = refined[attribute_id]
        x0, y0, x1, y1 = region.box
        on_person = person[y0:y1, x0:x1][region.mask]
        assert (on_person >= 0.35).mean() > 0.97  # edges: the mask is thresholded at 1024 px
        assert region.mask.sum() < plain[attribute_id].mask.sum()
