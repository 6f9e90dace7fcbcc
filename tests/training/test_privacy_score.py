"""The privacy score redacting uses (redactor/privacy_score.py, no training code) is the one
training derives from the VISPR user study, and a model records the profile it was trained
with (detector fusion rescores with it)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from redactor import privacy_score
from redactor.attributes import VISPR_IDS
from redactor.training import privacy_profile
from redactor.training.config import TrainConfig
from redactor.training.trainer import recorded_profile


def test_shipped_default_matches_the_study() -> None:
    study = privacy_profile.default_profile()
    shipped = privacy_score.default_profile()
    assert shipped.rule == study.rule
    assert set(shipped.sensitivity) == set(VISPR_IDS)
    for attribute_id in VISPR_IDS:
        assert shipped.sensitivity[attribute_id] == pytest.approx(
            study.sensitivity[attribute_id], abs=1e-9
        ), attribute_id


def test_scores_agree_with_training() -> None:
    rng = np.random.default_rng(0)
    study = privacy_profile.default_profile()
    for _ in range(5):
        presence = rng.random(len(VISPR_IDS)) * (rng.random(len(VISPR_IDS)) < 0.2)
        expected = privacy_profile.image_score(presence, study)
        as_dict = dict(zip(VISPR_IDS, presence))
        assert privacy_score.default_profile().score(as_dict) == pytest.approx(expected)


def test_a_user_profile_travels_with_the_model(tmp_path: Path) -> None:
    path = tmp_path / "mine.json"
    path.write_text(json.dumps({"rule": "max", "sensitivity": {"face": 1.0}}))
    recorded = recorded_profile(TrainConfig(privacy_profile=str(path)))
    profile = privacy_score.profile_of(recorded)
    assert profile.rule == "max" and profile.sensitivity["a9_face_complete"] == 1.0
    assert profile.score({"a9_face_complete": 0.7}) == pytest.approx(0.7)
    assert recorded_profile(TrainConfig()) == {}  # the default: nothing recorded
