"""Issue 12, point 7: `--mode pixelate` on text. Blocks of a fifth of the line height left a
name, a birth date and an address legible on samples/id_card.png; text blocks are now at least
the line height on each side. Checked with two OCR engines and by measuring the blocks."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image

from redactor import obfuscate
from redactor.detectors.base import Region
from redactor.pipeline import RedactOptions
from tests.batch.conftest import SAMPLES
from tests.batch.readers import ocr_text, readable, tesseract_text

CARD = SAMPLES / "id_card.png"


@pytest.fixture(scope="module")
def ocr():
    from redactor.detectors.ocr import TextDetector

    return TextDetector()


@pytest.fixture(scope="module")
def pixelated_card(redactor):
    data = CARD.read_bytes()
    out, report = redactor.redact_bytes(data, RedactOptions(mode="pixelate"))
    pixels = np.asarray(Image.open(io.BytesIO(out)).convert("RGB"))
    return pixels, report


def _private_text() -> list[str]:
    truth = json.loads(CARD.with_suffix(".json").read_text())
    return [item["text"] for item in truth["items"] if item["kind"] != "plain"]


def _runs(values: np.ndarray, mask: np.ndarray, least: int) -> tuple[int, int]:
    """(short, measured): runs of one colour along axis 1 of `values` (rows x length x 3)
    inside `mask` (rows x length), shorter than `least` pixels. The first and last run of each
    masked stretch are not measured: the mask's edge may cut a block there."""
    short = measured = 0
    for row, inside in zip(values, mask):
        edges = np.flatnonzero(np.diff(np.concatenate([[0], inside.astype(np.int8), [0]])))
        for start, stop in zip(edges[::2], edges[1::2]):
            stretch = row[start:stop]
            change = np.flatnonzero(np.any(stretch[1:] != stretch[:-1], axis=1)) + 1
            lengths = np.diff(change)  # the runs between the first and the last change
            short += int(np.sum(lengths < least))
            measured += len(lengths)
    return short, measured


def _block_check(pixels: np.ndarray, area: obfuscate.Area) -> int:
    """Short runs along the area's rows and columns (a line is often one block tall: then no
    column has a whole block to measure); fails when no row has one."""
    x0, y0, x1, y1 = area.box
    crop = pixels[y0:y1, x0:x1]
    least = int(np.ceil(area.size))
    short_rows, rows = _runs(crop, area.mask, least)
    short_cols, _ = _runs(crop.transpose(1, 0, 2), area.mask.T, least)
    assert rows, "no whole block to measure"
    return short_rows + short_cols


def test_pixelated_id_card_text_cannot_be_read(redactor, ocr, pixelated_card):
    secrets = _private_text()
    assert len(secrets) >= 6  # name, given name, birth date, two address lines, ID number
    original = np.asarray(Image.open(CARD).convert("RGB"))
    assert len(readable(secrets, ocr_text(ocr, original))) == len(secrets)  # readable before

    pixels, report = pixelated_card
    assert {"name", "date", "address", "id"} <= set(report.counts)
    leaks = readable(secrets, ocr_text(ocr, pixels), tesseract_text(pixels))
    assert not leaks, f"pixelated text still read back: {leaks}"


def test_pixelated_text_blocks_are_at_least_the_line_height(pixelated_card):
    pixels, report = pixelated_card
    text = [r for r in report.hidden if r.kind == "text"]
    areas = [obfuscate.area_of(r, pixels.shape) for r in text]
    checked = 0
    for i, area in enumerate(areas):
        others = [a for j, a in enumerate(areas) if j != i]
        x0, y0, x1, y1 = area.box
        if any(a.box[0] < x1 and x0 < a.box[2] and a.box[1] < y1 and y0 < a.box[3] for a in others):
            continue  # overlapping areas are pixelated twice, on two grids
        assert area.size >= 15  # the card's lines are 24-31 px tall
        assert _block_check(pixels, area) == 0
        checked += 1
    assert checked >= 3


def test_text_pixelation_blocks_unit():
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (120, 400, 3), np.uint8)
    region = Region(("a19_name_full",), (20, 40, 330, 72), 1.0, "pii", kind="text")
    area = obfuscate.area_of(region, image.shape, margin=0.15)
    assert area.size == 32
    out, changed = obfuscate.apply(image, [region], mode="pixelate", margin=0.15)
    assert changed.sum() == area.mask.sum()
    assert _block_check(out, area) == 0
    # The same region as a face keeps its finer blocks (a fifth of its size): the check bites.
    face = Region(("a9_face_complete",), region.box, 1.0, "faces", kind="face")
    finer, _ = obfuscate.apply(image, [face], mode="pixelate", margin=0.15)
    assert _block_check(finer, obfuscate.area_of(face, image.shape, margin=0.15)) > 0


@pytest.mark.parametrize("size", [24, 40, 64])
def test_finer_blocks_are_read_back_and_line_height_blocks_are_not(ocr, size):
    """A name and a birth date pixelated with a fifth of the line height (the old blocks) are
    partly read back by OCR; with line-height blocks neither reader finds a word."""
    from PIL import ImageDraw

    from tests.text.rendering import font

    line = "Maria Gonzalez 19 Jan 1969"
    image = Image.new("RGB", (30 * size, 3 * size), "white")
    draw = ImageDraw.Draw(image)
    draw.text((20, size), line, font=font(size), fill=(10, 10, 10))
    box = draw.textbbox((20, size), line, font=font(size))
    pixels = np.asarray(image)
    area = obfuscate.area_of(Region(("a19_name_full",), box, 1.0, "pii", kind="text"), pixels.shape)

    def words(out: np.ndarray) -> set[str]:
        text = (ocr_text(ocr, out) + " " + tesseract_text(out)).lower()
        return {w for w in ("maria", "gonzalez", "jan", "1969") if w in text}

    assert words(obfuscate.pixelate(pixels, area, blocks=5))  # the old blocks: legible
    assert not words(obfuscate.pixelate(pixels, area, text=True))
    assert not ocr_text(ocr, obfuscate.pixelate(pixels, area, text=True)).strip()
