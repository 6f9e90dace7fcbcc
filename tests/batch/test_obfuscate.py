"""Obfuscation modes and the areas they cover."""

from __future__ import annotations

import numpy as np
import pytest

from redactor import obfuscate
from redactor.detectors.base import Region
from redactor.errors import UsageError


def _noise(h=120, w=160, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def _region(box, kind="face", shape="box", **extra) -> Region:
    return Region(
        attributes=("a9_face_complete",),
        box=box,
        score=0.9,
        detector="test",
        kind=kind,
        shape=shape,
        **extra,
    )


@pytest.mark.parametrize("mode", obfuscate.MODES)
def test_each_mode_changes_only_the_area(mode):
    image = _noise()
    area = obfuscate.area_of(_region((40, 30, 100, 90)), image.shape, 0.0)
    assert area.box == (40, 30, 100, 90) and area.mask.all()
    out = getattr(obfuscate, mode)(image, area)
    inside = np.zeros(image.shape[:2], bool)
    inside[30:90, 40:100] = True
    assert np.array_equal(out[~inside], image[~inside])
    assert not np.array_equal(out[inside], image[inside])
    assert np.array_equal(image, _noise())  # pure: the input is untouched
    if mode == "fill":
        assert (out[inside] == 0).all()
    if mode == "blur":  # noise averaged away
        assert out[inside].astype(float).std() < image[inside].astype(float).std() / 4
    if mode == "pixelate":  # 5 blocks across 60 px: 12 px blocks of one colour
        assert np.array_equal(out[30:42, 40:52], np.broadcast_to(out[30, 40], (12, 12, 3)))


def test_fill_colour():
    image = _noise()
    area = obfuscate.area_of(_region((0, 0, 10, 10)), image.shape, 0.0)
    assert (obfuscate.fill(image, area, color=(255, 128, 0))[:10, :10] == (255, 128, 0)).all()


def test_ellipse_leaves_the_corners_and_margin_grows_it():
    image = _noise()
    region = _region((40, 30, 100, 90), shape="ellipse")
    tight = obfuscate.area_of(region, image.shape, 0.0)
    assert tight.mask[30, 30] and not tight.mask[0, 0] and not tight.mask[-1, -1]
    grown = obfuscate.area_of(region, image.shape, 0.25)  # 15 px more on every side
    assert grown.box == (25, 15, 115, 105)
    assert grown.mask.sum() > tight.mask.sum() * 2


def test_default_margin_depends_on_the_kind():
    shape = (200, 200, 3)
    face = obfuscate.area_of(_region((50, 50, 150, 150), kind="face"), shape)
    text = obfuscate.area_of(_region((50, 50, 150, 150), kind="text"), shape)
    assert face.box == (25, 25, 175, 175)  # 0.25 x 100
    assert text.box == (35, 35, 165, 165)  # 0.15 x 100


def test_polygon_is_filled_and_grown_around_its_outline():
    image = _noise(200, 200)
    polygon = np.array([[50, 80], [150, 60], [155, 90], [55, 110]], np.float32)  # tilted line
    region = _region((50, 60, 156, 111), kind="text", shape="polygon", polygon=polygon)
    tight = obfuscate.area_of(region, image.shape, 0.0)
    x0, y0 = tight.box[:2]
    assert tight.mask[85 - y0, 100 - x0]  # the middle of the line
    assert not tight.mask[0, 0]  # the bounding box's corner is outside the tilted line
    grown = obfuscate.area_of(region, image.shape, 0.2)  # ~ 0.2 x 51 px = 10 px
    gx0, gy0 = grown.box[:2]
    assert grown.mask[77 - gy0, 45 - gx0]  # 5 px left of the first corner
    assert not grown.mask[0, 0]


def test_mask_shape_uses_the_mask_and_grows_it():
    image = _noise()
    mask = np.zeros((20, 20), bool)
    mask[5:15, 5:15] = True
    region = _region((30, 30, 50, 50), kind="model", shape="mask", mask=mask)
    tight = obfuscate.area_of(region, image.shape, 0.0)
    assert tight.mask.sum() == 100
    grown = obfuscate.area_of(region, image.shape, 0.25)  # 5 px
    assert grown.mask.sum() > 300


def test_areas_are_clipped_to_the_image():
    shape = (100, 100, 3)
    partly = obfuscate.area_of(_region((-20, 80, 30, 140)), shape, 0.0)
    assert partly.box == (0, 80, 30, 100)
    assert obfuscate.area_of(_region((120, 120, 150, 150)), shape, 0.0) is None


def test_apply_uses_defaults_per_kind_and_fills_last():
    image = _noise()
    face = _region((10, 10, 70, 70), kind="face")
    text = _region((40, 40, 100, 60), kind="text")
    out, changed = obfuscate.apply(image, [text, face], mode=None, margin=0.0)
    assert (out[40:60, 40:100] == 0).all()  # text filled, and not blurred over by the face
    assert out[10:40, 10:40].astype(float).std() < image[10:40, 10:40].astype(float).std() / 4
    expected = np.zeros(image.shape[:2], bool)
    expected[10:70, 10:70] = True
    expected[40:60, 40:100] = True
    assert np.array_equal(changed, expected)
    assert np.array_equal(out[~expected], image[~expected])


def test_unknown_mode_is_a_usage_error():
    with pytest.raises(UsageError, match="valid modes: blur, pixelate, fill"):
        obfuscate.apply(_noise(), [], mode="smudge", margin=0.0)
