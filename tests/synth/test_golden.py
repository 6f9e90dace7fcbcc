"""Byte-identity guard for the synthetic generator: the same seed gives the same set.

Scenes covering every carrier kind, person framing, outfit, cue and photo cut-out, plus a small
data set written by `generate` (what `redact synth` runs), are hashed and compared with
golden_hashes.json. A refactor of redactor/training/synth must keep every rng draw in the same order, so
these hashes do not move. When a change is meant to alter the output, refresh the file with

    REDACTOR_REFRESH_GOLDEN=1 python -m pytest tests/synth/test_golden.py -q

and commit it with the change (never edit the hashes by hand).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import PIL

from redactor.attributes import VISPR_IDS
from redactor.training.synth import sources
from redactor.training.synth.dataset import LabelSampler, SynthConfig, generate
from redactor.training.synth.figures import lfw_faces
from redactor.training.synth.scene import CUE_ATTRS, render_scene

GOLDEN = Path(__file__).with_name("golden_hashes.json")
REFRESH = os.environ.get("REDACTOR_REFRESH_GOLDEN") == "1"
TIMING_FIELDS = ("seconds",)  # synth.json fields that vary from run to run


def scene_cases() -> list[tuple[list[str], int, int]]:
    """(requested labels, seed, size): each attribute alone at two sizes, 40 label sets drawn
    as `redact synth` draws them, name badges pinned on people, and every person cue."""
    import random

    cases = [([a], seed, size) for seed, size in ((0, 160), (1, 288)) for a in VISPR_IDS]
    sampler = LabelSampler()
    cases += [(sorted(sampler.draw(random.Random(1000 + k))), k, 224) for k in range(40)]
    cases += [(["a19_name_full", "a4_gender", "a9_face_complete"], k, 256) for k in range(4)]
    # Each person cue on big, coloured, hatless figures, face on and full length.
    cues = sorted(CUE_ATTRS)
    for extra in ("a9_face_complete", "a3_height_approx"):
        cases += [
            (sorted({c, extra, "a6_hair_color", "a17_color"}), k, 320) for c in cues for k in (0, 1)
        ]
    return cases


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def scene_digest(requested: list[str], seed: int, size: int) -> dict:
    result = render_scene(set(requested), seed, size)
    image = result.image
    masks = hashlib.sha256()
    for label in result.labels:
        mask = result.masks[label]
        masks.update(f"{label}:{mask.shape}:{mask.dtype};".encode())
        masks.update(np.packbits(mask).tobytes())
    return {
        "image": sha(f"{image.mode}:{image.size};".encode() + image.tobytes()),
        "masks": masks.hexdigest(),
        "labels": result.labels,
        "items": sha(json.dumps(result.items, sort_keys=True).encode()),
    }


def dataset_digest(out: Path) -> dict[str, str]:
    generate(SynthConfig(out, 12, seed=3, size=160, workers=1))
    digest = {}
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        rel = path.relative_to(out).as_posix()
        if rel == "synth.json":
            summary = json.loads(path.read_text())
            for key in TIMING_FIELDS:
                summary.pop(key)
            digest[rel] = sha(json.dumps(summary, sort_keys=True).encode())
        else:
            digest[rel] = sha(path.read_bytes())
    return digest


def environment() -> dict:
    """What the output depends on besides the code: the packaged photos and faces found."""
    return {
        "photos": sources.available(tuple(sorted(sources.PHOTOS))),
        "cutouts": sorted(n for n in sources.CUTOUTS if sources.cutout_available(n)),
        "lfw_faces": lfw_faces() is not None,
    }


def test_generated_sets_are_byte_identical_for_the_same_seed(tmp_path):
    made = {
        "environment": environment(),
        "versions": {"numpy": np.__version__, "Pillow": PIL.__version__},
        "scenes": {
            f"{seed}/{size}/{'+'.join(req) or '-'}": scene_digest(req, seed, size)
            for req, seed, size in scene_cases()
        },
        "dataset": dataset_digest(tmp_path / "set"),
    }
    if REFRESH:
        GOLDEN.write_text(json.dumps(made, indent=1, sort_keys=True) + "\n")
    golden = json.loads(GOLDEN.read_text())
    assert made["environment"] == golden["environment"], (
        "the packaged photos/faces differ from when the golden hashes were made; install the "
        "`train` extra and the cut-outs, or refresh with REDACTOR_REFRESH_GOLDEN=1"
    )
    assert len(made["scenes"]) >= 200 and len(made["dataset"]) >= 30
    changed = [k for k in golden["scenes"] if made["scenes"].get(k) != golden["scenes"][k]]
    changed += [k for k in golden["dataset"] if made["dataset"].get(k) != golden["dataset"][k]]
    extra = (set(made["scenes"]) - set(golden["scenes"])) | (
        set(made["dataset"]) - set(golden["dataset"])
    )
    assert not changed and not extra, (
        f"{len(changed)} outputs differ from the golden hashes (made with "
        f"{golden['versions']}), first: {changed[:5]}; new: {sorted(extra)[:5]}"
    )
