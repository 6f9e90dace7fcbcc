"""`redact evaluate`: the paper's metrics for a checkpoint, or the real-image ones (the `train`
extra); --record keeps the real-image AUCs in the model file as its validity."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from redactor.commands import fail


def command(
    checkpoint: Path = typer.Option(
        ...,
        "--checkpoint",
        help="A .pt checkpoint from `redact train` (with --real: also .onnx or .engine).",
    ),
    data: Optional[Path] = typer.Option(
        None, "--data", help="Data set folder (VISPR layout, synthetic, or VOC)."
    ),
    real: Optional[Path] = typer.Option(
        None,
        "--real",
        help="A real-image set (real_set.json, docs/real_validation.md) instead of --data: ROC AUC per attribute, privacy-score AUC, faces on documents.",
    ),
    split: str = typer.Option(
        "test", "--split", help="Split to evaluate (test, val, train; VOC: val, train)."
    ),
    json_path: Optional[Path] = typer.Option(
        None, "--json", help="Also write the metrics as JSON here."
    ),
    device: str = typer.Option("auto", "--device", help="auto | cpu | cuda."),
    batch_size: int = typer.Option(8, "--batch-size", min=1),
    profile: Optional[Path] = typer.Option(
        None, "--profile", help="Privacy profile for the score targets (default: VISPR user study)."
    ),
    no_masks: bool = typer.Option(False, "--no-iou", help="Skip the mask IoU (faster)."),
    fused: bool = typer.Option(
        True,
        "--fused/--model-only",
        help="With --real: also measure the pipeline's fused report (runs OCR, ~1 s per image "
        "on a CPU); --model-only skips it.",
    ),
    record: bool = typer.Option(
        False,
        "--record",
        help="Write each attribute's ROC AUC on this (real-image) set into the "
        "model file as its validity; `redact export` carries it on.",
    ),
) -> None:
    """The paper's metrics (privacy score L1/Pearson/Spearman, attribute accuracy and mAP, mask
    mIoU), or with --real the real-image ones; --record keeps the AUCs in the model file."""
    import json

    from rich.console import Console

    from redactor.training.report import evaluation_tables, real_tables

    if (data is None) == (real is None):
        fail("give one of --data (a training-format set) or --real (a real-image set)")
    if real is not None:
        from redactor.training.real_eval import evaluate_real

        result = evaluate_real(checkpoint, real, device=device, fused=fused)
        dataset = real.resolve().name
    else:
        from redactor.training.evaluate import evaluate_checkpoint

        result = evaluate_checkpoint(
            checkpoint,
            data,
            split,
            device=device,
            batch_size=batch_size,
            privacy_profile=str(profile) if profile else "",
            with_iou=not no_masks,
        )
        dataset = f"{data.resolve().name}/{split}"
    console = Console()
    console.print(real_tables(result) if real is not None else evaluation_tables(result))
    if real is not None:
        from redactor.training.real_eval import goals_table

        console.print(goals_table(result))
    if record:
        from datetime import datetime, timezone

        from redactor.exporters.validity import record_validity
        from redactor.training.real_eval import validity_of

        when = datetime.now(timezone.utc).isoformat(timespec="seconds")
        validity = validity_of(result, dataset, when)
        record_validity(checkpoint, validity)
        typer.echo(f"validity of {len(validity)} attribute(s) recorded in {checkpoint}")
    if json_path is not None:
        from redactor.files import write_atomic

        write_atomic(json_path, (json.dumps(result, indent=2) + "\n").encode())
        typer.echo(f"metrics: {json_path}")
