"""An image's privacy score from its attributes by a privacy profile: the pure part of
redactor/training/privacy_profile.py, here so that redacting (detector fusion, redactor/fusion.py)
needs neither training code nor torch.

A profile is one sensitivity in [0, 1] per VISPR attribute and a rule (with w_a = p_a * s_a,
p_a the attribute's presence or probability):
  max       max_a w_a;
  noisy_or  1 - prod_a (1 - w_a);
  mix       (max + noisy_or) / 2.
The default profile (VISPR user study 2a) is a copy in privacy_default.json, checked against
training's derivation by tests/training/test_privacy_score.py. A model trained with another
profile carries it in its metadata (ModelMeta.privacy_profile).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from redactor.attributes import VISPR_IDS
from redactor.errors import UsageError

RULES = ("mix", "max", "noisy_or")
DEFAULT_FILE = Path(__file__).resolve().parent / "privacy_default.json"


class ProfileError(UsageError):
    code = "bad_profile"


def combine(weighted: np.ndarray, rule: str) -> np.ndarray:
    """weighted: (..., A) p_a * s_a -> (...,) score by `rule`."""
    if rule == "max":
        return weighted.max(axis=-1)
    noisy_or = 1.0 - np.prod(1.0 - weighted, axis=-1)
    if rule == "noisy_or":
        return noisy_or
    if rule == "mix":
        return 0.5 * (weighted.max(axis=-1) + noisy_or)
    raise ProfileError(f"unknown rule '{rule}'; valid rules: {', '.join(RULES)}")


@dataclass(frozen=True)
class ScoreProfile:
    """What scoring needs of a privacy profile: sensitivity per VISPR id, rule, where from."""

    sensitivity: Mapping[str, float]
    rule: str = "mix"
    source: str = "default"

    def score(self, presence: Mapping[str, float]) -> float:
        """Score of one image from presence/probability per attribute id (missing: absent;
        ids the profile does not weigh, such as VOC classes, count for nothing)."""
        weighted = np.array(
            [
                float(np.clip(p, 0.0, 1.0)) * self.sensitivity.get(a, 0.0)
                for a, p in presence.items()
            ],
            dtype=np.float64,
        )
        if weighted.size == 0:
            return 0.0
        return float(combine(weighted, self.rule))


@functools.lru_cache(maxsize=1)
def default_profile() -> ScoreProfile:
    data = json.loads(DEFAULT_FILE.read_text())
    return ScoreProfile(dict(data["sensitivity"]), data["rule"], data["source"])


def profile_of(entry: Mapping[str, Any] | None) -> ScoreProfile:
    """The profile a model's metadata names ({"rule", "sensitivity": {id: s}, "source"}), or
    the default one where it names none (the trainer's default; metadata written before the
    profile was recorded names none)."""
    if not entry or not entry.get("sensitivity"):
        return default_profile()
    rule = str(entry.get("rule", "mix"))
    if rule not in RULES:
        raise ProfileError(f"unknown rule '{rule}' in the model's privacy profile")
    sensitivity = dict(default_profile().sensitivity)
    sensitivity.update({a: float(s) for a, s in entry["sensitivity"].items() if a in VISPR_IDS})
    return ScoreProfile(sensitivity, rule, str(entry.get("source", "model")))


__all__ = ["RULES", "ProfileError", "ScoreProfile", "combine", "default_profile", "profile_of"]
