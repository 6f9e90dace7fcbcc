"""Collapse detection: a model whose outputs do not depend on the image.

The usual way PrivObfNet dies (issue 13): early large gradients push the backbone's last ReLU
below zero for every input, the pooled features become zero, and every head answers with its
bias: the same privacy score for every image and each attribute at its training prior (the
class biases start at the label log-odds). Such a model still has a finite, even low-looking,
loss, so the trainer checks the outputs' spread on held-out images instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from redactor.errors import RedactorError

# A dead model's outputs differ between images by float rounding only (~1e-7). A privacy score
# in [0, 1] that moves less than MIN_SPREAD is useless anyway; rare attributes' probabilities
# legitimately move little after a short run (~5e-3 after three tiny epochs), hence the lower bar.
MIN_SPREAD = 1e-3
MIN_ATTRIBUTE_SPREAD = 1e-4
COLLAPSED_NAME = "model.collapsed.pt"


class TrainingCollapsedError(RedactorError):
    """Training ended with a model whose outputs are the same for every image."""

    code = "training_collapsed"


@dataclass(frozen=True)
class Spread:
    """Standard deviation across images of the privacy score (the head's raw output, before
    clamping: a young model clamped to 0 everywhere is not dead) and of each attribute's
    probability (the largest over attributes), and how many images were looked at."""

    score_std: float
    attribute_std_max: float
    images: int

    def problems(self, has_score_head: bool = True, has_attributes: bool = True) -> list[str]:
        if self.images < 2:
            return []
        found = []
        if has_score_head and self.score_std < MIN_SPREAD:
            found.append(f"the privacy score is constant (std {self.score_std:.1e})")
        if has_attributes and self.attribute_std_max < MIN_ATTRIBUTE_SPREAD:
            found.append(
                "every attribute probability is constant, at its prior "
                f"(largest std {self.attribute_std_max:.1e})"
            )
        return found

    @classmethod
    def from_dict(cls, data: dict) -> Spread:
        def number(value: object) -> float:  # evaluation JSON writes nan as None
            return float("nan") if value is None else float(value)  # type: ignore[arg-type]

        return cls(
            number(data.get("score_std")),
            number(data.get("attribute_std_max")),
            int(data.get("images", 0)),
        )

    def to_dict(self) -> dict[str, float | None]:
        def number(value: float) -> float | None:  # JSON has no nan
            return None if value != value else float(value)

        return {
            "score_std": number(self.score_std),
            "attribute_std_max": number(self.attribute_std_max),
            "images": self.images,
        }


def output_spread(scores: np.ndarray, probabilities: np.ndarray) -> Spread:
    """`scores` [N], `probabilities` [N, C] -> their spread across the N images."""
    scores = np.asarray(scores, np.float64)
    probabilities = np.asarray(probabilities, np.float64)
    count = int(scores.shape[0])
    if count < 2:
        return Spread(float("nan"), float("nan"), count)
    attribute_std = probabilities.std(axis=0).max() if probabilities.size else 0.0
    # nan scores (a model without a privacy head): not checked.
    return Spread(float(scores.std()), float(attribute_std), count)


def collapse_message(problems: list[str], where: str, saved: str) -> str:
    return (
        f"training collapsed: on {where} {'; '.join(problems)}: the model ignores its input. "
        f"Not written as model.pt (kept as {saved} for inspection). Lower the learning rate, "
        "keep gradient clipping on (grad_clip) or use a larger batch"
    )
