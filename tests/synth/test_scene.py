"""Scenes: every VISPR attribute can be rendered with visible evidence, masks follow what is
visible, and label statistics follow VISPR's."""

from __future__ import annotations

import collections
import json
import random

import numpy as np
import pytest
from PIL import Image

from redactor.attributes import BY_ID, VISPR_IDS
from redactor.training.synth.canvas import Canvas, Layer
from redactor.training.synth.dataset import LabelSampler, image_seed
from redactor.training.synth.scene import render_scene
from redactor.training.synth.statistics import derive, frequencies, load_stats


@pytest.mark.parametrize("attribute", VISPR_IDS)
def test_each_attribute_is_rendered_with_evidence(attribute):
    for seed in (0, 1):
        result = render_scene({attribute}, seed=seed, size=224)
        assert attribute in result.labels, f"seed {seed}: {attribute} not shown ({result.labels})"
        assert set(result.masks) == set(result.labels)
        for label, mask in result.masks.items():
            assert mask.shape == (224, 224) and mask.dtype == bool and mask.any(), label
        if attribute != "a0_safe":
            assert "a0_safe" not in result.labels


def test_text_masks_lie_on_the_text_drawn_for_them():
    checked = 0
    for seed in range(6):
        result = render_scene(
            {"a19_name_full", "a24_birth_date", "a49_phone", "a90_email"}, seed=seed, size=320
        )
        for attribute in ("a19_name_full", "a24_birth_date", "a49_phone", "a90_email"):
            if attribute not in result.masks:
                continue
            boxes = np.zeros((320, 320), bool)
            for item in result.items:
                if attribute in item["attributes"]:
                    x0, y0, x1, y1 = item["box"]
                    # Rotated items: their axis-aligned box holds the polygon; 2 px for rounding.
                    boxes[max(0, y0 - 2) : max(0, y1 + 2), max(0, x0 - 2) : max(0, x1 + 2)] = True
            mask = result.masks[attribute]
            assert (mask & ~boxes).sum() <= 0.02 * mask.sum(), attribute
            checked += 1
    assert checked >= 10


def test_canvas_keeps_only_visible_evidence():
    canvas = Canvas(Image.new("RGB", (100, 100), (0, 0, 0)))
    part = np.ones((40, 40), bool)
    below = canvas.paste(
        Layer(Image.new("RGBA", (40, 40), (255, 0, 0, 255)), {"p": part}), (10, 10)
    )
    # An opaque layer over the right half hides it; a transparent one hides nothing.
    canvas.paste(Layer(Image.new("RGBA", (20, 40), (0, 255, 0, 255)), {}), (30, 10))
    canvas.paste(Layer(Image.new("RGBA", (40, 40), (0, 0, 255, 0)), {}), (10, 10))
    assert canvas.visible(below, "p").sum() == 20 * 40
    assert canvas.visible_fraction(below, "p") == pytest.approx(0.5)
    # Clipped by the frame: a layer half outside keeps the inside half.
    edge = canvas.paste(Layer(Image.new("RGBA", (40, 40), (9, 9, 9, 255)), {"q": part}), (80, 60))
    assert canvas.visible(edge, "q").sum() == 20 * 40
    assert canvas.visible_fraction(edge, "q") == pytest.approx(0.5)
    pixels = np.asarray(canvas.rgb())
    assert tuple(pixels[20, 20]) == (255, 0, 0) and tuple(pixels[20, 40]) == (0, 255, 0)


@pytest.mark.slow  # statistics over many generated scenes
def test_label_statistics_follow_vispr():
    sampler = LabelSampler()
    counts: collections.Counter = collections.Counter()
    n = 240
    for i in range(n):
        rng = random.Random(image_seed(11, i))
        result = render_scene(sampler.draw(rng), rng.randrange(1 << 62), 128)
        counts.update(result.labels)
    vispr = frequencies(load_stats())
    made = np.array([counts[a] / n for a in VISPR_IDS])
    assert np.corrcoef(vispr, made)[0, 1] >= 0.97
    assert np.abs(vispr - made).mean() <= 0.02
    for k, attribute in enumerate(VISPR_IDS):
        if vispr[k] >= 0.03:
            assert abs(made[k] - vispr[k]) <= max(0.1, 0.35 * vispr[k]), attribute
    # Co-occurrence: people attributes come together, as in VISPR.
    assert counts["a0_safe"] / n == pytest.approx(vispr[0], abs=0.08)


def test_statistics_are_derived_from_label_records(tmp_path):
    records = {
        "train2017": [
            ["a9_face_complete", "a4_gender"],
            ["a0_safe"],
            ["a4_gender", "a9_face_complete"],
        ],
        "val2017": [["a0_safe"]],
        "test2017": [["a30_credit_card"], ["a0_safe"]],
    }
    for split, rows in records.items():
        with open(tmp_path / f"vispr_{split}_labels.jsonl", "w") as f:
            for k, labels in enumerate(rows):
                f.write(json.dumps({"id": f"{split}_{k}", "labels": labels}) + "\n")
    stats = derive(tmp_path)
    train = stats["splits"]["train2017"]
    assert train["images"] == 3
    assert train["counts"][VISPR_IDS.index("a4_gender")] == 2
    assert stats["splits"]["test2017"]["counts"][VISPR_IDS.index("a30_credit_card")] == 1
    face, gender = VISPR_IDS.index("a9_face_complete"), VISPR_IDS.index("a4_gender")
    assert stats["cooccurrence_train"][face][gender] == 2
    assert stats["label_sets_train"] == [[2, sorted([gender, face])], [1, [0]]]
    assert BY_ID["a0_safe"].index == 0
