"""Issue 13, point 4: detector findings fused into the model's attribute probabilities and
privacy score. A tiny model that misses the astronaut's face (face probability ~0.02) still
reports the face at the face detector's confidence, and a score at least what the privacy
profile gives a face; an image without findings keeps the model's own values."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from redactor.detectors.faces import FaceDetector
from redactor.imageio import LoadedImage, load
from redactor.pipeline import RedactOptions, Redactor
from redactor.privacy_score import ScoreProfile, default_profile, profile_of
from tests.export.tiny_model import ASTRONAUT, IDS, PRESENT, make_checkpoint

FACE = "a9_face_complete"
MISSES_FACE = PRESENT - {FACE}


@pytest.fixture(scope="module")
def blind_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny model, validated, that calls the face absent."""
    return make_checkpoint(tmp_path_factory.mktemp("blind") / "blind.pt", present=MISSES_FACE)


@pytest.fixture(scope="module")
def redactor(blind_model: Path) -> Redactor:
    return Redactor(model=blind_model)


def plain_image(folder: Path) -> LoadedImage:
    """A smooth gradient: no face, no text."""
    ramp = np.linspace(40, 220, 256, dtype=np.float32)
    pixels = np.stack([np.add.outer(ramp, ramp) / 2] * 3, axis=-1).astype(np.uint8)
    Image.fromarray(pixels).save(folder / "plain.png")
    return load(folder / "plain.png")


def test_face_found_by_the_detector_decides_the_face_attribute(redactor: Redactor) -> None:
    image = load(ASTRONAUT)
    report = redactor.redact(image, RedactOptions(hide=("face",))).report.to_json()
    faces = FaceDetector().detect(image.pixels, None)  # an independent run of the detector
    assert faces, "the face detector must find the astronaut's face"
    confidence = max(region.score for region in faces)

    model_face = report["model_attribute_probabilities"][FACE]
    assert model_face < 0.1  # the model missed it
    assert report["attribute_probabilities"][FACE] == pytest.approx(confidence, abs=1e-3)
    assert report["attribute_sources"][FACE] == "faces"
    assert report["fused_with"] == ["faces"]  # OCR did not run: hide was face only
    # Attributes no detector found keep the model's values and say so.
    for attribute_id in IDS:
        if attribute_id != FACE:
            assert report["attribute_sources"][attribute_id] == "model"
            assert (
                report["attribute_probabilities"][attribute_id]
                == report["model_attribute_probabilities"][attribute_id]
            )
    face_alone = default_profile().score({FACE: confidence})
    assert face_alone > 0.4  # the profile weighs a face ~0.46
    assert report["privacy_score"] >= face_alone - 1e-4
    # The score is the profile over the fused attributes, not the privacy head's.
    fused_profile = default_profile().score(report["attribute_probabilities"])
    assert report["privacy_score"] == pytest.approx(fused_profile, abs=2e-4)
    assert report["privacy_score_source"] == "fused"
    assert set(report) >= {"model_privacy_score", "privacy_score_source"}
    json.dumps(report)  # JSON-ready


def test_image_without_findings_keeps_the_model_values(redactor: Redactor, tmp_path: Path) -> None:
    report = redactor.redact(plain_image(tmp_path), RedactOptions(hide=("face",))).report.to_json()
    assert not report["regions"] or all(r["detector"] == "model" for r in report["regions"])
    assert set(report["attribute_sources"].values()) == {"model"}
    assert report["attribute_probabilities"] == report["model_attribute_probabilities"]
    # Nothing found: the score is the profile over the model's own probabilities.
    rescored = profile_of({}).score(report["model_attribute_probabilities"])
    assert report["privacy_score"] == pytest.approx(rescored, abs=2e-4)
    assert report["privacy_score_source"] == "model"


def test_no_model_no_score(tmp_path: Path) -> None:
    """Without a model nothing is fused and no score is reported (a detector-only score would
    call whatever the detectors do not cover harmless)."""
    report = Redactor().redact(load(ASTRONAUT), RedactOptions(hide=("face",))).report.to_json()
    assert any(r["detector"] == "faces" for r in report["regions"])
    for key in (
        "privacy_score",
        "attribute_probabilities",
        "attribute_sources",
        "model_privacy_score",
    ):
        assert key not in report


def test_profile_rule_and_sensitivity_come_from_the_model() -> None:
    strict = profile_of({"rule": "max", "sensitivity": {FACE: 1.0}, "source": "user.json"})
    assert strict.score({FACE: 0.8, "a12_semi_nudity": 0.1}) == pytest.approx(0.8)
    assert (
        strict.sensitivity["a12_semi_nudity"] == default_profile().sensitivity["a12_semi_nudity"]
    )  # what the profile leaves out keeps the default
    assert ScoreProfile({FACE: 0.5}, "noisy_or").score({FACE: 1.0, "unknown": 1.0}) == 0.5


def test_names_found_by_ocr_decide_the_name_attributes(tmp_path: Path) -> None:
    """The ID card sample through the default hide (faces, OCR, private text) with a model
    that calls everything but nudity absent: the surname and first name the private-text
    detector reads decide those attributes, the photo on the card decides the face."""
    model = make_checkpoint(tmp_path / "blind.pt", present={"a12_semi_nudity"})
    report = (
        Redactor(model=model)
        .redact(load(ASTRONAUT.parent / "id_card.png"), RedactOptions())
        .report.to_json()
    )
    assert report["fused_with"] == ["faces", "pii"]
    sources = report["attribute_sources"]
    assert sources[FACE] == "faces"
    names = {a for a, source in sources.items() if source == "pii" and "_name_" in a}
    assert names >= {"a20_name_first", "a21_name_last"}
    for attribute_id in names:
        assert attribute_id not in report["model_attribute_probabilities"]  # not a model output
        strongest = max(
            r["confidence"]
            for r in report["regions"]
            if r["detector"] == "pii" and r["attributes"][0] == attribute_id
        )
        assert report["attribute_probabilities"][attribute_id] == pytest.approx(strongest)
    found = {a: report["attribute_probabilities"][a] for a in names | {FACE}}
    assert report["privacy_score"] >= default_profile().score(found) - 1e-4
    assert report["privacy_score_source"] == "fused"
