"""The text samples in samples/: their ground truth matches the images, and the script that
makes them reproduces them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from redactor.attributes import VISPR_IDS
from redactor.training.synth import samples
from redactor.training.synth.persona import luhn_valid

ROOT = Path(__file__).resolve().parents[2] / "samples"
KINDS = {"name", "address", "email", "phone", "card", "date", "id", "username", "plain"}
EXPECTED = {
    "id_card.png": {"name", "date", "address", "id", "plain"},
    "letter.jpg": {"name", "address", "email", "phone", "date", "card", "id", "plain"},
    "chat.png": {"name", "phone", "email", "username", "plain"},
    "badge_photo.jpg": {"name", "plain"},
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_ground_truth_matches_the_image(name):
    truth = json.loads((ROOT / name).with_suffix(".json").read_text())
    with Image.open(ROOT / name) as image:
        assert truth["image"] == name and image.size == (truth["width"], truth["height"])
        assert max(image.size) <= 1280 and (ROOT / name).stat().st_size <= 300_000
        grey = np.asarray(image.convert("L"), np.float32)
    kinds = {item["kind"] for item in truth["items"]}
    assert kinds <= KINDS and EXPECTED[name] <= kinds
    for item in truth["items"]:
        x0, y0, x1, y1 = item["box"]
        assert 0 <= x0 < x1 <= truth["width"] and 0 <= y0 < y1 <= truth["height"]
        assert set(item["attributes"]) <= set(VISPR_IDS)
        assert bool(item["attributes"]) == (item["kind"] != "plain")
        # Ink inside every box: text, not empty background.
        assert grey[y0:y1, x0:x1].std() > 12, item["text"]
        if item["kind"] == "card":
            assert luhn_valid(item["text"])
        if item["kind"] == "email":
            assert item["text"].split("@")[1].startswith("example.")
    # Text boxes do not overlap one another (each private item can be told apart).
    boxes = [item["box"] for item in truth["items"]]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            overlap = max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(
                0, min(a[3], b[3]) - max(a[1], b[1])
            )
            assert overlap <= 0.1 * min(
                (a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1])
            )


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_script_reproduces_the_samples(name):
    image, truth = samples.SAMPLES[name]()
    committed = json.loads((ROOT / name).with_suffix(".json").read_text())
    assert {"image": name, **truth} == committed
    ours = np.asarray(image, np.int16)
    theirs = np.asarray(Image.open(ROOT / name).convert("RGB"), np.int16)
    if name.endswith(".png"):
        assert np.array_equal(ours, theirs)
    else:  # JPEG: the same picture up to compression
        assert np.abs(ours - theirs).mean() < 3
