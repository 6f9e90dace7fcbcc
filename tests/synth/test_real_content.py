"""`redact synth --real-content`: real face pixels where the labels say a face is, and no face
on documents that carry no photo. Checked with the project's face detector as the independent
reader (package photos only: no user folder needed)."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
from PIL import Image

from redactor.detectors.faces import FaceDetector
from redactor.training.synth import real_content
from redactor.training.synth.dataset import SynthConfig, generate
from redactor.training.synth.persona import make_persona
from redactor.training.synth.scene import CARRIERS, render_carrier, render_scene

FACE = "a9_face_complete"


@pytest.fixture
def real_on():
    real_content.configure()
    try:
        yield real_content.ACTIVE
    finally:
        real_content.disable()  # the golden test in this process needs the default mode


@pytest.fixture(scope="module")
def detector():
    return FaceDetector(threshold=0.5)


def centre_in(mask: np.ndarray, box: tuple[int, int, int, int]) -> bool:
    return bool(mask[(box[1] + box[3]) // 2, (box[0] + box[2]) // 2])


def test_real_content_pastes_faces_the_detector_finds_inside_the_face_label(real_on, detector):
    assert len(real_on.bank.faces) >= 2
    found = 0
    for seed in range(6):
        result = render_scene({FACE, "a6_hair_color", "a17_color"}, seed, 320)
        assert FACE in result.labels
        regions = detector.detect(np.asarray(result.image.convert("RGB")))
        found += any(centre_in(result.masks[FACE], r.box) for r in regions)
    assert found >= 5, f"a real face found in the labelled face in only {found}/6 scenes"


def test_real_content_forms_and_documents_hold_no_face(real_on, detector):
    for carrier in ("form", "passport", "certificate", "email", "receipt", "business"):
        fields = sorted(CARRIERS[carrier].fields)[:4]
        for seed in range(3):
            doc = render_carrier(
                carrier, fields, {}, random.Random(seed), make_persona(1), make_persona(2), 2.5
            )
            page = Image.new("RGBA", doc.page.image.size, (255, 255, 255, 255))
            page.alpha_composite(doc.page.image)
            regions = detector.detect(np.asarray(page.convert("RGB")))
            assert not regions, f"{carrier} (seed {seed}) holds a face: {regions[0].box}"


def test_default_mode_is_off_and_the_set_records_real_content(tmp_path):
    assert real_content.ACTIVE is None
    try:
        summary = generate(SynthConfig(tmp_path / "s", 4, size=96, real_content=True))
    finally:
        real_content.disable()
    assert summary["real_content"]["faces"] >= 2
    assert summary["real_content"]["from_folder"] == 0


def test_real_photos_must_be_a_folder(tmp_path):
    from redactor.errors import UsageError

    with pytest.raises(UsageError, match="not a folder"):
        generate(SynthConfig(tmp_path / "s", 4, size=96, real_photos=tmp_path / "missing"))
    assert real_content.ACTIVE is None


def test_real_backgrounds_share_is_checked(tmp_path):
    from redactor.errors import UsageError

    with pytest.raises(UsageError, match="0-1"):
        generate(SynthConfig(tmp_path / "s", 4, size=96, real_content=True, real_backgrounds=1.5))
    assert real_content.ACTIVE is None


def test_cli_refuses_a_missing_real_photos_folder_in_one_line(tmp_path):
    import os
    import subprocess
    import sys

    out = tmp_path / "set"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "redactor.cli",
            "synth",
            "--out",
            str(out),
            "--n",
            "2",
            "--real-photos",
            str(tmp_path / "missing"),
        ],
        capture_output=True,
        text=True,
        env={**os.environ},
        timeout=120,
        check=False,
    )
    assert run.returncode == 2
    assert "--real-photos" in run.stderr and "not a folder" in run.stderr
    assert not (out / "annotations").exists()


def test_workers_make_the_same_real_content_set_as_one_process(tmp_path):
    sets = []
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        try:
            generate(SynthConfig(out, 6, size=128, workers=workers, real_content=True))
        finally:
            real_content.disable()
        sets.append(sorted(p.read_bytes() for p in (out / "images").rglob("*.jpg")))
    assert sets[0] == sets[1] and len(sets[0]) == 6


def test_without_package_faces_and_no_folder_real_content_is_refused_in_one_line():
    from redactor.errors import UsageError

    try:
        with pytest.raises(UsageError, match="no real faces"):
            real_content.configure(package_faces=False)
        assert real_content.configure(package_faces=True).bank.origins
    finally:
        real_content.disable()


def test_some_pasted_faces_are_low_detail_and_the_rest_keep_their_detail(real_on):
    """The share shrunk to 12-32 px first: measured as lost high frequencies against the same
    face pasted at full detail (a sharp crop at 96 px keeps far more edge energy)."""

    def edge_energy(image: Image.Image) -> float:
        grey = np.asarray(image.convert("L"), np.float32)
        return float(np.abs(np.diff(grey, axis=1)).mean())

    energies = [
        edge_energy(real_content.real_face(seed, (96, 120), (200, 160, 130), False))
        for seed in range(60)
    ]
    low = sum(e < 0.55 * float(np.median(energies)) for e in energies)
    assert 6 <= low <= 36, f"{low}/60 faces low-detail (share {real_content.LOW_DETAIL})"


def test_the_generator_draws_only_the_training_half_of_lfw():
    from redactor.training.synth.figures import training_lfw_index

    used = {training_lfw_index(i) for i in range(100)}
    assert used == set(range(0, 100, 2))


def test_close_up_portraits_hold_a_real_face_inside_the_face_label(detector):
    """--portraits: a close-up of a real face (package portraits here) filling 30-80% of the
    frame; the face detector finds it inside the a9 mask, grey ones carry no colour labels."""
    real_content.configure(portraits=0.5)
    try:
        found = colour = grey = 0
        for seed in range(24):
            result = real_content.portrait(seed, 192)
            assert result.labels[:2] == ["a1_age_approx", FACE]
            face = result.masks[FACE]
            assert 0.05 < face.mean() < 0.6
            pixels = np.asarray(result.image.convert("RGB"))
            is_grey = bool(np.all(pixels[..., 0] == pixels[..., 1]))
            assert ("a16_race" in result.labels) == (not is_grey)
            grey += is_grey
            colour += not is_grey
            found += any(centre_in(face, r.box) for r in detector.detect(pixels))
        assert found >= 20, f"a face found inside the label in {found}/24 portraits"
        assert colour >= 6 and grey >= 6, (colour, grey)
        assert real_content.ACTIVE.lfw, "the LFW training half joins the close-up faces"
    finally:
        real_content.disable()


def test_portraits_share_of_a_generated_set_and_its_check(tmp_path):
    from redactor.errors import UsageError

    try:
        summary = generate(
            SynthConfig(tmp_path / "p", 40, 2, 128, (1.0, 0.0, 0.0), 1, portraits=0.5)
        )
        assert summary["real_content"]["close_up_portraits"] == 0.5
        annotations = [
            json.loads(p.read_text()) for p in (tmp_path / "p" / "annotations").rglob("*.json")
        ]
        close_ups = sum(
            a["labels"][:2] == ["a1_age_approx", FACE] and len(a["labels"]) <= 4
            for a in annotations
        )
        assert 10 <= close_ups <= 32
        with pytest.raises(UsageError, match="portraits"):
            generate(SynthConfig(tmp_path / "bad", 4, 0, 96, (1.0, 0.0, 0.0), 1, portraits=1.5))
    finally:
        real_content.disable()
