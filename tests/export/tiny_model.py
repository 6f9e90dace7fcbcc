"""A tiny PrivObfNet checkpoint for the export tests (the model's `tiny` backbone, 128 px).

Its attribute head is biased so that a few attributes are clearly present (nudity, a face, a
name) and the rest clearly absent: regions are then stable under the rounding differences
between backends, which is what the tests compare. No pytest here: the GPU checks import it
on machines that may lack pytest."""

from __future__ import annotations

from pathlib import Path

import torch

from redactor import attributes

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
ASTRONAUT = SAMPLES / "astronaut.jpg"
IDS = [
    "a0_safe",
    "a9_face_complete",
    "a12_semi_nudity",
    "a13_full_nudity",
    "a19_name_full",
    "a38_ticket",
]
PRESENT = {"a12_semi_nudity", "a13_full_nudity", "a9_face_complete", "a19_name_full"}
SIZE = 128
# What `redact evaluate --record` would write: the pipeline tests use the model as a validated
# one; the gating tests (tests/export/test_validity.py) pass validity={} or weaker figures.
VALIDATED = {
    i: {
        "auc": 0.99,
        "n_pos": 50,
        "n_neg": 100,
        "dataset": "fixture/test",
        "measured_at": "2026-01-01T00:00:00+00:00",
    }
    for i in IDS
    if i != "a0_safe"
}


def make_checkpoint(
    path: Path, *, seed: int = 0, validity: dict | None = None, present: set[str] = PRESENT
) -> Path:
    """`validity`: ModelMeta.validity (None: VALIDATED; {}: never measured). `present`: the
    attributes the model calls present (the others it calls absent)."""
    from redactor.model import ModelArgs, ModelMeta, PrivObfNet, save_checkpoint

    torch.manual_seed(seed)
    kinds = [attributes.BY_ID[i].mask_type for i in IDS]
    network = PrivObfNet(
        ModelArgs(backbone="tiny", num_classes=len(IDS), mask_types=tuple(kinds), use_cropped=False)
    ).eval()
    with torch.no_grad():
        last = network.image.attribute_head[2]
        last.weight.mul_(0.01)
        last.bias.copy_(torch.tensor([4.0 if i in present else -4.0 for i in IDS]))
    meta = ModelMeta(
        attribute_ids=IDS,
        mask_types=kinds,
        backbone="tiny",
        input_size=(SIZE, SIZE),
        stride=network.stride,
        dataset="synthetic",
        extra={"cam_threshold": 0.4},
        validity=VALIDATED if validity is None else validity,
    )
    return save_checkpoint(path, network, meta)
