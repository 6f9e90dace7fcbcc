"""Detector findings fused into the model's attribute probabilities and privacy score (issue 13,
point 4): a real photo with a visible face or a name never gets a low score because the model
missed it.

For each attribute a fusing detector found (its strongest region), the fused probability is
max(model probability, detector confidence) and the source that decided it is named
("model", "faces", "pii"). A region counts for the first attribute it lists, the detector's
primary reading: a face is a complete face (a9), a two-word name a full name (a19), an address
line a current complete address; the others it lists (a partial face, first and last name)
stay hideable through the region but keep the model's probability.

The fused score is the model's privacy profile over the fused attributes: the score
recomputed from what the detectors and the model found together. The profile is the one the
model was trained with (ModelMeta.privacy_profile, else the default: redactor/privacy_score.py).
What no detector covers (nudity, a tattoo...) enters through the model's own probabilities.
The privacy head's score is not used here (it stays in the report as `model_privacy_score`): on
real images it rated drawings and book pages, which no attribute explains, above photos of
people, and taking the larger of the two let that through (real-set AUC private vs harmless
0.917 with max(head, profile), 0.998 with the profile alone; docs/fusion.md).

Only the detectors that ran for this image fuse (those that find an attribute being hidden:
the default hide runs faces, OCR and private text); `fused_with` in the report names them.
The person detector does not fuse: a body mask is no VISPR attribute (which of age, gender,
hair... a person shows, it cannot say). Without a model nothing is fused and no score is
reported: a detector-only score would weigh the few attributes detectors cover and call an
image with anything else (nudity, a passport photo page, a tattoo) harmless.

The model's own outputs stay in the report (`model_privacy_score`,
`model_attribute_probabilities`) so evaluation can compare model alone and fused.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from redactor.attributes import VISPR_IDS
from redactor.detectors.base import SCORE_PROFILE, SPECS, Context, Region
from redactor.privacy_score import ScoreProfile, default_profile

# Detectors whose regions are evidence of VISPR attributes ("faces", "pii"): their specs say so.
FUSING_DETECTORS = tuple(spec.name for spec in SPECS if spec.fusion_evidence)
MODEL = "model"


def strongest(regions: Sequence[Region], ran: Sequence[str]) -> dict[str, tuple[float, str]]:
    """Attribute id -> (confidence, detector) of the strongest region of a fusing detector."""
    best: dict[str, tuple[float, str]] = {}
    for region in regions:
        if region.detector not in ran or not region.attributes:
            continue
        attribute_id = region.attributes[0]
        if attribute_id not in VISPR_IDS:
            continue
        if attribute_id not in best or region.score > best[attribute_id][0]:
            best[attribute_id] = (float(region.score), region.detector)
    return best


def fuse_outputs(
    score: float,
    probabilities: dict[str, float],
    regions: Sequence[Region],
    profile: ScoreProfile,
    ran: Sequence[str],
) -> dict[str, Any]:
    """The fused view of one image's model outputs (pure: nothing is mutated)."""
    fused = dict(probabilities)
    sources = {attribute_id: MODEL for attribute_id in probabilities}
    # A model over other classes (VOC) has no VISPR attribute a detector could raise.
    if any(attribute_id in VISPR_IDS for attribute_id in probabilities):
        for attribute_id, (confidence, detector) in strongest(regions, ran).items():
            if confidence > fused.get(attribute_id, 0.0):
                fused[attribute_id] = confidence
                sources[attribute_id] = detector
    vispr = any(attribute_id in VISPR_IDS for attribute_id in probabilities)
    # A model over other classes (VOC) has no attributes a VISPR profile can weigh.
    fused_score = profile.score(fused) if vispr else float(score)
    decided_by_detector = any(source != MODEL for source in sources.values())
    return {
        "privacy_score": fused_score,
        "privacy_score_source": "fused" if decided_by_detector else MODEL,
        "attribute_probabilities": fused,
        "attribute_sources": sources,
        "model_privacy_score": float(score),
        "model_attribute_probabilities": dict(probabilities),
        "fused_with": list(ran),
    }


def fuse(ctx: Context, regions: Sequence[Region]) -> None:
    """Replace the model's findings in `ctx.findings` by the fused ones and keep the raw ones
    under "fusion" (for the report). No model findings: nothing to fuse, nothing changes."""
    findings = ctx.findings
    previous = findings.get("fusion")
    if previous is not None:  # fused already: start again from the model's own outputs
        score = previous["model_privacy_score"]
        probabilities = previous["model_attribute_probabilities"]
    else:
        score = findings.get("privacy_score")
        probabilities = findings.get("attribute_probabilities")
    if score is None or probabilities is None:
        return
    ran = [name for name in FUSING_DETECTORS if name in ctx.timings]
    profile = ctx.peek(SCORE_PROFILE) or default_profile()
    result = fuse_outputs(score, probabilities, regions, profile, ran)
    findings["privacy_score"] = result["privacy_score"]
    findings["attribute_probabilities"] = result["attribute_probabilities"]
    findings["fusion"] = {
        k: v for k, v in result.items() if k not in ("privacy_score", "attribute_probabilities")
    }


def report_fields(fusion: dict[str, Any] | None) -> dict[str, Any]:
    """The report's JSON entries for a fusion record (rounded as the report rounds)."""
    if not fusion:
        return {}
    return {
        "privacy_score_source": fusion["privacy_score_source"],
        "attribute_sources": dict(fusion["attribute_sources"]),
        "fused_with": list(fusion["fused_with"]),
        "model_privacy_score": round(float(fusion["model_privacy_score"]), 4),
        "model_attribute_probabilities": {
            k: round(float(v), 4) for k, v in fusion["model_attribute_probabilities"].items()
        },
    }


__all__ = ["FUSING_DETECTORS", "fuse", "fuse_outputs", "report_fields", "strongest"]
