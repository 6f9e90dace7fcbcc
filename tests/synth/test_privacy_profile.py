"""Privacy profiles: the default from VISPR's user study, the combination rules on hand-computed
values, users' own profiles."""

from __future__ import annotations

import json

import numpy as np
import pytest

from redactor.attributes import VISPR_IDS
from redactor.training.privacy_profile import (
    ProfileError,
    default_profile,
    image_score,
    image_scores,
    load_profile,
)


def test_default_profile_comes_from_the_study():
    p = default_profile()
    assert set(p.sensitivity) == set(VISPR_IDS)
    assert all(0.0 <= v <= 1.0 for v in p.sensitivity.values())
    # Credit card: mean rating 4.80 (descriptions) and 4.54 (images) -> (4.67 - 1) / 4.
    assert p.sensitivity["a30_credit_card"] == pytest.approx(0.9175)
    # Gender: 1.64 and 1.88 -> (1.76 - 1) / 4.
    assert p.sensitivity["a4_gender"] == pytest.approx(0.19)
    assert p.sensitivity["a0_safe"] == 0.0
    # Unrated attributes take their documented proxy's value.
    assert p.origin["a90_email"] == "proxy:a19_name_full"
    assert p.sensitivity["a90_email"] == p.sensitivity["a19_name_full"]
    assert all(o in ("study", "definition") or o.startswith("proxy:") for o in p.origin.values())


def test_rules_on_hand_computed_values(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(
        json.dumps(
            {
                "rule": "noisy_or",
                "sensitivity": {"face": 0.5, "a19_name_full": 0.8, "a4_gender": 0.0},
            }
        )
    )
    noisy_or = load_profile(path)
    labels = ["a9_face_complete", "a19_name_full"]
    assert image_score(labels, noisy_or) == pytest.approx(1 - 0.5 * 0.2)  # 0.9
    for rule, expected in (("max", 0.8), ("mix", 0.85)):
        path.write_text(
            json.dumps({"rule": rule, "sensitivity": {"face": 0.5, "a19_name_full": 0.8}})
        )
        assert image_score(labels, load_profile(path)) == pytest.approx(expected)
    # Label indices and 0/1 vectors give the same; probabilities weigh each attribute.
    indices = [VISPR_IDS.index(a) for a in labels]
    vector = np.zeros(68)
    vector[indices] = 1.0
    assert image_score(indices, noisy_or) == pytest.approx(0.9)
    assert image_score(vector, noisy_or) == pytest.approx(0.9)
    vector[indices] = 0.5
    assert image_score(vector, noisy_or) == pytest.approx(1 - (1 - 0.25) * (1 - 0.4))
    assert image_score(["a0_safe"], noisy_or) == 0.0
    assert image_score([], noisy_or) == 0.0
    batch = image_scores(np.stack([np.eye(68)[indices].sum(0), np.zeros(68)]), noisy_or)
    assert batch.tolist() == pytest.approx([0.9, 0.0])


def test_default_score_ranks_documents_above_people():
    people = ["a4_gender", "a6_hair_color", "a17_color", "a1_age_approx"]
    card = ["a30_credit_card"]
    assert image_score(card) > image_score(people) > image_score(["a0_safe"]) == 0.0
    assert 0.0 < image_score(people) < 1.0


def test_tsv_profile_with_ratings_and_rule(tmp_path):
    path = tmp_path / "mine.tsv"
    path.write_text("attribute\tvalue\n#rule: max\n#scale: rating\nname\t5\nface\t1\n")
    p = load_profile(path)
    assert p.rule == "max"
    assert p.sensitivity["a19_name_full"] == 1.0 and p.sensitivity["a21_name_last"] == 1.0
    assert p.sensitivity["a9_face_complete"] == 0.0
    assert p.sensitivity["a30_credit_card"] == default_profile().sensitivity["a30_credit_card"]
    assert image_score(["a9_face_complete", "a20_name_first"], p) == 1.0


@pytest.mark.parametrize(
    "text, message",
    [
        ('{"sensitivity": {"nosuch": 0.5}}', "unknown attribute"),
        ('{"sensitivity": {"face": 1.5}}', "within 0-1"),
        ('{"sensitivity": {"face": 0.5}, "rule": "sum"}', "unknown rule"),
        ('{"sensitivity": {"face": 0.5}, "extra": 1}', "unknown keys"),
        ('{"sensitivity": {"text": 0.5}}', "not a VISPR attribute"),
        ("not json", "not valid JSON"),
    ],
)
def test_bad_profiles_are_refused(tmp_path, text, message):
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(Exception, match=message):
        load_profile(path)
    with pytest.raises(ProfileError):
        load_profile(tmp_path / "missing.json")
