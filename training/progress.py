"""Rich progress for `redact train`: one bar per epoch with the running losses, and a line per
finished epoch with its validation metrics."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


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
        line = f"epoch {record['epoch']}: loss {record['loss']:.4f}, {record['images_per_s']:.1f} img/s"
        val = record.get("val") or {}
        if val.get("score"):
            line += (f"; val score pearson {val['score']['pearson']:.3f} "
                     f"spearman {val['score']['spearman']:.3f} L1 {val['score']['l1']:.3f}")
        if val.get("attributes", {}).get("map") is not None:
            line += f"; attr acc {val['attributes']['accuracy_mean']:.3f} mAP {val['attributes']['map']:.3f}"
        if (val.get("masks_refined") or val.get("masks") or {}).get("miou") is not None:
            line += f"; mIoU {(val.get('masks_refined') or val['masks'])['miou']:.3f}"
        self.console.print(line, highlight=False)
