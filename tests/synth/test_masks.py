"""Human/text masks from the project's own detectors, cached once beside the data set."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from redactor.training.masks import (
    MaskComputer,
    body_from_face,
    open_cache,
    precompute_masks,
    resolve_backend,
)
from redactor.training.synth import documents as docs
from redactor.training.synth.figures import photo_figure
from redactor.training.synth.persona import make_persona
from redactor.training.synth.typeset import polygon_mask

import random

SIZE = 320


def _write(root: Path, ident: str, image: Image.Image, labels: list[str]) -> None:
    (root / "annotations" / "train2017").mkdir(parents=True, exist_ok=True)
    (root / "images" / "train2017").mkdir(parents=True, exist_ok=True)
    image.save(root / "images" / "train2017" / f"{ident}.jpg", quality=92)
    entry = {"id": ident, "image_path": f"images/train2017/{ident}.jpg", "labels": labels}
    (root / "annotations" / "train2017" / f"{ident}.json").write_text(json.dumps(entry))


@pytest.fixture(scope="module")
def fixture_set(tmp_path_factory):
    """A VISPR-layout set of three images: a photographed person, a form, a bare wall."""
    root = tmp_path_factory.mktemp("maskset")
    rng = random.Random(3)
    person = photo_figure("astronaut", 300, rng)
    canvas = Image.new("RGBA", (SIZE, SIZE), (120, 160, 200, 255))
    canvas.alpha_composite(person.layer.image, (40, 20))
    face = np.zeros((SIZE, SIZE), bool)
    part = person.layer.parts["face"]
    face[20 : 20 + part.shape[0], 40 : 40 + part.shape[1]] = part[: SIZE - 20, : SIZE - 40]
    _write(root, "person", canvas.convert("RGB"), ["a9_face_complete"])
    doc = docs.form(
        rng, make_persona(1), ["a19_name_full", "a49_phone"], 1.3, signed=False, hand=False
    )
    page = Image.new("RGB", (SIZE, SIZE), (90, 70, 50))
    page.paste(doc.page.image.convert("RGB"), (20, 20))
    text = polygon_mask(
        [
            [(x + 20, y + 20) for x, y in item.polygon]
            for item in doc.page.items
            if item.kind != "signature"
        ],
        (SIZE, SIZE),
    )
    _write(root, "form", page, ["a19_name_full", "a49_phone"])
    _write(root, "wall", Image.new("RGB", (SIZE, SIZE), (200, 200, 190)), ["a0_safe"])
    return root, face, text


class CountingComputer(MaskComputer):
    pass


@pytest.mark.slow  # builds the mask detectors and runs them four times
def test_masks_computed_once_and_reused(fixture_set):
    root, face, text = fixture_set
    computer = CountingComputer(resolve_backend("auto"))
    first = precompute_masks(root, ["train2017"], computer=computer)
    assert (first.computed, first.reused, computer.calls) == (3, 0, 3)
    cache = open_cache(root, "train2017")
    assert cache is not None and cache.ids == {"person", "form", "wall"}
    masks = cache.masks("person", (SIZE, SIZE))
    assert masks.shape == (2, SIZE, SIZE) and masks.dtype == np.float32
    assert 0.0 <= masks.min() and masks.max() <= 1.0
    human, _ = masks > 0.5
    assert human[face].mean() > 0.8, "the face detector's body covers the face"
    _, text_mask = cache.masks("form", (SIZE, SIZE)) > 0.5
    assert text_mask[text].mean() > 0.6, "the OCR detector's lines cover the rendered text"
    assert not cache.masks("wall", (SIZE, SIZE))[1].any()
    assert cache.masks("wall", (SIZE // 2, SIZE)).shape == (2, SIZE // 2, SIZE)
    assert cache.masks("nosuch", (SIZE, SIZE)) is None
    # The alias the loaders accept finds the same cache.
    assert open_cache(root, "train").ids == cache.ids

    # Second run: nothing to do, no detector work.
    second = precompute_masks(root, ["train2017"], computer=computer)
    assert (second.computed, second.reused, computer.calls) == (0, 3, 3)

    # A changed image is computed again, alone.
    path = root / "images" / "train2017" / "wall.jpg"
    Image.new("RGB", (SIZE, SIZE), (10, 200, 10)).save(path)
    third = precompute_masks(root, ["train2017"], computer=computer)
    assert (third.computed, third.reused, computer.calls) == (1, 2, 4)

    # Another human-mask backend: a different fingerprint, so everything is stale.
    other = "faces" if computer.backend != "faces" else "person+faces"
    if other == "person+faces" and resolve_backend("auto") == "faces":
        return  # the optional person detector is absent: nothing to switch to
    fourth = precompute_masks(root, ["train2017"], computer=CountingComputer(other))
    assert (fourth.computed, fourth.reused) == (3, 0)


def test_no_cache_means_none(tmp_path):
    assert open_cache(tmp_path, "train2017") is None


def test_body_from_face_keeps_proportions():
    image = Image.new("L", (200, 400), 0)
    body_from_face(ImageDraw.Draw(image), (80, 20, 120, 70))
    mask = np.asarray(image) > 0
    ys, xs = np.nonzero(mask)
    assert ys.min() < 20 and ys.max() > 300  # head above the box, torso well below it
    assert xs.max() - xs.min() >= 3 * 40 - 2  # shoulders three face widths across
    assert mask[45, 100] and not mask[395, 5]


def test_cli_masks_runs_once(small_set):
    from typer.testing import CliRunner

    from redactor.cli import app

    root, summary = small_set
    n = summary["splits"]["val2017"]
    args = ["masks", "--data", str(root), "--split", "val2017", "--human", "faces"]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    assert f"masks: {n} computed, 0 reused" in first.output
    second = CliRunner().invoke(app, args)
    assert f"masks: 0 computed, {n} reused" in second.output
    bad = CliRunner().invoke(app, ["masks", "--data", str(root / "nothing")])
    assert bad.exit_code == 2 and "does not exist" in bad.output
