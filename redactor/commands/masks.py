"""`redact masks`: the human/text masks cache beside a data set (the `train` extra)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer


def command(
    data: Path = typer.Option(
        ..., "--data", help="Data set folder (VISPR layout, synthetic, or VOC)."
    ),
    split: list[str] = typer.Option(
        [], "--split", help="Split(s) to cover (default: all present)."
    ),
    human: str = typer.Option(
        "auto", "--human", help="auto | person (MediaPipe + faces) | faces (face-derived bodies)."
    ),
    workers: int = typer.Option(1, "--workers", help="Processes."),
) -> None:
    """Compute the human/text masks cache beside a data set (once; later runs reuse it)."""
    from rich.console import Console

    compute_masks(data, split or None, human, workers, Console(stderr=True))


def compute_masks(
    data: Path, splits: Optional[list[str]], human: str, workers: int, console: Any
) -> None:
    """Also `redact synth --masks`."""
    from redactor.commands.progress import progress_bar
    from redactor.training.masks import precompute_masks

    with progress_bar(console) as progress:
        task = progress.add_task("masks", total=None)
        summary = precompute_masks(
            data,
            splits,
            human=human,
            workers=workers,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    typer.echo(
        f"masks: {summary.computed} computed, {summary.reused} reused in "
        f"{summary.seconds:.1f} s ({summary.fingerprint})"
    )
