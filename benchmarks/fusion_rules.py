"""Which fused privacy score separates private from harmless real images best (issue 13).

    python benchmarks/fusion_rules.py --model MODEL --real REAL_SET [--json OUT]

Runs the pipeline with the default hide (faces, OCR, private text) and the model on every image
of a real set (docs/real_validation.md) and prints the ROC AUC, private (people, documents)
against harmless, of four scores:
- `head`: the model's privacy head alone;
- `max(head, profile fused)`: the rule before this version;
- `profile model`: the privacy profile over the model's own attribute probabilities;
- `profile fused`: the profile over the fused attributes (the report's score now).
About a second per image on 2 CPU cores (the OCR).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from redactor.imageio import load  # noqa: E402
from redactor.pipeline import RedactOptions, Redactor  # noqa: E402
from redactor.privacy_score import default_profile  # noqa: E402
from redactor.training import metrics  # noqa: E402
from redactor.training.real_eval import read_real_set  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="model file (.pt/.onnx) or `default`")
    parser.add_argument("--real", type=Path, required=True, help="real set folder")
    parser.add_argument("--json", type=Path, help="per-image scores here")
    args = parser.parse_args(argv)
    data = read_real_set(args.real)
    redactor = Redactor(model=args.model)
    options = RedactOptions(trust_model=True)  # the report only: nothing is hidden here
    profile = default_profile()
    rows = []
    for entry in data["images"]:
        findings = redactor.analyze(load(args.real / entry["image"]), options).findings
        fusion = findings["fusion"]
        head = float(fusion["model_privacy_score"])
        fused = profile.score(findings["attribute_probabilities"])
        rows.append(
            {
                "image": entry["image"],
                "group": entry["group"],
                "head": head,
                "max(head, profile fused)": max(head, fused),
                "profile model": profile.score(fusion["model_attribute_probabilities"]),
                "profile fused": fused,
            }
        )
    private = np.array([row["group"] != "harmless" for row in rows])
    print(f"{len(rows)} images ({int(private.sum())} private, {int((~private).sum())} harmless)")
    for rule in ("head", "max(head, profile fused)", "profile model", "profile fused"):
        auc = metrics.roc_auc(np.array([row[rule] for row in rows]), private)
        print(f"  {rule:26s} AUC private vs harmless {auc:.3f}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    main()
