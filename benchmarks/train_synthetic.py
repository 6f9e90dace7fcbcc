"""The paper's Table 4 ablation on a synthetic set: five task configurations, each trained and
evaluated the same way, printed with the paper's metrics.

    python benchmarks/train_synthetic.py --data runs/synth3000 --out runs/table4

makes the set first when `--data` holds none (`redact synth` with `--n`, `--size`). Defaults
are sized for 2 CPU cores (see README: about 40 minutes for everything): MobileNetV2 with its
ImageNet weights (the only ones that ship offline) instead of ResNet-38, 160 px images and
2 crops of 112 px instead of 448/320 and 6, the first 7 backbone stages frozen, 5 epochs.

Rows (paper Table 4, in its order):
  Attention (Image)                          use_cropped=false use_priv=false use_attr=false
  Attention (Image) + Priv                   use_cropped=false use_attr=false
  Attention (Image) + Attr                   use_cropped=false use_priv=false
  Attention (Image) + Priv + Attr            use_cropped=false
  Attention (Image + Cropped) + Priv + Attr  (all on)
Without the privacy task a row's score is the privacy profile applied to its attribute
probabilities (the only score such a model has).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ROWS = (
    ("Attention (Image)", ["use_cropped=false", "use_priv=false", "use_attr=false"]),
    ("Attention (Image) + Priv", ["use_cropped=false", "use_attr=false"]),
    ("Attention (Image) + Attr", ["use_cropped=false", "use_priv=false"]),
    ("Attention (Image) + Priv + Attr", ["use_cropped=false"]),
    ("Attention (Image + Cropped) + Priv + Attr", []),
)
PAPER = {  # Table 4: Pearson, Spearman on VISPR
    "Attention (Image)": (0.79, 0.76),
    "Attention (Image) + Priv": (0.82, 0.79),
    "Attention (Image) + Attr": (0.82, 0.80),
    "Attention (Image) + Priv + Attr": (0.85, 0.83),
    "Attention (Image + Cropped) + Priv + Attr": (0.88, 0.86),
}
BASE = [
    "backbone=mobilenet_v2",
    "pretrained=imagenet",
    "image_size=160",
    "crop_size=112",
    "num_crops=2",
    "frozen_stages=7",
    "epochs=5",
    "lr_decay_epochs=4",
    "batch_size=8",
    "lr=0.002",
    "grad_clip=5",
    "num_workers=1",
    "eval_every=0",
]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, help="synthetic set (made if empty)")
    parser.add_argument("--out", type=Path, help="runs, metrics, table")
    parser.add_argument("--n", type=int, default=2000, help="images to generate (70/10/20 split)")
    parser.add_argument("--size", type=int, default=192, help="generated image side, px")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        help="config override for every row, e.g. --set epochs=3 (repeatable)",
    )
    parser.add_argument("--rows", default="1,2,3,4,5", help="which rows to run, e.g. 1,5")
    parser.add_argument(
        "--split",
        default="test",
        help="split to evaluate on (choose settings on val, report test once)",
    )
    parser.add_argument(
        "--limit-test", type=int, default=0, help="evaluate on the first N images of --split"
    )
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--render", type=Path, help="only print the tables of a table4.json")
    parser.add_argument(
        "--no-masks",
        action="store_true",
        help="skip the human/text mask cache (no mask weighting, raw CAMs only)",
    )
    return parser.parse_args(argv)


def ensure_data(args: argparse.Namespace) -> None:
    if (args.data / "annotations").is_dir():
        return
    from redactor.training.synth.dataset import SynthConfig, generate

    started = time.perf_counter()
    summary = generate(SynthConfig(args.data, n=args.n, seed=args.seed, size=args.size, workers=2))
    print(
        f"generated {summary['n']} images {summary['splits']} in "
        f"{time.perf_counter() - started:.0f} s",
        flush=True,
    )


def ensure_masks(args: argparse.Namespace) -> None:
    """The human/text mask cache (`redact masks`): computed once, reused afterwards."""
    from redactor.training.masks import precompute_masks

    started = time.perf_counter()
    summary = precompute_masks(args.data, workers=2)
    print(
        f"human/text masks: {summary.computed} computed, {summary.reused} reused in "
        f"{time.perf_counter() - started:.0f} s",
        flush=True,
    )


def run_row(
    name: str, overrides: list[str], args: argparse.Namespace, index: int
) -> dict[str, Any]:
    from redactor.training.config import make_config
    from redactor.training.evaluate import evaluate_checkpoint
    from redactor.training.trainer import train

    config = make_config(overrides=[*BASE, *overrides, *args.overrides, f"seed={args.seed}"])
    folder = args.out / f"row{index}"
    started = time.perf_counter()
    result = train(args.data, config, folder)
    trained = time.perf_counter() - started
    metrics = evaluate_checkpoint(result.checkpoint, args.data, args.split, limit=args.limit_test)
    (folder / f"{args.split}_metrics.json").write_text(json.dumps(metrics, indent=1))
    return {
        "row": name,
        "train_seconds": round(trained, 1),
        "eval_seconds": round(time.perf_counter() - started - trained, 1),
        "metrics": metrics,
    }


def fmt(value: Any, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def table(rows: list[dict[str, Any]]) -> str:
    """Two markdown tables: the paper's metrics per row, then mask mIoU per attribute group."""
    header = ["Tasks", "Pearson", "Spearman", "L1", "paper P/S", "attr acc", "mAP", "mIoU",
              "train s"]  # fmt: skip
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in rows:
        m = r["metrics"]
        score, attributes, masks = m.get("score", {}), m["attributes"], _masks(r)
        paper = PAPER.get(r["row"])
        cells = [
            r["row"], fmt(score.get("pearson")), fmt(score.get("spearman")), fmt(score.get("l1")),
            f"{paper[0]:.2f}/{paper[1]:.2f}" if paper else "-",
            fmt(attributes.get("accuracy_mean")), fmt(attributes.get("map")),
            fmt(masks.get("miou")), f"{r['train_seconds']:.0f}",
        ]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    groups = sorted({g for r in rows for g in _masks(r).get("per_group", {})})
    types = sorted({t for r in rows for t in _masks(r).get("per_mask_type", {})})
    if groups:
        header = ["mIoU", *groups, *[f"type {t}" for t in types]]
        lines += ["", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for r in rows:
            masks = _masks(r)
            cells = [r["row"], *[fmt(masks.get("per_group", {}).get(g), 2) for g in groups],
                     *[fmt(masks.get("per_mask_type", {}).get(t), 2) for t in types]]  # fmt: skip
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _masks(row: dict[str, Any]) -> dict[str, Any]:
    metrics = row["metrics"]
    return metrics.get("masks_refined") or metrics.get("masks") or {}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.render:
        print(table(json.loads(args.render.read_text())))
        return 0
    if args.data is None or args.out is None:
        raise SystemExit("--data and --out are required (or --render FILE)")
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    ensure_data(args)
    if not args.no_masks:
        ensure_masks(args)
    chosen = [int(i) for i in args.rows.split(",") if i.strip()]
    results = []
    for index in chosen:
        name, overrides = ROWS[index - 1]
        print(f"[{index}/5] {name} ...", flush=True)
        result = run_row(name, overrides, args, index)
        score = result["metrics"].get("score", {})
        print(
            f"      Pearson {fmt(score.get('pearson'))} Spearman {fmt(score.get('spearman'))} "
            f"mIoU {fmt(_masks(result).get('miou'))} ({result['train_seconds']:.0f} s training)",
            flush=True,
        )
        results.append(result)
    text = table(results)
    masks_note = (
        "refined by cached human/text masks"
        if results and results[0]["metrics"].get("masks_refined")
        else "raw CAMs (no human/text mask cache)"
    )
    summary = (
        f"{text}\n\nsynthetic {args.split} split: {results[0]['metrics']['images'] if results else 0} "
        f"images; mIoU of {masks_note}, best background threshold; config "
        f"{' '.join(BASE + args.overrides)}; total {time.perf_counter() - started:.0f} s"
    )
    print(summary)
    (args.out / "table4.md").write_text(summary + "\n")
    (args.out / "table4.json").write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
