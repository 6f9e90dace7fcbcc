"""`redact evaluate`: the paper's metrics for a checkpoint (the `train` extra)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def command(
    checkpoint: Path = typer.Option(..., "--checkpoint", help="A .pt checkpoint from `redact train`."),
    data: Path = typer.Option(..., "--data", help="Data set folder (VISPR layout, synthetic, or VOC)."),
    split: str = typer.Option("test", "--split", help="Split to evaluate (test, val, train; VOC: val, train)."),
    json_path: Optional[Path] = typer.Option(None, "--json", help="Also write the metrics as JSON here."),
    device: str = typer.Option("auto", "--device", help="auto | cpu | cuda."),
    batch_size: int = typer.Option(8, "--batch-size", min=1),
    profile: Optional[Path] = typer.Option(None, "--profile", help="Privacy profile for the score targets (default: VISPR user study)."),
    no_masks: bool = typer.Option(False, "--no-iou", help="Skip the mask IoU (faster)."),
) -> None:
    """The paper's metrics: privacy score L1/Pearson/Spearman, attribute accuracy and mAP, mask mIoU."""
    import json

    from rich.console import Console

    from training.evaluate import evaluate_checkpoint
    from training.report import evaluation_tables

    result = evaluate_checkpoint(
        checkpoint, data, split, device=device, batch_size=batch_size,
        privacy_profile=str(profile) if profile else "", with_iou=not no_masks,
    )
    Console().print(evaluation_tables(result))
    if json_path is not None:
        from redactor.files import write_atomic

        write_atomic(json_path, (json.dumps(result, indent=2) + "\n").encode())
        typer.echo(f"metrics: {json_path}")
