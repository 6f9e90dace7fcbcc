"""Light text on a transparent background (a sticker, a dark-mode export): a viewer on a dark
page shows it although the image over white is blank. The pipeline analyses both views and
hides what either reveals; colour under fully transparent pixels (an "erased" layer) does not
survive. Checked by OCR of the OUTPUT as viewers show it, and with its alpha channel dropped."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from redactor import RedactOptions
from redactor.imageio import decode
from redactor.pipeline import dark_view
from tests.text.rendering import font

SECRETS = ("Jennifer", "Franco", "555-0132")
ERASED = ("Priya", "Raman", "900123")


def _sticker() -> bytes:
    """600 x 260 RGBA: white text on a transparent background, and a second line whose colour
    is still there under alpha 0 (erased, invisible in any viewer)."""
    colour = Image.new("RGB", (600, 260), (0, 0, 0))
    alpha = Image.new("L", (600, 260), 0)
    draw_colour, draw_alpha = ImageDraw.Draw(colour), ImageDraw.Draw(alpha)
    for y, text in ((30, "Jennifer Franco"), (90, "(415) 555-0132")):
        draw_colour.text((30, y), text, font=font(36, bold=True), fill=(255, 255, 255))
        draw_alpha.text((30, y), text, font=font(36, bold=True), fill=255)
    draw_colour.text((30, 180), "Priya Raman 07700 900123", font=font(32), fill=(250, 250, 250))
    image = colour.convert("RGBA")
    image.putalpha(alpha)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _over(rgba: np.ndarray, background: int) -> np.ndarray:
    a = rgba[:, :, 3:4].astype(np.float32) / 255.0
    return np.rint(rgba[:, :, :3] * a + background * (1.0 - a)).astype(np.uint8)


def _read(engine, pixels: np.ndarray, secrets) -> list[str]:
    text = " ".join(line.text for line in engine.read(np.ascontiguousarray(pixels)))
    return [s for s in secrets if s.lower() in text.lower()]


@pytest.fixture(scope="module")
def engine():
    from redactor.detectors.ocr import shared_engine

    return shared_engine()


def test_the_sticker_is_blank_over_white_and_readable_over_black(engine):
    rgba = np.asarray(Image.open(io.BytesIO(_sticker())).convert("RGBA"))
    assert _read(engine, _over(rgba, 255), SECRETS) == []  # what detection saw before
    assert set(_read(engine, _over(rgba, 0), SECRETS)) == set(SECRETS)
    assert set(_read(engine, rgba[:, :, :3], ERASED)) == set(ERASED)  # alpha dropped
    loaded = decode(_sticker())
    assert dark_view(loaded) is not None


def test_text_either_view_reveals_is_hidden_and_erased_colour_is_cleared(shared_redactor, engine):
    data = _sticker()
    output, report = shared_redactor.redact_bytes(data, RedactOptions())
    assert report.error is None
    assert report.counts.get("name", 0) >= 1 and report.counts.get("phone", 0) >= 1
    rgba = np.asarray(Image.open(io.BytesIO(output)).convert("RGBA"))
    assert rgba.shape == (260, 600, 4)
    for background in (0, 255, 128):
        left = _read(engine, _over(rgba, background), SECRETS)
        assert left == [], f"readable over {background}: {left}"
    dropped = _read(engine, rgba[:, :, :3], SECRETS + ERASED)
    assert dropped == [], f"readable with the alpha channel dropped: {dropped}"
    # Transparency elsewhere is kept: the background stays see-through.
    assert (rgba[:, :, 3] == 0).mean() > 0.5


def test_opaque_and_barely_transparent_images_get_one_view(shared_redactor):
    opaque = Image.new("RGBA", (200, 100), (20, 20, 20, 255))
    buffer = io.BytesIO()
    opaque.save(buffer, format="PNG")
    assert dark_view(decode(buffer.getvalue())) is None
    corner = np.full((100, 200, 4), 255, np.uint8)
    corner[0, 0, 3] = 0  # one transparent pixel is no reason to analyse twice
    buffer = io.BytesIO()
    Image.fromarray(corner, "RGBA").save(buffer, format="PNG")
    assert dark_view(decode(buffer.getvalue())) is None
