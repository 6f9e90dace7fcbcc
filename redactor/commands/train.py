"""`redact train`: train PrivObfNet (the `train` extra; also under torchrun)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from redactor.commands import fail


def command(
    data: Path = typer.Option(
        ...,
        "--data",
        help="Data set folder: VISPR layout, `redact synth` output, or PASCAL VOC 2012.",
    ),
    config: Optional[Path] = typer.Option(
        None, "--config", help="Config file (.json or .toml) over the paper's defaults."
    ),
    set_: list[str] = typer.Option(
        [], "--set", help="Override one config key: --set lr=0.01 (repeatable)."
    ),
    out: Path = typer.Option(
        Path("runs/privobfnet"), "--out", help="Folder for last.pt, model.pt, metrics.jsonl."
    ),
    resume: Optional[Path] = typer.Option(
        None, "--resume", help="Continue from this checkpoint (its config, model and optimiser)."
    ),
    seed: Optional[int] = typer.Option(None, "--seed", help="Random seed (same as --set seed=N)."),
) -> None:
    """Train PrivObfNet (runs unchanged under `torchrun --nproc_per_node N -m redactor.cli train ...`)."""
    from redactor.training.collapse import TrainingCollapsedError
    from redactor.training.config import make_config, parse_overrides
    from redactor.training.progress import RichReporter
    from redactor.training.trainer import resume_config, train

    overrides = parse_overrides(set_)
    if seed is not None:
        overrides["seed"] = str(seed)
    settings = (
        resume_config(resume, config, overrides) if resume else make_config(config, overrides)
    )
    try:
        result = train(data, settings, out, resume=resume, reporter=RichReporter())
    except FloatingPointError as error:  # the loss diverged: the trainer says where
        fail(str(error))
    except (
        TrainingCollapsedError
    ) as error:  # redactor/training/collapse.py: exit 3, apart from usage errors
        fail(str(error), 3)
    if result.is_main:
        typer.echo(f"model: {result.checkpoint}\nmetrics: {result.metrics}")
