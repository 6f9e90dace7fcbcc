"""OCR: every rendered line read exactly, word boxes on the rendered words (flat and tilted),
character spans mapped to words, one OCR run per image, clear errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from redactor import attributes
from redactor.detectors.base import Context
from redactor.errors import ImageError, ModelError
from tests.text.rendering import Canvas, covered_fraction, polygon_mask


def _ocr_word(scene, rendered):
    """The OCR word with the same text whose polygon covers most of the rendered word."""
    best, best_cover = None, 0.0
    for line in scene.lines:
        for word in line.words:
            if word.text != rendered.text:
                continue
            mask = polygon_mask(scene.pixels.shape[:2], [word.polygon])
            cover = covered_fraction(rendered.polygon, mask)
            if cover > best_cover:
                best, best_cover = word, cover
    return best, best_cover


def test_every_line_of_a_flat_form_is_read_exactly(form_scene):
    read = {line.text for line in form_scene.lines}
    for expected in form_scene.canvas.lines:
        assert expected in read, f"line {expected!r} not read; OCR read {sorted(read)}"
    assert all(0.9 <= line.score <= 1.0 for line in form_scene.lines)


def test_word_boxes_cover_the_rendered_words_and_not_their_neighbours(form_scene):
    shape = form_scene.pixels.shape[:2]
    for rendered in form_scene.canvas.words:
        word, cover = _ocr_word(form_scene, rendered)
        assert word is not None and cover >= 0.95, f"{rendered.text!r} covered {cover:.2f}"
        own = polygon_mask(shape, [word.polygon])
        for other in form_scene.canvas.words:
            if other is not rendered and other.text != rendered.text:
                assert covered_fraction(other.polygon, own) < 0.15, (rendered.text, other.text)


def test_tilted_badge_is_read_and_boxed_along_its_tilt(badge_scene):
    by_text = {line.text: line for line in badge_scene.lines}
    for expected in ("ACME CONFERENCE", "Maria Garcia", "Product Manager"):
        assert expected in by_text, f"{expected!r} not read on the badge: {sorted(by_text)}"
    line = by_text["Maria Garcia"]
    top = line.polygon[1] - line.polygon[0]
    angle = math.degrees(math.atan2(-top[1], top[0]))  # counter-clockwise, like PIL's rotate
    assert 2.5 <= angle <= 5.5
    for rendered in badge_scene.canvas.tagged("name"):
        word, cover = _ocr_word(badge_scene, rendered)
        assert cover >= 0.95, f"{rendered.text!r} covered {cover:.2f}"


def test_character_spans_map_to_whole_words(form_scene):
    line = next(line for line in form_scene.lines if "John Michael Smith" in line.text)
    shape = form_scene.pixels.shape[:2]
    rendered = {w.text: w.polygon for w in form_scene.canvas.tagged("name")}

    def covers(start: int, end: int) -> dict[str, float]:
        mask = polygon_mask(shape, [line.span_polygon(start, end)])
        return {text: covered_fraction(polygon, mask) for text, polygon in rendered.items()}

    michael = line.text.index("Michael")
    whole = covers(michael, michael + len("Michael"))
    assert whole["Michael"] >= 0.98 and whole["John"] < 0.1 and whole["Smith"] < 0.1
    # Two letters inside "Michael" still cover all of "Michael" (err on covering), nothing else.
    inside = covers(michael + 2, michael + 4)
    assert inside["Michael"] >= 0.98 and inside["John"] < 0.1 and inside["Smith"] < 0.1
    # "n Mi" touches two words: both are covered.
    across = covers(michael - 2, michael + 2)
    assert across["John"] >= 0.98 and across["Michael"] >= 0.98 and across["Smith"] < 0.1
    assert line.span_polygon(michael - 1, michael) is None  # the space alone holds no word
    assert [w.text for w in line.words] == ["Name:", "John", "Michael", "Smith"]
    assert [line.text[w.start : w.end] for w in line.words] == ["Name:", "John", "Michael", "Smith"]


def test_upside_down_text_is_read(ocr):
    canvas = Canvas.blank(640, 120)
    canvas.write((30, 40), [("Upside down: Olivia Bennett", "name")], size=30)
    turned = np.ascontiguousarray(canvas.pixels()[::-1, ::-1])
    lines = ocr.lines(turned, Context(turned))
    assert [line.text for line in lines] == ["Upside down: Olivia Bennett"]


def test_text_regions_are_one_polygon_per_line(ocr, form_scene):
    regions = ocr.detect(form_scene.pixels, form_scene.ctx)
    assert len(regions) == len(form_scene.lines) >= 14
    for region, line in zip(regions, form_scene.lines):
        assert region.attributes == (attributes.TEXT_ANY,)
        assert (region.kind, region.shape, region.detector) == ("text", "polygon", "ocr")
        assert region.text == line.text
        x0, y0, x1, y1 = region.box
        assert x0 <= region.polygon[:, 0].min() and region.polygon[:, 0].max() < x1
        assert y0 <= region.polygon[:, 1].min() and region.polygon[:, 1].max() < y1


def test_ocr_runs_once_per_image_however_many_text_detectors_read_it(
    ocr, pii, badge_scene, monkeypatch
):
    calls = []
    real_read = ocr.engine.read
    monkeypatch.setattr(ocr.engine, "read", lambda image: calls.append(1) or real_read(image))
    ctx = Context(badge_scene.pixels)
    ocr.detect(badge_scene.pixels, ctx)
    pii.detect(badge_scene.pixels, ctx)
    ocr.lines(badge_scene.pixels, ctx)
    assert len(calls) == 1
    assert ctx.timings["ocr"] > 0


def test_the_pipeline_runs_ocr_once_when_several_text_attributes_are_hidden(
    shared_redactor, ocr, badge_scene, monkeypatch
):
    import io

    from PIL import Image

    from redactor.imageio import decode
    from redactor.pipeline import RedactOptions

    calls = []
    real_read = ocr.engine.read  # the one engine of this process, shared with the Redactor
    monkeypatch.setattr(ocr.engine, "read", lambda image: calls.append(1) or real_read(image))
    buffer = io.BytesIO()
    Image.fromarray(badge_scene.pixels).save(buffer, format="PNG")
    options = RedactOptions(hide=("name", "email", "address", "phone", "date", "text"))
    analysis = shared_redactor.analyze(decode(buffer.getvalue()), options)
    assert len(calls) == 1
    hidden = {r.label for r in analysis.hidden if r.detector == "pii"}
    assert "PERSON" in hidden
    assert {"ocr", "pii"} <= set(analysis.timings)


def test_bad_input_is_a_clear_error(ocr):
    with pytest.raises(ImageError, match="H x W x 3 uint8"):
        ocr.engine.read(np.zeros((40, 40), np.uint8))
    with pytest.raises(ImageError, match="H x W x 3 uint8"):
        ocr.engine.read(np.zeros((40, 40, 3), np.float32))
    blank = np.full((64, 64, 3), 255, np.uint8)
    assert ocr.engine.read(blank) == []


def test_missing_model_files_say_what_to_reinstall(tmp_path, monkeypatch):
    from redactor.detectors import ocr as ocr_module

    monkeypatch.setattr(ocr_module, "model_dir", lambda: tmp_path)
    with pytest.raises(ModelError, match="reinstall"):
        ocr_module.OcrEngine(ocr_module.OcrSettings())
    (tmp_path / ocr_module.DET_MODEL).write_bytes(b"not an onnx file")
    (tmp_path / ocr_module.REC_MODEL).write_bytes(b"not an onnx file")
    with pytest.raises(ModelError, match="could not open"):
        ocr_module.OcrEngine(ocr_module.OcrSettings())
