"""The face figures of issue 13 for one or more models on a real-image set, side by side
(used to measure `redact synth --real-content`, docs/model.md):

    python benchmarks/real_content_figures.py --real data/real_val runs/a/model.pt runs/b/model.pt

Per model: face probability (max of complete/partial) AUC for photos of people against harmless
images and against documents without a face, the share of such documents given a face
(p >= 0.5), the a9_face_complete AUC over the whole set and the privacy score's AUC private vs
harmless.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

FACE_IDS = ("a9_face_complete", "a10_face_partial")


def figures(model: Path, real: Path) -> dict[str, float]:
    from redactor.imageio import load
    from redactor.runtime import open_model, preprocess
    from redactor.training import metrics
    from redactor.training.real_eval import read_real_set

    data = read_real_set(real)
    runtime = open_model(model, device="cpu")
    ids = list(runtime.meta.attribute_ids)
    entries = data["images"]
    scores, probs = [], []
    for start in range(0, len(entries), 8):
        pixels = [load(real / e["image"]).pixels for e in entries[start : start + 8]]
        out = runtime(preprocess(pixels, runtime.meta))
        scores.append(np.asarray(out["score"], np.float64).reshape(-1))
        probs.append(np.asarray(out["attributes"], np.float64))
    score, prob = np.concatenate(scores), np.concatenate(probs)
    face = prob[:, [ids.index(i) for i in FACE_IDS if i in ids]].max(axis=1)
    groups = np.array([e["group"] for e in entries])
    has_face = np.array([bool(set(FACE_IDS) & set(e.get("labels") or [])) for e in entries])
    people = (groups == "people") & has_face
    harmless = groups == "harmless"
    documents = (groups == "document") & ~has_face
    a9 = np.array(["a9_face_complete" in (e.get("labels") or []) for e in entries])

    def auc(negatives: np.ndarray) -> float:
        chosen = people | negatives
        return float(metrics.roc_auc(face[chosen], people[chosen]))

    return {
        "face_auc_vs_harmless": auc(harmless),
        "face_auc_vs_documents": auc(documents),
        "documents_with_face": float((face[documents] >= 0.5).mean()),
        "a9_auc_all": float(metrics.roc_auc(prob[:, ids.index("a9_face_complete")], a9)),
        "privacy_score_auc": float(metrics.roc_auc(score, groups != "harmless")),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--real", type=Path, required=True, help="real set (real_set.json)")
    parser.add_argument("models", type=Path, nargs="+", help="model files (.pt, .onnx)")
    args = parser.parse_args(argv)
    keys = None
    for model in args.models:
        got = figures(model, args.real)
        if keys is None:
            keys = list(got)
            print("| model | " + " | ".join(keys) + " |")
            print("|---" * (len(keys) + 1) + "|")
        print(f"| {model} | " + " | ".join(f"{got[k]:.3f}" for k in keys) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
