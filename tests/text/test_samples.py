"""The project's generated samples (samples/*.png|jpg with their ground-truth JSON): every piece
of private text is covered by a private-text region of its kind, and plain text is left alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from redactor.detectors.base import Context
from redactor.imageio import load
from tests.text.rendering import covered_fraction, polygon_mask

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def _text_samples() -> list[Path]:
    """Ground-truth files that list private text."""
    found = []
    for path in sorted(SAMPLES.glob("*.json")):
        truth = json.loads(path.read_text())
        if any(item["attributes"] for item in truth.get("items", [])):
            found.append(path)
    return found


def test_the_project_ships_samples_with_private_text():
    names = {path.stem for path in _text_samples()}
    assert {"id_card", "letter", "chat", "badge_photo"} <= names


@pytest.mark.parametrize("truth_path", _text_samples(), ids=lambda p: p.stem)
def test_private_text_in_sample_is_covered_and_plain_text_left_alone(pii, truth_path):
    import numpy as np

    truth = json.loads(truth_path.read_text())
    pixels = load(SAMPLES / truth["image"]).pixels
    assert pixels.shape[:2] == (truth["height"], truth["width"])
    regions = pii.detect(pixels, Context(pixels))
    shape = pixels.shape[:2]
    missed, touched = [], []
    everything = polygon_mask(shape, [r.polygon for r in regions])
    for item in truth["items"]:
        polygon = np.asarray(item["polygon"], float)
        if item["attributes"]:
            wanted = set(item["attributes"])
            mask = polygon_mask(shape, [r.polygon for r in regions if wanted & set(r.attributes)])
            cover = covered_fraction(polygon, mask)
            if cover < 0.9:
                missed.append(f"{item['kind']} {item['text']!r}: {cover:.2f}")
        elif any(ch.isalnum() for ch in item["text"]):  # a lone comma sticks to the name before it
            cover = covered_fraction(polygon, everything)
            if cover > 0.2:
                touched.append(f"{item['text']!r}: {cover:.2f}")
    assert not missed, f"private text left readable: {missed}"
    assert not touched, f"plain text covered: {touched}"
