"""Tall and wide images (scrolling screenshots, panoramas): OCR reads them in tiles at a scale
where their text is legible, lines crossing a tile seam are read once and whole, and nothing
private is readable in the redacted output.

The independent check reads the OUTPUT in screen-sized windows (each an ordinary image the OCR
reads at full size, without any tiling), which is what a person scrolling through it sees.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from redactor import RedactOptions
from redactor.detectors.ocr import OcrSettings, detection_scale, tile_spans
from tests.text.rendering import Canvas

SAMPLES_DIR = Path(__file__).resolve().parents[2] / "samples"

PRIVATE_CHAT = ("Jennifer", "Franco", "@jennif", "555-0156", "jenniferfranco@")
PRIVATE_PANORAMA = ("Jennifer", "Franco", "555-0132", "@example", "franco@")


def _windows(pixels: np.ndarray, size: int = 1280, step: int = 640):
    """Screen-sized views along the long side, overlapping by half."""
    tall = pixels.shape[0] > pixels.shape[1]
    length = pixels.shape[0 if tall else 1]
    starts = list(range(0, max(1, length - size) + 1, step))
    if starts[-1] + size < length:
        starts.append(length - size)
    for start in starts:
        view = pixels[start : start + size] if tall else pixels[:, start : start + size]
        yield np.ascontiguousarray(view)


def _readable(engine, views, secrets) -> list[str]:
    found = []
    for view in views:
        for line in engine.read(view):
            found += [s for s in secrets if s.lower() in line.text.lower()]
    return found


def _redact(redactor, pixels: np.ndarray) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    data, report = redactor.redact_bytes(buffer.getvalue(), RedactOptions())
    assert report.error is None
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


@pytest.fixture(scope="module")
def scrolling_screenshot() -> np.ndarray:
    """samples/chat.png stacked 6 times: 720 x 7680, a scrolling screenshot."""
    chat = np.asarray(Image.open(SAMPLES_DIR / "chat.png").convert("RGB"))
    return np.ascontiguousarray(np.concatenate([chat] * 6, axis=0))


def _panorama() -> Canvas:
    """20000 x 200 with two lines of 28 px text, written at several places along the strip so
    that some copies cross the detector's tile seams."""
    canvas = Canvas.blank(20000, 200, (250, 247, 240))
    for x in (150, 1700, 3750, 9050, 14400, 18800):
        first = [("Jennifer Franco", "name"), (" ", "plain"), ("(415) 555-0132", "phone")]
        second = [("or write to ", "plain"), ("jennifer.franco@example.org", "email")]
        canvas.write((x, 40), first, size=28)
        canvas.write((x + 60, 120), second, size=28)
    return canvas


def test_strips_are_read_at_a_legible_scale_and_ordinary_images_as_before():
    settings = OcrSettings()
    assert detection_scale(720, 7680, settings) == 1.0  # was 1280 / 7680: 20 px text -> 3 px
    assert detection_scale(20000, 200, settings) == 1.0
    assert detection_scale(1280, 720, settings) == 1.0
    assert detection_scale(4000, 3000, settings) == pytest.approx(1280 / 4000)
    assert detection_scale(300, 200, settings) == pytest.approx(512 / 300)
    # A huge strip is capped at a pixel budget rather than read at any cost.
    assert detection_scale(1000, 400_000, settings) == pytest.approx((40 * 1280 * 720 / 4e8) ** 0.5)


def test_tiles_cover_the_strip_overlap_and_cost_about_its_length():
    for length in (736, 2048, 2080, 7680, 20000):
        spans = tile_spans(length, 2048, 128)
        assert spans[0][0] == 0 and spans[-1][1] == length
        assert all(start % 32 == 0 and end % 32 == 0 for start, end in spans)
        assert all(b[0] <= a[1] - 128 for a, b in zip(spans, spans[1:]))  # overlaps
        assert all(end - start <= 2048 + 31 for start, end in spans)
        assert sum(end - start for start, end in spans) <= 1.1 * length + 128


def test_a_line_across_tile_seams_is_read_once_and_whole(ocr):
    # One long line over the seams of a 20000 px strip: one reading, not two halves.
    canvas = Canvas.blank(6000, 120, (255, 255, 255))
    text = "The quick brown fox jumps over the lazy dog " * 6
    canvas.write((40, 40), [(text.strip(), "plain")], size=28)
    spans = tile_spans(6016, 2048, 128)
    assert len(spans) >= 3
    lines = ocr.engine.read(canvas.pixels())
    assert len(lines) == 1, [line.text for line in lines]
    assert lines[0].text == text.strip()


def test_scrolling_screenshot_hides_every_copy(shared_redactor, ocr, scrolling_screenshot):
    engine = ocr.engine
    copies = [scrolling_screenshot[i * 1280 : (i + 1) * 1280] for i in range(6)]
    # The check can fail: every copy of the input shows the private text.
    for copy in copies:
        assert set(_readable(engine, [np.ascontiguousarray(copy)], PRIVATE_CHAT)) == set(
            PRIVATE_CHAT
        )
    output = _redact(shared_redactor, scrolling_screenshot)
    assert output.shape == scrolling_screenshot.shape
    left = _readable(engine, _windows(output), PRIVATE_CHAT)
    assert left == [], f"readable in the redacted screenshot: {sorted(set(left))}"
    # Ordinary text survives: the redaction is not a blanket fill.
    kept = " ".join(line.text for line in engine.read(np.ascontiguousarray(output[:1280])))
    assert "weather looks lovely" in kept


def test_panorama_hides_both_lines(shared_redactor, ocr):
    pixels = _panorama().pixels()
    engine = ocr.engine
    before = _readable(engine, _windows(pixels), PRIVATE_PANORAMA)
    assert set(before) == set(PRIVATE_PANORAMA)
    output = _redact(shared_redactor, pixels)
    left = _readable(engine, _windows(output), PRIVATE_PANORAMA)
    assert left == [], f"readable in the redacted panorama: {sorted(set(left))}"
