"""Rich progress for `redact train`: one bar per epoch with the running losses, and a line per
finished epoch with its validation metrics."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class RichReporter:
    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self.progress: Progress | None = None
        self.task: Any = None

    def message(self, text: str) -> None:
        self.console.print(text, highlight=False)

    def start_epoch(self, epoch: int, epochs: int, steps: int) -> None:
        self.progress = Progress(
            TextColumn(f"[bold]epoch {epoch}/{epochs}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[losses]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=self.console,
        )
        self.progress.start()
        self.task = self.progress.add_task("train", total=steps, losses="")

    def step(self, running: dict[str, float]) -> None:
        if self.progress is None:
            return
        losses = " ".join(f"{name} {value:.3f}" for name, value in running.items())
        self.progress.update(self.task, advance=1, losses=losses)

    def end_epoch(self, record: dict[str, Any]) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None
        line = f"epoch {record['epoch']}: loss {record['loss']:.4f}, "
        line += f"{record['images_per_s']:.1f} img/s"
        val = record.get("val") or {}
        score = val.get("score")
        if score:
            line += (
                f"; val score pearson {_fmt(score['pearson'])} spearman "
                f"{_fmt(score['spearman'])} L1 {_fmt(score['l1'])}"
            )
        attributes = val.get("attributes") or {}
        if attributes:
            line += f"; attr acc {_fmt(attributes['accuracy_mean'])} mAP {_fmt(attributes['map'])}"
        masks = val.get("masks_refined") or val.get("masks") or {}
        if masks:
            line += f"; mIoU {_fmt(masks['miou'])}"
        self.console.print(line, highlight=False)


def _fmt(value: float | None) -> str:
    """Metrics are None where undefined (a constant prediction has no correlation)."""
    return "-" if value is None else f"{value:.3f}"
