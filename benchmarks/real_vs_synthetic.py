"""Train the README's recipe and print its synthetic and real-image figures side by side
(issue 13: a model that looks good on the synthetic set can fail on real photos).

    python benchmarks/real_vs_synthetic.py --data runs/synth1500 --real data/real_val \
        --out runs/real_vs_synth [--set use_cropped=false] [--n 1500 --size 192]

Makes the synthetic set (`redact synth`) and its mask cache (`redact masks`) when `--data` holds
none, trains with the README's `redact train` line (plus any `--set`), evaluates the test split
and the real set (`python -m redactor.training.real_set` builds one), and writes `summary.json` and
`summary.md` into `--out`. A collapsed training run (redactor/training/collapse.py) is reported as such.
Sized for a GPU or a quiet machine: the full recipe is about 10 minutes on 2 CPU cores per
1,000 training images and epoch.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# The README's `redact train` line (batch 8 and grad_clip 5 are the defaults).
README_RECIPE = [
    "backbone=mobilenet_v2",
    "image_size=160",
    "crop_size=112",
    "num_crops=2",
    "frozen_stages=7",
    "epochs=5",
    "lr_decay_epochs=4",
]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="synthetic set (made if empty)")
    parser.add_argument("--real", type=Path, required=True, help="real set (real_set.json)")
    parser.add_argument("--out", type=Path, required=True, help="run folder and summaries")
    parser.add_argument("--n", type=int, default=1500, help="synthetic images to generate")
    parser.add_argument("--size", type=int, default=192, help="synthetic image side, px")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        help="config override on top of the recipe (repeatable)",
    )
    parser.add_argument("--no-masks", action="store_true", help="skip the human/text masks")
    return parser.parse_args(argv)


def fmt(value: Any) -> str:
    return "-" if value is None else f"{value:.3f}"


def side_by_side(synthetic: dict[str, Any], real: dict[str, Any]) -> str:
    """One markdown table: each attribute's synthetic test AP/AUC beside its real AUC."""
    lines = [
        f"privacy score: synthetic Pearson {fmt(synthetic.get('score', {}).get('pearson'))}, "
        f"Spearman {fmt(synthetic.get('score', {}).get('spearman'))}; real AUC private vs "
        f"harmless {fmt(real.get('privacy_score_auc'))}",
    ]
    faces = real.get("face_on_documents") or {}
    lines.append(
        f"faces: real AUC people vs faceless documents "
        f"{fmt(faces.get('auc_people_vs_documents'))}, faceless documents with face "
        f"p >= 0.5: {fmt(faces.get('documents_with_face'))}"
    )
    lines += [
        "",
        "| attribute | synthetic AUC | synthetic AP | real AUC | real AP | real pos/neg |",
        "|---|---|---|---|---|---|",
    ]
    synth_attributes = synthetic["attributes"]["per_attribute"]
    for attribute_id, entry in real["attributes"]["per_attribute"].items():
        s = synth_attributes.get(attribute_id, {})
        lines.append(
            f"| {attribute_id} | {fmt(s.get('auc'))} | {fmt(s.get('ap'))} | "
            f"{fmt(entry['auc'])} | {fmt(entry['ap'])} | "
            f"{entry['positives']}/{entry['negatives']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from redactor.training.collapse import TrainingCollapsedError
    from redactor.training.config import make_config
    from redactor.training.evaluate import evaluate_checkpoint
    from redactor.training.real_eval import evaluate_real
    from redactor.training.trainer import train

    args.out.mkdir(parents=True, exist_ok=True)
    if not (args.data / "annotations").is_dir():
        from redactor.training.synth.dataset import SynthConfig, generate

        generate(SynthConfig(args.data, n=args.n, size=args.size, workers=2))
    if not args.no_masks:
        from redactor.training.masks import precompute_masks

        precompute_masks(args.data, workers=2)
    config = make_config(overrides=[*README_RECIPE, *args.overrides])
    started = time.perf_counter()
    try:
        result = train(args.data, config, args.out / "run")
    except TrainingCollapsedError as error:
        print(f"COLLAPSED: {error}")
        (args.out / "summary.json").write_text(json.dumps({"collapsed": str(error)}) + "\n")
        return 3
    seconds = time.perf_counter() - started
    synthetic = evaluate_checkpoint(result.checkpoint, args.data, "test", with_iou=False)
    real = evaluate_real(result.checkpoint, args.real)
    text = side_by_side(synthetic, real)
    summary = {
        "config": config.to_dict(),
        "train_seconds": round(seconds, 1),
        "synthetic_test": synthetic,
        "real": real,
    }
    (args.out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    (args.out / "summary.md").write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
